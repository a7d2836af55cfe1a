/*
 * srt.c - the streaming DJI SRT parser (format notes in dv/srt.h).
 *
 * Bytes -> lines (capped at DV_SRT_LINE_MAX, CR/LF/CRLF) -> cues (optional
 * index, timecode, body up to the next index + timecode: blank lines inside
 * a timed cue do not end it; a cue without a timecode ends at a blank
 * line) -> fields. The
 * body is searched for each generation's markers; nothing is assumed from
 * the previous cue, so mixed files decode cue by cue.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"
#include "telemetry/srt_int.h"
#include "tele_int.h"

struct dv_srt_parser {
	char name[256];
	dv_srt_stats stats;
	/* the line being assembled */
	char line[DV_SRT_LINE_MAX + 1];
	size_t line_len;
	int64_t line_off;       /* offset of its first byte */
	bool line_cut;          /* longer than DV_SRT_LINE_MAX */
	bool prev_cr;           /* last byte was CR (a following LF is the same end) */
	bool at_start;          /* no line ended yet (BOM check) */
	/* the cue being assembled */
	bool in_cue;
	int64_t cue_off;
	int64_t index;
	int64_t start_ms, end_ms;
	char body[DV_SRT_BODY_MAX + 1];
	size_t body_len;
	unsigned body_lines;
	unsigned prev_body_lines; /* of the previous cue: spots a cut last cue */
	/* Blank lines do not end a cue that has its timecode: enterprise
	 * sidecars (Matrice 30/300/350) put a blank line and a line "0" inside
	 * each cue. After a blank line a lone number is held back until the
	 * next line shows whether it is the next cue's index (a timecode
	 * follows) or text of this cue. */
	bool after_blank;       /* a blank line since the last text line */
	bool held;              /* a number line is held back */
	int64_t held_index;
	int64_t held_off;
	char held_text[20];
	size_t held_len;
	uint64_t seq;
};

const char *dv_srt_format_name(dv_srt_format f)
{
	switch (f) {
	case DV_SRT_HOME_GPS: return "home_gps";
	case DV_SRT_M300: return "m300";
	case DV_SRT_BRACKET: return "bracket";
	case DV_SRT_ONELINE: return "oneline";
	case DV_SRT_RELABS: return "relabs";
	default: return "unknown";
	}
}

static void warn(dv_srt_parser *p, int64_t off, const char *what)
{
	if (p->stats.warnings++ == 0)
		snprintf(p->stats.first_warning, sizeof(p->stats.first_warning),
		         "offset %lld: %s", (long long)off, what);
}

int dv_srt_new(dv_srt_parser **out, const char *name)
{
	*out = NULL; /* set on every path, failure included */
	dv_srt_parser *p = calloc(1, sizeof(*p));
	if (!p) return dv_error_set(DV_ENOMEM, name, -1, "cannot allocate srt parser");
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	p->at_start = true;
	p->index = p->start_ms = p->end_ms = -1;
	*out = p;
	return 0;
}

void dv_srt_free(dv_srt_parser *p)
{
	free(p);
}

const dv_srt_stats *dv_srt_stats_get(const dv_srt_parser *p)
{
	return &p->stats;
}

/* ---- small text helpers ------------------------------------------------ */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* n digits at s (s + n <= end) as an integer, or -1. */
static int64_t digits_n(const char *s, const char *end, size_t n)
{
	if ((size_t)(end - s) < n) return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i])) return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* 1..max digits; *len says how many. */
static int64_t digits_upto(const char *s, const char *end, size_t max, size_t *len)
{
	size_t i = 0;
	int64_t v = 0;
	while (s + i < end && i < max && is_digit(s[i])) {
		v = v * 10 + (s[i] - '0');
		i++;
	}
	*len = i;
	return i ? v : -1;
}

