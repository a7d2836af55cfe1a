/* The power-cut model behind crashfs.h: a dv_fs table and a SQLite VFS. */
#include "crash/crashfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the model -------------------------------------------------------------- */
struct pwrite_rec {
	uint64_t off;
	size_t len;
	uint8_t *data;  /* NULL: a truncate to off */
};

struct node {
	dev_t dev;
	ino_t ino;
	uint8_t *dur;   /* durable image */
	size_t dur_len;
	struct pwrite_rec *pend;
	size_t np, cap;
	uint8_t *img;   /* what the cut left (crash_realize) */
	size_t img_len;
	bool live;      /* its inode number is not yet another file's */
};

enum { K_ABSENT, K_FILE, K_DIR };

struct pathrec {
	char *path;
	int init_kind, init_node; /* before this run touched it */
	int kind, node;           /* crash_realize: what the cut left */
};

enum { OP_CREATE, OP_RENAME, OP_UNLINK, OP_MKDIR, OP_RMDIR };

struct op {
	int type;
	int a, b;       /* pathrec indices (b: rename target) */
	int node;
	bool durable;
};

static struct {
	pthread_mutex_t mu;
	bool active, off;
	uint64_t ops, crash_at, rng;
	struct node *nodes;
	size_t nn, cn;
	struct pathrec *paths;
	size_t npaths, cpaths;
	struct op *opsl;
	size_t nops, cops;
} M = { .mu = PTHREAD_MUTEX_INITIALIZER };

static uint64_t rnd(void)
{
	/* xorshift64* */
	M.rng ^= M.rng >> 12;
	M.rng ^= M.rng << 25;
	M.rng ^= M.rng >> 27;
	return M.rng * UINT64_C(2685821657736338717);
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap) return p;
	size_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(p, c * size);
	if (!q) {
		fprintf(stderr, "crashfs: out of memory\n");
		abort();
	}
	*cap = c;
	return q;
}

static int read_whole(const char *path, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *b = malloc(n ? n : 1);
	size_t got = 0;
	while (b && got < n) {
		ssize_t k = pread(fd, b + got, n - got, (off_t)got);
		if (k <= 0) break;
		got += (size_t)k;
	}
	close(fd);
	*out = b;
	*len = got;
	return 0;
}

static int node_find(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < M.nn; i++)
		if (M.nodes[i].live && M.nodes[i].dev == dev && M.nodes[i].ino == ino) return (int)i;
	return -1;
}

/* The node of the file at path now; its durable image is what it holds now
 * (a file this run has not written to is as durable as it was). */
static int node_of_existing(const char *path, const struct stat *st)
{
	int i = node_find(st->st_dev, st->st_ino);
	if (i >= 0) return i;
	M.nodes = grow(M.nodes, &M.cn, M.nn, sizeof(*M.nodes));
	struct node *n = &M.nodes[M.nn];
	memset(n, 0, sizeof(*n));
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->live = true;
	read_whole(path, &n->dur, &n->dur_len);
	return (int)M.nn++;
}

/* A new file: an earlier node with its inode number was removed meanwhile
 * (it stays, for an unlink the cut may undo, but is no longer looked up). */
static int node_new(const struct stat *st)
{
	int old;
	while ((old = node_find(st->st_dev, st->st_ino)) >= 0) M.nodes[old].live = false;
	M.nodes = grow(M.nodes, &M.cn, M.nn, sizeof(*M.nodes));
	struct node *n = &M.nodes[M.nn];
	memset(n, 0, sizeof(*n));
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->live = true;
	return (int)M.nn++;
}

static int path_find(const char *p)
{
	for (size_t i = 0; i < M.npaths; i++)
		if (!strcmp(M.paths[i].path, p)) return (int)i;
	return -1;
}

/* The path's record, made (with what is there now) when first seen. */
static int path_track(const char *p)
{
	int i = path_find(p);
	if (i >= 0) return i;
	M.paths = grow(M.paths, &M.cpaths, M.npaths, sizeof(*M.paths));
	struct pathrec *r = &M.paths[M.npaths];
	memset(r, 0, sizeof(*r));
	r->path = strdup(p);
	r->init_node = -1;
	struct stat st;
	if (lstat(p, &st) == 0) {
		if (S_ISDIR(st.st_mode)) r->init_kind = K_DIR;
		else if (S_ISREG(st.st_mode)) {
			r->init_kind = K_FILE;
			r->init_node = node_of_existing(p, &st);
		}
	}
	return (int)M.npaths++;
}

