/*
 * Commands whose work is parsing hostile files (inspect, audit, radio,
 * zones) run in the sandboxed reader (dv/reader.h): the same command code,
 * under the reader's policy, its stdout and stderr copied out. An
 * invocation that needs the vault (--case) or writes a file (--report,
 * --geojson) stays in this process for now.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/reader.h"

bool cli_in_reader;
unsigned cli_reader_tty;

/* "--rep", "--report", "--report=x" all name "report" (getopt_long takes
 * unambiguous abbreviations) */
static bool names(const char *arg, const char *opt)
{
	if (arg[0] != '-' || arg[1] != '-' || !arg[2]) return false;
	const char *name = arg + 2;
	size_t n = strcspn(name, "=");
	return n <= strlen(opt) && !strncmp(name, opt, n);
}

bool cli_forward(const char *cmd, int argc, char **argv, const char *const *local_opts, int *code)
{
	if (cli_in_reader) return false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) break;
		/* --x-reader-*: what this process tells the reader, never a user's option */
		if (!strncmp(argv[i], "--x", 3)) {
			*code = cli_usage(cmd, "unknown option '%s'", argv[i]);
			return true;
		}
		for (int k = 0; local_opts && local_opts[k]; k++)
			if (names(argv[i], local_opts[k])) return false;
	}
	if (dv_reader_run(cmd, argc, argv, code) < 0) {
		fprintf(stderr, "dronevault %s: %s\n", cmd, dv_error_text());
		*code = CLI_FAIL;
	}
	return true;
}
