/*
 * The JSON API of dronevault serve (docs/api.md): catalog rows, flights,
 * tracks and the custody log, read through the public library API. Only
 * data the vault already holds is sent; no stored file is parsed here.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/geojson_int.h"
#include "dv/catalog.h"
#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/exports.h"
#include "dv/geofence.h"
#include "dv/index.h"
#include "dv/telemetry.h"
#include "dv/util.h"
#include "dv/vault.h"
#include "serve/serve_int.h"

#define API_MAX_FILES 200000   /* rows listed for one case */
#define API_MAX_LOG 100000     /* custody entries listed for one case */

static json_object *jtime(int64_t ns)
{
	char t[40];
	if (ns == 0 || ns == INT64_MIN) return NULL;
	dv_time_iso(t, sizeof(t), ns);
	return json_object_new_string(t);
}

static json_object *jhex(const uint8_t *b, size_t n)
{
	char h[129];
	dv_hex(h, b, n);
	return json_object_new_string(h);
}

/* what the page may show a file as (by its name only; never sniffed) */
static const char *media_kind(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot) return "other";
	static const char *const img[] = { ".jpg", ".jpeg", ".png", NULL };
	static const char *const vid[] = { ".mp4", ".mov", NULL };
	for (int i = 0; img[i]; i++)
		if (!strcasecmp(dot, img[i])) return "image";
	for (int i = 0; vid[i]; i++)
		if (!strcasecmp(dot, vid[i])) return "video";
	if (!strcasecmp(dot, ".srt")) return "subtitle";
	return "other";
}

struct sums {
	dv_catalog *cat;
	uint64_t ingests, open, files, bytes;
	json_object *arr; /* ingests, when listing */
};

static int sum_ingest(const dv_ingest_rec *r, void *payload)
{
	struct sums *s = payload;
	s->ingests++;
	if (r->state != DV_INGEST_COMPLETE) s->open++;
	s->files += r->files;
	s->bytes += r->bytes;
	if (s->arr) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(r->id));
		json_object_object_add(o, "complete", json_object_new_boolean(r->state == DV_INGEST_COMPLETE));
		json_object_object_add(o, "source", json_object_new_string(r->source));
		json_object_object_add(o, "kind", json_object_new_string(r->kind));
		json_object_object_add(o, "fs_type", r->fs_type[0] ? json_object_new_string(r->fs_type) : NULL);
		json_object_object_add(o, "operator", json_object_new_string(r->operator_name));
		json_object_object_add(o, "note", json_object_new_string(r->note));
		json_object_object_add(o, "station", json_object_new_string(r->station));
		json_object_object_add(o, "started", jtime(r->started_ns));
		json_object_object_add(o, "finished", jtime(r->finished_ns));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)r->files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r->bytes));
		json_object_object_add(o, "image_sha256", r->has_image_hash ? jhex(r->image_sha256, 32) : NULL);
		json_object_object_add(o, "custody_seq", json_object_new_int64((int64_t)r->log_seq));
		json_object_array_add(s->arr, o);
	}
	return 0;
}

static json_object *case_json(dv_catalog *cat, const dv_case *c, bool with_ingests, int *rc)
{
	struct sums s = { cat, 0, 0, 0, 0, with_ingests ? json_object_new_array() : NULL };
	*rc = dv_catalog_ingest_list(cat, c->id, sum_ingest, &s);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "case", json_object_new_string(c->name));
	json_object_object_add(o, "created", jtime(c->created_ns));
	json_object_object_add(o, "ingests", json_object_new_int64((int64_t)s.ingests));
	json_object_object_add(o, "unfinished_ingests", json_object_new_int64((int64_t)s.open));
	json_object_object_add(o, "files", json_object_new_int64((int64_t)s.files));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)s.bytes));
	if (with_ingests) json_object_object_add(o, "acquisitions", s.arr);
	return o;
}

struct listctx {
	dv_catalog *cat;
	json_object *arr;
	size_t n;
};

static int on_case(const dv_case *c, void *payload)
{
	struct listctx *x = payload;
	int rc;
	json_object *o = case_json(x->cat, c, false, &rc);
	json_object_array_add(x->arr, o);
	return rc;
}

static int on_file(const dv_file_rec *f, void *payload)
{
	struct listctx *x = payload;
	if (++x->n > API_MAX_FILES) return dv_error_set(DV_ENOMEM, NULL, -1, "more than %d files in one case", API_MAX_FILES);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "ingest", json_object_new_int64(f->ingest_id));
	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
	json_object_object_add(o, "mtime", jtime(f->mtime_ns));
	json_object_object_add(o, "sha256", jhex(f->sha256, 32));
	json_object_object_add(o, "media", json_object_new_string(media_kind(f->path)));
	json_object_array_add(x->arr, o);
	return 0;
}

