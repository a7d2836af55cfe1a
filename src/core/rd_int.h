/*
 * dv/rd.h - the bounds-checked byte reader every parser goes through.
 *
 * A dv_rd is a cursor over a borrowed buffer. Every get either consumes
 * exactly the bytes it names or fails with DV_ETRUNC and leaves the cursor
 * where it was; lengths read from the input are compared against what
 * remains (subtracting from known sizes, never adding untrusted ones).
 * Errors name the reader's `name` (a file name) and the absolute offset
 * `base + pos`, so a parser only has to propagate them.
 *
 *     dv_rd r = dv_rd_init(buf, len, "DJI_0001.JPG", 0);
 *     uint16_t marker;
 *     if (dv_rd_u16be(&r, &marker) < 0) return -1;   // dv_error_text() says where
 *
 * Everything is inline: a parser pays for the checks it makes, nothing more.
 */
#ifndef DV_RD_H
#define DV_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dv/err.h"

typedef struct dv_rd {
	const uint8_t *p;  /* start of the buffer (borrowed) */
	size_t len;        /* bytes in the buffer */
	size_t pos;        /* next byte to read, 0 <= pos <= len */
	int64_t base;      /* absolute offset of p[0] in the named file */
	const char *name;  /* file the bytes came from, for errors (borrowed) */
} dv_rd;

static inline dv_rd dv_rd_init(const void *p, size_t len, const char *name, int64_t base)
{
	dv_rd r = { (const uint8_t *)p, len, 0, base, name };
	return r;
}

static inline size_t dv_rd_left(const dv_rd *r) { return r->len - r->pos; }
static inline int64_t dv_rd_offset(const dv_rd *r) { return r->base + (int64_t)r->pos; }
static inline const uint8_t *dv_rd_ptr(const dv_rd *r) { return r->p + r->pos; }

/* Sets DV_ETRUNC naming what was expected; returns DV_ETRUNC. */
int dv_rd_short(const dv_rd *r, size_t want, const char *what);

static inline int dv_rd_need(const dv_rd *r, size_t n, const char *what)
{
	return n <= r->len - r->pos ? 0 : dv_rd_short(r, n, what);
}

static inline int dv_rd_skip(dv_rd *r, size_t n)
{
	if (dv_rd_need(r, n, "skip") < 0) return DV_ETRUNC;
	r->pos += n;
	return 0;
}

/* Borrows n bytes in place: *out points into the buffer. */
static inline int dv_rd_view(dv_rd *r, size_t n, const uint8_t **out)
{
	if (dv_rd_need(r, n, "bytes") < 0) return DV_ETRUNC;
	*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

static inline int dv_rd_bytes(dv_rd *r, void *out, size_t n)
{
	if (dv_rd_need(r, n, "bytes") < 0) return DV_ETRUNC;
	memcpy(out, r->p + r->pos, n);
	r->pos += n;
	return 0;
}

/* A sub-reader over the next n bytes; the parent moves past them. */
static inline int dv_rd_sub(dv_rd *r, size_t n, dv_rd *out)
{
	if (dv_rd_need(r, n, "sub-record") < 0) return DV_ETRUNC;
	*out = dv_rd_init(r->p + r->pos, n, r->name, dv_rd_offset(r));
	r->pos += n;
	return 0;
}

/* Moves to an absolute position within the buffer (e.g. an IFD offset). */
static inline int dv_rd_seek(dv_rd *r, size_t pos)
{
	if (pos > r->len)
		return dv_rd_short(r, pos - r->pos, "seek target");
	r->pos = pos;
	return 0;
}

#define DV_RD_GET(name, type, n, expr)                                  \
	static inline int dv_rd_##name(dv_rd *r, type *out)             \
	{                                                               \
		if (dv_rd_need(r, n, #name) < 0) return DV_ETRUNC;      \
		const uint8_t *b = r->p + r->pos;                       \
		*out = (type)(expr);                                    \
		r->pos += n;                                            \
		return 0;                                               \
	}

DV_RD_GET(u8, uint8_t, 1, b[0])
DV_RD_GET(u16be, uint16_t, 2, ((uint16_t)b[0] << 8) | b[1])
DV_RD_GET(u16le, uint16_t, 2, ((uint16_t)b[1] << 8) | b[0])
DV_RD_GET(u32be, uint32_t, 4, ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3])
DV_RD_GET(u32le, uint32_t, 4, ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[1] << 8) | b[0])
DV_RD_GET(u64be, uint64_t, 8, ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) | ((uint64_t)b[2] << 40) | ((uint64_t)b[3] << 32) | ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) | ((uint64_t)b[6] << 8) | b[7])
DV_RD_GET(u64le, uint64_t, 8, ((uint64_t)b[7] << 56) | ((uint64_t)b[6] << 48) | ((uint64_t)b[5] << 40) | ((uint64_t)b[4] << 32) | ((uint64_t)b[3] << 24) | ((uint64_t)b[2] << 16) | ((uint64_t)b[1] << 8) | b[0])
#undef DV_RD_GET

/* Little helpers for writers of the same formats. */
static inline void dv_put_u32be(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
}
static inline void dv_put_u64be(uint8_t *b, uint64_t v)
{
	dv_put_u32be(b, (uint32_t)(v >> 32));
	dv_put_u32be(b + 4, (uint32_t)v);
}

#endif
