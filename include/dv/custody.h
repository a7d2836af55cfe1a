/*
 * dv/custody.h - the chain-of-custody log: <vault>/custody.log.
 *
 * Append-only. Version 2 (written since issue 11; docs/design.md, "Custody
 * log"): every entry is in two chains, its case's (entries of no case: the
 * station's chain) and the vault's, each link a SHA-256 over a short text
 * statement signed alone with the station's Ed25519 key:
 *
 *   case statement                      vault statement
 *   dronevault custody entry v2         dronevault vault entry v2
 *   station <public key, 64 hex>        station <public key, 64 hex>
 *   case <case ref, 32 hex | station>   seq <n in the vault>
 *   seq <n in the case>                 prev <SHA-256 of the previous vault statement>
 *   prev <SHA-256 of the previous       case <case ref>
 *         case statement, 0s first>     case-seq <n in the case>
 *   time <ns since 1970 UTC>            case-head <SHA-256 of this case statement>
 *   body <SHA-256 of salt || body JSON>
 *
 * The body (JSON) is sealed with a key from the vault's master key, behind
 * a random 32-byte salt; the case statement commits to both, so a court
 * given a case's statements, signatures, clear bodies and salts checks
 * every entry and the chain with sha256sum and 'openssl pkeyutl -verify
 * -rawin' alone (dv_custody_case_package), and sees nothing of other
 * cases: the case ref is a keyed tag of the case name, and the vault chain
 * is not in the package. The vault head (SHA-256 of the last vault
 * statement) commits to every case head.
 *
 * Record (integers big-endian): "DVL2", L (bytes that follow), then C
 * (2 bytes) and the case statement, its 64-byte signature, W (2 bytes) and
 * the vault statement, its signature, B (4 bytes) and the sealed body:
 * XChaCha20-Poly1305(nonce || ciphertext || tag) of salt || body JSON,
 * additional data the SHA-256 of the case statement.
 *
 * Version 1 (before issue 11), still read and converted by the first
 * writer (dv_custody_migrate): one chain of "DVL1" records
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      4    magic "DVL1"
 *   4      4    L: bytes that follow this field (52 + B + 64)
 *   8      8    sequence number, 1 for the first entry
 *   16     8    time, nanoseconds since 1970 UTC
 *   24     32   SHA-256 of the whole previous entry, zeros for entry 1
 *   56     4    B: length of the sealed body (>= 40, <= 1 MiB)
 *   60     B    XChaCha20-Poly1305 of the JSON body; additional data:
 *               bytes 0..59 of the entry
 *   60+B   64   Ed25519 signature of bytes 0 .. 60+B-1
 *
 * An entry's hash (dv_custody_entry.hash) is the SHA-256 of its vault
 * statement (version 1: of all its bytes). The catalog keeps the last
 * entry's sequence and hash, so that cutting entries off the end is
 * detected too.
 */
#ifndef DV_CUSTODY_H
#define DV_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define DV_CUSTODY_BODY_MAX (1u << 20)

#define DV_CUSTODY_REF_MAX 33   /* a case ref: 32 hex digits, or "station" */

typedef struct dv_custody_entry {
	int version;                /* 1, 2, or 3 (the shared log) */
	uint64_t seq;               /* in the vault */
	int64_t time_ns;
	uint8_t prev[32];           /* hash of the previous entry */
	uint8_t hash[32];           /* hash of this entry (version 2: of its vault statement) */
	int64_t offset;             /* where it starts in the log file */
	size_t length;              /* all its bytes */
	const uint8_t *bytes;       /* the entry (borrowed from the parse buffer) */
	const uint8_t *sealed;      /* sealed body (borrowed) */
	size_t sealed_len;
	const uint8_t *sig;         /* signature (borrowed; version 2: of the vault statement) */
	/* version 2 */
	char case_ref[DV_CUSTODY_REF_MAX];
	uint64_t case_seq;          /* in its case's chain */
	uint8_t case_prev[32];      /* SHA-256 of the case's previous case statement */
	uint8_t case_hash[32];      /* SHA-256 of this case statement: the case's head after it */
	uint8_t stmt_case_head[32]; /* what the vault statement says case_hash is */
	uint8_t body_commit[32];    /* SHA-256(salt || body JSON) */
	uint8_t station_pk[32];
	const uint8_t *case_stmt, *case_sig, *vault_stmt;
	size_t case_stmt_len, vault_stmt_len;
	/* version 3 (the shared log of a PostgreSQL vault, src/vault/custody_shared_int.h):
	 * seq, case_seq: the place in its chain; case_ref: the case's ref or
	 * "station"; case_stmt/case_sig/prev/hash: the chain's statement */
	char chain[80];             /* the chain: a case ref or station-<key> */
	uint8_t heads[32];          /* the vault head its writer saw */
	/* scans that ask for it (dv_custody_case_package): salt || body JSON */
	const uint8_t *plain;
	size_t plain_len;
} dv_custody_entry;

/*
 * Parses one entry's structure at the start of buf (no crypto checks).
 * name and base are for errors. *consumed is set to the entry's length.
 * DV_ETRUNC when buf ends inside the entry, DV_ECORRUPT when a field is out
 * of range.
 */
int dv_custody_parse(const uint8_t *buf, size_t len, const char *name, int64_t base,
                     dv_custody_entry *out);

/* Checks the signature with the station's public key (DV_ECORRUPT). */
int dv_custody_verify_sig(const dv_custody_entry *e, const uint8_t pk[DV_SIGN_PK_BYTES]);

