/*
 * ocusync/rx.c - the stream: energy bursts of DroneID length, then per
 * burst the band cut out and resampled to 15.36 Msps in one FFT pair.
 *
 * Memory is bounded: the samples of the last ~2 ms are kept (a burst and
 * its margins), whatever the recording's length.
 *
 * Detection: mean power of 2 us blocks against a noise floor that follows
 * the quietest 16 us average of them (and creeps up 3 dB per ~3 ms so a
 * louder floor is learnt); a burst is a run of averages 2 dB over the
 * floor, ended by 24 us below. Runs of 600..700 us are DroneID candidates (the 9-symbol burst
 * is 643 us; the legacy 8-symbol one, ~570 us, is not decoded).
 *
 * Band selection and resampling: an N_in-point FFT of 800 us of input
 * (N_in = 12288 fs / 15.36 MHz, so a bin is 1.25 kHz at every rate); the
 * burst's centre is where a 9.015 MHz wide window holds the most energy;
 * the 621 carriers' worth of bins around it (a brick-wall filter) go into
 * a 12288-point inverse FFT: the burst at 15.36 Msps, shifted to DC.
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "ocusync/rx_int.h"

#define NOUT 12288
#define BLOCK_US 2.0
#define THRESH 1.6   /* 2 dB over the floor, on 16 us averages */
#define SMOOTH 8     /* blocks averaged */
#define END_BLOCKS 12 /* 24 us below ends a burst */
#define MIN_US 600.0
#define MAX_US 700.0
#define MARGIN_US 60.0

typedef struct pending {
	uint64_t start;  /* absolute sample of the burst start (detection) */
	uint64_t end;
} pending;

struct os_rx {
	double fs;
	os_frame_cb on_frame;
	os_warn_cb on_warn;
	void *arg;
	size_t block;            /* samples per detection block */
	size_t nin;              /* FFT size of a burst window at fs */
	size_t hist;             /* samples kept */
	float complex *buf;      /* buf[0] is absolute sample base */
	size_t len, cap;
	uint64_t base;
	uint64_t pos;            /* absolute samples consumed by detection */
	double acc;
	size_t acc_n;
	double floor;
	double ring[SMOOTH], ring_sum;
	unsigned ring_n;
	bool on;
	uint64_t on_start, last_hi;
	int below;
	pending pend[64];
	int npend;
	uint64_t candidates, near_miss;
	fftwf_plan fwd, inv;
	fftwf_complex *fin, *fout, *rin, *rout;
	double *psum;
	os_demod *dem;
};

uint64_t os_rx_candidates(const os_rx *rx) { return rx->candidates; }
uint64_t os_rx_near_misses(const os_rx *rx) { return rx->near_miss; }

