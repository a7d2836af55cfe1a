/*
 * tests/check.h - the unit-test harness: CHECK macros that count, name the
 * line, and make main() exit non-zero when anything failed.
 *
 *     int main(void) { CHECK(1 + 1 == 2); CHECK_EQ(x, 3); return check_done(); }
 *
 * Exit 77 (via check_skip) tells ctest the test was skipped, e.g. when
 * ../shared is absent.
 */
#ifndef DV_TEST_CHECK_H
#define DV_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"

static int check_passed, check_failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) check_passed++;                                        \
		else {                                                           \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
			        __LINE__, #cond);                                \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                           \
	do {                                                                     \
		long long va_ = (long long)(a), vb_ = (long long)(b);            \
		if (va_ == vb_) check_passed++;                                  \
		else {                                                           \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
			        __FILE__, __LINE__, #a, va_, #b, vb_);           \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *sa_ = (a), *sb_ = (b);                               \
		if (sa_ && sb_ && strcmp(sa_, sb_) == 0) check_passed++;         \
		else {                                                           \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", \
			        __FILE__, __LINE__, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
		}                                                                \
	} while (0)

/* a double within tolerance */
#define CHECK_NEAR(a, b, tol)                                                    \
	do {                                                                     \
		double da_ = (a), db_ = (b);                                     \
		if (da_ - db_ <= (tol) && db_ - da_ <= (tol)) check_passed++;    \
		else {                                                           \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s == %.9f, %s == %.9f\n", \
			        __FILE__, __LINE__, #a, da_, #b, db_);           \
		}                                                                \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : (check_passed ? 0 : 1);
}

static inline int check_skip(const char *why)
{
	printf("skipped: %s\n", why);
	return 77;
}

/* $DV_SHARED or NULL when the directory is absent. */
static inline const char *check_shared_dir(void)
{
	const char *s = getenv("DV_SHARED");
	if (!s || !*s) return NULL;
	FILE *f;
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/STYLE.md", s);
	f = fopen(probe, "r");
	if (!f) return NULL;
	fclose(f);
	return s;
}

#endif

#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under $DV_TMP (or /tmp); path written to buf. */
static inline const char *check_tmpdir(char *buf, size_t size, const char *tag)
{
	const char *base = getenv("DV_TMP");
	if (!base || !*base) base = "/tmp";
	mkdir(base, 0700);
	snprintf(buf, size, "%s/%s-XXXXXX", base, tag);
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		exit(1);
	}
	return buf;
}
