/*
 * The blob store front end: names, encryption (blob_format.c), re-hashing
 * on read, batches, and dispatch to a backend's operations table. No file
 * or path is made here: that is the backend's (blobstore_folder.c).
 */
#include "dv/blob.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"
#include "vault/blob_format_int.h"
#include "vault/vault_fs_int.h"

struct dv_blobstore {
	const dv_blob_backend_ops *ops;
	dv_blob_backend *be;
	unsigned flags;
	unsigned caps;
	uint8_t *keys;      /* guarded memory (dv_secret_alloc): name_key, data_key */
	uint8_t *name_key;  /* names blobs */
	uint8_t *data_key;  /* derives per-blob keys */
	uint32_t chunk_size;            /* for new blobs */
	/* Object Lock (DV_BLOB_CAP_WORM): what dv_blob_lock_defaults asked of
	 * new blobs; a put of content already stored raises that blob to it */
	int64_t lock_until_ns;
	bool lock_hold;
};

/* A put found its content stored already: that blob gets at least the lock
 * a new one would have had (it may have been stored for a case that asked
 * less), before the put counts as done. */
static int lock_stored(dv_blobstore *bs, const char *name)
{
	if (!(bs->caps & DV_BLOB_CAP_WORM) || (bs->lock_until_ns <= 0 && !bs->lock_hold) || !bs->ops->lock_set) return 0;
	return bs->ops->lock_set(bs->be, name, bs->lock_until_ns, bs->lock_hold ? 1 : -1);
}

static int unsupported(const dv_blobstore *bs, const char *op)
{
	return dv_error_set(DV_EUNSUPPORTED, bs->ops->name ? bs->ops->name : "blob backend", -1, "no %s", op);
}

int dv_blobstore_open(dv_blobstore **out, const dv_blob_backend_ops *ops, dv_blob_backend *be,
                      const uint8_t name_key[DV_KEY_BYTES], const uint8_t data_key[DV_KEY_BYTES], unsigned flags)
{
	*out = NULL;
	if (!ops || ops->version != DV_BLOB_BACKEND_VERSION || !ops->free) {
		int rc = dv_error_set(DV_EUNSUPPORTED, ops && ops->name ? ops->name : "blob backend", -1,
		                      "blob backend version %u, this build speaks %u%s", ops ? ops->version : 0,
		                      DV_BLOB_BACKEND_VERSION, ops && !ops->free ? " (and it needs free)" : "");
		if (ops && ops->version == DV_BLOB_BACKEND_VERSION && ops->free) ops->free(be);
		return rc;
	}
	dv_blobstore *bs = calloc(1, sizeof(*bs));
	if (!bs) {
		ops->free(be);
		return dv_error_set(DV_ENOMEM, ops->name, -1, "out of memory");
	}
	bs->ops = ops;
	bs->be = be;
	bs->flags = flags;
	bs->caps = ops->caps ? ops->caps(be) : 0;
	if (!(bs->keys = dv_secret_alloc(2 * DV_KEY_BYTES))) {
		ops->free(be);
		free(bs);
		return DV_ENOMEM;
	}
	bs->name_key = bs->keys;
	bs->data_key = bs->keys + DV_KEY_BYTES;
	memcpy(bs->name_key, name_key, DV_KEY_BYTES);
	memcpy(bs->data_key, data_key, DV_KEY_BYTES);
	dv_secret_readonly(bs->keys);
	bs->chunk_size = DV_BLOB_CHUNK_DEFAULT;
	*out = bs;
	return 0;
}

int dv_blobstore_open_folder(dv_blobstore **out, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                             const uint8_t data_key[DV_KEY_BYTES], unsigned flags)
{
	return dv_blobstore_open_folder_fs(out, vault_dir, name_key, data_key, flags, NULL);
}

int dv_blobstore_open_folder_fs(dv_blobstore **out, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                                const uint8_t data_key[DV_KEY_BYTES], unsigned flags, const dv_fs *fs)
{
	dv_blob_backend *be;
	const dv_blob_backend_ops *ops;
	*out = NULL;
	int rc = dv_blob_folder_backend_fs(&be, &ops, vault_dir, !(flags & DV_BLOBSTORE_READONLY), fs);
	if (rc < 0) return rc;
	return dv_blobstore_open(out, ops, be, name_key, data_key, flags);
}

