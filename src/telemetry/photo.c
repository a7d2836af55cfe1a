/*
 * photo.c - the JPEG marker walk (and the TIFF head) behind dv/photo.h.
 *
 *   FF D8                       SOI
 *   FF xx LL LL payload[LL-2]   segments; LL counts itself
 *   FF DA ...                   SOS: image data follows, we stop here
 *
 * The walk reads through a small source abstraction so that a file is read
 * with pread (only the bytes named above) and a buffer is read in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"
#include "telemetry/photo_int.h"
#include "core/rd_int.h"
#include "dv/util.h"
#include "tele_int.h"

typedef struct src {
	int fd;                 /* file, or -1 */
	const uint8_t *mem;     /* buffer when fd < 0 */
	size_t mem_len;
	const char *name;
	uint64_t bytes_read;
} src;

/* Up to n bytes at off into buf; *got says how many (short at EOF). */
static int src_read(src *s, uint64_t off, void *buf, size_t n, size_t *got)
{
	if (s->fd < 0) {
		*got = off >= s->mem_len ? 0 : (s->mem_len - off < n ? (size_t)(s->mem_len - off) : n);
		if (*got) memcpy(buf, s->mem + off, *got);
		s->bytes_read += *got;
		return 0;
	}
	int rc = dv_pread_full(s->fd, buf, n, (int64_t)off, got, s->name);
	s->bytes_read += *got;
	return rc;
}

static void warn(dv_photo *p, int64_t off, const char *what)
{
	if (p->warnings++ == 0)
		snprintf(p->first_warning, sizeof(p->first_warning), "offset %lld: %s", (long long)off, what);
}

static void init(dv_photo *p)
{
	memset(p, 0, sizeof(*p));
	p->width = p->height = -1;
}

static const char XMP_SIG[] = "http://ns.adobe.com/xap/1.0/"; /* + NUL */

static int walk_jpeg(dv_photo *p, src *s)
{
	uint64_t pos = 2;
	static _Thread_local uint8_t seg[65536];
	for (unsigned n = 0; n < DV_PHOTO_MAX_SEGMENTS; n++) {
		uint8_t hdr[4];
		size_t got;
		int rc = src_read(s, pos, hdr, sizeof(hdr), &got);
		if (rc < 0) return rc;
		dv_rd r = dv_rd_init(hdr, got, s->name, (int64_t)pos);
		uint8_t ff, m;
		if (dv_rd_u8(&r, &ff) < 0 || dv_rd_u8(&r, &m) < 0) {
			warn(p, (int64_t)pos, "truncated JPEG: file ends before SOS");
			return 0;
		}
		if (ff != 0xFF) {
			warn(p, (int64_t)pos, "not a JPEG marker: stopped reading headers");
			return 0;
		}
		if (m == 0xFF) { /* fill byte */
			pos += 1;
			continue;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
			pos += 2;
			continue;
		}
		if (m == 0xDA || m == 0xD9) return 0; /* image data or end: done */
		uint16_t len;
		if (dv_rd_u16be(&r, &len) < 0) {
			warn(p, (int64_t)pos, "truncated JPEG: segment header cut");
			return 0;
		}
		if (len < 2) {
			warn(p, (int64_t)pos, "JPEG segment length below 2");
			return 0;
		}
		size_t plen = (size_t)len - 2;
		uint64_t poff = pos + 4;
		bool want_app1 = m == 0xE1 && (!p->has_exif || !p->has_xmp);
		bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
		if (want_app1) {
			/* peek at the signature: other APP1 payloads (FLIR FFF,
			 * extended XMP, ...) are skipped without being read */
			uint8_t sig[sizeof(XMP_SIG)];
			size_t sl = plen < sizeof(sig) ? plen : sizeof(sig);
			rc = src_read(s, poff, sig, sl, &got);
			if (rc < 0) return rc;
			bool exif = got >= 6 && !memcmp(sig, "Exif\0\0", 6) && !p->has_exif;
			bool xmp = got == sizeof(sig) && !memcmp(sig, XMP_SIG, sizeof(sig)) && !p->has_xmp;
			want_app1 = exif || xmp;
			if (!want_app1 && got < sl) {
				warn(p, (int64_t)poff, "truncated JPEG: segment cut short");
				return 0;
			}
		}
		if (want_app1 || (sof && p->width < 0)) {
			size_t want = sof ? (plen < 5 ? plen : 5) : plen;
			rc = src_read(s, poff, seg, want, &got);
			if (rc < 0) return rc;
			dv_rd pr = dv_rd_init(seg, got, s->name, (int64_t)poff);
			if (got < want) warn(p, (int64_t)poff, "truncated JPEG: segment cut short");
			if (sof) {
				uint8_t prec;
				uint16_t h, w;
				if (dv_rd_u8(&pr, &prec) == 0 && dv_rd_u16be(&pr, &h) == 0 && dv_rd_u16be(&pr, &w) == 0) {
					p->width = w;
					p->height = h;
				}
			} else if (got >= 6 && !memcmp(seg, "Exif\0\0", 6) && !p->has_exif) {
				if (dv_exif_parse(&p->exif, seg, got, s->name) == 0) p->has_exif = true;
				else warn(p, (int64_t)poff, "unreadable EXIF block");
			} else if (got >= sizeof(XMP_SIG) && !memcmp(seg, XMP_SIG, sizeof(XMP_SIG)) && !p->has_xmp) {
				const uint8_t *x;
				dv_rd_skip(&pr, sizeof(XMP_SIG));
				size_t xl = dv_rd_left(&pr);
				if (dv_rd_view(&pr, xl, &x) == 0) {
					int xr = dv_xmp_parse(&p->xmp, x, xl, s->name);
					if (xr == 0) p->has_xmp = true;
					else {
						dv_xmp_dispose(&p->xmp);
						warn(p, (int64_t)poff, "unreadable XMP packet");
					}
				}
			}
			if (got < want) return 0;
		}
		pos = poff + plen;
	}
	warn(p, (int64_t)pos, "more than DV_PHOTO_MAX_SEGMENTS segments: stopped");
	return 0;
}

