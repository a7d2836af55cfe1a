#include "dv/catalog.h"

#include <json-c/json.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dv/err.h"
#include "dv/util.h"

struct dv_catalog {
	sqlite3 *db;
	char path[4096];
	uint8_t seal_key[DV_KEY_BYTES];
	uint8_t tag_key[DV_KEY_BYTES];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cases(id INTEGER PRIMARY KEY, tag BLOB NOT NULL UNIQUE,"
	"  sealed BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ingests(id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id), source_tag BLOB NOT NULL,"
	"  state INTEGER NOT NULL, sealed BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ingests_case ON ingests(case_id, source_tag);"
	"CREATE TABLE IF NOT EXISTS blobs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  sealed BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY,"
	"  ingest_id INTEGER NOT NULL REFERENCES ingests(id), path_tag BLOB NOT NULL,"
	"  blob_id INTEGER NOT NULL REFERENCES blobs(id), sealed BLOB NOT NULL,"
	"  UNIQUE(ingest_id, path_tag));"
	"CREATE TABLE IF NOT EXISTS log_head(id INTEGER PRIMARY KEY CHECK(id = 1),"
	"  sealed BLOB NOT NULL);"
	"INSERT OR IGNORE INTO meta(k, v) VALUES('schema', '1');";

static int db_error(dv_catalog *cat, const char *what)
{
	int ec = sqlite3_extended_errcode(cat->db);
	dv_code code = DV_EIO;
	if ((ec & 0xff) == SQLITE_FULL) code = DV_ENOSPC;
	else if ((ec & 0xff) == SQLITE_CORRUPT || (ec & 0xff) == SQLITE_NOTADB) code = DV_ECORRUPT;
	else if ((ec & 0xff) == SQLITE_BUSY || (ec & 0xff) == SQLITE_LOCKED) code = DV_EBUSY;
	else if ((ec & 0xff) == SQLITE_CONSTRAINT) code = DV_EEXIST;
	return dv_error_set(code, cat->path, -1, "%s: %s", what, sqlite3_errmsg(cat->db));
}

static int exec(dv_catalog *cat, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = db_error(cat, sql);
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

int dv_catalog_open(dv_catalog **out, const char *path, const uint8_t seal_key[DV_KEY_BYTES],
                    const uint8_t tag_key[DV_KEY_BYTES])
{
	dv_catalog *cat = calloc(1, sizeof(*cat));
	if (!cat) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	snprintf(cat->path, sizeof(cat->path), "%s", path);
	memcpy(cat->seal_key, seal_key, DV_KEY_BYTES);
	memcpy(cat->tag_key, tag_key, DV_KEY_BYTES);
	int rc;
	if (sqlite3_open_v2(path, &cat->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = dv_error_set(DV_EIO, path, -1, "cannot open catalog: %s",
		                  cat->db ? sqlite3_errmsg(cat->db) : "out of memory");
		dv_catalog_close(cat);
		return rc;
	}
	/* SQLite creates files 0644; the WAL and shm files copy the db's mode. */
	(void)chmod(path, 0600);
	sqlite3_extended_result_codes(cat->db, 1);
	sqlite3_busy_timeout(cat->db, 5000);
	if ((rc = exec(cat, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                    "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;")) < 0 ||
	    (rc = exec(cat, schema)) < 0) {
		dv_catalog_close(cat);
		return rc;
	}
	*out = cat;
	return 0;
}

void dv_catalog_close(dv_catalog *cat)
{
	if (!cat) return;
	sqlite3_close(cat->db);
	dv_wipe(cat->seal_key, sizeof(cat->seal_key));
	dv_wipe(cat->tag_key, sizeof(cat->tag_key));
	free(cat);
}

const char *dv_catalog_path(const dv_catalog *cat) { return cat->path; }

int dv_catalog_begin(dv_catalog *cat) { return exec(cat, "BEGIN IMMEDIATE"); }
int dv_catalog_commit(dv_catalog *cat) { return exec(cat, "COMMIT"); }
void dv_catalog_rollback(dv_catalog *cat)
{
	if (!sqlite3_get_autocommit(cat->db))
		sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

void dv_catalog_tag(const dv_catalog *cat, const char *kind, const void *msg, size_t n, uint8_t out[32])
{
	/* tag = BLAKE2b-keyed(kind || 0x00 || msg) */
	size_t kl = strlen(kind);
	uint8_t *buf = malloc(kl + 1 + n);
	if (!buf) {
		memset(out, 0, 32);
		return;
	}
	memcpy(buf, kind, kl);
	buf[kl] = 0;
	if (n) memcpy(buf + kl + 1, msg, n);
	dv_keyed_hash(out, cat->tag_key, buf, kl + 1 + n);
	free(buf);
}

/* ---- sealing ------------------------------------------------------------ */

/* The additional data of a row: table, id and every clear column. */
static void row_ad(char *ad, size_t size, const char *table, int64_t id, const char *clear)
{
	snprintf(ad, size, "dronevault-catalog-v1|%s|%lld|%s", table, (long long)id, clear ? clear : "");
}

static int seal_json(dv_catalog *cat, json_object *o, const char *ad, uint8_t **out, size_t *out_len)
{
	size_t n;
	*out = NULL; /* set on every path: callers free it unconditionally */
	*out_len = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	uint8_t *buf = malloc(n + DV_SEAL_OVERHEAD);
	if (!s || !buf) {
		free(buf);
		return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	}
	dv_seal(buf, s, n, ad, strlen(ad), cat->seal_key);
	*out = buf;
	*out_len = n + DV_SEAL_OVERHEAD;
	return 0;
}

static int open_json(dv_catalog *cat, const void *sealed, int len, const char *ad, const char *table,
                     int64_t id, json_object **out)
{
	if (!sealed || len < DV_SEAL_OVERHEAD || len > (16 << 20))
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table %s row %lld: sealed record missing or malformed",
		                    table, (long long)id);
	size_t n = (size_t)len - DV_SEAL_OVERHEAD;
	char *plain = malloc(n + 1);
	if (!plain) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	if (dv_open((uint8_t *)plain, sealed, (size_t)len, ad, strlen(ad), cat->seal_key) < 0) {
		free(plain);
		return dv_error_set(DV_ECORRUPT, cat->path, -1,
		                    "table %s row %lld: sealed record fails authentication (tampered or damaged)",
		                    table, (long long)id);
	}
	plain[n] = '\0';
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *o = tok ? json_tokener_parse_ex(tok, plain, (int)n) : NULL;
	json_tokener_free(tok);
	free(plain);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table %s row %lld: sealed record is not an object",
		                    table, (long long)id);
	}
	*out = o;
	return 0;
}

/* json helpers */
static void put_str(json_object *o, const char *k, const char *v) { json_object_object_add(o, k, json_object_new_string(v ? v : "")); }
static void put_i64(json_object *o, const char *k, int64_t v) { json_object_object_add(o, k, json_object_new_int64(v)); }
static void put_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char h[129];
	dv_hex(h, b, n);
	put_str(o, k, h);
}
static void get_str(json_object *o, const char *k, char *out, size_t size)
{
	json_object *v;
	dv_strlcpy(out, json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "", size);
}
static int64_t get_i64(json_object *o, const char *k, int64_t dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : dflt;
}
static bool get_hex(json_object *o, const char *k, uint8_t *out, size_t n)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string)) return false;
	return dv_unhex(out, n, json_object_get_string(v)) == 0;
}

