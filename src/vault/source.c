#include "vault/source_int.h"

#include <errno.h>
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
#include <unistd.h>

#include "dv/err.h"
#include "dv/crypto.h"
#include "dv/util.h"

#define MAX_DEPTH 64
#define MAX_FILES (4u << 20)
#define DV_PATH_MAX_SRC 4096

struct dv_source {
	dv_source_info info;
	char **abs_paths;        /* "files" sources: absolute path per listed file */
	int root_fd;             /* directory sources */
	TSK_IMG_INFO *img;       /* image sources */
	TSK_FS_INFO *fs;
	TSK_VS_INFO *vs;
	dv_source_file *files;
	size_t n, cap, skipped;
	bool listed;
	int walk_error;
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

static int64_t ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- directories ------------------------------------------------------------- */
static int walk_dir(dv_source *s, int dfd, const char *prefix, int depth)
{
	if (depth > MAX_DEPTH)
		return dv_error_set(DV_EINVAL, s->info.path, -1, "directories nested deeper than %d at %s", MAX_DEPTH, prefix);
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0) close(fd);
		return dv_error_errno(errno, s->info.path, -1, "cannot list %s", *prefix ? prefix : ".");
	}
	int rc = 0;
	struct dirent *e;
	errno = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		char rel[DV_PATH_MAX_SRC];
		if (dv_pathf(rel, sizeof(rel), "%s%s", prefix, e->d_name) < 0) {
			rc = DV_EINVAL;
			break;
		}
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = dv_error_errno(errno, rel, -1, "cannot stat");
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = open_ro(dfd, e->d_name, O_DIRECTORY | O_NOFOLLOW);
			if (sub < 0) {
				rc = dv_error_errno(errno, rel, -1, "cannot open directory");
				break;
			}
			char pre[DV_PATH_MAX_SRC];
			if (dv_pathf(pre, sizeof(pre), "%s/", rel) < 0) rc = DV_EINVAL;
			else rc = walk_dir(s, sub, pre, depth + 1);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			dv_source_file f = { NULL, (uint64_t)st.st_size, ts_ns(st.st_mtim), ts_ns(st.st_atim),
			                     ts_ns(st.st_ctim), INT64_MIN, st.st_mode, st.st_ino };
			rc = add_file(s, rel, &f);
		} else {
			s->skipped++;
		}
	}
	closedir(d);
	return rc;
}

