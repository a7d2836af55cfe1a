#include "dv/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
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

struct failed_entry {
	char *path, *message;
};

struct own_id {
	uint64_t dev, ino;
};

struct listing {
	char kind[16], fs_type[32], label[64];
	char format[8], ewf_md5[33], ewf_sha1[41], media_md5[33], media_sha1[41];
	char path[4096];         /* our own realpath of the source, never the child's word */
	uint64_t image_size;
	dv_msg_file *files;      /* as the reader listed them, checked */
	size_t n, cap;
	uint64_t skipped;
	struct failed_entry *failed;  /* what the reader could not list (per-file failures) */
	size_t nfailed, capfailed;
	int root_fd;             /* directory: our own descriptor of it (O_PATH), -1 otherwise */
	struct own_id *own;      /* files: each file's device and inode, from our own stat */
	struct recovery { uint64_t deleted_size; bool reallocated; } *rec;  /* per file, recovery only */
	size_t caprec, nrec;
};

static void listing_free(struct listing *l)
{
	free(l->files);
	l->files = NULL;
	l->n = l->cap = 0;
	for (size_t i = 0; i < l->nfailed; i++) {
		free(l->failed[i].path);
		free(l->failed[i].message);
	}
	free(l->failed);
	l->failed = NULL;
	l->nfailed = l->capfailed = 0;
	if (l->root_fd >= 0) close(l->root_fd);
	l->root_fd = -1;
	free(l->own);
	l->own = NULL;
	free(l->rec);
	l->rec = NULL;
	l->caprec = 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
	return true;
}

