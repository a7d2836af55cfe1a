/*
 * policy.c - the endpoint list (who a name belongs to) and the audit policy
 * (what is allowed). Both are small text files read line by line with
 * explicit bounds.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* ---- the policy file ------------------------------------------------------------ */

const char *const dv__sev_names[DV_SEV_COUNT] = { "off", "info", "warning", "alarm", "critical" };
const char *const dv__cat_names[DV_CAT_COUNT] = { "maker", "known", "unknown", "dns-maker", "content", "code", "drops" };
static const uint8_t default_sev[DV_CAT_COUNT] = { DV_SEV_CRITICAL, DV_SEV_ALARM, DV_SEV_ALARM, DV_SEV_ALARM,
	                                           DV_SEV_CRITICAL, DV_SEV_CRITICAL, DV_SEV_WARNING };

void dv__policy_init(dv__policy *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->severity, default_sev, sizeof(p->severity));
}

/* Records an error at line:col; the first one also becomes the thread's error. */
static void perr(dv__policy_errs *errs, int *nerr, const char *name, size_t off, size_t line, size_t col,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void perr(dv__policy_errs *errs, int *nerr, const char *name, size_t off, size_t line, size_t col,
                 const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*nerr == 0) dv_error_set(DV_EINVAL, name, (int64_t)off, "line %zu, column %zu: %s", line, col, msg);
	(*nerr)++;
	if (!errs) return;
	errs->total++;
	if (errs->n < DV_POLICY_ERRS_MAX) {
		dv__policy_err *e = &errs->v[errs->n++];
		e->line = line;
		e->col = col;
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
	}
}

static bool is_kw(const char *f, size_t fl, const char *kw)
{
	return fl == strlen(kw) && !memcmp(f, kw, fl);
}

/* A single address (no prefix), or -1. */
static int parse_addr(const char *s, size_t n, dv__allow_net *out)
{
	if (memchr(s, '/', n)) return -1;
	if (parse_cidr(s, n, out) < 0) return -1;
	return 0;
}

static bool iface_ok(const char *s, size_t n)
{
	if (n == 0 || n > 15) return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == '@'))
			return false;
	}
	return true;
}

/* A host name pattern for allow-name / deny-name: "*." prefix allowed, then
 * letters, digits, '-', '_' and dots, at most 127 bytes. */
static bool pattern_ok(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n > 1 && s[n - 1] == '.') n--; /* a fully qualified name */
	if (n == 0 || n > 127 || s[0] == '.' || s[n - 1] == '.') return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
		if (c == '.' && i + 1 < n && s[i + 1] == '.') return false;
	}
	return true;
}

static int push_net(dv__allow_net **v, size_t *n, const dv__allow_net *an)
{
	if (*n >= DV_POLICY_NETS_MAX) return -1;
	dv__allow_net *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) return -1;
	*v = nv;
	(*v)[(*n)++] = *an;
	return 0;
}

