/*
 * vault/transfer.c - a vault's complete ingests into another vault
 * (dronevault migrate, dronevault sync). See dv/transfer.h for what is
 * checked before the destination acknowledges an ingest.
 *
 * Order per ingest, as an ingest from a card has it: the destination's
 * case and ingest rows and an ingest.start (ingest.resume) entry; then the
 * files in batches (blobs settled before the rows that name them commit);
 * then the manifest and telemetry checks; last the "ingest" entry, in the
 * transaction that marks the ingest complete. Killed anywhere, a re-run
 * finds the open ingest by its source tag and goes on.
 */
#include "dv/transfer.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "dv/verify.h"

#define BATCH_FILES 256
#define BATCH_BYTES (256ull << 20)

/* What the source's log says of one ingest. */
struct src_ingest {
	int64_t id;
	uint64_t seq;              /* the "ingest" entry that completed it; 0: none */
	uint8_t hash[32];          /* that entry's hash (its vault statement's SHA-256) */
	uint8_t case_hash[32];     /* its case statement's (the case's head after it) */
	int version;
	bool has_manifest, has_tele;
	uint8_t manifest[32], tele[32];
};

/* A source ingest the destination's log records as transferred. */
struct done_map {
	int64_t src_id, dst_id;
};

struct tctx {
	dv_vault *dst, *src;
	const dv_transfer_opts *o;
	dv_transfer_result *res;
	struct src_ingest *ing;
	size_t ning, caping;
	struct done_map *done;
	size_t ndone, capdone;
	uint64_t problems;
	char first_problem[512];
	dv_transfer_progress prog;
	dv_blob_batch batch;
	dv_blob_writer *w;
	char src_pk[65];
	bool src_last_is_push;     /* the source's last entry is its record of a push to dst */
	/* the rollback witness: every entry hash of the source's file log (by
	 * seq), and the newest source head the destination's log recorded */
	uint8_t (*src_hashes)[32];
	size_t nsrc_hashes, capsrc_hashes;
	uint64_t witnessed_seq;
	uint8_t witnessed[32];
	bool src_seq_gap;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	                                                                                         : NULL;
}

static bool jint(json_object *o, const char *k, int64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool hex32(uint8_t out[32], const char *s)
{
	return s && strlen(s) == 64 && dv_unhex_canonical(out, 32, s) == 0;
}

static void add_hex(json_object *b, const char *k, const uint8_t *p, size_t n)
{
	char h[129];
	dv_hex(h, p, n);
	json_object_object_add(b, k, json_object_new_string(h));
}

/* ---- the source's log ---------------------------------------------------------- */
static struct src_ingest *src_find(struct tctx *t, int64_t id, bool add)
{
	size_t lo = 0, hi = t->ning;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->ing[mid].id < id) lo = mid + 1;
		else hi = mid;
	}
	if (lo < t->ning && t->ing[lo].id == id) return &t->ing[lo];
	if (!add) return NULL;
	if (dv_grow(&t->ing, &t->caping, t->ning, sizeof(*t->ing), 64) < 0) return NULL;
	memmove(t->ing + lo + 1, t->ing + lo, (t->ning - lo) * sizeof(*t->ing));
	memset(&t->ing[lo], 0, sizeof(*t->ing));
	t->ing[lo].id = id;
	t->ning++;
	return &t->ing[lo];
}

static void src_problem(const char *msg, void *payload)
{
	struct tctx *t = payload;
	if (!t->problems++) snprintf(t->first_problem, sizeof(t->first_problem), "%s", msg);
}

static int on_src_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct tctx *t = payload;
	const char *action = jstr(body, "action");
	json_object *to;
	t->src_last_is_push = action && !strcmp(action, t->o->action_out) && json_object_object_get_ex(body, "to", &to) &&
	                      jstr(to, "vault") && !strcmp(jstr(to, "vault"), dv_vault_id(t->dst));
	if (!dv_vault_shared_log(t->src)) {
		if (e->seq != t->nsrc_hashes + 1) t->src_seq_gap = true;
		int rc = dv_grow(&t->src_hashes, &t->capsrc_hashes, t->nsrc_hashes, 32, 256);
		if (rc < 0) return rc;
		memcpy(t->src_hashes[t->nsrc_hashes++], e->hash, 32);
	}
	if (!action) return 0;
	if (!strcmp(action, DV_ACTION_REINDEX)) {
		json_object *arr;
		if (!json_object_object_get_ex(body, "ingests", &arr) || !json_object_is_type(arr, json_type_array)) return 0;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *it = json_object_array_get_idx(arr, i);
			int64_t id;
			if (!jint(it, "ingest", &id)) continue;
			struct src_ingest *s = src_find(t, id, true);
			if (!s) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			s->has_tele = hex32(s->tele, jstr(it, "telemetry_sha256"));
		}
		return 0;
	}
	int64_t id;
	if (strcmp(action, DV_ACTION_INGEST) || !jint(body, "ingest", &id)) return 0;
	struct src_ingest *s = src_find(t, id, true);
	if (!s) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	s->seq = e->seq;
	s->version = e->version;
	memcpy(s->hash, e->hash, 32);
	memcpy(s->case_hash, e->version >= 2 ? e->case_hash : e->hash, 32);
	s->has_manifest = hex32(s->manifest, jstr(body, "manifest_sha256"));
	const char *tl = jstr(body, "telemetry_sha256");
	if (tl) s->has_tele = hex32(s->tele, tl);
	return 0;
}

