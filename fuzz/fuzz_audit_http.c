/* fuzz_audit_http - the HTTP request parser. */
#include <stddef.h>
#include <stdint.h>

#include "audit/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	dv_http_req r;
	(void)dv_http_parse_request(d, n, &r);
	return 0;
}
