#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/export.h"
#include "dv/exports.h"
#include "dv/util.h"

static const char export_help[] =
	"usage: dronevault export --case ID --to DIR [--operator NAME] [--mode MODE] [--json]\n"
	"       dronevault export --case ID --for odm|colmap|court --to DIR [--flight F]\n"
	"                         [--since T] [--until T] [--area FILE] [--operator NAME] [--json]\n"
	"\n"
	"Writes every file of case ID back out under DIR with its original relative\n"
	"path (under ingest-N/ when the case has several ingests) and modification\n"
	"time. Each file is decrypted, re-hashed against the catalog and fsynced.\n"
	"DIR gets a SHA256SUMS file, so anyone can check the copy with\n"
	"\n"
	"    cd DIR && sha256sum -c SHA256SUMS\n"
	"\n"
	"DIR must not exist or be empty, and is not followed if it is a link.\n"
	"Directories are created and entered one at a time without following links,\n"
	"so a directory swapped for a link during the export makes it fail; nothing\n"
	"is ever written outside DIR. Files are 0600 and directories 0700 unless\n"
	"--mode says otherwise.\n"
	"\n"
	"Every file is exported. A name that cannot be recreated safely (control\n"
	"characters, absolute, '..', over-long, or SHA256SUMS) is written as\n"
	"_dronevault_renamed/NNNNNN-NAME, and _dronevault_renamed.json (listed in\n"
	"SHA256SUMS) maps it to the card's original path.\n"
	"\n"
	"Custody: export.start (destination, files planned) is logged before the\n"
	"first byte is written, export when the copy is complete (export.incomplete\n"
	"or export.interrupted when it stops); a start alone is a killed export,\n"
	"which verify names.\n"
	"\n"
	"--for writes a package for another tool into DIR/<case>-<UTC time>/ (built in\n"
	"DIR/.dronevault-partial-XXXXXX/, renamed at the end, COMPLETE written last;\n"
	"nothing else in DIR is touched; docs/exports.md):\n"
	"  odm     images/ (byte-identical), geo.txt (EPSG:4326, absolute altitude,\n"
	"          ODM yaw/pitch/roll from the DJI gimbal angles), images/image_groups.txt\n"
	"          (one group per flight), cameras.json, CAMERAS.txt, GAPS.txt\n"
	"  colmap  images/, sparse/0/{cameras,images,points3D}.txt (local ENU frame,\n"
	"          enu_origin.txt), GAPS.txt\n"
	"  court   files/, SHA256SUMS, case.dfxml, case.jsonld (CASE/UCO), report.html,\n"
	"          VERIFY.md, custody/\n"
	"The court report is also rendered to report.pdf by headless Chromium when it is\n"
	"installed (no network: in a user+network namespace where allowed; --no-pdf to\n"
	"skip); it holds the scene's coverage as `coverage` computes it (also in\n"
	"coverage.geojson; --no-coverage to skip); its map's base layer is Natural Earth from world-atlas (--basemap FILE,\n"
	"else $DV_WORLD_ATLAS, else what scripts/install-npm.sh installed).\n"
	"--flight, --since, --until (YYYY-MM-DD[THH:MM[:SS]], the photos' recorded time)\n"
	"and --area (GeoJSON polygon) choose the photos (odm, colmap).\n"
	"\n"
	"Options:\n"
	"  --case ID         the case\n"
	"  --to DIR          where to write\n"
	"  --operator NAME   who exports (custody log; default $USER)\n"
	"  --mode MODE       octal permissions of exported files (default 0600);\n"
	"                    directories get MODE plus x where it has r (0700)\n"
	"  --wait[=SECONDS]  if another writer holds the vault, wait for it (for ever,\n"
	"                    or SECONDS) instead of failing at once\n"
	"  --vault DIR, --key-file FILE, --json as for the other commands\n"
	"\n"
	"Exit status: 0 exported, 1 failure, 2 usage, 3 wrong passphrase,\n"
	CLI_BUSY_HELP
	"130 interrupted.\n";

static void on_progress(uint64_t fd, uint64_t ft, uint64_t bd, uint64_t bt, void *p)
{
	(void)p;
	cli_progress("exporting", fd, ft, bd, bt);
}

