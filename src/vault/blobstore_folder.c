/*
 * The folder blob backend: <vault>/blobs/XX/NAME, written under <vault>/tmp.
 * All of the blob store's files, renames and syncs are here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/blob.h"
#include "dv/err.h"
#include "dv/util.h"
#include "core/fs_int.h"
#include "vault/vault_fs_int.h"

/* No sync_file_range() hints while writing: measured on the card-sized
 * benchmark, early writeback of each blob in 8 MiB steps competed with the
 * reads and made the ingest slower; the batch's syncfs writes it all. */

struct dv_blob_backend {
	char dir[2048];    /* <vault>/blobs */
	char tmpdir[2048]; /* <vault>/tmp */
	const dv_fs *fs;   /* every durable write goes through it */
};

struct dv_blob_put {
	int fd;
	char tmp[4096];
	char name[DV_BLOB_NAME_HEX + 1];
};

struct dv_blob_get {
	int fd;
	char path[4096];
};

static int path_of(dv_blob_backend *be, const char *name, char *out, size_t size)
{
	return dv_pathf(out, size, "%s/%.2s/%s", be->dir, name, name);
}

static unsigned folder_caps(dv_blob_backend *be)
{
	(void)be;
	return DV_BLOB_CAP_ATOMIC_PUT | DV_BLOB_CAP_RANGE_READ | DV_BLOB_CAP_DURABLE_ON_COMMIT;
}

