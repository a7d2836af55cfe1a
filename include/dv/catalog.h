/*
 * dv/catalog.h - the vault's catalog: cases, ingests, blobs, files and the
 * custody log's head, behind an operations table; the first backend is
 * SQLite (<vault>/catalog.db, WAL, synchronous=FULL; catalog_sqlite.c).
 *
 * Nothing sensitive is in clear at rest (docs/design.md says why this and
 * not SQLCipher). Every row is
 *
 *     id | lookup columns (integers, keyed tags) | sealed
 *
 * where `sealed` is an XChaCha20-Poly1305 record of the row's fields as
 * JSON, and the additional data binds it to its table, its id and its clear
 * columns: moving, swapping or editing any part of a row makes it fail to
 * open. Lookup columns hold only keyed BLAKE2b tags (a case's name, a
 * file's path), never the values.
 *
 * Strings in the records below are bounded; longer input is refused by the
 * functions that store it (DV_EINVAL).
 */
#ifndef DV_CATALOG_H
#define DV_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_catalog dv_catalog;

#define DV_NAME_MAX 256
#define DV_TEXT_MAX 1024
#define DV_PATH_MAX 4096

typedef struct dv_case {
	int64_t id;
	char name[DV_NAME_MAX];
	int64_t created_ns;
} dv_case;

enum { DV_INGEST_OPEN = 0, DV_INGEST_COMPLETE = 1 };

typedef struct dv_ingest_rec {
	int64_t id;
	int64_t case_id;
	int state;                      /* DV_INGEST_OPEN / _COMPLETE */
	char source[DV_PATH_MAX];       /* absolute path given */
	char kind[32];                  /* "directory", "image" */
	char fs_type[32];               /* "fat32", "exfat", ... for images */
	char operator_name[DV_NAME_MAX];
	char note[DV_TEXT_MAX];
	char station[DV_NAME_MAX];
	int64_t started_ns;
	int64_t finished_ns;            /* 0 while open */
	bool has_image_hash;
	uint8_t image_sha256[DV_SHA256_BYTES];
	uint64_t image_size;
	uint64_t files;                 /* stored files */
	uint64_t bytes;                 /* their plaintext bytes */
	uint64_t log_seq;               /* custody entry that completed it */
	uint8_t manifest[DV_SHA256_BYTES]; /* see dv_ingest_manifest() */
} dv_ingest_rec;

typedef struct dv_file_rec {
	int64_t id;
	int64_t ingest_id;
	int64_t blob_id;
	char path[DV_PATH_MAX];         /* relative to the source root, '/' separated */
	uint64_t size;
	int64_t mtime_ns;
	int64_t atime_ns;
	int64_t ctime_ns;               /* inode change (directories) */
	int64_t crtime_ns;              /* FAT/exFAT creation time, or INT64_MIN */
	uint32_t mode;
	uint8_t sha256[DV_SHA256_BYTES];
	char blob_name[65];
} dv_file_rec;

typedef struct dv_blob_rec {
	int64_t id;
	char name[65];
	uint8_t sha256[DV_SHA256_BYTES];
	uint64_t size;
} dv_blob_rec;

/* Opens (creating if needed) the catalog. seal_key seals rows, tag_key makes
 * lookup tags. Both are subkeys of the vault's master key. */
int dv_catalog_open(dv_catalog **out, const char *path, const uint8_t seal_key[DV_KEY_BYTES],
                    const uint8_t tag_key[DV_KEY_BYTES]);
enum { DV_CATALOG_READONLY = 1 };
/* flags DV_CATALOG_READONLY: no schema changes, no writes (query_only);
 * works while a writer holds the write lock (WAL). */
int dv_catalog_open_ex(dv_catalog **out, const char *path, const uint8_t seal_key[DV_KEY_BYTES],
                       const uint8_t tag_key[DV_KEY_BYTES], unsigned flags);
void dv_catalog_close(dv_catalog *cat);
const char *dv_catalog_path(const dv_catalog *cat);

int dv_catalog_begin(dv_catalog *cat);
int dv_catalog_commit(dv_catalog *cat);
void dv_catalog_rollback(dv_catalog *cat);
/* A read transaction: every read until rollback sees one snapshot (rows
 * and log head), whatever a writer commits meanwhile. */
int dv_catalog_begin_read(dv_catalog *cat);

/* A keyed tag of msg, for lookups (e.g. an ingest's source identity).
 * DV_ENOMEM (and out zeroed) when it cannot be made. */
int dv_catalog_tag(uint8_t out[32], const dv_catalog *cat, const char *kind, const void *msg, size_t n);

