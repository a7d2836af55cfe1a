/* libFuzzer target: the offline DJI flight record decoder (prefix,
 * details, XOR'd aux blocks, record walk with resynchronisation). */
#include <stddef.h>
#include <stdint.h>

#include "telemetry/flightrec_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int eat(const dv_flightrec_point *p, void *payload)
{
	volatile double sink = p->pt.lat + p->pt.height;
	(void)sink;
	(void)payload;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_flightrec f;
	dv_flightrec_parse_mem(&f, data, size, "fuzz.txt", eat, NULL);
	return 0;
}
