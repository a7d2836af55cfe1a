/*
 * file.c - the capture file backend: pcap and pcapng through libpcap,
 * recognised by content (the name is irrelevant), from a file or from a
 * file image in memory. libpcap checks the record headers; a record cut
 * short or damaged ends the source with DV_ETRUNC naming the frame.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_int.h"
#include "core/rd_int.h"
#include "dv/err.h"

#define DV_CAPTURE_IOBUF (1u << 18) /* fits L2: records are parsed while the copy is hot */

typedef struct file_src {
	pcap_t *pc;
	int linktype;
	int64_t ts_scale;     /* 1 for nanosecond files, 1000 for microsecond ones */
	uint64_t frames;
	char *name;
	char *iobuf;          /* the stdio buffer of a file source (freed after pcap_close) */
	/* a classic pcap file read by us (see open_direct): */
	int fd;               /* -1 when libpcap reads */
	uint8_t *buf;
	size_t cap, pos, end; /* buf[pos..end) read, not yet handed out */
	uint64_t off;         /* file offset of buf[pos] */
	uint8_t big_endian;   /* the file's byte order */
	uint8_t usec;         /* microsecond time stamps (scaled to ns) */
	uint32_t snapshot;    /* libpcap's snapshot length for the file */
	uint32_t max_caplen;  /* libpcap's limit for the link type */
} file_src;

/* libpcap's largest record for a link type (max_snaplen_for_dlt). */
static uint32_t max_snaplen(int dlt)
{
	switch (dlt) {
	case 231: return 128u * 1024 * 1024; /* DLT_DBUS */
	case 279: return 8u * 1024 * 1024;   /* DLT_EBHSCR */
	case 249: return 1024u * 1024;       /* DLT_USBPCAP */
	default: return 262144;
	}
}

/*
 * Makes at least n bytes available at buf[pos] unless the file ends first:
 * returns how many are (>= n, or fewer at the end), or -1 with errno.
 * Only the unread tail moves; the buffer grows for a record larger than
 * it (bounded by max_caplen + 16).
 */
static ssize_t fill(file_src *s, size_t n)
{
	if (s->end - s->pos >= n) return (ssize_t)(s->end - s->pos);
	if (s->pos) {
		memmove(s->buf, s->buf + s->pos, s->end - s->pos);
		s->end -= s->pos;
		s->pos = 0;
	}
	if (n > s->cap) {
		uint8_t *nb = realloc(s->buf, n);
		if (!nb) { errno = ENOMEM; return -1; }
		s->buf = nb;
		s->cap = n;
	}
	while (s->end < n) {
		ssize_t k = read(s->fd, s->buf + s->end, s->cap - s->end);
		if (k < 0 && errno == EINTR) continue;
		if (k < 0) return -1;
		if (k == 0) break;
		s->end += (size_t)k;
	}
	return (ssize_t)(s->end - s->pos);
}

/*
 * The next record of a classic pcap file, with libpcap's rules and
 * messages (sf-pcap.c): a record header cut short ends the file with an
 * error unless nothing of it is there (the end); a caplen over the link
 * type's maximum is an error; one over the snapshot length is cut to it.
 * The frame points into buf until the next call.
 */
static int direct_next(file_src *s, dv_frame *out)
{
	char why[200];
	ssize_t got = fill(s, 16);
	if (got < 0) goto ioerr;
	if (got == 0) return 0;
	if (got < 16) {
		snprintf(why, sizeof(why), "truncated dump file; tried to read 16 header bytes, only got %zd", got);
		goto bad;
	}
	dv_rd r = dv_rd_init(s->buf + s->pos, 16, s->name, (int64_t)s->off);
	uint32_t h[4];
	for (int i = 0; i < 4; i++)
		(void)(s->big_endian ? dv_rd_u32be(&r, &h[i]) : dv_rd_u32le(&r, &h[i]));
	uint32_t caplen = h[2], len = h[3];
	if (caplen > s->max_caplen) {
		if (caplen > s->snapshot)
			snprintf(why, sizeof(why), "invalid packet capture length %u, bigger than snaplen of %d", caplen, (int)s->snapshot);
		else
			snprintf(why, sizeof(why), "invalid packet capture length %u, bigger than maximum of %u", caplen, s->max_caplen);
		goto bad;
	}
	s->pos += 16;
	s->off += 16;
	got = fill(s, caplen);
	if (got < 0) goto ioerr;
	size_t left = (size_t)got;
	if (caplen > s->snapshot && left < s->snapshot) {
		snprintf(why, sizeof(why), "truncated dump file; tried to read %d captured bytes, only got %zu", (int)s->snapshot, left);
		goto bad;
	}
	if (left < caplen) {
		snprintf(why, sizeof(why), "truncated dump file; tried to read %u captured bytes, only got %zu", caplen, left);
		goto bad;
	}
	out->data = s->buf + s->pos;
	s->pos += caplen;
	s->off += caplen;
	if (caplen > s->snapshot) caplen = s->snapshot;
	s->frames++;
	out->ts_ns = dv__capture_ts_ns((int64_t)h[0], s->usec ? (int64_t)h[1] * 1000 : (int64_t)h[1]);
	out->caplen = caplen;
	out->wirelen = len < caplen ? caplen : len;
	return 1;
ioerr:
	snprintf(why, sizeof(why), "error reading dump file: %s", strerror(errno));
bad:
	s->pos = s->end = 0; /* nothing after an error */
	(void)lseek(s->fd, 0, SEEK_END);
	return dv_error_set(DV_ETRUNC, s->name, -1, "capture damaged or cut after frame %llu: %s", (unsigned long long)s->frames, why);
}

