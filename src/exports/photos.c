/*
 * The photos of a case with what the telemetry index knows of them, chosen
 * by flight, time and area, with unique flat names for images/.
 */
#include <ctype.h>
#include <locale.h>
#include <wctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/err.h"
#include "dv/index.h"
#include "dv/util.h"
#include "exports/exports_int.h"

#define AREA_MAX (16u << 20)

int dv_exports_kind_parse(dv_exports_kind *out, const char *name)
{
	if (name && !strcmp(name, "odm")) *out = DV_EXPORTS_ODM;
	else if (name && !strcmp(name, "colmap")) *out = DV_EXPORTS_COLMAP;
	else if (name && !strcmp(name, "court")) *out = DV_EXPORTS_COURT;
	else return dv_error_set(DV_EINVAL, NULL, -1, "--for takes odm, colmap or court");
	return 0;
}

int dv_exports_parse_time(int64_t *out_us, const char *s)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	int n = 0;
	if (!s || sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3) goto bad;
	const char *p = s + n;
	if (*p == 'T' || *p == ' ') {
		int m = 0;
		if (sscanf(p + 1, "%2u:%2u%n", &h, &mi, &m) != 2) goto bad;
		p += 1 + m;
		if (*p == ':') {
			if (sscanf(p + 1, "%2u%n", &se, &m) != 1) goto bad;
			p += 1 + m;
		}
	}
	if (*p == 'Z') p++;
	if (*p || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) goto bad;
	*out_us = ((dv_telemetry_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + se) * INT64_C(1000000);
	return 0;
bad:
	return dv_error_set(DV_EINVAL, NULL, -1, "'%s' is not a time (YYYY-MM-DD[THH:MM[:SS]])", s ? s : "");
}

void dv_xgaps_text(char *buf, size_t size, unsigned g)
{
	static const struct { unsigned bit; const char *what; } t[] = {
		{ DV_XGAP_TELEMETRY, "no telemetry in the index (run dronevault reindex)" },
		{ DV_XGAP_POS, "no position" },
		{ DV_XGAP_ALT, "no absolute altitude" },
		{ DV_XGAP_REL, "no relative altitude" },
		{ DV_XGAP_ANGLES, "no gimbal angles" },
		{ DV_XGAP_CAMERA, "unknown camera (not in the table, EXIF gives no 35 mm equivalent)" },
	};
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (g & t[i].bit) {
			int w = snprintf(buf + k, size - k, "%s%s", k ? ", " : "", t[i].what);
			if (w < 0 || (size_t)w >= size - k) break;
			k += (size_t)w;
		}
}

/* The area is read with json-c and built point by point: GEOS 3.11's own
 * GeoJSON reader dereferences an empty position ([]) - found by
 * fuzz_area - so hostile bytes never reach it. */
#define AREA_MAX_POLYS 4096
#define AREA_MAX_POINTS 1000000

struct area {
	GEOSContextHandle_t h;
	GEOSGeometry *polys[AREA_MAX_POLYS];
	unsigned n;
	size_t points;
};

static GEOSGeometry *ring_of(struct area *A, json_object *r)
{
	if (!json_object_is_type(r, json_type_array)) return NULL;
	size_t n = json_object_array_length(r);
	if (n < 3 || n > AREA_MAX_POINTS || A->points + n > AREA_MAX_POINTS) return NULL;
	A->points += n;
	double x0 = 0, y0 = 0, xl = 0, yl = 0;
	GEOSCoordSequence *s = GEOSCoordSeq_create_r(A->h, (unsigned)n + 1, 2);
	if (!s) return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *pt = json_object_array_get_idx(r, i);
		if (!json_object_is_type(pt, json_type_array) || json_object_array_length(pt) < 2) goto bad;
		json_object *jx = json_object_array_get_idx(pt, 0), *jy = json_object_array_get_idx(pt, 1);
		if ((!json_object_is_type(jx, json_type_double) && !json_object_is_type(jx, json_type_int)) ||
		    (!json_object_is_type(jy, json_type_double) && !json_object_is_type(jy, json_type_int)))
			goto bad;
		double x = json_object_get_double(jx), y = json_object_get_double(jy);
		if (!isfinite(x) || !isfinite(y) || fabs(x) > 180 || fabs(y) > 90) goto bad;
		if (i == 0) x0 = x, y0 = y;
		xl = x, yl = y;
		GEOSCoordSeq_setXY_r(A->h, s, (unsigned)i, x, y);
	}
	unsigned len = (unsigned)n;
	if (x0 != xl || y0 != yl) GEOSCoordSeq_setXY_r(A->h, s, len++, x0, y0); /* close it */
	if (len < 4) goto bad;
	if (len != n + 1) {
		/* closed already: a sequence one shorter */
		GEOSCoordSequence *t = GEOSCoordSeq_create_r(A->h, len, 2);
		if (!t) goto bad;
		for (unsigned i = 0; i < len; i++) {
			double x, y;
			GEOSCoordSeq_getXY_r(A->h, s, i, &x, &y);
			GEOSCoordSeq_setXY_r(A->h, t, i, x, y);
		}
		GEOSCoordSeq_destroy_r(A->h, s);
		s = t;
	}
	return GEOSGeom_createLinearRing_r(A->h, s);
