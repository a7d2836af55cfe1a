/*
 * dronevault serve: the HTTP side (libmicrohttpd). One internal polling
 * thread answers every request, so the vault is used from one thread; the
 * content of stored files is streamed chunk by chunk (a slow client holds a
 * connection, not the thread). Limits: connections in all and per address,
 * an idle timeout, and the memory per connection that bounds request
 * headers (more is refused by libmicrohttpd with 431/413).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>

#include "dv/blob.h"
#include "dv/catalog.h"
#include "dv/err.h"
#include "dv/serve.h"
#include "dv/util.h"
#include "dv/vault.h"
#include "dv/verify.h"
#include "serve/serve_int.h"

#define STATIC_MAX (8u << 20)       /* largest page file read from disk */
#define CONN_MEMORY (32u << 10)     /* per connection: bounds the request headers */
#define CONTENT_BLOCK (256u << 10)  /* plaintext per read of a stored file */

/* the page's policy; img-src gets the one origin of the agency tile server
 * (dronevault config set map.tiles) when there is one */
#define CSP_PAGE_FMT                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:%s%s; media-src 'self'; " \
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
/* stored evidence is never a document of this origin */
static const char csp_content[] = "default-src 'none'; sandbox";

/*
 * A reader vault sees one catalog snapshot for its whole life, so every
 * answer of the API and every thumbnail is the same until the server
 * restarts: they are kept (open addressing by route and id) up to
 * CACHE_BYTES. What is not kept is computed again, never wrong.
 */
#define CACHE_SLOTS 32768u
#define CACHE_BYTES (256u << 20)

struct cent {
	bool used;
	int kind;
	int64_t id;
	char flight[24];
	unsigned status;
	const char *type;
	uint8_t *a, *b, *c; /* body; thumbnails: the preview (a, may be NULL), the EXIF (b) and XMP (c) JSON */
	size_t an, bn, cn;
};

struct dv_serve {
	dv_vault *v;
	/* The vault, its catalog and blob store and the answer cache are used by
	 * one request at a time: the IPv4 and IPv6 daemons each have a thread,
	 * and a streamed answer reads blobs from the daemon's thread later. */
	pthread_mutex_t mu;
	bool mu_ok;
	char csp[1024];           /* the page's Content-Security-Policy */
	struct cent *cache;
	size_t cache_bytes;
	dv_serve_thumbs *thumbs;  /* the long-lived thumbnail reader */
	struct MHD_Daemon *d4, *d6;
	dv_serve_auth auth;
	bool tls;
	uint16_t port;
	char url[160];
	char listen[64];          /* the --listen address, "" for loopback */
	char web_dir[DV_PATH_MAX], npm_dir[DV_PATH_MAX];
	char *cert, *key; /* PEM, NUL-terminated */
	/* verify on request (/api/verify): one run at a time, on its own reader */
	int (*reopen)(dv_vault **out, void *payload);
	void *reopen_payload;
	pthread_mutex_t vmu;
	bool vmu_ok, vthread;     /* mutex made; a thread to join */
	pthread_t vt;
	volatile sig_atomic_t vstop;
	int vstate;               /* VERIFY_* */
	uint64_t vdone, vtotal, vproblems, vnotes;
	json_object *vmsgs;       /* problems and notes, the first VERIFY_MSGS */
	dv_verify_result vres;
	char verr[512];
	int64_t vstarted_ns;
};

enum { VERIFY_NEVER = 0, VERIFY_RUNNING, VERIFY_DONE, VERIFY_FAILED };
#define VERIFY_MSGS 500

int dv_serve_addr_is_loopback(bool *out, const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	*out = false;
	if (addr && inet_pton(AF_INET, addr, &a4) == 1) {
		*out = (ntohl(a4.s_addr) >> 24) == 127;
		return 0;
	}
	if (addr && inet_pton(AF_INET6, addr, &a6) == 1) {
		*out = IN6_IS_ADDR_LOOPBACK(&a6);
		return 0;
	}
	return dv_error_set(DV_EINVAL, NULL, -1, "'%s' is not an IPv4 or IPv6 address", addr ? addr : "");
}