/* "HH:MM:SS,mmm" at s; ms or -1. */
static int64_t parse_tc(const char *s, const char *end, const char **next)
{
	size_t n;
	int64_t h = digits_upto(s, end, 3, &n);
	if (h < 0 || s + n >= end || s[n] != ':') return -1;
	s += n + 1;
	int64_t m = digits_n(s, end, 2);
	if (m < 0 || m > 59 || s + 2 >= end || s[2] != ':') return -1;
	s += 3;
	int64_t sec = digits_n(s, end, 2);
	if (sec < 0 || sec > 60) return -1; /* DJI writes "00:00:60,000" */
	s += 2;
	int64_t ms = 0;
	if (s < end && (*s == ',' || *s == '.')) {
		ms = digits_upto(s + 1, end, 3, &n);
		if (ms < 0) return -1;
		for (size_t k = n; k < 3; k++) ms *= 10;
		s += 1 + n;
	}
	*next = s;
	return ((h * 60 + m) * 60 + sec) * 1000 + ms;
}

/* "00:00:01,000 --> 00:00:02,000" */
static bool parse_timecode_line(const char *s, size_t len, int64_t *a, int64_t *b)
{
	const char *end = s + len, *q;
	while (s < end && *s == ' ') s++;
	int64_t x = parse_tc(s, end, &q);
	if (x < 0) return false;
	while (q < end && *q == ' ') q++;
	if (end - q < 3 || memcmp(q, "-->", 3) != 0) return false;
	q += 3;
	while (q < end && *q == ' ') q++;
	int64_t y = parse_tc(q, end, &q);
	if (y < 0) return false;
	*a = x;
	*b = y;
	return true;
}

/* Finds word (case-sensitive) at a word start in [s, end); NULL if absent. */
static const char *find_word(const char *s, const char *end, const char *word)
{
	size_t wl = strlen(word);
	for (const char *q = s; q + wl <= end; q++) {
		if (*q != word[0] || memcmp(q, word, wl) != 0) continue;
		if (q > s && is_alnum(q[-1])) continue;
		return q;
	}
	return NULL;
}

/*
 * Reads "( a, b, c )" after q (spaces allowed before '('): up to max
 * values; a token that is not a number ("N/A" before a fix) is NAN.
 * suffix[i] gets the first non-space character after number i (e.g. 'M'
 * in "0.0M", 'm' in "7.60m"). Returns the count of tokens, 0 when there
 * is no '(' or no number at all.
 */
static int paren_numbers(const char *q, const char *end, double *v, char *suffix, int max)
{
	while (q < end && *q == ' ') q++;
	if (q >= end || *q != '(') return 0;
	q++;
	int n = 0, nums = 0;
	while (q < end && n < max) {
		const char *next;
		if (dv__num_parse(q, end, &v[n], &next)) {
			nums++;
		} else {
			v[n] = NAN;
			next = q;
		}
		while (next < end && *next == ' ') next++;
		suffix[n] = next < end ? *next : 0;
		n++;
		while (next < end && *next != ',' && *next != ')' && *next != '\n') next++;
		if (next >= end || *next != ',') break;
		q = next + 1;
	}
	return nums ? n : 0;
}

/*
 * A date anywhere in the body: YYYY-MM-DD or YYYY.M.D, space, hh:mm:ss,
 * then optional fraction(s): ".373", ",720,764" (ms, us), ":265.847".
 */
