/* Fuzzes the shared custody log's per-entry check (a statement, its
 * signature and sealed body as read from the catalog).
 * Input: seq (1 byte), prev (32), signature (64), statement length (2,
 * big-endian), the statement, then the sealed body. With the seq byte's
 * high bit set the statement is signed here with the known station key
 * and the rest is sealed here as the body (salt || JSON) under the
 * statement's hash, so the body's parse and its checks are reached. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dv/crypto.h"
#include "dv/util.h"
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
	bool forge = data[0] & 0x80;
	dv_catalog_chain_entry e = { .chain = "0123456789abcdef0123456789abcdef", .seq = data[0] & 0x7f };
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
	uint8_t sig[64], *sealed = NULL, *stmt = NULL;
	static const char head[] = "dronevault custody entry v3\nstation ";
	if (forge && (stmt = malloc(e.stmt_len + 1))) {
		/* our station's key on line 2, so that the signature is by a known station */
		memcpy(stmt, e.stmt, e.stmt_len);
		if (e.stmt_len >= sizeof(head) - 1 + 64 && !memcmp(stmt, head, sizeof(head) - 1)) {
			char hex[65];
			dv_hex(hex, pk[0], 32);
			memcpy(stmt + sizeof(head) - 1, hex, 64);
		}
		e.stmt = stmt;
		dv_sha256_buf(e.stmt, e.stmt_len, e.hash);
	}
	if (forge) {
		dv_sign(sig, e.stmt, e.stmt_len, sk);
		e.sig = sig;
		if (e.sealed_len <= (1u << 20) && (sealed = malloc(e.sealed_len + DV_SEAL_OVERHEAD))) {
			dv_seal(sealed, e.sealed, e.sealed_len, e.hash, 32, key);
			e.sealed = sealed;
			e.sealed_len += DV_SEAL_OVERHEAD;
		}
	}
	(void)dv_custody_shared_entry_fault(&e, e.prev, (const uint8_t(*)[32])pk, 1, key);
	free(sealed);
	free(stmt);
	return 0;
}
