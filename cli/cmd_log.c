#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dv/custody.h"
#include "dv/err.h"
#include "dv/util.h"
#include "dv/vault.h"

static const char log_help[] =
	"usage: dronevault log [--case ID] [--json] [--vault DIR] [--key-file FILE]\n"
	"       dronevault log --head [--case ID] [--vault DIR] [--key-file FILE]\n"
	"       dronevault log --case ID --package DIR [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Shows the chain-of-custody log: every vault creation, ingest, export and\n"
	"audit, with its time (UTC), station, operator and what it covered. Each\n"
	"entry is chained to the one before by SHA-256 and signed with the\n"
	"station's Ed25519 key; entries that fail those checks are reported (exit 4).\n"
	"While an ingest writes, the log is shown as of one snapshot; entries after\n"
	"it are counted on stderr as in progress. A shared vault (PostgreSQL): one\n"
	"chain per case and per station, seq is the place in the entry's chain, the\n"
	"station column names the station whose registered key signed it, and\n"
	"the entries are in time order.\n"
	"\n"
	"Options:\n"
	"  --case ID   only the entries about case ID\n"
	"  --json      a JSON array: each entry's body plus seq, hash and prev\n"
	"  --head      print the head: 64 hex digits naming the whole log as it is\n"
	"              now (with --case, the case's chain). Keep it outside the vault\n"
	"              (evidence seal, case file): 'dronevault verify --head DIGEST'\n"
	"              later proves the vault still contains that state\n"
	"  --package DIR  write the case's chain for a court into DIR (new): each\n"
	"              entry's signed statement, signature, salt and clear body, the\n"
	"              station's public key and VERIFY.md, the commands (coreutils,\n"
	"              openssl) that check them without any vault key\n";

struct lctx {
	const char *case_name;
	bool json;
	json_object *arr;
	int problems;
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int on_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct lctx *c = payload;
	const char *cs = jstr(body, "case");
	if (c->case_name && strcmp(cs, c->case_name) != 0) return 0;
	char h[65], p[65];
	dv_hex(h, e->hash, 32);
	dv_hex(p, e->prev, 32);
	if (c->json) {
		json_object *o = json_object_get(body);
		json_object_object_add(o, "seq", json_object_new_int64((int64_t)e->seq));
		json_object_object_add(o, "hash", json_object_new_string(h));
		json_object_object_add(o, "prev", json_object_new_string(p));
		json_object_array_add(c->arr, o);
		return 0;
	}
	char detail[512] = "";
	json_object_object_foreach(body, k, v) {
		static const char *const shown[] = { "seq", "case_seq", "chain_seq", "time", "station", "signed_by", "operator", "action",
		                                     "case", NULL };
		bool skip = false;
		for (int i = 0; shown[i]; i++)
			if (!strcmp(k, shown[i])) skip = true;
		if (skip) continue;
		size_t n = strlen(detail);
		if (n + 4 >= sizeof(detail)) break;
		const char *s = json_object_get_string(v);
		char cut[121];
		/* a digest (64 hex digits) is shown by its first 16 */
		bool digest = strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
		snprintf(cut, sizeof(cut), "%.*s", digest ? 16 : 120, s);
		snprintf(detail + n, sizeof(detail) - n, "%s%s=%s", n ? " " : "", cli_esc(k), cli_esc(cut));
	}
	/* a shared vault: the station whose registered key signed it */
	const char *station = json_object_object_get_ex(body, "signed_by", NULL) ? jstr(body, "signed_by") : jstr(body, "station");
	printf("%4llu  %-24s  %-12s  %-16s  %-18s  %-12s  %s\n", (unsigned long long)e->seq, cli_esc(jstr(body, "time")),
	       cli_esc(station), cli_esc(jstr(body, "operator")), cli_esc(jstr(body, "action")), cli_esc(cs),
	       detail);
	return 0;
}

static void on_problem(const char *m, void *payload)
{
	struct lctx *c = payload;
	c->problems++;
	fprintf(stderr, "PROBLEM: %s\n", cli_esc(m));
}

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "head", no_argument, NULL, 'H' }, { "package", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *package = NULL;
	bool head = false;
	struct lctx c = { 0 };
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': c.case_name = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': c.json = true; break;
		case 'H': head = true; break;
		case 'p': package = optarg; break;
		case 'h': fputs(log_help, stdout); return CLI_OK;
		default: return cli_usage("log", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("log", "unexpected argument '%s'", argv[optind]);
	if (package && (!c.case_name || head)) return cli_usage("log", "--package needs --case ID (and no --head)");
	dv_vault *v;
	int rc = cli_open_vault("log", vault, key_file, DV_VAULT_READ, &v);
	if (rc) return rc;
	if (head || package) {
		uint64_t seq, n = 0;
		uint8_t h[32];
		char hex[65];
		rc = package ? dv_vault_case_package(v, c.case_name, package, &n, h) : dv_vault_case_head(v, c.case_name, &seq, h);
		dv_vault_close(v);
		if (rc < 0) return cli_fail("log");
		dv_hex(hex, h, 32);
		if (package)
			printf("wrote %llu entries of case %s to %s; case head %s (check: see VERIFY.md there)\n", (unsigned long long)n,
			       cli_esc(c.case_name), cli_esc(package), hex);
		else
			printf("%s\n", hex);
		return CLI_OK;
	}
	if (c.json) c.arr = json_object_new_array();
	else
		printf("%4s  %-24s  %-12s  %-16s  %-18s  %-12s  %s\n", "seq", "time (UTC)", "station", "operator",
		       "action", "case", "details");
	rc = dv_vault_log_scan(v, on_entry, on_problem, &c);
	uint64_t later, partial;
	dv_vault_log_in_progress(v, &later, &partial);
	if (rc >= 0 && (later || partial))
		fprintf(stderr, "dronevault log: %llu more entries%s in progress (a writer is at work; not shown)\n",
		        (unsigned long long)later, partial ? " and one being written" : "");
	if (c.json) {
		cli_print_json(c.arr);
		json_object_put(c.arr);
	}
	dv_vault_close(v);
	if (rc < 0) return cli_fail("log");
	return c.problems ? CLI_FINDING : CLI_OK;
}
