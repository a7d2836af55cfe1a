/*
 * inspect.c - file kind detection and the JSON object of dv/inspect.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/inspect.h"
#include "telemetry/photo_int.h"
#include "telemetry/srt_int.h"
#include "telemetry/video_int.h"
#include "telemetry/flightrec_int.h"
#include "tele_int.h"

const char *dv_media_kind_name(dv_media_kind k)
{
	switch (k) {
	case DV_MEDIA_PHOTO: return "photo";
	case DV_MEDIA_SRT: return "srt";
	case DV_MEDIA_VIDEO: return "video";
	case DV_MEDIA_FLIGHT_RECORD: return "flight_record";
	default: return "unknown";
	}
}

static bool ext_is(const char *path, const char *ext)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	return dot && (!slash || dot > slash) && !strcasecmp(dot + 1, ext);
}

/* Text that starts like an SRT: within the first lines (after a BOM and
 * blank lines, optionally an index line), a "HH:MM:SS,mmm -->" timecode. */
static bool srt_sniff(const uint8_t *m, size_t got)
{
	size_t i = 0;
	if (got >= 3 && m[0] == 0xEF && m[1] == 0xBB && m[2] == 0xBF) i = 3;
	for (int line = 0; line < 4 && i < got; line++) {
		while (i < got && (m[i] == '\r' || m[i] == '\n' || m[i] == ' ' || m[i] == '\t')) i++;
		size_t s = i;
		while (i < got && m[i] != '\r' && m[i] != '\n') {
			if (m[i] == 0) return false; /* binary */
			i++;
		}
		size_t e = i, k = s, d = 0;
		while (k < e && m[k] >= '0' && m[k] <= '9') k++, d++;
		if (d >= 1 && d <= 3 && k + 6 <= e && m[k] == ':' && m[k + 1] >= '0' && m[k + 1] <= '9' &&
		    m[k + 2] >= '0' && m[k + 2] <= '9' && m[k + 3] == ':') {
			for (size_t q = k; q + 3 <= e; q++)
				if (m[q] == '-' && m[q + 1] == '-' && m[q + 2] == '>') return true;
			return false;
		}
		if (d == 0 || k != e) return false; /* neither an index nor a timecode */
	}
	return false;
}

/* From the first bytes (m, got of them) of a file of file_len bytes, then
 * the name when the content says nothing. */
static dv_media_kind kind_from(const char *path, const uint8_t *m, size_t got, uint64_t file_len)
{
	if (got >= 2 && m[0] == 0xFF && m[1] == 0xD8) return DV_MEDIA_PHOTO;
	if (got >= 4 && ((!memcmp(m, "II*", 3) && m[3] == 0) || !memcmp(m, "MM\0*", 4)))
		return DV_MEDIA_PHOTO;
	if (got >= 8 && (!memcmp(m + 4, "ftyp", 4) || !memcmp(m + 4, "moov", 4) || !memcmp(m + 4, "mdat", 4) ||
	                 !memcmp(m + 4, "wide", 4) || !memcmp(m + 4, "free", 4) || !memcmp(m + 4, "skip", 4)))
		return DV_MEDIA_VIDEO;
	if (dv_flightrec_sniff(m, got, file_len)) return DV_MEDIA_FLIGHT_RECORD;
	if (srt_sniff(m, got)) return DV_MEDIA_SRT;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strncmp(base, "DJIFlightRecord", 15)) return DV_MEDIA_FLIGHT_RECORD;
	if (ext_is(path, "srt")) return DV_MEDIA_SRT;
	if (ext_is(path, "jpg") || ext_is(path, "jpeg") || ext_is(path, "dng")) return DV_MEDIA_PHOTO;
	if (ext_is(path, "mp4") || ext_is(path, "mov")) return DV_MEDIA_VIDEO;
	return DV_MEDIA_UNKNOWN;
}

dv_media_kind dv_media_kind_of(const char *path)
{
	uint8_t m[DV_FLIGHTREC_SNIFF] = { 0 };
	ssize_t got = 0;
	uint64_t size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block us */
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			size = (uint64_t)st.st_size;
			got = pread(fd, m, sizeof(m), 0);
		}
		close(fd);
	}
	return kind_from(path, m, got > 0 ? (size_t)got : 0, size);
}

/* What is being inspected: a file, or a buffer named like one. */
typedef struct insrc {
	const char *path;    /* file name (also the label of errors) */
	const uint8_t *mem;  /* the bytes, or NULL to read path */
	size_t len;
} insrc;

/* ---- json helpers ------------------------------------------------------ */

static json_object *jnum(double v)
{
	if (!isfinite(v)) return NULL; /* json-c: NULL is null */
	char buf[40];
	snprintf(buf, sizeof(buf), "%.15g", v);
	return json_object_new_double_s(v, buf);
}

