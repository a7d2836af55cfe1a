/*
 * dronevault zones - validate zone files; check plans and tracks against them.
 * A thin layer over dv/zones.h, dv/plan.h and dv/geofence.h.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/catalog.h"
#include "dv/crypto.h"
#include "dv/dem.h"
#include "dv/err.h"
#include "dv/geo_track.h"
#include "dv/geofence.h"
#include "dv/index.h"
#include "dv/plan.h"
#include "dv/util.h"
#include "dv/vault.h"
#include "dv/zones.h"
#include "dv/reader.h"

#include <errno.h>
#include <math.h>
#include <unistd.h>

#define ZONES_MAP_MAX_FEATURES 4096   /* zones entered and entry/exit points kept per flight */
#define ZONES_MAP_MAX_BYTES (8u << 20)  /* the map record of one check */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault zones validate [--json] [--repair] FILE\n"
	        "       dronevault zones check --zones FILE (--plan FILE | --track FILE |\n"
	        "                              --flight ID | --case ID [--operator NAME])\n"
	        "                              [--at TIME [--speed M/S]] [--dem FILE] [--repair]\n"
	        "                              [--json] [--geojson OUT]\n"
	        "\n"
	        "Sensitive zones, checked offline against mission plans (before) and\n"
	        "flight tracks (after).\n"
	        "\n"
	        "Zone files: EUROCAE ED-269 JSON (UASZoneList or features with\n"
	        "geometry[].horizontalProjection, Polygon or Circle), ED-318 (GeoJSON with\n"
	        "geometry.layer) and plain GeoJSON with the same properties. Circles are\n"
	        "exact geodesic distances on WGS84. Zones across the antimeridian or near\n"
	        "a pole are rejected.\n"
	        "\n"
	        "validate   reads FILE and names every problem with its zone and JSON path.\n"
	        "           Features with errors are left out of checks. Exit 4 when any\n"
	        "           error was found, 0 when only warnings (or none).\n"
	        "           --repair   repair self-intersecting polygons (GEOS MakeValid)\n"
	        "                      instead of rejecting them\n"
	        "\n"
	        "check      lists every entry into and exit from a zone along the route,\n"
	        "           segment by segment (a leg that cuts a zone between two waypoints\n"
	        "           outside it counts), with altitude and time applicability.\n"
	        "           --plan FILE   DJI Pilot 2 waypoint mission (.kmz with\n"
	        "                         wpmz/waylines.wpml or template.kml), KML/KMZ,\n"
	        "                         GeoJSON route, or CSV (lat,lon[,alt][,time][,ref])\n"
	        "           --track FILE  a flown track: GPX, GeoJSON (properties.times),\n"
	        "                         KML gx:Track, or CSV with a time column\n"
	        "           --flight ID   a flight in the vault (see 'dronevault flights'):\n"
	        "                         its track from the stored photos, SRTs and logs\n"
	        "           --case ID     every flight of a case. With --flight or --case the\n"
	        "                         result is recorded in the case's custody log\n"
	        "                         (--operator NAME, default $USER; --vault DIR,\n"
	        "                         --key-file FILE as for the other commands)\n"
	        "           --at TIME     when a plan will be flown (ISO 8601, e.g.\n"
	        "                         2026-11-23T09:00:00Z): each waypoint gets the\n"
	        "                         time the mission's planned speeds (DJI WPML) or\n"
	        "                         --speed give it, else the whole plan is taken at\n"
	        "                         TIME; without --at, time-limited zones are\n"
	        "                         reported as 'time unknown'\n"
	        "           --speed M/S   planned ground speed for plans without speeds\n"
	        "           --dem FILE    ground elevation (GeoTIFF, SRTM .hgt, ... any GDAL\n"
	        "                         raster, metres AMSL) to compare AGL limits\n"
	        "           --json        machine-readable output\n"
	        "           --geojson OUT write the zones entered, the route and the\n"
	        "                         entry/exit points as GeoJSON for a map\n"
	        "\n"
	        "Altitudes are compared only when the route's reference (AMSL, WGS84, AGL)\n"
	        "is the one the zone limit names, or can be converted with --dem (AMSL <->\n"
	        "AGL; heights above take-off from the ground at the first point). WGS84\n"
	        "ellipsoid heights are converted with the EGM96 geoid (proj-data).\n"
	        "Otherwise the check is horizontal only and the output says so.\n"
	        "\n"
	        "With --flight or --case the check is recorded in the case's custody log,\n"
	        "so it needs the vault to itself: --wait[=SECONDS] waits for another\n"
	        "writer (an ingest) instead of failing at once.\n"
	        "\n"
	        "Exit codes: 0 no zone entered, 4 a zone is entered (or, for validate,\n"
	        "errors found), 1 unreadable input, 2 usage,\n"
	        CLI_BUSY_HELP);
}

