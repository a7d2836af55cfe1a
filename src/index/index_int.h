/*
 * index/index_int.h - the telemetry extraction as the sandboxed reader runs
 * it (dv-reader), one file at a time, its result sent to the parent as a
 * TELEMETRY frame: u32be JSON length, the JSON record, the packed points.
 * The parent's side is dv_index_observer (dv/index.h), which checks that
 * record before storing it.
 */
#ifndef DV_INDEX_INT_H
#define DV_INDEX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "privsep/privsep_int.h"

#define DV_INDEX_RECORD_JSON_MAX 65536

/* A per-file state, or NULL when the file holds nothing to index. */
void *dv_index_extract_begin(const char *path, uint64_t size);
/* The plaintext in order; non-zero means "seen enough". */
int dv_index_extract_data(void *x, const uint8_t *buf, size_t n);
/* Appends the record (see above) to out. */
int dv_index_extract_finish(void *x, dv_msg_buf *out);
void dv_index_extract_free(void *x);

#endif
