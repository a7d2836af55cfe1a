/*
 * ocusync/demod.c - one DroneID burst at 15.36 Msps to soft bits.
 *
 * 1. Timing and fractional frequency offset from the cyclic prefixes: for
 *    every candidate start, the nine CPs correlated with the symbol tails
 *    they copy (prefix sums make each candidate 9 lookups); the phase of
 *    the best sum is the offset modulo one subcarrier (15 kHz).
 * 2. The whole-subcarrier offset and the exact start from the two
 *    Zadoff-Chu symbols together: a ZC sequence cannot tell a carrier
 *    shift from a time shift on its own (root 600 turns one carrier into
 *    -1.7 samples), but roots 600 and 147 disagree unless both are right.
 * 3. FFT per symbol, channel from the two pilots (their phase difference
 *    refines the offset), smoothed over neighbouring carriers, then
 *    per-carrier soft QPSK bits weighted by the channel (max-log LLRs of
 *    TS 36.211 7.1.2's mapping: bit 0 from I, bit 1 from Q).
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "ocusync/rx_int.h"

struct os_demod {
	fftwf_plan plan;
	fftwf_complex *in, *out;
	float complex zt[2][OS_NFFT];   /* pilots in time (no CP) */
	float complex ztq[5][2][OS_NFFT]; /* the same shifted by -2..+2 carriers, conjugated */
	double ez;                      /* energy of a time-domain pilot */
	float complex zf[2][OS_NCAR];   /* pilots on the carriers */
	uint8_t sym0[2 * OS_NCAR];      /* c(n) carried by symbol 0 */
	double complex *pre;            /* prefix sums of x[m] conj(x[m + N]) */
	size_t pre_cap;
};

static int carrier_bin(int j) /* data carrier j (0..599) -> FFT bin */
{
	int k = j < OS_NCAR / 2 ? j - OS_NCAR / 2 : j - OS_NCAR / 2 + 1;
	return (k + OS_NFFT) % OS_NFFT;
}

