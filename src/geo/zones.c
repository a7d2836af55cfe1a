/*
 * zones.c - ED-269 / ED-318 / GeoJSON zone reader and validator.
 *
 * Everything in the file is hostile: json-c parses with a depth limit, the
 * file size is capped, and every member is type-checked before use. A
 * problem in one feature rejects that feature (recorded as an issue with
 * its JSON path) and the reader goes on with the next.
 */
#include "dv/zones.h"

#include <geodesic.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "dv/err.h"
#include "dv/util.h"
#include "geo_int.h"

/* ---- small helpers ------------------------------------------------------ */

int dv__grow(void **arr, size_t *cap, size_t n, size_t sz, size_t max)
{
	if (n < *cap) return 0;
	if (n >= max) return dv_error_set(DV_ENOMEM, NULL, -1, "more than %zu elements", max);
	size_t nc = *cap ? *cap * 2 : 8;
	if (nc > max) nc = max;
	void *p = realloc(*arr, nc * sz);
	if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	*arr = p;
	*cap = nc;
	return 0;
}

static void geos_msg(const char *message, void *userdata)
{
	dv__geos *g = userdata;
	snprintf(g->msg, sizeof(g->msg), "%s", message ? message : "");
}

int dv__geos_init(dv__geos *g)
{
	g->msg[0] = '\0';
	g->h = GEOS_init_r();
	if (!g->h) return dv_error_set(DV_ENOMEM, NULL, -1, "cannot start GEOS");
	GEOSContext_setErrorMessageHandler_r(g->h, geos_msg, g);
	GEOSContext_setNoticeMessageHandler_r(g->h, geos_msg, g);
	return 0;
}

void dv__geos_finish(dv__geos *g)
{
	if (g->h) GEOS_finish_r(g->h);
	g->h = NULL;
}

static GEOSGeometry *ring_geom(dv__geos *g, const double *xy, size_t n)
{
	GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(g->h, xy, (unsigned)n, 0, 0);
	if (!cs) return NULL;
	return GEOSGeom_createLinearRing_r(g->h, cs);
}

GEOSGeometry *dv__zone_polygon(dv__geos *g, const dv_zone *z)
{
	if (z->shape != DV_ZONE_POLYGON || z->nrings == 0) return NULL;
	GEOSGeometry *shell = ring_geom(g, z->rings[0], z->ring_len[0]);
	if (!shell) return NULL;
	GEOSGeometry **holes = NULL;
	size_t nh = z->nrings - 1;
	if (nh) {
		holes = calloc(nh, sizeof(*holes));
		if (!holes) { GEOSGeom_destroy_r(g->h, shell); return NULL; }
		for (size_t i = 0; i < nh; i++) {
			holes[i] = ring_geom(g, z->rings[i + 1], z->ring_len[i + 1]);
			if (!holes[i]) {
				for (size_t j = 0; j < i; j++) GEOSGeom_destroy_r(g->h, holes[j]);
				free(holes);
				GEOSGeom_destroy_r(g->h, shell);
				return NULL;
			}
		}
	}
	GEOSGeometry *poly = GEOSGeom_createPolygon_r(g->h, shell, holes, (unsigned)nh);
	free(holes);
	return poly;
}

static struct geod_geodesic wgs84;
static once_flag wgs84_once = ONCE_FLAG_INIT;

static void wgs84_init(void)
{
	geod_init(&wgs84, 6378137.0, 1.0 / 298.257223563);
}

double dv_geo_distance(double lon1, double lat1, double lon2, double lat2)
{
	call_once(&wgs84_once, wgs84_init);
	double s12 = 0;
	geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
	return s12;
}

const char *dv_vref_name(dv_vref r)
{
	switch (r) {
	case DV_VREF_AGL: return "AGL";
	case DV_VREF_AMSL: return "AMSL";
	case DV_VREF_WGS84: return "WGS84";
	case DV_VREF_TAKEOFF: return "takeoff";
	default: return "none";
	}
}

/* ---- time --------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9') return -1;
		v = v * 10 + (c - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

/* "HH:MM[:SS[.fff]][Z|+hh:mm|-hh:mm]" -> seconds, offset (0 when absent) */
static int parse_tod(const char *s, int32_t *sec, int32_t *off)
{
	int h, m, sc = 0;
	if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &m) < 0) return -1;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &sc) < 0) return -1;
		if (*s == '.') {
			s++;
			if (*s < '0' || *s > '9') return -1;
			while (*s >= '0' && *s <= '9') s++;
		}
	}
	if (h > 24 || m > 59 || sc > 60 || (h == 24 && (m || sc))) return -1;
	*sec = h * 3600 + m * 60 + sc;
	*off = 0;
	if (*s == 'Z') s++;
	else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
		if (digits(&s, 2, &oh) < 0) return -1;
		if (*s == ':') s++;
		if (*s && digits(&s, 2, &om) < 0) return -1;
		if (oh > 18 || om > 59) return -1;
		*off = sign * (oh * 3600 + om * 60);
	}
	return *s ? -1 : 0;
}

