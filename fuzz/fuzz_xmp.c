/* libFuzzer target: the DJI XMP reader (libxml2 in recover mode). */
#include <stddef.h>
#include <stdint.h>

#include "telemetry/xmp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_xmp x;
	dv_xmp_parse(&x, data, size, "fuzz.xmp");
	dv_xmp_dispose(&x);
	return 0;
}
