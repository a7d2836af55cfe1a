#include "dv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/err.h"

void dv_hex(char *out, const void *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = in;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int dv_unhex(void *out, size_t n, const char *s)
{
	uint8_t *b = out;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]);
		int lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return dv_error_set(DV_EINVAL, NULL, -1, "bad hex digit at %zu", 2 * i);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (s[2 * n] != '\0')
		return dv_error_set(DV_EINVAL, NULL, -1, "hex string longer than %zu bytes", n);
	return 0;
}

int dv_unhex_canonical(void *out, size_t n, const char *s)
{
	for (size_t i = 0; i < 2 * n && s[i]; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			return dv_error_set(DV_EINVAL, NULL, -1, "upper-case hex digit at %zu (dronevault writes lower case)", i);
	return dv_unhex(out, n, s);
}

int dv_grow(void *items, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap) return 0;
	size_t want = *cap ? *cap : (first ? first : 16);
	while (want <= n) {
		if (want > SIZE_MAX / 2) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (an array of %zu elements)", n);
		want *= 2;
	}
	if (elem && want > SIZE_MAX / elem) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (an array of %zu elements)", n);
	void **pp = items;
	void *p = realloc(*pp, want * elem);
	if (!p) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	*pp = p;
	*cap = want;
	return 0;
}

int dv_url_origin_parse(dv_url_origin *o, const char *url, const char *what, size_t max_host, bool allow_ipv6)
{
	memset(o, 0, sizeof(*o));
	if (!url) return dv_error_set(DV_EINVAL, NULL, -1, "%s: no URL", what);
	if (!strncmp(url, "https://", 8)) {
		o->https = true;
		o->host = url + 8;
	} else if (!strncmp(url, "http://", 7)) {
		o->host = url + 7;
	} else {
		return dv_error_set(DV_EINVAL, url, -1, "%s must start with https:// (http:// only on loopback)", what);
	}
	const char *h = o->host;
	size_t hl;
	if (h[0] == '[') {
		if (!allow_ipv6) return dv_error_set(DV_EINVAL, url, -1, "%s: a host name or IPv4 address, not an IPv6 literal", what);
		hl = strcspn(h, "]/");
		if (h[hl] != ']' || hl < 3 || strspn(h + 1, "0123456789abcdefABCDEF:.") != hl - 1)
			return dv_error_set(DV_EINVAL, url, -1, "%s: malformed IPv6 address", what);
		hl++;
	} else {
		hl = strcspn(h, ":/");
		for (size_t i = 0; i < hl; i++)
			if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '.' ||
			      h[i] == '-'))
				return dv_error_set(DV_EINVAL, url, -1, "%s: the host takes letters, digits, '.' and '-' only", what);
	}
	if (hl == 0 || hl > max_host) return dv_error_set(DV_EINVAL, url, -1, "%s: no host name (1 to %zu characters)", what, max_host);
	o->host_len = hl;
	const char *p = h + hl;
	if (*p == ':') {
		size_t pl = strspn(p + 1, "0123456789");
		long port = pl && pl <= 5 ? strtol(p + 1, NULL, 10) : 0;
		if (port < 1 || port > 65535) return dv_error_set(DV_EINVAL, url, -1, "%s: a port of 1 to 65535", what);
		o->port = port;
		p += 1 + pl;
	}
	if (*p && *p != '/') return dv_error_set(DV_EINVAL, url, -1, "%s: '%c' after the host", what, *p);
	o->rest = p;
	o->loopback = (hl == 9 && !strncmp(h, "localhost", 9)) || (hl == 5 && !strncmp(h, "[::1]", 5)) ||
	              (hl >= 7 && !strncmp(h, "127.", 4) && strspn(h, "0123456789.") == hl);
	return 0;
}

int64_t dv_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void dv_time_iso(char *buf, size_t size, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	long ms = (long)((ns % 1000000000) / 1000000);
	if (ns < 0 && ns % 1000000000) {
		s -= 1;
		ms = (long)((1000000000 + ns % 1000000000) / 1000000);
	}
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int dv_write_new_at(int dfd, const char *name, const void *p, size_t n, const char *what)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) return dv_error_errno(errno, name, -1, "cannot create %s", what);
	int rc = dv_write_all(fd, p, n, name);
	if (rc == 0) rc = dv_fsync(fd, name);
	close(fd);
	return rc;
}