static bool find_date(const char *s, const char *end, int64_t *us_out)
{
	for (const char *q = s; q + 14 <= end; q++) {
		if (!is_digit(*q) || (q > s && is_digit(q[-1]))) continue;
		int64_t y = digits_n(q, end, 4);
		if (y < 1970 || y > 2200) continue;
		const char *r = q + 4;
		char sep = *r;
		if (sep != '-' && sep != '.' && sep != '/') continue;
		size_t n;
		int64_t mo = digits_upto(r + 1, end, 2, &n);
		if (mo < 1 || mo > 12) continue;
		r += 1 + n;
		if (r >= end || *r != sep) continue;
		int64_t d = digits_upto(r + 1, end, 2, &n);
		if (d < 1 || d > 31) continue;
		r += 1 + n;
		if (r >= end || *r != ' ') continue;
		while (r < end && *r == ' ') r++;
		int64_t h = digits_upto(r, end, 2, &n);
		if (h < 0 || h > 23 || r + n >= end || r[n] != ':') continue;
		r += n + 1;
		int64_t mi = digits_n(r, end, 2);
		if (mi < 0 || mi > 59 || r + 2 >= end || r[2] != ':') continue;
		r += 3;
		int64_t se = digits_n(r, end, 2);
		if (se < 0 || se > 60) continue;
		r += 2;
		int64_t ms = 0, us = 0;
		if (r + 1 < end && (*r == '.' || *r == ',' || *r == ':') && is_digit(r[1])) {
			int64_t f = digits_upto(r + 1, end, 9, &n);
			const char *after = r + 1 + n;
			if (n <= 3) {
				ms = f;
				for (size_t k = n; k < 3; k++) ms *= 10;
				/* a second group ",764" or ".847" is microseconds */
				if (n == 3 && after + 1 < end && (*after == ',' || *after == '.') && is_digit(after[1])) {
					size_t n2;
					int64_t u = digits_upto(after + 1, end, 3, &n2);
					for (size_t k = n2; k < 3; k++) u *= 10;
					us = u;
				}
			} else {
				/* one group of 4..9 digits: fraction of a second */
				int64_t frac_us = f;
				for (size_t k = n; k > 6; k--) frac_us /= 10;
				for (size_t k = n; k < 6; k++) frac_us *= 10;
				ms = frac_us / 1000;
				us = frac_us % 1000;
			}
		}
		int64_t days = dv_telemetry_days_from_civil(y, (unsigned)mo, (unsigned)d);
		*us_out = (((days * 24 + h) * 60 + mi) * 60 + se) * 1000000 + ms * 1000 + us;
		return true;
	}
	return false;
}

/* value after "KEY:" or "KEY :" (G1 style "BAROMETER:1.9", "Fnum:F2.8"). */
static bool colon_value(const char *s, const char *end, const char *key, double *out)
{
	const char *q = find_word(s, end, key);
	while (q) {
		const char *r = q + strlen(key);
		while (r < end && *r == ' ') r++;
		if (r < end && *r == ':') {
			r++;
			while (r < end && *r == ' ') r++;
			if (r < end && (*r == 'F' || *r == 'f') && r + 1 < end && is_digit(r[1])) r++;
			/* "EV: Fnum:" has no value: do not read the next field */
			return dv__num_parse(r, end, out, NULL);
		}
		q = find_word(q + 1, end, key);
	}
	return false;
}

static bool key_is(const char *k, size_t kl, const char *want)
{
	size_t wl = strlen(want);
	if (kl != wl) return false;
	for (size_t i = 0; i < kl; i++)
		if (lower(k[i]) != want[i]) return false;
	return true;
}

typedef struct fields {
	bool has_lat, has_lon;
	double lat, lon;
	bool bracket, relabs, home_gps, m300, oneline;
} fields;

/* One "key: value" from a [ ... ] group. */
static void bracket_pair(dv_srt_cue *c, fields *fl, const char *k, size_t kl, const char *v, const char *vend)
{
	double x;
	bool num = dv__num_parse(v, vend, &x, NULL);
	if (key_is(k, kl, "latitude")) {
		if (num) { fl->lat = x; fl->has_lat = true; }
		fl->bracket = true;
	} else if (key_is(k, kl, "longitude") || key_is(k, kl, "longtitude")) {
		if (num) { fl->lon = x; fl->has_lon = true; }
		fl->bracket = true;
	} else if (key_is(k, kl, "altitude")) {
		if (num) c->pt.alt = x;
	} else if (key_is(k, kl, "abs_alt")) {
		if (num) c->pt.alt = x;
		fl->relabs = true;
	} else if (key_is(k, kl, "rel_alt")) {
		if (num) c->pt.height = x;
		fl->relabs = true;
	} else if (key_is(k, kl, "iso")) {
		if (num) c->iso = x;
		fl->bracket = true;
	} else if (key_is(k, kl, "fnum")) {
		/* "280" in the Mavic 2 generation means f/2.8 */
		if (num) c->fnum = x >= 100 ? x / 100 : x;
	} else if (key_is(k, kl, "ev")) {
		if (num) c->ev = x;
	} else if (key_is(k, kl, "ct")) {
		if (num) c->ct = x;
	} else if (key_is(k, kl, "focal_len")) {
		if (num) c->focal_len = x;
	} else if (key_is(k, kl, "shutter")) {
		size_t n = (size_t)(vend - v);
		if (n >= sizeof(c->shutter)) n = sizeof(c->shutter) - 1;
		memcpy(c->shutter, v, n);
		c->shutter[n] = 0;
	}
}

