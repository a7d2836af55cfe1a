/*
 * The S3 blob backend: sealed blobs as objects <prefix>/blobs/<NAME> of one
 * bucket, through libcurl with its own SigV4 signing (CURLOPT_AWS_SIGV4).
 *
 * A put is spooled to a file in the vault's tmp/ (the front end writes the
 * header last, at offset 0), then sent when it is committed or published:
 * one PUT with Content-MD5, or above part_bytes a multipart upload whose
 * parts each carry their Content-MD5. The server refuses bytes that do not
 * match (BadDigest). Then it is checked: HEAD must give the size, the ETag
 * the station computed (the MD5, or for multipart the MD5 of the parts'
 * MD5s and "-N") and, when asked for, COMPLIANCE retention and the legal
 * hold; a ranged GET of the 96 header bytes must give the spooled ones.
 * Only then does the put count as stored (DV_BLOB_CAP_DURABLE_ON_COMMIT:
 * the server acknowledged it). RGW ignores x-amz-checksum-sha256, so MD5 is
 * only a transport check: the front end authenticates every chunk it reads
 * back and re-hashes whole blobs in verify.
 *
 * Requests go through one curl handle (its connections are reused) under a
 * mutex. Transient failures (no connection, 5xx, 429) are retried with
 * backoff (DV_S3_RETRIES, default 3); then the error names the endpoint,
 * the object, the HTTP status and S3's error code. Credentials never appear
 * in a message. DV_S3_CLOCK_OFFSET (seconds, for tests) signs requests with
 * a clock that far off.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/blob.h"
#include "dv/crypto.h"
#include "dv/err.h"
#include "dv/util.h"
#include "vault/s3_int.h"

#define S3_PART_DEFAULT (64ull << 20)
#define S3_PART_MIN (5ull << 20)
#define S3_PARTS_MAX 10000u
#define S3_CRED_MAX 256

struct dv_blob_backend {
	CURL *curl;
	pthread_mutex_t mu;
	char endpoint[256];   /* scheme://host[:port], no slash at the end */
	char bucket[64];
	char prefix[224];     /* "" or "a/b/" */
	char sigv4[96];       /* aws:amz:REGION:s3 */
	char where[600];      /* s3://bucket/prefix at endpoint: for messages */
	char ca_file[1024];
	char spool[2048];     /* "" : read only */
	struct s3_secret { char access[S3_CRED_MAX], secret[S3_CRED_MAX], token[2048]; } *cred; /* guarded memory */
	bool lock_enabled;    /* the bucket has Object Lock */
	uint64_t part_bytes;
	int64_t put_until_ns; /* lock_defaults */
	bool put_hold;
	long clock_offset;    /* DV_S3_CLOCK_OFFSET, seconds */
	int retries;
	long abort_after;     /* seconds: an unjournaled upload older than this is a leftover */
	unsigned resumed;     /* journaled uploads finished at open (s3_clean) */
	uint64_t parts_reused; /* their parts the server held already */
};

struct dv_blob_put {
	int fd;
	char path[2200];
	uint64_t size;
	char name[DV_BLOB_NAME_HEX + 1];
	char journal[2200];   /* a multipart upload's journal, "" when none */
	bool keep;            /* a failed journaled upload: spool and journal stay for the next open */
};

struct dv_blob_get {
	char key[320];
	uint64_t size;
};

/* ---- one request ------------------------------------------------------------- */
struct req {
	const char *method;
	const char *key;      /* object key, or NULL: the bucket */
	const char *query;    /* canonical (sorted, encoded), or NULL */
	struct curl_slist *hdrs;
	const uint8_t *body;  /* memory body */
	size_t body_len, body_pos;
	int fd;               /* or a file body: fd_len bytes from fd_off */
	uint64_t fd_off, fd_len, fd_pos;
	uint8_t *out;         /* a GET into the caller's buffer */
	size_t out_cap, out_len;
	bool overflow;
	char *resp;           /* otherwise the body (capped): XML */
	size_t resp_len, resp_cap;
	long status;
	char etag[96], version[256], lock_mode[32], lock_until[64], lock_hold[8], date[64];
	char code[128];
	uint64_t length;
	bool have_length;
	CURLcode cc;
	char cerr[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void take_header(char *dst, size_t size, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
	while (n && *v == ' ') { v++; n--; }
	if (n >= size) n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e) dst[i] = '?';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *payload)
{
	struct req *r = payload;
	size_t n = size * nitems;
	static const struct { const char *name; size_t off, size; } hs[] = {
		{ "etag:", offsetof(struct req, etag), sizeof(((struct req *)0)->etag) },
		{ "x-amz-version-id:", offsetof(struct req, version), sizeof(((struct req *)0)->version) },
		{ "x-amz-object-lock-mode:", offsetof(struct req, lock_mode), sizeof(((struct req *)0)->lock_mode) },
		{ "x-amz-object-lock-retain-until-date:", offsetof(struct req, lock_until), sizeof(((struct req *)0)->lock_until) },
		{ "x-amz-object-lock-legal-hold:", offsetof(struct req, lock_hold), sizeof(((struct req *)0)->lock_hold) },
		{ "date:", offsetof(struct req, date), sizeof(((struct req *)0)->date) },
	};
	if (n > 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (after 100 Continue): forget the last */
		r->etag[0] = r->version[0] = r->lock_mode[0] = r->lock_until[0] = r->lock_hold[0] = '\0';
		r->have_length = false;
		return n;
	}
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		size_t hl = strlen(hs[i].name);
		if (n > hl && !strncasecmp(buf, hs[i].name, hl)) {
			take_header((char *)r + hs[i].off, hs[i].size, buf + hl, n - hl);
			return n;
		}
	}
	if (n > 15 && !strncasecmp(buf, "content-length:", 15)) {
		char v[32];
		take_header(v, sizeof(v), buf + 15, n - 15);
		char *end;
		errno = 0;
		unsigned long long x = strtoull(v, &end, 10);
		if (!errno && end != v && !*end) {
			r->length = x;
			r->have_length = true;
		}
	}
	return n;
}

