/*
 * dv/crypto.h - the only place libdronevault touches cryptography.
 *
 *  - SHA-256 through OpenSSL's EVP (uses SHA-NI where the CPU has it).
 *  - AES-256-GCM through OpenSSL's EVP (AES-NI, PCLMUL) for bulk blob data.
 *  - XChaCha20-Poly1305 (libsodium) for small sealed records: catalog rows,
 *    custody log bodies, wrapped keys. 192-bit random nonces, so no counter
 *    state has to survive a crash.
 *  - Argon2id (libsodium crypto_pwhash) to turn a passphrase into a key.
 *  - BLAKE2b (libsodium) for subkeys and keyed hashes (blob names, tags).
 *  - Ed25519 (libsodium) for the station's custody-log signatures.
 *
 * Secrets live in buffers the caller owns; dv_wipe() clears them. Keys
 * kept for a vault's lifetime (master key, subkeys, station secret key)
 * live in guarded memory from dv_secret_alloc.
 */
#ifndef DV_CRYPTO_H
#define DV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DV_KEY_BYTES 32
#define DV_SHA256_BYTES 32
#define DV_SEAL_NONCE_BYTES 24
#define DV_SEAL_TAG_BYTES 16
#define DV_SEAL_OVERHEAD (DV_SEAL_NONCE_BYTES + DV_SEAL_TAG_BYTES)
#define DV_GCM_TAG_BYTES 16
#define DV_SIGN_PK_BYTES 32
#define DV_SIGN_SK_BYTES 64
#define DV_SIGN_BYTES 64

/* Initialises libsodium once; every other function may assume it. */
int dv_crypto_init(void);

int dv_random(void *buf, size_t n);
void dv_wipe(void *buf, size_t n);
/*
 * Guarded memory for keys (libsodium sodium_malloc): locked in RAM (never
 * swapped, where RLIMIT_MEMLOCK allows), left out of core dumps
 * (MADV_DONTDUMP), between guard pages. dv_secret_readonly() makes it
 * read-only once the key is set (a stray write faults instead of changing
 * a key); dv_secret_free() wipes and releases it (NULL is fine). NULL and
 * DV_ENOMEM set when out of memory. Needs dv_crypto_init().
 */
void *dv_secret_alloc(size_t n);
void dv_secret_readonly(void *p);
void dv_secret_free(void *p);

/* Constant-time equality of two n-byte buffers. */
int dv_equal(const void *a, const void *b, size_t n);

/* ---- SHA-256 ----------------------------------------------------------- */
typedef struct dv_sha256 dv_sha256;
int dv_sha256_new(dv_sha256 **out);
int dv_sha256_update(dv_sha256 *h, const void *p, size_t n);
/* Writes the digest and resets h for reuse. */
int dv_sha256_final(dv_sha256 *h, uint8_t out[DV_SHA256_BYTES]);
void dv_sha256_free(dv_sha256 *h);
void dv_sha256_buf(const void *p, size_t n, uint8_t out[DV_SHA256_BYTES]);

/* ---- keys -------------------------------------------------------------- */
/* Argon2id: ops iterations over mem bytes. DV_EINVAL for out-of-range. */
int dv_kdf_passphrase(uint8_t key[DV_KEY_BYTES], const char *pass, size_t pass_len,
                      const uint8_t salt[16], uint64_t ops, uint64_t mem);
/* A subkey for one purpose: BLAKE2b(master, id, 8-char context). */
void dv_subkey(uint8_t out[DV_KEY_BYTES], const uint8_t master[DV_KEY_BYTES],
               uint64_t id, const char context[8]);
/* 32-byte BLAKE2b keyed hash of msg (blob names, lookup tags). */
void dv_keyed_hash(uint8_t out[32], const uint8_t key[DV_KEY_BYTES],
                   const void *msg, size_t n);

/* ---- sealed records (XChaCha20-Poly1305) ---------------------------------
 * out must hold n + DV_SEAL_OVERHEAD bytes: nonce || ciphertext || tag.
 * dv_open() returns DV_ECORRUPT when the record or its ad does not match. */
void dv_seal(uint8_t *out, const void *msg, size_t n, const void *ad, size_t ad_len,
             const uint8_t key[DV_KEY_BYTES]);
int dv_open(uint8_t *out, const uint8_t *in, size_t in_len, const void *ad, size_t ad_len,
            const uint8_t key[DV_KEY_BYTES]);

/* ---- bulk AES-256-GCM ---------------------------------------------------- */
typedef struct dv_gcm dv_gcm;
int dv_gcm_new(dv_gcm **out, const uint8_t key[DV_KEY_BYTES]);
void dv_gcm_free(dv_gcm *g);
/* Encrypts n bytes of in to out (may be the same buffer) and writes the tag. */
int dv_gcm_seal(dv_gcm *g, const uint8_t nonce[12], const void *ad, size_t ad_len,
                const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[DV_GCM_TAG_BYTES]);
/* Decrypts; DV_ECORRUPT when the tag does not match (out is then garbage). */
int dv_gcm_open(dv_gcm *g, const uint8_t nonce[12], const void *ad, size_t ad_len,
                const uint8_t *in, size_t n, uint8_t *out, const uint8_t tag[DV_GCM_TAG_BYTES]);

/* ---- Ed25519 ------------------------------------------------------------- */
void dv_sign_keypair(uint8_t pk[DV_SIGN_PK_BYTES], uint8_t sk[DV_SIGN_SK_BYTES]);
/* An Ed25519 public key as OpenSSL reads it: its SubjectPublicKeyInfo (DER,
 * what a station's fingerprint hashes), and that as PEM ("-----BEGIN PUBLIC
 * KEY-----", the court packages' .pem files): the PEM's length, or < 0. */
#define DV_SIGN_PK_DER_BYTES 44
void dv_sign_pk_der(uint8_t der[DV_SIGN_PK_DER_BYTES], const uint8_t pk[DV_SIGN_PK_BYTES]);
int dv_sign_pk_pem(char *out, size_t size, const uint8_t pk[DV_SIGN_PK_BYTES]);
void dv_sign(uint8_t sig[DV_SIGN_BYTES], const void *msg, size_t n,
             const uint8_t sk[DV_SIGN_SK_BYTES]);
/* 0 when sig is a valid signature of msg by pk, else DV_ECORRUPT. */
int dv_sign_verify(const uint8_t sig[DV_SIGN_BYTES], const void *msg, size_t n,
                   const uint8_t pk[DV_SIGN_PK_BYTES]);

#ifdef __cplusplus
}
#endif
#endif
