/*
 * plan.c - route readers: DJI Pilot 2 WPML KMZ, KML/KMZ, GPX, GeoJSON, CSV.
 *
 * Hostile input: KMZ entries are read with a cap on their unpacked size
 * (never trusting the size the archive claims), XML is parsed without
 * network access or entity substitution, JSON with a depth limit, and the
 * point count is capped.
 */
#include "dv/plan.h"

#include <ctype.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "dv/err.h"
#include "dv/util.h"
#include "geo_int.h"

typedef struct rb {
	dv_route *r;
	size_t cap;
	const char *name;
} rb;

const char *dv_route_format_name(dv_route_format f)
{
	switch (f) {
	case DV_ROUTE_DJI_WPML: return "DJI WPML";
	case DV_ROUTE_KML: return "KML";
	case DV_ROUTE_GEOJSON: return "GeoJSON";
	case DV_ROUTE_CSV: return "CSV";
	case DV_ROUTE_GPX: return "GPX";
	default: return "auto";
	}
}

void dv_route_free(dv_route *r)
{
	if (!r) return;
	free(r->pts);
	free(r->source);
	free(r->name);
	free(r);
}

static char *sdup(const char *s, size_t max)
{
	if (!s) return NULL;
	size_t n = strnlen(s, max);
	char *d = malloc(n + 1);
	if (!d) return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static int check_point(const dv_route_point *p, const char *name, size_t i)
{
	if (!(p->lon >= -180 && p->lon <= 180 && p->lat >= -90 && p->lat <= 90))
		return dv_error_set(DV_EINVAL, name, -1, "point %zu: position %.7f, %.7f out of range", i + 1,
		                    p->lon, p->lat);
	if (!isfinite(p->alt) || fabs(p->alt) > 1e6)
		return dv_error_set(DV_EINVAL, name, -1, "point %zu: altitude is not a plausible number", i + 1);
	/* 1900..2200: keeps every later time computation (ns for ISO text) in range */
	if (p->time_ms != DV_GEO_TIME_NONE && (p->time_ms < -2208988800000LL || p->time_ms > 7258118400000LL))
		return dv_error_set(DV_EINVAL, name, -1, "point %zu: time outside the years 1900-2200", i + 1);
	if (fabs(p->lat) > 89.5)
		return dv_error_set(DV_EUNSUPPORTED, name, -1, "point %zu: within half a degree of a pole: not supported", i + 1);
	return 0;
}

static int add_pt(rb *b, double lon, double lat, double alt, dv_vref ref, int64_t tms)
{
	dv_route *r = b->r;
	if (r->npts >= DV_ROUTE_MAX_POINTS)
		return dv_error_set(DV_ENOMEM, b->name, -1, "more than %u points", DV_ROUTE_MAX_POINTS);
	if (dv__grow((void **)&r->pts, &b->cap, r->npts, sizeof(dv_route_point), DV_ROUTE_MAX_POINTS) < 0)
		return dv_error_set(DV_ENOMEM, b->name, -1, "out of memory");
	dv_route_point *p = &r->pts[r->npts];
	p->lon = lon;
	p->lat = lat;
	p->alt = ref == DV_VREF_NONE ? 0 : alt;
	p->ref = ref;
	p->time_ms = tms;
	p->speed = 0;
	int rc = check_point(p, b->name, r->npts);
	if (rc < 0) return rc;
	r->npts++;
	return 0;
}

/* a number in s[0..n) (copied: the input is not NUL-terminated in general) */
static int num(const char *s, size_t n, double *out)
{
	char tmp[64];
	while (n && isspace((unsigned char)*s)) { s++; n--; }
	while (n && isspace((unsigned char)s[n - 1])) n--;
	if (n == 0 || n >= sizeof(tmp)) return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	*out = strtod(tmp, &end);
	return *end == 0 && isfinite(*out) ? 0 : -1;
}

static int time_of(const char *s, size_t n, int64_t *out_ms)
{
	char tmp[64];
	while (n && isspace((unsigned char)*s)) { s++; n--; }
	while (n && isspace((unsigned char)s[n - 1])) n--;
	if (n == 0 || n >= sizeof(tmp)) return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	double d;
	if (num(tmp, n, &d) == 0) { /* seconds since the epoch */
		if (fabs(d) > 1e12) return -1;
		*out_ms = (int64_t)llround(d * 1000.0);
		return 0;
	}
	int64_t t;
	if (dv_geo_parse_time(tmp, &t) < 0) return -1;
	int64_t ms = 0;
	const char *dot = strchr(tmp, '.');
	if (dot && strchr(tmp, 'T') && dot > strchr(tmp, 'T')) {
		int scale = 100;
		for (const char *q = dot + 1; *q >= '0' && *q <= '9' && scale; q++, scale /= 10) ms += (*q - '0') * scale;
	}
	*out_ms = t * 1000 + ms;
	return 0;
}

/* ---- XML: KML, DJI WPML, GPX --------------------------------------------- */

static bool is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is(c, name)) return c;
	return NULL;
}

/* text of an element (owned by libxml2's allocator: xmlFree) */
static char *text(const xmlNode *n)
{
	return n ? (char *)xmlNodeGetContent(n) : NULL;
}