static void op_add(int type, int a, int b, int node, bool durable)
{
	M.opsl = grow(M.opsl, &M.cops, M.nops, sizeof(*M.opsl));
	M.opsl[M.nops++] = (struct op){ type, a, b, node, durable };
}

static void pend_add(int node, uint64_t off, const void *data, size_t len)
{
	struct node *n = &M.nodes[node];
	n->pend = grow(n->pend, &n->cap, n->np, sizeof(*n->pend));
	uint8_t *copy = NULL;
	if (data) {
		copy = malloc(len ? len : 1);
		if (!copy) abort();
		memcpy(copy, data, len);
	}
	n->pend[n->np++] = (struct pwrite_rec){ off, len, copy };
}

static void apply(uint8_t **buf, size_t *len, const struct pwrite_rec *w, size_t take)
{
	size_t end = w->data ? (size_t)w->off + take : (size_t)w->off;
	if (end > *len || !w->data) {
		uint8_t *b = realloc(*buf, end ? end : 1);
		if (!b) abort();
		if (end > *len) memset(b + *len, 0, end - *len);
		*buf = b;
		*len = end;
	}
	if (w->data) memcpy(*buf + w->off, w->data, take);
}

static void node_sync(int node)
{
	struct node *n = &M.nodes[node];
	for (size_t i = 0; i < n->np; i++) {
		apply(&n->dur, &n->dur_len, &n->pend[i], n->pend[i].len);
		free(n->pend[i].data);
	}
	n->np = 0;
}

static void parent_of(const char *p, char *out, size_t size)
{
	snprintf(out, size, "%s", p);
	char *s = strrchr(out, '/');
	if (s && s != out) *s = '\0';
	else if (s) s[1] = '\0';
}

/* The directory dir was fsynced: the changes in it are durable. */
static void dir_synced(const char *dir)
{
	char par[PATH_MAX];
	for (size_t i = 0; i < M.nops; i++) {
		struct op *o = &M.opsl[i];
		if (o->durable) continue;
		parent_of(M.paths[o->type == OP_RENAME ? o->b : o->a].path, par, sizeof(par));
		if (!strcmp(par, dir)) o->durable = true;
	}
}

static void all_synced(void)
{
	for (size_t i = 0; i < M.nn; i++) node_sync((int)i);
	for (size_t i = 0; i < M.nops; i++) M.opsl[i].durable = true;
}

/* The canonical path of dirfd/name (its directory resolved, the last component not). */
static int canon(int dirfd, const char *name, char *out, size_t size)
{
	char dir[2 * PATH_MAX], joined[2 * PATH_MAX], real[PATH_MAX];
	const char *base;
	if (name[0] == '/' || dirfd == AT_FDCWD) {
		snprintf(joined, sizeof(joined), "%s", name);
	} else {
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		ssize_t k = readlink(link, dir, sizeof(dir) - 1);
		if (k < 0) return -1;
		dir[k] = '\0';
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", dir, name) >= sizeof(joined)) return -1;
	}
	char *slash = strrchr(joined, '/');
	if (!slash) {
		if (!getcwd(dir, sizeof(dir))) return -1;
		base = joined;
	} else {
		*slash = '\0';
		if ((size_t)snprintf(dir, sizeof(dir), "%s", slash == joined ? "/" : joined) >= sizeof(dir)) return -1;
		base = slash + 1;
	}
	if (!realpath(dir, real) && (size_t)snprintf(real, sizeof(real), "%s", dir) >= sizeof(real)) return -1;
	if ((size_t)snprintf(out, size, "%s/%s", strcmp(real, "/") ? real : "", base) >= size) return -1;
	return 0;
}

static int fd_path(int fd, char *out, size_t size)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, out, size - 1);
	if (k < 0) return -1;
	out[k] = '\0';
	return 0;
}

