/*
 * bench_ocusync - OcuSync DroneID decoding throughput (not a test).
 *
 *   bench_ocusync [MB] [recording.cf32]
 *   bench_ocusync --sweep    success rate against Es/N0 (100 frames per step)
 *
 * 1. The real 50 Msps Mavic Air 2 recording ($DV_SHARED/radio/ocusync, or
 *    the file given) fed again and again until MB megabytes of cf32 went
 *    through (default 1024): 3 bursts per 4.5 ms, some 600 times denser
 *    than a real flight (one DroneID burst per ~600 ms per aircraft).
 * 2. The same amount of 50 Msps noise (a 1 M-sample block, 20 dB below
 *    the bursts, repeated) with an encoded burst every 600 ms.
 * Samples are in memory already (what is timed is the decoder: detection,
 * band selection and resampling, demodulation, turbo decoding), one core.
 * The reference receiver (Python, RUB-SysSec/DroneSecurity) took 2.88 s
 * for the 4.5 ms recording on this kind of machine
 * ($DV_SHARED/radio/ocusync/mavic_air_2.expected.json); it cannot run
 * here (no numpy), so its recorded figure is the baseline.
 */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ocusync/encode_int.h"
#include "ocusync/rx_int.h"

#define REF_SECONDS 2.88
#define REF_SAMPLES 225280.0

static size_t frames_ok, frames;

static int on_frame(const dv_ocusync_frame *f, void *arg)
{
	(void)arg;
	frames++;
	frames_ok += f->decoded;
	return 0;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report(const char *what, double samples, double cpu, double wall)
{
	double msps = samples / cpu / 1e6;
	double ref = REF_SAMPLES / REF_SECONDS / 1e6;
	printf("%-44s %8.0f MB %7.2f s CPU %7.2f s wall %8.1f Msps  %6.2fx real time  %8.0fx the reference\n", what,
	       samples * 8 / 1e6, cpu, wall, msps, msps / 50.0, msps / ref);
}

/* success rate against Es/N0: 100 frames per step at 15.36 Msps, +-10 kHz */
static int sweep(void)
{
	size_t slot = 20000;
	float complex *buf = malloc(slot * sizeof(float complex));
	uint64_t rng = 11;
	printf("Es/N0 dB  decoded of 100 (15.36 Msps, offset uniform in +-10 kHz)\n");
	for (double snr = -2; snr <= 6.01; snr += 1) {
		frames = frames_ok = 0;
		os_rx *rx;
		if (!buf || os_rx_new(&rx, OS_FS, on_frame, NULL, NULL) < 0) return 1;
		for (int i = 0; i < 100; i++) {
			dv_ocusync_frame f;
			memset(&f, 0, sizeof(f));
			snprintf(f.serial, sizeof(f.serial), "SWEEP%09d", i);
			f.lat = 10 + i * 0.01, f.lon = 20;
			uint8_t payload[OS_PAYLOAD];
			os_payload_build(payload, &f);
			memset(buf, 0, slot * sizeof(float complex));
			os_enc e = { .fs = OS_FS, .start = 4000 + i % 7, .amp = 1, .freq_hz = -10e3 + 200.0 * i };
			os_encode_iq(buf, slot, payload, &e);
			os_add_noise(buf, slot, OS_FS, snr, &rng);
			os_rx_push(rx, buf, slot);
		}
		os_rx_finish(rx);
		printf("%6.1f    %3zu   (%zu bursts demodulated, %llu of DroneID length, %llu near misses)\n", snr, frames_ok,
		       frames, (unsigned long long)os_rx_candidates(rx), (unsigned long long)os_rx_near_misses(rx));
		os_rx_free(rx);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--sweep")) return sweep();
	double mb = argc > 1 ? atof(argv[1]) : 1024;
	char def[1024];
	const char *sh = getenv("DV_SHARED");
	snprintf(def, sizeof(def), "%s/radio/ocusync/mavic_air_2.cf32", sh ? sh : "../shared");
	const char *path = argc > 2 ? argv[2] : def;
	size_t want = (size_t)(mb * 1e6 / 8);

	FILE *fp = fopen(path, "rb");
	if (fp) {
		fseek(fp, 0, SEEK_END);
		size_t n = (size_t)ftell(fp) / 8;
		fseek(fp, 0, SEEK_SET);
		float complex *x = malloc(n * sizeof(*x));
		if (!x || fread(x, 8, n, fp) != n) return 1;
		fclose(fp);
		os_rx *rx;
		if (os_rx_new(&rx, 50e6, on_frame, NULL, NULL) < 0) return 1;
		double c0 = cpu_now(), w0 = wall_now();
		size_t done = 0;
		while (done < want) {
			os_rx_push(rx, x, n);
			done += n;
		}
		os_rx_finish(rx);
		double c1 = cpu_now(), w1 = wall_now();
		report("real recording, repeated", (double)done, c1 - c0, w1 - w0);
		printf("  %zu frames, %zu with both CRCs (%zu repetitions x 3 bursts)\n", frames, frames_ok, done / n);
		os_rx_free(rx);
		free(x);
	} else {
		printf("no %s: the real-recording run skipped\n", path);
	}

	/* noise with a burst every 600 ms */
	size_t blk = 1u << 20;
	float complex *noise = calloc(blk, sizeof(float complex)), *burst = calloc(blk, sizeof(float complex));
	uint64_t rng = 99;
	os_add_noise(noise, blk, 50e6, 0, &rng); /* Es/N0 0 dB for amp 1; the burst gets amp 10: 20 dB */
	memcpy(burst, noise, blk * sizeof(float complex));
	dv_ocusync_frame f;
	memset(&f, 0, sizeof(f));
	snprintf(f.serial, sizeof(f.serial), "BENCH000000001");
	f.lat = 52.5, f.lon = 13.4, f.app_lat = 52.501, f.app_lon = 13.401;
	uint8_t payload[OS_PAYLOAD];
	os_payload_build(payload, &f);
	os_enc e = { .fs = 50e6, .start = 1000, .freq_hz = 2.1e6, .amp = 10 };
	os_encode_iq(burst, blk, payload, &e);
	frames = frames_ok = 0;
	os_rx *rx;
	if (os_rx_new(&rx, 50e6, on_frame, NULL, NULL) < 0) return 1;
	size_t period = (size_t)(0.6 * 50e6 / (double)blk + 0.5); /* blocks per 600 ms */
	double c0 = cpu_now(), w0 = wall_now();
	size_t done = 0, k = 0;
	while (done < want) {
		os_rx_push(rx, k % period == 0 ? burst : noise, blk);
		done += blk;
		k++;
	}
	os_rx_finish(rx);
	double c1 = cpu_now(), w1 = wall_now();
	report("noise + a burst every 600 ms", (double)done, c1 - c0, w1 - w0);
	printf("  %zu frames, %zu with both CRCs (%zu bursts sent)\n", frames, frames_ok, (k + period - 1) / period);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %ld MB (the bench's own buffers included; the decoder keeps ~2 ms of samples)\n",
	       ru.ru_maxrss / 1024);
	os_rx_free(rx);
	free(noise);
	free(burst);
	return 0;
}
