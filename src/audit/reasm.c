/*
 * reasm.c - bounded IP fragment reassembly (see reasm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

#define MAXDG 65535u

typedef struct slot {
	uint8_t used, ipver, proto, have_last;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t total;            /* known once the last fragment (MF=0) came */
	uint64_t age;              /* order of creation, for eviction */
	uint8_t *data;             /* MAXDG bytes */
	uint8_t have[MAXDG / 64 + 1]; /* 8-byte units received */
} slot;

struct dv__reasm {
	slot s[DV__REASM_SLOTS];
	uint64_t clock, dropped, overlaps;
	uint8_t *done;             /* the last completed datagram */
};

dv__reasm *dv__reasm_new(void)
{
	return calloc(1, sizeof(dv__reasm));
}

void dv__reasm_free(dv__reasm *r)
{
	if (!r) return;
	for (int i = 0; i < DV__REASM_SLOTS; i++) free(r->s[i].data);
	free(r->done);
	free(r);
}

uint64_t dv__reasm_dropped(const dv__reasm *r) { return r->dropped; }
uint64_t dv__reasm_overlaps(const dv__reasm *r) { return r->overlaps; }

static int unit(const slot *s, uint32_t u) { return s->have[u / 8] >> (u % 8) & 1; }

int dv__reasm_add(dv__reasm *r, const dv_pkt *pk, const uint8_t **out, size_t *len)
{
	slot *s = NULL, *oldest = NULL, *freeslot = NULL;
	for (int i = 0; i < DV__REASM_SLOTS; i++) {
		slot *c = &r->s[i];
		if (!c->used) { if (!freeslot) freeslot = c; continue; }
		if (c->id == pk->frag_id && c->ipver == pk->ipver && c->proto == pk->proto &&
		    !memcmp(c->src, pk->src, 16) && !memcmp(c->dst, pk->dst, 16)) { s = c; break; }
		if (!oldest || c->age < oldest->age) oldest = c;
	}
	if (!s) {
		s = freeslot;
		if (!s) { s = oldest; r->dropped++; }
		uint8_t *keep = s->data;
		memset(s, 0, sizeof(*s));
		s->data = keep;
		if (!s->data && !(s->data = malloc(MAXDG))) return 0;
		s->used = 1;
		s->ipver = pk->ipver;
		s->proto = pk->proto;
		memcpy(s->src, pk->src, 16);
		memcpy(s->dst, pk->dst, 16);
		s->id = pk->frag_id;
		s->age = r->clock++;
	}
	uint32_t off = pk->frag_off, n = pk->ip_payload_cap;
	if (off >= MAXDG) return 0;
	if (n > MAXDG - off) n = MAXDG - off;
	if (pk->flags & DV_PKT_FRAG_MORE) n &= ~7u; /* only whole 8-byte units, except at the end */
	for (uint32_t u = off / 8; u < (off + n + 7) / 8; u++) {
		if (unit(s, u)) r->overlaps++;
		s->have[u / 8] |= (uint8_t)(1u << (u % 8));
	}
	if (n) memcpy(s->data + off, pk->ip_payload, n);
	if (!(pk->flags & DV_PKT_FRAG_MORE)) {
		s->have_last = 1;
		s->total = off + n;
	}
	if (!s->have_last) return 0;
	for (uint32_t u = 0; u < (s->total + 7) / 8; u++)
		if (!unit(s, u)) return 0;
	/* complete: hand the buffer over, keep the slot's for the next one */
	free(r->done);
	r->done = s->data;
	s->data = NULL;
	s->used = 0;
	*out = r->done;
	*len = s->total;
	return 1;
}