static int on_ingest_files(const dv_ingest_rec *r, void *payload)
{
	struct listctx *x = payload;
	return dv_catalog_file_list(x->cat, r->id, on_file, x);
}

struct logctx {
	const char *case_name;
	json_object *entries, *problems;
	size_t n;
	bool findings; /* only the entries that record findings */
};

/* the custody actions whose entries are findings the case page shows */
static bool is_finding(json_object *body)
{
	json_object *a;
	const char *s = json_object_object_get_ex(body, "action", &a) ? json_object_get_string(a) : "";
	return s && (!strcmp(s, DV_ACTION_AUDIT) || !strcmp(s, DV_ACTION_RADIO) || !strcmp(s, DV_ACTION_ZONES_CHECK));
}

static int on_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct logctx *x = payload;
	json_object *c;
	const char *cs = json_object_object_get_ex(body, "case", &c) ? json_object_get_string(c) : "";
	if (strcmp(cs, x->case_name) != 0) return 0;
	if (x->findings && !is_finding(body)) return 0;
	if (++x->n > API_MAX_LOG) return dv_error_set(DV_ENOMEM, NULL, -1, "more than %d custody entries", API_MAX_LOG);
	json_object *o = json_object_get(body);
	json_object_object_add(o, "hash", jhex(e->hash, 32));
	json_object_object_add(o, "prev", jhex(e->prev, 32));
	json_object_array_add(x->entries, o);
	return 0;
}

static void on_problem(const char *m, void *payload)
{
	struct logctx *x = payload;
	if (json_object_array_length(x->problems) < 1000) json_object_array_add(x->problems, json_object_new_string(m));
}

static json_object *flights_json(dv_vault *v, const char *case_name, int *rc)
{
	dv_flight *fl = NULL;
	size_t n = 0;
	*rc = dv_index_flights(&fl, &n, v, case_name, DV_INDEX_GAP_DEFAULT);
	if (*rc < 0) return NULL;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = dv_index_flight_json(&fl[i]);
		json_object *files = json_object_new_array();
		for (size_t k = 0; k < fl[i].n_files; k++) json_object_array_add(files, json_object_new_int64(fl[i].file_ids[k]));
		json_object_object_add(o, "files", files);
		json_object_array_add(arr, o);
	}
	dv_index_flights_free(fl, n);
	return arr;
}

static int track_geojson(char **out, size_t *n, dv_vault *v, const char *flight)
{
	dv_track_point *pts = NULL;
	size_t np = 0;
	dv_flight f;
	memset(&f, 0, sizeof(f));
	int rc = dv_index_track(&pts, &np, &f, v, flight, DV_INDEX_GAP_DEFAULT);
	if (rc < 0) return rc;
	FILE *m = open_memstream(out, n);
	if (!m) rc = dv_error_set(DV_ENOMEM, NULL, -1, "no memory for the track");
	else {
		rc = dv_track_write(m, DV_TRACK_GEOJSON, f.id, pts, np);
		if (fclose(m) != 0 && rc == 0) rc = dv_error_set(DV_ENOMEM, NULL, -1, "no memory for the track");
		if (rc < 0) {
			free(*out);
			*out = NULL;
		}
	}
	free(pts);
	free(f.file_ids);
	return rc;
}

/* ---- map layers: photo positions, coverage, zones ---- */
#define API_MAX_MAP_FEATURES 200000 /* photos or zone features of one case */

static json_object *parse_row(const uint8_t *buf, size_t len, int depth)
{
	if (len > INT32_MAX) return NULL;
	json_tokener *tok = json_tokener_new_ex(depth);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)buf, (int)len) : NULL;
	if (tok && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static double num_at(json_object *o, const char *k, bool *ok)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
		*ok = false;
		return 0;
	}
	return json_object_get_double(v);
}

struct photoctx {
	dv_catalog *cat;
	json_object *features;
	size_t n;
};

