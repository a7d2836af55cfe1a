#include "dv/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"

int dv_crypto_init(void)
{
	if (sodium_init() < 0)
		return dv_error_set(DV_ERROR, NULL, -1, "cannot initialise libsodium");
	return 0;
}

int dv_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
	return 0;
}

void *dv_secret_alloc(size_t n)
{
	if (dv_crypto_init() < 0) return NULL;
	void *p = sodium_malloc(n ? n : 1);
	if (!p) dv_error_set(DV_ENOMEM, NULL, -1, "out of guarded memory for keys");
	else sodium_memzero(p, n ? n : 1);
	return p;
}

void dv_secret_readonly(void *p)
{
	if (p) (void)sodium_mprotect_readonly(p);
}

void dv_secret_free(void *p)
{
	if (p) sodium_free(p);   /* makes it writable, wipes, unlocks, unmaps */
}

void dv_wipe(void *buf, size_t n)
{
	sodium_memzero(buf, n);
}

int dv_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

/* ---- SHA-256 ----------------------------------------------------------- */
struct dv_sha256 {
	EVP_MD_CTX *ctx;
};

int dv_sha256_new(dv_sha256 **out)
{
	dv_sha256 *h = calloc(1, sizeof(*h));
	if (!h || !(h->ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		dv_sha256_free(h);
		return dv_error_set(DV_ENOMEM, NULL, -1, "cannot create a SHA-256 context");
	}
	*out = h;
	return 0;
}

int dv_sha256_update(dv_sha256 *h, const void *p, size_t n)
{
	if (EVP_DigestUpdate(h->ctx, p, n) != 1)
		return dv_error_set(DV_ERROR, NULL, -1, "SHA-256 update failed");
	return 0;
}

int dv_sha256_final(dv_sha256 *h, uint8_t out[DV_SHA256_BYTES])
{
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != DV_SHA256_BYTES ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return dv_error_set(DV_ERROR, NULL, -1, "SHA-256 final failed");
	return 0;
}

void dv_sha256_free(dv_sha256 *h)
{
	if (!h) return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void dv_sha256_buf(const void *p, size_t n, uint8_t out[DV_SHA256_BYTES])
{
	unsigned int len = 0;
	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

/* ---- keys -------------------------------------------------------------- */
int dv_kdf_passphrase(uint8_t key[DV_KEY_BYTES], const char *pass, size_t pass_len,
                      const uint8_t salt[16], uint64_t ops, uint64_t mem)
{
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 || mem < 8u << 20 || mem > 4096ull << 20)
		return dv_error_set(DV_EINVAL, NULL, -1,
		                    "Argon2id parameters out of range (ops %llu, memory %llu bytes)",
		                    (unsigned long long)ops, (unsigned long long)mem);
	if (crypto_pwhash(key, DV_KEY_BYTES, pass, pass_len, salt, ops, (size_t)mem,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return dv_error_set(DV_ENOMEM, NULL, -1, "Argon2id failed (out of memory?)");
	return 0;
}

void dv_subkey(uint8_t out[DV_KEY_BYTES], const uint8_t master[DV_KEY_BYTES],
               uint64_t id, const char context[8])
{
	crypto_kdf_derive_from_key(out, DV_KEY_BYTES, id, context, master);
}

void dv_keyed_hash(uint8_t out[32], const uint8_t key[DV_KEY_BYTES], const void *msg, size_t n)
{
	crypto_generichash(out, 32, msg, n, key, DV_KEY_BYTES);
}

/* ---- sealed records ---------------------------------------------------- */
void dv_seal(uint8_t *out, const void *msg, size_t n, const void *ad, size_t ad_len,
             const uint8_t key[DV_KEY_BYTES])
{
	randombytes_buf(out, DV_SEAL_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + DV_SEAL_NONCE_BYTES, NULL, msg, n, ad,
	                                           ad_len, NULL, out, key);
}

int dv_open(uint8_t *out, const uint8_t *in, size_t in_len, const void *ad, size_t ad_len,
            const uint8_t key[DV_KEY_BYTES])
{
	if (in_len < DV_SEAL_OVERHEAD)
		return dv_error_set(DV_ECORRUPT, NULL, -1, "sealed record shorter than its overhead");
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in + DV_SEAL_NONCE_BYTES,
	                                               in_len - DV_SEAL_NONCE_BYTES, ad, ad_len,
	                                               in, key) != 0)
		return dv_error_set(DV_ECORRUPT, NULL, -1, "sealed record fails authentication");
	return 0;
}

/* ---- AES-256-GCM -------------------------------------------------------- */
struct dv_gcm {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

int dv_gcm_new(dv_gcm **out, const uint8_t key[DV_KEY_BYTES])
{
	dv_gcm *g = calloc(1, sizeof(*g));
	if (!g || !(g->enc = EVP_CIPHER_CTX_new()) || !(g->dec = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(g->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(g->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
		dv_gcm_free(g);
		return dv_error_set(DV_ENOMEM, NULL, -1, "cannot create an AES-256-GCM context");
	}
	*out = g;
	return 0;
}

void dv_gcm_free(dv_gcm *g)
{
	if (!g) return;
	EVP_CIPHER_CTX_free(g->enc);
	EVP_CIPHER_CTX_free(g->dec);
	free(g);
}

/* EVP takes int lengths: callers pass chunks, never more than INT_MAX. */
int dv_gcm_seal(dv_gcm *g, const uint8_t nonce[12], const void *ad, size_t ad_len,
                const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[DV_GCM_TAG_BYTES])
{
	int len = 0;
	if (n > (1u << 30) || ad_len > (1u << 20) ||
	    EVP_EncryptInit_ex(g->enc, NULL, NULL, NULL, nonce) != 1 ||
	    (ad_len && EVP_EncryptUpdate(g->enc, NULL, &len, ad, (int)ad_len) != 1) ||
	    EVP_EncryptUpdate(g->enc, out, &len, in, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(g->enc, out + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, DV_GCM_TAG_BYTES, tag) != 1)
		return dv_error_set(DV_ERROR, NULL, -1, "AES-256-GCM encryption failed");
	return 0;
}

int dv_gcm_open(dv_gcm *g, const uint8_t nonce[12], const void *ad, size_t ad_len,
                const uint8_t *in, size_t n, uint8_t *out, const uint8_t tag[DV_GCM_TAG_BYTES])
{
	int len = 0;
	uint8_t t[DV_GCM_TAG_BYTES];
	memcpy(t, tag, sizeof(t));
	if (n > (1u << 30) || ad_len > (1u << 20) ||
	    EVP_DecryptInit_ex(g->dec, NULL, NULL, NULL, nonce) != 1 ||
	    (ad_len && EVP_DecryptUpdate(g->dec, NULL, &len, ad, (int)ad_len) != 1) ||
	    EVP_DecryptUpdate(g->dec, out, &len, in, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, DV_GCM_TAG_BYTES, t) != 1)
		return dv_error_set(DV_ERROR, NULL, -1, "AES-256-GCM decryption failed");
	if (EVP_DecryptFinal_ex(g->dec, out + len, &len) != 1)
		return dv_error_set(DV_ECORRUPT, NULL, -1, "AES-256-GCM tag mismatch");
	return 0;
}

/* ---- Ed25519 ------------------------------------------------------------ */
void dv_sign_keypair(uint8_t pk[DV_SIGN_PK_BYTES], uint8_t sk[DV_SIGN_SK_BYTES])
{
	crypto_sign_keypair(pk, sk);
}

void dv_sign_pk_der(uint8_t der[DV_SIGN_PK_DER_BYTES], const uint8_t pk[DV_SIGN_PK_BYTES])
{
	/* SEQUENCE { SEQUENCE { OID 1.3.101.112 (Ed25519) }, BIT STRING { key } } (RFC 8410) */
	static const uint8_t prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
	memcpy(der, prefix, sizeof(prefix));
	memcpy(der + sizeof(prefix), pk, DV_SIGN_PK_BYTES);
}

int dv_sign_pk_pem(char *out, size_t size, const uint8_t pk[DV_SIGN_PK_BYTES])
{
	uint8_t der[DV_SIGN_PK_DER_BYTES];
	char b64[80];
	dv_sign_pk_der(der, pk);
	sodium_bin2base64(b64, sizeof(b64), der, sizeof(der), sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out, size, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", b64);
	return n > 0 && (size_t)n < size ? n : dv_error_set(DV_EINVAL, NULL, -1, "PEM buffer too small");
}

void dv_sign(uint8_t sig[DV_SIGN_BYTES], const void *msg, size_t n,
             const uint8_t sk[DV_SIGN_SK_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, n, sk);
}

int dv_sign_verify(const uint8_t sig[DV_SIGN_BYTES], const void *msg, size_t n,
                   const uint8_t pk[DV_SIGN_PK_BYTES])
{
	if (crypto_sign_verify_detached(sig, msg, n, pk) != 0)
		return dv_error_set(DV_ECORRUPT, NULL, -1, "signature does not verify");
	return 0;
}
