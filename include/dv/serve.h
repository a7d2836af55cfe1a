/*
 * dv/serve.h - `dronevault serve`: a local, read-only web page and JSON API
 * over an open vault (docs/api.md). libmicrohttpd on 127.0.0.1 and ::1;
 * another address only when asked for explicitly and then only over TLS,
 * so that the access token never crosses a network in clear.
 *
 * Every request needs the token (?token= once, which sets a session cookie,
 * or "Authorization: Bearer TOKEN"); without it the answer is 401 and an
 * empty body. Nothing in the vault changes through the server: only GET
 * and HEAD are served. The process serving holds the vault's keys, so it
 * sends stored bytes and catalog data only and parses no file content.
 */
#ifndef DV_SERVE_H
#define DV_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_SERVE_PORT_DEFAULT 8750

typedef struct dv_serve_opts {
	const char *listen;      /* NULL: 127.0.0.1 and ::1; else one IPv4/IPv6 literal */
	uint16_t port;           /* 0: a free port (see dv_serve_port) */
	const char *tls_cert;    /* PEM files; required when listen is not loopback */
	const char *tls_key;
	const char *web_dir;     /* index.html, app.js, app.css */
	const char *npm_dir;     /* node_modules holding leaflet/ and world-atlas/ */
	unsigned max_connections;  /* 0: 64 */
	unsigned timeout_seconds;  /* idle connection timeout; 0: 15 */
	/* verify on request (/api/verify): opens another reader of the same
	 * vault for dv_verify on a thread of its own (NULL: not offered) */
	int (*reopen)(dv_vault **out, void *payload);
	void *reopen_payload;
} dv_serve_opts;

typedef struct dv_serve dv_serve;

/* true for 127.0.0.0/8 and ::1 (literals only; DV_EINVAL for anything
 * that is not an address literal). */
int dv_serve_addr_is_loopback(bool *out, const char *addr);

/*
 * Starts serving v (borrowed; must outlive the server; requests run on the
 * server's threads one at a time, under its lock, so the caller must not use
 * v meanwhile). Refuses a
 * non-loopback listen address without tls_cert and tls_key (DV_EPERM).
 */
int dv_serve_start(dv_serve **out, dv_vault *v, const dv_serve_opts *opts);
/* The port bound and the URL with the access token ("http://127.0.0.1:8750/?token=..."). */
uint16_t dv_serve_port(const dv_serve *s);
const char *dv_serve_url(const dv_serve *s);
void dv_serve_stop(dv_serve *s);

#ifdef __cplusplus
}
#endif
#endif
