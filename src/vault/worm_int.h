/*
 * src/vault/worm_int.h - what the blobs of an Object Lock vault should have:
 * every blob a locked case holds, with the union of those cases' locks (the
 * longest retention, any legal hold), built in one walk (worm.c) for verify
 * and for releasing a hold.
 */
#ifndef DV_VAULT_WORM_INT_H
#define DV_VAULT_WORM_INT_H

#include <stddef.h>

#include "dv/vault.h"

typedef struct dv_lock_wants dv_lock_wants;

int dv_lock_wants_build(dv_lock_wants **out, dv_vault *v);
/* name's wanted lock (zeros: none of the locked cases holds it). */
dv_case_lock dv_lock_wants_get(const dv_lock_wants *w, const char *name);
void dv_lock_wants_free(dv_lock_wants *w);

/* dv_vault_blob_lock_problem with the wants built once for many blobs. */
int dv_vault_blob_lock_problem_in(dv_vault *v, const dv_lock_wants *wants, const char *name, char *why, size_t size);

#endif