int dv_catalog_case_find(dv_case *out, dv_catalog *cat, const char *name);
int dv_catalog_case_create(dv_case *out, dv_catalog *cat, const char *name);
int dv_catalog_case_get(dv_case *out, dv_catalog *cat, int64_t id);
int dv_catalog_case_list(dv_catalog *cat, int (*fn)(const dv_case *c, void *payload), void *payload);

/* rec->id is set by create. */
int dv_catalog_ingest_create(dv_catalog *cat, dv_ingest_rec *rec, const uint8_t source_tag[32]);
int dv_catalog_ingest_update(dv_catalog *cat, const dv_ingest_rec *rec);
int dv_catalog_ingest_get(dv_ingest_rec *out, dv_catalog *cat, int64_t id);
/* The open (unfinished) ingest of this source into this case: DV_ENOTFOUND if none. */
int dv_catalog_ingest_find_open(dv_catalog *cat, int64_t case_id, const uint8_t source_tag[32],
                                dv_ingest_rec *out);
/* The first ingest of this source into this case, open or complete:
 * DV_ENOTFOUND if none. */
int dv_catalog_ingest_find_tag(dv_catalog *cat, int64_t case_id, const uint8_t source_tag[32], dv_ingest_rec *out);
/* case_id 0: every ingest. In id order. */
int dv_catalog_ingest_list(dv_catalog *cat, int64_t case_id,
                           int (*fn)(const dv_ingest_rec *r, void *payload), void *payload);

/* Records a blob (no-op if the name is known); *id_out its row. */
int dv_catalog_blob_put(dv_catalog *cat, const char *name, const uint8_t sha256[DV_SHA256_BYTES],
                        uint64_t size, int64_t *id_out);
int dv_catalog_blob_list(dv_catalog *cat, int (*fn)(const dv_blob_rec *b, void *payload), void *payload);

/* rec->id is set. DV_EEXIST if the path is already in the ingest. */
int dv_catalog_file_add(dv_catalog *cat, dv_file_rec *rec);
int dv_catalog_file_find(dv_file_rec *out, dv_catalog *cat, int64_t ingest_id, const char *path);
/* In insertion order; blob_name is filled in. */
int dv_catalog_file_list(dv_catalog *cat, int64_t ingest_id,
                         int (*fn)(const dv_file_rec *f, void *payload), void *payload);
int64_t dv_catalog_file_count(dv_catalog *cat, int64_t ingest_id);
/* The file row with this id (any ingest); DV_ENOTFOUND when none. */
int dv_catalog_file_get(dv_file_rec *out, dv_catalog *cat, int64_t id);

/*
 * Side tables for what other areas learn about files (telemetry, audit
 * results, ...): table(id INTEGER PRIMARY KEY, sealed BLOB), created on
 * first use. Each value is sealed with the row's table and id as additional
 * data. table must be [a-z_]{1,32}.
 */
int dv_catalog_side_put(dv_catalog *cat, const char *table, int64_t id, const void *data, size_t n);
/* *out is malloc'd (caller frees); DV_ENOTFOUND when absent. */
int dv_catalog_side_get(uint8_t **out, size_t *n, dv_catalog *cat, const char *table, int64_t id);
/* Every row in id order (data borrowed for the call). */
int dv_catalog_side_list(dv_catalog *cat, const char *table,
                         int (*fn)(int64_t id, const uint8_t *data, size_t n, void *payload), void *payload);

/* The last custody entry the catalog knows of (seq 0 when none). */
int dv_catalog_head_get(dv_catalog *cat, uint64_t *seq, uint8_t hash[32]);
int dv_catalog_head_set(dv_catalog *cat, uint64_t seq, const uint8_t hash[32]);

/* Checks the whole catalog: the backend's own check (SQLite: integrity_check
 * and foreign keys) and every sealed row.
 * Each problem goes to fn (a sentence naming the table and row); returns
 * the number of problems, or a negative dv_code if it could not check. */
int dv_catalog_check(dv_catalog *cat, void (*fn)(const char *problem, void *payload), void *payload);

/* ---- backends -----------------------------------------------------------------
 *
 * The front end (catalog.c) owns the sealed-row codec: the JSON inside each
 * record, the additional data that binds it to table, id and clear
 * columns, the keyed tags. A backend only keeps rows of clear integers,
 * tags and sealed bytes, and never sees a key. Its operations table is a
 * `static const dv_catalog_backend_ops` opening with version
 * (DV_CATALOG_BACKEND_VERSION), checked at open; a NULL operation is
 * DV_EUNSUPPORTED "no <op>" (only free is required). "Not found" is never
 * an error: a query that matches nothing calls fn zero times and returns 0;
 * update of a missing id is DV_ENOTFOUND. A row's pointers are borrowed for
 * the callback only.
 *
 * Tables and their clear columns:
 *   cases     id, tag (of the name, unique)                  | sealed
 *   ingests   id, ref = case id, tag = source tag, state     | sealed
 *   blobs     id, name (unique)                              | sealed
 *   files     id, ref = ingest id, tag = path tag (unique per
 *             ingest), ref2 = blob id; a read also gives name,
 *             the blob row's name (NULL when that row is missing) | sealed
 *   log_head  id 1                                           | sealed
 *   side      id (side tables named [a-z_]{1,32}, made on first write) | sealed
 */
