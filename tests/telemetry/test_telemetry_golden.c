/*
 * Golden tests: our photo and SRT decodes against tools we did not write,
 * from $DV_SHARED/samples/expected (see NOTES.md there):
 *   photos: exiftool -j -n -G1 -a (Debian 12.57)
 *   SRT:    dji_srt_parser 1.2.4 (npm), or its git HEAD b6ed790 where npm
 *           is wrong (matrice_300: lat/lon swapped; mix_p4rtk_mavic2pro:
 *           npm fails outright).
 * Positions within 1e-6 degrees, altitudes within 0.01 m. Where the
 * reference is wrong we assert the correct value and say why.
 * Skips (exit 77) when ../shared is absent.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "telemetry/flightrec_int.h"
#include "telemetry/photo_int.h"
#include "telemetry/srt_int.h"
#include "telemetry/tele_int.h"

#define POS_TOL 1e-6
#define ALT_TOL 0.01

static const char *shared;
static int golden_files, golden_values;

/* counts value comparisons (every CHECK below is one) */
#define GCHECK(c) do { golden_values++; CHECK(c); } while (0)
#define GNEAR(a, b, t) do { golden_values++; CHECK_NEAR(a, b, t); } while (0)
#define GSTR(a, b) do { golden_values++; CHECK_STR(a, b); } while (0)

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* A number or a numeric string ("+40.5637811": exiftool keeps DJI's '+'). */
static bool num_of(json_object *v, double *out)
{
	if (!v) return false;
	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		*out = json_object_get_double(v);
		return true;
	}
	if (!json_object_is_type(v, json_type_string)) return false;
	const char *s = json_object_get_string(v);
	char *end;
	if (!*s) return false;
	*out = strtod(s[0] == '+' ? s + 1 : s, &end);
	return *end == 0;
}

/* ---- SRT --------------------------------------------------------------- */

typedef struct cues {
	dv_srt_cue *v;
	size_t n, cap;
} cues;

static int collect(const dv_srt_cue *c, void *payload)
{
	cues *a = payload;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) abort();
	}
	a->v[a->n++] = *c;
	return 0;
}

static int64_t parse_tc(const char *s)
{
	int h, m, sec, ms;
	if (sscanf(s, "%d:%d:%d,%d", &h, &m, &sec, &ms) != 4) return -2;
	return ((int64_t)(h * 60 + m) * 60 + sec) * 1000 + ms;
}

/* angles, speeds, distance and camera values against the tool's raw strings */
static void srt_raw(const dv_srt_cue *q, json_object *raw)
{
	static const struct { const char *key; int what; } nums[] = {
		{ "D", 1 }, { "H_S", 2 }, { "V_S", 3 }, { "ISO", 4 }, { "iso", 4 }, { "EV", 5 }, { "ev", 5 },
		{ "FrameCnt", 6 }, { "SrtCnt", 6 }, { "DiffTime", 7 }, { "ct", 8 }, { "focal_len", 9 },
		{ "F", 10 }, { "fnum", 10 }, { "Fnum", 10 }, { "IR", 10 },
	};
	double v;
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		if (!num_of(get(raw, nums[k].key), &v)) continue;
		double got = NAN;
		switch (nums[k].what) {
		case 1: got = q->distance; break;
		case 2: got = q->hspeed; break;
		case 3: got = q->vspeed; break;
		case 4: got = q->iso; break;
		case 5: got = q->ev; break;
		case 6: got = (double)q->frame_cnt; break;
		case 7: got = (double)q->diff_ms; break;
		case 8: got = q->ct; break;
		case 9: got = q->focal_len; break;
		case 10: got = q->fnum; if (v >= 100) v /= 100; break; /* "fnum : 280" is f/2.8 (NOTES 10) */
		}
		GNEAR(got, v, 1e-6);
	}
	static const char *pry[2] = { "F_PRY", "G_PRY" };
	for (int k = 0; k < 2; k++) {
		json_object *a = get(raw, pry[k]);
		if (!a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) != 3) continue;
		double p, r, y;
		if (!num_of(json_object_array_get_idx(a, 0), &p) || !num_of(json_object_array_get_idx(a, 1), &r) ||
		    !num_of(json_object_array_get_idx(a, 2), &y))
			continue;
		GNEAR(k ? q->gimbal_pitch : q->flight_pitch, p, 0.01);
		GNEAR(k ? q->gimbal_roll : q->flight_roll, r, 0.01);
		GNEAR(k ? q->gimbal_yaw : q->flight_yaw, y, 0.01);
	}
	/* shutter: "1/640.0" as written; the old formats' numbers (60, 400) */
	json_object *sh = get(raw, "shutter");
	if (!sh) sh = get(raw, "SS");
	if (!sh) sh = get(raw, "Shutter");
	if (!sh) sh = get(raw, "TV");
	if (sh && json_object_is_type(sh, json_type_string)) {
		GSTR(q->shutter, json_object_get_string(sh));
	} else if (sh && num_of(sh, &v)) {
		double got;
		GCHECK(dv__num_parse_str(q->shutter, &got) && fabs(got - v) < 1e-6);
	}
}

