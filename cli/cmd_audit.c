/*
 * cmd_audit.c - `dronevault audit CAPTURE...`: did anything leave the
 * agency? A thin layer over dv/audit.h: arguments, output, exit code
 * (0 clean, 4 leak, 5 inconclusive, 1 failure, 2 usage).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "dv/audit.h"
#include "dv/radio.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "dv/vault.h"
#include "dv/reader.h"

#include <errno.h>

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault audit CAPTURE... [--policy FILE] [--json] [--report FILE.html]\n"
	        "                        [--case ID --operator NAME [--note TEXT] [--key-file FILE]]\n"
	        "                        [--endpoints FILE] [--geo-db FILE | --no-geo] [--no-ndpi] [--max-flows N]\n"
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
	        "  --case ID         also store the captures (and the report) as evidence in case ID of\n"
	        "                    the vault (--vault DIR before the command, or $DRONEVAULT_VAULT), and\n"
	        "                    record the verdict with the files' SHA-256 in the custody log\n"
	        "  --operator NAME   who ran the audit (required with --case)\n"
	        "  --note TEXT       a note for the custody log\n"
	        "  --key-file FILE   open the vault with a key file instead of a passphrase\n"
	        "  --endpoints FILE  more endpoints (format of data/endpoints.tsv)\n"
	        "  --geo-db FILE     libloc location database (default: Debian's libloc-database)\n"
	        "  --no-geo          no country/ASN lookups\n"
	        "  --no-ndpi         no application-protocol classification (nDPI)\n"
	        "  --max-flows N     flow table size (default 262144; older flows are folded into totals)\n"
	        "\n"
	        "Exit: 0 clean, 4 leak, 5 inconclusive (encrypted DNS, ECH, damaged capture), 1 failure.\n"
	        "With --case: " CLI_BUSY_HELP);
}

/* What the custody entry records of an audit (built in the reader). */
static json_object *audit_detail(const dv_audit *a)
{
	json_object *detail = json_object_new_object();
	json_object *reasons = json_object_new_array();
	char *rs = strdup(dv_audit_reasons(a));
	for (char *s = rs, *e; s && *s; s = e ? e + 2 : NULL) {
		e = strstr(s, "; ");
		if (e) *e = 0;
		json_object_array_add(reasons, json_object_new_string(s));
	}
	free(rs);
	json_object_object_add(detail, "verdict", json_object_new_string(dv_verdict_name(dv_audit_verdict(a))));
	json_object_object_add(detail, "reasons", reasons);
	size_t nd;
	const dv_audit_dest *d = dv_audit_dests(a, &nd);
	json_object *leaks = json_object_new_array();
	for (size_t i = 0; i < nd && json_object_array_length(leaks) < 64; i++) {
		if (d[i].verdict != DV_VERDICT_LEAK) continue;
		char addr[64];
		dv_addr_str(addr, sizeof(addr), d[i].ipver, d[i].addr);
		json_object *l = json_object_new_object();
		json_object_object_add(l, "address", json_object_new_string(addr));
		json_object_object_add(l, "name", json_object_new_string(d[i].nnames ? d[i].names[0] : ""));
		json_object_object_add(l, "bytes_out", json_object_new_uint64(d[i].bytes_out));
		json_object_array_add(leaks, l);
	}
	json_object_object_add(detail, "leaking_destinations", leaks);
	const dv_audit_stats *st = dv_audit_get_stats(a);
	json_object_object_add(detail, "frames", json_object_new_uint64(st->frames));
	json_object_object_add(detail, "flows", json_object_new_uint64(st->flows));
	return detail;
}

/* ---- the parent's side of a run in the reader ---- */
/* The reader's detail, re-checked field by field and rebuilt: only what
 * the custody entry holds, of the types it holds. NULL: a protocol fault. */
