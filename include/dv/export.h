/*
 * dv/export.h - writes a case's files back out, bit for bit.
 *
 * Files go to DEST with their original relative paths (under ingest-N/ when
 * the case holds more than one ingest), each decrypted, re-hashed against
 * the catalog and fsynced, with its original modification time. DEST gets a
 * SHA256SUMS that `sha256sum -c` accepts. DEST must not exist or be empty;
 * nothing is overwritten, and DEST itself is not followed if it is a link.
 *
 * Every file is exported: a path that cannot be recreated safely (control
 * bytes, absolute, "..", empty components, a component over 200 bytes, or
 * the package's own names SHA256SUMS / _dronevault_renamed*) is written as
 * _dronevault_renamed/NNNNNN-<cleaned last component>, and
 * _dronevault_renamed.json maps each one back to its original path (as JSON
 * and hex) and is listed in SHA256SUMS.
 *
 * Directories are created and opened one component at a time relative to
 * DEST's descriptor (mkdirat, openat O_NOFOLLOW | O_DIRECTORY), files
 * created relative to the last one with O_EXCL | O_NOFOLLOW; at the end
 * every path is walked again and must still name the file written, so a
 * directory swapped for a link mid-export makes it fail, never write
 * outside DEST. Files are file_mode (default 0600), directories file_mode
 * plus x where r is set (default 0700), umask notwithstanding.
 *
 * Custody: an "export.start" entry (destination, files and bytes planned)
 * is written before the first byte leaves, "export" (with start_entry) after
 * the last is durable; a failure or Ctrl-C after the start logs
 * "export.incomplete" / "export.interrupted". A start with none of those
 * after it is an export killed mid-way (verify reports it as a note).
 */
#ifndef DV_EXPORT_H
#define DV_EXPORT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

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
	unsigned file_mode;  /* permission bits of exported files; 0 = 0600 */
} dv_export_opts;

typedef struct dv_export_result {
	uint64_t files;
	uint64_t bytes;
	uint64_t ingests;
	uint8_t sums_sha256[32];  /* SHA-256 of the SHA256SUMS file */
	uint64_t log_seq;        /* the "export" entry */
	uint64_t start_seq;      /* the "export.start" entry */
	uint64_t renamed;        /* files written under a safe name */
	uint8_t renamed_map_sha256[32];  /* of _dronevault_renamed.json, when renamed */
	double seconds;
} dv_export_result;

int dv_export(dv_vault *v, const dv_export_opts *opts, dv_export_result *res);

/* Writes one SHA256SUMS line for name as coreutils' sha256sum writes it
 * (and 'sha256sum -c' reads it back): a name holding a backslash, newline or
 * carriage return gets a leading backslash and those characters escaped.
 * Every package dronevault writes lists its files this way. */
void dv_sha256sums_line(FILE *f, const uint8_t sha[32], const char *name);

#ifdef __cplusplus
}
#endif
#endif