static void srt_file(const char *srt, const char *expected)
{
	char path[4096], epath[4096];
	snprintf(path, sizeof(path), "%s/samples/srt/%s", shared, srt);
	snprintf(epath, sizeof(epath), "%s/samples/expected/%s", shared, expected);
	json_object *ref = json_object_from_file(epath);
	CHECK(ref != NULL);
	if (!ref) return;
	golden_files++;
	cues c = { 0 };
	dv_srt_stats st;
	int rc = dv_srt_read_file(path, collect, &c, &st);
	CHECK_EQ(rc, 0);
	int64_t raw_count = json_object_get_int64(get(ref, "raw_count"));
	int64_t frame_count = json_object_get_int64(get(ref, "frame_count"));
	json_object *frames = get(ref, "frames");
	size_t nf = frames ? json_object_array_length(frames) : 0;
	/* The reference drops a cut last cue (NOTES 8); we keep it, without a
	 * position, and warn: so we report raw_count cues. */
	GCHECK((int64_t)c.n == raw_count);
	GCHECK((int64_t)nf == frame_count);
	bool have_off = false;
	int64_t zone_off = 0;
	int bad_before = check_failed;
	for (size_t i = 0; i < nf && i < c.n; i++) {
		json_object *f = json_object_array_get_idx(frames, i);
		const dv_srt_cue *q = &c.v[i];
		double lat, lon;
		bool has_lat = num_of(get(f, "lat"), &lat), has_lon = num_of(get(f, "lon"), &lon);
		json_object *raw = get(f, "raw");
		json_object *rgps = raw ? get(raw, "GPS") : NULL;
		bool na = rgps && json_object_is_type(rgps, json_type_array) &&
		          json_object_is_type(json_object_array_get_idx(rgps, 0), json_type_string);
		if (na) {
			/* mavic_pro_buggy: the cue says GPS(N/A,N/A,n); the tool
			 * carries the previous position forward, which the file
			 * does not say. No position. */
			GCHECK(!q->pt.has_pos);
		} else if (has_lat && has_lon && lat == 0 && lon == 0) {
			/* NOTES 5: 0,0 is the drone before its first fix; the
			 * reference prints it as a position, we must not. */
			GCHECK(!q->pt.has_pos && q->zero_fix);
		} else if (has_lat && has_lon) {
			GCHECK(q->pt.has_pos);
			GNEAR(q->pt.lat, lat, POS_TOL);
			GNEAR(q->pt.lon, lon, POS_TOL);
		} else {
			GCHECK(!q->pt.has_pos);
		}
		json_object *alt = get(f, "alt");
		if (alt) {
			json_object_object_foreach(alt, k, v) {
				double want;
				if (!num_of(v, &want)) continue;
				double got = NAN;
				if (!strcmp(k, "ABS_ALT")) got = q->pt.alt;
				else if (!strcmp(k, "ALTITUDE"))
					/* the one-line "H" (height over home) is the tool's ALTITUDE */
					got = q->format == DV_SRT_ONELINE ? q->pt.height : q->pt.alt;
				else if (!strcmp(k, "REL_ALT") || !strcmp(k, "BAROMETER") || !strcmp(k, "HB"))
					got = q->pt.height;
				else if (!strcmp(k, "HS")) got = q->sonar_height;
				GNEAR(got, want, ALT_TOL);
			}
		}
		json_object *home = get(f, "home");
		if (home) {
			double hl, ho, ha;
			GCHECK(q->has_home);
			if (num_of(get(home, "lat"), &hl)) GNEAR(q->home_lat, hl, POS_TOL);
			if (num_of(get(home, "lon"), &ho)) GNEAR(q->home_lon, ho, POS_TOL);
			if (num_of(get(home, "alt"), &ha)) GNEAR(q->home_alt, ha, ALT_TOL);
		}
		if (raw) srt_raw(q, raw);
		json_object *sats = get(f, "sats");
		if (sats && json_object_is_type(sats, json_type_int))
			GCHECK(q->sats == json_object_get_int(sats));
		json_object *t = get(f, "t");
		if (t) GCHECK(q->start_ms == parse_tc(json_object_get_string(t)));
		else GCHECK(q->start_ms == -1); /* mavic_2_style: no timecode lines */
		json_object *date = get(f, "date");
		if (!date || json_object_is_type(date, json_type_null) || (raw && !get(raw, "DATE"))) {
			/* NOTES 2: no date in the cue; the tool invents one from
			 * its own clock. We must report none. */
			GCHECK(q->pt.time_kind == DV_TIME_NONE);
		} else {
			/* The tool converts the local wall-clock to UTC with a zone
			 * looked up from the position; we keep the local reading.
			 * So ours - theirs is the zone offset: one per file, a
			 * whole number of quarter hours, at most 14 h. */
			GCHECK(q->pt.time_kind == DV_TIME_LOCAL);
			int64_t off = q->pt.time_us / 1000 - json_object_get_int64(date);
			if (!have_off) {
				have_off = true;
				zone_off = off;
				GCHECK(off % (15 * 60 * 1000) == 0 && llabs(off) <= 14 * 3600 * 1000);
			} else if (off != zone_off && ((i > 0 && q->pt.time_us == c.v[i - 1].pt.time_us) ||
			                               (i + 1 < c.n && q->pt.time_us == c.v[i + 1].pt.time_us))) {
				/* the file repeats a second (mavic_pro 14:16:31 twice);
				 * the tool moves one of the pair by a second. We keep
				 * what the file says. */
				GCHECK(llabs(off - zone_off) <= 1000);
			} else {
				GCHECK(off == zone_off);
			}
		}
	}
	if (raw_count > frame_count && c.n > nf) {
		/* the cut last cue: kept, no position, and a warning */
		GCHECK(!c.v[c.n - 1].pt.has_pos);
		GCHECK(st.warnings > 0);
	}
	printf("srt %-28s %5zu cues, zone offset %+.2f h, %s\n", srt, c.n, zone_off / 3600000.0,
	       check_failed == bad_before ? "ok" : "MISMATCH");
	free(c.v);
	json_object_put(ref);
}

