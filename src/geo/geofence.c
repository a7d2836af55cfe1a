/*
 * geofence.c - the check engine: an STRtree of zone envelopes, prepared
 * GEOS polygons, geodesic circles, and the walk along a route that turns
 * per-segment intervals into entry/exit events.
 */
#include "dv/geofence.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

#include "dv/dem.h"
#include "dv/err.h"
#include "geo_int.h"

#define EPS_T 1e-9
#define GRID_N 512

struct dv_geofence {
	dv__geos g;
	const dv_zones *zs;
	GEOSGeometry **geoms;                 /* polygon per zone, NULL for circles */
	const GEOSPreparedGeometry **prep;
	GEOSGeometry **envs;                  /* envelope per zone (tree items' keys) */
	size_t *ids;
	GEOSSTRtree *tree;
	dv_dem *dem;                          /* borrowed, or NULL */
	/* occupancy grid over all zone boxes: a point in an empty cell meets no
	 * zone, and skips the tree (most points of a track are nowhere near) */
	double gx0, gy0, gcw, gch;
	uint8_t *grid;                        /* GRID_N x GRID_N bits */
	/* EGM96 geoid through PROJ, made on first need */
	bool geoid_tried;
	PJ_CONTEXT *pj_ctx;
	PJ *geoid;
	/* query scratch */
	size_t *cand;
	size_t ncand, capcand;
	int cand_err;
};

void dv_geofence_free(dv_geofence *gf)
{
	if (!gf) return;
	GEOSContextHandle_t h = gf->g.h;
	if (gf->tree) GEOSSTRtree_destroy_r(h, gf->tree);
	size_t n = gf->zs ? gf->zs->nzones : 0;
	for (size_t i = 0; i < n; i++) {
		if (gf->prep && gf->prep[i]) GEOSPreparedGeom_destroy_r(h, gf->prep[i]);
		if (gf->geoms && gf->geoms[i]) GEOSGeom_destroy_r(h, gf->geoms[i]);
		if (gf->envs && gf->envs[i]) GEOSGeom_destroy_r(h, gf->envs[i]);
	}
	free(gf->prep);
	free(gf->geoms);
	free(gf->envs);
	free(gf->ids);
	free(gf->cand);
	free(gf->grid);
	if (gf->geoid) proj_destroy(gf->geoid);
	if (gf->pj_ctx) proj_context_destroy(gf->pj_ctx);
	dv__geos_finish(&gf->g);
	free(gf);
}

int dv_geofence_new(dv_geofence **out, const dv_zones *zs)
{
	*out = NULL;
	dv_geofence *gf = calloc(1, sizeof(*gf));
	if (!gf) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (dv__geos_init(&gf->g) < 0) { free(gf); return DV_ENOMEM; }
	gf->zs = zs;
	size_t n = zs->nzones;
	GEOSContextHandle_t h = gf->g.h;
	gf->geoms = calloc(n ? n : 1, sizeof(*gf->geoms));
	gf->prep = calloc(n ? n : 1, sizeof(*gf->prep));
	gf->envs = calloc(n ? n : 1, sizeof(*gf->envs));
	gf->ids = calloc(n ? n : 1, sizeof(*gf->ids));
	gf->tree = GEOSSTRtree_create_r(h, 10);
	if (!gf->geoms || !gf->prep || !gf->envs || !gf->ids || !gf->tree) {
		dv_geofence_free(gf);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const dv_zone *z = &zs->zones[i];
		gf->ids[i] = i;
		if (z->shape == DV_ZONE_POLYGON) {
			gf->geoms[i] = dv__zone_polygon(&gf->g, z);
			if (gf->geoms[i]) gf->prep[i] = GEOSPrepare_r(h, gf->geoms[i]);
			if (!gf->geoms[i] || !gf->prep[i]) {
				int rc = dv_error_set(DV_ENOMEM, zs->source, -1, "zone %s: cannot index polygon: %s",
				                      z->identifier, gf->g.msg);
				dv_geofence_free(gf);
				return rc;
			}
		}
		gf->envs[i] = GEOSGeom_createRectangle_r(h, z->min_lon, z->min_lat, z->max_lon, z->max_lat);
		if (!gf->envs[i]) {
			dv_geofence_free(gf);
			return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		}
		GEOSSTRtree_insert_r(h, gf->tree, gf->envs[i], &gf->ids[i]);
	}
	/* the occupancy grid */
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		const dv_zone *z = &zs->zones[i];
		x0 = fmin(x0, z->min_lon); y0 = fmin(y0, z->min_lat);
		x1 = fmax(x1, z->max_lon); y1 = fmax(y1, z->max_lat);
	}
	if (n && x1 > x0 && y1 > y0 && (gf->grid = calloc(GRID_N * GRID_N / 8, 1))) {
		gf->gx0 = x0;
		gf->gy0 = y0;
		gf->gcw = (x1 - x0) / GRID_N;
		gf->gch = (y1 - y0) / GRID_N;
		for (size_t i = 0; i < n; i++) {
			const dv_zone *z = &zs->zones[i];
			int cx0 = (int)floor((z->min_lon - x0) / gf->gcw), cx1 = (int)floor((z->max_lon - x0) / gf->gcw);
			int cy0 = (int)floor((z->min_lat - y0) / gf->gch), cy1 = (int)floor((z->max_lat - y0) / gf->gch);
			if (cx0 < 0) cx0 = 0;
			if (cy0 < 0) cy0 = 0;
			if (cx1 > GRID_N - 1) cx1 = GRID_N - 1;
			if (cy1 > GRID_N - 1) cy1 = GRID_N - 1;
			for (int cy = cy0; cy <= cy1; cy++)
				for (int cx = cx0; cx <= cx1; cx++)
					gf->grid[(cy * GRID_N + cx) >> 3] |= (uint8_t)(1u << (cx & 7));
		}
	}
	*out = gf;
	return 0;
}