static json_object *jstr(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *jtime(int64_t us, dv_time_kind k)
{
	char t[48];
	dv_telemetry_time_text(t, sizeof(t), us, k);
	return jstr(t);
}

static const char *time_kind_name(dv_time_kind k)
{
	return k == DV_TIME_UTC ? "utc" : k == DV_TIME_LOCAL ? "local" : "none";
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *jpos(double lat, double lon, double alt, const char *source)
{
	json_object *p = json_object_new_object();
	add(p, "lat", jnum(lat));
	add(p, "lon", jnum(lon));
	add(p, "alt", jnum(alt));
	if (source) add(p, "source", jstr(source));
	return p;
}

static json_object *jtriple(const char *a, double x, const char *b, double y, const char *c, double z)
{
	if (!isfinite(x) && !isfinite(y) && !isfinite(z)) return NULL;
	json_object *o = json_object_new_object();
	add(o, a, jnum(x));
	add(o, b, jnum(y));
	add(o, c, jnum(z));
	return o;
}

/* ---- photos ------------------------------------------------------------ */

/* "2022:07:23 07:12:22.872778" -> UTC microseconds. */
static bool parse_utc_exposure(const char *s, int64_t *out)
{
	if (!s || strlen(s) < 19) return false;
	int v[6] = { 0 };
	static const int pos[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < len[k]; i++) {
			char c = s[pos[k] + i];
			if (c < '0' || c > '9') return false;
			v[k] = v[k] * 10 + (c - '0');
		}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return false;
	int64_t us = ((dv_telemetry_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * 24 + v[3]) * 60 + v[4]) * 60 + v[5];
	us *= 1000000;
	if (s[19] == '.') {
		int64_t scale = 100000;
		for (const char *q = s + 20; *q >= '0' && *q <= '9' && scale; q++, scale /= 10)
			us += (*q - '0') * scale;
	}
	*out = us;
	return true;
}

bool dv_photo_point(const dv_photo *p, dv_track_point *out)
{
	memset(out, 0, sizeof(*out));
	out->media_ms = -1;
	out->alt = out->height = NAN;
	if (p->has_xmp && p->xmp.has_pos) {
		out->has_pos = true;
		out->lat = p->xmp.lat;
		out->lon = p->xmp.lon;
		out->alt = p->xmp.abs_alt;
		out->height = p->xmp.rel_alt;
	} else if (p->has_exif && p->exif.has_pos) {
		out->has_pos = true;
		out->lat = p->exif.lat;
		out->lon = p->exif.lon;
		out->alt = p->exif.has_alt ? p->exif.alt : NAN;
		if (p->has_xmp) out->height = p->xmp.rel_alt;
	}
	int64_t us;
	if (p->has_xmp && parse_utc_exposure(p->xmp.utc_at_exposure, &us)) {
		out->time_us = us;
		out->time_kind = DV_TIME_UTC;
	} else if (p->has_exif && p->exif.has_time) {
		out->time_us = p->exif.time_us;
		out->time_kind = DV_TIME_LOCAL;
	}
	return out->has_pos || out->time_kind != DV_TIME_NONE;
}

static void photo_json(json_object *o, const dv_photo *p)
{
	dv_track_point pt;
	dv_photo_point(p, &pt);
	const char *src = p->has_xmp && p->xmp.has_pos ? "xmp" : "exif";
	add(o, "position", pt.has_pos ? jpos(pt.lat, pt.lon, pt.alt, src) : NULL);
	add(o, "time", jtime(pt.time_us, pt.time_kind));
	add(o, "time_kind", json_object_new_string(time_kind_name(pt.time_kind)));
	/* which tag "time" is: a capture time only (never ModifyDate) */
	const char *tsrc = NULL;
	char tsbuf[48];
	if (pt.time_kind != DV_TIME_NONE) {
		if (p->has_xmp && pt.time_kind == DV_TIME_UTC) {
			tsrc = "xmp UTCAtExposure";
		} else if (p->has_exif) {
			snprintf(tsbuf, sizeof(tsbuf), "exif %s", dv_exif_time_source_name(p->exif.time_source));
			tsrc = tsbuf;
		}
	}
	add(o, "time_source", tsrc ? json_object_new_string(tsrc) : NULL);
	add(o, "format", json_object_new_string(p->kind == DV_PHOTO_TIFF ? "tiff" : "jpeg"));
	add(o, "bytes_read", json_object_new_int64((int64_t)p->bytes_read));
	const dv_exif *e = &p->exif;
	add(o, "make", p->has_exif ? jstr(e->make) : NULL);
	add(o, "model", p->has_exif ? jstr(e->model) : NULL);
	add(o, "software", p->has_exif ? jstr(e->software) : NULL);
	add(o, "serial", p->has_exif ? jstr(e->serial) : NULL);
	int64_t w = p->width > 0 ? p->width : (p->has_exif ? e->width : -1);
	int64_t h = p->height > 0 ? p->height : (p->has_exif ? e->height : -1);
	add(o, "width", w > 0 ? json_object_new_int64(w) : NULL);
	add(o, "height", h > 0 ? json_object_new_int64(h) : NULL);
	add(o, "focal_length", p->has_exif ? jnum(e->focal_length) : NULL);
	add(o, "focal_length_35mm", p->has_exif ? jnum(e->focal_length_35mm) : NULL);

	json_object *ex = NULL;
	if (p->has_exif) {
		ex = json_object_new_object();
		add(ex, "datetime_original", jstr(e->datetime_original));
		add(ex, "subsec_time_original", jstr(e->subsec_original));
		add(ex, "offset_time_original", jstr(e->offset_original));
		add(ex, "datetime_digitized", jstr(e->datetime_digitized));
		add(ex, "subsec_time_digitized", jstr(e->subsec_digitized));
		add(ex, "offset_time_digitized", jstr(e->offset_digitized));
		add(ex, "modify_date", jstr(e->modify_date));
		add(ex, "subsec_time", jstr(e->subsec_modify));
		add(ex, "offset_time", jstr(e->offset_modify));
		add(ex, "time_source", e->has_time ? json_object_new_string(dv_exif_time_source_name(e->time_source)) : NULL);
		add(ex, "lens_serial", jstr(e->lens_serial));
		add(ex, "gps", e->has_pos ? jpos(e->lat, e->lon, e->has_alt ? e->alt : NAN, NULL) : NULL);
		add(ex, "gps_altitude_ref", e->alt_ref >= 0 ? json_object_new_int(e->alt_ref) : NULL);
		add(ex, "gps_datestamp", jstr(e->gps_datestamp));
		add(ex, "gps_time_s", e->has_gps_time ? jnum(e->gps_time_s) : NULL);
		/* GPSDateStamp + GPSTimeStamp: UTC of the fix, under its own name */
		json_object *gt = NULL;
		int gy, gm, gd;
		if (e->has_gps_time && e->gps_time_s >= 0 && e->gps_time_s < 86401 &&
		    sscanf(e->gps_datestamp, "%4d:%2d:%2d", &gy, &gm, &gd) == 3 && gy >= 1900 && gm >= 1 && gm <= 12 &&
		    gd >= 1 && gd <= 31) {
			int64_t us = dv_telemetry_days_from_civil(gy, (unsigned)gm, (unsigned)gd) * 86400000000LL +
			             (int64_t)llround(e->gps_time_s * 1e6);
			gt = jtime(us, DV_TIME_UTC);
		}
		add(ex, "gps_time", gt);
		add(ex, "entries", json_object_new_int((int)e->entries));
	}
	add(o, "exif", ex);

	json_object *xo = NULL;
	if (p->has_xmp) {
		const dv_xmp *x = &p->xmp;
		xo = json_object_new_object();
		add(xo, "recovered", json_object_new_boolean(x->recovered));
		add(xo, "position", x->has_pos ? jpos(x->lat, x->lon, x->abs_alt, NULL) : NULL);
		add(xo, "absolute_altitude", jnum(x->abs_alt));
		add(xo, "relative_altitude", jnum(x->rel_alt));
		add(xo, "gimbal", jtriple("roll", x->gimbal_roll, "yaw", x->gimbal_yaw, "pitch", x->gimbal_pitch));
		add(xo, "flight", jtriple("roll", x->flight_roll, "yaw", x->flight_yaw, "pitch", x->flight_pitch));
		add(xo, "speed", jtriple("x", x->speed_x, "y", x->speed_y, "z", x->speed_z));
		add(xo, "utc_at_exposure", jstr(x->utc_at_exposure));
		add(xo, "drone_model", jstr(x->drone_model));
		add(xo, "drone_serial", jstr(x->drone_serial));
		add(xo, "camera_serial", jstr(x->camera_serial));
		json_object *lrf = NULL;
		if (isfinite(x->lrf_distance) || isfinite(x->lrf_lat)) {
			lrf = json_object_new_object();
			add(lrf, "distance", jnum(x->lrf_distance));
			add(lrf, "target", x->has_lrf_pos ? jpos(x->lrf_lat, x->lrf_lon, x->lrf_abs_alt, NULL) : NULL);
			add(lrf, "target_alt", jnum(x->lrf_alt));
		}
		add(xo, "lrf", lrf);
		json_object *props = json_object_new_object();
		for (size_t i = 0; i < x->n_props; i++) {
			char key[96];
			snprintf(key, sizeof(key), "%s:%s", x->props[i].ns, x->props[i].name);
			add(props, key, json_object_new_string(x->props[i].value));
		}
		add(xo, "properties", props);
		if (x->n_dropped) add(xo, "dropped", json_object_new_int64((int64_t)x->n_dropped));
	}
	add(o, "xmp", xo);
}

/* ---- SRT --------------------------------------------------------------- */

typedef struct srt_acc {
	unsigned flags;
	json_object *points;        /* with DV_INSPECT_POINTS, in memory */
	FILE *stream;               /* with DV_INSPECT_POINTS, streamed instead */
	uint64_t streamed;
	bool has_first;
	dv_srt_cue first, last;     /* first and last cue with a fix */
	bool has_time;
	int64_t t0, t1;
	dv_time_kind tk;
	int64_t end_ms;
	double min_lat, max_lat, min_lon, max_lon, min_alt, max_alt, min_h, max_h;
	bool has_home;
	double home_lat, home_lon, home_alt;
} srt_acc;

static json_object *cue_json(const dv_srt_cue *c)
{
	json_object *o = json_object_new_object();
	add(o, "i", json_object_new_int64((int64_t)c->seq));
	add(o, "start_ms", c->start_ms >= 0 ? json_object_new_int64(c->start_ms) : NULL);
	add(o, "time", jtime(c->pt.time_us, c->pt.time_kind));
	add(o, "time_kind", json_object_new_string(time_kind_name(c->pt.time_kind)));
	if (c->pt.time_kind != DV_TIME_NONE) add(o, "time_us", json_object_new_int64(c->pt.time_us));
	if (c->pt.has_pos) { /* a point without a fix has no lat/lon keys at all */
		add(o, "lat", jnum(c->pt.lat));
		add(o, "lon", jnum(c->pt.lon));
	}
	add(o, "alt", jnum(c->pt.alt));
	add(o, "height", jnum(c->pt.height));
	if (c->zero_fix) add(o, "no_fix", json_object_new_boolean(1));
	if (c->sats >= 0) add(o, "sats", json_object_new_int(c->sats));
	if (c->has_home) add(o, "home", jpos(c->home_lat, c->home_lon, c->home_alt, NULL));
	json_object *g = jtriple("pitch", c->gimbal_pitch, "roll", c->gimbal_roll, "yaw", c->gimbal_yaw);
	if (g) add(o, "gimbal", g);
	json_object *f = jtriple("pitch", c->flight_pitch, "roll", c->flight_roll, "yaw", c->flight_yaw);
	if (f) add(o, "flight", f);
	add(o, "format", json_object_new_string(dv_srt_format_name(c->format)));
	return o;
}

static void minmax(double v, double *lo, double *hi)
{
	if (!isfinite(v)) return;
	if (!isfinite(*lo) || v < *lo) *lo = v;
	if (!isfinite(*hi) || v > *hi) *hi = v;
}

static int srt_cb(const dv_srt_cue *c, void *payload)
{
	srt_acc *a = payload;
	if (a->points) json_object_array_add(a->points, cue_json(c));
	if (a->stream) {
		json_object *j = cue_json(c);
		if (a->streamed++) fputc(',', a->stream);
		fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), a->stream);
		json_object_put(j);
	}
	if (c->end_ms > a->end_ms) a->end_ms = c->end_ms;
	if (c->pt.time_kind != DV_TIME_NONE) {
		if (!a->has_time) a->t0 = c->pt.time_us;
		a->has_time = true;
		a->t1 = c->pt.time_us;
		a->tk = c->pt.time_kind;
	}
	if (c->pt.has_pos) {
		if (!a->has_first) a->first = *c;
		a->has_first = true;
		a->last = *c;
		minmax(c->pt.lat, &a->min_lat, &a->max_lat);
		minmax(c->pt.lon, &a->min_lon, &a->max_lon);
	}
	minmax(c->pt.alt, &a->min_alt, &a->max_alt);
	minmax(c->pt.height, &a->min_h, &a->max_h);
	if (c->has_home && !a->has_home) {
		a->has_home = true;
		a->home_lat = c->home_lat;
		a->home_lon = c->home_lon;
		a->home_alt = c->home_alt;
	}
	return 0;
}