/* ---- photos ------------------------------------------------------------ */

static void photo_file(const char *name)
{
	char path[4096], epath[4096];
	snprintf(path, sizeof(path), "%s/samples/photos/%s", shared, name);
	snprintf(epath, sizeof(epath), "%s/samples/expected/%s.exiftool.json", shared, name);
	json_object *arr = json_object_from_file(epath);
	CHECK(arr != NULL);
	if (!arr) return;
	json_object *ref = json_object_array_get_idx(arr, 0);
	golden_files++;
	int bad_before = check_failed;
	dv_photo p;
	CHECK_EQ(dv_photo_read_file(&p, path), 0);
	GCHECK(p.has_exif);
	const dv_exif *e = &p.exif;
	GSTR(e->make, json_object_get_string(get(ref, "IFD0:Make")));
	GSTR(e->model, json_object_get_string(get(ref, "IFD0:Model")));
	GSTR(e->software, json_object_get_string(get(ref, "IFD0:Software")));
	GSTR(e->datetime_original, json_object_get_string(get(ref, "ExifIFD:DateTimeOriginal")));
	json_object *v;
	if ((v = get(ref, "ExifIFD:SerialNumber"))) GSTR(e->serial, json_object_get_string(v));
	if ((v = get(ref, "ExifIFD:SubSecTimeOriginal"))) GSTR(e->subsec_original, json_object_get_string(v));
	double d;
	if (num_of(get(ref, "ExifIFD:FocalLength"), &d)) GNEAR(e->focal_length, d, 1e-6);
	else GCHECK(isnan(e->focal_length));
	if (num_of(get(ref, "ExifIFD:FocalLengthIn35mmFormat"), &d)) GNEAR(e->focal_length_35mm, d, 1e-6);
	/* Composite:GPS* apply the Refs (S/W negative, AltitudeRef 1 = below
	 * sea level: DJI_XTS.jpg -29.4, NOTES 3) */
	double lat, lon, alt;
	if (num_of(get(ref, "Composite:GPSLatitude"), &lat) && num_of(get(ref, "Composite:GPSLongitude"), &lon)) {
		GCHECK(e->has_pos);
		GNEAR(e->lat, lat, POS_TOL);
		GNEAR(e->lon, lon, POS_TOL);
	} else {
		GCHECK(!e->has_pos); /* NOTES 7: M2EA has no GPS: no position, never 0,0 */
	}
	if (num_of(get(ref, "Composite:GPSAltitude"), &alt)) {
		GCHECK(e->has_alt);
		GNEAR(e->alt, alt, ALT_TOL);
	}
	if (num_of(get(ref, "GPS:GPSAltitudeRef"), &d)) GCHECK(e->alt_ref == (int)d);
	if ((v = get(ref, "Composite:ImageSize"))) {
		long w = 0, h = 0;
		sscanf(json_object_get_string(v), "%ld %ld", &w, &h);
		GCHECK(p.width == w && p.height == h);
	}
	/* every XMP value exiftool reads in the DJI namespaces */
	size_t nx = 0;
	json_object_object_foreach(ref, key, val) {
		const char *ns = NULL;
		if (!strncmp(key, "XMP-drone-dji:", 14)) ns = "drone-dji";
		else if (!strncmp(key, "XMP-DJI:", 8)) ns = "DJI";
		else if (!strncmp(key, "XMP-FLIR:", 9)) ns = "FLIR";
		if (!ns) continue;
		nx++;
		const char *prop = strchr(key, ':') + 1;
		GCHECK(p.has_xmp);
		const char *ours = p.has_xmp ? dv_xmp_get(&p.xmp, ns, prop) : NULL;
		GCHECK(ours != NULL);
		if (!ours) {
			fprintf(stderr, "  %s: missing %s\n", name, key);
			continue;
		}
		double want, got;
		if (!json_object_is_type(val, json_type_string) && num_of(val, &want)) {
			GCHECK(dv__num_parse_str(ours, &got));
			GNEAR(got, want, 1e-6);
		} else if (json_object_is_type(val, json_type_string) && num_of(val, &want) &&
		           json_object_get_string(val)[0] == '+') {
			/* NOTES 1: DJI's explicit '+' survives verbatim */
			GSTR(ours, json_object_get_string(val));
		} else if (strstr(prop, "UTCAtExposure")) {
			/* exiftool rewrites XMP dates as "YYYY:MM:DD hh:mm:ss";
			 * the packet says "2022-07-23T07:12:22.872778" */
			char norm[64];
			snprintf(norm, sizeof(norm), "%s", ours);
			for (int k = 0; k < 10 && norm[k]; k++)
				if (norm[k] == '-') norm[k] = ':';
			if (norm[10] == 'T') norm[10] = ' ';
			GSTR(norm, json_object_get_string(val));
		} else {
			GSTR(ours, json_object_get_string(val));
		}
	}
	/* decoded XMP position and altitudes (NOTES 2: keep both EXIF and XMP) */
	if (num_of(get(ref, "XMP-drone-dji:GPSLatitude"), &lat) &&
	    num_of(get(ref, "XMP-drone-dji:GPSLongitude"), &lon)) {
		GCHECK(p.xmp.has_pos);
		GNEAR(p.xmp.lat, lat, POS_TOL);
		GNEAR(p.xmp.lon, lon, POS_TOL);
	} else if (p.has_xmp) {
		GCHECK(!p.xmp.has_pos);
	}
	if (num_of(get(ref, "XMP-drone-dji:AbsoluteAltitude"), &alt) || num_of(get(ref, "XMP-DJI:AbsoluteAltitude"), &alt))
		GNEAR(p.xmp.abs_alt, alt, ALT_TOL);
	if (num_of(get(ref, "XMP-drone-dji:RelativeAltitude"), &alt) || num_of(get(ref, "XMP-DJI:RelativeAltitude"), &alt))
		GNEAR(p.xmp.rel_alt, alt, ALT_TOL);
	if (!strcmp(name, "DJI_XTS.jpg")) {
		/* NOTES 4: not well-formed; strict parsers lose every value */
		GCHECK(p.has_xmp && p.xmp.recovered && nx >= 10);
	}
	printf("photo %-26s %zu XMP values, %s\n", name, nx, check_failed == bad_before ? "ok" : "MISMATCH");
	dv_photo_dispose(&p);
	json_object_put(arr);
}

