/*
 * dv/vault.h - a vault directory and its keys.
 *
 *   <vault>/vault.json    keys wrapped by the passphrase or key file, the
 *                         station's public key (no secrets in clear)
 *   <vault>/catalog.db    SQLite catalog, sealed rows (dv/catalog.h)
 *   <vault>/custody.log   signed, chained custody log (dv/custody.h)
 *   <vault>/blobs/XX/...  encrypted content-addressed blobs (dv/blob.h)
 *   <vault>/tmp/          blobs being written
 *   <vault>/lock          one writer (flock(2) and an OFD lock), who holds it
 *                         (sealed); readers take no lock
 *
 * A random 256-bit master key is wrapped (XChaCha20-Poly1305) by a key
 * derived from the passphrase with Argon2id, or from a key file with
 * BLAKE2b. Every other key is a subkey of it (dv_subkey). The station's
 * Ed25519 secret key is sealed with one of those subkeys.
 */
#ifndef DV_VAULT_H
#define DV_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/blob.h"
#include "dv/catalog.h"
#include "dv/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
struct dv_custody_entry;

/* Exactly one of passphrase or key_file. */
typedef struct dv_key_source {
	const char *passphrase;
	size_t passphrase_len;
	const char *key_file;
} dv_key_source;

typedef struct dv_vault_init_opts {
	const char *station;    /* station name; NULL: the host name */
	const char *operator_name; /* who created it (custody log) */
	uint64_t kdf_ops;       /* Argon2id passes; 0: 4 */
	uint64_t kdf_mem;       /* Argon2id bytes; 0: 19 MiB */
	/* the catalog: NULL for <dir>/catalog.db (SQLite), or a PostgreSQL
	 * connection string / URI without a password ("postgresql:///dv?host=/run/pg"),
	 * kept in vault.json under its MAC; the database must hold no catalog yet */
	const char *catalog;
} dv_vault_init_opts;

#define DV_KDF_OPS_DEFAULT 4
#define DV_KDF_MEM_DEFAULT (19ull << 20)

/* Creates a vault in dir (which must not exist or be empty). */
int dv_vault_init(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts);

/*
 * A vault whose blobs are in S3 (issue 16): s3's url, endpoint, ca_file and
 * region are recorded in vault.json (under its MAC), and the bucket must
 * have Object Lock. The store is checked (credentials, clock, bucket, lock)
 * before anything is written. retain_days: COMPLIANCE retention of each new
 * blob, days from its put (0: none by default; cases can set theirs).
 */
int dv_vault_init_s3(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts,
                     const dv_blob_s3_opts *s3, uint32_t retain_days);

typedef struct dv_vault dv_vault;

/* 'dronevault db upgrade': brings a PostgreSQL catalog's schema to this
 * build's version (the vault's key opens vault.json, whose connection string
 * is authenticated; the writer lock is held), then logs it (db.upgrade).
 * *from, *to: the versions before and after (equal: nothing to do).
 * DV_EUNSUPPORTED for a vault whose catalog is SQLite (catalog.db). */
int dv_vault_db_upgrade(const char *dir, const dv_key_source *key, const char *operator_name, int *from, int *to);

enum { DV_VAULT_READ = 0, DV_VAULT_WRITE = 1 };

/*
 * Opens a vault. DV_EBADKEY for a wrong passphrase or key file (nothing is
 * touched then), DV_EBUSY when another writer holds the vault (writers only:
 * readers take no lock; see dv_vault_open_ex), DV_ENOTFOUND
 * when dir is not a vault. In DV_VAULT_WRITE mode, a torn custody entry
 * left by a crash is cut off and the catalog's record of the log head is
 * rolled forward to entries the log holds (both are safe: the entries are
 * signed, and the torn bytes were never acknowledged).
 */
int dv_vault_open(dv_vault **out, const char *dir, const dv_key_source *key, int mode);

/*
 * Writers are exclusive; readers take no lock and see one snapshot (one
 * read transaction over the catalog's rows and log head), so they run while
 * an ingest writes. A writer that finds the vault busy fails at once with
 * DV_EBUSY "vault busy: <holder> pid <pid> since <time>", or waits.
 */
