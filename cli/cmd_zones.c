/*
 * dronevault zones - validate zone files; check plans and tracks against them.
 * A thin layer over dv/zones.h, dv/plan.h and dv/geofence.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/dem.h"
#include "dv/err.h"
#include "dv/geofence.h"
#include "dv/plan.h"
#include "dv/util.h"
#include "dv/zones.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault zones validate [--json] [--repair] FILE\n"
	        "       dronevault zones check --zones FILE (--plan FILE | --track FILE)\n"
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
	        "Exit codes: 0 no zone entered, 4 a zone is entered (or, for validate,\n"
	        "errors found), 1 unreadable input, 2 usage.\n");
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

static int do_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "plan", required_argument, NULL, 'p' },
		{ "track", required_argument, NULL, 't' }, { "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "geojson", required_argument, NULL, 'g' },
		{ "repair", no_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ "dem", required_argument, NULL, 'd' }, { "speed", required_argument, NULL, 's' }, { "case", required_argument, NULL, 'c' }, { "flight", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *zfile = NULL, *plan = NULL, *track = NULL, *at = NULL, *geojson = NULL, *demfile = NULL;
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
			char *end;
			speed = strtod(optarg, &end);
			if (*end || !(speed > 0 && speed < 100)) return cli_usage("zones", "--speed: metres per second, above 0 and under 100");
			break;
		}
		case 'r': flags |= DV_ZONES_REPAIR; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'c': case 'f':
			fprintf(stderr, "dronevault zones: --case/--flight are not available yet; export the track and use --track FILE\n");
			return CLI_USAGE;
		default: return cli_usage("zones", "bad option");
		}
	}
	if (optind != argc) return cli_usage("zones", "unexpected argument '%s'", argv[optind]);
	if (!zfile) return cli_usage("zones", "check needs --zones FILE");
	if (!plan == !track) return cli_usage("zones", "check needs one of --plan FILE or --track FILE");
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
