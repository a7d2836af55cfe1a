/*
 * cmd_audit.c - `dronevault audit CAPTURE...`: did anything leave the
 * agency? A thin layer over dv/audit.h: arguments, output, exit code
 * (0 clean, 4 leak, 5 inconclusive, 1 failure, 2 usage).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/audit.h"
#include "dv/err.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault audit CAPTURE... [--policy FILE] [--json] [--report FILE.html]\n"
	        "                        [--endpoints FILE] [--geo-db FILE | --no-geo] [--max-flows N]\n"
	        "\n"
	        "Reads packet captures (pcap or pcapng, e.g. from tcpdump, Wireshark or PCAPdroid on the\n"
	        "phone or controller hotspot) and says whether anything left for the Internet: every\n"
	        "destination with its names (DNS answers, TLS/QUIC SNI, HTTP Host), country and network\n"
	        "owner, bytes each way, the drone maker's known endpoints, and readable content (positions,\n"
	        "images, flight records) sent in clear. No vault is needed.\n"
	        "\n"
	        "  --policy FILE     allowed destinations, one rule a line:\n"
	        "                      allow-net 203.0.113.0/24 agency servers\n"
	        "                      allow-name *.agency.example\n"
	        "  --json            one JSON document on stdout instead of the table\n"
	        "  --report FILE     also write a self-contained HTML report\n"
	        "  --endpoints FILE  more endpoints (format of data/endpoints.tsv)\n"
	        "  --geo-db FILE     libloc location database (default: Debian's libloc-database)\n"
	        "  --no-geo          no country/ASN lookups\n"
	        "  --max-flows N     flow table size (default 262144; older flows are folded into totals)\n"
	        "\n"
	        "Exit: 0 clean, 4 leak, 5 inconclusive (encrypted DNS, ECH, damaged capture), 1 failure.\n");
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "report", required_argument, NULL, 'r' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "geo-db", required_argument, NULL, 'g' },
		{ "no-geo", no_argument, NULL, 'G' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	dv_audit_opts o = { 0 };
	int json = 0, c;
	const char *report = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 'j': json = 1; break;
		case 'r': report = optarg; break;
		case 'e': o.endpoints_path = optarg; break;
		case 'g': o.locdb_path = optarg; break;
		case 'G': o.no_geo = 1; break;
		case 'm': {
			size_t v = 0;
			for (const char *s = optarg; *s; s++) {
				if (*s < '0' || *s > '9' || v > 100000000) return cli_usage("audit", "bad --max-flows '%s'", optarg);
				v = v * 10 + (size_t)(*s - '0');
			}
			o.max_flows = v;
			break;
		}
		case 'h': help(stdout); return CLI_OK;
		default: return cli_usage("audit", "unknown option");
		}
	}
	if (optind >= argc) return cli_usage("audit", "no capture given");
	dv_audit *a;
	if (dv_audit_new(&a, &o) < 0) return cli_fail("audit");
	for (int i = optind; i < argc; i++) {
		if (dv_audit_add_capture(a, argv[i]) < 0) {
			int rc = cli_fail("audit");
			dv_audit_free(a);
			return rc;
		}
	}
	int rc = CLI_OK;
	if (dv_audit_finish(a) < 0) {
		rc = cli_fail("audit");
		dv_audit_free(a);
		return rc;
	}
	if (json) {
		char *js;
		if (dv_audit_to_json(a, &js) < 0) {
			rc = cli_fail("audit");
			dv_audit_free(a);
			return rc;
		}
		fputs(js, stdout);
		fputc('\n', stdout);
		free(js);
	} else {
		dv_audit_print(a, stdout);
	}
	if (report && dv_audit_write_html(a, report) < 0) {
		rc = cli_fail("audit");
		dv_audit_free(a);
		return rc;
	}
	switch (dv_audit_verdict(a)) {
	case DV_VERDICT_LEAK: rc = CLI_FINDING; break;
	case DV_VERDICT_INCONCLUSIVE: rc = CLI_INCONCLUSIVE; break;
	default: rc = CLI_OK; break;
	}
	dv_audit_free(a);
	return rc;
}