int dv_geo_parse_time(const char *s, int64_t *out)
{
	int y, mo, d;
	const char *p = s;
	if (!s || digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return dv_error_set(DV_EINVAL, NULL, -1, "bad date-time '%.40s'", s ? s : "");
	int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
	if (*p == 0) { *out = t; return 0; }
	if (*p != 'T' && *p != 't' && *p != ' ')
		return dv_error_set(DV_EINVAL, NULL, -1, "bad date-time '%.40s'", s);
	int32_t sec, off;
	if (parse_tod(p + 1, &sec, &off) < 0)
		return dv_error_set(DV_EINVAL, NULL, -1, "bad date-time '%.40s'", s);
	*out = t + sec - off;
	return 0;
}

static bool daily_match(const dv_zone_daily *dp, int64_t t)
{
	int64_t local = t + dp->utc_off_s;
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int32_t sod = (int32_t)(local - day * 86400);
	/* 1970-01-01 was a Thursday: weekday 0 = Monday */
	int wd = (int)(((day % 7) + 7 + 3) % 7);
	int prev = (wd + 6) % 7;
	if (dp->start_s == dp->end_s || (dp->start_s == 0 && dp->end_s >= 86400))
		return dp->days & (1u << wd);
	if (dp->start_s < dp->end_s)
		return (dp->days & (1u << wd)) && sod >= dp->start_s && sod < dp->end_s;
	/* wraps midnight: the evening of a listed day or the morning after it */
	return ((dp->days & (1u << wd)) && sod >= dp->start_s) ||
	       ((dp->days & (1u << prev)) && sod < dp->end_s);
}

int dv_zone_active(const dv_zone *z, int64_t t)
{
	if (z->permanent || z->nperiods == 0) return 1;
	if (t == DV_GEO_TIME_NONE) return -1;
	for (size_t i = 0; i < z->nperiods; i++) {
		const dv_zone_period *p = &z->periods[i];
		if (p->start != DV_GEO_TIME_NONE && t < p->start) continue;
		if (p->end != DV_GEO_TIME_NONE && t >= p->end) continue;
		if (p->ndaily == 0) return 1;
		for (size_t k = 0; k < p->ndaily; k++)
			if (daily_match(&p->daily[k], t)) return 1;
	}
	return 0;
}

/* ---- point in zone without GEOS (used for cross-checks) ------------------ */

static bool on_segment(double px, double py, double ax, double ay, double bx, double by)
{
	double cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
	if (cross != 0) return false;
	return px >= fmin(ax, bx) && px <= fmax(ax, bx) && py >= fmin(ay, by) && py <= fmax(ay, by);
}

/* 1 inside, 0 outside, 2 on the boundary */
static int ring_pip(const double *xy, size_t n, double x, double y)
{
	bool in = false;
	for (size_t i = 0, j = n - 1; i < n; j = i++) {
		double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
		if (on_segment(x, y, xi, yi, xj, yj)) return 2;
		if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
	}
	return in;
}

bool dv_zone_contains_xy(const dv_zone *z, double lon, double lat)
{
	if (lon < z->min_lon || lon > z->max_lon || lat < z->min_lat || lat > z->max_lat)
		return false;
	if (z->shape == DV_ZONE_CIRCLE)
		return dv_geo_distance(z->lon, z->lat, lon, lat) <= z->radius_m;
	int r = ring_pip(z->rings[0], z->ring_len[0], lon, lat);
	if (r != 1) return r == 2;
	for (size_t h = 1; h < z->nrings; h++) {
		r = ring_pip(z->rings[h], z->ring_len[h], lon, lat);
		if (r == 2) return true;
		if (r == 1) return false;
	}
	return true;
}

/* ---- the reader --------------------------------------------------------- */

typedef struct rd {
	dv_zones *zs;
	size_t cap_zones, cap_issues;
	size_t vertices;
	unsigned flags;
	dv__geos geos;
	const char *feature;  /* name of the feature being read */
	int nerr_feature;     /* errors in the current feature */
	char path[160];       /* JSON path of the feature */
	size_t cur_feature;
	double radius_scale;  /* ED-269: a Circle's radius is in the volume's uomDimensions */
} rd;

static void issue(rd *r, dv_zone_severity sev, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void issue(rd *r, dv_zone_severity sev, const char *sub, const char *fmt, ...)
{
	dv_zones *zs = r->zs;
	if (sev == DV_ZONE_ERROR) r->nerr_feature++;
	if (zs->nissues >= DV_ZONES_MAX_ISSUES ||
	    dv__grow((void **)&zs->issues, &r->cap_issues, zs->nissues, sizeof(*zs->issues),
	             DV_ZONES_MAX_ISSUES) < 0) {
		zs->nissues_dropped++;
		return;
	}
	dv_zone_issue *is = &zs->issues[zs->nissues++];
	memset(is, 0, sizeof(*is));
	is->severity = sev;
	snprintf(is->feature, sizeof(is->feature), "%s", r->feature ? r->feature : "");
	snprintf(is->path, sizeof(is->path), "%s%s", r->path, sub ? sub : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(is->message, sizeof(is->message), fmt, ap);
	va_end(ap);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object)) return NULL;
	if (!json_object_object_get_ex(o, key, &v)) return NULL;
	return v; /* NULL also for JSON null */
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static char *xstrdup(const char *s)
{
	if (!s) return NULL;
	size_t n = strnlen(s, 4096);
	char *d = malloc(n + 1);
	if (!d) return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* names: a string, or [{text, lang}] (English preferred) */
static const char *text_of(json_object *v)
{
	if (!v) return NULL;
	if (json_object_is_type(v, json_type_string)) return json_object_get_string(v);
	if (!json_object_is_type(v, json_type_array)) return NULL;
	const char *first = NULL;
	size_t n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *t = get_str(e, "text"), *l = get_str(e, "lang");
		if (!t) continue;
		if (!first) first = t;
		if (l && !strncmp(l, "en", 2)) return t;
	}
	return first;
}

static void zone_dispose(dv_zone *z)
{
	free(z->identifier);
	free(z->name);
	free(z->type);
	free(z->restriction);
	for (size_t i = 0; i < z->nrings; i++) free(z->rings[i]);
	free(z->rings);
	free(z->ring_len);
	for (size_t i = 0; i < z->nperiods; i++) free(z->periods[i].daily);
	free(z->periods);
	memset(z, 0, sizeof(*z));
}

void dv_zones_free(dv_zones *zs)
{
	if (!zs) return;
	for (size_t i = 0; i < zs->nzones; i++) zone_dispose(&zs->zones[i]);
	free(zs->zones);
	free(zs->issues);
	free(zs->source);
	free(zs);
}

size_t dv_zones_nerrors(const dv_zones *zs)
{
	size_t n = 0;
	for (size_t i = 0; i < zs->nissues; i++) n += zs->issues[i].severity == DV_ZONE_ERROR;
	return n;
}

/* A number, or a string holding one (ED-269 files write "0"). */
static int num_of(json_object *v, double *out)
{
	if (!v) return 0;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return isfinite(*out) ? 1 : -1;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;
		if (!*s || strlen(s) > 32) return -1;
		*out = strtod(s, &end);
		return *end == 0 && isfinite(*out) ? 1 : -1;
	}
	return -1;
}

static int vref_of(rd *r, const char *s, const char *sub, dv_vref *out)
{
	if (!s) { *out = DV_VREF_NONE; return 0; }
	if (!strcmp(s, "AGL") || !strcmp(s, "SFC")) *out = DV_VREF_AGL;
	else if (!strcmp(s, "AMSL") || !strcmp(s, "MSL")) *out = DV_VREF_AMSL;
	else if (!strcmp(s, "WGS84")) *out = DV_VREF_WGS84;
	else {
		issue(r, DV_ZONE_ERROR, sub, "unknown vertical reference '%.32s' (AGL, AMSL or WGS84)", s);
		return -1;
	}
	return 0;
}

typedef struct vlimits {
	double lower, upper;
	dv_vref lref, uref;
	double scale;   /* metres per unit of uom */
} vlimits;

/* Reads lower/upper from obj with the given member names; sub prefixes paths. */
static void read_limits(rd *r, json_object *obj, const char *sub, const char *kl, const char *ku,
                        const char *klr, const char *kur, const char *kuom, bool uom_required,
                        vlimits *out)
{
	char p[96];
	double scale = 1.0;
	out->lower = DV_ALT_NONE_LOW;
	out->upper = DV_ALT_NONE_HIGH;
	out->lref = out->uref = DV_VREF_NONE;
	out->scale = 1.0;
	json_object *uomv = get(obj, kuom);
	const char *uom = get_str(obj, kuom);
	snprintf(p, sizeof(p), "%s.%s", sub, kuom);
	if (uomv && !uom) issue(r, DV_ZONE_ERROR, p, "unit must be a string");
	else if (uom) {
		if (!strcmp(uom, "M") || !strcmp(uom, "m")) scale = 1.0;
		else if (!strcmp(uom, "FT") || !strcmp(uom, "ft")) scale = 0.3048;
		else issue(r, DV_ZONE_ERROR, p, "unknown unit '%.32s' (M or FT)", uom);
		out->scale = scale;
	} else if (uom_required && (get(obj, kl) || get(obj, ku)))
		issue(r, DV_ZONE_WARNING, p, "no unit for the vertical limits: metres assumed");
	double v;
	int k;
	snprintf(p, sizeof(p), "%s.%s", sub, kl);
	if ((k = num_of(get(obj, kl), &v)) < 0) issue(r, DV_ZONE_ERROR, p, "lower limit is not a number");
	else if (k) out->lower = v * scale;
	snprintf(p, sizeof(p), "%s.%s", sub, ku);
	if ((k = num_of(get(obj, ku), &v)) < 0) issue(r, DV_ZONE_ERROR, p, "upper limit is not a number");
	else if (k) out->upper = v >= DV_ALT_UNLIMITED ? DV_ALT_NONE_HIGH : v * scale;
	snprintf(p, sizeof(p), "%s.%s", sub, klr);
	json_object *lrv = get(obj, klr);
	if (lrv && !json_object_is_type(lrv, json_type_string)) issue(r, DV_ZONE_ERROR, p, "reference must be a string");
	else vref_of(r, get_str(obj, klr), p, &out->lref);
	snprintf(p, sizeof(p), "%s.%s", sub, kur);
	json_object *urv = get(obj, kur);
	if (urv && !json_object_is_type(urv, json_type_string)) issue(r, DV_ZONE_ERROR, p, "reference must be a string");
	else vref_of(r, get_str(obj, kur), p, &out->uref);
	if (out->lower != DV_ALT_NONE_LOW && out->lref == DV_VREF_NONE) {
		snprintf(p, sizeof(p), "%s.%s", sub, klr);
		issue(r, DV_ZONE_WARNING, p, "lower limit without reference: AGL assumed");
		out->lref = DV_VREF_AGL;
	}
	if (out->upper != DV_ALT_NONE_HIGH && out->uref == DV_VREF_NONE) {
		snprintf(p, sizeof(p), "%s.%s", sub, kur);
		issue(r, DV_ZONE_WARNING, p, "upper limit without reference: AGL assumed");
		out->uref = DV_VREF_AGL;
	}
	if (out->lower != DV_ALT_NONE_LOW && out->upper != DV_ALT_NONE_HIGH &&
	    out->lref == out->uref && out->lower > out->upper)
		issue(r, DV_ZONE_ERROR, sub, "lower limit %.1f m is above upper limit %.1f m",
		      out->lower, out->upper);
}

/* ---- time windows ------------------------------------------------------- */

static int day_bits(rd *r, json_object *days, const char *sub, uint8_t *out)
{
	static const char *names[] = { "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN" };
	*out = 0;
	if (!days) { *out = DV_DAY_ANY; return 0; }
	if (!json_object_is_type(days, json_type_array)) {
		issue(r, DV_ZONE_ERROR, sub, "day must be a list");
		return -1;
	}
	size_t n = json_object_array_length(days);
	if (n == 0) { *out = DV_DAY_ANY; return 0; }
	for (size_t i = 0; i < n && i < 16; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(days, i));
		json_object *e = json_object_array_get_idx(days, i);
		if (!json_object_is_type(e, json_type_string)) s = NULL;
		int found = -1;
		if (s && !strcmp(s, "ANY")) { *out = DV_DAY_ANY; continue; }
		for (int d = 0; s && d < 7; d++)
			if (!strcmp(s, names[d])) found = d;
		if (found < 0) {
			char p[96];
			snprintf(p, sizeof(p), "%s[%zu]", sub, i);
			issue(r, DV_ZONE_ERROR, p, "unknown day '%.16s' (MON..SUN or ANY)", s ? s : "?");
			return -1;
		}
		*out |= (uint8_t)(1u << found);
	}
	return 0;
}

