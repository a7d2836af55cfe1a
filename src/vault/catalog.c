/*
 * The catalog front end and its sealed-row codec, shared by every backend:
 * the JSON inside each record, the additional data binding it to table, id
 * and clear columns, the keyed lookup tags. No SQL here (catalog_sqlite.c).
 */
#include "dv/catalog.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/util.h"

struct dv_catalog {
	const dv_catalog_backend_ops *ops;
	dv_catalog_backend *be;
	char path[4096];   /* where it is, for messages */
	uint8_t *keys;       /* guarded memory (dv_secret_alloc): seal_key, tag_key */
	uint8_t *seal_key;
	uint8_t *tag_key;
};

static int unsupported(const dv_catalog *cat, const char *op)
{
	return dv_error_set(DV_EUNSUPPORTED, cat->ops->name ? cat->ops->name : "catalog backend", -1, "no %s", op);
}

/* Calls a backend operation, or reports it as unsupported. */
#define OP(cat, op, ...) ((cat)->ops->op ? (cat)->ops->op((cat)->be, __VA_ARGS__) : unsupported((cat), #op))

const char *dv_catalog_table_name(dv_catalog_table t)
{
	switch (t) {
	case DV_CT_CASES: return "cases";
	case DV_CT_INGESTS: return "ingests";
	case DV_CT_BLOBS: return "blobs";
	case DV_CT_FILES: return "files";
	case DV_CT_LOG_HEAD: return "log_head";
	case DV_CT_SIDE: return NULL;
	}
	return NULL;
}

int dv_catalog_open_backend(dv_catalog **out, const dv_catalog_backend_ops *ops, dv_catalog_backend *be,
                            const uint8_t seal_key[DV_KEY_BYTES], const uint8_t tag_key[DV_KEY_BYTES])
{
	*out = NULL;
	if (!ops || ops->version != DV_CATALOG_BACKEND_VERSION || !ops->free) {
		int rc = dv_error_set(DV_EUNSUPPORTED, ops && ops->name ? ops->name : "catalog backend", -1,
		                      "catalog backend version %u, this build speaks %u%s", ops ? ops->version : 0,
		                      DV_CATALOG_BACKEND_VERSION, ops && !ops->free ? " (and it needs free)" : "");
		if (ops && ops->version == DV_CATALOG_BACKEND_VERSION && ops->free) ops->free(be);
		return rc;
	}
	dv_catalog *cat = calloc(1, sizeof(*cat));
	if (!cat) {
		ops->free(be);
		return dv_error_set(DV_ENOMEM, ops->name, -1, "out of memory");
	}
	cat->ops = ops;
	cat->be = be;
	snprintf(cat->path, sizeof(cat->path), "%s", ops->where ? ops->where(be) : ops->name ? ops->name : "catalog");
	if (!(cat->keys = dv_secret_alloc(2 * DV_KEY_BYTES))) {
		ops->free(be);
		free(cat);
		return DV_ENOMEM;
	}
	cat->seal_key = cat->keys;
	cat->tag_key = cat->keys + DV_KEY_BYTES;
	memcpy(cat->seal_key, seal_key, DV_KEY_BYTES);
	memcpy(cat->tag_key, tag_key, DV_KEY_BYTES);
	dv_secret_readonly(cat->keys);
	*out = cat;
	return 0;
}

int dv_catalog_open(dv_catalog **out, const char *path, const uint8_t seal_key[DV_KEY_BYTES],
                    const uint8_t tag_key[DV_KEY_BYTES])
{
	return dv_catalog_open_ex(out, path, seal_key, tag_key, 0);
}

int dv_catalog_open_ex(dv_catalog **out, const char *path, const uint8_t seal_key[DV_KEY_BYTES],
                       const uint8_t tag_key[DV_KEY_BYTES], unsigned flags)
{
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	*out = NULL;
	int rc = dv_catalog_sqlite_backend(&be, &ops, path, flags);
	if (rc < 0) return rc;
	return dv_catalog_open_backend(out, ops, be, seal_key, tag_key);
}

void dv_catalog_close(dv_catalog *cat)
{
	if (!cat) return;
	cat->ops->free(cat->be);
	dv_secret_free(cat->keys);
	free(cat);
}

