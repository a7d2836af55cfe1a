/* Unit tests of the exports area: pose conventions, footprints (closed
 * form and a hand-computed oblique case), the coverage arrangement on a
 * lawn-mower pattern, the camera table and the time parser. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "exports/exports_int.h"

static double shoelace(const dv_xfoot *f)
{
	double a = 0;
	for (size_t i = 0; i < f->n; i++) {
		size_t k = (i + 1) % f->n;
		a += f->x[i] * f->y[k] - f->x[k] * f->y[i];
	}
	return fabs(a) / 2;
}

static void extent(const dv_xfoot *f, double *x0, double *x1, double *y0, double *y1)
{
	*x0 = *y0 = INFINITY;
	*x1 = *y1 = -INFINITY;
	for (size_t i = 0; i < f->n; i++) {
		*x0 = fmin(*x0, f->x[i]);
		*x1 = fmax(*x1, f->x[i]);
		*y0 = fmin(*y0, f->y[i]);
		*y1 = fmax(*y1, f->y[i]);
	}
}

static void test_pose(void)
{
	double r[3][3], q[4];
	/* nadir, yaw 0: view down, image right = east, image down = south */
	dv_xpose_c2w(r, 0, -90, 0);
	double want_n[3][3] = { { 1, 0, 0 }, { 0, -1, 0 }, { 0, 0, -1 } }; /* columns x, y, z */
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 3; k++) CHECK_NEAR(r[i][k], want_n[i][k], 1e-12);
	double w2c[3][3];
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++) w2c[a][b] = r[b][a];
	dv_xpose_quat(q, w2c);
	/* 180 degrees about x: (0, 1, 0, 0) */
	CHECK_NEAR(q[0], 0, 1e-9);
	CHECK_NEAR(fabs(q[1]), 1, 1e-9);
	CHECK_NEAR(q[2], 0, 1e-9);
	CHECK_NEAR(q[3], 0, 1e-9);
	/* oblique: yaw 90 (east), pitch -45. By hand: view (s, 0, -s), right
	 * (0, -1, 0) (south), image down = view x right = (-s, 0, -s). */
	const double s = sqrt(0.5);
	dv_xpose_c2w(r, 90, -45, 0);
	double want_o[3][3] = { { 0, -s, s }, { -1, 0, 0 }, { 0, -s, -s } };
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 3; k++) CHECK_NEAR(r[i][k], want_o[i][k], 1e-12);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++) w2c[a][b] = r[b][a];
	dv_xpose_quat(q, w2c);
	/* the quaternion turns back into the same matrix */
	double w = q[0], x = q[1], y = q[2], z = q[3];
	double m[3][3] = { { 1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w) },
		           { 2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w) },
		           { 2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y) } };
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 3; k++) CHECK_NEAR(m[i][k], w2c[i][k], 1e-9);
	CHECK_NEAR(w * w + x * x + y * y + z * z, 1, 1e-12);
	CHECK(w >= 0);
	/* roll: positive turns the right side down */
	dv_xpose_c2w(r, 0, 0, 10);
	CHECK(r[2][0] < 0);
	/* ODM: yaw 0..360, pitch 0 = nadir */
	double oy, op, orl;
	dv_xpose_odm(&oy, &op, &orl, -90, -90, 0);
	CHECK_NEAR(oy, 270, 1e-12);
	CHECK_NEAR(op, 0, 1e-12);
	dv_xpose_odm(&oy, &op, &orl, 32.5, -10.5, 1.5);
	CHECK_NEAR(oy, 32.5, 1e-12);
	CHECK_NEAR(op, 79.5, 1e-12);
	CHECK_NEAR(orl, 1.5, 1e-12);
}