void dv_blobstore_close(dv_blobstore *bs)
{
	if (!bs) return;
	bs->ops->free(bs->be);
	dv_secret_free(bs->keys);
	dv_wipe(bs, sizeof(*bs));
	free(bs);
}

unsigned dv_blobstore_caps(const dv_blobstore *bs) { return bs->caps; }

int dv_blobstore_set_chunk_size(dv_blobstore *bs, uint32_t chunk_size)
{
	if (chunk_size < 4096 || chunk_size > (16u << 20))
		return dv_error_set(DV_EINVAL, NULL, -1, "chunk size %u out of range (4 KiB .. 16 MiB)", chunk_size);
	bs->chunk_size = chunk_size;
	return 0;
}

int dv_blobstore_clean_tmp(dv_blobstore *bs)
{
	if (bs->flags & DV_BLOBSTORE_READONLY) return 0;
	if (!bs->ops->clean) return 0; /* nothing can be left over */
	return bs->ops->clean(bs->be);
}

void dv_blob_name(const dv_blobstore *bs, const uint8_t sha256[DV_SHA256_BYTES], char out[DV_BLOB_NAME_HEX + 1])
{
	uint8_t msg[4 + DV_SHA256_BYTES], h[32];
	memcpy(msg, "blob", 4);
	memcpy(msg + 4, sha256, DV_SHA256_BYTES);
	dv_keyed_hash(h, bs->name_key, msg, sizeof(msg));
	dv_hex(out, h, 32);
}

static int check_name(const char *name)
{
	size_t n = 0;
	for (const char *p = name; *p; p++, n++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) || n >= DV_BLOB_NAME_HEX)
			return dv_error_set(DV_EINVAL, name, -1, "not a blob name");
	if (n != DV_BLOB_NAME_HEX) return dv_error_set(DV_EINVAL, name, -1, "not a blob name");
	return 0;
}

int dv_blob_locate(const dv_blobstore *bs, const char *name, char *out, size_t size)
{
	int rc = check_name(name);
	if (rc < 0) return rc;
	if (!bs->ops->locate) return unsupported(bs, "locate");
	return bs->ops->locate(bs->be, name, out, size);
}

/* Where a blob is, for messages: the backend's location, else its name. */
static void where(const dv_blobstore *bs, const char *name, char *out, size_t size)
{
	if (!bs->ops->locate || bs->ops->locate(bs->be, name, out, size) < 0) snprintf(out, size, "%s", name);
}

static int exists(const dv_blobstore *bs, const char *name)
{
	int rc = check_name(name);
	if (rc < 0) return rc;
	if (!bs->ops->exists) return unsupported(bs, "exists");
	return bs->ops->exists(bs->be, name);
}

bool dv_blob_exists(const dv_blobstore *bs, const char *name) { return exists(bs, name) == 1; }

/* ---- writing ------------------------------------------------------------ */
struct dv_blob_writer {
	dv_blobstore *bs;
	dv_blob_put *put;
	dv_sha256 *sha;
	dv_gcm *gcm;
	uint8_t header[DV_BLOB_HEADER_V2_BYTES];
	dv_blob_header h;
	uint64_t size;          /* plaintext bytes so far (without padding) */
	uint64_t chunk_index;   /* next chunk to seal */
	uint64_t file_off;      /* next write offset */
	uint8_t *pending;       /* plaintext being filled, at most one chunk */
	size_t pending_len;
	uint8_t *spare;         /* the other plaintext buffer */
	uint8_t *out;           /* ciphertext + tag of one chunk */
	/*
	 * The sealer thread encrypts and writes a full chunk while the caller
	 * reads and hashes the next one (two cores, one blob). Hand-over is
	 * through job: the caller sets it, the sealer clears it when written.
	 * gcm, out, file_off and chunk_index belong to whoever
	 * holds the turn: the sealer while job is set, the caller otherwise.
	 */
	pthread_t sealer;
	bool sealer_running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *job;           /* chunk handed to the sealer, or NULL */
	size_t job_len;
	bool quit;
	int sealer_rc;          /* first failure in the sealer */
	dv_error sealer_err;    /* ... and its message (dv_error is per thread) */
};