static void parse_brackets(dv_srt_cue *c, fields *fl, const char *s, const char *end)
{
	for (const char *q = s; q < end; q++) {
		if (*q != '[') continue;
		const char *close = memchr(q + 1, ']', (size_t)(end - q - 1));
		if (!close) return;
		const char *r = q + 1;
		while (r < close) {
			while (r < close && *r == ' ') r++;
			const char *colon = memchr(r, ':', (size_t)(close - r));
			if (!colon) break;
			const char *ke = colon;
			while (ke > r && ke[-1] == ' ') ke--;
			const char *v = colon + 1;
			while (v < close && *v == ' ') v++;
			const char *ve = v;
			while (ve < close && *ve != ' ') ve++;
			const char *vtrim = ve;
			while (vtrim > v && vtrim[-1] == ',') vtrim--;
			bracket_pair(c, fl, r, (size_t)(ke - r), v, vtrim);
			r = ve;
		}
		q = close;
	}
}

/* One-line generation: comma-separated tokens at parenthesis depth 0. */
static void parse_oneline(dv_srt_cue *c, fields *fl, const char *s, const char *end)
{
	const char *tok = s;
	int depth = 0;
	for (const char *q = s; q <= end; q++) {
		if (q < end && *q == '(') depth++;
		else if (q < end && *q == ')' && depth > 0) depth--;
		if (q < end && !((*q == ',' || *q == '\n') && depth == 0)) continue;
		const char *a = tok, *b = q;
		tok = q + 1;
		while (a < b && *a == ' ') a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\r')) b--;
		size_t n = (size_t)(b - a);
		double x, v[3];
		char suf[3];
		if (n > 2 && a[0] == 'F' && a[1] == '/') {
			if (dv__num_parse(a + 2, b, &x, NULL)) c->fnum = x;
			fl->oneline = true;
		} else if (n > 3 && !memcmp(a, "SS ", 3)) {
			size_t k = n - 3 < sizeof(c->shutter) - 1 ? n - 3 : sizeof(c->shutter) - 1;
			memcpy(c->shutter, a + 3, k);
			c->shutter[k] = 0;
			fl->oneline = true;
		} else if (n > 4 && !memcmp(a, "ISO ", 4)) {
			if (dv__num_parse(a + 4, b, &x, NULL)) c->iso = x;
		} else if (n > 3 && !memcmp(a, "EV ", 3)) {
			if (dv__num_parse(a + 3, b, &x, NULL)) c->ev = x;
		} else if (n > 2 && !memcmp(a, "D ", 2)) {
			if (dv__num_parse(a + 2, b, &x, NULL)) c->distance = x;
		} else if (n > 2 && !memcmp(a, "H ", 2)) {
			if (dv__num_parse(a + 2, b, &x, NULL)) c->pt.height = x;
		} else if (n > 4 && !memcmp(a, "H.S ", 4)) {
			if (dv__num_parse(a + 4, b, &x, NULL)) c->hspeed = x;
		} else if (n > 4 && !memcmp(a, "V.S ", 4)) {
			if (dv__num_parse(a + 4, b, &x, NULL)) c->vspeed = x;
		} else if (n > 5 && !memcmp(a, "F.PRY", 5)) {
			if (paren_numbers(a + 5, b, v, suf, 3) == 3) {
				c->flight_pitch = v[0];
				c->flight_roll = v[1];
				c->flight_yaw = v[2];
			}
		} else if (n > 5 && !memcmp(a, "G.PRY", 5)) {
			if (paren_numbers(a + 5, b, v, suf, 3) == 3) {
				c->gimbal_pitch = v[0];
				c->gimbal_roll = v[1];
				c->gimbal_yaw = v[2];
			}
		}
	}
}

