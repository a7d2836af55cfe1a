/*
 * dronevault coverage: each photo's ground footprint, the arrangement of
 * all footprints (GEOS: the footprint boundaries noded and polygonized
 * into faces, each face counted by the footprints holding a point of it),
 * the share of the area seen by >= N photos and the holes.
 *
 * Planar work happens in an azimuthal equidistant projection (PROJ aeqd)
 * centred on the first photo with a footprint: metres, no seam at the
 * antimeridian; output goes back to WGS-84 lon/lat.
 */
#include <json-c/json.h>
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/dem.h"
#include "dv/err.h"
#include "exports/exports_int.h"

void dv_xcov_free(dv_xcov *c)
{
	if (!c->h) return;
	for (size_t i = 0; i < c->n; i++)
		if (c->feet[i]) GEOSGeom_destroy_r(c->h, c->feet[i]);
	for (size_t i = 0; i < c->nfaces; i++) GEOSGeom_destroy_r(c->h, c->faces[i]);
	if (c->area) GEOSGeom_destroy_r(c->h, c->area);
	if (c->holes) GEOSGeom_destroy_r(c->h, c->holes);
	free(c->feet);
	free(c->faces);
	free(c->counts);
	c->feet = c->faces = NULL;
	c->counts = NULL;
	c->area = c->holes = NULL;
	c->n = c->nfaces = 0;
}

static GEOSGeometry *collect(GEOSContextHandle_t h, int type, GEOSGeometry **g, size_t n)
{
	return GEOSGeom_createCollection_r(h, type, g, (unsigned)n);
}

/* The polygons of g of at least HOLE_MIN_M2 (what is left between faces
 * that meet is floating-point dust, not a hole); takes g. */
#define HOLE_MIN_M2 0.01
static GEOSGeometry *drop_slivers(GEOSContextHandle_t h, GEOSGeometry *g)
{
	int n = GEOSGetNumGeometries_r(h, g);
	GEOSGeometry **keep = calloc((size_t)(n > 0 ? n : 1), sizeof(*keep));
	if (!keep) return g;
	unsigned k = 0;
	for (int i = 0; i < n; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
		double a = 0;
		if (GEOSGeomTypeId_r(h, p) == GEOS_POLYGON && GEOSArea_r(h, p, &a) && a >= HOLE_MIN_M2) {
			GEOSGeometry *c = GEOSGeom_clone_r(h, p);
			if (c) keep[k++] = c;
		}
	}
	GEOSGeom_destroy_r(h, g);
	GEOSGeometry *o = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, keep, k);
	free(keep);
	return o;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void trace(const char *what, double *t)
{
	if (!getenv("DV_COVERAGE_TRACE")) return;
	double n = mono();
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	fprintf(stderr, "coverage: %-12s %.3f s wall, process CPU so far %.3f s\n", what, n - *t,
	        (double)ts.tv_sec + ts.tv_nsec / 1e9);
	*t = n;
}

