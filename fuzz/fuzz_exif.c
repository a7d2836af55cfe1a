/* libFuzzer target: the EXIF glue on a raw APP1 payload (with and without
 * the "Exif\0\0" header). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/exif_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_exif e;
	dv_exif_parse(&e, data, size, "fuzz.exif");
	if (size > 1 << 20) return 0;
	uint8_t *b = malloc(size + 6);
	if (!b) return 0;
	memcpy(b, "Exif\0\0", 6);
	memcpy(b + 6, data, size);
	dv_exif_parse(&e, b, size + 6, "fuzz.exif");
	free(b);
	return 0;
}