static size_t on_body(char *buf, size_t size, size_t nitems, void *payload)
{
	struct req *r = payload;
	size_t n = size * nitems;
	if (r->out) {
		if (n > r->out_cap - r->out_len) {
			r->overflow = true;
			return 0;
		}
		memcpy(r->out + r->out_len, buf, n);
		r->out_len += n;
		return n;
	}
	if (n > DV_S3_XML_MAX - r->resp_len) return n; /* keep the first part only */
	if (r->resp_len + n + 1 > r->resp_cap) {
		size_t cap = r->resp_cap ? r->resp_cap : 4096;
		while (cap < r->resp_len + n + 1) cap *= 2;
		char *p = realloc(r->resp, cap);
		if (!p) return 0;
		r->resp = p;
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, buf, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

static size_t on_send(char *buf, size_t size, size_t nitems, void *payload)
{
	struct req *r = payload;
	size_t n = size * nitems;
	if (r->fd >= 0) {
		uint64_t left = r->fd_len - r->fd_pos;
		if (n > left) n = (size_t)left;
		if (n == 0) return 0;
		ssize_t got = pread(r->fd, buf, n, (off_t)(r->fd_off + r->fd_pos));
		if (got <= 0) return CURL_READFUNC_ABORT;
		r->fd_pos += (uint64_t)got;
		return (size_t)got;
	}
	size_t left = r->body_len - r->body_pos;
	if (n > left) n = left;
	memcpy(buf, r->body + r->body_pos, n);
	r->body_pos += n;
	return n;
}

static void req_free(struct req *r)
{
	curl_slist_free_all(r->hdrs);
	free(r->resp);
	r->hdrs = NULL;
	r->resp = NULL;
}

/* "name: value", or "name:" (value NULL) which removes a header curl adds */
static int add_header(struct req *r, const char *name, const char *value)
{
	char line[512];
	snprintf(line, sizeof(line), "%s:%s%s", name, value ? " " : "", value ? value : "");
	struct curl_slist *l = curl_slist_append(r->hdrs, line);
	if (!l) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	r->hdrs = l;
	return 0;
}

/* The object key of blob name. */
static void object_key(const dv_blob_backend *be, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%sblobs/%s", be->prefix, name);
}

static bool transient(const struct req *r)
{
	return r->status == 0 || r->status >= 500 || r->status == 429 || !strcmp(r->code, "SlowDown");
}

static int perform_once(dv_blob_backend *be, CURL *c, struct req *r)
{
	curl_easy_reset(c);
	char url[1200];
	int n = snprintf(url, sizeof(url), "%s/%s%s%s%s%s", be->endpoint, be->bucket, r->key ? "/" : "",
	                 r->key ? r->key : "", r->query ? "?" : "", r->query ? r->query : "");
	if (n < 0 || (size_t)n >= sizeof(url)) return dv_error_set(DV_EINVAL, be->where, -1, "request URL too long");
	r->status = 0;
	r->code[0] = '\0';
	r->cerr[0] = '\0';
	r->out_len = 0;
	r->overflow = false;
	r->resp_len = 0;
	r->body_pos = 0;
	r->fd_pos = 0;
	struct curl_slist *h = r->hdrs;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (be->ca_file[0]) curl_easy_setopt(c, CURLOPT_CAINFO, be->ca_file);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, be->sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, be->cred->access);
	curl_easy_setopt(c, CURLOPT_PASSWORD, be->cred->secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->cerr);
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "PUT") && r->fd < 0) {
		/* a small body from memory as curl --data-binary -X PUT sends it: an upload
		 * would wait a second for a "100 Continue" RGW does not send for these */
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)r->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (!strcmp(r->method, "PUT")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_send);
		curl_easy_setopt(c, CURLOPT_READDATA, r);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(r->fd >= 0 ? r->fd_len : r->body_len));
	} else if (!strcmp(r->method, "DELETE")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE"); /* only an unfinished multipart upload */
	} else if (!strcmp(r->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	r->cc = curl_easy_perform(c);
	if (r->cc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else r->status = 0;
	if (r->status >= 300 && r->resp) dv_s3_xml_error_code(r->code, sizeof(r->code), r->resp, r->resp_len);
	if (r->status == 404 && !r->code[0] && r->key) snprintf(r->code, sizeof(r->code), "NoSuchKey"); /* HEAD: no body */
	return 0;
}

/* The request with its signing headers, retried while the failure is transient,
 * on handle c (a part worker's), or NULL: the backend's, under its mutex. */
static int perform_on(dv_blob_backend *be, CURL *c, struct req *r)
{
	int rc;
	/* curl 7.88 signs but does not add x-amz-content-sha256: RGW wants it. (No
	 * "Expect:" to drop 100-continue: curl would sign the header it then omits.) */
	if ((rc = add_header(r, "x-amz-content-sha256", "UNSIGNED-PAYLOAD")) < 0) return rc;
	if (be->cred->token[0]) {
		/* too long for add_header's line */
		size_t n = strlen(be->cred->token) + 32;
		char *line = malloc(n);
		if (!line) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		snprintf(line, n, "x-amz-security-token: %s", be->cred->token);
		struct curl_slist *l = curl_slist_append(r->hdrs, line);
		dv_wipe(line, n);
		free(line);
		if (!l) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		r->hdrs = l;
	}
	if (be->clock_offset) {
		char d[32];
		time_t t = time(NULL) + be->clock_offset;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(d, sizeof(d), "%Y%m%dT%H%M%SZ", &tm);
		if ((rc = add_header(r, "x-amz-date", d)) < 0) return rc;
	}
	if (!c) pthread_mutex_lock(&be->mu);
	for (int attempt = 0;; attempt++) {
		rc = perform_once(be, c ? c : be->curl, r);
		if (rc < 0 || !transient(r) || r->overflow || attempt >= be->retries) break;
		struct timespec ts = { 0, 250000000L << (attempt < 2 ? attempt : 2) };
		nanosleep(&ts, NULL);
	}
	if (!c) pthread_mutex_unlock(&be->mu);
	return rc;
}

static int perform(dv_blob_backend *be, struct req *r) { return perform_on(be, NULL, r); }

/* The failure of a finished request as a dv_error, naming what was asked. */
static int fail(dv_blob_backend *be, const struct req *r, const char *what)
{
	char obj[700];
	snprintf(obj, sizeof(obj), "%s/%s%s%s", be->endpoint, be->bucket, r->key ? "/" : "", r->key ? r->key : "");
	if (r->status == 0) {
		bool tls = r->cc == CURLE_PEER_FAILED_VERIFICATION || r->cc == CURLE_SSL_CACERT_BADFILE ||
		           r->cc == CURLE_SSL_CONNECT_ERROR || r->cc == CURLE_SSL_CERTPROBLEM;
		if (tls)
			return dv_error_set(DV_EPERM, obj, -1,
			                    "%s: the server's TLS certificate is not trusted (%s%s): %s", what,
			                    be->ca_file[0] ? "CA file " : "the system's CAs", be->ca_file, r->cerr[0] ? r->cerr : curl_easy_strerror(r->cc));
		return dv_error_set(DV_EIO, obj, -1, "%s: cannot reach the S3 server: %s", what,
		                    r->cerr[0] ? r->cerr : curl_easy_strerror(r->cc));
	}
	const char *code = r->code[0] ? r->code : "no S3 error code";
	if (!strcmp(r->code, "SignatureDoesNotMatch") || !strcmp(r->code, "InvalidAccessKeyId") ||
	    (r->status == 403 && !strcmp(r->method, "HEAD") && !r->key))
		return dv_error_set(DV_EPERM, obj, -1,
		                    "%s: HTTP %ld %s: the S3 credentials are wrong (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
		                    "the credentials file)", what, r->status, code);
	if (!strcmp(r->code, "RequestTimeTooSkewed"))
		return dv_error_set(DV_EPERM, obj, -1,
		                    "%s: HTTP %ld %s: this station's clock is too far from the server's (%s): set the clock",
		                    what, r->status, code, r->date[0] ? r->date : "server time unknown");
	if (!strcmp(r->code, "NoSuchBucket"))
		return dv_error_set(DV_ENOTFOUND, obj, -1, "%s: HTTP %ld %s: bucket '%s' does not exist at %s", what,
		                    r->status, code, be->bucket, be->endpoint);
	if (!strcmp(r->code, "BadDigest"))
		return dv_error_set(DV_ECORRUPT, obj, -1, "%s: HTTP %ld %s: the server received other bytes than were sent",
		                    what, r->status, code);
	if (r->status == 404) return dv_error_set(DV_ENOTFOUND, obj, -1, "%s: HTTP 404 %s: blob missing", what, code);
	if (r->status == 403)
		return dv_error_set(DV_EPERM, obj, -1, "%s: HTTP 403 %s: refused by the server", what, code);
	return dv_error_set(DV_EIO, obj, -1, "%s: HTTP %ld %s", what, r->status, code);
}

static void md5_b64(char out[32], const uint8_t md5[16])
{
	EVP_EncodeBlock((unsigned char *)out, md5, 16);
}

/* MD5 of n bytes of fd from off. */
static int md5_fd(uint8_t out[16], int fd, uint64_t off, uint64_t n, const char *path)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (!m || EVP_DigestInit_ex(m, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(m);
		return dv_error_set(DV_EUNSUPPORTED, path, -1, "MD5 not available from OpenSSL");
	}
	static __thread uint8_t buf[1 << 16];
	int rc = 0;
	while (n > 0) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf), got;
		if ((rc = dv_pread_full(fd, buf, k, (int64_t)off, &got, path)) < 0) break;
		if (got != k) {
			rc = dv_error_set(DV_EIO, path, (int64_t)off, "spool file shorter than written");
			break;
		}
		EVP_DigestUpdate(m, buf, k);
		off += k;
		n -= k;
	}
	unsigned len = 16;
	if (rc == 0) EVP_DigestFinal_ex(m, out, &len);
	EVP_MD_CTX_free(m);
	return rc;
}

static int md5_mem(uint8_t out[16], const void *p, size_t n)
{
	unsigned len = 16;
	if (EVP_Digest(p, n, out, &len, EVP_md5(), NULL) != 1)
		return dv_error_set(DV_EUNSUPPORTED, NULL, -1, "MD5 not available from OpenSSL");
	return 0;
}

