#include "dv/index.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/err.h"
#include "telemetry/flightrec_int.h"
#include "dv/inspect.h"
#include "telemetry/photo_int.h"
#include "core/rd_int.h"
#include "telemetry/srt_int.h"
#include "dv/util.h"
#include "dv/verify.h"
#include "dv/custody_actions.h"
#include "index/index_int.h"

#define PHOTO_HEAD (1u << 20)
#define RECORD_MAX (64u << 20)

/* ---- packed points --------------------------------------------------------
 * A point is 50 bytes, little-endian: time_us i64, time_kind u8, has_pos u8,
 * lat, lon, alt, height (IEEE doubles), media_ms i64. Hand-written because
 * it is our own format (no library writes it); read back through dv_rd. */
#define POINT_BYTES 50

static void put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static double bitsd(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

static void pack_point(uint8_t *b, const dv_track_point *p)
{
	put_le64(b, (uint64_t)p->time_us);
	b[8] = (uint8_t)p->time_kind;
	b[9] = p->has_pos ? 1 : 0;
	put_le64(b + 10, dbits(p->lat));
	put_le64(b + 18, dbits(p->lon));
	put_le64(b + 26, dbits(p->alt));
	put_le64(b + 34, dbits(p->height));
	put_le64(b + 42, (uint64_t)p->media_ms);
}

static int unpack_points(const uint8_t *buf, size_t len, dv_track_point **out, size_t *n)
{
	if (len % POINT_BYTES)
		return dv_error_set(DV_ECORRUPT, "catalog points", (int64_t)len, "length not a whole number of points");
	size_t k = len / POINT_BYTES;
	dv_track_point *p = calloc(k ? k : 1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	dv_rd r = dv_rd_init(buf, len, "catalog points", 0);
	for (size_t i = 0; i < k; i++) {
		uint64_t t, la, lo, al, he, ms;
		uint8_t kind, has;
		if (dv_rd_u64le(&r, &t) < 0 || dv_rd_u8(&r, &kind) < 0 || dv_rd_u8(&r, &has) < 0 ||
		    dv_rd_u64le(&r, &la) < 0 || dv_rd_u64le(&r, &lo) < 0 || dv_rd_u64le(&r, &al) < 0 ||
		    dv_rd_u64le(&r, &he) < 0 || dv_rd_u64le(&r, &ms) < 0) {
			free(p);
			return DV_ETRUNC;
		}
		p[i].time_us = (int64_t)t;
		p[i].time_kind = kind <= DV_TIME_LOCAL ? (dv_time_kind)kind : DV_TIME_NONE;
		p[i].has_pos = has == 1;
		p[i].lat = bitsd(la);
		p[i].lon = bitsd(lo);
		p[i].alt = bitsd(al);
		p[i].height = bitsd(he);
		p[i].media_ms = (int64_t)ms;
	}
	*out = p;
	*n = k;
	return 0;
}

/* ---- per-file extraction ------------------------------------------------- */
enum kind { K_NONE, K_PHOTO, K_SRT, K_RECORD };

struct extract {
	enum kind kind;
	char *path;
	uint8_t *buf;            /* photo head / flight record */
	size_t len, cap;
	dv_srt_parser *srt;
	uint8_t *packed;         /* points, packed as they come (POINT_BYTES each) */
	size_t npts, cappts;
	int64_t start_us, end_us; /* over points with a time */
	dv_time_kind tk;          /* of the first point with a time */
	uint64_t with_pos;
	bool truncated_points;
	int64_t first_us, last_us;
	dv_time_kind first_kind;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

static enum kind kind_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (ends_with(path, ".jpg") || ends_with(path, ".jpeg") || ends_with(path, ".dng")) return K_PHOTO;
	if (ends_with(path, ".srt")) return K_SRT;
	if (!strncasecmp(base, "DJIFlightRecord", 15) && ends_with(path, ".txt")) return K_RECORD;
	return K_NONE;
}

static int add_point(struct extract *x, const dv_track_point *p)
{
	if (x->npts >= DV_INDEX_MAX_POINTS) {
		x->truncated_points = true;
		return 0;
	}
	if (x->npts == x->cappts) {
		/* grow by half: an hour of 30 Hz cues is ~5 MB packed */
		size_t cap = x->cappts ? x->cappts + x->cappts / 2 : 256;
		uint8_t *n = realloc(x->packed, cap * POINT_BYTES);
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		x->packed = n;
		x->cappts = cap;
	}
	pack_point(x->packed + x->npts * POINT_BYTES, p);
	x->npts++;
	if (p->has_pos) x->with_pos++;
	if (p->time_kind != DV_TIME_NONE) {
		if (x->tk == DV_TIME_NONE || p->time_us < x->start_us) x->start_us = p->time_us;
		if (x->tk == DV_TIME_NONE || p->time_us > x->end_us) x->end_us = p->time_us;
		if (x->tk == DV_TIME_NONE) x->tk = p->time_kind;
	}
	return 0;
}

static int on_cue(const dv_srt_cue *cue, void *payload)
{
	return add_point(payload, &cue->pt) < 0 ? -1 : 0;
}

static int on_record_point(const dv_flightrec_point *p, void *payload)
{
	return add_point(payload, &p->pt) < 0 ? -1 : 0;
}

static void *x_begin(const char *path, uint64_t size, void *payload)
{
	(void)payload;
	enum kind k = kind_of(path);
	if (k == K_NONE || (k == K_RECORD && size > RECORD_MAX)) return NULL;
	struct extract *x = calloc(1, sizeof(*x));
	if (!x || !(x->path = strdup(path))) {
		free(x);
		return NULL;
	}
	x->kind = k;
	if (k == K_SRT && dv_srt_new(&x->srt, path) < 0) {
		free(x->path);
		free(x);
		return NULL;
	}
	return x;
}

static int x_data(void *state, const uint8_t *buf, size_t n)
{
	struct extract *x = state;
	if (x->kind == K_SRT) return dv_srt_feed(x->srt, buf, n, on_cue, x) < 0 ? 1 : 0;
	size_t limit = x->kind == K_PHOTO ? PHOTO_HEAD : RECORD_MAX;
	size_t take = n < limit - x->len ? n : limit - x->len;
	if (x->len + take > x->cap) {
		size_t cap = x->cap ? x->cap : 65536;
		while (cap < x->len + take) cap *= 2;
		uint8_t *nb = realloc(x->buf, cap);
		if (!nb) return 1;
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, buf, take);
	x->len += take;
	return x->len >= limit ? 1 : 0;
}

static void x_free(struct extract *x)
{
	if (!x) return;
	dv_srt_free(x->srt);
	free(x->buf);
	free(x->packed);
	free(x->path);
	free(x);
}

static const char *time_kind_name(dv_time_kind k)
{
	return k == DV_TIME_UTC ? "utc" : k == DV_TIME_LOCAL ? "local" : "none";
}

static void add_num(json_object *o, const char *key, double v)
{
	if (isfinite(v)) json_object_object_add(o, key, json_object_new_double(v));
}

/* What photogrammetry exports need (src/exports): the camera's position,
 * attitude and optics, each only when the photo recorded it. */
static void add_pose(json_object *summary, const dv_photo *ph)
{
	json_object *p = json_object_new_object();
	dv_track_point q;
	if (dv_photo_point(ph, &q) && q.has_pos) {
		add_num(p, "lat", q.lat);
		add_num(p, "lon", q.lon);
	}
	if (ph->has_xmp) {
		add_num(p, "abs_alt", ph->xmp.abs_alt);
		add_num(p, "rel_alt", ph->xmp.rel_alt);
		add_num(p, "gimbal_yaw", ph->xmp.gimbal_yaw);
		add_num(p, "gimbal_pitch", ph->xmp.gimbal_pitch);
		add_num(p, "gimbal_roll", ph->xmp.gimbal_roll);
		add_num(p, "flight_yaw", ph->xmp.flight_yaw);
	}
	if (ph->has_exif) {
		if (ph->exif.has_alt) add_num(p, "exif_alt", ph->exif.alt);
		add_num(p, "focal_mm", ph->exif.focal_length);
		add_num(p, "focal35_mm", ph->exif.focal_length_35mm);
		if (ph->exif.width > 0 && ph->exif.height > 0) {
			json_object_object_add(p, "exif_width", json_object_new_int64(ph->exif.width));
			json_object_object_add(p, "exif_height", json_object_new_int64(ph->exif.height));
		}
	}
	if (ph->width > 0 && ph->height > 0) {
		json_object_object_add(p, "width", json_object_new_int64(ph->width));
		json_object_object_add(p, "height", json_object_new_int64(ph->height));
	}
	json_object_object_add(summary, "pose", p);
}

/* Builds the telemetry record; returns NULL when the file says nothing. */
static json_object *x_finish(struct extract *x)
{
	json_object *o = json_object_new_object(), *summary = NULL;
	const char *serial = NULL, *model = NULL;
	char serial_buf[128] = "", model_buf[128] = "";
	if (x->kind == K_PHOTO) {
		dv_photo ph;
		dv_photo_parse_mem(&ph, x->buf, x->len, x->path);
		dv_track_point p;
		/* For grouping, the local wall clock of EXIF (what SRTs carry too). */
		if (ph.has_exif && ph.exif.has_time) {
			memset(&p, 0, sizeof(p));
			p.time_us = ph.exif.time_us;
			p.time_kind = DV_TIME_LOCAL;
			p.media_ms = -1;
			p.alt = p.height = NAN;
			dv_track_point q;
			if (dv_photo_point(&ph, &q) && q.has_pos) {
				p.has_pos = true;
				p.lat = q.lat;
				p.lon = q.lon;
				p.alt = q.alt;
			}
			if (ph.has_xmp && !isnan(ph.xmp.rel_alt)) p.height = ph.xmp.rel_alt;
			add_point(x, &p);
		} else if (dv_photo_point(&ph, &p)) {
			add_point(x, &p);
		}
		if (ph.has_xmp && ph.xmp.drone_serial) snprintf(serial_buf, sizeof(serial_buf), "%s", ph.xmp.drone_serial);
		else if (ph.has_exif && ph.exif.serial[0]) snprintf(serial_buf, sizeof(serial_buf), "%s", ph.exif.serial);
		if (ph.has_xmp && ph.xmp.drone_model) snprintf(model_buf, sizeof(model_buf), "%s", ph.xmp.drone_model);
		else if (ph.has_exif && ph.exif.model[0]) snprintf(model_buf, sizeof(model_buf), "%s %s", ph.exif.make, ph.exif.model);
		summary = json_object_new_object();
		if (ph.has_exif) {
			json_object_object_add(summary, "make", json_object_new_string(ph.exif.make));
			json_object_object_add(summary, "model", json_object_new_string(ph.exif.model));
			json_object_object_add(summary, "datetime_original", json_object_new_string(ph.exif.datetime_original));
		}
		if (ph.has_xmp && ph.xmp.utc_at_exposure)
			json_object_object_add(summary, "utc_at_exposure", json_object_new_string(ph.xmp.utc_at_exposure));
		if (ph.warnings) json_object_object_add(summary, "warning", json_object_new_string(ph.first_warning));
		add_pose(summary, &ph);
		dv_photo_dispose(&ph);
	} else if (x->kind == K_SRT) {
		dv_srt_finish(x->srt, on_cue, x);
		const dv_srt_stats *st = dv_srt_stats_get(x->srt);
		summary = json_object_new_object();
		json_object_object_add(summary, "cues", json_object_new_int64((int64_t)st->cues));
		json_object_object_add(summary, "fixes", json_object_new_int64((int64_t)st->fixes));
		json_object_object_add(summary, "zero_fixes", json_object_new_int64((int64_t)st->zero_fixes));
		if (st->warnings) json_object_object_add(summary, "warning", json_object_new_string(st->first_warning));
	} else if (x->kind == K_RECORD) {
		dv_flightrec fr;
		dv_flightrec_parse_mem(&fr, x->buf, x->len, x->path, on_record_point, x);
		if (fr.has_details && x->npts == 0 && fr.details.start_time_ms > 0) {
			/* v13+: records are encrypted, but the header says when and
			 * where from: the home point at the start time */
			dv_track_point p = { fr.details.start_time_ms * 1000, DV_TIME_UTC, -1, fr.details.has_home,
			                     fr.details.home_lat, fr.details.home_lon, NAN, NAN };
			add_point(x, &p);
			if (fr.details.total_time_s > 0) {
				p.time_us += (int64_t)(fr.details.total_time_s * 1e6);
				p.has_pos = false;
				add_point(x, &p);
			}
		}
		if (fr.has_details) {
			snprintf(serial_buf, sizeof(serial_buf), "%s", fr.details.aircraft_sn);
			snprintf(model_buf, sizeof(model_buf), "%s", fr.details.aircraft_name[0] ? fr.details.aircraft_name
			                                                                       : fr.details.product_name);
		}
		summary = json_object_new_object();
		json_object_object_add(summary, "format_version", json_object_new_int((int)fr.version));
		json_object_object_add(summary, "encrypted", json_object_new_boolean(fr.encrypted));
		json_object_object_add(summary, "records", json_object_new_int64((int64_t)fr.records));
		if (fr.warnings) json_object_object_add(summary, "warning", json_object_new_string(fr.first_warning));
	}
	serial = serial_buf[0] ? serial_buf : NULL;
	model = model_buf[0] ? model_buf : NULL;
	int64_t start = x->start_us, end = x->end_us;
	dv_time_kind tk = x->tk;
	uint64_t with_pos = x->with_pos;
	json_object_object_add(o, "kind", json_object_new_string(x->kind == K_PHOTO ? "photo" : x->kind == K_SRT ? "srt" : "flight_record"));
	json_object_object_add(o, "serial", serial ? json_object_new_string(serial) : NULL);
	json_object_object_add(o, "model", model ? json_object_new_string(model) : NULL);
	json_object_object_add(o, "time_kind", json_object_new_string(time_kind_name(tk)));
	json_object_object_add(o, "start_us", json_object_new_int64(start));
	json_object_object_add(o, "end_us", json_object_new_int64(end));
	json_object_object_add(o, "points", json_object_new_int64((int64_t)x->npts));
	json_object_object_add(o, "fixes", json_object_new_int64((int64_t)with_pos));
	if (x->truncated_points) json_object_object_add(o, "points_truncated", json_object_new_boolean(true));
	json_object_object_add(o, "summary", summary ? summary : json_object_new_object());
	return o;
}

/* ---- extraction in the sandboxed reader, storage in the parent ------------ */
void *dv_index_extract_begin(const char *path, uint64_t size)
{
	return x_begin(path, size, NULL);
}

int dv_index_extract_data(void *x, const uint8_t *buf, size_t n)
{
	return x_data(x, buf, n);
}

void dv_index_extract_free(void *x)
{
	x_free(x);
}

int dv_index_extract_finish(void *state, dv_msg_buf *out)
{
	struct extract *x = state;
	json_object *o = x_finish(x);
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	int rc = 0;
	if (n > DV_INDEX_RECORD_JSON_MAX) {
		rc = dv_error_set(DV_ENOMEM, x->path, -1, "telemetry record of %zu bytes", n);
	} else {
		dv_msg_u32(out, (uint32_t)n);
		dv_msg_put(out, s, n);
		dv_msg_put(out, x->packed, x->npts * POINT_BYTES);
		if (out->failed) rc = dv_error_set(DV_ENOMEM, x->path, -1, "out of memory");
	}
	json_object_put(o);
	return rc;
}

/* What the reader sent for a file is hostile: parsed, checked, put in our
 * own serialisation (*json malloc'd; *pts points into rec). */
static int canon_record(char **json, size_t *jn_out, const uint8_t **pts_out, size_t *pn_out, const char *path,
                        const uint8_t *rec, size_t n)
{
	dv_rd r = dv_rd_init(rec, n, "reader telemetry", 0);
	uint32_t jn;
	const uint8_t *js;
	if (dv_rd_u32be(&r, &jn) < 0 || jn > DV_INDEX_RECORD_JSON_MAX || dv_rd_view(&r, jn, &js) < 0)
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: telemetry record of %s is malformed", path);
	size_t pn = dv_rd_left(&r);
	const uint8_t *pts = dv_rd_ptr(&r);
	if (pn % POINT_BYTES || pn / POINT_BYTES > DV_INDEX_MAX_POINTS)
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: %zu bytes of track points for %s", pn, path);
	for (size_t i = 0; i < pn; i += POINT_BYTES)
		if (pts[i + 8] > DV_TIME_LOCAL || pts[i + 9] > 1)
			return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: track point %zu of %s is malformed",
			                    i / POINT_BYTES, path);
	json_tokener *tok = json_tokener_new_ex(16);
	if (!tok) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object *o = json_tokener_parse_ex(tok, (const char *)js, (int)jn);
	bool whole = o && json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == jn;
	json_tokener_free(tok);
	json_object *kind;
	const char *k = NULL;
	if (whole && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "kind", &kind) &&
	    json_object_is_type(kind, json_type_string))
		k = json_object_get_string(kind);
	if (!k || (strcmp(k, "photo") && strcmp(k, "srt") && strcmp(k, "flight_record"))) {
		json_object_put(o);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: telemetry record of %s is not one", path);
	}
	size_t sn;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &sn);
	char *copy = s ? malloc(sn + 1) : NULL;
	if (copy) memcpy(copy, s, sn + 1);
	json_object_put(o);
	if (!copy) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	*json = copy;
	*jn_out = sn;
	*pts_out = pts;
	*pn_out = pn;
	return 0;
}

