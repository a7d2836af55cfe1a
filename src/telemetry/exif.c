/*
 * exif.c - the libexif glue (see dv/exif.h). libexif is asked not to
 * "repair" anything (FOLLOW_SPECIFICATION off: it would otherwise invent
 * mandatory tags) and to keep unknown tags; we then read raw entries and
 * check each one's format and size ourselves.
 */
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dv/err.h"
#include "telemetry/exif_int.h"
#include "dv/telemetry.h"

#define TAG_GPS_LAT_REF 0x0001
#define TAG_GPS_LAT 0x0002
#define TAG_GPS_LON_REF 0x0003
#define TAG_GPS_LON 0x0004
#define TAG_GPS_ALT_REF 0x0005
#define TAG_GPS_ALT 0x0006
#define TAG_GPS_TIME 0x0007
#define TAG_GPS_DATE 0x001d

const char *dv_exif_time_source_name(dv_exif_time_source s)
{
	switch (s) {
	case DV_EXIF_TIME_ORIGINAL: return "DateTimeOriginal";
	case DV_EXIF_TIME_DIGITIZED: return "DateTimeDigitized";
	default: return "";
	}
}

static ExifEntry *entry(ExifData *d, ExifIfd ifd, unsigned tag)
{
	if (!d->ifd[ifd]) return NULL;
	ExifEntry *e = exif_content_get_entry(d->ifd[ifd], (ExifTag)tag);
	if (!e || !e->data) return NULL;
	unsigned fs = exif_format_get_size(e->format);
	if (!fs || e->components == 0 || e->components > e->size / fs) return NULL;
	return e;
}