static void sealer_stop(dv_blob_writer *w);
static void *sealer_main(void *arg);

/* Frees w; the put (if still ours) is thrown away. */
void dv_blob_writer_abort(dv_blob_writer *w)
{
	if (!w) return;
	sealer_stop(w);
	if (w->put) w->bs->ops->put_abort(w->bs->be, w->put);
	free(w->spare);
	dv_sha256_free(w->sha);
	dv_gcm_free(w->gcm);
	free(w->pending);
	free(w->out);
	free(w);
}

int dv_blob_writer_open(dv_blob_writer **out, dv_blobstore *bs)
{
	*out = NULL;
	if (bs->flags & DV_BLOBSTORE_READONLY)
		return dv_error_set(DV_EPERM, bs->ops->name, -1, "the blob store is open read-only");
	const dv_blob_backend_ops *o = bs->ops;
	if (!o->put_begin || !o->put_write || !o->put_abort)
		return unsupported(bs, !o->put_begin ? "put_begin" : !o->put_write ? "put_write" : "put_abort");
	dv_blob_writer *w = calloc(1, sizeof(*w));
	if (!w) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	w->bs = bs;
	uint8_t salt[32];
	dv_random(salt, sizeof(salt));
	dv_blobfmt_header(w->header, &w->h, bs->chunk_size, salt);
	int rc = 0;
	if (!(w->pending = malloc(bs->chunk_size)) || !(w->spare = malloc(bs->chunk_size)) ||
	    !(w->out = malloc(bs->chunk_size + DV_GCM_TAG_BYTES)))
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (rc == 0) rc = dv_sha256_new(&w->sha);
	if (rc == 0) rc = dv_blobfmt_gcm(&w->gcm, bs->data_key, salt);
	if (rc == 0) rc = o->put_begin(bs->be, &w->put);
	if (rc < 0) {
		w->put = NULL;
		dv_blob_writer_abort(w);
		return rc;
	}
	w->file_off = DV_BLOB_HEADER_V2_BYTES;
	/* Without a thread (none to be had) chunks are sealed in line. */
	if (pthread_mutex_init(&w->mu, NULL) == 0) {
		if (pthread_cond_init(&w->cv, NULL) == 0) {
			if (pthread_create(&w->sealer, NULL, sealer_main, w) == 0) w->sealer_running = true;
			else pthread_cond_destroy(&w->cv);
		}
		if (!w->sealer_running) pthread_mutex_destroy(&w->mu);
	}
	*out = w;
	return 0;
}

static int seal_chunk(dv_blob_writer *w, const uint8_t *buf, size_t len, int final)
{
	uint8_t nonce[12], aad[DV_BLOBFMT_AAD_BYTES];
	dv_blobfmt_nonce(nonce, w->chunk_index);
	dv_blobfmt_aad(aad, &w->h, w->header, final);
	int rc = dv_gcm_seal(w->gcm, nonce, aad, sizeof(aad), buf, len, w->out, w->out + len);
	if (rc < 0) return rc;
	size_t n = len + DV_GCM_TAG_BYTES;
	rc = w->bs->ops->put_write(w->bs->be, w->put, w->file_off, w->out, n);
	if (rc < 0) return rc;
	w->file_off += n;
	w->chunk_index++;
	return 0;
}