int dv_xcov_compute(dv_xcov *c, int min_images)
{
	GEOSContextHandle_t h = c->h;
	double t = mono();
	if (!c->n) return dv_error_set(DV_ENOTFOUND, NULL, -1, "no photo has a footprint");
	/* boundaries, noded */
	GEOSGeometry **lines = calloc(c->n, sizeof(*lines));
	if (!lines) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	size_t nl = 0;
	for (size_t i = 0; i < c->n; i++) {
		GEOSGeometry *b = GEOSBoundary_r(h, c->feet[i]);
		if (b) lines[nl++] = b;
	}
	if (!c->area) {
		GEOSGeometry **cl = calloc(c->n, sizeof(*cl));
		if (!cl) {
			for (size_t i = 0; i < nl; i++) GEOSGeom_destroy_r(h, lines[i]);
			free(lines);
			return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		}
		for (size_t i = 0; i < c->n; i++) cl[i] = GEOSGeom_clone_r(h, c->feet[i]);
		GEOSGeometry *all = collect(h, GEOS_GEOMETRYCOLLECTION, cl, c->n);
		free(cl);
		c->area = all ? GEOSConvexHull_r(h, all) : NULL;
		if (all) GEOSGeom_destroy_r(h, all);
	}
	/* the area's boundary is noded in too, so faces never cross it */
	GEOSGeometry *ab = c->area ? GEOSBoundary_r(h, c->area) : NULL;
	GEOSGeometry **l2 = realloc(lines, (nl + 1) * sizeof(*l2));
	if (l2) lines = l2;
	if (ab && l2) lines[nl++] = ab;
	else if (ab) GEOSGeom_destroy_r(h, ab);
	GEOSGeometry *coll = collect(h, GEOS_GEOMETRYCOLLECTION, lines, nl);
	free(lines);
	/* GEOSNode: the lines split at every crossing, duplicates merged */
	GEOSGeometry *noded = coll ? GEOSNode_r(h, coll) : NULL;
	if (coll) GEOSGeom_destroy_r(h, coll);
	if (!noded || !c->area) {
		if (noded) GEOSGeom_destroy_r(h, noded);
		return dv_error_set(DV_EINVAL, NULL, -1, "GEOS could not node the footprints");
	}
	trace("noding", &t);
	const GEOSGeometry *in[1] = { noded };
	GEOSGeometry *polys = GEOSPolygonize_r(h, in, 1);
	GEOSGeom_destroy_r(h, noded);
	if (!polys) return dv_error_set(DV_EINVAL, NULL, -1, "GEOS could not polygonize the footprints");
	trace("polygonize", &t);
	int np = GEOSGetNumGeometries_r(h, polys);
	c->faces = calloc((size_t)np + 1, sizeof(*c->faces));
	c->counts = calloc((size_t)np + 1, sizeof(*c->counts));
	const GEOSPreparedGeometry **prep = calloc(c->n, sizeof(*prep));
	double (*bb)[4] = calloc(c->n, sizeof(*bb));
	const GEOSPreparedGeometry *parea = GEOSPrepare_r(h, c->area);
	int rc = 0;
	if (!c->faces || !c->counts || !prep || !bb || !parea) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		prep[i] = GEOSPrepare_r(h, c->feet[i]);
		GEOSGeom_getXMin_r(h, c->feet[i], &bb[i][0]);
		GEOSGeom_getYMin_r(h, c->feet[i], &bb[i][1]);
		GEOSGeom_getXMax_r(h, c->feet[i], &bb[i][2]);
		GEOSGeom_getYMax_r(h, c->feet[i], &bb[i][3]);
	}
	c->covered_m2 = 0;
	for (int k = 0; rc == 0 && k < np; k++) {
		const GEOSGeometry *face = GEOSGetGeometryN_r(h, polys, k);
		GEOSGeometry *pt = GEOSPointOnSurface_r(h, face);
		if (!pt) continue;
		double x, y;
		GEOSGeomGetX_r(h, pt, &x);
		GEOSGeomGetY_r(h, pt, &y);
		if (GEOSPreparedContains_r(h, parea, pt) != 1) {
			GEOSGeom_destroy_r(h, pt);
			continue;
		}
		int cnt = 0;
		for (size_t i = 0; i < c->n; i++)
			if (x >= bb[i][0] && x <= bb[i][2] && y >= bb[i][1] && y <= bb[i][3] && prep[i] &&
			    GEOSPreparedContains_r(h, prep[i], pt) == 1)
				cnt++;
		GEOSGeom_destroy_r(h, pt);
		GEOSGeometry *fc = GEOSGeom_clone_r(h, face);
		if (!fc) continue;
		c->faces[c->nfaces] = fc;
		c->counts[c->nfaces++] = cnt;
		if (cnt >= min_images) {
			double a;
			if (GEOSArea_r(h, fc, &a)) c->covered_m2 += a;
		}
	}
	GEOSArea_r(h, c->area, &c->area_m2);
	trace("counting", &t);
	if (rc == 0) {
		/* the faces tile the area: the holes are the union of those seen by
		 * fewer than min, a polygonal coverage (GEOSCoverageUnion) */
		GEOSGeometry **bad = calloc(c->nfaces + 1, sizeof(*bad));
		size_t nb = 0;
		for (size_t i = 0; bad && i < c->nfaces; i++)
			if (c->counts[i] < min_images) bad[nb++] = GEOSGeom_clone_r(h, c->faces[i]);
		GEOSGeometry *gc = bad ? collect(h, GEOS_GEOMETRYCOLLECTION, bad, nb) : NULL;
		free(bad);
		GEOSGeometry *u = gc ? GEOSCoverageUnion_r(h, gc) : NULL;
		if (gc && !u) u = GEOSUnaryUnion_r(h, gc);
		if (gc) GEOSGeom_destroy_r(h, gc);
		c->holes = u ? drop_slivers(h, u) : NULL;
	}
	trace("holes", &t);
	for (size_t i = 0; prep && i < c->n; i++)
		if (prep[i]) GEOSPreparedGeom_destroy_r(h, prep[i]);
	free(prep);
	free(bb);
	if (parea) GEOSPreparedGeom_destroy_r(h, parea);
	GEOSGeom_destroy_r(h, polys);
	return rc;
}

