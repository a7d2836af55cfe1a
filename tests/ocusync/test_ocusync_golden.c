/*
 * test_ocusync_golden - the real recording is the end-to-end anchor.
 *
 * $DV_SHARED/radio/ocusync/mavic_air_2.sigmf-meta (a Mavic Air 2, 50 Msps,
 * 4.5 ms) must give the reference receiver's frame (expected.json): serial,
 * positions within 1e-7 degrees, altitudes within 0.01 m, velocities,
 * GPS time, device type, UUID, CRC OK; its three candidates; and the cut
 * burst at the end reported as cut. Then the same samples converted to
 * ci16, cu8 and ci8 and read raw with the format and rate given, as an
 * RTL-SDR or another SDR would have written them. Skipped (77) without
 * ../shared.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/ocusync.h"

static double num(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : NAN;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static const dv_ocusync_frame *find(const dv_ocusync_result *r, unsigned seq)
{
	for (size_t i = 0; i < r->nframes; i++)
		if (r->frames[i].decoded && r->frames[i].pkt_len == 88 && r->frames[i].sequence == seq) return &r->frames[i];
	return NULL;
}

static void check_frame(const dv_ocusync_frame *f, json_object *e)
{
	CHECK(f != NULL);
	if (!f) return;
	CHECK(f->decoded && f->crc24_ok && f->crc16_ok);
	CHECK(!strcmp(f->serial, str(e, "serial_number")));
	CHECK(fabs(f->lat - num(e, "latitude")) < 1e-7);
	CHECK(fabs(f->lon - num(e, "longitude")) < 1e-7);
	CHECK(fabs(f->app_lat - num(e, "app_lat")) < 1e-7);
	CHECK(fabs(f->app_lon - num(e, "app_lon")) < 1e-7);
	CHECK(fabs(f->home_lat - num(e, "latitude_home")) < 1e-7);
	CHECK(fabs(f->home_lon - num(e, "longitude_home")) < 1e-7);
	CHECK(fabs(f->altitude_m - num(e, "altitude")) < 0.01);
	CHECK(fabs(f->height_m - num(e, "height")) < 0.01);
	CHECK(f->v_north == (int)num(e, "v_north") && f->v_east == (int)num(e, "v_east") && f->v_up == (int)num(e, "v_up"));
	CHECK(f->yaw == (int)num(e, "d_1_angle"));
	CHECK(f->state_info == (unsigned)num(e, "state_info") && f->version == (unsigned)num(e, "version"));
	CHECK(f->pkt_len == (unsigned)num(e, "pkt_len"));
	CHECK((double)f->gps_time_ms == num(e, "gps_time"));
	CHECK(f->device_name && !strcmp(f->device_name, str(e, "device_type")));
	CHECK(f->uuid_len == (unsigned)num(e, "uuid_len") && !strcmp(f->uuid, str(e, "uuid")));
	char c[8];
	snprintf(c, sizeof(c), "%04x", f->crc_packet);
	CHECK(!strcmp(c, str(e, "crc_packet")));
	snprintf(c, sizeof(c), "%04x", f->crc_calculated);
	CHECK(!strcmp(c, str(e, "crc_calculated")));
}

/* the recording converted to an integer format, written to dir */
static int convert(const char *src, const char *dst, const char *fmt)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	if (!in || !out) {
		if (in) fclose(in);
		if (out) fclose(out);
		return -1;
	}
	float v[2];
	/* the bursts peak near 0.35: scale so integer formats use their range */
	const float g = 2.5f;
	while (fread(v, 4, 2, in) == 2) {
		for (int k = 0; k < 2; k++) {
			float x = v[k] * g;
			if (x > 1) x = 1;
			if (x < -1) x = -1;
			if (!strcmp(fmt, "ci16")) {
				int16_t s = (int16_t)lrintf(x * 32767);
				fwrite(&s, 2, 1, out);
			} else if (!strcmp(fmt, "cu8")) {
				uint8_t s = (uint8_t)lrintf(x * 127.5f + 127.5f);
				fwrite(&s, 1, 1, out);
			} else {
				int8_t s = (int8_t)lrintf(x * 127);
				fwrite(&s, 1, 1, out);
			}
		}
	}
	fclose(in);
	fclose(out);
	return 0;
}