static void *sealer_main(void *arg)
{
	dv_blob_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->job && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
		if (!w->job) break;
		const uint8_t *buf = w->job;
		size_t len = w->job_len;
		pthread_mutex_unlock(&w->mu);
		int rc = w->sealer_rc < 0 ? 0 : seal_chunk(w, buf, len, 0);
		pthread_mutex_lock(&w->mu);
		if (rc < 0 && w->sealer_rc == 0) {
			w->sealer_rc = rc;
			w->sealer_err = *dv_error_last();
		}
		w->job = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits until the sealer is idle; returns its failure, if any, as ours. */
static int sealer_wait(dv_blob_writer *w)
{
	if (!w->sealer_running) return 0;
	pthread_mutex_lock(&w->mu);
	while (w->job) pthread_cond_wait(&w->cv, &w->mu);
	int rc = w->sealer_rc;
	pthread_mutex_unlock(&w->mu);
	if (rc < 0) {
		const dv_error *e = &w->sealer_err;
		dv_error_set(e->code, e->path, e->offset, "%s", e->message);
	}
	return rc;
}

static void sealer_stop(dv_blob_writer *w)
{
	if (!w->sealer_running) return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->sealer, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	w->sealer_running = false;
}

/* A full chunk that is not the last: to the sealer, and fill the other buffer. */
static int hand_over(dv_blob_writer *w)
{
	int rc = sealer_wait(w);
	if (rc < 0) return rc;
	if (!w->sealer_running) return seal_chunk(w, w->pending, w->pending_len, 0);
	pthread_mutex_lock(&w->mu);
	w->job = w->pending;
	w->job_len = w->pending_len;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	uint8_t *t = w->pending;
	w->pending = w->spare;
	w->spare = t;
	w->pending_len = 0;
	return 0;
}

/* The last chunk, sealed by the caller once the sealer is idle. */
static int seal_last(dv_blob_writer *w)
{
	int rc = sealer_wait(w);
	if (rc == 0) rc = seal_chunk(w, w->pending, w->pending_len, 1);
	w->pending_len = 0;
	return rc;
}

/* Content or padding into the chunks. */
static int feed(dv_blob_writer *w, const uint8_t *p, size_t n)
{
	int rc;
	while (n > 0) {
		/* A full pending chunk is sealed only once more data arrives, so
		 * that the last chunk can carry the final flag. */
		if (w->pending_len == w->bs->chunk_size && (rc = hand_over(w)) < 0)
			return rc;
		size_t take = w->bs->chunk_size - w->pending_len;
		if (take > n) take = n;
		memcpy(w->pending + w->pending_len, p, take);
		w->pending_len += take;
		p += take;
		n -= take;
	}
	return 0;
}

int dv_blob_writer_write(dv_blob_writer *w, const void *data, size_t n)
{
	int rc = dv_sha256_update(w->sha, data, n);
	if (rc < 0 || (rc = feed(w, data, n)) < 0) return rc;
	w->size += n;
	return 0;
}

/* Zeros up to padme(size): the blob's length tells only the bucket. */
static int pad(dv_blob_writer *w)
{
	static const uint8_t zeros[4096];
	uint64_t left = dv_blob_padme(w->size) - w->size;
	while (left > 0) {
		size_t k = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);
		int rc = feed(w, zeros, k);
		if (rc < 0) return rc;
		left -= k;
	}
	return 0;
}

/*
 * The common end of a blob: the last chunk, the header, the name, and
 * whether the content is stored already. On failure w is freed.
 */
static int complete(dv_blob_writer *w, uint8_t sha256_out[DV_SHA256_BYTES], char name_out[DV_BLOB_NAME_HEX + 1],
                    uint64_t *size_out, bool *stored)
{
	int rc;
	if ((rc = pad(w)) < 0 || (rc = seal_last(w)) < 0 ||
	    (rc = dv_blobfmt_seal_size(w->header, w->gcm, w->size)) < 0 ||
	    (rc = w->bs->ops->put_write(w->bs->be, w->put, 0, w->header, DV_BLOB_HEADER_V2_BYTES)) < 0 ||
	    (rc = dv_sha256_final(w->sha, sha256_out)) < 0)
		goto fail;
	sealer_stop(w);
	dv_blob_name(w->bs, sha256_out, name_out);
	*size_out = w->size;
	if ((rc = exists(w->bs, name_out)) < 0) goto fail;
	*stored = rc == 1;
	return 0;
fail:
	dv_blob_writer_abort(w);
	return rc;
}

