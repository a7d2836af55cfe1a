/*
 * http.c - HTTP/1.x request line and headers. Header values are copied with
 * control bytes replaced, never parsed with sscanf/strtol.
 */
#include <string.h>

#include "dv/err.h"
#include "audit/http_int.h"

static const char *const methods[] = {
	"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
	"M-SEARCH", "NOTIFY", "SUBSCRIBE", "PROPFIND", NULL
};

static void copy_clean(char *dst, size_t dsz, const uint8_t *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < dsz; i++)
		dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	dst[o] = 0;
}

static int ieq(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = a[i];
		if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
		if (c != (uint8_t)b[i]) return 0;
	}
	return 1;
}

int dv_http_parse_request(const uint8_t *p, size_t n, dv_http_req *out)
{
	size_t ml = 0;
	/* fast path: binary, TLS, bodies (out is only cleared for a request
	 * line: a kilobyte per TCP segment was a few per cent of the audit) */
	out->method[0] = 0;
	if (n < 4 || p[0] < 'C' || p[0] > 'T') return DV_ENOTFOUND;
	for (int i = 0; methods[i]; i++) {
		size_t l = strlen(methods[i]);
		if (n > l && !memcmp(p, methods[i], l) && p[l] == ' ') { ml = l; break; }
	}
	if (!ml) return DV_ENOTFOUND;
	memset(out, 0, sizeof(*out));
	out->content_length = -1;
	memcpy(out->method, p, ml);
	/* request line: METHOD SP target SP HTTP/x.y CRLF */
	size_t eol = ml + 1;
	while (eol < n && p[eol] != '\n') eol++;
	if (eol >= n) return DV_ETRUNC;
	size_t le = eol;
	if (le > ml + 1 && p[le - 1] == '\r') le--;
	size_t sp = le;
	while (sp > ml + 1 && p[sp - 1] != ' ') sp--;
	if (sp <= ml + 1 || le - sp < 8 || memcmp(p + sp, "HTTP/", 5))
		return DV_ENOTFOUND;
	copy_clean(out->uri, sizeof(out->uri), p + ml + 1, sp - 1 - (ml + 1));
	size_t pos = eol + 1;
	while (pos < n) {
		size_t e = pos;
		while (e < n && p[e] != '\n') e++;
		size_t l = e;
		if (l > pos && p[l - 1] == '\r') l--;
		if (l == pos) { /* blank line */
			if (e < n) out->header_len = e + 1;
			break;
		}
		if (e >= n) break; /* header cut by the segment end */
		size_t colon = pos;
		while (colon < l && p[colon] != ':') colon++;
		if (colon < l) {
			size_t v = colon + 1;
			while (v < l && (p[v] == ' ' || p[v] == '\t')) v++;
			size_t nl = colon - pos;
			if (nl == 4 && ieq(p + pos, "host", 4) && !out->host[0])
				copy_clean(out->host, sizeof(out->host), p + v, l - v);
			else if (nl == 10 && ieq(p + pos, "user-agent", 10))
				copy_clean(out->ua, sizeof(out->ua), p + v, l - v);
			else if (nl == 14 && ieq(p + pos, "content-length", 14)) {
				int64_t cl = 0;
				size_t k = v;
				for (; k < l && p[k] >= '0' && p[k] <= '9' && cl < ((int64_t)1 << 50); k++)
					cl = cl * 10 + (p[k] - '0');
				if (k > v) out->content_length = cl;
			}
		}
		pos = e + 1;
	}
	return 0;
}
