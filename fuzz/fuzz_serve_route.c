/* fuzz_serve_route - the request router of dronevault serve on any path
 * bytes: whatever it accepts must be free of the traversal characters; and
 * the Host header check on the same bytes: only our own names pass. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	/* the same bytes as a Host header: only our own names pass */
	if (dv_serve_host_ok((const char *)d, n, "192.0.2.7", 8750, false)) {
		static const char *const ok[] = { "127.0.0.1:8750", "localhost:8750", "[::1]:8750", "192.0.2.7:8750", NULL };
		bool same = false;
		for (int i = 0; ok[i] && !same; i++) same = strlen(ok[i]) == n && strncasecmp(ok[i], (const char *)d, n) == 0;
		if (!same) abort();
	}
	dv_serve_route r;
	dv_serve_route_parse(&r, (const char *)d, n);
	if (r.kind == DV_SERVE_ROUTE_NOTFOUND) return 0;
	if (n == 0 || n > DV_SERVE_ROUTE_MAX_PATH || d[0] != '/') abort();
	if (memchr(d, '%', n) || memchr(d, '\\', n) || memchr(d, '\0', n)) abort();
	for (size_t i = 0; i + 1 < n; i++)
		if (d[i] == '.' && d[i + 1] == '.') {
			/* only inside a name, never a ".." segment */
			if ((i == 0 || d[i - 1] == '/') && (i + 2 == n || d[i + 2] == '/')) abort();
		}
	if (r.kind == DV_SERVE_ROUTE_STATIC &&
	    (r.static_index < 0 || strlen(dv_static_files[r.static_index].url) != n ||
	     memcmp(dv_static_files[r.static_index].url, d, n) != 0))
		abort();
	if ((r.kind == DV_SERVE_ROUTE_CASE || r.kind == DV_SERVE_ROUTE_FILE_CONTENT) && r.id < 1) abort();
	if (r.kind == DV_SERVE_ROUTE_TRACK && r.flight[0] != 'F') abort();
	return 0;
}