static int check_len(dv_catalog *cat, const char *what, const char *s, size_t max)
{
	if (strnlen(s, max) >= max)
		return dv_error_set(DV_EINVAL, cat->path, -1, "%s longer than %zu bytes", what, max - 1);
	return 0;
}

static int64_t next_id(dv_catalog *cat, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
	sqlite3_stmt *st;
	int64_t id = -1;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
	if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int prepare(dv_catalog *cat, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(cat->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(cat, "cannot prepare statement");
	return 0;
}

/* Steps a write statement to completion and finalizes it. */
static int step_done(dv_catalog *cat, sqlite3_stmt *st, const char *what)
{
	int s = sqlite3_step(st);
	int rc = s == SQLITE_DONE ? 0 : db_error(cat, what);
	sqlite3_finalize(st);
	return rc;
}

/* ---- cases ----------------------------------------------------------------- */
static int case_from_row(dv_catalog *cat, sqlite3_stmt *st, dv_case *out)
{
	int64_t id = sqlite3_column_int64(st, 0);
	char tag[65], ad[256];
	if (sqlite3_column_bytes(st, 1) != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table cases row %lld: bad tag", (long long)id);
	dv_hex(tag, sqlite3_column_blob(st, 1), 32);
	row_ad(ad, sizeof(ad), "cases", id, tag);
	json_object *o;
	int rc = open_json(cat, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), ad, "cases", id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = id;
	get_str(o, "name", out->name, sizeof(out->name));
	out->created_ns = get_i64(o, "created", 0);
	json_object_put(o);
	return 0;
}

int dv_catalog_case_find(dv_catalog *cat, const char *name, dv_case *out)
{
	uint8_t tag[32];
	dv_catalog_tag(cat, "case", name, strlen(name), tag);
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT id, tag, sealed FROM cases WHERE tag = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_blob(st, 1, tag, 32, SQLITE_TRANSIENT);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = case_from_row(cat, st, out);
	else if (s == SQLITE_DONE) rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "no case '%s' in the vault", name);
	else rc = db_error(cat, "cannot look up case");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_case_create(dv_catalog *cat, const char *name, dv_case *out)
{
	int rc = check_len(cat, "case name", name, DV_NAME_MAX);
	if (rc < 0) return rc;
	uint8_t tag[32];
	char taghex[65], ad[256];
	dv_catalog_tag(cat, "case", name, strlen(name), tag);
	dv_hex(taghex, tag, 32);
	int64_t id = next_id(cat, "cases");
	if (id < 0) return db_error(cat, "cannot allocate a case id");
	memset(out, 0, sizeof(*out));
	out->id = id;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->created_ns = dv_now_ns();
	json_object *o = json_object_new_object();
	put_str(o, "name", name);
	put_i64(o, "created", out->created_ns);
	uint8_t *sealed;
	size_t sealed_len;
	row_ad(ad, sizeof(ad), "cases", id, taghex);
	rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	sqlite3_stmt *st;
	if ((rc = prepare(cat, "INSERT INTO cases(id, tag, sealed) VALUES(?, ?, ?)", &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_blob(st, 2, tag, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, sealed, (int)sealed_len, SQLITE_TRANSIENT);
		rc = step_done(cat, st, "cannot add case");
	}
	free(sealed);
	return rc;
}

int dv_catalog_case_get(dv_catalog *cat, int64_t id, dv_case *out)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT id, tag, sealed FROM cases WHERE id = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = case_from_row(cat, st, out);
	else if (s == SQLITE_DONE) rc = dv_error_set(DV_ENOTFOUND, cat->path, -1, "no case with id %lld", (long long)id);
	else rc = db_error(cat, "cannot read case");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_case_list(dv_catalog *cat, int (*fn)(const dv_case *c, void *payload), void *payload)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT id, tag, sealed FROM cases ORDER BY id", &st);
	if (rc < 0) return rc;
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		dv_case c;
		if ((rc = case_from_row(cat, st, &c)) == 0) rc = fn(&c, payload);
	}
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(cat, "cannot list cases");
	sqlite3_finalize(st);
	return rc;
}

/* ---- ingests --------------------------------------------------------------- */
static void ingest_clear(char *buf, size_t size, int64_t case_id, const uint8_t tag[32], int state)
{
	char taghex[65];
	dv_hex(taghex, tag, 32);
	snprintf(buf, size, "%lld|%s|%d", (long long)case_id, taghex, state);
}

static json_object *ingest_json(const dv_ingest_rec *r)
{
	json_object *o = json_object_new_object();
	put_str(o, "source", r->source);
	put_str(o, "kind", r->kind);
	put_str(o, "fs_type", r->fs_type);
	put_str(o, "operator", r->operator_name);
	put_str(o, "note", r->note);
	put_str(o, "station", r->station);
	put_i64(o, "started", r->started_ns);
	put_i64(o, "finished", r->finished_ns);
	if (r->has_image_hash) {
		put_hex(o, "image_sha256", r->image_sha256, 32);
		put_i64(o, "image_size", (int64_t)r->image_size);
	}
	put_i64(o, "files", (int64_t)r->files);
	put_i64(o, "bytes", (int64_t)r->bytes);
	put_i64(o, "log_seq", (int64_t)r->log_seq);
	put_hex(o, "manifest", r->manifest, 32);
	return o;
}

static int ingest_write(dv_catalog *cat, const dv_ingest_rec *r, const uint8_t tag[32], bool insert)
{
	int rc;
	if ((rc = check_len(cat, "source path", r->source, sizeof(r->source))) < 0 ||
	    (rc = check_len(cat, "operator", r->operator_name, sizeof(r->operator_name))) < 0 ||
	    (rc = check_len(cat, "note", r->note, sizeof(r->note))) < 0)
		return rc;
	char clear[160], ad[256];
	ingest_clear(clear, sizeof(clear), r->case_id, tag, r->state);
	row_ad(ad, sizeof(ad), "ingests", r->id, clear);
	json_object *o = ingest_json(r);
	uint8_t *sealed;
	size_t sealed_len;
	rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	sqlite3_stmt *st;
	rc = prepare(cat, insert ? "INSERT INTO ingests(case_id, source_tag, state, sealed, id) VALUES(?, ?, ?, ?, ?)"
	                         : "UPDATE ingests SET case_id = ?, source_tag = ?, state = ?, sealed = ? WHERE id = ?",
	             &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, r->case_id);
		sqlite3_bind_blob(st, 2, tag, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, r->state);
		sqlite3_bind_blob(st, 4, sealed, (int)sealed_len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, r->id);
		rc = step_done(cat, st, insert ? "cannot add ingest" : "cannot update ingest");
	}
	free(sealed);
	return rc;
}

static int ingest_from_row(dv_catalog *cat, sqlite3_stmt *st, dv_ingest_rec *out, uint8_t tag_out[32])
{
	int64_t id = sqlite3_column_int64(st, 0);
	int64_t case_id = sqlite3_column_int64(st, 1);
	int state = sqlite3_column_int(st, 3);
	if (sqlite3_column_bytes(st, 2) != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table ingests row %lld: bad tag", (long long)id);
	const uint8_t *tag = sqlite3_column_blob(st, 2);
	char clear[160], ad[256];
	ingest_clear(clear, sizeof(clear), case_id, tag, state);
	row_ad(ad, sizeof(ad), "ingests", id, clear);
	json_object *o;
	int rc = open_json(cat, sqlite3_column_blob(st, 4), sqlite3_column_bytes(st, 4), ad, "ingests", id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->case_id = case_id;
	out->state = state;
	if (tag_out) memcpy(tag_out, tag, 32);
	get_str(o, "source", out->source, sizeof(out->source));
	get_str(o, "kind", out->kind, sizeof(out->kind));
	get_str(o, "fs_type", out->fs_type, sizeof(out->fs_type));
	get_str(o, "operator", out->operator_name, sizeof(out->operator_name));
	get_str(o, "note", out->note, sizeof(out->note));
	get_str(o, "station", out->station, sizeof(out->station));
	out->started_ns = get_i64(o, "started", 0);
	out->finished_ns = get_i64(o, "finished", 0);
	out->has_image_hash = get_hex(o, "image_sha256", out->image_sha256, 32);
	out->image_size = (uint64_t)get_i64(o, "image_size", 0);
	out->files = (uint64_t)get_i64(o, "files", 0);
	out->bytes = (uint64_t)get_i64(o, "bytes", 0);
	out->log_seq = (uint64_t)get_i64(o, "log_seq", 0);
	get_hex(o, "manifest", out->manifest, 32);
	json_object_put(o);
	return 0;
}

int dv_catalog_ingest_create(dv_catalog *cat, dv_ingest_rec *rec, const uint8_t source_tag[32])
{
	int64_t id = next_id(cat, "ingests");
	if (id < 0) return db_error(cat, "cannot allocate an ingest id");
	rec->id = id;
	return ingest_write(cat, rec, source_tag, true);
}

int dv_catalog_ingest_update(dv_catalog *cat, const dv_ingest_rec *rec)
{
	/* The source tag is immutable: read it back from the row. */
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT source_tag FROM ingests WHERE id = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, rec->id);
	uint8_t tag[32];
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(tag, sqlite3_column_blob(st, 0), 32);
	} else {
		sqlite3_finalize(st);
		return dv_error_set(DV_ENOTFOUND, cat->path, -1, "no ingest with id %lld", (long long)rec->id);
	}
	sqlite3_finalize(st);
	return ingest_write(cat, rec, tag, false);
}

#define INGEST_COLS "SELECT id, case_id, source_tag, state, sealed FROM ingests "

int dv_catalog_ingest_get(dv_catalog *cat, int64_t id, dv_ingest_rec *out)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, INGEST_COLS "WHERE id = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = ingest_from_row(cat, st, out, NULL);
	else if (s == SQLITE_DONE) rc = dv_error_set(DV_ENOTFOUND, cat->path, -1, "no ingest with id %lld", (long long)id);
	else rc = db_error(cat, "cannot read ingest");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_ingest_find_open(dv_catalog *cat, int64_t case_id, const uint8_t source_tag[32],
                                dv_ingest_rec *out)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, INGEST_COLS "WHERE case_id = ? AND source_tag = ? AND state = 0 ORDER BY id DESC LIMIT 1", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_blob(st, 2, source_tag, 32, SQLITE_TRANSIENT);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = ingest_from_row(cat, st, out, NULL);
	else if (s == SQLITE_DONE) rc = DV_ENOTFOUND;
	else rc = db_error(cat, "cannot look up ingest");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_ingest_list(dv_catalog *cat, int64_t case_id,
                           int (*fn)(const dv_ingest_rec *r, void *payload), void *payload)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, case_id ? INGEST_COLS "WHERE case_id = ? ORDER BY id" : INGEST_COLS "ORDER BY id", &st);
	if (rc < 0) return rc;
	if (case_id) sqlite3_bind_int64(st, 1, case_id);
	int s;
	dv_ingest_rec *r = malloc(sizeof(*r));
	if (!r) {
		sqlite3_finalize(st);
		return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	}
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = ingest_from_row(cat, st, r, NULL)) == 0) rc = fn(r, payload);
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(cat, "cannot list ingests");
	free(r);
	sqlite3_finalize(st);
	return rc;
}