/* A case's ref in the log: a keyed tag of its name (key: the custody
 * key), "station" for entries of no case (NULL or ""). */
void dv_custody_case_ref(char out[DV_CUSTODY_REF_MAX], const uint8_t key[DV_KEY_BYTES], const char *case_name);

/* Opens the sealed body to its plaintext (version 2: salt || body JSON,
 * checked against the statement's digest); *plain malloc'd, NUL after it. */
int dv_custody_open_plain(uint8_t **plain, size_t *n, const dv_custody_entry *e, const uint8_t key[DV_KEY_BYTES],
                          const char *name);

/* Opens the sealed body into a JSON object (caller json_object_put()s it).
 * Version 2: the body must name the case (and case_seq) its statement says. */
int dv_custody_open_body(const dv_custody_entry *e, const uint8_t key[DV_KEY_BYTES],
                         const char *name, struct json_object **out);

typedef struct dv_custody dv_custody;

/*
 * Opens the log for appending (creating it if missing). sk may be NULL for
 * read-only use. The log is read and its chain followed to find the tail;
 * a torn last entry (from a crash during append) is reported in
 * *torn_bytes and left in place (repair is ignored, kept for callers): the
 * caller first decides whether the tail may go (the catalog never
 * acknowledged it), then cuts it with dv_custody_cut_torn and logs that
 * (DV_ACTION_LOG_REPAIR) - or refuses with the log untouched. Never both.
 * Appending to a log with an uncut torn tail is refused.
 */
int dv_custody_open(dv_custody **out, const char *path, const uint8_t pk[DV_SIGN_PK_BYTES],
                    const uint8_t *sk, const uint8_t key[DV_KEY_BYTES], bool repair,
                    uint64_t *torn_bytes);
void dv_custody_close(dv_custody *log);

/* Cuts the torn tail found at open (none: 0 bytes); *cut_bytes and
 * cut_sha256 say what was removed, for the repair entry. */
int dv_custody_cut_torn(dv_custody *log, uint64_t *cut_bytes, uint8_t cut_sha256[32]);

/* 1 or 2: the format the log's entries are in (2 for a new log). */
int dv_custody_version(const dv_custody *log);

/* A case's head (NULL/"": the station chain) as of the last entry: its
 * sequence in the case and the SHA-256 of its case statement (0 and zeros:
 * no entry yet). DV_EUNSUPPORTED for a version 1 log. */
int dv_custody_case_head(const dv_custody *log, const char *case_name, uint64_t *seq, uint8_t hash[32]);

/*
 * Converts a version 1 log to version 2: every entry is checked
 * (structure, chain, signature, body; any fault: DV_ECORRUPT, nothing
 * changed), then written again in its case's chain with its time and body
 * (its version 1 seq and hash kept as v1_seq and v1_hash), then final_body
 * (the caller's record of the conversion; v1_entries, v1_head and
 * v1_log_sha256 are added) is appended. Written beside the log and renamed
 * over it; the version 1 file is kept as <log>.v1. *seq and hash: the new tail.
 */
int dv_custody_migrate(dv_custody *log, struct json_object *final_body, uint64_t *seq, uint8_t hash[32]);

/*
 * Writes a case's chain for a court package into dir (created; must not
 * exist): entries/NNNNNN.stmt (the signed case statement), .sig (its
 * Ed25519 signature, 64 bytes), .salt (32 bytes), .json (the clear body,
 * exactly the bytes the statement's digest covers); station.pem (the
 * station's public key); HEAD (the case head, 64 hex); VERIFY.md with the
 * shell commands (coreutils and openssl) that check them. Every entry is
 * checked first (log faults: DV_ECORRUPT). *entries and head: the case's.
 */
int dv_custody_case_package(const char *log_path, const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES],
                            const char *case_name, const char *dir, uint64_t *entries, uint8_t head[32]);

/* Last entry's sequence and hash (0 and zeros when empty). */
void dv_custody_tail(const dv_custody *log, uint64_t *seq, uint8_t hash[32]);

/*
 * Appends an entry with body (borrowed; "seq" and "time" are set in it),
 * writes it with one write(2) and fsyncs before returning.
 */
int dv_custody_append(dv_custody *log, struct json_object *body, uint64_t *seq_out,
                      uint8_t hash_out[32]);

/*
 * Reads and checks every entry: structure, sequence, chain, signature,
 * body. fn gets each entry whose body opened (body borrowed for the call);
 * problem gets a sentence for each fault (naming entry and offset).
 * Returns the number of problems or a negative dv_code.
 */
int dv_custody_scan(const char *path, const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES],
                    int (*fn)(const dv_custody_entry *e, struct json_object *body, void *payload),
                    void (*problem)(const char *msg, void *payload), void *payload);

/*
 * dv_custody_scan as of a snapshot whose last entry is upto_seq (a reader's
 * catalog head): entries after it are still checked (a fault there is a
 * problem) but not passed to fn, and counted in *later_entries. With
 * writer_active, an incomplete entry after upto_seq is the one being
 * appended: its bytes go to *partial_bytes instead of being a problem.
 */
int dv_custody_scan_snapshot(uint64_t *later_entries, uint64_t *partial_bytes, const char *path,
                             const uint8_t pk[DV_SIGN_PK_BYTES], const uint8_t key[DV_KEY_BYTES], uint64_t upto_seq,
                             bool writer_active,
                             int (*fn)(const dv_custody_entry *e, struct json_object *body, void *payload),
                             void (*problem)(const char *msg, void *payload), void *payload);

#ifdef __cplusplus
}
#endif
#endif