/* the raw path, as sent: the router refuses '%' (so no decoding is needed) */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void headers(struct MHD_Response *r, const char *csp)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result send_buf(dv_serve *s, struct MHD_Connection *c, unsigned status, const char *type, void *buf, size_t n,
                                enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, buf, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE) free(buf);
		return MHD_NO;
	}
	headers(r, s->csp);
	if (type) MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_empty(dv_serve *s, struct MHD_Connection *c, unsigned status)
{
	return send_buf(s, c, status, NULL, (void *)"", 0, MHD_RESPMEM_PERSISTENT);
}

/* {"error": the library's last error} with status: what failed, for the page to show */
static enum MHD_Result send_error(dv_serve *s, struct MHD_Connection *c, unsigned status)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(dv_error_text()));
	size_t len;
	const char *js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *body = js ? malloc(len + 1) : NULL;
	if (body) memcpy(body, js, len + 1);
	json_object_put(o);
	if (!body) return send_empty(s, c, status);
	return send_buf(s, c, status, "application/json", body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_static(dv_serve *s, struct MHD_Connection *c, int idx)
{
	const dv_static_file *f = &dv_static_files[idx];
	char path[DV_PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", f->root == DV_STATIC_WEB ? s->web_dir : s->npm_dir, f->rel);
	uint8_t *buf = NULL;
	size_t n = 0;
	if (dv_read_file(&buf, &n, path, STATIC_MAX) < 0) return send_empty(s, c, MHD_HTTP_NOT_FOUND);
	return send_buf(s, c, MHD_HTTP_OK, f->content_type, buf, n, MHD_RESPMEM_MUST_FREE);
}

/* ---- stored files, streamed with ranges ---- */
struct content {
	pthread_mutex_t *mu;  /* the server's: held while a block is read */
	dv_blobstore *bs;
	char blob[DV_BLOB_NAME_HEX + 1];
	uint64_t first;      /* plaintext offset of response byte 0 */
	uint8_t *dst;
	size_t got, want;
	uint8_t *pre;        /* the answer's first block, read before it was queued */
	size_t pre_len;
};

static int copy_sink(const uint8_t *data, size_t n, void *payload)
{
	struct content *k = payload;
	if (n > k->want - k->got) n = k->want - k->got;
	memcpy(k->dst + k->got, data, n);
	k->got += n;
	return 0;
}

static ssize_t content_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct content *k = cls;
	if (max > CONTENT_BLOCK) max = CONTENT_BLOCK;
	if (k->pre && pos < k->pre_len) {
		size_t n = k->pre_len - (size_t)pos < max ? k->pre_len - (size_t)pos : max;
		memcpy(buf, k->pre + pos, n);
		return (ssize_t)n;
	}
	k->dst = (uint8_t *)buf;
	k->got = 0;
	k->want = max;
	pthread_mutex_lock(k->mu);
	int rc = dv_blob_read_range(NULL, k->bs, k->blob, k->first + pos, max, copy_sink, k);
	pthread_mutex_unlock(k->mu);
	if (rc < 0 || k->got == 0)
		return MHD_CONTENT_READER_END_WITH_ERROR; /* the connection is cut: never bytes that failed to authenticate */
	return (ssize_t)k->got;
}

static void content_free(void *cls)
{
	struct content *k = cls;
	if (k->pre) sodium_memzero(k->pre, k->pre_len);
	free(k->pre);
	free(k);
}

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	static const struct { const char *ext, *type; } types[] = {
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".png", "image/png" },
		{ ".mp4", "video/mp4" }, { ".mov", "video/quicktime" }, { ".srt", "text/plain; charset=utf-8" },
		{ NULL, NULL }
	};
	for (int i = 0; dot && types[i].ext; i++)
		if (!strcasecmp(dot, types[i].ext)) return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result send_content(dv_serve *s, struct MHD_Connection *c, int64_t id)
{
	dv_file_rec f;
	if (dv_catalog_file_get(&f, dv_vault_catalog(s->v), id) < 0) return send_empty(s, c, MHD_HTTP_NOT_FOUND);
	const char *rh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	uint64_t first = 0, last = 0;
	dv_range_result rr = dv_range_parse(&first, &last, rh, rh ? strlen(rh) : 0, f.size);
	char cr[80];
	if (rr == DV_RANGE_UNSATISFIABLE) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!r) return MHD_NO;
		headers(r, csp_content);
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)f.size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
		MHD_destroy_response(r);
		return ret;
	}
	uint64_t len = rr == DV_RANGE_ONE ? last - first + 1 : f.size;
	struct content *k = calloc(1, sizeof(*k));
	if (!k) return MHD_NO;
	k->mu = &s->mu;
	k->bs = dv_vault_blobs(s->v);
	snprintf(k->blob, sizeof(k->blob), "%s", f.blob_name);
	k->first = rr == DV_RANGE_ONE ? first : 0;
	if (len) {
		/* the first block now, so that a blob missing or damaged since start is
		 * a clear error answer, not a connection cut after the headers */
		size_t want = len < CONTENT_BLOCK ? (size_t)len : CONTENT_BLOCK;
		k->pre = malloc(want);
		if (!k->pre) {
			free(k);
			return MHD_NO;
		}
		k->dst = k->pre;
		k->got = 0;
		k->want = want;
		int brc = dv_blob_read_range(NULL, k->bs, k->blob, k->first, want, copy_sink, k);
		if (brc < 0 || k->got != want) {
			if (brc >= 0) dv_error_set(DV_ECORRUPT, f.blob_name, -1, "the stored file ended early");
			content_free(k);
			return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR);
		}
		k->pre_len = k->got;
	}
	struct MHD_Response *r = len == 0 ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
	                                  : MHD_create_response_from_callback(len, CONTENT_BLOCK, content_read, k, content_free);
	if (len == 0) free(k);
	if (!r) {
		if (len) free(k);
		return MHD_NO;
	}
	headers(r, csp_content);
	const char *type = content_type(f.path);
	MHD_add_response_header(r, "Content-Type", type);
	if (!strcmp(type, "application/octet-stream")) MHD_add_response_header(r, "Content-Disposition", "attachment");
	MHD_add_response_header(r, "Accept-Ranges", "bytes");
	char etag[80];
	snprintf(etag, sizeof(etag), "\"%.64s\"", f.blob_name);
	MHD_add_response_header(r, "ETag", etag);
	unsigned status = MHD_HTTP_OK;
	if (rr == DV_RANGE_ONE) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)first, (unsigned long long)last,
		         (unsigned long long)f.size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct cent *cache_find(dv_serve *s, int kind, int64_t id, const char *flight, bool *found)
{
	*found = false;
	if (!s->cache) return NULL;
	uint64_t h = (uint64_t)kind * 0x9E3779B97F4A7C15ull ^ (uint64_t)id * 0xBF58476D1CE4E5B9ull;
	for (const char *p = flight; p && *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001B3ull;
	for (unsigned i = 0; i < 64; i++) {
		struct cent *e = &s->cache[(h + i) & (CACHE_SLOTS - 1)];
		if (!e->used) return e;
		if (e->kind == kind && e->id == id && !strcmp(e->flight, flight ? flight : "")) {
			*found = true;
			return e;
		}
	}
	return NULL;
}

/* takes a, b and c (malloc'd) into the cache, or leaves them to the caller (false) */
static bool cache_put(dv_serve *s, struct cent *e, int kind, int64_t id, const char *flight, unsigned status,
                      const char *type, uint8_t *a, size_t an, uint8_t *b, size_t bn, uint8_t *c, size_t cn)
{
	if (!e || e->used || s->cache_bytes + an + bn + cn > CACHE_BYTES) return false;
	e->used = true;
	e->kind = kind;
	e->id = id;
	snprintf(e->flight, sizeof(e->flight), "%s", flight ? flight : "");
	e->status = status;
	e->type = type;
	e->a = a;
	e->an = an;
	e->b = b;
	e->bn = bn;
	e->c = c;
	e->cn = cn;
	s->cache_bytes += an + bn + cn;
	return true;
}

/* ---- thumbnails, EXIF and XMP: decoded in dv-reader ---- */
enum { PART_THUMB = 0, PART_EXIF, PART_XMP };

static enum MHD_Result send_part(dv_serve *s, struct MHD_Connection *c, int part, uint8_t *p, size_t n,
                                 enum MHD_ResponseMemoryMode mode)
{
	if (part == PART_THUMB)
		return p ? send_buf(s, c, MHD_HTTP_OK, "image/jpeg", p, n, mode) : send_empty(s, c, MHD_HTTP_NOT_FOUND);
	if (!p) return send_buf(s, c, MHD_HTTP_OK, "application/json", (void *)"{}", 2, MHD_RESPMEM_PERSISTENT);
	return send_buf(s, c, MHD_HTTP_OK, "application/json", p, n, mode);
}

static enum MHD_Result send_thumb(dv_serve *s, struct MHD_Connection *c, int64_t id, int part)
{
	bool hit;
	struct cent *e = cache_find(s, DV_SERVE_ROUTE_FILE_THUMB, id, NULL, &hit);
	if (hit) {
		uint8_t *p = part == PART_THUMB ? e->a : part == PART_EXIF ? e->b : e->c;
		size_t n = part == PART_THUMB ? e->an : part == PART_EXIF ? e->bn : e->cn;
		return send_part(s, c, part, p, n, MHD_RESPMEM_PERSISTENT);
	}
	dv_file_rec f;
	if (dv_catalog_file_get(&f, dv_vault_catalog(s->v), id) < 0) return send_empty(s, c, MHD_HTTP_NOT_FOUND);
	const char *type = content_type(f.path);
	if (strcmp(type, "image/jpeg") != 0) return send_empty(s, c, MHD_HTTP_NOT_FOUND);
	dv_serve_meta m;
	if (dv_serve_thumb(&m, s->thumbs, dv_vault_blobs(s->v), f.blob_name, f.size) < 0)
		return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	if (cache_put(s, e, DV_SERVE_ROUTE_FILE_THUMB, id, NULL, 200, NULL, m.thumb, m.thumb_len, (uint8_t *)m.exif, m.exif_len,
	              (uint8_t *)m.xmp, m.xmp_len))
		return send_thumb(s, c, id, part);
	uint8_t *keep = part == PART_THUMB ? m.thumb : part == PART_EXIF ? (uint8_t *)m.exif : (uint8_t *)m.xmp;
	size_t kn = part == PART_THUMB ? m.thumb_len : part == PART_EXIF ? m.exif_len : m.xmp_len;
	if (part == PART_THUMB) m.thumb = NULL;
	else if (part == PART_EXIF) m.exif = NULL;
	else m.xmp = NULL;
	dv_serve_meta_free(&m);
	return send_part(s, c, part, keep, kn, MHD_RESPMEM_MUST_FREE);
}

/* ---- authentication ---- */
static enum MHD_Result login(dv_serve *s, struct MHD_Connection *c, const char *url)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) return MHD_NO;
	headers(r, s->csp);
	char cookie[200];
	snprintf(cookie, sizeof(cookie), "dv_session=%s; Path=/; HttpOnly; SameSite=Strict%s", s->auth.session,
	         s->tls ? "; Secure" : "");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	/* the token leaves the address bar (and the history) at once */
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, url);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

