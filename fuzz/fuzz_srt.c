/* libFuzzer target: the streaming SRT parser, fed in two uneven chunks
 * (so chunk boundaries are fuzzed too) and every cue consumed. */
#include <stddef.h>
#include <stdint.h>

#include "telemetry/srt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int eat(const dv_srt_cue *c, void *payload)
{
	volatile double sink = c->pt.lat + c->pt.lon + c->pt.alt;
	(void)sink;
	(void)payload;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_srt_parser *p;
	if (dv_srt_new(&p, "fuzz.SRT") < 0) return 0;
	size_t cut = size ? data[0] % (size + 1) : 0;
	dv_srt_feed(p, data, cut, eat, NULL);
	dv_srt_feed(p, data + cut, size - cut, eat, NULL);
	dv_srt_finish(p, eat, NULL);
	dv_srt_free(p);
	return 0;
}