static int write_text(const char *path, const char *text)
{
	return dv_write_file_atomic(path, text, strlen(text), 0644);
}

static int do_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	bool json = false;
	unsigned flags = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'r': flags |= DV_ZONES_REPAIR; break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_usage("zones", "bad option");
		}
	}
	if (optind != argc - 1) return cli_usage("zones", "validate needs exactly one FILE");
	dv_zones *zs = NULL;
	if (dv_zones_read(&zs, argv[optind], flags) < 0) return cli_fail("zones");
	size_t ne = dv_zones_nerrors(zs);
	if (json) {
		char *s = dv_zones_issues_json(zs);
		if (!s) { dv_zones_free(zs); fprintf(stderr, "dronevault zones: out of memory\n"); return CLI_FAIL; }
		printf("%s\n", s);
		free(s);
	} else {
		static const char *fmts[] = { "?", "ED-269", "ED-318", "GeoJSON" };
		for (size_t i = 0; i < zs->nissues; i++) {
			const dv_zone_issue *is = &zs->issues[i];
			printf("%-7s %s %s: %s\n", is->severity == DV_ZONE_ERROR ? "error" : "warning",
			       is->feature, is->path, is->message);
		}
		if (zs->nissues_dropped) printf("... and %zu more problems not listed\n", zs->nissues_dropped);
		printf("%s: %s, %zu features, %zu zones usable, %zu rejected, %zu repaired, %zu errors, %zu warnings\n",
		       zs->source, zs->format <= 3 ? fmts[zs->format] : "?", zs->nfeatures, zs->nzones,
		       zs->nrejected, zs->nrepaired, ne, zs->nissues - ne);
	}
	dv_zones_free(zs);
	return ne ? CLI_FINDING : CLI_OK;
}

static void print_table(const dv_zones *zs, const dv_route *r, const dv_fence_report *rep)
{
	static const char *fmts[] = { "?", "ED-269", "ED-318", "GeoJSON" };
	printf("zones: %s (%s, %zu zones%s)\n", zs->source, zs->format <= 3 ? fmts[zs->format] : "?", zs->nzones,
	       zs->nrejected ? ", some features rejected: run 'zones validate'" : "");
	printf("route: %s (%s, %zu points)\n\n", r->source, dv_route_format_name(r->format), r->npts);
	if (rep->nevents == 0) {
		printf("no zone entered\n");
		return;
	}
	printf("%-5s %-24s %-11s %-12s %-15s %-16s %-18s %s\n", "EVENT", "TIME", "LAT", "LON", "ALT", "ZONE",
	       "RESTRICTION", "NOTE");
	for (size_t i = 0; i < rep->nevents; i++) {
		const dv_fence_event *e = &rep->events[i];
		const dv_zone *z = &zs->zones[e->zone];
		char t[40] = "-", alt[32] = "-", note[96] = "";
		if (e->time_ms != DV_GEO_TIME_NONE) dv_time_iso(t, sizeof(t), e->time_ms * 1000000);
		else snprintf(t, sizeof(t), "leg %zu at %.0f%%", e->segment + 1, e->frac * 100);
		if (e->alt_ref != DV_VREF_NONE) snprintf(alt, sizeof(alt), "%.1f %s", e->alt, dv_vref_name(e->alt_ref));
		size_t n = 0;
		if (e->at_start) n += (size_t)snprintf(note + n, sizeof(note) - n, "starts inside; ");
		if (e->vertical == DV_FENCE_V_UNCHECKED && n < sizeof(note)) n += (size_t)snprintf(note + n, sizeof(note) - n, "horizontal only; ");
		if (e->timing == DV_FENCE_T_UNKNOWN && n < sizeof(note)) n += (size_t)snprintf(note + n, sizeof(note) - n, "time unknown; ");
		if (n >= 2 && n < sizeof(note)) note[n - 2] = 0;
		printf("%-5s %-24s %-11.7f %-12.7f %-15s %-16.40s %-18.30s %s\n", e->kind == DV_FENCE_ENTRY ? "entry" : "exit",
		       t, e->lat, e->lon, alt, z->identifier, z->restriction ? z->restriction : "", note);
	}
	printf("\n%zu zone(s) entered, %zu entries\n", rep->nzones_entered, rep->nentries);
	if (rep->horizontal_only)
		printf("note: some checks are horizontal only: the route's altitude reference differs from the\n"
		       "      zone's and cannot be converted (AGL limits need --dem); the altitude was not compared\n");
}

