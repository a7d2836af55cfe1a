#include "dv/blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/rd.h"
#include "dv/util.h"

static const uint8_t blob_magic[8] = { 'D', 'V', 'B', 'L', 'O', 'B', 0, 1 };

/* No sync_file_range() hints while writing: measured on the card-sized
 * benchmark, early writeback of each blob in 8 MiB steps competed with the
 * reads and made the ingest slower; the batch's syncfs writes it all. */

int dv_blob_header_parse(const uint8_t *buf, size_t len, const char *name, dv_blob_header *out)
{
	dv_rd r = dv_rd_init(buf, len, name, 0);
	uint8_t magic[8];
	uint32_t hsize;
	uint64_t reserved;
	if (dv_rd_bytes(&r, magic, 8) < 0) return DV_ETRUNC;
	if (memcmp(magic, blob_magic, 8) != 0)
		return dv_error_set(DV_ECORRUPT, name, 0, "not a dronevault blob (bad magic)");
	if (dv_rd_u32be(&r, &hsize) < 0 || dv_rd_u32be(&r, &out->chunk_size) < 0 ||
	    dv_rd_u64be(&r, &out->size) < 0 || dv_rd_bytes(&r, out->salt, 32) < 0 ||
	    dv_rd_u64be(&r, &reserved) < 0)
		return DV_ETRUNC;
	if (hsize != DV_BLOB_HEADER_BYTES)
		return dv_error_set(DV_ECORRUPT, name, 8, "blob header size %u, expected 64", hsize);
	if (out->chunk_size < 4096 || out->chunk_size > (16u << 20))
		return dv_error_set(DV_ECORRUPT, name, 12, "blob chunk size %u out of range", out->chunk_size);
	if (reserved != 0)
		return dv_error_set(DV_ECORRUPT, name, 56, "blob reserved field not zero");
	if (dv_blob_stored_size(out) == 0)
		return dv_error_set(DV_ECORRUPT, name, 16, "blob size %llu out of range",
		                    (unsigned long long)out->size);
	return 0;
}

uint64_t dv_blob_stored_size(const dv_blob_header *h)
{
	if (h->chunk_size == 0 || h->size > (UINT64_C(1) << 56))
		return 0;
	uint64_t n = h->size == 0 ? 1 : (h->size + h->chunk_size - 1) / h->chunk_size;
	return DV_BLOB_HEADER_BYTES + h->size + n * DV_GCM_TAG_BYTES;
}

int dv_blobstore_init(dv_blobstore *bs, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                      const uint8_t data_key[DV_KEY_BYTES])
{
	memset(bs, 0, sizeof(*bs));
	if (dv_pathf(bs->dir, sizeof(bs->dir), "%s/blobs", vault_dir) < 0 ||
	    dv_pathf(bs->tmpdir, sizeof(bs->tmpdir), "%s/tmp", vault_dir) < 0)
		return DV_EINVAL;
	memcpy(bs->name_key, name_key, DV_KEY_BYTES);
	memcpy(bs->data_key, data_key, DV_KEY_BYTES);
	bs->chunk_size = DV_BLOB_CHUNK_DEFAULT;
	if (dv_mkdir_p(bs->dir) < 0 || dv_mkdir_p(bs->tmpdir) < 0)
		return dv_error_last()->code;
	return 0;
}

int dv_blobstore_clean_tmp(dv_blobstore *bs)
{
	DIR *d = opendir(bs->tmpdir);
	if (!d) return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "blob-", 5) != 0) continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) n++;
	}
	closedir(d);
	return n;
}

void dv_blob_name(const dv_blobstore *bs, const uint8_t sha256[DV_SHA256_BYTES], char out[DV_BLOB_NAME_HEX + 1])
{
	uint8_t msg[4 + DV_SHA256_BYTES], h[32];
	memcpy(msg, "blob", 4);
	memcpy(msg + 4, sha256, DV_SHA256_BYTES);
	dv_keyed_hash(h, bs->name_key, msg, sizeof(msg));
	dv_hex(out, h, 32);
}

