/* Unit tests of dronevault serve's router, Range parser and token checks. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "dv/serve.h"
#include "serve/serve_int.h"

static dv_serve_route_kind route(const char *p)
{
	dv_serve_route r;
	dv_serve_route_parse(&r, p, strlen(p));
	return r.kind;
}

static void test_router(void)
{
	dv_serve_route r;
	CHECK_EQ(route("/"), DV_SERVE_ROUTE_STATIC);
	CHECK_EQ(route("/app.js"), DV_SERVE_ROUTE_STATIC);
	CHECK_EQ(route("/vendor/leaflet.js"), DV_SERVE_ROUTE_STATIC);
	CHECK_EQ(route("/api/status"), DV_SERVE_ROUTE_STATUS);
	CHECK_EQ(route("/api/cases"), DV_SERVE_ROUTE_CASES);
	dv_serve_route_parse(&r, "/api/cases/42/files", 19);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_CASE_FILES);
	CHECK_EQ(r.id, 42);
	CHECK_EQ(route("/api/cases/42"), DV_SERVE_ROUTE_CASE);
	CHECK_EQ(route("/api/cases/42/log"), DV_SERVE_ROUTE_CASE_LOG);
	CHECK_EQ(route("/api/cases/42/flights"), DV_SERVE_ROUTE_CASE_FLIGHTS);
	CHECK_EQ(route("/api/cases/42/findings"), DV_SERVE_ROUTE_CASE_FINDINGS);
	CHECK_EQ(route("/api/cases/x/findings"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/cases/42/findings/1"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/cases/42/photos"), DV_SERVE_ROUTE_CASE_PHOTOS);
	CHECK_EQ(route("/api/cases/42/coverage"), DV_SERVE_ROUTE_CASE_COVERAGE);
	CHECK_EQ(route("/api/cases/42/zones"), DV_SERVE_ROUTE_CASE_ZONES);
	CHECK_EQ(route("/api/cases/0/zones"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/cases/42/photos/"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/verify"), DV_SERVE_ROUTE_VERIFY);
	CHECK_EQ(route("/api/verify/1"), DV_SERVE_ROUTE_NOTFOUND);
	dv_serve_route_parse(&r, "/api/flights/F17/track", 22);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_TRACK);
	CHECK(strcmp(r.flight, "F17") == 0);
	dv_serve_route_parse(&r, "/api/files/7/content", 20);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_FILE_CONTENT);
	CHECK_EQ(r.id, 7);
	dv_serve_route_parse(&r, "/api/files/8/thumb", 18);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_FILE_THUMB);
	CHECK_EQ(r.id, 8);
	CHECK_EQ(route("/api/files/8/exif"), DV_SERVE_ROUTE_FILE_EXIF);
	CHECK_EQ(route("/api/files/8/xmp"), DV_SERVE_ROUTE_FILE_XMP);
	CHECK_EQ(route("/api/files/8/xmp/x"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/files/8/thumbs"), DV_SERVE_ROUTE_NOTFOUND);
	CHECK_EQ(route("/api/files/x/exif"), DV_SERVE_ROUTE_NOTFOUND);
	/* traversal and encodings: never found */
	static const char *const bad[] = {
		"", "api/cases", "/..", "/../etc/passwd", "/vendor/../app.js", "/vendor/./leaflet.js",
		"/%2e%2e/app.js", "/vendor%2fleaflet.js", "/vendor/leaflet.js%00", "/vendor\\leaflet.js",
		"/api//cases", "/api/cases/", "/api/cases/0", "/api/cases/-1", "/api/cases/01", "/api/cases/1x",
		"/api/cases/1234567890123456", "/api/flights/17/track", "/api/flights/F/track", "/api/flights/F1x/track",
		"/api/files/1/content/x", "/api/files/1", "/API/cases", "/index.html/", "/app.js.", "/api/cases/1/files/../log",
		"/api/a/b/c/d/e/f/g", NULL
	};
	for (int i = 0; bad[i]; i++) {
		if (route(bad[i]) != DV_SERVE_ROUTE_NOTFOUND) fprintf(stderr, "routed: '%s'\n", bad[i]);
		CHECK_EQ(route(bad[i]), DV_SERVE_ROUTE_NOTFOUND);
	}
	/* a NUL inside the bytes, with the length given */
	dv_serve_route_parse(&r, "/app.js\0/x", 10);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_NOTFOUND);
	dv_serve_route_parse(&r, "/app.js\0", 8);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_NOTFOUND);
	/* over-long */
	char longp[600];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	dv_serve_route_parse(&r, longp, sizeof(longp));
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_NOTFOUND);
	dv_serve_route_parse(&r, NULL, 0);
	CHECK_EQ(r.kind, DV_SERVE_ROUTE_NOTFOUND);
	/* every static file is routed to itself, and none names a parent */
	for (int i = 0; dv_static_files[i].url; i++) {
		dv_serve_route_parse(&r, dv_static_files[i].url, strlen(dv_static_files[i].url));
		CHECK_EQ(r.static_index, i);
		CHECK(strstr(dv_static_files[i].rel, "..") == NULL);
	}
}

