#include "check.h"
#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"

static void test_reader(void)
{
	const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
	dv_rd r = dv_rd_init(buf, sizeof(buf), "buf.bin", 100);
	uint16_t a = 0;
	uint32_t b = 0;
	uint64_t c = 0;
	CHECK_EQ(dv_rd_u16be(&r, &a), 0);
	CHECK_EQ(a, 0x0102);
	CHECK_EQ(dv_rd_u32le(&r, &b), 0);
	CHECK_EQ(b, 0x06050403);
	/* 3 left: a u64 must fail and not move the cursor */
	CHECK_EQ(dv_rd_u64be(&r, &c), DV_ETRUNC);
	CHECK_EQ(r.pos, 6);
	CHECK_EQ(dv_error_last()->offset, 106);
	CHECK_STR(dv_error_last()->path, "buf.bin");
	CHECK(strstr(dv_error_text(), "offset 106") != NULL);
	/* giant length: never wraps */
	CHECK_EQ(dv_rd_skip(&r, SIZE_MAX), DV_ETRUNC);
	CHECK_EQ(dv_rd_skip(&r, SIZE_MAX - 2), DV_ETRUNC);
	dv_rd sub = { 0 };
	CHECK_EQ(dv_rd_sub(&r, 2, &sub), 0);
	CHECK_EQ(sub.base, 106);
	CHECK_EQ(dv_rd_left(&sub), 2);
	CHECK_EQ(dv_rd_left(&r), 1);
	CHECK_EQ(dv_rd_seek(&r, 10), DV_ETRUNC);
	CHECK_EQ(dv_rd_seek(&r, 0), 0);
	uint8_t u = 0;
	CHECK_EQ(dv_rd_u8(&r, &u), 0);
	CHECK_EQ(u, 1);
}

static void test_hex_and_paths(void)
{
	uint8_t in[3] = { 0xde, 0xad, 0x01 }, out[3];
	char hex[7];
	dv_hex(hex, in, 3);
	CHECK_STR(hex, "dead01");
	CHECK_EQ(dv_unhex(out, 3, "DEAD01"), 0);
	CHECK(memcmp(in, out, 3) == 0);
	CHECK_EQ(dv_unhex(out, 3, "dead0"), DV_EINVAL);
	CHECK_EQ(dv_unhex(out, 3, "dead01ff"), DV_EINVAL);
	CHECK_EQ(dv_unhex(out, 3, "xxad01"), DV_EINVAL);

	CHECK(dv_path_is_safe_relative("DCIM/100MEDIA/DJI_0001.JPG"));
	CHECK(!dv_path_is_safe_relative("/etc/passwd"));
	CHECK(!dv_path_is_safe_relative("DCIM/../../x"));
	CHECK(!dv_path_is_safe_relative(".."));
	CHECK(!dv_path_is_safe_relative("a//b"));
	CHECK(!dv_path_is_safe_relative("a/./b"));
	CHECK(!dv_path_is_safe_relative("a/"));
	CHECK(!dv_path_is_safe_relative(""));
	CHECK(!dv_path_is_safe_relative("a\nb"));
	CHECK(dv_path_is_safe_relative("..a/b.."));
}

static void test_errors(void)
{
	CHECK_EQ(dv_error_errno(28 /* ENOSPC */, "/v/blob", -1, "cannot write"), DV_ENOSPC);
	CHECK(strstr(dv_error_text(), "/v/blob: cannot write") == dv_error_text());
	dv_error_prefix("ingest %s: ", "x.jpg");
	CHECK(strstr(dv_error_text(), "ingest x.jpg: cannot write") != NULL);
	dv_error_clear();
	CHECK_EQ(dv_error_last()->code, DV_OK);
	CHECK_STR(dv_code_name(DV_ECORRUPT), "ECORRUPT");
	char t[40];
	dv_time_iso(t, sizeof(t), 1700000000123456789LL);
	CHECK_STR(t, "2023-11-14T22:13:20.123Z");
}

