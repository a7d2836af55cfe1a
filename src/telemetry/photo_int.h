/*
 * dv/photo.h - what a DJI photo says about itself: EXIF (dv/exif.h), DJI
 * XMP (dv/xmp.h) and the frame size, read from the headers only.
 *
 * JPEG: the marker segments from SOI up to SOS are walked with bounded
 * reads; only the APP1 Exif payload, the first APP1 XMP packet and the SOF
 * header are read, every other segment is skipped by its length, and the
 * image data after SOS is never touched. At most DV_PHOTO_MAX_SEGMENTS
 * segments are walked. TIFF/DNG: the first DV_PHOTO_TIFF_HEAD bytes are
 * handed to libexif.
 */
#ifndef DV_PHOTO_H
#define DV_PHOTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/telemetry.h"
#include "telemetry/exif_int.h"
#include "telemetry/xmp_int.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_PHOTO_MAX_SEGMENTS 4096
#define DV_PHOTO_TIFF_HEAD (1u << 20)

typedef enum dv_photo_kind {
	DV_PHOTO_UNKNOWN = 0,
	DV_PHOTO_JPEG = 1,
	DV_PHOTO_TIFF = 2     /* DNG and other TIFF-based raws */
} dv_photo_kind;

typedef struct dv_photo {
	dv_photo_kind kind;
	bool has_exif;
	dv_exif exif;
	bool has_xmp;
	dv_xmp xmp;           /* owned: dv_photo_dispose releases it */
	int64_t width, height; /* from the JPEG SOF header, -1 when not found */
	uint64_t bytes_read;  /* how much of the file was read */
	unsigned warnings;    /* damage found (truncated, bad segment, ...) */
	char first_warning[256]; /* "offset N: what" of the first one, or "" */
} dv_photo;

/* Reads the headers of the file at path. out is caller-allocated, always
 * initialised (dispose it even on failure). Returns 0 (warnings may be
 * set), DV_ENOTFOUND/DV_EIO for the file, DV_EUNSUPPORTED when the file is
 * neither JPEG nor TIFF. */
int dv_photo_read_file(dv_photo *out, const char *path);

/* The same over a buffer (tests, fuzzing). */
int dv_photo_parse_mem(dv_photo *out, const void *buf, size_t len, const char *name);

void dv_photo_dispose(dv_photo *p);

/*
 * The track point a photo stands for: its position (XMP drone-dji first,
 * else EXIF) and time (XMP UTCAtExposure as UTC, else EXIF
 * DateTimeOriginal+SubSecTime as local). false when it has neither.
 */
bool dv_photo_point(const dv_photo *p, dv_track_point *out);

#ifdef __cplusplus
}
#endif
#endif
