/* dronevault config: the vault's settings (authenticated in vault.json, logged). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/vault.h"

static const char config_help[] =
	"usage: dronevault config set KEY VALUE [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"       dronevault config get KEY [--vault DIR] [--key-file FILE]\n"
	"       dronevault config unset KEY [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"The vault's settings, kept in vault.json under the same MAC as its other\n"
	"fields; every change is a custody entry (config.set: who, key, value).\n"
	"\n"
	"Keys:\n"
	"  map.tiles   the agency tile server for 'serve', a URL template such as\n"
	"              https://tiles.example.org/{z}/{x}/{y}.png (https://, or http://\n"
	"              only for localhost / 127.0.0.1; {z} {x} {y} required; no spaces\n"
	"              or quotes). serve then allows exactly its origin in the page's\n"
	"              Content-Security-Policy and shows it as a layer over the\n"
	"              built-in offline map.\n"
	"\n"
	"Exit codes: 0 done (get: the value printed; 1 when unset); 1 failure;\n"
	"2 usage or an invalid value; 3 wrong passphrase or key file.\n";

int cmd_config(int argc, char **argv)
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
		case 'h': fputs(config_help, stdout); return CLI_OK;
		default: return cli_usage("config", "unknown option");
		}
	}
	int left = argc - optind;
	const char *verb = left > 0 ? argv[optind] : "";
	bool set = !strcmp(verb, "set"), get = !strcmp(verb, "get"), unset = !strcmp(verb, "unset");
	if (!set && !get && !unset) return cli_usage("config", "give set, get or unset");
	if (left != (set ? 3 : 2)) return cli_usage("config", "config %s takes %s", verb, set ? "KEY VALUE" : "KEY");
	const char *key = argv[optind + 1], *value = set ? argv[optind + 2] : NULL;
	if (strcmp(key, DV_CONFIG_MAP_TILES) != 0) return cli_usage("config", "unknown key '%s' (known: %s)", cli_esc(key), DV_CONFIG_MAP_TILES);
	if (set && dv_config_tiles_origin(NULL, 0, value) < 0) return cli_usage("config", "%s", dv_error_text());
	who = cli_operator(who, "");
	dv_vault *v;
	int rc = cli_open_vault("config", vault, key_file, get ? DV_VAULT_READ : DV_VAULT_WRITE, &v);
	if (rc) return rc;
	if (get) {
		const char *val;
		if (dv_vault_config_get(&val, v, key) < 0) rc = cli_fail("config");
		else if (!val) rc = CLI_FAIL;
		else printf("%s\n", val);
	} else if (dv_vault_config_set(v, key, value, who) < 0) {
		rc = cli_fail("config");
	} else {
		printf("%s %s (custody entry config.set)\n", key, set ? "set" : "removed");
	}
	dv_vault_close(v);
	return rc;
}
