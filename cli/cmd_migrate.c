/* dronevault migrate, dronevault sync: one vault's ingests into another (dv/transfer.h). */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/transfer.h"
#include "dv/util.h"
#include "dv/vault.h"

static const char migrate_help[] =
	"usage: dronevault migrate [--vault DIR] [--key-file FILE] [--new-key-file FILE]\n"
	"                          [--operator NAME] [--station NAME] [--kdf-mem MIB] [--kdf-ops N]\n"
	"                          [--catalog postgresql://...]\n"
	"                          [--blobs s3://BUCKET[/PREFIX] --s3-endpoint URL [--s3-ca FILE]\n"
	"                           [--s3-region R] [--retain-days N]] [--json] NEWDIR\n"
	"\n"
	"Moves the vault DIR (--vault, $DRONEVAULT_VAULT or ./vault: a laptop's) into\n"
	"the central vault whose station directory is NEWDIR. A new or empty NEWDIR\n"
	"is made first, as 'dronevault init' makes it, with the same flags (a\n"
	"PostgreSQL catalog, an S3 Object Lock store; its own new master key and\n"
	"station key). An existing NEWDIR (a station of a central vault, or the\n"
	"one an interrupted migrate made) is opened and the move goes on.\n"
	"\n"
	"Every complete ingest of every case moves: its rows, its telemetry, and each\n"
	"file's content, decrypted here (every chunk authenticated, SHA-256 checked),\n"
	"encrypted again under the central vault's keys (an S3 store reads each\n"
	"object back). The laptop's custody log must verify whole (signatures, chain,\n"
	"bodies), and each copy must have the manifest and telemetry digests the\n"
	"laptop's signed entry recorded, before the central vault records it complete\n"
	"(an 'ingest' entry naming the laptop's vault, station key, and the seq and\n"
	"hash of the laptop's own entry). Then the central log gets vault.migrate and\n"
	"the laptop's log vault.migrated (naming the central vault and its head).\n"
	"Nothing is deleted from the laptop vault.\n"
	"\n"
	"Interrupted (Ctrl-C, a crash, the network): run the same command again; what\n"
	"arrived is not sent again. Run again after it completed, it checks every\n"
	"ingest is there and complete, and sends nothing. Ingests still open on the\n"
	"laptop are not moved (counted); finish them and run again, or use\n"
	"'dronevault sync' later. The laptop may go on ingesting offline and push the\n"
	"new ingests with 'dronevault sync --to NEWDIR'.\n"
	"\n"
	"Options:\n"
	"  --key-file FILE      the laptop vault's key file (else $DRONEVAULT_PASSPHRASE\n"
	"                       or the prompt)\n"
	"  --new-key-file FILE  NEWDIR's key file; else $DRONEVAULT_NEW_PASSPHRASE, else\n"
	"                       $DRONEVAULT_PASSPHRASE, else the prompt (twice when new)\n"
	"  --operator NAME      who moves it (custody log; default $USER)\n"
	"  --station NAME       NEWDIR's station name when made here (default: host name)\n"
	"  --catalog, --blobs, --s3-endpoint, --s3-ca, --s3-region, --retain-days,\n"
	"  --kdf-mem, --kdf-ops as for 'dronevault init' (see its --help); given with an\n"
	"                       existing NEWDIR they must be what it has\n"
	"  --json               the result as JSON\n"
	"\n"
	"Exit codes: 0 every complete ingest is in the central vault and checked; 1\n"
	"failure (named: the case, the ingest, the file); 2 usage; 3 wrong passphrase\n"
	"or key file; 130 interrupted (run again to go on);\n" CLI_BUSY_HELP
	"\n"
	"Example:\n"
	"  dronevault --vault ~/vault migrate --operator 'PC Weber' \\\n"
	"    --catalog 'postgresql:///evidence?host=/run/postgresql' \\\n"
	"    --blobs s3://evidence/police --s3-endpoint https://s3.police.local \\\n"
	"    --s3-ca /etc/ssl/police-ca.pem --retain-days 3650 /srv/dronevault/station-1\n";

