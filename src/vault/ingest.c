#include "dv/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/custody_actions.h"
#include "dv/verify.h"
#include "dv/err.h"
#include "dv/util.h"
#include "privsep/privsep_int.h"

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

/* ---- the reader's listing, checked -------------------------------------------- */
#define MAX_FILES (4u << 20)

struct listing {
	char kind[16], fs_type[32], label[64];
	char path[4096];         /* our own realpath of the source, never the child's word */
	uint64_t image_size;
	dv_msg_file *files;      /* as the reader listed them, checked */
	size_t n, cap;
	uint64_t skipped;
};

static void listing_free(struct listing *l)
{
	free(l->files);
	l->files = NULL;
	l->n = l->cap = 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
	return true;
}

static int fault(dv_reader *rd, int64_t off, const char *what)
{
	int rc = dv_error_set(DV_ECORRUPT, "reader", off, "protocol fault: %s", what);
	dv_reader_kill(rd);
	return rc;
}

/* A receive that failed: the child died (EOF), broke the protocol, or said
 * ERROR. Either way it is gone afterwards. */
static int recv_failed(dv_reader *rd, int rc)
{
	if (rc == DV_EIO && rd->ch.fd >= 0) return dv_reader_died(rd);
	dv_reader_kill(rd);
	return rc;
}

static int recv_or_error(dv_reader *rd, uint8_t *t, dv_rd *p)
{
	int rc = dv_chan_recv(&rd->ch, t, p);
	if (rc < 0) return recv_failed(rd, rc);
	if (*t == DV_MSG_ERROR) {
		rc = dv_msg_error_decode(p);
		dv_reader_kill(rd);
		return rc;
	}
	return 0;
}

static int by_file_path(const void *a, const void *b)
{
	return strcmp((*(const dv_msg_file *const *)a)->path, (*(const dv_msg_file *const *)b)->path);
}

/* What we expect the reader to find, from our own look at the source. */
static int expected_kind(const dv_ingest_opts *o, struct listing *l, const char **kind)
{
	const char *p = o->source ? o->source : o->files[0];
	char *abs = realpath(p, NULL);
	if (!abs) return dv_error_errno(errno, p, -1, "cannot open source");
	snprintf(l->path, sizeof(l->path), "%s", abs);
	free(abs);
	struct stat st;
	if (stat(l->path, &st) < 0) return dv_error_errno(errno, p, -1, "cannot stat source");
	*kind = !o->source ? "files" : S_ISDIR(st.st_mode) ? "directory" : "image";
	return 0;
}