static dv_range_result range(uint64_t *a, uint64_t *b, const char *v, uint64_t size)
{
	return dv_range_parse(a, b, v, v ? strlen(v) : 0, size);
}

static void test_range(void)
{
	uint64_t a, b;
	CHECK_EQ(range(&a, &b, NULL, 100), DV_RANGE_NONE);
	CHECK_EQ(range(&a, &b, "bytes=0-9", 100), DV_RANGE_ONE);
	CHECK(a == 0 && b == 9);
	CHECK_EQ(range(&a, &b, "bytes=90-", 100), DV_RANGE_ONE);
	CHECK(a == 90 && b == 99);
	CHECK_EQ(range(&a, &b, "bytes=90-1000", 100), DV_RANGE_ONE);
	CHECK(a == 90 && b == 99);
	CHECK_EQ(range(&a, &b, "bytes=-10", 100), DV_RANGE_ONE);
	CHECK(a == 90 && b == 99);
	CHECK_EQ(range(&a, &b, "bytes=-1000", 100), DV_RANGE_ONE);
	CHECK(a == 0 && b == 99);
	CHECK_EQ(range(&a, &b, "Bytes= 5 - 6 ", 100), DV_RANGE_ONE);
	CHECK(a == 5 && b == 6);
	CHECK_EQ(range(&a, &b, "bytes=99-99", 100), DV_RANGE_ONE);
	CHECK(a == 99 && b == 99);
	CHECK_EQ(range(&a, &b, "bytes=100-", 100), DV_RANGE_UNSATISFIABLE);
	CHECK_EQ(range(&a, &b, "bytes=-0", 100), DV_RANGE_UNSATISFIABLE);
	CHECK_EQ(range(&a, &b, "bytes=0-", 0), DV_RANGE_UNSATISFIABLE);
	CHECK_EQ(range(&a, &b, "bytes=-5", 0), DV_RANGE_UNSATISFIABLE);
	/* ignored: whole representation */
	static const char *const none[] = { "bytes=9-5", "bytes=0-1,5-6", "bytes=-", "bytes=", "items=0-5", "bytes=a-b",
	                                    "bytes=12345678901234567890-", "bytes=0-99999999999999999999",
	                                    "bytes=1-2x", "bytes 0-5", "bytes=--5", NULL };
	for (int i = 0; none[i]; i++) CHECK_EQ(range(&a, &b, none[i], 100), DV_RANGE_NONE);
	/* 19 digits are a number */
	CHECK_EQ(range(&a, &b, "bytes=0-9999999999999999999", 100), DV_RANGE_ONE);
	CHECK(b == 99);
	/* the length given is honoured (no NUL needed) */
	CHECK_EQ(dv_range_parse(&a, &b, "bytes=1-2,junk", 9, 100), DV_RANGE_ONE);
	CHECK(a == 1 && b == 2);
}

static void test_auth(void)
{
	dv_serve_auth x, y;
	CHECK_EQ(dv_serve_auth_init(&x), 0);
	CHECK_EQ(dv_serve_auth_init(&y), 0);
	CHECK_EQ(strlen(x.token), 64);
	CHECK(strcmp(x.token, y.token) != 0);
	CHECK(strcmp(x.token, x.session) != 0);
	CHECK(dv_serve_secret_eq(x.token, x.token, 64));
	CHECK(!dv_serve_secret_eq(x.token, y.token, 64));
	CHECK(!dv_serve_secret_eq(x.token, x.token, 63));
	CHECK(!dv_serve_secret_eq(x.token, NULL, 0));
	CHECK(!dv_serve_secret_eq(x.token, "", 0));
	char t[65];
	memcpy(t, x.token, 65);
	t[63] ^= 1; /* differs in the last byte only */
	CHECK(!dv_serve_secret_eq(x.token, t, 64));
	memcpy(t, x.token, 65);
	t[0] ^= 1;
	CHECK(!dv_serve_secret_eq(x.token, t, 64));
	char longer[80];
	snprintf(longer, sizeof(longer), "%sx", x.token);
	CHECK(!dv_serve_secret_eq(x.token, longer, strlen(longer)));
	char h[80];
	snprintf(h, sizeof(h), "Bearer %s", x.token);
	CHECK(dv_serve_auth_bearer_ok(&x, h));
	CHECK(!dv_serve_auth_bearer_ok(&y, h));
	CHECK(!dv_serve_auth_bearer_ok(&x, x.token));
	CHECK(!dv_serve_auth_bearer_ok(&x, NULL));
	snprintf(h, sizeof(h), "Bearer %s", x.session); /* the cookie secret is not the token */
	CHECK(!dv_serve_auth_bearer_ok(&x, h));
}

