/*
 * The shared custody log: chains of signed entries in a shared catalog
 * (custody_shared_int.h says the format; the backend's chain_* operations
 * store them, catalog_pg.c). Keys stay here: the backend only keeps
 * statements, signatures and sealed bodies.
 */
#include "vault/custody_shared_int.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/util.h"

#define STMT_MAX 1024
#define SALT_BYTES 32

void dv_custody_shared_chain(char out[DV_CHAIN_NAME_MAX], const uint8_t key[DV_KEY_BYTES], const uint8_t pk[DV_SIGN_PK_BYTES],
                             const char *case_name)
{
	if (case_name && *case_name) {
		dv_custody_case_ref(out, key, case_name);
		return;
	}
	char h[65];
	dv_hex(h, pk, DV_SIGN_PK_BYTES);
	snprintf(out, DV_CHAIN_NAME_MAX, "station-%.32s", h);
}

struct heads_ctx {
	dv_chain_head *l;
	size_t n, cap;
	uint64_t entries;
};

static int on_head(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload)
{
	struct heads_ctx *c = payload;
	int rc = dv_grow(&c->l, &c->cap, c->n, sizeof(*c->l), 64);
	if (rc < 0) return rc;
	snprintf(c->l[c->n].chain, DV_CHAIN_NAME_MAX, "%s", chain);
	c->l[c->n].seq = seq;
	memcpy(c->l[c->n].hash, hash, 32);
	c->n++;
	c->entries += seq;
	return 0;
}

static int cmp_head(const void *a, const void *b)
{
	return strcmp(((const dv_chain_head *)a)->chain, ((const dv_chain_head *)b)->chain);
}

int dv_custody_shared_heads_digest(uint8_t out[32], const dv_chain_head *heads, size_t n)
{
	static const char tag[] = "dronevault vault heads v1\n";
	dv_sha256 *h;
	int rc = dv_sha256_new(&h);
	if (rc < 0) return rc;
	rc = dv_sha256_update(h, tag, sizeof(tag) - 1);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char line[DV_CHAIN_NAME_MAX + 100], hex[65];
		dv_hex(hex, heads[i].hash, 32);
		int k = snprintf(line, sizeof(line), "%s %llu %s\n", heads[i].chain, (unsigned long long)heads[i].seq, hex);
		rc = dv_sha256_update(h, line, (size_t)k);
	}
	if (rc == 0) rc = dv_sha256_final(h, out);
	dv_sha256_free(h);
	return rc;
}

int dv_custody_shared_vault_head(uint8_t out[32], uint64_t *entries, dv_catalog *cat)
{
	struct heads_ctx c = { 0 };
	memset(out, 0, 32);
	int rc = dv_catalog_chain_heads(cat, on_head, &c);
	/* in chain order, byte-wise (not the database's collation) */
	if (rc == 0 && c.n) qsort(c.l, c.n, sizeof(*c.l), cmp_head);
	if (rc == 0) rc = dv_custody_shared_heads_digest(out, c.l, c.n);
	free(c.l);
	if (entries) *entries = c.entries;
	return rc;
}

static int make_stmt(char *out, size_t size, const uint8_t pk[32], const char *chain, uint64_t seq, const uint8_t prev[32],
                     int64_t time_ns, const uint8_t heads[32], const uint8_t body[32])
{
	char pkh[65], ph[65], hh[65], bh[65];
	dv_hex(pkh, pk, 32);
	dv_hex(ph, prev, 32);
	dv_hex(hh, heads, 32);
	dv_hex(bh, body, 32);
	int n = snprintf(out, size, "dronevault custody entry v3\nstation %s\nchain %s\nseq %llu\nprev %s\ntime %lld\nheads %s\nbody %s\n",
	                 pkh, chain, (unsigned long long)seq, ph, (long long)time_ns, hh, bh);
	return n > 0 && (size_t)n < size ? n : dv_error_set(DV_EINVAL, NULL, -1, "custody statement too long");
}

