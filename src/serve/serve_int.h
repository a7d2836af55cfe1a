/*
 * src/serve/serve_int.h - the parts of `dronevault serve` that decide on
 * hostile request bytes without touching the vault: the router (URL path
 * -> what is asked), the HTTP Range parser and the token/session check.
 * Each is a pure function so that unit tests and libFuzzer drive it alone.
 */
#ifndef DV_SERVE_INT_H
#define DV_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- router (route.c) ---------------------------------------------------- */

typedef enum dv_serve_route_kind {
	DV_SERVE_ROUTE_NOTFOUND = 0,  /* anything not below: 404 */
	DV_SERVE_ROUTE_STATIC,        /* one file of the page; .static_index */
	DV_SERVE_ROUTE_STATUS,        /* /api/status */
	DV_SERVE_ROUTE_CASES,         /* /api/cases */
	DV_SERVE_ROUTE_CASE,          /* /api/cases/ID */
	DV_SERVE_ROUTE_CASE_FILES,    /* /api/cases/ID/files */
	DV_SERVE_ROUTE_CASE_FLIGHTS,  /* /api/cases/ID/flights */
	DV_SERVE_ROUTE_CASE_LOG,      /* /api/cases/ID/log */
	DV_SERVE_ROUTE_TRACK,         /* /api/flights/F/track (GeoJSON) */
	DV_SERVE_ROUTE_FILE_CONTENT,  /* /api/files/ID/content (HTTP Range) */
	DV_SERVE_ROUTE_FILE_THUMB,    /* /api/files/ID/thumb (the JPEG's embedded preview) */
	DV_SERVE_ROUTE_FILE_EXIF,     /* /api/files/ID/exif (the EXIF panel) */
	DV_SERVE_ROUTE_CASE_FINDINGS, /* /api/cases/ID/findings (audit, radio, zones entries) */
	DV_SERVE_ROUTE_VERIFY,        /* /api/verify (starts or reports dv_verify) */
	DV_SERVE_ROUTE_CASE_PHOTOS,   /* /api/cases/ID/photos (GeoJSON: photo positions) */
	DV_SERVE_ROUTE_CASE_COVERAGE, /* /api/cases/ID/coverage (GeoJSON: footprints, coverage, holes) */
	DV_SERVE_ROUTE_CASE_ZONES,    /* /api/cases/ID/zones (GeoJSON: zones entered and geofence findings) */
	DV_SERVE_ROUTE_FILE_XMP       /* /api/files/ID/xmp (the XMP panel: DJI drone-dji fields) */
} dv_serve_route_kind;

/* Where a static file of the page comes from. */
typedef enum dv_static_root { DV_STATIC_WEB = 0, DV_STATIC_NPM = 1 } dv_static_root;

typedef struct dv_static_file {
	const char *url;          /* exact request path */
	dv_static_root root;      /* the page's directory or the npm modules */
	const char *rel;          /* path below that root (a constant: never from the request) */
	const char *content_type;
} dv_static_file;

/* The fixed table of static files ({NULL} terminated): nothing else is served
 * from disk, so no request path ever becomes a file name. */
extern const dv_static_file dv_static_files[];

typedef struct dv_serve_route {
	dv_serve_route_kind kind;
	int64_t id;               /* CASE*, FILE_*: a decimal id >= 1 */
	char flight[24];          /* TRACK: "F" and digits */
	int static_index;         /* STATIC: index into dv_static_files */
} dv_serve_route;

#define DV_SERVE_ROUTE_MAX_PATH 256

/*
 * Routes the raw (not percent-decoded) request path of n bytes. Only the
 * characters [A-Za-z0-9/._-] are accepted; '%' (so %2e%2e, %2f, %00),
 * backslashes, NUL bytes, "..", empty segments and anything longer than
 * DV_SERVE_ROUTE_MAX_PATH give DV_SERVE_ROUTE_NOTFOUND. Always fills *out.
 */
void dv_serve_route_parse(dv_serve_route *out, const char *path, size_t n);

/* ---- HTTP Range (range.c) -------------------------------------------------- */

typedef enum dv_range_result {
	DV_RANGE_NONE = 0,          /* no header, or one to ignore (multi-range,
	                               bad syntax, other unit): send 200 and all */
	DV_RANGE_ONE = 1,           /* send 206 with [*first, *last] (inclusive) */
	DV_RANGE_UNSATISFIABLE = 2  /* send 416 with Content-Range: bytes star/size */
} dv_range_result;

