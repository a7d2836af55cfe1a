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

struct item {
	char *rel;          /* path under DEST */
	char blob[65];
	uint8_t sha[32];
	uint64_t size;
	int64_t mtime_ns;
};

struct ectx {
	dv_vault *v;
	const dv_export_opts *o;
	dv_export_result *res;
	struct item *items;
	size_t n, cap;
	const char *prefix;   /* "ingest-N/" or "" */
	int fd;               /* file being written */
	const char *cur;
	uint64_t files_total, bytes_total, bytes_done, files_done;
};

static int add_item(const dv_file_rec *f, void *payload)
{
	struct ectx *c = payload;
	if (!dv_path_is_safe_relative(f->path))
		return dv_error_set(DV_EINVAL, f->path, -1, "refusing to export a path that leaves the destination");
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct item *n = realloc(c->items, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->items = n;
		c->cap = cap;
	}
	struct item *it = &c->items[c->n];
	size_t len = strlen(c->prefix) + strlen(f->path) + 1;
	if (!(it->rel = malloc(len))) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	snprintf(it->rel, len, "%s%s", c->prefix, f->path);
	snprintf(it->blob, sizeof(it->blob), "%s", f->blob_name);
	memcpy(it->sha, f->sha256, 32);
	it->size = f->size;
	it->mtime_ns = f->mtime_ns;
	c->n++;
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

/* Creates the parent directories of rel under dest, refusing links. */
static int make_parents(int dfd, const char *rel, const char *dest)
{
	char buf[DV_PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdirat(dfd, buf, 0755) < 0 && errno != EEXIST)
			return dv_error_errno(errno, dest, -1, "cannot create directory %s", buf);
		struct stat st;
		if (fstatat(dfd, buf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			return dv_error_set(DV_EINVAL, dest, -1, "%s is not a directory", buf);
		*p = '/';
	}
	return 0;
}

static int write_sink(const uint8_t *data, size_t n, void *payload)
{
	struct ectx *c = payload;
	if (c->o->interrupted && *c->o->interrupted)
		return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	int rc = dv_write_all(c->fd, data, n, c->cur);
	if (rc < 0) return rc;
	c->bytes_done += n;
	if (c->o->progress)
		c->o->progress(c->files_done, c->files_total, c->bytes_done, c->bytes_total, c->o->payload);
	return 0;
}

/* A SHA256SUMS line as coreutils writes it: names holding a backslash or a
 * newline get a leading backslash and those characters escaped. */
static void sums_line(FILE *f, const uint8_t sha[32], const char *name)
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

int dv_export(dv_vault *v, const dv_export_opts *o, dv_export_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	dv_catalog *cat = dv_vault_catalog(v);
	struct ectx c = { .v = v, .o = o, .res = res, .fd = -1, .prefix = "" };
	struct ingests g = { 0 };
	int dfd = -1, rc;
	char *sums = NULL;
	size_t sums_len = 0;
	FILE *sf = NULL;
	dv_case cs;
	if ((rc = dv_catalog_case_find(cat, o->case_name, &cs)) < 0) return rc;
	if ((rc = dv_catalog_ingest_list(cat, cs.id, add_ingest, &g)) < 0) goto out;
	for (size_t i = 0; i < g.n; i++) {
		char pre[48];
		snprintf(pre, sizeof(pre), "ingest-%lld/", (long long)g.ids[i]);
		c.prefix = g.n > 1 ? pre : "";
		if ((rc = dv_catalog_file_list(cat, g.ids[i], add_item, &c)) < 0) goto out;
	}
	res->ingests = g.n;
	if (c.n) qsort(c.items, c.n, sizeof(*c.items), by_rel);
	c.files_total = c.n;

	/* DEST: new or empty; we never overwrite. */
	if (mkdir(o->dest, 0755) < 0 && errno != EEXIST) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot create export directory");
		goto out;
	}
	DIR *d = opendir(o->dest);
	if (!d) {
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
	if ((dfd = open(o->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot open export directory");
		goto out;
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
		if ((rc = make_parents(dfd, it->rel, o->dest)) < 0) goto out;
		c.fd = openat(dfd, it->rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (c.fd < 0) {
			rc = dv_error_errno(errno, full, -1, "cannot create");
			goto out;
		}
		uint8_t sha[32];
		uint64_t size;
		rc = dv_blob_read(dv_vault_blobs(v), it->blob, write_sink, &c, sha, &size);
		if (rc == 0 && (memcmp(sha, it->sha, 32) != 0 || size != it->size))
			rc = dv_error_set(DV_ECORRUPT, full, -1, "decrypted content does not match the catalog");
		if (rc == 0) rc = dv_fsync(c.fd, full);
		if (rc == 0) {
			struct timespec ts[2] = { { it->mtime_ns / 1000000000, it->mtime_ns % 1000000000 },
			                          { it->mtime_ns / 1000000000, it->mtime_ns % 1000000000 } };
			if (it->mtime_ns > 0) (void)futimens(c.fd, ts);
		}
		close(c.fd);
		c.fd = -1;
		if (rc < 0) {
			unlinkat(dfd, it->rel, 0);
			goto out;
		}
		sums_line(sf, it->sha, it->rel);
		c.files_done++;
		res->files++;
		res->bytes += size;
	}
	fclose(sf);
	sf = NULL;
	char path[4096];
	if ((rc = dv_pathf(path, sizeof(path), "%s/SHA256SUMS", o->dest)) < 0 ||
	    (rc = dv_write_file_atomic(path, sums, sums_len, 0644)) < 0)
		goto out;
	dv_sha256_buf(sums, sums_len, res->sums_sha256);
	if (fsync(dfd) < 0) {
		rc = dv_error_errno(errno, o->dest, -1, "cannot fsync");
		goto out;
	}
	json_object *body = json_object_new_object();
	char hex[65], *abs = realpath(o->dest, NULL);
	dv_hex(hex, res->sums_sha256, 32);
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_EXPORT));
	json_object_object_add(body, "case", json_object_new_string(o->case_name));
	json_object_object_add(body, "operator", json_object_new_string(o->operator_name ? o->operator_name : ""));
	json_object_object_add(body, "destination", json_object_new_string(abs ? abs : o->dest));
	json_object_object_add(body, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(body, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(body, "sha256sums_sha256", json_object_new_string(hex));
	free(abs);
	rc = dv_vault_log(v, body, &res->log_seq);
	json_object_put(body);
out:
	if (sf) fclose(sf);
	free(sums);
	if (c.fd >= 0) close(c.fd);
	if (dfd >= 0) close(dfd);
	for (size_t i = 0; i < c.n; i++) free(c.items[i].rel);
	free(c.items);
	free(g.ids);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}