static bool authorized(dv_serve *s, struct MHD_Connection *c)
{
	const char *ck = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "dv_session");
	if (ck && dv_serve_secret_eq(s->auth.session, ck, strlen(ck))) return true;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	return dv_serve_auth_bearer_ok(&s->auth, h);
}

/* ---- verify on request ---- */
static void v_msg(dv_serve *s, const char *kind, const char *m)
{
	pthread_mutex_lock(&s->vmu);
	if (!strcmp(kind, "problem")) s->vproblems++;
	else s->vnotes++;
	if (json_object_array_length(s->vmsgs) < VERIFY_MSGS) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(kind));
		json_object_object_add(o, "message", json_object_new_string(m));
		json_object_array_add(s->vmsgs, o);
	}
	pthread_mutex_unlock(&s->vmu);
}
static void v_problem(const char *m, void *p) { v_msg(p, "problem", m); }
static void v_note(const char *m, void *p) { v_msg(p, "note", m); }
static void v_progress(uint64_t done, uint64_t total, void *p)
{
	dv_serve *s = p;
	pthread_mutex_lock(&s->vmu);
	s->vdone = done;
	s->vtotal = total;
	pthread_mutex_unlock(&s->vmu);
}

static void *verify_thread(void *arg)
{
	dv_serve *s = arg;
	dv_vault *v = NULL;
	dv_verify_result res;
	memset(&res, 0, sizeof(res));
	int rc = s->reopen(&v, s->reopen_payload);
	if (rc == 0) {
		dv_verify_opts o = { .problem = v_problem, .note = v_note, .progress = v_progress, .payload = s,
		                     .interrupted = &s->vstop };
		rc = dv_verify(v, &o, &res);
		dv_vault_close(v);
	}
	pthread_mutex_lock(&s->vmu);
	if (rc < 0) {
		s->vstate = VERIFY_FAILED;
		snprintf(s->verr, sizeof(s->verr), "%s", dv_error_text());
	} else {
		s->vstate = VERIFY_DONE;
		s->vres = res;
	}
	pthread_mutex_unlock(&s->vmu);
	return NULL;
}

