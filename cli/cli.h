/*
 * cli/cli.h - what the dronevault subcommands share. The CLI is a thin
 * layer: it parses arguments, calls libdronevault, prints, and picks the
 * exit code. Nothing here knows a file format.
 *
 * Exit codes (documented in `dronevault --help`):
 *   0 success; 1 failure; 2 usage error; 3 wrong passphrase or key file;
 *   4 a check found problems (verify) or a finding (audit leak, zone hit);
 *   5 inconclusive; 6 the vault is busy (another writer holds it; see
 *   --wait); 130 interrupted (Ctrl-C).
 */
#ifndef DV_CLI_H
#define DV_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "dv/vault.h"

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_BADKEY = 3,
	CLI_FINDING = 4,
	CLI_INCONCLUSIVE = 5,
	CLI_BUSY = 6,
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
 * the exit code for its dv_code (3 for a wrong key, 6 for a busy vault,
 * 130 for Ctrl-C, else 1). */
int cli_fail(const char *cmd);

/*
 * s made safe for a terminal (dv_escape_term: control bytes from a card as
 * \e, \n, \xHH ...). Every text output of a name, path, case, note or error
 * goes through it; JSON output is escaped by json-c instead. The result
 * lives until 8 more calls (a ring of buffers), so one printf may use
 * several. NULL gives "".
 */
const char *cli_esc(const char *s);

/* $DRONEVAULT_PASSPHRASE as it was at start (main copies it into guarded
 * memory and removes it from the environment), or NULL when unset/empty. */
const char *cli_env_passphrase(void);
/* main() first: no core dumps, not dumpable, the passphrase out of the
 * environment (into guarded memory). */
void cli_harden_process(void);

/* Who acts, for the custody log: --operator NAME if given, else $USER,
 * else fallback. */
const char *cli_operator(const char *given, const char *fallback);

/* The vault directory: --vault, else $DRONEVAULT_VAULT, else ./vault. */
const char *cli_vault_dir(const char *opt);

/* true when stderr is a terminal (progress output is shown then). */
bool cli_stderr_is_tty(void);

/* ---- vault commands (cli_vault.c) ---- */
#include <signal.h>
#include <stdint.h>

struct dv_vault;

/* Set by SIGINT/SIGTERM once cli_catch_signals() ran; library loops stop. */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_signals(void);

/*
 * Opens the vault for cmd: the directory from cli_vault_dir(vault_opt), the
 * key from key_file, else $DRONEVAULT_PASSPHRASE, else a prompt on the
 * terminal. On failure prints the error and returns the exit code (> 0).
 */
int cli_open_vault(const char *cmd, const char *vault_opt, const char *key_file, int mode,
                   struct dv_vault **out);

/*
 * Opens the vault for writing as holder ("ingest by PC Weber": what other
 * processes are told while we hold it). wait_seconds 0: a busy vault fails
 * at once (exit 6); > 0 waits that long, < 0 until it is free, showing who
 * holds it. cli_open_vault(..., DV_VAULT_WRITE, ...) is this with the
 * command's name and no wait.
 */
int cli_open_vault_writer(const char *cmd, const char *vault_opt, const char *key_file, const char *holder,
                          double wait_seconds, struct dv_vault **out);

/*
 * --kdf-mem MIB (8..4096) or --kdf-ops N (1..64) of a new key (init,
 * station add) into *mem_bytes / *ops: 0, or the usage exit code.
 */
int cli_parse_kdf(const char *cmd, const char *opt, const char *arg, uint64_t *mem_bytes, uint64_t *ops);

/*
 * The flags that make a vault (init, and migrate, which makes its central
 * vault the same way): --station --operator --kdf-mem --kdf-ops --catalog
 * --blobs --s3-endpoint --s3-ca --s3-region --retain-days, parsed by one
 * function. CLI_INIT_LONGOPTS goes into a command's getopt_long table (the
 * values are 0x100 and up: no short option clashes); cli_init_option takes
 * getopt's result and returns -1 when the option is not one of them, else
 * 0 or the usage exit code; cli_init_check checks them together once
 * parsed; cli_init_make makes the vault in dir.
 */
typedef struct cli_init_args {
	dv_vault_init_opts io;
	dv_blob_s3_opts s3;
	unsigned long retain_days;
} cli_init_args;
enum {
	CLI_INIT_STATION = 0x100, CLI_INIT_OPERATOR, CLI_INIT_KDF_MEM, CLI_INIT_KDF_OPS, CLI_INIT_CATALOG, CLI_INIT_BLOBS,
	CLI_INIT_S3_ENDPOINT, CLI_INIT_S3_CA, CLI_INIT_S3_REGION, CLI_INIT_RETAIN_DAYS
};
#define CLI_INIT_LONGOPTS                                                                                          \
	{ "station", required_argument, NULL, CLI_INIT_STATION }, { "operator", required_argument, NULL, CLI_INIT_OPERATOR }, \
	{ "kdf-mem", required_argument, NULL, CLI_INIT_KDF_MEM }, { "kdf-ops", required_argument, NULL, CLI_INIT_KDF_OPS },   \
	{ "catalog", required_argument, NULL, CLI_INIT_CATALOG }, { "blobs", required_argument, NULL, CLI_INIT_BLOBS },       \
	{ "s3-endpoint", required_argument, NULL, CLI_INIT_S3_ENDPOINT }, { "s3-ca", required_argument, NULL, CLI_INIT_S3_CA }, \
	{ "s3-region", required_argument, NULL, CLI_INIT_S3_REGION }, { "retain-days", required_argument, NULL, CLI_INIT_RETAIN_DAYS }