const char *dv_catalog_path(const dv_catalog *cat) { return cat->path; }

int dv_catalog_begin(dv_catalog *cat) { return cat->ops->begin ? cat->ops->begin(cat->be) : unsupported(cat, "begin"); }
int dv_catalog_commit(dv_catalog *cat) { return cat->ops->commit ? cat->ops->commit(cat->be) : unsupported(cat, "commit"); }
void dv_catalog_rollback(dv_catalog *cat)
{
	if (cat->ops->rollback) cat->ops->rollback(cat->be);
}
int dv_catalog_begin_read(dv_catalog *cat)
{
	return cat->ops->begin_read ? cat->ops->begin_read(cat->be) : unsupported(cat, "begin_read");
}

int dv_catalog_tag(uint8_t out[32], const dv_catalog *cat, const char *kind, const void *msg, size_t n)
{
	/* tag = BLAKE2b-keyed(kind || 0x00 || msg) */
	size_t kl = strlen(kind);
	memset(out, 0, 32);
	if (n > SIZE_MAX - kl - 1) return dv_error_set(DV_ENOMEM, cat->path, -1, "tag input too large");
	uint8_t *buf = malloc(kl + 1 + n);
	if (!buf) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory making a lookup tag");
	memcpy(buf, kind, kl);
	buf[kl] = 0;
	if (n) memcpy(buf + kl + 1, msg, n);
	dv_keyed_hash(out, cat->tag_key, buf, kl + 1 + n);
	free(buf);
	return 0;
}

/* ---- the sealed-row codec --------------------------------------------------- */

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

