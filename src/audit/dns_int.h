/*
 * audit/dns_int.h - DNS messages (RFC 1035) as seen in a capture: the question and
 * the A/AAAA/CNAME answers, used to name flows that only show an address.
 * Compression pointers must point backwards and are followed at most 64
 * times; names longer than 255 bytes are rejected.
 */
#ifndef DV_AUDIT_DNS_INT_H
#define DV_AUDIT_DNS_INT_H

#include <stddef.h>
#include <stdint.h>

#define DV_DNS_NAME_MAX 256
#define DV_DNS_MAX_ANSWERS 32

typedef struct dv_dns_rr {
	char name[DV_DNS_NAME_MAX];   /* owner name */
	uint16_t type;                /* 1 A, 28 AAAA, 5 CNAME */
	uint32_t ttl;
	uint8_t addr[16];             /* A: 4 bytes, AAAA: 16 */
	char target[DV_DNS_NAME_MAX]; /* CNAME target */
} dv_dns_rr;

typedef struct dv_dns_msg {
	uint16_t id;
	uint16_t flags;               /* QR is 0x8000 */
	uint16_t qdcount, ancount;
	char qname[DV_DNS_NAME_MAX];  /* first question, "" when none */
	uint16_t qtype;
	unsigned nans;                /* A/AAAA/CNAME answers kept, <= DV_DNS_MAX_ANSWERS */
	dv_dns_rr ans[DV_DNS_MAX_ANSWERS];
} dv_dns_msg;

/*
 * Parses a DNS message (UDP payload; for TCP strip the 2-byte length).
 * Returns 0, or DV_ETRUNC/DV_EINVAL. Answers after a malformed record are
 * dropped but those before are kept (nans says how many).
 */
int dv_dns_parse(const uint8_t *p, size_t n, dv_dns_msg *out);

/* True for a response. */
static inline int dv_dns_is_response(const dv_dns_msg *m) { return (m->flags & 0x8000) != 0; }

#endif
