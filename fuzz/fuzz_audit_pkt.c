/* fuzz_audit_pkt - the link/IP/transport decoder on one frame. The first
 * byte picks the link type; the rest is the frame. */
#include <stddef.h>
#include <stdint.h>

#include "audit/pkt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const int lt[] = { 1, 12, 101, 228, 229, 113, 276, 0, 108, 105, 127 };
	if (n < 1) return 0;
	dv_pkt pk;
	int rc = dv_pkt_decode(lt[d[0] % (sizeof(lt) / sizeof(lt[0]))], d + 1, n - 1, "fuzz", &pk);
	if (rc == 0 && pk.payload_cap) {
		volatile uint8_t x = pk.payload[pk.payload_cap - 1]; /* must be inside the input */
		(void)x;
	}
	return 0;
}
