/*
 * dv/blob.h - the content-addressed, encrypted blob store of a vault.
 *
 * Each distinct file content is stored once, as <vault>/blobs/XX/NAME where
 * NAME is hex(BLAKE2b-keyed(name key, "blob" || SHA-256(plaintext))) and XX
 * its first two digits. The name is keyed so that someone holding the vault
 * but not its key cannot test whether a known file is inside.
 *
 * Blob file format, version 1 (integers big-endian):
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      8    magic "DVBLOB\0\1"
 *   8      4    header size, 64
 *   12     4    chunk size C: plaintext bytes per chunk, 4 KiB .. 16 MiB
 *   16     8    plaintext size P
 *   24     32   salt (random); the blob's AES-256-GCM key is
 *               BLAKE2b-keyed(data key, salt)
 *   56     8    reserved, zero
 *   64     ...  n = max(1, ceil(P / C)) chunks, each min(C, P - i*C) bytes
 *               of ciphertext followed by a 16-byte GCM tag
 *
 * Chunk i uses the nonce 0x00000000 || i (u64) and the additional data
 * bytes 0..15 and 24..63 of the header followed by one byte, 1 for the last
 * chunk and 0 otherwise. P is covered because it fixes every chunk's length
 * and which chunk carries the final flag; the file's size must be exactly
 * 64 + P + 16n. So truncation, extension, reordering and bit flips are all
 * authentication failures. The header is written last (after the chunks),
 * so P is always the number of bytes actually read from the source.
 *
 * Durability: a blob is written under <vault>/tmp, fsynced, renamed into
 * place, and its directory fsynced before dv_blob_writer_commit returns.
 */
#ifndef DV_BLOB_H
#define DV_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/crypto.h"

#define DV_BLOB_HEADER_BYTES 64
#define DV_BLOB_NAME_HEX 64
#define DV_BLOB_CHUNK_DEFAULT (1u << 20)

typedef struct dv_blob_header {
	uint32_t chunk_size;        /* C */
	uint64_t size;              /* P */
	uint8_t salt[32];
} dv_blob_header;

/*
 * Parses and checks a blob header (the first 64 bytes of a blob file).
 * name is used in errors. Returns 0, DV_ETRUNC or DV_ECORRUPT.
 */
int dv_blob_header_parse(const uint8_t *buf, size_t len, const char *name, dv_blob_header *out);

/* 64 + P + 16n, or 0 if that overflows. */
uint64_t dv_blob_stored_size(const dv_blob_header *h);

typedef struct dv_blobstore {
	char dir[2048];                 /* <vault>/blobs */
	char tmpdir[2048];              /* <vault>/tmp */
	uint8_t name_key[DV_KEY_BYTES]; /* names blobs */
	uint8_t data_key[DV_KEY_BYTES]; /* derives per-blob keys */
	uint32_t chunk_size;            /* for new blobs */
} dv_blobstore;

/* Fills bs for a vault directory (creates blobs/ and tmp/ if missing). */
int dv_blobstore_init(dv_blobstore *bs, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                      const uint8_t data_key[DV_KEY_BYTES]);
/* Removes leftover temporary files from a crash. Returns how many. */
int dv_blobstore_clean_tmp(dv_blobstore *bs);

/* The blob name for a plaintext SHA-256 (65 bytes with NUL). */
void dv_blob_name(const dv_blobstore *bs, const uint8_t sha256[DV_SHA256_BYTES], char out[DV_BLOB_NAME_HEX + 1]);
/* <vault>/blobs/XX/NAME */
int dv_blob_path(const dv_blobstore *bs, const char *name, char *out, size_t size);
bool dv_blob_exists(const dv_blobstore *bs, const char *name);

typedef struct dv_blob_writer dv_blob_writer;

int dv_blob_writer_open(dv_blob_writer **out, dv_blobstore *bs);
int dv_blob_writer_write(dv_blob_writer *w, const void *data, size_t n);
/*
 * Finishes the blob: writes the header, fsyncs, renames it into place
 * (or drops it when a blob with the same content exists: *deduplicated),
 * fsyncs the directory. Frees w in all cases.
 */
int dv_blob_writer_commit(dv_blob_writer *w, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out,
                          bool *deduplicated);
/* Throws the temporary file away. Frees w. */
void dv_blob_writer_abort(dv_blob_writer *w);

/*
 * Group durability, for ingests of many files: dv_blob_writer_finish
 * completes a blob in tmp/ without syncing it and adds it to a batch;
 * dv_blob_batch_settle makes the whole batch durable at once (one syncfs
 * for the data, the renames, one syncfs for the directories) instead of two
 * fsyncs per file. Nothing in a batch may be referenced by committed
 * catalog rows before it settled. A crash before settling leaves only
 * tmp/ files, which dv_blobstore_clean_tmp removes.
 */
typedef struct dv_blob_batch {
	struct dv_blob_pending *items;
	size_t n, cap;
	uint64_t bytes;          /* bytes waiting to settle */
} dv_blob_batch;

int dv_blob_writer_finish(dv_blob_writer *w, dv_blob_batch *batch, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out, bool *deduplicated);
int dv_blob_batch_settle(dv_blobstore *bs, dv_blob_batch *batch);
/* Drops what did not settle (their tmp files are removed). */
void dv_blob_batch_dispose(dv_blob_batch *batch);

/* Receives plaintext in order while a blob is read. Non-zero stops. */
typedef int (*dv_blob_sink)(const uint8_t *data, size_t n, void *payload);

/*
 * Decrypts blob `name`, passing the plaintext to sink (may be NULL), and
 * checks it: every chunk authenticates and SHA-256(plaintext) names the
 * blob. DV_ECORRUPT (naming the blob file and offset) when not.
 */
int dv_blob_read(dv_blobstore *bs, const char *name, dv_blob_sink sink, void *payload,
                 uint8_t sha256_out[DV_SHA256_BYTES], uint64_t *size_out);

/* Calls fn for every stored blob name (for orphan checks). */
int dv_blob_foreach(dv_blobstore *bs, int (*fn)(const char *name, void *payload), void *payload);

#endif
