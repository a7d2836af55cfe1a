/* The real dv_fs (core/fs_int.h) and the helpers over any table. */
#include "core/fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"

static int real_openat(const dv_fs *fs, int dirfd, const char *path, int flags, mode_t mode)
{
	(void)fs;
	return openat(dirfd, path, flags, mode);
}

static ssize_t real_write(const dv_fs *fs, int fd, const void *buf, size_t n)
{
	(void)fs;
	return write(fd, buf, n);
}

static ssize_t real_pwrite(const dv_fs *fs, int fd, const void *buf, size_t n, off_t off)
{
	(void)fs;
	return pwrite(fd, buf, n, off);
}

static int real_ftruncate(const dv_fs *fs, int fd, off_t len)
{
	(void)fs;
	return ftruncate(fd, len);
}

static int real_fsync(const dv_fs *fs, int fd)
{
	(void)fs;
	return fsync(fd);
}

static int real_fdatasync(const dv_fs *fs, int fd)
{
	(void)fs;
	return fdatasync(fd);
}

static int real_syncfs(const dv_fs *fs, int fd)
{
	(void)fs;
	return syncfs(fd);
}

static int real_renameat(const dv_fs *fs, int ofd, const char *o, int nfd, const char *n)
{
	(void)fs;
	return renameat(ofd, o, nfd, n);
}

static int real_unlinkat(const dv_fs *fs, int dirfd, const char *path, int flags)
{
	(void)fs;
	return unlinkat(dirfd, path, flags);
}

static int real_mkdirat(const dv_fs *fs, int dirfd, const char *path, mode_t mode)
{
	(void)fs;
	return mkdirat(dirfd, path, mode);
}

static int real_close(const dv_fs *fs, int fd)
{
	(void)fs;
	return close(fd);
}

static const dv_fs real_fs = {
	.version = DV_FS_VERSION,
	.openat = real_openat,
	.write = real_write,
	.pwrite = real_pwrite,
	.ftruncate = real_ftruncate,
	.fsync = real_fsync,
	.fdatasync = real_fdatasync,
	.syncfs = real_syncfs,
	.renameat = real_renameat,
	.unlinkat = real_unlinkat,
	.mkdirat = real_mkdirat,
	.close = real_close,
};

const dv_fs *dv_fs_real(void) { return &real_fs; }

int dv_fs_write_all(const dv_fs *fs, int fd, const void *buf, size_t n, const char *path)
{
	const unsigned char *p = buf;
	while (n > 0) {
		ssize_t w = fs->write(fs, fd, p, n);
		if (w < 0) {
			if (errno == EINTR) continue;
			return dv_error_errno(errno, path, -1, "cannot write");
		}
		if (w == 0) return dv_error_set(DV_EIO, path, -1, "cannot write: no progress");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int dv_fs_pwrite_all(const dv_fs *fs, int fd, const void *buf, size_t n, uint64_t off, const char *path)
{
	const unsigned char *p = buf;
	while (n > 0) {
		ssize_t w = fs->pwrite(fs, fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR) continue;
			return dv_error_errno(errno, path, (int64_t)off, "cannot write");
		}
		if (w == 0) return dv_error_set(DV_EIO, path, (int64_t)off, "cannot write: no progress");
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int dv_fs_fsync(const dv_fs *fs, int fd, const char *path)
{
	if (fs->fsync(fs, fd) < 0) return dv_error_errno(errno, path, -1, "cannot fsync");
	return 0;
}

int dv_fs_fsync_dir(const dv_fs *fs, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, dir, -1, "cannot open directory");
	int rc = dv_fs_fsync(fs, fd, dir);
	close(fd);
	return rc;
}

int dv_fs_syncfs_dir(const dv_fs *fs, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, dir, -1, "cannot open");
	int rc = fs->syncfs(fs, fd) < 0 ? dv_error_errno(errno, dir, -1, "cannot sync the file system") : 0;
	close(fd);
	return rc;
}