/* ---- blobs ------------------------------------------------------------------ */
static int blob_from_row(dv_catalog *cat, sqlite3_stmt *st, dv_blob_rec *out)
{
	int64_t id = sqlite3_column_int64(st, 0);
	const char *name = (const char *)sqlite3_column_text(st, 1);
	char ad[256];
	if (!name || strlen(name) != 64)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table blobs row %lld: bad name", (long long)id);
	row_ad(ad, sizeof(ad), "blobs", id, name);
	json_object *o;
	int rc = open_json(cat, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), ad, "blobs", id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = id;
	snprintf(out->name, sizeof(out->name), "%s", name);
	bool ok = get_hex(o, "sha256", out->sha256, 32);
	out->size = (uint64_t)get_i64(o, "size", 0);
	json_object_put(o);
	if (!ok) return dv_error_set(DV_ECORRUPT, cat->path, -1, "table blobs row %lld: no hash", (long long)id);
	return 0;
}

int dv_catalog_blob_put(dv_catalog *cat, const char *name, const uint8_t sha256[DV_SHA256_BYTES],
                        uint64_t size, int64_t *id_out)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT id FROM blobs WHERE name = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	int64_t id = next_id(cat, "blobs");
	if (id < 0) return db_error(cat, "cannot allocate a blob id");
	char ad[256];
	row_ad(ad, sizeof(ad), "blobs", id, name);
	json_object *o = json_object_new_object();
	put_hex(o, "sha256", sha256, 32);
	put_i64(o, "size", (int64_t)size);
	uint8_t *sealed;
	size_t sealed_len;
	rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	if ((rc = prepare(cat, "INSERT INTO blobs(id, name, sealed) VALUES(?, ?, ?)", &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, sealed, (int)sealed_len, SQLITE_TRANSIENT);
		rc = step_done(cat, st, "cannot add blob");
	}
	free(sealed);
	if (rc == 0) *id_out = id;
	return rc;
}

