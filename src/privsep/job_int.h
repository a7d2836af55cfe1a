/*
 * privsep/job_int.h - parse jobs run inside the sandboxed reader
 * (dv-reader --job; the caller's side is dv/reader.h). A job is a
 * command's main, run under the reader's policy: it opens its inputs
 * read-only and writes only to its stdout and stderr, which the parent
 * copies out. Its return value is the command's exit status.
 */
#ifndef DV_JOB_INT_H
#define DV_JOB_INT_H

#include <stdarg.h>
#include <stdio.h>

enum { DV_JOB_OK = 0, DV_JOB_FAIL = 1, DV_JOB_USAGE = 2 };

/* The CLI's usage error, word for word (cli_usage in cli/main.c). */
static inline int job_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int job_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dronevault %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'dronevault %s --help'\n", cmd);
	return DV_JOB_USAGE;
}

int dv_job_inspect(int argc, char **argv);

#endif
