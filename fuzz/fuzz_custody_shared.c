/* Fuzzes the shared custody log's per-entry check (a statement, its
 * signature and sealed body as read from the catalog).
 * Input: seq (1 byte), prev (32), signature (64), statement length (2,
 * big-endian), the statement, then the sealed body. */
#include <stdint.h>
#include <string.h>

#include "dv/crypto.h"
#include "vault/custody_shared_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[1][32], sk[64], key[32];
	static int init;
	if (!init) {
		dv_crypto_init();
		dv_sign_keypair(pk[0], sk);
		init = 1;
	}
	if (size < 1 + 32 + 64 + 2) return 0;
	dv_catalog_chain_entry e = { .chain = "0123456789abcdef0123456789abcdef", .seq = data[0] };
	memcpy(e.prev, data + 1, 32);
	e.sig = data + 33;
	e.sig_len = 64;
	size_t n = (size_t)data[97] << 8 | data[98], off = 99;
	if (n > size - off) n = size - off;
	e.stmt = data + off;
	e.stmt_len = n;
	dv_sha256_buf(e.stmt, e.stmt_len, e.hash);
	e.sealed = data + off + n;
	e.sealed_len = size - off - n;
	(void)dv_custody_shared_entry_fault(&e, e.prev, (const uint8_t(*)[32])pk, 1, key);
	return 0;
}
