/*
 * The package writer: everything goes into DEST/.dronevault-partial-XXXXXX/
 * by descriptors (mkdirat/openat with O_NOFOLLOW, O_EXCL), the directory is
 * renamed (RENAME_NOREPLACE) to its final name when every file is durable,
 * and COMPLETE is written last.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/blob.h"
#include "dv/err.h"
#include "dv/export.h"
#include "dv/util.h"
#include "exports/exports_int.h"

#define FMODE 0600
#define DMODE 0700

int dv_xpkg_open(dv_xpkg *p, dv_vault *v, const char *dest)
{
	memset(p, 0, sizeof(*p));
	p->v = v;
	p->dest = dest;
	p->dfd = p->pfd = p->cur_fd = -1;
	if (mkdir(dest, DMODE) < 0 && errno != EEXIST) return dv_error_errno(errno, dest, -1, "cannot create");
	if ((p->dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return dv_error_errno(errno, dest, -1, "cannot open the destination (a link is not followed)");
	for (int tries = 0; tries < 32; tries++) {
		uint8_t r[4];
		char hex[9];
		randombytes_buf(r, sizeof(r));
		dv_hex(hex, r, sizeof(r));
		snprintf(p->partial, sizeof(p->partial), ".dronevault-partial-%s", hex);
		if (mkdirat(p->dfd, p->partial, DMODE) == 0) break;
		if (errno != EEXIST) return dv_error_errno(errno, dest, -1, "cannot create %s", p->partial);
		p->partial[0] = '\0';
	}
	if (!p->partial[0]) return dv_error_set(DV_EEXIST, dest, -1, "cannot find a free partial directory name");
	if ((p->pfd = openat(p->dfd, p->partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return dv_error_errno(errno, dest, -1, "cannot open %s", p->partial);
	if (!(p->sums = open_memstream(&p->sums_buf, &p->sums_len))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	return 0;
}

void dv_xpkg_close(dv_xpkg *p)
{
	if (p->sums) fclose(p->sums);
	p->sums = NULL;
	free(p->sums_buf);
	p->sums_buf = NULL;
	if (p->cur_fd >= 0) close(p->cur_fd);
	if (p->pfd >= 0) close(p->pfd);
	if (p->dfd >= 0) close(p->dfd);
	p->cur_fd = p->pfd = p->dfd = -1;
}

static bool rel_ok(const char *rel)
{
	if (strlen(rel) > 3000 || !dv_path_is_safe_relative(rel)) return false;
	for (const char *s = rel; *s;) {
		size_t k = strcspn(s, "/");
		if (k > 200) return false;
		s += k;
		if (*s) s++;
	}
	return true;
}

/* Opens rel's directory under the package (creating components), *base its
 * last component. */
static int open_dir(dv_xpkg *p, const char *rel, int *out, const char **base)
{
	if (!rel_ok(rel)) return dv_error_set(DV_EINVAL, p->dest, -1, "unsafe package path");
	const char *slash = strrchr(rel, '/');
	*base = slash ? slash + 1 : rel;
	int cur = dup(p->pfd);
	if (cur < 0) return dv_error_errno(errno, p->dest, -1, "cannot open the package");
	if (slash) {
		char buf[3100];
		size_t n = (size_t)(slash - rel);
		memcpy(buf, rel, n);
		buf[n] = '\0';
		for (char *c = buf, *next; c; c = next) {
			next = strchr(c, '/');
			if (next) *next++ = '\0';
			if (mkdirat(cur, c, DMODE) < 0 && errno != EEXIST) {
				int e = errno;
				close(cur);
				return dv_error_errno(e, p->dest, -1, "cannot create a directory of %s", rel);
			}
			int nfd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int e = errno;
			close(cur);
			if (nfd < 0) return dv_error_errno(e, p->dest, -1, "cannot open a directory of %s", rel);
			cur = nfd;
		}
	}
	*out = cur;
	return 0;
}

static int create_file(dv_xpkg *p, const char *rel, int *dir_out, const char **base)
{
	int rc = open_dir(p, rel, dir_out, base);
	if (rc < 0) return rc;
	int fd = openat(*dir_out, *base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FMODE);
	if (fd < 0) {
		rc = dv_error_errno(errno, p->dest, -1, "cannot create %s", rel);
		close(*dir_out);
		return rc;
	}
	return fd;
}