/* Appends flight flight_id's check (its track pts, from the vault) to the
 * custody detail and prints it. */
static int check_one_flight(const dv_track_point *pts, size_t n, const char *serial, const dv_zones *zs,
                            dv_geofence *gf, const char *flight_id, bool json, json_object *flights, size_t *entries)
{
	size_t nlocal = 0;
	dv_route *r = NULL;
	dv_fence_report *rep = NULL;
	int rc = dv_route_from_track(&r, pts, n, flight_id, &nlocal);
	if (rc == 0) rc = dv_geofence_check(gf, r, NULL, &rep);
	if (rc < 0) {
		dv_route_free(r);
		return rc;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "flight", json_object_new_string(flight_id));
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)rep->nentries));
	json_object_object_add(o, "zones_entered", json_object_new_int64((int64_t)rep->nzones_entered));
	json_object *ids = json_object_new_array();
	for (size_t i = 0; i < rep->nevents && json_object_array_length(ids) < 64; i++)
		if (rep->events[i].kind == DV_FENCE_ENTRY)
			json_object_array_add(ids, json_object_new_string(zs->zones[rep->events[i].zone].identifier));
	json_object_object_add(o, "zone_ids", ids);
	if (nlocal) json_object_object_add(o, "points_with_local_time", json_object_new_int64((int64_t)nlocal));
	{
		/* for the map of dronevault serve: the zones entered and the entry/exit
		 * points (the route is the vault's own track: left out) */
		char *gj = dv_fence_geojson(zs, r, rep);
		json_object *g = gj ? json_tokener_parse(gj) : NULL, *feats, *keep = json_object_new_array();
		free(gj);
		if (g && json_object_object_get_ex(g, "features", &feats) && json_object_is_type(feats, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(feats) && i < ZONES_MAP_MAX_FEATURES; i++) {
				json_object *ft = json_object_array_get_idx(feats, i), *pr, *k;
				if (json_object_object_get_ex(ft, "properties", &pr) && json_object_object_get_ex(pr, "kind", &k) &&
				    !strcmp(json_object_get_string(k), "route"))
					continue;
				json_object_array_add(keep, json_object_get(ft));
			}
		}
		json_object_put(g);
		json_object_object_add(o, "map", keep);
	}
	if (json) {
		char *js = dv_fence_report_json(zs, r, rep);
		json_object *full = js ? json_tokener_parse(js) : NULL;
		free(js);
		if (full) json_object_object_add(o, "report", full);
	} else {
		printf("== flight %s", flight_id);
		if (serial[0]) printf(" (aircraft %s)", serial);
		printf("\n");
		if (nlocal)
			printf("note: %zu track points carry the drone's local time (no zone): time-limited zones are 'time unknown'\n",
			       nlocal);
		print_table(zs, r, rep);
		printf("\n");
	}
	json_object_array_add(flights, o);
	*entries += rep->nentries;
	dv_fence_report_free(rep);
	dv_route_free(r);
	return 0;
}

/* --wait[=SECONDS] for check --flight/--case (a writer: the custody log) */
static double zones_wait;
/* in the reader: the tracks are a case's (not one --flight's) */
static bool zones_case_mode;

/* ---- --flight / --case: the tracks from the vault (this process), the
 * zones, DEM and the check in the reader, the result into the custody log
 * (this process). Two questions: the tracks, then the result. ---- */
#define ZONES_FLIGHTS_MAX 10000

static json_object *num_or_null(double v)
{
	return isnan(v) ? NULL : json_object_new_double(v);
}

/* A track for the reader: [time_us, time_kind, media_ms, has_pos, lat, lon, alt|null, height|null] */
static json_object *points_json(const dv_track_point *p, size_t n)
{
	json_object *a = json_object_new_array_ext((int)(n < 1000000 ? n : 1000000));
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_new_array_ext(8);
		json_object_array_add(t, json_object_new_int64(p[i].time_us));
		json_object_array_add(t, json_object_new_int((int)p[i].time_kind));
		json_object_array_add(t, json_object_new_int64(p[i].media_ms));
		json_object_array_add(t, json_object_new_boolean(p[i].has_pos));
		json_object_array_add(t, json_object_new_double(p[i].lat));
		json_object_array_add(t, json_object_new_double(p[i].lon));
		json_object_array_add(t, num_or_null(p[i].alt));
		json_object_array_add(t, num_or_null(p[i].height));
		json_object_array_add(a, t);
	}
	return a;
}