static bool hex_or_empty(const char *s, size_t n)
{
	size_t l = strlen(s);
	if (l == 0) return true;
	if (l != n) return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
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

/* Our own hold on what the reader will read: the source directory's
 * descriptor (every descriptor the reader passes must be the file at its
 * listed path beneath it), or each single file's device and inode. */
static int own_hold(const dv_ingest_opts *o, struct listing *l, const char *kind)
{
	if (!strcmp(kind, "directory")) {
		l->root_fd = open(l->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (l->root_fd < 0) return dv_error_errno(errno, l->path, -1, "cannot open source directory");
		return 0;
	}
	if (strcmp(kind, "files")) return 0;
	if (!(l->own = calloc(o->nfiles, sizeof(*l->own)))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; i < o->nfiles; i++) {
		struct stat st;
		if (stat(o->files[i], &st) < 0) return dv_error_errno(errno, o->files[i], -1, "cannot open");
		l->own[i].dev = (uint64_t)st.st_dev;
		l->own[i].ino = (uint64_t)st.st_ino;
	}
	return 0;
}

static int reader_list(dv_reader *rd, const dv_ingest_opts *o, struct listing *l)
{
	const char *want;
	int rc = expected_kind(o, l, &want);
	if (rc < 0 || (rc = own_hold(o, l, want)) < 0) return rc;
	if ((rc = dv_reader_start(rd)) < 0) return rc;
	dv_msg_buf b = { 0 };
	dv_msg_u8(&b, o->source ? 0 : 1);
	dv_msg_u8(&b, (uint8_t)((o->observer && (o->observer->reader_flags & DV_INGEST_READ_TELEMETRY) ? DV_OPEN_TELEMETRY : 0) |
	                        (o->recover_deleted ? DV_OPEN_RECOVER : 0)));
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
	if (dv_rd_left(&p) &&
	    (dv_msg_get_str(&p, l->format, sizeof(l->format), "image format") < 0 ||
	     dv_msg_get_str(&p, l->ewf_md5, sizeof(l->ewf_md5), "E01 MD5") < 0 ||
	     dv_msg_get_str(&p, l->ewf_sha1, sizeof(l->ewf_sha1), "E01 SHA-1") < 0 ||
	     dv_msg_get_str(&p, l->media_md5, sizeof(l->media_md5), "media MD5") < 0 ||
	     dv_msg_get_str(&p, l->media_sha1, sizeof(l->media_sha1), "media SHA-1") < 0))
		return recv_failed(rd, DV_ECORRUPT);
	if (strcmp(l->kind, want) || !printable(l->fs_type) || !printable(l->label) ||
	    (!strcmp(want, "image") && !l->fs_type[0]) || (l->format[0] && strcmp(l->format, "raw") && strcmp(l->format, "e01")) ||
	    !hex_or_empty(l->ewf_md5, 32) || !hex_or_empty(l->ewf_sha1, 40) || !hex_or_empty(l->media_md5, 32) ||
	    !hex_or_empty(l->media_sha1, 40) || (!strcmp(l->format, "e01") && (!l->media_md5[0] || !l->media_sha1[0])))
		return fault(rd, p.base, "the reader's description of the source does not match it");
	if (!strcmp(l->format, "e01") && ((l->ewf_md5[0] && strcmp(l->ewf_md5, l->media_md5)) ||
	                                  (l->ewf_sha1[0] && strcmp(l->ewf_sha1, l->media_sha1)))) {
		dv_reader_kill(rd);
		return dv_error_set(DV_ECORRUPT, l->path, -1,
		                    "the E01 image's data does not match the hash it carries (MD5 %s recorded, %s read; "
		                    "SHA-1 %s recorded, %s read): not ingested",
		                    l->ewf_md5[0] ? l->ewf_md5 : "none", l->media_md5, l->ewf_sha1[0] ? l->ewf_sha1 : "none",
		                    l->media_sha1);
	}

	dv_chan_phase(&rd->ch, &dv_phase_list);
	for (;;) {
		if ((rc = recv_or_error(rd, &t, &p)) < 0) return rc;
		if (t == DV_MSG_LIST_END) break;
		if (l->n + l->nfailed >= MAX_FILES) return fault(rd, p.base, "more than 4194304 files");
		if (t == DV_MSG_RECOVERY) {
			uint64_t avail;
			uint8_t re;
			if (!o->recover_deleted || l->n == 0 || l->nrec != l->n - 1 || dv_rd_u64be(&p, &avail) < 0 ||
			    dv_rd_u8(&p, &re) < 0 || re > 1 || avail < l->files[l->n - 1].size || avail > (1ull << 50))
				return fault(rd, p.base, "a bad recovery record");
			if (l->caprec < l->cap) {
				struct recovery *nr = realloc(l->rec, l->cap * sizeof(*nr));
				if (!nr) {
					dv_reader_kill(rd);
					return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				}
				memset(nr + l->caprec, 0, (l->cap - l->caprec) * sizeof(*nr));
				l->rec = nr;
				l->caprec = l->cap;
			}
			l->rec[l->n - 1].deleted_size = avail;
			l->rec[l->n - 1].reallocated = re;
			l->nrec++;
			continue;
		}
		if (t == DV_MSG_FILE_FAILED) {
			char fp[DV_MSG_STR_MAX], fm[DV_MSG_STR_MAX];
			if ((rc = dv_msg_failed_decode(&p, fp, sizeof(fp), fm, sizeof(fm))) < 0) return recv_failed(rd, rc);
			if (l->nfailed == l->capfailed) {
				size_t cap = l->capfailed ? l->capfailed * 2 : 16;
				struct failed_entry *nf = realloc(l->failed, cap * sizeof(*nf));
				if (!nf) {
					dv_reader_kill(rd);
					return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				}
				l->failed = nf;
				l->capfailed = cap;
			}
			struct failed_entry *e = &l->failed[l->nfailed];
			e->path = strdup(fp);
			e->message = strdup(printable(fm) ? fm : "cannot be listed");
			if (!e->path || !e->message) {
				free(e->path);
				free(e->message);
				dv_reader_kill(rd);
				return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			}
			l->nfailed++;
			continue;
		}
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
	if (o->recover_deleted && l->nrec != l->n) return fault(rd, p.base, "a deleted file without its recovery record");
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
	struct listing *info;
	dv_sha256 *hash;       /* comparing a re-run: its hash instead of a blob */
	uint64_t last_dev, last_ino; /* the inode the last descriptor named */
	int dir_fd;            /* our O_PATH descriptor of the last file's directory */
	char *dir_path;        /* ... and its path below the source */
};

/* The file at a listed path beneath our own descriptor of the source, by
 * one O_PATH | O_NOFOLLOW component at a time (no link followed, no ".."):
 * its stat, or -1. The names are the card's; we only look them up. */
static int own_lookup(struct run *r, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;
	const char *base = slash ? slash + 1 : path;
	int dfd = r->info->root_fd;
	if (dl) {
		if (!(r->dir_path && strlen(r->dir_path) == dl && !memcmp(r->dir_path, path, dl))) {
			if (r->dir_fd >= 0) close(r->dir_fd);
			r->dir_fd = -1;
			free(r->dir_path);
			r->dir_path = NULL;
			int cur = r->info->root_fd;
			for (const char *p = path; p < path + dl;) {
				const char *e = memchr(p, '/', (size_t)(path + dl - p));
				size_t cl = e ? (size_t)(e - p) : (size_t)(path + dl - p);
				char comp[NAME_MAX + 1];
				bool bad = cl == 0 || cl > NAME_MAX || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.');
				int next = -1;
				if (!bad) {
					memcpy(comp, p, cl);
					comp[cl] = '\0';
					next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				}
				if (cur != r->info->root_fd) close(cur);
				if (next < 0) return -1;
				cur = next;
				p += cl + 1;
			}
			if (!(r->dir_path = strndup(path, dl))) {
				close(cur);
				return -1;
			}
			r->dir_fd = cur;
		}
		dfd = r->dir_fd;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) return -1;
	return fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW);
}

/* The descriptor names a file outside the source directory (by the
 * kernel's name for it, when it has one). */
static bool outside_root(const struct run *r, int fd)
{
	char link[64], at[DV_PATH_MAX + 1];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, at, sizeof(at) - 1);
	if (n < 0) return false;
	at[n] = '\0';
	size_t rl = strlen(r->root);
	return (size_t)n <= rl || strncmp(at, r->root, rl) || (at[rl] != '/' && strcmp(r->root, "/"));
}

static void report(struct run *r)
{
	if (r->o->progress) r->o->progress(&r->prog, r->o->payload);
}

/* A file's next bytes: into the blob (which hashes them), or, when a
 * re-run is being compared with a complete ingest, only hashed. */
static int sink(struct run *r, const uint8_t *p, size_t n)
{
	if (r->w) return dv_blob_writer_write(r->w, p, n);
	return dv_sha256_update(r->hash, p, n);
}

/* A directory source's file, as a descriptor the reader opened: checked
 * (a regular file, read-only, of the listed size) and read here with pread
 * (the reader cannot move our offset). A read failure is the source's
 * (message in err, 0 returned); DV_ECORRUPT: the descriptor is not what it
 * should be; other errors: the vault's. */
static int read_fd(struct run *r, int fd, const dv_msg_file *f, uint32_t index, uint64_t *got, char *err, size_t errcap)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fl < 0 || (fl & O_ACCMODE) != O_RDONLY)
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the descriptor for %s is not a read-only regular file",
		                    f->path);
	/* The reader could open any file it can read (it runs as we do) and
	 * pass it off as card evidence, and the card's directories can be
	 * swapped for links while we read: the descriptor must be the very
	 * inode at the listed path beneath our own descriptor of the source
	 * (looked up here, no link followed), or the very file we were given. */
	bool same;
	if (r->info->own) {
		same = (uint64_t)st.st_dev == r->info->own[index].dev && (uint64_t)st.st_ino == r->info->own[index].ino;
	} else if (r->info->root_fd >= 0) {
		struct stat at;
		same = own_lookup(r, f->path, &at) == 0 && S_ISREG(at.st_mode) && at.st_dev == st.st_dev && at.st_ino == st.st_ino;
		if (!same && outside_root(r, fd))
			return dv_error_set(DV_ECORRUPT, "reader", -1,
			                    "protocol fault: the descriptor for a listed file is not beneath the source");
	} else {
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: a descriptor for a file inside an image");
	}
	r->last_dev = (uint64_t)st.st_dev;
	r->last_ino = (uint64_t)st.st_ino;
	if (!same) {
		snprintf(err, errcap, "%.1000s: changed since it was listed (replaced, or a directory on its path swapped): not stored",
		         f->path);
		*got = 0;
		return 0;
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
			snprintf(err, errcap, "%.1000s: file changed while being read (listed %llu bytes, more now)", f->path,
			         (unsigned long long)f->size);
			break;
		}
		if (r->o->interrupted && *r->o->interrupted) return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
		int rc = sink(r, r->copy, (size_t)n);
		if (rc < 0) return rc;
		done += (uint64_t)n;
		r->prog.bytes_done += (uint64_t)n;
		r->res->bytes_read += (uint64_t)n;
		report(r);
	}
	if (!err[0] && done != f->size)
		snprintf(err, errcap, "%.1000s: offset %llu: file changed while being read (listed %llu bytes, read %llu)", f->path,
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
			rc = read_fd(r, fd, f, index, &got, own_error, sizeof(own_error));
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
			if ((rc = sink(r, dv_rd_ptr(&p), n)) < 0) {
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

/* ---- files this process supplies (dv_ingest_stream) --------------------------- */
static int by_msg_path(const void *a, const void *b)
{
	return strcmp(((const dv_msg_file *)a)->path, ((const dv_msg_file *)b)->path);
}

static int stream_list(const dv_ingest_opts *o, struct listing *l)
{
	snprintf(l->kind, sizeof(l->kind), "files");
	snprintf(l->path, sizeof(l->path), "%s", o->stream_label && *o->stream_label ? o->stream_label : "supplied files");
	if (!(l->files = calloc(o->nstreams, sizeof(*l->files)))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	l->cap = o->nstreams;
	int64_t now = dv_now_ns();
	for (size_t i = 0; i < o->nstreams; i++) {
		const dv_ingest_stream *s = &o->streams[i];
		if (!s->name || !*s->name || strlen(s->name) >= sizeof(l->files[i].path) || !printable(s->name) || !s->read)
			return dv_error_set(DV_EINVAL, NULL, -1, "a supplied file needs a printable name and a reader");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l->files[j].path, s->name)) return dv_error_set(DV_EINVAL, s->name, -1, "two supplied files of one name");
		dv_msg_file *f = &l->files[l->n++];
		snprintf(f->path, sizeof(f->path), "%s", s->name);
		f->size = s->size;
		f->mtime_ns = f->atime_ns = f->ctime_ns = now;
		f->crtime_ns = INT64_MIN;
		f->mode = 0100600;
	}
	qsort(l->files, l->n, sizeof(*l->files), by_msg_path);
	return 0;
}

struct stream_sink {
	struct run *r;
	uint64_t got;
};

static int stream_bytes(const uint8_t *p, size_t n, void *payload)
{
	struct stream_sink *s = payload;
	struct run *r = s->r;
	if (r->o->interrupted && *r->o->interrupted) return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	int rc = sink(r, p, n);
	if (rc < 0) return rc;
	s->got += n;
	r->prog.bytes_done += n;
	r->res->bytes_read += n;
	report(r);
	return 0;
}

/* The supplied file listed as f (the listing is sorted: found by name). */
static int receive_stream(struct run *r, const dv_msg_file *f, uint32_t index)
{
	(void)index;
	const dv_ingest_stream *s = NULL;
	for (size_t i = 0; i < r->o->nstreams && !s; i++)
		if (!strcmp(r->o->streams[i].name, f->path)) s = &r->o->streams[i];
	if (!s) return dv_error_set(DV_EINVAL, f->path, -1, "a supplied file vanished from the list");
	struct stream_sink ss = { r, 0 };
	int rc = s->read(s->ctx, stream_bytes, &ss);
	if (rc < 0) return rc;
	if (rc > 0 || ss.got != f->size)
		return dv_error_set(DV_EIO, f->path, (int64_t)ss.got, "a supplied file gave %llu bytes of %llu", (unsigned long long)ss.got,
		                    (unsigned long long)f->size);
	return 0;
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
	rc = r->o->nstreams ? receive_stream(r, f, index) : receive_file(r, f, index, source_failed);
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
	if (!strcmp(l->format, "e01")) {
		/* the container's own hashes, checked against its media data by the reader */
		json_object_object_add(b, "image_format", json_object_new_string("e01"));
		json_object_object_add(b, "media_md5", json_object_new_string(l->media_md5));
		json_object_object_add(b, "media_sha1", json_object_new_string(l->media_sha1));
		if (l->ewf_md5[0]) json_object_object_add(b, "e01_md5", json_object_new_string(l->ewf_md5));
		if (l->ewf_sha1[0]) json_object_object_add(b, "e01_sha1", json_object_new_string(l->ewf_sha1));
	}
}

/* The ingest.start (ingest.resume) entry's body. */
static json_object *start_body(const dv_ingest_opts *o, const dv_ingest_rec *rec, const struct listing *info,
                               const dv_ingest_result *res, size_t nfiles)
{
	json_object *body = json_object_new_object();
	log_common(body, res->resumed ? DV_ACTION_INGEST_RESUME : DV_ACTION_INGEST_START, o, rec);
	log_label(body, info);
	if (o->note && *o->note) json_object_object_add(body, "note", json_object_new_string(o->note));
	json_object_object_add(body, "files", json_object_new_int64((int64_t)nfiles));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)res->bytes_total));
	return body;
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
/* The name of segment n (1-based) of a split E01 whose first segment is
 * first (".E01"/".e01"): E01..E99, then EAA..EZZ, FAA.. up to ZZZ, as
 * EnCase and libewf name them. False past the last possible name. */