static void cue_defaults(dv_srt_cue *c)
{
	memset(c, 0, sizeof(*c));
	c->index = c->start_ms = c->end_ms = -1;
	c->pt.media_ms = -1;
	c->pt.alt = c->pt.height = NAN;
	c->home_lat = c->home_lon = c->home_alt = NAN;
	c->gps_alt = c->sonar_height = NAN;
	c->sats = -1;
	c->flight_pitch = c->flight_roll = c->flight_yaw = NAN;
	c->gimbal_pitch = c->gimbal_roll = c->gimbal_yaw = NAN;
	c->hspeed = c->vspeed = c->distance = NAN;
	c->frame_cnt = c->diff_ms = -1;
	c->iso = c->fnum = c->ev = c->ct = c->focal_len = NAN;
}

/* Removes <...> tags in place (only complete ones within the body). */
static size_t strip_tags(char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '<') {
			/* only short tags: a body full of '<' stays linear */
			const char *gt = memchr(s + i, '>', n - i < 256 ? n - i : 256);
			if (gt) {
				i = (size_t)(gt - s);
				s[w++] = ' ';
				continue;
			}
		}
		s[w++] = s[i];
	}
	s[w] = 0;
	return w;
}

static void parse_body(dv_srt_parser *p, dv_srt_cue *c, char *body, size_t len)
{
	len = strip_tags(body, len);
	const char *s = body, *end = body + len;
	fields fl = { 0 };
	double v[4], x;
	char suf[4] = { 0 };

	int64_t us;
	if (find_date(s, end, &us)) {
		c->pt.time_us = us;
		c->pt.time_kind = DV_TIME_LOCAL;
	}

	const char *q = find_word(s, end, "HOME");
	if (q) {
		int n = paren_numbers(q + 4, end, v, suf, 3);
		if (n >= 2) {
			c->has_home = true;
			c->home_lon = v[0];
			c->home_lat = v[1];
			if (n == 3) c->home_alt = v[2];
			if (!(fabs(v[1]) <= 90 && fabs(v[0]) <= 180) || (v[0] == 0 && v[1] == 0))
				c->has_home = false;
		}
		fl.home_gps = q + 4 < end && q[4] == '(';
	}
	q = find_word(s, end, "GPS");
	if (q) {
		int n = paren_numbers(q + 3, end, v, suf, 3);
		if (n >= 2) {
			if (n == 3 && (suf[2] == 'M' || suf[2] == 'm')) {
				/* Matrice 300: GPS(lat,lon,altM) */
				fl.m300 = true;
				fl.lat = v[0];
				fl.lon = v[1];
				c->gps_alt = v[2];
			} else {
				fl.lon = v[0];
				fl.lat = v[1];
				if (n == 3 && v[2] >= 0 && v[2] < 1000) c->sats = (int)v[2];
			}
			/* "GPS(N/A,N/A,3)": no fix, whatever the previous cue said */
			fl.has_lat = isfinite(fl.lat);
			fl.has_lon = isfinite(fl.lon);
			if (q + 3 < end && q[3] == '(' && !fl.m300) fl.home_gps = true;
			if (q + 3 < end && q[3] == ' ') fl.oneline = true;
		}
	}
	if (colon_value(s, end, "BAROMETER", &x)) c->pt.height = x;
	if (colon_value(s, end, "Hb", &x)) {
		c->pt.height = x;
		fl.home_gps = true;
	}
	if (colon_value(s, end, "Hs", &x)) c->sonar_height = x;
	if (colon_value(s, end, "ISO", &x)) c->iso = x;
	if (colon_value(s, end, "Fnum", &x) || colon_value(s, end, "IR", &x)) c->fnum = x;
	if (colon_value(s, end, "EV", &x)) c->ev = x;
	if (colon_value(s, end, "Shutter", &x) || colon_value(s, end, "TV", &x))
		snprintf(c->shutter, sizeof(c->shutter), "%g", x);
	if (colon_value(s, end, "FrameCnt", &x) || colon_value(s, end, "SrtCnt", &x)) {
		if (x >= 0 && x < 9e15) c->frame_cnt = (int64_t)x;
		fl.bracket = true;
	}
	if (colon_value(s, end, "DiffTime", &x) && x >= 0 && x < 9e15) c->diff_ms = (int64_t)x;

	parse_brackets(c, &fl, s, end);
	parse_oneline(c, &fl, s, end);

	if (fl.m300) c->format = DV_SRT_M300;
	else if (fl.relabs) c->format = DV_SRT_RELABS;
	else if (fl.oneline) c->format = DV_SRT_ONELINE;
	else if (fl.home_gps) c->format = DV_SRT_HOME_GPS;
	else if (fl.bracket) c->format = DV_SRT_BRACKET;
	else c->format = DV_SRT_UNKNOWN;

	if (fl.has_lat && fl.has_lon) {
		if (fl.lat == 0 && fl.lon == 0) {
			c->zero_fix = true; /* before the first fix: not a position */
		} else if (isfinite(fl.lat) && isfinite(fl.lon) && fabs(fl.lat) <= 90 && fabs(fl.lon) <= 180) {
			c->pt.has_pos = true;
			c->pt.lat = fl.lat;
			c->pt.lon = fl.lon;
		} else {
			warn(p, c->offset, "position out of range");
		}
	} else if (fl.has_lat != fl.has_lon) {
		warn(p, c->offset, "latitude without longitude");
	}
}

