#include "check.h"
#include "dv/crypto.h"
#include "dv/err.h"
#include "dv/util.h"

/* An Ed25519 key as OpenSSL reads it (RFC 8410): the 12-byte SPKI prefix, then the key. */
static void test_pk_formats(void)
{
	uint8_t pk[32], der[DV_SIGN_PK_DER_BYTES];
	for (int i = 0; i < 32; i++) pk[i] = (uint8_t)i;
	dv_sign_pk_der(der, pk);
	static const uint8_t prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
	CHECK(!memcmp(der, prefix, 12) && !memcmp(der + 12, pk, 32));
	char pem[160], small[40];
	int n = dv_sign_pk_pem(pem, sizeof(pem), pk);
	CHECK(n > 0 && (size_t)n == strlen(pem));
	CHECK(!strncmp(pem, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 87));
	CHECK(dv_sign_pk_pem(small, sizeof(small), pk) < 0);
}

int main(void)
{
	CHECK_EQ(dv_crypto_init(), 0);
	test_pk_formats();
	uint8_t d[32];
	char hex[65];
	dv_sha256_buf("abc", 3, d);
	dv_hex(hex, d, 32);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* streaming equals one-shot */
	dv_sha256 *h;
	CHECK_EQ(dv_sha256_new(&h), 0);
	dv_sha256_update(h, "a", 1);
	dv_sha256_update(h, "bc", 2);
	uint8_t d2[32];
	dv_sha256_final(h, d2);
	CHECK(memcmp(d, d2, 32) == 0);
	dv_sha256_free(h);

	/* sealed records: round trip, wrong ad, flipped bit */
	uint8_t key[32], other[32];
	dv_random(key, 32);
	dv_random(other, 32);
	const char msg[] = "DCIM/100MEDIA/DJI_0001.JPG";
	uint8_t sealed[sizeof(msg) + DV_SEAL_OVERHEAD], plain[sizeof(msg)];
	dv_seal(sealed, msg, sizeof(msg), "ad", 2, key);
	CHECK_EQ(dv_open(plain, sealed, sizeof(sealed), "ad", 2, key), 0);
	CHECK(memcmp(plain, msg, sizeof(msg)) == 0);
	CHECK_EQ(dv_open(plain, sealed, sizeof(sealed), "ae", 2, key), DV_ECORRUPT);
	CHECK_EQ(dv_open(plain, sealed, sizeof(sealed), "ad", 2, other), DV_ECORRUPT);
	sealed[30] ^= 1;
	CHECK_EQ(dv_open(plain, sealed, sizeof(sealed), "ad", 2, key), DV_ECORRUPT);
	CHECK_EQ(dv_open(plain, sealed, 10, "ad", 2, key), DV_ECORRUPT);

	/* AES-256-GCM */
	dv_gcm *g;
	CHECK_EQ(dv_gcm_new(&g, key), 0);
	uint8_t nonce[12] = { 0 }, buf[100], tag[16], out[100];
	memset(buf, 7, sizeof(buf));
	CHECK_EQ(dv_gcm_seal(g, nonce, "x", 1, buf, sizeof(buf), out, tag), 0);
	CHECK(memcmp(out, buf, sizeof(buf)) != 0);
	uint8_t back[100];
	CHECK_EQ(dv_gcm_open(g, nonce, "x", 1, out, sizeof(out), back, tag), 0);
	CHECK(memcmp(back, buf, sizeof(buf)) == 0);
	out[5] ^= 0x80;
	CHECK_EQ(dv_gcm_open(g, nonce, "x", 1, out, sizeof(out), back, tag), DV_ECORRUPT);
	out[5] ^= 0x80;
	nonce[11] = 1;
	CHECK_EQ(dv_gcm_open(g, nonce, "x", 1, out, sizeof(out), back, tag), DV_ECORRUPT);
	dv_gcm_free(g);

	/* Ed25519 */
	uint8_t pk[32], sk[64], sig[64];
	dv_sign_keypair(pk, sk);
	dv_sign(sig, "entry", 5, sk);
	CHECK_EQ(dv_sign_verify(sig, "entry", 5, pk), 0);
	CHECK_EQ(dv_sign_verify(sig, "entrz", 5, pk), DV_ECORRUPT);

	/* Argon2id is deterministic for a salt, and differs by passphrase */
	uint8_t salt[16] = { 1 }, k1[32], k2[32], k3[32];
	CHECK_EQ(dv_kdf_passphrase(k1, "correct horse", 13, salt, 1, 8u << 20), 0);
	CHECK_EQ(dv_kdf_passphrase(k2, "correct horse", 13, salt, 1, 8u << 20), 0);
	CHECK_EQ(dv_kdf_passphrase(k3, "correct house", 13, salt, 1, 8u << 20), 0);
	CHECK(memcmp(k1, k2, 32) == 0);
	CHECK(memcmp(k1, k3, 32) != 0);
	CHECK_EQ(dv_kdf_passphrase(k1, "x", 1, salt, 0, 8u << 20), DV_EINVAL);

	/* subkeys and keyed hashes separate purposes */
	uint8_t s1[32], s2[32], t1[32], t2[32];
	dv_subkey(s1, key, 1, "catalog_");
	dv_subkey(s2, key, 2, "catalog_");
	CHECK(memcmp(s1, s2, 32) != 0);
	dv_keyed_hash(t1, s1, "abc", 3);
	dv_keyed_hash(t2, s2, "abc", 3);
	CHECK(memcmp(t1, t2, 32) != 0);
	return check_done();
}