static const char sync_help[] =
	"usage: dronevault sync [--vault DIR] [--key-file FILE] --to STATIONDIR\n"
	"                       [--to-key-file FILE] [--operator NAME] [--json]\n"
	"\n"
	"Pushes the ingests of an offline station's own vault DIR (--vault,\n"
	"$DRONEVAULT_VAULT or ./vault: SQLite and a folder, filled while it had no\n"
	"link) to the central vault whose station directory is STATIONDIR (made by\n"
	"'dronevault station add' or 'migrate'). Only what the central vault lacks is\n"
	"sent; each pushed ingest is checked as 'dronevault migrate --help' says\n"
	"(the local log whole and valid, each copy with the manifest and telemetry\n"
	"digests the local signed entry recorded, S3 objects read back) before the\n"
	"central vault records it complete; both logs record the push (sync on the\n"
	"central side, sync.pushed here). A run that finds nothing new records\n"
	"nothing. Interrupted: run it again.\n"
	"\n"
	"Options:\n"
	"  --to STATIONDIR      the central vault's station directory\n"
	"  --key-file FILE      this vault's key file (else $DRONEVAULT_PASSPHRASE or the prompt)\n"
	"  --to-key-file FILE   STATIONDIR's key file; else $DRONEVAULT_TO_PASSPHRASE, else\n"
	"                       $DRONEVAULT_PASSPHRASE, else the prompt\n"
	"  --operator NAME      who pushes (custody log; default $USER)\n"
	"  --json               the result as JSON\n"
	"\n"
	"Exit codes: 0 every complete ingest is in the central vault and checked; 1\n"
	"failure; 2 usage; 3 wrong passphrase or key file; 130 interrupted;\n" CLI_BUSY_HELP;

static void on_progress(const dv_transfer_progress *p, void *payload)
{
	(void)payload;
	cli_progress(p->case_name ? p->case_name : "", p->ingests_done, p->ingests_total, p->bytes_done, p->bytes_total);
}

static int print_result(const char *cmd, const dv_transfer_result *r, dv_vault *dst, dv_vault *src, bool json)
{
	char sh[65], dh[65];
	dv_hex(sh, r->src_head, 32);
	dv_hex(dh, r->dst_head, 32);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "from", json_object_new_string(dv_vault_dir(src)));
		json_object_object_add(o, "from_vault", json_object_new_string(dv_vault_id(src)));
		json_object_object_add(o, "to", json_object_new_string(dv_vault_dir(dst)));
		json_object_object_add(o, "to_vault", json_object_new_string(dv_vault_id(dst)));
		json_object_object_add(o, "cases", json_object_new_int64((int64_t)r->cases));
		json_object_object_add(o, "ingests", json_object_new_int64((int64_t)r->ingests_total));
		json_object_object_add(o, "ingests_sent", json_object_new_int64((int64_t)r->ingests_sent));
		json_object_object_add(o, "ingests_resumed", json_object_new_int64((int64_t)r->ingests_resumed));
		json_object_object_add(o, "ingests_present", json_object_new_int64((int64_t)r->ingests_present));
		json_object_object_add(o, "ingests_open", json_object_new_int64((int64_t)r->ingests_open));
		json_object_object_add(o, "files_sent", json_object_new_int64((int64_t)r->files_sent));
		json_object_object_add(o, "files_dedup", json_object_new_int64((int64_t)r->files_dedup));
		json_object_object_add(o, "bytes_sent", json_object_new_int64((int64_t)r->bytes_sent));
		json_object_object_add(o, "from_head", json_object_new_string(sh));
		if (r->dst_log_seq) {
			json_object_object_add(o, "to_entry", json_object_new_int64((int64_t)r->dst_log_seq));
			json_object_object_add(o, "to_head", json_object_new_string(dh));
		}
		json_object_object_add(o, "seconds", json_object_new_double(r->seconds));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return CLI_OK;
	}
	char b[32];
	cli_human_bytes(b, sizeof(b), r->bytes_sent);
	printf("%s: %s -> %s\n", cmd, cli_esc(dv_vault_dir(src)), cli_esc(dv_vault_dir(dst)));
	printf("  %llu case(s), %llu complete ingest(s): %llu sent (%llu resumed), %llu already there (checked)\n",
	       (unsigned long long)r->cases, (unsigned long long)r->ingests_total, (unsigned long long)r->ingests_sent,
	       (unsigned long long)r->ingests_resumed, (unsigned long long)r->ingests_present);
	printf("  %llu file(s) recorded, %s sent (%llu the central vault held already: not sent), in %.1f s\n",
	       (unsigned long long)r->files_sent, b, (unsigned long long)r->files_dedup, r->seconds);
	if (r->ingests_open)
		printf("  %llu ingest(s) still open in %s: not sent (finish them, then run again)\n",
		       (unsigned long long)r->ingests_open, cli_esc(dv_vault_dir(src)));
	if (r->dst_log_seq)
		printf("  central custody entry %llu; central head %s\n", (unsigned long long)r->dst_log_seq, dh);
	else
		printf("  nothing new since the last push: nothing recorded\n");
	return CLI_OK;
}

