#include "vault/source_int.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <dirent.h>
#include <linux/fs.h>
#include <tsk/libtsk.h>
#include <libewf.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/crypto.h"
#include "dv/util.h"

#define MAX_DEPTH DV_SOURCE_MAX_DEPTH
#define MAX_FILES (4u << 20)
#define MAX_FAILURES 100000u
#define MAX_DIRS (1u << 20)
#define DV_PATH_MAX_SRC DV_SOURCE_PATH_MAX

struct dv_source {
	dv_source_info info;
	char **abs_paths;        /* "files" sources: absolute path per listed file */
	int root_fd;             /* directory sources */
	TSK_IMG_INFO *img;       /* image sources */
	TSK_FS_INFO *fs;
	TSK_VS_INFO *vs;
	dv_source_file *files;
	size_t n, cap, skipped;
	dv_source_failure *failed;
	size_t nfailed, capfailed, dirs;
	bool listed;
	bool recover;            /* list deleted entries (images) */
	/* the last directory a file was opened in (files are asked for in
	 * path order, so most share it) */
	int cache_fd;
	char *cache_dir;
};

const dv_source_info *dv_source_get_info(const dv_source *s) { return &s->info; }

/* O_NOATIME is refused (EPERM) for files we do not own unless root. */
static int open_ro(int dirfd, const char *path, int extra)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOATIME | extra);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | extra);
	return fd;
}

static int add_file(dv_source *s, const char *path, const dv_source_file *f)
{
	if (s->n >= MAX_FILES)
		return dv_error_set(DV_ENOMEM, s->info.path, -1, "more than %u files", MAX_FILES);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		dv_source_file *nf = realloc(s->files, cap * sizeof(*nf));
		if (!nf) return dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
		s->files = nf;
		s->cap = cap;
	}
	s->files[s->n] = *f;
	if (!(s->files[s->n].path = strdup(path)))
		return dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
	s->n++;
	return 0;
}

/* A label for a path that may be too long to keep: the start and the end,
 * "..." between. */
static void label_path(char *out, size_t cap, const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name);
	if (pl + nl < cap) {
		memcpy(out, prefix, pl);
		memcpy(out + pl, name, nl + 1);
		return;
	}
	size_t keep_name = nl < 255 ? nl : 255;
	size_t keep_pre = cap > keep_name + 16 ? cap - keep_name - 16 : 0;
	if (keep_pre > 512) keep_pre = 512;
	snprintf(out, cap, "%.*s.../%s", (int)(keep_pre < pl ? keep_pre : pl), prefix, name + (nl - keep_name));
}

/* A per-entry failure: recorded, the walk goes on. Only running out of
 * memory (or room for failures) stops it. */