static int open_json(dv_catalog *cat, const void *sealed, size_t len, const char *ad, const char *table,
                     int64_t id, json_object **out)
{
	if (!sealed || len < DV_SEAL_OVERHEAD || len > (16u << 20))
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table %s row %lld: sealed record missing or malformed",
		                    table, (long long)id);
	size_t n = len - DV_SEAL_OVERHEAD;
	char *plain = malloc(n + 1);
	if (!plain) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	if (dv_open((uint8_t *)plain, sealed, len, ad, strlen(ad), cat->seal_key) < 0) {
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

/* Seals o for a row and writes it with op ('i', 'u', 'r'); frees o. */
static int write_sealed(dv_catalog *cat, dv_catalog_table t, const char *side, dv_catalog_row *row, json_object *o,
                        const char *ad, char op)
{
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	int rc = seal_json(cat, o, ad, &sealed, &sealed_len);
	json_object_put(o);
	if (rc < 0) return rc;
	row->sealed = sealed;
	row->sealed_len = sealed_len;
	rc = op == 'i' ? OP(cat, insert, t, side, row) : op == 'u' ? OP(cat, update, t, side, row) : OP(cat, replace, t, side, row);
	free(sealed);
	return rc;
}

static int new_id(dv_catalog *cat, dv_catalog_table t, int64_t *id)
{
	return OP(cat, next_id, t, NULL, id);
}

/* One row decoded by fn into out: the common shape of get/find. */
struct one {
	dv_catalog *cat;
	int (*decode)(dv_catalog *cat, const dv_catalog_row *r, void *out);
	void *out;
	int rc;
	bool found;
};

static int one_row(const dv_catalog_row *r, void *payload)
{
	struct one *o = payload;
	o->found = true;
	o->rc = o->decode(o->cat, r, o->out);
	return 1; /* the first is enough */
}

/* 0 and *out filled, DV_ENOTFOUND (error not set), or another error. */
static int query_one(dv_catalog *cat, const dv_catalog_query *q, int (*decode)(dv_catalog *, const dv_catalog_row *, void *),
                     void *out)
{
	struct one o = { cat, decode, out, 0, false };
	int rc = OP(cat, query, q, one_row, &o);
	if (rc < 0) return rc;
	if (!o.found) return DV_ENOTFOUND;
	return o.rc;
}

/* The caller's callback, typed (no calls through a cast function pointer). */
typedef union each_fn {
	int (*cs)(const dv_case *c, void *payload);
	int (*in)(const dv_ingest_rec *r, void *payload);
	int (*bl)(const dv_blob_rec *b, void *payload);
	int (*fi)(const dv_file_rec *f, void *payload);
} each_fn;

/* Every row of a query, decoded into a buffer of `size` bytes, to fn. */
struct each {
	dv_catalog *cat;
	int (*decode)(dv_catalog *cat, const dv_catalog_row *r, void *out);
	void *buf;
	dv_catalog_table table;
	each_fn fn;
	void *payload;
};

static int each_row(const dv_catalog_row *r, void *payload)
{
	struct each *e = payload;
	int rc = e->decode(e->cat, r, e->buf);
	if (rc < 0) return rc;
	switch (e->table) {
	case DV_CT_CASES: return e->fn.cs(e->buf, e->payload);
	case DV_CT_INGESTS: return e->fn.in(e->buf, e->payload);
	case DV_CT_BLOBS: return e->fn.bl(e->buf, e->payload);
	case DV_CT_FILES: return e->fn.fi(e->buf, e->payload);
	default: return dv_error_set(DV_EINVAL, e->cat->path, -1, "no records of that table");
	}
}

static int query_each(dv_catalog *cat, const dv_catalog_query *q, int (*decode)(dv_catalog *, const dv_catalog_row *, void *),
                      size_t size, each_fn fn, void *payload)
{
	void *buf = malloc(size);
	if (!buf) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	struct each e = { cat, decode, buf, q->table, fn, payload };
	int rc = OP(cat, query, q, each_row, &e);
	free(buf);
	return rc;
}

/* ---- cases ----------------------------------------------------------------- */
static int case_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	dv_case *out = outp;
	char tag[65], ad[256];
	if (!r->tag || r->tag_len != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table cases row %lld: bad tag", (long long)r->id);
	dv_hex(tag, r->tag, 32);
	row_ad(ad, sizeof(ad), "cases", r->id, tag);
	json_object *o;
	int rc = open_json(cat, r->sealed, r->sealed_len, ad, "cases", r->id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	get_str(o, "name", out->name, sizeof(out->name));
	out->created_ns = get_i64(o, "created", 0);
	json_object_put(o);
	return 0;
}

int dv_catalog_case_find(dv_case *out, dv_catalog *cat, const char *name)
{
	uint8_t tag[32];
	int rc = dv_catalog_tag(tag, cat, "case", name, strlen(name));
	if (rc < 0) return rc;
	dv_catalog_query q = { .table = DV_CT_CASES, .by = DV_CQ_TAG, .tag = tag };
	rc = query_one(cat, &q, case_decode, out);
	if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, NULL, -1, "no case '%s' in the vault", name);
	return rc;
}

int dv_catalog_case_create(dv_case *out, dv_catalog *cat, const char *name)
{
	int rc = check_len(cat, "case name", name, DV_NAME_MAX);
	if (rc < 0) return rc;
	uint8_t tag[32];
	char taghex[65], ad[256];
	int64_t id;
	if ((rc = dv_catalog_tag(tag, cat, "case", name, strlen(name))) < 0 || (rc = new_id(cat, DV_CT_CASES, &id)) < 0)
		return rc;
	dv_hex(taghex, tag, 32);
	memset(out, 0, sizeof(*out));
	out->id = id;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->created_ns = dv_now_ns();
	json_object *o = json_object_new_object();
	put_str(o, "name", name);
	put_i64(o, "created", out->created_ns);
	row_ad(ad, sizeof(ad), "cases", id, taghex);
	dv_catalog_row row = { .id = id, .tag = tag, .tag_len = 32 };
	return write_sealed(cat, DV_CT_CASES, NULL, &row, o, ad, 'i');
}

int dv_catalog_case_get(dv_case *out, dv_catalog *cat, int64_t id)
{
	dv_catalog_query q = { .table = DV_CT_CASES, .by = DV_CQ_ID, .id = id };
	int rc = query_one(cat, &q, case_decode, out);
	if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, cat->path, -1, "no case with id %lld", (long long)id);
	return rc;
}

