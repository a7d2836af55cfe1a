/*
 * The report's map, drawn here into a PNG: on the left a locator (12 x 12
 * degrees around the scene) with the Natural Earth borders and coastlines
 * of world-atlas (TopoJSON arcs: quantized, delta-encoded), on the right
 * the flights' photo positions with the track of each flight. The PNG is
 * written with stored (uncompressed) deflate blocks: no library needed.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/util.h"
#include "exports/exports_int.h"

#define W 900
#define H 450
#define HALF 450
#define ATLAS_MAX (8u << 20)
#define LOCATOR_DEG 6.0

struct canvas {
	uint8_t *px; /* RGB */
};

static void put(struct canvas *c, int x, int y, uint32_t rgb)
{
	if (x < 0 || y < 0 || x >= W || y >= H) return;
	uint8_t *p = c->px + ((size_t)y * W + (size_t)x) * 3;
	p[0] = (uint8_t)(rgb >> 16);
	p[1] = (uint8_t)(rgb >> 8);
	p[2] = (uint8_t)rgb;
}

static void line(struct canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb, int xmin, int xmax)
{
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
	for (int guard = 0; guard < 4 * (W + H); guard++) {
		if (x0 >= xmin && x0 < xmax) put(c, x0, y0, rgb);
		if (x0 == x1 && y0 == y1) break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

static void dot(struct canvas *c, int x, int y, int r, uint32_t rgb)
{
	for (int j = -r; j <= r; j++)
		for (int i = -r; i <= r; i++)
			if (i * i + j * j <= r * r) put(c, x + i, y + j, rgb);
}

static double wrap(double d)
{
	while (d > 180) d -= 360;
	while (d < -180) d += 360;
	return d;
}

/* The world-atlas arcs around lon0/lat0 in the locator half. */
static int draw_atlas(struct canvas *c, const char *path, double lon0, double lat0, bool *drawn)
{
	uint8_t *buf;
	size_t n;
	*drawn = false;
	int rc = dv_read_file(&buf, &n, path, ATLAS_MAX);
	if (rc < 0) return rc;
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)buf, (int)n) : NULL;
	if (tok) json_tokener_free(tok);
	free(buf);
	json_object *tr, *sc, *tl, *arcs;
	if (!o || !json_object_object_get_ex(o, "transform", &tr) || !json_object_object_get_ex(tr, "scale", &sc) ||
	    !json_object_object_get_ex(tr, "translate", &tl) || !json_object_object_get_ex(o, "arcs", &arcs) ||
	    !json_object_is_type(arcs, json_type_array) || !json_object_is_type(sc, json_type_array) ||
	    !json_object_is_type(tl, json_type_array) || json_object_array_length(sc) != 2 || json_object_array_length(tl) != 2) {
		json_object_put(o);
		return dv_error_set(DV_EINVAL, path, -1, "not a TopoJSON world-atlas file");
	}
	double kx = json_object_get_double(json_object_array_get_idx(sc, 0));
	double ky = json_object_get_double(json_object_array_get_idx(sc, 1));
	double tx = json_object_get_double(json_object_array_get_idx(tl, 0));
	double ty = json_object_get_double(json_object_array_get_idx(tl, 1));
	double k = cos(lat0 * M_PI / 180);
	double ppd = HALF / (2 * LOCATOR_DEG); /* pixels per degree of latitude */
	size_t na = json_object_array_length(arcs);
	for (size_t a = 0; a < na; a++) {
		json_object *arc = json_object_array_get_idx(arcs, a);
		if (!json_object_is_type(arc, json_type_array)) continue;
		size_t np = json_object_array_length(arc);
		long qx = 0, qy = 0;
		int px = 0, py = 0;
		bool have = false;
		for (size_t i = 0; i < np; i++) {
			json_object *pt = json_object_array_get_idx(arc, i);
			if (!json_object_is_type(pt, json_type_array) || json_object_array_length(pt) < 2) break;
			qx += json_object_get_int(json_object_array_get_idx(pt, 0));
			qy += json_object_get_int(json_object_array_get_idx(pt, 1));
			double lon = qx * kx + tx, lat = qy * ky + ty;
			double dx = wrap(lon - lon0) * k, dy = lat - lat0;
			int x = (int)lround(HALF / 2.0 + dx * ppd), y = (int)lround(H / 2.0 - dy * ppd);
			bool near = fabs(dx) < 3 * LOCATOR_DEG && fabs(dy) < 3 * LOCATOR_DEG;
			if (have && near && abs(x - px) < HALF && abs(y - py) < H) {
				line(c, px, py, x, y, 0x555555, 0, HALF);
				*drawn = true;
			}
			px = x;
			py = y;
			have = near;
		}
	}
	json_object_put(o);
	return 0;
}

static uint32_t crc_table[256];

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++) v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			crc_table[i] = v;
		}
	c = ~c;
	for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t chunk(uint8_t *out, const char *type, const uint8_t *data, size_t n)
{
	be32(out, (uint32_t)n);
	memcpy(out + 4, type, 4);
	if (n) memcpy(out + 8, data, n);
	be32(out + 8 + n, crc(0, out + 4, n + 4));
	return n + 12;
}