static int add_failure(dv_source *s, const char *prefix, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_failure(dv_source *s, const char *prefix, const char *name, const char *fmt, ...)
{
	if (s->nfailed >= MAX_FAILURES)
		return dv_error_set(DV_ENOMEM, s->info.path, -1, "more than %u entries that cannot be listed", MAX_FAILURES);
	if (s->nfailed == s->capfailed) {
		size_t cap = s->capfailed ? s->capfailed * 2 : 16;
		dv_source_failure *nf = realloc(s->failed, cap * sizeof(*nf));
		if (!nf) return dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
		s->failed = nf;
		s->capfailed = cap;
	}
	char label[1024], msg[512];
	label_path(label, sizeof(label), prefix, name);
	if (!label[0]) snprintf(label, sizeof(label), ".");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dv_source_failure *f = &s->failed[s->nfailed];
	f->path = strdup(label);
	f->message = strdup(msg);
	if (!f->path || !f->message) {
		free(f->path);
		free(f->message);
		return dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
	}
	s->nfailed++;
	return 0;
}

void dv_source_failures(const dv_source *s, const dv_source_failure **out, size_t *n)
{
	*out = s->failed;
	*n = s->nfailed;
}

static int64_t ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- directories ------------------------------------------------------------- */
/* Walked by descriptors: each directory is opened relative to its parent's
 * descriptor with O_NOFOLLOW | O_DIRECTORY, so a directory swapped for a
 * link while we walk is never followed. Whatever cannot be listed (too
 * deep, a path too long to keep, an entry that cannot be looked at) is a
 * per-entry failure: the rest is listed. */
static int walk_dir(dv_source *s, int dfd, const char *prefix, int depth)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0) close(fd);
		return add_failure(s, prefix, "", "cannot list: %s", strerror(errno));
	}
	if (++s->dirs > MAX_DIRS) {
		closedir(d);
		return dv_error_set(DV_ENOMEM, s->info.path, -1, "more than %u directories", MAX_DIRS);
	}
	int rc = 0;
	struct dirent *e;
	size_t plen = strlen(prefix);
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		size_t nl = strlen(e->d_name);
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = errno == ENOENT ? add_failure(s, prefix, e->d_name, "changed since it was listed (vanished while the directory was read)")
			                     : add_failure(s, prefix, e->d_name, "cannot stat: %s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (plen + nl + 1 >= DV_PATH_MAX_SRC) {
				rc = add_failure(s, prefix, e->d_name, "path longer than %d bytes: this directory is not read",
				                 DV_PATH_MAX_SRC - 1);
				continue;
			}
			if (depth + 1 > MAX_DEPTH) {
				rc = add_failure(s, prefix, e->d_name, "directories nested deeper than %d: this one is not read",
				                 MAX_DEPTH);
				continue;
			}
			int sub = open_ro(dfd, e->d_name, O_DIRECTORY | O_NOFOLLOW);
			if (sub < 0) {
				/* a directory a moment ago, a link or gone now: swapped */
				rc = errno == ENOTDIR || errno == ELOOP || errno == ENOENT
				         ? add_failure(s, prefix, e->d_name, "changed since it was listed (no longer a directory)")
				         : add_failure(s, prefix, e->d_name, "cannot open directory: %s", strerror(errno));
				continue;
			}
			char *pre = malloc(plen + nl + 2);
			if (!pre) {
				close(sub);
				rc = dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
				break;
			}
			memcpy(pre, prefix, plen);
			memcpy(pre + plen, e->d_name, nl);
			pre[plen + nl] = '/';
			pre[plen + nl + 1] = '\0';
			rc = walk_dir(s, sub, pre, depth + 1);
			free(pre);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			if (plen + nl >= DV_PATH_MAX_SRC) {
				rc = add_failure(s, prefix, e->d_name, "path longer than %d bytes", DV_PATH_MAX_SRC - 1);
				continue;
			}
			char rel[DV_PATH_MAX_SRC];
			memcpy(rel, prefix, plen);
			memcpy(rel + plen, e->d_name, nl + 1);
			dv_source_file f = { NULL, (uint64_t)st.st_size, ts_ns(st.st_mtim), ts_ns(st.st_atim),
			                     ts_ns(st.st_ctim), INT64_MIN, st.st_mode, st.st_ino, st.st_dev, 0, false };
			rc = add_file(s, rel, &f);
		} else {
			s->skipped++;
		}
	}
	if (rc == 0 && errno) rc = add_failure(s, prefix, "", "cannot list: %s", strerror(errno));
	closedir(d);
	return rc;
}

/* ---- images ------------------------------------------------------------------- */
static const char *tsk_err(void);

/* One entry of an image directory: a file to list, a label, or metadata. */
struct alloc_walk {
	uint64_t free_bytes, size;
	bool realloc;
};

static TSK_WALK_RET_ENUM count_block(TSK_FS_FILE *f, TSK_OFF_T off, TSK_DADDR_T addr, char *buf, size_t len,
                                     TSK_FS_BLOCK_FLAG_ENUM flags, void *ptr)
{
	(void)f;
	(void)addr;
	(void)buf;
	struct alloc_walk *w = ptr;
	if (off < 0 || (uint64_t)off >= w->size) return TSK_WALK_CONT;
	uint64_t n = (uint64_t)len;
	if (n > w->size - (uint64_t)off) n = w->size - (uint64_t)off;
	if (flags & TSK_FS_BLOCK_FLAG_ALLOC) w->realloc = true;
	else w->free_bytes += n;
	return TSK_WALK_CONT;
}