/* ---- what the destination holds already ----------------------------------------- */
static int on_dst_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	(void)e;
	struct tctx *t = payload;
	const char *action = jstr(body, "action");
	json_object *from;
	int64_t dst_id, src_id;
	/* a summary of an earlier migrate or sync from this source: its head then */
	if (action && (!strcmp(action, DV_ACTION_VAULT_MIGRATE) || !strcmp(action, DV_ACTION_SYNC)) &&
	    json_object_object_get_ex(body, "from", &from) && jstr(from, "vault") &&
	    !strcmp(jstr(from, "vault"), dv_vault_id(t->src))) {
		int64_t hs;
		uint8_t h[32];
		if (jint(from, "head_seq", &hs) && hs > 0 && (uint64_t)hs >= t->witnessed_seq && hex32(h, jstr(from, "head_sha256"))) {
			t->witnessed_seq = (uint64_t)hs;
			memcpy(t->witnessed, h, 32);
		}
		return 0;
	}
	if (!action || strcmp(action, DV_ACTION_INGEST) || !json_object_object_get_ex(body, "from", &from) ||
	    !json_object_is_type(from, json_type_object) || !jint(body, "ingest", &dst_id) || !jint(from, "ingest", &src_id))
		return 0;
	const char *vid = jstr(from, "vault");
	if (!vid || strcmp(vid, dv_vault_id(t->src))) return 0;
	int rc = dv_grow(&t->done, &t->capdone, t->ndone, sizeof(*t->done), 64);
	if (rc < 0) return rc;
	t->done[t->ndone].src_id = src_id;
	t->done[t->ndone].dst_id = dst_id;
	t->ndone++;
	return 0;
}

static int64_t done_find(const struct tctx *t, int64_t src_id)
{
	for (size_t i = t->ndone; i-- > 0;)
		if (t->done[i].src_id == src_id) return t->done[i].dst_id;
	return 0;
}

/* ---- one ingest ------------------------------------------------------------------- */
struct file_ids {
	int64_t *ids;
	size_t n, cap;
};

static int collect_file(const dv_file_rec *f, void *payload)
{
	struct file_ids *l = payload;
	int rc = dv_grow(&l->ids, &l->cap, l->n, sizeof(*l->ids), 256);
	if (rc < 0) return rc;
	l->ids[l->n++] = f->id;
	return 0;
}

static void report(struct tctx *t)
{
	if (t->o->progress) t->o->progress(&t->prog, t->o->payload);
}

static int to_writer(const uint8_t *data, size_t n, void *payload)
{
	struct tctx *t = payload;
	if (t->o->interrupted && *t->o->interrupted) return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	int rc = dv_blob_writer_write(t->w, data, n);
	if (rc == 0) {
		t->prog.bytes_done += n;
		report(t);
	}
	return rc;
}

/* The telemetry and points rows of a source file, byte for byte, for the destination's file row. */
static int copy_side(struct tctx *t, int64_t src_file, int64_t dst_file)
{
	static const char *const tables[] = { "telemetry", "points" };
	for (size_t i = 0; i < 2; i++) {
		uint8_t *data;
		size_t n;
		int rc = dv_catalog_side_get(&data, &n, dv_vault_catalog(t->src), tables[i], src_file);
		if (rc == DV_ENOTFOUND) continue;
		if (rc < 0) return rc;
		rc = dv_catalog_side_put(dv_vault_catalog(t->dst), tables[i], dst_file, data, n);
		free(data);
		if (rc < 0) return rc;
	}
	return 0;
}

