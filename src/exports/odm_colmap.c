/*
 * OpenDroneMap and COLMAP projects: the photos (byte-identical, unique
 * flat names) with their pose priors, written through the package writer.
 */
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "exports/exports_int.h"
#include "exports/write_int.h"

int dv_xwrite_images(dv_xpkg *pkg, dv_xphoto *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char rel[300];
		int rc = 0;
		/* a name the target folds onto an earlier one in a way the fold
		 * keys did not foresee (dv_xphotos_load): the photo takes its file
		 * id (then a count) and every list written after this uses it */
		for (int tries = 0; tries < 4; tries++) {
			snprintf(rel, sizeof(rel), "images/%s", p[i].name);
			if ((rc = dv_xpkg_blob(pkg, rel, &p[i].f, true)) != DV_EEXIST) break;
			dv_xname_add_id(p[i].name, sizeof(p[i].name), p[i].f.id, tries + 1);
			dv_error_clear();
		}
		if (rc < 0) return rc;
	}
	return 0;
}

int dv_xwrite_gaps(dv_xpkg *pkg, const dv_xphoto *p, size_t n, unsigned relevant, uint64_t *gaps)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	fputs("# photo<TAB>what the photo does not say (never filled in by dronevault)\n", f);
	for (size_t i = 0; i < n; i++) {
		unsigned g = p[i].gaps & relevant;
		if (!g) continue;
		char t[512];
		dv_xgaps_text(t, sizeof(t), g);
		fprintf(f, "%s\t%s\n", p[i].name, t);
		(*gaps)++;
	}
	return dv_xpkg_stream(pkg, "GAPS.txt", f, &buf, &len);
}

static void opensfm_key(char *out, size_t size, const dv_xphoto *p)
{
	/* OpenSfM's camera id: "v2 <make> <model> <width> <height> <projection> <focal>" */
	char mk[64], md[64];
	size_t k;
	for (k = 0; p->make[k] && k + 1 < sizeof(mk); k++) mk[k] = (char)((p->make[k] >= 'A' && p->make[k] <= 'Z') ? p->make[k] + 32 : p->make[k]);
	mk[k] = '\0';
	for (k = 0; p->model[k] && k + 1 < sizeof(md); k++) md[k] = (char)((p->model[k] >= 'A' && p->model[k] <= 'Z') ? p->model[k] + 32 : p->model[k]);
	md[k] = '\0';
	double mx = p->cam_sensor_w > p->cam_sensor_h ? p->cam_sensor_w : p->cam_sensor_h;
	snprintf(out, size, "v2 %s %s %lld %lld perspective %.4f", mk, md, (long long)p->width, (long long)p->height,
	         p->cam_focal_mm / mx);
}

