/* fuzz_capture_link - the shared link walk on one frame, and the records
 * frame source on a stream. The first byte picks the link type (its top
 * bit: the rest is a record stream instead of one frame). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/link_int.h"
#include "dv/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const int lt[] = { 0, 1, 12, 14, 101, 105, 108, 113, 127, 187, 192, 201, 228, 229, 251, 254, 256, 272, 276, 147 };
	if (n < 1) return 0;
	int dlt = lt[(d[0] & 0x7f) % (sizeof(lt) / sizeof(lt[0]))];
	/* a copy, so that a read past the frame is caught by ASan */
	size_t len = n - 1;
	uint8_t *p = malloc(len ? len : 1);
	if (!p) return 0;
	if (len) memcpy(p, d + 1, len);
	if (!(d[0] & 0x80)) {
		dv_link l;
		if (dv_link_walk(dlt, p, len, "fuzz", &l) == 0 && l.kind != DV_LINK_OTHER && l.body_len) {
			if (l.body < p || (size_t)(l.body - p) + l.body_len > len) abort();
			volatile uint8_t x = l.body[l.body_len - 1];
			(void)x;
		}
	} else {
		dv_capture *c;
		if (dv_capture_open_records(&c, p, len, dlt, "fuzz") == 0) {
			dv_frame f;
			while (dv_capture_next(c, &f) == 1) {
				dv_link l;
				if (f.caplen) {
					volatile uint8_t x = f.data[f.caplen - 1];
					(void)x;
				}
				(void)dv_link_walk(dlt, f.data, f.caplen, "fuzz", &l);
			}
			dv_capture_close(c);
		}
	}
	free(p);
	return 0;
}