static void log_common(json_object *b, const char *action, const char *case_name, const dv_ingest_rec *rec)
{
	json_object_object_add(b, "action", json_object_new_string(action));
	json_object_object_add(b, "case", json_object_new_string(case_name));
	json_object_object_add(b, "operator", json_object_new_string(rec->operator_name));
	json_object_object_add(b, "ingest", json_object_new_int64(rec->id));
	json_object_object_add(b, "source", json_object_new_string(rec->source));
	json_object_object_add(b, "kind", json_object_new_string(rec->kind));
	if (rec->fs_type[0]) json_object_object_add(b, "fs_type", json_object_new_string(rec->fs_type));
}

/* The source's word for the ingest: who, which entry. */
static json_object *from_obj(struct tctx *t, const dv_ingest_rec *srec, const struct src_ingest *si)
{
	json_object *f = json_object_new_object();
	json_object_object_add(f, "vault", json_object_new_string(dv_vault_id(t->src)));
	json_object_object_add(f, "station", json_object_new_string(srec->station));
	json_object_object_add(f, "station_key", json_object_new_string(t->src_pk));
	json_object_object_add(f, "ingest", json_object_new_int64(srec->id));
	json_object_object_add(f, "log_version", json_object_new_int(si->version));
	json_object_object_add(f, "seq", json_object_new_int64((int64_t)si->seq));
	add_hex(f, "entry_sha256", si->hash, 32);
	add_hex(f, "case_head_sha256", si->case_hash, 32);
	char ts[40];
	dv_time_iso(ts, sizeof(ts), srec->started_ns);
	json_object_object_add(f, "started", json_object_new_string(ts));
	dv_time_iso(ts, sizeof(ts), srec->finished_ns);
	json_object_object_add(f, "finished", json_object_new_string(ts));
	return f;
}

static int complete_row(dv_catalog *cat, uint64_t seq, void *payload)
{
	dv_ingest_rec *rec = payload;
	rec->state = DV_INGEST_COMPLETE;
	rec->log_seq = seq;
	int rc = dv_catalog_ingest_update(cat, rec);
	if (rc < 0) rec->state = DV_INGEST_OPEN;
	return rc;
}

/* Sends one file of the source ingest; *sent false when the destination had its row. */
static int send_file(struct tctx *t, int64_t src_file_id, int64_t dst_ingest, dv_file_rec *f, dv_file_rec *have)
{
	dv_catalog *dcat = dv_vault_catalog(t->dst);
	int rc = dv_catalog_file_get(f, dv_vault_catalog(t->src), src_file_id);
	if (rc < 0) return rc;
	t->prog.path = f->path;
	int found = dv_catalog_file_find(have, dcat, dst_ingest, f->path);
	if (found == 0) {
		if (memcmp(have->sha256, f->sha256, 32) || have->size != f->size)
			return dv_error_set(DV_ECORRUPT, f->path, -1,
			                    "the destination's ingest %lld already holds this path with other content; nothing more "
			                    "sent (run 'dronevault verify' on both vaults)",
			                    (long long)dst_ingest);
		t->prog.bytes_done += f->size;
		return 0;
	}
	if (found != DV_ENOTFOUND) return found;
	uint8_t rsha[32], wsha[32];
	uint64_t rsize = 0, wsize = 0;
	char name[DV_BLOB_NAME_HEX + 1];
	bool dedup;
	/* content the destination holds already (stored and checked when it
	 * came): named by its own key, nothing to send */
	dv_blob_name(dv_vault_blobs(t->dst), f->sha256, name);
	if (dv_blob_exists(dv_vault_blobs(t->dst), name)) {
		memcpy(wsha, f->sha256, 32);
		wsize = f->size;
		dedup = true;
		t->prog.bytes_done += f->size;
		goto record;
	}
	if ((rc = dv_blob_writer_open(&t->w, dv_vault_blobs(t->dst))) < 0) return rc;
	rc = dv_blob_read(dv_vault_blobs(t->src), f->blob_name, to_writer, t, rsha, &rsize);
	if (rc == 0 && (memcmp(rsha, f->sha256, 32) || rsize != f->size))
		rc = dv_error_set(DV_ECORRUPT, f->path, -1, "the source's blob %s is not the content its file row names", f->blob_name);
	if (rc < 0) {
		dv_blob_writer_abort(t->w);
		t->w = NULL;
		return rc;
	}
	rc = dv_blob_writer_finish(t->w, &t->batch, wsha, name, &wsize, &dedup);
	t->w = NULL;
	if (rc < 0) return rc;
	if (memcmp(wsha, f->sha256, 32) || wsize != f->size)
		return dv_error_set(DV_ECORRUPT, f->path, -1, "the destination stored other bytes than the source sent");
record:;
	int64_t src_id = f->id;
	f->id = 0;
	f->ingest_id = dst_ingest;
	if ((rc = dv_catalog_blob_put(dcat, name, wsha, wsize, &f->blob_id)) < 0 || (rc = dv_catalog_file_add(dcat, f)) < 0 ||
	    (rc = copy_side(t, src_id, f->id)) < 0)
		return rc;
	t->res->files_sent++;
	if (dedup) t->res->files_dedup++;
	else t->res->bytes_sent += wsize;   /* content the destination lacked */
	return 0;
}