int dv_xwrite_odm(dv_xpkg *pkg, dv_xphoto *p, size_t n, uint64_t *photos, uint64_t *gaps)
{
	int rc = dv_xwrite_images(pkg, p, n);
	if (rc < 0) return rc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	fputs("EPSG:4326\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!p[i].has_pos) continue;
		(*photos)++;
		fprintf(f, "%s %.9f %.9f", p[i].name, p[i].lon, p[i].lat);
		if (isfinite(p[i].abs_alt)) {
			fprintf(f, " %.3f", p[i].abs_alt);
			if (isfinite(p[i].yaw) && isfinite(p[i].pitch)) {
				double y, pt, r;
				dv_xpose_odm(&y, &pt, &r, p[i].yaw, p[i].pitch, p[i].roll);
				fprintf(f, " %.3f %.3f %.3f", y, pt, r);
			}
		}
		fputc('\n', f);
	}
	if ((rc = dv_xpkg_stream(pkg, "geo.txt", f, &buf, &len)) < 0) return rc;
	if (!(f = open_memstream(&buf, &len))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < n; i++) fprintf(f, "%s %s\n", p[i].name, p[i].flight[0] ? p[i].flight : "no-flight");
	if ((rc = dv_xpkg_stream(pkg, "images/image_groups.txt", f, &buf, &len)) < 0) return rc;
	/* cameras.json (ODM --cameras, OpenSfM's format) and what they rest on */
	json_object *cams = json_object_new_object();
	if (!(f = open_memstream(&buf, &len))) {
		json_object_put(cams);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	fputs("# camera<TAB>focal mm<TAB>sensor mm<TAB>source\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!p[i].has_camera || p[i].width <= 0) continue;
		char key[256];
		opensfm_key(key, sizeof(key), &p[i]);
		if (json_object_object_get_ex(cams, key, NULL)) continue;
		json_object *c = json_object_new_object();
		double mx = p[i].cam_sensor_w > p[i].cam_sensor_h ? p[i].cam_sensor_w : p[i].cam_sensor_h;
		json_object_object_add(c, "projection_type", json_object_new_string("perspective"));
		json_object_object_add(c, "width", json_object_new_int64(p[i].width));
		json_object_object_add(c, "height", json_object_new_int64(p[i].height));
		json_object_object_add(c, "focal", json_object_new_double(p[i].cam_focal_mm / mx));
		json_object_object_add(c, "k1", json_object_new_double(0));
		json_object_object_add(c, "k2", json_object_new_double(0));
		json_object_object_add(cams, key, c);
		const dv_xcamera *t = dv_xcamera_find(p[i].model);
		fprintf(f, "%s %s\t%.3f\t%.3f x %.3f\t%s\n", p[i].make, p[i].model, p[i].cam_focal_mm, p[i].cam_sensor_w,
		        p[i].cam_sensor_h, t ? t->source : p[i].cam_source);
	}
	rc = dv_xpkg_stream(pkg, "CAMERAS.txt", f, &buf, &len);
	const char *js = json_object_to_json_string_ext(cams, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (rc == 0) rc = dv_xpkg_text(pkg, "cameras.json", js, strlen(js));
	json_object_put(cams);
	if (rc < 0) return rc;
	return dv_xwrite_gaps(pkg, p, n, DV_XGAP_TELEMETRY | DV_XGAP_POS | DV_XGAP_ALT | DV_XGAP_ANGLES | DV_XGAP_CAMERA, gaps);
}

/* ---- COLMAP ------------------------------------------------------------- */

int dv_xenu_open(dv_xenu *e, double lat0, double lon0, double h0)
{
	memset(e, 0, sizeof(*e));
	e->lat0 = lat0;
	e->lon0 = lon0;
	e->h0 = h0;
	if (!(e->ctx = proj_context_create())) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	proj_log_level(e->ctx, PJ_LOG_NONE);
	char def[512];
	snprintf(def, sizeof(def),
	         "+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad "
	         "+step +proj=cart +ellps=WGS84 +step +proj=topocentric +ellps=WGS84 +lat_0=%.12f +lon_0=%.12f +h_0=%.4f",
	         lat0, lon0, h0);
	e->pj = proj_create(e->ctx, def);
	if (!e->pj) {
		proj_context_destroy(e->ctx);
		e->ctx = NULL;
		return dv_error_set(DV_EUNSUPPORTED, NULL, -1, "PROJ cannot make a topocentric (ENU) frame");
	}
	return 0;
}

int dv_xenu_fwd(const dv_xenu *e, double lat, double lon, double h, double *x, double *y, double *z)
{
	*x = *y = *z = NAN; /* every path sets the out-parameters */
	PJ_COORD c = proj_coord(lat, lon, h, 0);
	PJ_COORD o = proj_trans(e->pj, PJ_FWD, c);
	if (!isfinite(o.xyz.x)) return dv_error_set(DV_EINVAL, NULL, -1, "position outside the ENU frame");
	*x = o.xyz.x;
	*y = o.xyz.y;
	*z = o.xyz.z;
	return 0;
}

void dv_xenu_close(dv_xenu *e)
{
	if (e->pj) proj_destroy(e->pj);
	if (e->ctx) proj_context_destroy(e->ctx);
	e->pj = NULL;
	e->ctx = NULL;
}

static bool colmap_ok(const dv_xphoto *p)
{
	return p->has_pos && isfinite(p->abs_alt) && isfinite(p->yaw) && isfinite(p->pitch) && p->has_camera && p->width > 0;
}

int dv_xwrite_colmap(dv_xpkg *pkg, dv_xphoto *p, size_t n, uint64_t *photos, uint64_t *gaps)
{
	int rc = dv_xwrite_images(pkg, p, n);
	if (rc < 0) return rc;
	size_t first = n;
	for (size_t i = 0; i < n && first == n; i++)
		if (colmap_ok(&p[i])) first = i;
	dv_xenu enu = { 0 };
	if (first < n && (rc = dv_xenu_open(&enu, p[first].lat, p[first].lon, p[first].abs_alt)) < 0) return rc;
	char *cb = NULL, *ib = NULL, *ob = NULL;
	size_t cl = 0, il = 0, ol = 0;
	FILE *cf = open_memstream(&cb, &cl), *imf = open_memstream(&ib, &il), *of = open_memstream(&ob, &ol);
	if (!cf || !imf || !of) {
		if (cf) fclose(cf);
		if (imf) fclose(imf);
		if (of) fclose(of);
		free(cb);
		free(ib);
		free(ob);
		dv_xenu_close(&enu);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	fputs("# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n", cf);
	fputs("# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
	      "#   POINTS2D[] as (X, Y, POINT3D_ID)\n", imf);
	/* cameras: one per distinct model, size and optics */
	size_t *cam_of = calloc(n ? n : 1, sizeof(size_t));
	if (!cam_of) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	size_t ncam = 0, nimg = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!colmap_ok(&p[i])) continue;
		size_t same = 0;
		for (size_t k = 0; k < i && !same; k++)
			if (cam_of[k] && !strcmp(p[k].model, p[i].model) && p[k].width == p[i].width && p[k].height == p[i].height &&
			    p[k].cam_focal_mm == p[i].cam_focal_mm)
				same = cam_of[k];
		if (!same) {
			same = ++ncam;
			double fx = p[i].cam_focal_mm * (double)p[i].width / p[i].cam_sensor_w;
			double fy = p[i].cam_focal_mm * (double)p[i].height / p[i].cam_sensor_h;
			fprintf(cf, "%zu PINHOLE %lld %lld %.6f %.6f %.6f %.6f\n", same, (long long)p[i].width, (long long)p[i].height,
			        fx, fy, p[i].width / 2.0, p[i].height / 2.0);
		}
		cam_of[i] = same;
		double x, y, z;
		if ((rc = dv_xenu_fwd(&enu, p[i].lat, p[i].lon, p[i].abs_alt, &x, &y, &z)) < 0) break;
		double r[3][3], w2c[3][3], q[4], t[3];
		dv_xpose_c2w(r, p[i].yaw, p[i].pitch, p[i].roll);
		for (int a = 0; a < 3; a++)
			for (int b = 0; b < 3; b++) w2c[a][b] = r[b][a];
		dv_xpose_quat(q, w2c);
		double c[3] = { x, y, z };
		for (int a = 0; a < 3; a++) t[a] = -(w2c[a][0] * c[0] + w2c[a][1] * c[1] + w2c[a][2] * c[2]);
		fprintf(imf, "%zu %.12f %.12f %.12f %.12f %.6f %.6f %.6f %zu %s\n\n", ++nimg, q[0], q[1], q[2], q[3], t[0], t[1],
		        t[2], same, p[i].name);
		(*photos)++;
	}
	free(cam_of);
	fputs("# 3D point list (empty: pose priors only)\n", of);
	int r1 = dv_xpkg_stream(pkg, "sparse/0/cameras.txt", cf, &cb, &cl);
	int r2 = dv_xpkg_stream(pkg, "sparse/0/images.txt", imf, &ib, &il);
	int r3 = dv_xpkg_stream(pkg, "sparse/0/points3D.txt", of, &ob, &ol);
	if (rc == 0) rc = r1 < 0 ? r1 : r2 < 0 ? r2 : r3;
	if (rc == 0 && first < n) {
		char o[256];
		int k = snprintf(o, sizeof(o),
		                 "# ENU origin of sparse/0 (WGS-84 ellipsoid through PROJ topocentric; h as the drone's absolute altitude)\n"
		                 "%.9f %.9f %.3f\n", p[first].lat, p[first].lon, p[first].abs_alt);
		rc = dv_xpkg_text(pkg, "enu_origin.txt", o, (size_t)k);
	}
	dv_xenu_close(&enu);
	if (rc < 0) return rc;
	return dv_xwrite_gaps(pkg, p, n, DV_XGAP_TELEMETRY | DV_XGAP_POS | DV_XGAP_ALT | DV_XGAP_ANGLES | DV_XGAP_CAMERA, gaps);
}
