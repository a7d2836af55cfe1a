/* Catalog edits through a backend's operations table (tests only). */
#include "tamper_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/util.h"

int tamper_open(tamper *t, const char *backend, const char *path)
{
	memset(t, 0, sizeof(*t));
	if (!strcmp(backend, "sqlite")) return dv_catalog_sqlite_backend(&t->be, &t->ops, path, 0);
	if (!strcmp(backend, "postgresql")) return dv_catalog_pg_backend(&t->be, &t->ops, path, NULL, 0);
	return dv_error_set(DV_EUNSUPPORTED, backend, -1, "no catalog backend '%s'", backend);
}

void tamper_close(tamper *t)
{
	if (t->ops) t->ops->free(t->be);
	memset(t, 0, sizeof(*t));
}

int tamper_table(const char *name, dv_catalog_table *t, const char **side)
{
	*side = NULL;
	if (!strncmp(name, "side_", 5)) {
		*t = DV_CT_SIDE;
		*side = name + 5;
		return 0;
	}
	for (int i = DV_CT_CASES; i < DV_CT_SIDE; i++)
		if (!strcmp(name, dv_catalog_table_name((dv_catalog_table)i))) {
			*t = (dv_catalog_table)i;
			return 0;
		}
	return dv_error_set(DV_EINVAL, name, -1, "no catalog table '%s'", name);
}

/* A row copied out of the backend's callback (its pointers are borrowed). */
struct copy {
	dv_catalog_row row;
	uint8_t tag[64];
	char name[128];
	uint8_t *sealed;
	bool found;
};

static int copy_row(const dv_catalog_row *r, void *payload)
{
	struct copy *c = payload;
	c->row = *r;
	if (r->tag && r->tag_len <= sizeof(c->tag)) {
		memcpy(c->tag, r->tag, r->tag_len);
		c->row.tag = c->tag;
	}
	if (r->name) {
		snprintf(c->name, sizeof(c->name), "%s", r->name);
		c->row.name = c->name;
	}
	c->sealed = malloc(r->sealed_len ? r->sealed_len : 1);
	if (!c->sealed) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	memcpy(c->sealed, r->sealed, r->sealed_len);
	c->row.sealed = c->sealed;
	c->found = true;
	return 1;
}

static int get(tamper *t, dv_catalog_table tb, const char *side, int64_t id, struct copy *c)
{
	memset(c, 0, sizeof(*c));
	dv_catalog_query q = { .table = tb, .side = side, .by = DV_CQ_ID, .id = id };
	int rc = t->ops->query(t->be, &q, copy_row, c);
	if (rc < 0) return rc;
	if (!c->found) return dv_error_set(DV_ENOTFOUND, NULL, -1, "no row %lld", (long long)id);
	return 0;
}

int tamper_copy_sealed(tamper *t, dv_catalog_table tb, const char *side, int64_t from, int64_t to)
{
	struct copy a, b;
	int rc = get(t, tb, side, from, &a);
	if (rc < 0) return rc;
	if ((rc = get(t, tb, side, to, &b)) == 0) {
		b.row.sealed = a.sealed;
		b.row.sealed_len = a.row.sealed_len;
		rc = t->ops->update(t->be, tb, side, &b.row);
	}
	free(a.sealed);
	free(b.sealed);
	return rc;
}

int tamper_flip_sealed(tamper *t, dv_catalog_table tb, const char *side, int64_t id, size_t offset)
{
	struct copy c;
	int rc = get(t, tb, side, id, &c);
	if (rc < 0) return rc;
	if (offset >= c.row.sealed_len) rc = dv_error_set(DV_EINVAL, NULL, -1, "offset past the record");
	else {
		c.sealed[offset] ^= 0x10;
		rc = t->ops->update(t->be, tb, side, &c.row);
	}
	free(c.sealed);
	return rc;
}

int tamper_set(tamper *t, dv_catalog_table tb, int64_t id, const char *column, int64_t value)
{
	struct copy c;
	int rc = get(t, tb, NULL, id, &c);
	if (rc < 0) return rc;
	if (!strcmp(column, "state")) c.row.state = (int)value;
	else if (!strcmp(column, "ref")) c.row.ref = value;
	else if (!strcmp(column, "ref2")) c.row.ref2 = value;
	else rc = dv_error_set(DV_EINVAL, column, -1, "no clear column '%s'", column);
	if (rc == 0) rc = t->ops->update(t->be, tb, NULL, &c.row);
	free(c.sealed);
	return rc;
}

int tamper_sealed_hex(tamper *t, dv_catalog_table tb, const char *side, int64_t id, size_t offset, size_t len,
                      char *out)
{
	struct copy c;
	int rc = get(t, tb, side, id, &c);
	if (rc < 0) return rc;
	if (offset > c.row.sealed_len || len > c.row.sealed_len - offset)
		rc = dv_error_set(DV_EINVAL, NULL, -1, "range past the record");
	else dv_hex(out, c.sealed + offset, len);
	free(c.sealed);
	return rc;
}

int tamper_delete(tamper *t, dv_catalog_table tb, const char *side, int64_t id)
{
	if (!t->ops->tamper_delete) return dv_error_set(DV_EUNSUPPORTED, t->ops->name, -1, "no tamper_delete");
	return t->ops->tamper_delete(t->be, tb, side, id);
}