static double num_at(json_object *t, size_t i)
{
	json_object *v = json_object_array_get_idx(t, i);
	return v ? json_object_get_double(v) : NAN;
}

/* In the reader: the parent's track back into points (*out malloc'd). */
static int points_from_json(json_object *a, dv_track_point **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!json_object_is_type(a, json_type_array)) return dv_error_set(DV_ECORRUPT, "parent", -1, "no track");
	size_t k = json_object_array_length(a);
	dv_track_point *p = calloc(k ? k : 1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < k; i++) {
		json_object *t = json_object_array_get_idx(a, i);
		if (!json_object_is_type(t, json_type_array) || json_object_array_length(t) != 8) {
			free(p);
			return dv_error_set(DV_ECORRUPT, "parent", (int64_t)i, "bad track point");
		}
		p[i].time_us = json_object_get_int64(json_object_array_get_idx(t, 0));
		p[i].time_kind = (dv_time_kind)json_object_get_int(json_object_array_get_idx(t, 1));
		p[i].media_ms = json_object_get_int64(json_object_array_get_idx(t, 2));
		p[i].has_pos = json_object_get_boolean(json_object_array_get_idx(t, 3));
		p[i].lat = num_at(t, 4);
		p[i].lon = num_at(t, 5);
		p[i].alt = num_at(t, 6);
		p[i].height = num_at(t, 7);
	}
	*out = p;
	*n = k;
	return 0;
}

typedef struct zones_local {
	const char *zfile, *case_name, *flight, *operator_name, *vault, *key_file, *geojson;
	dv_vault *v;
	char case_buf[DV_NAME_MAX];
	json_object *ids;        /* the flights handed out */
} zones_local;

/* Question 1: the tracks. */
static int zones_tracks(zones_local *l, json_object *answer)
{
	char holder[300];
	snprintf(holder, sizeof(holder), "zones check by %s",
	         cli_operator(l->operator_name, "someone"));
	int rc = cli_open_vault_writer("zones", l->vault, l->key_file, holder, zones_wait, &l->v);
	if (rc) return rc;
	json_object *fls = json_object_new_array();
	json_object_object_add(answer, "flights", fls);
	l->ids = json_object_new_array();
	int lrc = 0;
	dv_flight *fl = NULL;
	size_t nf = 0;
	if (l->flight) {
		dv_track_point *pts = NULL;
		size_t n = 0;
		dv_flight f;
		dv_case c;
		if ((lrc = dv_index_track(&pts, &n, &f, l->v, l->flight, 0)) == 0 &&
		    (lrc = dv_catalog_case_get(&c, dv_vault_catalog(l->v), f.case_id)) == 0)
			snprintf(l->case_buf, sizeof(l->case_buf), "%s", c.name);
		if (lrc == 0) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(l->flight));
			json_object_object_add(o, "serial", json_object_new_string(f.serial));
			json_object_object_add(o, "points", points_json(pts, n));
			json_object_array_add(fls, o);
			json_object_array_add(l->ids, json_object_new_string(l->flight));
		}
		free(pts);
	} else {
		snprintf(l->case_buf, sizeof(l->case_buf), "%s", l->case_name);
		lrc = dv_index_flights(&fl, &nf, l->v, l->case_name, 0);
		for (size_t i = 0; lrc == 0 && i < nf && i < ZONES_FLIGHTS_MAX; i++) {
			dv_track_point *pts = NULL;
			size_t n = 0;
			dv_flight f;
			if ((lrc = dv_index_track(&pts, &n, &f, l->v, fl[i].id, 0)) < 0) break;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(fl[i].id));
			json_object_object_add(o, "serial", json_object_new_string(f.serial));
			json_object_object_add(o, "points", points_json(pts, n));
			json_object_array_add(fls, o);
			json_object_array_add(l->ids, json_object_new_string(fl[i].id));
			free(pts);
		}
		dv_index_flights_free(fl, nf);
	}
	if (lrc < 0) return cli_fail("zones");
	json_object_object_add(answer, "case", json_object_new_string(l->case_buf));
	return CLI_OK;
}

/* Question 2: the result, re-checked (flights handed out, in order, counts
 * of the right types), into the custody log. */
