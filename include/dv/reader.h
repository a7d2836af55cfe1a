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

#ifdef __cplusplus
extern "C" {
#endif

int dv_reader_run(const char *job, int argc, char *const *argv, int *exit_code);

#ifdef __cplusplus
}
#endif
#endif
