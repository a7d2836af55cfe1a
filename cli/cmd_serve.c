/* dronevault serve: the local read-only web page over the vault. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/serve.h"
#include "dv/vault.h"

/* set by cli/CMakeLists.txt; dv-reader compiles the commands too but never serves */
#ifndef DV_WEB_INSTALL_DIR
#define DV_WEB_INSTALL_DIR "/usr/share/dronevault/web"
#endif
#ifndef DV_WEB_SOURCE_DIR
#define DV_WEB_SOURCE_DIR DV_WEB_INSTALL_DIR
#endif

static const char serve_help[] =
	"usage: dronevault serve [--port N] [--listen ADDR --tls-cert FILE --tls-key FILE]\n"
	"                        [--web-dir DIR] [--npm-dir DIR] [--vault DIR] [--key-file FILE]\n"
	"\n"
	"Serves a read-only web page and JSON API (docs/api.md) over the vault: cases,\n"
	"their acquisitions and files, flights on an offline map, the custody log with\n"
	"its verification, videos played with HTTP range requests. Nothing in the vault\n"
	"changes through it. The vault is unlocked once at start (prompt, --key-file or\n"
	"DRONEVAULT_PASSPHRASE); a passphrase typed at the prompt is kept in locked\n"
	"memory for verify on request (the page's button), never written.\n"
	"\n"
	"It listens on 127.0.0.1 and ::1 only, port --port (default 8750; 0 picks a free\n"
	"one). --listen ADDR serves another address instead; one that is not loopback\n"
	"needs --tls-cert and --tls-key (PEM), so that the access token never crosses a\n"
	"network in clear. At start it prints a URL with a one-time access token; opening\n"
	"it sets a session cookie (HttpOnly, SameSite=Strict, Secure under TLS). Scripts\n"
	"send 'Authorization: Bearer TOKEN'. Without either every answer is 401.\n"
	"\n"
	"The page's files come from --web-dir (else $DV_WEB_DIR, else the installed\n"
	"share/dronevault/web); Leaflet and the Natural Earth base map (world-atlas) from\n"
	"--npm-dir (else $DV_NPM_PREFIX/node_modules, else /opt/dronevault-npm/node_modules,\n"
	"what scripts/install-npm.sh installs). No file is fetched from the Internet.\n"
	"Ctrl-C stops it.\n"
	"\n"
	"Exit codes: 0 stopped by a signal; 1 failure (cannot listen, ...); 2 usage\n"
	"(a non-loopback --listen without TLS); 3 wrong passphrase or key file.\n";

static const char *default_web_dir(void)
{
	const char *e = getenv("DV_WEB_DIR");
	if (e && *e) return e;
	if (access(DV_WEB_INSTALL_DIR "/index.html", R_OK) == 0) return DV_WEB_INSTALL_DIR;
	return DV_WEB_SOURCE_DIR;
}

#define SERVE_PASS_MAX 1024

struct reopen_ctx {
	const char *vault, *key_file;
	const char *pass; /* typed at the prompt: guarded, locked memory (sodium_malloc), never written */
};

/* a second reader for /api/verify: the key file or environment as at
 * start, or the passphrase typed then, kept for it */
static int reopen_reader(dv_vault **out, void *payload)
{
	const struct reopen_ctx *r = payload;
	*out = NULL;
	if (r->pass) {
		dv_key_source key = { r->pass, strlen(r->pass), NULL };
		if (dv_vault_open_ex(out, cli_vault_dir(r->vault), &key, DV_VAULT_READ, NULL) < 0)
			return dv_error_set(DV_EINVAL, NULL, -1, "the vault did not open for verify: %s", dv_error_text());
		return 0;
	}
	if (cli_open_vault("serve", r->vault, r->key_file, DV_VAULT_READ, out) != 0)
		return dv_error_set(DV_EINVAL, NULL, -1, "the vault did not open for verify: %s", dv_error_text());
	return 0;
}

/* The passphrase from the prompt, into memory that is locked (never
 * swapped), guarded, read-only once typed and wiped at exit: serve keeps it
 * for verify on request, which opens a second reader. */
