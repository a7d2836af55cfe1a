#include "core/rd_int.h"

int dv_rd_short(const dv_rd *r, size_t want, const char *what)
{
	return dv_error_set(DV_ETRUNC, r->name, dv_rd_offset(r),
	                    "truncated: %s needs %zu bytes, %zu left",
	                    what, want, dv_rd_left(r));
}
