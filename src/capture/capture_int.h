/*
 * capture/capture_int.h - shared by the frame source backends.
 */
#ifndef DV_CAPTURE_CAPTURE_INT_H
#define DV_CAPTURE_CAPTURE_INT_H

#include <stdint.h>

#include "dv/capture.h"

/* A capture time from seconds and nanoseconds, clamped to 1970..2096
 * (an out-of-range fraction counts as 0). */
int64_t dv__capture_ts_ns(int64_t sec, int64_t frac_ns);

#endif