/* ---- flight records (dji-log-parser-js 0.5.7, offline) ----------------- */

typedef struct frpts {
	dv_flightrec_point *v;
	size_t n, cap;
} frpts;

static int fr_collect(const dv_flightrec_point *p, void *payload)
{
	frpts *a = payload;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) abort();
	}
	a->v[a->n++] = *p;
	return 0;
}

static void flightrec_file(const char *name)
{
	char path[4096], epath[4096];
	snprintf(path, sizeof(path), "%s/samples/flightrecords/%s", shared, name);
	snprintf(epath, sizeof(epath), "%s/samples/expected/%s.djilogparser.json", shared, name);
	json_object *ref = json_object_from_file(epath);
	CHECK(ref != NULL);
	if (!ref) return;
	golden_files++;
	int bad_before = check_failed;
	frpts pts = { 0 };
	dv_flightrec f;
	CHECK_EQ(dv_flightrec_read_file(&f, path, fr_collect, &pts), 0);
	GCHECK((int)f.version == json_object_get_int(get(ref, "version")));
	json_object *d = get(ref, "details");
	GCHECK(f.has_details);
	const dv_flightrec_details *dd = &f.details;
	char t[48];
	dv_telemetry_time_text(t, sizeof(t), dd->start_time_ms * 1000, DV_TIME_UTC);
	GSTR(t, json_object_get_string(get(d, "startTime")));
	double v;
	if (num_of(get(d, "latitude"), &v)) GNEAR(dd->home_lat, v, POS_TOL);
	if (num_of(get(d, "longitude"), &v)) GNEAR(dd->home_lon, v, POS_TOL);
	if (num_of(get(d, "totalDistance"), &v)) GNEAR(dd->total_distance_m, v, ALT_TOL);
	if (num_of(get(d, "totalTime"), &v)) GNEAR(dd->total_time_s, v, 1e-6);
	if (num_of(get(d, "maxHeight"), &v)) GNEAR(dd->max_height_m, v, ALT_TOL);
	if (num_of(get(d, "maxHorizontalSpeed"), &v)) GNEAR(dd->max_hspeed_ms, v, 1e-6);
	if (num_of(get(d, "maxVerticalSpeed"), &v)) GNEAR(dd->max_vspeed_ms, v, 1e-6);
	if (num_of(get(d, "takeOffAltitude"), &v)) GNEAR(dd->takeoff_altitude_m, v, ALT_TOL);
	GCHECK(dd->capture_num == json_object_get_int(get(d, "captureNum")));
	GCHECK(dd->video_time_s == json_object_get_int64(get(d, "videoTime")));
	GCHECK(dd->record_line_count == json_object_get_int(get(d, "recordLineCount")));
	GSTR(dd->aircraft_name, json_object_get_string(get(d, "aircraftName")));
	GSTR(dd->aircraft_sn, json_object_get_string(get(d, "aircraftSn")));
	GSTR(dd->camera_sn, json_object_get_string(get(d, "cameraSn")));
	GSTR(dd->rc_sn, json_object_get_string(get(d, "rcSn")));
	GSTR(dd->battery_sn, json_object_get_string(get(d, "batterySn")));
	GSTR(dd->app_version, json_object_get_string(get(d, "appVersion")));
	/* the thumbnails DJI lists in the details are all found, byte for byte */
	json_object *a = get(d, "momentPicImageBufferLen"), *b = get(d, "momentPicShrinkImageBufferLen");
	int64_t want_bytes = 0, want_n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		int64_t x = json_object_get_int64(json_object_array_get_idx(a, i));
		int64_t y = json_object_get_int64(json_object_array_get_idx(b, i));
		want_bytes += x + y;
		want_n += (x > 0) + (y > 0);
	}
	GCHECK((int64_t)f.jpegs == want_n);
	GCHECK((int64_t)f.jpeg_bytes == want_bytes);
	GCHECK(f.skipped_bytes == 0);

	json_object *frames = get(ref, "frames");
	if (!frames || json_object_is_type(frames, json_type_null)) {
		/* v13+: "Keychain is required"; we never fetch keys, so the
		 * records are reported encrypted and none is decoded */
		GCHECK(f.encrypted);
		GCHECK(f.osd == 0 && pts.n == 0);
		GCHECK(f.records > 0);
	} else {
		size_t nf = json_object_array_length(frames);
		GCHECK((int64_t)f.records == json_object_get_int64(get(ref, "record_count")));
		/* the tool drops the last OSD record (it starts a frame that
		 * never completes); we keep it */
		GCHECK(pts.n == nf || pts.n == nf + 1);
		for (size_t i = 0; i < nf && i < pts.n; i++) {
			json_object *fr = json_object_array_get_idx(frames, i);
			json_object *osd = get(fr, "osd"), *gim = get(fr, "gimbal"), *cus = get(fr, "custom");
			const dv_flightrec_point *q = &pts.v[i];
			double lat, lon;
			if (num_of(get(osd, "latitude"), &lat) && num_of(get(osd, "longitude"), &lon) && !(lat == 0 && lon == 0)) {
				GCHECK(q->pt.has_pos);
				GNEAR(q->pt.lat, lat, POS_TOL);
				GNEAR(q->pt.lon, lon, POS_TOL);
			} else {
				GCHECK(!q->pt.has_pos);
			}
			if (num_of(get(osd, "height"), &v)) GNEAR(q->pt.height, v, ALT_TOL);
			if (num_of(get(osd, "pitch"), &v)) GNEAR(q->pitch, v, 0.01);
			if (num_of(get(osd, "roll"), &v)) GNEAR(q->roll, v, 0.01);
			if (num_of(get(osd, "yaw"), &v)) GNEAR(q->yaw, v, 0.01);
			if (num_of(get(osd, "gpsNum"), &v)) GCHECK(q->gps_num == (int)v);
			if (num_of(get(gim, "pitch"), &v)) GNEAR(q->gimbal_pitch, v, 0.01);
			if (num_of(get(gim, "yaw"), &v)) GNEAR(q->gimbal_yaw, v, 0.01);
			json_object *dt = get(cus, "dateTime");
			if (dt) {
				dv_telemetry_time_text(t, sizeof(t), q->pt.time_us, q->pt.time_kind);
				GSTR(t, json_object_get_string(dt));
			}
		}
	}
	printf("flightrec %-44s v%u, %zu points, %s\n", name, f.version, pts.n,
	       check_failed == bad_before ? "ok" : "MISMATCH");
	free(pts.v);
	json_object_put(ref);
}

