/*
 * dv/geo_track.h - flights into the geofence: turns telemetry track points
 * (dv/telemetry.h) into a dv_route for dv_geofence_check.
 *
 *     dv_route *r;
 *     size_t nlocal;
 *     dv_route_from_track(&r, pts, n, "flight 12", &nlocal);
 *     dv_geofence_check(gf, r, NULL, &rep);
 *
 * Points without a fix are left out. Times: UTC instants are kept; local
 * wall-clock times (zone unknown) are not instants, so they are dropped
 * and counted in *nlocal: time-limited zones are then reported as
 * "time unknown" rather than judged on a guessed zone. Altitude: the
 * drone's absolute altitude is taken as AMSL; without it the height above
 * take-off (DV_VREF_TAKEOFF, never compared with zone limits).
 */
#ifndef DV_GEO_TRACK_H
#define DV_GEO_TRACK_H

#include <stddef.h>

#include "dv/plan.h"
#include "dv/telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

int dv_route_from_track(dv_route **out, const dv_track_point *pts, size_t n, const char *name,
                        size_t *nlocal);

#ifdef __cplusplus
}
#endif
#endif