int dv_catalog_blob_list(dv_catalog *cat, int (*fn)(const dv_blob_rec *b, void *payload), void *payload)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT id, name, sealed FROM blobs ORDER BY id", &st);
	if (rc < 0) return rc;
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		dv_blob_rec b;
		if ((rc = blob_from_row(cat, st, &b)) == 0) rc = fn(&b, payload);
	}
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(cat, "cannot list blobs");
	sqlite3_finalize(st);
	return rc;
}

/* ---- files ------------------------------------------------------------------ */
static void path_tag(const dv_catalog *cat, int64_t ingest_id, const char *path, uint8_t out[32])
{
	char buf[DV_PATH_MAX + 32];
	int n = snprintf(buf, sizeof(buf), "%lld/%s", (long long)ingest_id, path);
	dv_catalog_tag(cat, "path", buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, out);
}

static void file_clear(char *buf, size_t size, int64_t ingest_id, const uint8_t tag[32], int64_t blob_id)
{
	char taghex[65];
	dv_hex(taghex, tag, 32);
	snprintf(buf, size, "%lld|%s|%lld", (long long)ingest_id, taghex, (long long)blob_id);
}

int dv_catalog_file_add(dv_catalog *cat, dv_file_rec *rec)
{
	int rc = check_len(cat, "path", rec->path, sizeof(rec->path));
	if (rc < 0) return rc;
	uint8_t tag[32];
	path_tag(cat, rec->ingest_id, rec->path, tag);
	int64_t id = next_id(cat, "files");
	if (id < 0) return db_error(cat, "cannot allocate a file id");
	rec->id = id;
	char clear[200], ad[300];
	file_clear(clear, sizeof(clear), rec->ingest_id, tag, rec->blob_id);
	row_ad(ad, sizeof(ad), "files", id, clear);
	json_object *o = json_object_new_object();
	put_str(o, "path", rec->path);
	put_i64(o, "size", (int64_t)rec->size);
	put_i64(o, "mtime", rec->mtime_ns);
	put_i64(o, "atime", rec->atime_ns);
	put_i64(o, "ctime", rec->ctime_ns);
	if (rec->crtime_ns != INT64_MIN) put_i64(o, "crtime", rec->crtime_ns);
	put_i64(o, "mode", rec->mode);
	put_hex(o, "sha256", rec->sha256, 32);
	uint8_t *sealed;
	size_t sealed_len;
	rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	sqlite3_stmt *st;
	if ((rc = prepare(cat, "INSERT INTO files(id, ingest_id, path_tag, blob_id, sealed) VALUES(?, ?, ?, ?, ?)", &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, rec->ingest_id);
		sqlite3_bind_blob(st, 3, tag, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, rec->blob_id);
		sqlite3_bind_blob(st, 5, sealed, (int)sealed_len, SQLITE_TRANSIENT);
		rc = step_done(cat, st, "cannot add file");
	}
	free(sealed);
	return rc;
}

#define FILE_COLS "SELECT f.id, f.ingest_id, f.path_tag, f.blob_id, f.sealed, b.name FROM files f LEFT JOIN blobs b ON b.id = f.blob_id "

static int file_from_row(dv_catalog *cat, sqlite3_stmt *st, dv_file_rec *out)
{
	int64_t id = sqlite3_column_int64(st, 0);
	int64_t ingest_id = sqlite3_column_int64(st, 1);
	int64_t blob_id = sqlite3_column_int64(st, 3);
	if (sqlite3_column_bytes(st, 2) != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: bad tag", (long long)id);
	const uint8_t *tag = sqlite3_column_blob(st, 2);
	char clear[200], ad[300];
	file_clear(clear, sizeof(clear), ingest_id, tag, blob_id);
	row_ad(ad, sizeof(ad), "files", id, clear);
	json_object *o;
	int rc = open_json(cat, sqlite3_column_blob(st, 4), sqlite3_column_bytes(st, 4), ad, "files", id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->ingest_id = ingest_id;
	out->blob_id = blob_id;
	get_str(o, "path", out->path, sizeof(out->path));
	out->size = (uint64_t)get_i64(o, "size", 0);
	out->mtime_ns = get_i64(o, "mtime", 0);
	out->atime_ns = get_i64(o, "atime", 0);
	out->ctime_ns = get_i64(o, "ctime", 0);
	out->crtime_ns = get_i64(o, "crtime", INT64_MIN);
	out->mode = (uint32_t)get_i64(o, "mode", 0);
	bool ok = get_hex(o, "sha256", out->sha256, 32);
	json_object_put(o);
	const char *bn = (const char *)sqlite3_column_text(st, 5);
	snprintf(out->blob_name, sizeof(out->blob_name), "%s", bn ? bn : "");
	/* the tag must be the one this path would get: a swapped path fails here */
	uint8_t expect[32];
	path_tag(cat, ingest_id, out->path, expect);
	if (!ok || memcmp(expect, tag, 32) != 0)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: path or hash does not match its row",
		                    (long long)id);
	if (!bn)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: refers to missing blob row %lld",
		                    (long long)id, (long long)blob_id);
	return 0;
}

int dv_catalog_file_find(dv_catalog *cat, int64_t ingest_id, const char *path, dv_file_rec *out)
{
	uint8_t tag[32];
	path_tag(cat, ingest_id, path, tag);
	sqlite3_stmt *st;
	int rc = prepare(cat, FILE_COLS "WHERE f.ingest_id = ? AND f.path_tag = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, ingest_id);
	sqlite3_bind_blob(st, 2, tag, 32, SQLITE_TRANSIENT);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = file_from_row(cat, st, out);
	else if (s == SQLITE_DONE) rc = DV_ENOTFOUND;
	else rc = db_error(cat, "cannot look up file");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_file_list(dv_catalog *cat, int64_t ingest_id,
                         int (*fn)(const dv_file_rec *f, void *payload), void *payload)
{
	sqlite3_stmt *st;
	int rc = prepare(cat, FILE_COLS "WHERE f.ingest_id = ? ORDER BY f.id", &st);
	if (rc < 0) return rc;
	sqlite3_bind_int64(st, 1, ingest_id);
	dv_file_rec *f = malloc(sizeof(*f));
	if (!f) {
		sqlite3_finalize(st);
		return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	}
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = file_from_row(cat, st, f)) == 0) rc = fn(f, payload);
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(cat, "cannot list files");
	free(f);
	sqlite3_finalize(st);
	return rc;
}

int64_t dv_catalog_file_count(dv_catalog *cat, int64_t ingest_id)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (prepare(cat, "SELECT count(*) FROM files WHERE ingest_id = ?", &st) < 0) return -1;
	sqlite3_bind_int64(st, 1, ingest_id);
	if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- side tables ------------------------------------------------------------------ */
static int side_table_ok(dv_catalog *cat, const char *table)
{
	size_t n = strlen(table);
	if (n == 0 || n > 32 || strspn(table, "abcdefghijklmnopqrstuvwxyz_") != n)
		return dv_error_set(DV_EINVAL, cat->path, -1, "bad side table name '%s'", table);
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS side_%s(id INTEGER PRIMARY KEY, sealed BLOB NOT NULL)", table);
	return exec(cat, sql);
}

int dv_catalog_side_put(dv_catalog *cat, const char *table, int64_t id, const void *data, size_t n)
{
	int rc = side_table_ok(cat, table);
	if (rc < 0) return rc;
	if (n > (256u << 20)) return dv_error_set(DV_ENOMEM, cat->path, -1, "side record of %zu bytes too large", n);
	char ad[128], sql[128];
	snprintf(ad, sizeof(ad), "dronevault-catalog-v1|side_%s|%lld|", table, (long long)id);
	uint8_t *sealed = malloc(n + DV_SEAL_OVERHEAD);
	if (!sealed) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	dv_seal(sealed, data, n, ad, strlen(ad), cat->seal_key);
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO side_%s(id, sealed) VALUES(?, ?)", table);
	sqlite3_stmt *st;
	if ((rc = prepare(cat, sql, &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		/* STATIC: sealed outlives the statement; spares a copy of a large track */
		sqlite3_bind_blob(st, 2, sealed, (int)(n + DV_SEAL_OVERHEAD), SQLITE_STATIC);
		rc = step_done(cat, st, "cannot store side record");
	}
	free(sealed);
	return rc;
}

static int side_open(dv_catalog *cat, const char *table, int64_t id, const void *sealed, int len, uint8_t **out, size_t *n)
{
	char ad[128];
	snprintf(ad, sizeof(ad), "dronevault-catalog-v1|side_%s|%lld|", table, (long long)id);
	if (!sealed || len < DV_SEAL_OVERHEAD)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table side_%s row %lld: sealed record malformed", table, (long long)id);
	size_t m = (size_t)len - DV_SEAL_OVERHEAD;
	uint8_t *buf = malloc(m + 1);
	if (!buf) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	if (dv_open(buf, sealed, (size_t)len, ad, strlen(ad), cat->seal_key) < 0) {
		free(buf);
		return dv_error_set(DV_ECORRUPT, cat->path, -1,
		                    "table side_%s row %lld: sealed record fails authentication (tampered or damaged)",
		                    table, (long long)id);
	}
	buf[m] = 0;
	*out = buf;
	*n = m;
	return 0;
}

int dv_catalog_side_get(dv_catalog *cat, const char *table, int64_t id, uint8_t **out, size_t *n)
{
	int rc = side_table_ok(cat, table);
	if (rc < 0) return rc;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT sealed FROM side_%s WHERE id = ?", table);
	sqlite3_stmt *st;
	if ((rc = prepare(cat, sql, &st)) < 0) return rc;
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) rc = side_open(cat, table, id, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), out, n);
	else if (s == SQLITE_DONE) rc = DV_ENOTFOUND;
	else rc = db_error(cat, "cannot read side record");
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_side_list(dv_catalog *cat, const char *table,
                         int (*fn)(int64_t id, const uint8_t *data, size_t n, void *payload), void *payload)
{
	int rc = side_table_ok(cat, table);
	if (rc < 0) return rc;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT id, sealed FROM side_%s ORDER BY id", table);
	sqlite3_stmt *st;
	if ((rc = prepare(cat, sql, &st)) < 0) return rc;
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		uint8_t *buf;
		size_t n;
		if ((rc = side_open(cat, table, id, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &buf, &n)) == 0) {
			rc = fn(id, buf, n, payload);
			free(buf);
		}
	}
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(cat, "cannot list side records");
	sqlite3_finalize(st);
	return rc;
}

/* ---- log head ------------------------------------------------------------------ */
int dv_catalog_head_get(dv_catalog *cat, uint64_t *seq, uint8_t hash[32])
{
	sqlite3_stmt *st;
	int rc = prepare(cat, "SELECT sealed FROM log_head WHERE id = 1", &st);
	if (rc < 0) return rc;
	*seq = 0;
	memset(hash, 0, 32);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char ad[128];
		row_ad(ad, sizeof(ad), "log_head", 1, NULL);
		json_object *o;
		rc = open_json(cat, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), ad, "log_head", 1, &o);
		if (rc == 0) {
			*seq = (uint64_t)get_i64(o, "seq", 0);
			if (!get_hex(o, "hash", hash, 32))
				rc = dv_error_set(DV_ECORRUPT, cat->path, -1, "table log_head: no hash");
			json_object_put(o);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int dv_catalog_head_set(dv_catalog *cat, uint64_t seq, const uint8_t hash[32])
{
	char ad[128];
	row_ad(ad, sizeof(ad), "log_head", 1, NULL);
	json_object *o = json_object_new_object();
	put_i64(o, "seq", (int64_t)seq);
	put_hex(o, "hash", hash, 32);
	uint8_t *sealed;
	size_t sealed_len;
	int rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	sqlite3_stmt *st;
	if ((rc = prepare(cat, "INSERT OR REPLACE INTO log_head(id, sealed) VALUES(1, ?)", &st)) == 0) {
		sqlite3_bind_blob(st, 1, sealed, (int)sealed_len, SQLITE_TRANSIENT);
		rc = step_done(cat, st, "cannot record the custody log head");
	}
	free(sealed);
	return rc;
}

/* ---- check --------------------------------------------------------------------- */
struct check_ctx {
	void (*fn)(const char *, void *);
	void *payload;
	int problems;
};

static void problem(struct check_ctx *c, const char *msg)
{
	c->problems++;
	c->fn(msg, c->payload);
}

static void check_table(dv_catalog *cat, struct check_ctx *c, const char *sql,
                        int (*row)(dv_catalog *, sqlite3_stmt *))
{
	sqlite3_stmt *st;
	if (prepare(cat, sql, &st) < 0) {
		problem(c, dv_error_text());
		return;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		if (row(cat, st) < 0) problem(c, dv_error_text());
	if (s != SQLITE_DONE) {
		db_error(cat, "cannot read table");
		problem(c, dv_error_text());
	}
	sqlite3_finalize(st);
}

static int row_case(dv_catalog *cat, sqlite3_stmt *st) { dv_case x; return case_from_row(cat, st, &x); }
static int row_blob(dv_catalog *cat, sqlite3_stmt *st) { dv_blob_rec x; return blob_from_row(cat, st, &x); }
static int row_ingest(dv_catalog *cat, sqlite3_stmt *st)
{
	dv_ingest_rec *x = malloc(sizeof(*x));
	int rc = x ? ingest_from_row(cat, st, x, NULL) : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	free(x);
	return rc;
}
static int row_file(dv_catalog *cat, sqlite3_stmt *st)
{
	dv_file_rec *x = malloc(sizeof(*x));
	int rc = x ? file_from_row(cat, st, x) : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	free(x);
	return rc;
}

static int side_ok(int64_t id, const uint8_t *data, size_t n, void *payload)
{
	(void)id; (void)data; (void)n; (void)payload;
	return 0;
}

int dv_catalog_check(dv_catalog *cat, void (*fn)(const char *problem, void *payload), void *payload)
{
	struct check_ctx c = { fn, payload, 0 };
	sqlite3_stmt *st;
	if (prepare(cat, "PRAGMA integrity_check", &st) < 0) {
		problem(&c, dv_error_text());
		return c.problems;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && strcmp(t, "ok") != 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%.300s: SQLite integrity check: %.600s", cat->path, t);
			problem(&c, msg);
		}
	}
	if (s != SQLITE_DONE) {
		db_error(cat, "integrity check failed");
		problem(&c, dv_error_text());
	}
	sqlite3_finalize(st);
	if (prepare(cat, "PRAGMA foreign_key_check", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%.300s: table %.30s row %lld refers to a missing %.30s row", cat->path,
			         (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
			         (const char *)sqlite3_column_text(st, 2));
			problem(&c, msg);
		}
		sqlite3_finalize(st);
	}
	check_table(cat, &c, "SELECT id, tag, sealed FROM cases", row_case);
	check_table(cat, &c, INGEST_COLS, row_ingest);
	check_table(cat, &c, "SELECT id, name, sealed FROM blobs", row_blob);
	check_table(cat, &c, FILE_COLS, row_file);
	uint64_t seq;
	uint8_t h[32];
	if (dv_catalog_head_get(cat, &seq, h) < 0) problem(&c, dv_error_text());
	/* every side table's rows must open too */
	if (prepare(cat, "SELECT substr(name, 6) FROM sqlite_master WHERE type = 'table' AND name LIKE 'side\\_%' ESCAPE '\\'", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			char table[40];
			snprintf(table, sizeof(table), "%s", (const char *)sqlite3_column_text(st, 0));
			if (dv_catalog_side_list(cat, table, side_ok, NULL) < 0) problem(&c, dv_error_text());
		}
		sqlite3_finalize(st);
	}
	return c.problems;
}