static void test_footprint(void)
{
	dv_xfoot f;
	/* nadir at 100 m, 13.2 x 8.8 mm sensor, 8.8 mm: 2 h tan(FOV/2) = h s / f */
	CHECK_EQ(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 0, -90, 0), 0);
	double x0, x1, y0, y1;
	extent(&f, &x0, &x1, &y0, &y1);
	double wx = 2 * 100 * tan(atan(13.2 / 2 / 8.8)), wy = 2 * 100 * tan(atan(8.8 / 2 / 8.8));
	CHECK(fabs((x1 - x0) - wx) <= 0.01 * wx);
	CHECK(fabs((y1 - y0) - wy) <= 0.01 * wy);
	CHECK_NEAR(wx, 150, 1e-9);
	CHECK(!f.clipped);
	/* yaw 90: the image's long side lies north-south */
	CHECK_EQ(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 90, -90, 0), 0);
	extent(&f, &x0, &x1, &y0, &y1);
	CHECK(fabs((y1 - y0) - 150) <= 1.5);
	CHECK(fabs((x1 - x0) - 100) <= 1.0);
	/* oblique, pitch -45 looking north, by hand (docs/exports.md):
	 * far edge 100 / tan(45 - 26.565) = 300 m, near edge 100 / tan(71.565)
	 * = 33.33 m, half-widths 212.13 m and 70.71 m: 75,425 m2 */
	CHECK_EQ(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 0, -45, 0), 0);
	extent(&f, &x0, &x1, &y0, &y1);
	CHECK(fabs(y1 - 300) <= 0.02 * 300);
	CHECK(fabs(y0 - 33.333) <= 0.02 * 33.333);
	CHECK(fabs(x1 - 212.13) <= 0.02 * 212.13);
	CHECK(fabs(x0 + 212.13) <= 0.02 * 212.13);
	double area = shoelace(&f);
	CHECK(fabs(area - 75424.6) <= 0.02 * 75424.6);
	CHECK(!f.clipped);
	/* top of the image above the horizon: cut at 20 heights */
	CHECK_EQ(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 0, -10, 0), 0);
	CHECK(f.clipped);
	extent(&f, &x0, &x1, &y0, &y1);
	CHECK(y1 <= 2000 + 1e-6);
	/* looking up: nothing */
	CHECK(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 0, 40, 0) < 0);
	CHECK(dv_xfoot_compute(&f, 0, 8.8, 13.2, 8.8, 0, -90, 0) < 0);
	CHECK(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, NAN, -90, 0) < 0);
}

static GEOSGeometry *foot_at(GEOSContextHandle_t h, const dv_xfoot *f, double x, double y)
{
	GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, (unsigned)f->n + 1, 2);
	for (size_t i = 0; i <= f->n; i++) GEOSCoordSeq_setXY_r(h, s, (unsigned)i, x + f->x[i % f->n], y + f->y[i % f->n]);
	return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, s), NULL, 0);
}

static void test_lawnmower(void)
{
	/* 3 lines 100 m apart (footprints touch across track), 9 nadir photos
	 * a quarter footprint apart along it: >= 3 photos see x in [0, 300]
	 * of the hull's [-75, 375], a share of (n - 1) / (n + 3) = 2/3. */
	dv_xfoot f;
	CHECK_EQ(dv_xfoot_compute(&f, 100, 8.8, 13.2, 8.8, 0, -90, 0), 0);
	dv_xcov c = { 0 };
	c.h = GEOS_init_r();
	c.feet = calloc(27, sizeof(*c.feet));
	for (int line = 0; line < 3; line++)
		for (int i = 0; i < 9; i++) c.feet[c.n++] = foot_at(c.h, &f, i * 37.5, line * 100.0);
	CHECK_EQ(dv_xcov_compute(&c, 3), 0);
	CHECK_NEAR(c.area_m2, 450.0 * 300.0, 1.0);
	CHECK_NEAR(c.covered_m2 / c.area_m2, 8.0 / 12.0, 1e-3);
	int maxc = 0;
	for (size_t i = 0; i < c.nfaces; i++) maxc = c.counts[i] > maxc ? c.counts[i] : maxc;
	CHECK_EQ(maxc, 4);
	CHECK(c.holes && GEOSGetNumGeometries_r(c.h, c.holes) == 2); /* both ends */
	dv_xcov_free(&c);
	/* a given area twice the hull's height: the share halves */
	c.feet = calloc(27, sizeof(*c.feet));
	for (int line = 0; line < 3; line++)
		for (int i = 0; i < 9; i++) c.feet[c.n++] = foot_at(c.h, &f, i * 37.5, line * 100.0);
	GEOSWKTReader *r = GEOSWKTReader_create_r(c.h);
	c.area = GEOSWKTReader_read_r(c.h, r, "POLYGON((-75 -50, 375 -50, 375 550, -75 550, -75 -50))");
	GEOSWKTReader_destroy_r(c.h, r);
	CHECK_EQ(dv_xcov_compute(&c, 3), 0);
	CHECK_NEAR(c.covered_m2 / c.area_m2, 1.0 / 3.0, 1e-3);
	dv_xcov_free(&c);
	GEOS_finish_r(c.h);
}

