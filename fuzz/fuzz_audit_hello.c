/* fuzz_audit_hello - TLS ClientHello (records and bare handshake), QUIC
 * Initial (header, decryption, CRYPTO reassembly) and gQUIC CHLO. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "audit/tls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	dv_hello h;
	(void)dv_tls_parse_records(d, n, &h);
	(void)dv_tls_parse_client_hello(d, n, &h);
	(void)dv_gquic_parse_chlo(d, n, &h);
	dv_quic_state *st = calloc(1, sizeof(*st));
	if (!st) return 0;
	if (dv_quic_add_datagram(st, d, n) >= 0)
		(void)dv_quic_hello(st, &h);
	free(st);
	return 0;
}
