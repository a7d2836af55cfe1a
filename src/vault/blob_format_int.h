/*
 * vault/blob_format_int.h - the chunked AEAD blob format (dv/blob.h has the
 * layout): header, sealed size, padding, chunk geometry, nonces, additional
 * data, per-blob keys. Storage-independent; used by the blob store front
 * end (blobstore.c). Version 2 is written; version 1 is read.
 */
#ifndef DV_VAULT_BLOB_FORMAT_INT_H
#define DV_VAULT_BLOB_FORMAT_INT_H

#include <stdint.h>

#include "dv/blob.h"
#include "dv/crypto.h"

/* Both versions authenticate 56 header bytes and the final flag. */
#define DV_BLOBFMT_AAD_BYTES 57
#define DV_BLOBFMT_SEALED_OFF 56   /* version 2: the sealed size */
#define DV_BLOBFMT_SEALED_PLAIN 16 /* P (u64), zero (u64) */

/* The 96 header bytes of a new (version 2) blob, the sealed size left zero;
 * *out parsed from them (size and padded 0). */
void dv_blobfmt_header(uint8_t h[DV_BLOB_HEADER_V2_BYTES], dv_blob_header *out, uint32_t chunk,
                       const uint8_t salt[32]);
/* Seals size P into h (bytes 56..87) with the blob's context. */
int dv_blobfmt_seal_size(uint8_t h[DV_BLOB_HEADER_V2_BYTES], dv_gcm *gcm, uint64_t size);
/* Opens the sealed size of a version 2 header into hd->size and checks it
 * against hd->padded (set by dv_blob_header_geometry). Version 1: nothing. */
int dv_blobfmt_open_size(dv_blob_header *hd, const uint8_t *h, dv_gcm *gcm, const char *name);
/* Additional data of a chunk: the header's authenticated bytes, then the final flag. */
void dv_blobfmt_aad(uint8_t aad[DV_BLOBFMT_AAD_BYTES], const dv_blob_header *hd, const uint8_t *header, int final);
/* Nonce of chunk i: 0x00000000 || i. */
void dv_blobfmt_nonce(uint8_t nonce[12], uint64_t i);
/* The blob's AES-256-GCM context: key BLAKE2b-keyed(data key, salt). */
int dv_blobfmt_gcm(dv_gcm **out, const uint8_t data_key[DV_KEY_BYTES], const uint8_t salt[32]);
/* Number of chunks (at least 1), stored bytes of chunk i (of L), stored offset of chunk i. */
uint64_t dv_blobfmt_chunks(const dv_blob_header *h);
size_t dv_blobfmt_chunk_len(const dv_blob_header *h, uint64_t i);
uint64_t dv_blobfmt_chunk_offset(const dv_blob_header *h, uint64_t i);

#endif