static bool ewf_segment_name(char *out, size_t size, const char *first, unsigned n)
{
	size_t len = strlen(first);
	if (len < 4 || len >= size || first[len - 4] != '.') return false;
	bool lower = first[len - 3] == 'e';
	memcpy(out, first, len + 1);
	if (n >= 1 && n <= 99) {
		out[len - 3] = lower ? 'e' : 'E';
		out[len - 2] = (char)('0' + n / 10);
		out[len - 1] = (char)('0' + n % 10);
		return true;
	}
	unsigned k = n - 100;
	if (n < 100 || k >= 22u * 26 * 26) return false;
	char base = lower ? 'a' : 'A';
	out[len - 3] = (char)((lower ? 'e' : 'E') + k / 676);
	out[len - 2] = (char)(base + (k / 26) % 26);
	out[len - 1] = (char)(base + k % 26);
	return true;
}

/*
 * SHA-256 of an image as the bytes the imager wrote: a raw image or a single
 * E01 whole; a split E01 (segmented) as its segments one after the other
 * (.E01, .E02, ... until the first that does not exist), so the recorded
 * hash covers every segment, not the first alone. With segments non-NULL,
 * each segment's name, size and SHA-256 are added to it.
 */
static int hash_image(struct run *r, const char *path, bool segmented, uint8_t out[32], uint64_t *size, uint8_t *buf,
                      json_object *segments)
{
	dv_sha256 *h = NULL, *part = NULL;
	int rc = dv_sha256_new(&h);
	uint64_t off = 0;
	char name[4096];
	for (unsigned seg = 1; rc == 0; seg++) {
		const char *p = path;
		if (seg > 1) {
			if (!segmented || !ewf_segment_name(name, sizeof(name), path, seg)) break;
			p = name;
		}
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOATIME);
		if (fd < 0 && errno == EPERM) fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (seg > 1 && errno == ENOENT) break;  /* past the last segment */
			rc = dv_error_errno(errno, p, -1, "cannot open image");
			break;
		}
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		uint64_t seg_off = 0;
		if (segments && (rc = dv_sha256_new(&part)) < 0) {
			close(fd);
			break;
		}
		while (rc == 0) {
			ssize_t n = read(fd, buf, READ_BUF);
			if (n < 0) {
				if (errno == EINTR) continue;
				rc = dv_error_errno(errno, p, (int64_t)seg_off, "cannot read image");
				break;
			}
			if (n == 0) break;
			seg_off += (uint64_t)n;
			if ((rc = dv_sha256_update(h, buf, (size_t)n)) < 0 || (part && (rc = dv_sha256_update(part, buf, (size_t)n)) < 0))
				break;
			if (r->o->interrupted && *r->o->interrupted) rc = dv_error_set(DV_EINTR, NULL, -1, "interrupted");
			r->prog.bytes_done += (uint64_t)n;
			report(r);
		}
		close(fd);
		off += seg_off;
		if (rc == 0 && part) {
			uint8_t d[32];
			char hex[65];
			if ((rc = dv_sha256_final(part, d)) == 0) {
				dv_hex(hex, d, 32);
				const char *b = strrchr(p, '/');
				json_object *o = json_object_new_object();
				json_object_object_add(o, "name", json_object_new_string(b ? b + 1 : p));
				json_object_object_add(o, "size", json_object_new_int64((int64_t)seg_off));
				json_object_object_add(o, "sha256", json_object_new_string(hex));
				json_object_array_add(segments, o);
			}
		}
		dv_sha256_free(part);
		part = NULL;
	}
	if (rc == 0) rc = dv_sha256_final(h, out);
	dv_sha256_free(h);
	*size = off;
	return rc;
}