static int run(const char *cmd, dv_vault *dst, dv_vault *src, const char *operator_name, bool json, const char *in,
               const char *out)
{
	dv_transfer_opts o = { operator_name, in, out, NULL, NULL, &cli_interrupted };
	if (!json && cli_stderr_is_tty()) o.progress = on_progress;
	cli_catch_signals();
	dv_transfer_result r;
	int rc = dv_vault_transfer(dst, src, &o, &r);
	cli_progress_end();
	if (rc < 0) {
		bool damaged = dv_error_last()->code == DV_ECORRUPT;
		int code = cli_fail(cmd);
		/* a refusal for damage repeats until it is mended: no "again" then */
		if (code != CLI_INTERRUPTED && !damaged)
			fprintf(stderr, "dronevault %s: %llu ingest(s) sent before it stopped; run the same command again to go on\n", cmd,
			        (unsigned long long)r.ingests_sent);
		return code;
	}
	return print_result(cmd, &r, dst, src, json);
}

/* The same directory given twice (a vault cannot be its own destination;
 * its second writer open would only wait for the first). */
static bool same_dir(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

static bool is_vault_dir(const char *dir)
{
	char p[4200];
	struct stat st;
	snprintf(p, sizeof(p), "%s/vault.json", dir);
	return stat(p, &st) == 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "new-key-file", required_argument, NULL, 'K' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, CLI_INIT_LONGOPTS, { NULL, 0, NULL, 0 }
	};
	cli_init_args ia = { 0 };
	const char *vault = NULL, *key_file = NULL, *new_key_file = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int u = cli_init_option("migrate", c, optarg, &ia);
		if (u > 0) return u;
		if (u == 0) continue;
		switch (c) {
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'K': new_key_file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(migrate_help, stdout); return CLI_OK;
		default: return cli_usage("migrate", "unknown option");
		}
	}
	if (optind != argc - 1) return cli_usage("migrate", "give the central vault's station directory NEWDIR (new, or to go on)");
	const char *dir = argv[optind];
	int rc = cli_init_check("migrate", &ia);
	if (rc) return rc;
	dv_vault_init_opts *io = &ia.io;
	io->operator_name = cli_operator(io->operator_name, "unknown");
	if (same_dir(cli_vault_dir(vault), dir)) return cli_usage("migrate", "NEWDIR is the vault being moved (the same vault)");
	char holder[300];
	snprintf(holder, sizeof(holder), "migrate by %s", io->operator_name);
	dv_vault *src = NULL, *dst = NULL;
	rc = cli_open_vault_writer("migrate", vault, key_file, holder, 0, &src);
	if (rc) return rc;
	static char pass[1024];
	dv_key_source nk;
	char prompt[4300];
	bool exists = is_vault_dir(dir);
	snprintf(prompt, sizeof(prompt), "%s %s: ", exists ? "Passphrase of the central vault's station" : "New passphrase for",
	         dir);
	if ((rc = cli_other_key(&nk, "migrate", new_key_file, "DRONEVAULT_NEW_PASSPHRASE", prompt, !exists, pass, sizeof(pass))))
		goto out;
	if (!exists) {
		if (cli_init_make(dir, &nk, &ia) < 0) {
			rc = cli_fail("migrate");
			goto out;
		}
		if (!json) fprintf(stderr, "dronevault migrate: created the central vault's station directory %s\n", cli_esc(dir));
	}
	dv_vault_open_opts oo = { holder, 0, NULL, NULL };
	if (dv_vault_open_ex(&dst, dir, &nk, DV_VAULT_WRITE, &oo) < 0) {
		rc = cli_fail("migrate");
		goto out;
	}
	memset(pass, 0, sizeof(pass));
	if (exists) {
		const char *cat, *blobs;
		dv_vault_location(dst, &cat, &blobs);
		if ((io->catalog && (!cat || strcmp(cat, io->catalog))) || (ia.s3.url && (!blobs || strcmp(blobs, ia.s3.url)))) {
			fprintf(stderr, "dronevault migrate: %s is a vault of another catalog or store (%s, %s) than given; nothing sent\n",
			        cli_esc(dir), cat ? cli_esc(cat) : "catalog.db", blobs ? cli_esc(blobs) : "blobs/");
			rc = CLI_USAGE;
			goto out;
		}
	}
	rc = run("migrate", dst, src, io->operator_name, json, DV_ACTION_VAULT_MIGRATE, DV_ACTION_VAULT_MIGRATED);
