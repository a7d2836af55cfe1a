#include "dv/export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/util.h"
#include "vault/vault_fs_int.h"

/* Top-level names the package itself uses: a card path starting with one of
 * them is written under a safe name instead (nothing is overwritten). */
#define RENAMED_DIR "_dronevault_renamed"
#define RENAMED_MAP "_dronevault_renamed.json"
#define SUMS_NAME "SHA256SUMS"

struct item {
	char *orig;         /* the card's path (hostile) */
	char *rel;          /* path under DEST (safe) */
	int64_t ingest;
	char blob[65];
	uint8_t sha[32];
	uint64_t size;
	int64_t mtime_ns;
	dev_t dev;          /* of the file written, for the final check */
	ino_t ino;
};

struct ectx {
	dv_vault *v;
	const dv_export_opts *o;
	dv_export_result *res;
	struct item *items;
	size_t n, cap;
	const char *prefix;   /* "ingest-N/" or "" */
	int64_t ingest;
	int fd;               /* file being written */
	const char *cur;
	uint64_t files_total, bytes_total, bytes_done, files_done;
	/* the parent directory last opened, step by step under dfd */
	int dfd;
	int pfd;
	char pdir[DV_PATH_MAX];
	mode_t fmode, dmode;
	const dv_fs *fs;      /* every create, write, sync and remove (vault/vault_fs_int.h) */
};

static int add_item(const dv_file_rec *f, void *payload)
{
	struct ectx *c = payload;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct item *n = realloc(c->items, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->items = n;
		c->cap = cap;
	}
	struct item *it = &c->items[c->n];
	memset(it, 0, sizeof(*it));
	if (!(it->orig = strdup(f->path))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	c->n++;
	it->ingest = c->ingest;
	snprintf(it->blob, sizeof(it->blob), "%s", f->blob_name);
	memcpy(it->sha, f->sha256, 32);
	it->size = f->size;
	it->mtime_ns = f->mtime_ns;
	c->bytes_total += f->size;
	return 0;
}

struct ingests {
	int64_t *ids;
	size_t n, cap;
};

static int add_ingest(const dv_ingest_rec *r, void *payload)
{
	struct ingests *g = payload;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		int64_t *n = realloc(g->ids, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		g->ids = n;
		g->cap = cap;
	}
	g->ids[g->n++] = r->id;
	return 0;
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->rel, ((const struct item *)b)->rel);
}

/* A card path can be recreated as it is: a safe relative path (no control
 * bytes, no "..", not absolute), every component short enough for any file
 * system, and not clashing with the package's own names. */
static bool exportable_as_is(const char *full)
{
	if (strlen(full) > 3000 || !dv_path_is_safe_relative(full)) return false;
	size_t first = strcspn(full, "/");
	if ((first == strlen(SUMS_NAME) && !strncmp(full, SUMS_NAME, first)) ||
	    (first == strlen(RENAMED_DIR) && !strncmp(full, RENAMED_DIR, first)) ||
	    (first == strlen(RENAMED_MAP) && !strncmp(full, RENAMED_MAP, first)))
		return false;
	for (const char *s = full; *s;) {
		size_t k = strcspn(s, "/");
		if (k > 200) return false;
		s += k;
		if (*s) s++;
	}
	return true;
}

/* "_dronevault_renamed/000042-<the last component, unsafe bytes as _>" */
static char *safe_name(size_t idx, const char *orig)
{
	const char *base = strrchr(orig, '/');
	base = base ? base + 1 : orig;
	char clean[121];
	size_t k = 0;
	for (const char *p = base; *p && k < sizeof(clean) - 1; p++) {
		unsigned char ch = (unsigned char)*p;
		clean[k++] = (ch < 0x20 || ch == 0x7f || ch == '\\') ? '_' : (char)ch;
	}
	/* do not cut a UTF-8 sequence in two */
	if (base[k] && k > 0)
		while (k > 0 && ((unsigned char)clean[k] & 0xc0) == 0x80) k--;
	clean[k] = '\0';
	if (!strcmp(clean, ".") || !strcmp(clean, "..")) clean[0] = '\0';
	size_t len = sizeof(RENAMED_DIR) + 32 + k;
	char *s = malloc(len);
	if (!s) return NULL;
	snprintf(s, len, "%s/%06zu%s%s", RENAMED_DIR, idx, k ? "-" : "", clean);
	return s;
}