static int child_num(const xmlNode *n, const char *name, double *out)
{
	char *t = text(child(n, name));
	if (!t) return 0;
	int rc = num(t, strlen(t), out);
	xmlFree(t);
	return rc < 0 ? -1 : 1;
}

/* "lon,lat[,alt] lon,lat[,alt] ..." */
static int kml_coords(rb *b, const char *s, dv_vref ref)
{
	const char *p = s;
	while (*p) {
		while (*p && isspace((unsigned char)*p)) p++;
		if (!*p) break;
		const char *e = p;
		while (*e && !isspace((unsigned char)*e)) e++;
		double v[3] = { 0, 0, 0 };
		int nv = 0;
		const char *q = p;
		while (q < e && nv < 3) {
			const char *c = memchr(q, ',', (size_t)(e - q));
			const char *ce = c ? c : e;
			if (num(q, (size_t)(ce - q), &v[nv++]) < 0)
				return dv_error_set(DV_EINVAL, b->name, -1, "bad KML coordinate '%.40s'", p);
			q = c ? c + 1 : e;
		}
		if (nv < 2) return dv_error_set(DV_EINVAL, b->name, -1, "bad KML coordinate '%.40s'", p);
		int rc = add_pt(b, v[0], v[1], v[2], nv == 3 ? ref : DV_VREF_NONE, DV_GEO_TIME_NONE);
		if (rc < 0) return rc;
		p = e;
	}
	return 0;
}

static dv_vref kml_mode(const xmlNode *geom)
{
	char *m = text(child(geom, "altitudeMode"));
	if (!m) m = text(child(geom, "altitudeMode")); /* gx:altitudeMode has the same local name */
	dv_vref ref = DV_VREF_NONE;  /* clampToGround (the default): no altitude */
	if (m) {
		if (!strcmp(m, "absolute")) ref = DV_VREF_AMSL;
		else if (!strcmp(m, "relativeToGround") || !strcmp(m, "relativeToSeaFloor")) ref = DV_VREF_AGL;
		xmlFree(m);
	}
	return ref;
}


static int kml_tracks(rb *b, const xmlNode *n, int depth, int *found)
{
	if (depth > 200) return dv_error_set(DV_EINVAL, b->name, -1, "XML nested too deeply");
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE) continue;
		int rc = 0;
		if (is(c, "LineString") || is(c, "LinearRing")) {
			char *t = text(child(c, "coordinates"));
			if (t) { rc = kml_coords(b, t, kml_mode(c)); xmlFree(t); }
			(*found)++;
		} else if (is(c, "Track")) { /* gx:Track: when + gx:coord "lon lat alt" */
			dv_vref ref = kml_mode(c);
			const xmlNode *w = c->children;
			for (const xmlNode *k = c->children; k && rc == 0; k = k->next) {
				if (!is(k, "coord")) continue;
				while (w && !is(w, "when")) w = w->next;
				int64_t tms = DV_GEO_TIME_NONE;
				if (w) {
					char *wt = text(w);
					if (wt && time_of(wt, strlen(wt), &tms) < 0) tms = DV_GEO_TIME_NONE;
					xmlFree(wt);
					w = w->next;
				}
				char *t = text(k);
				double v[3] = { 0, 0, 0 };
				int nv = 0;
				if (t) {
					char *save = NULL;
					for (char *tok = strtok_r(t, " \t\r\n", &save); tok && nv < 3; tok = strtok_r(NULL, " \t\r\n", &save))
						if (num(tok, strlen(tok), &v[nv++]) < 0) { nv = -1; break; }
					xmlFree(t);
				}
				if (nv < 2) return dv_error_set(DV_EINVAL, b->name, -1, "bad gx:coord");
				rc = add_pt(b, v[0], v[1], v[2], nv == 3 ? ref : DV_VREF_NONE, tms);
			}
			(*found)++;
		} else {
			rc = kml_tracks(b, c->children, depth + 1, found);
		}
		if (rc < 0) return rc;
	}
	return 0;
}

static int kml_points(rb *b, const xmlNode *n, int depth)
{
	if (depth > 200) return dv_error_set(DV_EINVAL, b->name, -1, "XML nested too deeply");
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE) continue;
		int rc = 0;
		if (is(c, "Point")) {
			char *t = text(child(c, "coordinates"));
			if (t) { rc = kml_coords(b, t, kml_mode(c)); xmlFree(t); }
		} else {
			rc = kml_points(b, c->children, depth + 1);
		}
		if (rc < 0) return rc;
	}
	return 0;
}

/* DJI WPML: Placemarks with Point + wpml:index + a height; heights per heightMode */
typedef struct wp { long idx; double lon, lat, alt, speed; bool has_alt; } wp;