static int transfer_ingest(struct tctx *t, const dv_case *scase, const dv_ingest_rec *srec, const struct src_ingest *si)
{
	dv_catalog *scat = dv_vault_catalog(t->src), *dcat = dv_vault_catalog(t->dst);
	dv_vault *dst = t->dst;
	struct file_ids fl = { 0 };
	json_object *body = NULL;
	dv_ingest_rec *rec = calloc(1, sizeof(*rec));
	dv_file_rec *f = malloc(sizeof(*f)), *have = malloc(sizeof(*have));
	int rc = 0;
	if (!rec || !f || !have) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	/* the source catalog holds what its signed entry recorded */
	uint8_t m[32], tele[32], sd[32], dd[32];
	uint64_t nfiles, nbytes;
	if ((rc = dv_ingest_manifest(scat, srec->id, m, &nfiles, &nbytes)) < 0) goto out;
	if (!si->has_manifest || memcmp(m, si->manifest, 32)) {
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(t->src), -1,
		                  "ingest %lld of case %s: the source catalog's files differ from the manifest its custody entry %llu "
		                  "recorded; nothing of it sent (run 'dronevault verify')",
		                  (long long)srec->id, scase->name, (unsigned long long)si->seq);
		goto out;
	}
	if ((rc = dv_telemetry_digest(tele, NULL, scat, srec->id)) < 0) goto out;
	if (si->has_tele && memcmp(tele, si->tele, 32)) {
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(t->src), -1,
		                  "ingest %lld of case %s: the source's telemetry rows differ from the digest its custody log "
		                  "recorded; nothing of it sent (run 'dronevault verify')",
		                  (long long)srec->id, scase->name);
		goto out;
	}
	if ((rc = dv_telemetry_content_digest(sd, scat, srec->id)) < 0) goto out;
	if ((rc = dv_catalog_file_list(scat, srec->id, collect_file, &fl)) < 0) goto out;

	/* the destination's case and ingest, new or left open by an earlier run */
	char ident[128];
	uint8_t tag[32];
	snprintf(ident, sizeof(ident), "transfer|%s|%lld", dv_vault_id(t->src), (long long)srec->id);
	if ((rc = dv_catalog_tag(tag, dcat, "source", ident, strlen(ident))) < 0) goto out;
	if ((rc = dv_vault_case_lock_prepare(dst, scase->name)) < 0) goto out;
	if ((rc = dv_catalog_begin(dcat)) < 0) goto out;
	dv_case c;
	bool resumed = false;
	rc = dv_catalog_case_find(&c, dcat, scase->name);
	if (rc == DV_ENOTFOUND) rc = dv_catalog_case_create(&c, dcat, scase->name);
	if (rc == DV_EEXIST) rc = dv_catalog_case_find(&c, dcat, scase->name);
	if (rc == 0) {
		rc = dv_catalog_ingest_find_open(dcat, c.id, tag, rec);
		if (rc == 0) {
			resumed = true;
		} else if (rc == DV_ENOTFOUND && (rc = dv_catalog_ingest_find_tag(dcat, c.id, tag, rec)) == 0) {
			/* a complete copy the destination's log does not record as
			 * transferred: its entries cut (or its rows planted); never a
			 * second copy over it */
			rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(dst), -1,
			                  "ingest %lld of case %s: the destination holds a complete copy of it (its ingest %lld) that "
			                  "no custody entry of its log records; nothing sent (run 'dronevault verify' there)",
			                  (long long)srec->id, scase->name, (long long)rec->id);
		} else if (rc == DV_ENOTFOUND) {
			*rec = *srec;
			rec->id = 0;
			rec->case_id = c.id;
			rec->state = DV_INGEST_OPEN;
			rec->files = rec->bytes = 0;
			rec->log_seq = 0;
			rec->finished_ns = 0;
			memset(rec->manifest, 0, 32);
			rc = dv_catalog_ingest_create(dcat, rec, tag);
		}
	}
	if (rc < 0) {
		dv_catalog_rollback(dcat);
		goto out;
	}
	body = json_object_new_object();
	log_common(body, resumed ? DV_ACTION_INGEST_RESUME : DV_ACTION_INGEST_START, scase->name, rec);
	json_object_object_add(body, "files", json_object_new_int64((int64_t)nfiles));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)nbytes));
	json_object_object_add(body, "transferred_by", json_object_new_string(t->o->operator_name));
	json_object_object_add(body, "from", from_obj(t, srec, si));
	/* the start entry with the case and ingest rows */
	if ((rc = dv_vault_commit_with_entry(dst, body, NULL, NULL)) < 0) goto out;
	json_object_put(body);
	body = NULL;
	if (resumed) t->res->ingests_resumed++;

	/* the files, in the source's order */
	if ((rc = dv_catalog_begin(dcat)) < 0) goto out;
	size_t pending = 0;
	for (size_t i = 0; i < fl.n && rc == 0; i++) {
		if (t->o->interrupted && *t->o->interrupted) {
			rc = dv_error_set(DV_EINTR, NULL, -1, "interrupted");
			break;
		}
		if ((rc = send_file(t, fl.ids[i], rec->id, f, have)) < 0) {
			if (rc != DV_EINTR) dv_error_prefix("case %s, ingest %lld, %s: ", scase->name, (long long)srec->id, f->path);
			break;
		}
		if (++pending >= BATCH_FILES || t->batch.bytes >= BATCH_BYTES) {
			if ((rc = dv_blob_batch_settle(dv_vault_blobs(dst), &t->batch)) < 0 || (rc = dv_catalog_commit(dcat)) < 0 ||
			    (rc = dv_catalog_begin(dcat)) < 0)
				break;
			pending = 0;
		}
	}
	/* what is stored stays: its blobs are durable before its rows commit */
	if (rc < 0) {
		int err = rc;
		dv_error saved = *dv_error_last();
		if (dv_blob_batch_settle(dv_vault_blobs(dst), &t->batch) < 0 || dv_catalog_commit(dcat) < 0) dv_catalog_rollback(dcat);
		body = json_object_new_object();
		log_common(body, err == DV_EINTR ? DV_ACTION_INGEST_INTERRUPTED : DV_ACTION_INGEST_FAILED, scase->name, rec);
		json_object_object_add(body, "files_stored", json_object_new_int64(dv_catalog_file_count(dcat, rec->id)));
		if (err != DV_EINTR) json_object_object_add(body, "error", json_object_new_string(saved.message));
		dv_vault_log(dst, body, NULL);
		dv_error_set(saved.code, saved.path, saved.offset, "%s", saved.message);
		rc = err;
		goto out;
	}
	if ((rc = dv_blob_batch_settle(dv_vault_blobs(dst), &t->batch)) < 0 || (rc = dv_catalog_commit(dcat)) < 0) {
		dv_catalog_rollback(dcat);
		goto out;
	}

	/* Object Lock: every blob of the copy at its case's lock (content the
	 * destination held already was not put again) before the ingest is
	 * acknowledged; a server lost here leaves it open, and the re-run goes on */
	if ((rc = dv_vault_case_lock_apply(dst, scase->name, rec->id)) < 0) goto out;
	/* the copy is what the source signed, before the destination says so */
	uint8_t dm[32];
	uint64_t dfiles, dbytes;
	if ((rc = dv_ingest_manifest(dcat, rec->id, dm, &dfiles, &dbytes)) < 0) goto out;
	if (memcmp(dm, si->manifest, 32) || dfiles != nfiles || dbytes != nbytes) {
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(dst), -1,
		                  "ingest %lld of case %s: the destination's copy (ingest %lld, %llu files) does not have the manifest "
		                  "the source's entry %llu recorded; it stays open, not acknowledged",
		                  (long long)srec->id, scase->name, (long long)rec->id, (unsigned long long)dfiles,
		                  (unsigned long long)si->seq);
		goto out;
	}
	if ((rc = dv_telemetry_content_digest(dd, dcat, rec->id)) < 0) goto out;
	if (memcmp(dd, sd, 32)) {
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(dst), -1,
		                  "ingest %lld of case %s: the destination's telemetry rows differ from the source's; it stays open",
		                  (long long)srec->id, scase->name);
		goto out;
	}
	if ((rc = dv_telemetry_digest(tele, NULL, dcat, rec->id)) < 0) goto out;
	body = json_object_new_object();
	log_common(body, DV_ACTION_INGEST, scase->name, rec);
	json_object_object_add(body, "files", json_object_new_int64((int64_t)dfiles));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)dbytes));
	add_hex(body, "manifest_sha256", dm, 32);
	if (rec->has_image_hash) {
		add_hex(body, "image_sha256", rec->image_sha256, 32);
		json_object_object_add(body, "image_size", json_object_new_int64((int64_t)rec->image_size));
	}
	add_hex(body, "telemetry_sha256", tele, 32);
	json_object_object_add(body, "transferred_by", json_object_new_string(t->o->operator_name));
	json_object_object_add(body, "from", from_obj(t, srec, si));
	rec->files = dfiles;
	rec->bytes = dbytes;
	memcpy(rec->manifest, dm, 32);
	rec->finished_ns = srec->finished_ns ? srec->finished_ns : dv_now_ns();
	if ((rc = dv_vault_log_with(dst, body, &rec->log_seq, complete_row, rec)) < 0) goto out;
	t->res->ingests_sent++;
