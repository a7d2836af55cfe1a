/*
 * dv/blob.h - the content-addressed, encrypted blob store of a vault, and
 * the operations table a storage backend implements.
 *
 * Each distinct file content is stored once under the name
 * NAME = hex(BLAKE2b-keyed(name key, "blob" || SHA-256(plaintext))). The
 * name is keyed so that someone holding the vault but not its key cannot
 * test whether a known file is inside. The folder backend keeps a blob in
 * <vault>/blobs/XX/NAME (XX its first two digits).
 *
 * Blob format, version 2 (integers big-endian; src/vault/blob_format.c),
 * written by this build:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      8    magic "DVBLOB\0\2"
 *   8      4    header size H, 96
 *   12     4    chunk size C: plaintext bytes per chunk, 4 KiB .. 16 MiB
 *   16     32   salt (random); the blob's AES-256-GCM key is
 *               BLAKE2b-keyed(data key, salt)
 *   48     8    reserved, zero
 *   56     32   sealed size: AES-256-GCM (nonce 0xffffffff || 0, additional
 *               data bytes 0..55) of 16 bytes: plaintext size P (u64), zero
 *               (u64); then its 16-byte tag
 *   88     8    reserved, zero
 *   96     ...  n = max(1, ceil(L / C)) chunks, each min(C, L - i*C) bytes of
 *               ciphertext followed by a 16-byte GCM tag
 *
 * The chunks hold L = padme(P) bytes: the content, then L - P zero bytes
 * (Padme padding, as in PURBs: P rounded up so that its lowest
 * e - floor(log2 e) - 1 bits are zero, e = floor(log2 P); at most 12 % more,
 * and a length reveals O(log log P) bits). No size is in clear: L follows from the
 * blob's file size (96 + L + 16n), P is sealed, and the reader checks
 * L = padme(P) and that the padding is zero. Chunk i uses the nonce
 * 0x00000000 || i (u64) and the additional data bytes 0..55 followed by one
 * byte, 1 for the last chunk and 0 otherwise, so truncation, extension,
 * reordering and bit flips are all authentication failures. The header
 * (with the sealed size) is written last, after the chunks.
 *
 * Version 1 ("DVBLOB\0\1", read only): a 64-byte header with P in clear at
 * offset 16 (u64), the salt at 24, reserved at 56; no padding: the chunks
 * hold P bytes from offset 64; the additional data is bytes 0..15 and
 * 24..63 and the final flag; the blob's size is exactly 64 + P + 16n.
 *
 * The format knows nothing of files: the front end (blobstore.c) encrypts,
 * names and re-hashes; a backend only keeps bytes under names.
 */
#ifndef DV_BLOB_H
#define DV_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_BLOB_HEADER_BYTES 64      /* version 1 */
#define DV_BLOB_HEADER_V2_BYTES 96   /* version 2 */
#define DV_BLOB_HEADER_MAX 96        /* read this much to parse any version */
#define DV_BLOB_NAME_HEX 64
#define DV_BLOB_CHUNK_DEFAULT (1u << 20)

typedef struct dv_blob_header {
	uint32_t version;           /* 1 or 2 */
	uint32_t header_bytes;      /* H: 64 or 96 */
	uint32_t chunk_size;        /* C */
	uint64_t size;              /* P; version 2: 0 until the sealed size is opened */
	uint64_t padded;            /* L, the bytes the chunks hold (P, padme(P)); version 2: from the file size */
	uint8_t salt[32];
	uint8_t sealed_size[32];    /* version 2 */
} dv_blob_header;

/*
 * Parses and checks a blob header (the first 64 bytes of a version 1 blob,
 * 96 of a version 2 one; give up to DV_BLOB_HEADER_MAX). name is used in
 * errors. Returns 0, DV_ETRUNC or DV_ECORRUPT. A version 2 header holds no
 * size: dv_blob_header_geometry sets L from the blob's stored size.
 */
int dv_blob_header_parse(const uint8_t *buf, size_t len, const char *name, dv_blob_header *out);

/* Version 2: L and the chunk count from the blob's stored size; version 1:
 * checks that size. DV_ECORRUPT when no L fits. */
int dv_blob_header_geometry(dv_blob_header *h, uint64_t stored, const char *name);

/* H + L + 16n, or 0 if that overflows. */
uint64_t dv_blob_stored_size(const dv_blob_header *h);

/* The Padme length of n (PURBs): the bytes a blob of n bytes holds. */
uint64_t dv_blob_padme(uint64_t n);