static void test_loopback(void)
{
	bool l;
	CHECK(dv_serve_addr_is_loopback(&l, "127.0.0.1") == 0 && l);
	CHECK(dv_serve_addr_is_loopback(&l, "127.8.9.10") == 0 && l);
	CHECK(dv_serve_addr_is_loopback(&l, "::1") == 0 && l);
	CHECK(dv_serve_addr_is_loopback(&l, "0.0.0.0") == 0 && !l);
	CHECK(dv_serve_addr_is_loopback(&l, "::") == 0 && !l);
	CHECK(dv_serve_addr_is_loopback(&l, "192.0.2.1") == 0 && !l);
	CHECK(dv_serve_addr_is_loopback(&l, "::ffff:127.0.0.1") == 0 && !l);
	CHECK(dv_serve_addr_is_loopback(&l, "localhost") < 0);
	CHECK(dv_serve_addr_is_loopback(&l, NULL) < 0);
	/* a non-loopback address without TLS is refused before anything binds */
	dv_serve *s = NULL;
	dv_serve_opts o = { .listen = "0.0.0.0", .port = 0 };
	CHECK_EQ(dv_serve_start(&s, NULL, &o), DV_EPERM);
	CHECK(s == NULL);
	dv_serve_opts o2 = { .listen = "127.0.0.1", .tls_cert = "x.pem" };
	CHECK_EQ(dv_serve_start(&s, NULL, &o2), DV_EINVAL);
}

static bool host(const char *h, const char *listen, uint16_t port, bool tls)
{
	return dv_serve_host_ok(h, h ? strlen(h) : 0, listen, port, tls);
}

static void test_host(void)
{
	CHECK(host("127.0.0.1:8750", NULL, 8750, false));
	CHECK(host("localhost:8750", NULL, 8750, false));
	CHECK(host("LocalHost:8750", NULL, 8750, false));
	CHECK(host("[::1]:8750", NULL, 8750, false));
	CHECK(host("127.0.0.1", NULL, 80, false));
	CHECK(host("localhost", NULL, 443, true));
	/* DNS rebinding: another name resolving to us */
	CHECK(!host("evil.example:8750", NULL, 8750, false));
	CHECK(!host("localhost.evil.example:8750", NULL, 8750, false));
	CHECK(!host("127.0.0.1.nip.io:8750", NULL, 8750, false));
	CHECK(!host("127.0.0.2:8750", NULL, 8750, false));
	/* another port, none where ours is not the default, junk */
	CHECK(!host("127.0.0.1:8751", NULL, 8750, false));
	CHECK(!host("127.0.0.1", NULL, 8750, false));
	CHECK(!host("127.0.0.1:", NULL, 8750, false));
	CHECK(!host("127.0.0.1:08750", NULL, 8750, false));
	CHECK(!host("127.0.0.1:8750x", NULL, 8750, false));
	CHECK(!host("127.0.0.1:8750:1", NULL, 8750, false));
	CHECK(!host("::1:8750", NULL, 8750, false));
	CHECK(!host("[::1", NULL, 8750, false));
	CHECK(!host("[]:8750", NULL, 8750, false));
	CHECK(!host("[::2]:8750", NULL, 8750, false));
	CHECK(!host(":8750", NULL, 8750, false));
	CHECK(!host("", NULL, 8750, false));
	CHECK(!host(NULL, NULL, 8750, false));
	CHECK(!dv_serve_host_ok("127.0.0.1\0x:8750", 16, NULL, 8750, false));
	/* the --listen address, as given */
	CHECK(host("192.0.2.7:8443", "192.0.2.7", 8443, true));
	CHECK(!host("192.0.2.8:8443", "192.0.2.7", 8443, true));
	CHECK(host("[2001:db8::7]:8443", "2001:db8::7", 8443, true));
	CHECK(!host("2001:db8::7:8443", "2001:db8::7", 8443, true));
	CHECK(!host("[192.0.2.7]:8443", "192.0.2.7", 8443, true));
}

int main(void)
{
	test_router();
	test_host();
	test_range();
	test_auth();
	test_loopback();
	return check_done();
}
