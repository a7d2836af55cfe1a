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
#include "dv/ocusync.h"
#include "dv/radio.h"
#include "dv/util.h"
#include "dv/reader.h"

#include <errno.h>

/* operator positions handed to the parent for the comparison with the case */
#define RADIO_OPS_MAX 100000

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault radio [--json] [--geojson FILE] [--case ID --operator NAME] CAPTURE...\n"
	        "       dronevault radio --frames[=astm|droneid] CAPTURE...\n"
	        "       dronevault radio [--json] [--geojson FILE] [--case ID --operator NAME] REC.sigmf-meta...\n"
	        "       dronevault radio --iq-format cf32|ci16|cu8|ci8 --sample-rate HZ [--center-freq HZ] REC...\n"
	        "\n"
	        "Reads radio captures (pcap or pcapng) and reports the broadcast Remote ID\n"
	        "(ASTM F3411-19/-22a, ASD-STAN EN 4709-002, \"Open Drone ID\") they hold:\n"
	        "what anyone with a phone near the flight learned. Mandatory in the EU since\n"
	        "2024 and in the US; no audit of internet traffic sees it.\n"
	        "\n"
	        "Also DJI DroneID in Wi-Fi beacons and probe responses (vendor element\n"
	        "OUI 26:37:12), which many DJI models send beside or instead of it: serial,\n"
	        "position, home point and the pilot app's position, with the same exposure.\n"
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
	        "                  are shown as \\xNN when the output is a terminal); every\n"
	        "                  frame the report counts is listed: a cut message pack\n"
	        "                  also gets a '# frame N: message pack cut at byte K' line,\n"
	        "                  a frame without a row a '#' line saying why\n"
	        "  --frames=droneid  one line per DJI DroneID frame (serial, positions,\n"
	        "                  pilot and home point, speeds, yaw, decode status)\n"
	        "\n"
	        "SDR recordings (SigMF, or raw IQ with --iq-format and --sample-rate):\n"
	        "DJI's OcuSync DroneID, the aircraft's own broadcast of its serial number,\n"
	        "position, home point and the PILOT'S position, decoded from the bursts\n"
	        "(docs/radio.md); every frame with its CRC verdict.\n"
	        "  --iq-format F     raw samples: cf32 (float), ci16, cu8 (RTL-SDR), ci8\n"
	        "  --sample-rate HZ  of a raw recording (or overriding the SigMF one)\n"
	        "  --center-freq HZ  the tuned frequency, for the report\n"
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

/* Every frame the report counts: its row and '#' lines (dv_radio_frame_lines). */
static int print_frame(const dv_odid_frame *f, void *payload)
{
	char text[8192];
	if (dv_radio_frame_lines(f, *(const unsigned *)payload, text, sizeof(text)) == 0) fputs(text, stdout);
	return 0;
}

static int do_frames(int n, char **paths, bool droneid)
{
	int rc = CLI_OK;
	/* Broadcast texts are attacker-chosen: never send raw control bytes
	 * (terminal escape sequences) to a terminal. Piped output stays
	 * byte-identical to tshark's. */
	unsigned flags = (cli_stdout_is_tty() ? DV_ODID_TSV_ESCAPE : 0) | (droneid ? DV_RADIO_FRAMES_DRONEID : 0);
	printf("%s\n", dv_radio_frames_header(flags));
	for (int i = 0; i < n; i++) {
		if (n > 1) printf("# %s\n", paths[i]);
		if (dv_radio_scan_file(paths[i], print_frame, &flags, NULL) < 0) rc = cli_fail("radio");
	}
	return rc;
}

/* What the custody entry records (built in the reader), and the broadcast
 * operator positions the parent compares with the case's own tracks. */