bad:
	GEOSCoordSeq_destroy_r(A->h, s);
	return NULL;
}

/* A Polygon's coordinates; false when malformed. */
static bool polygon_of(struct area *A, json_object *coords)
{
	if (!json_object_is_type(coords, json_type_array) || A->n >= AREA_MAX_POLYS) return false;
	size_t nr = json_object_array_length(coords);
	if (nr < 1 || nr > 10000) return false;
	GEOSGeometry *shell = ring_of(A, json_object_array_get_idx(coords, 0));
	if (!shell) return false;
	GEOSGeometry **holes = nr > 1 ? calloc(nr - 1, sizeof(*holes)) : NULL;
	if (nr > 1 && !holes) {
		GEOSGeom_destroy_r(A->h, shell);
		return false;
	}
	for (size_t i = 1; i < nr; i++)
		if (!(holes[i - 1] = ring_of(A, json_object_array_get_idx(coords, i)))) {
			for (size_t k = 0; k + 1 < i; k++) GEOSGeom_destroy_r(A->h, holes[k]);
			free(holes);
			GEOSGeom_destroy_r(A->h, shell);
			return false;
		}
	GEOSGeometry *p = GEOSGeom_createPolygon_r(A->h, shell, holes, (unsigned)(nr - 1));
	free(holes);
	if (!p) return false;
	A->polys[A->n++] = p;
	return true;
}

static const char *type_of(json_object *o)
{
	json_object *t;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string))
		return "";
	return json_object_get_string(t);
}

/* Polygons of a geometry, feature or collection (depth-limited). */
static bool collect_polys(struct area *A, json_object *o, int depth)
{
	const char *t = type_of(o);
	json_object *x;
	if (depth > 4) return false;
	if (!strcmp(t, "Polygon")) return json_object_object_get_ex(o, "coordinates", &x) && polygon_of(A, x);
	if (!strcmp(t, "MultiPolygon")) {
		if (!json_object_object_get_ex(o, "coordinates", &x) || !json_object_is_type(x, json_type_array)) return false;
		for (size_t i = 0; i < json_object_array_length(x); i++)
			if (!polygon_of(A, json_object_array_get_idx(x, i))) return false;
		return true;
	}
	if (!strcmp(t, "Feature"))
		return !json_object_object_get_ex(o, "geometry", &x) || !x || collect_polys(A, x, depth + 1);
	const char *key = !strcmp(t, "FeatureCollection") ? "features" : !strcmp(t, "GeometryCollection") ? "geometries" : NULL;
	if (key) {
		if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_array)) return false;
		for (size_t i = 0; i < json_object_array_length(x); i++)
			if (!collect_polys(A, json_object_array_get_idx(x, i), depth + 1)) return false;
		return true;
	}
	return !strcmp(t, "Point") || !strcmp(t, "MultiPoint") || !strcmp(t, "LineString") || !strcmp(t, "MultiLineString");
}