typedef struct dv_vault_open_opts {
	const char *holder;   /* writers: shown to others, "ingest by PC Weber"; NULL: "a dronevault writer" */
	double wait_seconds;  /* writers: 0 fail at once; > 0 wait up to that long; < 0 wait until free */
	/* About once a second while waiting, with who holds it; non-zero stops (DV_EINTR). */
	int (*waiting)(const char *holder, double waited_seconds, void *payload);
	void *payload;
} dv_vault_open_opts;

int dv_vault_open_ex(dv_vault **out, const char *dir, const dv_key_source *key, int mode,
                     const dv_vault_open_opts *opts);

/* Whether another process holds the vault for writing now (false for the writer itself). */
bool dv_vault_writer_active(const dv_vault *v);
void dv_vault_close(dv_vault *v);

const char *dv_vault_dir(const dv_vault *v);
const char *dv_vault_station(const dv_vault *v);
const char *dv_vault_id(const dv_vault *v);
dv_catalog *dv_vault_catalog(dv_vault *v);
dv_blobstore *dv_vault_blobs(dv_vault *v);
const uint8_t *dv_vault_public_key(const dv_vault *v);
/* true when the custody log is the shared catalog's chains (a PostgreSQL
 * vault since the shared log): entries are per chain (seq: the place in
 * its chain), the vault head is over every chain's head, and custody.log
 * is not used. */
bool dv_vault_shared_log(const dv_vault *v);
/* Where the vault keeps its catalog and blobs (vault.json): the PostgreSQL
 * connection string or NULL (catalog.db), the s3:// URL or NULL (blobs/).
 * Borrowed, valid while v is open. */
void dv_vault_location(const dv_vault *v, const char **catalog, const char **blobs_url);

/*
 * Stations of a shared vault (PostgreSQL catalog; docs/design.md,
 * "Stations"): each station is a vault directory of its own, its vault.json
 * holding the master key wrapped under its own passphrase or key file and
 * its own Ed25519 signing key, whose public half the central registry
 * keeps (sealed) and the custody log records. DV_EUNSUPPORTED on a vault
 * whose catalog is SQLite.
 */
typedef struct dv_station_info {
	char name[256];
	uint8_t public_key[DV_SIGN_PK_BYTES];
	int64_t enrolled_ns;
	int64_t revoked_ns;          /* 0: not revoked */
	char enrolled_by[256];       /* the enrolling station ("" for the first) */
	char revoked_by[256];
} dv_station_info;

/* A writer enrols station name (1-63 of A-Z a-z 0-9 . _ -) into dir (new
 * or empty): its vault.json written there, registered and logged
 * (station.add, signed by this station) in one transaction. opts: the new
 * key's KDF cost and the operator (station, catalog ignored). DV_EEXIST:
 * the name is taken. */
int dv_vault_station_add(dv_vault *v, const char *name, const char *dir, const dv_key_source *key,
                         const dv_vault_init_opts *opts);
/* A writer revokes station name (logged, station.revoke): its entries after
 * this are a problem for verify and its writers are refused. DV_ENOTFOUND:
 * no such station; DV_EEXIST: revoked already; DV_EPERM: it is the last
 * station not revoked. */
int dv_vault_station_revoke(dv_vault *v, const char *name, const char *operator_name);
/* Every station of the registry, by name. */
int dv_vault_station_list(dv_vault *v, int (*fn)(const dv_station_info *s, void *payload), void *payload);
/* The rollback witness of a shared vault's station (on every write, how
 * many writes it made and the vault head after, kept centrally and in its
 * directory): a directory behind the vault's witness (put back to an older
 * copy), or a witness behind the directory, to problem; a directory one
 * write ahead (a write that did not commit) to note. Returns the number of
 * problems (0 for a vault that is not shared) or < 0. */
int dv_vault_witness_check(dv_vault *v, void (*problem)(const char *msg, void *payload),
                           void (*note)(const char *msg, void *payload), void *payload);
/* A public key's fingerprint: SHA-256 of its DER SubjectPublicKeyInfo
 * ('openssl pkey -pubin -outform DER | sha256sum'), 64 hex. */
void dv_station_fingerprint(char out[65], const uint8_t pk[DV_SIGN_PK_BYTES]);

