/* A memory blob backend (libgit2's mempack): a test double, not durable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/blob.h"
#include "dv/err.h"

#define MEM_MAX_BLOBS 100000u

struct mem_blob {
	char name[DV_BLOB_NAME_HEX + 1];
	uint8_t *data;
	size_t len;
};

struct dv_blob_backend {
	struct mem_blob *blobs;
	size_t n, cap;
	size_t puts_open; /* begun or staged, not yet published or aborted */
};

struct dv_blob_put {
	uint8_t *data;
	size_t len, cap;
	char name[DV_BLOB_NAME_HEX + 1];
};

struct dv_blob_get {
	size_t i; /* index: the array may grow while a blob is open */
};

static unsigned mem_caps(dv_blob_backend *be)
{
	(void)be;
	return DV_BLOB_CAP_ATOMIC_PUT | DV_BLOB_CAP_RANGE_READ;
}

static struct mem_blob *find(dv_blob_backend *be, const char *name)
{
	for (size_t i = 0; i < be->n; i++)
		if (!strcmp(be->blobs[i].name, name)) return &be->blobs[i];
	return NULL;
}

static int mem_put_begin(dv_blob_backend *be, dv_blob_put **out)
{
	dv_blob_put *p = calloc(1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, "memory", -1, "out of memory");
	be->puts_open++;
	*out = p;
	return 0;
}

static int mem_put_write(dv_blob_backend *be, dv_blob_put *p, uint64_t off, const void *data, size_t n)
{
	(void)be;
	if (off > SIZE_MAX - n || off + n > (1u << 30)) return dv_error_set(DV_ENOMEM, "memory", (int64_t)off, "blob too big for the memory store");
	size_t end = (size_t)off + n;
	if (end > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < end) cap *= 2;
		uint8_t *d = realloc(p->data, cap);
		if (!d) return dv_error_set(DV_ENOMEM, "memory", (int64_t)off, "out of memory");
		memset(d + p->cap, 0, cap - p->cap);
		p->data = d;
		p->cap = cap;
	}
	memcpy(p->data + off, data, n);
	if (end > p->len) p->len = end;
	return 0;
}

static void mem_put_abort(dv_blob_backend *be, dv_blob_put *p)
{
	if (!p) return;
	be->puts_open--;
	free(p->data);
	free(p);
}

static int publish_one(dv_blob_backend *be, dv_blob_put *p)
{
	if (find(be, p->name)) return 0;
	if (be->n == be->cap) {
		if (be->n >= MEM_MAX_BLOBS) return dv_error_set(DV_ENOMEM, "memory", -1, "too many blobs");
		size_t cap = be->cap ? be->cap * 2 : 16;
		struct mem_blob *nb = realloc(be->blobs, cap * sizeof(*nb));
		if (!nb) return dv_error_set(DV_ENOMEM, "memory", -1, "out of memory");
		be->blobs = nb;
		be->cap = cap;
	}
	struct mem_blob *b = &be->blobs[be->n++];
	memcpy(b->name, p->name, sizeof(b->name));
	b->data = p->data;
	b->len = p->len;
	p->data = NULL;
	return 0;
}

static int mem_put_stage(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	(void)be;
	snprintf(p->name, sizeof(p->name), "%s", name);
	return 0;
}

static int mem_put_commit(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	int rc = publish_one(be, p);
	mem_put_abort(be, p);
	return rc;
}

static int mem_publish(dv_blob_backend *be, dv_blob_put *const *puts, size_t n, size_t *published)
{
	*published = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = publish_one(be, puts[i]);
		if (rc < 0) return rc;
	}
	for (size_t i = 0; i < n; i++) mem_put_abort(be, puts[i]);
	*published = n;
	return 0;
}

static int mem_exists(dv_blob_backend *be, const char *name) { return find(be, name) ? 1 : 0; }

static int mem_open_read(dv_blob_backend *be, const char *name, dv_blob_get **out, uint64_t *stored)
{
	const struct mem_blob *b = find(be, name);
	if (!b) return dv_error_set(DV_ENOTFOUND, name, -1, "blob missing");
	dv_blob_get *g = calloc(1, sizeof(*g));
	if (!g) return dv_error_set(DV_ENOMEM, "memory", -1, "out of memory");
	g->i = (size_t)(b - be->blobs);
	*stored = b->len;
	*out = g;
	return 0;
}

static int mem_read_at(dv_blob_backend *be, dv_blob_get *g, uint64_t off, void *buf, size_t n, size_t *got)
{
	const struct mem_blob *b = &be->blobs[g->i];
	*got = 0;
	if (off >= b->len) return 0;
	size_t left = b->len - (size_t)off;
	*got = n < left ? n : left;
	memcpy(buf, b->data + off, *got);
	return 0;
}

static void mem_close_read(dv_blob_backend *be, dv_blob_get *g)
{
	(void)be;
	free(g);
}

static int mem_list(dv_blob_backend *be, int (*fn)(const char *name, void *payload), void *payload)
{
	for (size_t i = 0; i < be->n; i++) {
		int rc = fn(be->blobs[i].name, payload);
		if (rc) return rc;
	}
	return 0;
}

static void mem_free(dv_blob_backend *be)
{
	for (size_t i = 0; i < be->n; i++) free(be->blobs[i].data);
	free(be->blobs);
	free(be);
}

/* No clean, no locate: the front end reports them as unsupported. */
static const dv_blob_backend_ops memory_ops = {
	.version = DV_BLOB_BACKEND_VERSION,
	.name = "memory",
	.caps = mem_caps,
	.put_begin = mem_put_begin,
	.put_write = mem_put_write,
	.put_commit = mem_put_commit,
	.put_stage = mem_put_stage,
	.publish = mem_publish,
	.put_abort = mem_put_abort,
	.exists = mem_exists,
	.open_read = mem_open_read,
	.read_at = mem_read_at,
	.close_read = mem_close_read,
	.list = mem_list,
	.free = mem_free,
};

int dv_blob_memory_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out)
{
	dv_blob_backend *be = calloc(1, sizeof(*be));
	if (!be) return dv_error_set(DV_ENOMEM, "memory", -1, "out of memory");
	*out = be;
	*ops_out = &memory_ops;
	return 0;
}
