/*
 * Every command that parses hostile files runs in the sandboxed reader
 * (dv/reader.h): the same command code, under the reader's policy, its
 * stdout and stderr copied out:
 *   - inspect, audit, radio, zones validate/check without the vault or an
 *     output file: cli_forward, the whole command line;
 *   - audit --report / --case, radio --geojson / --case (and --frames with
 *     --case), zones check --geojson / --case / --flight: the command parses
 *     its options here, hands the reader the command line without the
 *     vault options and output names (--x-reader-* instead) and does the
 *     file and vault work when the reader asks (dv_reader_run_io; each
 *     cmd_*.c has its *_ask).
 * --x-reader-* options on a user's command line are refused.
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
