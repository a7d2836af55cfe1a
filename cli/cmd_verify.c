#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/index.h"
#include "dv/transfer.h"
#include "dv/util.h"
#include "dv/verify.h"

static const char verify_help[] =
	"usage: dronevault verify [--case ID] [--head DIGEST] [--deep] [--json] [--vault DIR] [--key-file FILE]\n"
	"                         [--witness STATIONDIR [--witness-key-file FILE]]\n"
	"\n"
	"Proves the vault is intact, or names every problem:\n"
	"  - the custody log: every entry's structure, sequence, chain link, Ed25519\n"
	"    signature and sealed body, and that it ends where the catalog says;\n"
	"  - the catalog: SQLite's integrity check and every sealed row;\n"
	"  - each completed ingest: its files still match the manifest digest its\n"
	"    custody entry recorded;\n"
	"  - every blob (of the case, with --case): decrypted, authenticated chunk by\n"
	"    chunk, re-hashed with SHA-256 and matched to its name and catalog rows.\n"
	"\n"
	"\n"
	"It runs while an ingest writes: it checks one snapshot of the catalog and\n"
	"the log up to that snapshot; the open ingest and the log entries written\n"
	"after it are reported as in progress, not as problems.\n"
	"\n"
	"An export the custody log shows begun (export.start) but never completed\n"
	"(killed mid-copy) is a note naming its destination and counted as an\n"
	"unfinished export: a partial copy of evidence left the vault, which is\n"
	"custody to account for, not damage to the vault (exit 0).\n"
	"\n"
	"The custody log and the catalog account for each other both ways: every\n"
	"case and ingest the log records is in the catalog (an ingest it records\n"
	"complete is complete, with the same manifest and telemetry digest), and\n"
	"every case, ingest, blob and telemetry row of the catalog is in the log.\n"
	"\n"
	"--deep also re-derives every file's telemetry (positions, times, tracks)\n"
	"from its blob in the sandboxed reader, as reindex does, and compares it\n"
	"with the catalog's: a track or point changed, added or removed is named.\n"
	"\n"
	"--head DIGEST proves the vault (with --case, the case) still contains the\n"
	"state 'dronevault log --head' printed then (64 hex digits, or a prefix of\n"
	"at least 16): it fails on a copy rolled back to before it.\n"
	"\n"
	"A shared vault (PostgreSQL catalog, several stations): the log is one\n"
	"chain per case and per station; every entry is checked against the\n"
	"station registry (signed by an enrolled station, not after its\n"
	"revocation, naming the station that signed it), the registry against the\n"
	"log's station.add and station.revoke entries, and this station's\n"
	"directory against the vault's witness of its writes: a directory put back\n"
	"to an older copy is a problem. Notes count the entries of each station.\n"
	"\n"
	"--witness STATIONDIR holds this vault (an offline station's own, or a\n"
	"laptop's after migrate) to the central vault whose station directory is\n"
	"STATIONDIR: the central vault witnessed this vault's log head at every\n"
	"push (sync, migrate), and this vault's log must still hold the last one;\n"
	"a copy put back to before that push is a problem. The central key:\n"
	"--witness-key-file, else $DRONEVAULT_TO_PASSPHRASE, else as the vault's.\n"
	"\n"
	"Exit status: 0 intact, 4 problems found (each printed), 1 could not check,\n"
	"3 wrong passphrase.\n";

struct out {
	bool json;
	json_object *problems, *notes;
};

static void on_problem(const char *m, void *p)
{
	struct out *o = p;
	cli_progress_end();
	if (o->json) json_object_array_add(o->problems, json_object_new_string(m));
	else fprintf(stderr, "PROBLEM: %s\n", cli_esc(m));
}

static void on_note(const char *m, void *p)
{
	struct out *o = p;
	if (o->json) json_object_array_add(o->notes, json_object_new_string(m));
	else fprintf(stderr, "note: %s\n", cli_esc(m));
}

static void on_progress(uint64_t done, uint64_t total, void *p)
{
	(void)p;
	cli_progress("verifying", 0, 0, done, total);
}