static int cmp_wp(const void *x, const void *y)
{
	const wp *a = x, *b = y;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static dv_vref wpml_ref(const char *mode)
{
	if (!mode) return DV_VREF_NONE;
	if (!strcmp(mode, "WGS84")) return DV_VREF_WGS84;
	if (!strcmp(mode, "EGM96")) return DV_VREF_AMSL;
	if (!strcmp(mode, "relativeToStartPoint")) return DV_VREF_TAKEOFF;
	if (!strcmp(mode, "aboveGroundLevel") || !strcmp(mode, "realTimeFollowSurface")) return DV_VREF_AGL;
	return DV_VREF_NONE;
}

static const xmlNode *find(const xmlNode *n, const char *name, int depth)
{
	for (const xmlNode *c = n; c && depth < 200; c = c->next) {
		if (is(c, name)) return c;
		const xmlNode *f = find(c->children, name, depth + 1);
		if (f) return f;
	}
	return NULL;
}

static int wpml_points(rb *b, xmlNode *root, bool waylines)
{
	const xmlNode *folder = find(root, "Folder", 0);
	if (!folder) return dv_error_set(DV_EINVAL, b->name, -1, "WPML without a Folder");
	char *mode = NULL;
	double global_h = NAN;
	if (waylines) {
		mode = text(child(folder, "executeHeightMode"));
	} else {
		mode = text(child(child(folder, "waylineCoordinateSysParam"), "heightMode"));
		child_num(folder, "globalHeight", &global_h);
		char *tt = text(child(folder, "templateType"));
		bool waypoint = !tt || !strcmp(tt, "waypoint");
		if (tt) xmlFree(tt);
		if (!waypoint && !child(folder, "Placemark")) {
			if (mode) xmlFree(mode);
			return dv_error_set(DV_EUNSUPPORTED, b->name, -1,
			                    "template without waypoints (area mapping missions are not supported)");
		}
	}
	dv_vref ref = wpml_ref(mode);
	if (mode) xmlFree(mode);
	double auto_speed = 0;
	if (child_num(folder, "autoFlightSpeed", &auto_speed) != 1 || !(auto_speed > 0 && auto_speed < 100)) auto_speed = 0;
	wp *w = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (const xmlNode *pm = folder->children; pm; pm = pm->next) {
		if (!is(pm, "Placemark")) continue;
		char *t = text(child(child(pm, "Point"), "coordinates"));
		if (!t) continue;
		if ((rc = dv__grow((void **)&w, &cap, n, sizeof(wp), DV_ROUTE_MAX_POINTS)) < 0) { xmlFree(t); break; }
		wp *x = &w[n];
		memset(x, 0, sizeof(*x));
		double v[2];
		char *comma = strchr(t, ',');
		if (!comma || num(t, (size_t)(comma - t), &v[0]) < 0 || num(comma + 1, strcspn(comma + 1, ","), &v[1]) < 0) {
			rc = dv_error_set(DV_EINVAL, b->name, -1, "waypoint %zu: bad coordinates '%.40s'", n, t);
			xmlFree(t);
			break;
		}
		xmlFree(t);
		x->lon = v[0];
		x->lat = v[1];
		double idx = (double)n;
		if (child_num(pm, "index", &idx) < 0 || idx < 0 || idx > 1e9) {
			rc = dv_error_set(DV_EINVAL, b->name, -1, "waypoint %zu: bad wpml:index", n);
			break;
		}
		x->idx = (long)idx;
		double h;
		int k;
		if (waylines) {
			k = child_num(pm, "executeHeight", &h);
		} else {
			double use_global = 0;
			child_num(pm, "useGlobalHeight", &use_global);
			k = use_global == 1 ? 0 : child_num(pm, ref == DV_VREF_WGS84 ? "ellipsoidHeight" : "height", &h);
			if (k == 0 && !isnan(global_h)) { h = global_h; k = 1; }
		}
		if (k < 0) { rc = dv_error_set(DV_EINVAL, b->name, -1, "waypoint %zu: bad height", n); break; }
		x->has_alt = k == 1;
		/* planned speed to the next waypoint: its own, else the mission's */
		double sp = 0, use_global = 0;
		child_num(pm, "useGlobalSpeed", &use_global);
		if (use_global == 1 || child_num(pm, "waypointSpeed", &sp) != 1 || !(sp > 0 && sp < 100)) sp = auto_speed;
		x->speed = sp;
		x->alt = k == 1 ? h : 0;
		n++;
	}
	if (rc == 0 && n == 0) rc = dv_error_set(DV_EINVAL, b->name, -1, "mission has no waypoints");
	if (rc == 0) {
		qsort(w, n, sizeof(wp), cmp_wp);
		for (size_t i = 0; i < n && rc == 0; i++)
			if ((rc = add_pt(b, w[i].lon, w[i].lat, w[i].alt, w[i].has_alt ? ref : DV_VREF_NONE, DV_GEO_TIME_NONE)) == 0)
				b->r->pts[b->r->npts - 1].speed = w[i].speed;
	}
	free(w);
	return rc;
}

static int gpx_points(rb *b, const xmlNode *n, const char *what, int depth)
{
	if (depth > 200) return dv_error_set(DV_EINVAL, b->name, -1, "XML nested too deeply");
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE) continue;
		int rc;
		if (is(c, what)) {
			xmlChar *la = xmlGetProp(c, (const xmlChar *)"lat"), *lo = xmlGetProp(c, (const xmlChar *)"lon");
			double lat, lon, ele = 0;
			int ok = la && lo && num((char *)la, strlen((char *)la), &lat) == 0 &&
			         num((char *)lo, strlen((char *)lo), &lon) == 0;
			xmlFree(la);
			xmlFree(lo);
			if (!ok) return dv_error_set(DV_EINVAL, b->name, (int64_t)xmlGetLineNo(c), "%s without valid lat/lon (offset is the line)", what);
			int k = child_num(c, "ele", &ele);
			if (k < 0) return dv_error_set(DV_EINVAL, b->name, -1, "bad ele");
			int64_t tms = DV_GEO_TIME_NONE;
			char *t = text(child(c, "time"));
			if (t) {
				if (time_of(t, strlen(t), &tms) < 0) {
					rc = dv_error_set(DV_EINVAL, b->name, -1, "bad time '%.40s'", t);
					xmlFree(t);
					return rc;
				}
				xmlFree(t);
			}
			rc = add_pt(b, lon, lat, ele, k == 1 ? DV_VREF_AMSL : DV_VREF_NONE, tms);
		} else {
			rc = gpx_points(b, c->children, what, depth + 1);
		}
		if (rc < 0) return rc;
	}
	return 0;
}

