#include <json-c/json.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
	int json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 1 && !json) {
		printf("usage: dronevault version [--json]\n\nPrints dronevault's version and the versions of the libraries it runs with.\n");
		return strcmp(argv[1], "--help") ? CLI_USAGE : CLI_OK;
	}
	if (json) {
		printf("{\"dronevault\":\"%s\",\"openssl\":\"%s\",\"libsodium\":\"%s\",\"sqlite\":\"%s\",\"json-c\":\"%s\"}\n",
		       DV_VERSION, OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string(),
		       sqlite3_libversion(), json_c_version());
	} else {
		printf("dronevault %s\n  OpenSSL %s, libsodium %s, SQLite %s, json-c %s\n", DV_VERSION,
		       OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string(),
		       sqlite3_libversion(), json_c_version());
		/* what main() set before anything else (keys never reach a core file) */
		struct rlimit rl;
		bool core_off = getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0;
		printf("  process: %s, core dumps %s\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? "not dumpable" : "DUMPABLE",
		       core_off ? "off" : "ON");
	}
	return CLI_OK;
}
