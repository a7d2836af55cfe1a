/*
 * Object Lock of S3 vaults: a case's retention and legal hold (issue 16).
 *
 * The catalog keeps them per case in the side table case_lock (sealed like
 * every row): 8 bytes retain-until (ns, big-endian), 1 byte hold. The blob
 * store is content-addressed, so one blob may belong to several cases: it
 * gets the longest retention any of them asks for (COMPLIANCE retention
 * can only be raised anyway) and keeps its legal hold while any of them is
 * held. The vault's default (init --retain-days N) is N days from each
 * blob's put.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/catalog.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/util.h"
#include "dv/vault.h"
#include "vault/worm_int.h"

#define LOCK_TABLE "case_lock"

static int lock_read(dv_case_lock *out, dv_catalog *cat, int64_t case_id)
{
	memset(out, 0, sizeof(*out));
	uint8_t *d;
	size_t n;
	int rc = dv_catalog_side_get(&d, &n, cat, LOCK_TABLE, case_id);
	if (rc == DV_ENOTFOUND) return 0;
	if (rc < 0) return rc;
	if (n != 9) rc = dv_error_set(DV_ECORRUPT, LOCK_TABLE, -1, "case %lld: lock record of %zu bytes", (long long)case_id, n);
	else {
		uint64_t t = 0;
		for (int i = 0; i < 8; i++) t = t << 8 | d[i];
		out->retain_until_ns = (int64_t)t;
		out->legal_hold = d[8] != 0;
	}
	free(d);
	return rc;
}

/* The case's lock row, inside the caller's write transaction. */
static int lock_put(dv_catalog *cat, int64_t case_id, const dv_case_lock *l)
{
	uint8_t d[9];
	uint64_t t = (uint64_t)l->retain_until_ns;
	for (int i = 7; i >= 0; i--, t >>= 8) d[i] = (uint8_t)t;
	d[8] = l->legal_hold ? 1 : 0;
	return dv_catalog_side_put(cat, LOCK_TABLE, case_id, d, sizeof(d));
}

int dv_vault_case_lock_get(dv_case_lock *out, dv_vault *v, const char *case_name)
{
	memset(out, 0, sizeof(*out));
	dv_case c;
	int rc = dv_catalog_case_find(&c, dv_vault_catalog(v), case_name);
	return rc < 0 ? rc : lock_read(out, dv_vault_catalog(v), c.id);
}

/* ---- what a blob should have: the strongest of the cases holding it ------------- */
/* Every blob a locked case holds, with the union of those cases' locks:
 * one walk of the locked cases' files, sorted by name (n log n; verify
 * looked each blob up by walking every case's files before, quadratic). */
struct dv_lock_wants {
	struct lock_want { char name[DV_BLOB_NAME_HEX + 1]; dv_case_lock lock; } *e;
	size_t n, cap;
	dv_vault *v;
	dv_case_lock cur;   /* the case being walked */
};

static int want_file(const dv_file_rec *f, void *payload)
{
	dv_lock_wants *w = payload;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		void *p = realloc(w->e, cap * sizeof(*w->e));
		if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		w->e = p;
		w->cap = cap;
	}
	snprintf(w->e[w->n].name, sizeof(w->e[w->n].name), "%s", f->blob_name);
	w->e[w->n++].lock = w->cur;
	return 0;
}

static int want_ingest(const dv_ingest_rec *r, void *payload)
{
	return dv_catalog_file_list(dv_vault_catalog(((dv_lock_wants *)payload)->v), r->id, want_file, payload);
}

static int want_case(const dv_case *c, void *payload)
{
	dv_lock_wants *w = payload;
	int rc = lock_read(&w->cur, dv_vault_catalog(w->v), c->id);
	if (rc < 0) return rc;
	if (!w->cur.retain_until_ns && !w->cur.legal_hold) return 0; /* asks for nothing */
	return dv_catalog_ingest_list(dv_vault_catalog(w->v), c->id, want_ingest, w);
}

static int by_want_name(const void *a, const void *b)
{
	return strcmp(((const struct lock_want *)a)->name, ((const struct lock_want *)b)->name);
}

