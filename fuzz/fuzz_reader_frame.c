/* Fuzzes what the parent decodes from the sandboxed reader: the first byte
 * picks the phase, the rest is the stream of frames, each checked against
 * the phase's table and its body decoded as the parent does. */
#include <stdint.h>
#include <string.h>

#include "privsep/privsep_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const dv_phase *const phases[] = { &dv_phase_hello, &dv_phase_open, &dv_phase_list, &dv_phase_read };
	if (size < 1) return 0;
	const dv_phase *ph = phases[data[0] % 4];
	dv_rd s = dv_rd_init(data + 1, size - 1, "fuzz", 1);
	uint32_t seen = 0;
	while (dv_rd_left(&s) >= DV_FRAME_HDR) {
		const uint8_t *h;
		uint8_t type;
		uint32_t len;
		(void)dv_rd_view(&s, DV_FRAME_HDR, &h);
		if (dv_frame_check(h, ph, &seen, (uint64_t)dv_rd_offset(&s), &type, &len) < 0) break;
		dv_rd p;
		if (dv_rd_sub(&s, len, &p) < 0) break;
		char a[DV_MSG_STR_MAX];
		dv_msg_file f;
		uint64_t u;
		uint8_t ok;
		switch (type) {
		case DV_MSG_FILE: (void)dv_msg_file_decode(&p, &f); break;
		case DV_MSG_ERROR: (void)dv_msg_error_decode(&p); break;
		case DV_MSG_INFO:
			if (dv_msg_get_str(&p, a, 16, "kind") == 0 && dv_msg_get_str(&p, a, 32, "fs") == 0 &&
			    dv_msg_get_str(&p, a, 64, "label") == 0 && dv_rd_u64be(&p, &u) == 0 && dv_rd_left(&p))
				for (int k = 0; k < 5 && dv_msg_get_str(&p, a, 41, "hash") == 0; k++) {}
			break;
		case DV_MSG_FILE_FAILED: {
			char m[DV_MSG_STR_MAX];
			(void)dv_msg_failed_decode(&p, a, sizeof(a), m, sizeof(m));
			break;
		}
		case DV_MSG_RECOVERY:
			if (dv_rd_u64be(&p, &u) == 0) (void)dv_rd_u8(&p, &ok);
			break;
		case DV_MSG_FILE_END:
			if (dv_rd_u8(&p, &ok) == 0) (void)dv_msg_get_str(&p, a, sizeof(a), "message");
			break;
		case DV_MSG_LIST_END:
			if (dv_rd_u64be(&p, &u) == 0) (void)dv_rd_u64be(&p, &u);
			break;
		default: break;
		}
		(void)dv_msg_path_clean(a[0] && memchr(a, 0, sizeof(a)) ? a : "x");
	}
	return 0;
}
