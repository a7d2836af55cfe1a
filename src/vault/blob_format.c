/* The chunked AEAD blob format (dv/blob.h): header, chunks, nonces, AD. No storage here. */
#include "vault/blob_format_int.h"

#include <string.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "dv/util.h"

static const uint8_t blob_magic[8] = { 'D', 'V', 'B', 'L', 'O', 'B', 0, 1 };

int dv_blob_header_parse(const uint8_t *buf, size_t len, const char *name, dv_blob_header *out)
{
	dv_rd r = dv_rd_init(buf, len, name, 0);
	uint8_t magic[8];
	uint32_t hsize;
	uint64_t reserved;
	if (dv_rd_bytes(&r, magic, 8) < 0) return DV_ETRUNC;
	if (memcmp(magic, blob_magic, 8) != 0)
		return dv_error_set(DV_ECORRUPT, name, 0, "not a dronevault blob (bad magic)");
	if (dv_rd_u32be(&r, &hsize) < 0 || dv_rd_u32be(&r, &out->chunk_size) < 0 ||
	    dv_rd_u64be(&r, &out->size) < 0 || dv_rd_bytes(&r, out->salt, 32) < 0 ||
	    dv_rd_u64be(&r, &reserved) < 0)
		return DV_ETRUNC;
	if (hsize != DV_BLOB_HEADER_BYTES)
		return dv_error_set(DV_ECORRUPT, name, 8, "blob header size %u, expected 64", hsize);
	if (out->chunk_size < 4096 || out->chunk_size > (16u << 20))
		return dv_error_set(DV_ECORRUPT, name, 12, "blob chunk size %u out of range", out->chunk_size);
	if (reserved != 0)
		return dv_error_set(DV_ECORRUPT, name, 56, "blob reserved field not zero");
	if (dv_blob_stored_size(out) == 0)
		return dv_error_set(DV_ECORRUPT, name, 16, "blob size %llu out of range",
		                    (unsigned long long)out->size);
	return 0;
}

uint64_t dv_blob_stored_size(const dv_blob_header *h)
{
	if (h->chunk_size == 0 || h->size > (UINT64_C(1) << 56))
		return 0;
	return DV_BLOB_HEADER_BYTES + h->size + dv_blobfmt_chunks(h) * DV_GCM_TAG_BYTES;
}

uint64_t dv_blobfmt_chunks(const dv_blob_header *h)
{
	return h->size == 0 ? 1 : (h->size + h->chunk_size - 1) / h->chunk_size;
}

size_t dv_blobfmt_chunk_len(const dv_blob_header *h, uint64_t i)
{
	uint64_t start = i * h->chunk_size;
	if (start >= h->size) return 0;
	uint64_t left = h->size - start;
	return left < h->chunk_size ? (size_t)left : h->chunk_size;
}

uint64_t dv_blobfmt_chunk_offset(const dv_blob_header *h, uint64_t i)
{
	return DV_BLOB_HEADER_BYTES + i * ((uint64_t)h->chunk_size + DV_GCM_TAG_BYTES);
}

void dv_blobfmt_header(uint8_t h[DV_BLOB_HEADER_BYTES], uint32_t chunk, uint64_t size, const uint8_t salt[32])
{
	memset(h, 0, DV_BLOB_HEADER_BYTES);
	memcpy(h, blob_magic, 8);
	dv_put_u32be(h + 8, DV_BLOB_HEADER_BYTES);
	dv_put_u32be(h + 12, chunk);
	dv_put_u64be(h + 16, size);
	memcpy(h + 24, salt, 32);
}

void dv_blobfmt_aad(uint8_t aad[DV_BLOBFMT_AAD_BYTES], const uint8_t header[DV_BLOB_HEADER_BYTES], int final)
{
	memcpy(aad, header, 16);
	memcpy(aad + 16, header + 24, DV_BLOB_HEADER_BYTES - 24);
	aad[DV_BLOB_HEADER_BYTES - 8] = (uint8_t)(final ? 1 : 0);
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