#define DV_CATALOG_BACKEND_VERSION 1u

typedef enum dv_catalog_table {
	DV_CT_CASES = 1,
	DV_CT_INGESTS,
	DV_CT_BLOBS,
	DV_CT_FILES,
	DV_CT_LOG_HEAD,
	DV_CT_SIDE
} dv_catalog_table;

typedef struct dv_catalog_row {
	int64_t id;
	int64_t ref, ref2;
	int state;
	const uint8_t *tag;     /* NULL when the table has none */
	size_t tag_len;         /* 32 when intact */
	const char *name;
	const uint8_t *sealed;
	size_t sealed_len;
} dv_catalog_row;

/* Which rows a query wants; every query returns rows in id order, except
 * DV_CQ_OPEN: the newest row with ref, tag and state 0, if any. */
typedef enum dv_catalog_by { DV_CQ_ALL = 0, DV_CQ_ID, DV_CQ_TAG, DV_CQ_NAME, DV_CQ_REF, DV_CQ_REF_TAG, DV_CQ_OPEN } dv_catalog_by;

typedef struct dv_catalog_query {
	dv_catalog_table table;
	const char *side;       /* DV_CT_SIDE: the side table */
	dv_catalog_by by;
	int64_t id, ref;
	const uint8_t *tag;     /* 32 bytes */
	const char *name;
} dv_catalog_query;

typedef struct dv_catalog_backend dv_catalog_backend;

/* One entry of a shared custody chain (pointers borrowed). */
#define DV_CHAIN_NAME_MAX 80
typedef struct dv_catalog_chain_entry {
	const char *chain;      /* a case ref (keyed tag) or "station-<key>": never a name */
	uint64_t seq;
	uint8_t prev[32], hash[32]; /* hash: SHA-256 of stmt; prev: the previous entry's */
	const uint8_t *stmt;    /* the signed statement */
	size_t stmt_len;
	const uint8_t *sig;     /* its Ed25519 signature (64 bytes) */
	size_t sig_len;
	const uint8_t *sealed;  /* the sealed body */
	size_t sealed_len;
} dv_catalog_chain_entry;

typedef struct dv_catalog_backend_ops {
	unsigned version;  /* DV_CATALOG_BACKEND_VERSION */
	const char *name;  /* "sqlite", ...: messages only */
	/* where the catalog is, for messages (a path, a connection name) */
	const char *(*where)(dv_catalog_backend *be);
	/* one write transaction at a time; rollback is a no-op outside one */
	int (*begin)(dv_catalog_backend *be);
	int (*commit)(dv_catalog_backend *be);
	void (*rollback)(dv_catalog_backend *be);
	/* a read transaction: one snapshot until rollback */
	int (*begin_read)(dv_catalog_backend *be);
	/* the next free id of a table (max + 1) */
	int (*next_id)(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t *id_out);
	/* DV_EEXIST when the id or a unique column is taken */
	int (*insert)(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *row);
	/* the row with row->id, every column; DV_ENOTFOUND when none */
	int (*update)(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *row);
	/* insert, or replace the row with that id (log_head, side tables) */
	int (*replace)(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *row);
	/* the one row iterator: fn per row; fn's non-zero return stops and is returned */
	int (*query)(dv_catalog_backend *be, const dv_catalog_query *q,
	             int (*fn)(const dv_catalog_row *row, void *payload), void *payload);
	int (*count)(dv_catalog_backend *be, const dv_catalog_query *q, int64_t *n_out);
	/* every side table's name */
	int (*side_tables)(dv_catalog_backend *be, int (*fn)(const char *side, void *payload), void *payload);
	/* the store's own consistency (SQLite: integrity_check, foreign keys):
	 * a sentence per problem to fn; returns how many, or < 0 */
	int (*check)(dv_catalog_backend *be, void (*fn)(const char *problem, void *payload), void *payload);
	/* The shared custody log (src/vault/custody_shared.c; docs/design.md,
	 * "A shared custody log"): chains of signed entries in the catalog
	 * itself, so stations writing one catalog append to one log. NULL in
	 * a backend whose log is the vault's file (SQLite). All three inside
	 * a write transaction. chain_lock serialises appends to one chain until
	 * commit or rollback and gives its head (seq 0, zeros: none yet). */
	int (*chain_lock)(dv_catalog_backend *be, const char *chain, uint64_t *seq, uint8_t hash[32]);
	/* adds e after the chain's head (seq = head + 1, prev = its hash) and
	 * moves the head; DV_EEXIST when that seq or prev is taken (a fork) */
	int (*chain_append)(dv_catalog_backend *be, const dv_catalog_chain_entry *e);
	/* every entry of chain (NULL: of every chain), by chain and seq */
	int (*chain_list)(dv_catalog_backend *be, const char *chain,
	                  int (*fn)(const dv_catalog_chain_entry *e, void *payload), void *payload);
	/* every chain's head, by chain */
	int (*chain_heads)(dv_catalog_backend *be, int (*fn)(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload),
	                   void *payload);
	/* Makes side table side if it is missing, in a transaction of its own
	 * (never inside the caller's). NULL where a first write may make it
	 * (SQLite: one writer). A shared catalog's writers call it at open for
	 * the side tables they write, so that no ingest takes DDL locks in the
	 * middle of its batch, where they deadlock with another station's rows. */
	int (*side_ensure)(dv_catalog_backend *be, const char *side);
	/* Tests only (tamper tests, tests/vault/dv_tamper.c): removes a row
	 * behind the front end's back. Never called by the library. */
	int (*tamper_delete)(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t id);
	void (*free)(dv_catalog_backend *be);
} dv_catalog_backend_ops;

