/*
 * scan.c - the cleartext payload scanner. Pure byte matching, no regex,
 * no strtod: numbers are read digit by digit with fixed limits.
 */
#include <math.h>
#include <string.h>

#include "dv/scan.h"

const char *dv_scan_kind_name(dv_scan_kind k)
{
	switch (k) {
	case DV_SCAN_COORD: return "coordinates";
	case DV_SCAN_JPEG: return "jpeg";
	case DV_SCAN_EXIF: return "exif";
	case DV_SCAN_MP4: return "mp4";
	case DV_SCAN_DJI_LOG: return "dji-flight-record";
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

size_t dv_scan_payload(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t max)
{
	size_t nh = 0;
	for (size_t i = 0; i < n && nh < max; i++) {
		uint8_t c = p[i];
		dv_scan_hit *h = &hits[nh];
		if (c == 0xff && i + 3 < n && p[i + 1] == 0xd8 && p[i + 2] == 0xff &&
		    (p[i + 3] == 0xe0 || p[i + 3] == 0xe1 || p[i + 3] == 0xdb || p[i + 3] == 0xee)) {
			h->kind = DV_SCAN_JPEG;
		} else if (c == 'E' && i + 6 <= n && !memcmp(p + i, "Exif\0\0", 6)) {
			h->kind = DV_SCAN_EXIF;
		} else if (c == 'f' && i >= 4 && i + 8 <= n && !memcmp(p + i, "ftyp", 4) &&
		           p[i - 4] == 0 && p[i - 3] == 0 && p[i - 2] == 0 && p[i - 1] >= 12 && p[i - 1] <= 64 &&
		           is_alnum(p[i + 4]) && is_alnum(p[i + 5])) {
			h->kind = DV_SCAN_MP4;
		} else if (c == 'D' && i + 15 <= n && !memcmp(p + i, "DJIFlightRecord", 15)) {
			h->kind = DV_SCAN_DJI_LOG;
		} else if (is_digit(c) || c == '-') {
			double a, b;
			size_t la = read_decimal(p, n, i, &a);
			if (!la) continue;
			int lat_key = key_before(p, i, "lat");
			int pair = 0;
			if (fabs(a) <= 90) {
				for (size_t j = i + la; j < n && j < i + la + 24; j++) {
					if (is_digit(p[j]) || p[j] == '-') {
						size_t lb = read_decimal(p, n, j, &b);
						if (lb && fabs(b) <= 180) pair = 1;
						break;
					}
					if (p[j] == '\n') break;
				}
			}
			if (!(pair && (a != 0 || b != 0)) && !(lat_key && fabs(a) <= 90 && a != 0)) {
				i += la - 1;
				continue;
			}
			h->kind = DV_SCAN_COORD;
			h->lat = a;
			h->lon = pair ? b : NAN;
			h->offset = i;
			excerpt(h->excerpt, sizeof(h->excerpt), p, n, i);
			nh++;
			i += la + 24; /* skip the partner number */
			continue;
		} else {
			continue;
		}
		h->offset = h->kind == DV_SCAN_MP4 ? i - 4 : i;
		h->lat = h->lon = NAN;
		excerpt(h->excerpt, sizeof(h->excerpt), p, n, i);
		nh++;
	}
	return nh;
}
