/* The chunked AEAD blob format (dv/blob.h): header, sealed size, Padme
 * padding, chunks, nonces, AD. No storage here. */
#include "vault/blob_format_int.h"

#include <string.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"

static const uint8_t magic_v1[8] = { 'D', 'V', 'B', 'L', 'O', 'B', 0, 1 };
static const uint8_t magic_v2[8] = { 'D', 'V', 'B', 'L', 'O', 'B', 0, 2 };

#define MAX_PLAIN (UINT64_C(1) << 56)

static uint64_t get_u64be(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = v << 8 | b[i];
	return v;
}

uint64_t dv_blob_padme(uint64_t n)
{
	if (n < 2 || n > MAX_PLAIN) return n;
	unsigned e = 63u - (unsigned)__builtin_clzll(n);   /* floor(log2 n) */
	unsigned s = 32u - (unsigned)__builtin_clz(e);     /* floor(log2 e) + 1 */
	uint64_t mask = (UINT64_C(1) << (e - s)) - 1;
	return (n + mask) & ~mask;
}

int dv_blob_header_parse(const uint8_t *buf, size_t len, const char *name, dv_blob_header *out)
{
	dv_rd r = dv_rd_init(buf, len, name, 0);
	uint8_t magic[8];
	uint64_t reserved, reserved2 = 0;
	memset(out, 0, sizeof(*out));
	if (dv_rd_bytes(&r, magic, 8) < 0) return DV_ETRUNC;
	if (memcmp(magic, magic_v2, 8) == 0) out->version = 2;
	else if (memcmp(magic, magic_v1, 8) == 0) out->version = 1;
	else return dv_error_set(DV_ECORRUPT, name, 0, "not a dronevault blob (bad magic)");
	if (dv_rd_u32be(&r, &out->header_bytes) < 0 || dv_rd_u32be(&r, &out->chunk_size) < 0) return DV_ETRUNC;
	uint32_t want = out->version == 2 ? DV_BLOB_HEADER_V2_BYTES : DV_BLOB_HEADER_BYTES;
	if (out->header_bytes != want)
		return dv_error_set(DV_ECORRUPT, name, 8, "blob header size %u, expected %u", out->header_bytes, want);
	if (out->version == 1) {
		if (dv_rd_u64be(&r, &out->size) < 0) return DV_ETRUNC;
		out->padded = out->size;
	}
	if (dv_rd_bytes(&r, out->salt, 32) < 0 || dv_rd_u64be(&r, &reserved) < 0) return DV_ETRUNC;
	if (out->version == 2 &&
	    (dv_rd_bytes(&r, out->sealed_size, sizeof(out->sealed_size)) < 0 || dv_rd_u64be(&r, &reserved2) < 0))
		return DV_ETRUNC;
	if (out->chunk_size < 4096 || out->chunk_size > (16u << 20))
		return dv_error_set(DV_ECORRUPT, name, 12, "blob chunk size %u out of range", out->chunk_size);
	if (reserved != 0 || reserved2 != 0)
		return dv_error_set(DV_ECORRUPT, name, reserved ? (out->version == 2 ? 48 : 56) : 88,
		                    "blob reserved field not zero");
	if (out->version == 1 && dv_blob_stored_size(out) == 0)
		return dv_error_set(DV_ECORRUPT, name, 16, "blob size %llu out of range",
		                    (unsigned long long)out->size);
	return 0;
}

int dv_blob_header_geometry(dv_blob_header *h, uint64_t stored, const char *name)
{
	if (h->version == 2) {
		/* stored = H + L + 16n, n = max(1, ceil(L / C)) */
		uint64_t per = (uint64_t)h->chunk_size + DV_GCM_TAG_BYTES;
		if (stored < h->header_bytes + DV_GCM_TAG_BYTES)
			return dv_error_set(DV_ECORRUPT, name, (int64_t)stored, "blob is %llu bytes, too short",
			                    (unsigned long long)stored);
		uint64_t x = stored - h->header_bytes;
		uint64_t n = x / per + (x % per ? 1 : 0);
		h->padded = x - DV_GCM_TAG_BYTES * n;
		if (h->padded > MAX_PLAIN || dv_blobfmt_chunks(h) != n)
			return dv_error_set(DV_ECORRUPT, name, (int64_t)stored,
			                    "blob is %llu bytes, which no chunk count gives", (unsigned long long)stored);
		return 0;
	}
	if (stored != dv_blob_stored_size(h))
		return dv_error_set(DV_ECORRUPT, name, (int64_t)stored, "blob is %llu bytes, its header says %llu",
		                    (unsigned long long)stored, (unsigned long long)dv_blob_stored_size(h));
	return 0;
}

