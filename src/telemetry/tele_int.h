/*
 * tele_int.h - helpers shared inside the telemetry area (not public).
 */
#ifndef DV_TELE_INT_H
#define DV_TELE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses a decimal number at s (at most end - s bytes): optional spaces,
 * optional sign ('+' kept by DJI), digits, optional '.' and digits. No
 * exponent, no locale, no strtod. At most 19 significant digits are used.
 * On success *out is the value, *next (may be NULL) the first byte not
 * used, and the result is true; false when no digit is found.
 */
bool dv__num_parse(const char *s, const char *end, double *out, const char **next);

/* The same for a NUL-terminated string that must hold only the number
 * (surrounding spaces allowed). */
bool dv__num_parse_str(const char *s, double *out);

/*
 * Opens path for reading without ever blocking (O_NONBLOCK, so a FIFO does
 * not wait for a writer) and refuses anything but a regular file. Returns
 * the fd, or a negative dv_code with the error set.
 */
int dv__open_regular(const char *path);

#endif