/* a photo file's position as the index recorded it (telemetry summary.pose) */
static int on_photo(const dv_file_rec *f, void *payload)
{
	struct photoctx *x = payload;
	uint8_t *buf;
	size_t len;
	int rc = dv_catalog_side_get(&buf, &len, x->cat, "telemetry", f->id);
	if (rc == DV_ENOTFOUND) return 0;
	if (rc < 0) return rc;
	json_object *o = parse_row(buf, len, 16), *k, *sum, *pose;
	free(buf);
	if (!o) return dv_error_set(DV_ECORRUPT, dv_catalog_path(x->cat), -1, "telemetry of file %lld is not JSON", (long long)f->id);
	bool ok = json_object_object_get_ex(o, "kind", &k) && !strcmp(json_object_get_string(k), "photo") &&
	          json_object_object_get_ex(o, "summary", &sum) && json_object_object_get_ex(sum, "pose", &pose);
	double lat = ok ? num_at(pose, "lat", &ok) : 0, lon = ok ? num_at(pose, "lon", &ok) : 0;
	if (ok && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		if (++x->n > API_MAX_MAP_FEATURES) {
			json_object_put(o);
			return dv_error_set(DV_ENOMEM, NULL, -1, "more than %d photos in one case", API_MAX_MAP_FEATURES);
		}
		json_object *p = json_object_new_object();
		json_object_object_add(p, "file", json_object_new_int64(f->id));
		json_object_object_add(p, "path", json_object_new_string(f->path));
		json_object *v;
		static const char *const keep[] = { "rel_alt", "abs_alt", "gimbal_yaw", "gimbal_pitch", "flight_yaw", NULL };
		for (int i = 0; keep[i]; i++)
			if (json_object_object_get_ex(pose, keep[i], &v)) json_object_object_add(p, keep[i], json_object_get(v));
		json_object_array_add(x->features, dv_geojson_feature("Point", dv_geojson_lonlat(lon, lat), p));
	}
	json_object_put(o);
	return 0;
}

static int on_photo_ingest(const dv_ingest_rec *r, void *payload)
{
	struct photoctx *x = payload;
	return dv_catalog_file_list(x->cat, r->id, on_photo, x);
}

static json_object *collection(json_object *features)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("FeatureCollection"));
	json_object_object_add(o, "features", features);
	return o;
}

struct zonesctx {
	const char *case_name;
	json_object *features;
	size_t n;
	int rc;
};

/* one zones check's map record (DV_ZONES_MAP_TABLE): its features, each
 * told which check and flight it comes from */
static int on_zones_row(int64_t id, const uint8_t *data, size_t n, void *payload)
{
	struct zonesctx *x = payload;
	json_object *o = parse_row(data, n, 32), *cs, *fls;
	if (!o) return dv_error_set(DV_ECORRUPT, NULL, -1, "the zones map of custody entry %lld is not JSON", (long long)id);
	if (json_object_object_get_ex(o, "case", &cs) && json_object_is_type(cs, json_type_string) &&
	    !strcmp(json_object_get_string(cs), x->case_name) && json_object_object_get_ex(o, "flights", &fls) &&
	    json_object_is_type(fls, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(fls); i++) {
			json_object *fl = json_object_array_get_idx(fls, i), *fid, *fs;
			if (!json_object_object_get_ex(fl, "features", &fs) || !json_object_is_type(fs, json_type_array)) continue;
			const char *flight = json_object_object_get_ex(fl, "flight", &fid) ? json_object_get_string(fid) : "";
			for (size_t k = 0; k < json_object_array_length(fs); k++) {
				json_object *ft = json_object_array_get_idx(fs, k), *p;
				if (!json_object_is_type(ft, json_type_object) || !json_object_object_get_ex(ft, "properties", &p) ||
				    !json_object_is_type(p, json_type_object))
					continue;
				if (++x->n > API_MAX_MAP_FEATURES) {
					json_object_put(o);
					return dv_error_set(DV_ENOMEM, NULL, -1, "more than %d zone features in one case", API_MAX_MAP_FEATURES);
				}
				json_object_object_add(p, "flight", json_object_new_string(flight ? flight : ""));
				json_object_object_add(p, "custody_entry", json_object_new_int64(id));
				json_object_array_add(x->features, json_object_get(ft));
			}
		}
	}
	json_object_put(o);
	return 0;
}

static int coverage_geojson(char **out, size_t *n, dv_vault *v, const char *case_name)
{
	dv_coverage_opts co;
	memset(&co, 0, sizeof(co));
	co.case_name = case_name;
	co.format = DV_COVERAGE_GEOJSON;
	dv_coverage_result res;
	FILE *m = open_memstream(out, n);
	if (!m) return dv_error_set(DV_ENOMEM, NULL, -1, "no memory for the coverage");
	int rc = dv_coverage_run(&res, v, &co, m);
	if (fclose(m) != 0 && rc == 0) rc = dv_error_set(DV_ENOMEM, NULL, -1, "no memory for the coverage");
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int finish(char **out, size_t *n, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	*out = s ? malloc(len + 1) : NULL;
	if (*out) {
		memcpy(*out, s, len + 1);
		*n = len;
	}
	json_object_put(o);
	return *out ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "no memory for the answer");
}