out:
	json_object_put(body);
	if (t->w) dv_blob_writer_abort(t->w);
	t->w = NULL;
	dv_blob_batch_dispose(&t->batch);
	free(fl.ids);
	free(rec);
	free(f);
	free(have);
	return rc;
}

/* An ingest the destination says it has: checked again, never sent twice. */
static int check_present(struct tctx *t, const dv_case *scase, const dv_ingest_rec *srec, const struct src_ingest *si,
                         int64_t dst_id)
{
	dv_ingest_rec *rec = malloc(sizeof(*rec));
	if (!rec) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	int rc = dv_catalog_ingest_get(rec, dv_vault_catalog(t->dst), dst_id);
	if (rc == DV_ENOTFOUND)
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(t->dst), -1,
		                  "ingest %lld of case %s: the destination's log records it as its ingest %lld, which its catalog "
		                  "does not have (run 'dronevault verify' there)",
		                  (long long)srec->id, scase->name, (long long)dst_id);
	/* its files as they are now, not the manifest its row keeps */
	uint8_t m[32];
	if (rc == 0 && rec->state == DV_INGEST_COMPLETE) rc = dv_ingest_manifest(dv_vault_catalog(t->dst), dst_id, m, NULL, NULL);
	if (rc == 0 && (rec->state != DV_INGEST_COMPLETE || memcmp(m, si->manifest, 32)))
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(t->dst), -1,
		                  "ingest %lld of case %s: the destination's ingest %lld %s (run 'dronevault verify' there)",
		                  (long long)srec->id, scase->name, (long long)dst_id,
		                  rec->state != DV_INGEST_COMPLETE ? "is not complete" : "no longer has the files the source signed");
	free(rec);
	if (rc == 0) t->res->ingests_present++;
	return rc;
}