static void etag_strip(char *dst, size_t size, const char *etag)
{
	size_t n = strlen(etag);
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	if (n >= size) n = size - 1;
	memcpy(dst, etag, n);
	dst[n] = '\0';
	for (char *p = dst; *p; p++) *p = (char)tolower((unsigned char)*p);
}

/* The lock headers of a new object, from lock_defaults. */
static int lock_headers(dv_blob_backend *be, struct req *r)
{
	int rc = 0;
	if (be->put_until_ns > 0) {
		char t[21];
		dv_s3_format_time(t, be->put_until_ns);
		if ((rc = add_header(r, "x-amz-object-lock-mode", "COMPLIANCE")) < 0 ||
		    (rc = add_header(r, "x-amz-object-lock-retain-until-date", t)) < 0)
			return rc;
	}
	if (be->put_hold) rc = add_header(r, "x-amz-object-lock-legal-hold", "ON");
	return rc;
}

/* ---- writing ------------------------------------------------------------------ */
static unsigned s3_caps(dv_blob_backend *be)
{
	return DV_BLOB_CAP_ATOMIC_PUT | DV_BLOB_CAP_RANGE_READ | DV_BLOB_CAP_DURABLE_ON_COMMIT |
	       (be->lock_enabled ? DV_BLOB_CAP_WORM : 0);
}