static int tsk_visit(dv_source *s, TSK_FS_FILE *file, const char *path)
{
	const char *name = file->name->name;
	/* TSK shows a FAT volume label as an empty file "LABEL (Volume Label Entry)". */
	static const char label_suffix[] = "(Volume Label Entry)";
	size_t nl = strlen(name), sl = sizeof(label_suffix) - 1;
	if (TSK_FS_TYPE_ISFAT(s->fs->ftype) && !*path && nl >= sl && !strcmp(name + nl - sl, label_suffix)) {
		size_t k = nl - sl;
		while (k > 0 && name[k - 1] == ' ') k--;
		snprintf(s->info.volume_label, sizeof(s->info.volume_label), "%.*s", (int)k, name);
		return 0;
	}
	/* exFAT's allocation bitmap and up-case table are directory entries of
	 * the file system itself: TSK shows them as "$..." files in the root. */
	static const char *const exfat_meta[] = { "$ALLOC_BITMAP", "$UPCASE_TABLE", "$VOLUME_GUID_ENTRY",
	                                          "$TEXFAT", "$ACT", NULL };
	if (s->fs->ftype == TSK_FS_TYPE_EXFAT && !*path && name[0] == '$')
		for (int i = 0; exfat_meta[i]; i++)
			if (!strcmp(name, exfat_meta[i])) return 0;
	if (file->meta->type != TSK_FS_META_TYPE_REG) {
		/* TSK's virtual files ($MBR, $FAT1, ...) and specials */
		if (file->meta->type != TSK_FS_META_TYPE_VIRT) s->skipped++;
		return 0;
	}
	size_t pl = strlen(path);
	if (pl + nl >= DV_PATH_MAX_SRC)
		return add_failure(s, path, name, "path longer than %d bytes", DV_PATH_MAX_SRC - 1);
	char rel[DV_PATH_MAX_SRC];
	memcpy(rel, path, pl);
	memcpy(rel + pl, name, nl + 1);
	dv_source_file f = {
		NULL,
		file->meta->size < 0 ? 0 : (uint64_t)file->meta->size,
		(int64_t)file->meta->mtime * 1000000000 + file->meta->mtime_nano,
		(int64_t)file->meta->atime * 1000000000 + file->meta->atime_nano,
		(int64_t)file->meta->ctime * 1000000000 + file->meta->ctime_nano,
		file->meta->crtime ? (int64_t)file->meta->crtime * 1000000000 + file->meta->crtime_nano : INT64_MIN,
		(uint32_t)file->meta->mode | S_IFREG,
		(uint64_t)file->meta->addr,
		0, 0, false,
	};
	if (s->recover) {
		/* TSK follows a deleted FAT/exFAT file's clusters from its first one
		 * and stops at one another file holds: what lies before is the
		 * deleted file's, and only that is stored */
		struct alloc_walk w = { 0, f.size, false };
		tsk_error_reset();
		if (f.size && tsk_fs_file_walk(file, TSK_FS_FILE_WALK_FLAG_AONLY, count_block, &w)) w.realloc = true;
		f.recoverable = f.size;
		f.reallocated = w.realloc || w.free_bytes < f.size;
		f.size = w.free_bytes < f.size ? w.free_bytes : f.size;
	}
	return add_file(s, rel, &f);
}

/* Our own walk of the image's directories (TSK's recursive walk silently
 * cuts paths at 4096 bytes and stops at 128 levels): allocated entries
 * only, each directory once along a path (a FAT loop ends), too deep or too
 * long is a per-entry failure. */