static int parse(dv_photo *p, src *s)
{
	uint8_t magic[4];
	size_t got;
	int rc = src_read(s, 0, magic, sizeof(magic), &got);
	if (rc < 0) return rc;
	if (got >= 2 && magic[0] == 0xFF && magic[1] == 0xD8) {
		p->kind = DV_PHOTO_JPEG;
		rc = walk_jpeg(p, s);
	} else if (got == 4 && ((!memcmp(magic, "II*", 3) && magic[3] == 0) || !memcmp(magic, "MM\0*", 4))) {
		p->kind = DV_PHOTO_TIFF;
		/* libexif wants the "Exif\0\0" header in front of the TIFF bytes */
		uint8_t *head = malloc(DV_PHOTO_TIFF_HEAD + 6);
		if (!head) return dv_error_set(DV_ENOMEM, s->name, -1, "cannot allocate tiff head");
		memcpy(head, "Exif\0\0", 6);
		rc = src_read(s, 0, head + 6, DV_PHOTO_TIFF_HEAD, &got);
		if (rc == 0) {
			if (dv_exif_parse(&p->exif, head, got + 6, s->name) == 0) p->has_exif = true;
			else warn(p, 0, "unreadable TIFF/EXIF header");
		}
		free(head);
	} else {
		rc = dv_error_set(DV_EUNSUPPORTED, s->name, 0, "not a JPEG or TIFF photo");
	}
	p->bytes_read = s->bytes_read;
	return rc;
}

int dv_photo_parse_mem(dv_photo *out, const void *buf, size_t len, const char *name)
{
	init(out);
	src s = { -1, buf, len, name ? name : "", 0 };
	return parse(out, &s);
}

int dv_photo_read_file(dv_photo *out, const char *path)
{
	init(out);
	int fd = dv__open_regular(path);
	if (fd < 0) return fd;
	src s = { fd, NULL, 0, path, 0 };
	int rc = parse(out, &s);
	close(fd);
	return rc;
}

void dv_photo_dispose(dv_photo *p)
{
	if (!p) return;
	if (p->has_xmp) dv_xmp_dispose(&p->xmp);
	p->has_xmp = false;
}
