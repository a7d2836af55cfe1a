/*
 * code.c - executable content at the start of an HTTP response body,
 * recognised by magic bytes only (never by a file name alone): ELF, DEX,
 * PE, zip archives whose first entry is code (APK, JAR, .so, .dex, .exe),
 * and firmware images (Android boot/sparse, U-Boot uImage, SquashFS, DJI
 * "IM*H" module containers).
 */
#include <stdio.h>
#include <string.h>

#include "audit/code_int.h"
#include "core/rd_int.h"

static int has_suffix(const uint8_t *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	if (n < k) return 0;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = s[n - k + i];
		if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
		if (c != (uint8_t)suf[i]) return 0;
	}
	return 1;
}

/* What the body b[0..n) is, or NULL. */
static const char *kind_of(const uint8_t *b, size_t n)
{
	if (n >= 18 && !memcmp(b, "\x7f" "ELF", 4)) {
		dv_rd r = dv_rd_init(b, n, "body", 0);
		uint16_t t = 0;
		(void)dv_rd_skip(&r, 16);
		(void)(b[5] == 2 ? dv_rd_u16be(&r, &t) : dv_rd_u16le(&r, &t));
		return t == 3 ? "ELF shared object (.so) or PIE executable" : "ELF executable";
	}
	if (n >= 8 && !memcmp(b, "dex\n0", 5)) return "Android DEX bytecode";
	if (n >= 0x40 && b[0] == 'M' && b[1] == 'Z') {
		dv_rd r = dv_rd_init(b, n, "body", 0);
		uint32_t pe = 0;
		(void)dv_rd_skip(&r, 0x3c);
		(void)dv_rd_u32le(&r, &pe);
		if (pe <= n - 4 && !memcmp(b + pe, "PE\0\0", 4)) return "Windows PE executable";
	}
	if (n >= 30 && !memcmp(b, "PK\x03\x04", 4)) {
		dv_rd r = dv_rd_init(b, n, "body", 0);
		uint16_t nl = 0;
		(void)dv_rd_skip(&r, 26);
		(void)dv_rd_u16le(&r, &nl);
		const uint8_t *name;
		if (dv_rd_skip(&r, 2) == 0 && dv_rd_view(&r, nl, &name) == 0) {
			if ((nl == 19 && !memcmp(name, "AndroidManifest.xml", 19)) || (nl == 11 && !memcmp(name, "classes.dex", 11)) ||
			    (nl >= 9 && !memcmp(name, "META-INF/", 9)) || has_suffix(name, nl, ".apk"))
				return "zip archive of Android/Java code (APK or JAR)";
			if (has_suffix(name, nl, ".so") || has_suffix(name, nl, ".dex") || has_suffix(name, nl, ".exe") ||
			    has_suffix(name, nl, ".dll") || has_suffix(name, nl, ".elf") || has_suffix(name, nl, ".bin") ||
			    has_suffix(name, nl, ".img") || has_suffix(name, nl, ".sig"))
				return "zip archive holding code or a firmware image";
		}
	}
	if (n >= 8 && !memcmp(b, "ANDROID!", 8)) return "Android boot image (firmware)";
	if (n >= 4 && !memcmp(b, "\x3a\xff\x26\xed", 4)) return "Android sparse image (firmware)";
	if (n >= 4 && !memcmp(b, "\x27\x05\x19\x56", 4)) return "U-Boot uImage (firmware)";
	if (n >= 4 && (!memcmp(b, "hsqs", 4) || !memcmp(b, "sqsh", 4))) return "SquashFS image (firmware)";
	if (n >= 4 && !memcmp(b, "IM*H", 4)) return "DJI firmware module (IM*H container)";
	return NULL;
}

int dv__code_magic(const uint8_t *p, size_t n, dv_scan_hit *hit)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7)) return 0;
	size_t body = 0;
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
			body = i + 4;
			break;
		}
	if (!body || body >= n) return 0;
	const char *k = kind_of(p + body, n - body);
	if (!k) return 0;
	memset(hit, 0, sizeof(*hit));
	hit->kind = DV_SCAN_CODE;
	hit->offset = body;
	snprintf(hit->excerpt, sizeof(hit->excerpt), "%s", k);
	return 1;
}
