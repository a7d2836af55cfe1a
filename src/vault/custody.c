#include "dv/custody.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"
#include "vault/vault_fs_int.h"

#define HEAD_BYTES 60   /* version 1: bytes before the sealed body */
#define MAX_LOG_BYTES (1ull << 32)
#define STMT_MAX 400     /* version 2: a statement's bytes (they are ~300) */
#define SALT_BYTES 32
#define STATION_REF "station"

/* The head of each chain: a case's, or the station's (entries of no case). */
struct case_head {
	char ref[DV_CUSTODY_REF_MAX];
	uint64_t seq;
	uint8_t hash[32];
};

struct heads {
	struct case_head *h;
	size_t n, cap;
};

static struct case_head *heads_find(struct heads *hs, const char *ref, bool create)
{
	for (size_t i = 0; i < hs->n; i++)
		if (!strcmp(hs->h[i].ref, ref)) return &hs->h[i];
	if (!create) return NULL;
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 16;
		struct case_head *n = realloc(hs->h, cap * sizeof(*n));
		if (!n) return NULL;
		hs->h = n;
		hs->cap = cap;
	}
	struct case_head *h = &hs->h[hs->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->ref, sizeof(h->ref), "%s", ref);
	return h;
}

struct dv_custody {
	int fd;
	char path[4096];
	uint8_t pk[DV_SIGN_PK_BYTES];
	/* guarded memory (dv_secret_alloc): the body key, then the secret key */
	uint8_t *secrets;
	uint8_t *sk;
	bool can_sign;
	uint8_t *key;
	uint64_t seq;
	uint8_t hash[32];
	int64_t end;   /* file size after the last good entry */
	const dv_fs *fs; /* appends go through it (dv_custody_use_fs) */
	uint64_t torn; /* bytes of a torn last entry after end, not cut yet */
	int version;   /* of the entries in the file; 2 for a new log */
	struct heads heads;
};

void dv_custody_use_fs(dv_custody *log, const dv_fs *fs) { log->fs = fs ? fs : dv_fs_real(); }

void dv_custody_case_ref(char out[DV_CUSTODY_REF_MAX], const uint8_t key[DV_KEY_BYTES], const char *case_name)
{
	if (!case_name || !*case_name) {
		snprintf(out, DV_CUSTODY_REF_MAX, "%s", STATION_REF);
		return;
	}
	static const char tag[] = "dronevault-case-ref-v1";
	uint8_t h[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, DV_KEY_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag, sizeof(tag));
	crypto_generichash_update(&st, (const uint8_t *)case_name, strlen(case_name));
	crypto_generichash_final(&st, h, sizeof(h));
	dv_hex(out, h, sizeof(h));
}

/* ---- version 2 statements -------------------------------------------------------
 * Two short text statements per entry, each signed alone (Ed25519 over its
 * bytes, so 'openssl pkeyutl -verify -rawin' checks one): the case
 * statement places the entry in its case's chain and commits to its clear
 * body by a salted SHA-256; the vault statement places it in the vault's
 * chain and commits to the case statement (the case's new head).
 */
static int case_stmt(char *out, size_t size, const char *pk_hex, const char *ref, uint64_t seq, const uint8_t prev[32],
                     int64_t time_ns, const uint8_t body[32])
{
	char p[65], b[65];
	dv_hex(p, prev, 32);
	dv_hex(b, body, 32);
	return snprintf(out, size, "dronevault custody entry v2\nstation %s\ncase %s\nseq %llu\nprev %s\ntime %lld\nbody %s\n",
	                pk_hex, ref, (unsigned long long)seq, p, (long long)time_ns, b);
}

static int vault_stmt(char *out, size_t size, const char *pk_hex, uint64_t seq, const uint8_t prev[32], const char *ref,
                      uint64_t case_seq, const uint8_t case_head[32])
{
	char p[65], c[65];
	dv_hex(p, prev, 32);
	dv_hex(c, case_head, 32);
	return snprintf(out, size, "dronevault vault entry v2\nstation %s\nseq %llu\nprev %s\ncase %s\ncase-seq %llu\ncase-head %s\n",
	                pk_hex, (unsigned long long)seq, p, ref, (unsigned long long)case_seq, c);
}

static bool ref_ok(const char *r)
{
	size_t n = strlen(r);
	return !strcmp(r, STATION_REF) || (n == 32 && strspn(r, "0123456789abcdef") == 32);
}

/* Parses a statement by reading its fields and writing it again: only the
 * one canonical spelling is accepted. */
