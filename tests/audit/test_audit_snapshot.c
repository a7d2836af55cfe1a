/*
 * test_audit_snapshot - the audit reports mid-stream: a snapshot after the
 * first part of the frames equals a one-shot audit of only that part, and
 * going on afterwards ends exactly where a one-shot audit of everything
 * ends. Also: the same frames through the records frame source give the
 * same audit as the capture file. Synthetic frames always; the peer
 * captures of $DV_SHARED (real traffic, nDPI classifying) when present.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/audit.h"
#include "dv/capture.h"
#include "dv/err.h"

typedef struct frames {
	dv_frame *v;
	size_t n, cap;
	int lt;
	char name[4400];
} frames;

static void frames_add(frames *F, const dv_frame *f)
{
	if (F->n == F->cap) {
		F->cap = F->cap ? F->cap * 2 : 256;
		F->v = realloc(F->v, F->cap * sizeof(*F->v));
	}
	dv_frame *c = &F->v[F->n++];
	*c = *f;
	uint8_t *d = malloc(f->caplen ? f->caplen : 1);
	if (f->caplen) memcpy(d, f->data, f->caplen);
	c->data = d;
}

static void frames_free(frames *F)
{
	for (size_t i = 0; i < F->n; i++) free((void *)F->v[i].data);
	free(F->v);
	memset(F, 0, sizeof(*F));
}

static int frames_load(frames *F, const char *path)
{
	dv_capture *c;
	memset(F, 0, sizeof(*F));
	if (dv_capture_open_file(&c, path) < 0) return -1;
	F->lt = dv_capture_linktype(c);
	snprintf(F->name, sizeof(F->name), "%s", path);
	dv_frame f;
	while (dv_capture_next(c, &f) == 1) frames_add(F, &f);
	dv_capture_close(c);
	return 0;
}

static char *json_of(const dv_audit *a)
{
	char *js = NULL;
	CHECK_EQ(dv_audit_to_json(a, &js), 0);
	return js ? js : strdup("");
}

static void add_range(dv_audit *a, const frames *F, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) dv_audit_add_frame(a, F->lt, &F->v[i], F->name);
}

static char *oneshot(const frames *F, size_t n, const dv_audit_opts *o)
{
	dv_audit *a;
	if (dv_audit_new(&a, o) < 0) return strdup("(no audit)");
	add_range(a, F, 0, n);
	CHECK_EQ(dv_audit_finish(a), 0);
	char *js = json_of(a);
	dv_audit_free(a);
	return js;
}

static int same(const char *what, const char *name, const char *want, const char *got)
{
	if (!strcmp(want, got)) return 1;
	size_t i = 0;
	while (want[i] && want[i] == got[i]) i++;
	size_t from = i > 200 ? i - 200 : 0;
	fprintf(stderr, "%s: %s differs at byte %zu\n  want ...%.300s\n  got  ...%.300s\n", name, what, i, want + from,
	        got + from);
	return 0;
}

/* snapshot at h and at 3/4, then finish; against one-shot audits */
static void check_snapshots(const frames *F, const dv_audit_opts *o)
{
	size_t h = F->n / 2, q = F->n - F->n / 4;
	char *want_h = oneshot(F, h, o), *want_q = oneshot(F, q, o), *want_all = oneshot(F, F->n, o);
	dv_audit *a;
	CHECK_EQ(dv_audit_new(&a, o), 0);
	if (!a) return;
	/* before anything: an empty, clean-looking result, no crash */
	size_t nd;
	CHECK(dv_audit_dests(a, &nd) == NULL || nd == 0);
	add_range(a, F, 0, h);
	CHECK_EQ(dv_audit_snapshot(a), 0);
	char *got = json_of(a);
	CHECK(same("snapshot at half", F->name, want_h, got));
	free(got);
	/* the other reports work on a snapshot too */
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		dv_audit_print(a, null);
		fclose(null);
	}
	CHECK_EQ(dv_audit_write_html(a, "/dev/null"), 0);
	/* a second snapshot without new frames changes nothing */
	CHECK_EQ(dv_audit_snapshot(a), 0);
	got = json_of(a);
	CHECK(same("repeated snapshot", F->name, want_h, got));
	free(got);
	add_range(a, F, h, q);
	CHECK_EQ(dv_audit_snapshot(a), 0);
	got = json_of(a);
	CHECK(same("snapshot at three quarters", F->name, want_q, got));
	free(got);
	add_range(a, F, q, F->n);
	CHECK_EQ(dv_audit_finish(a), 0);
	got = json_of(a);
	CHECK(same("final after snapshots", F->name, want_all, got));
	free(got);
	/* after finish: snapshots and frames change nothing */
	CHECK_EQ(dv_audit_snapshot(a), 0);
	add_range(a, F, 0, h);
	got = json_of(a);
	CHECK(same("after finish", F->name, want_all, got));
	free(got);
	dv_audit_free(a);
	free(want_h);
	free(want_q);
	free(want_all);
}