/*
 * Every mutating operation passes here (M.mu held). 0: go on; 1: this is
 * the cut and the operation is a write (do it, record it, then fail);
 * -1: fail with EIO (the power is gone, or this is the cut).
 */
static int gate(bool is_write)
{
	if (M.off) return -1;
	M.ops++;
	if (M.crash_at && M.ops == M.crash_at) {
		M.off = true;
		return is_write ? 1 : -1;
	}
	return 0;
}

/* ---- the dv_fs table --------------------------------------------------------- */
static int c_openat(const dv_fs *fs, int dirfd, const char *path, int flags, mode_t mode)
{
	(void)fs;
	if (!(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC))) return openat(dirfd, path, flags, mode);
	pthread_mutex_lock(&M.mu);
	char p[PATH_MAX];
	int g = M.active ? gate(false) : 0;
	if (g < 0 || (M.active && canon(dirfd, path, p, sizeof(p)) < 0)) {
		pthread_mutex_unlock(&M.mu);
		errno = EIO;
		return -1;
	}
	int pi = M.active ? path_track(p) : -1;
	struct stat before;
	bool existed = M.active && lstat(p, &before) == 0;
	int fd = openat(dirfd, path, flags, mode);
	if (fd >= 0 && M.active) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			if (!existed) {
				int n = node_new(&st);
				op_add(OP_CREATE, pi, -1, n, false);
			} else {
				int n = node_find(st.st_dev, st.st_ino);
				if (n < 0) n = node_of_existing(p, &st);
				if (flags & O_TRUNC) pend_add(n, 0, NULL, 0);
			}
		}
	}
	pthread_mutex_unlock(&M.mu);
	return fd;
}

static int node_of_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) return -1;
	int n = node_find(st.st_dev, st.st_ino);
	if (n < 0) {
		/* a file opened elsewhere (the custody log): known from here on,
		 * under its name, durable as it is now */
		char p[PATH_MAX];
		if (fd_path(fd, p, sizeof(p)) == 0) {
			path_track(p);
			n = node_find(st.st_dev, st.st_ino);
			if (n < 0) n = node_of_existing(p, &st);
		}
	}
	return n;
}

static ssize_t do_write(int fd, const void *buf, size_t n, off_t off, bool positioned)
{
	pthread_mutex_lock(&M.mu);
	int g = M.active ? gate(true) : 0;
	if (g < 0) {
		pthread_mutex_unlock(&M.mu);
		errno = EIO;
		return -1;
	}
	/* a file first seen here is durable as it is before this write */
	int node = M.active ? node_of_fd(fd) : -1;
	ssize_t k = positioned ? pwrite(fd, buf, n, off) : write(fd, buf, n);
	if (k > 0 && M.active) {
		uint64_t at = positioned ? (uint64_t)off : (uint64_t)(lseek(fd, 0, SEEK_CUR) - k);
		if (node >= 0) pend_add(node, at, buf, (size_t)k);
	}
	pthread_mutex_unlock(&M.mu);
	if (g == 1) {
		errno = EIO;
		return -1;
	}
	return k;
}

static ssize_t c_write(const dv_fs *fs, int fd, const void *buf, size_t n)
{
	(void)fs;
	return do_write(fd, buf, n, 0, false);
}

static ssize_t c_pwrite(const dv_fs *fs, int fd, const void *buf, size_t n, off_t off)
{
	(void)fs;
	return do_write(fd, buf, n, off, true);
}

static int c_ftruncate(const dv_fs *fs, int fd, off_t len)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	int g = M.active ? gate(false) : 0;
	int rc = -1;
	if (g == 0) {
		int node = M.active ? node_of_fd(fd) : -1;
		rc = ftruncate(fd, len);
		if (rc == 0 && node >= 0) pend_add(node, (uint64_t)len, NULL, 0);
	}
	pthread_mutex_unlock(&M.mu);
	if (g < 0) errno = EIO;
	return rc;
}