/* ---- backends ---------------------------------------------------------------
 *
 * A backend keeps opaque bytes under blob names. Its operations table is a
 * `static const dv_blob_backend_ops` that opens with `version`
 * (DV_BLOB_BACKEND_VERSION); dv_blobstore_open refuses another version. A
 * NULL operation is reported as DV_EUNSUPPORTED "no <op>"; only `free` is
 * required. Evidence has no delete: there is no operation for it.
 *
 * Contract of every operation: 0 (or the documented count) on success, a
 * negative dv_code after dv_error_set on failure; "not found" is
 * DV_ENOTFOUND and never another code. Names passed in are checked by the
 * front end (64 lower-case hex digits). A put receives bytes [H, end) in
 * order and then the header [0, H) once (H = 96); put_write may be called from a
 * second thread (never two at once for one put). The front end hashes
 * every byte it reads again: a backend is never trusted with integrity.
 */
#define DV_BLOB_BACKEND_VERSION 1u

/* Capabilities (ops->caps): behaviour is decided by these, not by names. */
#define DV_BLOB_CAP_ATOMIC_PUT (1u << 0)        /* a blob is visible whole or not at all */
#define DV_BLOB_CAP_RANGE_READ (1u << 1)        /* read_at at any offset without reading what precedes */
#define DV_BLOB_CAP_DURABLE_ON_COMMIT (1u << 2) /* put_commit/publish returning 0 means on stable storage */
#define DV_BLOB_CAP_WORM (1u << 3)             /* Object Lock: lock_defaults, lock_set, lock_get */

/* A blob's write-once lock as the store reports it (DV_BLOB_CAP_WORM). */
typedef struct dv_blob_lock {
	bool compliance;          /* retention mode COMPLIANCE (nobody can shorten or lift it) */
	int64_t retain_until_ns;  /* 0: no retention */
	bool legal_hold;          /* a legal hold is on */
} dv_blob_lock;

typedef struct dv_blob_backend dv_blob_backend; /* a backend's own state */
typedef struct dv_blob_put dv_blob_put;         /* one blob being written */
typedef struct dv_blob_get dv_blob_get;         /* one blob open for reading */

typedef struct dv_blob_backend_ops {
	unsigned version;  /* DV_BLOB_BACKEND_VERSION */
	const char *name;  /* "folder", "memory", ...: for messages only */
	unsigned (*caps)(dv_blob_backend *be);

	/* -- writing: begin, write*, then one of stage, commit, abort -- */
	int (*put_begin)(dv_blob_backend *be, dv_blob_put **put_out);
	int (*put_write)(dv_blob_backend *be, dv_blob_put *put, uint64_t offset, const void *data, size_t n);
	/* Durable and visible under name before it returns (one blob). Frees put, also on failure. */
	int (*put_commit)(dv_blob_backend *be, dv_blob_put *put, const char *name);
	/* Complete, named, but neither durable nor visible: waits for publish or abort. */
	int (*put_stage)(dv_blob_backend *be, dv_blob_put *put, const char *name);
	/* Makes n staged puts durable and visible together, then frees them. On
	 * failure the puts not yet published stay staged (abort drops them). */
	int (*publish)(dv_blob_backend *be, dv_blob_put *const *puts, size_t n, size_t *published);
	/* Throws a put (begun or staged) away. Frees put. */
	void (*put_abort)(dv_blob_backend *be, dv_blob_put *put);

	/* -- reading -- */
	/* 1 when name is stored, 0 when not, < 0 when that cannot be told. */
	int (*exists)(dv_blob_backend *be, const char *name);
	/* DV_ENOTFOUND when absent; *stored_size the blob's size in bytes. */
	int (*open_read)(dv_blob_backend *be, const char *name, dv_blob_get **get_out, uint64_t *stored_size);
	/* Up to n bytes at offset; *got < n only at the end. */
	int (*read_at)(dv_blob_backend *be, dv_blob_get *get, uint64_t offset, void *buf, size_t n, size_t *got);
	void (*close_read)(dv_blob_backend *be, dv_blob_get *get);
	/* Every stored (published) name, any order; fn's non-zero return stops and is returned. */
	int (*list)(dv_blob_backend *be, int (*fn)(const char *name, void *payload), void *payload);
	/* Drops leftovers of puts a crash interrupted; returns how many. */
	int (*clean)(dv_blob_backend *be);
	/* Where name is kept, for messages ("/v/blobs/ab/ab12..."). */
	int (*locate)(dv_blob_backend *be, const char *name, char *out, size_t size);
	void (*free)(dv_blob_backend *be);

	/* -- Object Lock (DV_BLOB_CAP_WORM; NULL elsewhere) -- */
	/* Retention (0: none) and legal hold that every later put gets as it is stored. */
	int (*lock_defaults)(dv_blob_backend *be, int64_t retain_until_ns, bool legal_hold);
	/* Raises name's retention to retain_until_ns (never shortens; 0: leaves it) and sets
	 * its legal hold (1 on, 0 off, -1 unchanged). DV_ENOTFOUND when absent. */
	int (*lock_set)(dv_blob_backend *be, const char *name, int64_t retain_until_ns, int legal_hold);
	/* name's lock as stored; DV_ENOTFOUND when absent. */
	int (*lock_get)(dv_blob_backend *be, const char *name, dv_blob_lock *out);
} dv_blob_backend_ops;