struct sink {
	int fd;
	const char *rel;
};

static int sink_fn(const uint8_t *data, size_t n, void *payload)
{
	struct sink *s = payload;
	return dv_write_all(s->fd, data, n, s->rel);
}

int dv_xpkg_blob(dv_xpkg *p, const char *rel, const dv_file_rec *f, bool listed)
{
	int dfd;
	const char *base;
	int fd = create_file(p, rel, &dfd, &base);
	if (fd < 0) return fd;
	struct sink s = { fd, rel };
	uint8_t sha[32];
	uint64_t size;
	int rc = dv_blob_read(dv_vault_blobs(p->v), f->blob_name, sink_fn, &s, sha, &size);
	if (rc == 0 && (memcmp(sha, f->sha256, 32) || size != f->size))
		rc = dv_error_set(DV_ECORRUPT, rel, -1, "decrypted content does not match the catalog");
	/* durable with the whole package: dv_xpkg_finish syncs the file system
	 * (syncfs) before the package gets its name, one flush instead of
	 * one per file; a crash before that leaves a partial directory. */
	if (rc == 0 && f->mtime_ns > 0) {
		struct timespec ts[2] = { { f->mtime_ns / 1000000000, f->mtime_ns % 1000000000 },
		                          { f->mtime_ns / 1000000000, f->mtime_ns % 1000000000 } };
		(void)futimens(fd, ts);
	}
	close(fd);
	if (rc < 0) unlinkat(dfd, base, 0);
	close(dfd);
	if (rc < 0) return rc;
	if (listed) dv_sha256sums_line(p->sums, f->sha256, rel);
	p->files++;
	p->bytes += size;
	return 0;
}

static int write_raw(dv_xpkg *p, int parent, const char *rel, const char *base, const void *buf, size_t n)
{
	int fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FMODE);
	if (fd < 0) return dv_error_errno(errno, p->dest, -1, "cannot create %s", rel);
	int rc = dv_write_all(fd, buf, n, rel);
	close(fd);
	return rc;
}

int dv_xpkg_text(dv_xpkg *p, const char *rel, const void *buf, size_t n)
{
	int dfd;
	const char *base;
	int rc = open_dir(p, rel, &dfd, &base);
	if (rc < 0) return rc;
	rc = write_raw(p, dfd, rel, base, buf, n);
	close(dfd);
	if (rc < 0) return rc;
	uint8_t sha[32];
	dv_sha256_buf(buf, n, sha);
	dv_sha256sums_line(p->sums, sha, rel);
	return 0;
}

int dv_xpkg_stream(dv_xpkg *p, const char *rel, FILE *f, char **buf, size_t *len)
{
	int rc = 0;
	if (fclose(f) != 0) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory writing %s", rel);
	if (rc == 0) rc = dv_xpkg_text(p, rel, *buf ? *buf : "", *buf ? *len : 0);
	free(*buf);
	*buf = NULL;
	return rc;
}

static void clean_case(char *out, size_t size, const char *name)
{
	size_t k = 0;
	for (const char *s = name; *s && k + 1 < size && k < 100; s++) {
		unsigned char c = (unsigned char)*s;
		out[k++] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
		                   ? (char)c
		                   : '_';
	}
	out[k] = '\0';
	if (!k) snprintf(out, size, "case");
}

/*
 * renameat2(RENAME_NOREPLACE), or where the file system does not know the
 * flag (FUSE file systems such as exfat-fuse answer EINVAL: a court's USB
 * stick) the same without it: the final name is taken first with mkdirat,
 * which fails if anything has it, and the rename then replaces only that
 * empty directory of ours (one that someone filled meanwhile is not
 * replaced: ENOTEMPTY).
 */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0) return 0;
	if (errno != EINVAL && errno != ENOSYS) return -1;
	if (mkdirat(dfd, to, 0700) < 0) return -1;
	if (renameat(dfd, from, dfd, to) == 0) return 0;
	int e = errno;
	(void)unlinkat(dfd, to, AT_REMOVEDIR);
	errno = e;
	return -1;
}

