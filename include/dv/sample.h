/*
 * dv/sample.h - a synthetic drone card for demos and tests.
 *
 * Writes the card of a short, made-up survey flight as a DJI drone would:
 * DCIM/100MEDIA/DJI_0001.JPG ... (real JPEGs from libjpeg with EXIF GPS
 * written by libexif and a DJI XMP packet with drone-dji: fields) on a
 * lawnmower pattern, and a video sidecar DJI_00NN.SRT in the Mavic 3 style
 * (FrameCnt/DiffTime cues with [latitude: ...] [longitude: ...] [rel_alt:
 * ... abs_alt: ...]). Nothing is copied from real flights: positions and
 * serial numbers are invented, so the card can ship with the project.
 */
#ifndef DV_SAMPLE_H
#define DV_SAMPLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_sample_opts {
	int photos;            /* photos to take (default 12) */
	double lat, lon;       /* centre of the scene (default 46.9375, 7.3960) */
	double ground_amsl;    /* ground elevation, metres (default 540) */
	double height;         /* flight height above ground, metres (default 60) */
	int64_t start_unix;    /* first photo, seconds since 1970 UTC (default 2026-11-20 13:03:05) */
	int utc_offset_min;    /* local time offset for EXIF/SRT wall-clock times (default +60) */
	int srt_seconds;       /* length of the video sidecar (default 20, 10 cues/s) */
} dv_sample_opts;

/* Fills opts with the defaults above. */
void dv_sample_defaults(dv_sample_opts *opts);

/* Writes the card under dir (created; must not contain a DCIM already).
 * *files_out counts the files written. */
int dv_sample_card(const char *dir, const dv_sample_opts *opts, int *files_out);

#ifdef __cplusplus
}
#endif
#endif
