/*
 * dv/netloc.h - where an address is: its scope (local ranges recognised
 * without any database) and, for external addresses, country, ASN, AS name
 * and anycast flag from the IPFire location database through libloc
 * (Debian libloc-database; the database's age is part of the evidence).
 */
#ifndef DV_NETLOC_H
#define DV_NETLOC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum dv_scope {
	DV_SCOPE_EXTERNAL = 0, /* globally routed */
	DV_SCOPE_PRIVATE,      /* RFC 1918, fc00::/7 */
	DV_SCOPE_LOOPBACK,
	DV_SCOPE_LINKLOCAL,    /* 169.254/16, fe80::/10 */
	DV_SCOPE_MULTICAST,    /* 224/4, ff00::/8, 255.255.255.255 */
	DV_SCOPE_CGNAT,        /* 100.64/10 (carrier-grade NAT, not Internet) */
	DV_SCOPE_DOC,          /* documentation/benchmark ranges */
	DV_SCOPE_UNSPEC        /* 0.0.0.0/8, ::, reserved */
} dv_scope;

/* "external", "private", ... */
const char *dv_scope_name(dv_scope s);
/* The scope of an address (ipver 4 or 6; IPv4-mapped IPv6 is treated as IPv4). */
dv_scope dv_addr_scope(int ipver, const uint8_t *addr);

typedef struct dv_place {
	dv_scope scope;
	char cc[3];            /* ISO country, "" unknown */
	uint32_t asn;          /* 0 unknown */
	char as_name[96];
	uint8_t anycast;       /* anycast network: country not determinable */
	char network[64];      /* matched prefix, "" when none */
} dv_place;

typedef struct dv_netloc dv_netloc;

/* Opens the location database (path NULL: Debian's default). DV_ENOTFOUND when absent. */
int dv_netloc_open(dv_netloc **out, const char *path);
void dv_netloc_free(dv_netloc *n);
/* Database description for reports: vendor, licence, creation time. */
const char *dv_netloc_vendor(const dv_netloc *n);
const char *dv_netloc_license(const dv_netloc *n);
time_t dv_netloc_created(const dv_netloc *n);
const char *dv_netloc_path(const dv_netloc *n);

/* Fills *out: scope always; country/ASN when n is not NULL and the address is external. */
void dv_netloc_lookup(dv_netloc *n, int ipver, const uint8_t *addr, dv_place *out);

#endif