int cli_init_option(const char *cmd, int opt, const char *arg, cli_init_args *a);
int cli_init_check(const char *cmd, const cli_init_args *a);
/* dv_vault_init or dv_vault_init_s3; < 0 as they return */
int cli_init_make(const char *dir, const dv_key_source *key, const cli_init_args *a);

/* --retain-days N (1..36500: a century) of init, migrate and cases: 0, or the usage exit code. */
int cli_parse_retain_days(const char *cmd, const char *arg, unsigned long *days);

/* --wait[=SECONDS]: arg NULL (bare --wait) is -1, "until free". Returns 0 or
 * the usage exit code after printing why. */
int cli_parse_wait(const char *cmd, const char *arg, double *out);

/* The sentence every writer command's --help ends its exit codes with. */
#define CLI_BUSY_HELP \
	"6 the vault is busy: another writer (an ingest, an export) holds it; the\n" \
	"message says who, pid and since when; --wait[=SECONDS] waits for it\n"

/* Reads a passphrase without echo from the terminal ("" prompt twice when
 * confirm). Returns 0 or an exit code after printing why. */
int cli_read_passphrase(const char *cmd, const char *prompt, bool confirm, char *buf, size_t size);
/*
 * The key every command takes the same way: key_file if given, else
 * $DRONEVAULT_PASSPHRASE, else the terminal (prompt; typed twice with
 * confirm). The passphrase goes into pass (wipe it after use); out points
 * into it. 0, or the exit code after printing why.
 */
struct dv_key_source;
/* The audit's own options as the sandboxed reader takes them (audit and
 * watch hand them on alike): appended to av from n on; the new n. */
struct dv_audit_opts;
int cli_audit_reader_args(char **av, int n, const struct dv_audit_opts *o, const char *max_flows, bool json,
                          bool report);
int cli_key_source(struct dv_key_source *out, const char *cmd, const char *prompt, bool confirm, const char *key_file,
                   char *pass, size_t size);
/* A second vault's key (migrate's NEWDIR, sync's --to, verify --witness):
 * its key file, else the environment variable env (its own), else as
 * cli_key_source ($DRONEVAULT_PASSPHRASE, else the terminal). */
int cli_other_key(struct dv_key_source *out, const char *cmd, const char *key_file, const char *env, const char *prompt,
                  bool confirm, char *pass, size_t size);

/* "4.2 GB", "512 kB", "17 B" */
void cli_human_bytes(char *buf, size_t size, uint64_t n);

/* A one-line progress display on stderr (terminal only, at most 10 per s). */
void cli_progress(const char *what, uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                  uint64_t bytes_total);
void cli_progress_end(void);

struct json_object;
/* Members of a JSON object that came from the sandboxed reader, which is
 * hostile: a string member k with no NUL inside and at most max bytes (NULL
 * otherwise); an integer member k (any, or >= 0 for a count). */
const char *cli_reader_str(struct json_object *o, const char *k, size_t max);
bool cli_reader_int(struct json_object *o, const char *k, int64_t *out);
bool cli_reader_count(struct json_object *o, const char *k, uint64_t *out);

/* Prints a JSON value (json_object *) to stdout, pretty when a terminal. */
void cli_print_json(void *json_object);

/* ---- the sandboxed reader (cli_reader.c) ---- */
/* True inside dv-reader, where a command's parsing runs as a job; then
 * cli_reader_tty says whether the parent's stdout (1) and stderr (2) are
 * terminals. */
extern bool cli_in_reader;
extern unsigned cli_reader_tty;
/* isatty(stdout), or what the parent said inside the reader. Attacker-chosen
 * text must be escaped for a terminal: ask this, not isatty. */
bool cli_stdout_is_tty(void);
/*
 * Runs command cmd (argv[0] == cmd) whole in the sandboxed reader unless
 * this already is the reader or argv names one of local_opts (long options,
 * NULL-terminated: those that need the vault or write a file; the command
 * then runs its parsing in the reader itself, through dv_reader_run_io).
 * True when it ran there, with its exit status in *code. A --x-reader-*
 * option (the parent's to give) is a usage error.
 */
bool cli_forward(const char *cmd, int argc, char **argv, const char *const *local_opts, int *code);

/* dronevault radio on SDR recordings (cmd_radio_ocusync.c): OcuSync
 * DroneID. cli_radio_io_question (cmd_radio.c) sends the reader's
 * question in the Remote ID layout and prints the answer; it takes q. */
typedef struct json_object json_object;
int cli_radio_io_question(json_object *q, const char *geojson_out, int n);
typedef struct cli_sdr_args {
	bool json;
	const char *geojson;
	bool reader_geojson, reader_io;
	const char *case_name, *iq_format, *rate, *freq;
} cli_sdr_args;
int cli_radio_sdr(const cli_sdr_args *a, int n, char **paths);
/* the files a --case stores: each path, and beside a .sigmf-meta its
 * sample file(s) by name; NULL-terminated, or NULL on no memory */
char **cli_radio_sdr_files(int n, char **paths);
void cli_radio_sdr_files_free(char **files);
/* files[0..n) plus the sample files the reader named in the question's
 * "datasets" (see cmd_radio_ocusync.c); NULL-terminated, free with
 * cli_radio_sdr_files_free. */
struct json_object;
char **cli_radio_sdr_with_datasets(const char *const *files, size_t n, struct json_object *datasets);

#endif