static int read_daily(rd *r, json_object *arr, const char *sub, dv_zone_period *per)
{
	if (!arr) return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		issue(r, DV_ZONE_ERROR, sub, "daily periods must be a list");
		return -1;
	}
	size_t n = json_object_array_length(arr);
	if (n > 64) { issue(r, DV_ZONE_ERROR, sub, "more than 64 daily periods"); return -1; }
	if (n == 0) return 0;
	per->daily = calloc(n, sizeof(*per->daily));
	if (!per->daily) { issue(r, DV_ZONE_ERROR, sub, "out of memory"); return -1; }
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		char p[128];
		snprintf(p, sizeof(p), "%s[%zu]", sub, i);
		if (!json_object_is_type(e, json_type_object)) {
			issue(r, DV_ZONE_ERROR, p, "daily period must be an object");
			return -1;
		}
		dv_zone_daily d = { DV_DAY_ANY, 0, 0, 0 };
		char pd[140];
		snprintf(pd, sizeof(pd), "%s.day", p);
		if (day_bits(r, get(e, "day"), pd, &d.days) < 0) return -1;
		const char *st = get_str(e, "startTime"), *et = get_str(e, "endTime");
		if (!st && !et && (get(e, "startEvent") || get(e, "endEvent")))
			issue(r, DV_ZONE_WARNING, p, "sunrise/sunset events are not understood: the whole day is assumed");
		int32_t o1 = 0, o2 = 0;
		if (st && parse_tod(st, &d.start_s, &o1) < 0) {
			snprintf(pd, sizeof(pd), "%s.startTime", p);
			issue(r, DV_ZONE_ERROR, pd, "bad time '%.32s' (HH:MM:SS with optional offset)", st);
			return -1;
		}
		if (et && parse_tod(et, &d.end_s, &o2) < 0) {
			snprintf(pd, sizeof(pd), "%s.endTime", p);
			issue(r, DV_ZONE_ERROR, pd, "bad time '%.32s' (HH:MM:SS with optional offset)", et);
			return -1;
		}
		if (!et) d.end_s = st ? 86400 : 0;
		if (st && et && o1 != o2) d.end_s += o1 - o2; /* same clock as start */
		d.utc_off_s = o1;
		per->daily[per->ndaily++] = d;
	}
	return 0;
}