int main(void)
{
	const char *sh = getenv("DV_SHARED");
	char meta[1024], exp[1024], data[1024];
	snprintf(meta, sizeof(meta), "%s/radio/ocusync/mavic_air_2.sigmf-meta", sh ? sh : "");
	snprintf(exp, sizeof(exp), "%s/radio/ocusync/mavic_air_2.expected.json", sh ? sh : "");
	snprintf(data, sizeof(data), "%s/radio/ocusync/mavic_air_2.cf32", sh ? sh : "");
	struct stat st;
	if (!sh || stat(meta, &st) < 0 || stat(exp, &st) < 0) {
		fprintf(stderr, "no %s: skipped\n", meta);
		return 77;
	}
	json_object *ref = json_object_from_file(exp), *frames, *e0;
	CHECK(ref != NULL);
	if (!ref || !json_object_object_get_ex(ref, "frames", &frames) || !(e0 = json_object_array_get_idx(frames, 0)))
		return check_done();

	dv_ocusync_result *r = NULL;
	CHECK(dv_ocusync_decode(&r, meta, NULL) == 0);
	if (!r) {
		fprintf(stderr, "%s\n", dv_error_text());
		return check_done();
	}
	CHECK_EQ(r->candidates, (long long)num(ref, "frame_candidates"));
	CHECK_EQ(r->sample_rate, 50000000);
	CHECK(!strcmp(r->datatype, "cf32_le"));
	CHECK_EQ(r->samples, 225280);
	check_frame(find(r, (unsigned)num(e0, "sequence_number")), e0);
	/* we decode more than the reference (its frames are a subset), and no
	 * frame is decoded without both CRCs */
	CHECK(r->crc_ok >= (size_t)num(ref, "crc_ok"));
	for (size_t i = 0; i < r->nframes; i++) CHECK(!r->frames[i].decoded || (r->frames[i].crc24_ok && r->frames[i].crc16_ok));
	int cut = 0;
	for (size_t i = 0; i < r->nwarnings; i++) cut += strstr(r->warnings[i].text, "cut") != NULL;
	CHECK(cut == 1);
	char *js = NULL, *gj = NULL;
	const dv_ocusync_result *const rr[1] = { r };
	CHECK(dv_ocusync_json(&js, rr, 1) == 0 && js && strstr(js, "\"verdict\":\"crc ok\"") &&
	      strstr(js, "1WNBH3900201N1") != NULL);
	CHECK(dv_ocusync_geojson(&gj, rr, 1) == 0 && gj && strstr(gj, "\"pilot\"") != NULL);
	free(js);
	free(gj);
	dv_ocusync_result_free(r);

	/* raw integer formats */
	const char *tmp = getenv("DV_TMP");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/ocusync_golden", tmp ? tmp : "/tmp");
	mkdir(tmp ? tmp : "/tmp", 0755);
	mkdir(dir, 0755);
	static const char *const fmts[] = { "ci16", "cu8", "ci8" };
	for (int i = 0; i < 3; i++) {
		char p[1100];
		snprintf(p, sizeof(p), "%s/mavic_air_2.%s", dir, fmts[i]);
		CHECK(convert(data, p, fmts[i]) == 0);
		dv_ocusync_opts o = { .iq_format = fmts[i], .sample_rate = 50e6, .center_freq = 2.4e9 };
		r = NULL;
		CHECK(dv_ocusync_decode(&r, p, &o) == 0);
		if (!r) continue;
		fprintf(stderr, "%s: %zu frames, %zu CRC OK\n", fmts[i], r->nframes, r->crc_ok);
		check_frame(find(r, (unsigned)num(e0, "sequence_number")), e0);
		CHECK(r->center_freq == 2.4e9);
		dv_ocusync_result_free(r);
	}
	json_object_put(ref);
	return check_done();
}
