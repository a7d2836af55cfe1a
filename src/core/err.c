#include "dv/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local dv_error last_error;
static _Thread_local char last_text[DV_ERROR_PATH_MAX + DV_ERROR_MSG_MAX + 64];

int dv_error_vset(dv_code code, const char *path, int64_t offset,
                  const char *fmt, va_list ap)
{
	last_error.code = code;
	last_error.offset = offset;
	snprintf(last_error.path, sizeof(last_error.path), "%s", path ? path : "");
	vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
	return code;
}

int dv_error_set(dv_code code, const char *path, int64_t offset,
                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dv_error_vset(code, path, offset, fmt, ap);
	va_end(ap);
	return code;
}

static dv_code code_for_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return DV_ENOSPC;
	case ENOENT:
	case ENOTDIR:
		return DV_ENOTFOUND;
	case EEXIST:
		return DV_EEXIST;
	case EACCES:
	case EPERM:
	case EROFS:
		return DV_EPERM;
	case ENOMEM:
		return DV_ENOMEM;
	case EINTR:
		return DV_EINTR;
	case EINVAL:
		return DV_EINVAL;
	case EWOULDBLOCK:
		return DV_EBUSY;
	default:
		return DV_EIO;
	}
}

int dv_error_errno(int errnum, const char *path, int64_t offset,
                   const char *fmt, ...)
{
	char what[DV_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return dv_error_set(code_for_errno(errnum), path, offset, "%s: %s",
	                    what, strerror(errnum));
}

void dv_error_prefix(const char *fmt, ...)
{
	char pre[DV_ERROR_MSG_MAX], old[DV_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, last_error.message, sizeof(old));
	/* truncation is fine: the message is for people */
	size_t np = strnlen(pre, sizeof(pre) - 1), no = strnlen(old, sizeof(old) - 1);
	if (np + no >= sizeof(last_error.message))
		no = sizeof(last_error.message) - 1 - np;
	memcpy(last_error.message, pre, np);
	memcpy(last_error.message + np, old, no);
	last_error.message[np + no] = '\0';
}

const dv_error *dv_error_last(void)
{
	return &last_error;
}

const char *dv_error_text(void)
{
	const dv_error *e = &last_error;
	int n = 0;
	size_t cap = sizeof(last_text);
	last_text[0] = '\0';
	if (e->path[0])
		n = snprintf(last_text, cap, "%s: ", e->path);
	if (e->offset >= 0 && n >= 0 && (size_t)n < cap)
		n += snprintf(last_text + n, cap - (size_t)n, "offset %lld: ",
		              (long long)e->offset);
	if (n >= 0 && (size_t)n < cap)
		snprintf(last_text + n, cap - (size_t)n, "%s",
		         e->message[0] ? e->message : "unknown error");
	return last_text;
}

void dv_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
	last_error.offset = -1;
}

const char *dv_code_name(int code)
{
	switch (code) {
	case DV_OK: return "OK";
	case DV_ERROR: return "ERROR";
	case DV_EIO: return "EIO";
	case DV_ENOSPC: return "ENOSPC";
	case DV_ECORRUPT: return "ECORRUPT";
	case DV_EBADKEY: return "EBADKEY";
	case DV_ENOTFOUND: return "ENOTFOUND";
	case DV_EINVAL: return "EINVAL";
	case DV_EINTR: return "EINTR";
	case DV_EEXIST: return "EEXIST";
	case DV_ENOMEM: return "ENOMEM";
	case DV_EUNSUPPORTED: return "EUNSUPPORTED";
	case DV_ETRUNC: return "ETRUNC";
	case DV_EPERM: return "EPERM";
	case DV_EBUSY: return "EBUSY";
	default: return "?";
	}
}