static int store_record(dv_catalog *cat, int64_t file_id, const char *path, const uint8_t *rec, size_t n,
                        void *payload)
{
	(void)payload;
	char *s;
	size_t sn, pn;
	const uint8_t *pts;
	int rc = canon_record(&s, &sn, &pts, &pn, path, rec, n);
	if (rc < 0) return rc;
	rc = dv_catalog_side_put(cat, "telemetry", file_id, s, sn);
	free(s);
	if (rc == 0) rc = dv_catalog_side_put(cat, "points", file_id, pts, pn);
	return rc;
}

void dv_index_observer(dv_ingest_observer *out)
{
	out->reader_flags = DV_INGEST_READ_TELEMETRY;
	out->store = store_record;
	out->payload = NULL;
}

/* ---- reindex ---------------------------------------------------------------
 * The stored plaintext is as hostile as the card it came from: the parent
 * decrypts each blob and streams it to the sandboxed reader (EXTRACT, DATA,
 * EXTRACT_END), which extracts and sends the record back (TELEMETRY,
 * FILE_END), checked and stored as during an ingest. */
struct reidx {
	dv_vault *v;
	uint64_t files, with;
	dv_reader rd;
	bool started;
	uint64_t sent, limit;
	/* dv_index_deep_check: compare with the catalog instead of storing */
	bool compare;
	uint64_t differ;
	void (*problem)(const char *msg, void *payload);
	void *payload;
};