static int reader_list(dv_reader *rd, const dv_ingest_opts *o, struct listing *l)
{
	const char *want;
	int rc = expected_kind(o, l, &want);
	if (rc < 0) return rc;
	if ((rc = dv_reader_start(rd)) < 0) return rc;
	dv_msg_buf b = { 0 };
	dv_msg_u8(&b, o->source ? 0 : 1);
	dv_msg_u8(&b, o->observer && (o->observer->reader_flags & DV_INGEST_READ_TELEMETRY) ? DV_OPEN_TELEMETRY : 0);
	size_t n = o->source ? 1 : o->nfiles;
	dv_msg_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) dv_msg_str(&b, o->source ? o->source : o->files[i]);
	if (b.failed) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	else rc = dv_chan_send(rd->ch.fd, DV_MSG_OPEN, b.p, b.len, NULL, 0);
	dv_msg_free(&b);
	if (rc < 0) return recv_failed(rd, rc);

	uint8_t t;
	dv_rd p;
	dv_chan_phase(&rd->ch, &dv_phase_open);
	if ((rc = recv_or_error(rd, &t, &p)) < 0) return rc;
	if (dv_msg_get_str(&p, l->kind, sizeof(l->kind), "kind") < 0 ||
	    dv_msg_get_str(&p, l->fs_type, sizeof(l->fs_type), "file system type") < 0 ||
	    dv_msg_get_str(&p, l->label, sizeof(l->label), "volume label") < 0 || dv_rd_u64be(&p, &l->image_size) < 0)
		return recv_failed(rd, DV_ECORRUPT);
	if (strcmp(l->kind, want) || !printable(l->fs_type) || !printable(l->label) ||
	    (!strcmp(want, "image") && !l->fs_type[0]))
		return fault(rd, p.base, "the reader's description of the source does not match it");

	dv_chan_phase(&rd->ch, &dv_phase_list);
	for (;;) {
		if ((rc = recv_or_error(rd, &t, &p)) < 0) return rc;
		if (t == DV_MSG_LIST_END) break;
		if (l->n >= MAX_FILES) return fault(rd, p.base, "more than 4194304 files");
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;
			dv_msg_file *nf = realloc(l->files, cap * sizeof(*nf));
			if (!nf) {
				dv_reader_kill(rd);
				return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			}
			l->files = nf;
			l->cap = cap;
		}
		if ((rc = dv_msg_file_decode(&p, &l->files[l->n])) < 0) return recv_failed(rd, rc);
		l->n++;
	}
	uint64_t count;
	if (dv_rd_u64be(&p, &count) < 0 || dv_rd_u64be(&p, &l->skipped) < 0 || count != l->n)
		return fault(rd, p.base, "the listing's count does not match its files");
	if (!o->source && l->n != o->nfiles) return fault(rd, p.base, "a different number of files than given");
	/* no path twice */
	const dv_msg_file **sorted = malloc((l->n ? l->n : 1) * sizeof(*sorted));
	if (!sorted) {
		dv_reader_kill(rd);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	for (size_t i = 0; i < l->n; i++) sorted[i] = &l->files[i];
	if (l->n) qsort(sorted, l->n, sizeof(*sorted), by_file_path);
	bool dup = false;
	for (size_t i = 1; i < l->n && !dup; i++) dup = !strcmp(sorted[i - 1]->path, sorted[i]->path);
	free(sorted);
	if (dup) return fault(rd, p.base, "a path listed twice");
	dv_chan_phase(&rd->ch, &dv_phase_read);
	return 0;
}

/* ---- the copy loop ------------------------------------------------------------ */
struct run {
	dv_vault *v;
	const dv_ingest_opts *o;
	dv_ingest_result *res;
	dv_ingest_progress prog;
	dv_blob_writer *w;
	dv_blob_batch batch;   /* blobs written since the last commit, not yet durable */
	dv_reader rd;
	uint8_t *tele;         /* the reader's telemetry record of this file */
	uint8_t *copy;         /* a ring slot's bytes, copied out */
	size_t tele_len;
	const char *root;      /* directory sources: our realpath of it; NULL otherwise */
};

static void report(struct run *r)
{
	if (r->o->progress) r->o->progress(&r->prog, r->o->payload);
}

/* A directory source's file, as a descriptor the reader opened: checked
 * (a regular file, read-only, of the listed size) and read here with pread
 * (the reader cannot move our offset). A read failure is the source's
 * (message in err, 0 returned); DV_ECORRUPT: the descriptor is not what it
 * should be; other errors: the vault's. */
static int read_fd(struct run *r, int fd, const dv_msg_file *f, uint64_t *got, char *err, size_t errcap)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fl < 0 || (fl & O_ACCMODE) != O_RDONLY)
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the descriptor for %s is not a read-only regular file",
		                    f->path);
	/* The reader could open any file it can read (it runs as we do) and
	 * pass it off as card evidence: the descriptor must name a file beneath
	 * the source directory we resolved ourselves. */
	if (r->root) {
		char link[64], at[DV_PATH_MAX + 1];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, at, sizeof(at) - 1);
		size_t rl = strlen(r->root);
		if (n < 0 || (size_t)n <= rl || strncmp(at, r->root, rl) || (at[rl] != '/' && strcmp(r->root, "/")))
			return dv_error_set(DV_ECORRUPT, "reader", -1,
			                    "protocol fault: the descriptor for a listed file is not beneath the source");
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint64_t done = 0;
	for (;;) {
		ssize_t n = pread(fd, r->copy, READ_BUF, (off_t)done);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) {
			dv_error_errno(errno, f->path, (int64_t)done, "cannot read");
			snprintf(err, errcap, "%s", dv_error_text());
			break;
		}
		if (n == 0) break;
		if ((uint64_t)n > f->size - done) {
			snprintf(err, errcap, "%s: file changed while being read (listed %llu bytes, more now)", f->path,
			         (unsigned long long)f->size);
			break;
		}
		if (r->o->interrupted && *r->o->interrupted) return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
		int rc = dv_blob_writer_write(r->w, r->copy, (size_t)n);
		if (rc < 0) return rc;
		done += (uint64_t)n;
		r->prog.bytes_done += (uint64_t)n;
		r->res->bytes_read += (uint64_t)n;
		report(r);
	}
	if (!err[0] && done != f->size)
		snprintf(err, errcap, "%s: offset %llu: file changed while being read (listed %llu bytes, read %llu)", f->path,
		         (unsigned long long)done, (unsigned long long)f->size, (unsigned long long)done);
	*got = done;
	return 0;
}