/* fsync/fdatasync: durable in the model; the real sync is not needed. */
static int c_fsync(const dv_fs *fs, int fd)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	int g = M.active ? gate(false) : 0;
	if (g == 0 && M.active) {
		struct stat st;
		char p[PATH_MAX];
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (fd_path(fd, p, sizeof(p)) == 0) dir_synced(p);
		} else {
			int node = node_of_fd(fd);
			if (node >= 0) node_sync(node);
		}
	}
	int rc = g == 0 && !M.active ? fsync(fd) : 0;
	pthread_mutex_unlock(&M.mu);
	if (g < 0) {
		errno = EIO;
		return -1;
	}
	return rc;
}

static int c_syncfs(const dv_fs *fs, int fd)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	int g = M.active ? gate(false) : 0;
	if (g == 0 && M.active) all_synced();
	int rc = g == 0 && !M.active ? syncfs(fd) : 0;
	pthread_mutex_unlock(&M.mu);
	if (g < 0) {
		errno = EIO;
		return -1;
	}
	return rc;
}

static int c_renameat(const dv_fs *fs, int ofd, const char *o, int nfd, const char *n)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	char a[PATH_MAX], b[PATH_MAX];
	int g = M.active ? gate(false) : 0;
	int rc = -1;
	if (g == 0 && M.active && canon(ofd, o, a, sizeof(a)) == 0 && canon(nfd, n, b, sizeof(b)) == 0) {
		int ai = path_track(a), bi = path_track(b);
		struct stat st;
		int node = lstat(a, &st) == 0 && S_ISREG(st.st_mode) ? node_of_existing(a, &st) : -1;
		rc = renameat(ofd, o, nfd, n);
		if (rc == 0) op_add(OP_RENAME, ai, bi, node, false);
	} else if (g == 0 && !M.active) {
		rc = renameat(ofd, o, nfd, n);
	} else {
		g = -1;
	}
	pthread_mutex_unlock(&M.mu);
	if (g < 0) errno = EIO;
	return rc;
}

static int c_unlinkat(const dv_fs *fs, int dirfd, const char *path, int flags)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	char a[PATH_MAX];
	int g = M.active ? gate(false) : 0;
	int rc = -1;
	if (g == 0 && M.active && canon(dirfd, path, a, sizeof(a)) == 0) {
		int ai = path_track(a);
		rc = unlinkat(dirfd, path, flags);
		if (rc == 0) op_add(flags & AT_REMOVEDIR ? OP_RMDIR : OP_UNLINK, ai, -1, -1, false);
	} else if (g == 0 && !M.active) {
		rc = unlinkat(dirfd, path, flags);
	} else {
		g = -1;
	}
	pthread_mutex_unlock(&M.mu);
	if (g < 0) errno = EIO;
	return rc;
}

static int c_mkdirat(const dv_fs *fs, int dirfd, const char *path, mode_t mode)
{
	(void)fs;
	pthread_mutex_lock(&M.mu);
	char a[PATH_MAX];
	int g = M.active ? gate(false) : 0;
	int rc = -1;
	if (g == 0 && M.active && canon(dirfd, path, a, sizeof(a)) == 0) {
		int ai = path_track(a);
		rc = mkdirat(dirfd, path, mode);
		if (rc == 0) op_add(OP_MKDIR, ai, -1, -1, false);
	} else if (g == 0 && !M.active) {
		rc = mkdirat(dirfd, path, mode);
	} else {
		g = -1;
	}
	int e = errno;
	pthread_mutex_unlock(&M.mu);
	errno = g < 0 ? EIO : e;
	return rc;
}

static int c_close(const dv_fs *fs, int fd)
{
	(void)fs;
	return close(fd);
}

static const dv_fs crash_table = {
	.version = DV_FS_VERSION,
	.openat = c_openat,
	.write = c_write,
	.pwrite = c_pwrite,
	.ftruncate = c_ftruncate,
	.fsync = c_fsync,
	.fdatasync = c_fsync,
	.syncfs = c_syncfs,
	.renameat = c_renameat,
	.unlinkat = c_unlinkat,
	.mkdirat = c_mkdirat,
	.close = c_close,
};

const dv_fs *crash_fs(void) { return &crash_table; }

/* ---- the SQLite VFS ------------------------------------------------------------ */
static sqlite3_vfs *unix_vfs;
static sqlite3_vfs crash_vfs;

typedef struct cfile {
	sqlite3_file base;
	sqlite3_file *real;
	char path[PATH_MAX];
	bool tracked;
} cfile;