static bool side_equal(dv_catalog *cat, const char *table, int64_t id, const void *want, size_t n, bool want_present)
{
	uint8_t *have;
	size_t hn;
	int rc = dv_catalog_side_get(&have, &hn, cat, table, id);
	if (rc == DV_ENOTFOUND) return !want_present;
	if (rc < 0) return false;
	bool same = want_present && hn == n && (!n || !memcmp(have, want, n));
	free(have);
	return same;
}

/* The telemetry re-derived from a file's blob against the catalog's rows. */
static int compare_record(struct reidx *r, const dv_file_rec *f, const uint8_t *tele, size_t tele_len)
{
	dv_catalog *cat = dv_vault_catalog(r->v);
	char *s = NULL;
	size_t sn = 0, pn = 0;
	const uint8_t *pts = NULL;
	if (tele) {
		int rc = canon_record(&s, &sn, &pts, &pn, f->path, tele, tele_len);
		if (rc < 0) return rc;
	}
	bool tok = side_equal(cat, "telemetry", f->id, s, sn, tele != NULL);
	bool pok = side_equal(cat, "points", f->id, pts, pn, tele != NULL);
	free(s);
	if (!tok || !pok) {
		r->differ++;
		char msg[4400];
		snprintf(msg, sizeof(msg), "catalog: file '%s' (ingest %lld, row %lld): its %s%s%s differ from what its blob gives "
		         "when re-derived (the telemetry shown is not the evidence's)", f->path, (long long)f->ingest_id,
		         (long long)f->id, tok ? "" : "telemetry record", !tok && !pok ? " and " : "", pok ? "" : "track points");
		if (r->problem) r->problem(msg, r->payload);
	}
	return 0;
}

