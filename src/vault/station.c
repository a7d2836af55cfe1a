/*
 * The stations registry of a shared vault (station_int.h): sealed rows of
 * the catalog's side table "stations", one JSON record per station.
 */
#include "vault/station_int.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/util.h"

#define STATIONS_MAX 4096

int64_t dv_station_row_id(const uint8_t tags_key[DV_KEY_BYTES], const char *name)
{
	uint8_t h[8];
	static const char tag[] = "dronevault-station-name-v1|";
	crypto_generichash_state st;
	crypto_generichash_init(&st, tags_key, DV_KEY_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof(h));
	uint64_t id = 0;
	for (int i = 0; i < 8; i++) id = id << 8 | h[i];
	id &= 0x7fffffffffffffffull;
	return id ? (int64_t)id : 1;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static int grow(dv_station_list *l)
{
	if (l->n >= STATIONS_MAX) return dv_error_set(DV_ECORRUPT, NULL, -1, "more than %d stations", STATIONS_MAX);
	dv_station_rec *n = realloc(l->s, (l->n + 1) * sizeof(*n));
	if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	l->s = n;
	memset(&l->s[l->n], 0, sizeof(l->s[l->n]));
	return 0;
}

static int on_row(int64_t id, const uint8_t *data, size_t n, void *payload)
{
	(void)id;
	dv_station_list *l = payload;
	json_tokener *tok = json_tokener_new_ex(4);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)data, (int)n) : NULL;
	json_tokener_free(tok);
	const char *name = o ? jstr(o, "name") : NULL, *pk = o ? jstr(o, "public_key") : NULL;
	uint8_t key[32];
	int rc = 0;
	if (!name || !pk || strlen(pk) != 64 || dv_unhex(key, 32, pk) < 0)
		rc = dv_error_set(DV_ECORRUPT, NULL, -1, "catalog: a stations row is malformed");
	else if ((rc = grow(l)) == 0) {
		dv_station_rec *s = &l->s[l->n++];
		snprintf(s->name, sizeof(s->name), "%s", name);
		memcpy(s->public_key, key, 32);
		s->enrolled_ns = jint(o, "enrolled_ns");
		s->revoked_ns = jint(o, "revoked_ns");
		snprintf(s->enrolled_by, sizeof(s->enrolled_by), "%s", jstr(o, "enrolled_by") ? jstr(o, "enrolled_by") : "");
		snprintf(s->revoked_by, sizeof(s->revoked_by), "%s", jstr(o, "revoked_by") ? jstr(o, "revoked_by") : "");
	}
	json_object_put(o);
	return rc;
}

const dv_station_rec *dv_station_by_pk(const dv_station_list *l, const uint8_t pk[DV_SIGN_PK_BYTES])
{
	for (size_t i = 0; i < l->n; i++)
		if (dv_equal(l->s[i].public_key, pk, 32)) return &l->s[i];
	return NULL;
}

int dv_station_list_read(dv_station_list *out, dv_catalog *cat, const uint8_t self_pk[DV_SIGN_PK_BYTES], const char *self_name)
{
	memset(out, 0, sizeof(*out));
	int rc = dv_catalog_side_list(cat, DV_STATION_TABLE, on_row, out);
	if (rc == 0 && self_pk && !dv_station_by_pk(out, self_pk) && (rc = grow(out)) == 0) {
		dv_station_rec *s = &out->s[out->n++];
		snprintf(s->name, sizeof(s->name), "%s", self_name ? self_name : "");
		memcpy(s->public_key, self_pk, 32);
	}
	if (rc == 0 && (!(out->pks = malloc((out->n + 1) * sizeof(*out->pks))) || !(out->names = malloc((out->n + 1) * sizeof(char *))) ||
	                !(out->revoked = malloc((out->n + 1) * sizeof(int64_t)))))
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	for (size_t i = 0; rc == 0 && i < out->n; i++) {
		memcpy(out->pks[i], out->s[i].public_key, 32);
		out->names[i] = out->s[i].name;
		out->revoked[i] = out->s[i].revoked_ns;
	}
	if (rc < 0) dv_station_list_free(out);
	return rc;
}

void dv_station_list_free(dv_station_list *l)
{
	free(l->s);
	free(l->pks);
	free(l->names);
	free(l->revoked);
	memset(l, 0, sizeof(*l));
}

int dv_station_put(dv_catalog *cat, const uint8_t tags_key[DV_KEY_BYTES], const dv_station_rec *s)
{
	json_object *o = json_object_new_object();
	char h[65];
	dv_hex(h, s->public_key, 32);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "public_key", json_object_new_string(h));
	json_object_object_add(o, "enrolled_ns", json_object_new_int64(s->enrolled_ns));
	json_object_object_add(o, "enrolled_by", json_object_new_string(s->enrolled_by));
	json_object_object_add(o, "revoked_ns", json_object_new_int64(s->revoked_ns));
	json_object_object_add(o, "revoked_by", json_object_new_string(s->revoked_by));
	size_t n;
	const char *js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	int rc = js ? dv_catalog_side_put(cat, DV_STATION_TABLE, dv_station_row_id(tags_key, s->name), js, n)
	            : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object_put(o);
	return rc;
}

void dv_station_fingerprint(char out[65], const uint8_t pk[DV_SIGN_PK_BYTES])
{
	uint8_t der[DV_SIGN_PK_DER_BYTES], h[32];
	dv_sign_pk_der(der, pk);
	dv_sha256_buf(der, sizeof(der), h);
	dv_hex(out, h, 32);
}

bool dv_station_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n >= 1 && n <= 63 && name[0] != '.' && name[0] != '-' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int dv_witness_decode(uint64_t *writes, uint8_t head[32], char mac_hex[65], const uint8_t *data, size_t n)
{
	mac_hex[0] = '\0';
	if (n == 0 || n >= DV_WITNESS_MAX) return dv_error_set(DV_ECORRUPT, "witness", -1, "witness of %zu bytes (1 to %d)", n, DV_WITNESS_MAX - 1);
	json_tokener *tok = json_tokener_new_ex(4);
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)data, (int)n) : NULL;
	/* the whole text is the one object: nothing after it but white space */
	size_t used = tok && o ? (size_t)json_tokener_get_parse_end(tok) : 0;
	json_tokener_free(tok);
	while (used < n && (data[used] == '\n' || data[used] == ' ' || data[used] == '\t' || data[used] == '\r')) used++;
	json_object *jh, *jw, *jm;
	int rc = 0;
	if (!o || !json_object_is_type(o, json_type_object) || used != n ||
	    !json_object_object_get_ex(o, "vault_head", &jh) || !json_object_is_type(jh, json_type_string) ||
	    json_object_get_string_len(jh) != 64 || dv_unhex_canonical(head, 32, json_object_get_string(jh)) < 0 ||
	    !json_object_object_get_ex(o, "writes", &jw) || !json_object_is_type(jw, json_type_int) ||
	    json_object_get_int64(jw) < 0)
		rc = dv_error_set(DV_ECORRUPT, "witness", -1, "malformed witness (no writes count or vault head)");
	else
		*writes = (uint64_t)json_object_get_int64(jw);
	if (rc == 0 && json_object_object_get_ex(o, "mac", &jm)) {
		if (!json_object_is_type(jm, json_type_string) || json_object_get_string_len(jm) != 64)
			rc = dv_error_set(DV_ECORRUPT, "witness", -1, "malformed witness MAC");
		else
			memcpy(mac_hex, json_object_get_string(jm), 65);
	}
	json_object_put(o);
	return rc;
}