/*
 * One Range header value (RFC 9110 14.2) against a representation of size
 * bytes: "bytes=A-B", "bytes=A-", "bytes=-N" (optional spaces around the
 * numbers). Numbers of more than 19 digits are syntax errors; B is cut to
 * size - 1. value may be NULL (no header).
 */
dv_range_result dv_range_parse(uint64_t *first, uint64_t *last, const char *value, size_t n, uint64_t size);

/* ---- token and session (auth.c) -------------------------------------------------- */

#define DV_SERVE_SECRET_HEX 64   /* 32 random bytes as lowercase hex */

typedef struct dv_serve_auth {
	char token[DV_SERVE_SECRET_HEX + 1];    /* printed once in the URL */
	char session[DV_SERVE_SECRET_HEX + 1];  /* the cookie's value */
} dv_serve_auth;

/* Fresh random token and session secret (libsodium randombytes). */
int dv_serve_auth_init(dv_serve_auth *out);
/* Constant-time comparison of n bytes of a with the secret s (its length is
 * public: only same-length input is compared, in time independent of where
 * they differ). False for NULL. */
bool dv_serve_secret_eq(const char *s, const char *a, size_t n);
/* "Bearer <token>" (Authorization header value) */
bool dv_serve_auth_bearer_ok(const dv_serve_auth *a, const char *header);
/*
 * The Host header (n bytes) against the names this server answers to, so
 * that a page of another site whose name was made to resolve to us (DNS
 * rebinding) is refused: 127.0.0.1, localhost, [::1] and the --listen
 * address (listen, may be NULL; an IPv6 one in brackets), each with our
 * port, or with none when port is the scheme's default (80, 443 with tls).
 * Names compare without case; anything else (another name, port, junk)
 * is false.
 */
bool dv_serve_host_ok(const char *host, size_t n, const char *listen, uint16_t port, bool tls);



/* ---- the JSON API (api.c) ---------------------------------------------------- */
struct dv_vault;

/*
 * The JSON body for an API route (not STATIC, not FILE_CONTENT): *out
 * malloc'd (n bytes, NUL-terminated), *status the HTTP status (200, 404
 * for an unknown case/flight, 500 when the vault fails; the body then
 * says {"error": "..."}), *type the Content-Type.
 */
int dv_serve_api(char **out, size_t *n, unsigned *status, const char **type, struct dv_vault *v,
                 const dv_serve_route *r);

/* ---- thumbnails, EXIF and XMP, decoded in the sandboxed reader (thumb.c) ---- */
struct dv_blobstore;

/* What the reader decoded of one photo; each part malloc'd, NULL when none. */
typedef struct dv_serve_meta {
	uint8_t *thumb;    /* the JPEG's own embedded preview (checked: starts FF D8) */
	size_t thumb_len;
	char *exif;        /* {"IFD0": {"Make": "DJI", ...}, ...}, NUL-terminated */
	size_t exif_len;
	char *xmp;         /* {"drone-dji:GimbalPitchDegree": "-90.0", ...}, NUL-terminated */
	size_t xmp_len;
} dv_serve_meta;
void dv_serve_meta_free(dv_serve_meta *m);

/* The long-lived thumbnail reader: one dv-reader job for the server's
 * life, run by a thread of its own, started on first use and again when it
 * died; given up (one job per photo from then on) when it hangs. */
typedef struct dv_serve_thumbs dv_serve_thumbs;
int dv_serve_thumbs_new(dv_serve_thumbs **out);
void dv_serve_thumbs_free(dv_serve_thumbs *t);
/* reader processes started so far */
uint64_t dv_serve_thumbs_jobs(dv_serve_thumbs *t);

/*
 * The photo in blob (plaintext size bytes), its first 256 KiB decoded by
 * dv-reader's "thumb" job: through t, or (t NULL) a job of its own. The
 * parent checks sizes, the base64 and the JPEG start marker only.
 */
int dv_serve_thumb(dv_serve_meta *out, dv_serve_thumbs *t, struct dv_blobstore *bs, const char *blob, uint64_t size);
/* The job (runs inside dv-reader): frames at DV_READER_OUT_FD, answers by dv_reader_ask. */
int dv_serve_thumb_job(int argc, char **argv);

#endif