static int feed_reader(const uint8_t *d, size_t n, void *payload)
{
	struct reidx *r = payload;
	size_t take = r->limit - r->sent < n ? (size_t)(r->limit - r->sent) : n;
	if (take && dv_chan_send(r->rd.ch.fd, DV_MSG_DATA, d, take, NULL, 0) < 0) return DV_EIO;
	r->sent += take;
	/* non-zero: seen enough, stop decrypting */
	return r->sent >= r->limit ? 1 : 0;
}

static int reader_gone(struct reidx *r, int rc)
{
	if (rc == DV_EIO && r->rd.ch.fd >= 0) return dv_reader_died(&r->rd);
	dv_reader_kill(&r->rd);
	return rc;
}

static int reindex_file(const dv_file_rec *f, void *payload)
{
	struct reidx *r = payload;
	r->files++;
	enum kind k = kind_of(f->path);
	if (k == K_NONE || (k == K_RECORD && f->size > RECORD_MAX))
		return r->compare ? compare_record(r, f, NULL, 0) : 0;
	int rc;
	if (!r->started) {
		if ((rc = dv_reader_start(&r->rd)) < 0) return rc;
		r->started = true;
		dv_msg_buf b = { 0 };
		dv_msg_u8(&b, DV_OPEN_EXTRACT);
		dv_msg_u8(&b, DV_OPEN_TELEMETRY);
		dv_msg_u32(&b, 1);
		dv_msg_str(&b, "");
		rc = b.failed ? dv_error_set(DV_ENOMEM, NULL, -1, "out of memory")
		              : dv_chan_send(r->rd.ch.fd, DV_MSG_OPEN, b.p, b.len, NULL, 0);
		dv_msg_free(&b);
		if (rc < 0) return reader_gone(r, rc);
	}
	dv_msg_buf b = { 0 };
	dv_msg_str(&b, f->path);
	dv_msg_u64(&b, f->size);
	rc = b.failed ? dv_error_set(DV_ENOMEM, NULL, -1, "out of memory")
	              : dv_chan_send(r->rd.ch.fd, DV_MSG_EXTRACT, b.p, b.len, NULL, 0);
	dv_msg_free(&b);
	if (rc < 0) return reader_gone(r, rc);
	r->sent = 0;
	r->limit = k == K_PHOTO ? PHOTO_HEAD : k == K_RECORD ? RECORD_MAX : UINT64_MAX;
	uint8_t sha[32];
	uint64_t size;
	rc = dv_blob_read(dv_vault_blobs(r->v), f->blob_name, feed_reader, r, sha, &size);
	if (rc < 0) return rc == DV_EIO && r->rd.ch.fd >= 0 ? reader_gone(r, rc) : rc;
	if ((rc = dv_chan_send(r->rd.ch.fd, DV_MSG_EXTRACT_END, NULL, 0, NULL, 0)) < 0) return reader_gone(r, rc);
	dv_chan_phase(&r->rd.ch, &dv_phase_extract);
	uint8_t *tele = NULL;
	size_t tele_len = 0;
	for (;;) {
		uint8_t t;
		dv_rd p;
		if ((rc = dv_chan_recv(&r->rd.ch, &t, &p)) < 0) break;
		if (t == DV_MSG_ERROR) {
			rc = dv_msg_error_decode(&p);
			dv_reader_kill(&r->rd);
			break;
		}
		if (t == DV_MSG_TELEMETRY) {
			free(tele);
			tele_len = dv_rd_left(&p);
			if (!(tele = malloc(tele_len ? tele_len : 1))) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				break;
			}
			memcpy(tele, dv_rd_ptr(&p), tele_len);
			continue;
		}
		/* FILE_END */
		uint8_t ok;
		if (dv_rd_u8(&p, &ok) < 0 || ok != 1) rc = dv_error_set(DV_ECORRUPT, "reader", p.base, "protocol fault: extraction of %s failed", f->path);
		break;
	}
	if (rc < 0) {
		free(tele);
		return reader_gone(r, rc);
	}
	if (r->compare) {
		rc = compare_record(r, f, tele, tele_len);
		if (rc == 0 && tele) r->with++;
	} else if (tele) {
		rc = store_record(dv_vault_catalog(r->v), f->id, f->path, tele, tele_len, NULL);
		if (rc == 0) r->with++;
	}
	free(tele);
	return rc;
}