struct case_walk {
	struct tctx *t;
	const dv_case *c;
	int64_t *ids;
	size_t n, cap;
};

static int collect_ingest(const dv_ingest_rec *r, void *payload)
{
	struct case_walk *w = payload;
	int rc = dv_grow(&w->ids, &w->cap, w->n, sizeof(*w->ids), 16);
	if (rc < 0) return rc;
	w->ids[w->n++] = r->id;
	if (r->state == DV_INGEST_COMPLETE) {
		w->t->prog.ingests_total++;
		w->t->prog.bytes_total += r->bytes;
	}
	return 0;
}

struct cases {
	dv_case *v;
	size_t n, cap;
};

static int collect_case(const dv_case *c, void *payload)
{
	struct cases *l = payload;
	int rc = dv_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 16);
	if (rc < 0) return rc;
	l->v[l->n++] = *c;
	return 0;
}

static int summary_entries(struct tctx *t)
{
	dv_transfer_result *res = t->res;
	char h[65];
	json_object *b = json_object_new_object();
	json_object_object_add(b, "action", json_object_new_string(t->o->action_in));
	json_object_object_add(b, "operator", json_object_new_string(t->o->operator_name));
	json_object *from = json_object_new_object();
	json_object_object_add(from, "vault", json_object_new_string(dv_vault_id(t->src)));
	json_object_object_add(from, "station", json_object_new_string(dv_vault_station(t->src)));
	json_object_object_add(from, "station_key", json_object_new_string(t->src_pk));
	json_object_object_add(from, "head_seq", json_object_new_int64((int64_t)res->src_head_seq));
	dv_hex(h, res->src_head, 32);
	json_object_object_add(from, "head_sha256", json_object_new_string(h));
	json_object_object_add(b, "from", from);
	json_object_object_add(b, "cases", json_object_new_int64((int64_t)res->cases));
	json_object_object_add(b, "ingests", json_object_new_int64((int64_t)res->ingests_total));
	json_object_object_add(b, "ingests_sent", json_object_new_int64((int64_t)res->ingests_sent));
	json_object_object_add(b, "ingests_present", json_object_new_int64((int64_t)res->ingests_present));
	json_object_object_add(b, "ingests_open", json_object_new_int64((int64_t)res->ingests_open));
	json_object_object_add(b, "files_sent", json_object_new_int64((int64_t)res->files_sent));
	json_object_object_add(b, "bytes_sent", json_object_new_int64((int64_t)res->bytes_sent));
	int rc = dv_vault_log(t->dst, b, &res->dst_log_seq);
	json_object_put(b);
	if (rc == 0) rc = dv_vault_head(t->dst, &res->dst_head_seq, res->dst_head);
	if (rc < 0) return rc;
	/* the source's own log says where its evidence went */
	b = json_object_new_object();
	json_object_object_add(b, "action", json_object_new_string(t->o->action_out));
	json_object_object_add(b, "operator", json_object_new_string(t->o->operator_name));
	json_object *to = json_object_new_object();
	json_object_object_add(to, "vault", json_object_new_string(dv_vault_id(t->dst)));
	json_object_object_add(to, "station", json_object_new_string(dv_vault_station(t->dst)));
	json_object_object_add(to, "entry", json_object_new_int64((int64_t)res->dst_log_seq));
	json_object_object_add(to, "head_seq", json_object_new_int64((int64_t)res->dst_head_seq));
	dv_hex(h, res->dst_head, 32);
	json_object_object_add(to, "head_sha256", json_object_new_string(h));
	json_object_object_add(b, "to", to);
	json_object_object_add(b, "ingests", json_object_new_int64((int64_t)res->ingests_total));
	json_object_object_add(b, "ingests_sent", json_object_new_int64((int64_t)res->ingests_sent));
	json_object_object_add(b, "through_seq", json_object_new_int64((int64_t)res->src_head_seq));
	rc = dv_vault_log(t->src, b, NULL);
	json_object_put(b);
	return rc;
}