/* Receives one file from the reader into the open blob writer. 0, or a
 * source-side error (the reader could not read it: *source_failed), or a
 * fatal one (the reader is gone or lied; the vault refused). */
static int receive_file(struct run *r, const dv_msg_file *f, uint32_t index, bool *source_failed)
{
	dv_reader *rd = &r->rd;
	uint8_t idx[4];
	dv_put_u32be(idx, index);
	int rc = dv_chan_send(rd->ch.fd, DV_MSG_READ, idx, 4, NULL, 0);
	if (rc < 0) return recv_failed(rd, rc);
	dv_chan_phase(&rd->ch, &dv_phase_read);
	uint64_t got = 0;
	uint32_t next_slot = 0;
	bool by_fd = false;           /* we read the bytes ourselves */
	char own_error[DV_ERROR_MSG_MAX + DV_ERROR_PATH_MAX] = "";
	for (;;) {
		uint8_t t;
		dv_rd p;
		if ((rc = recv_or_error(rd, &t, &p)) < 0) return rc;
		if (t == DV_MSG_FILE_FD) {
			int fd = dv_chan_take_fd(&rd->ch);
			if (fd < 0) return fault(rd, p.base, "a file descriptor frame without a descriptor");
			if (got) {
				close(fd);
				return fault(rd, p.base, "a descriptor after data");
			}
			by_fd = true;
			rc = read_fd(r, fd, f, &got, own_error, sizeof(own_error));
			close(fd);
			if (rc == DV_ECORRUPT) return fault(rd, p.base, dv_error_last()->message);
			if (rc < 0) {
				dv_reader_kill(rd);
				return rc;
			}
			continue;
		}
		if (by_fd && t != DV_MSG_TELEMETRY && t != DV_MSG_FILE_END) return fault(rd, p.base, "data after a descriptor");
		if (t == DV_MSG_DATA_REF) {
			/* the bytes are in shared memory the reader can rewrite at any
			 * time: bound the reference, copy out, hand the slot back, and
			 * from here on use only our copy */
			uint32_t slot, n;
			if (!rd->ring || dv_rd_u32be(&p, &slot) < 0 || dv_rd_u32be(&p, &n) < 0 || slot != next_slot ||
			    n > DV_RING_SLOT)
				return fault(rd, p.base, "a bad reference into the plaintext ring");
			if (n > f->size - got) return fault(rd, p.base, "more bytes than the file has");
			memcpy(r->copy, rd->ring + (size_t)slot * DV_RING_SLOT, n);
			uint8_t ack[4];
			dv_put_u32be(ack, slot);
			if ((rc = dv_chan_send(rd->ch.fd, DV_MSG_ACK, ack, 4, NULL, 0)) < 0) return recv_failed(rd, rc);
			next_slot = (slot + 1) % DV_RING_SLOTS;
			p = dv_rd_init(r->copy, n, "reader", p.base);
		}
		if (t == DV_MSG_DATA || t == DV_MSG_DATA_REF) {
			size_t n = dv_rd_left(&p);
			if (n > f->size - got) return fault(rd, p.base, "more bytes than the file has");
			if (r->o->interrupted && *r->o->interrupted) {
				dv_reader_kill(rd);
				return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
			}
			/* the blob writer hashes what it stores: the hash is ours */
			if ((rc = dv_blob_writer_write(r->w, dv_rd_ptr(&p), n)) < 0) {
				dv_reader_kill(rd);
				return rc;
			}
			got += n;
			r->prog.bytes_done += n;
			r->res->bytes_read += n;
			report(r);
		} else if (t == DV_MSG_TELEMETRY) {
			if (!r->o->observer || !r->o->observer->store)
				return fault(rd, p.base, "telemetry that was not asked for");
			free(r->tele);
			r->tele_len = dv_rd_left(&p);
			if (!(r->tele = malloc(r->tele_len ? r->tele_len : 1))) {
				dv_reader_kill(rd);
				return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			}
			memcpy(r->tele, dv_rd_ptr(&p), r->tele_len);
		} else { /* FILE_END */
			uint8_t ok;
			char msg[DV_MSG_STR_MAX];
			if (dv_rd_u8(&p, &ok) < 0 || ok > 1 || dv_msg_get_str(&p, msg, sizeof(msg), "message") < 0)
				return recv_failed(rd, DV_ECORRUPT);
			if (ok && own_error[0]) {
				*source_failed = true;
				return dv_error_set(DV_EIO, NULL, -1, "%s", own_error);
			}
			if (ok && got != f->size) return fault(rd, p.base, "a file ended short of its listed size");
			if (!ok) {
				*source_failed = true;
				return dv_error_set(DV_EIO, NULL, -1, "%s", printable(msg) ? msg : "the reader could not read a file");
			}
			return 0;
		}
	}
}