static bool name_ok(const char *name)
{
	if (strlen(name) != DV_BLOB_NAME_HEX) return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
	return true;
}

int dv_blob_path(const dv_blobstore *bs, const char *name, char *out, size_t size)
{
	if (!name_ok(name))
		return dv_error_set(DV_EINVAL, name, -1, "not a blob name");
	return dv_pathf(out, size, "%s/%.2s/%s", bs->dir, name, name);
}

bool dv_blob_exists(const dv_blobstore *bs, const char *name)
{
	char path[4096];
	struct stat st;
	return dv_blob_path(bs, name, path, sizeof(path)) == 0 && stat(path, &st) == 0;
}

/* ---- writing ------------------------------------------------------------ */
struct dv_blob_writer {
	dv_blobstore *bs;
	int fd;
	char tmp_path[4096];
	dv_sha256 *sha;
	dv_gcm *gcm;
	uint8_t header[DV_BLOB_HEADER_BYTES];
	uint64_t size;          /* plaintext bytes so far */
	uint64_t chunk_index;   /* next chunk to seal */
	uint64_t file_off;      /* next write offset */
	uint8_t *pending;       /* plaintext being filled, at most one chunk */
	size_t pending_len;
	uint8_t *spare;         /* the other plaintext buffer */
	uint8_t *out;           /* ciphertext + tag of one chunk */
	/*
	 * The sealer thread encrypts and writes a full chunk while the caller
	 * reads and hashes the next one (two cores, one file). Hand-over is
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

static void make_header(uint8_t h[DV_BLOB_HEADER_BYTES], uint32_t chunk, uint64_t size, const uint8_t salt[32])
{
	memset(h, 0, DV_BLOB_HEADER_BYTES);
	memcpy(h, blob_magic, 8);
	dv_put_u32be(h + 8, DV_BLOB_HEADER_BYTES);
	dv_put_u32be(h + 12, chunk);
	dv_put_u64be(h + 16, size);
	memcpy(h + 24, salt, 32);
}

/* AAD: header without the size field, then the final flag. */
static void chunk_aad(uint8_t aad[DV_BLOB_HEADER_BYTES - 8 + 1], const uint8_t *header, int final)
{
	memcpy(aad, header, 16);
	memcpy(aad + 16, header + 24, DV_BLOB_HEADER_BYTES - 24);
	aad[DV_BLOB_HEADER_BYTES - 8] = (uint8_t)(final ? 1 : 0);
}

static void chunk_nonce(uint8_t nonce[12], uint64_t i)
{
	memset(nonce, 0, 4);
	dv_put_u64be(nonce + 4, i);
}

static int blob_key_gcm(dv_gcm **out, const dv_blobstore *bs, const uint8_t salt[32])
{
	uint8_t key[DV_KEY_BYTES];
	dv_keyed_hash(key, bs->data_key, salt, 32);
	int rc = dv_gcm_new(out, key);
	dv_wipe(key, sizeof(key));
	return rc;
}

static void sealer_stop(dv_blob_writer *w);
static void *sealer_main(void *arg);

void dv_blob_writer_abort(dv_blob_writer *w)
{
	if (!w) return;
	sealer_stop(w);
	free(w->spare);
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp_path);
	}
	dv_sha256_free(w->sha);
	dv_gcm_free(w->gcm);
	free(w->pending);
	free(w->out);
	free(w);
}