static int zones_record(zones_local *l, json_object *q, json_object *answer)
{
	json_object *fl;
	if (!l->v || !json_object_object_get_ex(q, "flights", &fl) || !json_object_is_type(fl, json_type_array) ||
	    json_object_array_length(fl) != json_object_array_length(l->ids))
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the zones result is malformed");
	json_object *flights = json_object_new_array(), *maps = json_object_new_array();
	uint64_t entries = 0;
	for (size_t i = 0; i < json_object_array_length(fl); i++) {
		json_object *o = json_object_array_get_idx(fl, i), *id, *en, *ze, *zi, *pl = NULL, *r = NULL;
		bool okf = json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "flight", &id) &&
		           !strcmp(json_object_get_string(id), json_object_get_string(json_object_array_get_idx(l->ids, i))) &&
		           json_object_object_get_ex(o, "entries", &en) && json_object_is_type(en, json_type_int) &&
		           json_object_get_int64(en) >= 0 && json_object_object_get_ex(o, "zones_entered", &ze) &&
		           json_object_is_type(ze, json_type_int) && json_object_get_int64(ze) >= 0 &&
		           json_object_object_get_ex(o, "zone_ids", &zi) && json_object_is_type(zi, json_type_array) &&
		           json_object_array_length(zi) <= 64;
		for (size_t k = 0; okf && k < json_object_array_length(zi); k++) {
			json_object *z = json_object_array_get_idx(zi, k);
			okf = json_object_is_type(z, json_type_string) && json_object_get_string_len(z) <= 1024;
		}
		if (okf && json_object_object_get_ex(o, "points_with_local_time", &pl))
			okf = json_object_is_type(pl, json_type_int) && json_object_get_int64(pl) > 0;
		if (okf && json_object_object_get_ex(o, "report", &r)) okf = json_object_is_type(r, json_type_object);
		json_object *mp = NULL;
		if (okf && json_object_object_get_ex(o, "map", &mp))
			okf = json_object_is_type(mp, json_type_array) && json_object_array_length(mp) <= ZONES_MAP_MAX_FEATURES;
		if (!okf) {
			json_object_put(flights);
			json_object_put(maps);
			return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the zones result of flight %zu is malformed", i);
		}
		json_object *c = json_object_new_object(), *ca = json_object_new_array();
		json_object_object_add(c, "flight", json_object_new_string(json_object_get_string(id)));
		json_object_object_add(c, "entries", json_object_new_int64(json_object_get_int64(en)));
		json_object_object_add(c, "zones_entered", json_object_new_int64(json_object_get_int64(ze)));
		for (size_t k = 0; k < json_object_array_length(zi); k++)
			json_object_array_add(ca, json_object_new_string(json_object_get_string(json_object_array_get_idx(zi, k))));
		json_object_object_add(c, "zone_ids", ca);
		if (pl) json_object_object_add(c, "points_with_local_time", json_object_new_int64(json_object_get_int64(pl)));
		if (r) json_object_object_add(c, "report", json_object_get(r));
		json_object_array_add(flights, c);
		if (mp) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "flight", json_object_new_string(json_object_get_string(id)));
			json_object_object_add(m, "features", json_object_get(mp));
			json_object_array_add(maps, m);
		}
		entries += (uint64_t)json_object_get_int64(en);
	}
	uint64_t seq = 0;
	const char *who = cli_operator(l->operator_name, "");
	int rc = dv_vault_record_zones_check(&seq, l->v, l->case_buf, who, l->zfile, entries, flights) < 0 ? cli_fail("zones") : CLI_OK;
	json_object_put(flights);
	if (rc == CLI_OK) {
		/* the map layer of the check (dronevault serve), keyed by its custody
		 * entry; derived data like the telemetry rows, not evidence: a failure
		 * here leaves the recorded check as it is */
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "case", json_object_new_string(l->case_buf));
		json_object_object_add(doc, "custody_entry", json_object_new_int64((int64_t)seq));
		json_object_object_add(doc, "flights", maps);
		maps = NULL;
		size_t dn;
		const char *ds = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &dn);
		if (ds && dn <= ZONES_MAP_MAX_BYTES &&
		    dv_catalog_side_put(dv_vault_catalog(l->v), DV_ZONES_MAP_TABLE, (int64_t)seq, ds, dn) < 0)
			fprintf(stderr, "zones: the map of the check was not kept: %s\n", dv_error_text());
		json_object_put(doc);
	}
	json_object_put(maps);
	if (rc == CLI_OK) json_object_object_add(answer, "custody_entry", json_object_new_int64((int64_t)seq));
	return rc;
}

