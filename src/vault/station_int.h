/*
 * src/vault/station_int.h - the stations of a vault whose catalog (and
 * custody log) is shared (PostgreSQL; docs/design.md, "Stations"). Each
 * station is a vault directory of its own, with its own vault.json and
 * Ed25519 signing key; the central registry is the catalog's sealed side
 * table "stations" (row id: a keyed tag of the name, so a name is taken
 * once), every change in it logged (vault.init, station.add,
 * station.revoke) in the same transaction.
 */
#ifndef DV_VAULT_STATION_INT_H
#define DV_VAULT_STATION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/catalog.h"
#include "dv/crypto.h"
#include "dv/vault.h"

#define DV_STATION_TABLE "stations"

typedef dv_station_info dv_station_rec;

typedef struct dv_station_list {
	dv_station_rec *s;
	size_t n;
	/* parallel views for the custody check */
	uint8_t (*pks)[DV_SIGN_PK_BYTES];
	const char **names;
	int64_t *revoked;            /* revoked_ns of each, 0: not revoked */
} dv_station_list;

/* The registry's row id of a name (a keyed tag: the name is not in clear). */
int64_t dv_station_row_id(const uint8_t tags_key[DV_KEY_BYTES], const char *name);
/* Every station of the registry, by row id, plus self (pk, name) when the
 * registry lacks it (a vault made before it). */
int dv_station_list_read(dv_station_list *out, dv_catalog *cat, const uint8_t self_pk[DV_SIGN_PK_BYTES], const char *self_name);
void dv_station_list_free(dv_station_list *l);
/* The registry row of a station (inside the caller's write transaction). */
int dv_station_put(dv_catalog *cat, const uint8_t tags_key[DV_KEY_BYTES], const dv_station_rec *s);
/* The station of pk in the list, or NULL. */
const dv_station_rec *dv_station_by_pk(const dv_station_list *l, const uint8_t pk[DV_SIGN_PK_BYTES]);

/* 1-63 of A-Z a-z 0-9 . _ -, not starting with . or - */
bool dv_station_name_ok(const char *name);

/*
 * The rollback witness as its directory file holds it (vault.c writes it:
 * {"format":"dronevault-witness","station_key":..,"writes":N,
 * "vault_head":"<64 hex>","mac":"<64 hex>"}): hostile bytes (an insider
 * edits the directory), parsed here alone, bounded (DV_WITNESS_MAX bytes,
 * JSON depth 4). *writes and head always; mac_hex "" when the text has
 * none (the central copy). DV_ECORRUPT when malformed.
 */
#define DV_WITNESS_MAX 4096
int dv_witness_decode(uint64_t *writes, uint8_t head[32], char mac_hex[65], const uint8_t *data, size_t n);

#endif
