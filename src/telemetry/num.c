/*
 * num.c - a small, locale-free decimal parser for hostile text. The value
 * is mantissa / 10^k with both exact in a double when the mantissa has at
 * most 15 digits, so "40.5637811" comes out correctly rounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"
#include "tele_int.h"

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

bool dv__num_parse(const char *s, const char *end, double *out, const char **next)
{
	const char *p = s;
	while (p < end && (*p == ' ' || *p == '\t')) p++;
	bool neg = false;
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	uint64_t mant = 0;
	int digits = 0, frac = 0, sig = 0, scale = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (sig < 19) {
			mant = mant * 10 + (uint64_t)(*p - '0');
			if (mant) sig++;
		} else {
			scale++; /* integer digits past the precision: keep magnitude */
		}
		digits++;
		p++;
	}
	if (p < end && *p == '.') {
		const char *q = p + 1;
		while (q < end && *q >= '0' && *q <= '9') {
			if (sig < 19) {
				mant = mant * 10 + (uint64_t)(*q - '0');
				if (mant) sig++;
				frac++;
			}
			digits++;
			q++;
		}
		p = q;
	}
	if (!digits) return false;
	double v = (double)mant;
	int e = scale - frac;
	while (e > 0) {
		int k = e > 22 ? 22 : e;
		v *= pow10_tab[k];
		e -= k;
	}
	while (e < 0) {
		int k = -e > 22 ? 22 : -e;
		v /= pow10_tab[k];
		e += k;
	}
	*out = neg ? -v : v;
	if (next) *next = p;
	return true;
}

bool dv__num_parse_str(const char *s, double *out)
{
	const char *end = s;
	while (*end) end++;
	const char *next;
	if (!dv__num_parse(s, end, out, &next)) return false;
	while (next < end && (*next == ' ' || *next == '\t' || *next == '\n' || *next == '\r')) next++;
	return next == end;
}

int dv__open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) return dv_error_errno(errno, path, -1, "cannot open");
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return dv_error_errno(e, path, -1, "cannot stat");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return dv_error_set(DV_EINVAL, path, -1, "not a regular file");
	}
	/* regular files ignore O_NONBLOCK; clear it anyway for clarity */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}