static int s3_put_begin(dv_blob_backend *be, dv_blob_put **out)
{
	*out = NULL;
	if (!be->spool[0]) return dv_error_set(DV_EPERM, be->where, -1, "the S3 store is open read-only");
	dv_blob_put *p = calloc(1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, be->where, -1, "out of memory");
	int rc = dv_pathf(p->path, sizeof(p->path), "%s/s3put-XXXXXX", be->spool);
	if (rc < 0) {
		free(p);
		return rc;
	}
	if ((p->fd = mkstemp(p->path)) < 0) {
		rc = dv_error_set(errno == ENOSPC ? DV_ENOSPC : DV_EIO, p->path, -1, "cannot make a spool file: %s", strerror(errno));
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int s3_put_write(dv_blob_backend *be, dv_blob_put *p, uint64_t off, const void *data, size_t n)
{
	(void)be;
	const uint8_t *d = data;
	while (n > 0) {
		ssize_t w = pwrite(p->fd, d, n, (off_t)off);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0)
			return dv_error_set(errno == ENOSPC ? DV_ENOSPC : DV_EIO, p->path, (int64_t)off, "spool write failed: %s",
			                    strerror(errno));
		d += w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	if (off > p->size) p->size = off;
	return 0;
}

static void s3_put_abort(dv_blob_backend *be, dv_blob_put *p)
{
	(void)be;
	if (!p) return;
	if (p->journal[0] && !p->keep) unlink(p->journal);
	if (p->fd >= 0) close(p->fd);
	if (!p->keep) unlink(p->path);
	free(p);
}

static int s3_put_stage(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	(void)be;
	snprintf(p->name, sizeof(p->name), "%s", name);
	return 0;
}

/* One PUT of the whole spool file; etag gets the ETag expected. */
static int put_single(dv_blob_backend *be, dv_blob_put *p, const char *key, char *etag, size_t esize)
{
	uint8_t md5[16];
	char b64[32], hex[33];
	int rc = md5_fd(md5, p->fd, 0, p->size, p->path);
	if (rc < 0) return rc;
	md5_b64(b64, md5);
	dv_hex(hex, md5, 16);
	snprintf(etag, esize, "%s", hex);
	struct req r = { .method = "PUT", .key = key, .fd = p->fd, .fd_len = p->size };
	if ((rc = add_header(&r, "Content-MD5", b64)) < 0 || (rc = lock_headers(be, &r)) < 0 ||
	    (rc = perform(be, &r)) < 0)
		goto out;
	if (r.status != 200) rc = fail(be, &r, "storing a blob");
out:
	req_free(&r);
	return rc;
}

/* The parts of a multipart upload, sent by up to S3_PART_WORKERS threads
 * ($DV_S3_PARALLEL), each with its own connection. */
#define S3_PART_WORKERS 4

struct parts_job {
	dv_blob_backend *be;
	dv_blob_put *p;
	const char *key, *upload;
	uint64_t psize, parts;
	uint8_t *md5s;            /* parts x 16 */
	/* a resumed upload: the ETag (hex) and size of each part the server
	 * holds ("" when it holds none); a part whose MD5 is that is not sent */
	char (*listed)[33];
	uint64_t *listed_size;
	uint64_t reused;          /* under mu */
	pthread_mutex_t mu;
	uint64_t next;            /* the next part to send */
	int rc;                   /* the first failure */
	dv_error err;
};

static int send_part(struct parts_job *j, CURL *c, uint64_t i)
{
	dv_blob_put *p = j->p;
	uint64_t off = i * j->psize, len = p->size - off < j->psize ? p->size - off : j->psize;
	char q[DV_S3_VALUE_MAX + 64], b64[32], et[96], hex[33];
	int rc = md5_fd(j->md5s + i * 16, p->fd, off, len, p->path);
	if (rc < 0) return rc;
	md5_b64(b64, j->md5s + i * 16);
	dv_hex(hex, j->md5s + i * 16, 16);
	if (j->listed && !strcmp(j->listed[i], hex) && j->listed_size[i] == len) {
		pthread_mutex_lock(&j->mu);
		j->reused++;
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
	snprintf(q, sizeof(q), "partNumber=%llu&uploadId=%s", (unsigned long long)(i + 1), j->upload);
	struct req pr = { .method = "PUT", .key = j->key, .query = q, .fd = p->fd, .fd_off = off, .fd_len = len };
	if ((rc = add_header(&pr, "Content-MD5", b64)) == 0 && (rc = perform_on(j->be, c, &pr)) == 0) {
		etag_strip(et, sizeof(et), pr.etag);
		if (pr.status != 200) rc = fail(j->be, &pr, "storing a part of a blob");
		else if (strcmp(et, hex) != 0)
			rc = dv_error_set(DV_ECORRUPT, j->key, (int64_t)off, "part %llu: the server's ETag is not the part's MD5",
			                  (unsigned long long)(i + 1));
	}
	req_free(&pr);
	return rc;
}

static void *part_worker(void *arg)
{
	struct parts_job *j = arg;
	CURL *c = curl_easy_init();
	for (;;) {
		pthread_mutex_lock(&j->mu);
		bool stop = j->rc < 0 || j->next >= j->parts;
		uint64_t i = j->next++;
		if (!c && !stop && j->rc == 0) {
			j->rc = dv_error_set(DV_ENOMEM, j->key, -1, "libcurl: no handle for a part");
			j->err = *dv_error_last();
			stop = true;
		}
		pthread_mutex_unlock(&j->mu);
		if (stop) break;
		int rc = send_part(j, c, i);
		if (rc < 0) {
			pthread_mutex_lock(&j->mu);
			if (j->rc == 0) {
				j->rc = rc;
				j->err = *dv_error_last();
			}
			pthread_mutex_unlock(&j->mu);
		}
	}
	if (c) curl_easy_cleanup(c);
	return NULL;
}

static int send_parts(struct parts_job *j)
{
	const char *env = getenv("DV_S3_PARALLEL");
	long n = env && *env ? strtol(env, NULL, 10) : S3_PART_WORKERS;
	if (n < 1 || n > 16) n = S3_PART_WORKERS;
	if ((uint64_t)n > j->parts) n = (long)j->parts;
	pthread_t th[16];
	long started = 0;
	pthread_mutex_init(&j->mu, NULL);
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, part_worker, j) != 0) break;
	if (started == 0) part_worker(j); /* no thread to be had: in line */
	for (long k = 0; k < started; k++) pthread_join(th[k], NULL);
	pthread_mutex_destroy(&j->mu);
	if (j->rc < 0) dv_error_set(j->err.code, j->err.path, j->err.offset, "%s", j->err.message);
	return j->rc;
}

/* The parts of an upload of size bytes: parts of be->part_bytes, fewer and
 * larger past S3's 10,000. */
static void part_plan(const dv_blob_backend *be, uint64_t size, uint64_t *psize, uint64_t *parts)
{
	*psize = be->part_bytes;
	*parts = (size + *psize - 1) / *psize;
	if (*parts > S3_PARTS_MAX) {
		*psize = (size + S3_PARTS_MAX - 1) / S3_PARTS_MAX;
		*parts = (size + *psize - 1) / *psize;
	}
}

static bool upload_id_ok(const char *up)
{
	if (!*up) return false;
	for (const char *c = up; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-~", *c)) return false;
	return true;
}

/* Sends the parts the server lacks (listed: those it holds, or NULL),
 * completes the upload; etag gets the multipart ETag expected. */
static int finish_multipart(dv_blob_backend *be, dv_blob_put *p, const char *key, const char *upload, uint64_t psize,
                            char (*listed)[33], uint64_t *listed_size, uint64_t *reused, char *etag, size_t esize)
{
	uint64_t parts = (p->size + psize - 1) / psize;
	char *done_xml = NULL;
	uint8_t *md5s = malloc((size_t)parts * 16);
	int rc = 0;
	if (!md5s) return dv_error_set(DV_ENOMEM, be->where, -1, "out of memory");
	size_t xcap = 200 + (size_t)parts * 160, xl = 0;
	if (!(done_xml = malloc(xcap))) {
		rc = dv_error_set(DV_ENOMEM, be->where, -1, "out of memory");
		goto out;
	}
	struct parts_job job = { .be = be, .p = p, .key = key, .upload = upload, .psize = psize, .parts = parts, .md5s = md5s,
		                 .listed = listed, .listed_size = listed_size };
	if ((rc = send_parts(&job)) < 0) goto out;
	if (reused) *reused = job.reused;
	xl += (size_t)snprintf(done_xml + xl, xcap - xl, "<CompleteMultipartUpload>");
	for (uint64_t i = 0; i < parts; i++) {
		char hex[33];
		dv_hex(hex, md5s + i * 16, 16);
		xl += (size_t)snprintf(done_xml + xl, xcap - xl, "<Part><PartNumber>%llu</PartNumber><ETag>\"%s\"</ETag></Part>",
		                       (unsigned long long)(i + 1), hex);
	}
	xl += (size_t)snprintf(done_xml + xl, xcap - xl, "</CompleteMultipartUpload>");
	char q[DV_S3_VALUE_MAX + 16];
	snprintf(q, sizeof(q), "uploadId=%s", upload);
	struct req cr = { .method = "POST", .key = key, .query = q, .fd = -1, .body = (const uint8_t *)done_xml, .body_len = xl };
	if ((rc = perform(be, &cr)) == 0 && (cr.status != 200 || (cr.resp && strstr(cr.resp, "<Error>")))) {
		if (cr.status == 200) cr.status = 500;
		rc = fail(be, &cr, "completing a multipart upload");
	}
	req_free(&cr);
	if (rc < 0) goto out;
	uint8_t all[16];
	char hex[33];
	if ((rc = md5_mem(all, md5s, (size_t)parts * 16)) < 0) goto out;
	dv_hex(hex, all, 16);
	snprintf(etag, esize, "%s-%llu", hex, (unsigned long long)parts);
out:
	free(md5s);
	free(done_xml);
	return rc;
}

/*
 * A multipart upload outlives a crash of this process (kill -9, power
 * loss): its spool file (sealed bytes only: the store's view, no key, no
 * plaintext) takes the name s3mp-<blob>.spool and a journal
 * s3mp-<blob>.upload names the upload (both in the vault's tmp/, fsynced
 * before the first part is sent). The next write-open finishes it
 * (resume_uploads), sending only the parts the server lacks, and checks the
 * object as any put; the re-run of the ingest then finds the blob stored
 * (content addressing: deduplicated) instead of sending it again. No
 * catalog row is written for it before that re-run, as for every blob:
 * the catalog names only what is stored and checked. A second writer of
 * the same content at the same time keeps its spool unjournaled.
 */
#define JOURNAL_MAGIC "dronevault s3 multipart v1"

static int journal_start(dv_blob_backend *be, dv_blob_put *p, const char *key, const char *upload, uint64_t psize)
{
	char spool[2200], jp[2200], tmp[2300];
	if (dv_pathf(spool, sizeof(spool), "%s/s3mp-%s.spool", be->spool, p->name) < 0 ||
	    dv_pathf(jp, sizeof(jp), "%s/s3mp-%s.upload", be->spool, p->name) < 0 ||
	    dv_pathf(tmp, sizeof(tmp), "%s/s3mp-%s.upload.tmp", be->spool, p->name) < 0)
		return -1;
	if (fsync(p->fd) < 0 || renameat2(AT_FDCWD, p->path, AT_FDCWD, spool, RENAME_NOREPLACE) < 0) return -1;
	snprintf(p->path, sizeof(p->path), "%s", spool);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) return -1;
	char buf[DV_S3_VALUE_MAX + 512];
	int n = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%llu\n%llu\n", JOURNAL_MAGIC, key, upload, (unsigned long long)psize,
	                 (unsigned long long)p->size);
	bool ok = n > 0 && (size_t)n < sizeof(buf) && dv_write_all(fd, buf, (size_t)n, tmp) == 0 && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, jp) < 0) {
		unlink(tmp);
		return -1;
	}
	snprintf(p->journal, sizeof(p->journal), "%s", jp);
	int dfd = open(be->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* A multipart upload of the spool file, journaled (see above). */
static int put_multipart(dv_blob_backend *be, dv_blob_put *p, const char *key, char *etag, size_t esize)
{
	uint64_t psize, parts;
	part_plan(be, p->size, &psize, &parts);
	char upload[DV_S3_VALUE_MAX + 1] = "";
	struct req r = { .method = "POST", .key = key, .query = "uploads=", .fd = -1 };
	int rc;
	if ((rc = lock_headers(be, &r)) < 0 || (rc = perform(be, &r)) < 0) goto out;
	size_t pos = 0;
	if (r.status != 200) {
		rc = fail(be, &r, "starting a multipart upload");
		goto out;
	}
	if (!r.resp || dv_s3_xml_text(upload, sizeof(upload), r.resp, r.resp_len, &pos, "UploadId") != 1 || !upload[0]) {
		rc = dv_error_set(DV_EIO, key, -1, "the server's answer to a multipart upload has no UploadId");
		goto out;
	}
	if (!upload_id_ok(upload)) {
		rc = dv_error_set(DV_EIO, key, -1, "the server's UploadId has characters a URL cannot take as they are");
		goto out;
	}
	req_free(&r);
	(void)journal_start(be, p, key, upload, psize); /* without one, a crash means sending it again */
	rc = finish_multipart(be, p, key, upload, psize, NULL, NULL, NULL, etag, esize);
out:
	req_free(&r);
	return rc;
}

/* After a put: the server has exactly what was sent, locked as asked. */
static int check_stored(dv_blob_backend *be, dv_blob_put *p, const char *key, const char *etag)
{
	struct req r = { .method = "HEAD", .key = key, .fd = -1 };
	int rc = perform(be, &r);
	if (rc < 0) goto out;
	if (r.status != 200) {
		rc = fail(be, &r, "checking a stored blob");
		goto out;
	}
	char got[96];
	etag_strip(got, sizeof(got), r.etag);
	if (!r.have_length || r.length != p->size || strcmp(got, etag) != 0) {
		rc = dv_error_set(DV_ECORRUPT, key, -1,
		                  "the stored object differs from what was sent (size %llu, expected %llu; ETag %s, expected %s)",
		                  (unsigned long long)r.length, (unsigned long long)p->size, got, etag);
		goto out;
	}
	if (be->put_until_ns > 0) {
		int64_t until = r.lock_until[0] ? dv_s3_parse_time(r.lock_until) : -1;
		if (strcmp(r.lock_mode, "COMPLIANCE") != 0 || until < be->put_until_ns / 1000000000 * 1000000000) {
			rc = dv_error_set(DV_EPERM, key, -1, "stored, but not under the COMPLIANCE retention asked for (mode '%s', until '%s')",
			                  r.lock_mode, r.lock_until);
			goto out;
		}
	}
	if (be->put_hold && strcasecmp(r.lock_hold, "ON") != 0) {
		rc = dv_error_set(DV_EPERM, key, -1, "stored, but without the legal hold asked for");
		goto out;
	}
	req_free(&r);
	/* the header the front end wrote last, read back */
	uint8_t head[DV_BLOB_HEADER_V2_BYTES], mine[DV_BLOB_HEADER_V2_BYTES];
	size_t hn = p->size < sizeof(head) ? (size_t)p->size : sizeof(head), got_n;
	if ((rc = dv_pread_full(p->fd, mine, hn, 0, &got_n, p->path)) < 0) goto out;
	char range[64];
	snprintf(range, sizeof(range), "bytes=0-%zu", hn - 1);
	struct req g = { .method = "GET", .key = key, .fd = -1, .out = head, .out_cap = sizeof(head) };
	if ((rc = add_header(&g, "Range", range)) == 0 && (rc = perform(be, &g)) == 0) {
		if (g.status != 206 && g.status != 200) rc = fail(be, &g, "reading a stored blob back");
		else if (g.out_len != hn || memcmp(head, mine, hn) != 0)
			rc = dv_error_set(DV_ECORRUPT, key, 0, "the stored blob's header reads back different");
	}
	req_free(&g);
out:
	req_free(&r);
	return rc;
}

static int s3_lock_set(dv_blob_backend *be, const char *name, int64_t until_ns, int hold);

static int send_put(dv_blob_backend *be, dv_blob_put *p)
{
	char key[320], etag[96];
	object_key(be, p->name, key, sizeof(key));
	bool multi = p->size > be->part_bytes;
	int rc = multi ? put_multipart(be, p, key, etag, sizeof(etag)) : put_single(be, p, key, etag, sizeof(etag));
	/* RGW 16.2 takes no lock headers on a multipart upload's initiation (S3
	 * does): the completed object is locked right after, before it counts */
	if (rc == 0 && multi && (be->put_until_ns > 0 || be->put_hold))
		rc = s3_lock_set(be, p->name, be->put_until_ns, be->put_hold ? 1 : -1);
	if (rc == 0) rc = check_stored(be, p, key, etag);
	/* the server went away or refused mid-upload: the next write-open
	 * resumes it (or aborts it, if the server forgot it) */
	if (rc < 0 && p->journal[0]) p->keep = true;
	return rc;
}

static int s3_put_commit(dv_blob_backend *be, dv_blob_put *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	int rc = send_put(be, p);
	s3_put_abort(be, p);
	return rc;
}

static int s3_publish(dv_blob_backend *be, dv_blob_put *const *puts, size_t n, size_t *published)
{
	*published = 0;
	/* in order: what failed and what follows stay staged */
	for (size_t i = 0; i < n; i++) {
		int rc = send_put(be, puts[i]);
		if (rc < 0) {
			for (size_t k = 0; k < i; k++) s3_put_abort(be, puts[k]);
			*published = i;
			/* the published ones are gone from the caller's list: shift is the caller's (settle) */
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) s3_put_abort(be, puts[i]);
	*published = n;
	return 0;
}

/* ---- reading ------------------------------------------------------------------ */
static int head_object(dv_blob_backend *be, const char *name, struct req *r, char *key, size_t ksize)
{
	object_key(be, name, key, ksize);
	memset(r, 0, sizeof(*r));
	r->method = "HEAD";
	r->key = key;
	r->fd = -1;
	return perform(be, r);
}

static int s3_exists(dv_blob_backend *be, const char *name)
{
	struct req r;
	char key[320];
	int rc = head_object(be, name, &r, key, sizeof(key));
	if (rc == 0) rc = r.status == 200 ? 1 : r.status == 404 ? 0 : fail(be, &r, "looking for a blob");
	req_free(&r);
	return rc;
}

static int s3_open_read(dv_blob_backend *be, const char *name, dv_blob_get **out, uint64_t *stored)
{
	*out = NULL;
	struct req r;
	char key[320];
	int rc = head_object(be, name, &r, key, sizeof(key));
	if (rc == 0 && r.status != 200) rc = fail(be, &r, "opening a blob");
	if (rc == 0 && !r.have_length) rc = dv_error_set(DV_EIO, key, -1, "the server gave no size for the blob");
	if (rc == 0) {
		dv_blob_get *g = calloc(1, sizeof(*g));
		if (!g) rc = dv_error_set(DV_ENOMEM, key, -1, "out of memory");
		else {
			snprintf(g->key, sizeof(g->key), "%s", key);
			g->size = r.length;
			*stored = r.length;
			*out = g;
		}
	}
	req_free(&r);
	return rc;
}

static int s3_read_at(dv_blob_backend *be, dv_blob_get *g, uint64_t off, void *buf, size_t n, size_t *got)
{
	*got = 0;
	if (off >= g->size || n == 0) return 0;
	uint64_t want = g->size - off < n ? g->size - off : n;
	char range[80];
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off, (unsigned long long)(off + want - 1));
	struct req r = { .method = "GET", .key = g->key, .fd = -1, .out = buf, .out_cap = (size_t)want };
	int rc = add_header(&r, "Range", range);
	if (rc == 0) rc = perform(be, &r);
	if (rc == 0) {
		if (r.overflow) rc = dv_error_set(DV_ECORRUPT, g->key, (int64_t)off, "the server sent more than the range asked for");
		else if (r.status == 206 || (r.status == 200 && off == 0 && want == g->size)) *got = r.out_len;
		else rc = fail(be, &r, "reading a blob");
	}
	req_free(&r);
	return rc;
}

static void s3_close_read(dv_blob_backend *be, dv_blob_get *g)
{
	(void)be;
	free(g);
}

struct list_ctx {
	dv_blob_backend *be;
	int (*fn)(const char *name, void *payload);
	void *payload;
	size_t skip; /* strlen(prefix "blobs/") */
};

static int list_key(const char *key, void *payload)
{
	struct list_ctx *x = payload;
	if (strlen(key) != x->skip + DV_BLOB_NAME_HEX) return 0;
	const char *name = key + x->skip;
	for (const char *c = name; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
	return x->fn(name, x->payload);
}

static void url_encode(char *out, size_t size, const char *s)
{
	size_t o = 0;
	for (; *s && o + 4 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out[o++] = (char)c;
		else o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static int s3_list(dv_blob_backend *be, int (*fn)(const char *name, void *payload), void *payload)
{
	char pfx[320], epfx[1000], marker[DV_S3_VALUE_MAX + 1] = "", emarker[3 * DV_S3_VALUE_MAX + 1];
	snprintf(pfx, sizeof(pfx), "%sblobs/", be->prefix);
	url_encode(epfx, sizeof(epfx), pfx);
	struct list_ctx x = { be, fn, payload, strlen(pfx) };
	for (unsigned page = 0; page < 100000; page++) {
		char q[sizeof(emarker) + sizeof(epfx) + 32];
		url_encode(emarker, sizeof(emarker), marker);
		snprintf(q, sizeof(q), "marker=%s&prefix=%s", emarker, epfx);
		struct req r = { .method = "GET", .query = q, .fd = -1 };
		int rc = perform(be, &r), truncated = 0;
		if (rc == 0 && r.status != 200) rc = fail(be, &r, "listing blobs");
		char last[DV_S3_VALUE_MAX + 1] = "";
		if (rc == 0 && r.resp) rc = dv_s3_xml_list(r.resp, r.resp_len, &truncated, last, sizeof(last), list_key, &x);
		req_free(&r);
		if (rc != 0) return rc;
		if (!truncated) return 0;
		if (!last[0] || strcmp(last, marker) <= 0)
			return dv_error_set(DV_EIO, be->where, -1, "the server's listing does not advance");
		snprintf(marker, sizeof(marker), "%s", last);
	}
	return dv_error_set(DV_EIO, be->where, -1, "listing too long");
}

/* Multipart uploads left unfinished under this vault's prefix (no object:
 * their parts are invisible, but they take space) and known to no journal
 * here: aborted once older than be->abort_after (DV_S3_ABORT_AFTER,
 * default an hour), so that another station's upload in flight into the
 * same prefix is not cut off. */
static int abort_uploads(dv_blob_backend *be)
{
	char pfx[320], epfx[1000], q[1100];
	snprintf(pfx, sizeof(pfx), "%sblobs/", be->prefix);
	url_encode(epfx, sizeof(epfx), pfx);
	snprintf(q, sizeof(q), "prefix=%s&uploads=", epfx);
	struct req r = { .method = "GET", .query = q, .fd = -1 };
	int rc = perform(be, &r), n = 0;
	if (rc < 0 || r.status != 200 || !r.resp) {
		req_free(&r);
		return 0; /* a leftover is harmless: not worth failing the open */
	}
	size_t pos = 0;
	char key[DV_S3_VALUE_MAX + 1], up[DV_S3_VALUE_MAX + 1], when[DV_S3_VALUE_MAX + 1];
	int64_t now = (int64_t)time(NULL) + be->clock_offset;
	for (int i = 0; i < 1000; i++) {
		if (dv_s3_xml_text(key, sizeof(key), r.resp, r.resp_len, &pos, "Key") != 1) break;
		if (dv_s3_xml_text(up, sizeof(up), r.resp, r.resp_len, &pos, "UploadId") != 1) break;
		size_t after = pos;
		if (dv_s3_xml_text(when, sizeof(when), r.resp, r.resp_len, &after, "Initiated") == 1) pos = after;
		else when[0] = '\0';
		if (strncmp(key, pfx, strlen(pfx)) != 0 || strlen(key) != strlen(pfx) + DV_BLOB_NAME_HEX ||
		    strspn(key + strlen(pfx), "0123456789abcdef") != DV_BLOB_NAME_HEX)
			continue;
		int64_t started = when[0] ? dv_s3_parse_time(when) : -1;
		if (started >= 0 && now - started / 1000000000 < be->abort_after) continue; /* perhaps in flight */
		if (!upload_id_ok(up)) continue;
		char dq[DV_S3_VALUE_MAX + 16];
		snprintf(dq, sizeof(dq), "uploadId=%s", up);
		struct req d = { .method = "DELETE", .key = key, .query = dq, .fd = -1 };
		if (perform(be, &d) == 0 && d.status == 204) n++;
		req_free(&d);
	}
	req_free(&r);
	return n;
}

struct listed {
	uint64_t parts;
	char (*etag)[33];
	uint64_t *size;
};

static int on_listed_part(uint64_t number, const char *etag, uint64_t size, void *payload)
{
	struct listed *l = payload;
	if (number > l->parts) return 0; /* not one of ours: ignored, the completion names the parts */
	char hex[96];
	etag_strip(hex, sizeof(hex), etag);
	snprintf(l->etag[number - 1], 33, "%.32s", hex);
	l->size[number - 1] = size;
	return 0;
}

/* The parts the server holds of an upload: 1 with l filled, 0 when the
 * server no longer knows the upload, < 0 when it cannot be asked. */
static int list_parts(dv_blob_backend *be, const char *key, const char *upload, struct listed *l)
{
	uint64_t marker = 0;
	for (int page = 0; page < 20; page++) {
		char q[DV_S3_VALUE_MAX + 64];
		snprintf(q, sizeof(q), "part-number-marker=%llu&uploadId=%s", (unsigned long long)marker, upload);
		struct req r = { .method = "GET", .key = key, .query = q, .fd = -1 };
		int rc = perform(be, &r);
		if (rc == 0 && r.status == 404) {
			req_free(&r);
			return 0;
		}
		if (rc == 0 && (r.status != 200 || !r.resp)) rc = fail(be, &r, "listing the parts of an unfinished upload");
		int truncated = 0;
		uint64_t next = 0;
		if (rc == 0) rc = dv_s3_xml_parts(r.resp, r.resp_len, &truncated, &next, on_listed_part, l);
		req_free(&r);
		if (rc < 0) return rc;
		if (!truncated || next <= marker) return 1;
		marker = next;
	}
	return 1;
}

/* One journal (see journal_start): 1 resumed and stored, 0 dropped (the
 * server forgot the upload, or the journal is not one of ours), < 0 the
 * server cannot finish it now (both files stay for the next open). */
static int resume_one(dv_blob_backend *be, const char *jname, uint64_t *reused)
{
	char jp[2400], spool[2200], name[DV_BLOB_NAME_HEX + 1];
	size_t jl = strlen(jname);
	if (jl != 5 + DV_BLOB_NAME_HEX + 7 || strspn(jname + 5, "0123456789abcdef") != DV_BLOB_NAME_HEX) return 0;
	memcpy(name, jname + 5, DV_BLOB_NAME_HEX);
	name[DV_BLOB_NAME_HEX] = '\0';
	if (dv_pathf(jp, sizeof(jp), "%s/%s", be->spool, jname) < 0 ||
	    dv_pathf(spool, sizeof(spool), "%s/s3mp-%s.spool", be->spool, name) < 0)
		return 0;
	char buf[DV_S3_VALUE_MAX + 512], key[320], want_key[320], upload[DV_S3_VALUE_MAX + 1];
	unsigned long long psize = 0, size = 0;
	int fd = open(jp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0) close(fd);
	object_key(be, name, want_key, sizeof(want_key));
	int drop = 0;
	if (n <= 0) drop = 1;
	else {
		buf[n] = '\0';
		char magic[64];
		/* the journal is the vault's own file, but read as any input */
		if (sscanf(buf, "%63[^\n]\n%319[^\n]\n%1024[^\n]\n%llu\n%llu\n", magic, key, upload, &psize, &size) != 5 ||
		    strcmp(magic, JOURNAL_MAGIC) || strcmp(key, want_key) || !upload_id_ok(upload) || psize < S3_PART_MIN ||
		    psize > (5ull << 30) || size <= psize || (size + psize - 1) / psize > S3_PARTS_MAX)
			drop = 1;
	}
	dv_blob_put p = { .fd = -1, .size = size };
	snprintf(p.path, sizeof(p.path), "%s", spool);
	snprintf(p.name, sizeof(p.name), "%s", name);
	struct stat st;
	if (!drop && ((p.fd = open(spool, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(p.fd, &st) < 0 ||
	              !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size))
		drop = 1;
	uint64_t parts = drop ? 0 : (size + psize - 1) / psize;
	struct listed l = { parts, drop ? NULL : calloc(parts, 33), drop ? NULL : calloc(parts, sizeof(uint64_t)) };
	int rc = 0;
	if (!drop && (!l.etag || !l.size)) rc = dv_error_set(DV_ENOMEM, be->where, -1, "out of memory");
	if (!drop && rc == 0) {
		rc = list_parts(be, key, upload, &l);
		if (rc == 0) drop = 1;
	}
	if (!drop && rc >= 0) {
		char etag[96];
		if ((rc = finish_multipart(be, &p, key, upload, psize, l.etag, l.size, reused, etag, sizeof(etag))) == 0 &&
		    (be->put_until_ns > 0 || be->put_hold))
			rc = s3_lock_set(be, name, be->put_until_ns, be->put_hold ? 1 : -1);
		if (rc == 0) rc = check_stored(be, &p, key, etag);
		if (rc == DV_ECORRUPT || rc == DV_EPERM) drop = 1; /* what the server holds is not ours, or not locked: the re-run puts it again */
	}
	free(l.etag);
	free(l.size);
	if (p.fd >= 0) close(p.fd);
	if (drop || rc == 0) {
		unlink(jp);
		unlink(spool);
	}
	dv_error_clear();
	return drop ? 0 : rc < 0 ? rc : 1;
}

/* Journaled multipart uploads a crash or an outage cut short: finished. */
static int resume_uploads(dv_blob_backend *be, unsigned *resumed, uint64_t *reused)
{
	DIR *d = opendir(be->spool);
	if (!d) return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, "s3mp-", 5) != 0 || l < 7 || strcmp(e->d_name + l - 7, ".upload") != 0) continue;
		uint64_t k = 0;
		if (resume_one(be, e->d_name, &k) == 1) {
			(*resumed)++;
			*reused += k;
		}
	}
	closedir(d);
	return 0;
}

/* Spool files a crash left behind (never sent, or sent and not acknowledged;
 * s3mp-* of a journaled upload that could not be finished now stay),
 * and unfinished multipart uploads. */
static int s3_clean(dv_blob_backend *be)
{
	if (!be->spool[0]) return 0;
	unsigned resumed = 0;
	uint64_t reused = 0;
	resume_uploads(be, &resumed, &reused);
	be->resumed += resumed;
	be->parts_reused += reused;
	int n = abort_uploads(be);
	DIR *d = opendir(be->spool);
	if (!d) return n;
	struct dirent *e;
	while ((e = readdir(d))) {
		bool tmp = !strncmp(e->d_name, "s3mp-", 5) && strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".tmp");
		if (strncmp(e->d_name, "s3put-", 6) != 0 && !tmp) continue;
		char p[2400];
		if (dv_pathf(p, sizeof(p), "%s/%s", be->spool, e->d_name) == 0 && unlink(p) == 0) n++;
	}
	closedir(d);
	return n;
}

static int s3_locate(dv_blob_backend *be, const char *name, char *out, size_t size)
{
	char key[320];
	object_key(be, name, key, sizeof(key));
	int n = snprintf(out, size, "s3://%s/%s (%s)", be->bucket, key, be->endpoint);
	return n < 0 || (size_t)n >= size ? dv_error_set(DV_EINVAL, name, -1, "location too long") : 0;
}

static void s3_free(dv_blob_backend *be)
{
	if (!be) return;
	if (be->curl) curl_easy_cleanup(be->curl);
	pthread_mutex_destroy(&be->mu);
	dv_secret_free(be->cred);
	free(be);
}

/* ---- Object Lock ---------------------------------------------------------------- */
static int s3_lock_defaults(dv_blob_backend *be, int64_t until_ns, bool hold)
{
	if ((until_ns > 0 || hold) && !be->lock_enabled)
		return dv_error_set(DV_EUNSUPPORTED, be->where, -1, "the bucket has no Object Lock: cannot retain or hold");
	be->put_until_ns = until_ns;
	be->put_hold = hold;
	return 0;
}

static int s3_lock_get(dv_blob_backend *be, const char *name, dv_blob_lock *out)
{
	memset(out, 0, sizeof(*out));
	struct req r;
	char key[320];
	int rc = head_object(be, name, &r, key, sizeof(key));
	if (rc == 0 && r.status != 200) rc = fail(be, &r, "reading a blob's lock");
	if (rc == 0) {
		out->compliance = !strcmp(r.lock_mode, "COMPLIANCE");
		out->retain_until_ns = r.lock_until[0] ? dv_s3_parse_time(r.lock_until) : 0;
		if (out->retain_until_ns < 0) out->retain_until_ns = 0;
		out->legal_hold = !strcasecmp(r.lock_hold, "ON");
	}
	req_free(&r);
	return rc;
}

static int put_sub(dv_blob_backend *be, const char *key, const char *query, const char *xml, const char *what)
{
	uint8_t md5[16];
	char b64[32];
	int rc = md5_mem(md5, xml, strlen(xml));
	if (rc < 0) return rc;
	md5_b64(b64, md5);
	struct req r = { .method = "PUT", .key = key, .query = query, .fd = -1, .body = (const uint8_t *)xml,
	                 .body_len = strlen(xml) };
	if ((rc = add_header(&r, "Content-MD5", b64)) == 0 && (rc = perform(be, &r)) == 0 && r.status != 200)
		rc = fail(be, &r, what);
	req_free(&r);
	return rc;
}

static int s3_lock_set(dv_blob_backend *be, const char *name, int64_t until_ns, int hold)
{
	if (!be->lock_enabled) return dv_error_set(DV_EUNSUPPORTED, be->where, -1, "the bucket has no Object Lock");
	dv_blob_lock now;
	int rc = s3_lock_get(be, name, &now);
	if (rc < 0) return rc;
	char key[320], xml[400];
	object_key(be, name, key, sizeof(key));
	int64_t want = until_ns / 1000000000 * 1000000000;
	if (until_ns > 0 && (!now.compliance || now.retain_until_ns < want)) {
		char t[21];
		dv_s3_format_time(t, want);
		snprintf(xml, sizeof(xml),
		         "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode>"
		         "<RetainUntilDate>%s</RetainUntilDate></Retention>", t);
		if ((rc = put_sub(be, key, "retention=", xml, "setting a blob's retention")) < 0) return rc;
	}
	if (hold >= 0 && (hold == 1) != now.legal_hold) {
		snprintf(xml, sizeof(xml), "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>%s</Status></LegalHold>",
		         hold ? "ON" : "OFF");
		if ((rc = put_sub(be, key, "legal-hold=", xml, "setting a blob's legal hold")) < 0) return rc;
	}
	return 0;
}

static const dv_blob_backend_ops s3_ops = {
	.version = DV_BLOB_BACKEND_VERSION,
	.name = "s3",
	.caps = s3_caps,
	.put_begin = s3_put_begin,
	.put_write = s3_put_write,
	.put_commit = s3_put_commit,
	.put_stage = s3_put_stage,
	.publish = s3_publish,
	.put_abort = s3_put_abort,
	.exists = s3_exists,
	.open_read = s3_open_read,
	.read_at = s3_read_at,
	.close_read = s3_close_read,
	.list = s3_list,
	.clean = s3_clean,
	.locate = s3_locate,
	.free = s3_free,
	.lock_defaults = s3_lock_defaults,
	.lock_set = s3_lock_set,
	.lock_get = s3_lock_get,
};

/* ---- opening ---------------------------------------------------------------------- */
static bool bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63) return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-' || b[i] == '.')) return false;
	return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

/* s3://bucket[/prefix] into bucket and "prefix/" */
static int parse_url(const char *url, char *bucket, size_t bsize, char *prefix, size_t psize)
{
	if (!url || strncmp(url, "s3://", 5) != 0)
		return dv_error_set(DV_EINVAL, url, -1, "blob store URL must be s3://BUCKET[/PREFIX]");
	const char *b = url + 5;
	size_t bl = strcspn(b, "/");
	if (!bucket_ok(b, bl) || bl >= bsize)
		return dv_error_set(DV_EINVAL, url, -1, "bucket names take 3 to 63 of a-z, 0-9, '-' and '.'");
	memcpy(bucket, b, bl);
	bucket[bl] = '\0';
	const char *p = b[bl] == '/' ? b + bl + 1 : b + bl;
	size_t pl = strlen(p);
	while (pl && p[pl - 1] == '/') pl--;
	if (pl + 2 > psize || pl > 200) return dv_error_set(DV_EINVAL, url, -1, "prefix too long (200 characters at most)");
	for (size_t i = 0; i < pl; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("-_./", p[i]))
			return dv_error_set(DV_EINVAL, url, -1, "the prefix takes letters, digits, '-', '_', '.' and '/'");
	if (pl && (p[0] == '/' || strstr(p, "//") || strstr(p, "..")))
		return dv_error_set(DV_EINVAL, url, -1, "the prefix has an empty or '..' part");
	memcpy(prefix, p, pl);
	if (pl) prefix[pl++] = '/';
	prefix[pl] = '\0';
	return 0;
}

/* https://host[:port][/] ; *loopback when plain http to a loopback host */
static int parse_endpoint(const char *ep, char *out, size_t size, bool *plain)
{
	*plain = false;
	if (!ep) return dv_error_set(DV_EINVAL, NULL, -1, "an S3 store needs --s3-endpoint https://HOST[:PORT]");
	dv_url_origin o;
	int rc = dv_url_origin_parse(&o, ep, "the S3 endpoint", 200, true);
	if (rc < 0) return rc;
	*plain = !o.https;
	const char *p = o.rest;
	if (*p == '/') p++;
	if (*p) return dv_error_set(DV_EINVAL, ep, -1, "the S3 endpoint takes no path (path-style requests are made)");
	if (*plain && !o.loopback)
		return dv_error_set(DV_EINVAL, ep, -1, "plain http:// only for a loopback endpoint (127.0.0.1, localhost, [::1]); use https://");
	size_t n = (size_t)(p - ep);
	if (n && ep[n - 1] == '/') n--;
	if (n >= size) return dv_error_set(DV_EINVAL, ep, -1, "endpoint too long");
	memcpy(out, ep, n);
	out[n] = '\0';
	return 0;
}

int dv_blob_s3_check_url(const char *url, const char *endpoint)
{
	char b[64], p[224], e[256];
	bool plain;
	int rc = parse_url(url, b, sizeof(b), p, sizeof(p));
	return rc < 0 ? rc : parse_endpoint(endpoint, e, sizeof(e), &plain);
}

static int cred_value(char *out, size_t size, const char *v, const char *what)
{
	size_t n = strlen(v);
	if (n == 0 || n >= size) return dv_error_set(DV_EINVAL, what, -1, "S3 credential empty or too long");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] > 0x7e)
			return dv_error_set(DV_EINVAL, what, -1, "S3 credential has a character it cannot have");
	memcpy(out, v, n + 1);
	return 0;
}