int dv_catalog_case_list(dv_catalog *cat, int (*fn)(const dv_case *c, void *payload), void *payload)
{
	dv_catalog_query q = { .table = DV_CT_CASES, .by = DV_CQ_ALL };
	return query_each(cat, &q, case_decode, sizeof(dv_case), (each_fn){ .cs = fn }, payload);
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
	dv_catalog_row row = { .id = r->id, .ref = r->case_id, .state = r->state, .tag = tag, .tag_len = 32 };
	return write_sealed(cat, DV_CT_INGESTS, NULL, &row, ingest_json(r), ad, insert ? 'i' : 'u');
}

/* The decoded ingest and its source tag. */
struct ingest_out {
	dv_ingest_rec rec;
	uint8_t tag[32];
};

static int ingest_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	dv_ingest_rec *out = outp;
	if (!r->tag || r->tag_len != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table ingests row %lld: bad tag", (long long)r->id);
	char clear[160], ad[256];
	ingest_clear(clear, sizeof(clear), r->ref, r->tag, r->state);
	row_ad(ad, sizeof(ad), "ingests", r->id, clear);
	json_object *o;
	int rc = open_json(cat, r->sealed, r->sealed_len, ad, "ingests", r->id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->case_id = r->ref;
	out->state = r->state;
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

static int ingest_tag_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	struct ingest_out *out = outp;
	int rc = ingest_decode(cat, r, &out->rec);
	if (rc == 0) memcpy(out->tag, r->tag, 32);
	return rc;
}

int dv_catalog_ingest_create(dv_catalog *cat, dv_ingest_rec *rec, const uint8_t source_tag[32])
{
	int rc = new_id(cat, DV_CT_INGESTS, &rec->id);
	if (rc < 0) return rc;
	return ingest_write(cat, rec, source_tag, true);
}

int dv_catalog_ingest_update(dv_catalog *cat, const dv_ingest_rec *rec)
{
	/* The source tag is immutable: read it back from the row. */
	struct ingest_out *old = malloc(sizeof(*old));
	if (!old) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	dv_catalog_query q = { .table = DV_CT_INGESTS, .by = DV_CQ_ID, .id = rec->id };
	int rc = query_one(cat, &q, ingest_tag_decode, old);
	if (rc == DV_ENOTFOUND) rc = dv_error_set(DV_ENOTFOUND, cat->path, -1, "no ingest with id %lld", (long long)rec->id);
	if (rc == 0) rc = ingest_write(cat, rec, old->tag, false);
	free(old);
	return rc;
}

int dv_catalog_ingest_get(dv_ingest_rec *out, dv_catalog *cat, int64_t id)
{
	dv_catalog_query q = { .table = DV_CT_INGESTS, .by = DV_CQ_ID, .id = id };
	int rc = query_one(cat, &q, ingest_decode, out);
	if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, cat->path, -1, "no ingest with id %lld", (long long)id);
	return rc;
}

int dv_catalog_ingest_find_open(dv_catalog *cat, int64_t case_id, const uint8_t source_tag[32],
                                dv_ingest_rec *out)
{
	dv_catalog_query q = { .table = DV_CT_INGESTS, .by = DV_CQ_OPEN, .ref = case_id, .tag = source_tag };
	return query_one(cat, &q, ingest_decode, out);
}

int dv_catalog_ingest_find_tag(dv_catalog *cat, int64_t case_id, const uint8_t source_tag[32], dv_ingest_rec *out)
{
	dv_catalog_query q = { .table = DV_CT_INGESTS, .by = DV_CQ_REF_TAG, .ref = case_id, .tag = source_tag };
	return query_one(cat, &q, ingest_decode, out);
}

int dv_catalog_ingest_list(dv_catalog *cat, int64_t case_id,
                           int (*fn)(const dv_ingest_rec *r, void *payload), void *payload)
{
	dv_catalog_query q = { .table = DV_CT_INGESTS, .by = case_id ? DV_CQ_REF : DV_CQ_ALL, .ref = case_id };
	return query_each(cat, &q, ingest_decode, sizeof(dv_ingest_rec), (each_fn){ .in = fn }, payload);
}