static int file_next(void *state, dv_frame *out)
{
	file_src *s = state;
	if (s->fd >= 0) return direct_next(s, out);
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(s->pc, &h, &d);
		if (rc == 1) {
			s->frames++;
			out->ts_ns = dv__capture_ts_ns((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec * s->ts_scale);
			out->caplen = h->caplen;
			out->wirelen = h->len < h->caplen ? h->caplen : h->len;
			out->data = d;
			return 1;
		}
		if (rc == 0) continue; /* a live timeout; never for files */
		if (rc == PCAP_ERROR_BREAK) return 0;
		/* libpcap reports a cut last record as an error: name where. */
		return dv_error_set(DV_ETRUNC, s->name, -1, "capture damaged or cut after frame %llu: %s",
		                    (unsigned long long)s->frames, pcap_geterr(s->pc));
	}
}

static int file_linktype(void *state) { return ((file_src *)state)->linktype; }
static const char *file_name(void *state) { return ((file_src *)state)->name; }

static void file_close(void *state)
{
	file_src *s = state;
	if (!s) return;
	if (s->pc) pcap_close(s->pc); /* closes the FILE too */
	free(s->iobuf);
	if (s->fd >= 0) close(s->fd);
	free(s->buf);
	free(s->name);
	free(s);
}

static const dv_capture_ops file_ops = {
	.version = DV_CAPTURE_OPS_VERSION,
	.kind = "file",
	.next = file_next,
	.linktype = file_linktype,
	.name = file_name,
	.close = file_close,
};

/*
 * A classic pcap file (version 2.4, the common case) is read by us instead
 * of through libpcap and stdio: read(2) into one buffer and records handed
 * out where they lie. That saves the copy from the stdio buffer into
 * libpcap's and stdio's and libpcap's per-record work (a sixth of the
 * audit's CPU time on a large capture). libpcap has read and checked the
 * file header (link type, snapshot length); anything else (pcapng, other
 * versions, a pipe, memory) stays with libpcap.
 */
static void open_direct(file_src *s)
{
	FILE *fp = pcap_file(s->pc);
	struct stat st;
	uint8_t b[24];
	if (!fp || fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) return;
	if (pread(fileno(fp), b, 24, 0) != 24) return;
	uint32_t magic = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	int be;
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) be = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) be = 1;
	else return;
	unsigned major = be ? (unsigned)(b[4] << 8 | b[5]) : (unsigned)(b[5] << 8 | b[4]);
	unsigned minor = be ? (unsigned)(b[6] << 8 | b[7]) : (unsigned)(b[7] << 8 | b[6]);
	int snap = pcap_snapshot(s->pc);
	if (major != 2 || minor != 4 || snap <= 0 || s->ts_scale != 1) return;
	int fd = fcntl(fileno(fp), F_DUPFD_CLOEXEC, 0);
	if (fd < 0) return;
	if (lseek(fd, 24, SEEK_SET) != 24) { close(fd); return; }
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* reuse the stdio buffer libpcap had */
	pcap_close(s->pc);
	s->pc = NULL;
	s->buf = (uint8_t *)s->iobuf;
	s->iobuf = NULL;
	s->cap = s->buf ? DV_CAPTURE_IOBUF : 0;
	s->pos = s->end = 0;
	s->off = 24;
	s->fd = fd;
	s->big_endian = (uint8_t)be;
	s->usec = magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u;
	s->snapshot = (uint32_t)snap;
	s->max_caplen = max_snaplen(s->linktype);
}

/* Takes fp and iobuf (closed and freed on failure too). */
static int open_stream(dv_capture **out, FILE *fp, char *iobuf, int direct, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	file_src *s = calloc(1, sizeof(*s));
	char *nm = strdup(name);
	if (s) s->fd = -1;
	if (!s || !nm) {
		free(s);
		free(nm);
		fclose(fp);
		free(iobuf);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	/* Ask for nanoseconds; libpcap scales microsecond files up. */
	s->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!s->pc) {
		fclose(fp);
		free(iobuf);
		free(nm);
		free(s);
		return dv_error_set(DV_EINVAL, name, 0, "not a readable pcap or pcapng capture: %s", errbuf);
	}
	s->name = nm;
	s->iobuf = iobuf;
	s->linktype = pcap_datalink(s->pc);
	s->ts_scale = pcap_get_tstamp_precision(s->pc) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
	if (direct) open_direct(s);
	return dv_capture_open_ops(out, &file_ops, s);
}

int dv_capture_open_file(dv_capture **out, const char *path)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp) return dv_error_errno(errno, path, -1, "cannot open capture");
	/* libpcap reads record by record through stdio: a large buffer saves
	 * most of the read(2) calls of the default 4 KiB one. glibc ignores the
	 * size unless the buffer is given (with NULL it stays at st_blksize),
	 * so it is ours, freed after the FILE is closed. */
	char *iobuf = malloc(DV_CAPTURE_IOBUF);
	if (iobuf) (void)setvbuf(fp, iobuf, _IOFBF, DV_CAPTURE_IOBUF);
	return open_stream(out, fp, iobuf, 1, path);
}

int dv_capture_open_mem(dv_capture **out, const void *buf, size_t len, const char *name)
{
	*out = NULL;
	if (!name) name = "capture in memory";
	if (len == 0) return dv_error_set(DV_EINVAL, name, 0, "empty capture");
	FILE *fp = fmemopen((void *)buf, len, "rb");
	if (!fp) return dv_error_errno(errno, name, -1, "cannot open capture in memory");
	return open_stream(out, fp, NULL, 0, name);
}
