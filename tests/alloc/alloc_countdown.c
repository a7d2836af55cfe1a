/* The wrappers behind alloc_countdown.h (see there for how they are linked). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_countdown.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Single-threaded tests only: the countdown is one global. */
static long fail_at;  /* 0: disarmed */
static long counted;
static bool hit;

void dv_alloc_fail_after(long n)
{
	fail_at = n > 0 ? n : 0;
	counted = 0;
	hit = false;
}

bool dv_alloc_fail_hit(void)
{
	return hit;
}

long dv_alloc_count(void)
{
	return counted;
}

/* true: this allocation is the one that fails */
static bool fail_now(void)
{
	if (!fail_at) return false;
	if (++counted != fail_at) return false;
	hit = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

/* A failing realloc leaves p allocated and untouched, as realloc does. */
void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}
