/*
 * dv/export.h - writes a case's files back out, bit for bit.
 *
 * Files go to DEST with their original relative paths (under ingest-N/ when
 * the case holds more than one ingest), each decrypted, re-hashed against
 * the catalog and fsynced, with its original modification time. DEST gets a
 * SHA256SUMS that `sha256sum -c` accepts. The export is recorded in the
 * custody log. DEST must not exist or be empty; nothing is overwritten.
 */
#ifndef DV_EXPORT_H
#define DV_EXPORT_H

#include <signal.h>
#include <stdint.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_export_opts {
	const char *case_name;
	const char *dest;
	const char *operator_name;
	void (*progress)(uint64_t files_done, uint64_t files_total, uint64_t bytes_done, uint64_t bytes_total,
	                 void *payload);
	void *payload;
	volatile sig_atomic_t *interrupted;
} dv_export_opts;

typedef struct dv_export_result {
	uint64_t files;
	uint64_t bytes;
	uint64_t ingests;
	uint8_t sums_sha256[32];  /* SHA-256 of the SHA256SUMS file */
	uint64_t log_seq;
	double seconds;
} dv_export_result;

int dv_export(dv_vault *v, const dv_export_opts *opts, dv_export_result *res);

#ifdef __cplusplus
}
#endif
#endif