static int prompt_kept(char **out, const char *vault)
{
	*out = NULL;
	char *p = sodium_init() >= 0 ? sodium_malloc(SERVE_PASS_MAX) : NULL;
	if (!p) {
		dv_error_set(DV_ENOMEM, NULL, -1, "no locked memory for the passphrase");
		return cli_fail("serve");
	}
	sodium_mlock(p, SERVE_PASS_MAX); /* sodium_malloc locks it too: a no-op then */
	char prompt[4200];
	snprintf(prompt, sizeof(prompt), "Passphrase for vault %s: ", cli_vault_dir(vault));
	int rc = cli_read_passphrase("serve", prompt, false, p, SERVE_PASS_MAX);
	if (rc) {
		sodium_free(p);
		return rc;
	}
	sodium_mprotect_readonly(p);
	*out = p;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'C' }, { "tls-key", required_argument, NULL, 'K' },
		{ "web-dir", required_argument, NULL, 'w' }, { "npm-dir", required_argument, NULL, 'n' },
		{ "vault", required_argument, NULL, 'v' }, { "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL;
	dv_serve_opts o = { .port = DV_SERVE_PORT_DEFAULT };
	char npm[4096];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || p < 0 || p > 65535) return cli_usage("serve", "--port takes 0 to 65535");
			o.port = (uint16_t)p;
			break;
		}
		case 'l': o.listen = optarg; break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'w': o.web_dir = optarg; break;
		case 'n': o.npm_dir = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h': fputs(serve_help, stdout); return CLI_OK;
		default: return cli_usage("serve", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	if (o.listen) {
		bool loop;
		if (dv_serve_addr_is_loopback(&loop, o.listen) < 0)
			return cli_usage("serve", "--listen takes an IPv4 or IPv6 address, not '%s'", cli_esc(o.listen));
		if (!loop && (!o.tls_cert || !o.tls_key))
			return cli_usage("serve", "--listen %s is not a loopback address: it needs --tls-cert FILE and --tls-key FILE",
			                 cli_esc(o.listen));
	}
	if ((o.tls_cert != NULL) != (o.tls_key != NULL)) return cli_usage("serve", "--tls-cert and --tls-key go together");
	if (!o.web_dir) o.web_dir = default_web_dir();
	if (!o.npm_dir) {
		const char *p = getenv("DV_NPM_PREFIX");
		snprintf(npm, sizeof(npm), "%s/node_modules", p && *p ? p : "/opt/dronevault-npm");
		o.npm_dir = npm;
	}
	const char *envp = cli_env_passphrase();
	struct reopen_ctx rx = { vault, key_file, NULL };
	char *kept = NULL;
	int rc;
	if (!key_file && !(envp && *envp) && (rc = prompt_kept(&kept, vault)) != 0) return rc;
	rx.pass = kept;
	o.reopen = reopen_reader;
	o.reopen_payload = &rx;
	dv_vault *v;
	if (kept) {
		dv_key_source key = { kept, strlen(kept), NULL };
		rc = dv_vault_open_ex(&v, cli_vault_dir(vault), &key, DV_VAULT_READ, NULL) < 0 ? cli_fail("serve") : CLI_OK;
	} else {
		rc = cli_open_vault("serve", vault, key_file, DV_VAULT_READ, &v);
	}
	if (rc) {
		sodium_free(kept);
		return rc;
	}
	cli_catch_signals();
	dv_serve *s;
	if (dv_serve_start(&s, v, &o) < 0) {
		rc = cli_fail("serve");
		dv_vault_close(v);
		sodium_free(kept);
		return rc;
	}
	printf("dronevault serve: %s (read-only; Ctrl-C stops)\n", dv_serve_url(s));
	fflush(stdout);
	while (!cli_interrupted) {
		struct timespec t = { 0, 200 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
	dv_serve_stop(s);
	dv_vault_close(v);
	sodium_free(kept); /* wiped by sodium_free */
	return CLI_OK;
}
