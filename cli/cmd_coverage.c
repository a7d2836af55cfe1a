/* dronevault coverage: the ground footprints of a case's photos and the
 * share of the scene seen by at least N of them (dv/exports.h). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/exports.h"

static const char coverage_help[] =
	"usage: dronevault coverage --case ID [--flight F] [--since T] [--until T] [--area FILE]\n"
	"                           [--dem FILE] [--format geojson|kml] [--min N] [--out FILE] [--json]\n"
	"\n"
	"Each photo's ground footprint from its camera (built-in table, else EXIF),\n"
	"its height above the ground (relative altitude, flat ground at take-off;\n"
	"or absolute altitude minus --dem, any raster GDAL reads) and its gimbal\n"
	"angles (nadir or oblique; rays past the horizon are cut at 20 heights),\n"
	"and the coverage layer: how many photos see each part of the scene. The\n"
	"answer to take away before leaving the scene is the share of the area\n"
	"(--area, a GeoJSON polygon, else the footprints' convex hull) seen by at\n"
	"least N photos (--min, default 3), and the holes.\n"
	"\n"
	"The layers (footprint, coverage with a count, holes) go to --out or\n"
	"standard output as GeoJSON (default) or KML; the summary to standard\n"
	"error, or with --json to standard output after --out is written.\n"
	"Photos without a position, angles, camera or height are left out and\n"
	"listed with the reason.\n"
	"\n"
	"Exit status: 0 done, 1 failure, 2 usage, 3 wrong passphrase.\n";

int cmd_coverage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "flight", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
		{ "area", required_argument, NULL, 'a' }, { "dem", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'F' }, { "min", required_argument, NULL, 'm' },
		{ "out", required_argument, NULL, 'o' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *out = NULL;
	dv_coverage_opts co = { 0 };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': co.case_name = optarg; break;
		case 'f': co.sel.flight = optarg; break;
		case 'a': co.sel.area_file = optarg; break;
		case 'd': co.dem_file = optarg; break;
		case 'o': out = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 's':
			if (dv_exports_parse_time(&co.sel.since_us, optarg) < 0) return cli_usage("coverage", "--since: %s", dv_error_text());
			co.sel.has_since = true;
			break;
		case 'u':
			if (dv_exports_parse_time(&co.sel.until_us, optarg) < 0) return cli_usage("coverage", "--until: %s", dv_error_text());
			co.sel.has_until = true;
			break;
		case 'F':
			if (!strcmp(optarg, "geojson")) co.format = DV_COVERAGE_GEOJSON;
			else if (!strcmp(optarg, "kml")) co.format = DV_COVERAGE_KML;
			else return cli_usage("coverage", "--format takes geojson or kml");
			break;
		case 'm': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 1000) return cli_usage("coverage", "--min takes 1..1000");
			co.min_images = (int)n;
			break;
		}
		case 'h': fputs(coverage_help, stdout); return CLI_OK;
		default: return cli_usage("coverage", "unknown option");
		}
	}
	if (!co.case_name) return cli_usage("coverage", "--case ID is required");
	if (optind != argc) return cli_usage("coverage", "unexpected argument '%s'", argv[optind]);
	if (json && !out) return cli_usage("coverage", "--json needs --out FILE for the layers");
	dv_vault *v;
	int rc = cli_open_vault("coverage", vault, key_file, DV_VAULT_READ, &v);
	if (rc) return rc;
	FILE *f = out ? fopen(out, "wx") : stdout;
	if (!f) {
		dv_error_errno(errno, out, -1, "cannot create (an existing file is not overwritten)");
		dv_vault_close(v);
		return cli_fail("coverage");
	}
	dv_coverage_result res;
	rc = dv_coverage_run(&res, v, &co, f);
	dv_vault_close(v);
	if (out && fclose(f) != 0 && rc == 0) rc = dv_error_errno(errno, out, -1, "cannot write");
	if (rc < 0) return cli_fail("coverage");
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "photos", json_object_new_int64((int64_t)res.photos));
		json_object_object_add(o, "skipped", json_object_new_int64((int64_t)res.skipped));
		json_object_object_add(o, "min_images", json_object_new_int(res.min_images));
		json_object_object_add(o, "area_m2", json_object_new_double(res.area_m2));
		json_object_object_add(o, "covered_m2", json_object_new_double(res.covered_m2));
		json_object_object_add(o, "share", json_object_new_double(res.share));
		json_object_object_add(o, "holes", json_object_new_int64((int64_t)res.holes));
		cli_print_json(o);
		json_object_put(o);
	} else {
		fprintf(stderr, "coverage: %llu photos (%llu without a footprint); %.1f%% of %.0f m2 seen by >= %d, %llu holes\n",
		        (unsigned long long)res.photos, (unsigned long long)res.skipped, res.share * 100, res.area_m2,
		        res.min_images, (unsigned long long)res.holes);
	}
	return CLI_OK;
}
