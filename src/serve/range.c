/* HTTP Range header parsing for dronevault serve: see serve_int.h. */
#include <strings.h>

#include "serve/serve_int.h"

static void skip_ows(const char *v, size_t n, size_t *i)
{
	while (*i < n && (v[*i] == ' ' || v[*i] == '\t')) (*i)++;
}

/* up to 19 digits; false when none or more */
static bool number(const char *v, size_t n, size_t *i, uint64_t *out, bool *present)
{
	size_t start = *i;
	uint64_t x = 0;
	while (*i < n && v[*i] >= '0' && v[*i] <= '9') {
		if (*i - start >= 19) return false;
		x = x * 10 + (uint64_t)(v[*i] - '0');
		(*i)++;
	}
	*present = *i > start;
	*out = x;
	return true;
}

dv_range_result dv_range_parse(uint64_t *first, uint64_t *last, const char *v, size_t n, uint64_t size)
{
	*first = *last = 0;
	if (!v || n < 6 || strncasecmp(v, "bytes=", 6) != 0) return DV_RANGE_NONE;
	size_t i = 6;
	uint64_t a, b;
	bool have_a, have_b;
	skip_ows(v, n, &i);
	if (!number(v, n, &i, &a, &have_a)) return DV_RANGE_NONE;
	skip_ows(v, n, &i);
	if (i >= n || v[i] != '-') return DV_RANGE_NONE;
	i++;
	skip_ows(v, n, &i);
	if (!number(v, n, &i, &b, &have_b)) return DV_RANGE_NONE;
	skip_ows(v, n, &i);
	if (i != n) return DV_RANGE_NONE; /* a list of ranges, or junk: send it all */
	if (!have_a && !have_b) return DV_RANGE_NONE;
	if (!have_a) { /* suffix: the last b bytes */
		if (b == 0 || size == 0) return DV_RANGE_UNSATISFIABLE;
		if (b > size) b = size;
		*first = size - b;
		*last = size - 1;
		return DV_RANGE_ONE;
	}
	if (have_b && b < a) return DV_RANGE_NONE;
	if (a >= size) return DV_RANGE_UNSATISFIABLE;
	*first = a;
	*last = (!have_b || b >= size) ? size - 1 : b;
	return DV_RANGE_ONE;
}
