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
