/* Fuzzes the rollback witness file of a station directory
 * (dv_witness_decode, src/vault/station.c): the bytes an insider with write
 * access to the directory controls. A decoded witness must re-encode to
 * the fields it was read from. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/util.h"
#include "vault/station_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t writes = 0;
	uint8_t head[32];
	char mac[65];
	if (dv_witness_decode(&writes, head, mac, data, size) != 0) return 0;
	if (size == 0 || size >= DV_WITNESS_MAX) abort();
	size_t ml = strlen(mac);
	if (ml != 0 && ml != 64) abort();
	/* what it decoded, written the way vault.c writes it, decodes the same */
	char h[65], text[512];
	dv_hex(h, head, 32);
	int n = snprintf(text, sizeof(text), "{\"writes\":%llu,\"vault_head\":\"%s\"}\n", (unsigned long long)writes, h);
	uint64_t w2;
	uint8_t h2[32];
	char m2[65];
	if (n <= 0 || dv_witness_decode(&w2, h2, m2, (const uint8_t *)text, (size_t)n) != 0 || w2 != writes ||
	    memcmp(h2, head, 32) || m2[0])
		abort();
	return 0;
}
