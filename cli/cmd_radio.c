/*
 * dronevault radio - what a drone's broadcast Remote ID told everyone in
 * radio range. A thin layer over dv/radio.h; needs no vault.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/radio.h"
#include "dv/util.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault radio [--json] [--geojson FILE] CAPTURE...\n"
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
	        "Exit codes: 4 Remote ID broadcasts found (an exposure), 0 none found,\n"
	        "1 a capture could not be read (the others are still reported), 2 usage.\n");
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
	unsigned flags = isatty(STDOUT_FILENO) ? DV_ODID_TSV_ESCAPE : 0;
	printf("# frame\tmsgType\tbasicID_idType\tbasicID_uaType\tbasicID_id_asc\tloc_status\tloc_lat\tloc_lon"
	       "\tloc_geoAlt\tloc_height\tloc_speed\tloc_direction\tsystem_lat\tsystem_lon\toperator_id\tself_desc\n");
	for (int i = 0; i < n; i++) {
		if (n > 1) printf("# %s\n", paths[i]);
		if (dv_radio_scan_file(paths[i], print_frame, &flags, NULL) < 0) rc = cli_fail("radio");
	}
	return rc;
}

int cmd_radio(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "geojson", required_argument, NULL, 'g' },
		{ "frames", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, frames = false;
	const char *geojson = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'g': geojson = optarg; break;
		case 'f': frames = true; break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_usage("radio", "unknown option");
		}
	}
	if (optind >= argc) return cli_usage("radio", "no capture given");
	if (frames && (json || geojson)) return cli_usage("radio", "--frames cannot be combined with --json or --geojson");
	if (frames) return do_frames(argc - optind, argv + optind);

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
	dv_radio_report_free(r);
	if (rc != CLI_OK) return rc;
	return found ? CLI_FINDING : CLI_OK;
}