int os_rx_new(os_rx **out, double fs, os_frame_cb on_frame, os_warn_cb on_warn, void *arg)
{
	if (!(fs >= 10e6 && fs <= 200e6))
		return dv_error_set(DV_EINVAL, NULL, -1,
		                    "sample rate %.0f Hz cannot hold a 9 MHz DroneID burst (need 10 to 200 Msps)", fs);
	os_rx *rx = calloc(1, sizeof(*rx));
	if (!rx) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	rx->fs = fs;
	rx->on_frame = on_frame, rx->on_warn = on_warn, rx->arg = arg;
	rx->block = (size_t)lround(fs * BLOCK_US * 1e-6);
	rx->nin = (size_t)lround(NOUT * fs / OS_FS);
	rx->hist = rx->nin + (size_t)(fs * 400e-6);
	rx->cap = rx->hist + (1u << 20);
	rx->buf = malloc(rx->cap * sizeof(float complex));
	rx->fin = fftwf_malloc(sizeof(fftwf_complex) * rx->nin);
	rx->fout = fftwf_malloc(sizeof(fftwf_complex) * rx->nin);
	rx->rin = fftwf_malloc(sizeof(fftwf_complex) * NOUT);
	rx->rout = fftwf_malloc(sizeof(fftwf_complex) * NOUT);
	rx->psum = malloc((2 * rx->nin + 1) * sizeof(double));
	if (!rx->buf || !rx->fin || !rx->fout || !rx->rin || !rx->rout || !rx->psum) {
		os_rx_free(rx);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	rx->fwd = fftwf_plan_dft_1d((int)rx->nin, rx->fin, rx->fout, FFTW_FORWARD, FFTW_ESTIMATE);
	rx->inv = fftwf_plan_dft_1d(NOUT, rx->rin, rx->rout, FFTW_BACKWARD, FFTW_ESTIMATE);
	if (!rx->fwd || !rx->inv || os_demod_new(&rx->dem) < 0) {
		os_rx_free(rx);
		return dv_error_set(DV_ERROR, NULL, -1, "cannot set up the FFTs");
	}
	rx->floor = -1;
	*out = rx;
	return 0;
}

void os_rx_free(os_rx *rx)
{
	if (!rx) return;
	if (rx->fwd) fftwf_destroy_plan(rx->fwd);
	if (rx->inv) fftwf_destroy_plan(rx->inv);
	fftwf_free(rx->fin);
	fftwf_free(rx->fout);
	fftwf_free(rx->rin);
	fftwf_free(rx->rout);
	free(rx->psum);
	free(rx->buf);
	os_demod_free(rx->dem);
	free(rx);
}

static int warn(os_rx *rx, uint64_t sample, const char *what)
{
	return rx->on_warn ? rx->on_warn(sample, what, rx->arg) : 0;
}

/* Decodes the burst whose window starts at absolute sample w0; samples
 * past the end of the buffer count as zero. */
static int decode_window(os_rx *rx, uint64_t start, uint64_t w0)
{
	size_t nin = rx->nin;
	float complex *in = (float complex *)rx->fin;
	memset(in, 0, sizeof(fftwf_complex) * nin);
	/* the part of [w0, w0 + nin) still in the buffer */
	uint64_t a0 = w0 > rx->base ? w0 : rx->base, a1 = w0 + nin < rx->base + rx->len ? w0 + nin : rx->base + rx->len;
	if (a1 > a0) memcpy(in + (a0 - w0), rx->buf + (a0 - rx->base), (size_t)(a1 - a0) * sizeof(float complex));
	fftwf_execute(rx->fwd);
	const float complex *X = (const float complex *)rx->fout;
	/* circular prefix sums of the power over two periods */
	rx->psum[0] = 0;
	for (size_t i = 0; i < nin; i++) {
		float complex v = X[i];
		double pw = crealf(v) * crealf(v) + cimagf(v) * cimagf(v);
		rx->psum[i + 1] = rx->psum[i] + pw;
	}
	for (size_t i = nin; i < 2 * nin; i++) rx->psum[i + 1] = rx->psum[i] + (rx->psum[i - nin + 1] - rx->psum[i - nin]);
	double binhz = rx->fs / (double)nin;
	size_t w = (size_t)lround(OS_NZC * 15000.0 / binhz);
	if (w >= nin) w = nin - 1;
	/* centre c: window [c - w/2, c + w/2]; search every bin */
	double best = -1;
	size_t bc = 0;
	for (size_t c = 0; c < nin; c++) {
		size_t a = c + nin - w / 2; /* >= 0, in the doubled range */
		size_t b = a + w;
		if (b > 2 * nin) continue;
		double e = rx->psum[b] - rx->psum[a];
		if (e > best) best = e, bc = c;
	}
	long cs = bc > nin / 2 ? (long)bc - (long)nin : (long)bc; /* signed bin */
	/* keep 621 carriers' worth around the centre */
	long keep = lround((OS_NZC + 20) * 15000.0 / binhz / 2);
	float complex *R = (float complex *)rx->rin;
	memset(R, 0, sizeof(fftwf_complex) * NOUT);
	float sc = 1.0f / (float)nin;
	for (long k = -keep; k <= keep && k < NOUT / 2; k++) {
		long src = (cs + k) % (long)nin;
		if (src < 0) src += (long)nin;
		R[(k + NOUT) % NOUT] = X[src] * sc;
	}
	fftwf_execute(rx->inv);
	const float complex *y = (const float complex *)rx->rout;
	float llr[OS_E];
	os_burst_info bi;
	double approx = (double)(start - w0) * OS_FS / rx->fs;
	if (os_demod_burst(llr, &bi, rx->dem, y, NOUT, approx) < 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "burst of DroneID length without DroneID pilots (%.100s)", dv_error_last()->message);
		dv_error_clear();
		return warn(rx, start, msg);
	}
	dv_ocusync_frame f;
	memset(&f, 0, sizeof(f));
	double st = (double)w0 + bi.start * rx->fs / OS_FS;
	f.sample = (uint64_t)llround(st);
	f.time_s = st / rx->fs;
	f.freq_offset_hz = cs * binhz + bi.cfo_hz;
	f.snr_db = bi.snr_db;
	if (os_frame_from_llr(&f, llr) < 0) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	return rx->on_frame ? rx->on_frame(&f, rx->arg) : 0;
}