/* ---- a re-run of a complete ingest ---------------------------------------------- */
struct cand_ctx {
	const struct listing *l;
	dv_ingest_rec *best;
	bool found;
};

static int cand_fn(const dv_ingest_rec *rec, void *payload)
{
	struct cand_ctx *c = payload;
	if (rec->state == DV_INGEST_COMPLETE && !strcmp(rec->source, c->l->path) && !strcmp(rec->kind, c->l->kind) &&
	    !strcmp(rec->fs_type, c->l->fs_type) && rec->files == c->l->n && (!c->found || rec->id > c->best->id)) {
		*c->best = *rec;
		c->found = true;
	}
	return 0;
}

/*
 * Is this source, as read now, exactly a complete ingest of it in the case?
 * 1 yes (*cand is that ingest), 0 no, < 0 an error. Images compare their
 * whole-image SHA-256 (hashed here, kept in *img for the new ingest);
 * directories and files every path, size, time and content SHA-256 (read
 * and hashed, not stored).
 */
static int same_as_complete(struct run *r, int64_t case_id, dv_ingest_rec *cand, dv_ingest_rec *img, uint8_t **buf)
{
	dv_catalog *cat = dv_vault_catalog(r->v);
	struct listing *l = r->info;
	struct cand_ctx c = { l, cand, false };
	int rc = dv_catalog_ingest_list(cat, case_id, cand_fn, &c);
	if (rc < 0 || !c.found) return rc < 0 ? rc : 0;
	if (!strcmp(l->kind, "image")) {
		if (!cand->has_image_hash) return 0;
		r->prog.phase = "hashing image";
		r->prog.bytes_total = l->image_size;
		if (!*buf && !(*buf = malloc(READ_BUF))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		if ((rc = hash_image(r, l->path, !strcmp(l->format, "e01"), img->image_sha256, &img->image_size, *buf, NULL)) < 0)
			return rc;
		img->has_image_hash = true;
		return !memcmp(img->image_sha256, cand->image_sha256, 32) && img->image_size == cand->image_size;
	}
	dv_file_rec *have = malloc(sizeof(*have));
	if (!have) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	r->prog.phase = "comparing with the complete ingest";
	r->prog.files_total = l->n;
	r->prog.bytes_total = 0;
	for (size_t i = 0; i < l->n; i++) r->prog.bytes_total += l->files[i].size;
	int same = 1;
	for (size_t i = 0; i < l->n && same == 1; i++) {
		const dv_msg_file *f = &l->files[i];
		rc = dv_catalog_file_find(have, cat, cand->id, f->path);
		if (rc == DV_ENOTFOUND || (rc == 0 && (have->size != f->size || have->mtime_ns != f->mtime_ns))) {
			same = 0;
			break;
		}
		if (rc < 0) {
			same = rc;
			break;
		}
		r->prog.path = f->path;
		bool source_failed = false;
		uint8_t sha[32];
		if ((rc = dv_sha256_new(&r->hash)) == 0) rc = receive_file(r, f, (uint32_t)i, &source_failed);
		if (rc == 0) rc = dv_sha256_final(r->hash, sha);
		dv_sha256_free(r->hash);
		r->hash = NULL;
		if (rc < 0) {
			same = source_failed ? 0 : rc;
			break;
		}
		if (memcmp(sha, have->sha256, 32)) same = 0;
		r->prog.files_done++;
	}
	free(have);
	r->prog.files_done = 0;
	r->prog.bytes_done = 0;
	r->prog.path = NULL;
	return same;
}

/* The vault side stopped an ingest after its start (disk full, the reader
 * lied or died, ...): the custody log says so, not only the terminal. */
static void log_failed(dv_vault *v, const dv_ingest_opts *o, const dv_ingest_rec *rec, int code, const char *why)
{
	json_object *b = json_object_new_object();
	log_common(b, DV_ACTION_INGEST_FAILED, o, rec);
	json_object_object_add(b, "files_stored", json_object_new_int64(dv_catalog_file_count(dv_vault_catalog(v), rec->id)));
	json_object_object_add(b, "error", json_object_new_string(why));
	json_object_object_add(b, "code", json_object_new_string(dv_code_name(code)));
	(void)dv_vault_log(v, b, NULL);
	json_object_put(b);
}

static int ingest_run(dv_vault *v, const dv_ingest_opts *o, dv_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	if (!o->case_name || !*o->case_name || !o->operator_name || !*o->operator_name || (!o->source && !o->nfiles && !o->nstreams))
		return dv_error_set(DV_EINVAL, NULL, -1, "ingest needs a case, an operator and a source");
	if (o->nstreams && (o->source || o->nfiles || o->recover_deleted || o->nstreams > 100000 || !o->streams))
		return dv_error_set(DV_EINVAL, NULL, -1, "supplied files (streams) are a source of their own: 1 to 100000, alone");
	if (!o->source && o->nfiles > 100000) return dv_error_set(DV_EINVAL, NULL, -1, "give 1 to 100000 files");
	int rc;
	dv_catalog *cat = dv_vault_catalog(v);
	uint8_t *buf = NULL;
	dv_ingest_rec *rec = calloc(1, sizeof(*rec));
	dv_file_rec *have = NULL;   /* what a resumed ingest already holds of a file */
	struct json_object *body = NULL;
	json_object *segments = NULL;   /* a split E01: each segment's name, size and SHA-256 */
	struct listing *info = calloc(1, sizeof(*info));
	dv_ingest_rec *pre = calloc(1, sizeof(*pre));   /* a re-run: the candidate; then the image hash */
	struct run r = { .v = v, .o = o, .res = res, .prog = { "listing", NULL, 0, 0, 0, 0 }, .info = info, .dir_fd = -1 };
	r.rd.pid = -1;
	r.rd.ch.fd = -1;
	if (info) info->root_fd = -1;
	if (!rec || !info || !pre || !(r.copy = malloc(READ_BUF > DV_RING_SLOT ? READ_BUF : DV_RING_SLOT))) {
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
	if (o->recover_deleted) {
		const char *want = NULL;
		if (!o->source || ((rc = expected_kind(o, info, &want)) == 0 && strcmp(want, "image")))
			rc = dv_error_set(DV_EINVAL, o->source, -1,
			                  "deleted files are recovered from raw or E01 images and devices, not from a directory");
		if (rc < 0) goto out;
	}
	if ((rc = o->nstreams ? stream_list(o, info) : reader_list(&r.rd, o, info)) < 0) goto out;
	res->sandboxed = r.rd.seccomp;
	if (!strcmp(info->kind, "directory")) r.root = info->path;
	/* recovered deleted files are an ingest of their own kind */
	const char *ikind = o->recover_deleted ? "recovered" : info->kind;
	snprintf(res->kind, sizeof(res->kind), "%s", ikind);
	snprintf(res->fs_type, sizeof(res->fs_type), "%s", info->fs_type);
	if (!strcmp(info->kind, "image")) {
		snprintf(res->image_format, sizeof(res->image_format), "%s", info->format[0] ? info->format : "raw");
		snprintf(res->ewf_md5, sizeof(res->ewf_md5), "%s", info->ewf_md5);
		snprintf(res->ewf_sha1, sizeof(res->ewf_sha1), "%s", info->ewf_sha1);
		res->ewf_md5_verified = info->ewf_md5[0] && !strcmp(info->ewf_md5, info->media_md5);
		res->ewf_sha1_verified = info->ewf_sha1[0] && !strcmp(info->ewf_sha1, info->media_sha1);
	}
	const dv_msg_file *files = info->files;
	size_t nfiles = info->n;
	res->files_total = nfiles + info->nfailed;
	res->specials_skipped = info->skipped;
	for (size_t i = 0; i < nfiles; i++) res->bytes_total += files[i].size;  /* each < 2^50, n < 2^22 */

	/* The case, and the open ingest of this source if an earlier run stopped. */
	dv_case c;
	char ident[4200];
	uint8_t source_tag[32];
	snprintf(ident, sizeof(ident), "%s|%s", ikind, info->path);
	if ((rc = dv_catalog_tag(source_tag, cat, "source", ident, strlen(ident))) < 0) goto out;

	/* A re-run of an ingest that completed (an operator unsure whether it
	 * finished): proven identical, nothing is recorded. */
	if (!o->again && !o->recover_deleted && info->nfailed == 0 && !o->nstreams) {
		dv_case c0 = { 0 };
		rc = dv_catalog_case_find(&c0, cat, o->case_name);
		if (rc == 0) rc = dv_catalog_ingest_find_open(cat, c0.id, source_tag, rec);
		if (rc == DV_ENOTFOUND && c0.id) {
			rc = same_as_complete(&r, c0.id, pre, rec, &buf);
			if (rc == 1) {
				if ((rc = dv_reader_stop(&r.rd)) < 0) goto out;
				res->already_complete = res->complete = true;
				res->ingest_id = pre->id;
				res->files_resumed = nfiles;
				res->log_seq = pre->log_seq;
				memcpy(res->manifest, pre->manifest, 32);
				if (pre->has_image_hash) {
					res->has_image_hash = true;
					memcpy(res->image_sha256, pre->image_sha256, 32);
					res->image_size = pre->image_size;
				}
				goto out;
			}
		}
		if (rc == DV_ENOTFOUND) rc = 0;
		if (rc < 0) goto out;
		/* what the comparison hashed of an image is the image's hash */
		memcpy(pre, rec, sizeof(*pre));
		memset(rec, 0, sizeof(*rec));
	} else {
		memset(pre, 0, sizeof(*pre));
	}
	if ((rc = dv_catalog_begin(cat)) < 0) goto out;
	rc = dv_catalog_case_find(&c, cat, o->case_name);
	if (rc == DV_ENOTFOUND) rc = dv_catalog_case_create(&c, cat, o->case_name);
	/* another station made it meanwhile (a shared catalog): use theirs */
	if (rc == DV_EEXIST) rc = dv_catalog_case_find(&c, cat, o->case_name);
	if (rc == 0) {
		rc = dv_catalog_ingest_find_open(cat, c.id, source_tag, rec);
		if (rc == 0) {
			res->resumed = true;
		} else if (rc == DV_ENOTFOUND) {
			memset(rec, 0, sizeof(*rec));
			rec->case_id = c.id;
			rec->state = DV_INGEST_OPEN;
			snprintf(rec->source, sizeof(rec->source), "%s", info->path);
			snprintf(rec->kind, sizeof(rec->kind), "%s", ikind);
			snprintf(rec->fs_type, sizeof(rec->fs_type), "%s", info->fs_type);
			snprintf(rec->operator_name, sizeof(rec->operator_name), "%s", o->operator_name);
			snprintf(rec->note, sizeof(rec->note), "%s", o->note ? o->note : "");
			snprintf(rec->station, sizeof(rec->station), "%s", dv_vault_station(v));
			rec->started_ns = dv_now_ns();
			rc = dv_catalog_ingest_create(cat, rec, source_tag);
		}
	}
	/* the start entry with the case and ingest rows */
	bool committed = false;
	if (rc == 0) {
		body = start_body(o, rec, info, res, nfiles);
		rc = dv_vault_commit_with_entry(v, body, NULL, &committed);
		json_object_put(body);
		body = NULL;
	} else {
		dv_catalog_rollback(cat);
	}
	if (committed) res->ingest_id = rec->id;
	if (rc < 0) goto out;

	/* A raw image is hashed whole, as forensic imagers do. */
	if (!strcmp(info->kind, "image")) {
		if (!rec->has_image_hash && pre->has_image_hash) {
			memcpy(rec->image_sha256, pre->image_sha256, 32);
			rec->image_size = pre->image_size;
			rec->has_image_hash = true;
			if ((rc = dv_catalog_ingest_update(cat, rec)) < 0) goto out;
		}
		if (!rec->has_image_hash) {
			r.prog.phase = "hashing image";
			r.prog.bytes_total = info->image_size;
			if (!buf && !(buf = malloc(READ_BUF))) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				goto out;
			}
			if (!strcmp(info->format, "e01") && !(segments = json_object_new_array())) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				goto out;
			}
			if ((rc = hash_image(&r, info->path, !strcmp(info->format, "e01"), rec->image_sha256, &rec->image_size, buf,
			                     segments)) < 0)
				goto out;
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
	for (size_t i = 0; i < info->nfailed; i++) {
		res->files_failed++;
		if (o->file_error) {
			char m[DV_MSG_STR_MAX + 8];
			snprintf(m, sizeof(m), "%s: %s", info->failed[i].path, info->failed[i].message);
			o->file_error(info->failed[i].path, m, o->payload);
		}
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
		} else {
			log_failed(v, o, rec, err, saved.message);
		}
		dv_error_set(saved.code, saved.path, saved.offset, "%s", saved.message);
		rc = err;
		goto out;
	}
	r.prog.phase = "syncing to disk";
	r.prog.path = NULL;
	report(&r);
	if ((rc = dv_blob_batch_settle(dv_vault_blobs(v), &r.batch)) < 0 || (rc = dv_catalog_commit(cat)) < 0) {
		dv_error saved = *dv_error_last();
		dv_catalog_rollback(cat);
		log_failed(v, o, rec, rc, saved.message);
		dv_error_set(saved.code, saved.path, saved.offset, "%s", saved.message);
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
			                  (unsigned long long)res->files_failed, (unsigned long long)res->files_total);
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
		/* image_sha256 is then over the segments in order; each is named too */
		if (segments && json_object_array_length(segments) > 1)
			json_object_object_add(body, "image_segments", json_object_get(segments));
	}
	if (o->recover_deleted) {
		/* per deleted file: the size its entry gives, the bytes recovered (its
		 * clusters up to the first one another file holds), reallocated */
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < nfiles; i++) {
			if (info->rec[i].reallocated) res->files_reallocated++;
			json_object *e = json_object_new_object();
			json_object_object_add(e, "path", json_object_new_string(files[i].path));
			json_object_object_add(e, "size", json_object_new_int64((int64_t)info->rec[i].deleted_size));
			json_object_object_add(e, "recovered", json_object_new_int64((int64_t)files[i].size));
			json_object_object_add(e, "reallocated", json_object_new_boolean(info->rec[i].reallocated));
			json_object_array_add(arr, e);
		}
		json_object_object_add(body, "recovered", arr);
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
	json_object_put(segments);
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
	free(pre);
	free(have);
	if (r.dir_fd >= 0) close(r.dir_fd);
	free(r.dir_path);
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

/* With Object Lock (S3 vaults): every blob gets the case's retention and
 * hold as it is stored, and so does a blob the ingest finds stored already
 * (the blob store raises it before the file counts), all before the ingest
 * completes. A re-run that finds the ingest complete raises its blobs again
 * (the repair of a lock an older version set after completion). */
int dv_ingest(dv_vault *v, const dv_ingest_opts *o, dv_ingest_result *res)
{
	int rc = dv_vault_case_lock_prepare(v, o->case_name);
	if (rc < 0) {
		memset(res, 0, sizeof(*res));
		return rc;
	}
	rc = ingest_run(v, o, res);
	if (rc == 0 && res->already_complete) rc = dv_vault_case_lock_apply(v, o->case_name, res->ingest_id);
	return rc;
}

int dv_ingest_evidence(dv_vault *v, const dv_ingest_opts *opts, const char *action, json_object *detail,
                       dv_ingest_result *res, uint64_t *log_seq)
{
	/* a conclusion drawn again is a new record with its own evidence */
	dv_ingest_opts again = *opts;
	again.again = true;
	int rc = dv_ingest(v, &again, res);
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

/* ---- verified wipe of a source ------------------------------------------------ */
struct wipe_rows {
	dv_file_rec *rows;
	size_t n, cap;
};

static int wipe_row(const dv_file_rec *f, void *payload)
{
	struct wipe_rows *w = payload;
	int rc = dv_grow(&w->rows, &w->cap, w->n, sizeof(*w->rows), 64);
	if (rc < 0) return rc;
	w->rows[w->n++] = *f;
	return 0;
}

static int by_row_path(const void *a, const void *b)
{
	return strcmp(((const dv_file_rec *)a)->path, ((const dv_file_rec *)b)->path);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i]) return false;
	return true;
}

