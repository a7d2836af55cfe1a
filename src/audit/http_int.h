/*
 * audit/http_int.h - the request line and Host header of a cleartext HTTP/1.x
 * request (also SSDP's M-SEARCH/NOTIFY over UDP), from the first bytes of a
 * client's segment.
 */
#ifndef DV_AUDIT_HTTP_INT_H
#define DV_AUDIT_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dv_http_req {
	char method[16];
	char uri[512];      /* request target as sent (cut at 511 bytes) */
	char host[256];     /* Host header value, "" when absent */
	char ua[128];       /* User-Agent, "" when absent */
	size_t header_len;  /* bytes up to and including the blank line, 0 if not seen */
	int64_t content_length; /* -1 when absent */
} dv_http_req;

/*
 * Parses p as the start of an HTTP request. 0 when the request line is
 * complete (headers may be cut: host stays "" then), DV_ENOTFOUND when p
 * does not start with a request line, DV_ETRUNC when the line is cut.
 */
/* (out is only filled when the request line is found: 0 or DV_ETRUNC.) */
int dv_http_parse_request(const uint8_t *p, size_t n, dv_http_req *out);

#endif
