/* Fuzzes what the S3 backend reads from a server's answers (src/vault/s3_xml.c):
 * error codes, a multipart UploadId, a listing's keys, a ListParts answer,
 * time stamps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault/s3_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_key(const char *key, void *payload)
{
	(*(size_t *)payload) += strlen(key) + 1;
	return 0;
}

static int count_part(uint64_t number, const char *etag, uint64_t size, void *payload)
{
	if (number < 1 || number > 10000 || size > (5ull << 30)) abort();
	(*(size_t *)payload) += strlen(etag) + 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > DV_S3_XML_MAX) return 0;
	char *xml = malloc(size + 1);
	if (!xml) return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	char code[128], v[DV_S3_VALUE_MAX + 1], last[DV_S3_VALUE_MAX + 1];
	dv_s3_xml_error_code(code, sizeof(code), xml, size);
	size_t pos = 0, total = 0;
	while (dv_s3_xml_text(v, sizeof(v), xml, size, &pos, "UploadId") == 1) {
		if (pos > size) abort();
	}
	int truncated;
	(void)dv_s3_xml_list(xml, size, &truncated, last, sizeof(last), count_key, &total);
	uint64_t next;
	(void)dv_s3_xml_parts(xml, size, &truncated, &next, count_part, &total);
	(void)dv_s3_parse_time(xml);
	free(xml);
	return 0;
}
