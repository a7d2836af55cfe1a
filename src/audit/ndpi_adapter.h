/*
 * ndpi_adapter.h - the only place that knows nDPI's API (Debian libndpi-dev
 * 4.2). nDPI changed its init and configuration calls in 4.10; a newer
 * version means rewriting ndpi_adapter.c only.
 *
 * Used per flow: feed the flow's first packets (from the IP header on)
 * until nDPI names the application protocol, then free the state.
 */
#ifndef DV_AUDIT_NDPI_ADAPTER_H
#define DV_AUDIT_NDPI_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct dv__ndpi dv__ndpi;

/* NULL when nDPI cannot start (then flows are simply not classified). */
dv__ndpi *dv__ndpi_new(void);
void dv__ndpi_free(dv__ndpi *n);
/* Asks for nDPI's best guess for a flow that stopped early. */
void dv__ndpi_giveup(dv__ndpi *n, void *flow, char *name, size_t nsize, char *category, size_t csize);
/* The same guess on a copy of the flow's state: the flow itself can go on
 * being classified (an audit snapshot mid-stream). */
void dv__ndpi_guess(dv__ndpi *n, const void *flow, char *name, size_t nsize, char *category, size_t csize);
/* "nDPI 4.2.0-..." */
const char *dv__ndpi_version(void);

/* Per-flow detection state (opaque, about 700 bytes). */
void *dv__ndpi_flow_new(dv__ndpi *n);
void dv__ndpi_flow_free(void *flow);

/*
 * Feeds one packet starting at its IP header. Returns 1 when the protocol
 * is known (name and category written, state may be freed), 0 to keep
 * feeding. With giveup, asks nDPI for its best guess and returns 1.
 */
int dv__ndpi_packet(dv__ndpi *n, void *flow, const uint8_t *l3, size_t len, int64_t ts_ns, int giveup,
                    char *name, size_t nsize, char *category, size_t csize);

#endif