int dv_custody_shared_append(uint64_t *seq_out, uint8_t hash_out[32], dv_catalog *cat, const uint8_t pk[DV_SIGN_PK_BYTES],
                             const uint8_t sk[DV_SIGN_SK_BYTES], const uint8_t key[DV_KEY_BYTES], const char *case_name,
                             struct json_object *body)
{
	char chain[DV_CHAIN_NAME_MAX], stmt[STMT_MAX];
	uint64_t head;
	uint8_t prev[32], heads[32], commit[32], hash[32], sig[DV_SIGN_BYTES];
	dv_custody_shared_chain(chain, key, pk, case_name);
	/* the chain is ours until the transaction ends: its head cannot move */
	int rc = dv_catalog_chain_lock(cat, chain, &head, prev);
	if (rc < 0) return rc;
	uint64_t seq = head + 1;
	int64_t now = dv_now_ns();
	json_object_object_add(body, "case", json_object_new_string(case_name ? case_name : ""));
	json_object_object_add(body, "chain_seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(body, "time", json_object_new_int64(now));
	size_t jn;
	const char *js = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &jn);
	if (!js || jn > DV_CUSTODY_BODY_MAX) return dv_error_set(DV_ENOMEM, NULL, -1, "custody body too large");
	size_t pn = SALT_BYTES + jn;
	uint8_t *plain = malloc(pn), *sealed = malloc(pn + DV_SEAL_OVERHEAD);
	if (!plain || !sealed) {
		free(plain);
		free(sealed);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	dv_random(plain, SALT_BYTES);
	memcpy(plain + SALT_BYTES, js, jn);
	dv_sha256_buf(plain, pn, commit);
	int n;
	if ((rc = dv_custody_shared_vault_head(heads, NULL, cat)) < 0 ||
	    (n = rc = make_stmt(stmt, sizeof(stmt), pk, chain, seq, prev, now, heads, commit)) < 0)
		goto out;
	dv_sha256_buf(stmt, (size_t)n, hash);
	dv_sign(sig, stmt, (size_t)n, sk);
	dv_seal(sealed, plain, pn, hash, 32, key);
	dv_catalog_chain_entry e = { .chain = chain, .seq = seq, .stmt = (const uint8_t *)stmt, .stmt_len = (size_t)n,
	                             .sig = sig, .sig_len = sizeof(sig), .sealed = sealed, .sealed_len = pn + DV_SEAL_OVERHEAD };
	memcpy(e.prev, prev, 32);
	memcpy(e.hash, hash, 32);
	if ((rc = dv_catalog_chain_append(cat, &e)) < 0) goto out;
	if (seq_out) *seq_out = seq;
	if (hash_out) memcpy(hash_out, hash, 32);
	rc = 0;
out:
	dv_wipe(plain, pn);
	free(plain);
	free(sealed);
	return rc;
}

/* ---- check -------------------------------------------------------------------------- */
struct check {
	dv_catalog *cat;
	const uint8_t (*pks)[DV_SIGN_PK_BYTES];
	size_t npk;
	const uint8_t *key;
	void (*fn)(const char *, void *);
	void *payload;
	int problems;
	uint64_t chains, entries;
	char chain[DV_CHAIN_NAME_MAX]; /* the chain being walked */
	uint64_t seq;                   /* its last entry */
	uint8_t last[32];
	bool broken;                    /* said once per chain: the rest follows from it */
	uint64_t heads;                 /* chains with a head */
};

static void say(struct check *c, const char *chain, uint64_t seq, const char *what)
{
	char msg[300];
	snprintf(msg, sizeof(msg), "custody chain %.80s entry %llu: %s", chain, (unsigned long long)seq, what);
	c->problems++;
	c->fn(msg, c->payload);
}

static int hexfield(const char *s, const char *name, uint8_t out[32])
{
	const char *p = strstr(s, name);
	if (!p) return -1;
	p += strlen(name);
	char h[65];
	if (strlen(p) < 64) return -1;
	memcpy(h, p, 64);
	h[64] = 0;
	return dv_unhex(out, 32, h);
}

/* One entry: every link, the signature, the body. With plain_out, the
 * opened salt || body JSON (malloc'd, NUL after it) and its parsed body are
 * handed out when intact. */
static const char *entry_check(const dv_catalog_chain_entry *e, const uint8_t expect_prev[32],
                               const uint8_t (*pks)[DV_SIGN_PK_BYTES], size_t npk, const uint8_t key[DV_KEY_BYTES],
                               uint8_t **plain_out, size_t *pn_out, json_object **body_out)
{
	struct check cs = { .pks = pks, .npk = npk, .key = key }, *c = &cs;
	char s[STMT_MAX + 1], pkh[65], chain[DV_CHAIN_NAME_MAX];
	unsigned long long seq;
	long long t;
	uint8_t h[32], prev[32], pk[32], body[32];
	if (e->stmt_len == 0 || e->stmt_len > STMT_MAX) return "statement missing or too long";
	memcpy(s, e->stmt, e->stmt_len);
	s[e->stmt_len] = 0;
	dv_sha256_buf(e->stmt, e->stmt_len, h);
	if (!dv_equal(h, e->hash, 32)) return "its hash is not its statement's";
	if (sscanf(s, "dronevault custody entry v3\nstation %64s\nchain %79s\nseq %llu\nprev %*64s\ntime %lld", pkh, chain, &seq, &t) != 4 ||
	    dv_unhex(pk, 32, pkh) < 0 || hexfield(s, "\nprev ", prev) < 0 || hexfield(s, "\nbody ", body) < 0)
		return "statement malformed";
	if (strcmp(chain, e->chain) || seq != e->seq) return "statement names another chain or place";
	if (!dv_equal(prev, e->prev, 32) || !dv_equal(prev, expect_prev, 32)) return "does not follow the chain's previous entry";
	size_t k = 0;
	while (k < c->npk && !dv_equal(c->pks[k], pk, 32)) k++;
	if (k == c->npk) return "signed by a station this vault does not know";
	if (e->sig_len != DV_SIGN_BYTES || dv_sign_verify(e->sig, e->stmt, e->stmt_len, pk) < 0) return "signature does not verify";
	if (e->sealed_len < DV_SEAL_OVERHEAD + SALT_BYTES || e->sealed_len > DV_CUSTODY_BODY_MAX + 1024) return "sealed body malformed";
	size_t pn = e->sealed_len - DV_SEAL_OVERHEAD;
	uint8_t *plain = malloc(pn + 1);
	if (!plain) return "out of memory";
	const char *fault = NULL;
	uint8_t commit[32];
	json_object *o = NULL;
	if (dv_open(plain, e->sealed, e->sealed_len, e->hash, 32, c->key) < 0) fault = "body fails authentication";
	else {
		dv_sha256_buf(plain, pn, commit);
		plain[pn] = 0;
		json_tokener *tok = json_tokener_new_ex(16);
		o = !dv_equal(commit, body, 32) || !tok ? NULL
		    : json_tokener_parse_ex(tok, (const char *)plain + SALT_BYTES, (int)(pn - SALT_BYTES));
		json_tokener_free(tok);
		json_object *jc, *js;
		char want[DV_CHAIN_NAME_MAX];
		if (!dv_equal(commit, body, 32)) fault = "body is not the one its statement commits to";
		else if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "case", &jc) ||
		         !json_object_object_get_ex(o, "chain_seq", &js))
			fault = "body malformed";
		else {
			dv_custody_shared_chain(want, c->key, pk, json_object_get_string(jc));
			if (strcmp(want, e->chain) || (uint64_t)json_object_get_int64(js) != e->seq)
				fault = "body names another case or place than its statement";
		}
	}
	if (!fault && plain_out) {
		*plain_out = plain;
		*pn_out = pn;
		*body_out = o;
		return NULL;
	}
	json_object_put(o);
	dv_wipe(plain, pn);
	free(plain);
	return fault;
}