static int walk_image_dir(dv_source *s, TSK_INUM_T addr, const char *prefix, int depth, TSK_INUM_T *up)
{
	if (++s->dirs > MAX_DIRS) return dv_error_set(DV_ENOMEM, s->info.path, -1, "more than %u directories", MAX_DIRS);
	tsk_error_reset();
	TSK_FS_DIR *d = tsk_fs_dir_open_meta(s->fs, addr);
	if (!d) {
		if (depth == 0)
			return dv_error_set(DV_EINVAL, s->info.path, -1, "cannot walk the file system (corrupt?): %s", tsk_err());
		return add_failure(s, prefix, "", "cannot list this directory in the image: %s", tsk_err());
	}
	up[depth] = addr;
	int rc = 0;
	size_t n = tsk_fs_dir_getsize(d), plen = strlen(prefix);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		TSK_FS_FILE *file = tsk_fs_dir_get(d, i);
		if (!file) continue;
		bool deleted = file->name && (file->name->flags & TSK_FS_NAME_FLAG_UNALLOC);
		bool dir = file->meta && file->meta->type == TSK_FS_META_TYPE_DIR;
		/* allocated entries; in recovery, the deleted files of every directory,
		 * deleted ones too (a folder deleted with its photos: its entries
		 * stay in its first cluster until that is reused) */
		if (!file->name || !file->meta || (deleted && !s->recover) ||
		    (!deleted && !(file->name->flags & TSK_FS_NAME_FLAG_ALLOC)) ||
		    (s->recover && !dir && (!deleted || file->meta->type != TSK_FS_META_TYPE_REG)) ||
		    !strcmp(file->name->name, ".") || !strcmp(file->name->name, "..")) {
			tsk_fs_file_close(file);
			continue;
		}
		const char *name = file->name->name;
		size_t nl = strlen(name);
		if (file->meta->type == TSK_FS_META_TYPE_VIRT_DIR) {
			/* $OrphanFiles: not a directory of the card */
		} else if (file->meta->type == TSK_FS_META_TYPE_DIR) {
			bool loop = false;
			for (int k = 0; k <= depth; k++) loop |= up[k] == file->meta->addr;
			if (loop)
				rc = add_failure(s, prefix, name, "a directory that contains itself (corrupt file system): not read again");
			else if (plen + nl + 1 >= DV_PATH_MAX_SRC)
				rc = add_failure(s, prefix, name, "path longer than %d bytes: this directory is not read",
				                 DV_PATH_MAX_SRC - 1);
			else if (depth + 1 > MAX_DEPTH)
				rc = add_failure(s, prefix, name, "directories nested deeper than %d: this one is not read", MAX_DEPTH);
			else {
				char *pre = malloc(plen + nl + 2);
				TSK_INUM_T sub = file->meta->addr;
				if (!pre) {
					rc = dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
				} else {
					memcpy(pre, prefix, plen);
					memcpy(pre + plen, name, nl);
					pre[plen + nl] = '/';
					pre[plen + nl + 1] = '\0';
					tsk_fs_file_close(file);
					file = NULL;
					rc = walk_image_dir(s, sub, pre, depth + 1, up);
					free(pre);
				}
			}
		} else {
			rc = tsk_visit(s, file, prefix);
		}
		if (file) tsk_fs_file_close(file);
	}
	tsk_fs_dir_close(d);
	return rc;
}

static const char *tsk_err(void)
{
	const char *m = tsk_error_get();
	return m && *m ? m : "unknown error";
}

/* The hashes an E01 carries (libewf; hostile bytes, so only here in the
 * reader), and MD5/SHA-1 over its whole media data read through TSK. */
static int ewf_hashes(dv_source *s)
{
	libewf_handle_t *h = NULL;
	libewf_error_t *e = NULL;
	char **names = NULL;
	int nn = 0;
	uint8_t md5[16], sha1[20];
	if (libewf_glob(s->info.path, strlen(s->info.path), LIBEWF_FORMAT_UNKNOWN, &names, &nn, &e) == 1 &&
	    libewf_handle_initialize(&h, &e) == 1 && libewf_handle_open(h, names, nn, LIBEWF_OPEN_READ, &e) == 1) {
		if (libewf_handle_get_md5_hash(h, md5, sizeof(md5), &e) == 1) dv_hex(s->info.ewf_md5, md5, 16);
		if (e) libewf_error_free(&e);
		if (libewf_handle_get_sha1_hash(h, sha1, sizeof(sha1), &e) == 1) dv_hex(s->info.ewf_sha1, sha1, 20);
		libewf_handle_close(h, NULL);
	}
	if (e) libewf_error_free(&e);
	if (h) libewf_handle_free(&h, NULL);
	if (names) libewf_glob_free(names, nn, NULL);
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	char *buf = malloc(1u << 20);
	int rc = 0;
	if (!a || !b || !buf || !EVP_DigestInit_ex(a, EVP_md5(), NULL) || !EVP_DigestInit_ex(b, EVP_sha1(), NULL))
		rc = dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
	for (TSK_OFF_T off = 0; rc == 0 && off < s->img->size;) {
		size_t want = s->img->size - off < (TSK_OFF_T)(1u << 20) ? (size_t)(s->img->size - off) : (1u << 20);
		ssize_t r = tsk_img_read(s->img, off, buf, want);
		if (r <= 0) {
			rc = dv_error_set(DV_EIO, s->info.path, (int64_t)off, "cannot read the E01 image's media data: %s", tsk_err());
			break;
		}
		if (!EVP_DigestUpdate(a, buf, (size_t)r) || !EVP_DigestUpdate(b, buf, (size_t)r))
			rc = dv_error_set(DV_EIO, s->info.path, -1, "cannot hash");
		off += r;
	}
	unsigned la = 0, lb = 0;
	if (rc == 0 && EVP_DigestFinal_ex(a, md5, &la) && EVP_DigestFinal_ex(b, sha1, &lb) && la == 16 && lb == 20) {
		dv_hex(s->info.media_md5, md5, 16);
		dv_hex(s->info.media_sha1, sha1, 20);
	}
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	free(buf);
	return rc;
}