/* Reads fd [0, size) back, hashing it; *zero: every byte is 0. */
static int read_back(int fd, uint64_t size, uint8_t *buf, const char *what, uint8_t sha[32], bool *zero)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	dv_sha256 *h;
	int rc = dv_sha256_new(&h);
	*zero = true;
	for (uint64_t off = 0; rc == 0 && off < size;) {
		size_t want = size - off < READ_BUF ? (size_t)(size - off) : READ_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) {
			rc = dv_error_errno(n < 0 ? errno : EIO, what, (int64_t)off, "cannot read back");
			break;
		}
		if (*zero && !all_zero(buf, (size_t)n)) *zero = false;
		rc = dv_sha256_update(h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (rc == 0) rc = dv_sha256_final(h, sha);
	dv_sha256_free(h);
	return rc;
}

static int write_zeros(int fd, uint64_t size, uint8_t *buf, const char *what)
{
	memset(buf, 0, READ_BUF);
	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < READ_BUF ? (size_t)(size - off) : READ_BUF;
		ssize_t n = pwrite(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return dv_error_errno(n < 0 ? errno : EIO, what, (int64_t)off, "cannot overwrite");
		off += (uint64_t)n;
	}
	if (fsync(fd) < 0) return dv_error_errno(errno, what, -1, "cannot make the overwrite durable");
	return 0;
}

