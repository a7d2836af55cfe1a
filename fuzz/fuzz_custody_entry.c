/* Fuzzes the custody log entry parser and the scan over a whole log. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "dv/crypto.h"
#include "dv/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *m, void *p) { (void)m; (void)p; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[64], key[32];
	static int init;
	if (!init) {
		dv_crypto_init();
		dv_sign_keypair(pk, sk);
		init = 1;
	}
	size_t off = 0;
	while (off < size) {
		dv_custody_entry e;
		if (dv_custody_parse(data + off, size - off, "fuzz", (int64_t)off, &e) < 0) break;
		(void)dv_custody_verify_sig(&e, pk);
		off += e.length;
	}
	/* the file-level walk too */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/dv-fuzz-custody-%d.log", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		dv_custody_scan(path, pk, key, NULL, quiet, NULL);
		unlink(path);
	}
	return 0;
}