int dv_blob_writer_commit(dv_blob_writer *w, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out,
                          bool *deduplicated)
{
	*deduplicated = false;
	dv_blobstore *bs = w->bs;
	if (!bs->ops->put_commit) {
		dv_blob_writer_abort(w);
		return unsupported(bs, "put_commit");
	}
	int rc = complete(w, sha256_out, name_out, size_out, deduplicated);
	if (rc < 0) return rc;
	if (*deduplicated) {
		/* Same content already stored: content addressing makes this a no-op. */
		dv_blob_writer_abort(w);
		return lock_stored(bs, name_out);
	}
	dv_blob_put *put = w->put;
	w->put = NULL;
	dv_blob_writer_abort(w);
	return bs->ops->put_commit(bs->be, put, name_out);
}

/* ---- group durability ------------------------------------------------------ */
struct dv_blob_pending {
	dv_blob_put *put;
	char name[DV_BLOB_NAME_HEX + 1];
};

int dv_blob_writer_finish(dv_blob_writer *w, dv_blob_batch *batch, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out, bool *deduplicated)
{
	int rc;
	*deduplicated = false;
	dv_blobstore *bs = w->bs;
	if (!bs->ops->put_stage || !bs->ops->publish) {
		dv_blob_writer_abort(w);
		return unsupported(bs, !bs->ops->put_stage ? "put_stage" : "publish");
	}
	if (batch->bs && batch->bs != bs) {
		dv_blob_writer_abort(w);
		return dv_error_set(DV_EINVAL, bs->ops->name, -1, "batch belongs to another blob store");
	}
	bool stored;
	if ((rc = complete(w, sha256_out, name_out, size_out, &stored)) < 0) return rc;
	bool pending = false;
	for (size_t i = 0; i < batch->n && !pending; i++) pending = !strcmp(batch->items[i].name, name_out);
	if (pending || stored) {
		/* (a pending one gets the lock as it is published) */
		*deduplicated = true;
		dv_blob_writer_abort(w);
		return stored && !pending ? lock_stored(bs, name_out) : 0;
	}
	if (batch->n == batch->cap) {
		size_t cap = batch->cap ? batch->cap * 2 : 64;
		struct dv_blob_pending *ni = realloc(batch->items, cap * sizeof(*ni));
		if (!ni) {
			dv_blob_writer_abort(w);
			return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		}
		batch->items = ni;
		batch->cap = cap;
	}
	if ((rc = bs->ops->put_stage(bs->be, w->put, name_out)) < 0) {
		dv_blob_writer_abort(w);
		return rc;
	}
	batch->bs = bs;
	struct dv_blob_pending *p = &batch->items[batch->n++];
	p->put = w->put;
	memcpy(p->name, name_out, sizeof(p->name));
	batch->bytes += w->size;
	w->put = NULL;
	dv_blob_writer_abort(w);
	return 0;
}

int dv_blob_batch_settle(dv_blobstore *bs, dv_blob_batch *batch)
{
	if (batch->n == 0) return 0;
	if (batch->bs != bs) return dv_error_set(DV_EINVAL, bs->ops->name, -1, "batch belongs to another blob store");
	dv_blob_put **puts = malloc(batch->n * sizeof(*puts));
	if (!puts) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < batch->n; i++) puts[i] = batch->items[i].put;
	size_t done = 0;
	int rc = bs->ops->publish(bs->be, puts, batch->n, &done);
	free(puts);
	if (done > batch->n) done = batch->n;
	/* published puts belong to nobody now; keep the rest staged */
	memmove(batch->items, batch->items + done, (batch->n - done) * sizeof(*batch->items));
	batch->n -= done;
	if (rc == 0) {
		batch->n = 0;
		batch->bytes = 0;
	}
	return rc;
}

void dv_blob_batch_dispose(dv_blob_batch *batch)
{
	for (size_t i = 0; i < batch->n; i++) batch->bs->ops->put_abort(batch->bs->be, batch->items[i].put);
	free(batch->items);
	memset(batch, 0, sizeof(*batch));
}