struct recovered_ctx {
	const dv_ingest_rec *img;
	bool found;
};

static int recovered_fn(const dv_ingest_rec *rec, void *payload)
{
	struct recovered_ctx *c = payload;
	if (rec->state == DV_INGEST_COMPLETE && !strcmp(rec->kind, "recovered") && !strcmp(rec->source, c->img->source) &&
	    rec->has_image_hash && !memcmp(rec->image_sha256, c->img->image_sha256, 32))
		c->found = true;
	return 0;
}

int dv_wipe_source(dv_vault *v, const dv_wipe_opts *o, dv_wipe_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!o->case_name || !*o->case_name || !o->operator_name || !*o->operator_name || !o->source || o->ingest_id <= 0)
		return dv_error_set(DV_EINVAL, NULL, -1, "wipe needs a case, an ingest, an operator and the source");
	dv_catalog *cat = dv_vault_catalog(v);
	dv_ingest_rec *rec = calloc(1, sizeof(*rec));
	struct listing *info = calloc(1, sizeof(*info));
	struct wipe_rows w = { 0 };
	uint8_t *buf = malloc(READ_BUF);
	uint64_t *ino = NULL, *dev = NULL;
	json_object *body = NULL, *list = NULL;
	dv_ingest_opts lo = { .source = o->source, .case_name = o->case_name, .operator_name = o->operator_name,
	                      .interrupted = o->interrupted };
	dv_ingest_result dummy;
	memset(&dummy, 0, sizeof(dummy));
	struct run r = { .v = v, .o = &lo, .res = &dummy, .prog = { "verifying", NULL, 0, 0, 0, 0 }, .info = info, .dir_fd = -1 };
	r.rd.pid = -1;
	r.rd.ch.fd = -1;
	int rc = 0;
	if (info) info->root_fd = -1;
	if (!rec || !info || !buf || !(r.copy = malloc(READ_BUF > DV_RING_SLOT ? READ_BUF : DV_RING_SLOT))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	dv_case c;
	if ((rc = dv_catalog_case_find(&c, cat, o->case_name)) < 0 || (rc = dv_catalog_ingest_get(rec, cat, o->ingest_id)) < 0) {
		if (rc == DV_ENOTFOUND)
			rc = dv_error_set(DV_ENOTFOUND, NULL, -1, "no ingest %lld in case %s", (long long)o->ingest_id, o->case_name);
		goto out;
	}
	const char *want;
	if ((rc = expected_kind(&lo, info, &want)) < 0) goto out;
	if (rec->case_id != c.id || rec->state != DV_INGEST_COMPLETE || strcmp(rec->source, info->path) ||
	    (strcmp(rec->kind, "directory") && strcmp(rec->kind, "image"))) {
		rc = dv_error_set(DV_EINVAL, info->path, -1,
		                  "refused: ingest %lld of case %s is not a complete acquisition of this source (it is %s of %s)",
		                  (long long)o->ingest_id, o->case_name, rec->state == DV_INGEST_COMPLETE ? "complete" : "open",
		                  rec->source);
		goto out;
	}
	snprintf(res->kind, sizeof(res->kind), "%s", rec->kind);
	/* every file of the ingest is in the vault and verifies */
	if ((rc = dv_catalog_file_list(cat, rec->id, wipe_row, &w)) < 0) goto out;
	for (size_t i = 0; i < w.n; i++) {
		uint8_t sha[32];
		uint64_t size;
		r.prog.phase = "verifying the vault's copy";
		if ((rc = dv_blob_read(dv_vault_blobs(v), w.rows[i].blob_name, NULL, NULL, sha, &size)) < 0 ||
		    memcmp(sha, w.rows[i].sha256, 32) || size != w.rows[i].size) {
			if (rc == 0) rc = dv_error_set(DV_ECORRUPT, w.rows[i].path, -1, "the vault's copy does not verify");
			dv_error_prefix("refused: %s: ", w.rows[i].path);
			goto out;
		}
	}
	if (w.n) qsort(w.rows, w.n, sizeof(*w.rows), by_row_path);

	if (!strcmp(rec->kind, "image")) {
		struct stat st;
		if (stat(info->path, &st) < 0 || !S_ISBLK(st.st_mode)) {
			rc = dv_error_set(DV_EINVAL, info->path, -1, "refused: only a card (a block device) is wiped, not an image file");
			goto out;
		}
		/* a whole device holds deleted files and free space too: only when
		 * they were acquired (a complete recovery of this very image) */
		struct recovered_ctx rcx = { rec, false };
		if ((rc = dv_catalog_ingest_list(cat, c.id, recovered_fn, &rcx)) < 0) goto out;
		if (!rec->has_image_hash || !rcx.found) {
			rc = dv_error_set(DV_EINVAL, info->path, -1,
			                  "refused: wiping the whole card destroys its deleted files; run 'ingest --recover-deleted' "
			                  "of it into case %s first", o->case_name);
			goto out;
		}
		uint8_t now[32];
		uint64_t size;
		if ((rc = hash_image(&r, info->path, false, now, &size, buf, NULL)) < 0) goto out;
		if (memcmp(now, rec->image_sha256, 32) || size != rec->image_size) {
			rc = dv_error_set(DV_EINVAL, info->path, -1,
			                  "refused: the card no longer hashes to the image SHA-256 ingest %lld recorded",
			                  (long long)rec->id);
			goto out;
		}
		int fd = open(info->path, O_RDWR | O_EXCL | O_CLOEXEC);
		if (fd < 0) {
			rc = dv_error_errno(errno, info->path, -1, "cannot open the card for writing (mounted?)");
			goto out;
		}
		uint64_t range[2] = { 0, size };
		const char *method = ioctl(fd, BLKSECDISCARD, range) == 0 ? "secure discard (BLKSECDISCARD)"
		                     : ioctl(fd, BLKDISCARD, range) == 0  ? "discard (BLKDISCARD)"
		                                                          : NULL;
		bool zero = false;
		if (method && (rc = read_back(fd, size, buf, info->path, res->readback_sha256, &zero)) < 0) {
			close(fd);
			goto out;
		}
		if (!zero) {
			/* no discard, or one that does not read back as zeros: write them */
			method = method ? "discard, then overwritten with zeros" : "overwritten with zeros";
			if ((rc = write_zeros(fd, size, buf, info->path)) < 0 ||
			    (rc = read_back(fd, size, buf, info->path, res->readback_sha256, &zero)) < 0) {
				close(fd);
				goto out;
			}
		}
		close(fd);
		snprintf(res->method, sizeof(res->method), "%s", method);
		res->readback_zero = zero;
		res->files = w.n;
		res->bytes = size;
	} else {
		/* the source as it is now: every file must be one the ingest holds,
		 * with the same content */
		if ((rc = reader_list(&r.rd, &lo, info)) < 0) goto out;
		if (info->nfailed) {
			rc = dv_error_set(DV_EINVAL, info->path, -1, "refused: %s: %s", info->failed[0].path, info->failed[0].message);
			goto out;
		}
		if (!(ino = calloc(info->n ? info->n : 1, sizeof(*ino))) || !(dev = calloc(info->n ? info->n : 1, sizeof(*dev)))) {
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < info->n; i++) {
			const dv_msg_file *f = &info->files[i];
			dv_file_rec key;
			snprintf(key.path, sizeof(key.path), "%s", f->path);
			const dv_file_rec *row = w.n ? bsearch(&key, w.rows, w.n, sizeof(*w.rows), by_row_path) : NULL;
			if (!row || row->size != f->size) {
				rc = dv_error_set(DV_EINVAL, f->path, -1, "refused: this file of the source is not in ingest %lld%s",
				                  (long long)rec->id, row ? " as it is now" : "");
				goto out;
			}
			bool source_failed = false;
			uint8_t sha[32];
			r.prog.path = f->path;
			r.last_dev = r.last_ino = 0;
			if ((rc = dv_sha256_new(&r.hash)) == 0) rc = receive_file(&r, f, (uint32_t)i, &source_failed);
			if (rc == 0) rc = dv_sha256_final(r.hash, sha);
			dv_sha256_free(r.hash);
			r.hash = NULL;
			if (rc < 0) {
				dv_error_prefix("refused: ");
				goto out;
			}
			if (memcmp(sha, row->sha256, 32) || !r.last_ino) {
				rc = dv_error_set(DV_EINVAL, f->path, -1, "refused: its content is not what ingest %lld stored",
				                  (long long)rec->id);
				goto out;
			}
			dev[i] = r.last_dev;
			ino[i] = r.last_ino;
		}
		if ((rc = dv_reader_stop(&r.rd)) < 0) goto out;
		/* every file verified: overwrite each, read it back, remove it */
		list = json_object_new_array();
		for (size_t i = 0; i < info->n; i++) {
			const dv_msg_file *f = &info->files[i];
			struct stat at;
			if (own_lookup(&r, f->path, &at) < 0 || (uint64_t)at.st_dev != dev[i] || (uint64_t)at.st_ino != ino[i]) {
				rc = dv_error_set(DV_EIO, f->path, -1, "changed since it was verified: not wiped");
				break;
			}
			const char *slash = strrchr(f->path, '/');
			const char *base = slash ? slash + 1 : f->path;
			int dfd = slash ? r.dir_fd : info->root_fd;
			int fd = openat(dfd, base, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_ino != ino[i] || (uint64_t)st.st_dev != dev[i]) {
				rc = fd < 0 ? dv_error_errno(errno, f->path, -1, "cannot open for overwriting")
				            : dv_error_set(DV_EIO, f->path, -1, "changed since it was verified: not wiped");
				if (fd >= 0) close(fd);
				break;
			}
			uint8_t sha[32];
			bool zero = false;
			int rfd = -1;
			rc = write_zeros(fd, (uint64_t)st.st_size, buf, f->path);
			if (rc == 0 && (rfd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				rc = dv_error_errno(errno, f->path, -1, "cannot read back");
			if (rc == 0) rc = read_back(rfd, (uint64_t)st.st_size, buf, f->path, sha, &zero);
			if (rfd >= 0) close(rfd);
			close(fd);
			if (rc == 0 && !zero) rc = dv_error_set(DV_EIO, f->path, -1, "overwritten, but does not read back as zeros");
			if (rc == 0 && unlinkat(dfd, base, 0) < 0) rc = dv_error_errno(errno, f->path, -1, "overwritten, cannot remove");
			if (rc < 0) break;
			json_object *e = json_object_new_object();
			json_object_object_add(e, "path", json_object_new_string(f->path));
			json_object_object_add(e, "size", json_object_new_int64((int64_t)st.st_size));
			add_hex(e, "readback_sha256", sha, 32);
			json_object_array_add(list, e);
			res->files++;
			res->bytes += (uint64_t)st.st_size;
		}
		int dfd = info->root_fd;
		if (dfd >= 0) (void)syncfs(dfd);
		snprintf(res->method, sizeof(res->method), "each file overwritten with zeros, read back, removed");
		res->readback_zero = rc == 0;
	}
	/* the wipe, and its proof, in the custody log (also a wipe cut short) */
	body = json_object_new_object();
	log_common(body, DV_ACTION_WIPE, &lo, rec);
	json_object_object_add(body, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(body, "method", json_object_new_string(res->method));
	json_object_object_add(body, "readback_zero", json_object_new_boolean(res->readback_zero));
	if (!strcmp(rec->kind, "image")) {
		add_hex(body, "image_sha256_before", rec->image_sha256, 32);
		add_hex(body, "readback_sha256", res->readback_sha256, 32);
	}
	if (list) {
		json_object_object_add(body, "wiped", list);
		list = NULL;
	}
	if (rc < 0) {
		dv_error saved = *dv_error_last();
		json_object_object_add(body, "error", json_object_new_string(saved.message));
		(void)dv_vault_log(v, body, &res->log_seq);
		dv_error_set(saved.code, saved.path, saved.offset, "%s", saved.message);
	} else {
		rc = dv_vault_log(v, body, &res->log_seq);
	}
out:
	json_object_put(body);
	json_object_put(list);
	dv_reader_kill(&r.rd);
	free(r.copy);
	if (r.dir_fd >= 0) close(r.dir_fd);
	free(r.dir_path);
	if (info) listing_free(info);
	free(info);
	free(w.rows);
	free(ino);
	free(dev);
	free(buf);
	free(rec);
	return rc;
}