static int reindex_ingest(const dv_ingest_rec *ing, void *payload)
{
	struct reidx *r = payload;
	return dv_catalog_file_list(dv_vault_catalog(r->v), ing->id, reindex_file, r);
}

/* The custody log records each ingest's new telemetry digest (verify
 * compares the derived rows with the last one recorded). */
struct reidx_log {
	dv_catalog *cat;
	json_object *arr;
};

static int digest_ingest(const dv_ingest_rec *ing, void *payload)
{
	struct reidx_log *l = payload;
	uint8_t d[32];
	char hex[65];
	int rc = dv_telemetry_digest(d, NULL, l->cat, ing->id);
	if (rc < 0) return rc;
	dv_hex(hex, d, 32);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ingest", json_object_new_int64(ing->id));
	json_object_object_add(o, "telemetry_sha256", json_object_new_string(hex));
	json_object_array_add(l->arr, o);
	return 0;
}

static int log_reindex(dv_vault *v, const char *case_name, int64_t case_id)
{
	struct reidx_log l = { dv_vault_catalog(v), json_object_new_array() };
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_REINDEX));
	json_object_object_add(body, "case", json_object_new_string(case_name ? case_name : ""));
	json_object_object_add(body, "operator", json_object_new_string(""));
	json_object_object_add(body, "ingests", l.arr);
	int rc = dv_catalog_ingest_list(l.cat, case_id, digest_ingest, &l);
	if (rc == 0) rc = dv_vault_log_in_txn(v, body, NULL);
	json_object_put(body);
	return rc;
}

