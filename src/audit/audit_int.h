/*
 * audit_int.h - shared inside src/audit only: the endpoint list and the
 * policy (allowed networks and names).
 */
#ifndef DV_AUDIT_INT_H
#define DV_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

/* data/endpoints.tsv, embedded at build time (endpoints_data.c). */
extern const unsigned char dv__endpoints_tsv[];
extern const size_t dv__endpoints_tsv_len;

typedef struct dv__endpoint {
	char pattern[128];   /* without the "*." of a suffix pattern */
	uint8_t suffix;      /* 1: matches pattern and its subdomains */
	uint8_t maker;       /* role "maker" */
	char owner[64];
	char category[32];
	char carries[24];
} dv__endpoint;

typedef struct dv__eplist {
	dv__endpoint *v;
	size_t n, cap;
} dv__eplist;

/* Adds the rows of an endpoint TSV (see data/endpoints.tsv); errors name `name` and the line. */
int dv__eplist_load_text(dv__eplist *l, const char *text, size_t len, const char *name);
int dv__eplist_load_file(dv__eplist *l, const char *path);
/* The most specific entry matching host (case-insensitive), or NULL. */
const dv__endpoint *dv__eplist_match(const dv__eplist *l, const char *host);
void dv__eplist_dispose(dv__eplist *l);

typedef struct dv__allow_net {
	uint8_t ipver, bits;
	uint8_t addr[16];
	char comment[64];
} dv__allow_net;

typedef struct dv__policy {
	dv__allow_net *nets;
	size_t nnets;
	dv__eplist names;    /* allow-name patterns (owner = comment) */
	char countries[64][3];/* allow-country codes */
	size_t ncountries;
	uint32_t asns[256];  /* allow-asn numbers */
	size_t nasns;
} dv__policy;

/*
 * Policy file, one rule a line, '#' starts a comment:
 *   allow-net  CIDR      [comment]    e.g. allow-net 203.0.113.0/24 agency servers
 *   allow-name PATTERN   [comment]    e.g. allow-name *.agency.example
 *   allow-asn  N         [comment]    e.g. allow-asn 3320 (AS3320 or 3320)
 *   allow-country CC     [comment]    e.g. allow-country DE (located there by
 *                                     the location database; never anycast)
 */
int dv__policy_load(dv__policy *p, const char *path);
const dv__allow_net *dv__policy_net(const dv__policy *p, int ipver, const uint8_t *addr);
const dv__endpoint *dv__policy_name(const dv__policy *p, const char *host);
int dv__policy_asn(const dv__policy *p, uint32_t asn);
int dv__policy_country(const dv__policy *p, const char *cc);
void dv__policy_dispose(dv__policy *p);

#endif
