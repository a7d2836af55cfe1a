/* What the vault commands share: keys, signals, progress, JSON output. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/vault.h"

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int read_tty_line(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool have = tcgetattr(fd, &old) == 0;
	if (have) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing to do: the read below still works */
	}
	size_t n = 0;
	int rc = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0 || c == '\n' || c == '\r') {
			if (r <= 0 && n == 0) rc = -1;
			break;
		}
		if (n + 1 < size) buf[n++] = c;
	}
	buf[n] = '\0';
	if (have) tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* cosmetic */
	}
	return rc;
}

int cli_read_passphrase(const char *cmd, const char *prompt, bool confirm, char *buf, size_t size)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr,
		        "dronevault %s: no passphrase: set DRONEVAULT_PASSPHRASE, give --key-file FILE, or run on a terminal\n",
		        cmd);
		return CLI_USAGE;
	}
	int rc = read_tty_line(fd, prompt, buf, size);
	if (rc == 0 && confirm) {
		char again[1024];
		rc = read_tty_line(fd, "Repeat passphrase: ", again, sizeof(again));
		if (rc == 0 && strcmp(again, buf) != 0) {
			fprintf(stderr, "dronevault %s: the passphrases differ\n", cmd);
			close(fd);
			return CLI_USAGE;
		}
		memset(again, 0, sizeof(again));
	}
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "dronevault %s: no passphrase entered\n", cmd);
		return CLI_USAGE;
	}
	return CLI_OK;
}

struct wait_ctx {
	const char *cmd;
	bool told;
};

static int on_waiting(const char *holder, double waited, void *payload)
{
	struct wait_ctx *w = payload;
	if (cli_interrupted) return 1;
	if (cli_stderr_is_tty()) {
		fprintf(stderr, "\r\033[Kdronevault %s: waiting for the vault (%.0f s): %s", w->cmd, waited, cli_esc(holder));
		fflush(stderr);
	} else if (!w->told) {
		fprintf(stderr, "dronevault %s: waiting for the vault: %s\n", w->cmd, cli_esc(holder));
	}
	w->told = true;
	return 0;
}

int cli_parse_wait(const char *cmd, const char *arg, double *out)
{
	if (!arg) {
		*out = -1;
		return CLI_OK;
	}
	char *end;
	double d = strtod(arg, &end);
	if (end == arg || *end || !(d >= 0) || d > 1e7)
		return cli_usage(cmd, "--wait=SECONDS takes a number of seconds, not '%s'", arg);
	*out = d;
	return CLI_OK;
}

static int open_vault(const char *cmd, const char *vault_opt, const char *key_file, int mode, const char *holder,
                      double wait_seconds, dv_vault **out);

int cli_open_vault(const char *cmd, const char *vault_opt, const char *key_file, int mode, dv_vault **out)
{
	return open_vault(cmd, vault_opt, key_file, mode, cmd, 0, out);
}

int cli_open_vault_writer(const char *cmd, const char *vault_opt, const char *key_file, const char *holder,
                          double wait_seconds, dv_vault **out)
{
	return open_vault(cmd, vault_opt, key_file, DV_VAULT_WRITE, holder, wait_seconds, out);
}

int cli_key_source(dv_key_source *out, const char *cmd, const char *prompt, bool confirm, const char *key_file,
                   char *pass, size_t size)
{
	*out = (dv_key_source){ NULL, 0, key_file };
	pass[0] = '\0';
	if (key_file) return 0;
	const char *env = cli_env_passphrase();
	if (env && *env) {
		snprintf(pass, size, "%s", env);
	} else {
		int rc = cli_read_passphrase(cmd, prompt, confirm, pass, size);
		if (rc) return rc;
	}
	out->passphrase = pass;
	out->passphrase_len = strlen(pass);
	return 0;
}

static int open_vault(const char *cmd, const char *vault_opt, const char *key_file, int mode, const char *holder,
                      double wait_seconds, dv_vault **out)
{
	static char pass[1024];
	dv_key_source key;
	const char *dir = cli_vault_dir(vault_opt);
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "Passphrase for vault %s: ", dir);
	int krc = cli_key_source(&key, cmd, prompt, false, key_file, pass, sizeof(pass));
	if (krc) return krc;
	struct wait_ctx wc = { cmd, false };
	dv_vault_open_opts oo = { holder, wait_seconds, on_waiting, &wc };
	if (wait_seconds != 0) cli_catch_signals(); /* Ctrl-C stops the wait */
	int rc = dv_vault_open_ex(out, dir, &key, mode, &oo);
	memset(pass, 0, sizeof(pass));
	if (wc.told && cli_stderr_is_tty()) fprintf(stderr, "\r\033[K");
	if (rc < 0) return cli_fail(cmd);
	return CLI_OK;
}

void cli_human_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	if (u == 0) snprintf(buf, size, "%llu B", (unsigned long long)n);
	else snprintf(buf, size, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
}