/* ED-269 applicability[] or ED-318 limitedApplicability[] */
static int read_applicability(rd *r, json_object *arr, const char *key, bool ed269, dv_zone *z)
{
	char sub[64];
	snprintf(sub, sizeof(sub), ".%s", key);
	z->permanent = true;
	if (!arr) return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		issue(r, DV_ZONE_ERROR, sub, "applicability must be a list");
		return -1;
	}
	size_t n = json_object_array_length(arr);
	if (n == 0) return 0;
	if (n > 256) { issue(r, DV_ZONE_ERROR, sub, "more than 256 time periods"); return -1; }
	z->periods = calloc(n, sizeof(*z->periods));
	if (!z->periods) { issue(r, DV_ZONE_ERROR, sub, "out of memory"); return -1; }
	bool any_perm = false;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		char p[96];
		snprintf(p, sizeof(p), "%s[%zu]", sub, i);
		if (!json_object_is_type(e, json_type_object)) {
			issue(r, DV_ZONE_ERROR, p, "time period must be an object");
			return -1;
		}
		const char *perm = get_str(e, "permanent");
		if (perm && !strcmp(perm, "YES")) { any_perm = true; continue; }
		dv_zone_period *per = &z->periods[z->nperiods++];
		per->start = per->end = DV_GEO_TIME_NONE;
		const char *sd = get_str(e, "startDateTime"), *ed = get_str(e, "endDateTime");
		char pd[128];
		if (sd && dv_geo_parse_time(sd, &per->start) < 0) {
			snprintf(pd, sizeof(pd), "%s.startDateTime", p);
			issue(r, DV_ZONE_ERROR, pd, "bad date-time '%.40s'", sd);
			return -1;
		}
		if (ed && dv_geo_parse_time(ed, &per->end) < 0) {
			snprintf(pd, sizeof(pd), "%s.endDateTime", p);
			issue(r, DV_ZONE_ERROR, pd, "bad date-time '%.40s'", ed);
			return -1;
		}
		if (per->start != DV_GEO_TIME_NONE && per->end != DV_GEO_TIME_NONE && per->end <= per->start) {
			issue(r, DV_ZONE_ERROR, p, "time period ends before it starts");
			return -1;
		}
		const char *dk = ed269 ? "dailyPeriod" : "schedule";
		snprintf(pd, sizeof(pd), "%s.%s", p, dk);
		if (read_daily(r, get(e, dk), pd, per) < 0) return -1;
		/* ED-269 writes "no daily limit" as one period with empty day list and null times */
		if (per->ndaily == 1 && per->daily[0].days == DV_DAY_ANY &&
		    per->daily[0].start_s == per->daily[0].end_s) {
			free(per->daily);
			per->daily = NULL;
			per->ndaily = 0;
		}
	}
	z->permanent = any_perm || z->nperiods == 0;
	return 0;
}

/* ---- geometry ----------------------------------------------------------- */

static int read_ring(rd *r, json_object *arr, const char *sub, double **out, size_t *outn)
{
	if (!json_object_is_type(arr, json_type_array)) {
		issue(r, DV_ZONE_ERROR, sub, "ring must be a list of positions");
		return -1;
	}
	size_t n = json_object_array_length(arr);
	if (n < 4) {
		issue(r, DV_ZONE_ERROR, sub, "ring has %zu positions, at least 4 needed", n);
		return -1;
	}
	if (n > DV_ZONES_MAX_VERTICES - r->vertices) {
		issue(r, DV_ZONE_ERROR, sub, "too many vertices (limit %u in all)", DV_ZONES_MAX_VERTICES);
		return -1;
	}
	double *xy = malloc(n * 2 * sizeof(double));
	if (!xy) { issue(r, DV_ZONE_ERROR, sub, "out of memory"); return -1; }
	for (size_t i = 0; i < n; i++) {
		json_object *pos = json_object_array_get_idx(arr, i);
		char p[128];
		snprintf(p, sizeof(p), "%s[%zu]", sub, i);
		double lon, lat;
		if (!json_object_is_type(pos, json_type_array) || json_object_array_length(pos) < 2 ||
		    num_of(json_object_array_get_idx(pos, 0), &lon) != 1 ||
		    num_of(json_object_array_get_idx(pos, 1), &lat) != 1 ||
		    json_object_is_type(json_object_array_get_idx(pos, 0), json_type_string) ||
		    json_object_is_type(json_object_array_get_idx(pos, 1), json_type_string)) {
			issue(r, DV_ZONE_ERROR, p, "position must be [longitude, latitude] numbers");
			free(xy);
			return -1;
		}
		if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
			issue(r, DV_ZONE_ERROR, p, "position %.7f, %.7f out of range (longitude -180..180, latitude -90..90)",
			      lon, lat);
			free(xy);
			return -1;
		}
		xy[2 * i] = lon;
		xy[2 * i + 1] = lat;
	}
	if (xy[0] != xy[2 * n - 2] || xy[1] != xy[2 * n - 1]) {
		issue(r, DV_ZONE_ERROR, sub, "ring is not closed (first position %.7f, %.7f, last %.7f, %.7f)",
		      xy[0], xy[1], xy[2 * n - 2], xy[2 * n - 1]);
		free(xy);
		return -1;
	}
	r->vertices += n;
	*out = xy;
	*outn = n;
	return 0;
}