/* The SQLite backend (src/vault/catalog_sqlite.c): creates the file and
 * schema unless DV_CATALOG_READONLY. */
int dv_catalog_sqlite_backend(dv_catalog_backend **out, const dv_catalog_backend_ops **ops_out, const char *path,
                              unsigned flags);

/* The PostgreSQL backend (src/vault/catalog_pg.c, libpq): conninfo is a
 * libpq connection string or URI (postgresql:///dv?host=/run/x) without a
 * password (DV_EINVAL: use PGPASSFILE, PGPASSWORD or peer authentication).
 * vault_id binds the database to one vault (recorded at creation, checked
 * at every open). The database's schema version must be this build's
 * (dv_catalog_pg_schema_version()); DV_CATALOG_PG_CREATE makes the schema
 * in a database that has none (init). Any other version is refused with
 * both numbers: older ones are brought forward by dv_catalog_pg_upgrade. */
enum { DV_CATALOG_PG_CREATE = 2 };
int dv_catalog_pg_backend(dv_catalog_backend **out, const dv_catalog_backend_ops **ops_out, const char *conninfo,
                          const char *vault_id, unsigned flags);
/* Applies the schema versions after the database's, up to target (0: this
 * build's), each in its own transaction under an advisory lock; *from and
 * *to say which. Refuses a newer database and another vault's. */
int dv_catalog_pg_upgrade(int *from, int *to, const char *conninfo, const char *vault_id, int target);
int dv_catalog_pg_schema_version(void);
/* DV_EINVAL when conninfo does not parse or holds a password. */
int dv_catalog_pg_check_conninfo(const char *conninfo);

/* A catalog over any backend (taken over: freed by dv_catalog_close, or
 * here on failure). DV_EUNSUPPORTED for another ops version. */
int dv_catalog_open_backend(dv_catalog **out, const dv_catalog_backend_ops *ops, dv_catalog_backend *be,
                            const uint8_t seal_key[DV_KEY_BYTES], const uint8_t tag_key[DV_KEY_BYTES]);

/* The shared custody log's operations through a catalog (the backend's
 * chain_* above; DV_EUNSUPPORTED where it has none). */
int dv_catalog_chain_lock(dv_catalog *cat, const char *chain, uint64_t *seq, uint8_t hash[32]);
int dv_catalog_chain_append(dv_catalog *cat, const dv_catalog_chain_entry *e);
int dv_catalog_chain_list(dv_catalog *cat, const char *chain, int (*fn)(const dv_catalog_chain_entry *e, void *payload),
                          void *payload);
int dv_catalog_chain_heads(dv_catalog *cat, int (*fn)(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload),
                           void *payload);

/* The backend's side_ensure (a no-op without one); outside a transaction. */
int dv_catalog_side_ensure(dv_catalog *cat, const char *table);

/* Table names, for messages and tools: "cases", ..., "side_<name>". */
const char *dv_catalog_table_name(dv_catalog_table t);

#ifdef __cplusplus
}
#endif
#endif
