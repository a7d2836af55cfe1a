/* dronevault cases / dronevault ls: what is in the vault. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/util.h"
#include "dv/vault.h"

static const char cases_help[] =
	"usage: dronevault cases [--json] [--vault DIR] [--key-file FILE]\n"
	"%s"
	"\n"
	"Lists the cases in the vault with their ingests, files and bytes.\n";

/* cmd_hold.c: cases --retain-until / --retain-days (S3 vaults) */
extern const char cli_cases_retain_help[];
int cli_cases_retain(int argc, char **argv);

static const char ls_help[] =
	"usage: dronevault ls --case ID [--json] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Lists the files of case ID: ingest, path, size, modification time (UTC) and\n"
	"SHA-256 of the content.\n";

struct sums {
	dv_catalog *cat;
	uint64_t ingests, files, bytes, open;
};

static int sum_ingest(const dv_ingest_rec *r, void *payload)
{
	struct sums *s = payload;
	s->ingests++;
	if (r->state != DV_INGEST_COMPLETE) s->open++;
	return 0;
}

static int sum_file(const dv_file_rec *f, void *payload)
{
	struct sums *s = payload;
	s->files++;
	s->bytes += f->size;
	return 0;
}

static int sum_ingest_files(const dv_ingest_rec *r, void *payload)
{
	struct sums *s = payload;
	return dv_catalog_file_list(s->cat, r->id, sum_file, s);
}

struct cctx {
	dv_vault *v;
	dv_catalog *cat;
	bool json;
	json_object *arr;
};

static int on_case(const dv_case *c, void *payload)
{
	struct cctx *x = payload;
	struct sums s = { x->cat, 0, 0, 0, 0 };
	int rc = dv_catalog_ingest_list(x->cat, c->id, sum_ingest, &s);
	if (rc == 0) rc = dv_catalog_ingest_list(x->cat, c->id, sum_ingest_files, &s);
	if (rc < 0) return rc;
	char created[40], b[32];
	dv_time_iso(created, sizeof(created), c->created_ns);
	if (x->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "case", json_object_new_string(c->name));
		json_object_object_add(o, "created", json_object_new_string(created));
		json_object_object_add(o, "ingests", json_object_new_int64((int64_t)s.ingests));
		json_object_object_add(o, "unfinished_ingests", json_object_new_int64((int64_t)s.open));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)s.files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)s.bytes));
		if (x->v && dv_vault_worm(x->v)) { /* S3 vaults: the case's Object Lock */
			dv_case_lock l;
			if (dv_vault_case_lock_get(&l, x->v, c->name) == 0) {
				char t[40];
				dv_time_iso(t, sizeof(t), l.retain_until_ns);
				json_object_object_add(o, "retain_until", l.retain_until_ns ? json_object_new_string(t) : NULL);
				json_object_object_add(o, "legal_hold", json_object_new_boolean(l.legal_hold));
			}
		}
		json_object_array_add(x->arr, o);
	} else {
		cli_human_bytes(b, sizeof(b), s.bytes);
		printf("%-24s  %-24s  %7llu  %8llu  %10s%s\n", cli_esc(c->name), created, (unsigned long long)s.ingests,
		       (unsigned long long)s.files, b, s.open ? "  (unfinished ingest: re-run it)" : "");
	}
	return 0;
}

static int parse_common(int argc, char **argv, const char *cmd, const char *help, const char **vault,
                        const char **key_file, bool *json, const char **case_name)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!case_name) return cli_usage(cmd, "--case does not apply here");
			*case_name = optarg;
			break;
		case 'v': *vault = optarg; break;
		case 'k': *key_file = optarg; break;
		case 'j': *json = true; break;
		case 'h': fputs(help, stdout); return -1;
		default: return cli_usage(cmd, "unknown option");
		}
	}
	if (optind != argc) return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_cases(int argc, char **argv)
{
	const char *vault = NULL, *key_file = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) break;
		if (!strncmp(argv[i], "--retain-until", 14) || !strncmp(argv[i], "--retain-days", 13)) return cli_cases_retain(argc, argv);
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(cases_help, cli_cases_retain_help);
			return CLI_OK;
		}
	}
	int rc = parse_common(argc, argv, "cases", cases_help, &vault, &key_file, &json, NULL);
	if (rc) return rc < 0 ? CLI_OK : rc;
	dv_vault *v;
	if ((rc = cli_open_vault("cases", vault, key_file, DV_VAULT_READ, &v))) return rc;
	struct cctx x = { v, dv_vault_catalog(v), json, json ? json_object_new_array() : NULL };
	if (!json) printf("%-24s  %-24s  %7s  %8s  %10s\n", "case", "created (UTC)", "ingests", "files", "bytes");
	rc = dv_catalog_case_list(x.cat, on_case, &x);
	if (json) {
		if (rc == 0) cli_print_json(x.arr);
		json_object_put(x.arr);
	}
	dv_vault_close(v);
	return rc < 0 ? cli_fail("cases") : CLI_OK;
}

struct lsctx {
	dv_catalog *cat;
	bool json;
	json_object *arr;
	int64_t ingest;
};

static int ls_file(const dv_file_rec *f, void *payload)
{
	struct lsctx *x = payload;
	char h[65], t[40];
	dv_hex(h, f->sha256, 32);
	dv_time_iso(t, sizeof(t), f->mtime_ns);
	if (x->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ingest", json_object_new_int64(x->ingest));
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
		json_object_object_add(o, "mtime", json_object_new_string(t));
		if (f->crtime_ns != INT64_MIN) {
			char ct[40];
			dv_time_iso(ct, sizeof(ct), f->crtime_ns);
			json_object_object_add(o, "crtime", json_object_new_string(ct));
		}
		json_object_object_add(o, "sha256", json_object_new_string(h));
		json_object_array_add(x->arr, o);
	} else {
		printf("%3lld  %12llu  %s  %s  %s\n", (long long)x->ingest, (unsigned long long)f->size, t, h, cli_esc(f->path));
	}
	return 0;
}

static int ls_ingest(const dv_ingest_rec *r, void *payload)
{
	struct lsctx *x = payload;
	x->ingest = r->id;
	return dv_catalog_file_list(x->cat, r->id, ls_file, x);
}

int cmd_ls(int argc, char **argv)
{
	const char *vault = NULL, *key_file = NULL, *case_name = NULL;
	bool json = false;
	int rc = parse_common(argc, argv, "ls", ls_help, &vault, &key_file, &json, &case_name);
	if (rc) return rc < 0 ? CLI_OK : rc;
	if (!case_name) return cli_usage("ls", "--case ID is required");
	dv_vault *v;
	if ((rc = cli_open_vault("ls", vault, key_file, DV_VAULT_READ, &v))) return rc;
	struct lsctx x = { dv_vault_catalog(v), json, json ? json_object_new_array() : NULL, 0 };
	dv_case c;
	rc = dv_catalog_case_find(&c, x.cat, case_name);
	if (rc == 0) {
		if (!json) printf("%3s  %12s  %-24s  %-64s  %s\n", "ing", "bytes", "modified (UTC)", "sha256", "path");
		rc = dv_catalog_ingest_list(x.cat, c.id, ls_ingest, &x);
	}
	if (json) {
		if (rc == 0) cli_print_json(x.arr);
		json_object_put(x.arr);
	}
	dv_vault_close(v);
	return rc < 0 ? cli_fail("ls") : CLI_OK;
}
