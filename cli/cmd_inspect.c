/*
 * dronevault inspect FILE... - runs whole in the sandboxed reader: the
 * files are hostile, and inspect needs nothing of the vault. The command
 * itself is src/privsep/job_inspect.c.
 */
#include <stdio.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/reader.h"

int cmd_inspect(int argc, char **argv)
{
	int code;
	if (dv_reader_run("inspect", argc, argv, &code) < 0) {
		fprintf(stderr, "dronevault inspect: %s\n", dv_error_text());
		return CLI_FAIL;
	}
	return code;
}