static void test_misc(void)
{
	const dv_xcamera *c = dv_xcamera_find("fc6310");
	CHECK(c && c->sensor_w_mm == 13.2);
	CHECK(dv_xcamera_find("ZH20T") != NULL);
	CHECK(dv_xcamera_find("FLIR") == NULL);
	CHECK(dv_xcamera_find(NULL) == NULL);
	for (size_t i = 0; i < dv_xcamera_count(); i++) {
		const dv_xcamera *k = dv_xcamera_at(i);
		CHECK(k->focal_mm > 0 && k->sensor_w_mm > k->sensor_h_mm && k->source && k->source[0]);
	}
	int64_t t;
	CHECK_EQ(dv_exports_parse_time(&t, "2026-11-20T13:03:05"), 0);
	CHECK_EQ(t, INT64_C(1795179785) * 1000000);
	CHECK_EQ(dv_exports_parse_time(&t, "2026-11-20"), 0);
	CHECK(dv_exports_parse_time(&t, "2026-13-01") < 0);
	CHECK(dv_exports_parse_time(&t, "yesterday") < 0);
	CHECK(dv_exports_parse_time(&t, "2026-11-20T13:03:05+01") < 0);
	char g[256];
	dv_xgaps_text(g, sizeof(g), DV_XGAP_POS | DV_XGAP_ANGLES);
	CHECK_STR(g, "no position, no gimbal angles");
	GEOSContextHandle_t h = GEOS_init_r();
	GEOSGeometry *a = NULL;
	static const char fc[] = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},"
	                         "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}";
	CHECK_EQ(dv_xarea_parse(&a, h, fc, sizeof(fc) - 1, "t"), 0);
	double ar = 0;
	if (a) GEOSArea_r(h, a, &ar);
	CHECK_NEAR(ar, 1, 1e-12);
	if (a) GEOSGeom_destroy_r(h, a);
	CHECK(dv_xarea_parse(&a, h, "{\"type\":\"Point\",\"coordinates\":[1,2]}", 35, "t") < 0);
	CHECK(dv_xarea_parse(&a, h, "{", 1, "t") < 0);
	GEOS_finish_r(h);
}

/* Flat names on a stick that folds case: no two the same after folding. */
static void test_names(void)
{
	static const char *paths[] = { "DCIM/100MEDIA/DJI_0001.JPG", "DCIM/101MEDIA/dji_0001.jpg", "A/\xc3\x89_3.JPG", /* É */
		                       "B/\xc3\xa9_3.jpg" /* é */, "C/DJI_0001_1.JPG", "D/bad\xffname.JPG", "E/x\xc3.JPG" /* cut */,
		                       "F/\xce\xa3.jpg" /* Σ */, "G/\xcf\x83.JPG" /* σ */, "H/.hidden.JPG", "I/plain.JPG" };
	enum { N = sizeof(paths) / sizeof(paths[0]) };
	dv_xphoto p[N];
	memset(p, 0, sizeof(p));
	for (size_t i = 0; i < N; i++) {
		snprintf(p[i].f.path, sizeof(p[i].f.path), "%s", paths[i]);
		p[i].f.id = (int64_t)i + 1;
	}
	CHECK_EQ(dv_xphotos_unique_names(p, N), 0);
	CHECK_STR(p[0].name, "DJI_0001_1_1.JPG"); /* met dji_0001.jpg, then the card's own DJI_0001_1.JPG */
	CHECK_STR(p[1].name, "dji_0001_2.jpg");
	CHECK_STR(p[2].name, "\xc3\x89_3_3.JPG");
	CHECK_STR(p[3].name, "\xc3\xa9_3_4.jpg");
	CHECK_STR(p[4].name, "DJI_0001_1_5.JPG");
	CHECK_STR(p[5].name, "bad_name.JPG");
	CHECK_STR(p[6].name, "x_.JPG");
	CHECK_STR(p[7].name, "\xce\xa3_8.jpg");
	CHECK_STR(p[8].name, "\xcf\x83_9.JPG");
	CHECK_STR(p[9].name, "_.hidden.JPG");
	CHECK_STR(p[10].name, "plain.JPG");
	for (size_t i = 0; i < N; i++)
		for (size_t k = i + 1; k < N; k++) CHECK(strcasecmp(p[i].name, p[k].name) != 0);
	/* a long name keeps room for the id and is cut between code points */
	dv_xphoto q[2];
	memset(q, 0, sizeof(q));
	char longp[400] = "L/";
	for (int i = 0; i < 120; i++) strcat(longp, "\xc3\xa9");
	strcat(longp, ".JPG");
	snprintf(q[0].f.path, sizeof(q[0].f.path), "%s", longp);
	snprintf(q[1].f.path, sizeof(q[1].f.path), "%s", longp);
	q[0].f.id = 7;
	q[1].f.id = 8;
	CHECK_EQ(dv_xphotos_unique_names(q, 2), 0);
	CHECK(strcmp(q[0].name, q[1].name) != 0);
	CHECK(strlen(q[0].name) <= 200 + 21 + 4);
	size_t L = strlen(q[0].name);
	if (L < 8 || strcmp(q[0].name + L - 6, "_7.JPG")) fprintf(stderr, "long name: %s (%zu bytes)\n", q[0].name, L);
	CHECK(L > 8 && !strcmp(q[0].name + L - 6, "_7.JPG"));
	/* 200 bytes of é then the id: the cut falls between two-byte characters */
	CHECK(L >= 6 && ((unsigned char)q[0].name[L - 7] == 0xa9));
}

int main(void)
{
	test_names();
	test_pose();
	test_footprint();
	test_lawnmower();
	test_misc();
	return check_done();
}