int dv_serve_api(char **out, size_t *n, unsigned *status, const char **type, dv_vault *v, const dv_serve_route *r)
{
	*out = NULL;
	*n = 0;
	*status = 200;
	*type = "application/json";
	dv_catalog *cat = dv_vault_catalog(v);
	json_object *o = NULL;
	int rc = 0;
	dv_case c;
	switch (r->kind) {
	case DV_SERVE_ROUTE_STATUS: {
		uint8_t mac[32];
		int cs = dv_vault_config_state(v, mac);
		o = json_object_new_object();
		json_object_object_add(o, "vault", json_object_new_string(dv_vault_id(v)));
		json_object_object_add(o, "station", json_object_new_string(dv_vault_station(v)));
		json_object_object_add(o, "read_only", json_object_new_boolean(1));
		json_object_object_add(o, "writer_active", json_object_new_boolean(dv_vault_writer_active(v)));
		json_object_object_add(o, "config", json_object_new_string(cs == DV_CONFIG_OK ? "authenticated"
		                                                           : cs == DV_CONFIG_ALTERED ? "altered"
		                                                                                       : "unauthenticated"));
		const char *tiles = NULL;
		if (dv_vault_config_get(&tiles, v, DV_CONFIG_MAP_TILES) < 0) tiles = NULL;
		json_object_object_add(o, "map_tiles", tiles ? json_object_new_string(tiles) : NULL);
		break;
	}
	case DV_SERVE_ROUTE_CASES: {
		struct listctx x = { cat, json_object_new_array(), 0 };
		rc = dv_catalog_case_list(cat, on_case, &x);
		o = x.arr;
		break;
	}
	case DV_SERVE_ROUTE_CASE:
	case DV_SERVE_ROUTE_CASE_FILES:
	case DV_SERVE_ROUTE_CASE_FLIGHTS:
	case DV_SERVE_ROUTE_CASE_LOG:
	case DV_SERVE_ROUTE_CASE_FINDINGS:
	case DV_SERVE_ROUTE_CASE_PHOTOS:
	case DV_SERVE_ROUTE_CASE_COVERAGE:
	case DV_SERVE_ROUTE_CASE_ZONES:
		if ((rc = dv_catalog_case_get(&c, cat, r->id)) < 0) break;
		if (r->kind == DV_SERVE_ROUTE_CASE_COVERAGE) {
			if ((rc = coverage_geojson(out, n, v, c.name)) == 0) {
				*type = "application/geo+json";
				return 0;
			}
			break;
		}
		if (r->kind == DV_SERVE_ROUTE_CASE_PHOTOS) {
			struct photoctx x = { cat, json_object_new_array(), 0 };
			rc = dv_catalog_ingest_list(cat, c.id, on_photo_ingest, &x);
			o = collection(x.features);
			*type = "application/geo+json";
			break;
		}
		if (r->kind == DV_SERVE_ROUTE_CASE_ZONES) {
			struct zonesctx x = { c.name, json_object_new_array(), 0, 0 };
			rc = dv_catalog_side_list(cat, DV_ZONES_MAP_TABLE, on_zones_row, &x);
			o = collection(x.features);
			*type = "application/geo+json";
			break;
		}
		if (r->kind == DV_SERVE_ROUTE_CASE) {
			o = case_json(cat, &c, true, &rc);
		} else if (r->kind == DV_SERVE_ROUTE_CASE_FILES) {
			struct listctx x = { cat, json_object_new_array(), 0 };
			rc = dv_catalog_ingest_list(cat, c.id, on_ingest_files, &x);
			o = x.arr;
		} else if (r->kind == DV_SERVE_ROUTE_CASE_FLIGHTS) {
			o = flights_json(v, c.name, &rc);
		} else {
			struct logctx x = { c.name, json_object_new_array(), json_object_new_array(), 0,
			                    r->kind == DV_SERVE_ROUTE_CASE_FINDINGS };
			rc = dv_vault_log_scan(v, on_entry, on_problem, &x);
			uint64_t later, partial;
			dv_vault_log_in_progress(v, &later, &partial);
			o = json_object_new_object();
			json_object_object_add(o, "case", json_object_new_string(c.name));
			json_object_object_add(o, "chain_ok", json_object_new_boolean(rc >= 0 && json_object_array_length(x.problems) == 0));
			json_object_object_add(o, "problems", x.problems);
			json_object_object_add(o, "entries_in_progress", json_object_new_int64((int64_t)later));
			json_object_object_add(o, "entries", x.entries);
		}
		break;
	case DV_SERVE_ROUTE_TRACK:
		rc = track_geojson(out, n, v, r->flight);
		if (rc == 0) {
			*type = "application/geo+json";
			return 0;
		}
		break;
	default:
		rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "no such API route");
		break;
	}
	if (rc < 0) {
		if (o) json_object_put(o);
		*status = rc == DV_ENOTFOUND ? 404 : 500;
		*type = "application/json";
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string(dv_error_text()));
	}
	return finish(out, n, o);
}