static void bbox_of(dv_zone *z)
{
	z->min_lon = z->min_lat = INFINITY;
	z->max_lon = z->max_lat = -INFINITY;
	for (size_t i = 0; i < z->ring_len[0]; i++) {
		double x = z->rings[0][2 * i], y = z->rings[0][2 * i + 1];
		z->min_lon = fmin(z->min_lon, x);
		z->max_lon = fmax(z->max_lon, x);
		z->min_lat = fmin(z->min_lat, y);
		z->max_lat = fmax(z->max_lat, y);
	}
}

static int check_extent(rd *r, dv_zone *z, const char *sub)
{
	if (z->max_lon - z->min_lon > 180) {
		issue(r, DV_ZONE_ERROR, sub, "zone spans %.1f degrees of longitude: zones across the antimeridian are not supported",
		      z->max_lon - z->min_lon);
		return -1;
	}
	if (z->min_lon < -180 || z->max_lon > 180) {
		issue(r, DV_ZONE_ERROR, sub, "zone crosses the antimeridian: not supported");
		return -1;
	}
	if (z->max_lat > 89.5 || z->min_lat < -89.5) {
		issue(r, DV_ZONE_ERROR, sub, "zone reaches a pole (beyond 89.5 degrees latitude): not supported");
		return -1;
	}
	return 0;
}

static dv_zone *new_zone(rd *r)
{
	dv_zones *zs = r->zs;
	if (dv__grow((void **)&zs->zones, &r->cap_zones, zs->nzones, sizeof(*zs->zones),
	             DV_ZONES_MAX_ZONES) < 0) {
		issue(r, DV_ZONE_ERROR, NULL, "too many zones (limit %u)", DV_ZONES_MAX_ZONES);
		return NULL;
	}
	dv_zone *z = &zs->zones[zs->nzones];
	memset(z, 0, sizeof(*z));
	return z;
}

/* Turns a (repaired) GEOS polygon into the rings of z. */
static int rings_from_geos(rd *r, const GEOSGeometry *poly, dv_zone *z)
{
	GEOSContextHandle_t h = r->geos.h;
	int nh = GEOSGetNumInteriorRings_r(h, poly);
	if (nh < 0) return -1;
	z->nrings = 0;
	z->rings = calloc((size_t)nh + 1, sizeof(*z->rings));
	z->ring_len = calloc((size_t)nh + 1, sizeof(*z->ring_len));
	if (!z->rings || !z->ring_len) return -1;
	for (int i = 0; i <= nh; i++) {
		const GEOSGeometry *ring = i == 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, i - 1);
		const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
		unsigned n = 0;
		if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 4) return -1;
		double *xy = malloc((size_t)n * 2 * sizeof(double));
		if (!xy) return -1;
		if (!GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0)) { free(xy); return -1; }
		z->rings[z->nrings] = xy;
		z->ring_len[z->nrings++] = n;
	}
	return 0;
}

/* Copies the descriptive fields of src into z (a new volume of the same feature). */
static int copy_meta(dv_zone *z, const dv_zone *src)
{
	z->identifier = xstrdup(src->identifier);
	z->name = xstrdup(src->name);
	z->type = xstrdup(src->type);
	z->restriction = xstrdup(src->restriction);
	z->feature = src->feature;
	z->lower_m = src->lower_m; z->upper_m = src->upper_m;
	z->lower_ref = src->lower_ref; z->upper_ref = src->upper_ref;
	z->permanent = src->permanent;
	if (src->nperiods) {
		z->periods = calloc(src->nperiods, sizeof(*z->periods));
		if (!z->periods) return -1;
		for (size_t i = 0; i < src->nperiods; i++) {
			z->periods[i] = src->periods[i];
			z->periods[i].daily = NULL;
			if (src->periods[i].ndaily) {
				z->periods[i].daily = malloc(src->periods[i].ndaily * sizeof(dv_zone_daily));
				if (!z->periods[i].daily) { z->nperiods = i; return -1; }
				memcpy(z->periods[i].daily, src->periods[i].daily,
				       src->periods[i].ndaily * sizeof(dv_zone_daily));
			}
			z->nperiods = i + 1;
		}
	}
	return (z->identifier ? 0 : -1);
}

/*
 * Adds one polygon (GeoJSON coordinates array) as volumes made from tmpl.
 * Returns 0 when added, -1 when rejected (issue recorded).
 */
