/*
 * netloc.c - address scope and libloc lookups.
 */
#include <errno.h>
#include <libloc/as.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "audit/netloc_int.h"

#define DEFAULT_DB "/usr/share/libloc-location/location.db"

struct dv_netloc {
	struct loc_ctx *ctx;
	struct loc_database *db;
	char path[512];
};

const char *dv_scope_name(dv_scope s)
{
	static const char *const n[] = { "external", "private", "loopback", "link-local",
		"multicast", "cgnat", "documentation", "unspecified" };
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static int in4(const uint8_t *a, uint32_t net, unsigned bits)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	uint32_t m = bits ? ~0u << (32 - bits) : 0;
	return (v & m) == (net & m);
}

dv_scope dv_addr_scope(int ipver, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (ipver == 6 && !memcmp(a, mapped, 12)) return dv_addr_scope(4, a + 12);
	if (ipver == 4) {
		if (in4(a, 0x0a000000, 8) || in4(a, 0xac100000, 12) || in4(a, 0xc0a80000, 16)) return DV_SCOPE_PRIVATE;
		if (in4(a, 0x7f000000, 8)) return DV_SCOPE_LOOPBACK;
		if (in4(a, 0xa9fe0000, 16)) return DV_SCOPE_LINKLOCAL;
		if (in4(a, 0xe0000000, 4) || in4(a, 0xffffffff, 32)) return DV_SCOPE_MULTICAST;
		if (in4(a, 0x64400000, 10)) return DV_SCOPE_CGNAT;
		if (in4(a, 0xc0000200, 24) || in4(a, 0xc6336400, 24) || in4(a, 0xcb007100, 24) ||
		    in4(a, 0xc6120000, 15))
			return DV_SCOPE_DOC;
		if (in4(a, 0x00000000, 8) || in4(a, 0xf0000000, 4) || in4(a, 0xc0000000, 24)) return DV_SCOPE_UNSPEC;
		return DV_SCOPE_EXTERNAL;
	}
	static const uint8_t zero[16] = { 0 };
	if (!memcmp(a, zero, 16)) return DV_SCOPE_UNSPEC;
	if (!memcmp(a, zero, 15) && a[15] == 1) return DV_SCOPE_LOOPBACK;
	if (a[0] == 0xff) return DV_SCOPE_MULTICAST;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return DV_SCOPE_LINKLOCAL;
	if ((a[0] & 0xfe) == 0xfc) return DV_SCOPE_PRIVATE;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return DV_SCOPE_DOC;
	if ((a[0] & 0xe0) != 0x20) return DV_SCOPE_UNSPEC; /* outside 2000::/3 */
	return DV_SCOPE_EXTERNAL;
}

static void quiet_log(struct loc_ctx *ctx, int priority, const char *file, int line,
                      const char *fn, const char *format, va_list args)
{
	(void)ctx; (void)priority; (void)file; (void)line; (void)fn; (void)format; (void)args;
}

int dv_netloc_open(dv_netloc **out, const char *path)
{
	*out = NULL;
	if (!path) path = DEFAULT_DB;
	FILE *f = fopen(path, "rb");
	if (!f) return dv_error_errno(errno, path, -1, "cannot open location database");
	dv_netloc *n = calloc(1, sizeof(*n));
	if (!n) { fclose(f); return dv_error_set(DV_ENOMEM, path, -1, "out of memory"); }
	snprintf(n->path, sizeof(n->path), "%s", path);
	if (loc_new(&n->ctx) < 0) { fclose(f); free(n); return dv_error_set(DV_ERROR, path, -1, "libloc context failed"); }
	loc_set_log_fn(n->ctx, quiet_log);
	if (loc_database_new(n->ctx, &n->db, f) < 0) {
		fclose(f);
		loc_unref(n->ctx);
		free(n);
		return dv_error_set(DV_ECORRUPT, path, -1, "not a libloc database");
	}
	fclose(f);
	*out = n;
	return 0;
}

void dv_netloc_free(dv_netloc *n)
{
	if (!n) return;
	if (n->db) loc_database_unref(n->db);
	if (n->ctx) loc_unref(n->ctx);
	free(n);
}

const char *dv_netloc_vendor(const dv_netloc *n) { return loc_database_get_vendor(n->db); }
const char *dv_netloc_license(const dv_netloc *n) { return loc_database_get_license(n->db); }
time_t dv_netloc_created(const dv_netloc *n) { return loc_database_created_at(n->db); }
const char *dv_netloc_path(const dv_netloc *n) { return n->path; }

void dv_netloc_lookup(dv_netloc *n, int ipver, const uint8_t *addr, dv_place *out)
{
	memset(out, 0, sizeof(*out));
	out->scope = dv_addr_scope(ipver, addr);
	if (!n || out->scope != DV_SCOPE_EXTERNAL) return;
	struct in6_addr a;
	memset(&a, 0, sizeof(a));
	if (ipver == 4) {
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(a.s6_addr + 12, addr, 4);
	} else {
		memcpy(a.s6_addr, addr, 16);
	}
	struct loc_network *net = NULL;
	if (loc_database_lookup(n->db, &a, &net) != 0 || !net) return;
	const char *cc = loc_network_get_country_code(net);
	if (cc && cc[0]) snprintf(out->cc, sizeof(out->cc), "%.2s", cc);
	out->asn = loc_network_get_asn(net);
	out->anycast = loc_network_has_flag(net, LOC_NETWORK_FLAG_ANYCAST) ? 1 : 0;
	const char *s = loc_network_str(net); /* borrowed from net */
	if (s) snprintf(out->network, sizeof(out->network), "%s", s);
	loc_network_unref(net);
	if (out->asn) {
		struct loc_as *as = NULL;
		if (loc_database_get_as(n->db, &as, out->asn) == 0 && as) {
			const char *nm = loc_as_get_name(as);
			if (nm) snprintf(out->as_name, sizeof(out->as_name), "%s", nm);
			loc_as_unref(as);
		}
	}
}