int dv_blob_writer_open(dv_blob_writer **out, dv_blobstore *bs)
{
	dv_blob_writer *w = calloc(1, sizeof(*w));
	if (!w) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	w->fd = -1;
	w->bs = bs;
	uint8_t salt[32], rnd[8];
	char rhex[17];
	dv_random(salt, sizeof(salt));
	dv_random(rnd, sizeof(rnd));
	dv_hex(rhex, rnd, sizeof(rnd));
	make_header(w->header, bs->chunk_size, 0, salt);
	int rc = 0;
	if (!(w->pending = malloc(bs->chunk_size)) || !(w->spare = malloc(bs->chunk_size)) ||
	    !(w->out = malloc(bs->chunk_size + DV_GCM_TAG_BYTES)))
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (rc == 0) rc = dv_sha256_new(&w->sha);
	if (rc == 0) rc = blob_key_gcm(&w->gcm, bs, salt);
	if (rc == 0) rc = dv_pathf(w->tmp_path, sizeof(w->tmp_path), "%s/blob-%s.part", bs->tmpdir, rhex);
	if (rc == 0) {
		w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd < 0) rc = dv_error_errno(errno, w->tmp_path, -1, "cannot create blob");
	}
	if (rc < 0) {
		dv_blob_writer_abort(w);
		return rc;
	}
	w->file_off = DV_BLOB_HEADER_BYTES;
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

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off, const char *path)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR) continue;
			return dv_error_errno(errno, path, (int64_t)off, "cannot write blob");
		}
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int seal_chunk(dv_blob_writer *w, const uint8_t *buf, size_t len, int final)
{
	uint8_t nonce[12], aad[DV_BLOB_HEADER_BYTES - 8 + 1];
	chunk_nonce(nonce, w->chunk_index);
	chunk_aad(aad, w->header, final);
	int rc = dv_gcm_seal(w->gcm, nonce, aad, sizeof(aad), buf, len, w->out, w->out + len);
	if (rc < 0) return rc;
	size_t n = len + DV_GCM_TAG_BYTES;
	rc = pwrite_all(w->fd, w->out, n, w->file_off, w->tmp_path);
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

int dv_blob_writer_write(dv_blob_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	int rc = dv_sha256_update(w->sha, p, n);
	if (rc < 0) return rc;
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
		w->size += take;
	}
	return 0;
}

/*
 * The common end of a blob: the last chunk, the header, (fsync,) close, the
 * name. On failure the temporary file is removed and w freed.
 */
static int complete(dv_blob_writer *w, bool sync_now, uint8_t sha256_out[DV_SHA256_BYTES],
                    char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out)
{
	int rc;
	dv_put_u64be(w->header + 16, w->size);
	if ((rc = seal_last(w)) < 0 ||
	    (rc = pwrite_all(w->fd, w->header, DV_BLOB_HEADER_BYTES, 0, w->tmp_path)) < 0 ||
	    (sync_now && (rc = dv_fsync(w->fd, w->tmp_path)) < 0) ||
	    (rc = dv_sha256_final(w->sha, sha256_out)) < 0)
		goto fail;
	if (close(w->fd) < 0) {
		w->fd = -1;
		rc = dv_error_errno(errno, w->tmp_path, -1, "cannot close blob");
		unlink(w->tmp_path);
		goto fail;
	}
	w->fd = -1;
	dv_blob_name(w->bs, sha256_out, name_out);
	*size_out = w->size;
	return 0;
fail:
	dv_blob_writer_abort(w);
	return rc;
}

int dv_blob_writer_commit(dv_blob_writer *w, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out,
                          bool *deduplicated)
{
	int rc;
	char path[4096], dir[4096];
	*deduplicated = false;
	if ((rc = complete(w, true, sha256_out, name_out, size_out)) < 0) return rc;
	if ((rc = dv_blob_path(w->bs, name_out, path, sizeof(path))) < 0 ||
	    (rc = dv_pathf(dir, sizeof(dir), "%s/%.2s", w->bs->dir, name_out)) < 0)
		goto fail_unlink;
	struct stat st;
	if (stat(path, &st) == 0) {
		/* Same content already stored: content addressing makes this a no-op. */
		*deduplicated = true;
		unlink(w->tmp_path);
		dv_blob_writer_abort(w);
		return 0;
	}
	if (mkdir(dir, 0700) == 0) {
		if ((rc = dv_fsync_dir(w->bs->dir)) < 0) goto fail_unlink;
	} else if (errno != EEXIST) {
		rc = dv_error_errno(errno, dir, -1, "cannot create blob directory");
		goto fail_unlink;
	}
	if (rename(w->tmp_path, path) < 0) {
		rc = dv_error_errno(errno, path, -1, "cannot move blob into place");
		goto fail_unlink;
	}
	dv_blob_writer_abort(w);
	return dv_fsync_dir(dir);

fail_unlink:
	unlink(w->tmp_path);
	dv_blob_writer_abort(w);
	return rc;
}

