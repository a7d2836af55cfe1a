/*
 * dv/exif.h - the EXIF block of a photo, decoded through libexif.
 *
 * Input is the payload of a JPEG APP1 "Exif\0\0" segment (or a bare TIFF
 * header "II*\0"/"MM\0*" for a DNG's first bytes). libexif follows IFD
 * offsets only inside the buffer it is given, so a hostile offset can at
 * most point at other bytes of the same segment. Every entry is checked
 * for its format and component count before use.
 *
 * GPS signs follow the Ref tags: S and W are negative, GPSAltitudeRef = 1
 * means below sea level (negative altitude). No GPS is "no position"
 * (has_pos false), never 0,0.
 */
#ifndef DV_EXIF_H
#define DV_EXIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_exif {
	char make[64], model[64], software[64];   /* "" when absent */
	char serial[64];          /* ExifIFD SerialNumber (0xA431) or BodySerialNumber */
	char lens_serial[64];     /* LensSerialNumber, "" when absent */
	char datetime_original[24]; /* "YYYY:MM:DD hh:mm:ss" as written */
	char subsec_original[16];   /* SubSecTimeOriginal digits, "" when absent */
	char offset_original[8];    /* OffsetTimeOriginal "+08:00", "" when absent */
	int64_t time_us;          /* DateTimeOriginal(+SubSec) as local time, see has_time */
	bool has_time;
	double focal_length;      /* mm, NAN when absent */
	double focal_length_35mm; /* mm, NAN when absent */
	int64_t width, height;    /* PixelX/YDimension or ImageWidth/Length, -1 when absent */
	bool has_pos;             /* GPSLatitude and GPSLongitude with valid Refs */
	double lat, lon;          /* signed degrees */
	bool has_alt;
	double alt;               /* signed metres (GPSAltitudeRef applied) */
	int alt_ref;              /* GPSAltitudeRef as written, -1 when absent */
	char gps_datestamp[16];   /* GPSDateStamp, "" when absent */
	bool has_gps_time;
	double gps_time_s;        /* GPSTimeStamp, seconds of day UTC */
	unsigned entries;         /* entries libexif loaded (all IFDs) */
} dv_exif;

/*
 * Decodes len bytes at buf (borrowed). name labels errors. out is
 * caller-allocated and always initialised. Returns 0, or DV_EINVAL when
 * the bytes hold no EXIF at all (out then says "nothing").
 */
int dv_exif_parse(dv_exif *out, const void *buf, size_t len, const char *name);

#ifdef __cplusplus
}
#endif
#endif