/* false when no zone box can hold the point */
static bool grid_maybe(const dv_geofence *gf, double x, double y)
{
	if (!gf->grid) return gf->zs->nzones > 0;
	int cx = (int)floor((x - gf->gx0) / gf->gcw), cy = (int)floor((y - gf->gy0) / gf->gch);
	if (cx < 0 || cy < 0 || cx > GRID_N || cy > GRID_N) return false;
	/* the far edge of the last row/column belongs to it */
	if (cx == GRID_N) cx--;
	if (cy == GRID_N) cy--;
	return gf->grid[(cy * GRID_N + cx) >> 3] & (1u << (cx & 7));
}

static void collect(void *item, void *userdata)
{
	dv_geofence *gf = userdata;
	if (dv__grow((void **)&gf->cand, &gf->capcand, gf->ncand, sizeof(size_t), SIZE_MAX / 16) < 0) {
		gf->cand_err = 1;
		return;
	}
	gf->cand[gf->ncand++] = *(size_t *)item;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * candidates whose box meets the box (in gf->cand; sorted when asked).
 * When keep is not NULL and the box is a point, the query point is
 * handed back (the caller destroys it) for the containment tests.
 */
static int query_box(dv_geofence *gf, double x0, double y0, double x1, double y1, bool sorted,
                     GEOSGeometry **keep)
{
	GEOSContextHandle_t h = gf->g.h;
	GEOSGeometry *q;
	bool point = x0 == x1 && y0 == y1;
	if (point) q = GEOSGeom_createPointFromXY_r(h, x0, y0);
	else q = GEOSGeom_createRectangle_r(h, fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1));
	if (!q) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	gf->ncand = 0;
	gf->cand_err = 0;
	GEOSSTRtree_query_r(h, gf->tree, q, collect, gf);
	if (gf->cand_err) {
		GEOSGeom_destroy_r(h, q); /* not handed to *keep: the caller returns at once */
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	if (keep && point) *keep = q;
	else GEOSGeom_destroy_r(h, q);
	if (sorted && gf->ncand > 1) qsort(gf->cand, gf->ncand, sizeof(size_t), cmp_size);
	return 0;
}

/*
 * Geodesic circle test with a cheap filter: for circles up to 50 km the
 * local flat-earth distance (meridian and prime-vertical radii at the
 * mid-latitude) is within 0.1 % of the geodesic one, so points outside a
 * 1 % band around the edge are decided without the geodesic.
 */
static bool circle_contains(const dv_zone *z, double lon, double lat)
{
	if (z->radius_m <= 50000) {
		const double a = 6378137.0, e2 = 6.69437999014e-3, d2r = M_PI / 180;
		double phi = (lat + z->lat) * 0.5 * d2r, s = sin(phi), w = 1 - e2 * s * s;
		double n = a / sqrt(w), m = a * (1 - e2) / (w * sqrt(w));
		double dx = (lon - z->lon) * d2r * n * cos(phi), dy = (lat - z->lat) * d2r * m;
		double d2 = dx * dx + dy * dy, r = z->radius_m;
		if (d2 > r * r * 1.0201) return false;   /* beyond 1.01 r */
		if (d2 < r * r * 0.9801) return true;    /* within 0.99 r */
	}
	return dv_geo_distance(z->lon, z->lat, lon, lat) <= z->radius_m;
}

int dv_geofence_point(dv_geofence *gf, double lon, double lat,
                      void (*fn)(size_t zone, void *payload), void *payload)
{
	if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
		return dv_error_set(DV_EINVAL, NULL, -1, "point %f, %f out of range", lon, lat);
	if (!grid_maybe(gf, lon, lat)) return 0;
	GEOSGeometry *pt = NULL;
	int rc = query_box(gf, lon, lat, lon, lat, false, &pt);
	if (rc < 0) return rc;
	GEOSContextHandle_t h = gf->g.h;
	int found = 0;
	for (size_t k = 0; k < gf->ncand; k++) {
		size_t i = gf->cand[k];
		const dv_zone *z = &gf->zs->zones[i];
		bool in;
		if (z->shape == DV_ZONE_CIRCLE) {
			in = circle_contains(z, lon, lat);
		} else {
			if (!pt && !(pt = GEOSGeom_createPointFromXY_r(h, lon, lat)))
				return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			char r = GEOSPreparedIntersects_r(h, gf->prep[i], pt);
			if (r == 2) {
				GEOSGeom_destroy_r(h, pt);
				return dv_error_set(DV_ERROR, NULL, -1, "GEOS: %s", gf->g.msg);
			}
			in = r == 1;
		}
		if (in) {
			found++;
			if (fn) fn(i, payload);
		}
	}
	if (pt) GEOSGeom_destroy_r(h, pt);
	return found;
}

/* ---- intervals along one segment ------------------------------------------ */

typedef struct ival { double a, b; } ival;

typedef struct ivals {
	ival *v;
	size_t n, cap;
} ivals;

static int iv_add(ivals *s, double a, double b)
{
	if (a > b) { double t = a; a = b; b = t; }
	if (a < 0) a = 0;
	if (b > 1) b = 1;
	if (dv__grow((void **)&s->v, &s->cap, s->n, sizeof(ival), 1u << 20) < 0) return -1;
	s->v[s->n].a = a;
	s->v[s->n].b = b;
	s->n++;
	return 0;
}

static int cmp_ival(const void *x, const void *y)
{
	const ival *p = x, *q = y;
	return p->a < q->a ? -1 : p->a > q->a;
}

static void iv_merge(ivals *s)
{
	if (s->n < 2) return;
	qsort(s->v, s->n, sizeof(ival), cmp_ival);
	size_t w = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].a <= s->v[w].b + EPS_T) {
			if (s->v[i].b > s->v[w].b) s->v[w].b = s->v[i].b;
		} else {
			s->v[++w] = s->v[i];
		}
	}
	s->n = w + 1;
}