/* ---- blobs ------------------------------------------------------------------ */
static int blob_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	dv_blob_rec *out = outp;
	char ad[256];
	if (!r->name || strlen(r->name) != 64)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table blobs row %lld: bad name", (long long)r->id);
	row_ad(ad, sizeof(ad), "blobs", r->id, r->name);
	json_object *o;
	int rc = open_json(cat, r->sealed, r->sealed_len, ad, "blobs", r->id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	snprintf(out->name, sizeof(out->name), "%s", r->name);
	bool ok = get_hex(o, "sha256", out->sha256, 32);
	out->size = (uint64_t)get_i64(o, "size", 0);
	json_object_put(o);
	if (!ok) return dv_error_set(DV_ECORRUPT, cat->path, -1, "table blobs row %lld: no hash", (long long)r->id);
	return 0;
}

static int id_only(dv_catalog *cat, const dv_catalog_row *r, void *out)
{
	(void)cat;
	*(int64_t *)out = r->id;
	return 0;
}

int dv_catalog_blob_put(dv_catalog *cat, const char *name, const uint8_t sha256[DV_SHA256_BYTES],
                        uint64_t size, int64_t *id_out)
{
	dv_catalog_query q = { .table = DV_CT_BLOBS, .by = DV_CQ_NAME, .name = name };
	int rc = query_one(cat, &q, id_only, id_out);
	if (rc != DV_ENOTFOUND) return rc;
	int64_t id;
	if ((rc = new_id(cat, DV_CT_BLOBS, &id)) < 0) return rc;
	char ad[256];
	row_ad(ad, sizeof(ad), "blobs", id, name);
	json_object *o = json_object_new_object();
	put_hex(o, "sha256", sha256, 32);
	put_i64(o, "size", (int64_t)size);
	dv_catalog_row row = { .id = id, .name = name };
	rc = write_sealed(cat, DV_CT_BLOBS, NULL, &row, o, ad, 'i');
	if (rc == 0) *id_out = id;
	/* another writer recorded it meanwhile (a shared catalog): its row */
	if (rc == DV_EEXIST && (rc = query_one(cat, &q, id_only, id_out)) == DV_ENOTFOUND)
		rc = dv_error_set(DV_EIO, cat->path, -1, "blob %.64s: neither recorded nor recordable", name);
	return rc;
}

int dv_catalog_blob_list(dv_catalog *cat, int (*fn)(const dv_blob_rec *b, void *payload), void *payload)
{
	dv_catalog_query q = { .table = DV_CT_BLOBS, .by = DV_CQ_ALL };
	return query_each(cat, &q, blob_decode, sizeof(dv_blob_rec), (each_fn){ .bl = fn }, payload);
}

/* ---- files ------------------------------------------------------------------ */
static int path_tag(const dv_catalog *cat, int64_t ingest_id, const char *path, uint8_t out[32])
{
	char buf[DV_PATH_MAX + 32];
	int n = snprintf(buf, sizeof(buf), "%lld/%s", (long long)ingest_id, path);
	return dv_catalog_tag(out, cat, "path", buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
	int64_t id;
	if ((rc = path_tag(cat, rec->ingest_id, rec->path, tag)) < 0 || (rc = new_id(cat, DV_CT_FILES, &id)) < 0)
		return rc;
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
	dv_catalog_row row = { .id = id, .ref = rec->ingest_id, .ref2 = rec->blob_id, .tag = tag, .tag_len = 32 };
	return write_sealed(cat, DV_CT_FILES, NULL, &row, o, ad, 'i');
}

static int file_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	dv_file_rec *out = outp;
	if (!r->tag || r->tag_len != 32)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: bad tag", (long long)r->id);
	char clear[200], ad[300];
	file_clear(clear, sizeof(clear), r->ref, r->tag, r->ref2);
	row_ad(ad, sizeof(ad), "files", r->id, clear);
	json_object *o;
	int rc = open_json(cat, r->sealed, r->sealed_len, ad, "files", r->id, &o);
	if (rc < 0) return rc;
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->ingest_id = r->ref;
	out->blob_id = r->ref2;
	get_str(o, "path", out->path, sizeof(out->path));
	out->size = (uint64_t)get_i64(o, "size", 0);
	out->mtime_ns = get_i64(o, "mtime", 0);
	out->atime_ns = get_i64(o, "atime", 0);
	out->ctime_ns = get_i64(o, "ctime", 0);
	out->crtime_ns = get_i64(o, "crtime", INT64_MIN);
	out->mode = (uint32_t)get_i64(o, "mode", 0);
	bool ok = get_hex(o, "sha256", out->sha256, 32);
	json_object_put(o);
	snprintf(out->blob_name, sizeof(out->blob_name), "%s", r->name ? r->name : "");
	/* the tag must be the one this path would get: a swapped path fails here */
	uint8_t expect[32];
	if ((rc = path_tag(cat, r->ref, out->path, expect)) < 0) return rc;
	if (!ok || memcmp(expect, r->tag, 32) != 0)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: path or hash does not match its row",
		                    (long long)r->id);
	if (!r->name)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table files row %lld: refers to missing blob row %lld",
		                    (long long)r->id, (long long)r->ref2);
	return 0;
}