/*
 * vault.json is authenticated in every field: "mac" is a keyed BLAKE2b
 * (subkey of the master key) over all its other fields, flattened and
 * sorted, so editing "created", the station name or anything else, adding
 * or removing a field, is detected. The vault.init entry (and a
 * vault.config entry when a vault made before this existed gets its MAC on
 * its first write-open) records the MAC as config_mac. A writer refuses an
 * altered vault.json, and one whose MAC was removed although the log
 * records one; readers open it and verify names the problem.
 */
enum { DV_CONFIG_OK = 0, DV_CONFIG_ALTERED = 1, DV_CONFIG_UNAUTHENTICATED = 2 };
/* The state found at open; mac gets the MAC vault.json's fields have now. */
int dv_vault_config_state(const dv_vault *v, uint8_t mac[32]);

/*
 * Settings (dronevault config), kept in vault.json's "settings" object
 * under the same MAC. Known keys: DV_CONFIG_MAP_TILES, the agency tile
 * server's URL template that serve adds (its origin only) to the page's
 * Content-Security-Policy.
 */
#define DV_CONFIG_MAP_TILES "map.tiles"
/* *out: the value (borrowed until the next set or close), NULL when unset.
 * DV_ECORRUPT when vault.json has settings but is not authenticated. */
int dv_vault_config_get(const char **out, const dv_vault *v, const char *key);
/* A writer sets (value NULL: removes) a setting: custody entry config.set
 * (operator, key, value, the new config_mac), then vault.json. */
int dv_vault_config_set(dv_vault *v, const char *key, const char *value, const char *operator_name);
/* Checks a tile URL template: https://HOST[:PORT]/... (http:// only for
 * localhost or 127.0.0.1), placeholders {z} {x} {y}, no spaces, quotes or
 * CSP separators. origin (may be NULL) gets "scheme://host[:port]". */
int dv_config_tiles_origin(char *origin, size_t n, const char *url);

/*
 * Appends a custody entry (body borrowed; station is added) and records it
 * as the catalog's head. Call outside a catalog transaction.
 */
int dv_vault_log(dv_vault *v, struct json_object *body, uint64_t *seq_out);

/*
 * dv_vault_log, and in_txn (may be NULL) run in the same catalog
 * transaction that records the new head: the catalog row the entry is
 * about (an ingest marked complete) and the head commit together. A crash
 * after the append and before that commit leaves the entry past the head;
 * the next write-open rolls the head forward only once the entry's work is
 * in the catalog (an ingest the entry completed, open with exactly the
 * entry's manifest, is completed then), and refuses otherwise.
 */
int dv_vault_log_with(dv_vault *v, struct json_object *body, uint64_t *seq_out,
                      int (*in_txn)(dv_catalog *cat, uint64_t seq, void *payload), void *payload);

/* dv_vault_log for a caller inside its own catalog write transaction: the
 * head is recorded in it, the caller commits (the entry is durable first). */
int dv_vault_log_in_txn(dv_vault *v, struct json_object *body, uint64_t *seq_out);

/*
 * Commits the caller's catalog write transaction with body's entry, for an
 * entry about rows that transaction makes (an ingest's start): a shared
 * log's entry commits in it; the file log's is appended right after the
 * commit (an entry in the file naming rows that never committed would stop
 * the next write-open's roll-forward; rows without their entry are a note).
 * A failure before the commit rolls the transaction back. *committed (may
 * be NULL): whether the rows are in.
 */
int dv_vault_commit_with_entry(dv_vault *v, struct json_object *body, uint64_t *seq_out, bool *committed);

/* The custody log's head: its last entry's sequence and SHA-256 (a
 * writer: the log's tail; a reader: its snapshot's head). The hash is what
 * 'dronevault log --head' prints and 'verify --head' proves. */
int dv_vault_head(const dv_vault *v, uint64_t *seq, uint8_t hash[32]);

/* Reads the whole custody log: see dv_custody_scan. A reader gets the
 * entries up to its snapshot's head; dv_vault_log_in_progress then says how
 * many complete entries came after it and how many bytes of one are being
 * written (both an ingest in progress, not problems). */
int dv_vault_log_scan(dv_vault *v, int (*fn)(const struct dv_custody_entry *e, struct json_object *body, void *payload),
                      void (*problem)(const char *msg, void *payload), void *payload);