const char *dv_custody_shared_entry_fault(const dv_catalog_chain_entry *e, const uint8_t expect_prev[32],
                                          const uint8_t (*pks)[DV_SIGN_PK_BYTES], size_t npk, const uint8_t key[DV_KEY_BYTES])
{
	return entry_check(e, expect_prev, pks, npk, key, NULL, NULL, NULL);
}

static int on_entry(const dv_catalog_chain_entry *e, void *payload)
{
	struct check *c = payload;
	if (strcmp(c->chain, e->chain)) {
		snprintf(c->chain, sizeof(c->chain), "%s", e->chain);
		c->chains++;
		c->seq = 0;
		memset(c->last, 0, 32);
		c->broken = false;
	}
	c->entries++;
	if (e->seq != c->seq + 1 && !c->broken) {
		char what[120];
		snprintf(what, sizeof(what), "entries %llu to %llu missing", (unsigned long long)c->seq + 1,
		         (unsigned long long)e->seq - 1);
		say(c, e->chain, e->seq, what);
		c->broken = true;
	}
	const char *fault = dv_custody_shared_entry_fault(e, c->last, c->pks, c->npk, c->key);
	if (fault && !c->broken) say(c, e->chain, e->seq, fault);
	if (fault) c->broken = true;
	c->seq = e->seq;
	memcpy(c->last, e->hash, 32);
	return 0;
}

struct head_check {
	struct check *c;
	const char *chain;
	uint64_t seq;
	uint8_t hash[32];
	bool found;
};

static int last_of(const dv_catalog_chain_entry *e, void *payload)
{
	struct head_check *h = payload;
	h->found = true;
	h->seq = e->seq;
	memcpy(h->hash, e->hash, 32);
	return 0;
}