/* The catalog id of case_name, or 0 (every case) when it is NULL. */
static int case_id_of(int64_t *out, dv_catalog *cat, const char *case_name)
{
	*out = 0;
	if (!case_name) return 0;
	dv_case c;
	int rc = dv_catalog_case_find(&c, cat, case_name);
	if (rc == 0) *out = c.id;
	return rc;
}

int dv_index_reindex(dv_vault *v, const char *case_name, uint64_t *files, uint64_t *with_telemetry)
{
	dv_catalog *cat = dv_vault_catalog(v);
	int64_t case_id;
	int rc = case_id_of(&case_id, cat, case_name);
	if (rc < 0) return rc;
	struct reidx r = { .v = v };
	r.rd.pid = -1;
	r.rd.ch.fd = -1;
	if ((rc = dv_catalog_begin(cat)) < 0) return rc;
	rc = dv_catalog_ingest_list(cat, case_id, reindex_ingest, &r);
	if (rc == 0 && r.started) rc = dv_reader_stop(&r.rd);
	if (rc == 0) rc = log_reindex(v, case_name, case_id);
	if (rc == 0) rc = dv_catalog_commit(cat);
	else dv_catalog_rollback(cat);
	dv_reader_kill(&r.rd);
	if (files) *files = r.files;
	if (with_telemetry) *with_telemetry = r.with;
	return rc;
}

int dv_index_deep_check(dv_vault *v, const char *case_name, void (*problem)(const char *msg, void *payload), void *payload,
                        uint64_t *files, uint64_t *differ)
{
	dv_catalog *cat = dv_vault_catalog(v);
	int64_t case_id;
	*files = *differ = 0;
	int rc = case_id_of(&case_id, cat, case_name);
	if (rc < 0) return rc;
	struct reidx r = { .v = v, .compare = true, .problem = problem, .payload = payload };
	r.rd.pid = -1;
	r.rd.ch.fd = -1;
	rc = dv_catalog_ingest_list(cat, case_id, reindex_ingest, &r);
	if (rc == 0 && r.started) rc = dv_reader_stop(&r.rd);
	dv_reader_kill(&r.rd);
	*files = r.files;
	*differ = r.differ;
	return rc;
}

/* ---- flights --------------------------------------------------------------- */
struct media {
	int64_t file_id;
	int64_t blob_id;         /* same content = same media, whichever ingest */
	char kind[16];
	char serial[64], model[64];
	int64_t start_us, end_us;
	dv_time_kind tk;
	uint64_t fixes;
};

struct gather {
	dv_catalog *cat;
	struct media *m;
	size_t n, cap;
};

static int gather_file(const dv_file_rec *f, void *payload)
{
	struct gather *g = payload;
	uint8_t *buf;
	size_t len;
	int rc = dv_catalog_side_get(&buf, &len, g->cat, "telemetry", f->id);
	if (rc == DV_ENOTFOUND) return 0;
	if (rc < 0) return rc;
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)buf, (int)len) : NULL;
	json_tokener_free(tok);
	free(buf);
	if (!o) return dv_error_set(DV_ECORRUPT, dv_catalog_path(g->cat), -1, "telemetry of file %lld is not JSON", (long long)f->id);
	json_object *v;
	struct media md;
	memset(&md, 0, sizeof(md));
	md.file_id = f->id;
	md.blob_id = f->blob_id;
	if (json_object_object_get_ex(o, "kind", &v)) snprintf(md.kind, sizeof(md.kind), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "serial", &v) && v) snprintf(md.serial, sizeof(md.serial), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "model", &v) && v) snprintf(md.model, sizeof(md.model), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "start_us", &v)) md.start_us = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "end_us", &v)) md.end_us = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "fixes", &v)) md.fixes = (uint64_t)json_object_get_int64(v);
	const char *tk = json_object_object_get_ex(o, "time_kind", &v) ? json_object_get_string(v) : "none";
	md.tk = !strcmp(tk, "utc") ? DV_TIME_UTC : !strcmp(tk, "local") ? DV_TIME_LOCAL : DV_TIME_NONE;
	json_object_put(o);
	if (md.tk == DV_TIME_NONE) return 0; /* cannot place it in time */
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct media *nm = realloc(g->m, cap * sizeof(*nm));
		if (!nm) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		g->m = nm;
		g->cap = cap;
	}
	g->m[g->n++] = md;
	return 0;
}

