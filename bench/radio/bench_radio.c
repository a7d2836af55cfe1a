/*
 * bench_radio - frames per second of the Remote ID decoder and report.
 *
 *   bench_radio SAMPLE_DIR OUT_DIR [FRAMES]
 *
 * Repeats the frames of the Open Drone ID sample captures in SAMPLE_DIR
 * (../shared/audit/pcaps) into OUT_DIR/bench_wifi.pcap (radiotap) and
 * OUT_DIR/bench_ble.pcap (nRF Sniffer) until they hold FRAMES frames
 * together (default 1,000,000), then times, per file:
 *   decode  libpcap read + dv_radio_decode_frame of every frame
 *   report  the same + per-aircraft aggregation + exposure (what
 *           `dronevault radio` does before printing)
 * and prints one line per measurement. bench/radio/run.sh adds tshark.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/err.h"
#include "dv/radio.h"

typedef struct frame {
	struct pcap_pkthdr h;
	u_char *data;
} frame;

typedef struct set {
	int linktype;
	frame *f;
	size_t n, cap;
} set;

static int load(const char *path, set *s)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc) {
		fprintf(stderr, "bench_radio: %s: %s\n", path, err);
		return -1;
	}
	s->linktype = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 256;
			s->f = realloc(s->f, s->cap * sizeof(*s->f));
			if (!s->f) abort();
		}
		s->f[s->n].h = *h;
		s->f[s->n].data = malloc(h->caplen);
		if (!s->f[s->n].data) abort();
		memcpy(s->f[s->n].data, d, h->caplen);
		s->n++;
	}
	pcap_close(pc);
	return 0;
}

static int write_repeated(const set *s, const char *out, size_t total)
{
	pcap_t *dead = pcap_open_dead(s->linktype, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, out);
	if (!dp) {
		fprintf(stderr, "bench_radio: %s: %s\n", out, pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	for (size_t i = 0; i < total; i++) {
		struct pcap_pkthdr h = s->f[i % s->n].h;
		h.ts.tv_sec = 1700000000 + (time_t)(i / 1000);
		h.ts.tv_usec = (suseconds_t)(i % 1000) * 1000;
		pcap_dump((u_char *)dp, &h, s->f[i % s->n].data);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	return 0;
}

static double clk(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Wall clock and this process's CPU time (the machine is shared: CPU time
 * is the fairer figure, and tshark is measured the same way). */
static double now(void) { return clk(CLOCK_MONOTONIC); }
static double cpu(void) { return clk(CLOCK_PROCESS_CPUTIME_ID); }

static int count(const dv_odid_frame *f, void *payload)
{
	(void)f;
	(*(uint64_t *)payload)++;
	return 0;
}

static void bench_file(const char *path, const char *label)
{
	for (int rep = 0; rep < 2; rep++) { /* second run: warm page cache */
		uint64_t odid = 0;
		dv_radio_stats st;
		double t0 = now(), c0 = cpu();
		if (dv_radio_scan_file(path, count, &odid, &st) < 0) {
			fprintf(stderr, "bench_radio: %s\n", dv_error_text());
			return;
		}
		double t1 = now(), c1 = cpu();
		dv_radio_report *r;
		if (dv_radio_report_new(&r) < 0) return;
		(void)dv_radio_report_add_capture(r, path);
		dv_radio_report_finish(r);
		double t2 = now(), c2 = cpu();
		if (rep == 1) {
			printf("%-5s decode %8llu frames (%llu Remote ID): wall %6.3f s, cpu %6.3f s, %9.0f frames/cpu-s\n",
			       label, (unsigned long long)st.frames, (unsigned long long)odid, t1 - t0, c1 - c0,
			       st.frames / (c1 - c0));
			printf("%-5s report %8llu frames (%zu aircraft):    wall %6.3f s, cpu %6.3f s, %9.0f frames/cpu-s\n",
			       label, (unsigned long long)st.frames, r->naircraft, t2 - t1, c2 - c1, st.frames / (c2 - c1));
		}
		dv_radio_report_free(r);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_radio SAMPLE_DIR OUT_DIR [FRAMES]\n");
		return 2;
	}
	size_t total = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
	char p[4096], wifi[4096], ble[4096];
	set w = { 0 }, b = { 0 };
	snprintf(p, sizeof(p), "%s/opendroneid_odid_wifi_bcn_sample.pcap", argv[1]);
	if (load(p, &w) < 0) return 1;
	snprintf(p, sizeof(p), "%s/opendroneid_odid_wifi_sample.pcap", argv[1]);
	if (load(p, &w) < 0) return 1;
	snprintf(p, sizeof(p), "%s/opendroneid_odid_bt5_lr_sample.pcapng", argv[1]);
	if (load(p, &b) < 0) return 1;
	snprintf(wifi, sizeof(wifi), "%s/bench_wifi.pcap", argv[2]);
	snprintf(ble, sizeof(ble), "%s/bench_ble.pcap", argv[2]);
	if (write_repeated(&w, wifi, total / 2) < 0 || write_repeated(&b, ble, total - total / 2) < 0) return 1;
	bench_file(wifi, "wifi");
	bench_file(ble, "ble");
	for (size_t i = 0; i < w.n; i++) free(w.f[i].data);
	for (size_t i = 0; i < b.n; i++) free(b.f[i].data);
	free(w.f);
	free(b.f);
	return 0;
}
