/* fuzz_audit_pkt - the link/IP/transport decoder on one frame, then the
 * tunnels inside it (audit/tunnel_int.h) down to the audit's depth bound.
 * The first byte picks the link type; the rest is the frame. */
#include <stddef.h>
#include <stdint.h>

#include "audit/pkt_int.h"
#include "audit/tunnel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const int lt[] = { 1, 12, 101, 228, 229, 113, 276, 0, 108, 105, 127 };
	if (n < 1) return 0;
	dv_pkt pk;
	int rc = dv_pkt_decode(lt[d[0] % (sizeof(lt) / sizeof(lt[0]))], d + 1, n - 1, "fuzz", &pk);
	for (int depth = 0; rc == 0; depth++) {
		if (pk.payload_cap) {
			volatile uint8_t x = pk.payload[pk.payload_cap - 1]; /* must be inside the input */
			(void)x;
		}
		(void)dv_vpn_detect(&pk);
		dv_tunnel t;
		if (depth >= DV_TUNNEL_MAX_DEPTH || dv_tunnel_find(&pk, &t) != 1) break;
		if (t.inner_cap) {
			volatile uint8_t y = t.inner[t.inner_cap - 1];
			(void)y;
		}
		rc = dv_pkt_decode(t.inner_link, t.inner, t.inner_cap, "fuzz", &pk);
	}
	return 0;
}
