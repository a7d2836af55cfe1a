#include "dv/custody.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"

#define HEAD_BYTES 60   /* bytes before the sealed body */
#define MAX_LOG_BYTES (1ull << 32)

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
	uint64_t torn; /* bytes of a torn last entry after end, not cut yet */
};

int dv_custody_parse(const uint8_t *buf, size_t len, const char *name, int64_t base,
                     dv_custody_entry *out)
{
	dv_rd r = dv_rd_init(buf, len, name, base);
	uint8_t magic[4];
	uint32_t l, b;
	uint64_t t;
	if (dv_rd_bytes(&r, magic, 4) < 0) return DV_ETRUNC;
	if (memcmp(magic, "DVL1", 4) != 0)
		return dv_error_set(DV_ECORRUPT, name, base, "not a custody log entry (bad magic)");
	if (dv_rd_u32be(&r, &l) < 0) return DV_ETRUNC;
	if (l < HEAD_BYTES - 8 + DV_SEAL_OVERHEAD + DV_SIGN_BYTES || l > DV_CUSTODY_BODY_MAX + 256)
		return dv_error_set(DV_ECORRUPT, name, base + 4, "custody entry length %u out of range", l);
	memset(out, 0, sizeof(*out));
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
	return dv_sign_verify(e->sig, e->bytes, e->length - DV_SIGN_BYTES, pk);
}

int dv_custody_open_body(const dv_custody_entry *e, const uint8_t key[DV_KEY_BYTES],
                         const char *name, json_object **out)
{
	size_t n = e->sealed_len - DV_SEAL_OVERHEAD;
	char *plain = malloc(n + 1);
	if (!plain) return dv_error_set(DV_ENOMEM, name, e->offset, "out of memory");
	if (dv_open((uint8_t *)plain, e->sealed, e->sealed_len, e->bytes, HEAD_BYTES, key) < 0) {
		free(plain);
		return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body fails authentication",
		                    (unsigned long long)e->seq);
	}
	plain[n] = '\0';
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o = tok ? json_tokener_parse_ex(tok, plain, (int)n) : NULL;
	json_tokener_free(tok);
	free(plain);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return dv_error_set(DV_ECORRUPT, name, e->offset, "entry %llu: body is not a JSON object",
		                    (unsigned long long)e->seq);
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
 * Walks buf entry by entry checking structure, sequence, chain and (with
 * pk) signatures. Stops at the first structural fault: after it, entry
 * boundaries are unknown. *good_end is the offset after the last entry that
 * passed every check; seq and hash get its sequence and hash.
 */
static int walk(const char *path, const uint8_t *buf, size_t len, const uint8_t *pk, const uint8_t *key,
                int (*fn)(const dv_custody_entry *, json_object *, void *), struct scan_ctx *c,
                size_t *good_end, uint64_t *seq, uint8_t hash[32], bool *torn)
{
	size_t off = 0;
	uint64_t expect = 1;
	uint8_t prev[32] = { 0 };
	bool chain_ok = true;
	*good_end = 0;
	*seq = 0;
	*torn = false;
	memset(hash, 0, 32);
	while (off < len) {
		dv_custody_entry e;
		int rc = dv_custody_parse(buf + off, len - off, path, (int64_t)off, &e);
		if (rc == DV_ETRUNC) {
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
			report(c, "%s", dv_error_text());
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
		if (pk && dv_custody_verify_sig(&e, pk) < 0) {
			report(c, "%s: offset %zu: entry %llu: signature does not verify (altered entry)",
			       path, off, (unsigned long long)e.seq);
			ok = false;
		}
		json_object *body = NULL;
		if (key) {
			if (dv_custody_open_body(&e, key, path, &body) < 0) {
				report(c, "%s", dv_error_text());
				ok = false;
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
				json_object_put(body);
				return frc;
			}
		}
		json_object_put(body);
		memcpy(prev, e.hash, 32);
		expect = e.seq + 1;
		off += e.length;
	}
	return 0;
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
	struct scan_ctx c = { problem, payload, 0, upto_seq, writer_active, 0, 0 };
	rc = walk(path, buf, len, pk, key, fn, &c, &good, &seq, hash, &torn);
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
	struct scan_ctx c = { NULL, NULL, 0, UINT64_MAX, false, 0, 0 };
	walk(path, buf, len, NULL, NULL, NULL, &c, &good, &log->seq, log->hash, &torn);
	free(buf);
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
	if (ftruncate(log->fd, (off_t)log->end) < 0 || fsync(log->fd) < 0)
		return dv_error_errno(errno, log->path, log->end, "cannot cut the torn last entry");
	*cut_bytes = log->torn;
	log->torn = 0;
	return 0;
}

void dv_custody_close(dv_custody *log)
{
	if (!log) return;
	if (log->fd >= 0) close(log->fd);
	dv_secret_free(log->secrets);
	free(log);
}

void dv_custody_tail(const dv_custody *log, uint64_t *seq, uint8_t hash[32])
{
	*seq = log->seq;
	memcpy(hash, log->hash, 32);
}

int dv_custody_append(dv_custody *log, json_object *body, uint64_t *seq_out, uint8_t hash_out[32])
{
	if (!log->can_sign || log->fd < 0)
		return dv_error_set(DV_EPERM, log->path, -1, "custody log opened read-only");
	if (log->torn)
		return dv_error_set(DV_ECORRUPT, log->path, log->end, "custody log has a torn last entry that was not repaired");
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
	int rc = dv_write_all(log->fd, e, total, log->path);
	if (rc == 0) rc = dv_fsync(log->fd, log->path);
	if (rc < 0) {
		/* Leave no partial entry behind if we can help it. */
		if (ftruncate(log->fd, (off_t)log->end) == 0) (void)fsync(log->fd);
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
