/* The request router of dronevault serve: see serve_int.h. */
#include <string.h>

#include "serve/serve_int.h"

const dv_static_file dv_static_files[] = {
	{ "/", DV_STATIC_WEB, "index.html", "text/html; charset=utf-8" },
	{ "/app.js", DV_STATIC_WEB, "app.js", "text/javascript; charset=utf-8" },
	{ "/app.css", DV_STATIC_WEB, "app.css", "text/css; charset=utf-8" },
	{ "/vendor/leaflet.js", DV_STATIC_NPM, "leaflet/dist/leaflet.js", "text/javascript; charset=utf-8" },
	{ "/vendor/leaflet.css", DV_STATIC_NPM, "leaflet/dist/leaflet.css", "text/css; charset=utf-8" },
	{ "/vendor/images/layers.png", DV_STATIC_NPM, "leaflet/dist/images/layers.png", "image/png" },
	{ "/vendor/images/layers-2x.png", DV_STATIC_NPM, "leaflet/dist/images/layers-2x.png", "image/png" },
	{ "/vendor/images/marker-icon.png", DV_STATIC_NPM, "leaflet/dist/images/marker-icon.png", "image/png" },
	{ "/vendor/images/marker-icon-2x.png", DV_STATIC_NPM, "leaflet/dist/images/marker-icon-2x.png", "image/png" },
	{ "/vendor/images/marker-shadow.png", DV_STATIC_NPM, "leaflet/dist/images/marker-shadow.png", "image/png" },
	{ "/vendor/land-110m.json", DV_STATIC_NPM, "world-atlas/land-110m.json", "application/json" },
	{ "/vendor/countries-110m.json", DV_STATIC_NPM, "world-atlas/countries-110m.json", "application/json" },
	{ NULL, DV_STATIC_WEB, NULL, NULL }
};

static bool path_chars_ok(const char *p, size_t n)
{
	if (n == 0 || n > DV_SERVE_ROUTE_MAX_PATH || p[0] != '/') return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
		          c == '.' || c == '_' || c == '-';
		if (!ok) return false;
		/* empty segments ("//") and dot segments ("." and "..") */
		if (c == '/' && i + 1 < n && p[i + 1] == '/') return false;
		if (c == '.' && p[i - 1] == '/' && (i + 1 == n || p[i + 1] == '/' || p[i + 1] == '.')) return false;
	}
	return true;
}

/* "123" (1..2^53) -> *id; anything else false */
static bool parse_id(int64_t *id, const char *s, size_t n)
{
	if (n == 0 || n > 15 || s[0] == '0') return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return false;
		v = v * 10 + (s[i] - '0');
	}
	*id = v;
	return true;
}

/* segment k (0-based, after the leading '/') of p: start and length */
static int split(const char *p, size_t n, const char *seg[6], size_t len[6])
{
	int k = 0;
	size_t i = 1;
	while (i <= n && k < 6) {
		size_t j = i;
		while (j < n && p[j] != '/') j++;
		seg[k] = p + i;
		len[k] = j - i;
		k++;
		i = j + 1;
	}
	if (i <= n) return -1; /* more than 6 segments */
	return k;
}

static bool seg_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

void dv_serve_route_parse(dv_serve_route *out, const char *path, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->kind = DV_SERVE_ROUTE_NOTFOUND;
	out->static_index = -1;
	if (!path || !path_chars_ok(path, n)) return;
	for (int i = 0; dv_static_files[i].url; i++) {
		if (seg_is(path, n, dv_static_files[i].url)) {
			out->kind = DV_SERVE_ROUTE_STATIC;
			out->static_index = i;
			return;
		}
	}
	const char *seg[6];
	size_t len[6];
	int k = split(path, n, seg, len);
	if (k < 2 || !seg_is(seg[0], len[0], "api")) return;
	if (k == 2 && seg_is(seg[1], len[1], "status")) {
		out->kind = DV_SERVE_ROUTE_STATUS;
	} else if (k == 2 && seg_is(seg[1], len[1], "verify")) {
		out->kind = DV_SERVE_ROUTE_VERIFY;
	} else if (seg_is(seg[1], len[1], "cases")) {
		if (k == 2) {
			out->kind = DV_SERVE_ROUTE_CASES;
			return;
		}
		if (!parse_id(&out->id, seg[2], len[2])) return;
		if (k == 3) out->kind = DV_SERVE_ROUTE_CASE;
		else if (k == 4 && seg_is(seg[3], len[3], "files")) out->kind = DV_SERVE_ROUTE_CASE_FILES;
		else if (k == 4 && seg_is(seg[3], len[3], "flights")) out->kind = DV_SERVE_ROUTE_CASE_FLIGHTS;
		else if (k == 4 && seg_is(seg[3], len[3], "log")) out->kind = DV_SERVE_ROUTE_CASE_LOG;
		else if (k == 4 && seg_is(seg[3], len[3], "findings")) out->kind = DV_SERVE_ROUTE_CASE_FINDINGS;
		else if (k == 4 && seg_is(seg[3], len[3], "photos")) out->kind = DV_SERVE_ROUTE_CASE_PHOTOS;
		else if (k == 4 && seg_is(seg[3], len[3], "coverage")) out->kind = DV_SERVE_ROUTE_CASE_COVERAGE;
		else if (k == 4 && seg_is(seg[3], len[3], "zones")) out->kind = DV_SERVE_ROUTE_CASE_ZONES;
	} else if (k == 4 && seg_is(seg[1], len[1], "flights") && seg_is(seg[3], len[3], "track")) {
		int64_t id;
		if (len[2] < 2 || seg[2][0] != 'F' || !parse_id(&id, seg[2] + 1, len[2] - 1)) return;
		memcpy(out->flight, seg[2], len[2]);
		out->flight[len[2]] = '\0';
		out->kind = DV_SERVE_ROUTE_TRACK;
	} else if (k == 4 && seg_is(seg[1], len[1], "files") && parse_id(&out->id, seg[2], len[2])) {
		if (seg_is(seg[3], len[3], "content")) out->kind = DV_SERVE_ROUTE_FILE_CONTENT;
		else if (seg_is(seg[3], len[3], "thumb")) out->kind = DV_SERVE_ROUTE_FILE_THUMB;
		else if (seg_is(seg[3], len[3], "exif")) out->kind = DV_SERVE_ROUTE_FILE_EXIF;
		else if (seg_is(seg[3], len[3], "xmp")) out->kind = DV_SERVE_ROUTE_FILE_XMP;
	}
	if (out->kind == DV_SERVE_ROUTE_NOTFOUND) out->id = 0;
}
