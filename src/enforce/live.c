/*
 * live.c - the live frame source of `watch`: libpcap on an interface,
 * opened by the privileged parent, which keeps the handle (it can transmit:
 * the parsing child never gets it). pcap_create, immediate mode, a capture
 * buffer sized for bursts, a poll on the selectable descriptor so a stop
 * request is seen within the timeout; pcap_stats for the kernel's drops.
 * A capture file can be fed through the same code (dv_live_open_file).
 */
#include <errno.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"
#include "dv/enforce.h"
#include "dv/err.h"

struct dv_live {
	pcap_t *p;
	bool file;
	int fd;
	char name[64];
	int (*fn)(void *ctx, const dv_frame *fr);
	void *ctx;
	bool stop;
	bool nano;
};

static int pcap_code(int st)
{
	switch (st) {
	case PCAP_ERROR_NO_SUCH_DEVICE: return DV_ENOTFOUND;
	case PCAP_ERROR_PERM_DENIED: return DV_EPERM;
	default: return DV_EINVAL;
	}
}

int dv_live_open(dv_live **out, const char *iface, size_t buffer_bytes, int immediate)
{
	*out = NULL;
	char eb[PCAP_ERRBUF_SIZE] = "";
	dv_live *l = calloc(1, sizeof(*l));
	if (!l) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	snprintf(l->name, sizeof(l->name), "%s", iface);
	l->p = pcap_create(iface, eb);
	if (!l->p) {
		free(l);
		return dv_error_set(DV_EINVAL, iface, -1, "cannot open the interface: %s", eb);
	}
	/* immediate mode gives every packet a ring slot of snaplen bytes: 65535
	 * (a veth's or jumbo MTU) keeps ~1000 slots in 64 MiB, where the maximum
	 * would leave 250 */
	(void)pcap_set_snaplen(l->p, 65535);
	/* promiscuous: a hotspot's interface sees frames addressed to others too */
	(void)pcap_set_promisc(l->p, 1);
	/* Immediate mode hands over every packet at once, but on Linux it costs
	 * a snaplen-sized ring slot per packet (TPACKET_V2): bursts overflow
	 * it (bench/watch). By default packets are packed in blocks
	 * (TPACKET_V3) handed over at the latest after 10 ms. */
	if (immediate) (void)pcap_set_immediate_mode(l->p, 1);
	else (void)pcap_set_timeout(l->p, 10);
	(void)pcap_set_buffer_size(l->p, (int)(buffer_bytes ? buffer_bytes : (64u << 20)));
	(void)pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO);
	int st = pcap_activate(l->p);
	if (st < 0) {
		const char *why = st == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
		                  : st == PCAP_ERROR_PERM_DENIED   ? "no permission to capture (root or CAP_NET_RAW needed)"
		                  : st == PCAP_ERROR_IFACE_NOT_UP  ? "the interface is down"
		                                                   : "cannot capture";
		int rc = dv_error_set(pcap_code(st), iface, -1, "%s: %s", why, pcap_geterr(l->p));
		pcap_close(l->p);
		free(l);
		return rc;
	}
	l->nano = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
	if (pcap_setnonblock(l->p, 1, eb) < 0 || (l->fd = pcap_get_selectable_fd(l->p)) < 0) {
		int rc = dv_error_set(DV_EINVAL, iface, -1, "no selectable descriptor: %s", eb);
		pcap_close(l->p);
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int dv_live_open_file(dv_live **out, const char *path)
{
	*out = NULL;
	char eb[PCAP_ERRBUF_SIZE] = "";
	dv_live *l = calloc(1, sizeof(*l));
	if (!l) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	l->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!l->p) {
		free(l);
		return dv_error_set(DV_EINVAL, path, -1, "cannot read the capture: %s", eb);
	}
	snprintf(l->name, sizeof(l->name), "%s", path);
	l->file = true;
	l->nano = true;
	l->fd = -1;
	*out = l;
	return 0;
}

int dv_live_fd(const dv_live *l)
{
	return l->file ? -1 : l->fd;
}

int dv_live_linktype(const dv_live *l)
{
	return pcap_datalink(l->p);
}

static void on_packet(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes)
{
	dv_live *l = (dv_live *)u;
	if (l->stop) return;
	int64_t frac = l->nano ? (int64_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec * 1000;
	dv_frame fr = { .ts_ns = dv__capture_ts_ns((int64_t)h->ts.tv_sec, frac), .caplen = h->caplen,
		        .wirelen = h->len < h->caplen ? h->caplen : h->len, .data = bytes };
	if (l->fn(l->ctx, &fr)) {
		l->stop = true;
		pcap_breakloop(l->p);
	}
}

int dv_live_dispatch(dv_live *l, int timeout_ms, int (*fn)(void *ctx, const dv_frame *fr), void *ctx, int *eof)
{
	*eof = 0;
	l->fn = fn;
	l->ctx = ctx;
	l->stop = false;
	if (!l->file && timeout_ms > 0) {
		struct pollfd pf = { l->fd, POLLIN, 0 };
		int r = poll(&pf, 1, timeout_ms);
		if (r < 0) return errno == EINTR ? 0 : dv_error_errno(errno, l->name, -1, "cannot wait for packets");
		if (r == 0) return 0;
		if (pf.revents & (POLLERR | POLLNVAL))
			return dv_error_set(DV_EIO, l->name, -1, "the interface went away");
	}
	int n = pcap_dispatch(l->p, l->file ? 256 : -1, on_packet, (u_char *)l);
	if (n == PCAP_ERROR_BREAK) return 0;
	if (n < 0) return dv_error_set(DV_EIO, l->name, -1, "capture failed: %s", pcap_geterr(l->p));
	if (l->file && n == 0) *eof = 1;
	return n;
}

int dv_live_get_stats(dv_live *l, dv_live_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (l->file) return 0;
	struct pcap_stat ps;
	if (pcap_stats(l->p, &ps) < 0) return dv_error_set(DV_EIO, l->name, -1, "pcap_stats: %s", pcap_geterr(l->p));
	out->received = ps.ps_recv;
	out->dropped = ps.ps_drop;
	out->if_dropped = ps.ps_ifdrop;
	return 0;
}

void dv_live_close(dv_live *l)
{
	if (!l) return;
	pcap_close(l->p);
	free(l);
}
