/*
 * The few things the S3 backend reads from a server's XML answers (error
 * codes, multipart upload ids, listed keys) and S3's time stamps. A server is
 * not trusted: every scan is bounded by dv_rd, every value capped.
 */
#include "vault/s3_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/rd_int.h"
#include "dv/err.h"

/* Index of the first occurrence of needle at or after from, or len. */
static size_t find(const char *s, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0 || len < n) return len;
	for (size_t i = from; i + n <= len; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, n)) return i;
	return len;
}

static int decode(char *out, size_t size, dv_rd *r)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	size_t o = 0;
	while (dv_rd_left(r) > 0) {
		const uint8_t *p = dv_rd_ptr(r);
		char ch = (char)p[0];
		size_t adv = 1;
		if (ch == '&') {
			size_t k;
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);
				if (dv_rd_left(r) >= el && !memcmp(p, ents[k].ent, el)) break;
			}
			if (k == sizeof(ents) / sizeof(ents[0]))
				return dv_error_set(DV_ECORRUPT, "s3 answer", dv_rd_offset(r), "unknown XML entity");
			ch = ents[k].ch;
			adv = strlen(ents[k].ent);
		} else if (ch == '<' || ch == '\0') {
			return dv_error_set(DV_ECORRUPT, "s3 answer", dv_rd_offset(r), "markup inside an XML value");
		}
		if (o + 1 >= size) return dv_error_set(DV_ECORRUPT, "s3 answer", dv_rd_offset(r), "XML value too long");
		out[o++] = ch;
		int rc = dv_rd_skip(r, adv);
		if (rc < 0) return rc;
	}
	out[o] = '\0';
	return 0;
}

int dv_s3_xml_text(char *out, size_t size, const char *xml, size_t len, size_t *pos, const char *tag)
{
	if (size) out[0] = '\0';
	size_t tl = strlen(tag);
	if (tl == 0 || tl > 64 || size == 0) return dv_error_set(DV_EINVAL, "s3 answer", -1, "bad tag");
	char open[70], close[70];
	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	size_t at = *pos;
	for (;;) {
		at = find(xml, len, at, open);
		if (at >= len) return 0;
		size_t after = at + tl + 1;
		/* <Key> or <Key attr=...>, not <KeyMarker> */
		if (after < len && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '/')) break;
		at = after;
	}
	size_t gt = find(xml, len, at, ">");
	if (gt >= len) return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)at, "unterminated XML tag");
	if (xml[gt - 1] == '/') { /* <Tag/>: empty */
		*pos = gt + 1;
		return 1;
	}
	size_t start = gt + 1, end = find(xml, len, start, close);
	if (end >= len) return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)start, "<%s> not closed", tag);
	if (end - start >= size || end - start > DV_S3_VALUE_MAX * 6)
		return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)start, "<%s> too long", tag);
	dv_rd r = dv_rd_init(xml + start, end - start, "s3 answer", (int64_t)start);
	int rc = decode(out, size, &r);
	if (rc < 0) return rc;
	*pos = end + strlen(close);
	return 1;
}

void dv_s3_xml_error_code(char *code, size_t size, const char *xml, size_t len)
{
	size_t pos = 0;
	if (size == 0) return;
	code[0] = '\0';
	if (dv_s3_xml_text(code, size, xml, len, &pos, "Code") != 1) code[0] = '\0';
	for (char *c = code; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) *c = '?';
}

int dv_s3_xml_list(const char *xml, size_t len, int *truncated, char *last, size_t last_size,
                   int (*fn)(const char *key, void *payload), void *payload)
{
	char v[DV_S3_VALUE_MAX + 1];
	size_t pos = 0;
	*truncated = 0;
	if (last_size) last[0] = '\0';
	int rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "IsTruncated");
	if (rc < 0) return rc;
	if (rc == 1) *truncated = !strcmp(v, "true");
	pos = 0;
	for (unsigned n = 0;; n++) {
		if (n >= 100000) return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "too many keys in one listing");
		if ((rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "Key")) <= 0) return rc;
		if (last_size) snprintf(last, last_size, "%s", v);
		if ((rc = fn(v, payload)) != 0) return rc;
	}
}

/* A decimal in [lo, hi], nothing else. */
static int number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 19) return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9') return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < lo || v > hi) return -1;
	*out = v;
	return 0;
}

int dv_s3_xml_parts(const char *xml, size_t len, int *truncated, uint64_t *next,
                    int (*fn)(uint64_t number, const char *etag, uint64_t size, void *payload), void *payload)
{
	char v[DV_S3_VALUE_MAX + 1], et[DV_S3_VALUE_MAX + 1];
	size_t pos = 0;
	*truncated = 0;
	*next = 0;
	int rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "IsTruncated");
	if (rc < 0) return rc;
	if (rc == 1) *truncated = !strcmp(v, "true");
	pos = 0;
	if ((rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "NextPartNumberMarker")) < 0) return rc;
	if (rc == 1 && number(v, 0, 10000, next) < 0)
		return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "NextPartNumberMarker is no part number");
	pos = 0;
	for (unsigned n = 0;; n++) {
		if (n > 10000) return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "more than 10000 parts in one listing");
		uint64_t no, size;
		if ((rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "PartNumber")) <= 0) return rc;
		if (number(v, 1, 10000, &no) < 0)
			return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "a part number out of 1..10000");
		/* a part's ETag and Size follow its number */
		if ((rc = dv_s3_xml_text(et, sizeof(et), xml, len, &pos, "ETag")) != 1 ||
		    (rc = dv_s3_xml_text(v, sizeof(v), xml, len, &pos, "Size")) != 1)
			return rc < 0 ? rc : dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "part %llu without its ETag and Size",
			                                  (unsigned long long)no);
		if (number(v, 0, 5ull << 30, &size) < 0)
			return dv_error_set(DV_ECORRUPT, "s3 answer", (int64_t)pos, "part %llu: a size out of 0..5 GiB",
			                    (unsigned long long)no);
		if ((rc = fn(no, et, size, payload)) != 0) return rc;
	}
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t dv_s3_parse_time(const char *s)
{
	int y, mo, d, h, mi, se;
	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 9) return -1;
		p += n;
	}
	if (strcmp(p, "Z") != 0) return -1;
	if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	if (t < 0) return -1;
	return (int64_t)t * 1000000000;
}

void dv_s3_format_time(char out[21], int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
