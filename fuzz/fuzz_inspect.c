/* libFuzzer target: the whole inspect layer over a buffer (kind detection,
 * every parser, the JSON built from what they found). The first byte picks
 * the file name, so every kind is reached even without a magic number. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dv/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "x.JPG", "x.SRT", "x.MP4", "DJIFlightRecord_x.txt", "x.dng", "x.bin" };
	if (size < 1) return 0;
	char *json = NULL;
	dv_inspect_json_mem(&json, data + 1, size - 1, names[data[0] % 6], DV_INSPECT_POINTS);
	free(json);
	return 0;
}