static int folder_put_begin(dv_blob_backend *be, dv_blob_put **out)
{
	dv_blob_put *p = calloc(1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, be->tmpdir, -1, "out of memory");
	uint8_t rnd[8];
	char rhex[17];
	dv_random(rnd, sizeof(rnd));
	dv_hex(rhex, rnd, sizeof(rnd));
	int rc = dv_pathf(p->tmp, sizeof(p->tmp), "%s/blob-%s.part", be->tmpdir, rhex);
	if (rc == 0) {
		p->fd = be->fs->openat(be->fs, AT_FDCWD, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (p->fd < 0) rc = dv_error_errno(errno, p->tmp, -1, "cannot create blob");
	}
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int folder_put_write(dv_blob_backend *be, dv_blob_put *p, uint64_t off, const void *data, size_t n)
{
	return dv_fs_pwrite_all(be->fs, p->fd, data, n, off, p->tmp);
}

static void folder_put_abort(dv_blob_backend *be, dv_blob_put *p)
{
	if (!p) return;
	if (p->fd >= 0) be->fs->close(be->fs, p->fd);
	if (p->tmp[0]) be->fs->unlinkat(be->fs, AT_FDCWD, p->tmp, 0);
	free(p);
}

static int close_put(dv_blob_backend *be, dv_blob_put *p)
{
	int fd = p->fd;
	p->fd = -1;
	if (be->fs->close(be->fs, fd) < 0) return dv_error_errno(errno, p->tmp, -1, "cannot close blob");
	return 0;
}

/* mkdir blobs/XX (its parent fsynced when durable), rename tmp into place. */
static int move_into_place(dv_blob_backend *be, dv_blob_put *p, bool durable)
{
	char path[4096], dir[4096];
	int rc;
	if ((rc = path_of(be, p->name, path, sizeof(path))) < 0 ||
	    (rc = dv_pathf(dir, sizeof(dir), "%s/%.2s", be->dir, p->name)) < 0)
		return rc;
	if (be->fs->mkdirat(be->fs, AT_FDCWD, dir, 0700) == 0) {
		if (durable && (rc = dv_fs_fsync_dir(be->fs, be->dir)) < 0) return rc;
	} else if (errno != EEXIST) {
		return dv_error_errno(errno, dir, -1, "cannot create blob directory");
	}
	if (be->fs->renameat(be->fs, AT_FDCWD, p->tmp, AT_FDCWD, path) < 0)
		return dv_error_errno(errno, path, -1, "cannot move blob into place");
	p->tmp[0] = '\0';
	return durable ? dv_fs_fsync_dir(be->fs, dir) : 0;
}

static int folder_put_commit(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	int rc = dv_fs_fsync(be->fs, p->fd, p->tmp);
	if (rc == 0) rc = close_put(be, p);
	if (rc == 0) rc = move_into_place(be, p, true);
	folder_put_abort(be, p);
	return rc;
}

static int folder_put_stage(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	return close_put(be, p);
}

static int folder_publish(dv_blob_backend *be, dv_blob_put *const *puts, size_t n, size_t *published)
{
	*published = 0;
	if (n == 0) return 0;
	/* 1. every blob's data and header on disk */
	int rc = dv_fs_syncfs_dir(be->fs, be->tmpdir);
	/* 2. into place */
	size_t moved = 0;
	for (; rc == 0 && moved < n; moved++)
		if ((rc = move_into_place(be, puts[moved], false)) < 0) break;
	/* 3. the renames and new directories on disk */
	if (rc == 0) rc = dv_fs_syncfs_dir(be->fs, be->dir);
	if (rc < 0) return rc;
	for (size_t i = 0; i < n; i++) folder_put_abort(be, puts[i]);
	*published = n;
	return 0;
}

static int folder_exists(dv_blob_backend *be, const char *name)
{
	char path[4096];
	struct stat st;
	int rc = path_of(be, name, path, sizeof(path));
	if (rc < 0) return rc;
	if (stat(path, &st) == 0) return 1;
	if (errno == ENOENT || errno == ENOTDIR) return 0;
	return dv_error_errno(errno, path, -1, "cannot look for blob");
}

static int folder_open_read(dv_blob_backend *be, const char *name, dv_blob_get **out, uint64_t *stored)
{
	dv_blob_get *g = calloc(1, sizeof(*g));
	if (!g) return dv_error_set(DV_ENOMEM, be->dir, -1, "out of memory");
	int rc = path_of(be, name, g->path, sizeof(g->path));
	if (rc < 0) {
		free(g);
		return rc;
	}
	g->fd = open(g->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (g->fd < 0 || fstat(g->fd, &st) < 0) {
		rc = errno == ENOENT ? dv_error_set(DV_ENOTFOUND, g->path, -1, "blob missing")
		                     : dv_error_errno(errno, g->path, -1, "cannot open blob");
		if (g->fd >= 0) close(g->fd);
		free(g);
		return rc;
	}
	(void)posix_fadvise(g->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*stored = (uint64_t)st.st_size;
	*out = g;
	return 0;
}

static int folder_read_at(dv_blob_backend *be, dv_blob_get *g, uint64_t off, void *buf, size_t n, size_t *got)
{
	(void)be;
	if (off > INT64_MAX) return dv_error_set(DV_EINVAL, g->path, -1, "offset out of range");
	return dv_pread_full(g->fd, buf, n, (int64_t)off, got, g->path);
}

static void folder_close_read(dv_blob_backend *be, dv_blob_get *g)
{
	(void)be;
	if (!g) return;
	close(g->fd);
	free(g);
}

static int folder_list(dv_blob_backend *be, int (*fn)(const char *name, void *payload), void *payload)
{
	DIR *top = opendir(be->dir);
	if (!top) return dv_error_errno(errno, be->dir, -1, "cannot list blobs");
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(top))) {
		if (e->d_name[0] == '.') continue;
		char sub[4096];
		if ((rc = dv_pathf(sub, sizeof(sub), "%s/%s", be->dir, e->d_name)) < 0) break;
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

static int folder_clean(dv_blob_backend *be)
{
	DIR *d = opendir(be->tmpdir);
	if (!d) return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "blob-", 5) != 0) continue;
		if (be->fs->unlinkat(be->fs, dirfd(d), e->d_name, 0) == 0) n++;
	}
	closedir(d);
	return n;
}

static int folder_locate(dv_blob_backend *be, const char *name, char *out, size_t size)
{
	return path_of(be, name, out, size);
}

static void folder_free(dv_blob_backend *be) { free(be); }

static const dv_blob_backend_ops folder_ops = {
	.version = DV_BLOB_BACKEND_VERSION,
	.name = "folder",
	.caps = folder_caps,
	.put_begin = folder_put_begin,
	.put_write = folder_put_write,
	.put_commit = folder_put_commit,
	.put_stage = folder_put_stage,
	.publish = folder_publish,
	.put_abort = folder_put_abort,
	.exists = folder_exists,
	.open_read = folder_open_read,
	.read_at = folder_read_at,
	.close_read = folder_close_read,
	.list = folder_list,
	.clean = folder_clean,
	.locate = folder_locate,
	.free = folder_free,
};

int dv_blob_folder_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const char *vault_dir,
                           bool create)
{
	return dv_blob_folder_backend_fs(out, ops_out, vault_dir, create, dv_fs_real());
}

int dv_blob_folder_backend_fs(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const char *vault_dir,
                              bool create, const dv_fs *fs)
{
	dv_blob_backend *be = calloc(1, sizeof(*be));
	if (!be) return dv_error_set(DV_ENOMEM, vault_dir, -1, "out of memory");
	be->fs = fs ? fs : dv_fs_real();
	int rc;
	if ((rc = dv_pathf(be->dir, sizeof(be->dir), "%s/blobs", vault_dir)) < 0 ||
	    (rc = dv_pathf(be->tmpdir, sizeof(be->tmpdir), "%s/tmp", vault_dir)) < 0 ||
	    (create && ((rc = dv_mkdir_p(be->dir)) < 0 || (rc = dv_mkdir_p(be->tmpdir)) < 0))) {
		free(be);
		return rc;
	}
	*out = be;
	*ops_out = &folder_ops;
	return 0;
}