/* ---- group durability ------------------------------------------------------ */
struct dv_blob_pending {
	char tmp[4096];
	char name[DV_BLOB_NAME_HEX + 1];
};

int dv_blob_writer_finish(dv_blob_writer *w, dv_blob_batch *batch, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out, bool *deduplicated)
{
	int rc;
	*deduplicated = false;
	if ((rc = complete(w, false, sha256_out, name_out, size_out)) < 0) return rc;
	bool pending = false;
	for (size_t i = 0; i < batch->n && !pending; i++) pending = !strcmp(batch->items[i].name, name_out);
	if (pending || dv_blob_exists(w->bs, name_out)) {
		*deduplicated = true;
		unlink(w->tmp_path);
		dv_blob_writer_abort(w);
		return 0;
	}
	if (batch->n == batch->cap) {
		size_t cap = batch->cap ? batch->cap * 2 : 64;
		struct dv_blob_pending *ni = realloc(batch->items, cap * sizeof(*ni));
		if (!ni) {
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			unlink(w->tmp_path);
			goto fail;
		}
		batch->items = ni;
		batch->cap = cap;
	}
	struct dv_blob_pending *p = &batch->items[batch->n++];
	snprintf(p->tmp, sizeof(p->tmp), "%s", w->tmp_path);
	memcpy(p->name, name_out, sizeof(p->name));
	batch->bytes += w->size;
	dv_blob_writer_abort(w); /* fd is closed: nothing is removed */
	return 0;
fail:
	dv_blob_writer_abort(w);
	return rc;
}

static int sync_fs_of(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, dir, -1, "cannot open");
	int rc = syncfs(fd) < 0 ? dv_error_errno(errno, dir, -1, "cannot sync the file system") : 0;
	close(fd);
	return rc;
}

int dv_blob_batch_settle(dv_blobstore *bs, dv_blob_batch *batch)
{
	if (batch->n == 0) return 0;
	/* 1. every blob's data and header on disk */
	int rc = sync_fs_of(bs->tmpdir);
	/* 2. into place */
	for (size_t i = 0; rc == 0 && i < batch->n; i++) {
		struct dv_blob_pending *p = &batch->items[i];
		char path[4096], dir[4096];
		if ((rc = dv_blob_path(bs, p->name, path, sizeof(path))) < 0 ||
		    (rc = dv_pathf(dir, sizeof(dir), "%s/%.2s", bs->dir, p->name)) < 0)
			break;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = dv_error_errno(errno, dir, -1, "cannot create blob directory");
			break;
		}
		if (rename(p->tmp, path) < 0) {
			rc = dv_error_errno(errno, path, -1, "cannot move blob into place");
			break;
		}
		p->tmp[0] = '\0';
	}
	/* 3. the renames and new directories on disk */
	if (rc == 0) rc = sync_fs_of(bs->dir);
	if (rc == 0) {
		batch->n = 0;
		batch->bytes = 0;
	}
	return rc;
}

void dv_blob_batch_dispose(dv_blob_batch *batch)
{
	for (size_t i = 0; i < batch->n; i++)
		if (batch->items[i].tmp[0]) unlink(batch->items[i].tmp);
	free(batch->items);
	memset(batch, 0, sizeof(*batch));
}

