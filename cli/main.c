/*
 * dronevault - evidence vault, telemetry, leak audit and geofence for
 * agency drone units. This file only dispatches to cli/cmd_*.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
#define DV_CMD(name, summary) { #name, cmd_##name, summary },  /* "_" is "-" on the command line */
#include "commands.def"
#undef DV_CMD
};

/* "sample_card" matches "sample-card" */
static int command_is(const char *given, const char *name)
{
	for (; *given && *name; given++, name++)
		if (*given != *name && !(*given == '-' && *name == '_')) return 0;
	return *given == *name;
}

static void print_name(FILE *out, const char *name)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", name);
	for (char *p = buf; *p; p++)
		if (*p == '_') *p = '-';
	fprintf(out, "  %-12s", buf);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dronevault [--vault DIR] COMMAND [OPTIONS] [ARGS]\n"
	        "\n"
	        "Keeps a drone unit's flight data in an encrypted evidence vault with a\n"
	        "signed chain of custody, and proves what did (not) leave the agency.\n"
	        "\n"
	        "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		print_name(out, commands[i].name);
		fprintf(out, " %s\n", commands[i].summary);
	}
	fprintf(out,
	        "\n"
	        "The vault is --vault DIR, else $DRONEVAULT_VAULT, else ./vault.\n"
	        "Its passphrase comes from a prompt, --key-file FILE, or\n"
	        "$DRONEVAULT_PASSPHRASE (for scripts).\n"
	        "\n"
	        "Exit codes: 0 ok, 1 failure, 2 usage, 3 wrong passphrase or key,\n"
	        "4 problems found (verify) or a finding (audit, zones), 5 inconclusive,\n"
	        "6 vault busy (another writer holds it; writers take --wait[=SECONDS]),\n"
	        "130 interrupted. Readers (cases, ls, log, flights, verify) run while an\n"
	        "ingest writes.\n"
	        "\n"
	        "'dronevault COMMAND --help' explains a command.\n");
}

int main(int argc, char **argv)
{
	cli_harden_process();
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CLI_OK;
		} else if (!strcmp(argv[i], "--version")) {
			return cmd_version(1, (char *[]){ "version", NULL });
		} else if (!strcmp(argv[i], "--vault") && i + 1 < argc) {
			cli_global_vault = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--vault=", 8)) {
			cli_global_vault = argv[i] + 8;
			i++;
		} else {
			fprintf(stderr, "dronevault: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (command_is(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc)
			for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
				if (command_is(argv[i + 1], commands[c].name))
					return commands[c].fn(2, (char *[]){ argv[i + 1], "--help", NULL });
		usage(stdout);
		return CLI_OK;
	}
	fprintf(stderr, "dronevault: '%s' is not a command\n\n", argv[i]);
	usage(stderr);
	return CLI_USAGE;
}
