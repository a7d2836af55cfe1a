/*
 * vault/vault_fs_int.h - where the vault's durable writers take their
 * dv_fs (core/fs_int.h): per vault, set at open, for tests that simulate
 * a power cut (tests/crash). NULL everywhere means dv_fs_real().
 */
#ifndef DV_VAULT_VAULT_FS_INT_H
#define DV_VAULT_VAULT_FS_INT_H

#include <stdbool.h>

#include "core/fs_int.h"
#include "dv/blob.h"
#include "dv/custody.h"
#include "dv/vault.h"

/* dv_vault_open_ex whose blob store, custody log and exports write through fs. */
int dv_vault_open_fs(dv_vault **out, const char *dir, const dv_key_source *key, int mode,
                     const dv_vault_open_opts *opts, const dv_fs *fs);
/* The vault's table (dv_fs_real() unless opened with another). */
const dv_fs *dv_vault_fs(const dv_vault *v);

int dv_blob_folder_backend_fs(dv_blob_backend **out, const dv_blob_backend_ops **ops_out, const char *vault_dir,
                              bool create, const dv_fs *fs);
int dv_blobstore_open_folder_fs(dv_blobstore **out, const char *vault_dir, const uint8_t name_key[DV_KEY_BYTES],
                                const uint8_t data_key[DV_KEY_BYTES], unsigned flags, const dv_fs *fs);
/* The custody log's appends (write, fsync, cutting a failed append) through fs. */
void dv_custody_use_fs(dv_custody *log, const dv_fs *fs);

#endif