static json_object *radio_question(const dv_radio_report *r, bool ok)
{
	json_object *d = json_object_new_object(), *ac = json_object_new_array();
	json_object_object_add(d, "broadcast", json_object_new_string("wifi-ble"));
	json_object_object_add(d, "remote_id_aircraft", json_object_new_int64((int64_t)r->naircraft));
	for (size_t i = 0; i < r->naircraft && i < 32; i++) {
		const dv_radio_aircraft *a = &r->aircraft[i];
		json_object *o = json_object_new_object(), *ids = json_object_new_array();
		json_object_object_add(o, "transmitter", json_object_new_string(a->key));
		for (size_t k = 0; k < a->nids; k++) json_object_array_add(ids, json_object_new_string(a->ids[k].text));
		for (size_t k = 0; k < a->ndroneid_serials && json_object_array_length(ids) < DV_RADIO_MAX_IDS; k++)
			json_object_array_add(ids, json_object_new_string(a->droneid_serials[k].text));
		json_object_object_add(o, "uas_ids", ids);
		json_object_object_add(o, "operator_positions", json_object_new_int64((int64_t)a->noperators));
		json_object_object_add(o, "track_points", json_object_new_int64((int64_t)a->ntrack));
		json_object_array_add(ac, o);
	}
	json_object_object_add(d, "aircraft", ac);
	json_object_object_add(d, "crc_bad_frames", json_object_new_int64((int64_t)r->crc_bad_frames));
	json_object *ops = json_object_new_array();
	for (size_t a = 0; a < r->naircraft; a++)
		for (size_t p = 0; p < r->aircraft[a].noperators && json_object_array_length(ops) < RADIO_OPS_MAX; p++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "transmitter", json_object_new_string(r->aircraft[a].key));
			json_object_object_add(o, "lat", json_object_new_double(r->aircraft[a].operators[p].lat));
			json_object_object_add(o, "lon", json_object_new_double(r->aircraft[a].operators[p].lon));
			json_object_array_add(ops, o);
		}
	json_object *q = json_object_new_object();
	json_object_object_add(q, "ok", json_object_new_boolean(ok));
	json_object_object_add(q, "detail", d);
	json_object_object_add(q, "operators", ops);
	return q;
}

/* ---- the parent's side of a run in the reader ---- */
/* The reader's detail, re-checked and rebuilt; NULL: a protocol fault. */
static json_object *rebuild_detail(json_object *q)
{
	json_object *d, *ac;
	uint64_t nac, crc;
	if (!json_object_object_get_ex(q, "detail", &d) || !json_object_is_type(d, json_type_object) ||
	    !cli_reader_count(d, "remote_id_aircraft", &nac) || !cli_reader_count(d, "crc_bad_frames", &crc) ||
	    !json_object_object_get_ex(d, "aircraft", &ac) || !json_object_is_type(ac, json_type_array) ||
	    json_object_array_length(ac) > 32)
		return NULL;
	/* which broadcast the frames came from: Wi-Fi/BLE captures (ASTM Remote
	 * ID, DJI Wi-Fi DroneID) or an SDR recording (OcuSync DroneID); only
	 * these two words pass into the custody log */
	const char *broadcast = cli_reader_str(d, "broadcast", 16);
	if (!broadcast || (strcmp(broadcast, "wifi-ble") != 0 && strcmp(broadcast, "ocusync-droneid") != 0)) return NULL;
	json_object *out = json_object_new_object(), *oa = json_object_new_array();
	json_object_object_add(out, "broadcast", json_object_new_string(broadcast));
	json_object_object_add(out, "remote_id_aircraft", json_object_new_int64((int64_t)nac));
	json_object_object_add(out, "aircraft", oa);
	json_object_object_add(out, "crc_bad_frames", json_object_new_int64((int64_t)crc));
	for (size_t i = 0; i < json_object_array_length(ac); i++) {
		json_object *a = json_object_array_get_idx(ac, i), *ids;
		const char *key = json_object_is_type(a, json_type_object) ? cli_reader_str(a, "transmitter", 23) : NULL;
		uint64_t nop, ntr;
		if (!key || !cli_reader_count(a, "operator_positions", &nop) || !cli_reader_count(a, "track_points", &ntr) ||
		    !json_object_object_get_ex(a, "uas_ids", &ids) || !json_object_is_type(ids, json_type_array) ||
		    json_object_array_length(ids) > DV_RADIO_MAX_IDS)
			goto bad;
		json_object *o = json_object_new_object(), *oi = json_object_new_array();
		json_object_object_add(o, "transmitter", json_object_new_string(key));
		json_object_object_add(o, "uas_ids", oi);
		json_object_object_add(o, "operator_positions", json_object_new_int64((int64_t)nop));
		json_object_object_add(o, "track_points", json_object_new_int64((int64_t)ntr));
		json_object_array_add(oa, o);
		for (size_t k = 0; k < json_object_array_length(ids); k++) {
			json_object *t = json_object_array_get_idx(ids, k);
			if (!json_object_is_type(t, json_type_string) || json_object_get_string_len(t) >= DV_RADIO_TEXT ||
			    strlen(json_object_get_string(t)) != (size_t)json_object_get_string_len(t))
				goto bad;
			json_object_array_add(oi, json_object_new_string(json_object_get_string(t)));
		}
	}
	return out;
bad:
	json_object_put(out);
	return NULL;
}