/* ---- the command ------------------------------------------------------------ */

struct out {
	FILE *f;
	dv_coverage_format fmt;
	PJ *pj;        /* aeqd: lon/lat <-> metres */
	GEOSContextHandle_t h;
	bool first;
};

static void inv(const struct out *o, double x, double y, double *lon, double *lat)
{
	PJ_COORD c = proj_trans(o->pj, PJ_INV, proj_coord(x, y, 0, 0));
	*lon = proj_todeg(c.lp.lam);
	*lat = proj_todeg(c.lp.phi);
}

static void ring(const struct out *o, const GEOSGeometry *r)
{
	const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(o->h, r);
	unsigned n = 0;
	if (!s || !GEOSCoordSeq_getSize_r(o->h, s, &n)) return;
	if (o->fmt == DV_COVERAGE_GEOJSON) fputc('[', o->f);
	for (unsigned i = 0; i < n; i++) {
		double x, y, lon, lat;
		GEOSCoordSeq_getXY_r(o->h, s, i, &x, &y);
		inv(o, x, y, &lon, &lat);
		if (o->fmt == DV_COVERAGE_GEOJSON) fprintf(o->f, "%s[%.8f,%.8f]", i ? "," : "", lon, lat);
		else fprintf(o->f, "%.8f,%.8f,0 ", lon, lat);
	}
	if (o->fmt == DV_COVERAGE_GEOJSON) fputc(']', o->f);
}

static void polygon(const struct out *o, const GEOSGeometry *p)
{
	int ni = GEOSGetNumInteriorRings_r(o->h, p);
	if (o->fmt == DV_COVERAGE_GEOJSON) {
		fputc('[', o->f);
		ring(o, GEOSGetExteriorRing_r(o->h, p));
		for (int i = 0; i < ni; i++) {
			fputc(',', o->f);
			ring(o, GEOSGetInteriorRingN_r(o->h, p, i));
		}
		fputc(']', o->f);
	} else {
		fputs("<Polygon><outerBoundaryIs><LinearRing><coordinates>", o->f);
		ring(o, GEOSGetExteriorRing_r(o->h, p));
		fputs("</coordinates></LinearRing></outerBoundaryIs>", o->f);
		for (int i = 0; i < ni; i++) {
			fputs("<innerBoundaryIs><LinearRing><coordinates>", o->f);
			ring(o, GEOSGetInteriorRingN_r(o->h, p, i));
			fputs("</coordinates></LinearRing></innerBoundaryIs>", o->f);
		}
		fputs("</Polygon>", o->f);
	}
}

