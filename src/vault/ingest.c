#include "dv/ingest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/sandbox.h"
#include "dv/source.h"
#include "dv/util.h"

#define READ_BUF (1u << 20)
#define BATCH_FILES 64
#define BATCH_NS (5000000000LL)
#define BATCH_BYTES (2048ull << 20)

/* ---- manifest ------------------------------------------------------------------ */
struct manifest_line {
	char *path;
	uint8_t sha[32];
};

struct manifest_ctx {
	struct manifest_line *lines;
	size_t n, cap;
	uint64_t bytes;
	int rc;
};

static int manifest_add(const dv_file_rec *f, void *payload)
{
	struct manifest_ctx *m = payload;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct manifest_line *nl = realloc(m->lines, cap * sizeof(*nl));
		if (!nl) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		m->lines = nl;
		m->cap = cap;
	}
	if (!(m->lines[m->n].path = strdup(f->path))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	memcpy(m->lines[m->n].sha, f->sha256, 32);
	m->n++;
	m->bytes += f->size;
	return 0;
}

static int by_line_path(const void *a, const void *b)
{
	return strcmp(((const struct manifest_line *)a)->path, ((const struct manifest_line *)b)->path);
}

int dv_ingest_manifest(dv_catalog *cat, int64_t ingest_id, uint8_t out[32], uint64_t *files, uint64_t *bytes)
{
	struct manifest_ctx m = { 0 };
	int rc = dv_catalog_file_list(cat, ingest_id, manifest_add, &m);
	dv_sha256 *h = NULL;
	if (rc == 0) rc = dv_sha256_new(&h);
	if (rc == 0) {
		if (m.n) qsort(m.lines, m.n, sizeof(*m.lines), by_line_path);
		for (size_t i = 0; i < m.n && rc == 0; i++) {
			char hex[65];
			dv_hex(hex, m.lines[i].sha, 32);
			if ((rc = dv_sha256_update(h, hex, 64)) == 0 && (rc = dv_sha256_update(h, "  ", 2)) == 0 &&
			    (rc = dv_sha256_update(h, m.lines[i].path, strlen(m.lines[i].path))) == 0)
				rc = dv_sha256_update(h, "\n", 1);
		}
		if (rc == 0) rc = dv_sha256_final(h, out);
	}
	dv_sha256_free(h);
	if (files) *files = m.n;
	if (bytes) *bytes = m.bytes;
	for (size_t i = 0; i < m.n; i++) free(m.lines[i].path);
	free(m.lines);
	return rc;
}

/* ---- the copy loop ------------------------------------------------------------ */
struct run {
	dv_vault *v;
	const dv_ingest_opts *o;
	dv_ingest_result *res;
	dv_ingest_progress prog;
	dv_blob_writer *w;
	int vault_rc;          /* a failure on the vault side (stop everything) */
	dv_blob_batch batch;   /* blobs written since the last commit, not yet durable */
	void *obs;             /* the observer's state for this file */
	bool obs_done;         /* the observer has seen enough */
};

static void report(struct run *r)
{
	if (r->o->progress) r->o->progress(&r->prog, r->o->payload);
}

static int sink_to_blob(const uint8_t *data, size_t n, void *payload)
{
	struct run *r = payload;
	if (r->o->interrupted && *r->o->interrupted)
		return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	int rc = dv_blob_writer_write(r->w, data, n);
	if (rc < 0) {
		r->vault_rc = rc;
		return rc;
	}
	r->prog.bytes_done += n;
	r->res->bytes_read += n;
	if (r->obs && !r->obs_done && r->o->observer->data(r->obs, data, n) != 0) r->obs_done = true;
	report(r);
	return 0;
}

static int sink_progress(const uint8_t *data, size_t n, void *payload)
{
	(void)data;
	struct run *r = payload;
	if (r->o->interrupted && *r->o->interrupted)
		return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	r->prog.bytes_done += n;
	report(r);
	return 0;
}