static json_object *jrange(double lo, double hi)
{
	if (!isfinite(lo)) return NULL;
	json_object *r = json_object_new_array();
	json_object_array_add(r, jnum(lo));
	json_object_array_add(r, jnum(hi));
	return r;
}

static int srt_run(const insrc *src, dv_srt_cue_cb cb, void *payload, dv_srt_stats *st)
{
	if (!src->mem) return dv_srt_read_file(src->path, cb, payload, st);
	dv_srt_parser *p;
	int rc = dv_srt_new(&p, src->path);
	if (rc < 0) return rc;
	rc = dv_srt_feed(p, src->mem, src->len, cb, payload);
	if (rc == 0) rc = dv_srt_finish(p, cb, payload);
	if (st) *st = *dv_srt_stats_get(p);
	dv_srt_free(p);
	return rc;
}

static int srt_json(json_object *o, const insrc *src, unsigned flags, FILE *stream, json_object *warnings)
{
	srt_acc a;
	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.end_ms = -1;
	a.min_lat = a.max_lat = a.min_lon = a.max_lon = a.min_alt = a.max_alt = a.min_h = a.max_h = NAN;
	if (flags & DV_INSPECT_POINTS) {
		if (stream) a.stream = stream;
		else a.points = json_object_new_array();
	}
	dv_srt_stats st;
	memset(&st, 0, sizeof(st));
	int rc = srt_run(src, srt_cb, &a, &st);
	if (rc < 0) {
		json_object_put(a.points);
		return rc;
	}
	add(o, "position", a.has_first ? jpos(a.first.pt.lat, a.first.pt.lon, a.first.pt.alt, "srt first fix") : NULL);
	add(o, "time", a.has_time ? jtime(a.t0, a.tk) : NULL);
	add(o, "time_kind", json_object_new_string(time_kind_name(a.has_time ? a.tk : DV_TIME_NONE)));
	add(o, "time_end", a.has_time ? jtime(a.t1, a.tk) : NULL);
	add(o, "bytes", json_object_new_int64((int64_t)st.bytes));
	add(o, "cues", json_object_new_int64((int64_t)st.cues));
	add(o, "fixes", json_object_new_int64((int64_t)st.fixes));
	add(o, "zero_fixes", json_object_new_int64((int64_t)st.zero_fixes));
	json_object *fm = json_object_new_array();
	for (int f = 0; f <= DV_SRT_RELABS; f++)
		if (st.formats & (1u << f)) json_object_array_add(fm, json_object_new_string(dv_srt_format_name((dv_srt_format)f)));
	add(o, "formats", fm);
	add(o, "duration_ms", a.end_ms >= 0 ? json_object_new_int64(a.end_ms) : NULL);
	add(o, "first_fix", a.has_first ? cue_json(&a.first) : NULL);
	add(o, "last_fix", a.has_first ? cue_json(&a.last) : NULL);
	json_object *bb = NULL;
	if (a.has_first) {
		bb = json_object_new_array(); /* GeoJSON order: west, south, east, north */
		json_object_array_add(bb, jnum(a.min_lon));
		json_object_array_add(bb, jnum(a.min_lat));
		json_object_array_add(bb, jnum(a.max_lon));
		json_object_array_add(bb, jnum(a.max_lat));
	}
	add(o, "bbox", bb);
	add(o, "home", a.has_home ? jpos(a.home_lat, a.home_lon, a.home_alt, NULL) : NULL);
	add(o, "alt_range", jrange(a.min_alt, a.max_alt));
	add(o, "height_range", jrange(a.min_h, a.max_h));
	if (a.points) add(o, "points", a.points);
	if (st.warnings) {
		char w[320];
		snprintf(w, sizeof(w), "%s (%llu warning%s in all)", st.first_warning,
		         (unsigned long long)st.warnings, st.warnings == 1 ? "" : "s");
		json_object_array_add(warnings, json_object_new_string(w));
	}
	if (st.cues == 0)
		json_object_array_add(warnings, json_object_new_string("no cues: empty or not an SRT file"));
	return 0;
}

