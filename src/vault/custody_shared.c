/*
 * The shared custody log: chains of signed entries in a shared catalog
 * (custody_shared_int.h says the format; the backend's chain_* operations
 * store them, catalog_pg.c). Keys stay here: the backend only keeps
 * statements, signatures and sealed bodies.
 */
#include "vault/custody_shared_int.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/custody.h"
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
	dv_sha256 *h;
	uint64_t entries;
};

static int on_head(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload)
{
	struct heads_ctx *c = payload;
	char line[DV_CHAIN_NAME_MAX + 100], hex[65];
	dv_hex(hex, hash, 32);
	int n = snprintf(line, sizeof(line), "%s %llu %s\n", chain, (unsigned long long)seq, hex);
	c->entries += seq;
	return dv_sha256_update(c->h, line, (size_t)n);
}

int dv_custody_shared_vault_head(uint8_t out[32], uint64_t *entries, dv_catalog *cat)
{
	static const char tag[] = "dronevault vault heads v1\n";
	struct heads_ctx c = { NULL, 0 };
	memset(out, 0, 32);
	int rc = dv_sha256_new(&c.h);
	if (rc < 0) return rc;
	if ((rc = dv_sha256_update(c.h, tag, sizeof(tag) - 1)) == 0 && (rc = dv_catalog_chain_heads(cat, on_head, &c)) == 0)
		rc = dv_sha256_final(c.h, out);
	dv_sha256_free(c.h);
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

/* One entry: every link, the signature, the body. */
const char *dv_custody_shared_entry_fault(const dv_catalog_chain_entry *e, const uint8_t expect_prev[32],
                                          const uint8_t (*pks)[DV_SIGN_PK_BYTES], size_t npk, const uint8_t key[DV_KEY_BYTES])
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
	if (dv_open(plain, e->sealed, e->sealed_len, e->hash, 32, c->key) < 0) fault = "body fails authentication";
	else {
		dv_sha256_buf(plain, pn, commit);
		plain[pn] = 0;
		json_tokener *tok = json_tokener_new_ex(16);
		json_object *o = !dv_equal(commit, body, 32) || !tok ? NULL
		                 : json_tokener_parse_ex(tok, (const char *)plain + SALT_BYTES, (int)(pn - SALT_BYTES));
		json_tokener_free(tok);
		json_object *jc, *js;
		char want[DV_CHAIN_NAME_MAX];
		if (!dv_equal(commit, body, 32)) fault = "body is not the one its statement commits to";
		else if (!o || !json_object_object_get_ex(o, "case", &jc) || !json_object_object_get_ex(o, "chain_seq", &js))
			fault = "body malformed";
		else {
			dv_custody_shared_chain(want, c->key, pk, json_object_get_string(jc));
			if (strcmp(want, e->chain) || (uint64_t)json_object_get_int64(js) != e->seq)
				fault = "body names another case or place than its statement";
		}
		json_object_put(o);
	}
	dv_wipe(plain, pn);
	free(plain);
	return fault;
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
