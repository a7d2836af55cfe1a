/*
 * dronevault - evidence vault, telemetry, leak audit and geofence for
 * agency drone units. This file only dispatches to cli/cmd_*.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "dv/crypto.h"
#include "dv/err.h"
#include "dv/util.h"

const char *cli_global_vault;

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

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dronevault %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'dronevault %s --help'\n", cmd);
	return CLI_USAGE;
}

const char *cli_esc(const char *s)
{
	static char *ring[8];
	static unsigned next;
	if (!s) return "";
	char *e = dv_escape_term_dup(s);
	if (!e) return "?";   /* out of memory: show nothing raw */
	free(ring[next]);
	ring[next] = e;
	next = (next + 1) % 8;
	return e;
}

int cli_fail(const char *cmd)
{
	const dv_error *e = dv_error_last();
	fprintf(stderr, "dronevault %s: %s\n", cmd, cli_esc(dv_error_text()));
	switch (e->code) {
	case DV_EBADKEY: return CLI_BADKEY;
	case DV_EINTR: return CLI_INTERRUPTED;
	case DV_EBUSY: return CLI_BUSY;
	default: return CLI_FAIL;
	}
}

const char *cli_vault_dir(const char *opt)
{
	if (opt && *opt) return opt;
	if (cli_global_vault && *cli_global_vault) return cli_global_vault;
	const char *env = getenv("DRONEVAULT_VAULT");
	if (env && *env) return env;
	return "vault";
}

bool cli_stderr_is_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}

#define PASS_ENV "DRONEVAULT_PASSPHRASE"
#define PASS_MAX 1024
static char *env_pass;   /* guarded memory; NULL when the variable was unset or empty */

const char *cli_env_passphrase(void)
{
	return env_pass;
}

/*
 * Before anything else, while there is one thread: no core dumps (they
 * would hold the keys) and nobody of our uid may ptrace us or read our
 * memory (PR_SET_DUMPABLE 0), and the passphrase leaves the environment,
 * both the environ array and the bytes of the initial environment block
 * that /proc/PID/environ shows, after being copied into guarded memory.
 */
static void harden_process(void)
{
	struct rlimit none = { 0, 0 };
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	char *val = getenv(PASS_ENV);
	if (!val) return;
	if (*val && (env_pass = dv_secret_alloc(PASS_MAX)))
		snprintf(env_pass, PASS_MAX, "%s", val);
	char *entry = val - strlen(PASS_ENV "=");
	size_t n = strlen(entry);
	(void)unsetenv(PASS_ENV);
	dv_wipe(entry, n);   /* the block /proc/PID/environ reads */
}

int main(int argc, char **argv)
{
	harden_process();
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