static int parse_stmts(dv_custody_entry *e, const char *name, int64_t base)
{
	char cs[STMT_MAX + 1], vs[STMT_MAX + 1], pk[80], ref[40], prev[80], body[80], pk2[80], vprev[80], ref2[40], chead[80];
	unsigned long long seq, vseq, cseq2;
	long long t;
	memcpy(cs, e->case_stmt, e->case_stmt_len);
	cs[e->case_stmt_len] = '\0';
	memcpy(vs, e->vault_stmt, e->vault_stmt_len);
	vs[e->vault_stmt_len] = '\0';
	if (strlen(cs) != e->case_stmt_len || strlen(vs) != e->vault_stmt_len ||
	    sscanf(cs, "dronevault custody entry v2\nstation %70s\ncase %35s\nseq %llu\nprev %70s\ntime %lld\nbody %70s", pk, ref,
	           &seq, prev, &t, body) != 6 ||
	    sscanf(vs, "dronevault vault entry v2\nstation %70s\nseq %llu\nprev %70s\ncase %35s\ncase-seq %llu\ncase-head %70s", pk2,
	           &vseq, vprev, ref2, &cseq2, chead) != 6)
		return dv_error_set(DV_ECORRUPT, name, base, "custody entry statements malformed");
	if (strlen(pk) != 64 || strcmp(pk, pk2) || !ref_ok(ref) || strcmp(ref, ref2) || seq != cseq2 || seq == 0 || vseq == 0 ||
	    t < 0 || strlen(prev) != 64 || strlen(body) != 64 || strlen(vprev) != 64 || strlen(chead) != 64 ||
	    dv_unhex(e->case_prev, 32, prev) < 0 || dv_unhex(e->body_commit, 32, body) < 0 ||
	    dv_unhex(e->prev, 32, vprev) < 0 || dv_unhex(e->stmt_case_head, 32, chead) < 0)
		return dv_error_set(DV_ECORRUPT, name, base, "custody entry statements malformed or disagree");
	uint8_t pkb[32];
	if (dv_unhex(pkb, 32, pk) < 0) return dv_error_set(DV_ECORRUPT, name, base, "custody entry statements malformed");
	char again[STMT_MAX + 1];
	int n = case_stmt(again, sizeof(again), pk, ref, seq, e->case_prev, t, e->body_commit);
	if (n < 0 || (size_t)n != e->case_stmt_len || memcmp(again, cs, (size_t)n))
		return dv_error_set(DV_ECORRUPT, name, base, "custody entry case statement not in canonical form");
	n = vault_stmt(again, sizeof(again), pk, vseq, e->prev, ref, seq, e->stmt_case_head);
	if (n < 0 || (size_t)n != e->vault_stmt_len || memcmp(again, vs, (size_t)n))
		return dv_error_set(DV_ECORRUPT, name, base, "custody entry vault statement not in canonical form");
	memcpy(e->station_pk, pkb, 32);
	snprintf(e->case_ref, sizeof(e->case_ref), "%s", ref);
	e->case_seq = seq;
	e->seq = vseq;
	e->time_ns = t;
	return 0;
}

/*
 * Version 2 entry (integers big-endian):
 *   0  4  "DVL2"      4  4  L: bytes that follow
 *   8  2  C, C bytes case statement, 64 its signature
 *         2  W, W bytes vault statement, 64 its signature
 *         4  B, B bytes sealed (salt(32) || body JSON), additional data:
 *            the SHA-256 of the case statement
 */
static int parse_v2(const uint8_t *buf, size_t len, const char *name, int64_t base, dv_custody_entry *out)
{
	dv_rd r = dv_rd_init(buf, len, name, base);
	uint32_t l, b;
	uint16_t cl, wl;
	if (dv_rd_skip(&r, 4) < 0 || dv_rd_u32be(&r, &l) < 0) return DV_ETRUNC;
	if (l < 2 + 64 + 2 + 64 + 4 + DV_SEAL_OVERHEAD + SALT_BYTES || l > 2 * STMT_MAX + 136 + DV_CUSTODY_BODY_MAX)
		return dv_error_set(DV_ECORRUPT, name, base + 4, "custody entry length %u out of range", l);
	memset(out, 0, sizeof(*out));
	out->version = 2;
	if (dv_rd_u16be(&r, &cl) < 0) return DV_ETRUNC;
	if (cl == 0 || cl > STMT_MAX) return dv_error_set(DV_ECORRUPT, name, base + 8, "custody entry statement length %u out of range", cl);
	if (dv_rd_view(&r, cl, &out->case_stmt) < 0 || dv_rd_view(&r, DV_SIGN_BYTES, &out->case_sig) < 0 ||
	    dv_rd_u16be(&r, &wl) < 0)
		return DV_ETRUNC;
	if (wl == 0 || wl > STMT_MAX)
		return dv_error_set(DV_ECORRUPT, name, base + 10 + cl + 64, "custody entry statement length %u out of range", wl);
	if (dv_rd_view(&r, wl, &out->vault_stmt) < 0 || dv_rd_view(&r, DV_SIGN_BYTES, &out->sig) < 0 ||
	    dv_rd_u32be(&r, &b) < 0)
		return DV_ETRUNC;
	if (b < DV_SEAL_OVERHEAD + SALT_BYTES + 2 || b > DV_CUSTODY_BODY_MAX ||
	    (uint64_t)2 + cl + 64 + 2 + wl + 64 + 4 + b != l)
		return dv_error_set(DV_ECORRUPT, name, base + 4, "custody entry lengths do not add up (%u)", l);
	if (dv_rd_view(&r, b, &out->sealed) < 0) return DV_ETRUNC;
	out->case_stmt_len = cl;
	out->vault_stmt_len = wl;
	out->sealed_len = b;
	out->offset = base;
	out->length = (size_t)l + 8;
	out->bytes = buf;
	int rc = parse_stmts(out, name, base);
	if (rc < 0) return rc;
	dv_sha256_buf(out->vault_stmt, wl, out->hash);
	dv_sha256_buf(out->case_stmt, cl, out->case_hash);
	return 0;
}

int dv_custody_parse(const uint8_t *buf, size_t len, const char *name, int64_t base,
                     dv_custody_entry *out)
{
	dv_rd r = dv_rd_init(buf, len, name, base);
	uint8_t magic[4];
	uint32_t l, b;
	uint64_t t;
	if (dv_rd_bytes(&r, magic, 4) < 0) return DV_ETRUNC;
	if (!memcmp(magic, "DVL2", 4)) return parse_v2(buf, len, name, base, out);
	if (memcmp(magic, "DVL1", 4) != 0)
		return dv_error_set(DV_ECORRUPT, name, base, "not a custody log entry (bad magic)");
	if (dv_rd_u32be(&r, &l) < 0) return DV_ETRUNC;
	if (l < HEAD_BYTES - 8 + DV_SEAL_OVERHEAD + DV_SIGN_BYTES || l > DV_CUSTODY_BODY_MAX + 256)
		return dv_error_set(DV_ECORRUPT, name, base + 4, "custody entry length %u out of range", l);
	memset(out, 0, sizeof(*out));
	out->version = 1;
	if (dv_rd_u64be(&r, &out->seq) < 0 || dv_rd_u64be(&r, &t) < 0 ||
	    dv_rd_bytes(&r, out->prev, 32) < 0 || dv_rd_u32be(&r, &b) < 0)
		return DV_ETRUNC;
	out->time_ns = (int64_t)t;
	if (b < DV_SEAL_OVERHEAD || b > DV_CUSTODY_BODY_MAX || (uint64_t)b + HEAD_BYTES - 8 + DV_SIGN_BYTES != l)
		return dv_error_set(DV_ECORRUPT, name, base + 56, "custody entry body length %u does not fit entry length %u", b, l);
	if (dv_rd_view(&r, b, &out->sealed) < 0 || dv_rd_view(&r, DV_SIGN_BYTES, &out->sig) < 0)
		return DV_ETRUNC;
	out->sealed_len = b;
	out->offset = base;
	out->length = (size_t)l + 8;
	out->bytes = buf;
	dv_sha256_buf(buf, out->length, out->hash);
	return 0;
}

