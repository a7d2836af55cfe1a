/*
 * dv/err.h - the one error type of libdronevault.
 *
 * Every fallible library function returns an int: 0 (DV_OK) on success or a
 * negative dv_code on failure. The details of the most recent failure on the
 * calling thread are kept in a thread-local dv_error that says which file,
 * which byte offset, and what was wrong:
 *
 *     if (dv_vault_open(&v, dir, &key) < 0)
 *         fprintf(stderr, "dronevault: %s\n", dv_error_text());
 *
 * The library never exits or aborts on bad input; only the CLI decides.
 * Messages follow git's wording rules: lower case, no full stop, what failed
 * first ("cannot open", "truncated header").
 */
#ifndef DV_ERR_H
#define DV_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dv_code {
	DV_OK = 0,
	DV_ERROR = -1,        /* generic failure */
	DV_EIO = -2,          /* a read or write failed (EIO and friends) */
	DV_ENOSPC = -3,       /* the disk holding the vault or target is full */
	DV_ECORRUPT = -4,     /* stored data fails an integrity check */
	DV_EBADKEY = -5,      /* wrong passphrase or key file */
	DV_ENOTFOUND = -6,    /* no such file, case, vault, ... */
	DV_EINVAL = -7,       /* bad argument or malformed input */
	DV_EINTR = -8,        /* stopped by the user (Ctrl-C) */
	DV_EEXIST = -9,       /* already exists */
	DV_ENOMEM = -10,      /* out of memory or over a size cap */
	DV_EUNSUPPORTED = -11,/* valid but not handled (format version, ...) */
	DV_ETRUNC = -12,      /* input ends before a field it announces */
	DV_EPERM = -13,       /* not allowed (permissions, sandbox, read-only) */
	DV_EBUSY = -14        /* the vault is locked by another process */
} dv_code;

#define DV_ERROR_PATH_MAX 512
#define DV_ERROR_MSG_MAX 768

typedef struct dv_error {
	dv_code code;                  /* what kind of failure */
	int64_t offset;                /* byte offset in path, or -1 */
	char path[DV_ERROR_PATH_MAX];  /* file it is about, or "" */
	char message[DV_ERROR_MSG_MAX];/* what was wrong */
} dv_error;

/*
 * Records an error for the calling thread and returns code, so that
 * `return dv_error_set(DV_EINVAL, path, off, "bad tag %u", t);` reads well.
 * path may be NULL, offset may be -1.
 */
int dv_error_set(dv_code code, const char *path, int64_t offset,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int dv_error_vset(dv_code code, const char *path, int64_t offset,
                  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * Like dv_error_set, for a failed system call: maps errnum to a dv_code
 * (ENOSPC -> DV_ENOSPC, ENOENT -> DV_ENOTFOUND, EIO -> DV_EIO, ...) and
 * appends strerror(errnum) to the message.
 */
int dv_error_errno(int errnum, const char *path, int64_t offset,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prepends context ("ingest DCIM/0001.JPG: ") to the current message. */
void dv_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error of this thread (borrowed; valid until the next set). */
const dv_error *dv_error_last(void);

/* "path: offset N: message" (parts left out when absent). Borrowed. */
const char *dv_error_text(void);

void dv_error_clear(void);

/* A short constant name for a code: "EIO", "ECORRUPT", ... */
const char *dv_code_name(int code);

#ifdef __cplusplus
}
#endif
#endif