static json_object *rebuild_detail(json_object *q)
{
	json_object *d, *reasons, *leaks;
	if (!json_object_object_get_ex(q, "detail", &d) || !json_object_is_type(d, json_type_object)) return NULL;
	const char *verdict = cli_reader_str(d, "verdict", 32);
	bool known = false;
	for (int v = DV_VERDICT_CLEAN; verdict && v <= DV_VERDICT_INCONCLUSIVE; v++)
		known |= !strcmp(verdict, dv_verdict_name((dv_verdict)v));
	uint64_t frames, flows;
	if (!known || !json_object_object_get_ex(d, "reasons", &reasons) || !json_object_is_type(reasons, json_type_array) ||
	    json_object_array_length(reasons) > 256 || !json_object_object_get_ex(d, "leaking_destinations", &leaks) ||
	    !json_object_is_type(leaks, json_type_array) || json_object_array_length(leaks) > 64 ||
	    !cli_reader_count(d, "frames", &frames) || !cli_reader_count(d, "flows", &flows))
		return NULL;
	json_object *out = json_object_new_object(), *ra = json_object_new_array(), *la = json_object_new_array();
	json_object_object_add(out, "verdict", json_object_new_string(verdict));
	json_object_object_add(out, "reasons", ra);
	json_object_object_add(out, "leaking_destinations", la);
	json_object_object_add(out, "frames", json_object_new_uint64(frames));
	json_object_object_add(out, "flows", json_object_new_uint64(flows));
	for (size_t i = 0; i < json_object_array_length(reasons); i++) {
		json_object *r = json_object_array_get_idx(reasons, i);
		if (!json_object_is_type(r, json_type_string) || json_object_get_string_len(r) > 4096 ||
		    strlen(json_object_get_string(r)) != (size_t)json_object_get_string_len(r))
			goto bad;
		json_object_array_add(ra, json_object_new_string(json_object_get_string(r)));
	}
	for (size_t i = 0; i < json_object_array_length(leaks); i++) {
		json_object *l = json_object_array_get_idx(leaks, i);
		const char *addr = json_object_is_type(l, json_type_object) ? cli_reader_str(l, "address", 63) : NULL;
		const char *name = addr ? cli_reader_str(l, "name", 1024) : NULL;
		uint64_t bytes;
		if (!name || !cli_reader_count(l, "bytes_out", &bytes)) goto bad;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "bytes_out", json_object_new_uint64(bytes));
		json_object_array_add(la, o);
	}
	return out;
bad:
	json_object_put(out);
	return NULL;
}

/*
 * --case: the captures (and the report) go into the case as evidence, and a
 * custody entry records them with the verdict. On failure prints why and
 * returns the exit code; *out describes what was stored.
 */
static int store_evidence(json_object *detail, const char *const *captures, size_t n, const char *report,
                          const char *case_name, const char *operator_name, const char *note,
                          const char *key_file, json_object **out)
{
	const char **files = calloc(n + 1, sizeof(*files));
	if (!files) return cli_usage("audit", "out of memory");
	for (size_t i = 0; i < n; i++) files[i] = captures[i];
	if (report) files[n++] = report;
	dv_ingest_opts io = { .files = files, .nfiles = n, .case_name = case_name, .operator_name = operator_name,
	                      .note = note, .interrupted = &cli_interrupted };
	dv_vault *v;
	int rc = cli_open_vault("audit", NULL, key_file, DV_VAULT_WRITE, &v);
	if (rc) {
		free(files);
		return rc;
	}
	cli_catch_signals();
	dv_ingest_result res;
	uint64_t seq = 0;
	if (dv_ingest_evidence(v, &io, DV_ACTION_AUDIT, detail, &res, &seq) < 0) {
		rc = cli_fail("audit");
	} else {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "case", json_object_new_string(case_name));
		json_object_object_add(e, "ingest", json_object_new_int64(res.ingest_id));
		json_object_object_add(e, "files", json_object_new_int64((int64_t)res.files_total));
		json_object_object_add(e, "custody_entry", json_object_new_int64((int64_t)seq));
		*out = e;
	}
	dv_vault_close(v);
	free(files);
	return rc;
}

typedef struct audit_local {
	const char *report, *case_name, *operator_name, *note, *key_file;
	const char *const *captures;
	size_t n;
} audit_local;

/* The reader's question, after its analysis: the report's bytes become the
 * file (created as dv_audit_write_html does), the detail the custody entry.
 * The answer: {"evidence": {...}}, {} (no --case) or {"rc": N} (failed,
 * said why on stderr). */
