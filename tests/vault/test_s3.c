/* The S3 backend's parsing of server answers and of its own arguments
 * (src/vault/s3_xml.c, blobstore_s3.c), without a server. */
#include <stdlib.h>

#include "check.h"
#include "dv/blob.h"
#include "vault/s3_int.h"

struct keys {
	int n;
	char first[128];
};

static int on_key(const char *key, void *payload)
{
	struct keys *k = payload;
	if (k->n++ == 0) snprintf(k->first, sizeof(k->first), "%s", key);
	return 0;
}

static int stop_at_two(const char *key, void *payload)
{
	(void)key;
	return ++*(int *)payload == 2 ? 42 : 0;
}

struct parts {
	unsigned n;
	uint64_t last_no, sizes;
	char etag[64];
};

static int on_part(uint64_t number, const char *etag, uint64_t size, void *payload)
{
	struct parts *p = payload;
	p->n++;
	p->last_no = number;
	p->sizes += size;
	snprintf(p->etag, sizeof(p->etag), "%s", etag);
	return 0;
}

/* ListParts: what a resumed multipart upload takes from the server */
static void test_parts(void)
{
	const char *xml = "<ListPartsResult><Key>k</Key><PartNumberMarker>0</PartNumberMarker>"
	                  "<NextPartNumberMarker>2</NextPartNumberMarker><IsTruncated>true</IsTruncated>"
	                  "<Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag><Size>5242880</Size></Part>"
	                  "<Part><LastModified>2026-12-01T20:00:00Z</LastModified><PartNumber>2</PartNumber>"
	                  "<ETag>\"bb\"</ETag><Size>7</Size></Part></ListPartsResult>";
	struct parts p = { 0 };
	int truncated = 0;
	uint64_t next = 0;
	CHECK_EQ(dv_s3_xml_parts(xml, strlen(xml), &truncated, &next, on_part, &p), 0);
	CHECK_EQ(p.n, 2);
	CHECK_EQ(p.last_no, 2);
	CHECK_EQ(p.sizes, 5242887);
	CHECK(!strcmp(p.etag, "\"bb\""));
	CHECK_EQ(truncated, 1);
	CHECK_EQ(next, 2);
	const char *none = "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>";
	memset(&p, 0, sizeof(p));
	CHECK_EQ(dv_s3_xml_parts(none, strlen(none), &truncated, &next, on_part, &p), 0);
	CHECK_EQ(p.n, 0);
	CHECK_EQ(truncated, 0);
	/* hostile: numbers out of range, a part without its size, a huge size */
	const char *bad[] = { "<Part><PartNumber>0</PartNumber><ETag>x</ETag><Size>1</Size></Part>",
		              "<Part><PartNumber>10001</PartNumber><ETag>x</ETag><Size>1</Size></Part>",
		              "<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>",
		              "<Part><PartNumber>1</PartNumber><ETag>x</ETag><Size>99999999999999</Size></Part>",
		              "<Part><PartNumber>-1</PartNumber><ETag>x</ETag><Size>1</Size></Part>",
		              "<NextPartNumberMarker>x</NextPartNumberMarker>" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dv_s3_xml_parts(bad[i], strlen(bad[i]), &truncated, &next, on_part, &p) < 0);
}