/* The rollback witness: the source's log must still hold the head the
 * destination recorded at the last push (a vault put back to an older
 * copy, or a log rewritten since, has it no more). Both logs scanned. */
static bool witness_broken(const struct tctx *t)
{
	return t->witnessed_seq && !dv_vault_shared_log(t->src) &&
	       (t->src_seq_gap || t->witnessed_seq > t->nsrc_hashes || memcmp(t->src_hashes[t->witnessed_seq - 1], t->witnessed, 32));
}

static int witness_error(const struct tctx *t, const char *then)
{
	char h[65];
	dv_hex(h, t->witnessed, 32);
	return dv_error_set(DV_ECORRUPT, dv_vault_dir(t->src), -1,
	                    "this vault was rolled back or its log rewritten: the central vault witnessed its head at entry "
	                    "%llu (%.16s...) at the last push, and its log (%llu entries) %s%s (its own proof: 'dronevault "
	                    "verify --head %s' here)",
	                    (unsigned long long)t->witnessed_seq, h, (unsigned long long)t->nsrc_hashes,
	                    t->witnessed_seq > t->nsrc_hashes ? "ends before it" : "holds another entry there", then, h);
}

int dv_transfer_witness_check(dv_vault *central, dv_vault *station, uint64_t *witnessed_seq, uint8_t witnessed[32])
{
	static const dv_transfer_opts o = { "", DV_ACTION_SYNC, DV_ACTION_SYNC_PUSHED, NULL, NULL, NULL };
	dv_transfer_result res;
	struct tctx t = { .dst = central, .src = station, .o = &o, .res = &res };
	*witnessed_seq = 0;
	memset(witnessed, 0, 32);
	if (!strcmp(dv_vault_id(central), dv_vault_id(station)))
		return dv_error_set(DV_EINVAL, dv_vault_dir(central), -1, "the witness is another vault's (this is the same vault)");
	int rc = dv_vault_log_scan(station, on_src_entry, src_problem, &t);
	if (rc >= 0) rc = dv_vault_log_scan(central, on_dst_entry, src_problem, &t);
	if (rc >= 0 && t.problems)
		rc = dv_error_set(DV_ECORRUPT, NULL, -1, "a custody log has %llu problem%s (first: %s)", (unsigned long long)t.problems,
		                  t.problems == 1 ? "" : "s", t.first_problem);
	if (rc >= 0) {
		*witnessed_seq = t.witnessed_seq;
		memcpy(witnessed, t.witnessed, 32);
		rc = witness_broken(&t) ? witness_error(&t, "") : 0;
	}
	free(t.ing);
	free(t.done);
	free(t.src_hashes);
	return rc;
}

