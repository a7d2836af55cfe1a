/*
 * The helpers every command shares (cli.h), apart from main.c so that the
 * sandboxed reader can run a command's parsing (cli_reader.c) without the
 * dispatcher.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"

const char *cli_global_vault;

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

int cli_fail(const char *cmd)
{
	const dv_error *e = dv_error_last();
	fprintf(stderr, "dronevault %s: %s\n", cmd, dv_error_text());
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

/* In the sandboxed reader stdout and stderr are pipes to the parent: the
 * parent said what they are (cli_reader.c). */
bool cli_stderr_is_tty(void)
{
	return cli_in_reader ? (cli_reader_tty & 2) != 0 : isatty(STDERR_FILENO) == 1;
}

bool cli_stdout_is_tty(void)
{
	return cli_in_reader ? (cli_reader_tty & 1) != 0 : isatty(STDOUT_FILENO) == 1;
}