int dv_custody_verify_sig(const dv_custody_entry *e, const uint8_t pk[DV_SIGN_PK_BYTES])
{
	if (e->version == 2)
		return dv_sign_verify(e->case_sig, e->case_stmt, e->case_stmt_len, pk) < 0 ||
		               dv_sign_verify(e->sig, e->vault_stmt, e->vault_stmt_len, pk) < 0 || !dv_equal(e->station_pk, pk, 32)
		           ? DV_ECORRUPT
		           : 0;
	return dv_sign_verify(e->sig, e->bytes, e->length - DV_SIGN_BYTES, pk);
}

int dv_custody_open_plain(uint8_t **plain_out, size_t *n_out, const dv_custody_entry *e, const uint8_t key[DV_KEY_BYTES],
                          const char *name)
{
	size_t n = e->sealed_len - DV_SEAL_OVERHEAD;
	uint8_t *plain = malloc(n + 1);
	if (!plain) return dv_error_set(DV_ENOMEM, name, e->offset, "out of memory");
	int rc = e->version == 2 ? dv_open(plain, e->sealed, e->sealed_len, e->case_hash, 32, key)
	                         : dv_open(plain, e->sealed, e->sealed_len, e->bytes, HEAD_BYTES, key);
	if (rc < 0) {
		free(plain);
		return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body fails authentication",
		                    (unsigned long long)e->seq);
	}
	if (e->version == 2) {
		uint8_t h[32];
		dv_sha256_buf(plain, n, h);
		if (!dv_equal(h, e->body_commit, 32)) {
			free(plain);
			return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body does not match the digest its statement signs",
			                    (unsigned long long)e->seq);
		}
	}
	plain[n] = '\0';
	*plain_out = plain;
	*n_out = n;
	return 0;
}

int dv_custody_open_body(const dv_custody_entry *e, const uint8_t key[DV_KEY_BYTES],
                         const char *name, json_object **out)
{
	uint8_t *plain;
	size_t n;
	int rc = dv_custody_open_plain(&plain, &n, e, key, name);
	if (rc < 0) return rc;
	size_t skip = e->version == 2 ? SALT_BYTES : 0;
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)plain + skip, (int)(n - skip)) : NULL;
	bool whole = o && json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == n - skip;
	json_tokener_free(tok);
	free(plain);
	if (!o || !json_object_is_type(o, json_type_object) || (e->version == 2 && !whole)) {
		json_object_put(o);
		return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body is not a JSON object",
		                    (unsigned long long)e->seq);
	}
	if (e->version == 2) {
		/* the body names the chain the statement put it in */
		json_object *jc, *js;
		const char *cn = json_object_object_get_ex(o, "case", &jc) && json_object_is_type(jc, json_type_string)
		                 ? json_object_get_string(jc) : NULL;
		char ref[DV_CUSTODY_REF_MAX];
		dv_custody_case_ref(ref, key, cn);
		if (strcmp(ref, e->case_ref) || !json_object_object_get_ex(o, "case_seq", &js) ||
		    (uint64_t)json_object_get_int64(js) != e->case_seq) {
			json_object_put(o);
			return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body names another case or place than its statement",
			                    (unsigned long long)e->seq);
		}
	}
	*out = o;
	return 0;
}

static int read_log(const char *path, uint8_t **buf, size_t *len)
{
	int rc = dv_read_file(buf, len, path, MAX_LOG_BYTES);
	if (rc == DV_ENOTFOUND) {
		*buf = NULL;
		*len = 0;
		return 0;
	}
	return rc;
}

struct scan_ctx {
	void (*problem)(const char *, void *);
	void *payload;
	int problems;
	uint64_t upto;          /* entries after this one are checked but not passed on */
	bool tail_in_progress;  /* a writer is appending: an incomplete last entry past upto is its */
	uint64_t later;         /* complete entries after upto */
	uint64_t partial;       /* bytes of an incomplete entry past upto, being written */
	bool want_plain;        /* fn gets e->plain (version 2: salt || body) */
};

static void report(struct scan_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct scan_ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->problems++;
	if (c->problem) c->problem(msg, c->payload);
}

/*
 * Walks buf entry by entry checking structure, sequence, chain (version 2:
 * the vault chain and each case's chain) and (with pk) signatures, (with
 * key) bodies. Stops at the first structural fault: after it, entry
 * boundaries are unknown. *good_end is the offset after the last entry
 * that passed every check; seq and hash get its sequence and hash; heads
 * (may be NULL) every chain's head; *version the log's format.
 */
