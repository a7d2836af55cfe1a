/*
 * track.c - dv_track_point helpers and the GeoJSON/GPX/KML/CSV writers.
 * The writers stream: memory use does not depend on the number of points.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dv/err.h"
#include "dv/telemetry.h"

int64_t dv_telemetry_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void dv_telemetry_time_text(char *buf, size_t size, int64_t time_us, dv_time_kind kind)
{
	if (size == 0) return;
	if (kind == DV_TIME_NONE) {
		buf[0] = 0;
		return;
	}
	int64_t secs = time_us / 1000000, us = time_us % 1000000;
	if (us < 0) {
		us += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	char frac[16] = "";
	if (us % 1000)
		snprintf(frac, sizeof(frac), ".%06" PRId64, us);
	else if (us)
		snprintf(frac, sizeof(frac), ".%03" PRId64, us / 1000);
	snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%s%s", y, m, d,
	         (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), frac,
	         kind == DV_TIME_UTC ? "Z" : "");
}

void dv_track_local_to_utc(dv_track_point *points, size_t n, int offset_min)
{
	for (size_t i = 0; i < n; i++)
		if (points[i].time_kind == DV_TIME_LOCAL) {
			points[i].time_us -= (int64_t)offset_min * 60 * 1000000;
			points[i].time_kind = DV_TIME_UTC;
		}
}

int dv_track_format_parse(dv_track_format *out, const char *name)
{
	static const struct { const char *n; dv_track_format f; } names[] = {
		{ "geojson", DV_TRACK_GEOJSON }, { "json", DV_TRACK_GEOJSON },
		{ "gpx", DV_TRACK_GPX }, { "kml", DV_TRACK_KML }, { "csv", DV_TRACK_CSV },
	};
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].n)) {
			*out = names[i].f;
			return 0;
		}
	return dv_error_set(DV_EINVAL, NULL, -1, "unknown track format '%s' (geojson, gpx, kml, csv)",
	                    name ? name : "");
}

/* Writes s escaped for XML (xml != 0) or for a JSON string. */
static void put_escaped(FILE *f, const char *s, int xml)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		unsigned char c = *p;
		if (xml) {
			if (c == '<') fputs("&lt;", f);
			else if (c == '>') fputs("&gt;", f);
			else if (c == '&') fputs("&amp;", f);
			else if (c == '"') fputs("&quot;", f);
			else if (c < 0x20 && c != '\t' && c != '\n') fputc(' ', f);
			else fputc(c, f);
		} else {
			if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
			else if (c < 0x20) fprintf(f, "\\u%04x", c);
			else fputc(c, f);
		}
	}
}

static void put_num(FILE *f, double v, int prec)
{
	if (isfinite(v)) fprintf(f, "%.*f", prec, v);
	else fputs("null", f);
}

static void write_geojson(FILE *f, const char *name, const dv_track_point *pt, size_t n)
{
	size_t fixes = 0;
	for (size_t i = 0; i < n; i++) fixes += pt[i].has_pos;
	fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
	int first = 1;
	if (fixes >= 2) {
		fputs("\n{\"type\":\"Feature\",\"properties\":{\"name\":\"", f);
		put_escaped(f, name ? name : "track", 0);
		fputs("\",\"kind\":\"track\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[", f);
		int c = 0;
		for (size_t i = 0; i < n; i++) {
			if (!pt[i].has_pos) continue;
			fprintf(f, "%s[%.8f,%.8f", c++ ? "," : "", pt[i].lon, pt[i].lat);
			if (isfinite(pt[i].alt)) fprintf(f, ",%.3f", pt[i].alt);
			fputc(']', f);
		}
		fputs("]}}", f);
		first = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!pt[i].has_pos) continue;
		char t[48];
		dv_telemetry_time_text(t, sizeof(t), pt[i].time_us, pt[i].time_kind);
		fprintf(f, "%s\n{\"type\":\"Feature\",\"properties\":{\"seq\":%zu,\"time\":", first ? "" : ",", i);
		first = 0;
		if (t[0]) fprintf(f, "\"%s\"", t);
		else fputs("null", f);
		fprintf(f, ",\"time_kind\":\"%s\",\"alt\":",
		        pt[i].time_kind == DV_TIME_UTC ? "utc" : pt[i].time_kind == DV_TIME_LOCAL ? "local" : "none");
		put_num(f, pt[i].alt, 3);
		fputs(",\"height\":", f);
		put_num(f, pt[i].height, 3);
		fprintf(f, ",\"media_ms\":%" PRId64 "},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.8f,%.8f",
		        pt[i].media_ms, pt[i].lon, pt[i].lat);
		if (isfinite(pt[i].alt)) fprintf(f, ",%.3f", pt[i].alt);
		fputs("]}}", f);
	}
	fputs("\n]}\n", f);
}

