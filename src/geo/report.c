/*
 * report.c - JSON and GeoJSON renderings of zone checks (json-c does the
 * escaping: identifiers and names come from hostile files).
 */
#include <geodesic.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/geojson_int.h"
#include "dv/geofence.h"
#include "dv/util.h"

static char *finish(json_object *root)
{
	if (!root) return NULL;
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = s ? strdup(s) : NULL;
	json_object_put(root);
	return out;
}

/* doubles with a sane number of digits (json-c prints 17 significant) */
static json_object *dbl(double v)
{
	char b[40];
	snprintf(b, sizeof(b), "%.10g", v);
	return json_object_new_double_s(v, b);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}


static json_object *limit_json(double v, dv_vref ref, bool low)
{
	if (low ? v <= DV_ALT_NONE_LOW : v >= DV_ALT_NONE_HIGH) return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "m", dbl(v));
	json_object_object_add(o, "ref", json_object_new_string(dv_vref_name(ref)));
	return o;
}

static const char *restriction_of(const dv_zone *z)
{
	return z->restriction ? z->restriction : "";
}

static json_object *event_json(const dv_zones *zs, const dv_fence_event *e)
{
	const dv_zone *z = &zs->zones[e->zone];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(e->kind == DV_FENCE_ENTRY ? "entry" : "exit"));
	if (e->time_ms != DV_GEO_TIME_NONE) {
		char t[40];
		dv_time_iso(t, sizeof(t), e->time_ms * 1000000);
		json_object_object_add(o, "time", json_object_new_string(t));
	} else {
		json_object_object_add(o, "time", NULL);
	}
	json_object_object_add(o, "lat", dbl(e->lat));
	json_object_object_add(o, "lon", dbl(e->lon));
	if (e->alt_ref != DV_VREF_NONE) {
		json_object_object_add(o, "alt_m", dbl(e->alt));
		json_object_object_add(o, "alt_ref", json_object_new_string(dv_vref_name(e->alt_ref)));
	}
	json_object_object_add(o, "segment", json_object_new_uint64(e->segment));
	json_object_object_add(o, "fraction", dbl(e->frac));
	json_object_object_add(o, "zone", json_object_new_string(z->identifier));
	json_object_object_add(o, "zone_name", str_or_null(z->name));
	json_object_object_add(o, "restriction", json_object_new_string(restriction_of(z)));
	json_object_object_add(o, "zone_lower", limit_json(z->lower_m, z->lower_ref, true));
	json_object_object_add(o, "zone_upper", limit_json(z->upper_m, z->upper_ref, false));
	json_object_object_add(o, "vertical", json_object_new_string(e->vertical == DV_FENCE_V_CHECKED ? "checked" : "horizontal-only"));
	json_object_object_add(o, "timing", json_object_new_string(e->timing == DV_FENCE_T_ACTIVE ? "active" : "unknown"));
	if (e->at_start) json_object_object_add(o, "at_start", json_object_new_boolean(1));
	return o;
}

char *dv_fence_report_json(const dv_zones *zs, const dv_route *r, const dv_fence_report *rep)
{
	json_object *root = json_object_new_object();
	json_object *zo = json_object_new_object();
	json_object_object_add(zo, "file", str_or_null(zs->source));
	json_object_object_add(zo, "count", json_object_new_uint64(zs->nzones));
	json_object_object_add(zo, "rejected", json_object_new_uint64(zs->nrejected));
	json_object_object_add(root, "zones", zo);
	json_object *ro = json_object_new_object();
	json_object_object_add(ro, "file", str_or_null(r->source));
	json_object_object_add(ro, "format", json_object_new_string(dv_route_format_name(r->format)));
	json_object_object_add(ro, "points", json_object_new_uint64(r->npts));
	json_object_object_add(root, "route", ro);
	json_object_object_add(root, "entries", json_object_new_uint64(rep->nentries));
	json_object_object_add(root, "zones_entered", json_object_new_uint64(rep->nzones_entered));
	json_object_object_add(root, "horizontal_only", json_object_new_boolean(rep->horizontal_only));
	json_object *ev = json_object_new_array();
	for (size_t i = 0; i < rep->nevents; i++) json_object_array_add(ev, event_json(zs, &rep->events[i]));
	json_object_object_add(root, "events", ev);
	return finish(root);
}

static json_object *pos(double lon, double lat)
{
	json_object *p = json_object_new_array();
	json_object_array_add(p, dbl(lon));
	json_object_array_add(p, dbl(lat));
	return p;
}

