/* fuzz_plan - the route readers (DJI WPML KMZ, KML, GPX, GeoJSON, CSV). */
#include <stddef.h>
#include <stdint.h>

#include "dv/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_route *r = NULL;
	if (dv_route_parse(&r, data, size, "fuzz", DV_ROUTE_AUTO) == 0)
		dv_route_free(r);
	return 0;
}