typedef struct pts_acc {
	dv_track_point *v;
	size_t n, cap, max;
} pts_acc;

static int pts_cb(const dv_srt_cue *c, void *payload)
{
	pts_acc *a = payload;
	if (a->max && a->n >= a->max) return 0;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		dv_track_point *v = realloc(a->v, cap * sizeof(*v));
		if (!v) return dv_error_set(DV_ENOMEM, NULL, -1, "cannot grow track to %zu points", cap);
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = c->pt;
	return 0;
}

int dv_srt_points(dv_track_point **out, size_t *n, const char *path, size_t max)
{
	pts_acc a = { NULL, 0, 0, max };
	int rc = dv_srt_read_file(path, pts_cb, &a, NULL);
	if (rc < 0) {
		free(a.v);
		return rc;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

/* ---- videos ------------------------------------------------------------ */

static int video_json(json_object *o, const insrc *src, json_object *warnings)
{
	dv_video v;
	int rc = src->mem ? dv_video_parse_mem(&v, src->mem, src->len, src->path) : dv_video_read_file(&v, src->path);
	if (rc < 0) {
		add(o, "position", NULL);
		add(o, "time", NULL);
		add(o, "time_kind", json_object_new_string("none"));
		return rc;
	}
	char side[4096];
	bool has_side = !src->mem && dv_video_sidecar(src->path, side, sizeof(side)); /* a buffer has no siblings */
	json_object *pos = NULL;
	if (v.has_pos) {
		pos = jpos(v.lat, v.lon, v.alt, "container");
	} else if (has_side) {
		/* no position atom: the sidecar's first fix stands in, and says so */
		dv_track_point *pts = NULL;
		size_t n = 0;
		if (dv_srt_points(&pts, &n, side, 0) == 0)
			for (size_t i = 0; i < n; i++)
				if (pts[i].has_pos) {
					pos = jpos(pts[i].lat, pts[i].lon, pts[i].alt, "srt sidecar first fix");
					break;
				}
		free(pts);
	}
	add(o, "position", pos);
	add(o, "time", jtime(v.time_us, v.time_kind));
	add(o, "time_kind", json_object_new_string(time_kind_name(v.time_kind)));
	if (v.time_kind == DV_TIME_UTC)
		add(o, "time_note", json_object_new_string(
			"MP4 creation_time is UTC by the standard; some DJI firmware writes local time there"));
	add(o, "creation_time", jstr(v.creation_time));
	add(o, "duration_ms", v.duration_ms >= 0 ? json_object_new_int64(v.duration_ms) : NULL);
	add(o, "codec", jstr(v.codec));
	add(o, "width", v.width > 0 ? json_object_new_int(v.width) : NULL);
	add(o, "height", v.height > 0 ? json_object_new_int(v.height) : NULL);
	add(o, "fps", jnum(v.fps));
	add(o, "streams", json_object_new_int((int)v.streams));
	add(o, "size", json_object_new_int64(v.size));
	add(o, "major_brand", jstr(v.major_brand));
	add(o, "encoder", jstr(v.encoder));
	add(o, "make", jstr(v.make));
	add(o, "model", jstr(v.model));
	add(o, "location", jstr(v.location));
	add(o, "sidecar", has_side ? json_object_new_string(side) : NULL);
	if (v.location[0] && !v.has_pos)
		json_object_array_add(warnings, json_object_new_string("position atom present but not a valid ISO 6709 position"));
	return 0;
}

/* ---- flight records ---------------------------------------------------- */

typedef struct fr_acc {
	json_object *points;
	FILE *stream;
	uint64_t streamed;
	bool has_first;
	dv_flightrec_point first, last;
	uint64_t fixes;
	double min_lat, max_lat, min_lon, max_lon, min_h, max_h;
} fr_acc;

static json_object *frpoint_json(const dv_flightrec_point *p)
{
	json_object *o = json_object_new_object();
	add(o, "time", jtime(p->pt.time_us, p->pt.time_kind));
	add(o, "time_kind", json_object_new_string(time_kind_name(p->pt.time_kind)));
	if (p->pt.time_kind != DV_TIME_NONE) add(o, "time_us", json_object_new_int64(p->pt.time_us));
	if (p->pt.has_pos) { /* a point without a fix has no lat/lon keys at all */
		add(o, "lat", jnum(p->pt.lat));
		add(o, "lon", jnum(p->pt.lon));
	}
	add(o, "height", jnum(p->pt.height));
	add(o, "attitude", jtriple("pitch", p->pitch, "roll", p->roll, "yaw", p->yaw));
	add(o, "gimbal", jtriple("pitch", p->gimbal_pitch, "roll", p->gimbal_roll, "yaw", p->gimbal_yaw));
	add(o, "sats", p->gps_num >= 0 ? json_object_new_int(p->gps_num) : NULL);
	return o;
}

static int fr_cb(const dv_flightrec_point *p, void *payload)
{
	fr_acc *a = payload;
	if (a->points) json_object_array_add(a->points, frpoint_json(p));
	if (a->stream) {
		json_object *j = frpoint_json(p);
		if (a->streamed++) fputc(',', a->stream);
		fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), a->stream);
		json_object_put(j);
	}
	minmax(p->pt.height, &a->min_h, &a->max_h);
	if (!p->pt.has_pos) return 0;
	if (!a->has_first) a->first = *p;
	a->has_first = true;
	a->last = *p;
	a->fixes++;
	minmax(p->pt.lat, &a->min_lat, &a->max_lat);
	minmax(p->pt.lon, &a->min_lon, &a->max_lon);
	return 0;
}