typedef struct seg {
	double x0, y0, x1, y1;
} seg;

static double seg_t(const seg *s, double x, double y)
{
	double dx = s->x1 - s->x0, dy = s->y1 - s->y0, l2 = dx * dx + dy * dy;
	if (l2 == 0) return 0;
	double t = ((x - s->x0) * dx + (y - s->y0) * dy) / l2;
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

static int add_geom_ivals(GEOSContextHandle_t h, const GEOSGeometry *g, const seg *s, ivals *out, int depth)
{
	if (depth > 4) return 0;
	int type = GEOSGeomTypeId_r(h, g);
	if (type == GEOS_MULTIPOINT || type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION ||
	    type == GEOS_MULTIPOLYGON) {
		int n = GEOSGetNumGeometries_r(h, g);
		for (int i = 0; i < n; i++)
			if (add_geom_ivals(h, GEOSGetGeometryN_r(h, g, i), s, out, depth + 1) < 0) return -1;
		return 0;
	}
	if (type != GEOS_POINT && type != GEOS_LINESTRING) return 0;
	if (GEOSisEmpty_r(h, g)) return 0;
	const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
	unsigned n = 0;
	if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n == 0) return 0;
	double lo = 2, hi = -1;
	for (unsigned i = 0; i < n; i++) {
		double x, y;
		if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y)) return 0;
		double t = seg_t(s, x, y);
		lo = fmin(lo, t);
		hi = fmax(hi, t);
	}
	return iv_add(out, lo, hi);
}