static int audit_ask(void *ctx, const char *question, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)len;
	const audit_local *l = ctx;
	int rc = CLI_OK;
	json_object *evidence = NULL;
	if (l->report) {
		FILE *f = fopen(l->report, "w");
		if (!f) {
			dv_error_errno(errno, l->report, -1, "cannot create report");
			rc = cli_fail("audit");
		} else {
			size_t w = outs[0].len ? fwrite(outs[0].data, 1, outs[0].len, f) : 0;
			int e = w == outs[0].len ? 0 : errno;
			if (fclose(f) != 0 && !e) e = errno;
			if (e) {
				dv_error_errno(e, l->report, -1, "cannot write report");
				rc = cli_fail("audit");
			}
		}
	}
	if (rc == CLI_OK && l->case_name) {
		json_object *q = json_tokener_parse(question);
		json_object *detail = q ? rebuild_detail(q) : NULL;
		json_object_put(q);
		if (!detail) return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the audit's detail is malformed");
		rc = store_evidence(detail, l->captures, l->n, l->report, l->case_name, l->operator_name, l->note,
		                    l->key_file, &evidence);
		json_object_put(detail);
	}
	json_object *a = json_object_new_object();
	if (rc != CLI_OK) json_object_object_add(a, "rc", json_object_new_int(rc));
	else if (evidence) json_object_object_add(a, "evidence", evidence);
	*reply = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return *reply ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

int cli_audit_reader_args(char **av, int n, const dv_audit_opts *o, const char *max_flows, bool json, bool report)
{
	const char *pairs[][2] = { { "--policy", o->policy_path }, { "--endpoints", o->endpoints_path },
		                   { "--geo-db", o->locdb_path }, { "--max-flows", max_flows } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i][1]) {
			av[n++] = (char *)pairs[i][0];
			av[n++] = (char *)pairs[i][1];
		}
	if (json) av[n++] = (char *)"--json";
	if (o->no_geo) av[n++] = (char *)"--no-geo";
	if (o->no_ndpi) av[n++] = (char *)"--no-ndpi";
	if (report) av[n++] = (char *)"--x-reader-report";
	return n;
}

