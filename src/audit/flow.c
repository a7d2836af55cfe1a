/*
 * flow.c - the bounded bidirectional flow table.
 *
 * Slots live in chunks of 1024 so a dv_flow never moves once created.
 * Lookup: hash of the direction-independent key into a power-of-two bucket
 * array of chained slot indices. An LRU list (by last packet) picks the
 * flow to evict when the table is full.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/flow_int.h"

#define NIL UINT32_MAX
#define CHUNK 1024u

struct dv_flowtab {
	dv_flow **chunks;
	size_t nchunks, cap_chunks;
	uint32_t max, used, nslots;  /* nslots: slots ever handed out */
	uint32_t free_head;          /* free list via h_next */
	uint32_t *buckets;
	uint32_t mask;
	uint32_t lru_head, lru_tail; /* head = most recent */
	uint64_t evicted, created;
	dv_flow_evict_fn on_evict;
	void *payload;
};

static inline dv_flow *slot(const dv_flowtab *t, uint32_t i)
{
	return &t->chunks[i / CHUNK][i % CHUNK];
}

dv_flowtab *dv_flowtab_new(size_t max_flows, dv_flow_evict_fn on_evict, void *payload)
{
	if (max_flows < 16) max_flows = 16;
	if (max_flows > (1u << 26)) max_flows = 1u << 26;
	dv_flowtab *t = calloc(1, sizeof(*t));
	if (!t) return NULL;
	uint32_t nb = 16;
	while (nb < max_flows) nb <<= 1;
	t->buckets = malloc((size_t)nb * sizeof(uint32_t));
	if (!t->buckets) { free(t); return NULL; }
	memset(t->buckets, 0xff, (size_t)nb * sizeof(uint32_t));
	t->mask = nb - 1;
	t->max = (uint32_t)max_flows;
	t->free_head = t->lru_head = t->lru_tail = NIL;
	t->on_evict = on_evict;
	t->payload = payload;
	return t;
}

void dv_flowtab_free(dv_flowtab *t)
{
	if (!t) return;
	for (uint32_t i = 0; i < t->nslots; i++)
		free(slot(t, i)->hello);
	for (size_t c = 0; c < t->nchunks; c++) free(t->chunks[c]);
	free(t->chunks);
	free(t->buckets);
	free(t);
}