/* export --for: a package for another tool (dv/exports.h). */
static int export_for(const char *kind, const dv_export_opts *eo, const dv_exports_select *sel, bool no_pdf,
                      bool no_cov, const char *basemap, const char *vault, const char *key_file, double wait, bool json)
{
	dv_exports_opts xo = { 0 };
	if (dv_exports_kind_parse(&xo.kind, kind) < 0) return cli_usage("export", "%s", dv_error_text());
	if (eo->file_mode) return cli_usage("export", "--mode is not taken with --for (packages are 0600/0700)");
	xo.case_name = eo->case_name;
	xo.dest = eo->dest;
	xo.operator_name = eo->operator_name;
	xo.sel = *sel;
	xo.tool_version = DV_VERSION;
	xo.no_pdf = no_pdf;
	xo.no_coverage = no_cov;
	xo.basemap = basemap;
	dv_vault *v;
	char holder[300];
	snprintf(holder, sizeof(holder), "export by %s", eo->operator_name);
	int rc = cli_open_vault_writer("export", vault, key_file, holder, wait, &v);
	if (rc) return rc;
	dv_exports_result res;
	rc = dv_exports_run(&res, v, &xo);
	dv_vault_close(v);
	if (rc < 0) return cli_fail("export");
	char hex[65];
	dv_hex(hex, res.package_sha256, 32);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "case", json_object_new_string(eo->case_name));
		json_object_object_add(o, "for", json_object_new_string(kind));
		json_object_object_add(o, "package", json_object_new_string(res.package));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)res.files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes));
		json_object_object_add(o, "photos_posed", json_object_new_int64((int64_t)res.photos));
		json_object_object_add(o, "photos_with_gaps", json_object_new_int64((int64_t)res.gaps));
		json_object_object_add(o, "package_sha256", json_object_new_string(hex));
		json_object_object_add(o, "custody_entry", json_object_new_int64((int64_t)res.log_seq));
		json_object_object_add(o, "custody_start_entry", json_object_new_int64((int64_t)res.start_seq));
		json_object_object_add(o, "pdf", json_object_new_boolean(res.pdf));
		json_object_object_add(o, "pdf_seconds", json_object_new_double(res.pdf_seconds));
		cli_print_json(o);
		json_object_put(o);
	} else {
		if (xo.kind == DV_EXPORTS_COURT)
			printf("%s\n", res.pdf ? "  report.pdf rendered by headless Chromium"
			                       : "  no report.pdf (no Chromium, or --no-pdf): report.html only");
		printf("exported %llu files of case %s for %s to %s\n  package SHA-256     %s (COMPLETE)\n"
		       "  photos with a pose  %llu\n  photos with gaps    %llu (GAPS.txt)\n  custody entries     %llu (start), %llu\n",
		       (unsigned long long)res.files, cli_esc(eo->case_name), kind, cli_esc(res.package), hex,
		       (unsigned long long)res.photos, (unsigned long long)res.gaps, (unsigned long long)res.start_seq,
		       (unsigned long long)res.log_seq);
	}
	return CLI_OK;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "to", required_argument, NULL, 't' },
		{ "operator", required_argument, NULL, 'o' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "wait", optional_argument, NULL, 'W' }, { "mode", required_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'F' }, { "flight", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
		{ "area", required_argument, NULL, 'a' }, { "no-pdf", no_argument, NULL, 'P' },
		{ "no-coverage", no_argument, NULL, 'C' },
		{ "basemap", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *kind = NULL;
	dv_exports_select sel = { 0 };
	bool no_pdf = false, no_cov = false;
	const char *basemap = NULL;
	double wait = 0;
	dv_export_opts eo = { 0 };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': eo.case_name = optarg; break;
		case 't': eo.dest = optarg; break;
		case 'o': eo.operator_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 0777 || !(m & 0400))
				return cli_usage("export", "--mode wants octal permissions the owner can read (e.g. 0640)");
			eo.file_mode = (unsigned)m;
			break;
		}
		case 'W':
			if (cli_parse_wait("export", optarg, &wait)) return CLI_USAGE;
			break;
		case 'F': kind = optarg; break;
		case 'P': no_pdf = true; break;
		case 'C': no_cov = true; break;
		case 'B': basemap = optarg; break;
		case 'f': sel.flight = optarg; break;
		case 'a': sel.area_file = optarg; break;
		case 's':
			if (dv_exports_parse_time(&sel.since_us, optarg) < 0) return cli_usage("export", "--since: %s", dv_error_text());
			sel.has_since = true;
			break;
		case 'u':
			if (dv_exports_parse_time(&sel.until_us, optarg) < 0) return cli_usage("export", "--until: %s", dv_error_text());
			sel.has_until = true;
			break;
		case 'h': fputs(export_help, stdout); return CLI_OK;
		default: return cli_usage("export", "unknown option");
		}
	}
	if (!eo.case_name) return cli_usage("export", "--case ID is required");
	if (!eo.dest) return cli_usage("export", "--to DIR is required");
	if (optind != argc) return cli_usage("export", "unexpected argument '%s'", argv[optind]);
	eo.operator_name = cli_operator(eo.operator_name, "");
	if (kind) return export_for(kind, &eo, &sel, no_pdf, no_cov, basemap, vault, key_file, wait, json);
	if (sel.flight || sel.area_file || sel.has_since || sel.has_until)
		return cli_usage("export", "--flight, --since, --until and --area need --for");
	dv_vault *v;
	char holder[300];
	snprintf(holder, sizeof(holder), "export by %s", eo.operator_name);
	int rc = cli_open_vault_writer("export", vault, key_file, holder, wait, &v);
	if (rc) return rc;
	cli_catch_signals();
	eo.progress = on_progress;
	eo.interrupted = &cli_interrupted;
	dv_export_result res;
	rc = dv_export(v, &eo, &res);
	cli_progress_end();
	dv_vault_close(v);
	if (rc < 0) return cli_fail("export");
	char hex[65], b[32];
	dv_hex(hex, res.sums_sha256, 32);
	cli_human_bytes(b, sizeof(b), res.bytes);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "case", json_object_new_string(eo.case_name));
		json_object_object_add(o, "destination", json_object_new_string(eo.dest));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)res.files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes));
		json_object_object_add(o, "sha256sums_sha256", json_object_new_string(hex));
		json_object_object_add(o, "custody_entry", json_object_new_int64((int64_t)res.log_seq));
		json_object_object_add(o, "custody_start_entry", json_object_new_int64((int64_t)res.start_seq));
		json_object_object_add(o, "renamed", json_object_new_int64((int64_t)res.renamed));
		json_object_object_add(o, "seconds", json_object_new_double(res.seconds));
		cli_print_json(o);
		json_object_put(o);
	} else {
		printf("exported %llu files (%s) of case %s to %s\n  SHA256SUMS SHA-256  %s\n  custody entries     %llu (start), %llu\n",
		       (unsigned long long)res.files, b, cli_esc(eo.case_name), cli_esc(eo.dest), hex, (unsigned long long)res.start_seq,
		       (unsigned long long)res.log_seq);
		if (res.renamed)
			printf("  renamed             %llu files with unsafe names (see _dronevault_renamed.json)\n",
			       (unsigned long long)res.renamed);
	}
	return CLI_OK;
}