static int polygon_ivals(dv_geofence *gf, size_t zi, const seg *s, ivals *out)
{
	GEOSContextHandle_t h = gf->g.h;
	if (s->x0 == s->x1 && s->y0 == s->y1) {
		GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, s->x0, s->y0);
		if (!pt) return -1;
		char r = GEOSPreparedIntersects_r(h, gf->prep[zi], pt);
		GEOSGeom_destroy_r(h, pt);
		if (r == 2) return -1;
		return r == 1 ? iv_add(out, 0, 1) : 0;
	}
	GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
	if (!cs) return -1;
	GEOSCoordSeq_setXY_r(h, cs, 0, s->x0, s->y0);
	GEOSCoordSeq_setXY_r(h, cs, 1, s->x1, s->y1);
	GEOSGeometry *line = GEOSGeom_createLineString_r(h, cs);
	if (!line) return -1;
	int rc = 0;
	char r = GEOSPreparedIntersects_r(h, gf->prep[zi], line);
	if (r == 1) {
		char c = GEOSPreparedContains_r(h, gf->prep[zi], line);
		if (c == 1) {
			rc = iv_add(out, 0, 1);
		} else {
			GEOSGeometry *x = GEOSIntersection_r(h, gf->geoms[zi], line);
			if (!x) rc = -1;
			else {
				rc = add_geom_ivals(h, x, s, out, 0);
				GEOSGeom_destroy_r(h, x);
			}
		}
	} else if (r == 2) {
		rc = -1;
	}
	GEOSGeom_destroy_r(h, line);
	return rc;
}

static double circle_f(const dv_zone *z, const seg *s, double t)
{
	double x = s->x0 + (s->x1 - s->x0) * t, y = s->y0 + (s->y1 - s->y0) * t;
	return dv_geo_distance(z->lon, z->lat, x, y) - z->radius_m;
}

/*
 * Inside a geodesic circle along a lon/lat-linear segment: minimise the
 * distance to the centre (samples, then golden section), then bisect both
 * crossings. The distance is unimodal along such a segment for zones of
 * practical size, so the inside set is one interval.
 */
static int circle_ivals(const dv_zone *z, const seg *s, ivals *out)
{
	if (s->x0 == s->x1 && s->y0 == s->y1)
		return circle_f(z, s, 0) <= 0 ? iv_add(out, 0, 1) : 0;
	double len = dv_geo_distance(s->x0, s->y0, s->x1, s->y1);
	size_t ns = 8 + (size_t)fmin(2000.0, len / (z->radius_m * 0.25));
	size_t best = 0;
	double fb = INFINITY;
	for (size_t i = 0; i <= ns; i++) {
		double f = circle_f(z, s, (double)i / (double)ns);
		if (f < fb) { fb = f; best = i; }
	}
	double lo = best ? (double)(best - 1) / (double)ns : 0, hi = best < ns ? (double)(best + 1) / (double)ns : 1;
	const double gr = 0.6180339887498949;
	double c = hi - gr * (hi - lo), d = lo + gr * (hi - lo);
	double fc = circle_f(z, s, c), fd = circle_f(z, s, d);
	for (int it = 0; it < 80 && hi - lo > 1e-12; it++) {
		if (fc < fd) { hi = d; d = c; fd = fc; c = hi - gr * (hi - lo); fc = circle_f(z, s, c); }
		else { lo = c; c = d; fc = fd; d = lo + gr * (hi - lo); fd = circle_f(z, s, d); }
	}
	double tm = (lo + hi) / 2, fm = circle_f(z, s, tm);
	if (fb < fm) { fm = fb; tm = (double)best / (double)ns; }
	if (fm > 0) return 0;
	double ta = 0, tb = 1;
	if (circle_f(z, s, 0) > 0) {
		double a = 0, b = tm; /* f(a) > 0 >= f(b) */
		for (int it = 0; it < 64 && b - a > 1e-13; it++) {
			double m = (a + b) / 2;
			if (circle_f(z, s, m) > 0) a = m; else b = m;
		}
		ta = b;
	}
	if (circle_f(z, s, 1) > 0) {
		double a = tm, b = 1; /* f(a) <= 0 < f(b) */
		for (int it = 0; it < 64 && b - a > 1e-13; it++) {
			double m = (a + b) / 2;
			if (circle_f(z, s, m) > 0) b = m; else a = m;
		}
		tb = a;
	}
	return iv_add(out, ta, tb);
}

/* ---- vertical and time ---------------------------------------------------- */

static bool lower_trivial(const dv_zone *z)
{
	return z->lower_m <= DV_ALT_NONE_LOW || (z->lower_ref == DV_VREF_AGL && z->lower_m <= 0);
}

