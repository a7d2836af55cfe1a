/*
 * dv/scan.h - looks for readable evidence in cleartext payloads: decimal
 * coordinates (a latitude/longitude pair, or a lat/lon-named value), JPEG
 * and EXIF headers, MP4 'ftyp' boxes, and DJI flight-record markers.
 * Works on any byte buffer (one packet's payload); hits carry the offset
 * and a printable excerpt.
 */
#ifndef DV_SCAN_H
#define DV_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum dv_scan_kind {
	DV_SCAN_COORD = 1,     /* latitude/longitude in text */
	DV_SCAN_JPEG,          /* FF D8 FF */
	DV_SCAN_EXIF,          /* "Exif\0\0" APP1 header (may carry GPS) */
	DV_SCAN_MP4,           /* ISO-BMFF ftyp box */
	DV_SCAN_DJI_LOG        /* DJI flight-record / DAT log markers */
} dv_scan_kind;

typedef struct dv_scan_hit {
	dv_scan_kind kind;
	size_t offset;         /* in the scanned buffer */
	double lat, lon;       /* for DV_SCAN_COORD (lon may be NAN when only a lat was named) */
	char excerpt[72];      /* printable, '.' for other bytes */
} dv_scan_hit;

/* Name of a kind: "coordinates", "jpeg", ... */
const char *dv_scan_kind_name(dv_scan_kind k);

/* Scans p[0..n); writes at most max hits; returns how many were written. */
size_t dv_scan_payload(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t max);

#endif
