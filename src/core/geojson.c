/* core/geojson.c - GeoJSON features (core/geojson_int.h). */
#include "core/geojson_int.h"

json_object *dv_geojson_feature(const char *geometry_type, json_object *coordinates, json_object *properties)
{
	json_object *f = json_object_new_object(), *g = json_object_new_object();
	json_object_object_add(g, "type", json_object_new_string(geometry_type));
	json_object_object_add(g, "coordinates", coordinates);
	json_object_object_add(f, "type", json_object_new_string("Feature"));
	json_object_object_add(f, "geometry", g);
	json_object_object_add(f, "properties", properties ? properties : json_object_new_object());
	return f;
}

json_object *dv_geojson_lonlat(double lon, double lat)
{
	json_object *c = json_object_new_array();
	json_object_array_add(c, json_object_new_double(lon));
	json_object_array_add(c, json_object_new_double(lat));
	return c;
}