static bool upper_trivial(const dv_zone *z)
{
	return z->upper_m >= DV_ALT_NONE_HIGH;
}

/* what the vertical comparison along one segment needs */
typedef struct vctx {
	dv_geofence *gf;
	const dv_route_point *p0, *p1;
	double takeoff_ground;   /* DEM ground at the route's first point, NAN if unknown */
	double seg_m;            /* segment length in metres */
} vctx;

/* EGM96 geoid undulation N (ellipsoidal height = AMSL + N) from PROJ's
 * egm96_15.gtx (Debian proj-data); false when the grid is not there */
static bool geoid_n(dv_geofence *gf, double lon, double lat, double *n)
{
	if (!gf->geoid_tried) {
		gf->geoid_tried = true;
		gf->pj_ctx = proj_context_create();
		if (gf->pj_ctx) {
			proj_log_level(gf->pj_ctx, PJ_LOG_NONE);
			gf->geoid = proj_create(gf->pj_ctx, "+proj=vgridshift +grids=egm96_15.gtx +multiplier=1");
		}
	}
	if (!gf->geoid) return false;
	PJ_COORD c = proj_coord(lon, lat, 0, 0);
	if (proj_angular_input(gf->geoid, PJ_FWD)) {
		c.lpzt.lam = proj_torad(lon);
		c.lpzt.phi = proj_torad(lat);
	}
	PJ_COORD o = proj_trans(gf->geoid, PJ_FWD, c);
	if (!isfinite(o.lpzt.z) || fabs(o.lpzt.z) > 200) return false;
	*n = o.lpzt.z;
	return true;
}

/* whether an altitude in reference from can be put in reference to at all */
static bool convertible(const vctx *c, dv_vref from, dv_vref to)
{
	if (from == DV_VREF_NONE || to == DV_VREF_NONE) return false;
	if (from == DV_VREF_TAKEOFF) {
		if (isnan(c->takeoff_ground)) return false;
		from = DV_VREF_AMSL;
	}
	if (from == to) return true;
	bool need_dem = from == DV_VREF_AGL || to == DV_VREF_AGL;
	bool need_geoid = from == DV_VREF_WGS84 || to == DV_VREF_WGS84;
	if (need_dem && !c->gf->dem) return false;
	double n;
	if (need_geoid && !geoid_n(c->gf, c->p0->lon, c->p0->lat, &n)) return false;
	return true;
}

/*
 * The route's altitude at t expressed in reference z. Same reference: as
 * is; take-off relative: plus the ground at take-off (DEM); otherwise via
 * AMSL: AGL <-> AMSL through the DEM ground under the point, WGS84 <->
 * AMSL through the EGM96 geoid. *linear says whether the value is linear
 * in t (no DEM or geoid involved).
 */
static bool alt_as(const vctx *c, double t, dv_vref z, double *out, bool *linear)
{
	dv_vref ref = c->p0->ref;
	*linear = true;
	if (ref == DV_VREF_NONE || c->p1->ref != ref) return false;
	double h = c->p0->alt + (c->p1->alt - c->p0->alt) * t;
	if (ref == DV_VREF_TAKEOFF) {
		if (isnan(c->takeoff_ground)) return false;
		h += c->takeoff_ground;
		ref = DV_VREF_AMSL;
	}
	if (ref == z) { *out = h; return true; }
	*linear = false;
	double lon = c->p0->lon + (c->p1->lon - c->p0->lon) * t, lat = c->p0->lat + (c->p1->lat - c->p0->lat) * t;
	double amsl, g, n;
	switch (ref) {
	case DV_VREF_AMSL: amsl = h; break;
	case DV_VREF_WGS84:
		if (!geoid_n(c->gf, lon, lat, &n)) return false;
		amsl = h - n;
		break;
	case DV_VREF_AGL:
		if (!c->gf->dem || dv_dem_elevation(c->gf->dem, lon, lat, &g) < 0) return false;
		amsl = h + g;
		break;
	default: return false;
	}
	switch (z) {
	case DV_VREF_AMSL: *out = amsl; return true;
	case DV_VREF_WGS84:
		if (!geoid_n(c->gf, lon, lat, &n)) return false;
		*out = amsl + n;
		return true;
	case DV_VREF_AGL:
		if (!c->gf->dem || dv_dem_elevation(c->gf->dem, lon, lat, &g) < 0) return false;
		*out = amsl - g;
		return true;
	default: return false;
	}
}

typedef struct vlim { bool used; dv_vref ref; double lim; int sign; } vlim;