static int gather_ingest(const dv_ingest_rec *ing, void *payload)
{
	struct gather *g = payload;
	return dv_catalog_file_list(g->cat, ing->id, gather_file, g);
}

static int by_start(const void *a, const void *b)
{
	const struct media *x = a, *y = b;
	if (x->start_us != y->start_us) return x->start_us < y->start_us ? -1 : 1;
	return x->file_id < y->file_id ? -1 : x->file_id > y->file_id;
}

static int add_file_id(dv_flight *f, int64_t id)
{
	int64_t *n = realloc(f->file_ids, (f->n_files + 1) * sizeof(*n));
	if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	f->file_ids = n;
	f->file_ids[f->n_files++] = id;
	return 0;
}

static int group(struct media *m, size_t n, int64_t case_id, int64_t gap_s, dv_flight **out, size_t *nout)
{
	dv_flight *fl = NULL;
	size_t nf = 0;
	int rc = 0;
	if (n) qsort(m, n, sizeof(*m), by_start);
	for (size_t i = 0; i < n && rc == 0; i++) {
		dv_flight *cur = nf ? &fl[nf - 1] : NULL;
		bool serial_clash = cur && cur->serial[0] && m[i].serial[0] && strcmp(cur->serial, m[i].serial);
		bool kind_clash = cur && cur->time_kind != m[i].tk;
		if (!cur || serial_clash || kind_clash || m[i].start_us - cur->end_us > gap_s * 1000000) {
			dv_flight *nfl = realloc(fl, (nf + 1) * sizeof(*nfl));
			if (!nfl) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				break;
			}
			fl = nfl;
			cur = &fl[nf++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->id, sizeof(cur->id), "F%lld", (long long)m[i].file_id);
			cur->case_id = case_id;
			cur->start_us = m[i].start_us;
			cur->end_us = m[i].end_us;
			cur->time_kind = m[i].tk;
			cur->min_lat = cur->min_lon = INFINITY;
			cur->max_lat = cur->max_lon = -INFINITY;
		}
		if (!cur->serial[0] && m[i].serial[0]) snprintf(cur->serial, sizeof(cur->serial), "%s", m[i].serial);
		if (!cur->model[0] && m[i].model[0]) snprintf(cur->model, sizeof(cur->model), "%s", m[i].model);
		if (m[i].end_us > cur->end_us) cur->end_us = m[i].end_us;
		if (!strcmp(m[i].kind, "photo")) cur->photos++;
		else if (!strcmp(m[i].kind, "srt")) cur->srts++;
		else cur->records++;
		cur->points += m[i].fixes;
		rc = add_file_id(cur, m[i].file_id);
	}
	if (rc < 0) {
		dv_index_flights_free(fl, nf);
		return rc;
	}
	*out = fl;
	*nout = nf;
	return 0;
}

static int load_points(dv_catalog *cat, int64_t file_id, dv_track_point **pts, size_t *n)
{
	uint8_t *buf;
	size_t len;
	int rc = dv_catalog_side_get(&buf, &len, cat, "points", file_id);
	if (rc == DV_ENOTFOUND) {
		*pts = NULL;
		*n = 0;
		return 0;
	}
	if (rc < 0) return rc;
	rc = unpack_points(buf, len, pts, n);
	free(buf);
	return rc;
}

static void bbox(dv_catalog *cat, dv_flight *f)
{
	for (size_t i = 0; i < f->n_files; i++) {
		dv_track_point *p;
		size_t n;
		if (load_points(cat, f->file_ids[i], &p, &n) < 0) continue;
		for (size_t k = 0; k < n; k++) {
			if (!p[k].has_pos) continue;
			f->min_lat = fmin(f->min_lat, p[k].lat);
			f->max_lat = fmax(f->max_lat, p[k].lat);
			f->min_lon = fmin(f->min_lon, p[k].lon);
			f->max_lon = fmax(f->max_lon, p[k].lon);
		}
		free(p);
	}
}

static int by_blob(const void *a, const void *b)
{
	const struct media *x = a, *y = b;
	if (x->blob_id != y->blob_id) return x->blob_id < y->blob_id ? -1 : 1;
	return x->file_id < y->file_id ? -1 : x->file_id > y->file_id;
}

/* The same card ingested twice (mounted, then as an image) is one set of
 * media: keep the first file of each content. */
static void unique_content(struct gather *g)
{
	if (g->n < 2) return;
	qsort(g->m, g->n, sizeof(*g->m), by_blob);
	size_t k = 1;
	for (size_t i = 1; i < g->n; i++)
		if (g->m[i].blob_id != g->m[k - 1].blob_id) g->m[k++] = g->m[i];
	g->n = k;
}

static int flights_of_case(dv_catalog *cat, int64_t case_id, int64_t gap_s, dv_flight **out, size_t *n)
{
	struct gather g = { cat, NULL, 0, 0 };
	int rc = dv_catalog_ingest_list(cat, case_id, gather_ingest, &g);
	if (rc == 0) unique_content(&g);
	if (rc == 0) rc = group(g.m, g.n, case_id, gap_s, out, n);
	free(g.m);
	if (rc == 0)
		for (size_t i = 0; i < *n; i++) bbox(cat, &(*out)[i]);
	return rc;
}

