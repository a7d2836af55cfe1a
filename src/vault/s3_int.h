/*
 * s3_int.h - what the S3 blob backend (blobstore_s3.c) parses from a server's
 * answers (s3_xml.c): hostile bytes, read through dv_rd with every length
 * capped. The server never sees a key, and a blob it returns is
 * authenticated by the front end (blobstore.c); what these parsers take
 * from it is only an error code, an upload id, or object names to list.
 */
#ifndef DV_S3_INT_H
#define DV_S3_INT_H

#include <stddef.h>
#include <stdint.h>

#define DV_S3_XML_MAX (4u << 20)   /* the most of an answer body that is kept */
#define DV_S3_VALUE_MAX 1024       /* the longest element value taken */

/*
 * The text of the first <tag>...</tag> at or after *pos in xml[0, len): its
 * bytes are copied to out (NUL-terminated, at most size - 1 bytes; longer is
 * DV_ECORRUPT) and *pos moves past the closing tag. 1 when found, 0 when not,
 * < 0 on a malformed or oversized element. Entities &amp; &lt; &gt; &quot;
 * &apos; are decoded; any other '&' is DV_ECORRUPT. Attributes on the opening
 * tag are skipped; a nested element of the same name is not looked into.
 */
int dv_s3_xml_text(char *out, size_t size, const char *xml, size_t len, size_t *pos, const char *tag);

/* <Error><Code>..</Code>: code (empty when none). */
void dv_s3_xml_error_code(char *code, size_t size, const char *xml, size_t len);

/*
 * A ListObjects (version 1) answer: fn gets every <Key> in order (non-zero
 * return stops and is returned); *truncated is 1 when <IsTruncated>true.
 * *last gets the last key (the next marker; size >= DV_S3_VALUE_MAX).
 * Returns 0 or the failure; at most 100000 keys per answer.
 */
int dv_s3_xml_list(const char *xml, size_t len, int *truncated, char *last, size_t last_size,
                   int (*fn)(const char *key, void *payload), void *payload);

/*
 * A ListParts answer: fn gets each part's number (1..10000), ETag (as sent,
 * quotes and all) and size (at most 5 GiB) in order (non-zero return stops
 * and is returned); *truncated is 1 when <IsTruncated>true, *next the
 * NextPartNumberMarker (0 when none). Returns 0 or the failure.
 */
int dv_s3_xml_parts(const char *xml, size_t len, int *truncated, uint64_t *next,
                    int (*fn)(uint64_t number, const char *etag, uint64_t size, void *payload), void *payload);

/* "2026-12-02T09:07:12.000000000Z" (or without the fraction) to ns since the epoch; -1 when malformed
 * or outside 1970..2200 (ns in an int64 end in 2262). */
int64_t dv_s3_parse_time(const char *s);
/* ns since the epoch to "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void dv_s3_format_time(char out[21], int64_t ns);

#endif