static int open_image(dv_source *s)
{
	/* by content: EWF1 ("EVF\t\r\n\xff\0"), EWF2 ("EVF2\r\n\x81\0"), else raw */
	uint8_t sig[8] = { 0 };
	int fd = open_ro(AT_FDCWD, s->info.path, 0);
	if (fd < 0) return dv_error_errno(errno, s->info.path, -1, "cannot open image");
	ssize_t got = pread(fd, sig, sizeof(sig), 0);
	close(fd);
	bool ewf1 = got == 8 && !memcmp(sig, "EVF\x09\x0d\x0a\xff\x00", 8);
	if (got == 8 && (!memcmp(sig, "EVF2\x0d\x0a\x81\x00", 8) || !memcmp(sig, "LEF2\x0d\x0a\x81\x00", 8)))
		return dv_error_set(DV_EUNSUPPORTED, s->info.path, 0,
		                    "an Ex01 (EWF version 2) image: this system's libewf reads E01 (EWF1) only; "
		                    "convert it with ewfexport -f encase6, or acquire the card again as E01 or raw");
	if (got == 8 && !memcmp(sig, "LVF\x09\x0d\x0a\xff\x00", 8))
		return dv_error_set(DV_EUNSUPPORTED, s->info.path, 0,
		                    "an L01 (EWF logical evidence) file: not a disk image; export its files and ingest them");
	snprintf(s->info.format, sizeof(s->info.format), "%s", ewf1 ? "e01" : "raw");
	s->img = tsk_img_open_utf8_sing(s->info.path, ewf1 ? TSK_IMG_TYPE_EWF_EWF : TSK_IMG_TYPE_RAW, 0);
	if (!s->img)
		return dv_error_set(DV_EINVAL, s->info.path, -1, "cannot read as a disk image%s: %s", ewf1 ? " (E01)" : "",
		                    tsk_err());
	if (ewf1) {
		int rc = ewf_hashes(s);
		if (rc < 0) return rc;
	}
	s->info.image_size = (uint64_t)s->img->size;
	tsk_error_reset();
	s->fs = tsk_fs_open_img(s->img, 0, TSK_FS_TYPE_DETECT);
	if (!s->fs) {
		/* A whole card: a partition table, then the file system. */
		tsk_error_reset();
		s->vs = tsk_vs_open(s->img, 0, TSK_VS_TYPE_DETECT);
		for (TSK_PNUM_T i = 0; s->vs && !s->fs && i < s->vs->part_count; i++) {
			const TSK_VS_PART_INFO *p = tsk_vs_part_get(s->vs, i);
			if (p && (p->flags & TSK_VS_PART_FLAG_ALLOC))
				s->fs = tsk_fs_open_vol(p, TSK_FS_TYPE_DETECT);
		}
	}
	if (!s->fs)
		return dv_error_set(DV_EINVAL, s->info.path, -1,
		                    "no FAT or exFAT file system found (corrupt or unsupported): %s", tsk_err());
	snprintf(s->info.fs_type, sizeof(s->info.fs_type), "%s", tsk_fs_type_toname(s->fs->ftype));
	return 0;
}

