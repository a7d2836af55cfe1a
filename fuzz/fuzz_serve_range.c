/* fuzz_serve_range - the HTTP Range parser: the first 8 bytes are the
 * representation's size, the rest the header value; an accepted range
 * must lie inside the representation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n < 8) return 0;
	uint64_t size;
	memcpy(&size, d, 8);
	size >>= (d[0] & 63); /* small sizes too */
	uint64_t a, b;
	dv_range_result r = dv_range_parse(&a, &b, (const char *)d + 8, n - 8, size);
	if (r == DV_RANGE_ONE && !(a <= b && b < size)) abort();
	if (r != DV_RANGE_ONE && r != DV_RANGE_NONE && r != DV_RANGE_UNSATISFIABLE) abort();
	return 0;
}