/* Names from a card never reach a terminal raw. */
static void test_escape_term(void)
{
	char b[64];
	CHECK_EQ(dv_escape_term(b, sizeof(b), "DCIM/ok.jpg"), 11);
	CHECK_STR(b, "DCIM/ok.jpg");
	dv_escape_term(b, sizeof(b), "a\x1b[2Jb\nc\td\re\x7f\x01\\f");
	CHECK_STR(b, "a\\e[2Jb\\nc\\td\\re\\x7f\\x01\\\\f");
	dv_escape_term(b, sizeof(b), "caf\xc3\xa9 \xe2\x82\xac");   /* UTF-8 kept */
	CHECK_STR(b, "caf\xc3\xa9 \xe2\x82\xac");
	dv_escape_term(b, sizeof(b), "x\xc2\x9by\x9b\xff\xc3");   /* C1 CSI, lone bytes, cut sequence */
	CHECK_STR(b, "x\\xc2\\x9by\\x9b\\xff\\xc3");
	dv_escape_term(b, sizeof(b), "\xed\xa0\x80\xc0\xaf");       /* surrogate, overlong */
	CHECK_STR(b, "\\xed\\xa0\\x80\\xc0\\xaf");
	/* truncation: whole escapes only, length of the whole returned */
	char s[5];
	CHECK_EQ(dv_escape_term(s, sizeof(s), "ab\x1b\x1b"), 6);
	CHECK_STR(s, "ab\\e");
	CHECK_EQ(dv_escape_term(s, sizeof(s), "abc\x1b"), 5);
	CHECK_STR(s, "abc");
	char *d = dv_escape_term_dup("\x1b]0;owned\x07");
	CHECK(d && !strcmp(d, "\\e]0;owned\\x07"));
	free(d);
	for (int c = 1; c < 256; c++) {   /* no single byte comes out as a control */
		char in[2] = { (char)c, 0 };
		dv_escape_term(b, sizeof(b), in);
		for (char *p = b; *p; p++) CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
}

static void test_grow(void)
{
	int *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(dv_grow(&v, &cap, n, sizeof(*v), 4), 0);
		CHECK(cap > n);
		v[n++] = i;
	}
	CHECK_EQ(v[999], 999);
	CHECK_EQ(cap, 1024);
	/* an element count whose bytes overflow: refused, the array as it was */
	size_t huge = SIZE_MAX / 4;
	CHECK_EQ(dv_grow(&v, &huge, huge, 8, 4), DV_ENOMEM);
	CHECK_EQ(v[0], 0);
	free(v);
}

static void test_url_origin(void)
{
	dv_url_origin o;
	CHECK_EQ(dv_url_origin_parse(&o, "https://s3.police.example:8443/", "t", 200, true), 0);
	CHECK(o.https && !o.loopback && o.host_len == 17 && o.port == 8443 && !strcmp(o.rest, "/"));
	CHECK_EQ(dv_url_origin_parse(&o, "http://127.0.0.1:17480", "t", 200, true), 0);
	CHECK(!o.https && o.loopback && o.port == 17480 && !*o.rest);
	CHECK_EQ(dv_url_origin_parse(&o, "http://[::1]:80/x", "t", 200, true), 0);
	CHECK(o.loopback && o.host_len == 5);
	CHECK_EQ(dv_url_origin_parse(&o, "http://127.0.0.1.example.org/", "t", 200, true), 0);
	CHECK(!o.loopback);
	CHECK_EQ(dv_url_origin_parse(&o, "ftp://x/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://a_b/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://a:0/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://a:65536/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://a:123456/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://a@b/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://[::1/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://[zz]/", "t", 200, true), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://[::1]/", "t", 200, false), DV_EINVAL);
	CHECK_EQ(dv_url_origin_parse(&o, "https://abcd/", "t", 3, true), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "t: no host name") != NULL);
}

int main(void)
{
	test_url_origin();
	test_grow();
	test_escape_term();
	test_reader();
	test_hex_and_paths();
	test_errors();
	return check_done();
}
