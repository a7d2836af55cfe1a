/*
 * core/geojson_int.h - the one way a GeoJSON Feature is put together
 * (RFC 7946): {"type":"Feature","geometry":{"type":T,"coordinates":C},
 * "properties":P}. Every area that writes GeoJSON (serve's map layers,
 * OcuSync and Remote ID reports, geofence reports) builds its features
 * here; each keeps its own number formatting of the coordinates.
 */
#ifndef DV_CORE_GEOJSON_INT_H
#define DV_CORE_GEOJSON_INT_H

#include <json-c/json.h>

/* Takes coordinates and properties over (properties NULL: an empty object). */
json_object *dv_geojson_feature(const char *geometry_type, json_object *coordinates, json_object *properties);
/* [lon, lat] as plain doubles. */
json_object *dv_geojson_lonlat(double lon, double lat);

#endif
