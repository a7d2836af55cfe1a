/*
 * audit/scan_int.h - looks for readable evidence in cleartext payloads: decimal
 * coordinates (a latitude/longitude pair, or a lat/lon-named value), JPEG
 * and EXIF headers, MP4 'ftyp' boxes, and DJI flight-record markers.
 * Works on any byte buffer (one packet's payload); hits carry the offset
 * and a printable excerpt.
 */
#ifndef DV_AUDIT_SCAN_INT_H
#define DV_AUDIT_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dv/audit.h"

/* dv_scan_kind, dv_scan_hit, dv_scan_kind_name: dv/audit.h */

/* Scans p[0..n); writes at most max hits; returns how many were written. */
size_t dv_scan_payload(const uint8_t *p, size_t n, dv_scan_hit *hits, size_t max);

#endif