int os_demod_new(os_demod **out)
{
	os_demod *d = calloc(1, sizeof(*d));
	if (!d) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	d->in = fftwf_malloc(sizeof(fftwf_complex) * OS_NFFT);
	d->out = fftwf_malloc(sizeof(fftwf_complex) * OS_NFFT);
	if (!d->in || !d->out) {
		os_demod_free(d);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	const unsigned roots[2] = { OS_ZC_ROOT_A, OS_ZC_ROOT_B };
	for (int p = 0; p < 2; p++) {
		os_zc_carriers(d->zf[p], roots[p]);
	}
	fftwf_plan inv = fftwf_plan_dft_1d(OS_NFFT, d->in, d->out, FFTW_BACKWARD, FFTW_ESTIMATE);
	if (!inv) {
		os_demod_free(d);
		return dv_error_set(DV_ERROR, NULL, -1, "cannot plan a %d-point FFT", OS_NFFT);
	}
	for (int p = 0; p < 2; p++) {
		memset(d->in, 0, sizeof(fftwf_complex) * OS_NFFT);
		for (int j = 0; j < OS_NCAR; j++) ((float complex *)d->in)[carrier_bin(j)] = d->zf[p][j];
		fftwf_execute(inv);
		for (int m = 0; m < OS_NFFT; m++) d->zt[p][m] = ((float complex *)d->out)[m] / OS_NFFT;
		for (int q = -2; q <= 2; q++)
			for (int m = 0; m < OS_NFFT; m++)
				d->ztq[q + 2][p][m] = conjf(d->zt[p][m] * (float complex)cexp(I * 2 * M_PI * q * m / OS_NFFT));
	}
	fftwf_destroy_plan(inv);
	d->ez = 0;
	for (int m = 0; m < OS_NFFT; m++) d->ez += crealf(d->zt[0][m] * conjf(d->zt[0][m]));
	os_gold(d->sym0, 2 * OS_NCAR, OS_SCRAMBLE_INIT);
	d->plan = fftwf_plan_dft_1d(OS_NFFT, d->in, d->out, FFTW_FORWARD, FFTW_ESTIMATE);
	if (!d->plan) {
		os_demod_free(d);
		return dv_error_set(DV_ERROR, NULL, -1, "cannot plan a %d-point FFT", OS_NFFT);
	}
	*out = d;
	return 0;
}

void os_demod_free(os_demod *d)
{
	if (!d) return;
	if (d->plan) fftwf_destroy_plan(d->plan);
	fftwf_free(d->in);
	fftwf_free(d->out);
	free(d->pre);
	free(d);
}

static void fft_symbol(os_demod *d, float complex *y, const float complex *x)
{
	memcpy(d->in, x, sizeof(fftwf_complex) * OS_NFFT);
	fftwf_execute(d->plan);
	const float complex *o = (const float complex *)d->out;
	for (int j = 0; j < OS_NCAR; j++) y[j] = o[carrier_bin(j)];
}

/* |sum x[t + m] zc[m]| over one symbol (zc: a conjugated, shifted pilot) */
static double zc_corr(const float complex *x, const float complex *zc, double *energy)
{
	/* four partial sums: lets the compiler use SIMD without -ffast-math */
	float ar[4] = { 0 }, ai[4] = { 0 }, ex[4] = { 0 };
	const float *xf = (const float *)x, *zf = (const float *)zc;
	for (int m = 0; m < OS_NFFT; m += 4) {
		for (int u = 0; u < 4; u++) {
			float xr = xf[2 * (m + u)], xi = xf[2 * (m + u) + 1], zr = zf[2 * (m + u)], zi = zf[2 * (m + u) + 1];
			ar[u] += xr * zr - xi * zi;
			ai[u] += xr * zi + xi * zr;
			ex[u] += xr * xr + xi * xi;
		}
	}
	double r = (double)ar[0] + ar[1] + ar[2] + ar[3], i = (double)ai[0] + ai[1] + ai[2] + ai[3];
	*energy = (double)ex[0] + ex[1] + ex[2] + ex[3];
	return sqrt(r * r + i * i);
}

/* out[m] = in[m] e^{j w (m + t0)}, by a phasor renormalised every 1024 steps */
static void derotate(float complex *out, const float complex *in, size_t n, double w, double t0)
{
	double complex ph = cexp(I * w * t0), step = cexp(I * w);
	for (size_t m = 0; m < n; m++) {
		out[m] = in[m] * (float complex)ph;
		ph *= step;
		if ((m & 1023) == 1023) ph /= cabs(ph);
	}
}

#define FFT_BACKOFF 6 /* FFT window this many samples into the CP */

int os_demod_burst(float *llr, os_burst_info *info, os_demod *d, const float complex *x, size_t n,
                   double approx_start)
{
	memset(info, 0, sizeof(*info));
	if (n < OS_BURST_LEN + 64) return dv_error_set(DV_EINVAL, NULL, -1, "burst too short");
	/* 1. CP correlation */
	size_t np = n - OS_NFFT;
	if (np + 1 > d->pre_cap) {
		double complex *p = realloc(d->pre, (np + 1) * sizeof(*p));
		if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		d->pre = p;
		d->pre_cap = np + 1;
	}
	d->pre[0] = 0;
	for (size_t m = 0; m < np; m++) d->pre[m + 1] = d->pre[m] + x[m] * conjf(x[m + OS_NFFT]);
	long lo = (long)approx_start - 1500, hi = (long)approx_start + 1500;
	if (lo < 0) lo = 0;
	if (hi > (long)(n - OS_BURST_LEN)) hi = (long)(n - OS_BURST_LEN);
	if (hi < lo) return dv_error_set(DV_EINVAL, NULL, -1, "burst outside its window");
	int st[OS_NSYM], cp[OS_NSYM];
	for (int s = 0; s < OS_NSYM; s++) st[s] = os_sym_start(s), cp[s] = os_sym_cp(s);
	double best = -1;
	double complex bestm = 0;
	long t0 = lo;
	for (long t = lo; t <= hi; t++) {
		double complex m = 0;
		for (int s = 0; s < OS_NSYM; s++) m += d->pre[t + st[s] + cp[s]] - d->pre[t + st[s]];
		double a = cabs(m);
		if (a > best) best = a, bestm = m, t0 = t;
	}
	/* x[m + N] = x[m] e^{j 2 pi f N / fs}: the sum's phase is -2 pi f N / fs */
	double ffrac = -carg(bestm) * OS_FS / (2 * M_PI * OS_NFFT);

	/* 2. integer offset and exact start from both pilots */
	float complex *buf = malloc(sizeof(float complex) * (OS_BURST_LEN + 2 * 48));
	if (!buf) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	long b0 = t0 - 48;
	if (b0 < 0) b0 = 0;
	if (b0 + OS_BURST_LEN + 96 > (long)n) b0 = (long)n - OS_BURST_LEN - 96;
	if (b0 < 0) {
		free(buf);
		return dv_error_set(DV_EINVAL, NULL, -1, "burst too short");
	}
	derotate(buf, x + b0, OS_BURST_LEN + 96, -2 * M_PI * ffrac / OS_FS, (double)b0);
	int bestq = 0;
	long bestt = t0;
	double bestscore = -1;
	int pa = st[OS_ZC_SYM_A] + cp[OS_ZC_SYM_A], pb = st[OS_ZC_SYM_B] + cp[OS_ZC_SYM_B];
	for (int q = -2; q <= 2; q++) {
		for (long t = t0 - 10; t <= t0 + 10; t++) {
			long o = t - b0;
			if (o < 0 || o + OS_BURST_LEN > OS_BURST_LEN + 96) continue;
			double ea, eb;
			double ca = zc_corr(buf + o + pa, d->ztq[q + 2][0], &ea);
			double cb = zc_corr(buf + o + pb, d->ztq[q + 2][1], &eb);
			double score = ca * ca + cb * cb;
			if (score > bestscore) {
				bestscore = score, bestq = q, bestt = t;
				info->zc_score = (ca + cb) / (sqrt(ea * d->ez) + sqrt(eb * d->ez) + 1e-30);
			}
		}
	}
	if (bestscore <= 0 || info->zc_score < 0.25) {
		free(buf);
		return dv_error_set(DV_EINVAL, NULL, -1, "no DroneID pilots (correlation %.2f)", info->zc_score);
	}
	double fcoarse = ffrac + bestq * (OS_FS / OS_NFFT);
	long o = bestt - b0;
	/* again from x, with the whole offset */
	derotate(buf, x + b0, OS_BURST_LEN + 96, -2 * M_PI * fcoarse / OS_FS, (double)b0);

	/* 3. symbols */
	static const int pil[2] = { OS_ZC_SYM_A, OS_ZC_SYM_B };
	float complex y[OS_NSYM][OS_NCAR];
	for (int s = 0; s < OS_NSYM; s++) {
		long w = o + st[s] + cp[s] - FFT_BACKOFF;
		if (w < 0) w = 0;
		fft_symbol(d, y[s], buf + w);
	}
	free(buf);
	float complex h[2][OS_NCAR];
	for (int p = 0; p < 2; p++)
		for (int j = 0; j < OS_NCAR; j++) h[p][j] = y[pil[p]][j] / d->zf[p][j];
	double complex r = 0;
	for (int j = 0; j < OS_NCAR; j++) r += h[1][j] * conjf(h[0][j]);
	double dist = st[OS_ZC_SYM_B] - st[OS_ZC_SYM_A];
	double dphi = carg(r) / dist; /* residual rotation per sample */
	double mid = 0.5 * (st[OS_ZC_SYM_A] + st[OS_ZC_SYM_B]);
	float complex hm[OS_NCAR];
	double noise = 0, sig = 0;
	const float complex ra = (float complex)cexp(I * dphi * dist / 2), rb = conjf(ra);
	for (int j = 0; j < OS_NCAR; j++) {
		float complex a = h[0][j] * ra;
		float complex b = h[1][j] * rb;
		hm[j] = 0.5f * (a + b);
		noise += 0.5 * crealf((a - b) * conjf(a - b));
	}
	/* smooth over +-3 carriers after taking out the delay's phase ramp */
	double complex ramp = 0;
	for (int j = 0; j + 1 < OS_NCAR; j++) ramp += hm[j + 1] * conjf(hm[j]);
	double th = carg(ramp);
	float complex g[OS_NCAR], hs[OS_NCAR];
	float complex ramp_t[OS_NCAR];
	{
		double complex ph = 1, step = cexp(I * th);
		for (int j = 0; j < OS_NCAR; j++, ph *= step) ramp_t[j] = (float complex)ph;
	}
	for (int j = 0; j < OS_NCAR; j++) g[j] = hm[j] * conjf(ramp_t[j]);
	for (int j = 0; j < OS_NCAR; j++) {
		float complex acc = 0;
		int cnt = 0;
		for (int k = j - 3; k <= j + 3; k++)
			if (k >= 0 && k < OS_NCAR) acc += g[k], cnt++;
		hs[j] = acc / (float)cnt * ramp_t[j];
		sig += crealf(hs[j] * conjf(hs[j]));
	}
	noise /= OS_NCAR;
	sig /= OS_NCAR;
	/* noise of one received carrier: the pilots' difference has twice it */
	double n0 = noise > 1e-30 ? noise : 1e-30;
	info->snr_db = 10 * log10(sig / n0 + 1e-30);
	info->cfo_hz = fcoarse + dphi * OS_FS / (2 * M_PI);
	info->start = (double)bestt;
	float scale = (float)(2 * M_SQRT2 / n0);
	int nb = 0;
	for (int i = 0; i < OS_NDATA_SYM; i++) {
		int s = os_data_sym[i];
		float complex rot = (float complex)cexp(I * dphi * (st[s] - mid));
		for (int j = 0; j < OS_NCAR; j++) {
			float complex z = y[s][j] * conjf(hs[j] * rot);
			llr[nb++] = crealf(z) * scale;
			llr[nb++] = cimagf(z) * scale;
		}
	}
	/* symbol 0 carries c(n) itself: how much of it we see is a check of
	 * the whole chain that needs no decoding */
	int same = 0;
	float complex rot0 = (float complex)cexp(I * dphi * (st[0] - mid));
	for (int j = 0; j < OS_NCAR; j++) {
		float complex z = y[0][j] * conjf(hs[j] * rot0);
		same += (crealf(z) < 0) == d->sym0[2 * j];
		same += (cimagf(z) < 0) == d->sym0[2 * j + 1];
	}
	info->sym0_match = same / (double)(2 * OS_NCAR);
	return 0;
}
