/*
 * policy.c - the endpoint list (who a name belongs to) and the audit policy
 * (what is allowed). Both are small text files read line by line with
 * explicit bounds.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "dv/err.h"
#include "dv/util.h"

#define MAX_FILE (4u << 20)
#define MAX_ENTRIES 100000

static void lower_copy(char *dst, size_t dsz, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < dsz; i++) {
		char c = s[i];
		dst[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	dst[o] = 0;
}

/* Splits line[0..n) into up to max fields at sep (TAB, or any blank when sep is 0). */
static size_t split(const char *line, size_t n, char sep, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, i = 0;
	while (i < n && k < max) {
		if (!sep) while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
		if (i >= n) break;
		size_t s = i;
		if (k == max - 1 && !sep) {
			i = n; /* last field takes the rest (comments) */
		} else {
			while (i < n && (sep ? line[i] != sep : (line[i] != ' ' && line[i] != '\t'))) i++;
		}
		f[k] = line + s;
		fl[k] = i - s;
		k++;
		if (i < n) i++;
	}
	return k;
}

static int ep_add(dv__eplist *l, const char *pat, size_t pl, const char *owner, size_t ol, int maker,
                  const char *cat, size_t cl, const char *car, size_t crl)
{
	if (l->n >= MAX_ENTRIES) return dv_error_set(DV_ENOMEM, NULL, -1, "more than %u endpoint entries", MAX_ENTRIES);
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 128;
		dv__endpoint *v = realloc(l->v, nc * sizeof(*v));
		if (!v) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		l->v = v;
		l->cap = nc;
	}
	dv__endpoint *e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	if (pl >= 2 && pat[0] == '*' && pat[1] == '.') {
		e->suffix = 1;
		pat += 2;
		pl -= 2;
	}
	if (pl == 0) return 0;
	lower_copy(e->pattern, sizeof(e->pattern), pat, pl);
	snprintf(e->owner, sizeof(e->owner), "%.*s", (int)ol, owner);
	snprintf(e->category, sizeof(e->category), "%.*s", (int)cl, cat);
	snprintf(e->carries, sizeof(e->carries), "%.*s", (int)crl, car);
	e->maker = (uint8_t)maker;
	l->n++;
	return 0;
}

int dv__eplist_load_text(dv__eplist *l, const char *text, size_t len, const char *name)
{
	size_t pos = 0, line = 0;
	while (pos < len) {
		size_t e = pos;
		while (e < len && text[e] != '\n') e++;
		line++;
		size_t n = e - pos;
		if (n && text[pos + n - 1] == '\r') n--;
		if (n && text[pos] != '#') {
			const char *f[6];
			size_t fl[6];
			size_t k = split(text + pos, n, '\t', f, fl, 6);
			if (k < 4)
				return dv_error_set(DV_EINVAL, name, (int64_t)pos, "line %zu: endpoint needs pattern, owner, role, category", line);
			int maker = fl[2] == 5 && !memcmp(f[2], "maker", 5);
			int rc = ep_add(l, f[0], fl[0], f[1], fl[1], maker, f[3], fl[3], k > 4 ? f[4] : "", k > 4 ? fl[4] : 0);
			if (rc < 0) return rc;
		}
		pos = e + 1;
	}
	return 0;
}

int dv__eplist_load_file(dv__eplist *l, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = dv_read_file(&buf, &len, path, MAX_FILE);
	if (rc < 0) return rc;
	rc = dv__eplist_load_text(l, (const char *)buf, len, path);
	free(buf);
	return rc;
}

const dv__endpoint *dv__eplist_match(const dv__eplist *l, const char *host)
{
	char h[256];
	const dv__endpoint *best = NULL;
	size_t hl = strlen(host), bl = 0;
	if (hl == 0) return NULL;
	lower_copy(h, sizeof(h), host, hl);
	hl = strlen(h);
	if (hl && h[hl - 1] == '.') h[--hl] = 0;
	for (size_t i = 0; i < l->n; i++) {
		const dv__endpoint *e = &l->v[i];
		size_t pl = strlen(e->pattern);
		int m = 0;
		if (pl == hl && !memcmp(h, e->pattern, pl)) m = 1;
		else if (e->suffix && hl > pl && h[hl - pl - 1] == '.' && !memcmp(h + hl - pl, e->pattern, pl)) m = 1;
		if (m && (pl > bl || (pl == bl && !e->suffix))) {
			best = e;
			bl = pl;
		}
	}
	return best;
}

void dv__eplist_dispose(dv__eplist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int parse_cidr(const char *s, size_t n, dv__allow_net *out)
{
	char buf[64];
	if (n >= sizeof(buf)) return DV_EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *slash = strchr(buf, '/');
	int bits = -1;
	if (slash) {
		*slash = 0;
		bits = 0;
		const char *d = slash + 1;
		if (!*d || strlen(d) > 3) return DV_EINVAL;
		for (; *d; d++) {
			if (*d < '0' || *d > '9') return DV_EINVAL;
			bits = bits * 10 + (*d - '0');
		}
	}
	memset(out->addr, 0, 16);
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->ipver = 4;
		if (bits < 0) bits = 32;
		if (bits > 32) return DV_EINVAL;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->ipver = 6;
		if (bits < 0) bits = 128;
		if (bits > 128) return DV_EINVAL;
	} else {
		return DV_EINVAL;
	}
	out->bits = (uint8_t)bits;
	return 0;
}

