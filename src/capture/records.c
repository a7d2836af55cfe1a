/*
 * records.c - the records backend: frames already cut out, in the record
 * framing of dv/capture.h, from a borrowed buffer. It is the seam for a
 * frame source fed by another process (the same records over a file
 * descriptor) and the test double of the engines.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"
#include "dv/err.h"
#include "core/rd_int.h"

typedef struct rec_src {
	dv_rd r;
	int linktype;
	int failed;
	char *name;
} rec_src;

static int rec_next(void *state, dv_frame *out)
{
	rec_src *s = state;
	if (s->failed) return s->failed;
	if (dv_rd_left(&s->r) == 0) return 0;
	int64_t at = dv_rd_offset(&s->r);
	uint32_t caplen, wirelen;
	uint64_t ts;
	const uint8_t *data;
	if (dv_rd_u32le(&s->r, &caplen) < 0 || dv_rd_u32le(&s->r, &wirelen) < 0 || dv_rd_u64le(&s->r, &ts) < 0)
		return s->failed = DV_ETRUNC;
	if (caplen > DV_CAPTURE_MAX_FRAME)
		return s->failed = dv_error_set(DV_EINVAL, s->name, at, "frame record of %u bytes over the %u-byte cap",
		                                caplen, DV_CAPTURE_MAX_FRAME);
	if (dv_rd_view(&s->r, caplen, &data) < 0) return s->failed = DV_ETRUNC;
	int64_t t = (int64_t)ts;
	out->ts_ns = dv__capture_ts_ns(t / 1000000000, t % 1000000000);
	out->caplen = caplen;
	out->wirelen = wirelen < caplen ? caplen : wirelen;
	out->data = data;
	return 1;
}

static int rec_linktype(void *state) { return ((rec_src *)state)->linktype; }
static const char *rec_name(void *state) { return ((rec_src *)state)->name; }

static void rec_close(void *state)
{
	rec_src *s = state;
	if (!s) return;
	free(s->name);
	free(s);
}

static const dv_capture_ops rec_ops = {
	.version = DV_CAPTURE_OPS_VERSION,
	.kind = "records",
	.next = rec_next,
	.linktype = rec_linktype,
	.name = rec_name,
	.close = rec_close,
};

int dv_capture_open_records(dv_capture **out, const void *buf, size_t len, int linktype, const char *name)
{
	*out = NULL;
	if (!name) name = "frame records";
	rec_src *s = calloc(1, sizeof(*s));
	char *nm = strdup(name);
	if (!s || !nm) {
		free(s);
		free(nm);
		return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	}
	s->name = nm;
	s->r = dv_rd_init(buf, buf ? len : 0, nm, 0);
	s->linktype = linktype;
	return dv_capture_open_ops(out, &rec_ops, s);
}

static void put32le(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}

size_t dv_capture_record_put(uint8_t *out, size_t size, const dv_frame *fr)
{
	if (fr->caplen > DV_CAPTURE_MAX_FRAME || size < DV_CAPTURE_RECORD_HDR || size - DV_CAPTURE_RECORD_HDR < fr->caplen)
		return 0;
	uint64_t ts = (uint64_t)fr->ts_ns;
	put32le(out, fr->caplen);
	put32le(out + 4, fr->wirelen);
	put32le(out + 8, (uint32_t)ts);
	put32le(out + 12, (uint32_t)(ts >> 32));
	if (fr->caplen) memcpy(out + DV_CAPTURE_RECORD_HDR, fr->data, fr->caplen);
	return DV_CAPTURE_RECORD_HDR + fr->caplen;
}
