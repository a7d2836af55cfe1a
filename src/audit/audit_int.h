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

/* Alarm severities and the categories they are set for (severity CAT LEVEL). */
enum { DV_SEV_OFF, DV_SEV_INFO, DV_SEV_WARNING, DV_SEV_ALARM, DV_SEV_CRITICAL, DV_SEV_COUNT };
enum {
	DV_CAT_MAKER,     /* traffic to a maker endpoint */
	DV_CAT_KNOWN,     /* traffic to a known third-party endpoint */
	DV_CAT_UNKNOWN,   /* traffic to any other non-allowed external address */
	DV_CAT_DNS_MAKER, /* a DNS query for a maker endpoint (answered or not) */
	DV_CAT_CONTENT,   /* readable positions/images/flight logs in clear */
	DV_CAT_CODE,      /* executable content or a firmware/update request */
	DV_CAT_DROPS,     /* packets the capture lost */
	DV_CAT_COUNT
};
extern const char *const dv__sev_names[DV_SEV_COUNT];
extern const char *const dv__cat_names[DV_CAT_COUNT];
#define DV_POLICY_NETS_MAX 4096u

typedef struct dv__policy {
	dv__allow_net *nets;
	size_t nnets;
	dv__eplist names;    /* allow-name patterns (owner = comment) */
	dv__eplist deny;     /* deny-name patterns: sinkholed besides the maker's (lockdown) */
	char segment_if[16]; /* segment-interface: the drone segment's interface, "" */
	dv__allow_net *segment; /* segment-net: the drone segment's addresses */
	size_t nsegment;
	dv__allow_net gateway[2];  /* gateway: this host's address(es) on the segment */
	size_t ngateway;
	dv__allow_net resolver[4]; /* resolver: where the segment may send DNS */
	size_t nresolver;
	uint8_t severity[DV_CAT_COUNT]; /* DV_SEV_* per DV_CAT_* */
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
 * and for watch and lockdown (docs/enforce.md):
 *   deny-name PATTERN    [comment]    sinkholed by lockdown besides the maker's names
 *   segment-interface IFACE           the drone segment's interface (hotspot side)
 *   segment-net CIDR                  the drone segment's addresses (several)
 *   gateway ADDR                      this host on the segment (one IPv4, one IPv6)
 *   resolver ADDR                     the only DNS server the segment may use (up to 4)
 *   severity CATEGORY LEVEL           maker|known|unknown|dns-maker|content|code|drops
 *                                     -> off|info|warning|alarm|critical
 * A '#' at the start or after a blank starts a comment.
 */
typedef struct dv__policy_err {
	size_t line, col;    /* 1-based; col counts bytes */
	char msg[160];
} dv__policy_err;
#define DV_POLICY_ERRS_MAX 64
typedef struct dv__policy_errs {
	dv__policy_err v[DV_POLICY_ERRS_MAX];
	size_t n;            /* kept */
	size_t total;        /* found */
} dv__policy_errs;

/* Empty policy with the default severities. */
void dv__policy_init(dv__policy *p);
/* Adds the rules of text to p. Every line is checked: errors go to errs
 * (may be NULL) with line and column, the first also to the thread's error
 * (name, "line L, column C: ..."). Returns 0 or DV_EINVAL. */
int dv__policy_parse(dv__policy *p, const char *text, size_t len, const char *name, dv__policy_errs *errs);
/* The file at path (at most 4 MiB) through dv__policy_parse. */
int dv__policy_load(dv__policy *p, const char *path);
const dv__allow_net *dv__policy_net(const dv__policy *p, int ipver, const uint8_t *addr);
const dv__endpoint *dv__policy_name(const dv__policy *p, const char *host);
int dv__policy_asn(const dv__policy *p, uint32_t asn);
int dv__policy_country(const dv__policy *p, const char *cc);
void dv__policy_dispose(dv__policy *p);

#endif
