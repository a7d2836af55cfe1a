/* fuzz_serve_route - the request router of dronevault serve on any path
 * bytes: whatever it accepts must be free of the traversal characters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
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