static void get_ascii(ExifData *d, ExifIfd ifd, unsigned tag, char *out, size_t size)
{
	out[0] = 0;
	ExifEntry *e = entry(d, ifd, tag);
	if (!e || (e->format != EXIF_FORMAT_ASCII && e->format != EXIF_FORMAT_UNDEFINED &&
	           e->format != EXIF_FORMAT_BYTE))
		return;
	size_t n = e->size < size - 1 ? e->size : size - 1;
	size_t w = 0;
	for (size_t i = 0; i < n && e->data[i]; i++) {
		unsigned char c = e->data[i];
		out[w++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while (w && out[w - 1] == ' ') w--;
	out[w] = 0;
}

/* i-th rational (or integer) of an entry as a double; NAN when unusable. */
static double get_num(ExifData *d, ExifEntry *e, unsigned i)
{
	if (!e || i >= e->components) return NAN;
	ExifByteOrder o = exif_data_get_byte_order(d);
	unsigned fs = exif_format_get_size(e->format);
	const unsigned char *p = e->data + (size_t)i * fs;
	switch (e->format) {
	case EXIF_FORMAT_RATIONAL: {
		ExifRational r = exif_get_rational(p, o);
		return r.denominator ? (double)r.numerator / r.denominator : NAN;
	}
	case EXIF_FORMAT_SRATIONAL: {
		ExifSRational r = exif_get_srational(p, o);
		return r.denominator ? (double)r.numerator / r.denominator : NAN;
	}
	case EXIF_FORMAT_SHORT: return exif_get_short(p, o);
	case EXIF_FORMAT_SSHORT: return exif_get_sshort(p, o);
	case EXIF_FORMAT_LONG: return exif_get_long(p, o);
	case EXIF_FORMAT_SLONG: return exif_get_slong(p, o);
	case EXIF_FORMAT_BYTE: return p[0];
	default: return NAN;
	}
}

/* Degrees from a 3-rational D/M/S entry; NAN when malformed. */
static double get_dms(ExifData *d, unsigned tag)
{
	ExifEntry *e = entry(d, EXIF_IFD_GPS, tag);
	if (!e || e->format != EXIF_FORMAT_RATIONAL || e->components < 3) return NAN;
	double deg = get_num(d, e, 0), min = get_num(d, e, 1), sec = get_num(d, e, 2);
	if (!isfinite(deg) || !isfinite(min) || !isfinite(sec)) return NAN;
	return deg + min / 60.0 + sec / 3600.0;
}

static unsigned count_entries(ExifData *d)
{
	unsigned n = 0;
	for (int i = 0; i < EXIF_IFD_COUNT; i++)
		if (d->ifd[i]) n += d->ifd[i]->count;
	return n;
}

/* "YYYY:MM:DD hh:mm:ss" -> local microseconds; false when malformed. */
static bool parse_exif_time(const char *s, const char *subsec, int64_t *out)
{
	int v[6] = { 0 };
	static const int pos[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
	if (strlen(s) < 19) return false;
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < len[k]; i++) {
			char c = s[pos[k] + i];
			if (c < '0' || c > '9') return false;
			v[k] = v[k] * 10 + (c - '0');
		}
	if (v[0] < 1900 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	int64_t days = dv_telemetry_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
	int64_t us = (((days * 24 + v[3]) * 60 + v[4]) * 60 + v[5]) * 1000000;
	/* SubSecTime digits are a decimal fraction: "481" = .481, "5" = .5 */
	int64_t frac = 0, scale = 100000;
	for (const char *q = subsec; *q >= '0' && *q <= '9' && scale; q++, scale /= 10)
		frac += (*q - '0') * scale;
	*out = us + frac;
	return true;
}

int dv_exif_parse(dv_exif *out, const void *buf, size_t len, const char *name)
{
	memset(out, 0, sizeof(*out));
	out->focal_length = out->focal_length_35mm = NAN;
	out->lat = out->lon = out->alt = NAN;
	out->width = out->height = -1;
	out->alt_ref = -1;
	if (len < 8 || len > 0xFFFFFFu)
		return dv_error_set(DV_EINVAL, name, -1, "exif block of %zu bytes", len);

	ExifData *d = exif_data_new();
	if (!d) return dv_error_set(DV_ENOMEM, name, -1, "cannot allocate exif data");
	exif_data_unset_option(d, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_unset_option(d, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
	exif_data_set_option(d, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE);
	exif_data_load_data(d, buf, (unsigned)len);
	out->entries = count_entries(d);
	if (out->entries == 0) {
		exif_data_unref(d);
		return dv_error_set(DV_EINVAL, name, -1, "no readable exif entries");
	}

	get_ascii(d, EXIF_IFD_0, 0x010f, out->make, sizeof(out->make));
	get_ascii(d, EXIF_IFD_0, 0x0110, out->model, sizeof(out->model));
	get_ascii(d, EXIF_IFD_0, 0x0131, out->software, sizeof(out->software));
	get_ascii(d, EXIF_IFD_EXIF, 0xa431, out->serial, sizeof(out->serial));
	if (!out->serial[0]) get_ascii(d, EXIF_IFD_0, 0xa431, out->serial, sizeof(out->serial));
	get_ascii(d, EXIF_IFD_EXIF, 0xa435, out->lens_serial, sizeof(out->lens_serial));
	/* each time under its own name; a modification time is never a capture time */
	get_ascii(d, EXIF_IFD_EXIF, 0x9003, out->datetime_original, sizeof(out->datetime_original));
	get_ascii(d, EXIF_IFD_EXIF, 0x9291, out->subsec_original, sizeof(out->subsec_original));
	get_ascii(d, EXIF_IFD_EXIF, 0x9011, out->offset_original, sizeof(out->offset_original));
	get_ascii(d, EXIF_IFD_EXIF, 0x9004, out->datetime_digitized, sizeof(out->datetime_digitized));
	get_ascii(d, EXIF_IFD_EXIF, 0x9292, out->subsec_digitized, sizeof(out->subsec_digitized));
	get_ascii(d, EXIF_IFD_EXIF, 0x9012, out->offset_digitized, sizeof(out->offset_digitized));
	get_ascii(d, EXIF_IFD_0, 0x0132, out->modify_date, sizeof(out->modify_date));
	get_ascii(d, EXIF_IFD_EXIF, 0x9290, out->subsec_modify, sizeof(out->subsec_modify));
	get_ascii(d, EXIF_IFD_EXIF, 0x9010, out->offset_modify, sizeof(out->offset_modify));
	if (parse_exif_time(out->datetime_original, out->subsec_original, &out->time_us)) {
		out->has_time = true;
		out->time_source = DV_EXIF_TIME_ORIGINAL;
	} else if (parse_exif_time(out->datetime_digitized, out->subsec_digitized, &out->time_us)) {
		out->has_time = true;
		out->time_source = DV_EXIF_TIME_DIGITIZED;
	}

	out->focal_length = get_num(d, entry(d, EXIF_IFD_EXIF, 0x920a), 0);
	out->focal_length_35mm = get_num(d, entry(d, EXIF_IFD_EXIF, 0xa405), 0);
	if (out->focal_length_35mm == 0) out->focal_length_35mm = NAN; /* 0 = unknown */
	double w = get_num(d, entry(d, EXIF_IFD_EXIF, 0xa002), 0);
	double h = get_num(d, entry(d, EXIF_IFD_EXIF, 0xa003), 0);
	if (!(w > 0 && h > 0)) {
		w = get_num(d, entry(d, EXIF_IFD_0, 0x0100), 0);
		h = get_num(d, entry(d, EXIF_IFD_0, 0x0101), 0);
	}
	if (w > 0 && h > 0 && w < 1e6 && h < 1e6) {
		out->width = (int64_t)w;
		out->height = (int64_t)h;
	}

	char lat_ref[4], lon_ref[4];
	get_ascii(d, EXIF_IFD_GPS, TAG_GPS_LAT_REF, lat_ref, sizeof(lat_ref));
	get_ascii(d, EXIF_IFD_GPS, TAG_GPS_LON_REF, lon_ref, sizeof(lon_ref));
	double lat = get_dms(d, TAG_GPS_LAT), lon = get_dms(d, TAG_GPS_LON);
	bool refs_ok = (lat_ref[0] == 'N' || lat_ref[0] == 'S') && (lon_ref[0] == 'E' || lon_ref[0] == 'W');
	if (isfinite(lat) && isfinite(lon) && refs_ok) {
		if (lat_ref[0] == 'S') lat = -lat;
		if (lon_ref[0] == 'W') lon = -lon;
		if (fabs(lat) <= 90 && fabs(lon) <= 180 && !(lat == 0 && lon == 0)) {
			out->has_pos = true;
			out->lat = lat;
			out->lon = lon;
		}
	}
	ExifEntry *ar = entry(d, EXIF_IFD_GPS, TAG_GPS_ALT_REF);
	if (ar && (ar->format == EXIF_FORMAT_BYTE || ar->format == EXIF_FORMAT_UNDEFINED))
		out->alt_ref = ar->data[0];
	double alt = get_num(d, entry(d, EXIF_IFD_GPS, TAG_GPS_ALT), 0);
	if (isfinite(alt)) {
		out->has_alt = true;
		out->alt = out->alt_ref == 1 ? -alt : alt; /* 1 = below sea level */
	}
	get_ascii(d, EXIF_IFD_GPS, TAG_GPS_DATE, out->gps_datestamp, sizeof(out->gps_datestamp));
	ExifEntry *gt = entry(d, EXIF_IFD_GPS, TAG_GPS_TIME);
	if (gt && gt->format == EXIF_FORMAT_RATIONAL && gt->components >= 3) {
		double hh = get_num(d, gt, 0), mm = get_num(d, gt, 1), ss = get_num(d, gt, 2);
		if (isfinite(hh) && isfinite(mm) && isfinite(ss)) {
			out->has_gps_time = true;
			out->gps_time_s = hh * 3600 + mm * 60 + ss;
		}
	}
	exif_data_unref(d);
	return 0;
}
