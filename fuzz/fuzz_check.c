/*
 * fuzz_check - zones and a route from one input, then the whole check:
 * the bytes before the first NUL are a zone file, the rest a route (any
 * format). Exercises the walk (intervals, vertical, time) and the JSON
 * and GeoJSON renderings on whatever the readers let through.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dv/geofence.h"
#include "dv/plan.h"
#include "dv/zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	if (!nul) return 0;
	size_t zl = (size_t)(nul - data);
	dv_zones *zs = NULL;
	dv_route *r = NULL;
	dv_geofence *gf = NULL;
	dv_fence_report *rep = NULL;
	if (dv_zones_parse(&zs, data, zl, "fuzz-zones", 0) < 0) goto out;
	if (dv_route_parse(&r, nul + 1, size - zl - 1, "fuzz-route", DV_ROUTE_AUTO) < 0) goto out;
	if (r->npts > 2000) goto out; /* keep each run short */
	if (dv_geofence_new(&gf, zs) < 0) goto out;
	dv_fence_opts o = { (size & 2) ? 1795435200 : DV_GEO_TIME_NONE };
	if (dv_geofence_check(gf, r, &o, &rep) == 0) {
		free(dv_fence_report_json(zs, r, rep));
		free(dv_fence_geojson(zs, r, rep));
	}
	free(dv_zones_issues_json(zs));
out:
	dv_fence_report_free(rep);
	dv_geofence_free(gf);
	dv_route_free(r);
	dv_zones_free(zs);
	return 0;
}