int dv_write_all(int fd, const void *buf, size_t n, const char *path)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR) continue;
			return dv_error_errno(errno, path, -1, "cannot write");
		}
		if (w == 0)
			return dv_error_set(DV_EIO, path, -1, "cannot write: no progress");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int dv_pread_full(int fd, void *buf, size_t n, int64_t off, size_t *got, const char *path)
{
	uint8_t *p = buf;
	size_t done = 0;
	/* *got is set on every path: on an error it says how much was read
	 * before it, so no caller ever reads it uninitialised. */
	*got = 0;
	while (done < n) {
		ssize_t r = pread(fd, p + done, n - done, (off_t)(off + (int64_t)done));
		if (r < 0) {
			if (errno == EINTR) continue;
			*got = done;
			return dv_error_errno(errno, path, off + (int64_t)done, "cannot read");
		}
		if (r == 0) break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int dv_fsync(int fd, const char *path)
{
	if (fsync(fd) < 0)
		return dv_error_errno(errno, path, -1, "cannot fsync");
	return 0;
}

int dv_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return dv_error_errno(errno, dir, -1, "cannot open directory");
	int rc = dv_fsync(fd, dir);
	close(fd);
	return rc;
}

int dv_mkdir_p(const char *path)
{
	char buf[4096];
	if (dv_pathf(buf, sizeof(buf), "%s", path) < 0) return DV_EINVAL;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return dv_error_errno(errno, buf, -1, "cannot create directory");
			*p = c;
			if (c == '\0') break;
		}
	}
	return 0;
}

int dv_read_file(uint8_t **out, size_t *len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dv_error_errno(errno, path, -1, "cannot open");
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return dv_error_errno(e, path, -1, "cannot stat");
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return dv_error_set(DV_ENOMEM, path, -1, "file is %lld bytes, more than the %zu allowed",
		                    (long long)st.st_size, max);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n + 1);
	if (!buf) {
		close(fd);
		return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	}
	size_t got;
	int rc = dv_pread_full(fd, buf, n, 0, &got, path);
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int dv_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode)
{
	char tmp[4096], dir[4096];
	if (dv_pathf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) < 0 ||
	    dv_pathf(dir, sizeof(dir), "%s", path) < 0)
		return DV_EINVAL;
	char *slash = strrchr(dir, '/');
	if (slash) *slash = '\0';
	else strcpy(dir, ".");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return dv_error_errno(errno, tmp, -1, "cannot create");
	int rc = dv_write_all(fd, buf, n, tmp);
	if (rc == 0) rc = dv_fsync(fd, tmp);
	if (close(fd) < 0 && rc == 0)
		rc = dv_error_errno(errno, tmp, -1, "cannot close");
	if (rc == 0 && rename(tmp, path) < 0)
		rc = dv_error_errno(errno, path, -1, "cannot rename into place");
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return dv_fsync_dir(dir);
}

bool dv_path_is_safe_relative(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/')
		return false;
	const char *seg = rel;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);
			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0') break;
			seg = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

int dv_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return dv_error_set(DV_EINVAL, buf, -1, "path too long");
	return 0;
}

size_t dv_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	size_t k = n < size ? n : size - 1;
	memcpy(dst, src, k);
	dst[k] = '\0';
	return n;
}

/* Length of the valid, non-C1 UTF-8 sequence at p (0 when it is not one). */
static size_t utf8_ok(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
	else return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

size_t dv_escape_term(char *out, size_t size, const char *s)
{
	size_t len = 0;
	bool full = false;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		char tmp[8];
		size_t k, adv = 1;
		unsigned char c = *p;
		if (c == '\\') k = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (c == '\n') k = (size_t)snprintf(tmp, sizeof(tmp), "\\n");
		else if (c == '\t') k = (size_t)snprintf(tmp, sizeof(tmp), "\\t");
		else if (c == '\r') k = (size_t)snprintf(tmp, sizeof(tmp), "\\r");
		else if (c == 0x1b) k = (size_t)snprintf(tmp, sizeof(tmp), "\\e");
		else if (c < 0x20 || c == 0x7f) k = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (c < 0x80) tmp[0] = (char)c, k = 1;
		else if ((adv = utf8_ok(p)) > 0) memcpy(tmp, p, adv), k = adv;
		else adv = 1, k = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		if (!full && len + k < size) memcpy(out + len, tmp, k);
		else if (!full) {
			full = true;
			if (size) out[len] = '\0';
		}
		len += k;
		p += adv;
	}
	if (!full && size) out[len] = '\0';
	return len;
}

char *dv_escape_term_dup(const char *s)
{
	char one;
	size_t n = dv_escape_term(&one, 1, s);
	char *out = malloc(n + 1);
	if (out) dv_escape_term(out, n + 1, s);
	return out;
}
