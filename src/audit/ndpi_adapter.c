/*
 * ndpi_adapter.c - nDPI 4.2 behind dv/audit's small interface. nDPI only
 * classifies: flows, counters, names, geography and the verdict are ours.
 */
#include <ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndpi_adapter.h"

struct dv__ndpi {
	struct ndpi_detection_module_struct *m;
};

dv__ndpi *dv__ndpi_new(void)
{
	dv__ndpi *n = calloc(1, sizeof(*n));
	if (!n) return NULL;
	n->m = ndpi_init_detection_module(ndpi_no_prefs);
	if (!n->m) {
		free(n);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(n->m, &all);
	ndpi_finalize_initialization(n->m);
	return n;
}

void dv__ndpi_free(dv__ndpi *n)
{
	if (!n) return;
	ndpi_exit_detection_module(n->m);
	free(n);
}

const char *dv__ndpi_version(void)
{
	return ndpi_revision();
}

void *dv__ndpi_flow_new(dv__ndpi *n)
{
	(void)n;
	size_t sz = ndpi_detection_get_sizeof_ndpi_flow_struct();
	void *f = ndpi_flow_malloc(sz);
	if (f) memset(f, 0, sz);
	return f;
}

void dv__ndpi_flow_free(void *flow)
{
	if (flow) ndpi_free_flow(flow);
}

int dv__ndpi_packet(dv__ndpi *n, void *flow, const uint8_t *l3, size_t len, int64_t ts_ns, int giveup,
                    char *name, size_t nsize, char *category, size_t csize)
{
	ndpi_protocol p;
	if (len > 0xffff) len = 0xffff;
	p = ndpi_detection_process_packet(n->m, flow, l3, (unsigned short)len, (uint64_t)(ts_ns / 1000000));
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		if (!giveup) return 0;
		dv__ndpi_giveup(n, flow, name, nsize, category, csize);
		return 1;
	}
	ndpi_protocol2name(n->m, p, name, (u_int)nsize);
	snprintf(category, csize, "%s", ndpi_category_get_name(n->m, p.category));
	return 1;
}

void dv__ndpi_giveup(dv__ndpi *n, void *flow, char *name, size_t nsize, char *category, size_t csize)
{
	uint8_t guessed = 0;
	ndpi_protocol p = ndpi_detection_giveup(n->m, flow, 1, &guessed);
	ndpi_protocol2name(n->m, p, name, (u_int)nsize);
	snprintf(category, csize, "%s", ndpi_category_get_name(n->m, p.category));
}

void dv__ndpi_guess(dv__ndpi *n, const void *flow, char *name, size_t nsize, char *category, size_t csize)
{
	size_t sz = ndpi_detection_get_sizeof_ndpi_flow_struct();
	void *copy = ndpi_malloc(sz);
	if (!copy) {
		snprintf(name, nsize, "Unknown");
		category[0] = 0;
		return;
	}
	/* A shallow copy: giving up only reads and sets fields of the struct
	 * itself; the buffers it points to stay the original's (ndpi_free,
	 * not ndpi_free_flow, which would free them). */
	memcpy(copy, flow, sz);
	dv__ndpi_giveup(n, copy, name, nsize, category, csize);
	ndpi_free(copy);
}
