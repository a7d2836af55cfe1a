/* dronevault station add|list|revoke: the stations of a shared (PostgreSQL) vault. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/util.h"
#include "dv/vault.h"

static const char station_help[] =
	"usage: dronevault station add NAME [--key-file FILE] [--kdf-mem MIB] [--kdf-ops N]\n"
	"                              [--operator NAME] [--vault DIR] [--vault-key-file FILE] NEWDIR\n"
	"       dronevault station list [--json] [--vault DIR] [--key-file FILE]\n"
	"       dronevault station revoke NAME [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"A vault whose catalog is in PostgreSQL (init --catalog) is shared by\n"
	"stations, each a vault directory of its own with its own signing key;\n"
	"every custody entry names (and is signed by) its station.\n"
	"\n"
	"  add      enrols station NAME in NEWDIR (new or empty), from this station\n"
	"           (--vault): NEWDIR/vault.json holds the vault's master key\n"
	"           wrapped under the new station's own passphrase (typed twice, or\n"
	"           $DRONEVAULT_NEW_PASSPHRASE, else $DRONEVAULT_PASSPHRASE) or key\n"
	"           file (--key-file), and a new Ed25519 signing key whose public\n"
	"           half the vault's registry keeps; logged as station.add, signed\n"
	"           by this station. This station's own key: --vault-key-file, else\n"
	"           $DRONEVAULT_PASSPHRASE or the prompt. The blobs must be shared\n"
	"           too: an S3 store (init --blobs), or one folder at every station's\n"
	"           blobs/.\n"
	"  list     name, key fingerprint (SHA-256 of the public key's DER, as\n"
	"           'openssl pkey -pubin -outform DER | sha256sum' prints it),\n"
	"           when enrolled and by whom, and whether revoked\n"
	"  revoke   logged as station.revoke: the station's writers are refused from\n"
	"           then on, and any entry it signs after it is a problem for verify\n"
	"           (its entries before stay valid). The last station not revoked\n"
	"           cannot be.\n"
	"\n"
	"Exit codes: 0 done; 1 failure (a name taken, no such station, the last\n"
	"station); 2 usage (a bad name, a short passphrase), or the vault's catalog\n"
	"is SQLite (stations need a shared catalog); 3 wrong passphrase or key file;\n" CLI_BUSY_HELP;

struct list_ctx {
	bool json;
	json_object *arr;
};

static int on_station(const dv_station_info *s, void *payload)
{
	struct list_ctx *c = payload;
	char fp[65], pk[65], en[40], rv[40] = "";
	dv_station_fingerprint(fp, s->public_key);
	dv_hex(pk, s->public_key, 32);
	dv_time_iso(en, sizeof(en), s->enrolled_ns);
	if (s->revoked_ns) dv_time_iso(rv, sizeof(rv), s->revoked_ns);
	if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "public_key", json_object_new_string(pk));
		json_object_object_add(o, "fingerprint", json_object_new_string(fp));
		json_object_object_add(o, "enrolled", json_object_new_string(en));
		json_object_object_add(o, "enrolled_by", json_object_new_string(s->enrolled_by));
		json_object_object_add(o, "revoked", s->revoked_ns ? json_object_new_string(rv) : NULL);
		json_object_object_add(o, "revoked_by", s->revoked_ns ? json_object_new_string(s->revoked_by) : NULL);
		json_object_array_add(c->arr, o);
		return 0;
	}
	printf("%-20s  SHA256:%.32s  %-24s  %-16s  %s%s%s\n", cli_esc(s->name), fp, en,
	       s->enrolled_by[0] ? cli_esc(s->enrolled_by) : "(first)", s->revoked_ns ? "revoked " : "active",
	       s->revoked_ns ? rv : "", "");
	if (s->revoked_ns) printf("%-20s  revoked by %s\n", "", cli_esc(s->revoked_by));
	return 0;
}

static int station_fail(void)
{
	int code = dv_error_last()->code;
	if (code == DV_EUNSUPPORTED || code == DV_EINVAL) {
		fprintf(stderr, "dronevault station: %s\n", cli_esc(dv_error_text()));
		return CLI_USAGE;
	}
	return cli_fail("station");
}

int cmd_station(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "vault-key-file", required_argument, NULL, 'K' }, { "operator", required_argument, NULL, 'o' },
		{ "kdf-mem", required_argument, NULL, 'm' }, { "kdf-ops", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *vault_key_file = NULL;
	dv_vault_init_opts io = { 0 };
	struct list_ctx lc = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'K': vault_key_file = optarg; break;
		case 'o': io.operator_name = optarg; break;
		case 'j': lc.json = true; break;
		case 'm':
		case 'p': {
			int u = cli_parse_kdf("station", c == 'm' ? "kdf-mem" : "kdf-ops", optarg, &io.kdf_mem, &io.kdf_ops);
			if (u) return u;
			break;
		}
		case 'h': fputs(station_help, stdout); return CLI_OK;
		default: return cli_usage("station", "unknown option");
		}
	}
	if (optind >= argc) return cli_usage("station", "give add, list or revoke");
	const char *sub = argv[optind++];
	io.operator_name = cli_operator(io.operator_name, "");
	dv_vault *v;
	int rc;
	if (!strcmp(sub, "list")) {
		if (optind != argc) return cli_usage("station", "list takes no argument");
		if ((rc = cli_open_vault("station", vault, key_file, DV_VAULT_READ, &v))) return rc;
		if (lc.json) lc.arr = json_object_new_array();
		else printf("%-20s  %-39s  %-24s  %-16s  %s\n", "station", "key fingerprint", "enrolled (UTC)", "enrolled by", "state");
		rc = dv_vault_station_list(v, on_station, &lc);
		dv_vault_close(v);
		if (lc.json && rc == 0) cli_print_json(lc.arr);
		json_object_put(lc.arr);
		return rc < 0 ? station_fail() : CLI_OK;
	}
	if (!strcmp(sub, "revoke")) {
		if (argc - optind != 1) return cli_usage("station", "revoke takes the station's NAME");
		const char *name = argv[optind];
		char holder[300];
		snprintf(holder, sizeof(holder), "station revoke by %s", io.operator_name);
		if ((rc = cli_open_vault_writer("station", vault, key_file, holder, 0, &v))) return rc;
		rc = dv_vault_station_revoke(v, name, io.operator_name);
		dv_vault_close(v);
		if (rc < 0) return station_fail();
		printf("station %s revoked (custody entry station.revoke)\n", cli_esc(name));
		return CLI_OK;
	}
	if (strcmp(sub, "add")) return cli_usage("station", "unknown subcommand '%s' (add, list, revoke)", sub);
	if (argc - optind != 2) return cli_usage("station", "add takes the new station's NAME and its directory");
	const char *name = argv[optind], *dir = argv[optind + 1];
	char holder[300];
	snprintf(holder, sizeof(holder), "station add by %s", io.operator_name);
	if ((rc = cli_open_vault_writer("station", vault, vault_key_file, holder, 0, &v))) return rc;
	/* the new station's key: its key file, else its own passphrase */
	static char pass[1024];
	dv_key_source nk;
	char prompt[400];
	snprintf(prompt, sizeof(prompt), "Passphrase of the new station %s: ", name);
	if ((rc = cli_other_key(&nk, "station", key_file, "DRONEVAULT_NEW_PASSPHRASE", prompt, true, pass, sizeof(pass)))) {
		dv_vault_close(v);
		return rc;
	}
	rc = dv_vault_station_add(v, name, dir, &nk, &io);
	memset(pass, 0, sizeof(pass));
	dv_vault_close(v);
	if (rc < 0) return station_fail();
	printf("station %s enrolled in %s (custody entry station.add); open it with --vault %s\n", cli_esc(name), cli_esc(dir),
	       cli_esc(dir));
	return CLI_OK;
}
