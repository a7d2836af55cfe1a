/* fuzz_audit_scan - the cleartext payload scanner. */
#include <stddef.h>
#include <stdint.h>

#include "audit/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	dv_scan_hit hits[16];
	(void)dv_scan_payload(d, n, hits, 16);
	return 0;
}