/* all usable limits hold at t; *unchecked set when one could not be compared there */
static bool limits_ok(const vctx *c, const vlim *L, double t, bool *unchecked)
{
	for (int k = 0; k < 2; k++) {
		if (!L[k].used) continue;
		double v;
		bool lin;
		if (!alt_as(c, t, L[k].ref, &v, &lin)) { *unchecked = true; continue; }
		if (L[k].sign * (v - L[k].lim) < 0) return false;
	}
	return true;
}

/*
 * Appends the parts of [a,b] where the route is within the zone's vertical
 * limits. Limits that are linear along the segment are solved exactly;
 * with a DEM (ground varies) the segment is sampled about every 10 m and
 * the edges found by bisection. *checked is false when some limit could
 * not be compared (the part is then kept: horizontal only).
 */
static int vertical_parts(const vctx *c, const dv_zone *z, double a, double b, ivals *out, bool *checked)
{
	*checked = true;
	vlim L[2] = {
		{ !lower_trivial(z), z->lower_ref, z->lower_m, +1 },   /* alt >= lower */
		{ !upper_trivial(z), z->upper_ref, z->upper_m, -1 },   /* alt <= upper */
	};
	bool need_samples = false;
	for (int k = 0; k < 2; k++) {
		if (!L[k].used) continue;
		if (!convertible(c, c->p0->ref == c->p1->ref ? c->p0->ref : DV_VREF_NONE, L[k].ref)) {
			/* not convertible at all: this limit is not compared */
			L[k].used = false;
			*checked = false;
			continue;
		}
		dv_vref from = c->p0->ref == DV_VREF_TAKEOFF ? DV_VREF_AMSL : c->p0->ref;
		if (from != L[k].ref) need_samples = true;
	}
	if (!need_samples) {
		double lo = a, hi = b;
		for (int k = 0; k < 2; k++) {
			if (!L[k].used) continue;
			double A0, A1;
			bool lin;
			alt_as(c, 0, L[k].ref, &A0, &lin);
			alt_as(c, 1, L[k].ref, &A1, &lin);
			/* sign * (A0 + (A1 - A0) t - lim) >= 0 */
			double c0 = L[k].sign * (A0 - L[k].lim), c1 = L[k].sign * (A1 - A0);
			if (c1 == 0) {
				if (c0 < 0) return 0;
				continue;
			}
			double t = -c0 / c1;
			if (c1 > 0) lo = fmax(lo, t);
			else hi = fmin(hi, t);
		}
		if (lo > hi + EPS_T) return 0;
		return iv_add(out, lo, fmax(lo, hi));
	}
	/* sampled: ground under the route varies */
	double len = c->seg_m * (b - a);
	size_t n = (size_t)fmin(4000.0, fmax(16.0, len / 10.0));
	bool unchecked = false;
	bool prev = limits_ok(c, L, a, &unchecked);
	double start = prev ? a : -1, tprev = a;
	for (size_t i = 1; i <= n; i++) {
		double t = a + (b - a) * (double)i / (double)n;
		bool ok = limits_ok(c, L, t, &unchecked);
		if (ok != prev) {
			double lo = tprev, hi = t; /* ok(lo) == prev */
			for (int it = 0; it < 40 && hi - lo > 1e-12; it++) {
				double m = (lo + hi) / 2;
				bool u2 = false;
				if (limits_ok(c, L, m, &u2) == prev) lo = m; else hi = m;
			}
			if (ok) start = hi;
			else if (iv_add(out, start, lo) < 0) return -1;
			prev = ok;
		}
		tprev = t;
	}
	if (prev && iv_add(out, start, b) < 0) return -1;
	if (unchecked) *checked = false;
	return 0;
}

static int64_t lerp_time(const dv_route_point *p0, const dv_route_point *p1, double t)
{
	if (p0->time_ms == DV_GEO_TIME_NONE || p1->time_ms == DV_GEO_TIME_NONE) return DV_GEO_TIME_NONE;
	double d = (double)(p1->time_ms - p0->time_ms);
	return p0->time_ms + (int64_t)llround(d * t);
}

/* ---- the walk ------------------------------------------------------------- */

typedef struct walk {
	dv_fence_report *rep;
	size_t cap;
	const dv_route *r;
	const dv_fence_opts *opts;
} walk;

typedef struct zstate {
	bool inside;
	size_t stamp;       /* segment + 1 when handled in that segment */
	dv_fence_vertical vertical;
	dv_fence_timing timing;
	bool entered;
	bool listed;        /* in the inside[] list */
} zstate;