/* Stores one file. Returns 0, a source-side error (>=: caller goes on) via
 * *source_failed, or a vault-side error (negative, caller stops). */
static int store_file(struct run *r, const dv_msg_file *f, uint32_t index, int64_t ingest_id, bool *source_failed)
{
	dv_catalog *cat = dv_vault_catalog(r->v);
	const dv_ingest_observer *ob = r->o->observer;
	*source_failed = false;
	free(r->tele);
	r->tele = NULL;
	int rc = dv_blob_writer_open(&r->w, dv_vault_blobs(r->v));
	if (rc < 0) return rc;
	rc = receive_file(r, f, index, source_failed);
	if (rc < 0) {
		dv_blob_writer_abort(r->w);
		r->w = NULL;
		return rc;
	}
	uint8_t sha[32];
	char name[DV_BLOB_NAME_HEX + 1];
	uint64_t size;
	bool dedup;
	rc = dv_blob_writer_finish(r->w, &r->batch, sha, name, &size, &dedup);
	r->w = NULL;
	if (rc < 0) return rc;
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
	if (rc == 0 && r->tele && ob && ob->store)
		rc = ob->store(cat, rec->id, f->path, r->tele, r->tele_len, ob->payload);
	free(r->tele);
	r->tele = NULL;
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

static int complete_row(dv_catalog *cat, uint64_t seq, void *payload)
{
	dv_ingest_rec *rec = payload;
	rec->state = DV_INGEST_COMPLETE;
	rec->log_seq = seq;
	int rc = dv_catalog_ingest_update(cat, rec);
	if (rc < 0) rec->state = DV_INGEST_OPEN;
	return rc;
}

static void log_label(json_object *b, const struct listing *l)
{
	if (l->label[0]) json_object_object_add(b, "volume_label", json_object_new_string(l->label));
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

/* The whole image, hashed here from raw bytes (no parsing: nothing for the
 * reader to do, and the evidence hash must be ours). */
static int hash_image(struct run *r, const char *path, uint8_t out[32], uint64_t *size, uint8_t *buf)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM) fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, path, -1, "cannot open image");
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	dv_sha256 *h;
	int rc = dv_sha256_new(&h);
	uint64_t off = 0;
	while (rc == 0) {
		ssize_t n = read(fd, buf, READ_BUF);
		if (n < 0) {
			if (errno == EINTR) continue;
			rc = dv_error_errno(errno, path, (int64_t)off, "cannot read image");
			break;
		}
		if (n == 0) break;
		off += (uint64_t)n;
		if ((rc = dv_sha256_update(h, buf, (size_t)n)) < 0) break;
		if (r->o->interrupted && *r->o->interrupted) rc = dv_error_set(DV_EINTR, NULL, -1, "interrupted");
		r->prog.bytes_done += (uint64_t)n;
		report(r);
	}
	if (rc == 0) rc = dv_sha256_final(h, out);
	dv_sha256_free(h);
	close(fd);
	*size = off;
	return rc;
}