out:
	memset(pass, 0, sizeof(pass));
	if (dst) dv_vault_close(dst);
	dv_vault_close(src);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "to", required_argument, NULL, 't' }, { "to-key-file", required_argument, NULL, 'K' },
		{ "operator", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *to = NULL, *to_key_file = NULL, *op = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 't': to = optarg; break;
		case 'K': to_key_file = optarg; break;
		case 'o': op = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(sync_help, stdout); return CLI_OK;
		default: return cli_usage("sync", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("sync", "no arguments besides the options");
	if (!to) return cli_usage("sync", "give --to STATIONDIR: the central vault's station directory");
	if (!is_vault_dir(to)) {
		fprintf(stderr, "dronevault sync: %s is no vault (no vault.json): give the station directory 'station add' made\n",
		        cli_esc(to));
		return CLI_FAIL;
	}
	if (same_dir(cli_vault_dir(vault), to)) return cli_usage("sync", "--to names this very vault (the same vault)");
	op = cli_operator(op, "unknown");
	char holder[300];
	snprintf(holder, sizeof(holder), "sync by %s", op);
	dv_vault *src = NULL, *dst = NULL;
	int rc = cli_open_vault_writer("sync", vault, key_file, holder, 0, &src);
	if (rc) return rc;
	static char pass[1024];
	dv_key_source k;
	char prompt[4300];
	snprintf(prompt, sizeof(prompt), "Passphrase of the central vault's station %s: ", to);
	if ((rc = cli_other_key(&k, "sync", to_key_file, "DRONEVAULT_TO_PASSPHRASE", prompt, false, pass, sizeof(pass)))) goto out;
	dv_vault_open_opts oo = { holder, 0, NULL, NULL };
	int orc = dv_vault_open_ex(&dst, to, &k, DV_VAULT_WRITE, &oo);
	memset(pass, 0, sizeof(pass));
	if (orc < 0) {
		rc = cli_fail("sync");
		goto out;
	}
	rc = run("sync", dst, src, op, json, DV_ACTION_SYNC, DV_ACTION_SYNC_PUSHED);
out:
	memset(pass, 0, sizeof(pass));
	if (dst) dv_vault_close(dst);
	dv_vault_close(src);
	return rc;
}