int dv_xarea_parse(GEOSGeometry **out, GEOSContextHandle_t h, const char *json, size_t n, const char *name)
{
	*out = NULL;
	if (n > AREA_MAX || n > INT32_MAX) return dv_error_set(DV_EINVAL, name, -1, "area file too large");
	json_tokener *tok = json_tokener_new_ex(32);
	if (!tok) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object *o = json_tokener_parse_ex(tok, json, (int)n);
	bool complete = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	if (!o || !complete) {
		json_object_put(o);
		return dv_error_set(DV_EINVAL, name, -1, "not JSON");
	}
	struct area *A = calloc(1, sizeof(*A));
	if (!A) {
		json_object_put(o);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	A->h = h;
	bool ok = collect_polys(A, o, 0);
	json_object_put(o);
	int rc = 0;
	if (!ok) rc = dv_error_set(DV_EINVAL, name, -1, "not a GeoJSON geometry, feature or feature collection of polygons");
	else if (!A->n) rc = dv_error_set(DV_EINVAL, name, -1, "holds no polygon");
	GEOSGeometry *coll = NULL;
	if (rc == 0) {
		coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, A->polys, A->n);
		if (!coll) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		else A->n = 0; /* the collection owns them */
	}
	for (unsigned i = 0; i < A->n; i++) GEOSGeom_destroy_r(h, A->polys[i]);
	free(A);
	if (rc < 0) return rc;
	/* self-intersecting rings are repaired, not refused */
	GEOSGeometry *valid = GEOSMakeValid_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	GEOSGeometry *u = valid ? GEOSUnaryUnion_r(h, valid) : NULL;
	if (valid) GEOSGeom_destroy_r(h, valid);
	double area = 0;
	if (!u || GEOSisEmpty_r(h, u) != 0 || !GEOSArea_r(h, u, &area) || !(area > 0)) {
		if (u) GEOSGeom_destroy_r(h, u);
		return dv_error_set(DV_EINVAL, name, -1, "the polygons are empty or invalid");
	}
	*out = u;
	return 0;
}

int dv_xarea_load(GEOSGeometry **out, GEOSContextHandle_t h, const char *path)
{
	uint8_t *buf;
	size_t n;
	*out = NULL;
	int rc = dv_read_file(&buf, &n, path, AREA_MAX);
	if (rc < 0) return rc;
	rc = dv_xarea_parse(out, h, (const char *)buf, n, path);
	free(buf);
	return rc;
}

/* ---- loading -------------------------------------------------------------- */

struct load {
	dv_vault *v;
	dv_xphoto *p;
	size_t n, cap;
	int rc;
};

static double num(json_object *o, const char *key)
{
	json_object *x;
	if (!o || !json_object_object_get_ex(o, key, &x)) return NAN;
	if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int)) return NAN;
	double d = json_object_get_double(x);
	return isfinite(d) ? d : NAN;
}

static void str(char *dst, size_t size, json_object *o, const char *key)
{
	json_object *x;
	dst[0] = '\0';
	if (o && json_object_object_get_ex(o, key, &x) && json_object_is_type(x, json_type_string))
		snprintf(dst, size, "%s", json_object_get_string(x));
}

static bool is_photo_name(const char *path)
{
	size_t n = strlen(path);
	static const char *ext[] = { ".jpg", ".jpeg", ".dng" };
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(ext[i]);
		if (n > k && !strcasecmp(path + n - k, ext[i])) return true;
	}
	return false;
}