static int on_head_check(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload)
{
	struct check *c = payload;
	struct head_check h = { c, chain, 0, { 0 }, false };
	c->heads++;
	int rc = dv_catalog_chain_list(c->cat, chain, last_of, &h);
	if (rc < 0) return rc;
	if (!h.found || h.seq != seq || !dv_equal(h.hash, hash, 32)) {
		char what[160];
		snprintf(what, sizeof(what), "the chain's head says entry %llu, the chain ends at entry %llu (entries cut off or added behind it)",
		         (unsigned long long)seq, (unsigned long long)h.seq);
		say(c, chain, seq, what);
	}
	return 0;
}

int dv_custody_shared_check(uint64_t *chains, uint64_t *entries, dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES],
                            size_t npk, const uint8_t key[DV_KEY_BYTES], void (*fn)(const char *problem, void *payload),
                            void *payload)
{
	struct check c = { .cat = cat, .pks = pks, .npk = npk, .key = key, .fn = fn, .payload = payload };
	int rc = dv_catalog_chain_list(cat, NULL, on_entry, &c);
	if (rc == 0) rc = dv_catalog_chain_heads(cat, on_head_check, &c);
	if (rc == 0 && c.heads != c.chains) {
		char msg[160];
		snprintf(msg, sizeof(msg), "custody log: %llu chains hold entries but %llu have a head (a head row removed or added)",
		         (unsigned long long)c.chains, (unsigned long long)c.heads);
		c.problems++;
		fn(msg, payload);
	}
	if (chains) *chains = c.chains;
	if (entries) *entries = c.entries;
	return rc < 0 ? rc : c.problems;
}

/* ---- reading the shared log as the file log is read ------------------------------- */
struct scan_item {
	dv_custody_entry e;
	uint8_t *mem;       /* statement, signature, salt || body */
	size_t plain_len;
	json_object *body;
	int64_t order_ns;   /* the entry's time, never before its chain's previous entry */
	int signer;         /* index into the registry's keys; -1: none */
	bool late;          /* named already as signed after its station's revocation (by time) */
};

struct scan_ctx {
	const uint8_t (*pks)[DV_SIGN_PK_BYTES];
	const char *const *names;
	const int64_t *revoked;
	void (*problem)(const char *msg, void *payload);
	void *payload;
	int problems;
	size_t npk;
	const uint8_t *key;
	struct scan_item *items;
	size_t n, cap;
	char chain[DV_CHAIN_NAME_MAX];
	int64_t chain_last_ns;
	int rc;
};

/* Fills the file log's entry view of a chain entry (version 3). */
static int fill_entry(dv_custody_entry *out, const dv_catalog_chain_entry *e, uint8_t *mem, size_t plain_len)
{
	memset(out, 0, sizeof(*out));
	out->version = 3;
	out->seq = out->case_seq = e->seq;
	memcpy(out->prev, e->prev, 32);
	memcpy(out->case_prev, e->prev, 32);
	memcpy(out->hash, e->hash, 32);
	memcpy(out->case_hash, e->hash, 32);
	memcpy(out->stmt_case_head, e->hash, 32);
	snprintf(out->chain, sizeof(out->chain), "%s", e->chain);
	snprintf(out->case_ref, sizeof(out->case_ref), "%s", strncmp(e->chain, "station-", 8) ? e->chain : "station");
	out->case_stmt = out->vault_stmt = out->bytes = mem;
	out->case_stmt_len = out->vault_stmt_len = out->length = e->stmt_len;
	out->case_sig = out->sig = mem + e->stmt_len;
	out->plain = mem + e->stmt_len + DV_SIGN_BYTES;
	out->plain_len = plain_len;
	out->offset = -1;
	char s[STMT_MAX + 1], pkh[65];
	long long t = 0;
	memcpy(s, e->stmt, e->stmt_len);
	s[e->stmt_len] = 0;
	if (sscanf(s, "dronevault custody entry v3\nstation %64s\nchain %*79s\nseq %*u\nprev %*64s\ntime %lld", pkh, &t) != 2 ||
	    dv_unhex(out->station_pk, 32, pkh) < 0 || hexfield(s, "\nheads ", out->heads) < 0 ||
	    hexfield(s, "\nbody ", out->body_commit) < 0)
		return dv_error_set(DV_ECORRUPT, NULL, -1, "custody chain %.80s entry %llu: statement malformed", e->chain,
		                    (unsigned long long)e->seq);
	out->time_ns = t;
	return 0;
}

