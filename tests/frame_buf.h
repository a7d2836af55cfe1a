/*
 * frame_buf.h - the byte builder the audit, snapshot and capture tests use
 * to make synthetic frames: a fixed buffer and big/little-endian appends.
 * Test code only (the sizes are the tests' own).
 */
#ifndef DV_TESTS_FRAME_BUF_H
#define DV_TESTS_FRAME_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct buf {
	uint8_t b[4096];
	size_t n;
} buf;

static inline void put(buf *b, const void *p, size_t n) { if (n) memcpy(b->b + b->n, p, n); b->n += n; }
static inline void put8(buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static inline void put16(buf *b, unsigned v) { put8(b, v >> 8); put8(b, v & 0xff); }
static inline void put16le(buf *b, unsigned v) { put8(b, v & 0xff); put8(b, v >> 8); }
static inline void put32(buf *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }
static inline void put32le(buf *b, uint32_t v) { put16le(b, v & 0xffff); put16le(b, v >> 16); }

#endif
