/*
 * dv/video.h - what a DJI MP4/MOV says in its container: creation time,
 * duration, video codec and frame size, and the position atom (©xyz /
 * com.apple.quicktime.location.ISO6709), read through libavformat.
 *
 * Only the container header is read (no frame is decoded, no
 * avformat_find_stream_info). libavformat reads through our own I/O
 * callbacks over the file descriptor, limited to the MP4/MOV demuxer, so no
 * protocol (network or otherwise) is ever opened.
 */
#ifndef DV_VIDEO_H
#define DV_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_video {
	char major_brand[16];     /* ftyp major brand, "" when absent */
	char encoder[64];         /* "encoder" tag, "" when absent */
	char make[64], model[64]; /* com.apple.quicktime.make/model, "" when absent */
	int64_t duration_ms;      /* -1 when unknown */
	char creation_time[40];   /* as tagged (ISO 8601, nominally UTC), "" when absent */
	int64_t time_us;          /* creation_time, see time_kind */
	dv_time_kind time_kind;   /* UTC when tagged (DJI firmware may write local time there) */
	char codec[32];           /* first video stream's codec ("h264", "hevc"), "" when none */
	int width, height;        /* of that stream, 0 when none */
	double fps;               /* average frame rate, NAN when unknown */
	unsigned streams;         /* number of streams */
	bool has_pos;             /* position atom present, in range, not 0,0 */
	double lat, lon, alt;     /* alt NAN when the atom has none */
	char location[64];        /* the ISO 6709 string as written, "" when absent */
	int64_t size;             /* file or buffer size in bytes */
} dv_video;

/* Reads the container header of path. out is caller-allocated, always
 * initialised. Returns 0, DV_ENOTFOUND/DV_EIO, or DV_EINVAL when it is not
 * an MP4/MOV libavformat can open. */
int dv_video_read_file(dv_video *out, const char *path);

/* The same over a buffer (tests, fuzzing). */
int dv_video_parse_mem(dv_video *out, const void *buf, size_t len, const char *name);

/* "+22.6940+114.9659+12.3/" -> lat, lon, alt (alt NAN when absent).
 * Returns true on a well-formed, in-range value. */
bool dv_iso6709_parse(const char *s, double *lat, double *lon, double *alt);

/* The SRT sidecar of a video (same name, .SRT or .srt) into buf, if it
 * exists. */
bool dv_video_sidecar(const char *video_path, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
