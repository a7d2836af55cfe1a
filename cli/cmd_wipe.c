#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/ingest.h"
#include "dv/util.h"

static const char wipe_help[] =
	"usage: dronevault wipe --case ID --ingest N --operator NAME [--yes] [--json] SOURCE\n"
	"\n"
	"Wipes SOURCE (the card) after a verified acquisition, as the regime asks:\n"
	"the data stays on the drone until it is moved by cable, and not after.\n"
	"Refused unless ingest N of case ID is a complete acquisition of SOURCE and\n"
	"every file of it is in the vault and verifies (decrypted and re-hashed), and\n"
	"  a directory   every file SOURCE holds now is one of the ingest's with the\n"
	"                same SHA-256; then each is overwritten with zeros, synced,\n"
	"                read back and removed (directories are left, empty)\n"
	"  a card device the case also holds the card's deleted files\n"
	"                ('ingest --recover-deleted', same image SHA-256) and the device\n"
	"                still hashes to the image SHA-256 recorded; then the whole\n"
	"                device is discarded (BLKSECDISCARD, else BLKDISCARD), read\n"
	"                back, and overwritten with zeros if it does not read back so\n"
	"The custody log records the wipe with its proof (what was read back). On\n"
	"flash, a read-back proves what the card's controller now returns, not that\n"
	"every physical cell was erased (see docs/design.md).\n"
	"\n"
	"Never done without confirmation: type the case ID on a terminal, or give\n"
	"--yes.\n"
	"\n"
	"Options:\n"
	"  --case ID         the case\n"
	"  --ingest N        the ingest that acquired SOURCE ('dronevault log --case ID')\n"
	"  --operator NAME   who wipes it (custody log)\n"
	"  --yes             do not ask\n"
	"  --vault DIR       the vault (default $DRONEVAULT_VAULT or ./vault)\n"
	"  --key-file FILE   open the vault with a key file instead of a passphrase\n"
	"  --json            print a JSON summary on stdout\n"
	"\n"
	"Exit status: 0 wiped and proven, 1 refused or failed (nothing or only part\n"
	"wiped: the log says which), 2 usage or not confirmed, 3 wrong passphrase,\n"
	CLI_BUSY_HELP
	"130 interrupted.\n";

int cmd_wipe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "ingest", required_argument, NULL, 'i' },
		{ "operator", required_argument, NULL, 'o' }, { "yes", no_argument, NULL, 'y' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL;
	dv_wipe_opts wo = { 0 };
	bool json = false, yes = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': wo.case_name = optarg; break;
		case 'i': {
			char *end;
			long long n = strtoll(optarg, &end, 10);
			if (*end || n <= 0) return cli_usage("wipe", "--ingest N: a positive number");
			wo.ingest_id = n;
			break;
		}
		case 'o': wo.operator_name = optarg; break;
		case 'y': yes = true; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(wipe_help, stdout); return CLI_OK;
		default: return cli_usage("wipe", "unknown option");
		}
	}
	if (!wo.case_name || !*wo.case_name) return cli_usage("wipe", "--case ID is required");
	if (!wo.ingest_id) return cli_usage("wipe", "--ingest N is required");
	if (!wo.operator_name || !*wo.operator_name) return cli_usage("wipe", "--operator NAME is required");
	if (optind != argc - 1) return cli_usage("wipe", "give exactly one SOURCE");
	wo.source = argv[optind];
	if (!yes) {
		if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
			return cli_usage("wipe", "not confirmed: give --yes, or run it on a terminal");
		fprintf(stderr, "This overwrites %s (ingest %lld of case %s). Type the case ID to wipe it: ", cli_esc(wo.source),
		        (long long)wo.ingest_id, cli_esc(wo.case_name));
		char line[256];
		if (!fgets(line, sizeof(line), stdin)) return cli_usage("wipe", "not confirmed");
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, wo.case_name)) return cli_usage("wipe", "not confirmed (that is not the case ID)");
	}
	wo.interrupted = &cli_interrupted;
	dv_vault *v;
	char holder[300];
	snprintf(holder, sizeof(holder), "wipe by %s", wo.operator_name);
	int rc = cli_open_vault_writer("wipe", vault, key_file, holder, 0, &v);
	if (rc) return rc;
	cli_catch_signals();
	dv_wipe_result res;
	rc = dv_wipe_source(v, &wo, &res);
	int exit_code = rc < 0 ? cli_fail("wipe") : CLI_OK;
	char hex[65];
	dv_hex(hex, res.readback_sha256, 32);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "case", json_object_new_string(wo.case_name));
		json_object_object_add(o, "ingest", json_object_new_int64(wo.ingest_id));
		json_object_object_add(o, "source", json_object_new_string(wo.source));
		json_object_object_add(o, "kind", json_object_new_string(res.kind));
		json_object_object_add(o, "wiped", json_object_new_boolean(rc == 0));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)res.files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes));
		json_object_object_add(o, "method", json_object_new_string(res.method));
		json_object_object_add(o, "readback_zero", json_object_new_boolean(res.readback_zero));
		if (!strcmp(res.kind, "image")) json_object_object_add(o, "readback_sha256", json_object_new_string(hex));
		if (res.log_seq) json_object_object_add(o, "custody_entry", json_object_new_int64((int64_t)res.log_seq));
		if (rc < 0) json_object_object_add(o, "error", json_object_new_string(dv_error_text()));
		cli_print_json(o);
		json_object_put(o);
	} else if (rc == 0) {
		printf("wiped %s: %llu files, %llu bytes (%s); read back: %s\n", cli_esc(wo.source),
		       (unsigned long long)res.files, (unsigned long long)res.bytes, res.method,
		       res.readback_zero ? "all zeros" : "NOT all zeros");
		if (!strcmp(res.kind, "image")) printf("  read-back SHA-256 %s\n", hex);
		printf("  custody entry     %llu\n", (unsigned long long)res.log_seq);
	}
	dv_vault_close(v);
	return exit_code;
}
