/*
 * dns.c - the DNS message parser. Names are written in presentation form
 * with dots; bytes outside printable ASCII, dots and backslashes inside a
 * label are escaped as \DDD so a hostile name cannot forge structure.
 */
#include <stdio.h>
#include <string.h>

#include "audit/dns_int.h"
#include "dv/err.h"
#include "core/rd_int.h"

/* Reads a possibly compressed name starting at r->pos; r moves past it. */
static int read_name(dv_rd *r, char *out, size_t outsz)
{
	size_t o = 0;
	size_t pos = r->pos, end_pos = 0;
	int jumped = 0, jumps = 0;
	size_t total = 0;
	out[0] = 0;
	for (;;) {
		if (pos >= r->len) return dv_error_set(DV_ETRUNC, r->name, r->base + (int64_t)pos, "dns name runs past the message");
		uint8_t l = r->p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len) return dv_error_set(DV_ETRUNC, r->name, r->base + (int64_t)pos, "dns pointer cut");
			size_t target = (size_t)(l & 0x3f) << 8 | r->p[pos + 1];
			if (!jumped) end_pos = pos + 2;
			if (target >= pos || ++jumps > 64)
				return dv_error_set(DV_EINVAL, r->name, r->base + (int64_t)pos, "dns compression pointer loops");
			pos = target;
			jumped = 1;
			continue;
		}
		if (l & 0xc0) return dv_error_set(DV_EINVAL, r->name, r->base + (int64_t)pos, "dns label type 0x%02x", l);
		pos++;
		if (l == 0) break;
		if (l > r->len - pos) return dv_error_set(DV_ETRUNC, r->name, r->base + (int64_t)pos, "dns label cut");
		total += (size_t)l + 1;
		if (total > 255) return dv_error_set(DV_EINVAL, r->name, r->base + (int64_t)pos, "dns name longer than 255");
		if (o && o + 1 < outsz) out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = r->p[pos + i];
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				if (o + 1 < outsz) out[o++] = (char)c;
			} else if (o + 4 < outsz) {
				snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
		out[o < outsz ? o : outsz - 1] = 0;
		pos += l;
	}
	if (o == 0 && outsz > 6) snprintf(out, outsz, "<Root>");
	r->pos = jumped ? end_pos : pos;
	return 0;
}

int dv_dns_parse(const uint8_t *p, size_t n, dv_dns_msg *m)
{
	dv_rd r = dv_rd_init(p, n, "dns", 0);
	uint16_t nscount, arcount;
	m->nans = 0;
	m->qname[0] = 0;
	m->qtype = 0;
	if (dv_rd_u16be(&r, &m->id) < 0 || dv_rd_u16be(&r, &m->flags) < 0 ||
	    dv_rd_u16be(&r, &m->qdcount) < 0 || dv_rd_u16be(&r, &m->ancount) < 0 ||
	    dv_rd_u16be(&r, &nscount) < 0 || dv_rd_u16be(&r, &arcount) < 0)
		return DV_ETRUNC;
	if (m->flags & 0x7800) /* opcode other than QUERY: not ours */
		return dv_error_set(DV_EINVAL, "dns", 2, "dns opcode %u", (m->flags >> 11) & 15);
	for (unsigned q = 0; q < m->qdcount; q++) {
		char name[DV_DNS_NAME_MAX];
		uint16_t qt, qc;
		int rc = read_name(&r, name, sizeof(name));
		if (rc < 0) return rc;
		if (dv_rd_u16be(&r, &qt) < 0 || dv_rd_u16be(&r, &qc) < 0) return DV_ETRUNC;
		if (q == 0) {
			memcpy(m->qname, name, sizeof(name));
			m->qtype = qt;
		}
	}
	for (unsigned a = 0; a < m->ancount; a++) {
		dv_dns_rr rr;
		uint16_t cls, rdlen;
		int rc = read_name(&r, rr.name, sizeof(rr.name));
		if (rc < 0) return rc;
		if (dv_rd_u16be(&r, &rr.type) < 0 || dv_rd_u16be(&r, &cls) < 0 ||
		    dv_rd_u32be(&r, &rr.ttl) < 0 || dv_rd_u16be(&r, &rdlen) < 0)
			return DV_ETRUNC;
		if (dv_rd_need(&r, rdlen, "dns rdata") < 0) return DV_ETRUNC;
		size_t rd_start = r.pos;
		rr.target[0] = 0;
		int keep = 0;
		if (rr.type == 1 && rdlen == 4) {
			memcpy(rr.addr, dv_rd_ptr(&r), 4);
			keep = 1;
		} else if (rr.type == 28 && rdlen == 16) {
			memcpy(rr.addr, dv_rd_ptr(&r), 16);
			keep = 1;
		} else if (rr.type == 5) {
			dv_rd sub = r;
			sub.len = rd_start + rdlen; /* the name must end inside rdata... */
			rc = read_name(&sub, rr.target, sizeof(rr.target));
			if (rc == 0) keep = 1;
			/* ...but may point back anywhere before it (handled by read_name) */
		}
		r.pos = rd_start + rdlen;
		if (keep && m->nans < DV_DNS_MAX_ANSWERS)
			m->ans[m->nans++] = rr;
	}
	return 0;
}
