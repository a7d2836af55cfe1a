/*
 * tests/alloc/alloc_countdown.h - a test-only allocator countdown, as SQLite
 * (test_malloc.c) and curl (memdebug, "runtests.pl -t") do it.
 *
 * The test executable is linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * so every call from our objects and static archives (libdronevault's area
 * libraries) goes through the wrappers in alloc_countdown.c; calls inside
 * shared libraries (SQLite, json-c, libxml2, ...) are not counted. No
 * source file of the library changes.
 */
#ifndef DV_TEST_ALLOC_COUNTDOWN_H
#define DV_TEST_ALLOC_COUNTDOWN_H

#include <stdbool.h>

/* n > 0: the n-th allocation from now fails (returns NULL), once; every
 * other one succeeds. n = 0 disarms and resets. */
void dv_alloc_fail_after(long n);
/* Whether the armed failure has happened since dv_alloc_fail_after. */
bool dv_alloc_fail_hit(void);
/* Allocations counted since dv_alloc_fail_after. */
long dv_alloc_count(void);

#endif