int dv__policy_load(dv__policy *p, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = dv_read_file(&buf, &len, path, MAX_FILE);
	if (rc < 0) return rc;
	const char *text = (const char *)buf;
	size_t pos = 0, line = 0;
	rc = 0;
	while (pos < len && rc == 0) {
		size_t e = pos;
		while (e < len && text[e] != '\n') e++;
		line++;
		size_t n = e - pos;
		const char *f[3];
		size_t fl[3];
		size_t k = split(text + pos, n, 0, f, fl, 3);
		while (k > 0 && fl[k - 1] && (f[k - 1][fl[k - 1] - 1] == '\r' || f[k - 1][fl[k - 1] - 1] == ' ')) fl[k - 1]--;
		if (k == 0 || f[0][0] == '#') {
			/* blank or comment */
		} else if (k >= 2 && fl[0] == 9 && !memcmp(f[0], "allow-net", 9)) {
			dv__allow_net an;
			memset(&an, 0, sizeof(an));
			if (parse_cidr(f[1], fl[1], &an) < 0) {
				rc = dv_error_set(DV_EINVAL, path, (int64_t)pos, "line %zu: bad network '%.*s'", line, (int)fl[1], f[1]);
				break;
			}
			if (k > 2) snprintf(an.comment, sizeof(an.comment), "%.*s", (int)fl[2], f[2]);
			dv__allow_net *nv = realloc(p->nets, (p->nnets + 1) * sizeof(*nv));
			if (!nv) { rc = dv_error_set(DV_ENOMEM, path, -1, "out of memory"); break; }
			p->nets = nv;
			p->nets[p->nnets++] = an;
		} else if (k >= 2 && fl[0] == 9 && !memcmp(f[0], "allow-asn", 9)) {
			const char *d = f[1];
			size_t dl = fl[1];
			if (dl > 2 && (d[0] == 'A' || d[0] == 'a') && (d[1] == 'S' || d[1] == 's')) { d += 2; dl -= 2; }
			uint64_t v = 0;
			size_t i = 0;
			for (; i < dl && d[i] >= '0' && d[i] <= '9' && v <= UINT32_MAX; i++) v = v * 10 + (uint64_t)(d[i] - '0');
			if (!dl || i != dl || v == 0 || v > UINT32_MAX || p->nasns >= sizeof(p->asns) / sizeof(p->asns[0])) {
				rc = dv_error_set(DV_EINVAL, path, (int64_t)pos, "line %zu: bad or too many ASNs '%.*s'", line, (int)fl[1], f[1]);
				break;
			}
			p->asns[p->nasns++] = (uint32_t)v;
		} else if (k >= 2 && fl[0] == 13 && !memcmp(f[0], "allow-country", 13)) {
			if (fl[1] != 2 || p->ncountries >= sizeof(p->countries) / sizeof(p->countries[0]) ||
			    !((f[1][0] | 0x20) >= 'a' && (f[1][0] | 0x20) <= 'z' && (f[1][1] | 0x20) >= 'a' && (f[1][1] | 0x20) <= 'z')) {
				rc = dv_error_set(DV_EINVAL, path, (int64_t)pos, "line %zu: bad or too many countries '%.*s' (two letters)",
				                  line, (int)fl[1], f[1]);
				break;
			}
			p->countries[p->ncountries][0] = (char)(f[1][0] & ~0x20);
			p->countries[p->ncountries][1] = (char)(f[1][1] & ~0x20);
			p->countries[p->ncountries++][2] = 0;
		} else if (k >= 2 && fl[0] == 10 && !memcmp(f[0], "allow-name", 10)) {
			rc = ep_add(&p->names, f[1], fl[1], k > 2 ? f[2] : "policy", k > 2 ? fl[2] : 6, 0, "allowed", 7, "", 0);
		} else {
			rc = dv_error_set(DV_EINVAL, path, (int64_t)pos, "line %zu: unknown rule '%.*s' (allow-net, allow-name, allow-asn, allow-country)",
			                  line, (int)fl[0], f[0]);
		}
		pos = e + 1;
	}
	free(buf);
	return rc;
}

const dv__allow_net *dv__policy_net(const dv__policy *p, int ipver, const uint8_t *addr)
{
	for (size_t i = 0; i < p->nnets; i++) {
		const dv__allow_net *n = &p->nets[i];
		if (n->ipver != ipver) continue;
		unsigned bits = n->bits, full = bits / 8, rest = bits % 8;
		if (memcmp(n->addr, addr, full)) continue;
		if (rest && ((n->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest)))) continue;
		return n;
	}
	return NULL;
}

const dv__endpoint *dv__policy_name(const dv__policy *p, const char *host)
{
	return dv__eplist_match(&p->names, host);
}

int dv__policy_asn(const dv__policy *p, uint32_t asn)
{
	for (size_t i = 0; i < p->nasns; i++)
		if (p->asns[i] == asn) return 1;
	return 0;
}

int dv__policy_country(const dv__policy *p, const char *cc)
{
	for (size_t i = 0; i < p->ncountries; i++)
		if (!strcmp(p->countries[i], cc)) return 1;
	return 0;
}

void dv__policy_dispose(dv__policy *p)
{
	free(p->nets);
	dv__eplist_dispose(&p->names);
	memset(p, 0, sizeof(*p));
}
