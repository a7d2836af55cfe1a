/*
 * dv/capture.h - frame sources: where captured frames come from, one frame
 * at a time, for the leak audit (dv/audit.h) and the Remote ID reader
 * (dv/radio.h). Both engines read frames only through a dv_capture.
 *
 *     dv_capture *c;
 *     if (dv_capture_open_file(&c, "hotspot.pcapng") < 0) ...   // names the file
 *     dv_frame fr;
 *     int rc;
 *     while ((rc = dv_capture_next(c, &fr)) == 1)
 *         use(dv_capture_linktype(c), &fr);                     // fr.data borrowed
 *     if (rc < 0) ...                                           // cut or damaged: frames before count
 *     dv_capture_close(c);
 *
 * Backends (each a file of src/capture/, behind one operations table):
 *
 *   file     a pcap or pcapng capture, recognised by content through
 *            libpcap (dv_capture_open_file; dv_capture_open_mem for the
 *            same bytes already in memory, e.g. decrypted from the vault)
 *   records  frames already cut out, in the record framing below, from a
 *            buffer (dv_capture_open_records): what a process that reads
 *            the capture hands to one that analyses it
 *
 * A new backend (a live interface through libpcap, frames read from a file
 * descriptor) is a new dv_capture_ops table and an open function that calls
 * dv_capture_open_ops; the engines do not change.
 *
 * Record framing (all little endian), repeated to the end of the buffer:
 *
 *   u32 caplen | u32 wirelen | i64 ts_ns | caplen bytes of frame
 *
 * caplen is capped at DV_CAPTURE_MAX_FRAME; wirelen below caplen is raised to
 * caplen. A record cut short is DV_ETRUNC, an over-long one DV_EINVAL, both
 * naming the source and the byte offset.
 */
#ifndef DV_CAPTURE_H
#define DV_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One captured frame, borrowed from its source until the next call. */
typedef struct dv_frame {
	uint64_t number;      /* 1-based frame number in the source (set by dv_capture_next) */
	int64_t ts_ns;        /* capture time, ns since the epoch, clamped to 1970..2096 */
	uint32_t caplen;      /* bytes captured */
	uint32_t wirelen;     /* bytes on the wire (frame.len), >= caplen */
	const uint8_t *data;  /* caplen bytes */
} dv_frame;

/* libpcap's MAXIMUM_SNAPLEN: no link type captures a longer frame. */
#define DV_CAPTURE_MAX_FRAME (256u * 1024u)
/* Bytes of a record header in the record framing. */
#define DV_CAPTURE_RECORD_HDR 16u

#define DV_CAPTURE_OPS_VERSION 1u

/*
 * A backend. Tables are `static const`; `version` comes first and is
 * checked when a source is opened. A NULL operation is reported as
 * unsupported (DV_EUNSUPPORTED naming the operation), never called.
 */
typedef struct dv_capture_ops {
	unsigned version;     /* DV_CAPTURE_OPS_VERSION */
	const char *kind;     /* "file", "records", "live", ... (for messages) */
	/* ---- version 1 ---- */
	/* Next frame into *out (number is filled in by the caller): 1, 0 at the
	 * end, or a dv_code with the error set (frames before still count).
	 * out->data stays valid until the next call or close. */
	int (*next)(void *state, dv_frame *out);
	/* The DLT_* link type of every frame of the source. */
	int (*linktype)(void *state);
	/* Path or label for messages (borrowed, valid until close). */
	const char *(*name)(void *state);
	/* Frees state. */
	void (*close)(void *state);
} dv_capture_ops;

/* An open frame source (opaque). */
typedef struct dv_capture dv_capture;

/*
 * Wraps a backend's state into a source. Checks ops->version; DV_EINVAL for
 * an unknown version or NULL ops (state is then closed through ops->close
 * when there is one). On success the source owns state.
 */
int dv_capture_open_ops(dv_capture **out, const dv_capture_ops *ops, void *state);

/* A pcap or pcapng file, by content. DV_ENOTFOUND/DV_EINVAL naming path. */
int dv_capture_open_file(dv_capture **out, const char *path);
/* The same for a capture file image in memory (borrowed until close). */
int dv_capture_open_mem(dv_capture **out, const void *buf, size_t len, const char *name);
/* Frames in the record framing above (buf borrowed until close). */
int dv_capture_open_records(dv_capture **out, const void *buf, size_t len, int linktype, const char *name);

/* Writes one record (header + frame) into out; returns its size, or 0 when
 * size is too small or the frame is over DV_CAPTURE_MAX_FRAME. */
size_t dv_capture_record_put(uint8_t *out, size_t size, const dv_frame *fr);

/* 1 with *out filled, 0 at the end, or < 0 (error set; see the ops table). */
int dv_capture_next(dv_capture *c, dv_frame *out);
int dv_capture_linktype(const dv_capture *c);
/* Path or label (borrowed). */
const char *dv_capture_name(const dv_capture *c);
/* Frames delivered so far. */
uint64_t dv_capture_frames(const dv_capture *c);
/* The backend's kind ("file", "records", ...). */
const char *dv_capture_kind(const dv_capture *c);
void dv_capture_close(dv_capture *c);

/* ---- the one link-type table ---- */

enum {
	DV_LINKTYPE_IP = 1u << 0,   /* frames can carry IP (what the audit decodes) */
	DV_LINKTYPE_RID = 1u << 1   /* frames can carry broadcast Remote ID (802.11, BLE) */
};

/* DV_LINKTYPE_* bits of a DLT_* link type; 0 when it is not in the table. */
unsigned dv_linktype_caps(int linktype);
/* "Ethernet", "IEEE 802.11 + radiotap", ...; "other" when not in the table. */
const char *dv_linktype_name(int linktype);

#ifdef __cplusplus
}
#endif
#endif
