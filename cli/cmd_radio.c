/*
 * dronevault radio - what a drone's broadcast Remote ID told everyone in
 * radio range. A thin layer over dv/radio.h; needs no vault.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/index.h"
#include "dv/ingest.h"
#include "dv/radio.h"
#include "dv/util.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault radio [--json] [--geojson FILE] [--case ID --operator NAME] CAPTURE...\n"
	        "       dronevault radio --frames CAPTURE...\n"
	        "\n"
	        "Reads radio captures (pcap or pcapng) and reports the broadcast Remote ID\n"
	        "(ASTM F3411-19/-22a, ASD-STAN EN 4709-002, \"Open Drone ID\") they hold:\n"
	        "what anyone with a phone near the flight learned. Mandatory in the EU since\n"
	        "2024 and in the US; no audit of internet traffic sees it.\n"
	        "\n"
	        "Transports: Wi-Fi beacons (vendor element FA:0B:BC type 0x0D), Wi-Fi NAN\n"
	        "service discovery, Bluetooth 4 legacy and Bluetooth 5 extended / Long\n"
	        "Range advertising (service data UUID 0xFFFA). Link types: 802.11 with\n"
	        "or without radiotap or PPI, Bluetooth LE link layer (with or without\n"
	        "PHDR), nRF Sniffer for Bluetooth LE, Bluetooth HCI H4 and Linux monitor.\n"
	        "\n"
	        "Per broadcasting aircraft (grouped by transmitter address): the UAS IDs\n"
	        "(serial number, CAA registration, UTM/session ID), operator ID, self-ID\n"
	        "text, the track it broadcast, the operator positions it revealed and how\n"
	        "far they were from the aircraft (WGS84), time span and transports. Empty\n"
	        "and malformed messages are listed with their frame number; frames with a\n"
	        "bad CRC/FCS are listed but their content is not used.\n"
	        "\n"
	        "  --json          the report as JSON on stdout\n"
	        "  --geojson FILE  write the broadcast tracks and operator positions as\n"
	        "                  GeoJSON (RFC 7946) for a map\n"
	        "  --frames        one line per Remote ID frame in the column layout of the\n"
	        "                  Open Drone ID Wireshark dissector (raw F3411 values), to\n"
	        "                  compare with tshark (control bytes in broadcast texts\n"
	        "                  are shown as \\xNN when the output is a terminal)\n"
	        "\n"
	        "  --case ID         also store the captures as evidence in case ID of the\n"
	        "                    vault and record what they showed in the custody log\n"
	        "  --operator NAME   who ran the check (custody log; with --case)\n"
	        "  --vault DIR, --key-file FILE  the vault, as for the other commands\n"
	        "\n"
	        "Exit codes: 4 Remote ID broadcasts found (an exposure), 0 none found,\n"
	        "1 a capture could not be read (the others are still reported), 2 usage,\n"
	        "with --case: " CLI_BUSY_HELP);
}

static int print_frame(const dv_odid_frame *f, void *payload)
{
	char line[8192];
	unsigned flags = *(const unsigned *)payload;
	if (dv_odid_frame_tsv(f, line, sizeof(line), flags) == 0) printf("%s\n", line);
	return 0;
}

static int do_frames(int n, char **paths)
{
	int rc = CLI_OK;
	/* Broadcast texts are attacker-chosen: never send raw control bytes
	 * (terminal escape sequences) to a terminal. Piped output stays
	 * byte-identical to tshark's. */
	unsigned flags = cli_stdout_is_tty() ? DV_ODID_TSV_ESCAPE : 0;
	printf("# frame\tmsgType\tbasicID_idType\tbasicID_uaType\tbasicID_id_asc\tloc_status\tloc_lat\tloc_lon"
	       "\tloc_geoAlt\tloc_height\tloc_speed\tloc_direction\tsystem_lat\tsystem_lon\toperator_id\tself_desc\n");
	for (int i = 0; i < n; i++) {
		if (n > 1) printf("# %s\n", paths[i]);
		if (dv_radio_scan_file(paths[i], print_frame, &flags, NULL) < 0) rc = cli_fail("radio");
	}
	return rc;
}

/*
 * With --case: how far the broadcast operator positions were from the
 * case's own flights (their telemetry), printed and added to detail.
 */
static void case_exposure(dv_vault *v, const dv_radio_report *r, const char *case_name, json_object *detail)
{
	dv_flight *fl = NULL;
	size_t nf = 0;
	if (dv_index_flights(&fl, &nf, v, case_name, 0) < 0) {
		dv_error_clear();
		return;
	}
	json_object *arr = json_object_new_array();
	for (size_t f = 0; f < nf; f++) {
		dv_track_point *pts = NULL;
		size_t n = 0;
		if (dv_index_track(&pts, &n, NULL, v, fl[f].id, 0) < 0) continue;
		double *la = malloc((n + 1) * sizeof(double)), *lo = malloc((n + 1) * sizeof(double));
		size_t k = 0;
		for (size_t i = 0; la && lo && i < n; i++)
			if (pts[i].has_pos) {
				la[k] = pts[i].lat;
				lo[k++] = pts[i].lon;
			}
		for (size_t a = 0; k && a < r->naircraft; a++)
			for (size_t p = 0; p < r->aircraft[a].noperators; p++) {
				const dv_radio_operator_pos *op = &r->aircraft[a].operators[p];
				double mn, mx;
				if (dv_radio_exposure(op->lat, op->lon, la, lo, k, &mn, &mx) < 0) continue;
				printf("CASE %s: the operator position %.7f,%.7f broadcast by %s was %.0f to %.0f m from flight %s's own track\n",
				       case_name, op->lat, op->lon, r->aircraft[a].key, mn, mx, fl[f].id);
				json_object *o = json_object_new_object();
				json_object_object_add(o, "flight", json_object_new_string(fl[f].id));
				json_object_object_add(o, "transmitter", json_object_new_string(r->aircraft[a].key));
				json_object_object_add(o, "operator_lat", json_object_new_double(op->lat));
				json_object_object_add(o, "operator_lon", json_object_new_double(op->lon));
				json_object_object_add(o, "min_m", json_object_new_double(mn));
				json_object_object_add(o, "max_m", json_object_new_double(mx));
				json_object_array_add(arr, o);
			}
		free(la);
		free(lo);
		free(pts);
	}
	dv_index_flights_free(fl, nf);
	if (json_object_array_length(arr)) json_object_object_add(detail, "exposure_vs_case_flights", arr);
	else json_object_put(arr);
}