static void write_gpx(FILE *f, const char *name, const dv_track_point *pt, size_t n)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<gpx version=\"1.1\" creator=\"dronevault\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
	      "<trk><name>", f);
	put_escaped(f, name ? name : "track", 1);
	fputs("</name><trkseg>\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!pt[i].has_pos) continue;
		fprintf(f, "<trkpt lat=\"%.8f\" lon=\"%.8f\">", pt[i].lat, pt[i].lon);
		if (isfinite(pt[i].alt)) fprintf(f, "<ele>%.3f</ele>", pt[i].alt);
		char t[48];
		dv_telemetry_time_text(t, sizeof(t), pt[i].time_us, pt[i].time_kind);
		if (pt[i].time_kind == DV_TIME_UTC) fprintf(f, "<time>%s</time>", t);
		else if (pt[i].time_kind == DV_TIME_LOCAL) fprintf(f, "<desc>local time %s (zone unknown)</desc>", t);
		fputs("</trkpt>\n", f);
	}
	fputs("</trkseg></trk>\n</gpx>\n", f);
}

static void write_kml(FILE *f, const char *name, const dv_track_point *pt, size_t n)
{
	size_t fixes = 0;
	for (size_t i = 0; i < n; i++) fixes += pt[i].has_pos;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document><name>", f);
	put_escaped(f, name ? name : "track", 1);
	fputs("</name>\n", f);
	if (fixes >= 2) {
		fputs("<Placemark><name>track</name><LineString><altitudeMode>absolute</altitudeMode><coordinates>\n", f);
		for (size_t i = 0; i < n; i++)
			if (pt[i].has_pos)
				fprintf(f, "%.8f,%.8f,%.3f\n", pt[i].lon, pt[i].lat,
				        isfinite(pt[i].alt) ? pt[i].alt : 0.0);
		fputs("</coordinates></LineString></Placemark>\n", f);
	}
	for (size_t i = 0; i < n; i++) {
		if (!pt[i].has_pos) continue;
		char t[48];
		dv_telemetry_time_text(t, sizeof(t), pt[i].time_us, pt[i].time_kind);
		fprintf(f, "<Placemark><name>%zu</name>", i);
		if (pt[i].time_kind == DV_TIME_UTC) fprintf(f, "<TimeStamp><when>%s</when></TimeStamp>", t);
		else if (pt[i].time_kind == DV_TIME_LOCAL) fprintf(f, "<description>local time %s (zone unknown)</description>", t);
		fprintf(f, "<Point><coordinates>%.8f,%.8f", pt[i].lon, pt[i].lat);
		if (isfinite(pt[i].alt)) fprintf(f, ",%.3f", pt[i].alt);
		fputs("</coordinates></Point></Placemark>\n", f);
	}
	fputs("</Document>\n</kml>\n", f);
}

static void write_csv(FILE *f, const dv_track_point *pt, size_t n)
{
	fputs("seq,time,time_kind,lat,lon,alt,height,media_ms\n", f);
	for (size_t i = 0; i < n; i++) {
		char t[48];
		if (!pt[i].has_pos && pt[i].time_kind == DV_TIME_NONE && pt[i].media_ms < 0 && !isfinite(pt[i].alt) &&
		    !isfinite(pt[i].height))
			continue; /* nothing to say: never an empty row */
		dv_telemetry_time_text(t, sizeof(t), pt[i].time_us, pt[i].time_kind);
		fprintf(f, "%zu,%s,%s,", i, t,
		        pt[i].time_kind == DV_TIME_UTC ? "utc" : pt[i].time_kind == DV_TIME_LOCAL ? "local" : "none");
		if (pt[i].has_pos) fprintf(f, "%.8f,%.8f,", pt[i].lat, pt[i].lon);
		else fputs(",,", f);
		if (isfinite(pt[i].alt)) fprintf(f, "%.3f", pt[i].alt);
		fputc(',', f);
		if (isfinite(pt[i].height)) fprintf(f, "%.3f", pt[i].height);
		fputc(',', f);
		if (pt[i].media_ms >= 0) fprintf(f, "%" PRId64, pt[i].media_ms);
		fputc('\n', f);
	}
}

int dv_track_write(FILE *f, dv_track_format format, const char *name,
                   const dv_track_point *points, size_t n)
{
	if (!f || (n && !points))
		return dv_error_set(DV_EINVAL, NULL, -1, "dv_track_write: no stream or no points");
	switch (format) {
	case DV_TRACK_GEOJSON: write_geojson(f, name, points, n); break;
	case DV_TRACK_GPX: write_gpx(f, name, points, n); break;
	case DV_TRACK_KML: write_kml(f, name, points, n); break;
	case DV_TRACK_CSV: write_csv(f, points, n); break;
	default: return dv_error_set(DV_EINVAL, NULL, -1, "unknown track format %d", (int)format);
	}
	if (fflush(f) != 0 || ferror(f))
		return dv_error_set(DV_EIO, NULL, -1, "cannot write track");
	return 0;
}
