/*
 * audit/code_int.h - executable content in a downloaded HTTP body, by magic
 * bytes (issue 13: malware or updates pushed to the pilot's phone): APK/JAR
 * and other zips of code, DEX, ELF (.so), PE, firmware images.
 */
#ifndef DV_AUDIT_CODE_INT_H
#define DV_AUDIT_CODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dv/audit.h"

/* When p[0..n) is an HTTP response whose body (in this segment) starts with
 * executable content: 1 with *hit (kind DV_SCAN_CODE, offset of the body,
 * excerpt naming the type); else 0. */
int dv__code_magic(const uint8_t *p, size_t n, dv_scan_hit *hit);

#endif
