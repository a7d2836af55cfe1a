#include "dv/sample.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dv/err.h"
#include "dv/util.h"

#define W 640
#define H 480

void dv_sample_defaults(dv_sample_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->photos = 12;
	o->lat = 46.9375;
	o->lon = 7.3960;
	o->ground_amsl = 540;
	o->height = 60;
	o->start_unix = 1795179785; /* 2026-11-20T13:03:05Z */
	o->utc_offset_min = 60;
	o->srt_seconds = 20;
}

/* ---- the picture: a synthetic field with a road and two "vehicles" ------ */
static int encode_jpeg(int idx, double heading, unsigned char **out, unsigned long *len)
{
	unsigned char *rgb = malloc((size_t)W * H * 3);
	if (!rgb) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	double shift = idx * 37.0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			unsigned char *p = rgb + ((size_t)y * W + x) * 3;
			double fx = x + shift * cos(heading), fy = y + shift * sin(heading);
			int field = ((int)(fx / 40) + (int)(fy / 40)) & 1;
			p[0] = (unsigned char)(70 + field * 20 + ((x * 7 + y * 13) & 15));
			p[1] = (unsigned char)(120 + field * 25 + ((x * 3 + y * 5) & 15));
			p[2] = (unsigned char)(50 + ((x + y) & 7));
			if (fabs(fy - 240 - 0.3 * (fx - 320)) < 18) { /* a road */
				p[0] = p[1] = p[2] = (unsigned char)(105 + ((x ^ y) & 7));
			}
			if ((fx > 300 && fx < 340 && fy > 226 && fy < 246) ||
			    (fx > 360 && fx < 396 && fy > 246 && fy < 264)) { /* two vehicles */
				p[0] = 200; p[1] = 30; p[2] = 30;
			}
		}
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	*out = NULL;
	*len = 0;
	jpeg_mem_dest(&c, out, len);
	c.image_width = W;
	c.image_height = H;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	c.write_JFIF_header = FALSE; /* EXIF's APP1 must follow SOI */
	jpeg_set_quality(&c, 85, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = rgb + (size_t)c.next_scanline * W * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(rgb);
	return 0;
}

/* ---- EXIF ------------------------------------------------------------------- */
static ExifEntry *add_entry(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifFormat fmt, unsigned long n)
{
	/* exif_data_fix() may have made this tag already; adding a duplicate is
	 * refused (and the entry would be freed by our unref below). */
	ExifEntry *old = exif_content_get_entry(ed->ifd[ifd], tag);
	if (old) exif_content_remove_entry(ed->ifd[ifd], old);
	ExifMem *mem = exif_mem_new_default();
	ExifEntry *e = exif_entry_new_mem(mem);
	unsigned int size = exif_format_get_size(fmt) * (unsigned int)n;
	e->data = exif_mem_alloc(mem, size);
	e->size = size;
	e->tag = tag;
	e->components = n;
	e->format = fmt;
	exif_content_add_entry(ed->ifd[ifd], e);
	exif_mem_unref(mem);
	exif_entry_unref(e);
	return e;
}

static void set_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *s)
{
	ExifEntry *e = add_entry(ed, ifd, tag, EXIF_FORMAT_ASCII, strlen(s) + 1);
	memcpy(e->data, s, strlen(s) + 1);
}

static void set_rationals(ExifData *ed, ExifIfd ifd, ExifTag tag, const ExifRational *r, int n)
{
	ExifEntry *e = add_entry(ed, ifd, tag, EXIF_FORMAT_RATIONAL, (unsigned long)n);
	for (int i = 0; i < n; i++) exif_set_rational(e->data + 8 * i, EXIF_BYTE_ORDER_INTEL, r[i]);
}

static void set_long(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifLong v)
{
	ExifEntry *e = add_entry(ed, ifd, tag, EXIF_FORMAT_LONG, 1);
	exif_set_long(e->data, EXIF_BYTE_ORDER_INTEL, v);
}

static void dms(double deg, ExifRational out[3])
{
	deg = fabs(deg);
	int d = (int)deg;
	double m = (deg - d) * 60;
	int mi = (int)m;
	double s = (m - mi) * 60;
	out[0] = (ExifRational){ (ExifLong)d, 1 };
	out[1] = (ExifRational){ (ExifLong)mi, 1 };
	out[2] = (ExifRational){ (ExifLong)llround(s * 1000000), 1000000 };
}