static int collect(const dv_catalog_chain_entry *e, void *payload)
{
	struct scan_ctx *c = payload;
	if (strcmp(c->chain, e->chain)) {
		snprintf(c->chain, sizeof(c->chain), "%s", e->chain);
		c->chain_last_ns = INT64_MIN;
	}
	uint8_t *plain = NULL;
	size_t pn = 0;
	json_object *body = NULL;
	/* links are the check's to report: here each entry alone */
	if (entry_check(e, e->prev, c->pks, c->npk, c->key, &plain, &pn, &body)) return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct scan_item *ni = cap < (SIZE_MAX / sizeof(*ni)) ? realloc(c->items, cap * sizeof(*ni)) : NULL;
		if (!ni) goto nomem;
		c->items = ni;
		c->cap = cap;
	}
	struct scan_item *it = &c->items[c->n];
	if (!(it->mem = malloc(e->stmt_len + DV_SIGN_BYTES + pn + 1))) goto nomem;
	memcpy(it->mem, e->stmt, e->stmt_len);
	memcpy(it->mem + e->stmt_len, e->sig, DV_SIGN_BYTES);
	memcpy(it->mem + e->stmt_len + DV_SIGN_BYTES, plain, pn + 1);
	dv_wipe(plain, pn);
	free(plain);
	int rc = fill_entry(&it->e, e, it->mem, pn);
	if (rc < 0) {
		free(it->mem);
		json_object_put(body);
		return rc;
	}
	it->plain_len = pn;
	it->body = body;
	it->signer = -1;
	it->late = false;
	/* the station that signed it, by the registry; an entry after its
	 * station's revocation, or naming another station than its signer, is
	 * a problem */
	size_t k = 0;
	while (k < c->npk && !dv_equal(c->pks[k], it->e.station_pk, 32)) k++;
	if (k < c->npk && c->names) {
		json_object *js;
		const char *said = json_object_object_get_ex(body, "station", &js) ? json_object_get_string(js) : "";
		json_object_object_add(body, "signed_by", json_object_new_string(c->names[k]));
		char msg[700];
		it->signer = (int)k;
		if (c->revoked && c->revoked[k] && it->e.time_ns > c->revoked[k]) {
			it->late = true;
			char iso[40];
			dv_time_iso(iso, sizeof(iso), c->revoked[k]);
			snprintf(msg, sizeof(msg), "custody chain %.80s entry %llu: signed by station %.200s after its revocation (%s)",
			         e->chain, (unsigned long long)e->seq, c->names[k], iso);
			c->problems++;
			if (c->problem) c->problem(msg, c->payload);
		}
		if (said && strcmp(said, c->names[k])) {
			snprintf(msg, sizeof(msg), "custody chain %.80s entry %llu: names station '%.200s' but is signed by station %.200s's key",
			         e->chain, (unsigned long long)e->seq, said, c->names[k]);
			c->problems++;
			if (c->problem) c->problem(msg, c->payload);
		}
	}
	it->order_ns = it->e.time_ns > c->chain_last_ns ? it->e.time_ns : c->chain_last_ns;
	c->chain_last_ns = it->order_ns;
	c->n++;
	return 0;
nomem:
	if (plain) dv_wipe(plain, pn);
	free(plain);
	json_object_put(body);
	return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

/*
 * Revocation by place, not by the time an entry claims: a station.revoke
 * entry records where every chain stood (chain_heads); an entry its
 * revoked key signed past that place in a chain, or in a chain that did
 * not exist then, came after the revocation, however its clock was set.
 * (Revocations made before chain_heads was recorded are judged by time only.)
 */