static void release_held(dv_srt_parser *p);

/* Ends the current cue: parses and reports it. */
static int end_cue(dv_srt_parser *p, dv_srt_cue_cb cb, void *payload, bool at_eof)
{
	if (!p->in_cue) return 0;
	if (at_eof) release_held(p); /* a number after the last cue's text is its text */
	p->in_cue = false;
	p->after_blank = false;
	p->held = false;
	if (p->start_ms < 0 && p->body_len == 0) {
		/* a lone index ("1\r\n"): nothing to report */
		warn(p, p->cue_off, "cue without timecode or text");
		p->index = p->start_ms = p->end_ms = -1;
		return 0;
	}
	dv_srt_cue c;
	cue_defaults(&c);
	c.seq = p->seq++;
	c.index = p->index;
	c.start_ms = p->start_ms;
	c.end_ms = p->end_ms;
	c.pt.media_ms = p->start_ms;
	c.offset = p->cue_off;
	parse_body(p, &c, p->body, p->body_len);
	if (c.start_ms < 0 && c.pt.time_kind == DV_TIME_NONE && !c.pt.has_pos && !c.zero_fix) {
		/* text with neither timecode, date nor position: no point to report */
		warn(p, p->cue_off, "text without a timecode, skipped");
		p->index = p->start_ms = p->end_ms = -1;
		p->body_len = 0;
		p->body_lines = 0;
		return 0;
	}
	if (at_eof && p->prev_body_lines && p->body_lines < p->prev_body_lines)
		warn(p, p->cue_off, "file ends inside the last cue (truncated)");
	p->prev_body_lines = p->body_lines;
	p->stats.cues++;
	p->stats.fixes += c.pt.has_pos;
	p->stats.zero_fixes += c.zero_fix;
	p->stats.formats |= 1u << c.format;
	p->index = p->start_ms = p->end_ms = -1;
	p->body_len = 0;
	p->body_lines = 0;
	return cb ? cb(&c, payload) : 0;
}

/* Appends a text line to the cue's body. */
static void body_add(dv_srt_parser *p, const char *s, size_t n, int64_t off)
{
	if (p->body_len + n + 1 > DV_SRT_BODY_MAX) {
		warn(p, off, "cue text longer than DV_SRT_BODY_MAX, cut");
		return;
	}
	if (p->body_len) p->body[p->body_len++] = '\n';
	memcpy(p->body + p->body_len, s, n);
	p->body_len += n;
	p->body[p->body_len] = 0;
	p->body_lines++;
}

/* The held number was text of the current cue after all. */
static void release_held(dv_srt_parser *p)
{
	if (!p->held) return;
	p->held = false;
	body_add(p, p->held_text, p->held_len, p->held_off);
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 18) return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i])) return false;
	return true;
}