int cmd_audit(int argc, char **argv)
{
	/* parsing hostile input: in the sandboxed reader, whole unless this
	 * needs the vault or writes a file (then below: dv_reader_run_io) */
	static const char *const local_opts[] = { "case", "operator", "note", "key-file", "vault", "report", NULL };
	int forwarded;
	if (cli_forward("audit", argc, argv, local_opts, &forwarded)) return forwarded;
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "report", required_argument, NULL, 'r' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "geo-db", required_argument, NULL, 'g' },
		{ "no-geo", no_argument, NULL, 'G' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "no-ndpi", no_argument, NULL, 'N' },
		{ "case", required_argument, NULL, 'c' },
		{ "operator", required_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'n' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		/* inside the reader only: the report to DV_READER_OUT_FD, the
		 * verdict to the parent (dv_reader_ask) */
		{ "x-reader-report", no_argument, NULL, 'R' },
		{ "x-reader-io", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	dv_audit_opts o = { 0 };
	int json = 0, c;
	bool reader_report = false, reader_io = false;
	const char *max_flows = NULL;
	const char *report = NULL, *case_name = NULL, *operator_name = NULL, *note = NULL, *key_file = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 'j': json = 1; break;
		case 'r': report = optarg; break;
		case 'e': o.endpoints_path = optarg; break;
		case 'g': o.locdb_path = optarg; break;
		case 'G': o.no_geo = 1; break;
		case 'N': o.no_ndpi = 1; break;
		case 'c': case_name = optarg; break;
		case 'o': operator_name = optarg; break;
		case 'n': note = optarg; break;
		case 'k': key_file = optarg; break;
		case 'R':
		case 'I':
			if (!cli_in_reader) return cli_usage("audit", "unknown option");
			if (c == 'R') reader_report = true;
			else reader_io = true;
			break;
		case 'm': {
			max_flows = optarg;
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
	if (case_name && (!*case_name || strlen(case_name) > 200)) return cli_usage("audit", "bad --case ID");
	if (case_name && (!operator_name || !*operator_name)) return cli_usage("audit", "--case needs --operator NAME");
	if (!case_name && (operator_name || note || key_file))
		return cli_usage("audit", "--operator, --note and --key-file go with --case");
	if (note && strlen(note) > 1000) return cli_usage("audit", "--note longer than 1000 characters");
	if (!cli_in_reader) {
		/* the captures are parsed in the reader; the report file and the
		 * vault stay here (audit_ask) */
		char **av = calloc((size_t)argc + 24, sizeof(*av));
		if (!av) return cli_usage("audit", "out of memory");
		int n = 0;
		av[n++] = (char *)"audit";
		n = cli_audit_reader_args(av, n, &o, max_flows, json, report);
		av[n++] = (char *)"--x-reader-io";
		av[n++] = (char *)"--";
		for (int i = optind; i < argc; i++) av[n++] = argv[i];
		audit_local l = { report, case_name, operator_name, note, key_file, (const char *const *)argv + optind,
		                  (size_t)(argc - optind) };
		dv_reader_io io = { .nout = report ? 1 : 0, .out_max = 512u << 20, .ask = audit_ask, .ctx = &l };
		int code;
		if (dv_reader_run_io("audit", n, av, &io, &code) < 0) {
			fprintf(stderr, "dronevault audit: %s\n", dv_error_text());
			code = CLI_FAIL;
		}
		dv_reader_io_dispose(&io);
		free(av);
		return code;
	}
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
	FILE *rf = reader_report ? fdopen(DV_READER_OUT_FD, "w") : NULL;
	if ((reader_report && (!rf ? dv_error_errno(errno, "report", -1, "no report pipe") : dv_audit_write_html_to(a, rf, "report")) < 0) ||
	    (report && dv_audit_write_html(a, report) < 0)) {
		rc = cli_fail("audit");
		dv_audit_free(a);
		return rc;
	}
	/* Radio captures (802.11 management, Bluetooth LE) in the same files: the
	 * broadcast Remote ID is a disclosure of its own, reported beside the
	 * verdict on Internet links (which it does not change). */
	dv_radio_report *rr = NULL;
	const dv_audit_stats *ast = dv_audit_get_stats(a);
	if ((ast->unsupported_link || ast->non_ip) && dv_radio_report_new(&rr) == 0) {
		for (int i = optind; i < argc; i++) (void)dv_radio_report_add_capture(rr, argv[i]);
		dv_radio_report_finish(rr);
		if (rr->naircraft == 0) {
			dv_radio_report_free(rr);
			rr = NULL;
		}
		dv_error_clear();
	}
	json_object *evidence = NULL;
	if (reader_io) {
		/* the parent writes the report and stores the evidence */
		json_object *q = json_object_new_object();
		json_object_object_add(q, "detail", audit_detail(a));
		char *ans = NULL;
		json_object *reply = NULL, *x;
		if (dv_reader_ask(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), &ans) == 0)
			reply = json_tokener_parse(ans);
		free(ans);
		json_object_put(q);
		if (!reply) rc = cli_fail("audit");
		else if (json_object_object_get_ex(reply, "rc", &x)) rc = json_object_get_int(x);
		else if (json_object_object_get_ex(reply, "evidence", &x)) evidence = json_object_get(x);
		json_object_put(reply);
		if (rc) {
			dv_radio_report_free(rr);
			dv_audit_free(a);
			return rc;
		}
	}
	if (json) {
		char *js;
		if (dv_audit_to_json(a, &js) < 0) {
			rc = cli_fail("audit");
			json_object_put(evidence);
			dv_audit_free(a);
			return rc;
		}
		json_object *doc = evidence || rr ? json_tokener_parse(js) : NULL;
		if (doc) {
			if (evidence) json_object_object_add(doc, "evidence", json_object_get(evidence));
			char *rj = NULL;
			if (rr && dv_radio_report_json(rr, &rj) == 0) json_object_object_add(doc, "remote_id", json_tokener_parse(rj));
			free(rj);
			fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			                                              JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
			json_object_put(doc);
		} else {
			fputs(js, stdout);
		}
		fputc('\n', stdout);
		free(js);
	} else {
		dv_audit_print(a, stdout);
		if (rr) {
			printf("\nRemote ID broadcasts in these captures (what anyone within radio range learned):\n");
			dv_radio_report_print(rr, stdout);
		}
		if (evidence) {
			json_object *ing = NULL, *seq = NULL;
			json_object_object_get_ex(evidence, "ingest", &ing);
			json_object_object_get_ex(evidence, "custody_entry", &seq);
			json_object *cs = NULL;
			json_object_object_get_ex(evidence, "case", &cs);
			printf("evidence: stored in case %s (ingest %lld), verdict in custody entry %lld\n",
			       json_object_get_string(cs),
			       (long long)json_object_get_int64(ing), (long long)json_object_get_int64(seq));
		}
	}
	json_object_put(evidence);
	dv_radio_report_free(rr);
	switch (dv_audit_verdict(a)) {
	case DV_VERDICT_LEAK: rc = CLI_FINDING; break;
	case DV_VERDICT_INCONCLUSIVE: rc = CLI_INCONCLUSIVE; break;
	default: rc = CLI_OK; break;
	}
	dv_audit_free(a);
	return rc;
}
