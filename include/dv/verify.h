/*
 * dv/verify.h - proves a vault is intact, or names every problem.
 *
 * Checks, in order: the custody log (structure, sequence, chain, every
 * signature, every body) and that its last entry is the one the catalog
 * recorded; the catalog (SQLite integrity, every sealed row); that each
 * completed ingest's files still hash to the manifest digest its custody
 * entry recorded; and every blob: decrypted, authenticated chunk by chunk,
 * re-hashed, matched to its name and catalog rows.
 *
 * It runs beside a writer (an ingest): it checks one snapshot of the
 * catalog and the log up to that snapshot's head, exactly; the log's
 * entries after it are still checked, and they and the open ingest are
 * counted as in progress, not as problems.
 */
#ifndef DV_VERIFY_H
#define DV_VERIFY_H

#include <signal.h>
#include <stdint.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_verify_opts {
	const char *case_name;   /* NULL: the whole vault */
	void (*problem)(const char *message, void *payload);
	void (*note)(const char *message, void *payload);   /* not a problem */
	void (*progress)(uint64_t bytes_done, uint64_t bytes_total, void *payload);
	void *payload;
	volatile sig_atomic_t *interrupted;
	/* a head recorded earlier ('dronevault log --head', lowercase hex, at
	 * least 16 digits of the 64): a problem unless the log still holds it
	 * (with case_name: that case's head, else the vault's) */
	const char *head;
} dv_verify_opts;

typedef struct dv_verify_result {
	uint64_t log_entries;
	uint64_t ingests;
	uint64_t files;
	uint64_t blobs;
	uint64_t bytes;
	uint64_t problems;
	uint64_t orphans;        /* blob files no row refers to (harmless leftovers) */
	uint64_t in_progress;    /* open ingests and log entries of a writer at work (not problems) */
	uint64_t exports_unfinished; /* export.start entries nothing closed: killed exports (notes) */
	double seconds;
} dv_verify_result;

/*
 * The telemetry digest of an ingest: SHA-256 over a line per derived row
 * ("file id, table, SHA-256 of the row, path", telemetry and points tables,
 * files in catalog order). The "ingest" custody entry records it as
 * telemetry_sha256 (and a telemetry.reindex entry when reindex re-derives
 * it), so verify catches a derived row deleted, dropped or altered.
 */
int dv_telemetry_digest(uint8_t out[32], uint64_t *rows, dv_catalog *cat, int64_t ingest_id);
/* The same lines without the file ids ("table, SHA-256 of the row, path"):
 * equal for two vaults holding the same rows under other ids (migrate and
 * sync compare a copy with its source by it). */
int dv_telemetry_content_digest(uint8_t out[32], dv_catalog *cat, int64_t ingest_id);

/* Returns 0 when the checks ran (res->problems says what they found). */
int dv_verify(dv_vault *v, const dv_verify_opts *opts, dv_verify_result *res);

#ifdef __cplusplus
}
#endif
#endif