/* One broadcast operator position from the reader: a transmitter address
 * and a finite WGS84 position. */
static bool get_op(json_object *o, const char **key, double *lat, double *lon)
{
	json_object *a, *b;
	if (!json_object_is_type(o, json_type_object) || !(*key = cli_reader_str(o, "transmitter", 23)) ||
	    !json_object_object_get_ex(o, "lat", &a) || !json_object_object_get_ex(o, "lon", &b) ||
	    !json_object_is_type(a, json_type_double) || !json_object_is_type(b, json_type_double))
		return false;
	*lat = json_object_get_double(a);
	*lon = json_object_get_double(b);
	return *lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180;
}

/*
 * With --case: how far the broadcast operator positions were from the
 * case's own flights (their telemetry, trusted records of the vault);
 * the pairs go into detail and back to the reader, which prints them.
 */
static void case_exposure(dv_vault *v, json_object *ops, const char *case_name, json_object *detail)
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
		for (size_t p = 0; k && p < json_object_array_length(ops); p++) {
			const char *key;
			double lat, lon, mn, mx;
			if (!get_op(json_object_array_get_idx(ops, p), &key, &lat, &lon)) continue;
			if (dv_radio_exposure(lat, lon, la, lo, k, &mn, &mx) < 0) continue;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "flight", json_object_new_string(fl[f].id));
			json_object_object_add(o, "transmitter", json_object_new_string(key));
			json_object_object_add(o, "operator_lat", json_object_new_double(lat));
			json_object_object_add(o, "operator_lon", json_object_new_double(lon));
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

typedef struct radio_local {
	const char *geojson, *case_name, *operator_name, *vault, *key_file;
	const char *const *paths;
	int n;
} radio_local;

/*
 * --case: the captures go into the case, the custody entry says what they
 * showed (the full report is deterministic from the stored captures).
 * Fills the answer: "exposure", "ingest", "custody_entry"; returns the exit code.
 */
static int store_in_case(const radio_local *l, json_object *q, json_object *answer)
{
	json_object *d = rebuild_detail(q), *ops;
	if (!d || !json_object_object_get_ex(q, "operators", &ops) || !json_object_is_type(ops, json_type_array) ||
	    json_object_array_length(ops) > RADIO_OPS_MAX) {
		json_object_put(d);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the radio report's detail is malformed");
	}
	dv_vault *v;
	int rc = cli_open_vault("radio", l->vault, l->key_file, DV_VAULT_WRITE, &v);
	if (rc) {
		json_object_put(d);
		return rc;
	}
	cli_catch_signals();
	json_object *ds = NULL;
	char **files = json_object_object_get_ex(q, "datasets", &ds)
	               ? cli_radio_sdr_with_datasets(l->paths, (size_t)l->n, ds) : NULL;
	size_t nfiles = 0;
	while (files && files[nfiles]) nfiles++;
	dv_ingest_opts o = { .case_name = l->case_name, .operator_name = l->operator_name,
	                     .files = files ? (const char *const *)files : l->paths,
	                     .nfiles = files ? nfiles : (size_t)l->n, .interrupted = &cli_interrupted };
	dv_ingest_result res;
	uint64_t seq = 0;
	case_exposure(v, ops, l->case_name, d);
	json_object *ex;
	if (json_object_object_get_ex(d, "exposure_vs_case_flights", &ex))
		json_object_object_add(answer, "exposure", json_object_get(ex));
	rc = dv_ingest_evidence(v, &o, DV_ACTION_RADIO, d, &res, &seq);
	json_object_put(d);
	cli_radio_sdr_files_free(files);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("radio");
	json_object_object_add(answer, "ingest", json_object_new_int64(res.ingest_id));
	json_object_object_add(answer, "custody_entry", json_object_new_int64((int64_t)seq));
	return CLI_OK;
}

/* The reader's question, after its report: the GeoJSON bytes become the
 * file (atomically, as always), then the vault work. */
static int radio_ask(void *ctx, const char *question, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)len;
	const radio_local *l = ctx;
	int rc = CLI_OK;
	json_object *answer = json_object_new_object();
	if (l->case_name) json_object_object_add(answer, "case", json_object_new_string(l->case_name));
	if (l->geojson && dv_write_file_atomic(l->geojson, outs[0].data ? (const void *)outs[0].data : "", outs[0].len, 0644) < 0)
		rc = cli_fail("radio");
	json_object *q = rc == CLI_OK && l->case_name ? json_tokener_parse(question) : NULL, *ok;
	if (q && json_object_object_get_ex(q, "ok", &ok) && json_object_get_boolean(ok)) {
		rc = store_in_case(l, q, answer);
		if (rc < 0) {
			json_object_put(q);
			json_object_put(answer);
			return rc;
		}
	} else if (rc == CLI_OK && l->case_name && !q) {
		json_object_put(answer);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the radio question is not JSON");
	}
	json_object_put(q);
	json_object_object_add(answer, "rc", json_object_new_int(rc));
	*reply = strdup(json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN));
	json_object_put(answer);
	return *reply ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