int dv_vault_transfer(dv_vault *dst, dv_vault *src, const dv_transfer_opts *o, dv_transfer_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	if (!o || !o->operator_name || !*o->operator_name || !o->action_in || !o->action_out)
		return dv_error_set(DV_EINVAL, NULL, -1, "a transfer needs an operator and its two actions");
	if (!strcmp(dv_vault_id(dst), dv_vault_id(src)))
		return dv_error_set(DV_EINVAL, dv_vault_dir(dst), -1, "source and destination are the same vault (%s)", dv_vault_id(src));
	struct tctx t = { .dst = dst, .src = src, .o = o, .res = res };
	dv_hex(t.src_pk, dv_vault_public_key(src), 32);
	struct cases cl = { 0 };
	dv_ingest_rec *srec = malloc(sizeof(*srec));
	int rc = srec ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");

	/* the source's log, whole and valid, or nothing moves */
	/* a scan returns how many problems it found; src_problem counted them */
	if (rc == 0 && (rc = dv_vault_log_scan(src, on_src_entry, src_problem, &t)) > 0) rc = 0;
	if (rc == 0 && t.problems)
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(src), -1,
		                  "the source vault's custody log has %llu problem%s (first: %s); nothing sent: run 'dronevault "
		                  "verify' on it",
		                  (unsigned long long)t.problems, t.problems == 1 ? "" : "s", t.first_problem);
	if (rc == 0) rc = dv_vault_head(src, &res->src_head_seq, res->src_head);
	if (rc == 0 && (rc = dv_vault_log_scan(dst, on_dst_entry, src_problem, &t)) > 0) rc = 0;
	if (rc == 0 && t.problems)
		rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(dst), -1,
		                  "the destination vault's custody log has %llu problem%s (first: %s); nothing sent: run "
		                  "'dronevault verify' on it",
		                  (unsigned long long)t.problems, t.problems == 1 ? "" : "s", t.first_problem);
	if (rc == 0 && witness_broken(&t)) rc = witness_error(&t, "; nothing sent");
	if (rc == 0) rc = dv_catalog_case_list(dv_vault_catalog(src), collect_case, &cl);
	struct case_walk *walks = rc == 0 && cl.n ? calloc(cl.n, sizeof(*walks)) : NULL;
	if (rc == 0 && cl.n && !walks) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < cl.n && rc == 0; i++) {
		walks[i].t = &t;
		walks[i].c = &cl.v[i];
		rc = dv_catalog_ingest_list(dv_vault_catalog(src), cl.v[i].id, collect_ingest, &walks[i]);
	}
	res->cases = cl.n;
	for (size_t i = 0; i < cl.n && rc == 0; i++) {
		const dv_case *c = &cl.v[i];
		t.prog.case_name = c->name;
		for (size_t j = 0; j < walks[i].n && rc == 0; j++) {
			if ((rc = dv_catalog_ingest_get(srec, dv_vault_catalog(src), walks[i].ids[j])) < 0) break;
			if (srec->state != DV_INGEST_COMPLETE) {
				res->ingests_open++;
				continue;
			}
			res->ingests_total++;
			const struct src_ingest *si = src_find(&t, srec->id, false);
			if (!si || !si->seq) {
				rc = dv_error_set(DV_ECORRUPT, dv_vault_dir(src), -1,
				                  "ingest %lld of case %s is complete in the source catalog, but no custody entry records "
				                  "its completion; nothing of it sent (run 'dronevault verify')",
				                  (long long)srec->id, c->name);
				break;
			}
			int64_t dst_id = done_find(&t, srec->id);
			rc = dst_id ? check_present(&t, c, srec, si, dst_id) : transfer_ingest(&t, c, srec, si);
			if (dst_id) t.prog.bytes_done += srec->bytes;
			t.prog.ingests_done++;
			t.prog.path = NULL;
			report(&t);
		}
	}
	/* a re-run that found nothing new since its last push records nothing */
	if (rc == 0 && (res->ingests_sent || !t.src_last_is_push)) rc = summary_entries(&t);
	for (size_t i = 0; walks && i < cl.n; i++) free(walks[i].ids);
	free(walks);
	free(cl.v);
	free(srec);
	free(t.ing);
	free(t.done);
	free(t.src_hashes);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}