/* ---- common --------------------------------------------------------------------- */
int dv_source_open(dv_source **out, const char *path)
{
	dv_source *s = calloc(1, sizeof(*s));
	if (!s) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	s->root_fd = -1;
	s->cache_fd = -1;
	int rc;
	char *abs = realpath(path, NULL);
	if (!abs) {
		rc = dv_error_errno(errno, path, -1, "cannot open source");
		goto fail;
	}
	snprintf(s->info.path, sizeof(s->info.path), "%s", abs);
	free(abs);
	struct stat st;
	if (stat(s->info.path, &st) < 0) {
		rc = dv_error_errno(errno, path, -1, "cannot stat source");
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(s->info.kind, sizeof(s->info.kind), "directory");
		s->root_fd = open_ro(AT_FDCWD, s->info.path, O_DIRECTORY);
		if (s->root_fd < 0) {
			rc = dv_error_errno(errno, path, -1, "cannot open source directory");
			goto fail;
		}
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		snprintf(s->info.kind, sizeof(s->info.kind), "image");
		if ((rc = open_image(s)) < 0) goto fail;
	} else {
		rc = dv_error_set(DV_EINVAL, path, -1, "source is neither a directory, an image file nor a block device");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	dv_source_close(s);
	return rc;
}

int dv_source_open_files(dv_source **out, const char *const *paths, size_t n)
{
	if (n == 0 || n > 100000) return dv_error_set(DV_EINVAL, NULL, -1, "give 1 to 100000 files");
	dv_source *s = calloc(1, sizeof(*s));
	if (!s) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	s->root_fd = -1;
	s->cache_fd = -1;
	snprintf(s->info.kind, sizeof(s->info.kind), "files");
	int rc = 0;
	if (!(s->abs_paths = calloc(n, sizeof(char *)))) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct stat st;
		char *abs = realpath(paths[i], NULL);
		if (!abs || stat(abs, &st) < 0) {
			rc = dv_error_errno(errno, paths[i], -1, "cannot open");
			free(abs);
			break;
		}
		if (!S_ISREG(st.st_mode)) {
			free(abs);
			rc = dv_error_set(DV_EINVAL, paths[i], -1, "not a regular file");
			break;
		}
		if (i == 0) snprintf(s->info.path, sizeof(s->info.path), "%s", abs);
		const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
		char rel[DV_PATH_MAX_SRC];
		snprintf(rel, sizeof(rel), "%s", base);
		for (size_t k = 0; k < s->n; k++)
			if (!strcmp(s->files[k].path, rel)) {
				snprintf(rel, sizeof(rel), "%zu-%s", i + 1, base);
				break;
			}
		dv_source_file f = { NULL, (uint64_t)st.st_size, ts_ns(st.st_mtim), ts_ns(st.st_atim),
		                     ts_ns(st.st_ctim), INT64_MIN, st.st_mode, (uint64_t)s->n, 0, 0, false };
		s->abs_paths[s->n] = abs;
		if ((rc = add_file(s, rel, &f)) < 0) {
			s->abs_paths[s->n] = NULL;
			free(abs);
		}
	}
	if (rc < 0) {
		dv_source_close(s);
		return rc;
	}
	s->listed = true;
	*out = s;
	return 0;
}

void dv_source_close(dv_source *s)
{
	if (!s) return;
	if (s->abs_paths) {
		for (size_t i = 0; i < s->n; i++) free(s->abs_paths[i]);
		free(s->abs_paths);
	}
	for (size_t i = 0; i < s->n; i++) free(s->files[i].path);
	free(s->files);
	for (size_t i = 0; i < s->nfailed; i++) {
		free(s->failed[i].path);
		free(s->failed[i].message);
	}
	free(s->failed);
	if (s->cache_fd >= 0) close(s->cache_fd);
	free(s->cache_dir);
	if (s->root_fd >= 0) close(s->root_fd);
	if (s->fs) tsk_fs_close(s->fs);
	if (s->vs) tsk_vs_close(s->vs);
	if (s->img) tsk_img_close(s->img);
	free(s);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const dv_source_file *)a)->path, ((const dv_source_file *)b)->path);
}

int dv_source_set_recover(dv_source *s)
{
	if (!s->fs || s->listed)
		return dv_error_set(DV_EUNSUPPORTED, s->info.path, -1, "deleted files can be recovered from images only");
	s->recover = true;
	return 0;
}

