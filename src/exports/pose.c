/*
 * Pose conventions (see exports_int.h) and the ground footprint of a photo.
 */
#include <math.h>
#include <string.h>

#include "dv/err.h"
#include "exports/exports_int.h"

#define DEG (M_PI / 180.0)

static void cross(double o[3], const double a[3], const double b[3])
{
	o[0] = a[1] * b[2] - a[2] * b[1];
	o[1] = a[2] * b[0] - a[0] * b[2];
	o[2] = a[0] * b[1] - a[1] * b[0];
}

void dv_xpose_c2w(double r[3][3], double yaw_deg, double pitch_deg, double roll_deg)
{
	double y = yaw_deg * DEG, p = pitch_deg * DEG, q = roll_deg * DEG;
	/* view direction: yaw clockwise from north, pitch up from horizontal */
	double f[3] = { sin(y) * cos(p), cos(y) * cos(p), sin(p) };
	/* right, horizontal before roll */
	double rt[3] = { cos(y), -sin(y), 0 };
	double dn[3];
	cross(dn, f, rt);
	/* roll about the view: positive turns the right side down */
	double x[3], d[3];
	for (int i = 0; i < 3; i++) {
		x[i] = rt[i] * cos(q) + dn[i] * sin(q);
		d[i] = dn[i] * cos(q) - rt[i] * sin(q);
	}
	for (int i = 0; i < 3; i++) {
		r[i][0] = x[i];
		r[i][1] = d[i];
		r[i][2] = f[i];
	}
}

void dv_xpose_quat(double q[4], const double m[3][3])
{
	double tr = m[0][0] + m[1][1] + m[2][2];
	if (tr > 0) {
		double s = sqrt(tr + 1.0) * 2;
		q[0] = 0.25 * s;
		q[1] = (m[2][1] - m[1][2]) / s;
		q[2] = (m[0][2] - m[2][0]) / s;
		q[3] = (m[1][0] - m[0][1]) / s;
	} else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
		double s = sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2;
		q[0] = (m[2][1] - m[1][2]) / s;
		q[1] = 0.25 * s;
		q[2] = (m[0][1] + m[1][0]) / s;
		q[3] = (m[0][2] + m[2][0]) / s;
	} else if (m[1][1] > m[2][2]) {
		double s = sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2;
		q[0] = (m[0][2] - m[2][0]) / s;
		q[1] = (m[0][1] + m[1][0]) / s;
		q[2] = 0.25 * s;
		q[3] = (m[1][2] + m[2][1]) / s;
	} else {
		double s = sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2;
		q[0] = (m[1][0] - m[0][1]) / s;
		q[1] = (m[0][2] + m[2][0]) / s;
		q[2] = (m[1][2] + m[2][1]) / s;
		q[3] = 0.25 * s;
	}
	double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
	double sg = q[0] < 0 ? -1 : 1;
	for (int i = 0; i < 4; i++) q[i] = sg * q[i] / n;
}

void dv_xpose_odm(double *yaw, double *pitch, double *roll, double dji_yaw, double dji_pitch, double dji_roll)
{
	double y = fmod(dji_yaw, 360.0);
	if (y < 0) y += 360.0;
	*yaw = y;
	*pitch = 90.0 + dji_pitch;
	*roll = dji_roll;
}

/* Where the ray through image point (u, v) in [-1, 1] (right, down) meets
 * the ground h below; false when it is cut (misses the ground or lands past
 * the range), x and y then the cut point on the horizontal direction. */
static bool ray(double *x, double *y, const double r[3][3], double u, double v, double tx, double ty, double h)
{
	double d[3];
	for (int i = 0; i < 3; i++) d[i] = r[i][0] * u * tx + r[i][1] * v * ty + r[i][2];
	double hz = hypot(d[0], d[1]);
	double max = DV_XFOOT_MAX_RANGE * h;
	if (d[2] < 0) {
		double t = h / -d[2];
		double gx = d[0] * t, gy = d[1] * t;
		if (hypot(gx, gy) <= max) {
			*x = gx;
			*y = gy;
			return true;
		}
	}
	if (hz < 1e-12) { /* straight up */
		*x = *y = 0;
		return false;
	}
	*x = d[0] / hz * max;
	*y = d[1] / hz * max;
	return false;
}

int dv_xfoot_compute(dv_xfoot *out, double height_m, double focal_mm, double sensor_w_mm, double sensor_h_mm,
                     double yaw_deg, double pitch_deg, double roll_deg)
{
	memset(out, 0, sizeof(*out));
	if (!(height_m > 0) || !(focal_mm > 0) || !(sensor_w_mm > 0) || !(sensor_h_mm > 0) || !isfinite(yaw_deg) ||
	    !isfinite(pitch_deg) || !isfinite(roll_deg) || !isfinite(height_m))
		return dv_error_set(DV_EINVAL, NULL, -1, "footprint needs a height above ground, optics and angles");
	double r[3][3];
	dv_xpose_c2w(r, yaw_deg, pitch_deg, roll_deg);
	double tx = sensor_w_mm / 2 / focal_mm, ty = sensor_h_mm / 2 / focal_mm;
	/* the image border clockwise from the top-left corner, in (u, v) */
	const int S = DV_XFOOT_SAMPLES;
	size_t hits = 0;
	for (int e = 0; e < 4; e++)
		for (int k = 0; k < S; k++) {
			double s = -1 + 2.0 * k / S, u, v;
			switch (e) {
			case 0: u = s; v = -1; break;      /* top, left to right */
			case 1: u = 1; v = s; break;       /* right, top to bottom */
			case 2: u = -s; v = 1; break;      /* bottom, right to left */
			default: u = -1; v = -s; break;    /* left, bottom to top */
			}
			double x, y;
			if (ray(&x, &y, r, u, v, tx, ty, height_m)) hits++;
			else out->clipped = true;
			out->x[out->n] = x;
			out->y[out->n] = y;
			out->n++;
		}
	if (!hits) return dv_error_set(DV_EINVAL, NULL, -1, "the camera looks above the horizon: no footprint");
	return 0;
}