int dv_index_flights(dv_flight **out, size_t *n, dv_vault *v, const char *case_name, int64_t gap_s)
{
	dv_catalog *cat = dv_vault_catalog(v);
	dv_case c;
	int rc = dv_catalog_case_find(&c, cat, case_name);
	if (rc < 0) return rc;
	return flights_of_case(cat, c.id, gap_s > 0 ? gap_s : DV_INDEX_GAP_DEFAULT, out, n);
}

json_object *dv_index_flight_json(const dv_flight *f)
{
	char s[40], e[40];
	dv_telemetry_time_text(s, sizeof(s), f->start_us, f->time_kind);
	dv_telemetry_time_text(e, sizeof(e), f->end_us, f->time_kind);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "flight", json_object_new_string(f->id));
	json_object_object_add(o, "serial", f->serial[0] ? json_object_new_string(f->serial) : NULL);
	json_object_object_add(o, "model", f->model[0] ? json_object_new_string(f->model) : NULL);
	json_object_object_add(o, "start", json_object_new_string(s));
	json_object_object_add(o, "end", json_object_new_string(e));
	json_object_object_add(o, "time_kind", json_object_new_string(f->time_kind == DV_TIME_UTC ? "utc" : "local"));
	json_object_object_add(o, "photos", json_object_new_int64((int64_t)f->photos));
	json_object_object_add(o, "srt", json_object_new_int64((int64_t)f->srts));
	json_object_object_add(o, "flight_records", json_object_new_int64((int64_t)f->records));
	json_object_object_add(o, "points", json_object_new_int64((int64_t)f->points));
	/* finite only when some point has a position (a point count alone is not) */
	if (isfinite(f->min_lat)) {
		json_object *bb = json_object_new_array();
		json_object_array_add(bb, json_object_new_double(f->min_lon));
		json_object_array_add(bb, json_object_new_double(f->min_lat));
		json_object_array_add(bb, json_object_new_double(f->max_lon));
		json_object_array_add(bb, json_object_new_double(f->max_lat));
		json_object_object_add(o, "bbox", bb);
	}
	return o;
}

void dv_index_flights_free(dv_flight *f, size_t n)
{
	for (size_t i = 0; i < n; i++) free(f[i].file_ids);
	free(f);
}

static int by_time(const void *a, const void *b)
{
	const dv_track_point *x = a, *y = b;
	if (x->time_us != y->time_us) return x->time_us < y->time_us ? -1 : 1;
	return 0;
}

struct case_ids {
	int64_t *ids;
	size_t n;
};

static int collect_case(const dv_case *c, void *payload)
{
	struct case_ids *cs = payload;
	int64_t *n = realloc(cs->ids, (cs->n + 1) * sizeof(*n));
	if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	cs->ids = n;
	cs->ids[cs->n++] = c->id;
	return 0;
}

int dv_index_track(dv_track_point **out, size_t *n, dv_flight *flight_out, dv_vault *v, const char *flight_id, int64_t gap_s)
{
	dv_catalog *cat = dv_vault_catalog(v);
	char *end;
	long long fid = flight_id[0] == 'F' ? strtoll(flight_id + 1, &end, 10) : 0;
	if (fid <= 0 || *end)
		return dv_error_set(DV_EINVAL, NULL, -1, "'%s' is not a flight id: they look like F17 (see 'dronevault flights')",
		                    flight_id);
	if (gap_s <= 0) gap_s = DV_INDEX_GAP_DEFAULT;
	struct case_ids cs = { NULL, 0 };
	int rc = dv_catalog_case_list(cat, collect_case, &cs);
	dv_flight *found = NULL, *fl = NULL;
	size_t nf = 0;
	for (size_t c = 0; rc == 0 && !found && c < cs.n; c++) {
		if ((rc = flights_of_case(cat, cs.ids[c], gap_s, &fl, &nf)) < 0) break;
		for (size_t i = 0; i < nf && !found; i++)
			if (!strcmp(fl[i].id, flight_id)) found = &fl[i];
		if (!found) {
			dv_index_flights_free(fl, nf);
			fl = NULL;
			nf = 0;
		}
	}
	free(cs.ids);
	if (rc == 0 && !found)
		rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "no flight %s in the vault (see 'dronevault flights --case ID')", flight_id);
	dv_track_point *all = NULL;
	size_t nall = 0;
	for (size_t i = 0; rc == 0 && i < found->n_files; i++) {
		dv_track_point *p;
		size_t k;
		if ((rc = load_points(cat, found->file_ids[i], &p, &k)) < 0) break;
		dv_track_point *na = realloc(all, (nall + k + 1) * sizeof(*na));
		if (!na) {
			free(p);
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			break;
		}
		all = na;
		for (size_t j = 0; j < k; j++)
			if (p[j].time_kind == found->time_kind) all[nall++] = p[j];
		free(p);
	}
	if (rc == 0) {
		if (nall) qsort(all, nall, sizeof(*all), by_time);
		*out = all;
		*n = nall;
		if (flight_out) {
			*flight_out = *found;
			flight_out->file_ids = NULL;
			flight_out->n_files = found->n_files;
		}
	} else {
		free(all);
	}
	dv_index_flights_free(fl, nf);
	return rc;
}