static int add_file(const dv_file_rec *f, void *payload)
{
	struct load *L = payload;
	if (!is_photo_name(f->path)) return 0;
	if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 64;
		if (cap > (SIZE_MAX / sizeof(dv_xphoto))) return dv_error_set(DV_ENOMEM, NULL, -1, "too many photos");
		dv_xphoto *np = realloc(L->p, cap * sizeof(*np));
		if (!np) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		L->p = np;
		L->cap = cap;
	}
	dv_xphoto *p = &L->p[L->n++];
	memset(p, 0, sizeof(*p));
	p->f = *f;
	p->lat = p->lon = p->abs_alt = p->rel_alt = NAN;
	p->yaw = p->pitch = p->roll = p->focal_mm = p->focal35_mm = NAN;
	p->width = p->height = -1;
	uint8_t *data = NULL;
	size_t n = 0;
	int rc = dv_catalog_side_get(&data, &n, dv_vault_catalog(L->v), "telemetry", f->id);
	if (rc == DV_ENOTFOUND) {
		p->gaps = DV_XGAP_TELEMETRY | DV_XGAP_POS | DV_XGAP_ALT | DV_XGAP_REL | DV_XGAP_ANGLES | DV_XGAP_CAMERA;
		return 0;
	}
	if (rc < 0) return rc;
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)data, (int)n) : NULL;
	if (tok) json_tokener_free(tok);
	free(data);
	json_object *summary = NULL, *pose = NULL, *x;
	if (o && json_object_object_get_ex(o, "summary", &summary)) json_object_object_get_ex(summary, "pose", &pose);
	if (!pose) p->gaps |= DV_XGAP_TELEMETRY;
	str(p->make, sizeof(p->make), summary, "make");
	str(p->model, sizeof(p->model), summary, "model");
	if (o && json_object_object_get_ex(o, "start_us", &x)) p->time_us = json_object_get_int64(x);
	char tk[16];
	str(tk, sizeof(tk), o, "time_kind");
	p->time_kind = !strcmp(tk, "utc") ? DV_TIME_UTC : !strcmp(tk, "local") ? DV_TIME_LOCAL : DV_TIME_NONE;
	dv_telemetry_time_text(p->time_text, sizeof(p->time_text), p->time_us, p->time_kind);
	p->lat = num(pose, "lat");
	p->lon = num(pose, "lon");
	p->has_pos = isfinite(p->lat) && isfinite(p->lon) && fabs(p->lat) <= 90 && fabs(p->lon) <= 180;
	p->abs_alt = num(pose, "abs_alt");
	if (isnan(p->abs_alt)) p->abs_alt = num(pose, "exif_alt");
	p->rel_alt = num(pose, "rel_alt");
	p->yaw = num(pose, "gimbal_yaw");
	p->pitch = num(pose, "gimbal_pitch");
	p->roll = num(pose, "gimbal_roll");
	if (isnan(p->roll) && isfinite(p->yaw) && isfinite(p->pitch)) p->roll = 0;
	p->focal_mm = num(pose, "focal_mm");
	p->focal35_mm = num(pose, "focal35_mm");
	double w = num(pose, "width"), h = num(pose, "height");
	if (isnan(w) || isnan(h)) {
		w = num(pose, "exif_width");
		h = num(pose, "exif_height");
	}
	if (w > 0 && h > 0 && w < 1e6 && h < 1e6) {
		p->width = (int64_t)w;
		p->height = (int64_t)h;
	}
	json_object_put(o);
	if (!p->has_pos) p->gaps |= DV_XGAP_POS;
	if (isnan(p->abs_alt)) p->gaps |= DV_XGAP_ALT;
	if (isnan(p->rel_alt)) p->gaps |= DV_XGAP_REL;
	if (isnan(p->yaw) || isnan(p->pitch)) p->gaps |= DV_XGAP_ANGLES;
	const dv_xcamera *c = dv_xcamera_find(p->model);
	if (c) {
		p->has_camera = true;
		p->cam_focal_mm = c->focal_mm;
		p->cam_sensor_w = c->sensor_w_mm;
		p->cam_sensor_h = c->sensor_h_mm;
		p->cam_source = c->name;
	} else if (p->focal_mm > 0 && p->focal35_mm > 0 && p->width > 0 && p->height > 0) {
		/* the crop factor: 35 mm equivalents are of the 43.27 mm diagonal */
		double diag = 43.2666 * p->focal_mm / p->focal35_mm, a = (double)p->width / (double)p->height;
		p->has_camera = true;
		p->cam_focal_mm = p->focal_mm;
		p->cam_sensor_h = diag / sqrt(1 + a * a);
		p->cam_sensor_w = p->cam_sensor_h * a;
		p->cam_source = "EXIF FocalLength and FocalLengthIn35mmFormat";
	} else {
		p->gaps |= DV_XGAP_CAMERA;
	}
	return 0;
}

static int add_ingest(const dv_ingest_rec *r, void *payload)
{
	struct load *L = payload;
	return dv_catalog_file_list(dv_vault_catalog(L->v), r->id, add_file, L);
}

static int by_time(const void *a, const void *b)
{
	const dv_xphoto *x = a, *y = b;
	if (x->time_us != y->time_us) return x->time_us < y->time_us ? -1 : 1;
	return x->f.id < y->f.id ? -1 : x->f.id > y->f.id;
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), 0 when
 * it is not one (overlong, surrogate, past U+10FFFF, cut short). exFAT and
 * NTFS store names as UTF-16: a name that is no UTF-8 cannot be written. */
static size_t utf8_len(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || n > avail) return 0;
	uint32_t v = n == 1 ? c : n == 2 ? c & 0x1fu : n == 3 ? c & 0x0fu : c & 0x07u;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80) return 0;
		v = v << 6 | (s[k] & 0x3fu);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
	*cp = v;
	return n;
}