static int walk(const char *path, const uint8_t *buf, size_t len, const uint8_t *pk, const uint8_t *key,
                int (*fn)(const dv_custody_entry *, json_object *, void *), struct scan_ctx *c,
                size_t *good_end, uint64_t *seq, uint8_t hash[32], bool *torn, struct heads *heads, int *version)
{
	size_t off = 0;
	uint64_t expect = 1;
	uint8_t prev[32] = { 0 };
	bool chain_ok = true;
	struct heads local = { 0 };
	struct heads *hs = heads ? heads : &local;
	int rc = 0;
	*good_end = 0;
	*seq = 0;
	*torn = false;
	*version = 0;
	memset(hash, 0, 32);
	while (off < len) {
		dv_custody_entry e;
		rc = dv_custody_parse(buf + off, len - off, path, (int64_t)off, &e);
		if (rc == DV_ETRUNC) {
			rc = 0;
			*torn = true;
			if (c->tail_in_progress && expect > c->upto) {
				c->partial = len - off; /* being appended right now, not a fault */
				break;
			}
			report(c, "%s: offset %zu: incomplete entry at the end of the log (%zu bytes; an interrupted write or a cut)",
			       path, off, len - off);
			break;
		}
		if (rc < 0) {
			rc = 0;
			report(c, "%s", dv_error_text());
			break;
		}
		if (!*version) *version = e.version;
		if (e.version != *version) {
			report(c, "%s: offset %zu: a version %d entry in a version %d log", path, off, e.version, *version);
			break;
		}
		bool ok = true;
		if (e.seq != expect) {
			report(c, "%s: offset %zu: entry %llu where entry %llu was expected (deleted, inserted or reordered entries)",
			       path, off, (unsigned long long)e.seq, (unsigned long long)expect);
			ok = false;
		}
		if (memcmp(e.prev, prev, 32) != 0) {
			report(c, "%s: offset %zu: entry %llu does not chain to the entry before it",
			       path, off, (unsigned long long)e.seq);
			ok = false;
		}
		struct case_head *ch = NULL;
		if (e.version == 2) {
			if (!(ch = heads_find(hs, e.case_ref, true))) {
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				break;
			}
			if (!dv_equal(e.stmt_case_head, e.case_hash, 32)) {
				report(c, "%s: offset %zu: entry %llu: its vault statement commits to another case statement",
				       path, off, (unsigned long long)e.seq);
				ok = false;
			}
			if (e.case_seq != ch->seq + 1 || !dv_equal(e.case_prev, ch->hash, 32)) {
				report(c, "%s: offset %zu: entry %llu is not the next entry of its case's chain (%s entry %llu after %llu)",
				       path, off, (unsigned long long)e.seq, e.case_ref, (unsigned long long)e.case_seq,
				       (unsigned long long)ch->seq);
				ok = false;
			}
		}
		if (pk && dv_custody_verify_sig(&e, pk) < 0) {
			report(c, "%s: offset %zu: entry %llu: signature does not verify (altered entry)",
			       path, off, (unsigned long long)e.seq);
			ok = false;
		}
		json_object *body = NULL;
		uint8_t *plain = NULL;
		if (key) {
			if (dv_custody_open_body(&e, key, path, &body) < 0) {
				report(c, "%s", dv_error_text());
				ok = false;
			} else if (e.version == 2 && c->want_plain && dv_custody_open_plain(&plain, &e.plain_len, &e, key, path) == 0) {
				e.plain = plain;
			}
		}
		if (ok && chain_ok) {
			*good_end = off + e.length;
			*seq = e.seq;
			memcpy(hash, e.hash, 32);
		} else {
			chain_ok = false;
		}
		if (e.seq > c->upto) c->later++;
		else if (fn && body) {
			int frc = fn(&e, body, c->payload);
			if (frc < 0) {
				free(plain);
				json_object_put(body);
				rc = frc;
				break;
			}
		}
		free(plain);
		json_object_put(body);
		if (ch) {
			ch->seq = e.case_seq;
			memcpy(ch->hash, e.case_hash, 32);
		}
		memcpy(prev, e.hash, 32);
		expect = e.seq + 1;
		off += e.length;
	}
	free(local.h);
	return rc;
}

int dv_custody_scan(const char *path, const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES],
                    int (*fn)(const dv_custody_entry *e, json_object *body, void *payload),
                    void (*problem)(const char *msg, void *payload), void *payload)
{
	uint64_t later, partial;   /* a whole-log scan has no snapshot: every entry counts */
	return dv_custody_scan_snapshot(&later, &partial, path, pk, key, UINT64_MAX, false, fn, problem, payload);
}

int dv_custody_scan_snapshot(uint64_t *later_entries, uint64_t *partial_bytes, const char *path,
                             const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES], uint64_t upto_seq,
                             bool writer_active,
                             int (*fn)(const dv_custody_entry *e, json_object *body, void *payload),
                             void (*problem)(const char *msg, void *payload), void *payload)
{
	uint8_t *buf;
	size_t len, good;
	uint64_t seq;
	uint8_t hash[32];
	bool torn;
	*later_entries = *partial_bytes = 0;
	int rc = read_log(path, &buf, &len);
	if (rc < 0) return rc;
	struct scan_ctx c = { problem, payload, 0, upto_seq, writer_active, 0, 0, false };
	int version;
	rc = walk(path, buf, len, pk, key, fn, &c, &good, &seq, hash, &torn, NULL, &version);
	free(buf);
	*later_entries = c.later;
	*partial_bytes = c.partial;
	return rc < 0 ? rc : c.problems;
}