static uint32_t key_hash(const dv_pkt *pk, const dv_flow_zone *z)
{
	/* direction independent: combine the two ends symmetrically */
	size_t n = pk->ipver == 6 ? 16 : 4;
	uint64_t ha = 1469598103934665603ull, hb = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		ha = (ha ^ pk->src[i]) * 1099511628211ull;
		hb = (hb ^ pk->dst[i]) * 1099511628211ull;
	}
	ha = (ha ^ pk->sport) * 1099511628211ull;
	hb = (hb ^ pk->dport) * 1099511628211ull;
	uint64_t h = (ha ^ hb) + (ha + hb) * 31 + pk->proto;
	if (z) {
		uint64_t hz = 1469598103934665603ull ^ ((uint64_t)z->depth << 8 | z->kind);
		for (size_t i = 0; i < 16; i++) hz = (hz ^ z->peer[i]) * 1099511628211ull;
		h += (hz ^ z->key) * 0x9e3779b97f4a7c15ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* The flow's tunnel is the zone (none for none). */
static int zone_match(const dv_flow *f, const dv_flow_zone *z)
{
	if (!z) return !(f->flags & DV_FLOW_INNER);
	return (f->flags & DV_FLOW_INNER) && f->tunnel_depth == z->depth && f->tunnel == z->kind &&
	       f->tunnel_ipver == z->ipver && f->tunnel_has_key == z->has_key && f->tunnel_key == z->key &&
	       !memcmp(f->tunnel_peer, z->peer, 16);
}

static int key_match(const dv_flow *f, const dv_pkt *pk, const dv_flow_zone *z, int *dir)
{
	size_t n = pk->ipver == 6 ? 16 : 4;
	if (f->ipver != pk->ipver || f->proto != pk->proto || !zone_match(f, z)) return 0;
	if (f->port[0] == pk->sport && f->port[1] == pk->dport &&
	    !memcmp(f->addr[0], pk->src, n) && !memcmp(f->addr[1], pk->dst, n)) {
		*dir = 0;
		return 1;
	}
	if (f->port[1] == pk->sport && f->port[0] == pk->dport &&
	    !memcmp(f->addr[1], pk->src, n) && !memcmp(f->addr[0], pk->dst, n)) {
		*dir = 1;
		return 1;
	}
	return 0;
}

static void lru_unlink(dv_flowtab *t, uint32_t i)
{
	dv_flow *f = slot(t, i);
	if (f->lru_prev != NIL) slot(t, f->lru_prev)->lru_next = f->lru_next;
	else t->lru_head = f->lru_next;
	if (f->lru_next != NIL) slot(t, f->lru_next)->lru_prev = f->lru_prev;
	else t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NIL;
}

static void lru_push(dv_flowtab *t, uint32_t i)
{
	dv_flow *f = slot(t, i);
	f->lru_prev = NIL;
	f->lru_next = t->lru_head;
	if (t->lru_head != NIL) slot(t, t->lru_head)->lru_prev = i;
	t->lru_head = i;
	if (t->lru_tail == NIL) t->lru_tail = i;
}

static void evict_one(dv_flowtab *t)
{
	uint32_t i = t->lru_tail;
	if (i == NIL) return;
	dv_flow *f = slot(t, i);
	if (t->on_evict) t->on_evict(f, t->payload);
	/* unlink from its bucket */
	dv_pkt k;
	memset(&k, 0, sizeof(k));
	k.ipver = f->ipver; k.proto = f->proto;
	memcpy(k.src, f->addr[0], 16); memcpy(k.dst, f->addr[1], 16);
	k.sport = f->port[0]; k.dport = f->port[1];
	dv_flow_zone z = { f->tunnel_depth, f->tunnel, f->tunnel_ipver, f->tunnel_has_key, { 0 }, f->tunnel_key };
	memcpy(z.peer, f->tunnel_peer, 16);
	uint32_t *pp = &t->buckets[key_hash(&k, (f->flags & DV_FLOW_INNER) ? &z : NULL) & t->mask];
	while (*pp != NIL && *pp != i) pp = &slot(t, *pp)->h_next;
	if (*pp == i) *pp = f->h_next;
	lru_unlink(t, i);
	free(f->hello);
	f->hello = NULL;
	f->in_use = 0;
	f->h_next = t->free_head;
	t->free_head = i;
	t->used--;
	t->evicted++;
}

static uint32_t alloc_slot(dv_flowtab *t)
{
	if (t->used >= t->max) evict_one(t);
	if (t->free_head != NIL) {
		uint32_t i = t->free_head;
		t->free_head = slot(t, i)->h_next;
		return i;
	}
	if (t->nslots % CHUNK == 0) {
		if (t->nchunks == t->cap_chunks) {
			size_t nc = t->cap_chunks ? t->cap_chunks * 2 : 8;
			dv_flow **n = realloc(t->chunks, nc * sizeof(*n));
			if (!n) return NIL;
			t->chunks = n;
			t->cap_chunks = nc;
		}
		dv_flow *c = malloc(CHUNK * sizeof(dv_flow));
		if (!c) return NIL;
		t->chunks[t->nchunks++] = c;
	}
	return t->nslots++;
}

static int is_service_port(uint16_t p)
{
	switch (p) {
	case 53: case 80: case 443: case 853: case 123: case 1883: case 8883: case 5228:
	case 3478: case 5349: case 8080: case 8443: case 1900: case 5353: case 5355:
	case 67: case 68: case 137: case 138: case 500: case 4500:
		return 1;
	default:
		return p < 1024;
	}
}

/* Which side is the client, by ports, given side 0 sent first. */
static uint8_t client_by_ports(uint16_t p0, uint16_t p1)
{
	int s0 = is_service_port(p0), s1 = is_service_port(p1);
	if (s0 && !s1) return 1;
	if (s1 && !s0) return 0;
	if (s0 && s1) return p0 < p1 ? 1 : 0;
	if (p0 < 32768 && p1 >= 32768) return 1;
	return 0;
}

dv_flow *dv_flowtab_get(dv_flowtab *t, const dv_pkt *pk, const dv_flow_zone *zone, int64_t ts_ns, uint64_t frame_no,
                        int *dir)
{
	uint32_t b = key_hash(pk, zone) & t->mask;
	for (uint32_t i = t->buckets[b]; i != NIL; i = slot(t, i)->h_next) {
		dv_flow *f = slot(t, i);
		if (key_match(f, pk, zone, dir)) {
			if (t->lru_head != i) {
				lru_unlink(t, i);
				lru_push(t, i);
			}
			if (pk->proto == 6 && (pk->tcp_flags & 0x02) && !f->client_by_syn) {
				f->client = (uint8_t)((pk->tcp_flags & 0x10) ? *dir ^ 1 : *dir);
				f->client_by_syn = 1;
			}
			return f;
		}
	}
	uint32_t i = alloc_slot(t);
	if (i == NIL) return NULL;
	b = key_hash(pk, zone) & t->mask; /* unchanged; eviction does not rehash */
	dv_flow *f = slot(t, i);
	memset(f, 0, sizeof(*f));
	f->ipver = pk->ipver;
	f->proto = pk->proto;
	memcpy(f->addr[0], pk->src, 16);
	memcpy(f->addr[1], pk->dst, 16);
	f->port[0] = pk->sport;
	f->port[1] = pk->dport;
	f->first_ns = f->last_ns = ts_ns;
	f->first_frame = frame_no;
	f->id = (uint32_t)t->created++;
	f->in_use = 1;
	if (zone) {
		f->flags |= DV_FLOW_INNER;
		f->tunnel = zone->kind;
		f->tunnel_depth = zone->depth;
		f->tunnel_ipver = zone->ipver;
		memcpy(f->tunnel_peer, zone->peer, 16);
		f->tunnel_key = zone->key;
		f->tunnel_has_key = zone->has_key;
	}
	if (pk->proto == 6 && (pk->tcp_flags & 0x02)) {
		f->client = (pk->tcp_flags & 0x10) ? 1 : 0;
		f->client_by_syn = 1;
		f->flags |= DV_FLOW_SYN;
	} else {
		f->client = client_by_ports(pk->sport, pk->dport);
		if (pk->proto == 6) f->flags |= DV_FLOW_MIDSTREAM;
	}
	f->h_next = t->buckets[b];
	t->buckets[b] = i;
	f->lru_prev = f->lru_next = NIL;
	lru_push(t, i);
	t->used++;
	*dir = 0;
	return f;
}

void dv_flow_count(dv_flow *f, int dir, const dv_pkt *pk, uint32_t wirelen, int64_t ts_ns)
{
	f->pkts[dir]++;
	f->frame_bytes[dir] += wirelen;
	f->payload_bytes[dir] += pk->l4_len;
	if (ts_ns < f->first_ns) f->first_ns = ts_ns;
	if (ts_ns > f->last_ns) f->last_ns = ts_ns;
	if (pk->flags & DV_PKT_FRAG) f->flags |= DV_FLOW_FRAGS;
	if (pk->flags & DV_PKT_SNAPCUT) f->flags |= DV_FLOW_SNAPCUT;
}

size_t dv_flowtab_size(const dv_flowtab *t) { return t->used; }
uint64_t dv_flowtab_evicted(const dv_flowtab *t) { return t->evicted; }
uint64_t dv_flowtab_created(const dv_flowtab *t) { return t->created; }

void dv_flowtab_each(dv_flowtab *t, void (*fn)(dv_flow *f, void *payload), void *payload)
{
	for (uint32_t i = 0; i < t->nslots; i++) {
		dv_flow *f = slot(t, i);
		if (f->in_use) fn(f, payload);
	}
}