/* ---- images ------------------------------------------------------------------- */
static TSK_WALK_RET_ENUM tsk_visit(TSK_FS_FILE *file, const char *path, void *ptr)
{
	dv_source *s = ptr;
	if (!file->name || !file->meta) return TSK_WALK_CONT;
	const char *name = file->name->name;
	if (!strcmp(name, ".") || !strcmp(name, "..")) return TSK_WALK_CONT;
	if (file->meta->type == TSK_FS_META_TYPE_DIR || file->meta->type == TSK_FS_META_TYPE_VIRT_DIR)
		return TSK_WALK_CONT;
	/* TSK shows a FAT volume label as an empty file "LABEL (Volume Label Entry)". */
	static const char label_suffix[] = "(Volume Label Entry)";
	size_t nl = strlen(name), sl = sizeof(label_suffix) - 1;
	if (TSK_FS_TYPE_ISFAT(s->fs->ftype) && (!path || !*path) && nl >= sl &&
	    !strcmp(name + nl - sl, label_suffix)) {
		size_t k = nl - sl;
		while (k > 0 && name[k - 1] == ' ') k--;
		snprintf(s->info.volume_label, sizeof(s->info.volume_label), "%.*s", (int)k, name);
		return TSK_WALK_CONT;
	}
	/* exFAT's allocation bitmap and up-case table are directory entries of
	 * the file system itself: TSK shows them as "$..." files in the root. */
	static const char *const exfat_meta[] = { "$ALLOC_BITMAP", "$UPCASE_TABLE", "$VOLUME_GUID_ENTRY",
	                                          "$TEXFAT", "$ACT", NULL };
	if (s->fs->ftype == TSK_FS_TYPE_EXFAT && (!path || !*path) && name[0] == '$')
		for (int i = 0; exfat_meta[i]; i++)
			if (!strcmp(name, exfat_meta[i])) return TSK_WALK_CONT;
	if (file->meta->type != TSK_FS_META_TYPE_REG) {
		/* TSK's virtual files ($MBR, $FAT1, ...) and specials */
		if (file->meta->type != TSK_FS_META_TYPE_VIRT) s->skipped++;
		return TSK_WALK_CONT;
	}
	char rel[DV_PATH_MAX_SRC];
	if (dv_pathf(rel, sizeof(rel), "%s%s", path ? path : "", name) < 0) {
		s->walk_error = DV_EINVAL;
		return TSK_WALK_STOP;
	}
	dv_source_file f = {
		NULL,
		file->meta->size < 0 ? 0 : (uint64_t)file->meta->size,
		(int64_t)file->meta->mtime * 1000000000 + file->meta->mtime_nano,
		(int64_t)file->meta->atime * 1000000000 + file->meta->atime_nano,
		(int64_t)file->meta->ctime * 1000000000 + file->meta->ctime_nano,
		file->meta->crtime ? (int64_t)file->meta->crtime * 1000000000 + file->meta->crtime_nano : INT64_MIN,
		(uint32_t)file->meta->mode | S_IFREG,
		(uint64_t)file->meta->addr,
	};
	if ((s->walk_error = add_file(s, rel, &f)) < 0) return TSK_WALK_STOP;
	return TSK_WALK_CONT;
}

static const char *tsk_err(void)
{
	const char *m = tsk_error_get();
	return m && *m ? m : "unknown error";
}

static int open_image(dv_source *s)
{
	s->img = tsk_img_open_utf8_sing(s->info.path, TSK_IMG_TYPE_RAW, 0);
	if (!s->img)
		return dv_error_set(DV_EINVAL, s->info.path, -1, "cannot read as a disk image: %s", tsk_err());
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
		                     ts_ns(st.st_ctim), INT64_MIN, st.st_mode, (uint64_t)s->n };
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

int dv_source_list(dv_source *s, const dv_source_file **files, size_t *n, size_t *skipped)
{
	if (!s->listed) {
		int rc;
		if (s->root_fd >= 0) {
			rc = walk_dir(s, s->root_fd, "", 0);
		} else {
			tsk_error_reset();
			rc = tsk_fs_dir_walk(s->fs, s->fs->root_inum,
			                     TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_RECURSE |
			                     TSK_FS_DIR_WALK_FLAG_NOORPHAN,
			                     tsk_visit, s) ? DV_EINVAL : 0;
			if (s->walk_error < 0) rc = s->walk_error;
			else if (rc < 0)
				rc = dv_error_set(DV_EINVAL, s->info.path, -1, "cannot walk the file system (corrupt?): %s", tsk_err());
		}
		if (rc < 0) return rc;
		if (s->n) qsort(s->files, s->n, sizeof(*s->files), by_path);
		s->listed = true;
	}
	*files = s->files;
	*n = s->n;
	if (skipped) *skipped = s->skipped;
	return 0;
}

static int read_dir_file(dv_source *s, const dv_source_file *f, uint8_t *const *bufs, size_t nbufs, size_t bufsize,
                         dv_source_sink fn, void *payload)
{
	int fd = s->abs_paths ? open_ro(AT_FDCWD, s->abs_paths[f->inode], 0) : open_ro(s->root_fd, f->path, O_NOFOLLOW);
	if (fd < 0) return dv_error_errno(errno, f->path, -1, "cannot open");
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
	int fd = s->abs_paths ? open_ro(AT_FDCWD, s->abs_paths[f->inode], 0) : open_ro(s->root_fd, f->path, O_NOFOLLOW);
	if (fd < 0) return dv_error_errno(errno, f->path, -1, "cannot open");
	return fd;
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

