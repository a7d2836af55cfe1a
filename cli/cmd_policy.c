/*
 * cmd_policy.c - `dronevault policy check FILE`: the policy file shared by
 * audit, watch and lockdown, every error named with its line and column
 * (exit 4 when any, as `zones validate`). Runs in the sandboxed reader.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "dv/enforce.h"
#include "dv/err.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault policy check [--json] FILE\n"
	        "\n"
	        "Checks a policy file (what audit, watch and lockdown allow) and names every\n"
	        "error with its line and column. One rule a line, '#' starts a comment:\n"
	        "  allow-net CIDR [comment]        allowed network (IPv4 or IPv6)\n"
	        "  allow-name PATTERN [comment]    allowed host name, *.domain for subdomains\n"
	        "  allow-asn N | allow-country CC  allowed by the location database\n"
	        "  deny-name PATTERN               sinkholed by lockdown besides the maker's names\n"
	        "  segment-interface IFACE         the drone segment's interface (hotspot side)\n"
	        "  segment-net CIDR                the drone segment's addresses\n"
	        "  gateway ADDR                    this host on the segment\n"
	        "  resolver ADDR                   the only DNS server the segment may use\n"
	        "  severity CATEGORY LEVEL         CATEGORY maker, known, unknown, dns-maker,\n"
	        "                                  content, code, drops; LEVEL off, info,\n"
	        "                                  warning, alarm, critical\n"
	        "See docs/enforce.md.\n"
	        "\n"
	        "  --json   the problems as one JSON document\n"
	        "\n"
	        "Exit: 0 no error, 4 errors found, 1 the file cannot be read, 2 usage.\n");
}

int cmd_policy(int argc, char **argv)
{
	int forwarded;
	if (cli_forward("policy", argc, argv, NULL, &forwarded)) return forwarded;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		help(stdout);
		return CLI_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check")) return cli_usage("policy", "expected 'policy check FILE'");
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		                              { NULL, 0, NULL, 0 } };
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		if (c == 'j') json = 1;
		else if (c == 'h') {
			help(stdout);
			return CLI_OK;
		} else return cli_usage("policy", "unknown option");
	}
	if (optind != argc - 2) return cli_usage("policy", "check needs exactly one FILE");
	const char *path = argv[1 + optind];
	dv_policy_problem *pp;
	size_t n, total;
	if (dv_policy_check(&pp, &n, &total, path) < 0) return cli_fail("policy");
	if (json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "errors", json_object_new_uint64(total));
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "line", json_object_new_uint64(pp[i].line));
			json_object_object_add(e, "column", json_object_new_uint64(pp[i].col));
			json_object_object_add(e, "message", json_object_new_string(pp[i].msg));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "problems", a);
		cli_print_json(o);
		json_object_put(o);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s:%zu:%zu: error: %s\n", cli_esc(path), pp[i].line, pp[i].col, cli_esc(pp[i].msg));
		if (total > n) printf("%s: %zu more error(s) not shown\n", cli_esc(path), total - n);
		if (total) printf("%s: %zu error(s)\n", cli_esc(path), total);
		else printf("%s: ok\n", cli_esc(path));
	}
	free(pp);
	return total ? CLI_FINDING : CLI_OK;
}