int dv_catalog_file_find(dv_file_rec *out, dv_catalog *cat, int64_t ingest_id, const char *path)
{
	uint8_t tag[32];
	int rc = path_tag(cat, ingest_id, path, tag);
	if (rc < 0) return rc;
	dv_catalog_query q = { .table = DV_CT_FILES, .by = DV_CQ_REF_TAG, .ref = ingest_id, .tag = tag };
	return query_one(cat, &q, file_decode, out);
}

int dv_catalog_file_list(dv_catalog *cat, int64_t ingest_id,
                         int (*fn)(const dv_file_rec *f, void *payload), void *payload)
{
	dv_catalog_query q = { .table = DV_CT_FILES, .by = DV_CQ_REF, .ref = ingest_id };
	return query_each(cat, &q, file_decode, sizeof(dv_file_rec), (each_fn){ .fi = fn }, payload);
}

int64_t dv_catalog_file_count(dv_catalog *cat, int64_t ingest_id)
{
	dv_catalog_query q = { .table = DV_CT_FILES, .by = DV_CQ_REF, .ref = ingest_id };
	int64_t n = -1;
	if (OP(cat, count, &q, &n) < 0) return -1;
	return n;
}

int dv_catalog_file_get(dv_file_rec *out, dv_catalog *cat, int64_t id)
{
	dv_catalog_query q = { .table = DV_CT_FILES, .by = DV_CQ_ID, .id = id };
	int rc = query_one(cat, &q, file_decode, out);
	if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, cat->path, -1, "no file with id %lld", (long long)id);
	return rc;
}

/* ---- side tables ------------------------------------------------------------------ */
static int side_name_ok(dv_catalog *cat, const char *table)
{
	size_t n = strlen(table);
	if (n == 0 || n > 32 || strspn(table, "abcdefghijklmnopqrstuvwxyz_") != n)
		return dv_error_set(DV_EINVAL, cat->path, -1, "bad side table name '%s'", table);
	return 0;
}

static void side_ad(char *ad, size_t size, const char *table, int64_t id)
{
	snprintf(ad, size, "dronevault-catalog-v1|side_%s|%lld|", table, (long long)id);
}

int dv_catalog_side_ensure(dv_catalog *cat, const char *table)
{
	int rc = side_name_ok(cat, table);
	if (rc < 0) return rc;
	return cat->ops->side_ensure ? cat->ops->side_ensure(cat->be, table) : 0;
}

int dv_catalog_side_put(dv_catalog *cat, const char *table, int64_t id, const void *data, size_t n)
{
	int rc = side_name_ok(cat, table);
	if (rc < 0) return rc;
	if (n > (256u << 20)) return dv_error_set(DV_ENOMEM, cat->path, -1, "side record of %zu bytes too large", n);
	char ad[128];
	side_ad(ad, sizeof(ad), table, id);
	uint8_t *sealed = malloc(n + DV_SEAL_OVERHEAD);
	if (!sealed) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	dv_seal(sealed, data, n, ad, strlen(ad), cat->seal_key);
	dv_catalog_row row = { .id = id, .sealed = sealed, .sealed_len = n + DV_SEAL_OVERHEAD };
	rc = OP(cat, replace, DV_CT_SIDE, table, &row);
	free(sealed);
	return rc;
}

struct side_rec {
	const char *table;
	uint8_t *data;
	size_t n;
	int (*fn)(int64_t id, const uint8_t *data, size_t n, void *payload);
	void *payload;
};