static void revoked_by_place(struct scan_ctx *c)
{
	for (size_t r = 0; r < c->n; r++) {
		json_object *b = c->items[r].body, *ja, *jk, *heads;
		if (!b || !json_object_object_get_ex(b, "action", &ja) || strcmp(json_object_get_string(ja), DV_ACTION_STATION_REVOKE) ||
		    !json_object_object_get_ex(b, "station_key", &jk) || !json_object_object_get_ex(b, "chain_heads", &heads) ||
		    !json_object_is_type(heads, json_type_object))
			continue;
		uint8_t pk[32];
		const char *kh = json_object_get_string(jk);
		if (!kh || strlen(kh) != 64 || dv_unhex(pk, 32, kh) < 0) continue;
		for (size_t i = 0; i < c->n; i++) {
			struct scan_item *it = &c->items[i];
			if (it->late || !dv_equal(it->e.station_pk, pk, 32)) continue;
			json_object *js;
			bool known = json_object_object_get_ex(heads, it->e.chain, &js);
			int64_t at = known ? json_object_get_int64(js) : 0;
			if (known && (int64_t)it->e.seq <= at) continue;
			char msg[700], where[64];
			if (known) snprintf(where, sizeof(where), "was at entry %lld", (long long)at);
			else snprintf(where, sizeof(where), "did not exist yet");
			snprintf(msg, sizeof(msg),
			         "custody chain %.80s entry %llu: signed by station %.200s after its revocation (custody chain %.80s "
			         "entry %llu revoked it when this chain %s), whatever time it claims",
			         it->e.chain, (unsigned long long)it->e.seq,
			         it->signer >= 0 && c->names ? c->names[it->signer] : "(unknown)", c->items[r].e.chain,
			         (unsigned long long)c->items[r].e.seq, where);
			it->late = true;
			c->problems++;
			if (c->problem) c->problem(msg, c->payload);
		}
	}
}

static int cmp_item(const void *a, const void *b)
{
	const struct scan_item *x = a, *y = b;
	if (x->order_ns != y->order_ns) return x->order_ns < y->order_ns ? -1 : 1;
	int c = strcmp(x->e.chain, y->e.chain);
	if (c) return c;
	return x->e.seq < y->e.seq ? -1 : x->e.seq > y->e.seq;
}

static void quiet(const char *m, void *p)
{
	(void)m;
	(void)p;
}

int dv_custody_shared_scan(dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES], const char *const *names,
                           const int64_t *revoked_ns, size_t npk, const uint8_t key[DV_KEY_BYTES],
                           int (*fn)(const dv_custody_entry *e, struct json_object *body, void *payload),
                           void (*problem)(const char *msg, void *payload), void *payload)
{
	int problems = dv_custody_shared_check(NULL, NULL, cat, pks, npk, key, problem ? problem : quiet, payload);
	if (problems < 0) return problems;
	struct scan_ctx c = { .pks = pks, .names = names, .revoked = revoked_ns, .problem = problem, .payload = payload,
	                      .npk = npk, .key = key };
	int rc = dv_catalog_chain_list(cat, NULL, collect, &c);
	if (rc == 0 && c.n) qsort(c.items, c.n, sizeof(*c.items), cmp_item);
	if (rc == 0) revoked_by_place(&c);
	for (size_t i = 0; rc == 0 && fn && i < c.n; i++) rc = fn(&c.items[i].e, c.items[i].body, payload);
	for (size_t i = 0; i < c.n; i++) {
		json_object_put(c.items[i].body);
		dv_wipe(c.items[i].mem, c.items[i].e.length + DV_SIGN_BYTES + c.items[i].plain_len);
		free(c.items[i].mem);
	}
	free(c.items);
	return rc < 0 ? rc : problems + c.problems;
}

struct head_find {
	const char *chain;
	uint64_t seq;
	uint8_t hash[32];
	bool found;
};

static int on_head_find(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload)
{
	struct head_find *h = payload;
	if (strcmp(chain, h->chain)) return 0;
	h->found = true;
	h->seq = seq;
	memcpy(h->hash, hash, 32);
	return 0;
}

int dv_custody_shared_chain_head(uint64_t *seq, uint8_t hash[32], dv_catalog *cat, const uint8_t key[DV_KEY_BYTES],
                                 const uint8_t pk[DV_SIGN_PK_BYTES], const char *case_name)
{
	char chain[DV_CHAIN_NAME_MAX];
	dv_custody_shared_chain(chain, key, pk, case_name);
	struct head_find h = { .chain = chain };
	int rc = dv_catalog_chain_heads(cat, on_head_find, &h);
	if (rc < 0) return rc;
	*seq = h.found ? h.seq : 0;
	memcpy(hash, h.found ? h.hash : (const uint8_t[32]){ 0 }, 32);
	return h.found ? 0 : DV_ENOTFOUND;
}