/* GET /api/verify: starts a run when none ran (or ?again=1 after one
 * ended), and reports the state; a run never blocks other requests. */
static enum MHD_Result api_verify(dv_serve *s, struct MHD_Connection *c)
{
	const char *again = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "again");
	json_object *o = json_object_new_object();
	pthread_mutex_lock(&s->vmu);
	bool may = s->reopen && (s->vstate == VERIFY_NEVER ||
	                         (s->vstate != VERIFY_RUNNING && again && !strcmp(again, "1")));
	if (may) {
		if (s->vthread) pthread_join(s->vt, NULL);
		s->vthread = false;
		s->vdone = s->vtotal = s->vproblems = s->vnotes = 0;
		json_object_put(s->vmsgs);
		s->vmsgs = json_object_new_array();
		memset(&s->vres, 0, sizeof(s->vres));
		s->verr[0] = '\0';
		s->vstarted_ns = dv_now_ns();
		s->vstate = VERIFY_RUNNING;
		if (pthread_create(&s->vt, NULL, verify_thread, s) != 0) {
			s->vstate = VERIFY_FAILED;
			snprintf(s->verr, sizeof(s->verr), "cannot start the verify thread");
		} else {
			s->vthread = true;
		}
	}
	static const char *const names[] = { "never", "running", "done", "failed" };
	json_object_object_add(o, "state", json_object_new_string(s->reopen ? names[s->vstate] : "unavailable"));
	if (!s->reopen)
		json_object_object_add(o, "error", json_object_new_string("this server was started without a way to open a "
		                                                          "second reader (dv_serve_opts.reopen)"));
	if (s->vstarted_ns) {
		char t[40];
		dv_time_iso(t, sizeof(t), s->vstarted_ns);
		json_object_object_add(o, "started", json_object_new_string(t));
	}
	json_object_object_add(o, "bytes_done", json_object_new_int64((int64_t)s->vdone));
	json_object_object_add(o, "bytes_total", json_object_new_int64((int64_t)s->vtotal));
	json_object_object_add(o, "problems", json_object_new_int64((int64_t)s->vproblems));
	json_object_object_add(o, "notes", json_object_new_int64((int64_t)s->vnotes));
	json_object_object_add(o, "messages", s->vmsgs ? json_object_get(s->vmsgs) : json_object_new_array());
	if (s->vstate == VERIFY_DONE) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "log_entries", json_object_new_int64((int64_t)s->vres.log_entries));
		json_object_object_add(r, "ingests", json_object_new_int64((int64_t)s->vres.ingests));
		json_object_object_add(r, "files", json_object_new_int64((int64_t)s->vres.files));
		json_object_object_add(r, "blobs", json_object_new_int64((int64_t)s->vres.blobs));
		json_object_object_add(r, "bytes", json_object_new_int64((int64_t)s->vres.bytes));
		json_object_object_add(r, "problems", json_object_new_int64((int64_t)s->vres.problems));
		json_object_object_add(r, "in_progress", json_object_new_int64((int64_t)s->vres.in_progress));
		json_object_object_add(r, "seconds", json_object_new_double(s->vres.seconds));
		json_object_object_add(o, "result", r);
		json_object_object_add(o, "intact", json_object_new_boolean(s->vres.problems == 0));
	}
	if (s->vstate == VERIFY_FAILED) json_object_object_add(o, "error", json_object_new_string(s->verr));
	size_t len;
	const char *js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *body = js ? malloc(len + 1) : NULL;
	if (body) memcpy(body, js, len + 1);
	pthread_mutex_unlock(&s->vmu);
	json_object_put(o);
	if (!body) return send_empty(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	return send_buf(s, c, MHD_HTTP_OK, "application/json", body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result handle(dv_serve *s, struct MHD_Connection *c, const char *url, const char *method)
{
	size_t n = strlen(url);
	/* before anything else, the token included: a name that is not ours (DNS rebinding) */
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!dv_serve_host_ok(host, host ? strlen(host) : 0, s->listen[0] ? s->listen : NULL, s->port, s->tls))
		return send_empty(s, c, MHD_HTTP_MISDIRECTED_REQUEST);
	const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	if (tok) {
		bool ok = dv_serve_secret_eq(s->auth.token, tok, strlen(tok));
		if (!ok) return send_empty(s, c, MHD_HTTP_UNAUTHORIZED);
		dv_serve_route r;
		dv_serve_route_parse(&r, url, n);
		return login(s, c, r.kind == DV_SERVE_ROUTE_NOTFOUND ? "/" : url);
	}
	if (!authorized(s, c)) return send_empty(s, c, MHD_HTTP_UNAUTHORIZED);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_empty(s, c, MHD_HTTP_METHOD_NOT_ALLOWED);
	dv_serve_route r;
	dv_serve_route_parse(&r, url, n);
	switch (r.kind) {
	case DV_SERVE_ROUTE_NOTFOUND: return send_empty(s, c, MHD_HTTP_NOT_FOUND);
	case DV_SERVE_ROUTE_STATIC: return send_static(s, c, r.static_index);
	case DV_SERVE_ROUTE_FILE_CONTENT: return send_content(s, c, r.id);
	case DV_SERVE_ROUTE_FILE_THUMB: return send_thumb(s, c, r.id, PART_THUMB);
	case DV_SERVE_ROUTE_FILE_EXIF: return send_thumb(s, c, r.id, PART_EXIF);
	case DV_SERVE_ROUTE_FILE_XMP: return send_thumb(s, c, r.id, PART_XMP);
	case DV_SERVE_ROUTE_VERIFY: return s->vmu_ok ? api_verify(s, c) : send_empty(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	default: break;
	}
	bool hit;
	struct cent *e = cache_find(s, (int)r.kind, r.id, r.flight, &hit);
	if (hit) return send_buf(s, c, e->status, e->type, e->a, e->an, MHD_RESPMEM_PERSISTENT);
	char *body = NULL;
	size_t len = 0;
	unsigned status = 500;
	const char *type = "application/json";
	if (dv_serve_api(&body, &len, &status, &type, s->v, &r) < 0) return send_empty(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	/* a failure (500) is not kept: the next request tries again */
	if (status != 500 && cache_put(s, e, (int)r.kind, r.id, r.flight, status, type, (uint8_t *)body, len, NULL, 0, NULL, 0))
		return send_buf(s, c, status, type, body, len, MHD_RESPMEM_PERSISTENT);
	return send_buf(s, c, status, type, body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	dv_serve *s = cls;
	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size) *upload_size = 0; /* a body is never read: the answer below needs none */
	pthread_mutex_lock(&s->mu);
	enum MHD_Result r = handle(s, c, url, method);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- start and stop ---- */
static struct MHD_Daemon *start_one(dv_serve *s, const struct sockaddr *sa, unsigned flags, const dv_serve_opts *o)
{
	unsigned conns = o->max_connections ? o->max_connections : 64;
	unsigned timeout = o->timeout_seconds ? o->timeout_seconds : 15;
	uint16_t port = ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
	                                                : ((const struct sockaddr_in *)sa)->sin_port);
	if (s->tls) flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, port, NULL, NULL, on_request, s,
	                        MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, conns,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, conns / 4 ? conns / 4 : 1,
	                        MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	                        (size_t)CONN_MEMORY, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
	                        s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
	                        MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

static int read_pem(char **out, const char *path)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = dv_read_file(&b, &n, path, 1u << 20);
	if (rc < 0) return rc;
	char *t = realloc(b, n + 1);
	if (!t) {
		free(b);
		return dv_error_set(DV_ENOMEM, path, -1, "no memory");
	}
	t[n] = '\0';
	*out = t;
	return 0;
}

int dv_serve_start(dv_serve **out, dv_vault *v, const dv_serve_opts *o)
{
	*out = NULL;
	bool loop = true;
	if (o->listen && dv_serve_addr_is_loopback(&loop, o->listen) < 0) return DV_EINVAL;
	if ((o->tls_cert != NULL) != (o->tls_key != NULL))
		return dv_error_set(DV_EINVAL, NULL, -1, "--tls-cert and --tls-key go together");
	if (!loop && !o->tls_cert)
		return dv_error_set(DV_EPERM, NULL, -1,
		                    "%s is not a loopback address: serving it needs --tls-cert and --tls-key (the token must not cross a network in clear)",
		                    o->listen);
	dv_serve *s = calloc(1, sizeof(*s));
	if (!s) return dv_error_set(DV_ENOMEM, NULL, -1, "no memory");
	s->v = v;
	if (o->listen) snprintf(s->listen, sizeof(s->listen), "%s", o->listen);
	s->reopen = o->reopen;
	s->reopen_payload = o->reopen_payload;
	s->vmu_ok = pthread_mutex_init(&s->vmu, NULL) == 0;
	if (!(s->mu_ok = pthread_mutex_init(&s->mu, NULL) == 0)) {
		dv_serve_stop(s);
		return dv_error_set(DV_ENOMEM, NULL, -1, "cannot make the server's lock");
	}
	{
		const char *tiles = NULL;
		char origin[600] = "";
		if (dv_vault_config_get(&tiles, v, DV_CONFIG_MAP_TILES) < 0 || !tiles ||
		    dv_config_tiles_origin(origin, sizeof(origin), tiles) < 0)
			origin[0] = '\0';
		snprintf(s->csp, sizeof(s->csp), CSP_PAGE_FMT, origin[0] ? " " : "", origin);
	}
	s->cache = calloc(CACHE_SLOTS, sizeof(*s->cache)); /* none: nothing is kept */
	int rc = dv_serve_auth_init(&s->auth);
	if (rc == 0 && dv_serve_thumbs_new(&s->thumbs) < 0) s->thumbs = NULL; /* then one reader per photo */
	snprintf(s->web_dir, sizeof(s->web_dir), "%s", o->web_dir ? o->web_dir : ".");
	snprintf(s->npm_dir, sizeof(s->npm_dir), "%s", o->npm_dir ? o->npm_dir : ".");
	if (rc == 0 && o->tls_cert) {
		s->tls = true;
		if ((rc = read_pem(&s->cert, o->tls_cert)) == 0) rc = read_pem(&s->key, o->tls_key);
	}
	if (rc < 0) {
		dv_serve_stop(s);
		return rc;
	}
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	a4.sin_family = AF_INET;
	a6.sin6_family = AF_INET6;
	const char *host = "127.0.0.1";
	bool v6only = false;
	if (o->listen && inet_pton(AF_INET6, o->listen, &a6.sin6_addr) == 1) {
		v6only = true;
		host = NULL;
	} else if (o->listen) {
		inet_pton(AF_INET, o->listen, &a4.sin_addr);
		host = o->listen;
	} else {
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a6.sin6_addr = in6addr_loopback;
	}
	if (!v6only) {
		a4.sin_port = htons(o->port);
		s->d4 = start_one(s, (const struct sockaddr *)&a4, 0, o);
		if (!s->d4) {
			rc = dv_error_errno(errno, NULL, -1, "cannot listen on %s port %u", host, (unsigned)o->port);
			dv_serve_stop(s);
			return rc;
		}
		s->port = bound_port(s->d4);
	}
	if (v6only || !o->listen) {
		a6.sin6_port = htons(v6only ? o->port : s->port);
		s->d6 = start_one(s, (const struct sockaddr *)&a6, MHD_USE_IPv6, o);
		if (!s->d6 && v6only) {
			rc = dv_error_errno(errno, NULL, -1, "cannot listen on %s port %u", o->listen, (unsigned)o->port);
			dv_serve_stop(s);
			return rc;
		}
		/* no ::1 (IPv6 off) while 127.0.0.1 works: serve IPv4 alone */
		if (v6only) s->port = bound_port(s->d6);
	}
	if (host)
		snprintf(s->url, sizeof(s->url), "%s://%s:%u/?token=%s", s->tls ? "https" : "http", host, (unsigned)s->port,
		         s->auth.token);
	else
		snprintf(s->url, sizeof(s->url), "%s://[%s]:%u/?token=%s", s->tls ? "https" : "http", o->listen,
		         (unsigned)s->port, s->auth.token);
	*out = s;
	return 0;
}

uint16_t dv_serve_port(const dv_serve *s)
{
	return s->port;
}

const char *dv_serve_url(const dv_serve *s)
{
	return s->url;
}

void dv_serve_stop(dv_serve *s)
{
	if (!s) return;
	if (s->d4) MHD_stop_daemon(s->d4);
	if (s->d6) MHD_stop_daemon(s->d6);
	if (s->vthread) {
		s->vstop = 1;
		pthread_join(s->vt, NULL);
	}
	dv_serve_thumbs_free(s->thumbs);
	json_object_put(s->vmsgs);
	if (s->vmu_ok) pthread_mutex_destroy(&s->vmu);
	if (s->mu_ok) pthread_mutex_destroy(&s->mu);
	if (s->key) {
		sodium_memzero(s->key, strlen(s->key));
		free(s->key);
	}
	free(s->cert);
	if (s->cache) {
		for (size_t i = 0; i < CACHE_SLOTS; i++) {
			if (!s->cache[i].used) continue;
			if (s->cache[i].a) sodium_memzero(s->cache[i].a, s->cache[i].an);
			free(s->cache[i].a);
			free(s->cache[i].b);
			free(s->cache[i].c);
		}
		free(s->cache);
	}
	sodium_memzero(&s->auth, sizeof(s->auth));
	free(s);
}