/* ---- reading ------------------------------------------------------------ */
struct reader {
	dv_blobstore *bs;
	dv_blob_get *get;
	char where[4096];
	uint8_t header[DV_BLOB_HEADER_MAX];
	dv_blob_header h;
	dv_gcm *gcm;
	uint8_t *buf;
};

static void reader_close(struct reader *r)
{
	free(r->buf);
	dv_gcm_free(r->gcm);
	if (r->get) r->bs->ops->close_read(r->bs->be, r->get);
}

/* Opens blob name and checks its header and size. */
static int reader_open(struct reader *r, dv_blobstore *bs, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->bs = bs;
	int rc = check_name(name);
	if (rc < 0) return rc;
	const dv_blob_backend_ops *o = bs->ops;
	if (!o->open_read || !o->read_at || !o->close_read)
		return unsupported(bs, !o->open_read ? "open_read" : !o->read_at ? "read_at" : "close_read");
	where(bs, name, r->where, sizeof(r->where));
	uint64_t stored;
	if ((rc = o->open_read(bs->be, name, &r->get, &stored)) < 0) {
		r->get = NULL;
		return rc;
	}
	size_t got;
	if ((rc = o->read_at(bs->be, r->get, 0, r->header, sizeof(r->header), &got)) < 0 ||
	    (rc = dv_blob_header_parse(r->header, got, r->where, &r->h)) < 0 ||
	    (rc = dv_blob_header_geometry(&r->h, stored, r->where)) < 0 ||
	    (rc = dv_blobfmt_gcm(&r->gcm, bs->data_key, r->h.salt)) < 0 ||
	    (rc = dv_blobfmt_open_size(&r->h, r->header, r->gcm, r->where)) < 0)
		return rc;
	if (!(r->buf = malloc((size_t)r->h.chunk_size + DV_GCM_TAG_BYTES)))
		return dv_error_set(DV_ENOMEM, r->where, -1, "out of memory");
	return 0;
}

/* Reads and authenticates chunk i into r->buf; *n its plaintext bytes. */
static int reader_chunk(struct reader *r, uint64_t i, size_t *n)
{
	uint64_t off = dv_blobfmt_chunk_offset(&r->h, i);
	size_t len = dv_blobfmt_chunk_len(&r->h, i), got;
	int final = i + 1 == dv_blobfmt_chunks(&r->h);
	int rc = r->bs->ops->read_at(r->bs->be, r->get, off, r->buf, len + DV_GCM_TAG_BYTES, &got);
	if (rc < 0) return rc;
	if (got != len + DV_GCM_TAG_BYTES)
		return dv_error_set(DV_ECORRUPT, r->where, (int64_t)(off + got), "blob truncated");
	uint8_t nonce[12], aad[DV_BLOBFMT_AAD_BYTES];
	dv_blobfmt_nonce(nonce, i);
	dv_blobfmt_aad(aad, &r->h, r->header, final);
	if (dv_gcm_open(r->gcm, nonce, aad, sizeof(aad), r->buf, len, r->buf, r->buf + len) < 0)
		return dv_error_set(DV_ECORRUPT, r->where, (int64_t)off,
		                    "chunk %llu fails authentication (tampered or damaged)", (unsigned long long)i);
	*n = len;
	return 0;
}

