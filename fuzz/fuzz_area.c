/* fuzz_area - the --area reader of exports and coverage (GeoJSON polygons through GEOS). */
#include <stddef.h>
#include <stdint.h>

#include "exports/exports_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GEOSContextHandle_t h = GEOS_init_r();
	if (!h) return 0;
	GEOSGeometry *g = NULL;
	if (dv_xarea_parse(&g, h, (const char *)data, size, "fuzz") == 0) {
		double a;
		GEOSArea_r(h, g, &a);
		GEOSGeom_destroy_r(h, g);
	}
	GEOS_finish_r(h);
	return 0;
}