/* Recovered names can repeat (a name deleted and written again, FAT's
 * lost first letter): the later ones get their entry's address. */
static int unique_names(dv_source *s)
{
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->files[i].path, s->files[i - 1].path)) continue;
		char *p = s->files[i].path, *slash = strrchr(p, '/');
		size_t dl = slash ? (size_t)(slash - p) + 1 : 0;
		char rel[DV_PATH_MAX_SRC];
		if (snprintf(rel, sizeof(rel), "%.*s%llu-%s", (int)dl, p, (unsigned long long)s->files[i].inode, p + dl) >=
		    (int)sizeof(rel))
			continue;   /* the parent refuses the repeat: a fault, never a silent merge */
		char *np = strdup(rel);
		if (!np) return dv_error_set(DV_ENOMEM, s->info.path, -1, "out of memory");
		free(p);
		s->files[i].path = np;
	}
	return 0;
}

int dv_source_list(dv_source *s, const dv_source_file **files, size_t *n, size_t *skipped)
{
	if (!s->listed) {
		int rc;
		if (s->root_fd >= 0) {
			rc = walk_dir(s, s->root_fd, "", 0);
		} else {
			TSK_INUM_T up[MAX_DEPTH + 1];
			rc = walk_image_dir(s, s->fs->root_inum, "", 0, up);
		}
		if (rc < 0) return rc;
		if (s->n) qsort(s->files, s->n, sizeof(*s->files), by_path);
		if (s->recover && (rc = unique_names(s)) < 0) return rc;
		if (s->recover && s->n) qsort(s->files, s->n, sizeof(*s->files), by_path);
		s->listed = true;
	}
	*files = s->files;
	*n = s->n;
	if (skipped) *skipped = s->skipped;
	return 0;
}

/*
 * A directory source's file, reached from the source's descriptor one
 * component at a time (O_NOFOLLOW | O_DIRECTORY for each directory,
 * O_NOFOLLOW for the file): a component swapped for a symbolic link since
 * the listing is never followed, so nothing outside the source is opened
 * (openat2 with RESOLVE_BENEATH would do the same, but the reader's filter
 * refuses it). The file opened must be the inode listed.
 */