/* Stores one file. Returns 0, a source-side error (>=: caller goes on) via
 * *source_failed, or a vault-side error (negative, caller stops). */
static int store_file(struct run *r, dv_source *src, const dv_source_file *f, int64_t ingest_id,
                      uint8_t *buf, bool *source_failed)
{
	dv_catalog *cat = dv_vault_catalog(r->v);
	const dv_ingest_observer *ob = r->o->observer;
	*source_failed = false;
	r->vault_rc = 0;
	int rc = dv_blob_writer_open(&r->w, dv_vault_blobs(r->v));
	if (rc < 0) return rc;
	r->obs = ob && ob->begin ? ob->begin(f->path, f->size, ob->payload) : NULL;
	r->obs_done = false;
	rc = dv_source_read(src, f, buf, READ_BUF, sink_to_blob, r);
	if (rc < 0) {
		dv_blob_writer_abort(r->w);
		r->w = NULL;
		if (r->obs) ob->end(r->obs, NULL, 0);
		r->obs = NULL;
		if (r->vault_rc < 0 || rc == DV_EINTR) return rc;
		*source_failed = true;
		return rc;
	}
	uint8_t sha[32];
	char name[DV_BLOB_NAME_HEX + 1];
	uint64_t size;
	bool dedup;
	rc = dv_blob_writer_finish(r->w, &r->batch, sha, name, &size, &dedup);
	r->w = NULL;
	if (rc < 0) {
		if (r->obs) ob->end(r->obs, NULL, 0);
		r->obs = NULL;
		return rc;
	}
	dv_file_rec *rec = calloc(1, sizeof(*rec));
	if (!rec) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	rec->ingest_id = ingest_id;
	snprintf(rec->path, sizeof(rec->path), "%s", f->path);
	rec->size = size;
	rec->mtime_ns = f->mtime_ns;
	rec->atime_ns = f->atime_ns;
	rec->ctime_ns = f->ctime_ns;
	rec->crtime_ns = f->crtime_ns;
	rec->mode = f->mode;
	memcpy(rec->sha256, sha, 32);
	if ((rc = dv_catalog_blob_put(cat, name, sha, size, &rec->blob_id)) == 0)
		rc = dv_catalog_file_add(cat, rec);
	if (r->obs) {
		int orc = ob->end(r->obs, rc == 0 ? cat : NULL, rc == 0 ? rec->id : 0);
		if (rc == 0) rc = orc;
	}
	r->obs = NULL;
	free(rec);
	if (rc == 0) {
		r->res->files_new++;
		if (dedup) r->res->files_dedup++;
	}
	return rc;
}

static void log_common(json_object *b, const char *action, const dv_ingest_opts *o, const dv_ingest_rec *rec)
{
	json_object_object_add(b, "action", json_object_new_string(action));
	json_object_object_add(b, "case", json_object_new_string(o->case_name));
	json_object_object_add(b, "operator", json_object_new_string(o->operator_name));
	json_object_object_add(b, "ingest", json_object_new_int64(rec->id));
	json_object_object_add(b, "source", json_object_new_string(rec->source));
	json_object_object_add(b, "kind", json_object_new_string(rec->kind));
	if (rec->fs_type[0]) json_object_object_add(b, "fs_type", json_object_new_string(rec->fs_type));
}

static void log_label(json_object *b, const dv_source_info *info)
{
	if (info->volume_label[0]) json_object_object_add(b, "volume_label", json_object_new_string(info->volume_label));
}