/* One feature / placemark; props is a JSON object (borrowed). */
static void feature(struct out *o, const GEOSGeometry *g, json_object *props, const char *name)
{
	int type = GEOSGeomTypeId_r(o->h, g);
	int n = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(o->h, g);
	if (o->fmt == DV_COVERAGE_GEOJSON) {
		fprintf(o->f, "%s\n{\"type\":\"Feature\",\"properties\":%s,\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[",
		        o->first ? "" : ",", json_object_to_json_string_ext(props, JSON_C_TO_STRING_PLAIN));
		bool any = false;
		for (int i = 0; i < n; i++) {
			const GEOSGeometry *p = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(o->h, g, i);
			if (GEOSGeomTypeId_r(o->h, p) != GEOS_POLYGON || GEOSisEmpty_r(o->h, p)) continue;
			if (any) fputc(',', o->f);
			polygon(o, p);
			any = true;
		}
		fputs("]}}", o->f);
	} else {
		fputs("<Placemark><name>", o->f);
		for (const char *s = name; *s; s++) {
			if (*s == '<') fputs("&lt;", o->f);
			else if (*s == '&') fputs("&amp;", o->f);
			else if ((unsigned char)*s >= 0x20) fputc(*s, o->f);
		}
		fprintf(o->f, "</name><description><![CDATA[%s]]></description><MultiGeometry>",
		        json_object_to_json_string_ext(props, JSON_C_TO_STRING_PLAIN));
		for (int i = 0; i < n; i++) {
			const GEOSGeometry *p = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(o->h, g, i);
			if (GEOSGeomTypeId_r(o->h, p) == GEOS_POLYGON && !GEOSisEmpty_r(o->h, p)) polygon(o, p);
		}
		fputs("</MultiGeometry></Placemark>\n", o->f);
	}
	o->first = false;
}

/* the area (lon/lat) into the planar frame */
static GEOSGeometry *project_geom(GEOSContextHandle_t h, PJ *pj, const GEOSGeometry *g);

static GEOSGeometry *project_ring(GEOSContextHandle_t h, PJ *pj, const GEOSGeometry *r)
{
	const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(h, r);
	unsigned n = 0;
	if (!s || !GEOSCoordSeq_getSize_r(h, s, &n) || n < 4) return NULL;
	GEOSCoordSequence *o = GEOSCoordSeq_create_r(h, n, 2);
	if (!o) return NULL;
	for (unsigned i = 0; i < n; i++) {
		double x, y;
		GEOSCoordSeq_getXY_r(h, s, i, &x, &y);
		PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(proj_torad(x), proj_torad(y), 0, 0));
		GEOSCoordSeq_setXY_r(h, o, i, c.xy.x, c.xy.y);
	}
	return GEOSGeom_createLinearRing_r(h, o);
}

static GEOSGeometry *project_poly(GEOSContextHandle_t h, PJ *pj, const GEOSGeometry *p)
{
	GEOSGeometry *shell = project_ring(h, pj, GEOSGetExteriorRing_r(h, p));
	if (!shell) return NULL;
	int ni = GEOSGetNumInteriorRings_r(h, p);
	GEOSGeometry **holes = ni > 0 ? calloc((size_t)ni, sizeof(*holes)) : NULL;
	unsigned nh = 0;
	for (int i = 0; holes && i < ni; i++) {
		GEOSGeometry *r = project_ring(h, pj, GEOSGetInteriorRingN_r(h, p, i));
		if (r) holes[nh++] = r;
	}
	GEOSGeometry *o = GEOSGeom_createPolygon_r(h, shell, holes, nh);
	free(holes);
	return o;
}

static GEOSGeometry *project_geom(GEOSContextHandle_t h, PJ *pj, const GEOSGeometry *g)
{
	if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON) return project_poly(h, pj, g);
	int n = GEOSGetNumGeometries_r(h, g);
	GEOSGeometry **parts = calloc((size_t)(n > 0 ? n : 1), sizeof(*parts));
	if (!parts) return NULL;
	unsigned k = 0;
	for (int i = 0; i < n; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
		if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON) continue;
		GEOSGeometry *q = project_poly(h, pj, p);
		if (q) parts[k++] = q;
	}
	GEOSGeometry *o = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, k);
	free(parts);
	if (!o) return NULL;
	GEOSGeometry *v = GEOSMakeValid_r(h, o);
	GEOSGeom_destroy_r(h, o);
	return v;
}