void dv_vault_log_in_progress(const dv_vault *v, uint64_t *entries, uint64_t *bytes);

/* A case's ref in the custody log (dv_custody_case_ref; NULL: "station"). */
void dv_vault_case_ref(const dv_vault *v, const char *case_name, char out[33]);

/*
 * The vault's head (case_name NULL: its last entry's sequence and hash),
 * or a case's (its sequence in the case and the SHA-256 of its last case
 * statement), as the log holds it (a reader: as of its snapshot). These
 * 64 hex digits are the anchor kept outside the vault ('dronevault log
 * --head'); verify --head proves the vault still contains that state.
 * DV_ENOTFOUND: the case has no entries; DV_EUNSUPPORTED: a version 1 log.
 */
int dv_vault_case_head(dv_vault *v, const char *case_name, uint64_t *seq, uint8_t hash[32]);

/* Adds to an entry's body (before dv_vault_log) the heads it is made from:
 * "vault_head" and, for a case with entries, "case_head" (64 hex each).
 * Every export records them in its export.start entry. */
void dv_vault_log_add_heads(dv_vault *v, struct json_object *body, const char *case_name);

/* A case's chain for a court package, written into dir (created): see
 * dv_custody_case_package (the EXPORTS court package calls this). */
int dv_vault_case_package(dv_vault *v, const char *case_name, const char *dir, uint64_t *entries, uint8_t head[32]);

/*
 * Records a zones check in the custody log (DV_ACTION_ZONES_CHECK): the
 * case, who checked, the zone file's path and SHA-256 (read here), how many
 * zone entries were found, and per flight the check's summary: flights is
 * an array of objects (borrowed), each one's "report" member is left out.
 * A server calls this as the CLI does. *seq_out (may be NULL) the entry.
 */
int dv_vault_record_zones_check(uint64_t *seq_out, dv_vault *v, const char *case_name, const char *operator_name,
                                const char *zones_file, uint64_t entries, struct json_object *flights);

/*
 * Object Lock of a vault whose blobs are in S3 (src/vault/worm.c). A case's
 * retention and legal hold are kept in the catalog (side table case_lock),
 * applied to every blob of the case already stored (raised, never
 * shortened: COMPLIANCE mode cannot be) and given to every later put into
 * the case (dv_ingest sets them), and logged (case.retention, case.hold).
 * A blob of several cases keeps the longest retention and any hold.
 * DV_EUNSUPPORTED on a vault whose store has no Object Lock.
 */
typedef struct dv_case_lock {
	int64_t retain_until_ns;   /* 0: the vault's default only */
	bool legal_hold;
} dv_case_lock;

/* true when the vault's blob store has Object Lock (DV_BLOB_CAP_WORM). */
bool dv_vault_worm(const dv_vault *v);
/* The vault's default retention in days (init --retain-days), 0 when none. */
uint32_t dv_vault_retain_days(const dv_vault *v);
/* A case's lock as the catalog records it (zeros when none was set). */
int dv_vault_case_lock_get(dv_case_lock *out, dv_vault *v, const char *case_name);
/* Sets (writers) a case's retain-until (only later than before) and applies it; *objects: blobs touched. */
int dv_vault_case_retain(uint64_t *objects, dv_vault *v, const char *case_name, int64_t until_ns, const char *operator_name);
/* Legal hold of a case on or off, applied to its blobs (a blob another held case shares stays held). */
int dv_vault_case_hold(uint64_t *objects, dv_vault *v, const char *case_name, bool on, const char *operator_name);
/* Before puts into a case: the retention and hold each new blob gets (no-op without Object Lock). */
int dv_vault_case_lock_prepare(dv_vault *v, const char *case_name);
/* After an ingest: raise the lock of its blobs stored before (deduplicated) to the case's. */
int dv_vault_case_lock_apply(dv_vault *v, const char *case_name, int64_t ingest_id);
/* verify: 1 and why when blob name is not locked as its cases ask, 0 when it is, < 0 on failure. */
int dv_vault_blob_lock_problem(dv_vault *v, const char *name, char *why, size_t size);

/* Path of a file in the vault ("custody.log", ...). */
int dv_vault_path(const dv_vault *v, const char *name, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