/* ---- reading ------------------------------------------------------------ */
int dv_blob_read(dv_blobstore *bs, const char *name, dv_blob_sink sink, void *payload,
                 uint8_t sha256_out[DV_SHA256_BYTES], uint64_t *size_out)
{
	char path[4096];
	int rc = dv_blob_path(bs, name, path, sizeof(path));
	if (rc < 0) return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return dv_error_set(DV_ENOTFOUND, path, -1, "blob missing");
		return dv_error_errno(errno, path, -1, "cannot open blob");
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint8_t header[DV_BLOB_HEADER_BYTES];
	dv_blob_header h;
	dv_sha256 *sha = NULL;
	dv_gcm *gcm = NULL;
	uint8_t *buf = NULL;
	size_t got;
	struct stat st;
	if ((rc = dv_pread_full(fd, header, sizeof(header), 0, &got, path)) < 0 ||
	    (rc = dv_blob_header_parse(header, got, path, &h)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		rc = dv_error_errno(errno, path, -1, "cannot stat blob");
		goto out;
	}
	if ((uint64_t)st.st_size != dv_blob_stored_size(&h)) {
		rc = dv_error_set(DV_ECORRUPT, path, st.st_size,
		                  "blob is %lld bytes, its header says %llu",
		                  (long long)st.st_size, (unsigned long long)dv_blob_stored_size(&h));
		goto out;
	}
	if ((rc = dv_sha256_new(&sha)) < 0 || (rc = blob_key_gcm(&gcm, bs, h.salt)) < 0)
		goto out;
	if (!(buf = malloc((size_t)h.chunk_size + DV_GCM_TAG_BYTES))) {
		rc = dv_error_set(DV_ENOMEM, path, -1, "out of memory");
		goto out;
	}
	uint64_t left = h.size, off = DV_BLOB_HEADER_BYTES, i = 0;
	do {
		size_t n = left < h.chunk_size ? (size_t)left : h.chunk_size;
		int final = left <= h.chunk_size;
		uint8_t nonce[12], aad[DV_BLOB_HEADER_BYTES - 8 + 1];
		if ((rc = dv_pread_full(fd, buf, n + DV_GCM_TAG_BYTES, (int64_t)off, &got, path)) < 0)
			goto out;
		if (got != n + DV_GCM_TAG_BYTES) {
			rc = dv_error_set(DV_ECORRUPT, path, (int64_t)(off + got), "blob truncated");
			goto out;
		}
		chunk_nonce(nonce, i);
		chunk_aad(aad, header, final);
		if (dv_gcm_open(gcm, nonce, aad, sizeof(aad), buf, n, buf, buf + n) < 0) {
			rc = dv_error_set(DV_ECORRUPT, path, (int64_t)off,
			                  "chunk %llu fails authentication (tampered or damaged)",
			                  (unsigned long long)i);
			goto out;
		}
		if ((rc = dv_sha256_update(sha, buf, n)) < 0) goto out;
		if (sink && (rc = sink(buf, n, payload)) != 0) goto out;
		left -= n;
		off += n + DV_GCM_TAG_BYTES;
		i++;
	} while (left > 0);
	if ((rc = dv_sha256_final(sha, sha256_out)) < 0) goto out;
	char expect[DV_BLOB_NAME_HEX + 1];
	dv_blob_name(bs, sha256_out, expect);
	if (strcmp(expect, name) != 0) {
		rc = dv_error_set(DV_ECORRUPT, path, -1, "content does not match the blob's name");
		goto out;
	}
	if (size_out) *size_out = h.size;
out:
	free(buf);
	dv_gcm_free(gcm);
	dv_sha256_free(sha);
	close(fd);
	return rc;
}

int dv_blob_foreach(dv_blobstore *bs, int (*fn)(const char *name, void *payload), void *payload)
{
	DIR *top = opendir(bs->dir);
	if (!top) return dv_error_errno(errno, bs->dir, -1, "cannot list blobs");
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(top))) {
		if (e->d_name[0] == '.') continue;
		char sub[4096];
		if ((rc = dv_pathf(sub, sizeof(sub), "%s/%s", bs->dir, e->d_name)) < 0) break;
		DIR *d = opendir(sub);
		if (!d) continue;
		struct dirent *f;
		while (rc == 0 && (f = readdir(d)))
			if (f->d_name[0] != '.') rc = fn(f->d_name, payload);
		closedir(d);
	}
	closedir(top);
	return rc;
}