int dv_lock_wants_build(dv_lock_wants **out, dv_vault *v)
{
	*out = NULL;
	dv_lock_wants *w = calloc(1, sizeof(*w));
	if (!w) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	w->v = v;
	int rc = dv_catalog_case_list(dv_vault_catalog(v), want_case, w);
	if (rc < 0) {
		dv_lock_wants_free(w);
		return rc;
	}
	if (w->n) qsort(w->e, w->n, sizeof(*w->e), by_want_name);
	/* one entry a blob: the longest retention, any hold */
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (k && !strcmp(w->e[k - 1].name, w->e[i].name)) {
			if (w->e[i].lock.retain_until_ns > w->e[k - 1].lock.retain_until_ns)
				w->e[k - 1].lock.retain_until_ns = w->e[i].lock.retain_until_ns;
			w->e[k - 1].lock.legal_hold |= w->e[i].lock.legal_hold;
		} else {
			w->e[k++] = w->e[i];
		}
	}
	w->n = k;
	*out = w;
	return 0;
}

dv_case_lock dv_lock_wants_get(const dv_lock_wants *w, const char *name)
{
	dv_case_lock none = { 0, false };
	if (!w || !w->n) return none;
	struct lock_want key;
	snprintf(key.name, sizeof(key.name), "%s", name);
	const struct lock_want *e = bsearch(&key, w->e, w->n, sizeof(*w->e), by_want_name);
	return e ? e->lock : none;
}

void dv_lock_wants_free(dv_lock_wants *w)
{
	if (!w) return;
	free(w->e);
	free(w);
}

/* ---- applying a case's lock to its blobs --------------------------------------- */
struct apply {
	dv_vault *v;
	int64_t only_ingest;    /* 0: every ingest of the case */
	int64_t until_ns;       /* 0: leave retention */
	int hold;               /* -1 leave, 0 off, 1 on */
	uint64_t objects;
	bool count_only;        /* count the case's distinct blobs, set nothing */
	dv_lock_wants *others;  /* releasing a hold: what the other cases still ask */
	/* the blobs done already (a blob the case holds twice is set once): an
	 * open-addressing set on the names, whose hex is already uniform */
	char (*seen)[DV_BLOB_NAME_HEX + 1];
	size_t nseen, capseen;  /* capseen a power of two, at most half full */
};

static size_t name_slot(const char *name, size_t cap)
{
	uint64_t h = 0;
	for (int i = 0; i < 16 && name[i]; i++) h = h << 4 | (uint64_t)(name[i] <= '9' ? name[i] - '0' : (name[i] | 0x20) - 'a' + 10);
	return (size_t)(h & (cap - 1));
}

/* 1 when name was in the set, 0 when it is now, < 0 out of memory. */
static int seen_add(struct apply *a, const char *name)
{
	if ((a->nseen + 1) * 2 > a->capseen) {
		size_t cap = a->capseen ? a->capseen * 2 : 256;
		char (*t)[DV_BLOB_NAME_HEX + 1] = calloc(cap, sizeof(*t));
		if (!t) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		for (size_t i = 0; i < a->capseen; i++) {
			if (!a->seen[i][0]) continue;
			size_t k = name_slot(a->seen[i], cap);
			while (t[k][0]) k = (k + 1) & (cap - 1);
			memcpy(t[k], a->seen[i], sizeof(t[k]));
		}
		free(a->seen);
		a->seen = t;
		a->capseen = cap;
	}
	size_t k = name_slot(name, a->capseen);
	for (; a->seen[k][0]; k = (k + 1) & (a->capseen - 1))
		if (!strcmp(a->seen[k], name)) return 1;
	snprintf(a->seen[k], DV_BLOB_NAME_HEX + 1, "%s", name);
	a->nseen++;
	return 0;
}

static int apply_file(const dv_file_rec *f, void *payload)
{
	struct apply *a = payload;
	int rc = seen_add(a, f->blob_name);
	if (rc != 0) return rc < 0 ? rc : 0;
	if (a->count_only) {
		a->objects++;
		return 0;
	}
	int hold = a->hold;
	/* released only when no other held case shares the blob */
	if (hold == 0 && dv_lock_wants_get(a->others, f->blob_name).legal_hold) hold = -1;
	if ((rc = dv_blob_lock_set(dv_vault_blobs(a->v), f->blob_name, a->until_ns, hold)) < 0) return rc;
	a->objects++;
	return 0;
}