static int zones_ask(void *ctx, const char *question, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)len;
	zones_local *l = ctx;
	json_object *q = json_tokener_parse(question), *x;
	if (!q || !json_object_is_type(q, json_type_object)) {
		json_object_put(q);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the zones question is not a JSON object");
	}
	json_object *answer = json_object_new_object();
	int rc = CLI_OK;
	if (json_object_object_get_ex(q, "geojson", &x)) {
		if (l->geojson && dv_write_file_atomic(l->geojson, outs[0].data ? (const void *)outs[0].data : "", outs[0].len, 0644) < 0)
			rc = cli_fail("zones");
	} else if (json_object_object_get_ex(q, "tracks", &x) && (l->case_name || l->flight) && !l->ids) {
		rc = zones_tracks(l, answer);
	} else if (json_object_object_get_ex(q, "flights", &x) && l->ids) {
		rc = zones_record(l, q, answer);
	} else {
		rc = dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: a zones question out of turn");
	}
	json_object_put(q);
	if (rc < 0) {
		json_object_put(answer);
		return rc;
	}
	json_object_object_add(answer, "rc", json_object_new_int(rc));
	*reply = strdup(json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN));
	json_object_put(answer);
	return *reply ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

/* Inside the reader: question, answer (NULL: failed, said why) and the
 * exit code the parent gave. */
static json_object *ask_parent(json_object *q, int *rc)
{
	char *ans = NULL;
	json_object *a = NULL, *x;
	fflush(stdout);
	if (dv_reader_ask(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), &ans) == 0) a = json_tokener_parse(ans);
	free(ans);
	json_object_put(q);
	if (!a) {
		*rc = cli_fail("zones");
		return NULL;
	}
	*rc = json_object_object_get_ex(a, "rc", &x) ? json_object_get_int(x) : CLI_FAIL;
	if (*rc != CLI_OK) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* In the reader: --flight / --case, the tracks asked for. */
static int check_vault(const char *zfile, bool json, unsigned flags, const char *demfile)
{
	dv_zones *zs = NULL;
	dv_geofence *gf = NULL;
	dv_dem *dem = NULL;
	json_object *a = NULL, *b = NULL, *fls = NULL;
	int rc = CLI_FAIL;
	if (dv_zones_read(&zs, zfile, flags) < 0 || (demfile && dv_dem_open(&dem, demfile) < 0) ||
	    dv_geofence_new(&gf, zs) < 0) {
		rc = cli_fail("zones");
		goto out;
	}
	if (dem) dv_geofence_set_dem(gf, dem);
	json_object *q = json_object_new_object();
	json_object_object_add(q, "tracks", json_object_new_boolean(true));
	if (!(a = ask_parent(q, &rc))) goto out;
	rc = CLI_FAIL;
	json_object *cs = NULL;
	json_object_object_get_ex(a, "case", &cs);
	const char *case_name = json_object_get_string(cs);
	json_object_object_get_ex(a, "flights", &fls);
	json_object *flights = json_object_new_array();
	size_t entries = 0;
	int lrc = 0;
	size_t nf = json_object_is_type(fls, json_type_array) ? json_object_array_length(fls) : 0;
	for (size_t i = 0; lrc == 0 && i < nf; i++) {
		json_object *f = json_object_array_get_idx(fls, i), *id = NULL, *se = NULL, *pj = NULL;
		json_object_object_get_ex(f, "id", &id);
		json_object_object_get_ex(f, "serial", &se);
		json_object_object_get_ex(f, "points", &pj);
		dv_track_point *pts = NULL;
		size_t n = 0;
		if ((lrc = points_from_json(pj, &pts, &n)) == 0)
			lrc = check_one_flight(pts, n, se ? json_object_get_string(se) : "", zs, gf, json_object_get_string(id),
			                       json, flights, &entries);
		free(pts);
	}
	if (lrc == 0 && nf == 0 && !json && zones_case_mode) printf("case %s has no flights with telemetry\n", case_name);
	if (lrc < 0) {
		json_object_put(flights);
		rc = cli_fail("zones");
		goto out;
	}
	q = json_object_new_object();
	json_object_object_add(q, "flights", json_object_get(flights));
	if (!(b = ask_parent(q, &rc))) {
		json_object_put(flights);
		goto out;
	}
	json_object *seqo = NULL;
	json_object_object_get_ex(b, "custody_entry", &seqo);
	uint64_t seq = (uint64_t)json_object_get_int64(seqo);
	if (json) {
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "case", json_object_new_string(case_name));
		json_object_object_add(doc, "flights", flights);
		json_object_object_add(doc, "custody_entry", json_object_new_int64((int64_t)seq));
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
		json_object_put(doc);
	} else {
		json_object_put(flights);
		printf("recorded in custody entry %llu of case %s\n", (unsigned long long)seq, case_name);
	}
	rc = entries ? CLI_FINDING : CLI_OK;
out:
	json_object_put(a);
	json_object_put(b);
	dv_geofence_free(gf);
	dv_dem_free(dem);
	dv_zones_free(zs);
	return rc;
}