static int cf_node(cfile *f)
{
	struct stat st;
	if (!f->tracked || stat(f->path, &st) < 0) return -1;
	int n = node_find(st.st_dev, st.st_ino);
	if (n < 0) {
		path_track(f->path);
		n = node_find(st.st_dev, st.st_ino);
	}
	return n >= 0 ? n : node_of_existing(f->path, &st);
}

static int x_close(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
}

static int x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int x_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	cfile *f = (cfile *)file;
	pthread_mutex_lock(&M.mu);
	int g = M.active && f->tracked ? gate(true) : 0;
	int rc = SQLITE_IOERR_WRITE;
	if (g >= 0) {
		int node = M.active ? cf_node(f) : -1;
		rc = f->real->pMethods->xWrite(f->real, buf, amt, off);
		if (rc == SQLITE_OK && node >= 0) pend_add(node, (uint64_t)off, buf, (size_t)amt);
	}
	pthread_mutex_unlock(&M.mu);
	return g == 0 ? rc : SQLITE_IOERR_WRITE;
}

static int x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	cfile *f = (cfile *)file;
	pthread_mutex_lock(&M.mu);
	int g = M.active && f->tracked ? gate(false) : 0;
	int rc = SQLITE_IOERR_TRUNCATE;
	if (g == 0) {
		int node = M.active ? cf_node(f) : -1;
		rc = f->real->pMethods->xTruncate(f->real, size);
		if (rc == SQLITE_OK && node >= 0) pend_add(node, (uint64_t)size, NULL, 0);
	}
	pthread_mutex_unlock(&M.mu);
	return rc;
}

static int x_sync(sqlite3_file *file, int flags)
{
	cfile *f = (cfile *)file;
	pthread_mutex_lock(&M.mu);
	int g = M.active && f->tracked ? gate(false) : 0;
	int rc = SQLITE_IOERR_FSYNC;
	if (g == 0 && M.active && f->tracked) {
		int node = cf_node(f);
		if (node >= 0) {
			node_sync(node);
			/* unixSync's directory fsync for a new WAL or journal */
			for (size_t i = 0; i < M.nops; i++)
				if (M.opsl[i].type == OP_CREATE && M.opsl[i].node == node) M.opsl[i].durable = true;
		}
		rc = SQLITE_OK;
	} else if (g == 0) {
		rc = f->real->pMethods->xSync(f->real, flags);
	}
	pthread_mutex_unlock(&M.mu);
	return rc;
}

static int x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xFileSize(f->real, size);
}

static int x_lock(sqlite3_file *file, int l)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xLock(f->real, l);
}

static int x_unlock(sqlite3_file *file, int l)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xUnlock(f->real, l);
}

static int x_check_reserved(sqlite3_file *file, int *out)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int x_file_control(sqlite3_file *file, int op, void *arg)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int x_sector_size(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int x_device(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int x_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	f->real->pMethods->xShmBarrier(f->real);
}

static int x_shm_unmap(sqlite3_file *file, int del)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int x_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	cfile *f = (cfile *)file;
	*pp = NULL;
	(void)off;
	(void)amt;
	(void)f;
	return SQLITE_OK; /* no memory-mapped reads: every read through xRead */
}

static int x_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	(void)file;
	(void)off;
	(void)p;
	return SQLITE_OK;
}

