/*
 * capture/capture_int.h - shared by the frame source backends.
 */
#ifndef DV_CAPTURE_CAPTURE_INT_H
#define DV_CAPTURE_CAPTURE_INT_H

#include <stdint.h>

#include "dv/capture.h"

/* A capture time from seconds and nanoseconds, clamped to 1970..2096
 * (an out-of-range fraction counts as 0). */
static inline int64_t dv__capture_ts_ns(int64_t sec, int64_t frac_ns)
{
	/* Hostile files carry any time: clamp so that nanoseconds and
	 * differences of them stay inside int64. */
	if (sec < 0) sec = 0;
	if (sec > 4000000000) sec = 4000000000;
	if (frac_ns < 0 || frac_ns > 999999999) frac_ns = 0;
	return sec * 1000000000 + frac_ns;
}

#endif
