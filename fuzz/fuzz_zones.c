/* fuzz_zones - the zone reader (ED-269, ED-318, GeoJSON) and the index built on it. */
#include <stddef.h>
#include <stdint.h>

#include "dv/geofence.h"
#include "dv/zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_zones *zs = NULL;
	if (dv_zones_parse(&zs, data, size, "fuzz", size & 1 ? DV_ZONES_REPAIR : 0) == 0) {
		dv_geofence *gf = NULL;
		if (dv_geofence_new(&gf, zs) == 0) {
			for (size_t i = 0; i < zs->nzones && i < 8; i++) {
				const dv_zone *z = &zs->zones[i];
				double x = (z->min_lon + z->max_lon) / 2, y = (z->min_lat + z->max_lat) / 2;
				dv_geofence_point(gf, x, y, NULL, NULL);
				dv_zone_active(z, 1700000000);
			}
			dv_geofence_free(gf);
		}
		dv_zones_free(zs);
	}
	return 0;
}