int dv__policy_parse(dv__policy *p, const char *text, size_t len, const char *name, dv__policy_errs *errs)
{
	size_t pos = 0, line = 0;
	int nerr = 0;
	if (errs) memset(errs, 0, sizeof(*errs));
	while (pos < len) {
		size_t e = pos;
		while (e < len && text[e] != '\n') e++;
		line++;
		size_t n = e - pos;
		const char *L = text + pos;
#define COL(ptr) ((size_t)((ptr) - L) + 1)
#define ERR(ptr, ...) perr(errs, &nerr, name, pos, line, COL(ptr), __VA_ARGS__)
		const char *nul = memchr(L, 0, n);
		if (nul) {
			ERR(nul, "NUL byte in a policy line");
			pos = e + 1;
			continue;
		}
		/* a '#' after a blank (or at the start) begins a comment */
		for (size_t i = 0; i < n; i++)
			if (L[i] == '#' && (i == 0 || L[i - 1] == ' ' || L[i - 1] == '\t')) {
				n = i;
				break;
			}
		while (n && (L[n - 1] == '\r' || L[n - 1] == ' ' || L[n - 1] == '\t')) n--;
		const char *f[3];
		size_t fl[3];
		size_t k = split(L, n, 0, f, fl, 3);
		while (k > 0 && fl[k - 1] && (f[k - 1][fl[k - 1] - 1] == ' ' || f[k - 1][fl[k - 1] - 1] == '\t')) fl[k - 1]--;
		if (k == 0) {
			pos = e + 1;
			continue;
		}
		bool allow_rule = is_kw(f[0], fl[0], "allow-net") || is_kw(f[0], fl[0], "allow-name") ||
		                  is_kw(f[0], fl[0], "allow-asn") || is_kw(f[0], fl[0], "allow-country");
		bool known = allow_rule || is_kw(f[0], fl[0], "segment-interface") || is_kw(f[0], fl[0], "segment-net") ||
		             is_kw(f[0], fl[0], "gateway") || is_kw(f[0], fl[0], "resolver") ||
		             is_kw(f[0], fl[0], "severity") || is_kw(f[0], fl[0], "deny-name");
		if (!known) {
			ERR(f[0], "unknown rule '%.*s' (allow-net, allow-name, allow-asn, allow-country, deny-name, "
			          "segment-interface, segment-net, gateway, resolver, severity)",
			    (int)(fl[0] > 40 ? 40 : fl[0]), f[0]);
			pos = e + 1;
			continue;
		}
		if (k < 2) {
			ERR(f[0] + fl[0], "'%.*s' needs a value", (int)fl[0], f[0]);
			pos = e + 1;
			continue;
		}
		/* a value longer than any valid one is cut in messages */
		int vl = (int)(fl[1] > 64 ? 64 : fl[1]);
		if (is_kw(f[0], fl[0], "allow-net") || is_kw(f[0], fl[0], "segment-net")) {
			dv__allow_net an;
			memset(&an, 0, sizeof(an));
			bool seg = f[0][0] == 's';
			if (parse_cidr(f[1], fl[1], &an) < 0) {
				ERR(f[1], "bad network '%.*s' (an address or address/prefix)", vl, f[1]);
			} else {
				if (k > 2) snprintf(an.comment, sizeof(an.comment), "%.*s", (int)fl[2], f[2]);
				if (seg && k > 2) ERR(f[2], "unexpected '%.*s' after the network", (int)(fl[2] > 40 ? 40 : fl[2]), f[2]);
				else if (push_net(seg ? &p->segment : &p->nets, seg ? &p->nsegment : &p->nnets, &an) < 0)
					ERR(f[1], "too many networks (at most %u)", DV_POLICY_NETS_MAX);
			}
		} else if (is_kw(f[0], fl[0], "allow-asn")) {
			const char *d = f[1];
			size_t dl = fl[1];
			if (dl > 2 && (d[0] == 'A' || d[0] == 'a') && (d[1] == 'S' || d[1] == 's')) { d += 2; dl -= 2; }
			uint64_t v = 0;
			size_t i = 0;
			for (; i < dl && d[i] >= '0' && d[i] <= '9' && v <= UINT32_MAX; i++) v = v * 10 + (uint64_t)(d[i] - '0');
			if (!dl || i != dl || v == 0 || v > UINT32_MAX)
				ERR(f[1], "bad ASN '%.*s' (AS3320 or 3320)", vl, f[1]);
			else if (p->nasns >= sizeof(p->asns) / sizeof(p->asns[0]))
				ERR(f[1], "too many ASNs (at most %zu)", sizeof(p->asns) / sizeof(p->asns[0]));
			else
				p->asns[p->nasns++] = (uint32_t)v;
		} else if (is_kw(f[0], fl[0], "allow-country")) {
			if (fl[1] != 2 || !((f[1][0] | 0x20) >= 'a' && (f[1][0] | 0x20) <= 'z' && (f[1][1] | 0x20) >= 'a' &&
			                    (f[1][1] | 0x20) <= 'z')) {
				ERR(f[1], "bad country '%.*s' (two letters)", vl, f[1]);
			} else if (p->ncountries >= sizeof(p->countries) / sizeof(p->countries[0])) {
				ERR(f[1], "too many countries (at most %zu)", sizeof(p->countries) / sizeof(p->countries[0]));
			} else {
				p->countries[p->ncountries][0] = (char)(f[1][0] & ~0x20);
				p->countries[p->ncountries][1] = (char)(f[1][1] & ~0x20);
				p->countries[p->ncountries++][2] = 0;
			}
		} else if (is_kw(f[0], fl[0], "allow-name") || is_kw(f[0], fl[0], "deny-name")) {
			bool deny = f[0][0] == 'd';
			if (!pattern_ok(f[1], fl[1])) {
				ERR(f[1], "bad name pattern '%.*s' (a host name, or *.domain)", vl, f[1]);
			} else {
				dv__eplist *l = deny ? &p->deny : &p->names;
				if (l->n >= 10000) {
					ERR(f[1], "too many names (at most 10000)");
					pos = e + 1;
					continue;
				}
				int rc = ep_add(l, f[1], fl[1], k > 2 ? f[2] : "policy", k > 2 ? fl[2] : 6, 0, deny ? "denied" : "allowed",
				                deny ? 6 : 7, "", 0);
				if (rc < 0) return rc; /* out of memory */
			}
		} else if (is_kw(f[0], fl[0], "segment-interface")) {
			if (!iface_ok(f[1], fl[1])) ERR(f[1], "bad interface name '%.*s' (1-15 of A-Z a-z 0-9 . - _ @)", vl, f[1]);
			else if (p->segment_if[0]) ERR(f[0], "a second segment-interface (there is one drone segment)");
			else if (k > 2) ERR(f[2], "unexpected '%.*s' after the interface", (int)(fl[2] > 40 ? 40 : fl[2]), f[2]);
			else snprintf(p->segment_if, sizeof(p->segment_if), "%.*s", (int)fl[1], f[1]);
		} else if (is_kw(f[0], fl[0], "gateway") || is_kw(f[0], fl[0], "resolver")) {
			bool gw = f[0][0] == 'g';
			dv__allow_net an;
			memset(&an, 0, sizeof(an));
			if (parse_addr(f[1], fl[1], &an) < 0) {
				ERR(f[1], "bad address '%.*s' (one IPv4 or IPv6 address)", vl, f[1]);
			} else if (k > 2) {
				ERR(f[2], "unexpected '%.*s' after the address", (int)(fl[2] > 40 ? 40 : fl[2]), f[2]);
			} else if (gw) {
				if (p->ngateway >= 2) ERR(f[0], "at most two gateway addresses (one IPv4, one IPv6)");
				else p->gateway[p->ngateway++] = an;
			} else {
				if (p->nresolver >= 4) ERR(f[0], "at most four resolvers");
				else p->resolver[p->nresolver++] = an;
			}
		} else { /* severity CATEGORY LEVEL */
			int cat = -1, sev = -1;
			for (int i = 0; i < DV_CAT_COUNT; i++)
				if (is_kw(f[1], fl[1], dv__cat_names[i])) cat = i;
			if (cat < 0) {
				ERR(f[1], "unknown category '%.*s' (maker, known, unknown, dns-maker, content, code, drops)", vl, f[1]);
			} else if (k < 3) {
				ERR(f[1] + fl[1], "severity %s needs a level (off, info, warning, alarm, critical)", dv__cat_names[cat]);
			} else {
				for (int i = 0; i < DV_SEV_COUNT; i++)
					if (is_kw(f[2], fl[2], dv__sev_names[i])) sev = i;
				if (sev < 0)
					ERR(f[2], "unknown level '%.*s' (off, info, warning, alarm, critical)", (int)(fl[2] > 40 ? 40 : fl[2]), f[2]);
				else
					p->severity[cat] = (uint8_t)sev;
			}
		}
#undef ERR
#undef COL
		pos = e + 1;
	}
	return nerr ? DV_EINVAL : 0;
}

int dv__policy_load(dv__policy *p, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = dv_read_file(&buf, &len, path, MAX_FILE);
	if (rc < 0) return rc;
	/* a policy struct zeroed by its owner (audit) gets the default severities */
	bool fresh = true;
	for (int i = 0; i < DV_CAT_COUNT; i++) fresh &= p->severity[i] == 0;
	if (fresh) memcpy(p->severity, default_sev, sizeof(p->severity));
	rc = dv__policy_parse(p, (const char *)buf, len, path, NULL);
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
	free(p->segment);
	dv__eplist_dispose(&p->names);
	dv__eplist_dispose(&p->deny);
	memset(p, 0, sizeof(*p));
}