static int apply_ingest(const dv_ingest_rec *r, void *payload)
{
	struct apply *a = payload;
	if (a->only_ingest && r->id != a->only_ingest) return 0;
	return dv_catalog_file_list(dv_vault_catalog(a->v), r->id, apply_file, a);
}

static int apply_case(dv_vault *v, int64_t case_id, int64_t only_ingest, int64_t until_ns, int hold, uint64_t *objects)
{
	struct apply a = { .v = v, .only_ingest = only_ingest, .until_ns = until_ns, .hold = hold, .count_only = !until_ns && hold < 0 };
	/* the case's own record says "no hold" already: what is left is the others' */
	int rc = hold == 0 ? dv_lock_wants_build(&a.others, v) : 0;
	if (rc == 0) rc = dv_catalog_ingest_list(dv_vault_catalog(v), case_id, apply_ingest, &a);
	dv_lock_wants_free(a.others);
	free(a.seen);
	if (objects) *objects = a.objects;
	return rc;
}

static int need_worm(dv_vault *v)
{
	if (!dv_vault_worm(v))
		return dv_error_set(DV_EUNSUPPORTED, dv_vault_dir(v), -1,
		                    "this vault's blobs are not in a store with Object Lock (init --blobs s3://...)");
	return 0;
}

struct lock_row {
	int64_t case_id;
	dv_case_lock l;
};

static int put_lock_row(dv_catalog *cat, uint64_t seq, void *payload)
{
	(void)seq;
	const struct lock_row *r = payload;
	return lock_put(cat, r->case_id, &r->l);
}

/*
 * A case's new lock: the custody entry (the decision, and how many objects
 * the case holds) and the case's lock row commit together, then the objects
 * are raised. A crash after the commit leaves objects below what the row
 * asks, which verify names and the same command, run again, raises; never a
 * lock the log does not show (COMPLIANCE retention cannot be taken back).
 */
static int change_lock(uint64_t *objects, dv_vault *v, const dv_case *c, const dv_case_lock *l, const char *action,
                       const char *operator_name, const char *k, json_object *value, int64_t until_ns, int hold)
{
	uint64_t held = 0;
	int rc = apply_case(v, c->id, 0, 0, -1, &held);
	if (rc < 0) {
		json_object_put(value);
		return rc;
	}
	json_object *b = json_object_new_object();
	json_object_object_add(b, "action", json_object_new_string(action));
	json_object_object_add(b, "case", json_object_new_string(c->name));
	json_object_object_add(b, "operator", json_object_new_string(operator_name ? operator_name : ""));
	json_object_object_add(b, k, value);
	json_object_object_add(b, "objects", json_object_new_int64((int64_t)held));
	struct lock_row row = { c->id, *l };
	rc = dv_vault_log_with(v, b, NULL, put_lock_row, &row);
	json_object_put(b);
	if (rc < 0) return rc;
	return apply_case(v, c->id, 0, until_ns, hold, objects);
}

int dv_vault_case_retain(uint64_t *objects, dv_vault *v, const char *case_name, int64_t until_ns, const char *operator_name)
{
	*objects = 0;
	int rc = need_worm(v);
	if (rc < 0) return rc;
	if (until_ns <= dv_now_ns()) return dv_error_set(DV_EINVAL, case_name, -1, "retain-until must be in the future");
	dv_case c;
	dv_case_lock l;
	if ((rc = dv_catalog_case_find(&c, dv_vault_catalog(v), case_name)) < 0 ||
	    (rc = lock_read(&l, dv_vault_catalog(v), c.id)) < 0)
		return rc;
	if (l.retain_until_ns > until_ns) {
		char t[40];
		dv_time_iso(t, sizeof(t), l.retain_until_ns);
		return dv_error_set(DV_EPERM, case_name, -1, "case is retained until %s already: COMPLIANCE retention is never shortened", t);
	}
	l.retain_until_ns = until_ns;
	char t[40];
	dv_time_iso(t, sizeof(t), until_ns);
	return change_lock(objects, v, &c, &l, DV_ACTION_CASE_RETENTION, operator_name, "retain_until", json_object_new_string(t),
	                   until_ns, -1);
}

