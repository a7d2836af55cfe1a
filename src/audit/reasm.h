/*
 * reasm.h - IPv4/IPv6 fragment reassembly for the audit's payload
 * analysis (byte counting never waits for it). Bounded: at most
 * DV__REASM_SLOTS datagrams in progress (the oldest is dropped, and
 * reported, when a new one starts), each at most 65535 bytes. Overlapping
 * fragments are counted: the later copy wins.
 */
#ifndef DV_AUDIT_REASM_H
#define DV_AUDIT_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "audit/pkt_int.h"

#define DV__REASM_SLOTS 64

typedef struct dv__reasm dv__reasm;

dv__reasm *dv__reasm_new(void);
void dv__reasm_free(dv__reasm *r);

/*
 * Adds one fragment (pk decoded with DV_PKT_FRAG). Returns 1 when its
 * datagram is now complete: *out and *len give the whole transport-layer datagram
 * (transport header included), valid until the next call. 0 otherwise.
 */
int dv__reasm_add(dv__reasm *r, const dv_pkt *pk, const uint8_t **out, size_t *len);

/* Datagrams dropped incomplete, and fragments that overlapped others. */
uint64_t dv__reasm_dropped(const dv__reasm *r);
uint64_t dv__reasm_overlaps(const dv__reasm *r);

#endif
