/*
 * vault/blob_format_int.h - the chunked AEAD blob format (dv/blob.h has the
 * layout): header, chunk geometry, nonces, additional data, per-blob keys.
 * Storage-independent; used by the blob store front end (blobstore.c).
 */
#ifndef DV_VAULT_BLOB_FORMAT_INT_H
#define DV_VAULT_BLOB_FORMAT_INT_H

#include <stdint.h>

#include "dv/blob.h"
#include "dv/crypto.h"

#define DV_BLOBFMT_AAD_BYTES (DV_BLOB_HEADER_BYTES - 8 + 1)

/* The 64 header bytes for chunk size, plaintext size and salt. */
void dv_blobfmt_header(uint8_t h[DV_BLOB_HEADER_BYTES], uint32_t chunk, uint64_t size, const uint8_t salt[32]);
/* Additional data of a chunk: header without the size field, then the final flag. */
void dv_blobfmt_aad(uint8_t aad[DV_BLOBFMT_AAD_BYTES], const uint8_t header[DV_BLOB_HEADER_BYTES], int final);
/* Nonce of chunk i: 0x00000000 || i. */
void dv_blobfmt_nonce(uint8_t nonce[12], uint64_t i);
/* The blob's AES-256-GCM context: key BLAKE2b-keyed(data key, salt). */
int dv_blobfmt_gcm(dv_gcm **out, const uint8_t data_key[DV_KEY_BYTES], const uint8_t salt[32]);
/* Number of chunks (at least 1), plaintext bytes of chunk i, stored offset of chunk i. */
uint64_t dv_blobfmt_chunks(const dv_blob_header *h);
size_t dv_blobfmt_chunk_len(const dv_blob_header *h, uint64_t i);
uint64_t dv_blobfmt_chunk_offset(const dv_blob_header *h, uint64_t i);

#endif
