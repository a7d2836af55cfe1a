#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/vault.h"

static const char init_help[] =
	"usage: dronevault init [--vault DIR] [--key-file FILE] [--station NAME]\n"
	"                       [--operator NAME] [--kdf-mem MIB] [--kdf-ops N]\n"
	"                       [--catalog postgresql://...]\n"
	"                       [--blobs s3://BUCKET[/PREFIX] --s3-endpoint URL [--s3-ca FILE]\n"
	"                        [--s3-region R] [--retain-days N]] [DIR]\n"
	"\n"
	"Creates an encrypted evidence vault in DIR (else --vault, $DRONEVAULT_VAULT,\n"
	"or ./vault). DIR must not exist or be empty.\n"
	"\n"
	"A random 256-bit master key encrypts everything in the vault. It is wrapped\n"
	"by your passphrase (Argon2id) or by a key file. The passphrase is asked for\n"
	"twice on the terminal, or taken from $DRONEVAULT_PASSPHRASE (for scripts).\n"
	"Lose both and the vault cannot be opened by anyone: keep a sealed copy.\n"
	"\n"
	"Each vault also gets this station's Ed25519 signing key; every custody log\n"
	"entry is signed with it.\n"
	"\n"
	"Options:\n"
	"  --key-file FILE   wrap the key with FILE (>= 32 random bytes, e.g.\n"
	"                    head -c 64 /dev/urandom > vault.key) instead of a passphrase\n"
	"  --station NAME    name of this workstation in the custody log (default: host name)\n"
	"  --operator NAME   who creates the vault (recorded in the custody log)\n"
	"  --kdf-mem MIB     Argon2id memory in MiB (default 19)\n"
	"  --kdf-ops N       Argon2id passes (default 4)\n"
	"  --catalog URI     keep the catalog in PostgreSQL instead of DIR/catalog.db:\n"
	"                    a libpq URI or connection string, e.g.\n"
	"                    postgresql:///evidence?host=/run/postgresql. Stored in\n"
	"                    vault.json (authenticated); never with a password: use\n"
	"                    PGPASSFILE, PGPASSWORD or peer authentication. The database\n"
	"                    must hold no catalog yet; its schema is made here\n"
	"  --json            print the result as JSON\n"
	"  --blobs s3://BUCKET[/PREFIX]\n"
	"                    keep the encrypted blobs in S3 object storage (the bucket\n"
	"                    must exist with Object Lock); catalog and log stay in DIR.\n"
	"                    The store sees only sealed blobs under opaque names.\n"
	"  --s3-endpoint URL https://HOST[:PORT] of the S3 server (http:// only on loopback)\n"
	"  --s3-ca FILE      the CA certificate(s) the server's TLS certificate must chain to\n"
	"  --s3-region R     SigV4 region (default $AWS_DEFAULT_REGION or us-east-1)\n"
	"  --retain-days N   COMPLIANCE retention of every stored blob: N days from its upload\n"
	"                    (cases can set longer: dronevault cases --case ID --retain-*)\n"
	"                    S3 credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n"
	"                    (AWS_SESSION_TOKEN), or DV_S3_CREDENTIALS naming a 0600 file.\n"
	"\n"
	"Example:\n"
	"  dronevault init --operator 'PC Weber' /srv/evidence/vault\n";

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, CLI_INIT_LONGOPTS, { NULL, 0, NULL, 0 }
	};
	cli_init_args ia = { 0 };
	const char *vault = NULL, *key_file = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int u = cli_init_option("init", c, optarg, &ia);
		if (u > 0) return u;
		if (u == 0) continue;
		switch (c) {
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(init_help, stdout); return CLI_OK;
		default: return cli_usage("init", "unknown option");
		}
	}
	if (optind < argc - 1) return cli_usage("init", "too many arguments");
	if (optind == argc - 1) vault = argv[optind];
	int rc = cli_init_check("init", &ia);
	if (rc) return rc;
	const char *dir = cli_vault_dir(vault);
	char pass[1024];
	dv_key_source key;
	rc = cli_key_source(&key, "init", "New vault passphrase: ", true, key_file, pass, sizeof(pass));
	if (rc) return rc;
	rc = cli_init_make(dir, &key, &ia);
	memset(pass, 0, sizeof(pass));
	if (rc < 0) return cli_fail("init");
	if (json)
		printf("{\"vault\":\"%s\",\"created\":true}\n", dir);
	else
		printf("created vault %s\n", dir);
	return CLI_OK;
}
