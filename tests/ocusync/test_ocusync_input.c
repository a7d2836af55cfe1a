/*
 * test_ocusync_input - bad recordings give clear errors or warnings, never
 * a crash, and never a frame reported decoded that was not:
 * cut in the middle of a burst, wrong and missing sample rates, NaN and
 * saturated samples, a missing or short data file, malformed metadata,
 * raw input without a format, a partial trailing sample.
 * All recordings are made here by the test transmitter.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/ocusync.h"
#include "ocusync/encode_int.h"
#include "ocusync/rx_int.h"
#include "ocusync/sigmf_int.h"

static char dir[900];

static void path(char *out, const char *name) { snprintf(out, 1024, "%s/%s", dir, name); }

static void write_file(const char *name, const void *p, size_t n)
{
	char f[1024];
	path(f, name);
	FILE *fp = fopen(f, "wb");
	if (!fp) return;
	fwrite(p, 1, n, fp);
	fclose(fp);
}

static void meta(const char *base, const char *extra)
{
	char buf[1024], name[256];
	snprintf(buf, sizeof(buf), "{\"global\":{\"core:datatype\":\"cf32_le\",\"core:version\":\"1.0.0\"%s},"
	         "\"captures\":[{\"core:sample_start\":0,\"core:frequency\":2.4295e9}],\"annotations\":[]}", extra);
	snprintf(name, sizeof(name), "%s.sigmf-meta", base);
	write_file(name, buf, strlen(buf));
}

static bool has_warning(const dv_ocusync_result *r, const char *what)
{
	for (size_t i = 0; i < r->nwarnings; i++)
		if (strstr(r->warnings[i].text, what)) return true;
	return false;
}

static dv_ocusync_result *decode(const char *name, const dv_ocusync_opts *o, int want_rc)
{
	char f[1024];
	path(f, name);
	dv_ocusync_result *r = NULL;
	int rc = dv_ocusync_decode(&r, f, o);
	if (rc != want_rc) fprintf(stderr, "%s: rc %d, want %d: %s\n", name, rc, want_rc, dv_error_text());
	CHECK(rc == want_rc);
	CHECK((rc == 0) == (r != NULL));
	return r;
}

int main(void)
{
	const char *tmp = getenv("DV_TMP");
	snprintf(dir, sizeof(dir), "%s/ocusync_input", tmp ? tmp : "/tmp");
	mkdir(tmp ? tmp : "/tmp", 0755);
	mkdir(dir, 0755);

	/* two frames at 15.36 Msps, 20 dB */
	size_t slot = 20000, n = 2 * slot;
	float complex *x = calloc(n, sizeof(*x));
	uint64_t rng = 5;
	dv_ocusync_frame f;
	memset(&f, 0, sizeof(f));
	snprintf(f.serial, sizeof(f.serial), "TESTSERIAL0001");
	f.lat = 52.5, f.lon = 13.4, f.app_lat = 52.501, f.app_lon = 13.401, f.device_type = 63;
	uint8_t payload[OS_PAYLOAD];
	os_payload_build(payload, &f);
	for (int k = 0; k < 2; k++) {
		os_enc e = { .fs = OS_FS, .start = (double)(k * slot + 4000), .amp = 1 };
		os_encode_iq(x, n, payload, &e);
	}
	os_add_noise(x, n, OS_FS, 20, &rng);
	write_file("good.sigmf-data", x, n * sizeof(*x));
	meta("good", ",\"core:sample_rate\":15360000");
	dv_ocusync_result *r = decode("good.sigmf-meta", NULL, 0);
	if (r) {
		CHECK_EQ(r->crc_ok, 2);
		CHECK(r->center_freq == 2.4295e9);
		CHECK(r->nframes == 2 && !strcmp(r->frames[0].serial, "TESTSERIAL0001"));
		dv_ocusync_result_free(r);
	}

	/* cut in the middle of the second burst */
	write_file("cut.sigmf-data", x, (slot + 4000 + 5000) * sizeof(*x));
	meta("cut", ",\"core:sample_rate\":15360000");
	r = decode("cut.sigmf-meta", NULL, 0);
	if (r) {
		CHECK_EQ(r->crc_ok, 1);
		CHECK(has_warning(r, "cut"));
		dv_ocusync_result_free(r);
	}

	/* wrong rate: twice the real one -> bursts of half the length, none decoded, a hint */
	meta("fast", ",\"core:sample_rate\":30720000,\"core:dataset\":\"good.sigmf-data\"");
	r = decode("fast.sigmf-meta", NULL, 0);
	if (r) {
		CHECK_EQ(r->crc_ok, 0);
		CHECK(has_warning(r, "sample rate"));
		dv_ocusync_result_free(r);
	}
	/* too low to hold the band */
	meta("slow", ",\"core:sample_rate\":2000000,\"core:dataset\":\"good.sigmf-data\"");
	decode("slow.sigmf-meta", NULL, DV_EINVAL);
	CHECK(strstr(dv_error_text(), "cannot hold") != NULL);
	/* missing: an error naming the option */
	meta("norate", ",\"core:dataset\":\"good.sigmf-data\"");
	decode("norate.sigmf-meta", NULL, DV_EINVAL);
	CHECK(strstr(dv_error_text(), "--sample-rate") != NULL);
	dv_ocusync_opts o = { .sample_rate = 15.36e6 };
	r = decode("norate.sigmf-meta", &o, 0);
	if (r) {
		CHECK_EQ(r->crc_ok, 2);
		dv_ocusync_result_free(r);
	}
	meta("badrate", ",\"core:sample_rate\":-5,\"core:dataset\":\"good.sigmf-data\"");
	decode("badrate.sigmf-meta", NULL, DV_EINVAL);
	meta("strrate", ",\"core:sample_rate\":\"fast\",\"core:dataset\":\"good.sigmf-data\"");
	decode("strrate.sigmf-meta", NULL, DV_EINVAL);

	/* raw input: the format and the rate are needed */
	decode("good.sigmf-data.raw", NULL, DV_EINVAL);
	write_file("good.raw", x, n * sizeof(*x));
	decode("good.raw", NULL, DV_EINVAL);
	CHECK(strstr(dv_error_text(), "--iq-format") != NULL);
	dv_ocusync_opts raw = { .iq_format = "cf32" };
	decode("good.raw", &raw, DV_EINVAL);
	raw.sample_rate = 15.36e6;
	r = decode("good.raw", &raw, 0);
	if (r) {
		CHECK_EQ(r->crc_ok, 2);
		dv_ocusync_result_free(r);
	}
	dv_ocusync_opts bogus = { .iq_format = "cf64", .sample_rate = 15.36e6 };
	decode("good.raw", &bogus, DV_EINVAL);

	/* NaN in the middle of the first burst, infinities in the second */
	float complex *y = malloc(n * sizeof(*y));
	memcpy(y, x, n * sizeof(*y));
	for (size_t i = 6000; i < 6400; i++) y[i] = NAN;
	for (size_t i = slot + 9000; i < slot + 9100; i++) y[i] = INFINITY;
	write_file("nan.raw", y, n * sizeof(*y));
	r = decode("nan.raw", &raw, 0);
	if (r) {
		CHECK_EQ(r->nan_samples, 500);
		CHECK(has_warning(r, "NaN"));
		for (size_t i = 0; i < r->nframes; i++)
			CHECK(!r->frames[i].decoded || !strcmp(r->frames[i].serial, "TESTSERIAL0001"));
		dv_ocusync_result_free(r);
	}
	/* saturated 8-bit samples */
	uint8_t *u = malloc(2 * n);
	for (size_t i = 0; i < n; i++) {
		u[2 * i] = crealf(x[i]) > 0 ? 255 : 0;
		u[2 * i + 1] = cimagf(x[i]) > 0 ? 255 : 0;
	}
	write_file("sat.cu8", u, 2 * n);
	dv_ocusync_opts cu8 = { .iq_format = "cu8", .sample_rate = 15.36e6 };
	r = decode("sat.cu8", &cu8, 0);
	if (r) {
		CHECK(has_warning(r, "saturated"));
		dv_ocusync_result_free(r);
	}

	/* data file missing; shorter than the annotations declare; partial sample */
	meta("nodata", ",\"core:sample_rate\":15360000");
	decode("nodata.sigmf-meta", NULL, DV_ENOTFOUND);
	CHECK(strstr(dv_error_text(), "missing") != NULL);
	{
		char buf[512];
		snprintf(buf, sizeof(buf), "{\"global\":{\"core:datatype\":\"cf32_le\",\"core:sample_rate\":15360000,"
		         "\"core:dataset\":\"good.sigmf-data\"},\"captures\":[{\"core:sample_start\":0}],"
		         "\"annotations\":[{\"core:sample_start\":1000,\"core:sample_count\":900000}]}");
		write_file("short.sigmf-meta", buf, strlen(buf));
		r = decode("short.sigmf-meta", NULL, 0);
		if (r) {
			CHECK(has_warning(r, "shorter"));
			dv_ocusync_result_free(r);
		}
	}
	write_file("odd.raw", x, n * sizeof(*x) - 3);
	r = decode("odd.raw", &raw, 0);
	if (r) {
		CHECK(has_warning(r, "partial"));
		dv_ocusync_result_free(r);
	}
	write_file("empty.raw", "", 0);
	decode("empty.raw", &raw, DV_ETRUNC);

	/* malformed metadata */
	write_file("junk.sigmf-meta", "{\"global\": [1, 2", 16);
	decode("junk.sigmf-meta", NULL, DV_EINVAL);
	write_file("deep.sigmf-meta", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 100);
	decode("deep.sigmf-meta", NULL, DV_EINVAL);
	meta("escape", ",\"core:sample_rate\":15360000,\"core:dataset\":\"../etc/passwd\"");
	decode("escape.sigmf-meta", NULL, DV_EINVAL);
	{
		const char *m = "{\"global\":{\"core:datatype\":\"rf64_le\",\"core:sample_rate\":1e7}}";
		write_file("rf64.sigmf-meta", m, strlen(m));
		decode("rf64.sigmf-meta", NULL, DV_EUNSUPPORTED);
	}
	/* pure noise: nothing, no warning about frames */
	memset(x, 0, n * sizeof(*x));
	os_add_noise(x, n, OS_FS, 10, &rng);
	write_file("noise.raw", x, n * sizeof(*x));
	r = decode("noise.raw", &raw, 0);
	if (r) {
		CHECK_EQ(r->nframes, 0);
		dv_ocusync_result_free(r);
	}
	free(x);
	free(y);
	free(u);
	return check_done();
}