static const sqlite3_io_methods crash_io = {
	3,
	x_close, x_read, x_write, x_truncate, x_sync, x_file_size, x_lock, x_unlock, x_check_reserved,
	x_file_control, x_sector_size, x_device, x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap,
	x_fetch, x_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	(void)vfs;
	cfile *f = (cfile *)file;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	pthread_mutex_lock(&M.mu);
	bool track = M.active && name && !(flags & SQLITE_OPEN_READONLY) && !(flags & SQLITE_OPEN_DELETEONCLOSE);
	if (track && M.off) {
		pthread_mutex_unlock(&M.mu);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	int pi = -1;
	bool existed = false;
	if (track) {
		snprintf(f->path, sizeof(f->path), "%s", name);
		f->tracked = true;
		pi = path_track(name);
		struct stat st;
		existed = lstat(name, &st) == 0;
	}
	int rc = unix_vfs->xOpen(unix_vfs, name, f->real, flags, out_flags);
	if (rc == SQLITE_OK && track) {
		struct stat st;
		if (stat(name, &st) == 0) {
			if (!existed) op_add(OP_CREATE, pi, -1, node_new(&st), false);
			else if (node_find(st.st_dev, st.st_ino) < 0) node_of_existing(name, &st);
		}
	}
	pthread_mutex_unlock(&M.mu);
	f->base.pMethods = rc == SQLITE_OK ? &crash_io : NULL;
	return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	pthread_mutex_lock(&M.mu);
	int g = M.active ? gate(false) : 0;
	int rc = SQLITE_IOERR_DELETE;
	if (g == 0) {
		int pi = M.active ? path_track(name) : -1;
		rc = unix_vfs->xDelete(unix_vfs, name, sync_dir);
		if (rc == SQLITE_OK && M.active) op_add(OP_UNLINK, pi, -1, -1, sync_dir != 0);
	}
	pthread_mutex_unlock(&M.mu);
	return rc;
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return unix_vfs->xAccess(unix_vfs, name, flags, out);
}

static int v_full(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xFullPathname(unix_vfs, name, n, out);
}

static int v_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xRandomness(unix_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return unix_vfs->xSleep(unix_vfs, us);
}

static int v_time(sqlite3_vfs *vfs, double *t)
{
	(void)vfs;
	return unix_vfs->xCurrentTime(unix_vfs, t);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return unix_vfs->xGetLastError(unix_vfs, n, out);
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
	(void)vfs;
	return unix_vfs->xCurrentTimeInt64(unix_vfs, t);
}

int crash_init(void)
{
	if (unix_vfs) return 0;
	if (!(unix_vfs = sqlite3_vfs_find("unix"))) return -1;
	crash_vfs = (sqlite3_vfs){ 0 };
	crash_vfs.iVersion = 2;
	crash_vfs.szOsFile = (int)sizeof(cfile) + unix_vfs->szOsFile;
	crash_vfs.mxPathname = unix_vfs->mxPathname;
	crash_vfs.zName = "dv-crash";
	crash_vfs.xOpen = v_open;
	crash_vfs.xDelete = v_delete;
	crash_vfs.xAccess = v_access;
	crash_vfs.xFullPathname = v_full;
	crash_vfs.xRandomness = v_random;
	crash_vfs.xSleep = v_sleep;
	crash_vfs.xCurrentTime = v_time;
	crash_vfs.xGetLastError = v_last_error;
	crash_vfs.xCurrentTimeInt64 = v_time64;
	return sqlite3_vfs_register(&crash_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* ---- runs ---------------------------------------------------------------------- */
static void model_free(void)
{
	for (size_t i = 0; i < M.nn; i++) {
		struct node *n = &M.nodes[i];
		for (size_t k = 0; k < n->np; k++) free(n->pend[k].data);
		free(n->pend);
		free(n->dur);
		free(n->img);
	}
	free(M.nodes);
	for (size_t i = 0; i < M.npaths; i++) free(M.paths[i].path);
	free(M.paths);
	free(M.opsl);
	M.nodes = NULL;
	M.paths = NULL;
	M.opsl = NULL;
	M.nn = M.cn = M.npaths = M.cpaths = M.nops = M.cops = 0;
	M.active = M.off = false;
}

void crash_begin(uint64_t crash_at, uint64_t seed)
{
	pthread_mutex_lock(&M.mu);
	model_free();
	M.active = true;
	M.ops = 0;
	M.crash_at = crash_at;
	M.rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	pthread_mutex_unlock(&M.mu);
}

uint64_t crash_ops(void)
{
	pthread_mutex_lock(&M.mu);
	uint64_t n = M.ops;
	pthread_mutex_unlock(&M.mu);
	return n;
}

bool crash_happened(void)
{
	pthread_mutex_lock(&M.mu);
	bool off = M.off;
	pthread_mutex_unlock(&M.mu);
	return off;
}

void crash_end(void)
{
	pthread_mutex_lock(&M.mu);
	model_free();
	pthread_mutex_unlock(&M.mu);
}

static void remove_tree(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0) return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(p);
		return;
	}
	DIR *d = opendir(p);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
			remove_tree(sub);
		}
		closedir(d);
	}
	rmdir(p);
}

