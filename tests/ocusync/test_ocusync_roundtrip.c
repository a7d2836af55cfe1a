/*
 * test_ocusync_roundtrip - the test transmitter against the receiver.
 *
 * DV_OCUSYNC_FRAMES frames (default 1000; the sanitizer build's CMake sets
 * 100) with random fields, each at Es/N0 10 dB over the occupied carriers,
 * a carrier offset uniform in +-10 kHz, a fractional start and a clock
 * error uniform in +-10 ppm, in a 15.36 Msps stream with noise between
 * the bursts. At least 99 % must decode with exactly the fields sent, and
 * none may be reported decoded with other fields. Then a few frames at
 * 50 Msps, 3.2 MHz off centre (band selection and resampling), and 50 at
 * 4 dB for the margin (>= 96 %; below 2 dB the energy detector, not the
 * decoder, starts to miss bursts); 5 and 25 of those in the sanitizer build.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ocusync/encode_int.h"
#include "ocusync/rx_int.h"

typedef struct sink {
	dv_ocusync_frame *f;
	size_t n, cap;
} sink;

static int on_frame(const dv_ocusync_frame *f, void *arg)
{
	sink *s = arg;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->f = realloc(s->f, s->cap * sizeof(*s->f));
	}
	s->f[s->n++] = *f;
	return 0;
}

static double uni(uint64_t *rng) { return 0.5 * (1 + erf(os_rand_normal(rng) / M_SQRT2)); }

static void random_frame(dv_ocusync_frame *f, uint64_t *rng, unsigned i)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->serial, sizeof(f->serial), "1WN%05u%06u", i, (unsigned)(uni(rng) * 999999));
	f->sequence = i & 0xffff;
	f->state_info = 8183;
	f->lat = -80 + 160 * uni(rng), f->lon = -179 + 358 * uni(rng);
	f->app_lat = f->lat + 0.001, f->app_lon = f->lon - 0.001;
	f->home_lat = f->lat - 0.0005, f->home_lon = f->lon + 0.0005;
	f->altitude_m = round(uni(rng) * 4000) / 3.281, f->height_m = round(uni(rng) * 1000) / 3.281;
	f->v_north = (int)(uni(rng) * 200) - 100, f->v_east = -3, f->v_up = 7, f->yaw = (int)(uni(rng) * 60000) - 30000;
	f->gps_time_ms = 1650542026258ull + i * 600;
	f->device_type = 58;
	snprintf(f->uuid, sizeof(f->uuid), "%u", 1000000 + i);
}

static bool same(const dv_ocusync_frame *a, const dv_ocusync_frame *b)
{
	return !strcmp(a->serial, b->serial) && a->sequence == b->sequence && fabs(a->lat - b->lat) < 3e-6 &&
	       fabs(a->lon - b->lon) < 3e-6 && fabs(a->app_lat - b->app_lat) < 3e-6 && a->gps_time_ms == b->gps_time_ms &&
	       a->yaw == b->yaw && !strcmp(a->uuid, b->uuid);
}

/* n frames through one receiver; returns how many decoded correctly and
 * counts wrong "decoded" ones in *wrong */
static size_t run(size_t n, double fs, double snr, double foff, uint64_t seed, size_t *wrong, double *worst_cfo)
{
	uint64_t rng = seed;
	size_t slot = (size_t)(fs * 1.3e-3);
	float complex *buf = malloc(slot * sizeof(float complex));
	dv_ocusync_frame *sent = malloc(n * sizeof(*sent));
	sink s = { 0 };
	os_rx *rx;
	if (!buf || !sent || os_rx_new(&rx, fs, on_frame, NULL, &s) < 0) {
		free(buf);
		free(sent);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		random_frame(&sent[i], &rng, (unsigned)i);
		uint8_t payload[OS_PAYLOAD];
		os_payload_build(payload, &sent[i]);
		memset(buf, 0, slot * sizeof(float complex));
		os_enc e = { .fs = fs, .start = (double)slot * 0.2 + uni(&rng) * 100, .amp = 1,
		             .freq_hz = foff + (uni(&rng) * 2 - 1) * 10e3, .ppm = (uni(&rng) * 2 - 1) * 10 };
		os_encode_iq(buf, slot, payload, &e);
		os_add_noise(buf, slot, fs, snr, &rng);
		os_rx_push(rx, buf, slot);
	}
	os_rx_finish(rx);
	size_t ok = 0;
	*wrong = 0;
	*worst_cfo = 0;
	for (size_t k = 0; k < s.n; k++) {
		const dv_ocusync_frame *f = &s.f[k];
		if (!f->decoded) continue;
		size_t i = (size_t)(f->time_s * fs / (double)slot);
		if (i < n && same(f, &sent[i])) ok++;
		else (*wrong)++;
	}
	os_rx_free(rx);
	free(s.f);
	free(buf);
	free(sent);
	return ok;
}

int main(void)
{
	const char *env = getenv("DV_OCUSYNC_FRAMES");
	size_t n = env ? (size_t)strtoul(env, NULL, 10) : 1000;
	if (n < 10) n = 10;
	size_t wrong = 0;
	double cfo;
	size_t ok = run(n, OS_FS, 10.0, 0, 1, &wrong, &cfo);
	fprintf(stderr, "15.36 Msps, Es/N0 10 dB, +-10 kHz, +-10 ppm: %zu of %zu decoded, %zu wrong\n", ok, n, wrong);
	CHECK(ok * 100 >= n * 99);
	CHECK_EQ(wrong, 0);

	/* the sanitizer build (n = 100) runs fewer of these too */
	size_t n50 = n >= 1000 ? 20 : 5, nlow = n >= 1000 ? 50 : 25;
	ok = run(n50, 50e6, 15.0, 3.2e6, 2, &wrong, &cfo);
	fprintf(stderr, "50 Msps, 3.2 MHz off centre, Es/N0 15 dB: %zu of %zu decoded, %zu wrong\n", ok, n50, wrong);
	CHECK(ok + 1 >= n50);
	CHECK_EQ(wrong, 0);

	ok = run(nlow, OS_FS, 4.0, 0, 3, &wrong, &cfo);
	fprintf(stderr, "15.36 Msps, Es/N0 4 dB: %zu of %zu decoded, %zu wrong\n", ok, nlow, wrong);
	CHECK(ok * 25 >= nlow * 24);
	CHECK_EQ(wrong, 0);
	return check_done();
}