uint64_t dv_blob_stored_size(const dv_blob_header *h)
{
	if (h->chunk_size == 0 || h->padded > MAX_PLAIN) return 0;
	return h->header_bytes + h->padded + dv_blobfmt_chunks(h) * DV_GCM_TAG_BYTES;
}

uint64_t dv_blobfmt_chunks(const dv_blob_header *h)
{
	return h->padded == 0 ? 1 : (h->padded + h->chunk_size - 1) / h->chunk_size;
}

size_t dv_blobfmt_chunk_len(const dv_blob_header *h, uint64_t i)
{
	uint64_t start = i * h->chunk_size;
	if (start >= h->padded) return 0;
	uint64_t left = h->padded - start;
	return left < h->chunk_size ? (size_t)left : h->chunk_size;
}

uint64_t dv_blobfmt_chunk_offset(const dv_blob_header *h, uint64_t i)
{
	return h->header_bytes + i * ((uint64_t)h->chunk_size + DV_GCM_TAG_BYTES);
}

void dv_blobfmt_header(uint8_t h[DV_BLOB_HEADER_V2_BYTES], dv_blob_header *out, uint32_t chunk,
                       const uint8_t salt[32])
{
	memset(h, 0, DV_BLOB_HEADER_V2_BYTES);
	memcpy(h, magic_v2, 8);
	dv_put_u32be(h + 8, DV_BLOB_HEADER_V2_BYTES);
	dv_put_u32be(h + 12, chunk);
	memcpy(h + 16, salt, 32);
	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->header_bytes = DV_BLOB_HEADER_V2_BYTES;
	out->chunk_size = chunk;
	memcpy(out->salt, salt, 32);
}

/* The sealed size's nonce, apart from every chunk's (whose first 4 bytes are 0). */
static void size_nonce(uint8_t nonce[12])
{
	memset(nonce, 0xff, 4);
	memset(nonce + 4, 0, 8);
}

int dv_blobfmt_seal_size(uint8_t h[DV_BLOB_HEADER_V2_BYTES], dv_gcm *gcm, uint64_t size)
{
	uint8_t nonce[12], plain[DV_BLOBFMT_SEALED_PLAIN] = { 0 };
	size_nonce(nonce);
	dv_put_u64be(plain, size);
	uint8_t *out = h + DV_BLOBFMT_SEALED_OFF;
	return dv_gcm_seal(gcm, nonce, h, DV_BLOBFMT_SEALED_OFF, plain, sizeof(plain), out,
	                   out + DV_BLOBFMT_SEALED_PLAIN);
}

int dv_blobfmt_open_size(dv_blob_header *hd, const uint8_t *h, dv_gcm *gcm, const char *name)
{
	if (hd->version != 2) return 0;
	uint8_t nonce[12], plain[DV_BLOBFMT_SEALED_PLAIN];
	size_nonce(nonce);
	if (dv_gcm_open(gcm, nonce, h, DV_BLOBFMT_SEALED_OFF, hd->sealed_size, sizeof(plain), plain,
	                hd->sealed_size + DV_BLOBFMT_SEALED_PLAIN) < 0)
		return dv_error_set(DV_ECORRUPT, name, DV_BLOBFMT_SEALED_OFF,
		                    "blob header fails authentication (tampered or damaged)");
	uint64_t size = get_u64be(plain), zero = get_u64be(plain + 8);
	if (zero != 0 || size > MAX_PLAIN || dv_blob_padme(size) != hd->padded)
		return dv_error_set(DV_ECORRUPT, name, DV_BLOBFMT_SEALED_OFF,
		                    "blob's sealed size %llu does not give its %llu stored bytes",
		                    (unsigned long long)size, (unsigned long long)hd->padded);
	hd->size = size;
	return 0;
}

void dv_blobfmt_aad(uint8_t aad[DV_BLOBFMT_AAD_BYTES], const dv_blob_header *hd, const uint8_t *header, int final)
{
	if (hd->version == 2) {
		memcpy(aad, header, DV_BLOBFMT_SEALED_OFF);
	} else {
		memcpy(aad, header, 16);
		memcpy(aad + 16, header + 24, DV_BLOB_HEADER_BYTES - 24);
	}
	aad[DV_BLOBFMT_AAD_BYTES - 1] = (uint8_t)(final ? 1 : 0);
}

void dv_blobfmt_nonce(uint8_t nonce[12], uint64_t i)
{
	memset(nonce, 0, 4);
	dv_put_u64be(nonce + 4, i);
}

int dv_blobfmt_gcm(dv_gcm **out, const uint8_t data_key[DV_KEY_BYTES], const uint8_t salt[32])
{
	uint8_t key[DV_KEY_BYTES];
	dv_keyed_hash(key, data_key, salt, 32);
	int rc = dv_gcm_new(out, key);
	dv_wipe(key, sizeof(key));
	return rc;
}