/* ---- the court package ------------------------------------------------------------ */
static const char verify_md_v3[] =
	"# Checking this case's custody log (shared log, several stations)\n"
	"\n"
	"Each file `entries/NNNNNN.stmt` is one custody entry of this case's chain,\n"
	"signed alone with the Ed25519 key of the station that wrote it\n"
	"(`entries/NNNNNN.pem`; line 2 of the statement is the same key in hex).\n"
	"Line 4 is the entry's place in the case (1, 2, ...), line 5 the SHA-256 of\n"
	"the statement before it (zeros for the first), line 8 the SHA-256 of the\n"
	"entry's salt (`.salt`, 32 bytes) followed by its body (`.json`, the exact\n"
	"bytes shown; it names the station). Line 7 is the vault head the writer\n"
	"saw (it commits to other cases' progress, not shown here). No vault key is\n"
	"needed, and nothing of other cases is here. `stations.txt` lists the\n"
	"stations' keys as the vault registers them; when one station wrote every\n"
	"entry its key is also `station.pem`.\n"
	"\n"
	"Run these commands in this directory (bash, GNU coreutils, OpenSSL 3):\n"
	"\n"
	"```sh\n"
	"set -e\n"
	"prev=0000000000000000000000000000000000000000000000000000000000000000\n"
	"n=0\n"
	"for s in entries/*.stmt; do\n"
	"  e=${s%.stmt}\n"
	"  n=$((n + 1))\n"
	"  test \"$(openssl pkey -pubin -in \"$e.pem\" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \\n')\" = \"$(head -n 2 \"$s\" | tail -n 1 | cut -d' ' -f2)\"\n"
	"  openssl pkeyutl -verify -pubin -inkey \"$e.pem\" -rawin -in \"$s\" -sigfile \"$e.sig\" >/dev/null\n"
	"  test \"$(head -n 4 \"$s\" | tail -n 1)\" = \"seq $n\"\n"
	"  test \"$(head -n 5 \"$s\" | tail -n 1)\" = \"prev $prev\"\n"
	"  test \"$(head -n 8 \"$s\" | tail -n 1)\" = \"body $(cat \"$e.salt\" \"$e.json\" | sha256sum | cut -c1-64)\"\n"
	"  prev=$(sha256sum <\"$s\" | cut -c1-64)\n"
	"done\n"
	"test \"$prev\" = \"$(cat HEAD)\"\n"
	"echo \"all $n entries verify; case head $prev\"\n"
	"```\n"
	"\n"
	"Any failing check stops with a non-zero status. The last line prints the\n"
	"case head: it must equal the head recorded outside the vault (the\n"
	"evidence seal, the case file: `dronevault log --head --case ID`).\n";

struct pkg3 {
	const uint8_t (*pks)[DV_SIGN_PK_BYTES];
	size_t npk;
	const uint8_t *key;
	int dfd;
	uint64_t n;
	uint8_t last[32];
	uint8_t signer[32];    /* the first entry's station key */
	bool one_signer;       /* every entry signed by it */
	const char *fault;
	uint64_t fault_seq;
	int rc;
};

static int pkg3_entry(const dv_catalog_chain_entry *e, void *payload)
{
	struct pkg3 *p = payload;
	if (p->fault || p->rc < 0) return 0;
	uint8_t *plain = NULL;
	size_t pn = 0;
	json_object *body = NULL;
	if (e->seq != p->n + 1) p->fault = "an entry is missing before it";
	else p->fault = entry_check(e, p->last, p->pks, p->npk, p->key, &plain, &pn, &body);
	if (p->fault) {
		p->fault_seq = e->seq;
		return 0;
	}
	json_object_put(body);
	char name[64], pem[160];
	unsigned long long k = (unsigned long long)e->seq;
	uint8_t pk[32];
	char pkh[65] = "";
	int rc;
	char s[STMT_MAX + 1];
	memcpy(s, e->stmt, e->stmt_len); /* entry_check: 1 .. STMT_MAX bytes */
	s[e->stmt_len] = 0;
	if (sscanf(s, "dronevault custody entry v3\nstation %64s", pkh) != 1 || dv_unhex(pk, 32, pkh) < 0)
		rc = dv_error_set(DV_ECORRUPT, NULL, -1, "entry %llu: statement malformed", k);
	else {
		if (!p->n) {
			memcpy(p->signer, pk, 32);
			p->one_signer = true;
		} else if (!dv_equal(p->signer, pk, 32)) p->one_signer = false;
		int pemn = rc = dv_sign_pk_pem(pem, sizeof(pem), pk);
		snprintf(name, sizeof(name), "%06llu.stmt", k);
		if (rc >= 0) rc = dv_write_new_at(p->dfd, name, e->stmt, e->stmt_len, "a statement");
		snprintf(name, sizeof(name), "%06llu.sig", k);
		if (rc == 0) rc = dv_write_new_at(p->dfd, name, e->sig, DV_SIGN_BYTES, "a signature");
		snprintf(name, sizeof(name), "%06llu.salt", k);
		if (rc == 0) rc = dv_write_new_at(p->dfd, name, plain, SALT_BYTES, "a salt");
		snprintf(name, sizeof(name), "%06llu.json", k);
		if (rc == 0) rc = dv_write_new_at(p->dfd, name, plain + SALT_BYTES, pn - SALT_BYTES, "a body");
		snprintf(name, sizeof(name), "%06llu.pem", k);
		if (rc == 0) rc = dv_write_new_at(p->dfd, name, pem, (size_t)pemn, "a station key");
	}
	dv_wipe(plain, pn);
	free(plain);
	if (rc < 0) return p->rc = rc;
	p->n++;
	memcpy(p->last, e->hash, 32);
	return 0;
}

