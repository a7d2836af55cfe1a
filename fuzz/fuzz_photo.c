/* libFuzzer target: the JPEG/TIFF header walk with the EXIF (libexif) and
 * XMP (libxml2) glue behind it, and the photo's track point. */
#include <stddef.h>
#include <stdint.h>

#include "dv/inspect.h"
#include "telemetry/photo_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_photo p;
	dv_photo_parse_mem(&p, data, size, "fuzz.jpg");
	dv_track_point pt;
	dv_photo_point(&p, &pt);
	dv_photo_dispose(&p);
	return 0;
}