/* The folder backend (src/vault/blobstore_folder.c): <vault_dir>/blobs and
 * <vault_dir>/tmp, created when create is set. Durable puts follow the
 * filebuf order: temporary file, fsync, rename, directory fsync; a batch
 * publishes with one syncfs for the data, the renames, one for the names. */
int dv_blob_folder_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const char *vault_dir,
                           bool create);
/* A memory backend for tests (src/vault/blobstore_memory.c): not durable. */
int dv_blob_memory_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out);

/*
 * The S3 backend (src/vault/blobstore_s3.c): blobs, sealed exactly as in
 * the folder store, as objects <prefix>/blobs/<NAME> of one bucket; nothing
 * else goes there (no plaintext, plaintext hash, file or case name). A put
 * is spooled to spool_dir (the vault's tmp/), then sent with Content-MD5
 * (one PUT, or a multipart upload above part_bytes) and with the Object
 * Lock headers of lock_defaults, and checked before it counts as stored:
 * HEAD (size, ETag = the MD5 the station computed, the lock) and a ranged
 * GET of the header. Opening checks the endpoint, the credentials, the
 * clock and the bucket (and its Object Lock when require_lock) before any
 * data moves; each failure names the endpoint, the HTTP status and S3's
 * error code. Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, else credentials_file (or $DV_S3_CREDENTIALS), which
 * must be mode 0600 or stricter ("aws_access_key_id = ...",
 * "aws_secret_access_key = ...", "aws_session_token = ..." lines); they
 * appear in no message. TLS is verified (ca_file, else the system's CAs);
 * http:// is refused unless the host is a loopback address, and then warns.
 */
typedef struct dv_blob_s3_opts {
	const char *url;              /* s3://BUCKET[/PREFIX] */
	const char *endpoint;         /* https://HOST[:PORT] */
	const char *ca_file;          /* NULL: the system's CAs */
	const char *region;           /* NULL: $AWS_DEFAULT_REGION, else us-east-1 */
	const char *credentials_file; /* NULL: the environment, else $DV_S3_CREDENTIALS */
	const char *spool_dir;        /* where puts wait to be sent; NULL: read only */
	bool require_lock;            /* refuse a bucket without Object Lock */
	uint64_t part_bytes;          /* multipart above this; 0: 64 MiB (at least 5 MiB) */
} dv_blob_s3_opts;

int dv_blob_s3_backend(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const dv_blob_s3_opts *opts);
/* Checks the form of url and endpoint only (no request): for init's usage errors. */
int dv_blob_s3_check_url(const char *url, const char *endpoint);

/* ---- the blob store ------------------------------------------------------------ */
typedef struct dv_blobstore dv_blobstore;

enum { DV_BLOBSTORE_READONLY = 1 };

/*
 * A blob store over backend be (taken over: freed by dv_blobstore_close, or
 * here on failure). DV_EUNSUPPORTED when ops->version is not
 * DV_BLOB_BACKEND_VERSION or ops->free is missing. flags DV_BLOBSTORE_READONLY
 * refuses every put with DV_EPERM.
 */
int dv_blobstore_open(dv_blobstore **out, const dv_blob_backend_ops *ops, dv_blob_backend *be,
                      const uint8_t name_key[DV_KEY_BYTES], const uint8_t data_key[DV_KEY_BYTES], unsigned flags);
/* The folder store of a vault directory (creates blobs/ and tmp/ unless read-only). */
int dv_blobstore_open_folder(dv_blobstore **out, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                             const uint8_t data_key[DV_KEY_BYTES], unsigned flags);
void dv_blobstore_close(dv_blobstore *bs);
/* The backend's DV_BLOB_CAP_* flags. */
unsigned dv_blobstore_caps(const dv_blobstore *bs);
/* Plaintext bytes per chunk of new blobs (4 KiB .. 16 MiB; tests use small ones). */
int dv_blobstore_set_chunk_size(dv_blobstore *bs, uint32_t chunk_size);
/* Removes leftovers (temporary files) from a crash. Returns how many. */
int dv_blobstore_clean_tmp(dv_blobstore *bs);