static void add_hex(json_object *b, const char *k, const uint8_t *p, size_t n)
{
	char h[129];
	dv_hex(h, p, n);
	json_object_object_add(b, k, json_object_new_string(h));
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int dv_ingest(dv_vault *v, const dv_ingest_opts *o, dv_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	if (!o->case_name || !*o->case_name || !o->operator_name || !*o->operator_name || (!o->source && !o->nfiles))
		return dv_error_set(DV_EINVAL, NULL, -1, "ingest needs a case, an operator and a source");
	int rc;
	if (!o->no_sandbox) {
		if ((rc = dv_sandbox_no_network()) < 0) return rc;
	}
	res->sandboxed = dv_sandbox_active();

	dv_catalog *cat = dv_vault_catalog(v);
	dv_source *src = NULL;
	uint8_t *buf = NULL;
	dv_ingest_rec *rec = calloc(1, sizeof(*rec));
	dv_file_rec *have = NULL;   /* what a resumed ingest already holds of a file */
	struct json_object *body = NULL;
	struct run r = { .v = v, .o = o, .res = res, .prog = { "listing", NULL, 0, 0, 0, 0 } };
	if (!rec || !(buf = malloc(READ_BUF))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	if ((rc = o->source ? dv_source_open(&src, o->source) : dv_source_open_files(&src, o->files, o->nfiles)) < 0)
		goto out;
	const dv_source_info *info = dv_source_get_info(src);
	if (!strcmp(info->kind, "directory")) {
		/* Ingesting a tree that holds the vault would read our own blobs. */
		char *vreal = realpath(dv_vault_dir(v), NULL);
		size_t sl = strlen(info->path);
		bool inside = vreal && !strncmp(vreal, info->path, sl) && (vreal[sl] == '/' || vreal[sl] == '\0' || sl == 1);
		free(vreal);
		if (inside) {
			rc = dv_error_set(DV_EINVAL, info->path, -1, "the vault %s is inside this source; ingest the card, not a tree holding the vault",
			                  dv_vault_dir(v));
			goto out;
		}
	}
	snprintf(res->kind, sizeof(res->kind), "%s", info->kind);
	snprintf(res->fs_type, sizeof(res->fs_type), "%s", info->fs_type);
	report(&r);
	const dv_source_file *files;
	size_t nfiles, skipped;
	if ((rc = dv_source_list(src, &files, &nfiles, &skipped)) < 0) goto out;
	res->files_total = nfiles;
	res->specials_skipped = skipped;
	for (size_t i = 0; i < nfiles; i++) res->bytes_total += files[i].size;

	/* The case, and the open ingest of this source if an earlier run stopped. */
	dv_case c;
	char ident[4200];
	uint8_t source_tag[32];
	snprintf(ident, sizeof(ident), "%s|%s", info->kind, info->path);
	if ((rc = dv_catalog_tag(source_tag, cat, "source", ident, strlen(ident))) < 0 ||
	    (rc = dv_catalog_begin(cat)) < 0)
		goto out;
	rc = dv_catalog_case_find(cat, o->case_name, &c);
	if (rc == DV_ENOTFOUND) rc = dv_catalog_case_create(cat, o->case_name, &c);
	if (rc == 0) {
		rc = dv_catalog_ingest_find_open(cat, c.id, source_tag, rec);
		if (rc == 0) {
			res->resumed = true;
		} else if (rc == DV_ENOTFOUND) {
			memset(rec, 0, sizeof(*rec));
			rec->case_id = c.id;
			rec->state = DV_INGEST_OPEN;
			snprintf(rec->source, sizeof(rec->source), "%s", info->path);
			snprintf(rec->kind, sizeof(rec->kind), "%s", info->kind);
			snprintf(rec->fs_type, sizeof(rec->fs_type), "%s", info->fs_type);
			snprintf(rec->operator_name, sizeof(rec->operator_name), "%s", o->operator_name);
			snprintf(rec->note, sizeof(rec->note), "%s", o->note ? o->note : "");
			snprintf(rec->station, sizeof(rec->station), "%s", dv_vault_station(v));
			rec->started_ns = dv_now_ns();
			rc = dv_catalog_ingest_create(cat, rec, source_tag);
		}
	}
	if (rc == 0) rc = dv_catalog_commit(cat);
	if (rc < 0) {
		dv_catalog_rollback(cat);
		goto out;
	}
	res->ingest_id = rec->id;
	body = json_object_new_object();
	log_common(body, res->resumed ? DV_ACTION_INGEST_RESUME : DV_ACTION_INGEST_START, o, rec);
	log_label(body, info);
	if (o->note && *o->note) json_object_object_add(body, "note", json_object_new_string(o->note));
	json_object_object_add(body, "files", json_object_new_int64((int64_t)nfiles));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)res->bytes_total));
	rc = dv_vault_log(v, body, NULL);
	json_object_put(body);
	body = NULL;
	if (rc < 0) goto out;

	/* A raw image is hashed whole, as forensic imagers do. */
	if (!strcmp(info->kind, "image")) {
		if (!rec->has_image_hash) {
			r.prog.phase = "hashing image";
			r.prog.bytes_total = info->image_size;
			if ((rc = dv_source_image_sha256(src, rec->image_sha256, buf, READ_BUF, sink_progress, &r)) < 0)
				goto out;
			rec->has_image_hash = true;
			rec->image_size = info->image_size;
			if ((rc = dv_catalog_ingest_update(cat, rec)) < 0) goto out;
		}
		res->has_image_hash = true;
		memcpy(res->image_sha256, rec->image_sha256, 32);
		res->image_size = rec->image_size;
	}

	/* The files. */
	r.prog.phase = "storing";
	r.prog.files_total = nfiles;
	r.prog.bytes_total = res->bytes_total;
	r.prog.bytes_done = 0;
	int pending = 0;
	int64_t batch_start = mono_ns();
	if (!(have = malloc(sizeof(*have)))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	if ((rc = dv_catalog_begin(cat)) < 0) goto out;
	for (size_t i = 0; i < nfiles; i++) {
		const dv_source_file *f = &files[i];
		r.prog.path = f->path;
		/* only a resumed ingest can hold this file already */
		int found = res->resumed ? dv_catalog_file_find(cat, rec->id, f->path, have) : DV_ENOTFOUND;
		if (found == 0) {
			res->files_resumed++;
			r.prog.files_done++;
			r.prog.bytes_done += f->size;
			continue;
		}
		if (found != DV_ENOTFOUND) {
			rc = found;
			break;
		}
		bool source_failed;
		rc = store_file(&r, src, f, rec->id, buf, &source_failed);
		if (rc < 0 && source_failed) {
			res->files_failed++;
			if (o->file_error) o->file_error(f->path, dv_error_text(), o->payload);
			rc = 0;
		}
		if (rc < 0) {
			if (rc != DV_EINTR) dv_error_prefix("storing %s: ", f->path);
			break;
		}
		r.prog.files_done++;
		report(&r);
		if (++pending >= BATCH_FILES || r.batch.bytes >= BATCH_BYTES || mono_ns() - batch_start > BATCH_NS) {
			/* blobs durable first, then the rows that name them */
			if ((rc = dv_blob_batch_settle(dv_vault_blobs(v), &r.batch)) < 0 ||
			    (rc = dv_catalog_commit(cat)) < 0 || (rc = dv_catalog_begin(cat)) < 0)
				break;
			pending = 0;
			batch_start = mono_ns();
		}
	}
	if (rc < 0) {
		/* Keep what is stored: the blobs are durable, their rows commit. */
		int err = rc;
		dv_error saved = *dv_error_last();
		if (dv_blob_batch_settle(dv_vault_blobs(v), &r.batch) < 0 || dv_catalog_commit(cat) < 0)
			dv_catalog_rollback(cat);
		if (err == DV_EINTR) {
			body = json_object_new_object();
			log_common(body, DV_ACTION_INGEST_INTERRUPTED, o, rec);
			json_object_object_add(body, "files_stored", json_object_new_int64(dv_catalog_file_count(cat, rec->id)));
			dv_vault_log(v, body, NULL);
		}
		dv_error_set(saved.code, saved.path, saved.offset, "%s", saved.message);
		rc = err;
		goto out;
	}
	r.prog.phase = "syncing to disk";
	r.prog.path = NULL;
	report(&r);
	if ((rc = dv_blob_batch_settle(dv_vault_blobs(v), &r.batch)) < 0 || (rc = dv_catalog_commit(cat)) < 0) {
		dv_catalog_rollback(cat);
		goto out;
	}

	uint64_t nstored, bytes;
	if ((rc = dv_ingest_manifest(cat, rec->id, rec->manifest, &nstored, &bytes)) < 0) goto out;
	memcpy(res->manifest, rec->manifest, 32);
	body = json_object_new_object();
	if (res->files_failed) {
		/* Not complete: the custody log says so, and a re-run retries only these. */
		log_common(body, DV_ACTION_INGEST_INCOMPLETE, o, rec);
		json_object_object_add(body, "files_stored", json_object_new_int64((int64_t)nstored));
		json_object_object_add(body, "files_failed", json_object_new_int64((int64_t)res->files_failed));
		rc = dv_vault_log(v, body, NULL);
		if (rc == 0)
			rc = dv_error_set(DV_EIO, info->path, -1, "%llu of %llu files could not be read; the ingest stays open, re-run it to retry them",
			                  (unsigned long long)res->files_failed, (unsigned long long)nfiles);
		goto out;
	}
	log_common(body, DV_ACTION_INGEST, o, rec);
	log_label(body, info);
	json_object_object_add(body, "files", json_object_new_int64((int64_t)nstored));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)bytes));
	add_hex(body, "manifest_sha256", rec->manifest, 32);
	if (rec->has_image_hash) {
		add_hex(body, "image_sha256", rec->image_sha256, 32);
		json_object_object_add(body, "image_size", json_object_new_int64((int64_t)rec->image_size));
	}
	json_object_object_add(body, "sandbox", json_object_new_boolean(res->sandboxed));
	if ((rc = dv_vault_log(v, body, &rec->log_seq)) < 0) goto out;
	rec->state = DV_INGEST_COMPLETE;
	rec->files = nstored;
	rec->bytes = bytes;
	rec->finished_ns = dv_now_ns();
	if ((rc = dv_catalog_ingest_update(cat, rec)) < 0) goto out;
	res->complete = true;
	res->log_seq = rec->log_seq;
