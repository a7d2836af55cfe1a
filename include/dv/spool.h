/*
 * dv/spool.h - a sealed spool file: bytes this process must keep on disk
 * for a while before they are stored in the vault (a live watch's rolling
 * capture), never in clear. libsodium's crypto_secretstream
 * (XChaCha20-Poly1305) under a key the caller holds in memory only (a
 * random one per watch): someone who reads the disk meanwhile learns the
 * sizes, nothing else; a chunk altered, dropped, reordered or the file cut
 * is an authentication failure on reading.
 *
 * File: the 24-byte stream header, then chunks of at most 64 KiB of
 * plaintext each sealed with its 17 bytes; the last chunk is tagged FINAL.
 */
#ifndef DV_SPOOL_H
#define DV_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DV_SPOOL_KEY_BYTES 32

typedef struct dv_spool dv_spool;

/* Creates path (O_EXCL, 0600). */
int dv_spool_create(dv_spool **out, const char *path, const uint8_t key[DV_SPOOL_KEY_BYTES]);
int dv_spool_write(dv_spool *s, const void *data, size_t n);
/* Seals the last chunk (FINAL), closes; *plain_bytes: what was written.
 * Frees s in every case. */
int dv_spool_close(dv_spool *s, uint64_t *plain_bytes);
/* Opens path and passes its plaintext to sink in order; the whole stream
 * must authenticate, end with its FINAL chunk and hold exactly expect
 * bytes (DV_ECORRUPT naming the file and the offset otherwise). */
int dv_spool_read(const char *path, const uint8_t key[DV_SPOOL_KEY_BYTES], uint64_t expect,
                  int (*sink)(const uint8_t *data, size_t n, void *payload), void *payload);

#ifdef __cplusplus
}
#endif

#endif