/* The blob name for a plaintext SHA-256 (65 bytes with NUL). */
void dv_blob_name(const dv_blobstore *bs, const uint8_t sha256[DV_SHA256_BYTES], char out[DV_BLOB_NAME_HEX + 1]);
/* Where the backend keeps blob `name` (a path for the folder backend). */
int dv_blob_locate(const dv_blobstore *bs, const char *name, char *out, size_t size);
/* false also when it cannot be told (the error is then set). */
bool dv_blob_exists(const dv_blobstore *bs, const char *name);

typedef struct dv_blob_writer dv_blob_writer;

int dv_blob_writer_open(dv_blob_writer **out, dv_blobstore *bs);
int dv_blob_writer_write(dv_blob_writer *w, const void *data, size_t n);
/*
 * Finishes the blob and makes it durable (put_commit), or drops it when a
 * blob with the same content exists: *deduplicated. Frees w in all cases.
 */
int dv_blob_writer_commit(dv_blob_writer *w, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out,
                          bool *deduplicated);
/* Throws the blob away. Frees w. */
void dv_blob_writer_abort(dv_blob_writer *w);

/*
 * Group durability, for ingests of many files: dv_blob_writer_finish
 * completes a blob without making it durable and adds it to a batch
 * (put_stage); dv_blob_batch_settle publishes the whole batch at once. For
 * the folder backend that is one syncfs for the data, the renames, one
 * syncfs for the directories, instead of two fsyncs per file. Nothing in a
 * batch may be referenced by committed catalog rows before it settled. A
 * crash before settling leaves only leftovers, which dv_blobstore_clean_tmp
 * removes. A batch starts zeroed ({0}).
 */
typedef struct dv_blob_batch {
	struct dv_blob_pending *items;
	size_t n, cap;
	uint64_t bytes;          /* bytes waiting to settle */
	dv_blobstore *bs;        /* set by the first finish */
} dv_blob_batch;

int dv_blob_writer_finish(dv_blob_writer *w, dv_blob_batch *batch, uint8_t sha256_out[DV_SHA256_BYTES],
                          char name_out[DV_BLOB_NAME_HEX + 1], uint64_t *size_out, bool *deduplicated);
int dv_blob_batch_settle(dv_blobstore *bs, dv_blob_batch *batch);
/* Drops what did not settle (the backend throws those puts away). */
void dv_blob_batch_dispose(dv_blob_batch *batch);

/* Receives plaintext in order while a blob is read. Non-zero stops. */
typedef int (*dv_blob_sink)(const uint8_t *data, size_t n, void *payload);

/*
 * Decrypts blob `name`, passing the plaintext to sink (may be NULL), and
 * checks it: every chunk authenticates and SHA-256(plaintext) names the
 * blob. DV_ECORRUPT (naming where the blob is and the offset) when not,
 * DV_ENOTFOUND when the backend does not have it.
 */
int dv_blob_read(dv_blobstore *bs, const char *name, dv_blob_sink sink, void *payload,
                 uint8_t sha256_out[DV_SHA256_BYTES], uint64_t *size_out);

/*
 * Plaintext bytes [offset, offset + length) of blob `name` to sink (a
 * video's HTTP range request): only the chunks the range touches are read
 * and each is authenticated. The range is cut at the end of the blob;
 * offset past the end is DV_EINVAL, length 0 delivers nothing. *size_out
 * (may be NULL) is the blob's plaintext size. A range read cannot re-hash
 * the whole content: it proves the bytes are unaltered chunks of *a* blob
 * sealed with this vault's key, and only a full read (dv_blob_read, verify)
 * proves the blob file was not swapped for another of the vault's blobs.
 * Without DV_BLOB_CAP_RANGE_READ the chunks before the range are read and
 * authenticated too.
 */
int dv_blob_read_range(uint64_t *size_out, dv_blobstore *bs, const char *name, uint64_t offset, uint64_t length,
                       dv_blob_sink sink, void *payload);

/* Calls fn for every stored blob name (for orphan checks). */
int dv_blob_foreach(dv_blobstore *bs, int (*fn)(const char *name, void *payload), void *payload);

/* Object Lock (DV_BLOB_CAP_WORM), see the backend operations of the same
 * names; DV_EUNSUPPORTED on a store without it. */
int dv_blob_lock_defaults(dv_blobstore *bs, int64_t retain_until_ns, bool legal_hold);
int dv_blob_lock_set(dv_blobstore *bs, const char *name, int64_t retain_until_ns, int legal_hold);
int dv_blob_lock_get(dv_blob_lock *out, dv_blobstore *bs, const char *name);

#ifdef __cplusplus
}
#endif
#endif
