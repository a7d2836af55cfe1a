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

/* Where dv_exif.time_us comes from. */
typedef enum dv_exif_time_source {
	DV_EXIF_TIME_NONE = 0,
	DV_EXIF_TIME_ORIGINAL = 1,   /* DateTimeOriginal (+SubSecTimeOriginal) */
	DV_EXIF_TIME_DIGITIZED = 2   /* DateTimeDigitized/CreateDate (+SubSecTimeDigitized) */
} dv_exif_time_source;

/* "DateTimeOriginal", "DateTimeDigitized" or "" */
const char *dv_exif_time_source_name(dv_exif_time_source s);

typedef struct dv_exif {
	char make[64], model[64], software[64];   /* "" when absent */
	char serial[64];          /* ExifIFD SerialNumber (0xA431) or BodySerialNumber */
	char lens_serial[64];     /* LensSerialNumber, "" when absent */
	/* Each EXIF time under its own name, as written ("YYYY:MM:DD hh:mm:ss"),
	 * "" when absent. Only DateTimeOriginal and DateTimeDigitized (exiftool:
	 * CreateDate) say when the photo was taken; IFD0 DateTime (ModifyDate)
	 * is when the file was last changed and is never a capture time. */
	char datetime_original[24]; /* ExifIFD DateTimeOriginal (0x9003) */
	char subsec_original[16];   /* SubSecTimeOriginal digits, "" when absent */
	char offset_original[8];    /* OffsetTimeOriginal "+08:00", "" when absent */
	char datetime_digitized[24]; /* ExifIFD DateTimeDigitized = CreateDate (0x9004) */
	char subsec_digitized[16];
	char offset_digitized[8];
	char modify_date[24];       /* IFD0 DateTime = ModifyDate (0x0132) */
	char subsec_modify[16];
	char offset_modify[8];
	int64_t time_us;          /* capture time as local time, see has_time/time_source */
	bool has_time;
	dv_exif_time_source time_source; /* which tag time_us comes from */
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