static int load_credentials(struct s3_secret *c, const char *file)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
	int rc;
	if (ak && *ak && sk && *sk) {
		const char *tok = getenv("AWS_SESSION_TOKEN");
		if ((rc = cred_value(c->access, sizeof(c->access), ak, "AWS_ACCESS_KEY_ID")) < 0 ||
		    (rc = cred_value(c->secret, sizeof(c->secret), sk, "AWS_SECRET_ACCESS_KEY")) < 0)
			return rc;
		if (tok && *tok && (rc = cred_value(c->token, sizeof(c->token), tok, "AWS_SESSION_TOKEN")) < 0) return rc;
		return 0;
	}
	if (!file || !*file) file = getenv("DV_S3_CREDENTIALS");
	if (!file || !*file)
		return dv_error_set(DV_EPERM, NULL, -1,
		                    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or DV_S3_CREDENTIALS to a 0600 file");
	struct stat st;
	if (stat(file, &st) < 0) return dv_error_set(DV_ENOTFOUND, file, -1, "S3 credentials file: %s", strerror(errno));
	if (st.st_mode & 077) return dv_error_set(DV_EPERM, file, -1, "S3 credentials file must be mode 0600 (others can read it now)");
	if (st.st_uid != getuid()) return dv_error_set(DV_EPERM, file, -1, "S3 credentials file belongs to another user");
	uint8_t *buf;
	size_t len;
	if ((rc = dv_read_file(&buf, &len, file, 64 << 10)) < 0) return rc;
	char *text = (char *)buf, *save = NULL;
	rc = 0;
	for (char *line = strtok_r(text, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq) continue;
		char *k = line, *v = eq + 1;
		*eq = '\0';
		while (*k == ' ' || *k == '\t') k++;
		for (char *e = eq - 1; e >= k && (*e == ' ' || *e == '\t'); e--) *e = '\0';
		while (*v == ' ' || *v == '\t') v++;
		for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t'); e--) e[-1] = '\0';
		if (!strcmp(k, "aws_access_key_id")) rc = cred_value(c->access, sizeof(c->access), v, file);
		else if (!strcmp(k, "aws_secret_access_key")) rc = cred_value(c->secret, sizeof(c->secret), v, file);
		else if (!strcmp(k, "aws_session_token")) rc = cred_value(c->token, sizeof(c->token), v, file);
	}
	dv_wipe(buf, len);
	free(buf);
	if (rc == 0 && (!c->access[0] || !c->secret[0]))
		rc = dv_error_set(DV_EINVAL, file, -1, "S3 credentials file needs aws_access_key_id and aws_secret_access_key");
	return rc;
}