/* the same frames as a file and as records: the same audit */
static void check_records(const frames *F, const char *path, const dv_audit_opts *o)
{
	dv_audit *a, *b;
	CHECK_EQ(dv_audit_new(&a, o), 0);
	CHECK_EQ(dv_audit_new(&b, o), 0);
	if (!a || !b) return;
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	size_t len = 0;
	for (size_t i = 0; i < F->n; i++) len += DV_CAPTURE_RECORD_HDR + F->v[i].caplen;
	uint8_t *buf = malloc(len ? len : 1), *p = buf;
	for (size_t i = 0; i < F->n; i++) p += dv_capture_record_put(p, (size_t)(buf + len - p), &F->v[i]);
	CHECK_EQ(p - buf, len);
	dv_capture *c;
	CHECK_EQ(dv_capture_open_records(&c, buf, len, F->lt, path), 0);
	if (c) {
		CHECK_EQ(dv_audit_add_source(b, c), 0);
		dv_capture_close(c);
	}
	CHECK_EQ(dv_audit_finish(a), 0);
	CHECK_EQ(dv_audit_finish(b), 0);
	char *ja = json_of(a), *jb = json_of(b);
	CHECK(same("records against file", path, ja, jb));
	free(ja);
	free(jb);
	free(buf);
	dv_audit_free(a);
	dv_audit_free(b);
}

/* ---- synthetic traffic ---- */

#include "frame_buf.h"


static void ip_frame(buf *b, const uint8_t *src, const uint8_t *dst, unsigned proto, unsigned sp, unsigned dp,
                     uint32_t seq, unsigned tflags, const char *data)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	size_t n = strlen(data), l4 = proto == 6 ? 20 : 8;
	b->n = 0;
	put(b, macs, 12);
	put16(b, 0x0800);
	put8(b, 0x45); put8(b, 0); put16(b, (unsigned)(20 + l4 + n)); put16(b, 1); put16(b, 0);
	put8(b, 64); put8(b, proto); put16(b, 0); put(b, src, 4); put(b, dst, 4);
	if (proto == 6) {
		put16(b, sp); put16(b, dp); put32(b, seq); put32(b, 1); put8(b, 5 << 4); put8(b, tflags);
		put16(b, 65535); put16(b, 0); put16(b, 0);
	} else {
		put16(b, sp); put16(b, dp); put16(b, (unsigned)(8 + n)); put16(b, 0);
	}
	put(b, data, n);
}