static int add_polygon(rd *r, json_object *coords, const char *sub, const dv_zone *tmpl)
{
	if (!json_object_is_type(coords, json_type_array) || json_object_array_length(coords) == 0) {
		issue(r, DV_ZONE_ERROR, sub, "Polygon coordinates must be a non-empty list of rings");
		return -1;
	}
	size_t nr = json_object_array_length(coords);
	if (nr > 10000) { issue(r, DV_ZONE_ERROR, sub, "more than 10000 rings"); return -1; }
	dv_zone z;
	memset(&z, 0, sizeof(z));
	z.shape = DV_ZONE_POLYGON;
	z.rings = calloc(nr, sizeof(*z.rings));
	z.ring_len = calloc(nr, sizeof(*z.ring_len));
	if (!z.rings || !z.ring_len) { free(z.rings); free(z.ring_len); issue(r, DV_ZONE_ERROR, sub, "out of memory"); return -1; }
	for (size_t i = 0; i < nr; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s[%zu]", sub, i);
		if (read_ring(r, json_object_array_get_idx(coords, i), p, &z.rings[i], &z.ring_len[i]) < 0) {
			zone_dispose(&z);
			return -1;
		}
		z.nrings = i + 1;
	}
	bbox_of(&z);
	if (check_extent(r, &z, sub) < 0) { zone_dispose(&z); return -1; }

	/* validity with GEOS */
	GEOSContextHandle_t h = r->geos.h;
	GEOSGeometry *g = dv__zone_polygon(&r->geos, &z);
	if (!g) {
		issue(r, DV_ZONE_ERROR, sub, "cannot build polygon: %s", r->geos.msg);
		zone_dispose(&z);
		return -1;
	}
	char *reason = NULL;
	GEOSGeometry *loc = NULL;
	char valid = GEOSisValidDetail_r(h, g, 0, &reason, &loc);
	if (valid == 1) {
		GEOSGeom_destroy_r(h, g);
		dv_zone *nz = new_zone(r);
		if (!nz || copy_meta(&z, tmpl) < 0) {
			zone_dispose(&z);
			return -1;
		}
		*nz = z;
		r->zs->nzones++;
		return 0;
	}
	double lx = 0, ly = 0;
	if (loc) {
		GEOSGeomGetX_r(h, loc, &lx);
		GEOSGeomGetY_r(h, loc, &ly);
	}
	int rc = -1;
	if (!(r->flags & DV_ZONES_REPAIR)) {
		issue(r, DV_ZONE_ERROR, sub, "invalid polygon: %s at %.7f, %.7f (repair with --repair)",
		      reason ? reason : r->geos.msg, lx, ly);
	} else {
		GEOSGeometry *fixed = GEOSMakeValid_r(h, g);
		int added = 0;
		if (fixed) {
			int ng = GEOSGetNumGeometries_r(h, fixed);
			for (int i = 0; i < ng && i < 10000; i++) {
				const GEOSGeometry *part = GEOSGetGeometryN_r(h, fixed, i);
				if (GEOSGeomTypeId_r(h, part) != GEOS_POLYGON || GEOSisEmpty_r(h, part)) continue;
				dv_zone nzv;
				memset(&nzv, 0, sizeof(nzv));
				nzv.shape = DV_ZONE_POLYGON;
				dv_zone *slot = new_zone(r);
				if (!slot || rings_from_geos(r, part, &nzv) < 0 || copy_meta(&nzv, tmpl) < 0) {
					zone_dispose(&nzv);
					break;
				}
				bbox_of(&nzv);
				*slot = nzv;
				r->zs->nzones++;
				added++;
			}
			GEOSGeom_destroy_r(h, fixed);
		}
		if (added) {
			issue(r, DV_ZONE_WARNING, sub, "invalid polygon repaired into %d part(s): %s at %.7f, %.7f",
			      added, reason ? reason : "", lx, ly);
			r->zs->nrepaired++;
			rc = 0;
		} else {
			issue(r, DV_ZONE_ERROR, sub, "invalid polygon could not be repaired: %s", reason ? reason : r->geos.msg);
		}
	}
	if (reason) GEOSFree_r(h, reason);
	if (loc) GEOSGeom_destroy_r(h, loc);
	GEOSGeom_destroy_r(h, g);
	zone_dispose(&z);
	return rc;
}

static int add_circle(rd *r, json_object *center, json_object *radius, const char *sub,
                      const dv_zone *tmpl)
{
	double lon, lat, rad;
	char p[128];
	snprintf(p, sizeof(p), "%s.center", sub);
	if (!json_object_is_type(center, json_type_array) || json_object_array_length(center) < 2 ||
	    num_of(json_object_array_get_idx(center, 0), &lon) != 1 ||
	    num_of(json_object_array_get_idx(center, 1), &lat) != 1) {
		issue(r, DV_ZONE_ERROR, p, "Circle center must be [longitude, latitude]");
		return -1;
	}
	if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
		issue(r, DV_ZONE_ERROR, p, "center %.7f, %.7f out of range", lon, lat);
		return -1;
	}
	snprintf(p, sizeof(p), "%s.radius", sub);
	if (num_of(radius, &rad) != 1 || !(rad > 0) || rad * r->radius_scale > 2000000) {
		issue(r, DV_ZONE_ERROR, p, "Circle radius must be a positive number, at most 2000 km");
		return -1;
	}
	rad *= r->radius_scale;
	dv_zone z;
	memset(&z, 0, sizeof(z));
	z.shape = DV_ZONE_CIRCLE;
	z.lon = lon;
	z.lat = lat;
	z.radius_m = rad;
	/* a box that surely holds the circle: a degree of latitude is at least
	 * 110574 m, a degree of longitude at least a*cos(lat)*pi/180 */
	double dlat = rad / 110574.0 * 1.01 + 1e-7;
	z.min_lat = lat - dlat;
	z.max_lat = lat + dlat;
	double far = fmax(fabs(z.min_lat), fabs(z.max_lat));
	if (far > 89.5) {
		issue(r, DV_ZONE_ERROR, sub, "circle reaches a pole (beyond 89.5 degrees latitude): not supported");
		return -1;
	}
	double dlon = rad / (6378137.0 * M_PI / 180.0 * cos(far * M_PI / 180.0)) * 1.01 + 1e-7;
	z.min_lon = lon - dlon;
	z.max_lon = lon + dlon;
	if (check_extent(r, &z, sub) < 0) return -1;
	dv_zone *nz = new_zone(r);
	if (!nz || copy_meta(&z, tmpl) < 0) { zone_dispose(&z); return -1; }
	*nz = z;
	r->zs->nzones++;
	return 0;
}

