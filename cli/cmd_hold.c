/* dronevault hold, and cases --retain-until / --retain-days: Object Lock of
 * the blobs of a case in an S3 vault (src/vault/worm.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/util.h"
#include "dv/vault.h"

static const char hold_help[] =
	"usage: dronevault hold --case ID on|off [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Puts the blobs of case ID under an S3 legal hold (on) or lifts it (off): a\n"
	"held object cannot be deleted by anyone until the hold is lifted, whatever\n"
	"its retention. Later blobs of the case are stored held. A blob another held\n"
	"case shares stays held. Recorded in the catalog and the custody log\n"
	"(case.hold). Only for vaults made with init --blobs s3://...\n"
	"\n"
	"Exit codes: 0 done; 1 failure; 2 usage; 3 wrong passphrase or key file.\n";

const char cli_cases_retain_help[] =
	"       dronevault cases --case ID --retain-until DATE | --retain-days N\n"
	"                        [--operator NAME] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Sets case ID's COMPLIANCE retention (S3 vaults): until DATE (YYYY-MM-DD or\n"
	"YYYY-MM-DDTHH:MM:SSZ, UTC), or N days from now. Applied to the case's blobs\n"
	"stored already and to every later one; never shortened (COMPLIANCE cannot\n"
	"be). Recorded in the catalog and the custody log (case.retention).\n";

static int parse_date(const char *s, int64_t *ns)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end) return -1;
	}
	time_t t = timegm(&tm);
	if (t <= 0) return -1;
	*ns = (int64_t)t * 1000000000;
	return 0;
}

int cli_cases_retain(int argc, char **argv);
int cli_cases_retain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "retain-until", required_argument, NULL, 'u' },
		{ "retain-days", required_argument, NULL, 'd' }, { "operator", required_argument, NULL, 'o' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *case_name = NULL, *who = NULL;
	int64_t until = 0;
	bool json = false;
	int c, given = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': case_name = optarg; break;
		case 'u':
			if (parse_date(optarg, &until) < 0) return cli_usage("cases", "--retain-until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
			given++;
			break;
		case 'd': {
			unsigned long d;
			int u = cli_parse_retain_days("cases", optarg, &d);
			if (u) return u;
			until = dv_now_ns() + (int64_t)d * 86400 * 1000000000ll;
			given++;
			break;
		}
		case 'o': who = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage("cases", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("cases", "unexpected argument '%s'", argv[optind]);
	if (!case_name) return cli_usage("cases", "--retain-until/--retain-days need --case ID");
	if (given != 1) return cli_usage("cases", "give one of --retain-until and --retain-days");
	who = cli_operator(who, "");
	dv_vault *v;
	int rc = cli_open_vault("cases", vault, key_file, DV_VAULT_WRITE, &v);
	if (rc) return rc;
	uint64_t n = 0;
	if (dv_vault_case_retain(&n, v, case_name, until, who) < 0) rc = cli_fail("cases");
	else {
		char t[40];
		dv_time_iso(t, sizeof(t), until);
		if (json) printf("{\"case\":\"%s\",\"retain_until\":\"%s\",\"objects\":%llu}\n", cli_esc(case_name), t, (unsigned long long)n);
		else printf("case %s retained until %s (%llu blobs locked; custody entry case.retention)\n", cli_esc(case_name), t,
		            (unsigned long long)n);
	}
	dv_vault_close(v);
	return rc;
}

int cmd_hold(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "operator", required_argument, NULL, 'o' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL, *case_name = NULL, *who = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': case_name = optarg; break;
		case 'o': who = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h': fputs(hold_help, stdout); return CLI_OK;
		default: return cli_usage("hold", "unknown option");
		}
	}
	if (!case_name) return cli_usage("hold", "--case ID is required");
	if (optind != argc - 1 || (strcmp(argv[optind], "on") && strcmp(argv[optind], "off")))
		return cli_usage("hold", "give on or off");
	bool on = !strcmp(argv[optind], "on");
	who = cli_operator(who, "");
	dv_vault *v;
	int rc = cli_open_vault("hold", vault, key_file, DV_VAULT_WRITE, &v);
	if (rc) return rc;
	uint64_t n = 0;
	if (dv_vault_case_hold(&n, v, case_name, on, who) < 0) rc = cli_fail("hold");
	else printf("legal hold %s for case %s (%llu blobs; custody entry case.hold)\n", on ? "on" : "off", cli_esc(case_name),
	            (unsigned long long)n);
	dv_vault_close(v);
	return rc;
}
