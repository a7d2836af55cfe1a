/*
 * core/fs_int.h - the file operations the vault makes durable, as a table.
 *
 * Every writer whose bytes must survive a power cut (the folder blob store,
 * the custody log, export) does its creating, writing, syncing, renaming
 * and removing through a dv_fs, so that a test can put a fault-injecting
 * one in its place (tests/crash: a simulated power loss drops or tears what
 * no fsync/fdatasync/syncfs covered and undoes renames no directory fsync
 * covered). The table is passed per vault (dv_vault_open_fs in
 * vault/vault_fs_int.h); there is no process-wide switch: a vault opened
 * the ordinary way uses dv_fs_real(). The catalog's SQLite goes through a
 * SQLite VFS instead, which such a test registers itself.
 *
 * Each operation is the system call of the same name: -1 and errno on
 * failure. Reads, stats and closes of read-only descriptors need no table.
 */
#ifndef DV_CORE_FS_INT_H
#define DV_CORE_FS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DV_FS_VERSION 1u

typedef struct dv_fs dv_fs;
struct dv_fs {
	unsigned version; /* DV_FS_VERSION */
	void *ctx;        /* the implementation's own */
	int (*openat)(const dv_fs *fs, int dirfd, const char *path, int flags, mode_t mode);
	ssize_t (*write)(const dv_fs *fs, int fd, const void *buf, size_t n);
	ssize_t (*pwrite)(const dv_fs *fs, int fd, const void *buf, size_t n, off_t off);
	int (*ftruncate)(const dv_fs *fs, int fd, off_t len);
	int (*fsync)(const dv_fs *fs, int fd);
	int (*fdatasync)(const dv_fs *fs, int fd);
	int (*syncfs)(const dv_fs *fs, int fd);
	int (*renameat)(const dv_fs *fs, int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
	int (*unlinkat)(const dv_fs *fs, int dirfd, const char *path, int flags);
	int (*mkdirat)(const dv_fs *fs, int dirfd, const char *path, mode_t mode);
	int (*close)(const dv_fs *fs, int fd);
};

/* The real file system (the default everywhere). */
const dv_fs *dv_fs_real(void);

/* Helpers over a table, errors through dv_error_set naming path. */
int dv_fs_write_all(const dv_fs *fs, int fd, const void *buf, size_t n, const char *path);
int dv_fs_pwrite_all(const dv_fs *fs, int fd, const void *buf, size_t n, uint64_t off, const char *path);
int dv_fs_fsync(const dv_fs *fs, int fd, const char *path);
/* Opens dir, fsyncs it (its entries durable), closes it. */
int dv_fs_fsync_dir(const dv_fs *fs, const char *dir);
/* syncfs of the file system holding dir. */
int dv_fs_syncfs_dir(const dv_fs *fs, const char *dir);

#endif
