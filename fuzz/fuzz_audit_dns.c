/* fuzz_audit_dns - the DNS message parser. */
#include <stddef.h>
#include <stdint.h>

#include "audit/dns_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static dv_dns_msg m;
	(void)dv_dns_parse(d, n, &m);
	return 0;
}