static int on_line(dv_srt_parser *p, dv_srt_cue_cb cb, void *payload)
{
	char *s = p->line;
	size_t n = p->line_len;
	int64_t off = p->line_off;
	s[n] = 0;
	if (p->at_start) {
		p->at_start = false;
		if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
			s += 3;
			n -= 3;
		}
	}
	if (p->line_cut) warn(p, off, "line longer than DV_SRT_LINE_MAX, cut");
	/* trim */
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 0) {
		/* a cue with its timecode ends at the next timecode, not here */
		if (p->in_cue && p->start_ms >= 0) {
			p->after_blank = true;
			return 0;
		}
		return end_cue(p, cb, payload, false);
	}

	int64_t a, b;
	if (parse_timecode_line(s, n, &a, &b)) {
		bool held = p->held;
		int64_t held_index = p->held_index, held_off = p->held_off;
		p->held = false;
		if (p->in_cue && (p->start_ms >= 0 || p->body_len)) {
			/* the next cue (with or without a blank line before it) */
			int rc = end_cue(p, cb, payload, false);
			if (rc) return rc;
		}
		if (!p->in_cue) {
			p->in_cue = true;
			p->cue_off = held ? held_off : off;
			if (held) p->index = held_index;
		}
		p->after_blank = false;
		p->start_ms = a;
		p->end_ms = b;
		return 0;
	}
	if (!p->in_cue) {
		p->in_cue = true;
		p->cue_off = off;
		if (all_digits(s, n)) {
			int64_t v = 0;
			for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
			p->index = v;
			return 0;
		}
	} else if (p->start_ms >= 0 && p->after_blank && all_digits(s, n) && !p->held) {
		/* the next cue's index, or a "0" inside this one: the next line says */
		int64_t v = 0;
		for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
		p->held = true;
		p->held_index = v;
		p->held_off = off;
		p->held_len = n;
		memcpy(p->held_text, s, n);
		return 0;
	}
	release_held(p);
	p->after_blank = false;
	body_add(p, s, n, off);
	return 0;
}

int dv_srt_feed(dv_srt_parser *p, const void *buf, size_t len, dv_srt_cue_cb cb, void *payload)
{
	const char *b = buf;
	for (size_t i = 0; i < len; i++) {
		char ch = b[i];
		int64_t off = (int64_t)(p->stats.bytes + i);
		if (ch == '\n' && p->prev_cr) {
			p->prev_cr = false;
			p->line_off = off + 1;
			continue;
		}
		p->prev_cr = ch == '\r';
		if (ch == '\n' || ch == '\r') {
			int rc = on_line(p, cb, payload);
			p->line_len = 0;
			p->line_cut = false;
			p->line_off = off + 1;
			if (rc) {
				p->stats.bytes += i + 1;
				return rc;
			}
			continue;
		}
		if (ch == 0) ch = ' '; /* binary garbage: keep the line readable */
		if (p->line_len < DV_SRT_LINE_MAX) p->line[p->line_len++] = ch;
		else p->line_cut = true;
	}
	p->stats.bytes += len;
	return 0;
}

int dv_srt_finish(dv_srt_parser *p, dv_srt_cue_cb cb, void *payload)
{
	if (p->line_len) {
		warn(p, p->line_off, "file ends without a line end (truncated)");
		int rc = on_line(p, cb, payload);
		p->line_len = 0;
		if (rc) return rc;
	}
	return end_cue(p, cb, payload, true);
}

int dv_srt_read_file(const char *path, dv_srt_cue_cb cb, void *payload, dv_srt_stats *stats)
{
	int fd = dv__open_regular(path);
	if (fd < 0) return fd;
	dv_srt_parser *p;
	int rc = dv_srt_new(&p, path);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	static _Thread_local char chunk[65536];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0) {
			if (errno == EINTR) continue;
			rc = dv_error_errno(errno, path, (int64_t)p->stats.bytes, "cannot read");
			break;
		}
		if (got == 0) {
			rc = dv_srt_finish(p, cb, payload);
			break;
		}
		rc = dv_srt_feed(p, chunk, (size_t)got, cb, payload);
		if (rc) break;
	}
	if (stats) *stats = p->stats;
	dv_srt_free(p);
	close(fd);
	return rc;
}
