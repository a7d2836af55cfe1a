/*
 * ocusync/encode.c - the test transmitter (encode_int.h).
 *
 * Each OFDM symbol is the inverse DFT of its 600 carriers (unit energy per
 * carrier, x = IDFT / N), with its cyclic prefix. Impairments are applied
 * by evaluating the 15.36 Msps burst at the receiver's sample instants
 * with a Hann-windowed sinc (32 taps): any output rate, fractional start,
 * clock error; then the carrier offset as a rotation.
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "ocusync/encode_int.h"

static int carrier_bin(int j)
{
	int k = j < OS_NCAR / 2 ? j - OS_NCAR / 2 : j - OS_NCAR / 2 + 1;
	return (k + OS_NFFT) % OS_NFFT;
}

static float complex qpsk(uint8_t b0, uint8_t b1)
{
	return ((1 - 2 * (int)b0) + I * (1 - 2 * (int)b1)) * (float)M_SQRT1_2;
}

int os_encode_burst(float complex burst[OS_BURST_LEN], const uint8_t payload[OS_PAYLOAD])
{
	uint8_t bits[OS_E], g[2 * OS_NCAR];
	if (os_encode_bits(bits, payload) < 0) return dv_error_set(DV_ERROR, NULL, -1, "encoding failed");
	os_gold(g, 2 * OS_NCAR, OS_SCRAMBLE_INIT);
	float complex car[OS_NSYM][OS_NCAR];
	for (int j = 0; j < OS_NCAR; j++) car[0][j] = qpsk(g[2 * j], g[2 * j + 1]);
	os_zc_carriers(car[OS_ZC_SYM_A], OS_ZC_ROOT_A);
	os_zc_carriers(car[OS_ZC_SYM_B], OS_ZC_ROOT_B);
	for (int i = 0, nb = 0; i < OS_NDATA_SYM; i++)
		for (int j = 0; j < OS_NCAR; j++, nb += 2) car[os_data_sym[i]][j] = qpsk(bits[nb], bits[nb + 1]);
	fftwf_complex *in = fftwf_malloc(sizeof(fftwf_complex) * OS_NFFT), *out = fftwf_malloc(sizeof(fftwf_complex) * OS_NFFT);
	fftwf_plan p = in && out ? fftwf_plan_dft_1d(OS_NFFT, in, out, FFTW_BACKWARD, FFTW_ESTIMATE) : NULL;
	if (!p) {
		fftwf_free(in);
		fftwf_free(out);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	for (int s = 0; s < OS_NSYM; s++) {
		memset(in, 0, sizeof(fftwf_complex) * OS_NFFT);
		for (int j = 0; j < OS_NCAR; j++) ((float complex *)in)[carrier_bin(j)] = car[s][j];
		fftwf_execute(p);
		const float complex *t = (const float complex *)out;
		int st = os_sym_start(s), cp = os_sym_cp(s);
		for (int m = 0; m < cp; m++) burst[st + m] = t[OS_NFFT - cp + m] / OS_NFFT;
		for (int m = 0; m < OS_NFFT; m++) burst[st + cp + m] = t[m] / OS_NFFT;
	}
	fftwf_destroy_plan(p);
	fftwf_free(in);
	fftwf_free(out);
	return 0;
}

#define HALF 16
#define PHASES 1024

/* kernel[p][j]: the windowed sinc at x = p / PHASES - (j - HALF + 1) */
static float kernel[PHASES][2 * HALF];
static int kernel_ready;

static void kernel_init(void)
{
	if (kernel_ready) return;
	for (int p = 0; p < PHASES; p++)
		for (int j = 0; j < 2 * HALF; j++) {
			double x = (double)p / PHASES - (j - HALF + 1);
			double s = fabs(x) < 1e-12 ? 1 : sin(M_PI * x) / (M_PI * x);
			kernel[p][j] = (float)(s * 0.5 * (1 + cos(M_PI * x / HALF)));
		}
	kernel_ready = 1;
}

int os_encode_iq(float complex *out, size_t n, const uint8_t payload[OS_PAYLOAD], const os_enc *e)
{
	float complex *b = malloc(sizeof(float complex) * OS_BURST_LEN);
	if (!b) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (os_encode_burst(b, payload) < 0) {
		free(b);
		return -1;
	}
	kernel_init();
	/* output sample i is at burst position (i - start) * ratio */
	double ratio = OS_FS / e->fs * (1 + e->ppm * 1e-6);
	double len_out = OS_BURST_LEN / ratio;
	long i0 = (long)floor(e->start) - 2, i1 = (long)ceil(e->start + len_out) + 2;
	if (i0 < 0) i0 = 0;
	if (i1 > (long)n) i1 = (long)n;
	double w = 2 * M_PI * e->freq_hz / e->fs;
	double complex ph = cexp(I * w * (double)i0), step = cexp(I * w);
	for (long i = i0; i < i1; i++) {
		double t = ((double)i - e->start) * ratio;
		long c = (long)floor(t);
		int p = (int)((t - (double)c) * PHASES);
		if (p >= PHASES) p = PHASES - 1;
		float complex acc = 0;
		for (int j = 0; j < 2 * HALF; j++) {
			long k = c - HALF + 1 + j;
			if (k >= 0 && k < OS_BURST_LEN) acc += b[k] * kernel[p][j];
		}
		out[i] += acc * (float complex)ph * e->amp;
		ph *= step;
		if (((i - i0) & 1023) == 1023) ph /= cabs(ph);
	}
	free(b);
	return 0;
}

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

double os_rand_normal(uint64_t *rng)
{
	double u1 = ((double)(next(rng) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(next(rng) >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

void os_add_noise(float complex *out, size_t n, double fs, double snr_db, uint64_t *rng)
{
	/* Es/N0 = 1 / (N sigma15^2) at 15.36 Msps; at fs the same density */
	double s2 = 1.0 / (OS_NFFT * pow(10, snr_db / 10)) * fs / OS_FS;
	double sd = sqrt(s2 / 2);
	for (size_t i = 0; i < n; i++) {
		/* Box-Muller: one pair of normals per sample */
		double u1 = ((double)(next(rng) >> 11) + 0.5) / 9007199254740992.0;
		double u2 = ((double)(next(rng) >> 11) + 0.5) / 9007199254740992.0;
		double r = sd * sqrt(-2 * log(u1)), a = 2 * M_PI * u2;
		out[i] += (float)(r * cos(a)) + I * (float)(r * sin(a));
	}
}