static int by_len(const void *a, const void *b)
{
	size_t la = strlen(((const struct pathrec *)a)->path), lb = strlen(((const struct pathrec *)b)->path);
	return la < lb ? -1 : la > lb;
}

void crash_realize(unsigned *kept, unsigned *dropped, unsigned *torn, unsigned *undone)
{
	pthread_mutex_lock(&M.mu);
	*kept = *dropped = *torn = *undone = 0;
	/* 1. each file: its durable image, and each later write kept, dropped or torn */
	for (size_t i = 0; i < M.nn; i++) {
		struct node *n = &M.nodes[i];
		n->img_len = n->dur_len;
		n->img = malloc(n->dur_len ? n->dur_len : 1);
		if (!n->img) abort();
		if (n->dur_len) memcpy(n->img, n->dur, n->dur_len);
		for (size_t k = 0; k < n->np; k++) {
			struct pwrite_rec *w = &n->pend[k];
			unsigned r = (unsigned)(rnd() % 4);
			if (r <= 1) {
				apply(&n->img, &n->img_len, w, w->len);
				(*kept)++;
			} else if (r == 2 || !w->data || w->len < 2) {
				(*dropped)++;
			} else {
				apply(&n->img, &n->img_len, w, (size_t)(rnd() % w->len));
				(*torn)++;
			}
		}
	}
	/* 2. the names: as they were, then each change durable or kept by chance */
	for (size_t i = 0; i < M.npaths; i++) {
		M.paths[i].kind = M.paths[i].init_kind;
		M.paths[i].node = M.paths[i].init_node;
	}
	for (size_t i = 0; i < M.nops; i++) {
		struct op *o = &M.opsl[i];
		if (!o->durable && rnd() % 2) {
			(*undone)++;
			continue;
		}
		struct pathrec *a = &M.paths[o->a];
		switch (o->type) {
		case OP_CREATE:
			a->kind = K_FILE;
			a->node = o->node;
			break;
		case OP_RENAME:
			if (a->kind == K_FILE) {
				M.paths[o->b].kind = K_FILE;
				M.paths[o->b].node = a->node;
				a->kind = K_ABSENT;
			}
			break;
		case OP_MKDIR:
			a->kind = K_DIR;
			break;
		default:
			a->kind = K_ABSENT;
			break;
		}
	}
	/* 3. nothing survives in a directory that did not */
	qsort(M.paths, M.npaths, sizeof(*M.paths), by_len);
	for (size_t i = 0; i < M.npaths; i++) {
		struct pathrec *r = &M.paths[i];
		if (r->kind == K_ABSENT) continue;
		for (size_t j = 0; j < i; j++) {
			size_t l = strlen(M.paths[j].path);
			if (M.paths[j].kind != K_DIR && !strncmp(r->path, M.paths[j].path, l) && r->path[l] == '/') {
				r->kind = K_ABSENT;
				break;
			}
		}
	}
	/* 4. on disk: remove what the cut took (deepest first), make what it left */
	for (size_t i = M.npaths; i-- > 0;)
		if (M.paths[i].kind == K_ABSENT) remove_tree(M.paths[i].path);
	for (size_t i = 0; i < M.npaths; i++) {
		struct pathrec *r = &M.paths[i];
		struct stat st;
		if (r->kind == K_DIR) {
			if (lstat(r->path, &st) < 0) mkdir(r->path, 0700);
		} else if (r->kind == K_FILE && r->node >= 0) {
			struct node *n = &M.nodes[r->node];
			if (n->np == 0 && n->live && lstat(r->path, &st) == 0 && st.st_ino == n->ino && st.st_dev == n->dev &&
			    (size_t)st.st_size == n->img_len)
				continue; /* untouched since it was durable */
			int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0) continue;
			size_t done = 0;
			while (done < n->img_len) {
				ssize_t k = write(fd, n->img + done, n->img_len - done);
				if (k <= 0) break;
				done += (size_t)k;
			}
			close(fd);
		}
	}
	model_free();
	pthread_mutex_unlock(&M.mu);
}