static int make_exif(const dv_sample_opts *o, double lat, double lon, double alt, const char *local_time,
                     int subsec, unsigned char **out, unsigned int *len)
{
	ExifData *ed = exif_data_new();
	if (!ed) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	exif_data_set_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
	exif_data_fix(ed);
	set_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "DJI");
	set_ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "FC3582");
	set_ascii(ed, EXIF_IFD_0, EXIF_TAG_SOFTWARE, "dronevault sample-card");
	set_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, local_time);
	char ss[8];
	snprintf(ss, sizeof(ss), "%03d", subsec);
	set_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_ORIGINAL, ss);
	ExifRational fl = { 67, 10 };
	set_rationals(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH, &fl, 1);
	set_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION, W);
	set_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION, H);
	ExifEntry *v = add_entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_VERSION_ID, EXIF_FORMAT_BYTE, 4);
	memcpy(v->data, "\2\3\0\0", 4);
	ExifRational r[3];
	set_ascii(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF, lat < 0 ? "S" : "N");
	dms(lat, r);
	set_rationals(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE, r, 3);
	set_ascii(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF, lon < 0 ? "W" : "E");
	dms(lon, r);
	set_rationals(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE, r, 3);
	ExifEntry *ar = add_entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_ALTITUDE_REF, EXIF_FORMAT_BYTE, 1);
	ar->data[0] = alt < 0 ? 1 : 0;
	ExifRational a = { (ExifLong)llround(fabs(alt) * 1000), 1000 };
	set_rationals(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_ALTITUDE, &a, 1);
	(void)o;
	exif_data_save_data(ed, out, len);
	exif_data_unref(ed);
	if (!*out || !*len) return dv_error_set(DV_ERROR, NULL, -1, "libexif could not write EXIF");
	return 0;
}

/* ---- files ------------------------------------------------------------------- */
static int write_segment(FILE *f, unsigned char marker, const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen + blen + 2;
	if (n > 65535) return dv_error_set(DV_EINVAL, NULL, -1, "JPEG segment too large");
	unsigned char h[4] = { 0xff, marker, (unsigned char)(n >> 8), (unsigned char)n };
	fwrite(h, 1, 4, f);
	if (alen) fwrite(a, 1, alen, f);
	if (blen) fwrite(b, 1, blen, f);
	return 0;
}

/* Wall-clock time at offset_min from UTC: EXIF style ("2026:11:20 14:03:06")
 * or SRT style ("2026-11-20 14:03:06"). */
