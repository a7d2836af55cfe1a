/*
 * dv/ingest.h - acquisition: a card, a directory or an image into a vault.
 *
 * Order of durability, per file: the blob is written to tmp/, fsynced,
 * renamed, its directory fsynced; then the catalog rows commit (in batches);
 * when every file is in, a custody entry records the ingest (files, bytes,
 * manifest digest, image hash); last, the catalog marks the ingest complete.
 * Killed at any point, a re-run of the same ingest (same case, same source)
 * skips the files already recorded, stores nothing twice, and finishes.
 *
 * The source is read, listed and parsed by the sandboxed reader helper
 * (dv-reader: no network, no exec, no writes; see docs/design.md), which
 * streams each file to this process; this process hashes, encrypts and
 * stores, and installs no policy of its own. The source is only ever
 * opened read-only.
 */
#ifndef DV_INGEST_H
#define DV_INGEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

typedef struct dv_ingest_progress {
	const char *phase;      /* "listing", "hashing image", "storing" */
	const char *path;       /* file being stored, or NULL */
	uint64_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
} dv_ingest_progress;

/*
 * Learns from each file's plaintext as it streams in, without a second
 * read (telemetry). The work on the bytes is done by the sandboxed reader
 * (what reader_flags asks for); the parent gets the reader's result for
 * each stored file and must treat it as hostile input. All optional.
 */
#define DV_INGEST_READ_TELEMETRY 1u
typedef struct dv_ingest_observer {
	uint32_t reader_flags;
	/* the reader's result for a file just stored as catalog row file_id
	 * (inside the open transaction); an error stops the ingest */
	int (*store)(dv_catalog *cat, int64_t file_id, const char *path, const uint8_t *result, size_t n,
	             void *payload);
	void *payload;
} dv_ingest_observer;

/*
 * A file whose bytes this process itself supplies (a live watch's rolling
 * capture, kept sealed on disk until it is stored): read() passes exactly
 * size bytes to sink, in order, and returns 0 (or a dv_code; a non-zero
 * return of sink is returned as it is). Nothing is parsed: no reader.
 */
typedef struct dv_ingest_stream {
	const char *name;                 /* stored under this name (printable, unique) */
	uint64_t size;
	int (*read)(void *ctx, int (*sink)(const uint8_t *data, size_t n, void *sp), void *sp);
	void *ctx;
} dv_ingest_stream;

typedef struct dv_ingest_opts {
	const char *source;               /* a directory, image or device; or */
	const char *const *files;         /* a list of single files (captures), */
	size_t nfiles;                    /* used when source is NULL; or */
	const dv_ingest_stream *streams;  /* files this process supplies (kind "files"), */
	size_t nstreams;                  /* used when source and files are NULL, */
	const char *stream_label;         /* recorded as their source ("watch eth0 ...") */
	const char *case_name;
	const char *operator_name;
	const char *note;                 /* may be NULL */
	/* called often (per chunk); keep it cheap */
	void (*progress)(const dv_ingest_progress *p, void *payload);
	/* a source file that could not be read (the ingest goes on) */
	void (*file_error)(const char *path, const char *message, void *payload);
	void *payload;
	volatile sig_atomic_t *interrupted; /* set by a signal handler: stop cleanly */
	const dv_ingest_observer *observer; /* may be NULL */
	/* Record a new ingest even when the same source with the identical
	 * manifest is already complete in the case (see already_complete). */
	bool again;
	/* An image's deleted files instead of its allocated ones, as an ingest
	 * of its own (kind "recovered"): never mixed with the allocated files.
	 * Its custody entry lists, per file, the bytes that lay in clusters
	 * still free ("recoverable") and whether some were reallocated. */
	bool recover_deleted;
} dv_ingest_opts;

/*
 * What one run did. Every file of the source is counted once:
 *   files_total = files_new + files_resumed + files_failed
 * files_new counts files recorded by this run, files_dedup those of them
 * whose content the vault already held (stored once, recorded again), so a
 * run "stored files_new - files_dedup new, files_dedup + files_resumed
 * already in the vault, files_failed failed". An entry that could not even
 * be listed (a path over 4095 bytes, directories nested deeper than 64) is
 * a failed file.
 *
 * already_complete: no open ingest of this source was found, and a
 * complete ingest of it in the case (ingest_id, log_seq, manifest: that
 * one's) has exactly the files read now, same paths and SHA-256 (an image:
 * the same image SHA-256): nothing was recorded, not even a custody entry;
 * files_resumed = files_total. opts.again records a new ingest anyway.
 */