out:
	json_object_put(body);
	if (r.w) dv_blob_writer_abort(r.w);
	dv_blob_batch_dispose(&r.batch);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	dv_source_close(src);
	free(buf);
	free(rec);
	free(have);
	return rc;
}

/* ---- evidence for a conclusion (audit, radio) ------------------------------ */
struct evid {
	json_object *arr;
};

static int evid_file(const dv_file_rec *f, void *payload)
{
	struct evid *e = payload;
	json_object *o = json_object_new_object();
	char h[65];
	dv_hex(h, f->sha256, 32);
	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "sha256", json_object_new_string(h));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f->size));
	json_object_array_add(e->arr, o);
	return 0;
}

int dv_ingest_evidence(dv_vault *v, const dv_ingest_opts *opts, const char *action, json_object *detail,
                       dv_ingest_result *res, uint64_t *log_seq)
{
	int rc = dv_ingest(v, opts, res);
	if (rc < 0) return rc;
	json_object *b = json_object_new_object();
	struct evid e = { json_object_new_array() };
	json_object_object_add(b, "action", json_object_new_string(action));
	json_object_object_add(b, "case", json_object_new_string(opts->case_name));
	json_object_object_add(b, "operator", json_object_new_string(opts->operator_name));
	json_object_object_add(b, "ingest", json_object_new_int64(res->ingest_id));
	json_object_object_add(b, "files", e.arr);
	rc = dv_catalog_file_list(dv_vault_catalog(v), res->ingest_id, evid_file, &e);
	if (detail && json_object_is_type(detail, json_type_object)) {
		json_object_object_foreach(detail, k, val) {
			if (!json_object_object_get_ex(b, k, NULL)) json_object_object_add(b, k, json_object_get(val));
		}
	}
	if (rc == 0) rc = dv_vault_log(v, b, log_seq);
	json_object_put(b);
	return rc;
}