int dv_custody_open(dv_custody **out, const char *path, const uint8_t pk[DV_SIGN_PK_BYTES],
                    const uint8_t *sk, const uint8_t key[DV_KEY_BYTES], bool repair,
                    uint64_t *torn_bytes)
{
	dv_custody *log = calloc(1, sizeof(*log));
	if (!log) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	log->fd = -1;
	log->fs = dv_fs_real();
	snprintf(log->path, sizeof(log->path), "%s", path);
	memcpy(log->pk, pk, DV_SIGN_PK_BYTES);
	if (!(log->secrets = dv_secret_alloc(DV_KEY_BYTES + DV_SIGN_SK_BYTES))) {
		free(log);
		return DV_ENOMEM;
	}
	log->key = log->secrets;
	log->sk = log->secrets + DV_KEY_BYTES;
	memcpy(log->key, key, DV_KEY_BYTES);
	if (sk) {
		memcpy(log->sk, sk, DV_SIGN_SK_BYTES);
		log->can_sign = true;
	}
	dv_secret_readonly(log->secrets);
	uint8_t *buf;
	size_t len, good;
	bool torn;
	int rc = read_log(path, &buf, &len);
	if (rc < 0) {
		dv_custody_close(log);
		return rc;
	}
	/* Only the structure and chain are needed to find the tail; verify
	 * checks signatures and bodies. */
	struct scan_ctx c = { NULL, NULL, 0, UINT64_MAX, false, 0, 0, false };
	rc = walk(path, buf, len, NULL, NULL, NULL, &c, &good, &log->seq, log->hash, &torn, &log->heads, &log->version);
	if (!log->version) log->version = 2;   /* a new (empty) log */
	free(buf);
	if (rc < 0) {
		dv_custody_close(log);
		return rc;
	}
	*torn_bytes = torn ? len - good : 0;
	(void)repair;   /* the caller decides: dv_custody_cut_torn, never here */
	/* Read-only users (verify, log) open a damaged log to report on it;
	 * nobody appends to one. A torn tail alone is not damage before the
	 * last good entry: the writer may cut it (dv_custody_cut_torn). */
	if (c.problems - (torn ? 1 : 0) > 0 && sk) {
		unsigned long long last = (unsigned long long)log->seq;
		dv_custody_close(log);
		return dv_error_set(DV_ECORRUPT, path, (int64_t)good,
		                    "custody log is damaged after entry %llu; run 'dronevault verify'", last);
	}
	if (sk) {
		log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log->fd < 0) {
			rc = dv_error_errno(errno, path, -1, "cannot open custody log");
			dv_custody_close(log);
			return rc;
		}
	}
	log->end = (int64_t)good;
	log->torn = torn ? len - good : 0;
	*out = log;
	return 0;
}

int dv_custody_cut_torn(dv_custody *log, uint64_t *cut_bytes, uint8_t cut_sha256[32])
{
	*cut_bytes = 0;
	memset(cut_sha256, 0, 32);
	if (!log->torn) return 0;
	if (!log->can_sign || log->fd < 0)
		return dv_error_set(DV_EPERM, log->path, -1, "custody log opened read-only");
	if (log->torn > DV_CUSTODY_BODY_MAX + 512)
		return dv_error_set(DV_ECORRUPT, log->path, log->end, "%llu bytes after the last entry: not a torn entry",
		                    (unsigned long long)log->torn);
	uint8_t *buf = malloc((size_t)log->torn);
	if (!buf) return dv_error_set(DV_ENOMEM, log->path, -1, "out of memory");
	int rfd = open(log->path, O_RDONLY | O_CLOEXEC);
	ssize_t n = rfd < 0 ? -1 : pread(rfd, buf, (size_t)log->torn, (off_t)log->end);
	int err = errno;
	if (rfd >= 0) close(rfd);
	if (n != (ssize_t)log->torn) {
		free(buf);
		return dv_error_errno(n < 0 ? err : EIO, log->path, log->end, "cannot read the torn last entry");
	}
	dv_sha256_buf(buf, (size_t)log->torn, cut_sha256);
	free(buf);
	if (log->fs->ftruncate(log->fs, log->fd, (off_t)log->end) < 0 || log->fs->fsync(log->fs, log->fd) < 0)
		return dv_error_errno(errno, log->path, log->end, "cannot cut the torn last entry");
	*cut_bytes = log->torn;
	log->torn = 0;
	return 0;
}

void dv_custody_close(dv_custody *log)
{
	if (!log) return;
	if (log->fd >= 0) close(log->fd);
	free(log->heads.h);
	dv_secret_free(log->secrets);
	free(log);
}

void dv_custody_tail(const dv_custody *log, uint64_t *seq, uint8_t hash[32])
{
	*seq = log->seq;
	memcpy(hash, log->hash, 32);
}

/* Writes one whole entry with one write(2) and fsyncs, through the vault's
 * file operations (a power-loss test replaces them); on failure leaves no
 * partial entry behind if it can. */
static int write_entry(dv_custody *log, const uint8_t *e, size_t total)
{
	int rc = dv_fs_write_all(log->fs, log->fd, e, total, log->path);
	if (rc == 0) rc = dv_fs_fsync(log->fs, log->fd, log->path);
	if (rc < 0 && log->fs->ftruncate(log->fs, log->fd, (off_t)log->end) == 0) (void)log->fs->fsync(log->fs, log->fd);
	return rc;
}

static int append_v1(dv_custody *log, json_object *body, uint64_t *seq_out, uint8_t hash_out[32])
{
	uint64_t seq = log->seq + 1;
	int64_t now = dv_now_ns();
	char iso[40];
	dv_time_iso(iso, sizeof(iso), now);
	json_object_object_add(body, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(body, "time", json_object_new_string(iso));
	size_t n;
	const char *s = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &n);
	if (!s || n + DV_SEAL_OVERHEAD > DV_CUSTODY_BODY_MAX)
		return dv_error_set(DV_EINVAL, log->path, -1, "custody entry too large (%zu bytes)", n);
	size_t b = n + DV_SEAL_OVERHEAD;
	size_t total = HEAD_BYTES + b + DV_SIGN_BYTES;
	uint8_t *e = malloc(total);
	if (!e) return dv_error_set(DV_ENOMEM, log->path, -1, "out of memory");
	memcpy(e, "DVL1", 4);
	dv_put_u32be(e + 4, (uint32_t)(total - 8));
	dv_put_u64be(e + 8, seq);
	dv_put_u64be(e + 16, (uint64_t)now);
	memcpy(e + 24, log->hash, 32);
	dv_put_u32be(e + 56, (uint32_t)b);
	dv_seal(e + HEAD_BYTES, s, n, e, HEAD_BYTES, log->key);
	dv_sign(e + HEAD_BYTES + b, e, HEAD_BYTES + b, log->sk);
	int rc = write_entry(log, e, total);
	if (rc < 0) {
		free(e);
		return rc;
	}
	log->seq = seq;
	dv_sha256_buf(e, total, log->hash);
	log->end += (int64_t)total;
	free(e);
	if (seq_out) *seq_out = seq;
	if (hash_out) memcpy(hash_out, log->hash, 32);
	return 0;
}


