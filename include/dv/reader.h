/*
 * dv/reader.h - running a command's parsing in the sandboxed reader.
 *
 * Hostile bytes are parsed by dv-reader, a helper process with no network,
 * no exec and no write access (see docs/design.md, "The sandboxed reader").
 * dv_ingest uses it on its own; a command that only reads and prints
 * (inspect) runs whole inside it:
 *
 *     int code;
 *     if (dv_reader_run("inspect", argc, argv, &code) < 0) ... dv_error_text()
 *
 * runs job with argv (argv[0] is the job's name) in the reader, copies the
 * job's stdout and stderr to this process's, and gives its exit status.
 * Errors: the helper is not installed (DV_ENOTFOUND, naming where it
 * looked), did not start, or died (a SIGSYS death is reported as a sandbox
 * violation, DV_EPERM). The library installs no policy on its caller.
 */
#ifndef DV_READER_H
#define DV_READER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int dv_reader_run(const char *job, int argc, char *const *argv, int *exit_code);

/*
 * A job that writes files or needs the vault: the job never opens a file
 * for writing and never sees the vault. Instead
 *   - it writes each output (a report, a GeoJSON file) to a pipe at
 *     descriptor DV_READER_OUT_FD + i (i < nout); the parent keeps the bytes
 *     (at most out_max each) and writes the file itself, as the command
 *     always did (same mode, same atomicity);
 *   - it asks the parent (dv_reader_ask) with a JSON question (what it
 *     found: the custody detail, the positions to compare, ...); the
 *     parent's ask() gets the question and the outputs so far (complete:
 *     the job closes its outputs before it asks), re-checks what it uses,
 *     does the vault work and answers with a JSON text (malloc'd) the job
 *     prints from. ask() returning < 0 ends the job (it is killed).
 * Parent side:
 *     dv_reader_io io = { .nout = 1, .out_max = 1 << 30, .ask = my_ask, .ctx = &c };
 *     dv_reader_run_io("audit", argc, argv, &io, &code); ... dv_reader_io_dispose(&io);
 */
#define DV_READER_OUT_FD 4
#define DV_READER_OUTS 2
#define DV_READER_ASK_MAX (16u << 20)
#define DV_READER_REPLY_MAX (64u << 20)

typedef struct dv_reader_out {
	unsigned char *data;
	size_t len, cap;
} dv_reader_out;

typedef struct dv_reader_io {
	unsigned nout;
	size_t out_max;
	int (*ask)(void *ctx, const char *question, size_t len, const dv_reader_out *outs, char **reply);
	void *ctx;
	dv_reader_out out[DV_READER_OUTS];   /* filled by dv_reader_run_io */
	/* > 0: a descriptor the job reads at DV_READER_OUT_FD + nout (watch: the
	 * frames it analyses); dv_reader_run_io closes the caller's copy (so a
	 * writer sees EPIPE when the job is gone) and sets it to 0 */
	int in_fd;
} dv_reader_io;

int dv_reader_run_io(const char *job, int argc, char *const *argv, dv_reader_io *io, int *exit_code);
void dv_reader_io_dispose(dv_reader_io *io);

/* Inside a job (dv-reader --job): sends question, waits for the parent's
 * answer (*reply malloc'd, NUL-terminated). */
int dv_reader_ask(const char *question, char **reply);

#ifdef __cplusplus
}
#endif
#endif