static int parse_xml(rb *b, const char *buf, size_t len, dv_route_format fmt, bool waylines)
{
	if (len > INT32_MAX) return dv_error_set(DV_ENOMEM, b->name, -1, "XML too big");
	xmlDoc *doc = xmlReadMemory(buf, (int)len, NULL, NULL,
	                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return dv_error_set(DV_EINVAL, b->name, -1, "invalid XML%s%s (line %d)", e && e->message ? ": " : "",
		                    e && e->message ? e->message : "", e ? e->line : 0);
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	int rc = 0;
	/* KML, WPML and GPX never need a DTD; refusing one rules out entity expansion attacks */
	if (doc->intSubset || doc->extSubset) rc = dv_error_set(DV_EUNSUPPORTED, b->name, -1, "XML with a DTD is not accepted");
	else if (!root) rc = dv_error_set(DV_EINVAL, b->name, -1, "empty XML document");
	else if (fmt == DV_ROUTE_AUTO) fmt = is(root, "gpx") ? DV_ROUTE_GPX : is(root, "kml") ? DV_ROUTE_KML : DV_ROUTE_AUTO;
	if (rc == 0 && fmt == DV_ROUTE_AUTO)
		rc = dv_error_set(DV_EUNSUPPORTED, b->name, -1, "XML root <%.32s> is neither kml nor gpx", root->name);
	if (rc == 0 && fmt == DV_ROUTE_KML && find(root, "missionConfig", 0) && find(root, "Placemark", 0) &&
	    find(root, "index", 0))
		fmt = DV_ROUTE_DJI_WPML;
	b->r->format = fmt;
	if (rc == 0 && fmt == DV_ROUTE_GPX) {
		const char *kinds[] = { "trkpt", "rtept", "wpt" };
		for (int k = 0; k < 3 && rc == 0 && b->r->npts == 0; k++) rc = gpx_points(b, root, kinds[k], 0);
	} else if (rc == 0 && fmt == DV_ROUTE_DJI_WPML) {
		rc = wpml_points(b, root, waylines);
	} else if (rc == 0) {
		int found = 0;
		rc = kml_tracks(b, root, 0, &found);
		if (rc == 0 && b->r->npts == 0) rc = kml_points(b, root, 0);
	}
	if (rc == 0) {
		const xmlNode *nm = find(root, "name", 0);
		char *t = text(nm);
		if (t) { b->r->name = sdup(t, 200); xmlFree(t); }
	}
	xmlFreeDoc(doc);
	return rc;
}

/* ---- KMZ ------------------------------------------------------------------ */

static int zip_entry(zip_t *za, zip_int64_t idx, const char *name, char **out, size_t *outlen)
{
	zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	if (!zf) return dv_error_set(DV_EINVAL, name, -1, "cannot open KMZ entry: %s", zip_strerror(za));
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	int rc = 0;
	while (buf) {
		if (n == cap) {
			if (cap >= DV_ROUTE_MAX_UNZIPPED) {
				rc = dv_error_set(DV_ENOMEM, name, -1, "KMZ entry unpacks to more than %u bytes", DV_ROUTE_MAX_UNZIPPED);
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) break;
			buf = nb;
		}
		zip_int64_t got = zip_fread(zf, buf + n, cap - n);
		if (got < 0) { rc = dv_error_set(DV_ECORRUPT, name, -1, "KMZ entry is corrupt: %s", zip_file_strerror(zf)); break; }
		if (got == 0) break;
		n += (size_t)got;
	}
	zip_fclose(zf);
	if (!buf) return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	if (rc < 0) { free(buf); return rc; }
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
}

static int parse_kmz(rb *b, const void *data, size_t len, dv_route_format fmt)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src) { zip_error_fini(&ze); return dv_error_set(DV_ENOMEM, b->name, -1, "out of memory"); }
	zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!za) {
		int rc = dv_error_set(DV_EINVAL, b->name, -1, "not a valid KMZ (zip): %s", zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	zip_int64_t idx = -1;
	bool waylines = false;
	if (fmt == DV_ROUTE_AUTO || fmt == DV_ROUTE_DJI_WPML) {
		idx = zip_name_locate(za, "wpmz/waylines.wpml", 0);
		waylines = idx >= 0;
		if (idx < 0) idx = zip_name_locate(za, "wpmz/template.kml", 0);
		if (idx >= 0) fmt = DV_ROUTE_DJI_WPML;
	}
	if (idx < 0) {
		zip_int64_t ne = zip_get_num_entries(za, 0);
		for (zip_int64_t i = 0; i < ne && i < 10000; i++) {
			const char *nm = zip_get_name(za, (zip_uint64_t)i, 0);
			size_t l = nm ? strlen(nm) : 0;
			if (l > 4 && !strcasecmp(nm + l - 4, ".kml")) { idx = i; break; }
		}
		fmt = DV_ROUTE_KML;
	}
	int rc;
	if (idx < 0) {
		rc = dv_error_set(DV_EINVAL, b->name, -1, "KMZ holds neither wpmz/waylines.wpml, wpmz/template.kml nor a .kml file");
	} else {
		char *xml = NULL;
		size_t xl = 0;
		rc = zip_entry(za, idx, b->name, &xml, &xl);
		if (rc == 0) {
			rc = parse_xml(b, xml, xl, fmt, waylines);
			if (rc < 0) dv_error_prefix("%s: ", zip_get_name(za, (zip_uint64_t)idx, 0));
		}
		free(xml);
	}
	zip_discard(za);
	return rc;
}

/* ---- GeoJSON -------------------------------------------------------------- */

static dv_vref ref_name(const char *s, dv_vref dflt)
{
	if (!s) return dflt;
	if (!strcasecmp(s, "AGL")) return DV_VREF_AGL;
	if (!strcasecmp(s, "AMSL") || !strcasecmp(s, "MSL") || !strcasecmp(s, "EGM96")) return DV_VREF_AMSL;
	if (!strcasecmp(s, "WGS84") || !strcasecmp(s, "ellipsoid")) return DV_VREF_WGS84;
	if (!strcasecmp(s, "takeoff") || !strcasecmp(s, "relative")) return DV_VREF_TAKEOFF;
	return DV_VREF_NONE;
}

static int gj_pos(rb *b, json_object *pos, dv_vref ref, int64_t tms)
{
	if (!json_object_is_type(pos, json_type_array) || json_object_array_length(pos) < 2)
		return dv_error_set(DV_EINVAL, b->name, -1, "point %zu: position must be [lon, lat(, alt)]", b->r->npts + 1);
	double v[3] = { 0, 0, 0 };
	size_t n = json_object_array_length(pos);
	for (size_t i = 0; i < n && i < 3; i++) {
		json_object *e = json_object_array_get_idx(pos, i);
		if (!json_object_is_type(e, json_type_double) && !json_object_is_type(e, json_type_int))
			return dv_error_set(DV_EINVAL, b->name, -1, "point %zu: coordinate is not a number", b->r->npts + 1);
		v[i] = json_object_get_double(e);
	}
	return add_pt(b, v[0], v[1], v[2], n >= 3 ? ref : DV_VREF_NONE, tms);
}

static int gj_geom(rb *b, json_object *g, json_object *props, int depth)
{
	json_object *t = NULL, *c = NULL, *p = NULL;
	if (depth > 8 || !json_object_is_type(g, json_type_object)) return 0;
	const char *type = json_object_object_get_ex(g, "type", &t) ? json_object_get_string(t) : NULL;
	if (!type) return 0;
	json_object_object_get_ex(g, "coordinates", &c);
	dv_vref ref = DV_VREF_WGS84; /* RFC 7946: height above the ellipsoid */
	json_object *times = NULL;
	if (props && json_object_is_type(props, json_type_object)) {
		if (json_object_object_get_ex(props, "altitudeReference", &p) ||
		    json_object_object_get_ex(props, "altitude_ref", &p)) {
			ref = ref_name(json_object_get_string(p), DV_VREF_NONE);
			if (ref == DV_VREF_NONE)
				return dv_error_set(DV_EINVAL, b->name, -1, "unknown altitude reference '%.32s' (AGL, AMSL, WGS84, takeoff)",
				                    json_object_get_string(p));
		}
		if (!json_object_object_get_ex(props, "times", &times)) json_object_object_get_ex(props, "coordTimes", &times);
		if (times && !json_object_is_type(times, json_type_array)) times = NULL;
	}
	if (!strcmp(type, "Point")) return gj_pos(b, c, ref, DV_GEO_TIME_NONE);
	if (!strcmp(type, "LineString") || !strcmp(type, "MultiPoint")) {
		if (!json_object_is_type(c, json_type_array)) return dv_error_set(DV_EINVAL, b->name, -1, "%s without coordinates", type);
		size_t n = json_object_array_length(c);
		if (times && json_object_array_length(times) != n)
			return dv_error_set(DV_EINVAL, b->name, -1, "times has %zu entries for %zu positions",
			                    json_object_array_length(times), n);
		for (size_t i = 0; i < n; i++) {
			int64_t tms = DV_GEO_TIME_NONE;
			if (times) {
				json_object *te = json_object_array_get_idx(times, i);
				const char *ts = json_object_get_string(te);
				if (!ts || time_of(ts, strlen(ts), &tms) < 0)
					return dv_error_set(DV_EINVAL, b->name, -1, "times[%zu]: bad time", i);
			}
			int rc = gj_pos(b, json_object_array_get_idx(c, i), ref, tms);
			if (rc < 0) return rc;
		}
		return 0;
	}
	if (!strcmp(type, "MultiLineString")) {
		if (!json_object_is_type(c, json_type_array)) return dv_error_set(DV_EINVAL, b->name, -1, "%s without coordinates", type);
		for (size_t k = 0; k < json_object_array_length(c); k++) {
			json_object *l = json_object_array_get_idx(c, k);
			if (!json_object_is_type(l, json_type_array)) return dv_error_set(DV_EINVAL, b->name, -1, "bad MultiLineString");
			for (size_t i = 0; i < json_object_array_length(l); i++) {
				int rc = gj_pos(b, json_object_array_get_idx(l, i), ref, DV_GEO_TIME_NONE);
				if (rc < 0) return rc;
			}
		}
		return 0;
	}
	if (!strcmp(type, "GeometryCollection")) {
		json_object *gs = NULL;
		if (json_object_object_get_ex(g, "geometries", &gs) && json_object_is_type(gs, json_type_array))
			for (size_t i = 0; i < json_object_array_length(gs); i++) {
				int rc = gj_geom(b, json_object_array_get_idx(gs, i), props, depth + 1);
				if (rc < 0) return rc;
			}
		return 0;
	}
	return 0; /* polygons etc. are not routes */
}

static int parse_geojson(rb *b, const char *buf, size_t len)
{
	if (len > INT32_MAX) return dv_error_set(DV_ENOMEM, b->name, -1, "JSON too big");
	json_tokener *tok = json_tokener_new_ex(64);
	if (!tok) return dv_error_set(DV_ENOMEM, b->name, -1, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		if (root) json_object_put(root);
		return dv_error_set(DV_EINVAL, b->name, (int64_t)end, "invalid JSON: %s",
		                    e == json_tokener_continue ? "ends too early" : json_tokener_error_desc(e));
	}
	b->r->format = DV_ROUTE_GEOJSON;
	int rc = 0;
	json_object *t = NULL, *fs = NULL, *g = NULL, *p = NULL;
	const char *type = json_object_object_get_ex(root, "type", &t) ? json_object_get_string(t) : "";
	if (!strcmp(type, "FeatureCollection") && json_object_object_get_ex(root, "features", &fs) &&
	    json_object_is_type(fs, json_type_array)) {
		/* A track written as a LineString plus one Point per fix (as
		 * dronevault's own track writer does): take the Points when they
		 * carry times, else the lines; never both, which would fly the
		 * route twice. */
		size_t nf = json_object_array_length(fs), nlines = 0, ntimed = 0;
		for (size_t i = 0; i < nf; i++) {
			json_object *f = json_object_array_get_idx(fs, i), *gt = NULL, *tt = NULL;
			g = p = NULL;
			json_object_object_get_ex(f, "geometry", &g);
			json_object_object_get_ex(f, "properties", &p);
			const char *k = json_object_object_get_ex(g, "type", &gt) ? json_object_get_string(gt) : "";
			if (k && (!strcmp(k, "LineString") || !strcmp(k, "MultiLineString"))) nlines++;
			if (k && !strcmp(k, "Point") && json_object_object_get_ex(p, "time", &tt) &&
			    json_object_is_type(tt, json_type_string)) ntimed++;
		}
		bool points_only = ntimed > 0, lines_only = !points_only && nlines > 0;
		for (size_t i = 0; i < nf && rc == 0; i++) {
			json_object *f = json_object_array_get_idx(fs, i), *gt = NULL;
			g = p = NULL;
			json_object_object_get_ex(f, "geometry", &g);
			json_object_object_get_ex(f, "properties", &p);
			const char *k = json_object_object_get_ex(g, "type", &gt) ? json_object_get_string(gt) : "";
			bool is_point = k && !strcmp(k, "Point");
			if (points_only && !is_point) continue;
			if (lines_only && is_point) continue;
			if (points_only) {
				json_object *tt = NULL, *tk = NULL;
				int64_t tms = DV_GEO_TIME_NONE;
				const char *kind = json_object_object_get_ex(p, "time_kind", &tk) ? json_object_get_string(tk) : NULL;
				if (json_object_object_get_ex(p, "time", &tt) && json_object_is_type(tt, json_type_string) &&
				    !(kind && !strcmp(kind, "local"))) {
					const char *ts = json_object_get_string(tt);
					if (time_of(ts, strlen(ts), &tms) < 0) {
						rc = dv_error_set(DV_EINVAL, b->name, -1, "features[%zu]: bad time '%.40s'", i, ts);
						break;
					}
				}
				json_object *c = NULL;
				json_object_object_get_ex(g, "coordinates", &c);
				json_object *ar = NULL;
				dv_vref ref = DV_VREF_WGS84;
				if (json_object_object_get_ex(p, "altitudeReference", &ar))
					ref = ref_name(json_object_get_string(ar), DV_VREF_WGS84);
				rc = gj_pos(b, c, ref, tms);
				continue;
			}
			rc = gj_geom(b, g, p, 0);
		}
	} else if (!strcmp(type, "Feature")) {
		json_object_object_get_ex(root, "geometry", &g);
		json_object_object_get_ex(root, "properties", &p);
		rc = gj_geom(b, g, p, 0);
	} else {
		rc = gj_geom(b, root, NULL, 0);
	}
	json_object_put(root);
	return rc;
}

/* ---- CSV ------------------------------------------------------------------ */

enum { C_LAT, C_LON, C_ALT, C_TIME, C_REF, C_KIND, C_N };

static int parse_csv(rb *b, const char *buf, size_t len)
{
	b->r->format = DV_ROUTE_CSV;
	const char *p = buf, *end = buf + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) p += 3;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *hend = nl ? nl : end;
	char sep = memchr(p, ';', (size_t)(hend - p)) && !memchr(p, ',', (size_t)(hend - p)) ? ';' : ',';
	int col[C_N] = { -1, -1, -1, -1, -1, -1 };
	dv_vref alt_ref = DV_VREF_AMSL;
	int ncol = 0;
	for (const char *f = p; f <= hend && ncol < 256; ncol++) {
		const char *fe = memchr(f, sep, (size_t)(hend - f));
		if (!fe) fe = hend;
		char h[48];
		size_t hl = (size_t)(fe - f);
		while (hl && (f[hl - 1] == '\r' || f[hl - 1] == ' ' || f[hl - 1] == '"')) hl--;
		while (hl && (*f == ' ' || *f == '"')) { f++; hl--; }
		if (hl >= sizeof(h)) hl = sizeof(h) - 1;
		for (size_t i = 0; i < hl; i++) h[i] = (char)tolower((unsigned char)f[i]);
		h[hl] = 0;
		if (!strcmp(h, "lat") || !strcmp(h, "latitude")) col[C_LAT] = ncol;
		else if (!strcmp(h, "lon") || !strcmp(h, "lng") || !strcmp(h, "long") || !strcmp(h, "longitude")) col[C_LON] = ncol;
		else if (!strcmp(h, "time") || !strcmp(h, "timestamp") || !strcmp(h, "datetime")) col[C_TIME] = ncol;
		else if (!strcmp(h, "time_kind")) col[C_KIND] = ncol; /* dronevault track CSV: utc, local, none */
		else if (!strcmp(h, "ref") || !strcmp(h, "altitude_ref") || !strcmp(h, "alt_ref")) col[C_REF] = ncol;
		else if (col[C_ALT] < 0) {
			static const struct { const char *n; dv_vref r; } alts[] = {
				{ "alt", DV_VREF_AMSL }, { "altitude", DV_VREF_AMSL }, { "alt_amsl", DV_VREF_AMSL },
				{ "alt_msl", DV_VREF_AMSL }, { "ele", DV_VREF_AMSL }, { "elevation", DV_VREF_AMSL },
				{ "alt_agl", DV_VREF_AGL }, { "agl", DV_VREF_AGL }, { "alt_wgs84", DV_VREF_WGS84 },
				{ "ellipsoid_height", DV_VREF_WGS84 }, { "height", DV_VREF_TAKEOFF },
				{ "rel_alt", DV_VREF_TAKEOFF }, { "relative_altitude", DV_VREF_TAKEOFF },
			};
			for (size_t i = 0; i < sizeof(alts) / sizeof(alts[0]); i++)
				if (!strcmp(h, alts[i].n)) { col[C_ALT] = ncol; alt_ref = alts[i].r; }
		}
		f = fe + 1;
	}
	if (col[C_LAT] < 0 || col[C_LON] < 0)
		return dv_error_set(DV_EINVAL, b->name, 0, "CSV header must name lat/latitude and lon/lng/longitude columns");
	size_t line = 1;
	for (p = nl ? nl + 1 : end; p < end; line++) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		if (!le) le = end;
		const char *fl[C_N] = { 0 };
		size_t fn[C_N] = { 0 };
		bool blank = true;
		for (const char *q = p; q < le; q++) if (!isspace((unsigned char)*q)) { blank = false; break; }
		if (!blank) {
			int c = 0;
			for (const char *f = p; f <= le && c < 256; c++) {
				const char *fe = memchr(f, sep, (size_t)(le - f));
				if (!fe) fe = le;
				for (int k = 0; k < C_N; k++)
					if (col[k] == c) { fl[k] = f; fn[k] = (size_t)(fe - f); }
				f = fe + 1;
			}
			double lat, lon, alt = 0;
			int64_t tms = DV_GEO_TIME_NONE;
			dv_vref ref = col[C_ALT] >= 0 ? alt_ref : DV_VREF_NONE;
			/* a row without a fix (dronevault track CSV writes empty lat and lon) */
			if (fl[C_LAT] && fl[C_LON] && fn[C_LAT] == 0 && fn[C_LON] == 0) { p = le + 1; continue; }
			if (!fl[C_LAT] || !fl[C_LON] || num(fl[C_LAT], fn[C_LAT], &lat) < 0 || num(fl[C_LON], fn[C_LON], &lon) < 0)
				return dv_error_set(DV_EINVAL, b->name, (int64_t)(p - buf), "line %zu: bad or missing lat/lon", line);
			if (fl[C_ALT] && fn[C_ALT] && num(fl[C_ALT], fn[C_ALT], &alt) < 0)
				return dv_error_set(DV_EINVAL, b->name, (int64_t)(p - buf), "line %zu: bad altitude", line);
			/* a local wall-clock time (zone unknown) is not an instant: left out */
			bool local = fl[C_KIND] && fn[C_KIND] >= 5 && !strncmp(fl[C_KIND], "local", 5);
			if (!local && fl[C_TIME] && fn[C_TIME] && time_of(fl[C_TIME], fn[C_TIME], &tms) < 0)
				return dv_error_set(DV_EINVAL, b->name, (int64_t)(p - buf), "line %zu: bad time", line);
			if (fl[C_REF] && fn[C_REF]) {
				char rs[16];
				size_t rl = fn[C_REF] < sizeof(rs) - 1 ? fn[C_REF] : sizeof(rs) - 1;
				memcpy(rs, fl[C_REF], rl);
				while (rl && isspace((unsigned char)rs[rl - 1])) rl--;
				rs[rl] = 0;
				ref = ref_name(rs, DV_VREF_NONE);
				if (ref == DV_VREF_NONE)
					return dv_error_set(DV_EINVAL, b->name, (int64_t)(p - buf), "line %zu: unknown altitude reference '%s'", line, rs);
			}
			int rc = add_pt(b, lon, lat, alt, ref, tms);
			if (rc < 0) { dv_error_prefix("line %zu: ", line); return rc; }
		}
		p = le + 1;
	}
	return 0;
}

