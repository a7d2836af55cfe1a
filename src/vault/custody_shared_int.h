/*
 * src/vault/custody_shared_int.h - the shared custody log: the chains of
 * custody entries kept in a shared (PostgreSQL) catalog, so that many
 * stations append to one log at once (docs/design.md, "A shared custody
 * log"). One chain per case (its ref, a keyed tag of the name) and one
 * per station for entries of no case; appends to one chain are serialised
 * by an advisory lock on it, held until the write transaction that also
 * holds the entry's catalog work commits. No global chain: the vault head
 * is the SHA-256 of every chain's head, and each entry's statement carries
 * the vault head its writer saw, so every chain witnesses the others.
 *
 * Statement (signed alone with the station's Ed25519 key):
 *
 *   dronevault custody entry v3
 *   station <public key, 64 hex>
 *   chain <case ref, 32 hex | station-<first 32 hex of the key>>
 *   seq <n in the chain>
 *   prev <SHA-256 of the chain's previous statement, 0s first>
 *   time <ns since 1970 UTC>
 *   heads <the vault head the writer saw, 64 hex>
 *   body <SHA-256 of salt || body JSON>
 *
 * The body is sealed as in the file log (custody key; additional data the
 * SHA-256 of the statement), and names its case and chain seq.
 */
#ifndef DV_VAULT_CUSTODY_SHARED_INT_H
#define DV_VAULT_CUSTODY_SHARED_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dv/catalog.h"
#include "dv/crypto.h"

struct json_object;

/* The chain of a case (NULL or "": the station's own chain). */
void dv_custody_shared_chain(char out[DV_CHAIN_NAME_MAX], const uint8_t key[DV_KEY_BYTES], const uint8_t pk[DV_SIGN_PK_BYTES],
                             const char *case_name);

/* Appends body (borrowed; "case", "case_seq", "chain" set in it) to its
 * case's chain, inside the caller's write transaction: the entry commits or
 * rolls back with it. *seq and hash: the chain's new head. */
int dv_custody_shared_append(uint64_t *seq_out, uint8_t hash_out[32], dv_catalog *cat, const uint8_t pk[DV_SIGN_PK_BYTES],
                             const uint8_t sk[DV_SIGN_SK_BYTES], const uint8_t key[DV_KEY_BYTES], const char *case_name,
                             struct json_object *body);

/* The vault head: SHA-256 over "chain seq hash" of every chain's head, by
 * chain; *entries the entries they hold. */
int dv_custody_shared_vault_head(uint8_t out[32], uint64_t *entries, dv_catalog *cat);

/* One chain's head: its last entry's place and hash. */
typedef struct dv_chain_head {
	char chain[DV_CHAIN_NAME_MAX];
	uint64_t seq;
	uint8_t hash[32];
} dv_chain_head;

/* The vault head of a set of chain heads (sorted by chain, byte-wise). */
int dv_custody_shared_heads_digest(uint8_t out[32], const dv_chain_head *heads, size_t n);

/* Checks every chain: seqs 1..n without a gap, each prev the previous
 * statement's hash, each hash its statement's, the head its last entry,
 * signatures by one of the npk station keys, bodies open and name their
 * case and seq. A sentence per problem to fn; returns how many (< 0: could
 * not check). *chains and *entries: what was seen. */
int dv_custody_shared_check(uint64_t *chains, uint64_t *entries, dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES],
                            size_t npk, const uint8_t key[DV_KEY_BYTES], void (*fn)(const char *problem, void *payload),
                            void *payload);

/* One entry alone (the check's per-entry part; fuzz/fuzz_custody_shared.c):
 * NULL when intact and after expect_prev, else what is wrong. */
const char *dv_custody_shared_entry_fault(const dv_catalog_chain_entry *e, const uint8_t expect_prev[32],
                                          const uint8_t (*pks)[DV_SIGN_PK_BYTES], size_t npk, const uint8_t key[DV_KEY_BYTES]);

struct dv_custody_entry;

/* Reads the shared log as dv_custody_scan reads the file log: the check's
 * problems to problem, then every entry intact on its own (version 3
 * dv_custody_entry: seq is its place in its chain, case_ref its case's ref
 * or "station", chain the chain) with its opened body to fn, in time
 * order (an entry never before its chain's previous one). With names
 * (parallel to pks, the stations' registry), the body gets "signed_by"
 * (its signer's name), and an entry signed after revoked_ns[k] (non-zero)
 * or naming another station than its signer is a problem. Returns the
 * number of problems or < 0. */
int dv_custody_shared_scan(dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES], const char *const *names,
                           const int64_t *revoked_ns, size_t npk, const uint8_t key[DV_KEY_BYTES],
                           int (*fn)(const struct dv_custody_entry *e, struct json_object *body, void *payload),
                           void (*problem)(const char *msg, void *payload), void *payload);

/* A chain's head (case_name NULL: the station pk's chain); DV_ENOTFOUND
 * (*seq 0) when it has no entry. */
int dv_custody_shared_chain_head(uint64_t *seq, uint8_t hash[32], dv_catalog *cat, const uint8_t key[DV_KEY_BYTES],
                                 const uint8_t pk[DV_SIGN_PK_BYTES], const char *case_name);

/* A case's chain for a court package, as dv_custody_case_package, with the
 * station key of each entry beside it (entries/NNNNNN.pem) and the
 * stations (pks, their names pk_names, may be NULL) in stations.txt.
 * Every entry is checked first; nothing is written for a damaged chain. */
int dv_custody_shared_package(uint64_t *entries, uint8_t head[32], dv_catalog *cat, const uint8_t (*pks)[DV_SIGN_PK_BYTES],
                              const char *const *pk_names, size_t npk, const uint8_t key[DV_KEY_BYTES], const char *case_name,
                              const char *dir);

#endif