static int side_decode(dv_catalog *cat, const dv_catalog_row *r, struct side_rec *s)
{
	char ad[128];
	side_ad(ad, sizeof(ad), s->table, r->id);
	if (!r->sealed || r->sealed_len < DV_SEAL_OVERHEAD)
		return dv_error_set(DV_ECORRUPT, cat->path, -1, "table side_%s row %lld: sealed record malformed", s->table,
		                    (long long)r->id);
	size_t m = r->sealed_len - DV_SEAL_OVERHEAD;
	uint8_t *buf = malloc(m + 1);
	if (!buf) return dv_error_set(DV_ENOMEM, cat->path, -1, "out of memory");
	if (dv_open(buf, r->sealed, r->sealed_len, ad, strlen(ad), cat->seal_key) < 0) {
		free(buf);
		return dv_error_set(DV_ECORRUPT, cat->path, -1,
		                    "table side_%s row %lld: sealed record fails authentication (tampered or damaged)",
		                    s->table, (long long)r->id);
	}
	buf[m] = 0;
	s->data = buf;
	s->n = m;
	return 0;
}

static int side_get_one(dv_catalog *cat, const dv_catalog_row *r, void *out)
{
	return side_decode(cat, r, out);
}

int dv_catalog_side_get(uint8_t **out, size_t *n, dv_catalog *cat, const char *table, int64_t id)
{
	int rc = side_name_ok(cat, table);
	if (rc < 0) return rc;
	struct side_rec s = { table, NULL, 0, NULL, NULL };
	dv_catalog_query q = { .table = DV_CT_SIDE, .side = table, .by = DV_CQ_ID, .id = id };
	if ((rc = query_one(cat, &q, side_get_one, &s)) < 0) return rc;
	*out = s.data;
	*n = s.n;
	return 0;
}

struct side_each {
	dv_catalog *cat;
	struct side_rec s;
};

static int side_row(const dv_catalog_row *r, void *payload)
{
	struct side_each *e = payload;
	int rc = side_decode(e->cat, r, &e->s);
	if (rc < 0) return rc;
	rc = e->s.fn(r->id, e->s.data, e->s.n, e->s.payload);
	free(e->s.data);
	e->s.data = NULL;
	return rc;
}

int dv_catalog_side_list(dv_catalog *cat, const char *table,
                         int (*fn)(int64_t id, const uint8_t *data, size_t n, void *payload), void *payload)
{
	int rc = side_name_ok(cat, table);
	if (rc < 0) return rc;
	struct side_each e = { cat, { table, NULL, 0, fn, payload } };
	dv_catalog_query q = { .table = DV_CT_SIDE, .side = table, .by = DV_CQ_ALL };
	return OP(cat, query, &q, side_row, &e);
}

/* ---- log head ------------------------------------------------------------------ */
struct head {
	uint64_t seq;
	uint8_t *hash;
};

static int head_decode(dv_catalog *cat, const dv_catalog_row *r, void *outp)
{
	struct head *h = outp;
	char ad[128];
	row_ad(ad, sizeof(ad), "log_head", 1, NULL);
	json_object *o;
	int rc = open_json(cat, r->sealed, r->sealed_len, ad, "log_head", 1, &o);
	if (rc < 0) return rc;
	h->seq = (uint64_t)get_i64(o, "seq", 0);
	if (!get_hex(o, "hash", h->hash, 32)) rc = dv_error_set(DV_ECORRUPT, cat->path, -1, "table log_head: no hash");
	json_object_put(o);
	return rc;
}

int dv_catalog_head_get(dv_catalog *cat, uint64_t *seq, uint8_t hash[32])
{
	*seq = 0;
	memset(hash, 0, 32);
	struct head h = { 0, hash };
	dv_catalog_query q = { .table = DV_CT_LOG_HEAD, .by = DV_CQ_ID, .id = 1 };
	int rc = query_one(cat, &q, head_decode, &h);
	if (rc == DV_ENOTFOUND) return 0;
	if (rc == 0) *seq = h.seq;
	return rc;
}