/* The footprint polygon of p at x0/y0 (metres), or NULL with why. */
static GEOSGeometry *foot_geom(GEOSContextHandle_t h, const dv_xfoot *ft, double x0, double y0)
{
	GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, (unsigned)ft->n + 1, 2);
	if (!s) return NULL;
	for (size_t i = 0; i <= ft->n; i++) {
		size_t k = i % ft->n;
		GEOSCoordSeq_setXY_r(h, s, (unsigned)i, x0 + ft->x[k], y0 + ft->y[k]);
	}
	GEOSGeometry *r = GEOSGeom_createLinearRing_r(h, s);
	GEOSGeometry *p = r ? GEOSGeom_createPolygon_r(h, r, NULL, 0) : NULL;
	if (!p) return NULL;
	if (GEOSisValid_r(h, p) != 1) {
		GEOSGeometry *v = GEOSMakeValid_r(h, p);
		GEOSGeom_destroy_r(h, p);
		p = v;
	}
	if (!p) return NULL;
	/* the edge samples of a flat-ground footprint are collinear */
	GEOSGeometry *q = GEOSTopologyPreserveSimplify_r(h, p, 1e-3);
	if (q) {
		GEOSGeom_destroy_r(h, p);
		p = q;
	}
	return p;
}

int dv_coverage_run(dv_coverage_result *res, dv_vault *v, const dv_coverage_opts *o, FILE *f)
{
	memset(res, 0, sizeof(*res));
	int min = o->min_images > 0 ? o->min_images : 3;
	res->min_images = min;
	dv_xphoto *p = NULL;
	size_t n = 0;
	int rc = dv_xphotos_load(&p, &n, v, o->case_name, &o->sel);
	if (rc < 0) return rc;
	dv_dem *dem = NULL;
	if (o->dem_file && (rc = dv_dem_open(&dem, o->dem_file)) < 0) {
		free(p);
		return rc;
	}
	dv_xcov cov = { 0 };
	struct out out = { .f = f, .fmt = o->format, .first = true };
	PJ_CONTEXT *pc = proj_context_create();
	if (pc) proj_log_level(pc, PJ_LOG_NONE);
	json_object *skipped = json_object_new_array();
	cov.h = out.h = GEOS_init_r();
	cov.feet = calloc(n ? n : 1, sizeof(*cov.feet));
	const char **names = calloc(n ? n : 1, sizeof(*names));
	bool *clipped = calloc(n ? n : 1, sizeof(*clipped));
	if (!pc || !cov.h || !cov.feet || !names || !clipped) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const dv_xphoto *x = &p[i];
		const char *why = NULL;
		double hgt = NAN;
		if (!x->has_pos) why = "no position";
		else if (isnan(x->yaw) || isnan(x->pitch)) why = "no gimbal angles";
		else if (!x->has_camera) why = "unknown camera";
		else if (dem) {
			double g;
			if (isnan(x->abs_alt)) why = "no absolute altitude (needed with --dem)";
			else if (dv_dem_elevation(dem, x->lon, x->lat, &g) < 0) why = "outside the DEM";
			else hgt = x->abs_alt - g;
		} else if (isnan(x->rel_alt)) {
			why = "no relative altitude";
		} else {
			hgt = x->rel_alt;
		}
		if (!why && !(hgt > 0)) why = "not above the ground";
		dv_xfoot ft;
		if (!why && dv_xfoot_compute(&ft, hgt, x->cam_focal_mm, x->cam_sensor_w, x->cam_sensor_h, x->yaw, x->pitch,
		                             x->roll) < 0)
			why = "looks above the horizon";
		if (why) {
			json_object *s = json_object_new_object();
			json_object_object_add(s, "photo", json_object_new_string(x->name));
			json_object_object_add(s, "path", json_object_new_string(x->f.path));
			json_object_object_add(s, "reason", json_object_new_string(why));
			json_object_array_add(skipped, s);
			res->skipped++;
			continue;
		}
		if (!out.pj) {
			char def[256];
			snprintf(def, sizeof(def), "+proj=aeqd +lat_0=%.10f +lon_0=%.10f +ellps=WGS84 +units=m", x->lat, x->lon);
			if (!(out.pj = proj_create(pc, def))) {
				rc = dv_error_set(DV_EUNSUPPORTED, NULL, -1, "PROJ cannot make an aeqd frame");
				goto out;
			}
		}
		PJ_COORD c = proj_trans(out.pj, PJ_FWD, proj_coord(proj_torad(x->lon), proj_torad(x->lat), 0, 0));
		GEOSGeometry *g = foot_geom(cov.h, &ft, c.xy.x, c.xy.y);
		if (!g) continue;
		names[cov.n] = x->name;
		clipped[cov.n] = ft.clipped;
		cov.feet[cov.n++] = g;
	}
	res->photos = cov.n;
	if (!cov.n) {
		rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "no photo of the selection has a footprint (%llu without)",
		                  (unsigned long long)res->skipped);
		goto out;
	}
	if (o->sel.area_file) {
		GEOSGeometry *a;
		if ((rc = dv_xarea_load(&a, cov.h, o->sel.area_file)) < 0) goto out;
		cov.area = project_geom(cov.h, out.pj, a);
		GEOSGeom_destroy_r(cov.h, a);
		if (!cov.area) {
			rc = dv_error_set(DV_EINVAL, o->sel.area_file, -1, "cannot project the area");
			goto out;
		}
	}
	if ((rc = dv_xcov_compute(&cov, min)) < 0) goto out;
	res->area_m2 = cov.area_m2;
	res->covered_m2 = cov.covered_m2;
	res->share = cov.area_m2 > 0 ? cov.covered_m2 / cov.area_m2 : 0;
	res->holes = cov.holes && !GEOSisEmpty_r(cov.h, cov.holes) ? (uint64_t)GEOSGetNumGeometries_r(cov.h, cov.holes) : 0;
	json_object *sum = json_object_new_object();
	json_object_object_add(sum, "min_images", json_object_new_int(min));
	json_object_object_add(sum, "photos", json_object_new_int64((int64_t)res->photos));
	json_object_object_add(sum, "area_m2", json_object_new_double(res->area_m2));
	json_object_object_add(sum, "covered_m2", json_object_new_double(res->covered_m2));
	json_object_object_add(sum, "share", json_object_new_double(res->share));
	json_object_object_add(sum, "holes", json_object_new_int64((int64_t)res->holes));
	json_object_object_add(sum, "area", json_object_new_string(o->sel.area_file ? "given" : "convex hull of the footprints"));
	json_object_object_add(sum, "height", json_object_new_string(dem ? "absolute altitude minus the DEM" : "relative altitude (flat ground at take-off)"));
	json_object_object_add(sum, "skipped", json_object_get(skipped));
	if (o->format == DV_COVERAGE_GEOJSON)
		fprintf(f, "{\"type\":\"FeatureCollection\",\"dronevault_coverage\":%s,\"features\":[",
		        json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PLAIN));
	else
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>"
		           "<name>coverage</name><description><![CDATA[%s]]></description>\n",
		        json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PLAIN));
	json_object_put(sum);
	for (size_t i = 0; i < cov.n; i++) {
		json_object *pr = json_object_new_object();
		json_object_object_add(pr, "layer", json_object_new_string("footprint"));
		json_object_object_add(pr, "photo", json_object_new_string(names[i]));
		json_object_object_add(pr, "clipped", json_object_new_boolean(clipped[i]));
		feature(&out, cov.feet[i], pr, names[i]);
		json_object_put(pr);
	}
	for (size_t i = 0; i < cov.nfaces; i++) {
		json_object *pr = json_object_new_object();
		json_object_object_add(pr, "layer", json_object_new_string("coverage"));
		json_object_object_add(pr, "count", json_object_new_int(cov.counts[i]));
		char nm[32];
		snprintf(nm, sizeof(nm), "seen by %d", cov.counts[i]);
		feature(&out, cov.faces[i], pr, nm);
		json_object_put(pr);
	}
	if (cov.holes && !GEOSisEmpty_r(cov.h, cov.holes)) {
		json_object *pr = json_object_new_object();
		json_object_object_add(pr, "layer", json_object_new_string("holes"));
		json_object_object_add(pr, "below", json_object_new_int(min));
		feature(&out, cov.holes, pr, "holes");
		json_object_put(pr);
	}
	fputs(o->format == DV_COVERAGE_GEOJSON ? "\n]}\n" : "</Document></kml>\n", f);
	if (ferror(f)) rc = dv_error_set(DV_EIO, NULL, -1, "cannot write the coverage");
out:
	json_object_put(skipped);
	dv_xcov_free(&cov);
	if (cov.h) GEOS_finish_r(cov.h);
	if (out.pj) proj_destroy(out.pj);
	if (pc) proj_context_destroy(pc);
	if (dem) dv_dem_free(dem);
	free(names);
	free(clipped);
	free(p);
	return rc;
}