static int encode_png(uint8_t **out, size_t *len, const struct canvas *c)
{
	size_t raw = (size_t)H * (1 + W * 3);
	size_t blocks = raw / 65535 + 1;
	size_t zlen = 2 + raw + blocks * 5 + 4;
	uint8_t *z = malloc(zlen), *png = malloc(zlen + 64);
	if (!z || !png) {
		free(z);
		free(png);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	/* the filtered scanlines (filter 0), in stored deflate blocks */
	size_t zi = 0, done = 0;
	uint32_t s1 = 1, s2 = 0;
	z[zi++] = 0x78;
	z[zi++] = 0x01;
	size_t row = 0, in_row = 1 + W * 3; /* bytes of the current row still to emit */
	while (done < raw) {
		size_t take = raw - done < 65535 ? raw - done : 65535;
		z[zi++] = done + take == raw ? 1 : 0;
		z[zi++] = (uint8_t)take;
		z[zi++] = (uint8_t)(take >> 8);
		z[zi++] = (uint8_t)~take;
		z[zi++] = (uint8_t)(~take >> 8);
		for (size_t i = 0; i < take; i++) {
			size_t off = (1 + W * 3) - in_row;
			uint8_t b = off == 0 ? 0 : c->px[row * W * 3 + off - 1];
			z[zi++] = b;
			s1 = (s1 + b) % 65521;
			s2 = (s2 + s1) % 65521;
			if (--in_row == 0) {
				row++;
				in_row = 1 + W * 3;
			}
		}
		done += take;
	}
	be32(z + zi, (s2 << 16) | s1);
	zi += 4;
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t pi = 0;
	memcpy(png, sig, 8);
	pi = 8;
	uint8_t ihdr[13];
	be32(ihdr, W);
	be32(ihdr + 4, H);
	ihdr[8] = 8;  /* bit depth */
	ihdr[9] = 2;  /* RGB */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	pi += chunk(png + pi, "IHDR", ihdr, 13);
	pi += chunk(png + pi, "IDAT", z, zi);
	pi += chunk(png + pi, "IEND", NULL, 0);
	free(z);
	*out = png;
	*len = pi;
	return 0;
}

int dv_xmap_png(uint8_t **out, size_t *len, bool *has_base, const dv_xphoto *p, size_t n, const char *atlas)
{
	*out = NULL;
	*len = 0;
	*has_base = false;
	struct canvas c = { malloc((size_t)W * H * 3) };
	if (!c.px) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < (size_t)W * H; i++) {
		bool left = (i % W) < HALF;
		c.px[3 * i] = left ? 0xe4 : 0xf4;
		c.px[3 * i + 1] = left ? 0xee : 0xf4;
		c.px[3 * i + 2] = left ? 0xf6 : 0xf0;
	}
	for (int y = 0; y < H; y++) put(&c, HALF, y, 0x000000);
	/* the scene: centre and extent, longitudes relative to the first fix */
	double lon0 = NAN, minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (!p[i].has_pos) continue;
		if (isnan(lon0)) lon0 = p[i].lon;
		double dx = wrap(p[i].lon - lon0);
		minx = fmin(minx, dx), maxx = fmax(maxx, dx), miny = fmin(miny, p[i].lat), maxy = fmax(maxy, p[i].lat);
	}
	int rc = 0;
	if (!isnan(lon0)) {
		double cx = wrap(lon0 + (minx + maxx) / 2), cy = (miny + maxy) / 2;
		if (atlas) {
			bool drawn;
			if (draw_atlas(&c, atlas, cx, cy, &drawn) == 0) *has_base = true;
		}
		/* locator: the scene as a red square */
		for (int j = -5; j <= 5; j++)
			for (int i = -5; i <= 5; i++)
				if (abs(i) == 5 || abs(j) == 5) put(&c, HALF / 2 + i, H / 2 + j, 0xcc0022);
		/* detail: metres east/north of the box centre, 10 % margin */
		double k = cos(cy * M_PI / 180) * 111320.0, ky = 110574.0;
		double wm = fmax((maxx - minx) * k, 1), hm = fmax((maxy - miny) * ky, 1);
		double scale = 0.8 * fmin(HALF / wm, H / hm);
		const char *flight = NULL;
		int px = 0, py = 0;
		for (size_t i = 0; i < n; i++) {
			if (!p[i].has_pos) continue;
			double ex = (wrap(p[i].lon - lon0) - (minx + maxx) / 2) * k, ny = (p[i].lat - cy) * ky;
			int x = HALF + HALF / 2 + (int)lround(ex * scale), y = H / 2 - (int)lround(ny * scale);
			if (flight && !strcmp(flight, p[i].flight)) line(&c, px, py, x, y, 0xcc0022, HALF + 1, W);
			flight = p[i].flight;
			px = x;
			py = y;
		}
		for (size_t i = 0; i < n; i++) {
			if (!p[i].has_pos) continue;
			double ex = (wrap(p[i].lon - lon0) - (minx + maxx) / 2) * k, ny = (p[i].lat - cy) * ky;
			dot(&c, HALF + HALF / 2 + (int)lround(ex * scale), H / 2 - (int)lround(ny * scale), 3, 0x003366);
		}
		/* a 100 m scale bar, when it fits */
		int bar = (int)lround(100 * scale);
		if (bar > 10 && bar < HALF - 40)
			for (int t = 0; t < 3; t++) line(&c, HALF + 20, H - 20 + t, HALF + 20 + bar, H - 20 + t, 0x000000, HALF + 1, W);
	}
	rc = encode_png(out, len, &c);
	free(c.px);
	return rc;
}