/* A geometry object: Polygon, MultiPolygon, Circle (ED-269), Point with radius. */
static int add_geometry(rd *r, json_object *geom, const char *sub, const dv_zone *tmpl,
                        json_object *props)
{
	if (!json_object_is_type(geom, json_type_object)) {
		issue(r, DV_ZONE_ERROR, sub, "geometry must be an object");
		return -1;
	}
	const char *type = get_str(geom, "type");
	char p[128];
	snprintf(p, sizeof(p), "%s.coordinates", sub);
	if (!type) {
		issue(r, DV_ZONE_ERROR, sub, "geometry has no type");
		return -1;
	}
	if (!strcmp(type, "Polygon"))
		return add_polygon(r, get(geom, "coordinates"), p, tmpl);
	if (!strcmp(type, "MultiPolygon")) {
		json_object *c = get(geom, "coordinates");
		if (!json_object_is_type(c, json_type_array) || json_object_array_length(c) == 0) {
			issue(r, DV_ZONE_ERROR, p, "MultiPolygon coordinates must be a non-empty list");
			return -1;
		}
		size_t n = json_object_array_length(c);
		int bad = 0;
		for (size_t i = 0; i < n; i++) {
			char q[140];
			snprintf(q, sizeof(q), "%s[%zu]", p, i);
			bad |= add_polygon(r, json_object_array_get_idx(c, i), q, tmpl) < 0;
		}
		return bad ? -1 : 0;
	}
	if (!strcmp(type, "Circle"))
		return add_circle(r, get(geom, "center"), get(geom, "radius"), sub, tmpl);
	if (!strcmp(type, "Point")) {
		json_object *rad = get(geom, "radius");
		if (!rad) rad = get(props, "radius");
		if (!rad) {
			issue(r, DV_ZONE_ERROR, sub, "Point zone without radius");
			return -1;
		}
		return add_circle(r, get(geom, "coordinates"), rad, sub, tmpl);
	}
	issue(r, DV_ZONE_ERROR, sub, "geometry type '%.32s' is not a zone (Polygon, MultiPolygon or Circle)", type);
	return -1;
}

static void set_limits(dv_zone *z, const vlimits *v)
{
	z->lower_m = v->lower;
	z->upper_m = v->upper;
	z->lower_ref = v->lref;
	z->upper_ref = v->uref;
}

/* One feature: ED-269 zone object, or GeoJSON Feature. */
static void read_feature(rd *r, json_object *f, size_t idx, const char *listpath)
{
	char fname[96];
	snprintf(r->path, sizeof(r->path), "$.%s[%zu]", listpath, idx);
	snprintf(fname, sizeof(fname), "#%zu", idx);
	r->feature = fname;
	r->nerr_feature = 0;
	r->zs->nfeatures++;
	size_t before = r->zs->nzones;
	if (!json_object_is_type(f, json_type_object)) {
		issue(r, DV_ZONE_ERROR, NULL, "feature must be an object");
		r->zs->nrejected++;
		return;
	}
	json_object *geom = get(f, "geometry");
	bool ed269 = geom && json_object_is_type(geom, json_type_array);
	json_object *props = ed269 ? f : get(f, "properties");
	const char *pfx = ed269 ? "" : ".properties";
	if (!ed269 && !props) {
		/* ED-269 zone list inside "features" with no properties object */
		props = f;
		pfx = "";
	}
	dv_zone tmpl;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.feature = idx;
	const char *id = get_str(props, "identifier");
	if (!id) id = get_str(f, "id");
	char p[96];
	if (!id) {
		snprintf(p, sizeof(p), "%s.identifier", pfx);
		issue(r, DV_ZONE_WARNING, p, "zone has no identifier");
		id = fname;
	} else {
		snprintf(fname, sizeof(fname), "%.80s", id);
	}
	tmpl.identifier = xstrdup(id);
	tmpl.name = xstrdup(text_of(get(props, "name")));
	const char *type = get_str(props, "type"), *variant = get_str(props, "variant"),
	           *restr = get_str(props, "restriction");
	if (restr) {
		tmpl.restriction = xstrdup(restr);
		tmpl.type = xstrdup(type);
	} else {
		/* ED-318: type is the restriction, variant COMMON/CUSTOMIZED */
		tmpl.restriction = xstrdup(type);
		tmpl.type = xstrdup(variant);
	}
	if (!tmpl.restriction) {
		snprintf(p, sizeof(p), "%s.%s", pfx, ed269 ? "restriction" : "type");
		issue(r, DV_ZONE_WARNING, p, "zone has no restriction: PROHIBITED assumed");
		tmpl.restriction = xstrdup("PROHIBITED");
	} else {
		static const char *known[] = { "PROHIBITED", "REQ_AUTHORISATION", "REQ_AUTHORIZATION",
		                               "CONDITIONAL", "NO_RESTRICTION", "RESTRICTED", "INFORMATION" };
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= !strcmp(tmpl.restriction, known[i]);
		if (!ok) {
			snprintf(p, sizeof(p), "%s.%s", pfx, restr ? "restriction" : "type");
			issue(r, DV_ZONE_WARNING, p, "unknown restriction '%.32s'", tmpl.restriction);
		}
	}
	if (!tmpl.identifier || !tmpl.restriction) {
		issue(r, DV_ZONE_ERROR, NULL, "out of memory");
		goto out;
	}

	/* time */
	json_object *app = ed269 ? get(f, "applicability") : get(props, "limitedApplicability");
	const char *akey = ed269 ? "applicability" : "limitedApplicability";
	if (!ed269 && !app && get(props, "applicability")) { app = get(props, "applicability"); akey = "applicability"; }
	char akp[80];
	snprintf(akp, sizeof(akp), "%s%s", ed269 ? "" : "properties.", akey);
	if (read_applicability(r, app, akp, ed269 || !strcmp(akey, "applicability"), &tmpl) < 0)
		goto out;

	if (ed269) {
		size_t n = json_object_array_length(geom);
		if (n == 0) issue(r, DV_ZONE_ERROR, ".geometry", "zone has no geometry");
		if (n > 1000) { issue(r, DV_ZONE_ERROR, ".geometry", "more than 1000 volumes"); goto out; }
		for (size_t i = 0; i < n; i++) {
			json_object *g = json_object_array_get_idx(geom, i);
			char sub[64];
			snprintf(sub, sizeof(sub), ".geometry[%zu]", i);
			vlimits v;
			if (!json_object_is_type(g, json_type_object)) {
				issue(r, DV_ZONE_ERROR, sub, "geometry element must be an object");
				continue;
			}
			read_limits(r, g, sub, "lowerLimit", "upperLimit", "lowerVerticalReference",
			            "upperVerticalReference", "uomDimensions", true, &v);
			set_limits(&tmpl, &v);
			json_object *hp = get(g, "horizontalProjection");
			char hsub[96];
			snprintf(hsub, sizeof(hsub), "%s.horizontalProjection", sub);
			if (!hp) { issue(r, DV_ZONE_ERROR, hsub, "geometry without horizontalProjection"); continue; }
			r->radius_scale = v.scale;
			add_geometry(r, hp, hsub, &tmpl, NULL);
			r->radius_scale = 1.0;
		}
	} else {
		if (!geom) { issue(r, DV_ZONE_ERROR, ".geometry", "feature has no geometry"); goto out; }
		vlimits v;
		json_object *layer = get(geom, "layer");
		if (layer) {
			read_limits(r, layer, ".geometry.layer", "lower", "upper", "lowerReference",
			            "upperReference", "uom", false, &v);
		} else {
			read_limits(r, props, pfx, "lowerLimit", "upperLimit", "lowerVerticalReference",
			            "upperVerticalReference", "uomDimensions", true, &v);
		}
		set_limits(&tmpl, &v);
		if (layer && r->zs->format == DV_ZONES_GEOJSON) r->zs->format = DV_ZONES_ED318;
		add_geometry(r, geom, ".geometry", &tmpl, props);
	}
out:
	if (r->nerr_feature) {
		/* reject the whole feature: drop volumes already added */
		while (r->zs->nzones > before) zone_dispose(&r->zs->zones[--r->zs->nzones]);
		r->zs->nrejected++;
	} else if (r->zs->nzones == before) {
		r->zs->nrejected++;
	}
	zone_dispose(&tmpl);
}