static int append_v2(dv_custody *log, json_object *body, int64_t time_ns, uint64_t *seq_out, uint8_t hash_out[32])
{
	json_object *jc;
	const char *cn = json_object_object_get_ex(body, "case", &jc) && json_object_is_type(jc, json_type_string)
	                 ? json_object_get_string(jc) : NULL;
	char ref[DV_CUSTODY_REF_MAX], pk_hex[65], iso[40];
	dv_custody_case_ref(ref, log->key, cn);
	struct case_head *ch = heads_find(&log->heads, ref, true);
	if (!ch) return dv_error_set(DV_ENOMEM, log->path, -1, "out of memory");
	uint64_t seq = log->seq + 1, case_seq = ch->seq + 1;
	dv_time_iso(iso, sizeof(iso), time_ns);
	json_object_object_del(body, "seq");
	json_object_object_add(body, "case_seq", json_object_new_int64((int64_t)case_seq));
	json_object_object_add(body, "time", json_object_new_string(iso));
	size_t n;
	const char *js = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &n);
	if (!js || n + SALT_BYTES + DV_SEAL_OVERHEAD > DV_CUSTODY_BODY_MAX)
		return dv_error_set(DV_EINVAL, log->path, -1, "custody entry too large (%zu bytes)", n);
	size_t pn = SALT_BYTES + n;
	uint8_t *plain = malloc(pn);
	if (!plain) return dv_error_set(DV_ENOMEM, log->path, -1, "out of memory");
	dv_random(plain, SALT_BYTES);
	memcpy(plain + SALT_BYTES, js, n);
	uint8_t commit[32], case_hash[32], vault_hash[32];
	dv_sha256_buf(plain, pn, commit);
	dv_hex(pk_hex, log->pk, 32);
	char cs[STMT_MAX + 1], vs[STMT_MAX + 1];
	int cl = case_stmt(cs, sizeof(cs), pk_hex, ref, case_seq, ch->hash, time_ns, commit);
	dv_sha256_buf(cs, (size_t)cl, case_hash);
	int wl = vault_stmt(vs, sizeof(vs), pk_hex, seq, log->hash, ref, case_seq, case_hash);
	dv_sha256_buf(vs, (size_t)wl, vault_hash);
	size_t b = pn + DV_SEAL_OVERHEAD;
	size_t total = 8 + 2 + (size_t)cl + 64 + 2 + (size_t)wl + 64 + 4 + b;
	uint8_t *e = malloc(total);
	if (!e) {
		free(plain);
		return dv_error_set(DV_ENOMEM, log->path, -1, "out of memory");
	}
	uint8_t *w = e;
	memcpy(w, "DVL2", 4);
	dv_put_u32be(w + 4, (uint32_t)(total - 8));
	w += 8;
	*w++ = (uint8_t)(cl >> 8);
	*w++ = (uint8_t)cl;
	memcpy(w, cs, (size_t)cl);
	w += cl;
	dv_sign(w, cs, (size_t)cl, log->sk);
	w += 64;
	*w++ = (uint8_t)(wl >> 8);
	*w++ = (uint8_t)wl;
	memcpy(w, vs, (size_t)wl);
	w += wl;
	dv_sign(w, vs, (size_t)wl, log->sk);
	w += 64;
	dv_put_u32be(w, (uint32_t)b);
	w += 4;
	dv_seal(w, plain, pn, case_hash, 32, log->key);
	sodium_memzero(plain, pn);
	free(plain);
	int rc = write_entry(log, e, total);
	free(e);
	if (rc < 0) return rc;
	log->seq = seq;
	memcpy(log->hash, vault_hash, 32);
	ch->seq = case_seq;
	memcpy(ch->hash, case_hash, 32);
	log->end += (int64_t)total;
	if (seq_out) *seq_out = seq;
	if (hash_out) memcpy(hash_out, log->hash, 32);
	return 0;
}

int dv_custody_append(dv_custody *log, json_object *body, uint64_t *seq_out, uint8_t hash_out[32])
{
	if (!log->can_sign || log->fd < 0)
		return dv_error_set(DV_EPERM, log->path, -1, "custody log opened read-only");
	if (log->torn)
		return dv_error_set(DV_ECORRUPT, log->path, log->end, "custody log has a torn last entry that was not repaired");
	if (log->version == 1) return append_v1(log, body, seq_out, hash_out);
	return append_v2(log, body, dv_now_ns(), seq_out, hash_out);
}

int dv_custody_version(const dv_custody *log)
{
	return log->version;
}

int dv_custody_case_head(const dv_custody *log, const char *case_name, uint64_t *seq, uint8_t hash[32])
{
	char ref[DV_CUSTODY_REF_MAX];
	dv_custody_case_ref(ref, log->key, case_name);
	*seq = 0;
	memset(hash, 0, 32);
	for (size_t i = 0; i < log->heads.n; i++)
		if (!strcmp(log->heads.h[i].ref, ref)) {
			*seq = log->heads.h[i].seq;
			memcpy(hash, log->heads.h[i].hash, 32);
		}
	return log->version == 2 ? 0 : dv_error_set(DV_EUNSUPPORTED, log->path, -1, "a version 1 log has no case chains");
}