static int do_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "plan", required_argument, NULL, 'p' },
		{ "track", required_argument, NULL, 't' }, { "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "geojson", required_argument, NULL, 'g' },
		{ "repair", no_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ "dem", required_argument, NULL, 'd' }, { "speed", required_argument, NULL, 's' }, { "case", required_argument, NULL, 'c' }, { "flight", required_argument, NULL, 'f' },
		{ "operator", required_argument, NULL, 'o' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "wait", optional_argument, NULL, 'W' },
		/* inside the reader only: the GeoJSON to DV_READER_OUT_FD; the
		 * tracks of a flight (V) or case (C) from the parent */
		{ "x-reader-geojson", no_argument, NULL, 'G' }, { "x-reader-vault", no_argument, NULL, 'V' },
		{ "x-reader-case", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	bool reader_geojson = false, reader_vault = false;
	const char *speed_arg = NULL;
	const char *zfile = NULL, *plan = NULL, *track = NULL, *at = NULL, *geojson = NULL, *demfile = NULL;
	const char *case_name = NULL, *flight = NULL, *operator_name = NULL, *vault = NULL, *key_file = NULL;
	bool json = false;
	unsigned flags = 0;
	double speed = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'z': zfile = optarg; break;
		case 'p': plan = optarg; break;
		case 't': track = optarg; break;
		case 'a': at = optarg; break;
		case 'j': json = true; break;
		case 'g': geojson = optarg; break;
		case 'd': demfile = optarg; break;
		case 's': {
			speed_arg = optarg;
			char *end;
			speed = strtod(optarg, &end);
			if (*end || !(speed > 0 && speed < 100)) return cli_usage("zones", "--speed: metres per second, above 0 and under 100");
			break;
		}
		case 'r': flags |= DV_ZONES_REPAIR; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'c': case_name = optarg; break;
		case 'f': flight = optarg; break;
		case 'o': operator_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'W':
			if (cli_parse_wait("zones", optarg, &zones_wait)) return CLI_USAGE;
			break;
		case 'G':
		case 'V':
		case 'C':
			if (!cli_in_reader) return cli_usage("zones", "bad option");
			if (c == 'G') reader_geojson = true;
			else reader_vault = true;
			if (c == 'C') zones_case_mode = true;
			break;
		default: return cli_usage("zones", "bad option");
		}
	}
	if (optind != argc) return cli_usage("zones", "unexpected argument '%s'", argv[optind]);
	if (!zfile) return cli_usage("zones", "check needs --zones FILE");
	if ((plan != NULL) + (track != NULL) + (case_name != NULL) + (flight != NULL) + reader_vault != 1)
		return cli_usage("zones", "check needs one of --plan FILE, --track FILE, --flight ID or --case ID");
	if (!cli_in_reader) {
		/* zones, plans, tracks and DEMs are parsed in the reader; the
		 * GeoJSON file and the vault stay here (zones_ask) */
		char **av = calloc((size_t)argc + 24, sizeof(*av));
		if (!av) return cli_usage("zones", "out of memory");
		int n = 0;
		bool vault_mode = case_name || flight;
		av[n++] = (char *)"check";
#define OPT2(name, val) if (val) { av[n++] = (char *)name; av[n++] = (char *)(val); }
		OPT2("--zones", zfile);
		OPT2("--plan", plan);
		OPT2("--track", track);
		OPT2("--at", at);
		OPT2("--speed", speed_arg);
		OPT2("--dem", demfile);
#undef OPT2
		if (flags & DV_ZONES_REPAIR) av[n++] = (char *)"--repair";
		if (json) av[n++] = (char *)"--json";
		if (geojson && !vault_mode) av[n++] = (char *)"--x-reader-geojson";
		if (vault_mode) av[n++] = (char *)(case_name ? "--x-reader-case" : "--x-reader-vault");
		/* the reader's argv[0] is the subcommand's: the job is "zones" with "check" */
		char **jv = calloc((size_t)n + 2, sizeof(*jv));
		if (!jv) {
			free(av);
			return cli_usage("zones", "out of memory");
		}
		jv[0] = (char *)"zones";
		memcpy(jv + 1, av, (size_t)n * sizeof(*av));
		zones_local l = { .zfile = zfile, .case_name = case_name, .flight = flight, .operator_name = operator_name,
		                  .vault = vault, .key_file = key_file, .geojson = vault_mode ? NULL : geojson };
		dv_reader_io io = { .nout = geojson && !vault_mode ? 1 : 0, .out_max = 256u << 20, .ask = zones_ask, .ctx = &l };
		int code;
		if (dv_reader_run_io("zones", n + 1, jv, &io, &code) < 0) {
			fprintf(stderr, "dronevault zones: %s\n", dv_error_text());
			code = CLI_FAIL;
		}
		dv_reader_io_dispose(&io);
		dv_vault_close(l.v);
		json_object_put(l.ids);
		free(jv);
		free(av);
		return code;
	}
	if (reader_vault) return check_vault(zfile, json, flags, demfile);
	dv_fence_opts fo = { DV_GEO_TIME_NONE };
	if (at && dv_geo_parse_time(at, &fo.at) < 0) return cli_usage("zones", "--at: %s", dv_error_text());

	int rc = CLI_FAIL;
	dv_zones *zs = NULL;
	dv_route *r = NULL;
	dv_geofence *gf = NULL;
	dv_fence_report *rep = NULL;
	dv_dem *dem = NULL;
	if (dv_zones_read(&zs, zfile, flags) < 0 || dv_route_read(&r, plan ? plan : track, DV_ROUTE_AUTO) < 0 ||
	    (demfile && dv_dem_open(&dem, demfile) < 0) || dv_geofence_new(&gf, zs) < 0) {
		rc = cli_fail("zones");
		goto out;
	}
	if (dem) dv_geofence_set_dem(gf, dem);
	bool scheduled = false;
	if (plan && at) {
		/* waypoint times from the planned speeds; else the whole plan at --at */
		scheduled = dv_route_schedule(r, fo.at, speed) == 0;
		if (!scheduled)
			fprintf(stderr, "dronevault zones: note: %s; the whole plan is checked at %s (give --speed to schedule it)\n",
			        dv_error_last()->message, at);
	}
	if (dv_geofence_check(gf, r, &fo, &rep) < 0) {
		rc = cli_fail("zones");
		goto out;
	}
	if (dem && !json) printf("ground: %s\n", dv_dem_describe(dem));
	if (scheduled && !json) printf("times: from %s at the planned speeds\n", at);
	if (zs->nrejected)
		fprintf(stderr, "dronevault zones: warning: %zu zone feature(s) in %s were rejected; run 'dronevault zones validate %s'\n",
		        zs->nrejected, zfile, zfile);
	if (json) {
		char *s = dv_fence_report_json(zs, r, rep);
		if (!s) { fprintf(stderr, "dronevault zones: out of memory\n"); goto out; }
		printf("%s\n", s);
		free(s);
	} else {
		print_table(zs, r, rep);
	}
	if (geojson) {
		char *s = dv_fence_geojson(zs, r, rep);
		if (!s) { fprintf(stderr, "dronevault zones: out of memory\n"); goto out; }
		int w = write_text(geojson, s);
		free(s);
		if (w < 0) { rc = cli_fail("zones"); goto out; }
	}
	if (reader_geojson) {
		char *s = dv_fence_geojson(zs, r, rep);
		if (!s) { fprintf(stderr, "dronevault zones: out of memory\n"); goto out; }
		size_t len = strlen(s);
		for (size_t done = 0; done < len;) {
			ssize_t w = write(DV_READER_OUT_FD, s + done, len - done);
			if (w < 0 && errno == EINTR) continue;
			if (w <= 0) {
				dv_error_errno(errno, "geojson", (int64_t)done, "cannot write to the parent");
				free(s);
				rc = cli_fail("zones");
				goto out;
			}
			done += (size_t)w;
		}
		free(s);
		close(DV_READER_OUT_FD);
		json_object *q = json_object_new_object(), *a;
		json_object_object_add(q, "geojson", json_object_new_boolean(true));
		if (!(a = ask_parent(q, &rc))) goto out;
		json_object_put(a);
	}
	rc = rep->nentries ? CLI_FINDING : CLI_OK;
out:
	dv_fence_report_free(rep);
	dv_geofence_free(gf);
	dv_dem_free(dem);
	dv_route_free(r);
	dv_zones_free(zs);
	return rc;
}

int cmd_zones(int argc, char **argv)
{
	/* parsing hostile input: in the sandboxed reader, whole unless this
	 * needs the vault or writes a file (then below: dv_reader_run_io) */
	static const char *const local_opts[] = { "case", "flight", "operator", "note", "key-file", "vault", "geojson", NULL };
	int forwarded;
	if (cli_forward("zones", argc, argv, local_opts, &forwarded)) return forwarded;
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "validate")) return do_validate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check")) return do_check(argc - 1, argv + 1);
	return cli_usage("zones", "unknown subcommand '%s' (validate or check)", argv[1]);
}
