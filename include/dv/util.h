/*
 * dv/util.h - small helpers shared by every area: hex, time, durable file
 * writes, safe relative paths.
 */
#ifndef DV_UTIL_H
#define DV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes 2*n lowercase hex digits and a NUL into out (size >= 2*n+1). */
void dv_hex(char *out, const void *in, size_t n);
/* Parses exactly 2*n hex digits from s; 0 or DV_EINVAL. */
int dv_unhex(void *out, size_t n, const char *s);
/* As dv_unhex, but only the lower-case form dv_hex writes: for a value read
 * back from a file whose bytes are authenticated by what they decode to (a
 * MAC in hex), where "A" for "a" would be a change no check could see. */
int dv_unhex_canonical(void *out, size_t n, const char *s);

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t dv_now_ns(void);

/*
 * A growing array: makes room for one more element after *n in *items
 * (elements of elem bytes; *cap counts them, doubled from first). 0, or
 * DV_ENOMEM (error set) with the array as it was: the caller frees it.
 * Use: if ((rc = dv_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 16)) < 0) return rc;
 *      l->v[l->n++] = x;
 */
int dv_grow(void *items, size_t *cap, size_t n, size_t elem, size_t first);

/*
 * The origin of an http(s) URL, bounded and strict: "http(s)://HOST[:PORT]"
 * then rest (what follows: "" or from the first '/'). HOST is letters,
 * digits, '.' and '-' (1 to max_host bytes), or with allow_ipv6 a
 * bracketed IPv6 literal; PORT 1 to 65535 (0 when none given). loopback:
 * HOST is localhost, [::1] or a 127.x.y.z literal (not 127.0.0.1.example.org).
 * 0, or DV_EINVAL with a message that starts with what ("map.tiles", "the
 * S3 endpoint") and names the url.
 */
typedef struct dv_url_origin {
	bool https, loopback;
	const char *host;  /* into the URL, host_len bytes */
	size_t host_len;
	long port;
	const char *rest;
} dv_url_origin;
int dv_url_origin_parse(dv_url_origin *out, const char *url, const char *what, size_t max_host, bool allow_ipv6);
/* "2026-11-24T21:30:00.123Z" from ns since the epoch, into buf (>= 32). */
void dv_time_iso(char *buf, size_t size, int64_t ns);

/* write(2) all of it, retrying EINTR; errors name path. */
int dv_write_all(int fd, const void *buf, size_t n, const char *path);
/* pread(2) exactly n bytes unless EOF; *got says how many. */
int dv_pread_full(int fd, void *buf, size_t n, int64_t off, size_t *got, const char *path);
/* Creates name in the directory dfd (0600, never over an existing file, no
 * link followed), writes n bytes and fsyncs it; what names it in errors. */
int dv_write_new_at(int dfd, const char *name, const void *p, size_t n, const char *what);
/* fsync(2) with an error naming path. */
int dv_fsync(int fd, const char *path);
/* Opens the directory and fsyncs it (makes renames and creations durable). */
int dv_fsync_dir(const char *dir);
/* mkdir -p with mode 0700 for the parts it creates. */
int dv_mkdir_p(const char *path);
/* Reads a whole (small) file, capped at max bytes; caller frees *out. */
int dv_read_file(uint8_t **out, size_t *len, const char *path, size_t max);
/* Writes a file atomically: tmp, fsync, rename, fsync dir. */
int dv_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode);

/*
 * True when rel is a safe relative path to recreate under a directory:
 * not empty, not absolute, no "." or ".." component, no empty component,
 * no control characters. Paths come from hostile cards.
 */
bool dv_path_is_safe_relative(const char *rel);

/*
 * Makes s safe to show on a terminal (names from a card are hostile: an
 * ESC sequence can rewrite the screen): control bytes become \n \t \r \e
 * or \xHH, DEL \x7f, a backslash \\, bytes that are not valid UTF-8 and
 * the C1 controls U+0080..U+009F \xHH per byte; printable UTF-8 is kept.
 * Writes at most size-1 bytes and a NUL (size > 0; cut at a character) and
 * returns the length the whole escaped string needs (like snprintf).
 */
size_t dv_escape_term(char *out, size_t size, const char *s);
/* The same, malloc'd (NULL when out of memory). */
char *dv_escape_term_dup(const char *s);

/* Copies src into dst (size > 0), truncating; returns strlen(src). */
size_t dv_strlcpy(char *dst, const char *src, size_t size);

/* snprintf into a fixed buffer; DV_EINVAL naming what when it does not fit. */
int dv_pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