/* Before any data moves: reach the server, credentials, clock, bucket, Object Lock. */
static int probe(dv_blob_backend *be, bool require_lock)
{
	struct req r = { .method = "GET", .query = "object-lock=", .fd = -1 };
	int rc = perform(be, &r);
	if (rc < 0) goto out;
	if (r.status == 200) {
		char v[64];
		size_t pos = 0;
		be->lock_enabled = r.resp && dv_s3_xml_text(v, sizeof(v), r.resp, r.resp_len, &pos, "ObjectLockEnabled") == 1 &&
		                   !strcmp(v, "Enabled");
	} else if (r.status == 404 && strcmp(r.code, "NoSuchBucket") != 0) {
		be->lock_enabled = false; /* ObjectLockConfigurationNotFoundError */
	} else {
		rc = fail(be, &r, "opening the blob store");
		goto out;
	}
	if (require_lock && !be->lock_enabled)
		rc = dv_error_set(DV_EPERM, be->where, -1,
		                  "bucket '%s' has no Object Lock (HTTP %ld %s): the vault's policy needs WORM storage; "
		                  "create the bucket with Object Lock enabled", be->bucket, r.status,
		                  r.code[0] ? r.code : "ObjectLockEnabled not Enabled");
out:
	req_free(&r);
	return rc;
}

