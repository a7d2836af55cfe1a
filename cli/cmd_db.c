/* dronevault db upgrade: a PostgreSQL catalog's schema to this build's version. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/vault.h"

static const char db_help[] =
	"usage: dronevault db upgrade [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"A vault whose catalog is in PostgreSQL (init --catalog) refuses to open a\n"
	"database whose schema version is not this dronevault's, naming both. After\n"
	"installing a newer dronevault, 'db upgrade' applies the missing versions in\n"
	"order (each in its own transaction; several stations running it at once\n"
	"take turns) and logs the change (custody entry db.upgrade). A database\n"
	"newer than this dronevault is never touched: upgrade dronevault instead.\n"
	"\n"
	"Exit codes: 0 done (or nothing to do); 1 failure; 2 usage, or the vault's\n"
	"catalog is SQLite; 3 wrong passphrase or key file; 6 the vault is busy.\n";

int cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "operator", required_argument, NULL, 'o' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *who = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': who = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h': fputs(db_help, stdout); return CLI_OK;
		default: return cli_usage("db", "unknown option");
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "upgrade") != 0) return cli_usage("db", "give 'upgrade'");
	who = cli_operator(who, "");
	const char *dir = cli_vault_dir(vault);
	char pass[1024], prompt[512];
	dv_key_source key;
	snprintf(prompt, sizeof(prompt), "Passphrase for vault %s: ", dir);
	int rc = cli_key_source(&key, "db", prompt, false, key_file, pass, sizeof(pass));
	if (rc) return rc;
	int from = 0, to = 0;
	rc = dv_vault_db_upgrade(dir, &key, who, &from, &to);
	memset(pass, 0, sizeof(pass));
	if (rc == DV_EUNSUPPORTED && !strstr(dv_error_text(), "newer")) {
		fprintf(stderr, "dronevault db: %s\n", dv_error_text());
		return CLI_USAGE;
	}
	if (rc < 0) return cli_fail("db");
	if (from == to) printf("catalog schema is version %d, this dronevault's: nothing to do\n", to);
	else printf("catalog schema upgraded from version %d to %d (custody entry db.upgrade)\n", from, to);
	return CLI_OK;
}
