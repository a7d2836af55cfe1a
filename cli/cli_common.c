/*
 * The helpers every command shares (cli.h), apart from main.c so that the
 * sandboxed reader can run a command's parsing (cli_reader.c) without the
 * dispatcher.
 */
#include <json-c/json.h>
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
void cli_harden_process(void)
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

const char *cli_reader_str(json_object *o, const char *k, size_t max)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string)) return NULL;
	const char *s = json_object_get_string(v);
	return strlen(s) <= max && (size_t)json_object_get_string_len(v) == strlen(s) ? s : NULL;
}

bool cli_reader_int(json_object *o, const char *k, int64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) return false;
	*out = json_object_get_int64(v);
	return true;
}

bool cli_reader_count(json_object *o, const char *k, uint64_t *out)
{
	int64_t v;
	if (!cli_reader_int(o, k, &v) || v < 0) return false;
	*out = (uint64_t)v;
	return true;
}

const char *cli_operator(const char *given, const char *fallback)
{
	if (given) return given;
	const char *u = getenv("USER");
	return u && *u ? u : fallback;
}
