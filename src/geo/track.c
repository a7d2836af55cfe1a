/*
 * track.c - telemetry track points to a geofence route (see dv/geo_track.h).
 * Only the dv_track_point struct is used: no link dependency on telemetry.
 */
#include "dv/geo_track.h"

#include <math.h>
#include <stdlib.h>

#include "dv/err.h"

int dv_route_from_track(dv_route **out, const dv_track_point *pts, size_t n, const char *name,
                        size_t *nlocal)
{
	*out = NULL;
	if (nlocal) *nlocal = 0;
	if (n > DV_ROUTE_MAX_POINTS)
		return dv_error_set(DV_ENOMEM, name, -1, "more than %u track points", DV_ROUTE_MAX_POINTS);
	dv_route_point *rp = malloc((n ? n : 1) * sizeof(*rp));
	if (!rp) return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const dv_track_point *t = &pts[i];
		if (!t->has_pos) continue;
		dv_route_point *p = &rp[m++];
		p->lon = t->lon;
		p->lat = t->lat;
		p->time_ms = DV_GEO_TIME_NONE;
		p->speed = 0;
		if (t->time_kind == DV_TIME_UTC) {
			int64_t us = t->time_us;
			p->time_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
		} else if (t->time_kind == DV_TIME_LOCAL && nlocal) {
			(*nlocal)++;
		}
		if (isfinite(t->alt)) { p->alt = t->alt; p->ref = DV_VREF_AMSL; }
		else if (isfinite(t->height)) { p->alt = t->height; p->ref = DV_VREF_TAKEOFF; }
		else { p->alt = 0; p->ref = DV_VREF_NONE; }
	}
	int rc = m ? dv_route_from_points(out, rp, m, name)
	           : dv_error_set(DV_EINVAL, name, -1, "track has no position fixes");
	free(rp);
	return rc;
}