static void local_str(char *buf, size_t size, int64_t unix_s, int offset_min, bool exif_style)
{
	time_t t = (time_t)(unix_s + offset_min * 60);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (exif_style) strftime(buf, size, "%Y:%m:%d %H:%M:%S", &tm);
	else strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Position of the flight at time t seconds after take-off: a lawnmower over
 * the scene, 3 legs of 120 m, 40 m apart, at 5 m/s. */
static void track(const dv_sample_opts *o, double t, double *lat, double *lon, double *yaw)
{
	const double leg = 120, gap = 40, speed = 5;
	double d = t * speed, per = leg + gap;
	int k = (int)(d / per);
	double r = fmod(d, per), east, north;
	if (r < leg) {
		east = (k & 1) ? leg / 2 - r : -leg / 2 + r;
		north = -gap + k * gap;
		*yaw = (k & 1) ? -90 : 90;
	} else {
		east = (k & 1) ? -leg / 2 : leg / 2;
		north = -gap + k * gap + (r - leg);
		*yaw = 0;
	}
	*lat = o->lat + north / 111320.0;
	*lon = o->lon + east / (111320.0 * cos(o->lat * M_PI / 180));
}

static int photo(const char *dir, const dv_sample_opts *o, int i)
{
	double t = i * 2.0 + 1.0, lat, lon, yaw;
	track(o, t, &lat, &lon, &yaw);
	double alt = o->ground_amsl + o->height;
	char local[32], path[4096], utc[40];
	int64_t when = o->start_unix + (int64_t)t;
	local_str(local, sizeof(local), when, o->utc_offset_min, true);
	local_str(utc, sizeof(utc), when, 0, false);
	utc[10] = 'T';
	unsigned char *jpg = NULL, *exif = NULL;
	unsigned long jlen;
	unsigned int elen;
	int rc = encode_jpeg(i, yaw * M_PI / 180, &jpg, &jlen);
	if (rc == 0) rc = make_exif(o, lat, lon, alt, local, (i * 137) % 1000, &exif, &elen);
	char xmp[2048];
	int xn = snprintf(xmp, sizeof(xmp),
	    "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
	    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	    "  <rdf:Description rdf:about=\"DJI Meta Data\"\n"
	    "    xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\"\n"
	    "   drone-dji:GpsLatitude=\"%+.8f\"\n"
	    "   drone-dji:GpsLongitude=\"%+.8f\"\n"
	    "   drone-dji:AbsoluteAltitude=\"%+.3f\"\n"
	    "   drone-dji:RelativeAltitude=\"%+.3f\"\n"
	    "   drone-dji:GimbalRollDegree=\"+0.00\"\n"
	    "   drone-dji:GimbalYawDegree=\"%+.2f\"\n"
	    "   drone-dji:GimbalPitchDegree=\"-90.00\"\n"
	    "   drone-dji:FlightRollDegree=\"+1.20\"\n"
	    "   drone-dji:FlightYawDegree=\"%+.2f\"\n"
	    "   drone-dji:FlightPitchDegree=\"-2.10\"\n"
	    "   drone-dji:FlightXSpeed=\"+0.00\"\n"
	    "   drone-dji:FlightYSpeed=\"+5.00\"\n"
	    "   drone-dji:FlightZSpeed=\"+0.00\"\n"
	    "   drone-dji:UTCAtExposure=\"%s\"\n"
	    "   drone-dji:DroneModel=\"SAMPLE-M3P\"\n"
	    "   drone-dji:DroneSerialNumber=\"SAMPLE0DRONE0001\"\n"
	    "   drone-dji:CameraSerialNumber=\"SAMPLE0CAMERA001\"/>\n"
	    " </rdf:RDF>\n"
	    "</x:xmpmeta>\n"
	    "<?xpacket end=\"w\"?>",
	    lat, lon, alt, o->height, yaw, yaw, utc);
	if (rc == 0 && dv_pathf(path, sizeof(path), "%s/DCIM/100MEDIA/DJI_%04d.JPG", dir, i + 1) == 0) {
		FILE *f = fopen(path, "wbx");
		if (!f) {
			rc = dv_error_errno(errno, path, -1, "cannot create");
		} else {
			static const char xmp_ns[] = "http://ns.adobe.com/xap/1.0/";
			fwrite("\xff\xd8", 1, 2, f);
			rc = write_segment(f, 0xe1, exif, elen, NULL, 0);
			if (rc == 0) rc = write_segment(f, 0xe1, xmp_ns, sizeof(xmp_ns), xmp, (size_t)xn);
			if (rc == 0) fwrite(jpg + 2, 1, jlen - 2, f); /* libjpeg's stream after its SOI */
			if (fclose(f) != 0 && rc == 0) rc = dv_error_errno(errno, path, -1, "cannot write");
		}
	} else if (rc == 0) {
		rc = DV_EINVAL;
	}
	free(jpg);
	free(exif);
	return rc;
}

static int srt(const char *dir, const dv_sample_opts *o, int index)
{
	char path[4096];
	int rc = dv_pathf(path, sizeof(path), "%s/DCIM/100MEDIA/DJI_%04d.SRT", dir, index);
	if (rc < 0) return rc;
	FILE *f = fopen(path, "wbx");
	if (!f) return dv_error_errno(errno, path, -1, "cannot create");
	double t0 = o->photos * 2.0 + 4.0; /* the video starts after the photos */
	int cues = o->srt_seconds * 10;
	for (int i = 0; i < cues; i++) {
		double t = t0 + i * 0.1, lat, lon, yaw;
		track(o, t, &lat, &lon, &yaw);
		int ms = i * 100;
		char wall[32];
		int64_t when = o->start_unix + (int64_t)t;
		local_str(wall, sizeof(wall), when, o->utc_offset_min, false);
		fprintf(f,
		        "%d\r\n%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d\r\n"
		        "<font size=\"28\">FrameCnt: %d, DiffTime: 100ms\r\n"
		        "%s.%03d\r\n"
		        "[iso: 100] [shutter: 1/640.0] [fnum: 2.8] [ev: 0] [color_md: default] [focal_len: 24.00] "
		        "[latitude: %.6f] [longitude: %.6f] [rel_alt: %.3f abs_alt: %.3f] [ct: 5500] </font>\r\n\r\n",
		        i + 1, ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000, (ms + 100) / 3600000,
		        (ms + 100) / 60000 % 60, (ms + 100) / 1000 % 60, (ms + 100) % 1000, i + 1, wall,
		        (int)((t - (int64_t)t) * 1000), lat, lon, o->height, o->ground_amsl + o->height);
	}
	if (fclose(f) != 0) return dv_error_errno(errno, path, -1, "cannot write");
	return 0;
}

int dv_sample_card(const char *dir, const dv_sample_opts *opts, int *files_out)
{
	dv_sample_opts o;
	if (opts) o = *opts;
	else dv_sample_defaults(&o);
	if (o.photos < 1 || o.photos > 9000 || o.srt_seconds < 0 || o.srt_seconds > 36000 ||
	    fabs(o.lat) > 85 || fabs(o.lon) > 179)
		return dv_error_set(DV_EINVAL, dir, -1, "sample card options out of range");
	char sub[4096];
	int rc = dv_pathf(sub, sizeof(sub), "%s/DCIM/100MEDIA", dir);
	if (rc < 0) return rc;
	struct stat st;
	if (stat(sub, &st) == 0) return dv_error_set(DV_EEXIST, dir, -1, "already holds a DCIM/100MEDIA folder");
	if ((rc = dv_mkdir_p(sub)) < 0) return rc;
	int n = 0;
	for (int i = 0; i < o.photos && rc == 0; i++, n++) rc = photo(dir, &o, i);
	if (rc == 0 && o.srt_seconds > 0) {
		rc = srt(dir, &o, o.photos + 1);
		n++;
	}
	if (files_out) *files_out = n;
	return rc;
}