/* --witness: < 0 a problem (printed), 0 held, > 0 an exit code (could not check) */
static int check_witness(dv_vault *v, const char *dir, const char *key_file, struct out *out)
{
	static char pass[1024];
	dv_key_source k;
	char prompt[4300];
	snprintf(prompt, sizeof(prompt), "Passphrase of the central vault's station %s: ", dir);
	int rc = cli_other_key(&k, "verify", key_file, "DRONEVAULT_TO_PASSPHRASE", prompt, false, pass, sizeof(pass));
	if (rc) return rc;
	dv_vault *central;
	rc = dv_vault_open(&central, dir, &k, DV_VAULT_READ);
	memset(pass, 0, sizeof(pass));
	if (rc < 0) return cli_fail("verify");
	uint64_t seq;
	uint8_t h[32];
	rc = dv_transfer_witness_check(central, v, &seq, h);
	dv_vault_close(central);
	char msg[1200], hex[65];
	if (rc == DV_ECORRUPT) {
		on_problem(dv_error_text(), out);
		return -1;
	}
	if (rc < 0) return cli_fail("verify");
	dv_hex(hex, h, 32);
	if (seq) snprintf(msg, sizeof(msg), "witness: the central vault %s witnessed this vault's head at entry %llu (%.16s...): held", dir,
	                  (unsigned long long)seq, hex);
	else snprintf(msg, sizeof(msg), "witness: the central vault %s has witnessed no push from this vault yet", dir);
	on_note(msg, out);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "head", required_argument, NULL, 'H' }, { "deep", no_argument, NULL, 'D' },
		{ "witness", required_argument, NULL, 'W' }, { "witness-key-file", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *witness = NULL, *witness_key_file = NULL;
	char head[65] = "";
	bool deep = false;
	struct out out = { 0 };
	dv_verify_opts vo = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': vo.case_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': out.json = true; break;
		case 'H': {
			size_t n = strlen(optarg);
			if (n < 16 || n > 64 || strspn(optarg, "0123456789abcdefABCDEF") != n)
				return cli_usage("verify", "--head wants a digest from 'dronevault log --head': 16 to 64 hex digits");
			for (size_t i = 0; i <= n; i++) head[i] = (char)(optarg[i] >= 'A' && optarg[i] <= 'F' ? optarg[i] + 32 : optarg[i]);
			vo.head = head;
			break;
		}
		case 'D': deep = true; break;
		case 'W': witness = optarg; break;
		case 'K': witness_key_file = optarg; break;
		case 'h': fputs(verify_help, stdout); return CLI_OK;
		default: return cli_usage("verify", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("verify", "unexpected argument '%s'", argv[optind]);
	dv_vault *v;
	int rc = cli_open_vault("verify", vault, key_file, DV_VAULT_READ, &v);
	if (rc) return rc;
	cli_catch_signals();
	out.problems = json_object_new_array();
	out.notes = json_object_new_array();
	vo.problem = on_problem;
	vo.note = on_note;
	vo.progress = on_progress;
	vo.payload = &out;
	vo.interrupted = &cli_interrupted;
	dv_verify_result res;
	rc = dv_verify(v, &vo, &res);
	cli_progress_end();
	uint64_t deep_files = 0, deep_differ = 0;
	if (rc == 0 && deep) {
		rc = dv_index_deep_check(v, vo.case_name, on_problem, &out, &deep_files, &deep_differ);
		res.problems += deep_differ;
	}
	if (rc == 0 && witness) {
		int wrc = check_witness(v, witness, witness_key_file, &out);
		if (wrc > 0) {
			dv_vault_close(v);
			json_object_put(out.problems);
			json_object_put(out.notes);
			return wrc;
		}
		if (wrc < 0) res.problems++;
	}
	int exit_code = rc < 0 ? cli_fail("verify") : res.problems ? CLI_FINDING : CLI_OK;
	if (out.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(rc == 0 && res.problems == 0));
		json_object_object_add(o, "problems", out.problems);
		json_object_object_add(o, "notes", out.notes);
		json_object_object_add(o, "custody_entries", json_object_new_int64((int64_t)res.log_entries));
		json_object_object_add(o, "ingests", json_object_new_int64((int64_t)res.ingests));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)res.files));
		json_object_object_add(o, "blobs", json_object_new_int64((int64_t)res.blobs));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes));
		json_object_object_add(o, "orphan_blobs", json_object_new_int64((int64_t)res.orphans));
		json_object_object_add(o, "in_progress", json_object_new_int64((int64_t)res.in_progress));
		json_object_object_add(o, "exports_unfinished", json_object_new_int64((int64_t)res.exports_unfinished));
		json_object_object_add(o, "seconds", json_object_new_double(res.seconds));
		if (deep) json_object_object_add(o, "telemetry_rederived", json_object_new_int64((int64_t)deep_files));
		cli_print_json(o);
		json_object_put(o);
	} else {
		json_object_put(out.problems);
		json_object_put(out.notes);
		if (rc == 0) {
			char b[32];
			cli_human_bytes(b, sizeof(b), res.bytes);
			printf("%s: %llu custody entries, %llu ingests, %llu files, %llu blobs (%s) checked in %.1f s\n",
			       res.problems ? "PROBLEMS FOUND" : "vault intact", (unsigned long long)res.log_entries,
			       (unsigned long long)res.ingests, (unsigned long long)res.files,
			       (unsigned long long)res.blobs, b, res.seconds);
			if (deep)
				printf("telemetry re-derived from %llu files' blobs: %llu differ from the catalog\n",
				       (unsigned long long)deep_files, (unsigned long long)deep_differ);
			if (res.problems) printf("%llu problems (listed above)\n", (unsigned long long)res.problems);
			if (res.exports_unfinished)
				printf("unfinished exports: %llu (killed mid-copy: a partial copy of evidence left the vault, see the notes)\n",
				       (unsigned long long)res.exports_unfinished);
			if (res.in_progress)
				printf("in progress: %llu (an ingest writing now; not problems, see the notes)\n",
				       (unsigned long long)res.in_progress);
		}
	}
	dv_vault_close(v);
	return exit_code;
}