/*
 * --case: the captures go into the case, the custody entry says what they
 * showed (the full report is deterministic from the stored captures).
 */
static int store_in_case(const dv_radio_report *r, const char *case_name, const char *operator_name,
                         const char *vault_opt, const char *key_file, int n, const char *const *paths)
{
	dv_vault *v;
	int rc = cli_open_vault("radio", vault_opt, key_file, DV_VAULT_WRITE, &v);
	if (rc) return rc;
	json_object *d = json_object_new_object(), *ac = json_object_new_array();
	json_object_object_add(d, "remote_id_aircraft", json_object_new_int64((int64_t)r->naircraft));
	for (size_t i = 0; i < r->naircraft && i < 32; i++) {
		const dv_radio_aircraft *a = &r->aircraft[i];
		json_object *o = json_object_new_object(), *ids = json_object_new_array();
		json_object_object_add(o, "transmitter", json_object_new_string(a->key));
		for (size_t k = 0; k < a->nids; k++) json_object_array_add(ids, json_object_new_string(a->ids[k].text));
		json_object_object_add(o, "uas_ids", ids);
		json_object_object_add(o, "operator_positions", json_object_new_int64((int64_t)a->noperators));
		json_object_object_add(o, "track_points", json_object_new_int64((int64_t)a->ntrack));
		json_object_array_add(ac, o);
	}
	json_object_object_add(d, "aircraft", ac);
	json_object_object_add(d, "crc_bad_frames", json_object_new_int64((int64_t)r->crc_bad_frames));
	cli_catch_signals();
	dv_ingest_opts o = { .case_name = case_name, .operator_name = operator_name, .files = paths,
	                     .nfiles = (size_t)n, .interrupted = &cli_interrupted };
	dv_ingest_result res;
	uint64_t seq = 0;
	case_exposure(v, r, case_name, d);
	rc = dv_ingest_evidence(v, &o, DV_ACTION_RADIO, d, &res, &seq);
	json_object_put(d);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("radio");
	fprintf(stderr, "dronevault radio: %d capture(s) stored in case %s (ingest %lld), custody entry %llu\n", n,
	        case_name, (long long)res.ingest_id, (unsigned long long)seq);
	return CLI_OK;
}

int cmd_radio(int argc, char **argv)
{
	/* parsing hostile captures: in the sandboxed reader, unless this needs
	 * the vault or writes a file */
	static const char *const local_opts[] = { "case", "operator", "note", "key-file", "vault", "geojson", NULL };
	int forwarded;
	if (cli_forward("radio", argc, argv, local_opts, &forwarded)) return forwarded;
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "geojson", required_argument, NULL, 'g' },
		{ "frames", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ "case", required_argument, NULL, 'c' }, { "operator", required_argument, NULL, 'o' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, frames = false;
	const char *geojson = NULL, *case_name = NULL, *operator_name = NULL, *vault = NULL, *key_file = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'g': geojson = optarg; break;
		case 'f': frames = true; break;
		case 'c': case_name = optarg; break;
		case 'o': operator_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_usage("radio", "unknown option");
		}
	}
	if (optind >= argc) return cli_usage("radio", "no capture given");
	if (frames && (json || geojson)) return cli_usage("radio", "--frames cannot be combined with --json or --geojson");
	if (frames) return do_frames(argc - optind, argv + optind);
	if (case_name && (!operator_name || !*operator_name)) return cli_usage("radio", "--case needs --operator NAME");

	dv_radio_report *r;
	if (dv_radio_report_new(&r) < 0) return cli_fail("radio");
	int rc = CLI_OK;
	for (int i = optind; i < argc; i++)
		if (dv_radio_report_add_capture(r, argv[i]) < 0) {
			fprintf(stderr, "dronevault radio: %s\n", dv_error_text());
			rc = CLI_FAIL;
		}
	dv_radio_report_finish(r);
	if (json) {
		char *s = NULL;
		if (dv_radio_report_json(r, &s) < 0) {
			dv_radio_report_free(r);
			return cli_fail("radio");
		}
		printf("%s\n", s);
		free(s);
	} else {
		dv_radio_report_print(r, stdout);
	}
	if (geojson) {
		char *s = NULL;
		if (dv_radio_report_geojson(r, &s) < 0 ||
		    dv_write_file_atomic(geojson, s, strlen(s), 0644) < 0) {
			free(s);
			dv_radio_report_free(r);
			return cli_fail("radio");
		}
		free(s);
	}
	bool found = r->naircraft > 0 || r->crc_bad_frames > 0;
	if (case_name && rc == CLI_OK) rc = store_in_case(r, case_name, operator_name, vault, key_file, argc - optind,
	                                                  (const char *const *)argv + optind);
	dv_radio_report_free(r);
	if (rc != CLI_OK) return rc;
	return found ? CLI_FINDING : CLI_OK;
}