static struct timespec progress_start, progress_last;
static bool progress_shown;

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void cli_progress(const char *what, uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                  uint64_t bytes_total)
{
	if (!cli_stderr_is_tty()) return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!progress_shown && progress_start.tv_sec == 0) progress_start = now;
	/* at most 10 updates a second, but a new phase shows at once */
	static const char *last_what;
	if (progress_shown && what == last_what && since(&progress_last, &now) < 0.1) return;
	last_what = what;
	progress_last = now;
	progress_shown = true;
	double secs = since(&progress_start, &now);
	double rate = secs > 0.2 ? (double)bytes_done / secs : 0;
	char done[32], total[32], speed[32], eta[32] = "";
	cli_human_bytes(done, sizeof(done), bytes_done);
	cli_human_bytes(total, sizeof(total), bytes_total);
	cli_human_bytes(speed, sizeof(speed), (uint64_t)rate);
	if (rate > 0 && bytes_total > bytes_done) {
		long s = (long)((double)(bytes_total - bytes_done) / rate);
		snprintf(eta, sizeof(eta), "  ETA %ld:%02ld", s / 60, s % 60);
	}
	if (files_total)
		fprintf(stderr, "\r\033[K%s: %llu/%llu files  %s/%s  %s/s%s", what, (unsigned long long)files_done,
		        (unsigned long long)files_total, done, total, speed, eta);
	else
		fprintf(stderr, "\r\033[K%s: %s/%s  %s/s%s", what, done, total, speed, eta);
	fflush(stderr);
}

void cli_progress_end(void)
{
	if (progress_shown) fprintf(stderr, "\r\033[K");
	progress_shown = false;
	progress_start.tv_sec = 0;
}

void cli_print_json(void *obj)
{
	int flags = cli_stdout_is_tty() ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	printf("%s\n", json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cli_parse_kdf(const char *cmd, const char *opt, const char *arg, uint64_t *mem_bytes, uint64_t *ops)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	bool mem = !strcmp(opt, "kdf-mem");
	if (errno || end == arg || *end || arg[0] == '-' || v < (mem ? 8u : 1u) || v > (mem ? 4096u : 64u))
		return cli_usage(cmd, mem ? "--kdf-mem takes 8 to 4096 (MiB)" : "--kdf-ops takes 1 to 64");
	if (mem) *mem_bytes = (uint64_t)v << 20;
	else *ops = v;
	return 0;
}

int cli_parse_retain_days(const char *cmd, const char *arg, unsigned long *days)
{
	char *end;
	errno = 0;
	unsigned long d = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || arg[0] == '-' || d < 1 || d > 36500) return cli_usage(cmd, "--retain-days takes 1 to 36500");
	*days = d;
	return 0;
}

int cli_init_option(const char *cmd, int opt, const char *arg, cli_init_args *a)
{
	switch (opt) {
	case CLI_INIT_STATION: a->io.station = arg; return 0;
	case CLI_INIT_OPERATOR: a->io.operator_name = arg; return 0;
	case CLI_INIT_KDF_MEM:
	case CLI_INIT_KDF_OPS:
		return cli_parse_kdf(cmd, opt == CLI_INIT_KDF_MEM ? "kdf-mem" : "kdf-ops", arg, &a->io.kdf_mem, &a->io.kdf_ops);
	case CLI_INIT_CATALOG:
		if (strncmp(arg, "postgresql:", 11) && strncmp(arg, "postgres:", 9) && !strchr(arg, '='))
			return cli_usage(cmd, "--catalog takes a PostgreSQL URI (postgresql://...) or connection string");
		a->io.catalog = arg;
		return 0;
	case CLI_INIT_BLOBS: a->s3.url = arg; return 0;
	case CLI_INIT_S3_ENDPOINT: a->s3.endpoint = arg; return 0;
	case CLI_INIT_S3_CA: a->s3.ca_file = arg; return 0;
	case CLI_INIT_S3_REGION: a->s3.region = arg; return 0;
	case CLI_INIT_RETAIN_DAYS: return cli_parse_retain_days(cmd, arg, &a->retain_days);
	default: return -1;
	}
}

int cli_init_check(const char *cmd, const cli_init_args *a)
{
	if (!a->s3.url && (a->s3.endpoint || a->s3.ca_file || a->s3.region || a->retain_days))
		return cli_usage(cmd, "--s3-endpoint, --s3-ca, --s3-region and --retain-days go with --blobs s3://...");
	if (a->s3.url && dv_blob_s3_check_url(a->s3.url, a->s3.endpoint) < 0) return cli_usage(cmd, "%s", dv_error_text());
	return 0;
}

int cli_init_make(const char *dir, const dv_key_source *key, const cli_init_args *a)
{
	return a->s3.url ? dv_vault_init_s3(dir, key, &a->io, &a->s3, (uint32_t)a->retain_days) : dv_vault_init(dir, key, &a->io);
}

int cli_other_key(dv_key_source *k, const char *cmd, const char *key_file, const char *env, const char *prompt, bool confirm,
                  char *pass, size_t size)
{
	const char *p = getenv(env);
	if (!key_file && p && *p) {
		snprintf(pass, size, "%s", p);
		*k = (dv_key_source){ pass, strlen(pass), NULL };
		return 0;
	}
	return cli_key_source(k, cmd, prompt, confirm, key_file, pass, size);
}