int main(void)
{
	shared = check_shared_dir();
	if (!shared) return check_skip("DV_SHARED (../shared) is absent: no golden files");

	static const char *photos[] = { "DJI_H20T.jpg", "DJI_XT2.jpg", "DJI_XTS.jpg",
	                                "M3T_DJI_0001_R.JPG", "M2EA_DJI_0001_R.JPG" };
	for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) photo_file(photos[i]);

	static const char *srts[][2] = {
		{ "MAVIC3.srt", "MAVIC3.srt.srtparser.json" },
		{ "broken_empty.SRT", "broken_empty.SRT.srtparser.json" },
		{ "broken_empty2.SRT", "broken_empty2.SRT.srtparser.json" },
		{ "broken_incomplete.SRT", "broken_incomplete.SRT.srtparser.json" },
		{ "cm_Mini5PRO_clip.SRT", "cm_Mini5PRO_clip.SRT.srtparser.json" },
		{ "cm_air3S_clip.SRT", "cm_air3S_clip.SRT.srtparser.json" },
		{ "cm_neo2_clip.SRT", "cm_neo2_clip.SRT.srtparser.json" },
		/* npm keeps 0,0 faithfully (we assert "no fix" there); git HEAD
		 * back-fills only the longitude, which is wrong (NOTES 5) */
		{ "cm_neo2_clip_nogps.SRT", "cm_neo2_clip_nogps.SRT.srtparser.json" },
		{ "m2zoom.SRT", "m2zoom.SRT.srtparser.json" },
		/* npm 1.2.4 swaps lat/lon for GPS(lat,lon,altM) and so picks the
		 * wrong zone (NOTES 3): git HEAD is right */
		{ "matrice_300.srt", "matrice_300.srt.srtparser-git-b6ed790.json" },
		{ "mavic_2_style.SRT", "mavic_2_style.SRT.srtparser.json" },
		{ "mavic_2pro_new.SRT", "mavic_2pro_new.SRT.srtparser.json" },
		{ "mavic_air.SRT", "mavic_air.SRT.srtparser.json" },
		{ "mavic_air2.srt", "mavic_air2.srt.srtparser.json" },
		{ "mavic_mini.SRT", "mavic_mini.SRT.srtparser.json" },
		{ "mavic_pro.SRT", "mavic_pro.SRT.srtparser.json" },
		{ "mavic_pro_buggy.SRT", "mavic_pro_buggy.SRT.srtparser.json" },
		/* npm 1.2.4 fails on this mixed file (NOTES 4): git HEAD reads it */
		{ "mix_p4rtk_mavic2pro.srt", "mix_p4rtk_mavic2pro.srt.srtparser-git-b6ed790.json" },
		{ "old_format.SRT", "old_format.SRT.srtparser.json" },
		{ "p4_rtk.SRT", "p4_rtk.SRT.srtparser.json" },
		{ "p4p_sample.SRT", "p4p_sample.SRT.srtparser.json" },
		{ "webodm_video.srt", "webodm_video.srt.srtparser.json" },
	};
	for (size_t i = 0; i < sizeof(srts) / sizeof(srts[0]); i++) srt_file(srts[i][0], srts[i][1]);
	flightrec_file("DJIFlightRecord_2015-12-29_[19-05-48].txt");
	flightrec_file("DJIFlightRecord_2021-09-05_[19-23-47].txt");
	printf("golden: %d files, %d value comparisons\n", golden_files, golden_values);
	return check_done();
}