static uint64_t window_start(const os_rx *rx, uint64_t start)
{
	uint64_t m = (uint64_t)(rx->fs * MARGIN_US * 1e-6);
	return start > m ? start - m : 0;
}

/* Pending bursts whose window is complete (or all, at the end). */
static int drain(os_rx *rx, bool all)
{
	while (rx->npend) {
		pending p = rx->pend[0];
		uint64_t w0 = window_start(rx, p.start);
		if (!all && w0 + rx->nin > rx->base + rx->len) break;
		int rc = decode_window(rx, p.start, w0);
		memmove(rx->pend, rx->pend + 1, sizeof(pending) * (size_t)(rx->npend - 1));
		rx->npend--;
		if (rc < 0) return rc;
	}
	return 0;
}

static int burst_end(os_rx *rx, uint64_t start, uint64_t end)
{
	double us = (double)(end - start) / rx->fs * 1e6;
	if (us < MIN_US || us > MAX_US) {
		if (us >= MIN_US / 2 && us <= MAX_US * 2) rx->near_miss++;
		return 0;
	}
	rx->candidates++;
	if (rx->npend == (int)(sizeof(rx->pend) / sizeof(rx->pend[0]))) return warn(rx, start, "too many bursts at once, one skipped");
	rx->pend[rx->npend++] = (pending){ start, end };
	return 0;
}

static void detect_block(os_rx *rx, double p1, uint64_t bstart)
{
	/* 16 us moving average: a threshold of 2 dB stays ~9 standard
	 * deviations above noise even at 15.36 Msps */
	unsigned slot = rx->ring_n % SMOOTH;
	rx->ring_sum += p1 - (rx->ring_n >= SMOOTH ? rx->ring[slot] : 0);
	rx->ring[slot] = p1;
	rx->ring_n++;
	if (rx->ring_n < SMOOTH) return;
	double p = rx->ring_sum / SMOOTH;
	/* the average describes the window ending with this block: its
	 * middle is where a level change shows */
	uint64_t half = (SMOOTH / 2) * rx->block;
	uint64_t t = bstart > half ? bstart - half : 0;
	if (rx->floor < 0 || p < rx->floor) rx->floor = p;
	else rx->floor *= 1.0005;
	bool hi = p > rx->floor * THRESH && p > 0;
	if (hi) {
		if (!rx->on) rx->on = true, rx->on_start = t;
		rx->last_hi = t + rx->block;
		rx->below = 0;
	} else if (rx->on && ++rx->below >= END_BLOCKS) {
		rx->on = false;
		(void)burst_end(rx, rx->on_start, rx->last_hi);
	}
}

int os_rx_push(os_rx *rx, const float complex *x, size_t n)
{
	while (n) {
		if (rx->len == rx->cap) {
			/* keep the last hist samples */
			size_t drop = rx->len - rx->hist;
			memmove(rx->buf, rx->buf + drop, rx->hist * sizeof(float complex));
			rx->len = rx->hist;
			rx->base += drop;
		}
		size_t take = rx->cap - rx->len;
		if (take > n) take = n;
		memcpy(rx->buf + rx->len, x, take * sizeof(float complex));
		/* block powers: finish the open block, whole blocks, the rest */
		size_t i = 0;
		while (i < take) {
			size_t m = rx->block - rx->acc_n;
			if (m > take - i) m = take - i;
			const float *f = (const float *)(x + i);
			float acc[8] = { 0 };
			size_t k = 0;
			for (; k + 8 <= 2 * m; k += 8)
				for (int u = 0; u < 8; u++) acc[u] += f[k + u] * f[k + u];
			for (; k < 2 * m; k++) acc[0] += f[k] * f[k];
			rx->acc += (double)acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7];
			rx->acc_n += m;
			i += m;
			if (rx->acc_n == rx->block) {
				detect_block(rx, rx->acc / (double)rx->block, rx->pos + i - rx->block);
				rx->acc = 0, rx->acc_n = 0;
			}
		}
		rx->len += take;
		rx->pos += take;
		x += take;
		n -= take;
		if (drain(rx, false) < 0) return -1;
	}
	return 0;
}

int os_rx_finish(os_rx *rx)
{
	if (rx->on) {
		double us = (double)(rx->pos - rx->on_start) / rx->fs * 1e6;
		if (us >= 100) {
			char msg[160];
			snprintf(msg, sizeof(msg), "recording ends %.0f us into a burst: cut, not decoded", us);
			if (warn(rx, rx->on_start, msg) < 0) return -1;
		}
		rx->on = false;
	}
	return drain(rx, true);
}
