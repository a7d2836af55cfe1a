/*
 * capture.c - a frame source is a backend's operations table and state;
 * this file checks the table's version, dispatches, numbers the frames and
 * turns a missing operation into DV_EUNSUPPORTED.
 */
#include <stdlib.h>

#include "capture/capture_int.h"
#include "dv/err.h"

struct dv_capture {
	int (*next)(void *state, dv_frame *out); /* ops->next, or NULL */
	void *state;
	uint64_t frames;
	const dv_capture_ops *ops;
};

int dv_capture_open_ops(dv_capture **out, const dv_capture_ops *ops, void *state)
{
	*out = NULL;
	if (!ops) return dv_error_set(DV_EINVAL, NULL, -1, "frame source without an operations table");
	if (ops->version != DV_CAPTURE_OPS_VERSION) {
		if (ops->close) ops->close(state);
		return dv_error_set(DV_EINVAL, NULL, -1, "frame source \"%s\" has operations version %u, this library knows %u",
		                    ops->kind ? ops->kind : "?", ops->version, DV_CAPTURE_OPS_VERSION);
	}
	dv_capture *c = calloc(1, sizeof(*c));
	if (!c) {
		if (ops->close) ops->close(state);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	c->ops = ops;
	c->next = ops->next;
	c->state = state;
	*out = c;
	return 0;
}

const char *dv_capture_name(const dv_capture *c)
{
	const char *n = c->ops->name ? c->ops->name(c->state) : NULL;
	return n ? n : dv_capture_kind(c);
}

const char *dv_capture_kind(const dv_capture *c)
{
	return c->ops->kind ? c->ops->kind : "frame source";
}

static int unsupported(const dv_capture *c, const char *op)
{
	return dv_error_set(DV_EUNSUPPORTED, dv_capture_name(c), -1, "the %s frame source has no %s operation",
	                    dv_capture_kind(c), op);
}

int dv_capture_next(dv_capture *c, dv_frame *out)
{
	if (!c->next) return unsupported(c, "next");
	int rc = c->next(c->state, out);
	if (rc == 1) {
		out->number = ++c->frames;
		if (out->wirelen < out->caplen) out->wirelen = out->caplen;
	}
	return rc;
}

int dv_capture_linktype(const dv_capture *c)
{
	if (!c->ops->linktype) return unsupported(c, "linktype");
	return c->ops->linktype(c->state);
}

uint64_t dv_capture_frames(const dv_capture *c) { return c->frames; }

void dv_capture_close(dv_capture *c)
{
	if (!c) return;
	if (c->ops->close) c->ops->close(c->state);
	free(c);
}