/* ---- version 1 -> 2 ------------------------------------------------------------ */
struct v1_entry {
	json_object *body;
	int64_t time_ns;
	uint64_t seq;
	uint8_t hash[32];
};

struct v1_list {
	struct v1_entry *e;
	size_t n, cap;
};

static int collect_v1(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct v1_list *l = payload;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct v1_entry *n = realloc(l->e, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		l->e = n;
		l->cap = cap;
	}
	struct v1_entry *x = &l->e[l->n++];
	x->body = json_object_get(body);
	x->time_ns = e->time_ns;
	x->seq = e->seq;
	memcpy(x->hash, e->hash, 32);
	return 0;
}

int dv_custody_migrate(dv_custody *log, json_object *final_body, uint64_t *seq_out, uint8_t hash_out[32])
{
	if (log->version != 1) return 0;
	if (!log->can_sign || log->fd < 0)
		return dv_error_set(DV_EPERM, log->path, -1, "custody log opened read-only");
	if (log->torn)
		return dv_error_set(DV_ECORRUPT, log->path, log->end, "custody log has a torn last entry that was not repaired");
	uint8_t *buf;
	size_t len;
	int rc = read_log(log->path, &buf, &len);
	if (rc < 0) return rc;
	uint8_t file_sha[32];
	dv_sha256_buf(buf, len, file_sha);
	struct v1_list l = { 0 };
	/* report() counts the problems; nobody needs their text here */
	struct scan_ctx c = { NULL, &l, 0, UINT64_MAX, false, 0, 0, false };
	size_t good;
	uint64_t seq;
	uint8_t hash[32];
	bool torn;
	int version;
	rc = walk(log->path, buf, len, log->pk, log->key, collect_v1, &c, &good, &seq, hash, &torn, NULL, &version);
	free(buf);
	char tmp[4200], old[4200];
	int fd = -1;
	if (rc == 0 && (c.problems || good != len || version != 1 || seq != log->seq))
		rc = dv_error_set(DV_ECORRUPT, log->path, (int64_t)good,
		                  "the version 1 custody log does not check (%d problems); nothing converted, run 'dronevault verify'",
		                  c.problems);
	if (rc == 0 && (rc = dv_pathf(tmp, sizeof(tmp), "%s.v2tmp", log->path)) == 0)
		rc = dv_pathf(old, sizeof(old), "%s.v1", log->path);
	if (rc < 0) goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = dv_error_errno(errno, tmp, -1, "cannot create the converted custody log");
		goto out;
	}
	/* the same log object, pointed at the new file, appends every entry again */
	int old_fd = log->fd;
	uint64_t old_seq = log->seq;
	uint8_t old_hash[32];
	memcpy(old_hash, log->hash, 32);
	int64_t old_end = log->end;
	log->fd = fd;
	log->seq = 0;
	memset(log->hash, 0, 32);
	log->end = 0;
	log->version = 2;
	log->heads.n = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		char h[65];
		dv_hex(h, l.e[i].hash, 32);
		json_object_object_add(l.e[i].body, "v1_seq", json_object_new_int64((int64_t)l.e[i].seq));
		json_object_object_add(l.e[i].body, "v1_hash", json_object_new_string(h));
		rc = append_v2(log, l.e[i].body, l.e[i].time_ns, NULL, NULL);
	}
	if (rc == 0) {
		char h[65], f[65];
		dv_hex(h, old_hash, 32);
		dv_hex(f, file_sha, 32);
		json_object_object_add(final_body, "v1_entries", json_object_new_int64((int64_t)old_seq));
		json_object_object_add(final_body, "v1_head", json_object_new_string(h));
		json_object_object_add(final_body, "v1_log_sha256", json_object_new_string(f));
		rc = append_v2(log, final_body, dv_now_ns(), seq_out, hash_out);
	}
	/* the version 1 file stays beside it (<log>.v1), then the new one takes its name */
	if (rc == 0) {
		(void)unlink(old);
		if (link(log->path, old) < 0) rc = dv_error_errno(errno, old, -1, "cannot keep the version 1 custody log");
	}
	if (rc == 0 && rename(tmp, log->path) < 0) rc = dv_error_errno(errno, log->path, -1, "cannot put the converted custody log in place");
	if (rc == 0) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s", log->path);
		char *slash = strrchr(dir, '/');
		if (slash) *slash = '\0';
		rc = dv_fsync_dir(slash ? dir : ".");
	}
	if (rc < 0) {
		/* back to the version 1 log, untouched */
		close(fd);
		(void)unlink(tmp);
		log->fd = old_fd;
		log->seq = old_seq;
		memcpy(log->hash, old_hash, 32);
		log->end = old_end;
		log->version = 1;
		log->heads.n = 0;
		fd = -1;
		goto out;
	}
	close(old_fd);
	close(fd);
	fd = -1;
	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (log->fd < 0) rc = dv_error_errno(errno, log->path, -1, "cannot open custody log");
out:
	for (size_t i = 0; i < l.n; i++) json_object_put(l.e[i].body);
	free(l.e);
	return rc;
}

/* ---- the court package ---------------------------------------------------------- */
struct pkg {
	char ref[DV_CUSTODY_REF_MAX];
	int dfd;               /* dir/entries */
	uint64_t n;
	uint8_t head[32];
	int rc;
};