/* ---- entry points --------------------------------------------------------- */

int dv_route_parse(dv_route **out, const void *data, size_t len, const char *name, dv_route_format fmt)
{
	*out = NULL;
	if (!name) name = "route";
	if (len > DV_ROUTE_MAX_BYTES)
		return dv_error_set(DV_ENOMEM, name, -1, "route file is %zu bytes, limit %u", len, DV_ROUTE_MAX_BYTES);
	dv_route *r = calloc(1, sizeof(*r));
	if (!r || !(r->source = sdup(name, 4096))) {
		free(r);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	rb b = { r, 0, r->source };
	const char *buf = data;
	size_t i = 0;
	while (i < len && isspace((unsigned char)buf[i])) i++;
	int rc;
	if (len >= 4 && !memcmp(buf, "PK\x03\x04", 4) &&
	    (fmt == DV_ROUTE_AUTO || fmt == DV_ROUTE_DJI_WPML || fmt == DV_ROUTE_KML)) {
		rc = parse_kmz(&b, data, len, fmt);
	} else if (fmt == DV_ROUTE_GEOJSON || (fmt == DV_ROUTE_AUTO && i < len && (buf[i] == '{' || buf[i] == '['))) {
		rc = parse_geojson(&b, buf, len);
	} else if (fmt == DV_ROUTE_GPX || fmt == DV_ROUTE_KML || fmt == DV_ROUTE_DJI_WPML ||
	           (fmt == DV_ROUTE_AUTO && i < len && buf[i] == '<')) {
		rc = parse_xml(&b, buf, len, fmt, true);
	} else {
		rc = parse_csv(&b, buf, len);
	}
	if (rc == 0 && r->npts == 0)
		rc = dv_error_set(DV_EINVAL, name, -1, "no route points found (%s)", dv_route_format_name(r->format));
	if (rc < 0) {
		dv_route_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int dv_route_read(dv_route **out, const char *path, dv_route_format fmt)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = dv_read_file(&buf, &len, path, DV_ROUTE_MAX_BYTES);
	if (rc < 0) return rc;
	rc = dv_route_parse(out, buf, len, path, fmt);
	free(buf);
	return rc;
}

int dv_route_schedule(dv_route *r, int64_t start, double default_mps)
{
	size_t timed = 0;
	for (size_t i = 0; i < r->npts; i++) timed += r->pts[i].time_ms != DV_GEO_TIME_NONE;
	if (timed == r->npts) return 0;
	if (start < -2208988800LL || start > 7258118400LL)
		return dv_error_set(DV_EINVAL, r->source, -1, "start time outside the years 1900-2200");
	double t = (double)start * 1000.0;
	for (size_t i = 0; i < r->npts; i++) {
		if (i > 0) {
			const dv_route_point *a = &r->pts[i - 1], *b = &r->pts[i];
			double d = dv_geo_distance(a->lon, a->lat, b->lon, b->lat);
			if (a->ref == b->ref && a->ref != DV_VREF_NONE) d = hypot(d, b->alt - a->alt);
			double v = a->speed > 0 ? a->speed : default_mps;
			if (!(v > 0))
				return dv_error_set(DV_EINVAL, r->source, -1, "leg %zu has no planned speed", i);
			t += d / v * 1000.0;
			if (t > 7258118400000.0)
				return dv_error_set(DV_EINVAL, r->source, -1, "leg %zu ends after the year 2200", i);
		}
		r->pts[i].time_ms = (int64_t)llround(t);
	}
	return 0;
}

int dv_route_from_points(dv_route **out, const dv_route_point *pts, size_t n, const char *name)
{
	*out = NULL;
	if (!name) name = "track";
	if (n == 0) return dv_error_set(DV_EINVAL, name, -1, "track has no points");
	if (n > DV_ROUTE_MAX_POINTS) return dv_error_set(DV_ENOMEM, name, -1, "more than %u points", DV_ROUTE_MAX_POINTS);
	for (size_t i = 0; i < n; i++) {
		int rc = check_point(&pts[i], name, i);
		if (rc < 0) return rc;
	}
	dv_route *r = calloc(1, sizeof(*r));
	if (!r || !(r->source = sdup(name, 4096)) || !(r->pts = malloc(n * sizeof(*pts)))) {
		if (r) free(r->source);
		free(r);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	memcpy(r->pts, pts, n * sizeof(*pts));
	r->npts = n;
	*out = r;
	return 0;
}
