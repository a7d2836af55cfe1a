/*
 * cli/cli.h - what the dronevault subcommands share. The CLI is a thin
 * layer: it parses arguments, calls libdronevault, prints, and picks the
 * exit code. Nothing here knows a file format.
 *
 * Exit codes (documented in `dronevault --help`):
 *   0 success; 1 failure; 2 usage error; 3 wrong passphrase or key file;
 *   4 a check found problems (verify) or a finding (audit leak, zone hit);
 *   5 inconclusive; 130 interrupted (Ctrl-C).
 */
#ifndef DV_CLI_H
#define DV_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_BADKEY = 3,
	CLI_FINDING = 4,
	CLI_INCONCLUSIVE = 5,
	CLI_INTERRUPTED = 130
};

/* Every subcommand: int cmd_NAME(int argc, char **argv), argv[0] = "NAME". */
#define DV_CMD(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef DV_CMD

/* Global options given before the subcommand (dronevault --vault X cmd). */
extern const char *cli_global_vault;

/* Prints "dronevault CMD: message" and "try 'dronevault CMD --help'"; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the library's last error as "dronevault CMD: <text>" and returns
 * the exit code for its dv_code (3 for a wrong key, 130 for Ctrl-C, else 1). */
int cli_fail(const char *cmd);

/* The vault directory: --vault, else $DRONEVAULT_VAULT, else ./vault. */
const char *cli_vault_dir(const char *opt);

/* true when stderr is a terminal (progress output is shown then). */
bool cli_stderr_is_tty(void);

#endif