static void synthetic(frames *F)
{
	static const uint8_t phone[4] = { 192, 168, 2, 20 }, gw[4] = { 192, 168, 2, 1 };
	static const uint8_t ext[6][4] = { { 47, 88, 0, 1 }, { 120, 55, 0, 1 }, { 8, 8, 8, 8 },
	                                   { 52, 1, 2, 3 }, { 203, 0, 113, 9 }, { 93, 184, 216, 34 } };
	memset(F, 0, sizeof(*F));
	F->lt = 1;
	snprintf(F->name, sizeof(F->name), "synthetic");
	buf b;
	for (unsigned i = 0; i < 400; i++) {
		const uint8_t *d = ext[i % 6];
		dv_frame f = { .ts_ns = 1700000000000000000LL + (int64_t)i * 1000000 };
		switch (i % 5) {
		case 0: ip_frame(&b, phone, d, 6, 40000 + i % 37, 80, i * 100, 0x02, ""); break;
		case 1: ip_frame(&b, phone, d, 6, 40000 + i % 37, 80, i * 100 + 1, 0x18,
		                 "GET /up?lat=22.543096&lon=113.942300 HTTP/1.1\r\nHost: up.example\r\n\r\n"); break;
		case 2: ip_frame(&b, d, phone, 6, 80, 40000 + i % 37, i * 7, 0x10, "HTTP/1.1 200 OK\r\n\r\n"); break;
		case 3: ip_frame(&b, phone, d, 17, 50000 + i % 11, 443, 0, 0, "\xc0\x00\x00\x00\x01quic-ish bytes"); break;
		default: ip_frame(&b, phone, gw, 17, 53000, 53, 0, 0, "not really dns"); break;
		}
		if (i % 7 == 6) {
			/* a GRE tunnel to a public peer carrying UDP (issue 12), and ICMP:
			 * inner flows and flows without ports are snapshotted alike */
			buf in;
			ip_frame(&in, phone, ext[(i / 7) % 6], 17, 41000 + i % 5, 443, 0, 0, "inner datagram");
			b.n = 0;
			put(&b, in.b, 12);
			put16(&b, 0x0800);
			put8(&b, 0x45); put8(&b, 0); put16(&b, (unsigned)(20 + 4 + in.n - 14)); put16(&b, 1); put16(&b, 0);
			put8(&b, 64); put8(&b, i % 2 ? 47 : 1); put16(&b, 0); put(&b, phone, 4); put(&b, ext[4 - (i / 7) % 4], 4);
			put16(&b, 0); put16(&b, 0x0800);
			put(&b, in.b + 14, in.n - 14);
		}
		if (i == 333) b.b[14] = 0x41; /* one damaged frame: a warning */
		f.caplen = f.wirelen = (uint32_t)b.n;
		f.data = b.b;
		frames_add(F, &f);
	}
}

static int is_capture(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && !strcmp(n + l - 5, ".pcap")) || (l > 7 && !strcmp(n + l - 7, ".pcapng"));
}

int main(void)
{
	dv_audit_opts o = { .no_geo = 1 }, small = { .no_geo = 1, .max_flows = 16 };
	frames F;
	synthetic(&F);
	char *all = oneshot(&F, F.n, &o);
	CHECK(all && strstr(all, "\"tunnel_endpoint\": \"gre\"") && strstr(all, "\"proto\": \"icmp\""));
	free(all);
	check_snapshots(&F, &o);
	check_snapshots(&F, &small); /* flows evicted between and across snapshots */
	frames_free(&F);

	const char *sh = check_shared_dir();
	if (!sh) {
		printf("synthetic frames only: DV_SHARED is absent\n");
		return check_done();
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/audit/peer-pcaps", sh);
	DIR *d = opendir(dir);
	size_t files = 0;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!is_capture(de->d_name)) continue;
			char path[4352];
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (frames_load(&F, path) < 0) {
				fprintf(stderr, "%s\n", dv_error_text());
				CHECK(0);
				continue;
			}
			check_snapshots(&F, &o);
			check_records(&F, path, &o);
			frames_free(&F);
			files++;
		}
		closedir(d);
	}
	printf("snapshots checked on the synthetic frames and %zu peer captures\n", files);
	CHECK(files > 0);
	return check_done();
}