/* In the reader: the output to the parent's pipe, then the question; prints
 * what the answer says (as the command did in one process). */
static int radio_io(const dv_radio_report *r, const char *geojson_out, bool ok, int n)
{
	return cli_radio_io_question(radio_question(r, ok), geojson_out, n);
}

/* takes q (the question, radio_question's layout) */
int cli_radio_io_question(json_object *q, const char *geojson_out, int n)
{
	if (geojson_out) {
		size_t len = strlen(geojson_out);
		for (size_t done = 0; done < len;) {
			ssize_t w = write(DV_READER_OUT_FD, geojson_out + done, len - done);
			if (w < 0 && errno == EINTR) continue;
			if (w <= 0) {
				dv_error_errno(errno, "geojson", (int64_t)done, "cannot write to the parent");
				json_object_put(q);
				return cli_fail("radio");
			}
			done += (size_t)w;
		}
		close(DV_READER_OUT_FD);
	}
	char *ans = NULL;
	json_object *a = NULL, *x, *cs = NULL;
	fflush(stdout);
	if (dv_reader_ask(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), &ans) == 0) a = json_tokener_parse(ans);
	free(ans);
	json_object_put(q);
	if (!a) return cli_fail("radio");
	int rc = json_object_object_get_ex(a, "rc", &x) ? json_object_get_int(x) : CLI_FAIL;
	json_object_object_get_ex(a, "case", &cs);
	const char *case_name = json_object_get_string(cs);
	if (json_object_object_get_ex(a, "exposure", &x))
		for (size_t i = 0; i < json_object_array_length(x); i++) {
			json_object *e = json_object_array_get_idx(x, i), *v[6];
			static const char *const k[6] = { "flight", "transmitter", "operator_lat", "operator_lon", "min_m", "max_m" };
			for (int j = 0; j < 6; j++) v[j] = json_object_object_get_ex(e, k[j], &v[j]) ? v[j] : NULL;
			printf("CASE %s: the operator position %.7f,%.7f broadcast by %s was %.0f to %.0f m from flight %s's own track\n",
			       case_name, json_object_get_double(v[2]), json_object_get_double(v[3]), json_object_get_string(v[1]),
			       json_object_get_double(v[4]), json_object_get_double(v[5]), json_object_get_string(v[0]));
		}
	if (rc == CLI_OK && json_object_object_get_ex(a, "custody_entry", &x)) {
		json_object *ing = NULL;
		json_object_object_get_ex(a, "ingest", &ing);
		fprintf(stderr, "dronevault radio: %d capture(s) stored in case %s (ingest %lld), custody entry %llu\n", n,
		        case_name, (long long)json_object_get_int64(ing), (unsigned long long)json_object_get_int64(x));
	}
	json_object_put(a);
	return rc;
}