int dv_blob_s3_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const dv_blob_s3_opts *o)
{
	*out = NULL;
	dv_blob_backend *be = calloc(1, sizeof(*be));
	if (!be) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	pthread_mutex_init(&be->mu, NULL);
	bool plain = false;
	int rc = 0;
	if (!(be->cred = dv_secret_alloc(sizeof(*be->cred)))) {
		rc = DV_ENOMEM;
		goto fail;
	}
	memset(be->cred, 0, sizeof(*be->cred));
	if ((rc = parse_url(o->url, be->bucket, sizeof(be->bucket), be->prefix, sizeof(be->prefix))) < 0 ||
	    (rc = parse_endpoint(o->endpoint, be->endpoint, sizeof(be->endpoint), &plain)) < 0)
		goto fail;
	snprintf(be->where, sizeof(be->where), "s3://%s/%s at %s", be->bucket, be->prefix, be->endpoint);
	const char *region = o->region && *o->region ? o->region : getenv("AWS_DEFAULT_REGION");
	if (!region || !*region) region = "us-east-1";
	if (strlen(region) > 40 || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
		rc = dv_error_set(DV_EINVAL, region, -1, "an S3 region takes a-z, 0-9 and '-'");
		goto fail;
	}
	snprintf(be->sigv4, sizeof(be->sigv4), "aws:amz:%s:s3", region);
	if (o->ca_file && *o->ca_file) {
		if (access(o->ca_file, R_OK) < 0) {
			rc = dv_error_set(DV_ENOTFOUND, o->ca_file, -1, "S3 CA file: %s", strerror(errno));
			goto fail;
		}
		if ((rc = dv_pathf(be->ca_file, sizeof(be->ca_file), "%s", o->ca_file)) < 0) goto fail;
	}
	if (o->spool_dir && (rc = dv_pathf(be->spool, sizeof(be->spool), "%s", o->spool_dir)) < 0) goto fail;
	be->part_bytes = o->part_bytes ? o->part_bytes : S3_PART_DEFAULT;
	if (be->part_bytes < S3_PART_MIN) be->part_bytes = S3_PART_MIN;
	const char *env = getenv("DV_S3_RETRIES");
	be->retries = env && *env ? atoi(env) : 3;
	if (be->retries < 0 || be->retries > 20) be->retries = 3;
	if ((env = getenv("DV_S3_CLOCK_OFFSET"))) be->clock_offset = strtol(env, NULL, 10);
	env = getenv("DV_S3_ABORT_AFTER");
	be->abort_after = env && *env ? strtol(env, NULL, 10) : 3600;
	if (be->abort_after < 0) be->abort_after = 3600;
	if ((rc = load_credentials(be->cred, o->credentials_file)) < 0) goto fail;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || !(be->curl = curl_easy_init())) {
		rc = dv_error_set(DV_ERROR, be->where, -1, "libcurl does not initialise");
		goto fail;
	}
	if (plain) fprintf(stderr, "dronevault: warning: the S3 endpoint %s is plain http:// (loopback only): nothing is encrypted in transit\n",
	                   be->endpoint);
	if ((rc = probe(be, o->require_lock)) < 0) goto fail;
	*out = be;
	*ops_out = &s3_ops;
	return 0;
fail:
	s3_free(be);
	return rc;
}