int main(void)
{
	test_parts();
	char v[DV_S3_VALUE_MAX + 1], code[64], last[DV_S3_VALUE_MAX + 1];
	const char *err = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message/></Error>";
	dv_s3_xml_error_code(code, sizeof(code), err, strlen(err));
	CHECK(!strcmp(code, "SignatureDoesNotMatch"));
	dv_s3_xml_error_code(code, sizeof(code), "<html>502</html>", 16);
	CHECK(!strcmp(code, ""));
	/* a code with control bytes is made printable */
	const char *ctl = "<Error><Code>a\x01" "b</Code></Error>";
	dv_s3_xml_error_code(code, sizeof(code), ctl, strlen(ctl));
	CHECK(!strcmp(code, "a?b"));

	size_t pos = 0;
	const char *up = "<R><KeyMarker>x</KeyMarker><Key>a&amp;b&lt;c</Key><UploadId>2~x-y</UploadId></R>";
	CHECK_EQ(dv_s3_xml_text(v, sizeof(v), up, strlen(up), &pos, "Key"), 1);
	CHECK(!strcmp(v, "a&b<c")); /* not KeyMarker's */
	pos = 0;
	CHECK_EQ(dv_s3_xml_text(v, sizeof(v), up, strlen(up), &pos, "UploadId"), 1);
	CHECK(!strcmp(v, "2~x-y"));
	CHECK_EQ(dv_s3_xml_text(v, sizeof(v), up, strlen(up), &pos, "UploadId"), 0);
	pos = 0;
	CHECK(dv_s3_xml_text(v, sizeof(v), "<Key>no end", 11, &pos, "Key") < 0);
	pos = 0;
	CHECK(dv_s3_xml_text(v, sizeof(v), "<Key>&evil;</Key>", 17, &pos, "Key") < 0);
	pos = 0;
	CHECK(dv_s3_xml_text(v, 4, "<Key>toolong</Key>", 18, &pos, "Key") < 0);
	pos = 0;
	CHECK_EQ(dv_s3_xml_text(v, sizeof(v), "<Key/><Key>b</Key>", 18, &pos, "Key"), 1);
	CHECK(!strcmp(v, ""));

	const char *list = "<L><IsTruncated>true</IsTruncated><Contents><Key>p/blobs/aa</Key></Contents>"
	                   "<Contents><Key>p/blobs/bb</Key></Contents></L>";
	struct keys k = { 0, "" };
	int truncated = 0;
	CHECK_EQ(dv_s3_xml_list(list, strlen(list), &truncated, last, sizeof(last), on_key, &k), 0);
	CHECK_EQ(k.n, 2);
	CHECK_EQ(truncated, 1);
	CHECK(!strcmp(k.first, "p/blobs/aa"));
	CHECK(!strcmp(last, "p/blobs/bb"));
	int seen = 0;
	CHECK_EQ(dv_s3_xml_list(list, strlen(list), &truncated, last, sizeof(last), stop_at_two, &seen), 42);

	CHECK_EQ(dv_s3_parse_time("1970-01-01T00:00:01Z"), 1000000000ll);
	CHECK_EQ(dv_s3_parse_time("2026-12-02T09:07:12.000000000Z"), dv_s3_parse_time("2026-12-02T09:07:12Z"));
	CHECK_EQ(dv_s3_parse_time("2026-13-02T09:07:12Z"), -1);
	CHECK_EQ(dv_s3_parse_time("2026-12-02T09:07:12+01:00"), -1);
	CHECK_EQ(dv_s3_parse_time("2026-12-02"), -1);
	CHECK_EQ(dv_s3_parse_time("9999-12-31T23:59:59Z"), -1); /* past int64 nanoseconds */
	char t[21];
	dv_s3_format_time(t, dv_s3_parse_time("2030-01-31T23:59:59Z"));
	CHECK(!strcmp(t, "2030-01-31T23:59:59Z"));

	/* URLs and endpoints */
	CHECK_EQ(dv_blob_s3_check_url("s3://evidence/unit7", "https://s3.example.org"), 0);
	CHECK_EQ(dv_blob_s3_check_url("s3://evidence", "https://10.0.0.1:9000/"), 0);
	CHECK_EQ(dv_blob_s3_check_url("s3://evidence/a/b/", "http://127.0.0.1:7480"), 0);
	CHECK_EQ(dv_blob_s3_check_url("s3://evidence", "http://localhost:7480"), 0);
	CHECK_EQ(dv_blob_s3_check_url("s3://evidence", "http://[::1]:7480"), 0);
	CHECK(dv_blob_s3_check_url("s3://evidence", "http://s3.example.org") < 0);       /* plain off loopback */
	CHECK(dv_blob_s3_check_url("s3://evidence", "http://127.0.0.1.evil.org") < 0); /* a name, not the loopback literal */
	CHECK(dv_blob_s3_check_url("s3://evidence", "ftp://127.0.0.1") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence", "https://host/path") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence", "https://host:0") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence", "https://us er@host") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence", NULL) < 0);
	CHECK(dv_blob_s3_check_url("s3://Ev", "https://h") < 0);
	CHECK(dv_blob_s3_check_url("s3://ev", "https://h") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence/../x", "https://h") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence/a//b", "https://h") < 0);
	CHECK(dv_blob_s3_check_url("s3://evidence/a?b", "https://h") < 0);
	CHECK(dv_blob_s3_check_url("https://evidence", "https://h") < 0);
	return check_done();
}