int dv_vault_case_hold(uint64_t *objects, dv_vault *v, const char *case_name, bool on, const char *operator_name)
{
	*objects = 0;
	int rc = need_worm(v);
	if (rc < 0) return rc;
	dv_case c;
	dv_case_lock l;
	if ((rc = dv_catalog_case_find(&c, dv_vault_catalog(v), case_name)) < 0 ||
	    (rc = lock_read(&l, dv_vault_catalog(v), c.id)) < 0)
		return rc;
	l.legal_hold = on;
	return change_lock(objects, v, &c, &l, DV_ACTION_CASE_HOLD, operator_name, "legal_hold", json_object_new_string(on ? "on" : "off"),
	                   0, on ? 1 : 0);
}

int dv_vault_case_lock_prepare(dv_vault *v, const char *case_name)
{
	if (!dv_vault_worm(v) || !case_name) return 0;
	int64_t until = dv_vault_retain_days(v) ? dv_now_ns() + (int64_t)dv_vault_retain_days(v) * 86400 * 1000000000ll : 0;
	dv_case c;
	dv_case_lock l = { 0, false };
	int rc = dv_catalog_case_find(&c, dv_vault_catalog(v), case_name);
	if (rc == 0) rc = lock_read(&l, dv_vault_catalog(v), c.id);
	else if (rc == DV_ENOTFOUND) rc = 0; /* a new case asks for nothing yet */
	if (rc < 0) return rc;
	if (l.retain_until_ns > until) until = l.retain_until_ns;
	return dv_blob_lock_defaults(dv_vault_blobs(v), until, l.legal_hold);
}

int dv_vault_case_lock_apply(dv_vault *v, const char *case_name, int64_t ingest_id)
{
	if (!dv_vault_worm(v) || !case_name || ingest_id <= 0) return 0;
	dv_case c;
	dv_case_lock l;
	int rc = dv_catalog_case_find(&c, dv_vault_catalog(v), case_name);
	if (rc == 0) rc = lock_read(&l, dv_vault_catalog(v), c.id);
	if (rc < 0) return rc;
	int64_t until = l.retain_until_ns;
	if (dv_vault_retain_days(v)) {
		int64_t d = dv_now_ns() + (int64_t)dv_vault_retain_days(v) * 86400 * 1000000000ll;
		if (d > until) until = d;
	}
	if (!until && !l.legal_hold) return 0;
	/* deduplicated blobs were stored before, perhaps with less */
	return apply_case(v, c.id, ingest_id, until, l.legal_hold ? 1 : -1, NULL);
}

int dv_vault_blob_lock_problem(dv_vault *v, const char *name, char *why, size_t size)
{
	if (size) why[0] = '\0';
	if (!dv_vault_worm(v)) return 0;
	dv_lock_wants *w;
	int rc = dv_lock_wants_build(&w, v);
	if (rc < 0) return rc;
	rc = dv_vault_blob_lock_problem_in(v, w, name, why, size);
	dv_lock_wants_free(w);
	return rc;
}

int dv_vault_blob_lock_problem_in(dv_vault *v, const dv_lock_wants *wants, const char *name, char *why, size_t size)
{
	if (size) why[0] = '\0';
	if (!dv_vault_worm(v)) return 0;
	dv_blob_lock have;
	int rc = dv_blob_lock_get(&have, dv_vault_blobs(v), name);
	if (rc < 0) return rc;
	dv_case_lock want = dv_lock_wants_get(wants, name);
	char where[700];
	if (dv_blob_locate(dv_vault_blobs(v), name, where, sizeof(where)) < 0) snprintf(where, sizeof(where), "%s", name);
	int64_t now = dv_now_ns();
	bool retained = have.compliance && have.retain_until_ns > now;
	if (!retained && !have.legal_hold) {
		snprintf(why, size, "%s: not locked (no COMPLIANCE retention into the future, no legal hold): it can be deleted", where);
		return 1;
	}
	/* the server keeps whole seconds */
	if (want.retain_until_ns && (!have.compliance || have.retain_until_ns < want.retain_until_ns / 1000000000 * 1000000000)) {
		char t[40];
		dv_time_iso(t, sizeof(t), want.retain_until_ns);
		snprintf(why, size, "%s: retained for less than its case asks (until %s)", where, t);
		return 1;
	}
	if (want.legal_hold && !have.legal_hold) {
		snprintf(why, size, "%s: its case is under legal hold, the blob is not", where);
		return 1;
	}
	return 0;
}