int dv_catalog_head_set(dv_catalog *cat, uint64_t seq, const uint8_t hash[32])
{
	char ad[128];
	row_ad(ad, sizeof(ad), "log_head", 1, NULL);
	json_object *o = json_object_new_object();
	put_i64(o, "seq", (int64_t)seq);
	put_hex(o, "hash", hash, 32);
	dv_catalog_row row = { .id = 1 };
	return write_sealed(cat, DV_CT_LOG_HEAD, NULL, &row, o, ad, 'r');
}

/* ---- check --------------------------------------------------------------------- */
struct check_ctx {
	dv_catalog *cat;
	void (*fn)(const char *, void *);
	void *payload;
	int problems;
	int (*decode)(dv_catalog *, const dv_catalog_row *, void *);
	void *buf;
	const char *side;
};

static void problem(struct check_ctx *c, const char *msg)
{
	c->problems++;
	c->fn(msg, c->payload);
}

static void backend_problem(const char *msg, void *payload)
{
	struct check_ctx *c = payload;
	c->fn(msg, c->payload);
}

/* every row must open: a problem per row that does not, and go on */
static int check_row(const dv_catalog_row *r, void *payload)
{
	struct check_ctx *c = payload;
	int rc;
	if (c->side) {
		struct side_rec s = { c->side, NULL, 0, NULL, NULL };
		rc = side_decode(c->cat, r, &s);
		free(s.data);
	} else {
		rc = c->decode(c->cat, r, c->buf);
	}
	if (rc < 0) problem(c, dv_error_text());
	return 0;
}

static void check_table(struct check_ctx *c, dv_catalog_table t, const char *side,
                        int (*decode)(dv_catalog *, const dv_catalog_row *, void *), size_t size)
{
	c->decode = decode;
	c->side = side;
	c->buf = size ? malloc(size) : NULL;
	if (size && !c->buf) {
		problem(c, "out of memory");
		return;
	}
	dv_catalog_query q = { .table = t, .side = side, .by = DV_CQ_ALL };
	if (OP(c->cat, query, &q, check_row, c) < 0) problem(c, dv_error_text());
	free(c->buf);
	c->buf = NULL;
}

static int check_side(const char *side, void *payload)
{
	check_table(payload, DV_CT_SIDE, side, NULL, 0);
	return 0;
}

int dv_catalog_check(dv_catalog *cat, void (*fn)(const char *problem, void *payload), void *payload)
{
	struct check_ctx c = { cat, fn, payload, 0, NULL, NULL, NULL };
	/* the store's own check (SQLite: integrity_check, foreign keys) */
	int n = OP(cat, check, backend_problem, &c);
	if (n < 0) problem(&c, dv_error_text());
	else c.problems += n;
	check_table(&c, DV_CT_CASES, NULL, case_decode, sizeof(dv_case));
	check_table(&c, DV_CT_INGESTS, NULL, ingest_decode, sizeof(dv_ingest_rec));
	check_table(&c, DV_CT_BLOBS, NULL, blob_decode, sizeof(dv_blob_rec));
	check_table(&c, DV_CT_FILES, NULL, file_decode, sizeof(dv_file_rec));
	uint64_t seq;
	uint8_t h[32];
	if (dv_catalog_head_get(cat, &seq, h) < 0) problem(&c, dv_error_text());
	/* every side table's rows must open too */
	if (OP(cat, side_tables, check_side, &c) < 0) problem(&c, dv_error_text());
	return c.problems;
}

/* ---- the shared custody log (custody_shared.c) ------------------------------------- */
int dv_catalog_chain_lock(dv_catalog *cat, const char *chain, uint64_t *seq, uint8_t hash[32])
{
	return OP(cat, chain_lock, chain, seq, hash);
}

int dv_catalog_chain_append(dv_catalog *cat, const dv_catalog_chain_entry *e) { return OP(cat, chain_append, e); }

int dv_catalog_chain_list(dv_catalog *cat, const char *chain, int (*fn)(const dv_catalog_chain_entry *e, void *payload),
                          void *payload)
{
	return OP(cat, chain_list, chain, fn, payload);
}

int dv_catalog_chain_heads(dv_catalog *cat, int (*fn)(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload),
                           void *payload)
{
	return OP(cat, chain_heads, fn, payload);
}
