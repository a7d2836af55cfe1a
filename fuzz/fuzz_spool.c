/* Fuzzes the sealed spool's reader (dv_spool_read): the bytes of a spool
 * file an insider may have edited on disk before the watch stored it. The
 * first 8 bytes are the size the writer claims; the rest is the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(const uint8_t *d, size_t n, void *payload)
{
	(void)d;
	*(uint64_t *)payload += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[DV_SPOOL_KEY_BYTES] = { 1, 2, 3 };
	static char path[64];
	if (!path[0]) snprintf(path, sizeof(path), "/tmp/dv-fuzz-spool-%d", (int)getpid());
	if (size < 8) return 0;
	uint64_t expect = 0;
	for (int i = 0; i < 8; i++) expect = expect << 8 | data[i];
	expect %= 1u << 20;
	FILE *f = fopen(path, "wb");
	if (!f) return 0;
	fwrite(data + 8, 1, size - 8, f);
	fclose(f);
	uint64_t got = 0;
	int rc = dv_spool_read(path, key, expect, sink, &got);
	if (rc == 0 && got != expect) abort();
	if (rc != 0 && rc != DV_ECORRUPT && rc != DV_EIO && rc != DV_ENOMEM) abort();
	unlink(path);
	return 0;
}