static int emit(walk *w, dv_fence_kind kind, size_t zone, size_t segi, double t,
                dv_fence_vertical v, dv_fence_timing tm, bool at_start)
{
	dv_fence_report *rep = w->rep;
	if (dv__grow((void **)&rep->events, &w->cap, rep->nevents, sizeof(dv_fence_event), DV_FENCE_MAX_EVENTS) < 0)
		return -1;
	const dv_route_point *p0 = &w->r->pts[segi];
	const dv_route_point *p1 = segi + 1 < w->r->npts ? &w->r->pts[segi + 1] : p0;
	dv_fence_event *e = &rep->events[rep->nevents++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->zone = zone;
	e->segment = segi;
	e->frac = t;
	e->lon = p0->lon + (p1->lon - p0->lon) * t;
	e->lat = p0->lat + (p1->lat - p0->lat) * t;
	e->alt = p0->alt + (p1->alt - p0->alt) * t;
	e->alt_ref = p0->ref == p1->ref ? p0->ref : DV_VREF_NONE;
	e->time_ms = lerp_time(p0, p1, t);
	e->vertical = v;
	e->timing = tm;
	e->at_start = at_start;
	if (kind == DV_FENCE_ENTRY) rep->nentries++;
	if (v == DV_FENCE_V_UNCHECKED) rep->horizontal_only = true;
	return 0;
}

static int cmp_event(const void *x, const void *y)
{
	const dv_fence_event *a = x, *b = y;
	if (a->segment != b->segment) return a->segment < b->segment ? -1 : 1;
	if (a->frac != b->frac) return a->frac < b->frac ? -1 : 1;
	if (a->kind != b->kind) return a->kind == DV_FENCE_EXIT ? -1 : 1; /* exits first */
	return a->zone < b->zone ? -1 : a->zone > b->zone;
}

/* timing of a zone over [ta,tb] of the segment: 0 = inactive (drop) */
static int zone_timing(const dv_zone *z, const dv_route_point *p0, const dv_route_point *p1,
                       const dv_fence_opts *opts, double ta, double tb)
{
	int64_t t0 = lerp_time(p0, p1, ta), t1 = lerp_time(p0, p1, tb);
	if (t0 == DV_GEO_TIME_NONE && opts && opts->at != DV_GEO_TIME_NONE) t0 = t1 = opts->at * 1000;
	if (t0 == DV_GEO_TIME_NONE) {
		int a = dv_zone_active(z, DV_GEO_TIME_NONE);
		return a < 0 ? DV_FENCE_T_UNKNOWN : DV_FENCE_T_ACTIVE;
	}
	/* floor division: times before 1970 stay on the right second */
	int64_t s0 = t0 >= 0 ? t0 / 1000 : -((-t0 + 999) / 1000);
	int64_t s1 = t1 >= 0 ? t1 / 1000 : -((-t1 + 999) / 1000);
	if (dv_zone_active(z, s0) == 1 || dv_zone_active(z, s1) == 1) return DV_FENCE_T_ACTIVE;
	return 0;
}

int dv_geofence_check(dv_geofence *gf, const dv_route *r, const dv_fence_opts *opts,
                      dv_fence_report **out)
{
	*out = NULL;
	if (!r || r->npts == 0) return dv_error_set(DV_EINVAL, r ? r->source : NULL, -1, "route has no points");
	size_t nz = gf->zs->nzones;
	dv_fence_report *rep = calloc(1, sizeof(*rep));
	zstate *st = calloc(nz ? nz : 1, sizeof(*st));
	size_t *inside = calloc(nz ? nz : 1, sizeof(size_t));
	size_t ninside = 0;
	ivals iv = { 0 }, vp = { 0 };
	double takeoff_ground = NAN;
	if (gf->dem && r->pts[0].ref == DV_VREF_TAKEOFF &&
	    dv_dem_elevation(gf->dem, r->pts[0].lon, r->pts[0].lat, &takeoff_ground) < 0)
		takeoff_ground = NAN;
	walk w = { rep, 0, r, opts };
	int rc = 0;
	if (!rep || !st || !inside) { rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory"); goto out; }
	size_t nseg = r->npts > 1 ? r->npts - 1 : 1;
	for (size_t si = 0; si < nseg; si++) {
		const dv_route_point *p0 = &r->pts[si];
		const dv_route_point *p1 = r->npts > 1 ? &r->pts[si + 1] : p0;
		seg s = { p0->lon, p0->lat, p1->lon, p1->lat };
		vctx vc = { gf, p0, p1, takeoff_ground, dv_geo_distance(s.x0, s.y0, s.x1, s.y1) };
		size_t ev0 = rep->nevents;
		if ((rc = query_box(gf, s.x0, s.y0, s.x1, s.y1, true, NULL)) < 0) goto out;
		for (size_t k = 0; k < gf->ncand; k++) {
			size_t zi = gf->cand[k];
			const dv_zone *z = &gf->zs->zones[zi];
			iv.n = 0;
			int e = z->shape == DV_ZONE_CIRCLE ? circle_ivals(z, &s, &iv) : polygon_ivals(gf, zi, &s, &iv);
			if (e < 0) { rc = dv_error_set(DV_ENOMEM, NULL, -1, "zone %s: geometry failure %s", z->identifier, gf->g.msg); goto out; }
			iv_merge(&iv);
			/* vertical and time restrictions on each horizontal interval */
			dv_fence_vertical vflag = DV_FENCE_V_CHECKED;
			dv_fence_timing tflag = DV_FENCE_T_ACTIVE;
			vp.n = 0;
			for (size_t i = 0; i < iv.n; i++) {
				bool checked;
				size_t n0 = vp.n;
				if (vertical_parts(&vc, z, iv.v[i].a, iv.v[i].b, &vp, &checked) < 0) {
					rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
					goto out;
				}
				if (!checked && vp.n > n0) vflag = DV_FENCE_V_UNCHECKED;
			}
			iv.n = 0;
			for (size_t i = 0; i < vp.n; i++) {
				double a = vp.v[i].a, b = vp.v[i].b;
				int tm = zone_timing(z, p0, p1, opts, a, b);
				if (!tm) continue;
				if (tm == DV_FENCE_T_UNKNOWN) tflag = DV_FENCE_T_UNKNOWN;
				if (iv_add(&iv, a, b) < 0) { rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory"); goto out; }
			}
			iv_merge(&iv);
			if (iv.n == 0) continue;
			zstate *zs = &st[zi];
			zs->stamp = si + 1;
			for (size_t i = 0; i < iv.n; i++) {
				double a = iv.v[i].a, b = iv.v[i].b;
				bool cont = zs->inside && i == 0 && a <= EPS_T;
				if (!cont) {
					if (zs->inside && (rc = emit(&w, DV_FENCE_EXIT, zi, si, 0, zs->vertical, zs->timing, false)) < 0)
						goto nomem;
					if ((rc = emit(&w, DV_FENCE_ENTRY, zi, si, a, vflag, tflag, si == 0 && a <= EPS_T)) < 0)
						goto nomem;
					if (!zs->entered) { zs->entered = true; rep->nzones_entered++; }
					zs->vertical = vflag;
					zs->timing = tflag;
					if (!zs->listed) { inside[ninside++] = zi; zs->listed = true; }
				}
				if (r->npts > 1 && b < 1 - EPS_T) {
					if ((rc = emit(&w, DV_FENCE_EXIT, zi, si, b, vflag, tflag, false)) < 0) goto nomem;
					zs->inside = false;
				} else {
					zs->inside = true;
				}
			}
		}
		/* zones we were inside that this segment does not touch: left at its start */
		size_t keep = 0;
		for (size_t i = 0; i < ninside; i++) {
			size_t zi = inside[i];
			if (st[zi].inside && st[zi].stamp != si + 1) {
				if ((rc = emit(&w, DV_FENCE_EXIT, zi, si, 0, st[zi].vertical, st[zi].timing, false)) < 0)
					goto nomem;
				st[zi].inside = false;
			}
			if (st[zi].inside) inside[keep++] = zi;
			else st[zi].listed = false;
		}
		ninside = keep;
		if (rep->nevents - ev0 > 1)
			qsort(rep->events + ev0, rep->nevents - ev0, sizeof(dv_fence_event), cmp_event);
	}
	goto out;
nomem:
	rc = dv_error_set(DV_ENOMEM, r->source, -1, "more than %u zone entries and exits", DV_FENCE_MAX_EVENTS);
out:
	free(iv.v);
	free(vp.v);
	free(st);
	free(inside);
	if (rc < 0) { dv_fence_report_free(rep); return rc; }
	*out = rep;
	return 0;
}

void dv_geofence_set_dem(dv_geofence *gf, dv_dem *dem)
{
	gf->dem = dem;
}

void dv_fence_report_free(dv_fence_report *rep)
{
	if (!rep) return;
	free(rep->events);
	free(rep);
}