static int open_dir_file(dv_source *s, const dv_source_file *f)
{
	const char *slash = strrchr(f->path, '/');
	size_t dl = slash ? (size_t)(slash - f->path) : 0;
	const char *base = slash ? slash + 1 : f->path;
	int dfd = s->root_fd;
	if (dl) {
		if (!(s->cache_dir && strlen(s->cache_dir) == dl && !memcmp(s->cache_dir, f->path, dl))) {
			if (s->cache_fd >= 0) close(s->cache_fd);
			s->cache_fd = -1;
			free(s->cache_dir);
			s->cache_dir = NULL;
			int cur = s->root_fd;
			for (const char *p = f->path; p < f->path + dl;) {
				const char *e = memchr(p, '/', (size_t)(f->path + dl - p));
				size_t cl = e ? (size_t)(e - p) : (size_t)(f->path + dl - p);
				char comp[NAME_MAX + 1];
				if (cl == 0 || cl > NAME_MAX || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.')) {
					if (cur != s->root_fd) close(cur);
					errno = ENOENT;
					return -1;
				}
				memcpy(comp, p, cl);
				comp[cl] = '\0';
				int next = open_ro(cur, comp, O_DIRECTORY | O_NOFOLLOW);
				int saved = errno;
				if (cur != s->root_fd) close(cur);
				if (next < 0) {
					errno = saved == ELOOP || saved == ENOTDIR ? ENOENT : saved;
					return -1;
				}
				cur = next;
				p += cl + 1;
			}
			s->cache_fd = cur;
			if ((s->cache_dir = malloc(dl + 1))) {
				memcpy(s->cache_dir, f->path, dl);
				s->cache_dir[dl] = '\0';
			}
		}
		dfd = s->cache_fd;
	}
	int fd = open_ro(dfd, base, O_NOFOLLOW);
	if (!s->cache_dir && s->cache_fd >= 0) {
		close(s->cache_fd);   /* no memory to remember it: not cached */
		s->cache_fd = -1;
	}
	if (fd < 0) {
		if (errno == ELOOP) errno = ENOENT;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != f->inode || (uint64_t)st.st_dev != f->dev) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

static int open_listed(dv_source *s, const dv_source_file *f)
{
	int fd = s->abs_paths ? open_ro(AT_FDCWD, s->abs_paths[f->inode], O_NOFOLLOW) : open_dir_file(s, f);
	if (fd >= 0) return fd;
	if (errno == ESTALE || errno == ENOENT)
		return dv_error_set(DV_EIO, f->path, -1, "changed since it was listed (removed, replaced, or a directory on its "
		                    "path swapped for a link): not read");
	return dv_error_errno(errno, f->path, -1, "cannot open");
}

static int read_dir_file(dv_source *s, const dv_source_file *f, uint8_t *const *bufs, size_t nbufs, size_t bufsize,
                         dv_source_sink fn, void *payload)
{
	int fd = open_listed(s, f);
	if (fd < 0) return fd;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint64_t done = 0;
	int rc = 0;
	for (size_t k = 0;; k = (k + 1) % nbufs) {
		uint8_t *buf = bufs[k];
		ssize_t r = read(fd, buf, bufsize);
		if (r < 0) {
			if (errno == EINTR) continue;
			rc = dv_error_errno(errno, f->path, (int64_t)done, "cannot read");
			break;
		}
		if (r == 0) break;
		done += (uint64_t)r;
		if ((rc = fn(buf, (size_t)r, payload)) != 0) break;
	}
	close(fd);
	if (rc == 0 && done != f->size)
		rc = dv_error_set(DV_EIO, f->path, (int64_t)done, "file changed while being read (listed %llu bytes, read %llu)",
		                  (unsigned long long)f->size, (unsigned long long)done);
	return rc;
}

static int read_image_file(dv_source *s, const dv_source_file *f, uint8_t *const *bufs, size_t nbufs,
                           size_t bufsize, dv_source_sink fn, void *payload)
{
	tsk_error_reset();
	TSK_FS_FILE *file = tsk_fs_file_open_meta(s->fs, NULL, (TSK_INUM_T)f->inode);
	if (!file) return dv_error_set(DV_EIO, f->path, -1, "cannot open in the image: %s", tsk_err());
	uint64_t done = 0;
	int rc = 0;
	for (size_t k = 0; done < f->size; k = (k + 1) % nbufs) {
		uint8_t *buf = bufs[k];
		size_t want = f->size - done < bufsize ? (size_t)(f->size - done) : bufsize;
		ssize_t r = tsk_fs_file_read(file, (TSK_OFF_T)done, (char *)buf, want, TSK_FS_FILE_READ_FLAG_NONE);
		if (r <= 0) {
			rc = dv_error_set(DV_EIO, f->path, (int64_t)done, "cannot read from the image (truncated or damaged): %s",
			                  tsk_err());
			break;
		}
		done += (uint64_t)r;
		if ((rc = fn(buf, (size_t)r, payload)) != 0) break;
	}
	tsk_fs_file_close(file);
	return rc;
}

int dv_source_open_file(dv_source *s, const dv_source_file *f)
{
	if (s->root_fd < 0 && !s->abs_paths)
		return dv_error_set(DV_EUNSUPPORTED, f->path, -1, "a file inside an image has no descriptor of its own");
	return open_listed(s, f);
}

int dv_source_read_ring(dv_source *s, const dv_source_file *f, uint8_t *const *bufs, size_t nbufs, size_t bufsize,
                        dv_source_sink fn, void *payload)
{
	if (nbufs == 0) return dv_error_set(DV_EINVAL, f->path, -1, "no buffer to read into");
	return s->root_fd >= 0 || s->abs_paths ? read_dir_file(s, f, bufs, nbufs, bufsize, fn, payload)
	                                       : read_image_file(s, f, bufs, nbufs, bufsize, fn, payload);
}

int dv_source_read(dv_source *s, const dv_source_file *f, uint8_t *buf, size_t bufsize,
                   dv_source_sink fn, void *payload)
{
	return dv_source_read_ring(s, f, &buf, 1, bufsize, fn, payload);
}