static int cmp_zone_id(const void *x, const void *y, void *ctx)
{
	const dv_zone *z = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(z[a].identifier, z[b].identifier);
	if (c) return c;
	return z[a].feature < z[b].feature ? -1 : z[a].feature > z[b].feature;
}

int dv_zones_parse(dv_zones **out, const void *buf, size_t len, const char *name, unsigned flags)
{
	*out = NULL;
	if (!name) name = "zones";
	if (len > DV_ZONES_MAX_BYTES)
		return dv_error_set(DV_ENOMEM, name, -1, "zone file is %zu bytes, limit %u", len, DV_ZONES_MAX_BYTES);
	if (len > INT32_MAX) return dv_error_set(DV_ENOMEM, name, -1, "zone file too big");
	json_tokener *tok = json_tokener_new_ex(DV_ZONES_MAX_DEPTH);
	if (!tok) return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		if (root) json_object_put(root);
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			return dv_error_set(DV_ETRUNC, name, (int64_t)len, "JSON ends too early");
		return dv_error_set(jerr == json_tokener_error_depth ? DV_ENOMEM : DV_EINVAL, name,
		                    (int64_t)end, "invalid JSON: %s", json_tokener_error_desc(jerr));
	}
	for (size_t i = end; i < len; i++) {
		char c = ((const char *)buf)[i];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != 0) {
			json_object_put(root);
			return dv_error_set(DV_EINVAL, name, (int64_t)i, "invalid JSON: text after the end");
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return dv_error_set(DV_EINVAL, name, 0, "zone file must be a JSON object");
	}
	json_object *list = get(root, "UASZoneList");
	const char *lname = "UASZoneList";
	dv_zones_format fmt = DV_ZONES_ED269;
	if (!list) {
		list = get(root, "features");
		lname = "features";
		fmt = DV_ZONES_GEOJSON;
	}
	bool single = false;
	if (!list) {
		const char *t = get_str(root, "type");
		if (t && !strcmp(t, "Feature")) single = true;
	}
	if (!single && (!list || !json_object_is_type(list, json_type_array))) {
		json_object_put(root);
		return dv_error_set(DV_EINVAL, name, -1,
		                    "no zone list: expected UASZoneList (ED-269) or features (ED-318, GeoJSON)");
	}
	dv_zones *zs = calloc(1, sizeof(*zs));
	rd r;
	memset(&r, 0, sizeof(r));
	if (!zs || !(zs->source = xstrdup(name)) || dv__geos_init(&r.geos) < 0) {
		if (zs) free(zs->source);
		free(zs);
		json_object_put(root);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	r.zs = zs;
	r.flags = flags;
	r.radius_scale = 1.0;
	zs->format = fmt;
	if (single) {
		read_feature(&r, root, 0, "feature");
	} else {
		size_t n = json_object_array_length(list);
		if (n == 0) {
			r.feature = "";
			snprintf(r.path, sizeof(r.path), "$.%s", lname);
			issue(&r, DV_ZONE_WARNING, NULL, "the zone list is empty");
		}
		for (size_t i = 0; i < n; i++) {
			json_object *f = json_object_array_get_idx(list, i);
			if (fmt != DV_ZONES_ED269 && json_object_is_type(get(f, "geometry"), json_type_array))
				zs->format = DV_ZONES_ED269;
			read_feature(&r, f, i, lname);
		}
	}
	/* duplicate identifiers of different features (sorted: n log n) */
	size_t *ord = zs->nzones > 1 ? malloc(zs->nzones * sizeof(size_t)) : NULL;
	if (ord) {
		for (size_t i = 0; i < zs->nzones; i++) ord[i] = i;
		qsort_r(ord, zs->nzones, sizeof(size_t), cmp_zone_id, zs->zones);
		for (size_t k = 1; k < zs->nzones; k++) {
			const dv_zone *a = &zs->zones[ord[k - 1]], *b = &zs->zones[ord[k]];
			if (a->feature != b->feature && !strcmp(a->identifier, b->identifier)) {
				const dv_zone *later = a->feature > b->feature ? a : b, *earlier = later == a ? b : a;
				r.feature = later->identifier;
				snprintf(r.path, sizeof(r.path), "$.%s[%zu]", lname, later->feature);
				issue(&r, DV_ZONE_WARNING, NULL, "identifier also used by feature %zu", earlier->feature);
			}
		}
		free(ord);
	}
	dv__geos_finish(&r.geos);
	json_object_put(root);
	*out = zs;
	return 0;
}

int dv_zones_read(dv_zones **out, const char *path, unsigned flags)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = dv_read_file(&buf, &len, path, DV_ZONES_MAX_BYTES);
	if (rc < 0) return rc;
	rc = dv_zones_parse(out, buf, len, path, flags);
	free(buf);
	return rc;
}
