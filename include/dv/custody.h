/*
 * dv/custody.h - the chain-of-custody log: <vault>/custody.log.
 *
 * Append-only; each entry is chained to the previous one by its SHA-256 and
 * signed with the station's Ed25519 key, so any edit, deletion, insertion,
 * reordering or bit flip breaks either a signature or the chain. Entry
 * bodies (who, what, which case, which files) are sealed with a key from
 * the vault's master key: the chain and signatures can be checked with the
 * public key alone, the contents need the passphrase.
 *
 * Entry format, version 1 (integers big-endian); entries follow each other:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      4    magic "DVL1"
 *   4      4    L: bytes that follow this field (52 + B + 64)
 *   8      8    sequence number, 1 for the first entry
 *   16     8    time, nanoseconds since 1970 UTC
 *   24     32   SHA-256 of the whole previous entry, zeros for entry 1
 *   56     4    B: length of the sealed body (>= 40, <= 1 MiB)
 *   60     B    XChaCha20-Poly1305(nonce || ciphertext || tag) of the JSON
 *               body; additional data: bytes 0..59 of the entry
 *   60+B   64   Ed25519 signature of bytes 0 .. 60+B-1
 *
 * An entry's hash is the SHA-256 of all its 8 + L bytes. The catalog keeps
 * the last entry's sequence and hash, so that cutting entries off the end is
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

typedef struct dv_custody_entry {
	uint64_t seq;
	int64_t time_ns;
	uint8_t prev[32];           /* hash of the previous entry */
	uint8_t hash[32];           /* hash of this entry */
	int64_t offset;             /* where it starts in the log file */
	size_t length;              /* all its bytes */
	const uint8_t *bytes;       /* the entry (borrowed from the parse buffer) */
	const uint8_t *sealed;      /* sealed body (borrowed) */
	size_t sealed_len;
	const uint8_t *sig;         /* signature (borrowed) */
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

/* Opens the sealed body into a JSON object (caller json_object_put()s it). */
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