int dv_ingest(dv_vault *v, const dv_ingest_opts *o, dv_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	if (!o->case_name || !*o->case_name || !o->operator_name || !*o->operator_name || (!o->source && !o->nfiles))
		return dv_error_set(DV_EINVAL, NULL, -1, "ingest needs a case, an operator and a source");
	if (!o->source && o->nfiles > 100000) return dv_error_set(DV_EINVAL, NULL, -1, "give 1 to 100000 files");
	int rc;
	dv_catalog *cat = dv_vault_catalog(v);
	uint8_t *buf = NULL;
	dv_ingest_rec *rec = calloc(1, sizeof(*rec));
	dv_file_rec *have = NULL;   /* what a resumed ingest already holds of a file */
	struct json_object *body = NULL;
	struct listing *info = calloc(1, sizeof(*info));
	struct run r = { .v = v, .o = o, .res = res, .prog = { "listing", NULL, 0, 0, 0, 0 } };
	r.rd.pid = -1;
	r.rd.ch.fd = -1;
	if (!rec || !info || !(r.copy = malloc(READ_BUF > DV_RING_SLOT ? READ_BUF : DV_RING_SLOT))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	if (o->source) {
		const char *want;
		if ((rc = expected_kind(o, info, &want)) < 0) goto out;
		if (!strcmp(want, "directory")) {
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
	}
	report(&r);
	if ((rc = reader_list(&r.rd, o, info)) < 0) goto out;
	res->sandboxed = r.rd.seccomp;
	if (!strcmp(info->kind, "directory")) r.root = info->path;
	snprintf(res->kind, sizeof(res->kind), "%s", info->kind);
	snprintf(res->fs_type, sizeof(res->fs_type), "%s", info->fs_type);
	const dv_msg_file *files = info->files;
	size_t nfiles = info->n;
	res->files_total = nfiles;
	res->specials_skipped = info->skipped;
	for (size_t i = 0; i < nfiles; i++) res->bytes_total += files[i].size;  /* each < 2^50, n < 2^22 */

	/* The case, and the open ingest of this source if an earlier run stopped. */
	dv_case c;
	char ident[4200];
	uint8_t source_tag[32];
	snprintf(ident, sizeof(ident), "%s|%s", info->kind, info->path);
	if ((rc = dv_catalog_tag(source_tag, cat, "source", ident, strlen(ident))) < 0 ||
	    (rc = dv_catalog_begin(cat)) < 0)
		goto out;
	rc = dv_catalog_case_find(&c, cat, o->case_name);
	if (rc == DV_ENOTFOUND) rc = dv_catalog_case_create(&c, cat, o->case_name);
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
			if (!(buf = malloc(READ_BUF))) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				goto out;
			}
			if ((rc = hash_image(&r, info->path, rec->image_sha256, &rec->image_size, buf)) < 0) goto out;
			rec->has_image_hash = true;
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
		const dv_msg_file *f = &files[i];
		r.prog.path = f->path;
		/* only a resumed ingest can hold this file already */
		int found = res->resumed ? dv_catalog_file_find(have, cat, rec->id, f->path) : DV_ENOTFOUND;
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
		rc = store_file(&r, f, (uint32_t)i, rec->id, &source_failed);
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
	if (rc == 0) rc = dv_reader_stop(&r.rd);
	if (rc < 0) {
		/* Keep what is stored: the blobs are durable, their rows commit. */
		int err = rc;
		dv_error saved = *dv_error_last();
		dv_reader_kill(&r.rd);
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
	/* read in the sandboxed reader (dv-reader) */
	json_object_object_add(body, "sandbox", json_object_new_boolean(res->sandboxed));
	/* the derived rows too (tracks and points shown in court) */
	uint8_t tele[32];
	if ((rc = dv_telemetry_digest(tele, NULL, cat, rec->id)) < 0) goto out;
	add_hex(body, "telemetry_sha256", tele, 32);
	rec->files = nstored;
	rec->bytes = bytes;
	rec->finished_ns = dv_now_ns();
	/* the row is completed in the transaction that records the entry as head */
	if ((rc = dv_vault_log_with(v, body, &rec->log_seq, complete_row, rec)) < 0) goto out;
	res->complete = true;
	res->log_seq = rec->log_seq;
out:
	json_object_put(body);
	if (r.w) dv_blob_writer_abort(r.w);
	dv_reader_kill(&r.rd);
	free(r.tele);
	free(r.copy);
	dv_blob_batch_dispose(&r.batch);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	if (info) listing_free(info);
	free(info);
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