typedef struct dv_ingest_result {
	int64_t ingest_id;
	bool resumed;              /* continued an interrupted ingest */
	bool complete;             /* every file is in and the custody entry is written */
	bool already_complete;     /* see above: nothing new recorded */
	bool sandboxed;            /* read by the sandboxed reader (dv-reader) */
	char kind[16];
	char fs_type[32];
	uint64_t files_total;      /* regular files in the source */
	uint64_t files_new;        /* stored in this run */
	uint64_t files_resumed;    /* already stored by an earlier run */
	uint64_t files_dedup;      /* content was already in the vault */
	uint64_t files_failed;
	uint64_t specials_skipped; /* links, devices, ... */
	uint64_t bytes_total;
	uint64_t bytes_read;       /* read from the source in this run */
	bool has_image_hash;
	uint8_t image_sha256[32];  /* of the image file's bytes as they are (an E01: the container) */
	uint64_t image_size;
	/* an E01 image: "e01" (else "raw" for images, "" otherwise), the MD5 and
	 * SHA-1 it carries ("" when none) and whether each matches its media
	 * data as read (an E01 whose hashes do not match is refused) */
	char image_format[8];
	char ewf_md5[33], ewf_sha1[41];
	bool ewf_md5_verified, ewf_sha1_verified;
	uint64_t files_reallocated; /* recover_deleted: files with clusters now another file's */
	uint8_t manifest[32];
	uint64_t log_seq;          /* the custody entry that recorded it */
	double seconds;
} dv_ingest_result;

int dv_ingest(dv_vault *v, const dv_ingest_opts *opts, dv_ingest_result *res);

/*
 * Stores files a conclusion was drawn from (packet captures, reports) into
 * a case as an ingest of kind "files", then appends a custody entry
 * {action, case, operator, ingest, files:[{path, sha256, bytes}], and every
 * key of detail} (detail borrowed, may be NULL). *log_seq is that entry.
 */
int dv_ingest_evidence(dv_vault *v, const dv_ingest_opts *opts, const char *action,
                       struct json_object *detail, dv_ingest_result *res, uint64_t *log_seq);

/*
 * The manifest digest of an ingest: SHA-256 of its files' "sha256  path\n"
 * lines sorted by path (the SHA256SUMS text). It is recorded in the custody
 * log, so verify can prove the catalog still lists exactly those files.
 */
int dv_ingest_manifest(dv_catalog *cat, int64_t ingest_id, uint8_t out[32], uint64_t *files,
                       uint64_t *bytes);

/*
 * Verified wipe of a source after its acquisition (ingest ingest_id of the
 * case, complete, of this very source). Refused unless every file of the
 * ingest is in the vault and verifies (full read, SHA-256), and
 *  - a directory: every file the source holds now is one of the ingest's,
 *    with the same SHA-256 (read through the sandboxed reader); then each
 *    is overwritten with zeros, fsynced, read back (all zeros) and removed;
 *  - a block device: the case also holds a complete recovery of its deleted
 *    files (ingest --recover-deleted) of the same image, and the device
 *    still hashes to the image SHA-256 recorded; then the whole device is
 *    discarded (BLKSECDISCARD, else BLKDISCARD) and read back, and
 *    overwritten with zeros when it does not read back as zeros.
 * A custody entry "wipe" records what was done and the read-back proof
 * (also for a wipe that failed half way). Confirmation is the caller's.
 */
typedef struct dv_wipe_opts {
	const char *source;
	const char *case_name;
	int64_t ingest_id;
	const char *operator_name;
	volatile sig_atomic_t *interrupted;
} dv_wipe_opts;

typedef struct dv_wipe_result {
	char kind[32];               /* "directory" or "image" */
	uint64_t files, bytes;       /* wiped */
	char method[64];
	bool readback_zero;          /* every byte read back was 0 */
	uint8_t readback_sha256[32]; /* a device: SHA-256 of what was read back */
	uint64_t log_seq;
} dv_wipe_result;

int dv_wipe_source(dv_vault *v, const dv_wipe_opts *opts, dv_wipe_result *res);

#ifdef __cplusplus
}
#endif
#endif