/*
 * Opens the parent directory of rel one component at a time relative to
 * the export directory's descriptor, never following a link
 * (O_NOFOLLOW | O_DIRECTORY at every step), creating the missing ones when
 * create is set. The last one stays open for the next file of the same
 * directory. *base gets rel's last component.
 */
static int open_parent(struct ectx *c, const char *rel, bool create, int *out, const char **base)
{
	const char *slash = strrchr(rel, '/');
	*base = slash ? slash + 1 : rel;
	if (!slash) {
		*out = c->dfd;
		return 0;
	}
	size_t plen = (size_t)(slash - rel);
	if (plen >= sizeof(c->pdir))
		return dv_error_set(DV_EINVAL, c->o->dest, -1, "path too long");
	if (c->pfd >= 0 && strlen(c->pdir) == plen && !memcmp(c->pdir, rel, plen)) {
		*out = c->pfd;
		return 0;
	}
	if (c->pfd >= 0) close(c->pfd);
	c->pfd = -1;
	c->pdir[0] = '\0';
	char buf[DV_PATH_MAX];
	memcpy(buf, rel, plen);
	buf[plen] = '\0';
	int cur = c->dfd;
	for (char *comp = buf, *next; comp; comp = next) {
		next = strchr(comp, '/');
		if (next) *next++ = '\0';
		bool made = false;
		if (create) {
			if (c->fs->mkdirat(c->fs, cur, comp, c->dmode) == 0) made = true;
			else if (errno != EEXIST) {
				int e = errno;
				if (cur != c->dfd) close(cur);
				return dv_error_errno(e, c->o->dest, -1, "cannot create directory %s", rel);
			}
		}
		int nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		if (cur != c->dfd) close(cur);
		if (nfd < 0)
			return dv_error_errno(e, c->o->dest, -1,
			                      "cannot open directory of %s (not a directory, or swapped for a link during the export)", rel);
		if (made && fchmod(nfd, c->dmode) < 0) {
			e = errno;
			close(nfd);
			return dv_error_errno(e, c->o->dest, -1, "cannot set the mode of a directory of %s", rel);
		}
		cur = nfd;
	}
	c->pfd = cur;
	memcpy(c->pdir, rel, plen);
	c->pdir[plen] = '\0';
	*out = cur;
	return 0;
}

static int write_sink(const uint8_t *data, size_t n, void *payload)
{
	struct ectx *c = payload;
	if (c->o->interrupted && *c->o->interrupted)
		return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	int rc = dv_fs_write_all(c->fs, c->fd, data, n, c->cur);
	if (rc < 0) return rc;
	c->bytes_done += n;
	if (c->o->progress)
		c->o->progress(c->files_done, c->files_total, c->bytes_done, c->bytes_total, c->o->payload);
	return 0;
}