static int pkg_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	(void)body;
	struct pkg *p = payload;
	if (e->version != 2 || strcmp(e->case_ref, p->ref)) return 0;
	if (!e->plain || e->plain_len < SALT_BYTES)
		return dv_error_set(DV_ECORRUPT, NULL, e->offset, "entry %llu: body does not open", (unsigned long long)e->seq);
	char name[64];
	int rc;
	unsigned long long k = (unsigned long long)e->case_seq;
	snprintf(name, sizeof(name), "%06llu.stmt", k);
	if ((rc = dv_write_new_at(p->dfd, name, e->case_stmt, e->case_stmt_len, "a statement")) < 0) return rc;
	snprintf(name, sizeof(name), "%06llu.sig", k);
	if ((rc = dv_write_new_at(p->dfd, name, e->case_sig, DV_SIGN_BYTES, "a signature")) < 0) return rc;
	snprintf(name, sizeof(name), "%06llu.salt", k);
	if ((rc = dv_write_new_at(p->dfd, name, e->plain, SALT_BYTES, "a salt")) < 0) return rc;
	snprintf(name, sizeof(name), "%06llu.json", k);
	if ((rc = dv_write_new_at(p->dfd, name, e->plain + SALT_BYTES, e->plain_len - SALT_BYTES, "a body")) < 0) return rc;
	p->n++;
	memcpy(p->head, e->case_hash, 32);
	return 0;
}

static const char verify_md[] =
	"# Checking this case's custody log\n"
	"\n"
	"Each file `entries/NNNNNN.stmt` is one custody entry's *case statement*,\n"
	"signed alone with the station's Ed25519 key (`station.pem`; line 2 of\n"
	"every statement is the same key in hex). Line 4 is the entry's place in\n"
	"the case (1, 2, ...), line 5 the SHA-256 of the statement before it (zeros\n"
	"for the first), line 7 the SHA-256 of the entry's salt (`.salt`, 32 bytes)\n"
	"followed by its body (`.json`, the exact bytes shown). No vault key is\n"
	"needed, and nothing of other cases is here.\n"
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
	"  openssl pkeyutl -verify -pubin -inkey station.pem -rawin -in \"$s\" -sigfile \"$e.sig\" >/dev/null\n"
	"  test \"$(head -n 4 \"$s\" | tail -n 1)\" = \"seq $n\"\n"
	"  test \"$(head -n 5 \"$s\" | tail -n 1)\" = \"prev $prev\"\n"
	"  test \"$(head -n 7 \"$s\" | tail -n 1)\" = \"body $(cat \"$e.salt\" \"$e.json\" | sha256sum | cut -c1-64)\"\n"
	"  prev=$(sha256sum <\"$s\" | cut -c1-64)\n"
	"done\n"
	"test \"$prev\" = \"$(cat HEAD)\"\n"
	"echo \"all $n entries verify; case head $prev\"\n"
	"```\n"
	"\n"
	"Any failing check stops with a non-zero status. The last line prints the\n"
	"case head: it must equal the head recorded outside the vault (the\n"
	"evidence seal, the case file: `dronevault log --head --case ID`). The\n"
	"station key's fingerprint is `openssl pkey -pubin -in station.pem -outform DER | sha256sum`.\n";

int dv_custody_case_package(const char *log_path, const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES],
                            const char *case_name, const char *dir, uint64_t *entries, uint8_t head[32])
{
	*entries = 0;
	memset(head, 0, 32);
	uint8_t *buf;
	size_t len;
	int rc = read_log(log_path, &buf, &len);
	if (rc < 0) return rc;
	if (mkdir(dir, 0700) < 0) {
		free(buf);
		return dv_error_errno(errno, dir, -1, "cannot create the package directory (it must not exist)");
	}
	int top = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct pkg p = { .dfd = -1 };
	dv_custody_case_ref(p.ref, key, case_name);
	if (top < 0 || mkdirat(top, "entries", 0700) < 0 ||
	    (p.dfd = openat(top, "entries", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(errno, dir, -1, "cannot create the package directory");
		goto out;
	}
	struct scan_ctx c = { NULL, NULL, 0, UINT64_MAX, false, 0, 0, true };
	c.payload = &p;
	size_t good;
	uint64_t seq;
	uint8_t hash[32];
	bool torn;
	int version;
	rc = walk(log_path, buf, len, pk, key, pkg_entry, &c, &good, &seq, hash, &torn, NULL, &version);
	if (rc == 0 && version == 1)
		rc = dv_error_set(DV_EUNSUPPORTED, log_path, -1, "a version 1 custody log has no case chains; open the vault for writing once to convert it");
	if (rc == 0 && c.problems)
		rc = dv_error_set(DV_ECORRUPT, log_path, (int64_t)good, "custody log damaged (%d problems); no package written, run 'dronevault verify'",
		                  c.problems);
	if (rc == 0 && !p.n) rc = dv_error_set(DV_ENOTFOUND, log_path, -1, "no custody entries of case '%s'", case_name);
	if (rc < 0) goto out;
	/* the station's public key, as OpenSSL reads it */
	char pem[160], hex[66];
	int pn = dv_sign_pk_pem(pem, sizeof(pem), pk);
	if (pn < 0) {
		rc = pn;
		goto out;
	}
	dv_hex(hex, p.head, 32);
	hex[64] = '\n';
	hex[65] = '\0';
	if ((rc = dv_write_new_at(top, "station.pem", pem, (size_t)pn, "the public key")) < 0 ||
	    (rc = dv_write_new_at(top, "HEAD", hex, 65, "the case head")) < 0 ||
	    (rc = dv_write_new_at(top, "VERIFY.md", verify_md, sizeof(verify_md) - 1, "VERIFY.md")) < 0)
		goto out;
	if (fsync(p.dfd) < 0 || fsync(top) < 0) {
		rc = dv_error_errno(errno, dir, -1, "cannot sync the package");
		goto out;
	}
	*entries = p.n;
	memcpy(head, p.head, 32);
out:
	free(buf);
	if (p.dfd >= 0) close(p.dfd);
	if (top >= 0) close(top);
	return rc;
}
