/*
 * file.c - the capture file backend: pcap and pcapng through libpcap,
 * recognised by content (the name is irrelevant), from a file or from a
 * file image in memory. libpcap checks the record headers; a record cut
 * short or damaged ends the source with DV_ETRUNC naming the frame.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"
#include "dv/err.h"

typedef struct file_src {
	pcap_t *pc;
	int linktype;
	int64_t ts_scale;     /* 1 for nanosecond files, 1000 for microsecond ones */
	uint64_t frames;
	char *name;
} file_src;

static int file_next(void *state, dv_frame *out)
{
	file_src *s = state;
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

/* Takes fp (closed on failure too). */
static int open_stream(dv_capture **out, FILE *fp, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	file_src *s = calloc(1, sizeof(*s));
	char *nm = strdup(name);
	if (!s || !nm) {
		free(s);
		free(nm);
		fclose(fp);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	/* Ask for nanoseconds; libpcap scales microsecond files up. */
	s->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!s->pc) {
		fclose(fp);
		free(nm);
		free(s);
		return dv_error_set(DV_EINVAL, name, 0, "not a readable pcap or pcapng capture: %s", errbuf);
	}
	s->name = nm;
	s->linktype = pcap_datalink(s->pc);
	s->ts_scale = pcap_get_tstamp_precision(s->pc) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
	return dv_capture_open_ops(out, &file_ops, s);
}

int dv_capture_open_file(dv_capture **out, const char *path)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp) return dv_error_errno(errno, path, -1, "cannot open capture");
	/* libpcap reads record by record through stdio: a large buffer saves
	 * most of the read(2) calls of the default 4 KiB one. */
	(void)setvbuf(fp, NULL, _IOFBF, 1u << 20);
	return open_stream(out, fp, path);
}

int dv_capture_open_mem(dv_capture **out, const void *buf, size_t len, const char *name)
{
	*out = NULL;
	if (!name) name = "capture in memory";
	if (len == 0) return dv_error_set(DV_EINVAL, name, 0, "empty capture");
	FILE *fp = fmemopen((void *)buf, len, "rb");
	if (!fp) return dv_error_errno(errno, name, -1, "cannot open capture in memory");
	return open_stream(out, fp, name);
}