void dv_sha256sums_line(FILE *f, const uint8_t sha[32], const char *name)
{
	char hex[65];
	dv_hex(hex, sha, 32);
	bool esc = strpbrk(name, "\\\n\r") != NULL;
	if (esc) fputc('\\', f);
	fprintf(f, "%s  ", hex);
	for (const char *p = name; *p; p++) {
		if (esc && *p == '\\') fputs("\\\\", f);
		else if (esc && *p == '\n') fputs("\\n", f);
		else if (esc && *p == '\r') fputs("\\r", f);
		else fputc(*p, f);
	}
	fputc('\n', f);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Exports it under a safe name instead of its own, and says so in the map
 * (why: "unsafe", or "clash" when the destination already held the name:
 * a file system that folds case or normalises Unicode made two card names
 * one). */
static int rename_item(struct item *it, dv_export_result *res, json_object *map, const char *why)
{
	char *s = safe_name(res->renamed + 1, it->orig);
	size_t ol = strlen(it->orig);
	char *ohex = s ? malloc(2 * ol + 1) : NULL;
	if (!ohex) {
		free(s);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	free(it->rel);
	it->rel = s;
	res->renamed++;
	char hex[65];
	json_object *m = json_object_new_object();
	json_object_object_add(m, "exported_as", json_object_new_string(s));
	json_object_object_add(m, "original", json_object_new_string(it->orig));
	dv_hex(ohex, it->orig, ol);
	json_object_object_add(m, "original_hex", json_object_new_string(ohex));
	free(ohex);
	json_object_object_add(m, "ingest", json_object_new_int64(it->ingest));
	dv_hex(hex, it->sha, 32);
	json_object_object_add(m, "sha256", json_object_new_string(hex));
	json_object_object_add(m, "why", json_object_new_string(why));
	json_object_array_add(map, m);
	return 0;
}

/* Writes name in the export directory: O_EXCL, fsynced, mode fmode. */
static int write_top_file(struct ectx *c, const char *name, const void *buf, size_t n)
{
	char full[DV_PATH_MAX + 64];
	snprintf(full, sizeof(full), "%s/%s", c->o->dest, name);
	int fd = c->fs->openat(c->fs, c->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, c->fmode);
	if (fd < 0) return dv_error_errno(errno, full, -1, "cannot create");
	int rc = dv_fs_write_all(c->fs, fd, buf, n, full);
	if (rc == 0 && fchmod(fd, c->fmode) < 0) rc = dv_error_errno(errno, full, -1, "cannot set mode");
	if (rc == 0) rc = dv_fs_fsync(c->fs, fd, full);
	c->fs->close(c->fs, fd);
	return rc;
}

static void add_common(json_object *body, const char *action, const dv_export_opts *o, const char *dest)
{
	json_object_object_add(body, "action", json_object_new_string(action));
	json_object_object_add(body, "case", json_object_new_string(o->case_name));
	json_object_object_add(body, "operator", json_object_new_string(o->operator_name ? o->operator_name : ""));
	json_object_object_add(body, "destination", json_object_new_string(dest));
}

int dv_export(dv_vault *v, const dv_export_opts *o, dv_export_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	dv_catalog *cat = dv_vault_catalog(v);
	struct ectx c = { .v = v, .o = o, .res = res, .fd = -1, .prefix = "", .dfd = -1, .pfd = -1, .fs = dv_vault_fs(v) };
	c.fmode = o->file_mode ? (mode_t)(o->file_mode & 07777) : 0600;
	/* a directory may be entered by whoever may read the files */
	c.dmode = (mode_t)(c.fmode | ((c.fmode & 0444) >> 2));
	struct ingests g = { 0 };
	int rc;
	char *sums = NULL, *abs = NULL;
	size_t sums_len = 0;
	FILE *sf = NULL;
	json_object *map = NULL;
	bool started = false;
	dv_case cs;
	if (o->file_mode & ~07777u) return dv_error_set(DV_EINVAL, NULL, -1, "mode %o is not a file mode", o->file_mode);
	if ((rc = dv_catalog_case_find(&cs, cat, o->case_name)) < 0) return rc;
	if ((rc = dv_catalog_ingest_list(cat, cs.id, add_ingest, &g)) < 0) goto out;
	for (size_t i = 0; i < g.n; i++) {
		char pre[48];
		snprintf(pre, sizeof(pre), "ingest-%lld/", (long long)g.ids[i]);
		c.prefix = g.n > 1 ? pre : "";
		c.ingest = g.ids[i];
		size_t from = c.n;
		if ((rc = dv_catalog_file_list(cat, g.ids[i], add_item, &c)) < 0) goto out;
		for (size_t k = from; k < c.n; k++) {
			struct item *it = &c.items[k];
			size_t len = strlen(c.prefix) + strlen(it->orig) + 1;
			if (!(it->rel = malloc(len))) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				goto out;
			}
			snprintf(it->rel, len, "%s%s", c.prefix, it->orig);
		}
	}
	res->ingests = g.n;
	/* Every file is exported: a name that cannot be recreated safely is
	 * written under a safe one, and the mapping goes into the package. */
	map = json_object_new_array();
	for (size_t i = 0; i < c.n; i++) {
		if (exportable_as_is(c.items[i].rel)) continue;
		if ((rc = rename_item(&c.items[i], res, map, "unsafe")) < 0) goto out;
	}
	if (c.n) qsort(c.items, c.n, sizeof(*c.items), by_rel);
	c.files_total = c.n;

	/* DEST: new or empty; we never overwrite, never follow a link there. */
	if (c.fs->mkdirat(c.fs, AT_FDCWD, o->dest, c.dmode) < 0 && errno != EEXIST) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot create export directory");
		goto out;
	}
	if ((c.dfd = open(o->dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot open export directory (a link is not followed)");
		goto out;
	}
	int dup_fd = dup(c.dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0) close(dup_fd);
		rc = dv_error_errno(errno, o->dest, -1, "cannot open export directory");
		goto out;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			rc = dv_error_set(DV_EEXIST, o->dest, -1, "export directory is not empty; nothing is overwritten");
			goto out;
		}
	closedir(d);
	abs = realpath(o->dest, NULL);
	const char *dest_name = abs ? abs : o->dest;

	/* Custody first: the log says an export began before a byte leaves. */
	{
		json_object *body = json_object_new_object();
		add_common(body, DV_ACTION_EXPORT_START, o, dest_name);
		json_object_object_add(body, "files", json_object_new_int64((int64_t)c.n));
		json_object_object_add(body, "bytes", json_object_new_int64((int64_t)c.bytes_total));
		json_object_object_add(body, "renamed", json_object_new_int64((int64_t)res->renamed));
		dv_vault_log_add_heads(v, body, o->case_name);   /* the state it was made from */
		rc = dv_vault_log(v, body, &res->start_seq);
		json_object_put(body);
		if (rc < 0) goto out;
		started = true;
	}

	if (!(sf = open_memstream(&sums, &sums_len))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		struct item *it = &c.items[i];
		char full[DV_PATH_MAX + 2048];
		snprintf(full, sizeof(full), "%s/%s", o->dest, it->rel);
		c.cur = full;
		int pfd;
		const char *base;
		if ((rc = open_parent(&c, it->rel, true, &pfd, &base)) < 0) goto out;
		c.fd = c.fs->openat(c.fs, pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, c.fmode);
		if (c.fd < 0 && errno == EEXIST && strncmp(it->rel, RENAMED_DIR "/", sizeof(RENAMED_DIR))) {
			/* the directory was empty and every name is written once: the
			 * file system took this name for an earlier one (exFAT, FAT,
			 * NTFS fold case) - written under a safe name, never over it */
			if ((rc = rename_item(it, res, map, "clash")) < 0) goto out;
			snprintf(full, sizeof(full), "%s/%s", o->dest, it->rel);
			if ((rc = open_parent(&c, it->rel, true, &pfd, &base)) < 0) goto out;
			c.fd = c.fs->openat(c.fs, pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, c.fmode);
		}
		if (c.fd < 0) {
			rc = dv_error_errno(errno, full, -1, "cannot create");
			goto out;
		}
		struct stat st;
		if (fstat(c.fd, &st) < 0 || fchmod(c.fd, c.fmode) < 0) {
			rc = dv_error_errno(errno, full, -1, "cannot set mode");
			c.fs->close(c.fs, c.fd);
			c.fd = -1;
			goto out;
		}
		it->dev = st.st_dev;
		it->ino = st.st_ino;
		uint8_t sha[32];
		uint64_t size;
		rc = dv_blob_read(dv_vault_blobs(v), it->blob, write_sink, &c, sha, &size);
		if (rc == 0 && (memcmp(sha, it->sha, 32) != 0 || size != it->size))
			rc = dv_error_set(DV_ECORRUPT, full, -1, "decrypted content does not match the catalog");
		if (rc == 0) rc = dv_fs_fsync(c.fs, c.fd, full);
		if (rc == 0) {
			struct timespec ts[2] = { { it->mtime_ns / 1000000000, it->mtime_ns % 1000000000 },
			                          { it->mtime_ns / 1000000000, it->mtime_ns % 1000000000 } };
			if (it->mtime_ns > 0) (void)futimens(c.fd, ts);
		}
		c.fs->close(c.fs, c.fd);
		c.fd = -1;
		if (rc < 0) {
			c.fs->unlinkat(c.fs, pfd, base, 0);
			goto out;
		}
		dv_sha256sums_line(sf, it->sha, it->rel);
		c.files_done++;
		res->files++;
		res->bytes += size;
	}
	/* Nothing was moved or swapped under us: every path, walked again
	 * from the export directory without following links (not through the
	 * descriptors held while writing), still names the file we wrote. */
	if (c.pfd >= 0) close(c.pfd);
	c.pfd = -1;
	c.pdir[0] = '\0';
	for (size_t i = 0; i < c.n; i++) {
		struct item *it = &c.items[i];
		int pfd;
		const char *base;
		struct stat st;
		if ((rc = open_parent(&c, it->rel, false, &pfd, &base)) < 0) goto out;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != it->dev || st.st_ino != it->ino) {
			rc = dv_error_set(DV_ECORRUPT, o->dest, -1,
			                  "%s is no longer the file exported (the destination was changed during the export)", it->rel);
			goto out;
		}
	}
	if (res->renamed) {
		const char *js = json_object_to_json_string_ext(map, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t tl = strlen(js) + 1;
		char *txt = malloc(tl + 1);
		if (!txt) {
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			goto out;
		}
		snprintf(txt, tl + 1, "%s\n", js);
		uint8_t msha[32];
		rc = write_top_file(&c, RENAMED_MAP, txt, tl);
		dv_sha256_buf(txt, tl, msha);
		free(txt);
		if (rc < 0) goto out;
		dv_sha256sums_line(sf, msha, RENAMED_MAP);
		memcpy(res->renamed_map_sha256, msha, 32);
	}
	fclose(sf);
	sf = NULL;
	if ((rc = write_top_file(&c, SUMS_NAME, sums, sums_len)) < 0) goto out;
	dv_sha256_buf(sums, sums_len, res->sums_sha256);
	if (c.fs->syncfs(c.fs, c.dfd) < 0 || c.fs->fsync(c.fs, c.dfd) < 0) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot sync");
		goto out;
	}
	json_object *body = json_object_new_object();
	char hex[65];
	dv_hex(hex, res->sums_sha256, 32);
	add_common(body, DV_ACTION_EXPORT, o, dest_name);
	json_object_object_add(body, "start_entry", json_object_new_int64((int64_t)res->start_seq));
	json_object_object_add(body, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(body, "sha256sums_sha256", json_object_new_string(hex));
	json_object_object_add(body, "renamed", json_object_new_int64((int64_t)res->renamed));
	if (res->renamed) {
		dv_hex(hex, res->renamed_map_sha256, 32);
		json_object_object_add(body, "renamed_map_sha256", json_object_new_string(hex));
	}
	rc = dv_vault_log(v, body, &res->log_seq);
	json_object_put(body);
	started = false;
out:
	if (rc < 0 && started) {
		/* The failure is custody too: what got out before it stopped. */
		dv_error saved = *dv_error_last();
		json_object *b = json_object_new_object();
		add_common(b, rc == DV_EINTR ? DV_ACTION_EXPORT_INTERRUPTED : DV_ACTION_EXPORT_INCOMPLETE, o,
		           abs ? abs : o->dest);
		json_object_object_add(b, "start_entry", json_object_new_int64((int64_t)res->start_seq));
		json_object_object_add(b, "files_written", json_object_new_int64((int64_t)res->files));
		json_object_object_add(b, "error", json_object_new_string(dv_error_text()));
		(void)dv_vault_log(v, b, NULL);
		json_object_put(b);
		dv_error_set(saved.code, saved.path[0] ? saved.path : NULL, saved.offset, "%s", saved.message);
	}
	if (sf) fclose(sf);
	free(sums);
	free(abs);
	json_object_put(map);
	if (c.fd >= 0) c.fs->close(c.fs, c.fd);
	if (c.pfd >= 0) close(c.pfd);
	if (c.dfd >= 0) close(c.dfd);
	for (size_t i = 0; i < c.n; i++) {
		free(c.items[i].rel);
		free(c.items[i].orig);
	}
	free(c.items);
	free(g.ids);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}
