/* libFuzzer target: the MP4/MOV container glue (libavformat's mov demuxer
 * through our memory I/O; header only, nothing decoded). */
#include <stddef.h>
#include <stdint.h>

#include "telemetry/video_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_video v;
	dv_video_parse_mem(&v, data, size, "fuzz.mp4");
	return 0;
}