int dv_custody_shared_package(uint64_t *entries, uint8_t head[32], dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES],
                              const char *const *pk_names, size_t npk, const uint8_t key[DV_KEY_BYTES], const char *case_name,
                              const char *dir)
{
	*entries = 0;
	memset(head, 0, 32);
	if (!case_name || !*case_name) return dv_error_set(DV_EINVAL, dir, -1, "a package is of one case");
	char chain[DV_CHAIN_NAME_MAX];
	dv_custody_shared_chain(chain, key, pks[0], case_name);
	uint64_t hseq;
	uint8_t hhash[32];
	int rc = dv_custody_shared_chain_head(&hseq, hhash, cat, key, pks[0], case_name);
	if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, dir, -1, "no custody entries of case '%s'", case_name);
	if (rc < 0) return rc;
	if (mkdir(dir, 0700) < 0) return dv_error_errno(errno, dir, -1, "cannot create the package directory (it must not exist)");
	int top = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct pkg3 p = { .pks = pks, .npk = npk, .key = key, .dfd = -1 };
	if (top < 0 || mkdirat(top, "entries", 0700) < 0 ||
	    (p.dfd = openat(top, "entries", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(errno, dir, -1, "cannot create the package directory");
		goto out;
	}
	/* every entry of the chain checked before it is written, and the chain
	 * ending at its head row: a damaged chain gives no package */
	rc = dv_catalog_chain_list(cat, chain, pkg3_entry, &p);
	if (rc == 0 && p.rc < 0) rc = p.rc;
	if (rc == 0 && p.fault)
		rc = dv_error_set(DV_ECORRUPT, dir, -1, "custody chain of case '%s', entry %llu: %s; no package written, run 'dronevault verify'",
		                  case_name, (unsigned long long)p.fault_seq, p.fault);
	if (rc == 0 && (p.n != hseq || !dv_equal(p.last, hhash, 32)))
		rc = dv_error_set(DV_ECORRUPT, dir, -1, "custody chain of case '%s' ends at entry %llu, its head says %llu; no package written, "
		                  "run 'dronevault verify'", case_name, (unsigned long long)p.n, (unsigned long long)hseq);
	if (rc < 0) goto out;
	char hex[66], *st = malloc(npk * 300 + 1);
	if (!st) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	size_t sn = 0;
	for (size_t i = 0; i < npk; i++) {
		char kh[65];
		dv_hex(kh, pks[i], 32);
		int w = snprintf(st + sn, 300, "%s %.200s\n", kh, pk_names && pk_names[i] ? pk_names[i] : "");
		if (w > 0) sn += (size_t)w < 300 ? (size_t)w : 299;
	}
	dv_hex(hex, p.last, 32);
	hex[64] = '\n';
	hex[65] = '\0';
	if ((rc = dv_write_new_at(top, "HEAD", hex, 65, "the case head")) == 0 && (rc = dv_write_new_at(top, "stations.txt", st, sn, "stations.txt")) == 0)
		rc = dv_write_new_at(top, "VERIFY.md", verify_md_v3, sizeof(verify_md_v3) - 1, "VERIFY.md");
	if (rc == 0 && p.one_signer) {
		/* one station wrote the whole case: its key as the file log's package has it */
		char pem[160];
		int pemn = rc = dv_sign_pk_pem(pem, sizeof(pem), p.signer);
		if (rc >= 0) rc = dv_write_new_at(top, "station.pem", pem, (size_t)pemn, "the station key");
	}
	free(st);
	if (rc < 0) goto out;
	if (fsync(p.dfd) < 0 || fsync(top) < 0) {
		rc = dv_error_errno(errno, dir, -1, "cannot sync the package");
		goto out;
	}
	*entries = p.n;
	memcpy(head, p.last, 32);
out:
	if (p.dfd >= 0) close(p.dfd);
	if (top >= 0) close(top);
	return rc;
}