int dv_xpkg_finish(dv_xpkg *p, const char *case_name, uint8_t digest[32])
{
	if (fclose(p->sums) != 0) {
		p->sums = NULL;
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	p->sums = NULL;
	int rc = write_raw(p, p->pfd, "SHA256SUMS", "SHA256SUMS", p->sums_buf ? p->sums_buf : "", p->sums_len);
	if (rc < 0) return rc;
	dv_sha256_buf(p->sums_buf ? p->sums_buf : "", p->sums_len, digest);
	if (syncfs(p->pfd) < 0 || fsync(p->pfd) < 0) return dv_error_errno(errno, p->dest, -1, "cannot sync");
	char cn[128], name[256], when[32];
	clean_case(cn, sizeof(cn), case_name);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 1;; i++) {
		if (i == 1) snprintf(name, sizeof(name), "%s-%s", cn, when);
		else snprintf(name, sizeof(name), "%s-%s-%d", cn, when, i);
		if (rename_noreplace(p->dfd, p->partial, name) == 0) break;
		if (errno != EEXIST || i > 100) return dv_error_errno(errno, p->dest, -1, "cannot rename %s", p->partial);
	}
	snprintf(p->final_path, sizeof(p->final_path), "%s/%s", p->dest, name);
	if (fsync(p->dfd) < 0) return dv_error_errno(errno, p->dest, -1, "cannot sync");
	char line[128], hex[65];
	dv_hex(hex, digest, 32);
	int n = snprintf(line, sizeof(line), "%s  SHA256SUMS\n", hex);
	if ((rc = write_raw(p, p->pfd, "COMPLETE", "COMPLETE", line, (size_t)n)) < 0) return rc;
	int cfd = openat(p->pfd, "COMPLETE", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0 || fsync(cfd) < 0 || fsync(p->pfd) < 0) {
		rc = dv_error_errno(errno, p->dest, -1, "cannot sync COMPLETE");
		if (cfd >= 0) close(cfd);
		return rc;
	}
	close(cfd);
	return 0;
}

int dv_xpkg_adopt(dv_xpkg *p, const char *name)
{
	int fd = openat(p->pfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, p->dest, -1, "cannot open %s", name);
	struct stat st;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	int rc = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) rc = dv_error_set(DV_EINVAL, p->dest, -1, "%s is not a file", name);
	uint8_t buf[65536];
	for (ssize_t k; rc == 0 && (k = read(fd, buf, sizeof(buf))) != 0;) {
		if (k < 0) rc = dv_error_errno(errno, p->dest, -1, "cannot read %s", name);
		else crypto_hash_sha256_update(&h, buf, (unsigned long long)k);
	}
	if (rc == 0 && (fchmod(fd, FMODE) < 0 || fsync(fd) < 0)) rc = dv_error_errno(errno, p->dest, -1, "cannot sync %s", name);
	close(fd);
	if (rc < 0) return rc;
	uint8_t sha[32];
	crypto_hash_sha256_final(&h, sha);
	dv_sha256sums_line(p->sums, sha, name);
	return 0;
}

char *dv_xpkg_safe_rel(const char *prefix, const char *card_path, uint64_t *counter)
{
	return dv_xpkg_safe_rel_ex(prefix, card_path, counter, false);
}

char *dv_xpkg_safe_rel_ex(const char *prefix, const char *card_path, uint64_t *counter, bool always)
{
	size_t len = strlen(prefix) + strlen(card_path) + 2;
	char *s = malloc(len + 160);
	if (!s) return NULL;
	snprintf(s, len, "%s/%s", prefix, card_path);
	if (!always && rel_ok(s) && strlen(card_path) < 3000) return s;
	const char *b = strrchr(card_path, '/');
	b = b ? b + 1 : card_path;
	char clean[121];
	size_t k = 0;
	for (; *b && k < 120; b++) {
		unsigned char c = (unsigned char)*b;
		clean[k++] = (c < 0x20 || c == 0x7f || c == '\\') ? '_' : (char)c;
	}
	while (k > 0 && ((unsigned char)clean[k - 1] & 0x80)) k--; /* no cut UTF-8 */
	clean[k] = '\0';
	if (!strcmp(clean, ".") || !strcmp(clean, "..")) clean[0] = '\0';
	(*counter)++;
	snprintf(s, len + 160, "%s/_dronevault_renamed/%06llu%s%s", prefix, (unsigned long long)*counter, clean[0] ? "-" : "",
	         clean);
	return s;
}
