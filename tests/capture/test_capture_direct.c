/*
 * test_capture_direct - the capture layer reads classic pcap files itself
 * (src/capture/file.c, direct_next) and leaves everything else to libpcap.
 * Both must agree: for a clean file and for each way a file can be cut or
 * damaged, the frames (time, lengths, bytes) and the error text read from
 * the file (our reader) equal those read from the same bytes in memory
 * (libpcap through fmemopen). Both byte orders, both time resolutions, a
 * record over the snapshot length, and 3000 records (several buffer
 * refills, records across the buffer's end) are covered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/capture.h"
#include "dv/err.h"

typedef struct img {
	uint8_t *b;
	size_t n, cap;
} img;

static void add(img *m, const void *p, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->b = realloc(m->b, m->cap);
		if (!m->b) exit(1);
	}
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void add32(img *m, uint32_t v, int be)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++) b[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
	add(m, b, 4);
}

static void add16(img *m, unsigned v, int be)
{
	uint8_t b[2] = { (uint8_t)(be ? v >> 8 : v), (uint8_t)(be ? v : v >> 8) };
	add(m, b, 2);
}

static void header(img *m, int be, int nsec, uint32_t snap)
{
	add32(m, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, be);
	add16(m, 2, be); add16(m, 4, be);
	add32(m, 0, be); add32(m, 0, be);
	add32(m, snap, be); add32(m, 1, be);
}

static void record(img *m, int be, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len, unsigned seed)
{
	add32(m, sec, be); add32(m, frac, be); add32(m, caplen, be); add32(m, len, be);
	for (uint32_t i = 0; i < caplen; i++) {
		uint8_t c = (uint8_t)(seed * 31 + i * 7);
		add(m, &c, 1);
	}
}

/* Reads every frame of c into a digest line list; returns the final status. */
static int drain(dv_capture *c, char *out, size_t size)
{
	size_t o = 0;
	dv_frame fr;
	int rc;
	while ((rc = dv_capture_next(c, &fr)) == 1) {
		unsigned long h = 5381;
		for (uint32_t i = 0; i < fr.caplen; i++) h = h * 33 + fr.data[i];
		int k = snprintf(out + o, size - o, "%lld %u %u %lx\n", (long long)fr.ts_ns, fr.caplen, fr.wirelen, h);
		if (k > 0 && (size_t)k < size - o) o += (size_t)k;
	}
	if (rc < 0) snprintf(out + o, size - o, "error: %s\n", dv_error_last()->message);
	return rc;
}

static char dir[512];

static int compare(const char *name, const img *m)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) { perror(path); exit(1); }
	fwrite(m->b, 1, m->n, f);
	fclose(f);
	static char a[1 << 20], b[1 << 20];
	a[0] = b[0] = 0;
	dv_capture *c;
	int ra = -99, rb = -99;
	if (dv_capture_open_file(&c, path) == 0) { ra = drain(c, a, sizeof(a)); dv_capture_close(c); }
	if (dv_capture_open_mem(&c, m->b, m->n, path) == 0) { rb = drain(c, b, sizeof(b)); dv_capture_close(c); }
	int same = ra == rb && !strcmp(a, b);
	if (!same) {
		fprintf(stderr, "%s: file (rc %d):\n%.2000s\nmemory (rc %d):\n%.2000s\n", name, ra, a, rb, b);
	}
	CHECK(same);
	CHECK(a[0] != 0);
	return ra;
}

int main(void)
{
	const char *t = getenv("DV_TMP");
	snprintf(dir, sizeof(dir), "%s/capture-direct", t && *t ? t : "/tmp");
	if (t && *t) (void)mkdir(t, 0700);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) { perror(dir); return 1; }
	for (int be = 0; be < 2; be++) {
		for (int ns = 0; ns < 2; ns++) {
			char nm[64];
			img m = { 0 };
			header(&m, be, ns, 65535);
			for (unsigned i = 0; i < 3000; i++)
				record(&m, be, 1700000000u + i, ns ? 999999999u - i : 999999u - i, 60 + (i * 97) % 1500, 60 + (i * 97) % 1500 + (i % 3), i);
			record(&m, be, 1, 2, 100, 50, 1); /* len below caplen: raised to caplen */
			snprintf(nm, sizeof(nm), "clean-be%d-ns%d", be, ns);
			compare(nm, &m);
			size_t whole = m.n;
			/* cut inside the last record's data, inside its header, right after a record */
			m.n = whole - 10;
			snprintf(nm, sizeof(nm), "cut-data-be%d-ns%d", be, ns);
			CHECK(compare(nm, &m) < 0);
			m.n = whole - 100 - 9;
			snprintf(nm, sizeof(nm), "cut-header-be%d-ns%d", be, ns);
			CHECK(compare(nm, &m) < 0);
			free(m.b);
		}
	}
	/* a record over the snapshot length (cut to it), then one over libpcap's maximum */
	{
		img m = { 0 };
		header(&m, 0, 0, 128);
		record(&m, 0, 1, 1, 100, 100, 1);
		record(&m, 0, 2, 2, 300, 300, 2);
		record(&m, 0, 3, 3, 50, 60, 3);
		CHECK_EQ(compare("over-snaplen", &m), 0);
		record(&m, 0, 4, 4, 300, 300, 4);
		m.n -= 100; /* cut after the snapshot part */
		CHECK(compare("over-snaplen-cut", &m) < 0);
		m.n -= 150; /* cut before the snapshot part ends */
		CHECK(compare("over-snaplen-cut-early", &m) < 0);
		free(m.b);
		img x = { 0 };
		header(&x, 0, 0, 65535);
		record(&x, 0, 1, 1, 40, 40, 1);
		add32(&x, 2, 0); add32(&x, 2, 0); add32(&x, 300000, 0); add32(&x, 300000, 0);
		CHECK(compare("over-maximum", &x) < 0);
		free(x.b);
		img y = { 0 };
		header(&y, 0, 0, 0); /* snaplen 0: libpcap takes its maximum */
		record(&y, 0, 1, 1, 70000, 70000, 5);
		compare("snaplen-zero", &y);
		free(y.b);
	}
	/* just a header: no frames, no error */
	{
		img m = { 0 };
		header(&m, 0, 0, 65535);
		char path[700];
		snprintf(path, sizeof(path), "%s/empty.pcap", dir);
		FILE *f = fopen(path, "wb");
		fwrite(m.b, 1, m.n, f);
		fclose(f);
		dv_capture *c;
		CHECK(dv_capture_open_file(&c, path) == 0);
		dv_frame fr;
		CHECK_EQ(dv_capture_next(c, &fr), 0);
		dv_capture_close(c);
		free(m.b);
	}
	return check_done();
}