static json_object *zone_feature(const dv_zone *z)
{
	json_object *f = json_object_new_object(), *g = json_object_new_object(), *p = json_object_new_object();
	json_object *rings = json_object_new_array();
	json_object_object_add(f, "type", json_object_new_string("Feature"));
	json_object_object_add(g, "type", json_object_new_string("Polygon"));
	if (z->shape == DV_ZONE_CIRCLE) {
		struct geod_geodesic gd;
		geod_init(&gd, 6378137.0, 1 / 298.257223563);
		json_object *ring = json_object_new_array();
		for (int i = 0; i <= 72; i++) {
			double la, lo;
			geod_direct(&gd, z->lat, z->lon, (i % 72) * 5.0, z->radius_m, &la, &lo, NULL);
			json_object_array_add(ring, pos(lo, la));
		}
		json_object_array_add(rings, ring);
		json_object_object_add(p, "circle_center", pos(z->lon, z->lat));
		json_object_object_add(p, "circle_radius_m", dbl(z->radius_m));
	} else {
		for (size_t k = 0; k < z->nrings; k++) {
			json_object *ring = json_object_new_array();
			for (size_t i = 0; i < z->ring_len[k]; i++)
				json_object_array_add(ring, pos(z->rings[k][2 * i], z->rings[k][2 * i + 1]));
			json_object_array_add(rings, ring);
		}
	}
	json_object_object_add(g, "coordinates", rings);
	json_object_object_add(f, "geometry", g);
	json_object_object_add(p, "kind", json_object_new_string("zone"));
	json_object_object_add(p, "identifier", json_object_new_string(z->identifier));
	json_object_object_add(p, "name", str_or_null(z->name));
	json_object_object_add(p, "restriction", json_object_new_string(restriction_of(z)));
	json_object_object_add(p, "lower", limit_json(z->lower_m, z->lower_ref, true));
	json_object_object_add(p, "upper", limit_json(z->upper_m, z->upper_ref, false));
	json_object_object_add(f, "properties", p);
	return f;
}

char *dv_fence_geojson(const dv_zones *zs, const dv_route *r, const dv_fence_report *rep)
{
	json_object *root = json_object_new_object(), *fs = json_object_new_array();
	json_object_object_add(root, "type", json_object_new_string("FeatureCollection"));
	/* zones entered, once each */
	unsigned char *seen = calloc(zs->nzones ? zs->nzones : 1, 1);
	if (!seen) { json_object_put(root); json_object_put(fs); return NULL; }
	for (size_t i = 0; i < rep->nevents; i++) {
		size_t z = rep->events[i].zone;
		if (seen[z]) continue;
		seen[z] = 1;
		json_object_array_add(fs, zone_feature(&zs->zones[z]));
	}
	free(seen);
	/* the route */
	json_object *f = json_object_new_object(), *g = json_object_new_object(), *p = json_object_new_object();
	json_object *line = json_object_new_array();
	for (size_t i = 0; i < r->npts; i++) json_object_array_add(line, pos(r->pts[i].lon, r->pts[i].lat));
	json_object_object_add(f, "type", json_object_new_string("Feature"));
	json_object_object_add(g, "type", json_object_new_string(r->npts > 1 ? "LineString" : "MultiPoint"));
	json_object_object_add(g, "coordinates", line);
	json_object_object_add(f, "geometry", g);
	json_object_object_add(p, "kind", json_object_new_string("route"));
	json_object_object_add(p, "file", str_or_null(r->source));
	json_object_object_add(p, "format", json_object_new_string(dv_route_format_name(r->format)));
	json_object_object_add(f, "properties", p);
	json_object_array_add(fs, f);
	/* events */
	for (size_t i = 0; i < rep->nevents; i++) {
		const dv_fence_event *e = &rep->events[i];
		json_object_array_add(fs, dv_geojson_feature("Point", pos(e->lon, e->lat), event_json(zs, e)));
	}
	json_object_object_add(root, "features", fs);
	return finish(root);
}

char *dv_zones_issues_json(const dv_zones *zs)
{
	static const char *fmts[] = { "", "ED-269", "ED-318", "GeoJSON" };
	json_object *root = json_object_new_object();
	size_t ne = dv_zones_nerrors(zs);
	json_object_object_add(root, "file", str_or_null(zs->source));
	json_object_object_add(root, "format", json_object_new_string(zs->format <= 3 ? fmts[zs->format] : ""));
	json_object_object_add(root, "features", json_object_new_uint64(zs->nfeatures));
	json_object_object_add(root, "zones", json_object_new_uint64(zs->nzones));
	json_object_object_add(root, "rejected", json_object_new_uint64(zs->nrejected));
	json_object_object_add(root, "repaired", json_object_new_uint64(zs->nrepaired));
	json_object_object_add(root, "errors", json_object_new_uint64(ne));
	json_object_object_add(root, "warnings", json_object_new_uint64(zs->nissues - ne));
	json_object_object_add(root, "issues_not_listed", json_object_new_uint64(zs->nissues_dropped));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < zs->nissues; i++) {
		const dv_zone_issue *is = &zs->issues[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "severity", json_object_new_string(is->severity == DV_ZONE_ERROR ? "error" : "warning"));
		json_object_object_add(o, "feature", json_object_new_string(is->feature));
		json_object_object_add(o, "path", json_object_new_string(is->path));
		json_object_object_add(o, "message", json_object_new_string(is->message));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "issues", arr);
	return finish(root);
}