int dv_blob_read(dv_blobstore *bs, const char *name, dv_blob_sink sink, void *payload,
                 uint8_t sha256_out[DV_SHA256_BYTES], uint64_t *size_out)
{
	struct reader r;
	dv_sha256 *sha = NULL;
	int rc = reader_open(&r, bs, name);
	if (rc < 0 || (rc = dv_sha256_new(&sha)) < 0) goto out;
	uint64_t chunks = dv_blobfmt_chunks(&r.h);
	for (uint64_t i = 0; i < chunks; i++) {
		size_t n, content;
		if ((rc = reader_chunk(&r, i, &n)) < 0) goto out;
		uint64_t start = i * r.h.chunk_size;
		content = start >= r.h.size ? 0 : r.h.size - start < n ? (size_t)(r.h.size - start) : n;
		for (size_t k = content; k < n; k++)
			if (r.buf[k]) {
				rc = dv_error_set(DV_ECORRUPT, r.where, (int64_t)(dv_blobfmt_chunk_offset(&r.h, i) + k),
				                  "blob padding is not zero");
				goto out;
			}
		if ((rc = dv_sha256_update(sha, r.buf, content)) < 0) goto out;
		if (sink && (content || r.h.size == 0) && (rc = sink(r.buf, content, payload)) != 0) goto out;
	}
	if ((rc = dv_sha256_final(sha, sha256_out)) < 0) goto out;
	/* never trust the backend: the content must name the blob */
	char expect[DV_BLOB_NAME_HEX + 1];
	dv_blob_name(bs, sha256_out, expect);
	if (strcmp(expect, name) != 0) {
		rc = dv_error_set(DV_ECORRUPT, r.where, -1, "content does not match the blob's name");
		goto out;
	}
	if (size_out) *size_out = r.h.size;
out:
	dv_sha256_free(sha);
	reader_close(&r);
	return rc;
}

int dv_blob_read_range(uint64_t *size_out, dv_blobstore *bs, const char *name, uint64_t offset, uint64_t length,
                       dv_blob_sink sink, void *payload)
{
	struct reader r;
	int rc = reader_open(&r, bs, name);
	if (rc < 0) goto out;
	if (size_out) *size_out = r.h.size;
	if (offset > r.h.size) {
		rc = dv_error_set(DV_EINVAL, r.where, -1, "range starts at %llu, past the end (%llu bytes)",
		                  (unsigned long long)offset, (unsigned long long)r.h.size);
		goto out;
	}
	uint64_t end = length > r.h.size - offset ? r.h.size : offset + length;
	if (end == offset) goto out;
	uint64_t first = (bs->caps & DV_BLOB_CAP_RANGE_READ) ? offset / r.h.chunk_size : 0;
	uint64_t last = (end - 1) / r.h.chunk_size;
	for (uint64_t i = first; i <= last; i++) {
		size_t n;
		if ((rc = reader_chunk(&r, i, &n)) < 0) goto out;
		uint64_t start = i * r.h.chunk_size;
		uint64_t from = offset > start ? offset - start : 0;
		uint64_t to = end - start < n ? end - start : n;
		if (from >= to) continue;
		if (sink && (rc = sink(r.buf + from, (size_t)(to - from), payload)) != 0) goto out;
	}
out:
	reader_close(&r);
	return rc;
}

int dv_blob_foreach(dv_blobstore *bs, int (*fn)(const char *name, void *payload), void *payload)
{
	if (!bs->ops->list) return unsupported(bs, "list");
	return bs->ops->list(bs->be, fn, payload);
}

/* ---- Object Lock ---------------------------------------------------------- */
int dv_blob_lock_defaults(dv_blobstore *bs, int64_t retain_until_ns, bool legal_hold)
{
	if (!bs->ops->lock_defaults) return unsupported(bs, "lock_defaults");
	int rc = bs->ops->lock_defaults(bs->be, retain_until_ns, legal_hold);
	if (rc == 0) {
		bs->lock_until_ns = retain_until_ns;
		bs->lock_hold = legal_hold;
	}
	return rc;
}

int dv_blob_lock_set(dv_blobstore *bs, const char *name, int64_t retain_until_ns, int legal_hold)
{
	int rc = check_name(name);
	if (rc < 0) return rc;
	if (bs->flags & DV_BLOBSTORE_READONLY)
		return dv_error_set(DV_EPERM, bs->ops->name, -1, "the blob store is open read-only");
	if (!bs->ops->lock_set) return unsupported(bs, "lock_set");
	return bs->ops->lock_set(bs->be, name, retain_until_ns, legal_hold);
}

int dv_blob_lock_get(dv_blob_lock *out, dv_blobstore *bs, const char *name)
{
	memset(out, 0, sizeof(*out));
	int rc = check_name(name);
	if (rc < 0) return rc;
	if (!bs->ops->lock_get) return unsupported(bs, "lock_get");
	return bs->ops->lock_get(bs->be, name, out);
}