/* Cuts s to at most max bytes, between code points. */
static void cut_utf8(char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max) return;
	len = max;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80) len--;
	s[len] = '\0';
}

/* The last component; bytes a file system or a tool may choke on (control
 * characters, '\\', ':', ' ', bytes that are no UTF-8) as '_'; at most 200
 * bytes, the extension kept when the stem is cut. size >= 256. */
static void flat_name(char *out, size_t size, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const unsigned char *u = (const unsigned char *)b;
	char buf[DV_PATH_MAX];
	size_t avail = strlen(b), k = 0;
	while (avail && k + 5 < sizeof(buf)) {
		uint32_t cp;
		size_t n = utf8_len(u, avail, &cp);
		if (!n || cp < 0x20 || cp == 0x7f || cp == '\\' || cp == ':' || cp == ' ') {
			buf[k++] = '_';
			n = n ? n : 1;
		} else {
			memcpy(buf + k, u, n);
			k += n;
		}
		u += n;
		avail -= n;
	}
	buf[k] = '\0';
	char ext[24] = "";
	char *dot = strrchr(buf, '.');
	if (k > 200 && dot && dot != buf && strlen(dot) < sizeof(ext)) {
		snprintf(ext, sizeof(ext), "%s", dot);
		*dot = '\0';
	}
	cut_utf8(buf, 200 - strlen(ext));
	if (!buf[0] && !ext[0]) snprintf(out, size, "_photo");
	else snprintf(out, size, "%s%s%s", buf[0] == '.' || !buf[0] ? "_" : "", buf, ext); /* ".", "..", hidden: '_' before */
}

/* The name as a case-folding file system sees it (FAT, exFAT and NTFS
 * compare names through an up-case table: Unicode's simple upper-case
 * mapping): each code point upper-cased through a C.UTF-8 locale object of
 * our own, never the caller's process-wide locale (ASCII only when the C
 * library has no such locale). Hand-written: no Debian library exports the
 * file systems' up-case tables. Returns a malloc'd key, NULL when out of memory. */
static char *fold_key(const char *name, locale_t loc)
{
	size_t len = strlen(name);
	char *out = malloc(len * 4 + 1), *w = out;
	if (!out) return NULL;
	const unsigned char *u = (const unsigned char *)name;
	while (len) {
		uint32_t cp;
		size_t n = utf8_len(u, len, &cp);
		if (!n) { /* flat_name leaves none; compared as they are */
			cp = *u;
			n = 1;
		}
		if (cp >= 'a' && cp <= 'z') cp -= 'a' - 'A';
		else if (cp >= 0x80 && loc != (locale_t)0) cp = (uint32_t)towupper_l((wint_t)cp, loc);
		/* the key need not be UTF-8, only one-to-one: 4 bytes a code point */
		*w++ = (char)(0x80 | (cp >> 18 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
		u += n;
		len -= n;
	}
	*w = '\0';
	return out;
}

struct keyed {
	char *key;
	size_t i;
};

static int by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

void dv_xname_add_id(char *name, size_t size, int64_t id, int count)
{
	char base[256], ext[32] = "";
	snprintf(base, sizeof(base), "%s", name);
	char *dot = strrchr(base, '.');
	if (dot && dot != base && strlen(dot) < sizeof(ext)) {
		snprintf(ext, sizeof(ext), "%s", dot);
		*dot = '\0';
	}
	cut_utf8(base, 200 - strlen(ext)); /* room for the id */
	if (count) snprintf(name, size, "%s_%lld-%d%s", base, (long long)id, count, ext);
	else snprintf(name, size, "%s_%lld%s", base, (long long)id, ext);
}

/* Flat names no two of which are one name on a case-folding file system:
 * every photo of a clashing name gets its file id before the extension,
 * again until nothing clashes (an id-suffixed name can meet a card's own
 * "X_5.JPG"). Sorting the fold keys: n log n, not n^2, for 100,000 photos. */
int dv_xphotos_unique_names(dv_xphoto *p, size_t n)
{
	for (size_t i = 0; i < n; i++) flat_name(p[i].name, sizeof(p[i].name), p[i].f.path);
	if (n < 2) return 0;
	struct keyed *k = calloc(n, sizeof(*k));
	bool *clash = calloc(n, sizeof(*clash));
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	int rc = k && clash ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (int round = 0; rc == 0 && round < 8; round++) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			free(k[i].key);
			k[i] = (struct keyed){ fold_key(p[i].name, loc), i };
			if (!k[i].key) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		}
		if (rc < 0) break;
		qsort(k, n, sizeof(*k), by_key);
		bool any = false;
		memset(clash, 0, n * sizeof(*clash));
		for (size_t i = 1; i < n; i++)
			if (!strcmp(k[i - 1].key, k[i].key)) any = clash[k[i - 1].i] = clash[k[i].i] = true;
		if (!any) break;
		for (size_t i = 0; i < n; i++)
			if (clash[i]) dv_xname_add_id(p[i].name, sizeof(p[i].name), p[i].f.id, 0);
	}
	/* what is left after eight rounds (a card built to defeat this) meets
	 * the package writer's own clash retry, dv_xwrite_images */
	if (k)
		for (size_t i = 0; i < n; i++) free(k[i].key);
	free(k);
	free(clash);
	if (loc != (locale_t)0) freelocale(loc);
	return rc;
}