static int flightrec_json(json_object *o, const insrc *src, unsigned flags, FILE *stream, json_object *warnings)
{
	fr_acc a;
	memset(&a, 0, sizeof(a));
	a.min_lat = a.max_lat = a.min_lon = a.max_lon = a.min_h = a.max_h = NAN;
	if (flags & DV_INSPECT_POINTS) {
		if (stream) a.stream = stream;
		else a.points = json_object_new_array();
	}
	dv_flightrec f;
	int rc = src->mem ? dv_flightrec_parse_mem(&f, src->mem, src->len, src->path, fr_cb, &a)
	                  : dv_flightrec_read_file(&f, src->path, fr_cb, &a);
	if (rc < 0) {
		json_object_put(a.points);
		add(o, "position", NULL);
		add(o, "time", NULL);
		add(o, "time_kind", json_object_new_string("none"));
		return rc;
	}
	const dv_flightrec_details *d = &f.details;
	json_object *pos = NULL;
	if (f.has_details && d->has_home) pos = jpos(d->home_lat, d->home_lon, NAN, "details home point");
	else if (a.has_first) pos = jpos(a.first.pt.lat, a.first.pt.lon, NAN, "first OSD fix");
	add(o, "position", pos);
	add(o, "time", f.has_details && d->start_time_ms > 0 ? jtime(d->start_time_ms * 1000, DV_TIME_UTC) : NULL);
	add(o, "time_kind", json_object_new_string(f.has_details && d->start_time_ms > 0 ? "utc" : "none"));
	add(o, "format_version", json_object_new_int((int)f.version));
	add(o, "encrypted", json_object_new_boolean(f.encrypted));
	json_object *det = NULL;
	if (f.has_details) {
		det = json_object_new_object();
		add(det, "aircraft_name", jstr(d->aircraft_name));
		add(det, "product_type", json_object_new_int((int)d->product_type));
		add(det, "product", jstr(d->product_name));
		add(det, "aircraft_sn", jstr(d->aircraft_sn));
		add(det, "camera_sn", jstr(d->camera_sn));
		add(det, "rc_sn", jstr(d->rc_sn));
		add(det, "battery_sn", jstr(d->battery_sn));
		add(det, "app_platform", jstr(d->app_platform));
		add(det, "app_version", jstr(d->app_version));
		add(det, "home", d->has_home ? jpos(d->home_lat, d->home_lon, NAN, NULL) : NULL);
		add(det, "total_distance_m", jnum(d->total_distance_m));
		add(det, "total_time_s", jnum(d->total_time_s));
		add(det, "max_height_m", jnum(d->max_height_m));
		add(det, "max_hspeed_ms", jnum(d->max_hspeed_ms));
		add(det, "max_vspeed_ms", jnum(d->max_vspeed_ms));
		add(det, "takeoff_altitude_m", jnum(d->takeoff_altitude_m));
		add(det, "capture_num", json_object_new_int(d->capture_num));
		add(det, "video_time_s", json_object_new_int64(d->video_time_s));
		add(det, "city", jstr(d->city));
	}
	add(o, "details", det);
	add(o, "records", json_object_new_int64((int64_t)f.records));
	add(o, "osd_records", json_object_new_int64((int64_t)f.osd));
	add(o, "fixes", json_object_new_int64((int64_t)a.fixes));
	add(o, "thumbnails", json_object_new_int64((int64_t)f.jpegs));
	add(o, "thumbnail_bytes", json_object_new_int64((int64_t)f.jpeg_bytes));
	add(o, "skipped_bytes", json_object_new_int64((int64_t)f.skipped_bytes));
	json_object *bb = NULL;
	if (a.has_first) {
		bb = json_object_new_array();
		json_object_array_add(bb, jnum(a.min_lon));
		json_object_array_add(bb, jnum(a.min_lat));
		json_object_array_add(bb, jnum(a.max_lon));
		json_object_array_add(bb, jnum(a.max_lat));
	}
	add(o, "bbox", bb);
	/* the highest OSD height; without decoded records (v13+) the details' own */
	double max_h = a.max_h;
	if (!isfinite(max_h) && f.has_details && isfinite(d->max_height_m)) max_h = d->max_height_m;
	add(o, "max_height_m", jnum(max_h));
	add(o, "time_end", a.has_first ? jtime(a.last.pt.time_us, a.last.pt.time_kind) : NULL);
	if (a.points) add(o, "points", a.points);
	if (f.encrypted)
		json_object_array_add(warnings, json_object_new_string(
			"records are encrypted (format 13+): only the details are decoded; "
			"dronevault never fetches DJI's keys"));
	if (f.warnings) {
		char w[320];
		snprintf(w, sizeof(w), "%s (%u warning%s in all)", f.first_warning, f.warnings, f.warnings == 1 ? "" : "s");
		json_object_array_add(warnings, json_object_new_string(w));
	}
	return 0;
}

