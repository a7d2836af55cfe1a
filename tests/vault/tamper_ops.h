/*
 * tests/vault/tamper_ops.h - edits a catalog behind the front end's back,
 * through a backend's operations table only (never its SQL), so the same
 * tamper scenarios can run against every catalog backend. Tests only.
 */
#ifndef DV_TESTS_TAMPER_OPS_H
#define DV_TESTS_TAMPER_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "dv/catalog.h"

typedef struct tamper {
	const dv_catalog_backend_ops *ops;
	dv_catalog_backend *be;
} tamper;

/* Opens a catalog's backend ("sqlite": path is catalog.db; "postgresql":
 * path is the connection string). */
int tamper_open(tamper *t, const char *backend, const char *path);
void tamper_close(tamper *t);
/* "files" -> DV_CT_FILES, "side_points" -> DV_CT_SIDE + "points". */
int tamper_table(const char *name, dv_catalog_table *t, const char **side);

/* Row `to` gets row `from`'s sealed record (clear columns kept). */
int tamper_copy_sealed(tamper *t, dv_catalog_table tb, const char *side, int64_t from, int64_t to);
/* Flips bit 4 of the sealed record's byte at offset. */
int tamper_flip_sealed(tamper *t, dv_catalog_table tb, const char *side, int64_t id, size_t offset);
/* Sets a clear column: "state", "ref", "ref2". */
int tamper_set(tamper *t, dv_catalog_table tb, int64_t id, const char *column, int64_t value);
/* hex of sealed[offset, offset + len) into out (2 * len + 1 bytes). */
int tamper_sealed_hex(tamper *t, dv_catalog_table tb, const char *side, int64_t id, size_t offset, size_t len,
                      char *out);
int tamper_delete(tamper *t, dv_catalog_table tb, const char *side, int64_t id);

#endif
