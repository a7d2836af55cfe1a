/* The access token and the session secret of dronevault serve. */
#include <sodium.h>
#include <string.h>

#include "dv/err.h"
#include "serve/serve_int.h"

static void random_hex(char out[DV_SERVE_SECRET_HEX + 1])
{
	unsigned char b[DV_SERVE_SECRET_HEX / 2];
	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, DV_SERVE_SECRET_HEX + 1, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
}

int dv_serve_auth_init(dv_serve_auth *out)
{
	if (sodium_init() < 0) return dv_error_set(DV_ERROR, NULL, -1, "libsodium did not initialise");
	random_hex(out->token);
	random_hex(out->session);
	return 0;
}

bool dv_serve_secret_eq(const char *s, const char *a, size_t n)
{
	if (!s || !a || n != DV_SERVE_SECRET_HEX || strlen(s) != DV_SERVE_SECRET_HEX) return false;
	/* the secret's length is public; its bytes are compared in constant time */
	return sodium_memcmp(s, a, DV_SERVE_SECRET_HEX) == 0;
}

bool dv_serve_auth_bearer_ok(const dv_serve_auth *a, const char *h)
{
	if (!h || strncmp(h, "Bearer ", 7) != 0) return false;
	h += 7;
	return dv_serve_secret_eq(a->token, h, strlen(h));
}

/* ---- Host header (DNS rebinding) ---- */
static bool name_is(const char *s, size_t n, const char *lit)
{
	if (!lit || strlen(lit) != n) return false;
	for (size_t i = 0; i < n; i++) {
		char a = s[i], b = lit[i];
		if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
		if (a != b) return false;
	}
	return true;
}

bool dv_serve_host_ok(const char *host, size_t n, const char *listen, uint16_t port, bool tls)
{
	if (!host || n == 0 || n > 300 || memchr(host, '\0', n)) return false;
	const char *name = host, *rest;
	size_t nl;
	bool bracketed = host[0] == '[';
	if (bracketed) {
		const char *close = memchr(host, ']', n);
		if (!close) return false;
		name = host + 1;
		nl = (size_t)(close - name);
		rest = close + 1;
	} else {
		const char *colon = memchr(host, ':', n);
		nl = colon ? (size_t)(colon - host) : n;
		rest = host + nl;
	}
	size_t rn = n - (size_t)(rest - host);
	/* the port, when given, must be ours; without one, the scheme's default must be */
	if (rn) {
		if (rest[0] != ':' || rn < 2 || rn > 6 || rest[1] == '0') return false;
		unsigned long p = 0;
		for (size_t i = 1; i < rn; i++) {
			if (rest[i] < '0' || rest[i] > '9') return false;
			p = p * 10 + (unsigned long)(rest[i] - '0');
		}
		if (p != port) return false;
	} else if (port != (tls ? 443 : 80)) {
		return false;
	}
	if (nl == 0) return false;
	if (bracketed) return name_is(name, nl, "::1") || (listen && strchr(listen, ':') && name_is(name, nl, listen));
	return name_is(name, nl, "127.0.0.1") || name_is(name, nl, "localhost") ||
	       (listen && !strchr(listen, ':') && name_is(name, nl, listen));
}
