/*
 * ocusync/report.c - per-aircraft report, JSON and GeoJSON of decoded
 * OcuSync DroneID frames, in the spirit of the Remote ID report: who
 * broadcast (serial, model), where it flew, where its home point and its
 * pilot were, and how far apart. Frames whose CRC fails are listed with
 * their verdict and nothing from their content.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/geojson_int.h"
#include "dv/err.h"
#include "dv/ocusync.h"

#define MAX_AC 256

typedef struct ac {
	const char *serial, *model;
	size_t n;
	const dv_ocusync_frame *first, *last;
	double max_pilot_m;
} ac;

static double dist_m(double la1, double lo1, double la2, double lo2)
{
	const double R = 6371008.8, d = M_PI / 180;
	double a = sin((la2 - la1) * d / 2), b = sin((lo2 - lo1) * d / 2);
	double h = a * a + cos(la1 * d) * cos(la2 * d) * b * b;
	return 2 * R * asin(sqrt(h < 1 ? h : 1));
}

static bool usable(const dv_ocusync_frame *f) { return f->decoded && f->pkt_len == 88; }
static bool has_pos(double lat, double lon) { return (lat != 0 || lon != 0) && fabs(lat) <= 90 && fabs(lon) <= 180; }

static size_t group(ac *out, const dv_ocusync_result *const *r, size_t n)
{
	size_t na = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < r[i]->nframes; k++) {
			const dv_ocusync_frame *f = &r[i]->frames[k];
			if (!usable(f)) continue;
			size_t a = 0;
			while (a < na && strcmp(out[a].serial, f->serial)) a++;
			if (a == na) {
				if (na == MAX_AC) continue;
				out[na++] = (ac){ f->serial, f->device_name, 0, f, f, 0 };
			}
			out[a].n++;
			out[a].last = f;
			if (has_pos(f->lat, f->lon) && has_pos(f->app_lat, f->app_lon)) {
				double d = dist_m(f->lat, f->lon, f->app_lat, f->app_lon);
				if (d > out[a].max_pilot_m) out[a].max_pilot_m = d;
			}
		}
	return na;
}

void dv_ocusync_print(const dv_ocusync_result *const *r, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const dv_ocusync_result *x = r[i];
		fprintf(out, "%s: %s at %.3f Msps%s, %.3f s, %llu DroneID-length bursts, %zu frames: %zu CRC OK, %zu CRC failed\n",
		        x->path, x->datatype, x->sample_rate / 1e6, x->center_freq > 0 ? "" : " (centre frequency unknown)",
		        x->sample_rate > 0 ? (double)x->samples / x->sample_rate : 0, (unsigned long long)x->candidates,
		        x->nframes, x->crc_ok, x->crc_bad);
		for (size_t w = 0; w < x->nwarnings; w++)
			fprintf(out, "  warning at sample %llu: %s\n", (unsigned long long)x->warnings[w].sample, x->warnings[w].text);
		for (size_t k = 0; k < x->nframes; k++) {
			const dv_ocusync_frame *f = &x->frames[k];
			fprintf(out, "  frame at %.6f s, %+.1f kHz, Es/N0 %.1f dB: ", f->time_s, f->freq_offset_hz / 1e3, f->snr_db);
			if (!f->decoded) {
				fprintf(out, "CRC FAILED (%s), content not used\n", !f->crc24_ok ? "CRC24A" : "packet CRC-16");
				continue;
			}
			if (f->pkt_len != 88) {
				fprintf(out, "CRC OK, packet of unknown layout (length %u, version %u)\n", f->pkt_len, f->version);
				continue;
			}
			fprintf(out, "CRC OK, serial %s (%s), seq %u\n", f->serial, f->device_name ? f->device_name : "unknown model",
			        f->sequence);
			fprintf(out, "    aircraft %.7f, %.7f, altitude %.2f m, height %.2f m, velocity N %d E %d up %d, yaw %d\n",
			        f->lat, f->lon, f->altitude_m, f->height_m, f->v_north, f->v_east, f->v_up, f->yaw);
			fprintf(out, "    PILOT (app) %.7f, %.7f   home %.7f, %.7f   GPS time %llu ms   UUID %s\n", f->app_lat,
			        f->app_lon, f->home_lat, f->home_lon, (unsigned long long)f->gps_time_ms, f->uuid);
		}
	}
	ac a[MAX_AC];
	size_t na = group(a, r, n);
	if (!na) {
		fprintf(out, "No OcuSync DroneID frame decoded.\n");
		return;
	}
	for (size_t i = 0; i < na; i++)
		fprintf(out, "EXPOSED: aircraft %s (%s) broadcast %zu DroneID frames; last pilot position %.7f, %.7f, "
		        "up to %.0f m from the aircraft\n", a[i].serial, a[i].model ? a[i].model : "unknown model", a[i].n,
		        a[i].last->app_lat, a[i].last->app_lon, a[i].max_pilot_m);
}

static json_object *frame_json(const dv_ocusync_frame *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "sample", json_object_new_int64((int64_t)f->sample));
	json_object_object_add(o, "time_s", json_object_new_double(f->time_s));
	json_object_object_add(o, "freq_offset_hz", json_object_new_double(round(f->freq_offset_hz)));
	json_object_object_add(o, "snr_db", json_object_new_double(round(f->snr_db * 10) / 10));
	json_object_object_add(o, "crc24_ok", json_object_new_boolean(f->crc24_ok));
	json_object_object_add(o, "crc16_ok", json_object_new_boolean(f->crc16_ok));
	json_object_object_add(o, "verdict", json_object_new_string(f->decoded ? "crc ok" : "crc failed"));
	json_object_object_add(o, "turbo_iterations", json_object_new_int(f->turbo_iterations));
	if (!f->decoded) return o;
	json_object_object_add(o, "pkt_len", json_object_new_int((int)f->pkt_len));
	json_object_object_add(o, "version", json_object_new_int((int)f->version));
	char hex[2 * 176 + 1];
	for (size_t i = 0; i < 176; i++) snprintf(hex + 2 * i, 3, "%02x", f->raw[i]);
	json_object_object_add(o, "raw", json_object_new_string(hex));
	if (f->pkt_len != 88) return o;
	char c[8];
	json_object_object_add(o, "sequence_number", json_object_new_int((int)f->sequence));
	json_object_object_add(o, "state_info", json_object_new_int((int)f->state_info));
	json_object_object_add(o, "serial_number", json_object_new_string(f->serial));
	json_object_object_add(o, "latitude", json_object_new_double(f->lat));
	json_object_object_add(o, "longitude", json_object_new_double(f->lon));
	json_object_object_add(o, "altitude", json_object_new_double(f->altitude_m));
	json_object_object_add(o, "height", json_object_new_double(f->height_m));
	json_object_object_add(o, "v_north", json_object_new_int(f->v_north));
	json_object_object_add(o, "v_east", json_object_new_int(f->v_east));
	json_object_object_add(o, "v_up", json_object_new_int(f->v_up));
	json_object_object_add(o, "d_1_angle", json_object_new_int(f->yaw));
	json_object_object_add(o, "gps_time", json_object_new_int64((int64_t)f->gps_time_ms));
	json_object_object_add(o, "app_lat", json_object_new_double(f->app_lat));
	json_object_object_add(o, "app_lon", json_object_new_double(f->app_lon));
	json_object_object_add(o, "latitude_home", json_object_new_double(f->home_lat));
	json_object_object_add(o, "longitude_home", json_object_new_double(f->home_lon));
	json_object_object_add(o, "device_type_id", json_object_new_int((int)f->device_type));
	json_object_object_add(o, "device_type", f->device_name ? json_object_new_string(f->device_name) : NULL);
	json_object_object_add(o, "uuid_len", json_object_new_int((int)f->uuid_len));
	json_object_object_add(o, "uuid", json_object_new_string(f->uuid));
	snprintf(c, sizeof(c), "%04x", f->crc_packet);
	json_object_object_add(o, "crc_packet", json_object_new_string(c));
	snprintf(c, sizeof(c), "%04x", f->crc_calculated);
	json_object_object_add(o, "crc_calculated", json_object_new_string(c));
	return o;
}

static int finish(char **out, json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(root);
	return *out ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

int dv_ocusync_json(char **out, const dv_ocusync_result *const *r, size_t n)
{
	json_object *root = json_object_new_object(), *recs = json_object_new_array(), *acs = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const dv_ocusync_result *x = r[i];
		json_object *o = json_object_new_object(), *fr = json_object_new_array(), *wa = json_object_new_array();
		json_object_object_add(o, "path", json_object_new_string(x->path));
		json_object_object_add(o, "data_file", json_object_new_string(x->data_path));
		json_object_object_add(o, "datatype", json_object_new_string(x->datatype));
		json_object_object_add(o, "sample_rate", json_object_new_double(x->sample_rate));
		if (x->center_freq > 0) json_object_object_add(o, "center_freq", json_object_new_double(x->center_freq));
		json_object_object_add(o, "samples", json_object_new_int64((int64_t)x->samples));
		json_object_object_add(o, "frame_candidates", json_object_new_int64((int64_t)x->candidates));
		json_object_object_add(o, "frames_with_pilots", json_object_new_int64((int64_t)x->nframes));
		json_object_object_add(o, "crc_ok", json_object_new_int64((int64_t)x->crc_ok));
		json_object_object_add(o, "crc_failed", json_object_new_int64((int64_t)x->crc_bad));
		for (size_t w = 0; w < x->nwarnings; w++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "sample", json_object_new_int64((int64_t)x->warnings[w].sample));
			json_object_object_add(e, "warning", json_object_new_string(x->warnings[w].text));
			json_object_array_add(wa, e);
		}
		json_object_object_add(o, "warnings", wa);
		for (size_t k = 0; k < x->nframes; k++) json_object_array_add(fr, frame_json(&x->frames[k]));
		json_object_object_add(o, "frames", fr);
		json_object_array_add(recs, o);
	}
	ac a[MAX_AC];
	size_t na = group(a, r, n);
	for (size_t i = 0; i < na; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "serial_number", json_object_new_string(a[i].serial));
		json_object_object_add(o, "device_type", a[i].model ? json_object_new_string(a[i].model) : NULL);
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)a[i].n));
		json_object_object_add(o, "pilot_lat", json_object_new_double(a[i].last->app_lat));
		json_object_object_add(o, "pilot_lon", json_object_new_double(a[i].last->app_lon));
		json_object_object_add(o, "home_lat", json_object_new_double(a[i].last->home_lat));
		json_object_object_add(o, "home_lon", json_object_new_double(a[i].last->home_lon));
		json_object_object_add(o, "max_pilot_distance_m", json_object_new_double(round(a[i].max_pilot_m * 10) / 10));
		json_object_array_add(acs, o);
	}
	json_object_object_add(root, "protocol", json_object_new_string("DJI OcuSync DroneID"));
	json_object_object_add(root, "recordings", recs);
	json_object_object_add(root, "aircraft", acs);
	return finish(out, root);
}

static json_object *point(double lat, double lon, const char *kind, const dv_ocusync_frame *f)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "kind", json_object_new_string(kind));
	json_object_object_add(p, "serial_number", json_object_new_string(f->serial));
	json_object_object_add(p, "gps_time", json_object_new_int64((int64_t)f->gps_time_ms));
	if (!strcmp(kind, "aircraft")) {
		json_object_object_add(p, "altitude", json_object_new_double(f->altitude_m));
		json_object_object_add(p, "height", json_object_new_double(f->height_m));
	}
	return dv_geojson_feature("Point", dv_geojson_lonlat(lon, lat), p);
}

int dv_ocusync_geojson(char **out, const dv_ocusync_result *const *r, size_t n)
{
	json_object *root = json_object_new_object(), *fs = json_object_new_array();
	json_object_object_add(root, "type", json_object_new_string("FeatureCollection"));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < r[i]->nframes; k++) {
			const dv_ocusync_frame *f = &r[i]->frames[k];
			if (!usable(f)) continue;
			if (has_pos(f->lat, f->lon)) json_object_array_add(fs, point(f->lat, f->lon, "aircraft", f));
			if (has_pos(f->app_lat, f->app_lon)) json_object_array_add(fs, point(f->app_lat, f->app_lon, "pilot", f));
			if (has_pos(f->home_lat, f->home_lon)) json_object_array_add(fs, point(f->home_lat, f->home_lon, "home", f));
		}
	json_object_object_add(root, "features", fs);
	return finish(out, root);
}