int cmd_radio(int argc, char **argv)
{
	/* parsing hostile input: in the sandboxed reader, whole unless this
	 * needs the vault or writes a file (then below: dv_reader_run_io) */
	static const char *const local_opts[] = { "case", "operator", "note", "key-file", "vault", "geojson", NULL };
	int forwarded;
	if (cli_forward("radio", argc, argv, local_opts, &forwarded)) return forwarded;
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "geojson", required_argument, NULL, 'g' },
		{ "frames", optional_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ "case", required_argument, NULL, 'c' }, { "operator", required_argument, NULL, 'o' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "iq-format", required_argument, NULL, 'Q' }, { "sample-rate", required_argument, NULL, 'R' },
		{ "center-freq", required_argument, NULL, 'F' },
		/* inside the reader only: the GeoJSON to DV_READER_OUT_FD, the case work to the parent */
		{ "x-reader-geojson", no_argument, NULL, 'G' }, { "x-reader-io", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, frames = false, frames_droneid = false, reader_geojson = false, reader_io = false;
	const char *geojson = NULL, *case_name = NULL, *operator_name = NULL, *vault = NULL, *key_file = NULL;
	const char *iq_format = NULL, *rate_arg = NULL, *freq_arg = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'g': geojson = optarg; break;
		case 'f':
			frames = true;
			if (optarg && !strcmp(optarg, "droneid")) frames_droneid = true;
			else if (optarg && strcmp(optarg, "astm")) return cli_usage("radio", "--frames=astm or --frames=droneid");
			break;
		case 'c': case_name = optarg; break;
		case 'o': operator_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'Q': iq_format = optarg; break;
		case 'R': rate_arg = optarg; break;
		case 'F': freq_arg = optarg; break;
		case 'G':
		case 'I':
			if (!cli_in_reader) return cli_usage("radio", "unknown option");
			if (c == 'G') reader_geojson = true;
			else reader_io = true;
			break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_usage("radio", "unknown option");
		}
	}
	if (optind >= argc) return cli_usage("radio", "no capture given");
	if (frames && (json || geojson)) return cli_usage("radio", "--frames cannot be combined with --json or --geojson");
	/* SDR recordings: OcuSync DroneID (cmd_radio_ocusync.c) */
	bool sdr = iq_format || rate_arg || freq_arg;
	for (int i = optind; i < argc; i++) sdr |= dv_ocusync_is_sigmf(argv[i]);
	if (sdr && frames) return cli_usage("radio", "--frames is for pcap captures, not SDR recordings");
	if (!cli_in_reader) {
		/* the captures are parsed in the reader; the GeoJSON file and the
		 * vault stay here (radio_ask) */
		if (!frames && case_name && (!operator_name || !*operator_name))
			return cli_usage("radio", "--case needs --operator NAME");
		char **av = calloc((size_t)argc + 16, sizeof(*av));
		if (!av) return cli_usage("radio", "out of memory");
		int n = 0;
		bool io_needed = !frames && (geojson || case_name);
		av[n++] = (char *)"radio";
		if (json) av[n++] = (char *)"--json";
		if (frames) av[n++] = frames_droneid ? (char *)"--frames=droneid" : (char *)"--frames";
		if (geojson) av[n++] = (char *)"--x-reader-geojson";
		if (iq_format) av[n++] = (char *)"--iq-format", av[n++] = (char *)iq_format;
		if (rate_arg) av[n++] = (char *)"--sample-rate", av[n++] = (char *)rate_arg;
		if (freq_arg) av[n++] = (char *)"--center-freq", av[n++] = (char *)freq_arg;
		if (io_needed) av[n++] = (char *)"--x-reader-io";
		av[n++] = (char *)"--";
		for (int i = optind; i < argc; i++) av[n++] = argv[i];
		/* a SigMF recording is stored with its sample file (found by
		 * name here; the reader parses the metadata) */
		char **stored = sdr ? cli_radio_sdr_files(argc - optind, argv + optind) : NULL;
		int nstored = 0;
		while (stored && stored[nstored]) nstored++;
		radio_local l = { geojson, case_name, operator_name, vault, key_file,
		                  stored ? (const char *const *)stored : (const char *const *)argv + optind,
		                  stored ? nstored : argc - optind };
		dv_reader_io io = { .nout = geojson ? 1 : 0, .out_max = 256u << 20, .ask = radio_ask, .ctx = &l };
		int code;
		if ((io_needed ? dv_reader_run_io("radio", n, av, &io, &code) : dv_reader_run("radio", n, av, &code)) < 0) {
			fprintf(stderr, "dronevault radio: %s\n", dv_error_text());
			code = CLI_FAIL;
		}
		dv_reader_io_dispose(&io);
		free(av);
		cli_radio_sdr_files_free(stored);
		return code;
	}
	if (frames) return do_frames(argc - optind, argv + optind, frames_droneid);
	if (sdr) {
		cli_sdr_args a = { json, geojson, reader_geojson, reader_io, case_name, iq_format, rate_arg, freq_arg };
		return cli_radio_sdr(&a, argc - optind, argv + optind);
	}
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
	bool found = r->naircraft > 0 || r->crc_bad_frames > 0;
	if (reader_io) {
		char *s = NULL;
		if (reader_geojson && dv_radio_report_geojson(r, &s) < 0) {
			dv_radio_report_free(r);
			return cli_fail("radio");
		}
		int irc = radio_io(r, s, rc == CLI_OK, argc - optind);
		free(s);
		dv_radio_report_free(r);
		if (irc != CLI_OK) return irc;
		if (rc != CLI_OK) return rc;
		return found ? CLI_FINDING : CLI_OK;
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
	dv_radio_report_free(r);
	if (rc != CLI_OK) return rc;
	return found ? CLI_FINDING : CLI_OK;
}
