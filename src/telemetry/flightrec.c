/*
 * flightrec.c - DJI flight records, offline (format notes in
 * dv/flightrec.h). Every read goes through dv_rd; record lengths are
 * checked against what remains; a record that does not end in 0xFF makes
 * the walk skip one byte and try again (counted in skipped_bytes), so a
 * damaged or cut file yields what is decodable and a warning.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"
#include "telemetry/flightrec_int.h"
#include "core/rd_int.h"
#include "dv/util.h"
#include "tele_int.h"

#define PREFIX_OLD 12
#define PREFIX_NEW 100
#define DETAILS_V12 436
#define TIME_MAX_MS 7258118400000LL /* 2200-01-01: later (or negative) times are damage */

static void warn(dv_flightrec *f, int64_t off, const char *what)
{
	if (f->warnings++ == 0)
		snprintf(f->first_warning, sizeof(f->first_warning), "offset %lld: %s", (long long)off, what);
}

/* ---- XOR key: CRC-64 with the Jones polynomial, reflected, no final xor */

static uint64_t crc64_jones(uint64_t crc, const uint8_t *p, size_t n)
{
	static uint64_t table[256];
	static _Thread_local bool ready; /* per thread: no lock, same result */
	if (!ready) {
		for (unsigned i = 0; i < 256; i++) {
			uint64_t c = i;
			for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x95AC9329AC4BC9B5ULL : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

/* Decodes n bytes (after the seed byte) of a record of type into out. */
static void xor_decode(uint8_t seed, uint8_t type, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t m[8], key[8];
	uint64_t prod = 0x123456789ABCDEF0ULL * (uint64_t)seed;
	for (int i = 0; i < 8; i++) m[i] = (uint8_t)(prod >> (8 * i));
	uint64_t k = crc64_jones((uint8_t)(seed + type), m, 8);
	for (int i = 0; i < 8; i++) key[i] = (uint8_t)(k >> (8 * i));
	for (size_t i = 0; i < n; i++) out[i] = in[i] ^ key[i % 8];
}

/* ---- little-endian field readers over a decoded payload --------------- */

static bool le_u64(dv_rd *r, size_t at, uint64_t *v)
{
	dv_rd c = *r;
	return dv_rd_seek(&c, at) == 0 && dv_rd_u64le(&c, v) == 0;
}
static double le_f64(dv_rd *r, size_t at)
{
	uint64_t u;
	if (!le_u64(r, at, &u)) return NAN;
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}
static double le_f32(dv_rd *r, size_t at)
{
	dv_rd c = *r;
	uint32_t u;
	if (dv_rd_seek(&c, at) < 0 || dv_rd_u32le(&c, &u) < 0) return NAN;
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}
static bool le_i32(dv_rd *r, size_t at, int32_t *v)
{
	dv_rd c = *r;
	uint32_t u;
	if (dv_rd_seek(&c, at) < 0 || dv_rd_u32le(&c, &u) < 0) return false;
	*v = (int32_t)u;
	return true;
}
static double le_i16_10(dv_rd *r, size_t at)
{
	dv_rd c = *r;
	uint16_t u;
	if (dv_rd_seek(&c, at) < 0 || dv_rd_u16le(&c, &u) < 0) return NAN;
	return (int16_t)u / 10.0;
}
static int le_u8(dv_rd *r, size_t at)
{
	dv_rd c = *r;
	uint8_t u;
	if (dv_rd_seek(&c, at) < 0 || dv_rd_u8(&c, &u) < 0) return -1;
	return u;
}
static void le_str(dv_rd *r, size_t at, size_t n, char *out, size_t size)
{
	out[0] = 0;
	dv_rd c = *r;
	const uint8_t *p;
	if (dv_rd_seek(&c, at) < 0 || dv_rd_view(&c, n, &p) < 0) return;
	size_t w = 0;
	for (size_t i = 0; i < n && p[i] && w + 1 < size; i++)
		out[w++] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
	out[w] = 0;
}

/*
 * DJI's product codes (details byte "product type"). Sources: the
 * ProductType enum of dji-log-parser (github.com/lvauvillier/dji-log-parser,
 * dji-log-parser/src/layout/details.rs) and of DJI's own
 * FlightRecordParsingLib (github.com/dji-sdk/FlightRecordParsingLib,
 * dji-flightrecordengine/source/model/protocol/dji_product_type.h); the
 * two agree where both name a code. Codes neither names stay "".
 */
static const char *product_name(unsigned code)
{
	static const struct { unsigned c; const char *n; } t[] = {
		{ 1, "Inspire 1" }, { 2, "Phantom 3 Standard" }, { 3, "Phantom 3 Advanced" },
		{ 4, "Phantom 3 Pro" }, { 5, "Osmo" }, { 6, "Matrice 100" }, { 7, "Phantom 4" },
		{ 8, "Lightbridge 2" }, { 9, "Inspire 1 Pro" }, { 10, "A3" }, { 11, "Matrice 600" },
		{ 12, "Phantom 3 4K" }, { 13, "Mavic Pro" }, { 14, "Zenmuse XT" }, { 15, "Inspire 1 RAW" },
		{ 16, "A2" }, { 17, "Inspire 2" }, { 18, "Osmo Pro" }, { 19, "Osmo Raw" }, { 20, "Osmo+" },
		{ 21, "Mavic" }, { 22, "Osmo Mobile" }, { 23, "Orange CV600" }, { 24, "Phantom 4 Pro" },
		{ 25, "N3 flight controller" }, { 26, "Spark" }, { 27, "Matrice 600 Pro" },
		{ 28, "Phantom 4 Advanced" }, { 29, "Phantom 3 SE" }, { 30, "AG405" }, { 31, "Matrice 200" },
		{ 33, "Matrice 210" }, { 34, "Matrice 210 RTK" }, { 38, "Mavic Air" }, { 42, "Mavic 2" },
		{ 44, "Phantom 4 Pro V2" }, { 46, "Phantom 4 RTK" }, { 57, "Phantom 4 Multispectral" },
		{ 58, "Mavic 2 Enterprise" }, { 59, "Mavic Mini" }, { 60, "Matrice 200 V2" },
		{ 61, "Matrice 210 V2" }, { 62, "Matrice 210 RTK V2" }, { 67, "Mavic Air 2" },
		{ 70, "Matrice 300 RTK" }, { 73, "FPV" }, { 75, "Air 2S" }, { 76, "Mini 2" }, { 77, "Mavic 3" },
		{ 96, "Mini SE" }, { 103, "Mini 3 Pro" }, { 111, "Mavic 3 Pro" }, { 116, "Matrice 30" },
		{ 118, "Mavic 3 Enterprise" }, { 121, "Avata" }, { 126, "Mini 4 Pro" }, { 152, "Avata 2" },
		{ 170, "Matrice 350 RTK" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].c == code) return t[i].n;
	return "";
}

const char *dv_flightrec_product_name(unsigned code)
{
	return product_name(code);
}

/* The details block (plain bytes) for a format version. */
static void parse_details(dv_flightrec *f, const uint8_t *p, size_t n, const char *name, int64_t base)
{
	dv_rd r = dv_rd_init(p, n, name, base);
	dv_flightrec_details *d = &f->details;
	uint64_t u;
	if (!le_u64(&r, 91, &u)) {
		warn(f, base, "details block too short");
		return;
	}
	f->has_details = true;
	le_str(&r, 40, 20, d->city, sizeof(d->city));
	le_str(&r, 60, 20, d->area, sizeof(d->area));
	le_i32(&r, 83, &d->record_line_count);
	d->start_time_ms = (int64_t)u;
	if (d->start_time_ms < 0 || d->start_time_ms > TIME_MAX_MS) {
		warn(f, base + 91, "start time out of range");
		d->start_time_ms = 0;
	}
	d->home_lon = le_f64(&r, 99);
	d->home_lat = le_f64(&r, 107);
	d->has_home = isfinite(d->home_lat) && isfinite(d->home_lon) && fabs(d->home_lat) <= 90 &&
	              fabs(d->home_lon) <= 180 && !(d->home_lat == 0 && d->home_lon == 0);
	d->total_distance_m = le_f32(&r, 115);
	int32_t ms;
	d->total_time_s = le_i32(&r, 119, &ms) ? ms / 1000.0 : NAN;
	d->max_height_m = le_f32(&r, 123);
	d->max_hspeed_ms = le_f32(&r, 127);
	d->max_vspeed_ms = le_f32(&r, 131);
	le_i32(&r, 135, &d->capture_num);
	if (le_u64(&r, 139, &u)) d->video_time_s = (int64_t)(u & 0x7fffffffffffffffULL);
	int pt;
	if (f->version <= 5) {
		d->takeoff_altitude_m = le_f32(&r, 352);
		pt = le_u8(&r, 277);
		le_str(&r, 278, 24, d->aircraft_name, sizeof(d->aircraft_name));
		le_str(&r, 267, 10, d->aircraft_sn, sizeof(d->aircraft_sn));
		le_str(&r, 318, 10, d->camera_sn, sizeof(d->camera_sn));
		le_str(&r, 328, 10, d->rc_sn, sizeof(d->rc_sn));
		le_str(&r, 338, 10, d->battery_sn, sizeof(d->battery_sn));
	} else {
		d->takeoff_altitude_m = le_f32(&r, 267);
		pt = le_u8(&r, 271);
		le_str(&r, 280, 32, d->aircraft_name, sizeof(d->aircraft_name));
		le_str(&r, 312, 16, d->aircraft_sn, sizeof(d->aircraft_sn));
		le_str(&r, 328, 16, d->camera_sn, sizeof(d->camera_sn));
		le_str(&r, 344, 16, d->rc_sn, sizeof(d->rc_sn));
		le_str(&r, 360, 16, d->battery_sn, sizeof(d->battery_sn));
	}
	size_t app = f->version <= 5 ? 348 : 376;
	int plat = le_u8(&r, app);
	static const char *plats[] = { "", "iOS", "Android", "", "", "", "DJI Fly", "", "", "", "Windows", "Mac", "Linux" };
	if (plat >= 0 && plat < (int)(sizeof(plats) / sizeof(plats[0])))
		snprintf(d->app_platform, sizeof(d->app_platform), "%s", plats[plat]);
	int a = le_u8(&r, app + 1), b = le_u8(&r, app + 2), c = le_u8(&r, app + 3);
	/* bytes (le_u8 gives 0..255 or -1): at most "255.255.255" */
	if (a >= 0 && b >= 0 && c >= 0)
		snprintf(d->app_version, sizeof(d->app_version), "%u.%u.%u", (unsigned)(uint8_t)a, (unsigned)(uint8_t)b,
		         (unsigned)(uint8_t)c);
	if (pt >= 0) {
		d->product_type = (unsigned)pt;
		snprintf(d->product_name, sizeof(d->product_name), "%s", product_name((unsigned)pt));
	}
}

/* v13+: aux blocks at 100: u8 kind (0 = details, XOR'd; 1 = version), u16 len, data. */
static void parse_aux(dv_flightrec *f, dv_rd *r, const char *name)
{
	for (int i = 0; i < 8 && dv_rd_left(r) >= 3; i++) {
		int64_t off = dv_rd_offset(r);
		uint8_t kind;
		uint16_t len;
		dv_rd blk;
		if (dv_rd_u8(r, &kind) < 0 || dv_rd_u16le(r, &len) < 0) return;
		if (kind > 1) {
			r->pos -= 3;
			return;
		}
		if (dv_rd_sub(r, len, &blk) < 0) {
			warn(f, off, "aux block runs past the end of the file");
			return;
		}
		if (kind != 0 || len < 4) continue;
		uint8_t seed, *plain = malloc(len);
		if (!plain) return;
		dv_rd_u8(&blk, &seed);
		size_t n = dv_rd_left(&blk);
		xor_decode(seed, 0, dv_rd_ptr(&blk), n, plain);
		dv_rd pr = dv_rd_init(plain, n, name, off + 4);
		uint8_t vdata;
		uint16_t ilen;
		const uint8_t *info;
		if (dv_rd_u8(&pr, &vdata) == 0 && dv_rd_u16le(&pr, &ilen) == 0 && dv_rd_view(&pr, ilen, &info) == 0)
			parse_details(f, info, ilen, name, off + 7);
		else
			warn(f, off, "details aux block malformed");
		free(plain);
	}
}

typedef struct walk {
	dv_flightrec_point cur;
	bool have_osd;
	int64_t last_time_ms;
	dv_flightrec_cb cb;
	void *payload;
} walk;

static void point_reset(dv_flightrec_point *p)
{
	memset(p, 0, sizeof(*p));
	p->pt.media_ms = -1;
	p->pt.alt = p->pt.height = NAN;
	p->pitch = p->roll = p->yaw = NAN;
	p->gimbal_pitch = p->gimbal_roll = p->gimbal_yaw = NAN;
	p->speed_x = p->speed_y = p->speed_z = p->fly_time_s = NAN;
	p->gps_num = -1;
}

static int flush(walk *w)
{
	if (!w->have_osd) return 0;
	w->have_osd = false;
	if (w->last_time_ms > 0) {
		w->cur.pt.time_us = w->last_time_ms * 1000;
		w->cur.pt.time_kind = DV_TIME_UTC;
	}
	return w->cb ? w->cb(&w->cur, w->payload) : 0;
}

static int on_record(dv_flightrec *f, walk *w, uint8_t type, const uint8_t *p, size_t n, const char *name, int64_t off)
{
	dv_rd r = dv_rd_init(p, n, name, off);
	switch (type) {
	case 1: { /* OSD */
		int rc = flush(w);
		if (rc) return rc;
		point_reset(&w->cur);
		double lon = le_f64(&r, 0) * 180.0 / M_PI, lat = le_f64(&r, 8) * 180.0 / M_PI;
		if (isfinite(lat) && isfinite(lon) && fabs(lat) <= 90 && fabs(lon) <= 180 && !(lat == 0 && lon == 0)) {
			w->cur.pt.has_pos = true;
			w->cur.pt.lat = lat;
			w->cur.pt.lon = lon;
		}
		w->cur.pt.height = le_i16_10(&r, 16);
		w->cur.speed_x = le_i16_10(&r, 18);
		w->cur.speed_y = le_i16_10(&r, 20);
		w->cur.speed_z = le_i16_10(&r, 22);
		w->cur.pitch = le_i16_10(&r, 24);
		w->cur.roll = le_i16_10(&r, 26);
		w->cur.yaw = le_i16_10(&r, 28);
		w->cur.gps_num = le_u8(&r, 36);
		dv_rd c = r;
		uint16_t ft;
		if (dv_rd_seek(&c, 42) == 0 && dv_rd_u16le(&c, &ft) == 0) w->cur.fly_time_s = ft / 10.0;
		w->have_osd = true;
		f->osd++;
		break;
	}
	case 2: /* home */
		if (!f->has_home_record) {
			double lon = le_f64(&r, 0) * 180.0 / M_PI, lat = le_f64(&r, 8) * 180.0 / M_PI;
			if (isfinite(lat) && isfinite(lon) && fabs(lat) <= 90 && fabs(lon) <= 180 && !(lat == 0 && lon == 0)) {
				f->has_home_record = true;
				f->home_lat = lat;
				f->home_lon = lon;
				f->home_alt = le_f32(&r, 16) / 10.0;
			}
		}
		f->home++;
		break;
	case 3: /* gimbal */
		w->cur.gimbal_pitch = le_i16_10(&r, 0);
		w->cur.gimbal_roll = le_i16_10(&r, 2);
		w->cur.gimbal_yaw = le_i16_10(&r, 4);
		f->gimbal++;
		break;
	case 5: { /* custom: update time stamp (UTC ms) */
		uint64_t t;
		if (le_u64(&r, 10, &t) && (int64_t)t > 0 && (int64_t)t < TIME_MAX_MS) w->last_time_ms = (int64_t)t;
		f->custom++;
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Records between [start, end): decode (v <= 12) or count (v13+). */
static int walk_records(dv_flightrec *f, const uint8_t *buf, size_t start, size_t end, const char *name,
                        dv_flightrec_cb cb, void *payload)
{
	walk w = { .cb = cb, .payload = payload };
	point_reset(&w.cur);
	dv_rd r = dv_rd_init(buf, end, name, 0);
	if (dv_rd_seek(&r, start) < 0) return 0;
	bool wide = f->version >= 13;     /* u16 lengths */
	bool xored = f->version >= 7;
	uint64_t skipped_run = 0;
	static _Thread_local uint8_t plain[65536];
	while (dv_rd_left(&r) > 0) {
		size_t at = r.pos;
		const uint8_t *p = dv_rd_ptr(&r);
		size_t left = dv_rd_left(&r);
		if ((left >= 6 && !memcmp(p, "\x39\x30\0\0\xFF\xD8", 6)) ||
		    (left == 4 && !memcmp(p, "\x39\x30\0\0", 4))) {
			/* u32 12345: DJI apps write it before the thumbnails of v13+
			 * files and as the last 4 bytes of the records, before the
			 * details area: regular, not damage */
			dv_rd_skip(&r, 4);
			f->trailer = true;
			continue;
		}
		if (left >= 2 && p[0] == 0xFF && p[1] == 0xD8) { /* embedded JPEG thumbnail */
			/* ends at an FF D9 followed by the end, another JPEG or the
			 * 12345 marker (an inner EXIF thumbnail has its own FF D9) */
			size_t k = 2, jl = left;
			for (; k + 1 < left; k++) {
				if (p[k] != 0xFF || p[k + 1] != 0xD9) continue;
				size_t e = k + 2;
				if (e == left || (e + 1 < left && p[e] == 0xFF && p[e + 1] == 0xD8) ||
				    (e + 4 <= left && !memcmp(p + e, "\x39\x30\0\0", 4)) ||
				    (e < left && p[e] <= 60 && !f->encrypted)) {
					jl = e;
					break;
				}
			}
			f->jpegs++;
			f->jpeg_bytes += jl;
			f->records++;
			dv_rd_skip(&r, jl);
			continue;
		}
		/* Check the frame in place first: resynchronising over damage
		 * must not format an error message per byte. */
		size_t hdr = wide ? 3 : 2;
		size_t plen = left < hdr ? 0 : (wide ? (size_t)p[1] | (size_t)p[2] << 8 : p[1]);
		bool ok = left >= hdr && plen + 1 <= left - hdr && p[hdr + plen] == 0xFF;
		uint8_t type = 0;
		uint16_t len = 0;
		uint8_t l8, endb = 0;
		const uint8_t *pay = NULL;
		if (ok) {
			dv_rd_u8(&r, &type);
			if (wide) dv_rd_u16le(&r, &len);
			else if (dv_rd_u8(&r, &l8) == 0) len = l8;
			ok = dv_rd_view(&r, len, &pay) == 0 && dv_rd_u8(&r, &endb) == 0 && endb == 0xFF;
		}
		if (!ok) {
			/* not a record here: resynchronise one byte on */
			if (skipped_run++ == 0 && f->skipped_bytes == 0)
				warn(f, (int64_t)at, "unreadable record bytes skipped (damaged or cut file)");
			f->skipped_bytes++;
			r.pos = at + 1;
			continue;
		}
		skipped_run = 0;
		f->records++;
		if (f->encrypted) continue; /* v13+: counted, not decoded */
		const uint8_t *body = pay;
		size_t blen = len;
		if (xored && len >= 1) {
			xor_decode(pay[0], type, pay + 1, len - 1u, plain);
			body = plain;
			blen = len - 1u;
		}
		int rc = on_record(f, &w, type, body, blen, name, (int64_t)at);
		if (rc) return rc;
	}
	return flush(&w);
}

int dv_flightrec_parse_mem(dv_flightrec *out, const void *buf, size_t len, const char *name,
                           dv_flightrec_cb cb, void *payload)
{
	memset(out, 0, sizeof(*out));
	out->home_lat = out->home_lon = out->home_alt = NAN;
	const uint8_t *b = buf;
	dv_rd r = dv_rd_init(buf, len, name, 0);
	uint64_t doff;
	uint16_t dlen;
	uint8_t ver;
	if (dv_rd_u64le(&r, &doff) < 0 || dv_rd_u16le(&r, &dlen) < 0 || dv_rd_u8(&r, &ver) < 0)
		return dv_error_set(DV_EINVAL, name, 0, "not a flight record: %zu bytes", len);
	if (ver == 0 || ver > 40)
		return dv_error_set(DV_EINVAL, name, 10, "not a flight record: format version %u", ver);
	out->version = ver;
	out->detail_offset = doff;
	out->encrypted = ver >= 13;
	bool doff_ok = doff <= len;
	if (!doff_ok) warn(out, 0, "detail offset beyond the end of the file (cut file): details lost");

	size_t rec_start, rec_end;
	if (ver < 6) {
		rec_start = PREFIX_OLD;
		rec_end = doff_ok ? (size_t)doff : len;
	} else if (ver < 12) {
		rec_start = PREFIX_NEW;
		rec_end = doff_ok ? (size_t)doff : len;
	} else if (ver == 12) {
		rec_start = PREFIX_NEW + DETAILS_V12;
		rec_end = len;
	} else {
		rec_start = doff_ok ? (size_t)doff : len;
		rec_end = len;
	}
	if (rec_start > len) rec_start = len;
	if (rec_end < rec_start) rec_end = rec_start;

	if (ver < 12) {
		if (doff_ok && doff < len) parse_details(out, b + doff, len - (size_t)doff, name, (int64_t)doff);
	} else if (ver == 12) {
		if (len > PREFIX_NEW) parse_details(out, b + PREFIX_NEW, len - PREFIX_NEW, name, PREFIX_NEW);
	} else {
		dv_rd a = dv_rd_init(buf, rec_start > PREFIX_NEW ? rec_start : len, name, 0);
		if (dv_rd_seek(&a, PREFIX_NEW) == 0) parse_aux(out, &a, name);
	}
	if (!out->has_details) warn(out, doff_ok ? (int64_t)doff : 0, "no readable details block");
	return walk_records(out, b, rec_start, rec_end, name, cb, payload);
}

int dv_flightrec_read_file(dv_flightrec *out, const char *path, dv_flightrec_cb cb, void *payload)
{
	memset(out, 0, sizeof(*out));
	int fd = dv__open_regular(path); /* refuses FIFOs before dv_read_file could block */
	if (fd < 0) return fd;
	close(fd);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = dv_read_file(&buf, &len, path, DV_FLIGHTREC_MAX_BYTES);
	if (rc < 0) return rc;
	rc = dv_flightrec_parse_mem(out, buf, len, path, cb, payload);
	free(buf);
	return rc;
}

/*
 * By content: the prefix's version byte (1..20), the details offset within
 * the file (for v1-11 the details follow the records; v13+ the records
 * follow the aux blocks), and a first record (or aux block) framed right.
 */
bool dv_flightrec_sniff(const uint8_t *head, size_t got, uint64_t file_len)
{
	if (got < 12 || file_len < 12) return false;
	uint64_t doff = 0;
	for (int i = 7; i >= 0; i--) doff = doff << 8 | head[i];
	unsigned ver = head[10];
	if (ver == 0 || ver > 20) return false;
	size_t prefix = ver < 6 ? PREFIX_OLD : PREFIX_NEW;
	if (file_len < prefix || doff > file_len) return false;
	size_t rec;
	if (ver < 12) {
		if (doff < prefix) return false;
		rec = prefix;
	} else if (ver == 12) {
		rec = PREFIX_NEW + DETAILS_V12;
	} else {
		if (doff <= PREFIX_NEW) return false;
		/* the first aux block: kind 0 (details) or 1 (version), u16 length within the file */
		if (got < PREFIX_NEW + 3) return false;
		const uint8_t *a = head + PREFIX_NEW;
		size_t alen = (size_t)a[1] | (size_t)a[2] << 8;
		return a[0] <= 1 && PREFIX_NEW + 3 + alen <= doff;
	}
	if (rec == doff && ver < 12) return true; /* no records at all */
	/* the first record: type, u8 length, payload, 0xFF (or a thumbnail) */
	if (got < rec + 2) return false;
	const uint8_t *p = head + rec;
	if (p[0] == 0xFF && p[1] == 0xD8) return true;
	size_t plen = p[1];
	if (got < rec + 2 + plen + 1) return false;
	return p[0] != 0 && p[2 + plen] == 0xFF;
}
