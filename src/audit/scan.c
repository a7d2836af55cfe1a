/*
 * scan.c - the cleartext payload scanner. Pure byte matching, no regex,
 * no strtod: numbers are read digit by digit with fixed limits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/scan_int.h"

const char *dv_scan_kind_name(dv_scan_kind k)
{
	switch (k) {
	case DV_SCAN_COORD: return "coordinates";
	case DV_SCAN_JPEG: return "jpeg";
	case DV_SCAN_EXIF: return "exif";
	case DV_SCAN_MP4: return "mp4";
	case DV_SCAN_DJI_LOG: return "dji-flight-record";
	case DV_SCAN_CODE: return "executable";
	}
	return "?";
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_alnum(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* A decimal like -37.81234 at p[i]: 1-3 integer digits, 4-12 decimals.
 * Returns its length (0 when none) and the value. */
static size_t read_decimal(const uint8_t *p, size_t n, size_t i, double *v)
{
	size_t s = i, k = i;
	int neg = 0, id = 0, fd = 0;
	double x = 0, scale = 1;
	if (i > 0 && (is_digit(p[i - 1]) || p[i - 1] == '.')) return 0;
	if (k < n && (p[k] == '-' || p[k] == '+')) { neg = p[k] == '-'; k++; }
	while (k < n && is_digit(p[k]) && id < 4) { x = x * 10 + (p[k] - '0'); k++; id++; }
	if (id == 0 || id > 3 || k >= n || p[k] != '.') return 0;
	k++;
	while (k < n && is_digit(p[k]) && fd < 13) { scale /= 10; x += (p[k] - '0') * scale; k++; fd++; }
	if (fd < 4 || fd > 12 || (k < n && (is_digit(p[k]) || p[k] == '.'))) return 0;
	*v = neg ? -x : x;
	return k - s;
}

static void excerpt(char *out, size_t osz, const uint8_t *p, size_t n, size_t at)
{
	size_t from = at > 16 ? at - 16 : 0, o = 0;
	for (size_t i = from; i < n && o + 1 < osz; i++)
		out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
	out[o] = 0;
}

static int key_before(const uint8_t *p, size_t i, const char *key)
{
	/* a "lat"/"lon"-like key ending within 6 bytes before i */
	size_t kl = strlen(key);
	size_t lo = i > kl + 6 ? i - kl - 6 : 0;
	for (size_t s = lo; s + kl <= i; s++) {
		size_t j = 0;
		while (j < kl && (p[s + j] | 0x20) == key[j]) j++;
		if (j == kl && (s == 0 || !is_alnum(p[s - 1]))) return 1;
	}
	return 0;
}

static void add_hit(dv_scan_hit *hits, size_t *nh, size_t max, dv_scan_kind k, const uint8_t *p, size_t n, size_t at)
{
	if (*nh >= max) return;
	dv_scan_hit *h = &hits[(*nh)++];
	h->kind = k;
	h->offset = at;
	h->lat = h->lon = NAN;
	excerpt(h->excerpt, sizeof(h->excerpt), p, n, at);
}

/*
 * The fixed markers, found with memchr (SIMD in glibc) on one byte of each
 * and then compared: 0xff for JPEG, 'f' for "Exif" and "ftyp", 'J' for
 * "DJIFlightRecord". memmem was the scanner's main cost on binary uploads.
 */
static void find_markers(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t *nh, size_t max)
{
	size_t pos = 0;
	while (*nh < max && pos < n) {
		const uint8_t *q = memchr(p + pos, 0xff, n - pos);
		if (!q) break;
		size_t i = (size_t)(q - p);
		if (i + 3 < n && p[i + 1] == 0xd8 && p[i + 2] == 0xff &&
		    (p[i + 3] == 0xe0 || p[i + 3] == 0xe1 || p[i + 3] == 0xdb || p[i + 3] == 0xee))
			add_hit(hits, nh, max, DV_SCAN_JPEG, p, n, i);
		pos = i + 1;
	}
	pos = 0;
	while (*nh < max && pos < n) {
		const uint8_t *q = memchr(p + pos, 'f', n - pos);
		if (!q) break;
		size_t i = (size_t)(q - p);
		if (i >= 3 && i + 3 <= n && !memcmp(p + i - 3, "Exif\0\0", 6))
			add_hit(hits, nh, max, DV_SCAN_EXIF, p, n, i - 3);
		else if (i >= 4 && i + 6 <= n && p[i + 1] == 't' && p[i + 2] == 'y' && p[i + 3] == 'p' &&
		         p[i - 4] == 0 && p[i - 3] == 0 && p[i - 2] == 0 && p[i - 1] >= 12 && p[i - 1] <= 64 &&
		         is_alnum(p[i + 4]) && is_alnum(p[i + 5]))
			add_hit(hits, nh, max, DV_SCAN_MP4, p, n, i - 4);
		pos = i + 1;
	}
	pos = 0;
	while (*nh < max && pos < n) {
		const uint8_t *q = memchr(p + pos, 'J', n - pos);
		if (!q) break;
		size_t i = (size_t)(q - p);
		if (i >= 1 && i + 14 <= n && !memcmp(p + i - 1, "DJIFlightRecord", 15))
			add_hit(hits, nh, max, DV_SCAN_DJI_LOG, p, n, i - 1);
		pos = i + 1;
	}
}

/*
 * Coordinates: every '.' (memchr) with 1-3 digits before it is a candidate;
 * read_decimal decides. A latitude-range value followed within 24 bytes on
 * the same line by a longitude-range value is a pair; a lone value right
 * after a "lat" key counts too.
 */
static void find_coords(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t *nh, size_t max)
{
	size_t pos = 0;
	while (*nh < max && pos < n) {
		const uint8_t *q = memchr(p + pos, '.', n - pos);
		if (!q) return;
		size_t dot = (size_t)(q - p), st = dot;
		int id = 0;
		pos = dot + 1;
		while (st > 0 && is_digit(p[st - 1]) && id < 4) { st--; id++; }
		if (id < 1 || id > 3) continue;
		if (st > 0 && (p[st - 1] == '-' || p[st - 1] == '+')) st--;
		double a, b = 0;
		size_t la = read_decimal(p, n, st, &a);
		if (!la) continue;
		int pair = 0;
		size_t pend = st + la;
		if (fabs(a) <= 90) {
			for (size_t j = st + la; j < n && j < st + la + 24; j++) {
				if (is_digit(p[j]) || p[j] == '-') {
					size_t lb = read_decimal(p, n, j, &b);
					if (lb && fabs(b) <= 180) { pair = 1; pend = j + lb; }
					break;
				}
				if (p[j] == '\n') break;
			}
		}
		int lat_key = key_before(p, st, "lat");
		if ((pair && (a != 0 || b != 0)) || (lat_key && fabs(a) <= 90 && a != 0)) {
			if (*nh >= max) return;
			dv_scan_hit *h = &hits[(*nh)++];
			h->kind = DV_SCAN_COORD;
			h->offset = st;
			h->lat = a;
			h->lon = pair ? b : NAN;
			excerpt(h->excerpt, sizeof(h->excerpt), p, n, st);
			pos = pend; /* the partner is part of this hit */
		} else {
			pos = st + la;
		}
	}
}

static int by_offset(const void *x, const void *y)
{
	const dv_scan_hit *a = x, *b = y;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

size_t dv_scan_payload(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t max)
{
	size_t nh = 0;
	if (!n || !max) return 0;
	find_markers(p, n, hits, &nh, max);
	find_coords(p, n, hits, &nh, max);
	if (nh > 1) qsort(hits, nh, sizeof(*hits), by_offset);
	return nh;
}