static int frpts_cb(const dv_flightrec_point *p, void *payload)
{
	dv_srt_cue c; /* reuse the SRT collector: only .pt is read */
	memset(&c, 0, sizeof(c));
	c.pt = p->pt;
	return pts_cb(&c, payload);
}

int dv_flightrec_points(dv_track_point **out, size_t *n, const char *path, size_t max)
{
	pts_acc a = { NULL, 0, 0, max };
	dv_flightrec f;
	int rc = dv_flightrec_read_file(&f, path, frpts_cb, &a);
	if (rc < 0) {
		free(a.v);
		return rc;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

/* ---- entry point ------------------------------------------------------- */

/* "time"/"time_end" local -> "time_utc"/"time_end_utc" with the user's offset */
static void add_utc(json_object *o, int offset_min)
{
	json_object *tk, *t;
	if (!json_object_object_get_ex(o, "time_kind", &tk) || strcmp(json_object_get_string(tk), "local")) return;
	static const char *keys[2][2] = { { "time", "time_utc" }, { "time_end", "time_end_utc" } };
	for (int i = 0; i < 2; i++) {
		int64_t us;
		if (!json_object_object_get_ex(o, keys[i][0], &t) || !t) continue;
		if (!parse_utc_exposure(json_object_get_string(t), &us)) continue; /* same digit layout */
		add(o, keys[i][1], jtime(us - (int64_t)offset_min * 60 * 1000000, DV_TIME_UTC));
	}
	char note[128];
	snprintf(note, sizeof(note), "local time minus the UTC offset %c%02d:%02d given by the user, not from the file",
	         offset_min < 0 ? '-' : '+', abs(offset_min) / 60, abs(offset_min) % 60);
	add(o, "time_utc_note", json_object_new_string(note));
}

/*
 * Builds the object of one file. With stream, it is written there (points
 * streamed first, so memory stays constant) and *out is untouched;
 * otherwise it is returned in *out.
 */
static int inspect(const insrc *src, dv_media_kind k, const dv_inspect_opts *opts, FILE *stream, char **out)
{
	unsigned flags = opts->flags;
	bool streaming = stream && (flags & DV_INSPECT_POINTS) &&
	                 (k == DV_MEDIA_SRT || k == DV_MEDIA_FLIGHT_RECORD);
	const char *path = src->path;
	json_object *o = json_object_new_object();
	json_object *warnings = json_object_new_array();
	if (!o || !warnings) {
		json_object_put(o);
		json_object_put(warnings);
		return dv_error_set(DV_ENOMEM, path, -1, "cannot allocate json");
	}
	add(o, "file", json_object_new_string(path));
	add(o, "kind", json_object_new_string(dv_media_kind_name(k)));
	int rc = 0;
	if (streaming) fputs("{\"points\":[", stream);
	switch (k) {
	case DV_MEDIA_PHOTO: {
		dv_photo p;
		rc = src->mem ? dv_photo_parse_mem(&p, src->mem, src->len, path) : dv_photo_read_file(&p, path);
		if (rc == 0) {
			photo_json(o, &p);
			if (p.warnings) {
				char w[320];
				snprintf(w, sizeof(w), "%s (%u warning%s in all)", p.first_warning, p.warnings,
				         p.warnings == 1 ? "" : "s");
				json_object_array_add(warnings, json_object_new_string(w));
			}
			if (p.has_xmp && p.xmp.recovered)
				json_object_array_add(warnings, json_object_new_string(
					"XMP packet is not well-formed XML: read in recover mode"));
			if (!(p.has_exif && p.exif.has_pos) && !(p.has_xmp && p.xmp.has_pos))
				json_object_array_add(warnings, json_object_new_string("no position in EXIF or XMP"));
		}
		dv_photo_dispose(&p);
		break;
	}
	case DV_MEDIA_SRT:
		rc = srt_json(o, src, flags, streaming ? stream : NULL, warnings);
		break;
	case DV_MEDIA_VIDEO:
		rc = video_json(o, src, warnings);
		break;
	case DV_MEDIA_FLIGHT_RECORD:
		rc = flightrec_json(o, src, flags, streaming ? stream : NULL, warnings);
		break;
	default:
		add(o, "position", NULL);
		add(o, "time", NULL);
		add(o, "time_kind", json_object_new_string("none"));
		json_object_array_add(warnings, json_object_new_string(
			k == DV_MEDIA_UNKNOWN ? "not a file kind dronevault understands"
			                      : "this kind is not decoded yet"));
		break;
	}
	if (!json_object_object_get_ex(o, "position", NULL)) {
		add(o, "position", NULL);
		add(o, "time", NULL);
		add(o, "time_kind", json_object_new_string("none"));
	}
	if (rc < 0) {
		/* a file we could open but not parse: still an object, with why */
		json_object_array_add(warnings, json_object_new_string(dv_error_text()));
		if (rc == DV_ENOMEM) {
			json_object_put(o);
			json_object_put(warnings);
			if (streaming) fputs("]}\n", stream); /* keep the line valid JSON */
			return rc;
		}
	}
	if (opts->has_utc_offset) add_utc(o, opts->utc_offset_min);
	add(o, "warnings", warnings);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (stream) {
		int wrc = 0;
		if (!s) wrc = dv_error_set(DV_ENOMEM, path, -1, "cannot allocate json text");
		else if (streaming) fprintf(stream, "],%s\n", s + 1); /* s is "{...}": splice after the points */
		else fprintf(stream, "%s\n", s);
		json_object_put(o);
		if (!wrc && (fflush(stream) != 0 || ferror(stream)))
			wrc = dv_error_errno(errno, path, -1, "cannot write");
		return wrc;
	}
	*out = s ? strdup(s) : NULL;
	json_object_put(o);
	if (!*out) return dv_error_set(DV_ENOMEM, path, -1, "cannot allocate json text");
	return 0;
}

int dv_inspect_json_opts(char **out, const char *path, const dv_inspect_opts *opts)
{
	*out = NULL;
	struct stat st;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0) return dv_error_errno(errno, path, -1, "cannot open");
	/* a FIFO or device would block or never end: only regular files */
	if (!S_ISREG(st.st_mode)) return dv_error_set(DV_EINVAL, path, -1, "not a regular file");
	if (opts->has_utc_offset && (opts->utc_offset_min < -14 * 60 || opts->utc_offset_min > 14 * 60))
		return dv_error_set(DV_EINVAL, path, -1, "UTC offset of %d minutes is beyond +-14 h", opts->utc_offset_min);
	insrc src = { path, NULL, 0 };
	return inspect(&src, dv_media_kind_of(path), opts, NULL, out);
}

int dv_inspect_write(FILE *stream, const char *path, const dv_inspect_opts *opts)
{
	struct stat st;
	if (!stream) return dv_error_set(DV_EINVAL, path, -1, "no output stream");
	if (stat(path, &st) != 0 || access(path, R_OK) != 0) return dv_error_errno(errno, path, -1, "cannot open");
	if (!S_ISREG(st.st_mode)) return dv_error_set(DV_EINVAL, path, -1, "not a regular file");
	if (opts->has_utc_offset && (opts->utc_offset_min < -14 * 60 || opts->utc_offset_min > 14 * 60))
		return dv_error_set(DV_EINVAL, path, -1, "UTC offset of %d minutes is beyond +-14 h", opts->utc_offset_min);
	insrc src = { path, NULL, 0 };
	return inspect(&src, dv_media_kind_of(path), opts, stream, NULL);
}

int dv_inspect_json(char **out, const char *path, unsigned flags)
{
	dv_inspect_opts opts = { flags, false, 0 };
	return dv_inspect_json_opts(out, path, &opts);
}

int dv_inspect_json_mem(char **out, const void *buf, size_t len, const char *name, unsigned flags)
{
	*out = NULL;
	if (!buf && len) return dv_error_set(DV_EINVAL, name, -1, "no buffer");
	insrc src = { name ? name : "", buf, len };
	dv_inspect_opts opts = { flags, false, 0 };
	return inspect(&src, kind_from(src.path, buf, len < DV_FLIGHTREC_SNIFF ? len : DV_FLIGHTREC_SNIFF, len), &opts, NULL,
	               out);
}