int dv_xphotos_load(dv_xphoto **out, size_t *n_out, dv_vault *v, const char *case_name, const dv_exports_select *sel)
{
	*out = NULL;
	*n_out = 0;
	dv_case cs;
	int rc = dv_catalog_case_find(&cs, dv_vault_catalog(v), case_name);
	if (rc < 0) return rc;
	struct load L = { .v = v };
	if ((rc = dv_catalog_ingest_list(dv_vault_catalog(v), cs.id, add_ingest, &L)) < 0) goto fail;
	/* flights */
	dv_flight *fl = NULL;
	size_t nf = 0;
	if ((rc = dv_index_flights(&fl, &nf, v, case_name, DV_INDEX_GAP_DEFAULT)) < 0) goto fail;
	for (size_t i = 0; i < L.n; i++)
		for (size_t f = 0; f < nf && !L.p[i].flight[0]; f++)
			for (size_t k = 0; k < fl[f].n_files; k++)
				if (fl[f].file_ids[k] == L.p[i].f.id) {
					snprintf(L.p[i].flight, sizeof(L.p[i].flight), "%s", fl[f].id);
					break;
				}
	dv_index_flights_free(fl, nf);
	if (sel && sel->flight) {
		bool known = false;
		for (size_t i = 0; i < L.n && !known; i++) known = !strcmp(L.p[i].flight, sel->flight);
		if (!known) {
			rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "case %s has no flight %s with photos", case_name, sel->flight);
			goto fail;
		}
	}
	GEOSContextHandle_t h = NULL;
	GEOSGeometry *area = NULL;
	const GEOSPreparedGeometry *prep = NULL;
	if (sel && sel->area_file) {
		h = GEOS_init_r();
		if (!h) {
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			goto fail;
		}
		if ((rc = dv_xarea_load(&area, h, sel->area_file)) < 0) {
			GEOS_finish_r(h);
			goto fail;
		}
		prep = GEOSPrepare_r(h, area);
	}
	size_t k = 0;
	for (size_t i = 0; i < L.n; i++) {
		dv_xphoto *p = &L.p[i];
		bool keep = true;
		if (sel && sel->flight && strcmp(p->flight, sel->flight)) keep = false;
		if (sel && sel->has_since && (p->time_kind == DV_TIME_NONE || p->time_us < sel->since_us)) keep = false;
		if (sel && sel->has_until && (p->time_kind == DV_TIME_NONE || p->time_us > sel->until_us)) keep = false;
		if (keep && prep) {
			keep = false;
			if (p->has_pos) {
				GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, p->lon, p->lat);
				keep = pt && GEOSPreparedIntersects_r(h, prep, pt) == 1;
				if (pt) GEOSGeom_destroy_r(h, pt);
			}
		}
		if (keep) L.p[k++] = *p;
	}
	L.n = k;
	if (prep) GEOSPreparedGeom_destroy_r(h, prep);
	if (area) GEOSGeom_destroy_r(h, area);
	if (h) GEOS_finish_r(h);
	if (L.n) qsort(L.p, L.n, sizeof(*L.p), by_time);
	if ((rc = dv_xphotos_unique_names(L.p, L.n)) < 0) goto fail;
	*out = L.p;
	*n_out = L.n;
	return 0;
fail:
	free(L.p);
	return rc;
}
