/* dronevault flights / track / reindex: telemetry kept in the vault. */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/index.h"
#include "dv/telemetry.h"

static const char flights_help[] =
	"usage: dronevault flights --case ID [--gap SECONDS] [--json] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Groups a case's photos, video sidecars (SRT) and flight records into flights:\n"
	"media of the same aircraft (serial number where a file says it) whose times\n"
	"are less than --gap apart (default 600 s). Times are the drone's local wall\n"
	"clock where it wrote one (SRT and EXIF carry no time zone; they are shown as\n"
	"written, never passed off as UTC).\n"
	"\n"
	"Each flight gets an id like F17 for 'dronevault track --flight F17'.\n";

static const char track_help[] =
	"usage: dronevault track --flight ID [--format geojson|gpx|kml|csv] [--out FILE]\n"
	"                        [--gap SECONDS] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Writes the track of a flight (see 'dronevault flights'): every SRT cue,\n"
	"photo position and flight-record point in time order, as GeoJSON (RFC 7946,\n"
	"default), GPX 1.1, KML 2.2 or CSV, to --out or standard output. QGIS and\n"
	"Google Earth open them.\n";

static const char reindex_help[] =
	"usage: dronevault reindex [--case ID] [--json] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Re-extracts the telemetry of stored files (all cases, or one) by decrypting\n"
	"them from the vault: after an upgrade of dronevault, or for a vault filled\n"
	"before telemetry was indexed. Ingest does this on the way in already.\n"
	"\n"
	"Exit status: 0 done, 1 failure, 3 wrong passphrase,\n" CLI_BUSY_HELP;

int cmd_flights(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "gap", required_argument, NULL, 'g' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *case_name = NULL;
	long gap = DV_INDEX_GAP_DEFAULT;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': case_name = optarg; break;
		case 'g': gap = strtol(optarg, NULL, 10); if (gap <= 0) return cli_usage("flights", "--gap takes seconds > 0"); break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(flights_help, stdout); return CLI_OK;
		default: return cli_usage("flights", "unknown option");
		}
	}
	if (!case_name) return cli_usage("flights", "--case ID is required");
	if (optind != argc) return cli_usage("flights", "unexpected argument '%s'", argv[optind]);
	dv_vault *v;
	int rc = cli_open_vault("flights", vault, key_file, DV_VAULT_READ, &v);
	if (rc) return rc;
	dv_flight *fl = NULL;
	size_t n = 0;
	rc = dv_index_flights(&fl, &n, v, case_name, gap);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("flights");
	json_object *arr = json ? json_object_new_array() : NULL;
	if (!json)
		printf("%-8s  %-18s  %-14s  %-23s  %-23s  %6s  %4s  %4s  %7s  %s\n", "flight", "aircraft serial", "model",
		       "start", "end", "photos", "srt", "logs", "points", "area (lat/lon)");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			json_object_array_add(arr, dv_index_flight_json(&fl[i]));
		} else {
			char s[40], e[40], area[96] = "-";
			dv_telemetry_time_text(s, sizeof(s), fl[i].start_us, fl[i].time_kind);
			dv_telemetry_time_text(e, sizeof(e), fl[i].end_us, fl[i].time_kind);
			if (isfinite(fl[i].min_lat))
				snprintf(area, sizeof(area), "%.5f..%.5f / %.5f..%.5f", fl[i].min_lat, fl[i].max_lat, fl[i].min_lon,
				         fl[i].max_lon);
			printf("%-8s  %-18s  %-14s  %-23s  %-23s  %6llu  %4llu  %4llu  %7llu  %s\n", fl[i].id,
			       fl[i].serial[0] ? cli_esc(fl[i].serial) : "-", fl[i].model[0] ? cli_esc(fl[i].model) : "-", s, e,
			       (unsigned long long)fl[i].photos, (unsigned long long)fl[i].srts,
			       (unsigned long long)fl[i].records, (unsigned long long)fl[i].points, area);
		}
	}
	if (json) {
		cli_print_json(arr);
		json_object_put(arr);
	}
	dv_index_flights_free(fl, n);
	return CLI_OK;
}

int cmd_track(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flight", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'o' }, { "gap", required_argument, NULL, 'g' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *flight = NULL, *out = NULL;
	dv_track_format fmt = DV_TRACK_GEOJSON;
	long gap = DV_INDEX_GAP_DEFAULT;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': flight = optarg; break;
		case 'F':
			if (dv_track_format_parse(&fmt, optarg) < 0) return cli_usage("track", "--format is geojson, gpx, kml or csv");
			break;
		case 'o': out = optarg; break;
		case 'g': gap = strtol(optarg, NULL, 10); if (gap <= 0) return cli_usage("track", "--gap takes seconds > 0"); break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h': fputs(track_help, stdout); return CLI_OK;
		default: return cli_usage("track", "unknown option");
		}
	}
	if (!flight) return cli_usage("track", "--flight ID is required (see 'dronevault flights --case ID')");
	if (optind != argc) return cli_usage("track", "unexpected argument '%s'", argv[optind]);
	dv_vault *v;
	int rc = cli_open_vault("track", vault, key_file, DV_VAULT_READ, &v);
	if (rc) return rc;
	dv_track_point *pts = NULL;
	size_t n = 0;
	dv_flight f;
	rc = dv_index_track(&pts, &n, &f, v, flight, gap);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("track");
	FILE *fp = out ? fopen(out, "w") : stdout;
	if (!fp) {
		free(pts);
		fprintf(stderr, "dronevault track: %s: cannot create\n", out);
		return CLI_FAIL;
	}
	char name[128];
	snprintf(name, sizeof(name), "%s%s%s", flight, f.serial[0] ? " " : "", f.serial);
	rc = dv_track_write(fp, fmt, name, pts, n);
	if (out && fclose(fp) != 0 && rc == 0) rc = dv_error_set(DV_EIO, out, -1, "cannot write");
	free(pts);
	if (rc < 0) return cli_fail("track");
	return CLI_OK;
}

int cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *case_name = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': case_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(reindex_help, stdout); return CLI_OK;
		default: return cli_usage("reindex", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("reindex", "unexpected argument '%s'", argv[optind]);
	dv_vault *v;
	int rc = cli_open_vault("reindex", vault, key_file, DV_VAULT_WRITE, &v);
	if (rc) return rc;
	uint64_t files = 0, with = 0;
	rc = dv_index_reindex(v, case_name, &files, &with);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("reindex");
	if (json) printf("{\"files\":%llu,\"with_telemetry\":%llu}\n", (unsigned long long)files, (unsigned long long)with);
	else printf("reindexed %llu files, %llu with telemetry\n", (unsigned long long)files, (unsigned long long)with);
	return CLI_OK;
}
