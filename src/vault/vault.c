#include "dv/vault.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "vault/custody_shared_int.h"
#include "vault/station_int.h"
#include "vault/vault_fs_int.h"

/* Subkey ids and contexts (dv_subkey): never reuse one for another purpose. */
#define SUBKEY_CATALOG 1, "catalog_"
#define SUBKEY_TAGS 2, "tags____"
#define SUBKEY_BLOBNAME 3, "blobname"
#define SUBKEY_BLOBDATA 4, "blobdata"
#define SUBKEY_CUSTODY 5, "custody_"
#define SUBKEY_STATION 6, "station_"
#define SUBKEY_LOCK 7, "lockinfo"
#define SUBKEY_CONFIG 8, "vaultcfg"
#define SUBKEY_WITNESS 9, "witness_"
#define WITNESS_TABLE "witness"   /* the rollback witness's side table (shared vaults) */

#define CONFIG_MAX (64u << 10)
#define KEYFILE_MAX (1u << 20)

struct dv_vault {
	char dir[2048];
	char station[DV_NAME_MAX];
	char vault_id[33];
	int lock_fd;
	bool locked;             /* we hold the writer lock */
	int mode;
	uint64_t snap_head;      /* readers: the log head of their catalog snapshot */
	bool writer_at_snap;     /* readers: a writer held the vault when the snapshot was taken */
	uint64_t scan_upto;      /* readers: log entries that belong to the snapshot */
	uint64_t log_later, log_partial; /* readers: log past the snapshot (last scan) */
	int cfg_state;           /* DV_CONFIG_* : vault.json's authentication */
	json_object *cfg_json;   /* writers: the parsed vault.json (to add its MAC, or change a setting) */
	char catalog_conn[1024]; /* vault.json's catalog.conninfo (PostgreSQL), or "" for catalog.db */
	bool shared;             /* the custody log is the catalog's shared chains (vault.json catalog.custody "shared") */
	bool creating;           /* init's own open, before its vault.init entry */
	json_object *settings;   /* vault.json's "settings" object (dv_vault_config_get), or NULL */
	uint8_t cfg_mac[32];     /* the MAC every field of vault.json has (computed) */
	uint8_t pk[DV_SIGN_PK_BYTES];
	/* guarded memory (dv_secret_alloc), read-only once the vault is open */
	struct vault_keys {
		uint8_t master[DV_KEY_BYTES];
		uint8_t custody_key[DV_KEY_BYTES];
		uint8_t sk[DV_SIGN_SK_BYTES];
	} *k;
	dv_catalog *cat;
	dv_blobstore *blobs;
	dv_custody *log;
	const dv_fs *fs;         /* the blob store's, the log's and exports' writes */
	json_object *blobs_cfg;  /* vault.json's "blobs" (S3 store, issue 16), or NULL: the folder */
	uint64_t witness_prev;   /* shared: the directory's witness before the write in progress */
	uint8_t witness_prev_head[32];
	bool witness_had;
};

static const char *cfg_str(json_object *o, const char *k);

void dv_vault_location(const dv_vault *v, const char **catalog, const char **blobs_url)
{
	*catalog = v->catalog_conn[0] ? v->catalog_conn : NULL;
	*blobs_url = v->blobs_cfg ? cfg_str(v->blobs_cfg, "url") : NULL;
}

int dv_vault_path(const dv_vault *v, const char *name, char *out, size_t size)
{
	return dv_pathf(out, size, "%s/%s", v->dir, name);
}

/* ---- key wrapping ------------------------------------------------------------ */
struct kdf {
	char type[16];      /* "argon2id" or "keyfile" */
	uint8_t salt[16];
	uint64_t ops, mem;
};

static void kdf_ad(char *ad, size_t size, const char *vault_id, const struct kdf *k)
{
	char salt[33];
	dv_hex(salt, k->salt, 16);
	snprintf(ad, size, "dronevault-vault-v1|%s|%s|%s|%llu|%llu", vault_id, k->type, salt,
	         (unsigned long long)k->ops, (unsigned long long)k->mem);
}

static int derive_kek(uint8_t kek[DV_KEY_BYTES], const struct kdf *k, const dv_key_source *key, const char *vault_json)
{
	if (!strcmp(k->type, "argon2id")) {
		if (!key->passphrase)
			return dv_error_set(DV_EBADKEY, vault_json, -1, "this vault is opened with a passphrase, not a key file");
		int rc = dv_kdf_passphrase(kek, key->passphrase, key->passphrase_len, k->salt, k->ops, k->mem);
		/* the parameters come from vault.json: name it (an edit shows here first) */
		if (rc == DV_EINVAL)
			return dv_error_set(DV_ECORRUPT, vault_json, -1, "kdf parameters out of range (ops %llu, memory %llu bytes): altered?",
			                    (unsigned long long)k->ops, (unsigned long long)k->mem);
		return rc;
	}
	if (!strcmp(k->type, "keyfile")) {
		if (!key->key_file)
			return dv_error_set(DV_EBADKEY, vault_json, -1, "this vault is opened with a key file (--key-file)");
		uint8_t *buf;
		size_t len;
		int rc = dv_read_file(&buf, &len, key->key_file, KEYFILE_MAX);
		if (rc < 0) return rc;
		if (len < 32) {
			sodium_memzero(buf, len);
			free(buf);
			return dv_error_set(DV_EINVAL, key->key_file, -1, "key file has %zu bytes; it needs at least 32 random bytes", len);
		}
		crypto_generichash(kek, DV_KEY_BYTES, buf, len, k->salt, sizeof(k->salt));
		sodium_memzero(buf, len);
		free(buf);
		return 0;
	}
	return dv_error_set(DV_EUNSUPPORTED, vault_json, -1, "unknown key derivation '%s'", k->type);
}

static void station_ad(char *ad, size_t size, const char *vault_id, const uint8_t pk[32])
{
	char h[65];
	dv_hex(h, pk, 32);
	snprintf(ad, size, "dronevault-station-v1|%s|%s", vault_id, h);
}

/* ---- vault.json authentication ------------------------------------------------
 * Every field of vault.json but "mac" itself, flattened to sorted
 * "path=json" lines (nested objects as a.b, arrays and scalars as compact
 * JSON), under a keyed BLAKE2b with a subkey of the master key: an edited,
 * added or removed field (created, the station name, ...) no longer matches.
 */
struct cfg_line {
	char *s;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct cfg_line *)a)->s, ((const struct cfg_line *)b)->s);
}

static int flatten(json_object *o, const char *prefix, struct cfg_line **lines, size_t *n, size_t *cap, int depth)
{
	if (depth > 8) return dv_error_set(DV_ECORRUPT, "vault.json", -1, "nested too deep");
	json_object_object_foreach(o, k, val) {
		if (depth == 0 && !strcmp(k, "mac")) continue;
		size_t pl = strlen(prefix) + strlen(k) + 2;
		char *path = malloc(pl);
		if (!path) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		snprintf(path, pl, "%s%s", prefix, k);
		int rc = 0;
		if (json_object_is_type(val, json_type_object)) {
			char *pre = malloc(pl + 1);
			if (!pre) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			else {
				snprintf(pre, pl + 1, "%s.", path);
				rc = flatten(val, pre, lines, n, cap, depth + 1);
				free(pre);
			}
		} else {
			const char *js = val ? json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			                     : "null";
			size_t ll = strlen(path) + strlen(js) + 2;
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 32;
				struct cfg_line *nl = realloc(*lines, nc * sizeof(*nl));
				if (!nl) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
				else *lines = nl, *cap = nc;
			}
			if (rc == 0 && !((*lines)[*n].s = malloc(ll))) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			if (rc == 0) snprintf((*lines)[(*n)++].s, ll, "%s=%s", path, js);
		}
		free(path);
		if (rc < 0) return rc;
	}
	return 0;
}

static int config_mac(uint8_t out[32], json_object *cfg, const uint8_t *master)
{
	struct cfg_line *lines = NULL;
	size_t n = 0, cap = 0;
	int rc = flatten(cfg, "", &lines, &n, &cap, 0);
	if (rc == 0) {
		if (n) qsort(lines, n, sizeof(*lines), cmp_line);
		crypto_generichash_state st;
		uint8_t key[32];
		dv_subkey(key, master, SUBKEY_CONFIG);
		crypto_generichash_init(&st, key, sizeof(key), 32);
		dv_wipe(key, sizeof(key));
		static const char tag[] = "dronevault-vault-json-v1\n";
		crypto_generichash_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
		for (size_t i = 0; i < n; i++) {
			crypto_generichash_update(&st, (const uint8_t *)lines[i].s, strlen(lines[i].s));
			crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
		}
		crypto_generichash_final(&st, out, 32);
	}
	for (size_t i = 0; i < n; i++) free(lines[i].s);
	free(lines);
	return rc;
}

/* ---- init --------------------------------------------------------------------- */
static int dir_is_empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) return 0;
		return dv_error_errno(errno, dir, -1, "cannot use as vault directory");
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			rc = dv_error_set(DV_EEXIST, dir, -1, "directory is not empty (is it a vault already?)");
			break;
		}
	closedir(d);
	return rc;
}

static void json_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char *h = malloc(2 * n + 1);
	if (!h) return;
	dv_hex(h, b, n);
	json_object_object_add(o, k, json_object_new_string(h));
	free(h);
}

/* ---- blobs in S3 (issue 16) ---------------------------------------------------------
 * vault.json "blobs": {"type":"s3","url":"s3://b/p","endpoint":"https://...",
 * "ca_file":"...","region":"...","object_lock":true,"retain_days":N}, under
 * the MAC like every field: the store a vault uses cannot be swapped
 * unseen (and its blobs are authenticated with the vault's key anyway). */
static const char *jb_str(json_object *o, const char *k)
{
	json_object *x;
	return json_object_object_get_ex(o, k, &x) && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : NULL;
}

static int s3_config(json_object **out, const dv_blob_s3_opts *s3, uint32_t retain_days)
{
	*out = NULL;
	dv_blob_s3_opts so = *s3;
	so.spool_dir = NULL;
	so.require_lock = true;
	dv_blob_backend *be;
	const dv_blob_backend_ops *ops;
	int rc = dv_blob_s3_backend(&be, &ops, &so);
	if (rc < 0) return rc;
	ops->free(be);
	json_object *jb = json_object_new_object();
	json_object_object_add(jb, "type", json_object_new_string("s3"));
	json_object_object_add(jb, "url", json_object_new_string(so.url));
	json_object_object_add(jb, "endpoint", json_object_new_string(so.endpoint));
	if (so.ca_file && *so.ca_file) {
		char abs[4096];
		if (!realpath(so.ca_file, abs)) {
			json_object_put(jb);
			return dv_error_set(DV_ENOTFOUND, so.ca_file, -1, "S3 CA file: %s", strerror(errno));
		}
		json_object_object_add(jb, "ca_file", json_object_new_string(abs));
	}
	if (so.region && *so.region) json_object_object_add(jb, "region", json_object_new_string(so.region));
	json_object_object_add(jb, "object_lock", json_object_new_boolean(1));
	json_object_object_add(jb, "retain_days", json_object_new_int64(retain_days));
	*out = jb;
	return 0;
}

static int open_s3_blobs(dv_vault *v, const uint8_t k1[DV_KEY_BYTES], const uint8_t k2[DV_KEY_BYTES])
{
	const char *type = jb_str(v->blobs_cfg, "type");
	if (!type || strcmp(type, "s3") != 0)
		return dv_error_set(DV_EUNSUPPORTED, "vault.json", -1, "blob store type '%s' unknown to this build", type ? type : "");
	char spool[4096];
	int rc = dv_pathf(spool, sizeof(spool), "%s/tmp", v->dir);
	if (rc < 0) return rc;
	if (v->mode == DV_VAULT_WRITE && (rc = dv_mkdir_p(spool)) < 0) return rc;
	json_object *x;
	dv_blob_s3_opts so = {
		.url = jb_str(v->blobs_cfg, "url"),
		.endpoint = jb_str(v->blobs_cfg, "endpoint"),
		.ca_file = jb_str(v->blobs_cfg, "ca_file"),
		.region = jb_str(v->blobs_cfg, "region"),
		.spool_dir = v->mode == DV_VAULT_WRITE ? spool : NULL,
		.require_lock = !json_object_object_get_ex(v->blobs_cfg, "object_lock", &x) || json_object_get_boolean(x),
	};
	const char *part = getenv("DV_S3_PART_BYTES"); /* tests: multipart with small blobs */
	if (part && *part) so.part_bytes = strtoull(part, NULL, 10);
	dv_blob_backend *be;
	const dv_blob_backend_ops *ops;
	if ((rc = dv_blob_s3_backend(&be, &ops, &so)) < 0) return rc;
	if ((rc = dv_blobstore_open(&v->blobs, ops, be, k1, k2, v->mode == DV_VAULT_WRITE ? 0 : DV_BLOBSTORE_READONLY)) < 0)
		return rc;
	return dv_vault_worm(v) ? dv_blob_lock_defaults(v->blobs, dv_vault_retain_days(v) ? dv_now_ns() +
	                          (int64_t)dv_vault_retain_days(v) * 86400 * 1000000000ll : 0, false) : 0;
}

bool dv_vault_worm(const dv_vault *v) { return v->blobs && (dv_blobstore_caps(v->blobs) & DV_BLOB_CAP_WORM); }

uint32_t dv_vault_retain_days(const dv_vault *v)
{
	json_object *x;
	if (!v->blobs_cfg || !json_object_object_get_ex(v->blobs_cfg, "retain_days", &x)) return 0;
	int64_t d = json_object_get_int64(x);
	return d > 0 && d < 100000 ? (uint32_t)d : 0;
}

/* A station's keys for a new vault.json: the master key wrapped under a
 * key from the passphrase (Argon2id) or key file, a fresh Ed25519 signing
 * key with its secret half sealed under the master key's station subkey.
 * Shared by init and station add. */
struct station_keys {
	struct kdf k;
	uint8_t wrapped[DV_KEY_BYTES + DV_SEAL_OVERHEAD];
	uint8_t pk[32];
	uint8_t sealed_sk[64 + DV_SEAL_OVERHEAD];
};

static int key_source_ok(const dv_key_source *key, const char *dir)
{
	if (!key->passphrase == !key->key_file) return dv_error_set(DV_EINVAL, dir, -1, "give a passphrase or a key file");
	if (key->passphrase && key->passphrase_len < 8)
		return dv_error_set(DV_EINVAL, dir, -1, "passphrase too short (at least 8 characters)");
	return 0;
}

static int make_station_keys(struct station_keys *out, const dv_key_source *key, const dv_vault_init_opts *opts,
                             const char *dir, const char *vault_id, const uint8_t master[DV_KEY_BYTES])
{
	memset(out, 0, sizeof(*out));
	struct kdf *k = &out->k;
	snprintf(k->type, sizeof(k->type), "%s", key->passphrase ? "argon2id" : "keyfile");
	dv_random(k->salt, sizeof(k->salt));
	if (key->passphrase) {
		k->ops = opts && opts->kdf_ops ? opts->kdf_ops : DV_KDF_OPS_DEFAULT;
		k->mem = opts && opts->kdf_mem ? opts->kdf_mem : DV_KDF_MEM_DEFAULT;
	}
	uint8_t kek[DV_KEY_BYTES], sk[64], stkey[32];
	char ad[512];
	int rc = derive_kek(kek, k, key, dir);
	if (rc < 0) return rc;
	kdf_ad(ad, sizeof(ad), vault_id, k);
	dv_seal(out->wrapped, master, DV_KEY_BYTES, ad, strlen(ad), kek);
	dv_wipe(kek, sizeof(kek));
	dv_sign_keypair(out->pk, sk);
	dv_subkey(stkey, master, SUBKEY_STATION);
	station_ad(ad, sizeof(ad), vault_id, out->pk);
	dv_seal(out->sealed_sk, sk, sizeof(sk), ad, strlen(ad), stkey);
	dv_wipe(stkey, sizeof(stkey));
	dv_wipe(sk, sizeof(sk));
	return 0;
}

/* vault.json's "kdf", "wrapped_key" and "station" of those keys. */
static void cfg_put_station_keys(json_object *cfg, const struct station_keys *s, const char *name)
{
	json_object *jk = json_object_new_object(), *js = json_object_new_object();
	json_object_object_add(jk, "type", json_object_new_string(s->k.type));
	json_hex(jk, "salt", s->k.salt, sizeof(s->k.salt));
	json_object_object_add(jk, "ops", json_object_new_int64((int64_t)s->k.ops));
	json_object_object_add(jk, "mem", json_object_new_int64((int64_t)s->k.mem));
	json_object_object_add(cfg, "kdf", jk);
	json_hex(cfg, "wrapped_key", s->wrapped, sizeof(s->wrapped));
	json_object_object_add(js, "name", json_object_new_string(name));
	json_hex(js, "public_key", s->pk, sizeof(s->pk));
	json_hex(js, "sealed_secret_key", s->sealed_sk, sizeof(s->sealed_sk));
	json_object_object_add(cfg, "station", js);
}

static int init_vault(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts,
                      const dv_blob_s3_opts *s3, uint32_t retain_days);
static int station_may_write(dv_vault *v);
static int unfinished_vault(const dv_vault *v);
static int vault_open(dv_vault **out, const char *dir, const dv_key_source *key, int mode, const dv_vault_open_opts *opts,
                      const dv_fs *fs, bool creating);
static int witness_may_write(dv_vault *v);
static int witness_write(dv_vault *v, dv_catalog *cat);
static void witness_undo(dv_vault *v);

int dv_vault_init(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts)
{
	return init_vault(dir, key, opts, NULL, 0);
}

int dv_vault_init_s3(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts,
                     const dv_blob_s3_opts *s3, uint32_t retain_days)
{
	if (!s3) return dv_error_set(DV_EINVAL, dir, -1, "no S3 store given");
	return init_vault(dir, key, opts, s3, retain_days);
}

/* The shared vault's first station in its registry, with vault.init. */
static int register_founder(dv_catalog *cat, uint64_t seq, void *payload)
{
	(void)seq;
	dv_vault *v = payload;
	dv_station_rec s = { .enrolled_ns = dv_now_ns() };
	snprintf(s.name, sizeof(s.name), "%s", v->station);
	memcpy(s.public_key, v->pk, 32);
	uint8_t tk[32];
	dv_subkey(tk, v->k->master, SUBKEY_TAGS);
	int rc = dv_station_put(cat, tk, &s);
	dv_wipe(tk, sizeof(tk));
	return rc;
}

static int init_vault(const char *dir, const dv_key_source *key, const dv_vault_init_opts *opts,
                      const dv_blob_s3_opts *s3, uint32_t retain_days)
{
	int rc;
	if ((rc = dv_crypto_init()) < 0 || (rc = dir_is_empty_or_missing(dir)) < 0) return rc;
	if ((rc = key_source_ok(key, dir)) < 0) return rc;
	uint8_t idb[16], master[DV_KEY_BYTES];
	char vault_id[33];
	dv_random(idb, sizeof(idb));
	dv_hex(vault_id, idb, sizeof(idb));
	dv_random(master, sizeof(master));
	struct station_keys sk;
	if ((rc = make_station_keys(&sk, key, opts, dir, vault_id, master)) < 0) {
		dv_wipe(master, sizeof(master));
		return rc;
	}

	char station[DV_NAME_MAX] = "";
	if (opts && opts->station && *opts->station)
		snprintf(station, sizeof(station), "%s", opts->station);
	else if (gethostname(station, sizeof(station) - 1) < 0 || !*station)
		snprintf(station, sizeof(station), "station");
	char iso[40];
	dv_time_iso(iso, sizeof(iso), dv_now_ns());
	const char *catalog = opts && opts->catalog && *opts->catalog ? opts->catalog : NULL;
	if (catalog && strlen(catalog) >= sizeof(((dv_vault *)0)->catalog_conn)) {
		dv_wipe(master, sizeof(master));
		return dv_error_set(DV_EINVAL, NULL, -1, "catalog connection string too long");
	}
	/* the S3 store is checked before anything is written (here or in the
	 * catalog's database) */
	json_object *jb = NULL;
	if (s3 && (rc = s3_config(&jb, s3, retain_days)) < 0) {
		dv_wipe(master, sizeof(master));
		return rc;
	}
	/* the catalog's schema first, in a database that holds none: a refusal
	 * (unreachable, another vault's) leaves the directory untouched */
	if (catalog && ((rc = dv_catalog_pg_check_conninfo(catalog)) < 0 ||
	                (rc = dv_catalog_pg_upgrade(NULL, NULL, catalog, vault_id, 0)) < 0)) {
		json_object_put(jb);
		dv_wipe(master, sizeof(master));
		return rc;
	}

	json_object *cfg = json_object_new_object();
	json_object_object_add(cfg, "format", json_object_new_string("dronevault-vault"));
	json_object_object_add(cfg, "version", json_object_new_int(1));
	json_object_object_add(cfg, "vault_id", json_object_new_string(vault_id));
	json_object_object_add(cfg, "created", json_object_new_string(iso));
	cfg_put_station_keys(cfg, &sk, station);
	if (catalog) {
		json_object *jc = json_object_new_object();
		json_object_object_add(jc, "backend", json_object_new_string("postgresql"));
		json_object_object_add(jc, "conninfo", json_object_new_string(catalog));
		/* the custody log is the catalog's shared chains, not custody.log */
		json_object_object_add(jc, "custody", json_object_new_string("shared"));
		json_object_object_add(cfg, "catalog", jc);
	}
	if (jb) json_object_object_add(cfg, "blobs", jb);
	uint8_t mac[32];
	if ((rc = config_mac(mac, cfg, master)) < 0) {
		json_object_put(cfg);
		dv_wipe(master, sizeof(master));
		return rc;
	}
	json_hex(cfg, "mac", mac, sizeof(mac));

	char path[4096];
	size_t n;
	const char *text = json_object_to_json_string_length(cfg, JSON_C_TO_STRING_PRETTY, &n);
	if ((rc = dv_mkdir_p(dir)) < 0 || (rc = dv_pathf(path, sizeof(path), "%s/vault.json", dir)) < 0 ||
	    (rc = dv_write_file_atomic(path, text, n, 0600)) < 0) {
		json_object_put(cfg);
		dv_wipe(master, sizeof(master));
		return rc;
	}
	json_object_put(cfg);
	dv_wipe(master, sizeof(master));

	/* Open it the normal way: creates catalog, blob dirs and the first entry. */
	dv_vault *v;
	if ((rc = vault_open(&v, dir, key, DV_VAULT_WRITE, NULL, NULL, true)) < 0) return rc;
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_VAULT_INIT));
	json_object_object_add(body, "operator", json_object_new_string(opts && opts->operator_name ? opts->operator_name : ""));
	json_object_object_add(body, "vault_id", json_object_new_string(vault_id));
	json_hex(body, "station_key", sk.pk, sizeof(sk.pk));
	json_object_object_add(body, "kdf", json_object_new_string(sk.k.type));
	json_hex(body, "config_mac", mac, sizeof(mac));
	json_object_object_add(body, "catalog", json_object_new_string(catalog ? "postgresql" : "sqlite"));
	if (v->blobs_cfg) json_object_object_add(body, "blobs", json_object_get(v->blobs_cfg));
	rc = v->shared ? dv_vault_log_with(v, body, NULL, register_founder, v) : dv_vault_log(v, body, NULL);
	json_object_put(body);
	dv_vault_close(v);
	return rc;
}

/* ---- open ---------------------------------------------------------------------- */
static int cfg_hex(json_object *cfg, const char *path, const char *k1, const char *k2, uint8_t *out, size_t n)
{
	json_object *o = cfg, *v;
	if (k2 && !json_object_object_get_ex(cfg, k1, &o))
		return dv_error_set(DV_ECORRUPT, path, -1, "vault.json: '%s' missing", k1);
	const char *key = k2 ? k2 : k1;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != 2 * n || dv_unhex(out, n, json_object_get_string(v)) < 0)
		return dv_error_set(DV_ECORRUPT, path, -1, "vault.json: '%s' missing or malformed", key);
	return 0;
}

static const char *cfg_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t cfg_int(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static int load_config(dv_vault *v, const dv_key_source *key)
{
	char path[4096];
	int rc;
	if ((rc = dv_pathf(path, sizeof(path), "%s/vault.json", v->dir)) < 0) return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = dv_read_file(&buf, &len, path, CONFIG_MAX)) < 0) {
		if (rc == DV_ENOTFOUND)
			return dv_error_set(DV_ENOTFOUND, v->dir, -1, "not a dronevault vault (no vault.json); create one with 'dronevault init'");
		return rc;
	}
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *cfg = tok ? json_tokener_parse_ex(tok, (const char *)buf, (int)len) : NULL;
	/* the whole file is the object: after it only JSON white space (a flipped
	 * byte anywhere in vault.json must not pass unseen) */
	size_t end = cfg && json_tokener_get_error(tok) == json_tokener_success ? json_tokener_get_parse_end(tok) : 0;
	bool whole = cfg && end <= len && !memchr(buf, 0, len);
	for (size_t i = end; whole && i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t') whole = false;
	json_tokener_free(tok);
	free(buf);
	if (!cfg || !whole || !json_object_is_type(cfg, json_type_object)) {
		json_object_put(cfg);
		return dv_error_set(DV_ECORRUPT, path, -1, "not valid JSON");
	}
	const char *fmt = cfg_str(cfg, "format"), *id = cfg_str(cfg, "vault_id");
	json_object *jk, *js;
	struct kdf k;
	memset(&k, 0, sizeof(k));
	uint8_t wrapped[DV_KEY_BYTES + DV_SEAL_OVERHEAD], sealed_sk[64 + DV_SEAL_OVERHEAD], kek[32], stkey[32];
	char ad[512];
	if (!fmt || strcmp(fmt, "dronevault-vault") != 0 || cfg_int(cfg, "version") != 1 || !id || strlen(id) != 32) {
		rc = dv_error_set(DV_EUNSUPPORTED, path, -1, "not a version 1 dronevault vault");
		goto out;
	}
	snprintf(v->vault_id, sizeof(v->vault_id), "%s", id);
	if (!json_object_object_get_ex(cfg, "kdf", &jk) || !json_object_object_get_ex(cfg, "station", &js) ||
	    !cfg_str(jk, "type") || !cfg_str(js, "name")) {
		rc = dv_error_set(DV_ECORRUPT, path, -1, "vault.json: 'kdf' or 'station' missing");
		goto out;
	}
	snprintf(k.type, sizeof(k.type), "%s", cfg_str(jk, "type"));
	k.ops = (uint64_t)cfg_int(jk, "ops");
	k.mem = (uint64_t)cfg_int(jk, "mem");
	snprintf(v->station, sizeof(v->station), "%s", cfg_str(js, "name"));
	if ((rc = cfg_hex(cfg, path, "kdf", "salt", k.salt, 16)) < 0 ||
	    (rc = cfg_hex(cfg, path, "wrapped_key", NULL, wrapped, sizeof(wrapped))) < 0 ||
	    (rc = cfg_hex(cfg, path, "station", "public_key", v->pk, 32)) < 0 ||
	    (rc = cfg_hex(cfg, path, "station", "sealed_secret_key", sealed_sk, sizeof(sealed_sk))) < 0 ||
	    (rc = derive_kek(kek, &k, key, path)) < 0)
		goto out;
	kdf_ad(ad, sizeof(ad), v->vault_id, &k);
	rc = dv_open(v->k->master, wrapped, sizeof(wrapped), ad, strlen(ad), kek);
	dv_wipe(kek, sizeof(kek));
	if (rc < 0) {
		rc = dv_error_set(DV_EBADKEY, v->dir, -1, "wrong %s for this vault (or vault.json was altered)",
		                  key->passphrase ? "passphrase" : "key file");
		goto out;
	}
	dv_subkey(stkey, v->k->master, SUBKEY_STATION);
	station_ad(ad, sizeof(ad), v->vault_id, v->pk);
	rc = dv_open(v->k->sk, sealed_sk, sizeof(sealed_sk), ad, strlen(ad), stkey);
	dv_wipe(stkey, sizeof(stkey));
	if (rc < 0) {
		rc = dv_error_set(DV_ECORRUPT, path, -1, "the station key does not open (vault.json altered?)");
		goto out;
	}
	if ((rc = config_mac(v->cfg_mac, cfg, v->k->master)) < 0) goto out;
	json_object *jm;
	uint8_t stored[32];
	if (!json_object_object_get_ex(cfg, "mac", &jm)) v->cfg_state = DV_CONFIG_UNAUTHENTICATED;
	else if (!json_object_is_type(jm, json_type_string) || strlen(json_object_get_string(jm)) != 64 ||
	         dv_unhex_canonical(stored, 32, json_object_get_string(jm)) < 0 || !dv_equal(stored, v->cfg_mac, 32))
		v->cfg_state = DV_CONFIG_ALTERED;
	else v->cfg_state = DV_CONFIG_OK;
	if (v->mode == DV_VAULT_WRITE) {
		/* kept to add the MAC once the log says that is legitimate, or to change a setting */
		v->cfg_json = json_object_get(cfg);
	}
	json_object *jst;
	if (json_object_object_get_ex(cfg, "settings", &jst) && json_object_is_type(jst, json_type_object))
		v->settings = json_object_get(jst);
	if (json_object_object_get_ex(cfg, "catalog", &jst)) {
		/* A writer writes only into the catalog whose connection string is
		 * authenticated: an edited one could point it at someone else's
		 * database. A reader opens it anyway, as it opens a catalog.db
		 * beside an altered vault.json: rows from elsewhere fail to open
		 * (sealed with this vault's key) and verify names vault.json. */
		const char *be = cfg_str(jst, "backend"), *ci = cfg_str(jst, "conninfo");
		if (!be || strcmp(be, "postgresql") != 0 || !ci || !*ci || strlen(ci) >= sizeof(v->catalog_conn)) {
			rc = dv_error_set(DV_EUNSUPPORTED, path, -1, "vault.json: catalog is not a PostgreSQL connection this dronevault knows");
			goto out;
		}
		if (v->cfg_state != DV_CONFIG_OK && v->mode == DV_VAULT_WRITE) {
			rc = dv_error_set(DV_ECORRUPT, path, -1,
			                  "vault.json was altered: its catalog connection is not authenticated; nothing was written, "
			                  "run 'dronevault verify'");
			goto out;
		}
		snprintf(v->catalog_conn, sizeof(v->catalog_conn), "%s", ci);
		const char *cu = cfg_str(jst, "custody");
		if (cu && strcmp(cu, "shared") != 0) {
			rc = dv_error_set(DV_EUNSUPPORTED, path, -1, "vault.json: custody log '%s' unknown to this dronevault", cu);
			goto out;
		}
		/* a PostgreSQL vault made before the shared log keeps its custody.log */
		v->shared = cu != NULL;
	}
	if (json_object_object_get_ex(cfg, "blobs", &jst)) {
		if (!json_object_is_type(jst, json_type_object)) {
			rc = dv_error_set(DV_ECORRUPT, path, -1, "vault.json: 'blobs' malformed");
			goto out;
		}
		v->blobs_cfg = json_object_get(jst);
	}
	rc = 0;
out:
	json_object_put(cfg);
	return rc;
}

/*
 * The lock file: writers flock(LOCK_EX) it (one writer at a time) and hold
 * an OFD write lock on its first byte, which readers can see with
 * F_OFD_GETLK without taking any lock themselves (a reader must never make
 * a writer wait, nor a writer a reader). Its content says who holds it,
 * sealed (the operator's name is not for someone holding only the disk).
 */
#define LOCKINFO_MAX 600

static void lock_key_ad(const dv_vault *v, uint8_t key[32], char *ad, size_t size)
{
	dv_subkey(key, v->k->master, SUBKEY_LOCK);
	snprintf(ad, size, "dronevault-lock-v1|%s", v->vault_id);
}

static void read_holder(const dv_vault *v, int fd, char *out, size_t size)
{
	uint8_t buf[LOCKINFO_MAX + DV_SEAL_OVERHEAD], key[32];
	char ad[128], text[LOCKINFO_MAX + 1];
	snprintf(out, size, "another dronevault process");
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	if (n <= DV_SEAL_OVERHEAD) return;
	lock_key_ad(v, key, ad, sizeof(ad));
	int rc = dv_open((uint8_t *)text, buf, (size_t)n, ad, strlen(ad), key);
	dv_wipe(key, sizeof(key));
	if (rc < 0) return;
	text[(size_t)n - DV_SEAL_OVERHEAD] = '\0';
	snprintf(out, size, "%s", text);
}

static void write_holder(dv_vault *v, const char *holder)
{
	char text[LOCKINFO_MAX], iso[40], ad[128];
	uint8_t buf[LOCKINFO_MAX + DV_SEAL_OVERHEAD], key[32];
	dv_time_iso(iso, sizeof(iso), dv_now_ns());
	int n = snprintf(text, sizeof(text), "%s pid %ld since %s", holder && *holder ? holder : "a dronevault writer",
	                 (long)getpid(), iso);
	if (n < 0) return;
	size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	lock_key_ad(v, key, ad, sizeof(ad));
	dv_seal(buf, text, len, ad, strlen(ad), key);
	dv_wipe(key, sizeof(key));
	/* informative only: a failure here must not stop the writer */
	if (ftruncate(v->lock_fd, 0) == 0 && pwrite(v->lock_fd, buf, len + DV_SEAL_OVERHEAD, 0) < 0) {
		/* nothing to do */
	}
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int take_lock(dv_vault *v, const dv_vault_open_opts *o)
{
	char path[4096];
	int rc = dv_pathf(path, sizeof(path), "%s/lock", v->dir);
	if (rc < 0) return rc;
	if (v->mode != DV_VAULT_WRITE) {
		/* Readers take no lock: the catalog snapshot (WAL) keeps them
		 * consistent. The fd only lets them see whether a writer is on. */
		v->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
		return 0;
	}
	v->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (v->lock_fd < 0)
		return dv_error_errno(errno, path, -1, "cannot open vault lock");
	double wait = o ? o->wait_seconds : 0, start = mono_s(), last_told = -1;
	for (;;) {
		if (flock(v->lock_fd, LOCK_EX | LOCK_NB) == 0) break;
		if (errno != EWOULDBLOCK) return dv_error_errno(errno, path, -1, "cannot lock vault");
		char who[LOCKINFO_MAX + 64];
		read_holder(v, v->lock_fd, who, sizeof(who));
		double waited = mono_s() - start;
		if (wait == 0)
			return dv_error_set(DV_EBUSY, v->dir, -1, "vault busy: %s", who);
		if (wait > 0 && waited >= wait)
			return dv_error_set(DV_EBUSY, v->dir, -1, "vault busy: %s (waited %.0f s)", who, waited);
		if (o->waiting && (last_told < 0 || waited - last_told >= 1.0)) {
			last_told = waited;
			if (o->waiting(who, waited, o->payload) != 0)
				return dv_error_set(DV_EINTR, v->dir, -1, "interrupted while waiting for the vault");
		}
		struct timespec nap = { 0, 100 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	if (fcntl(v->lock_fd, F_OFD_SETLK, &fl) < 0)
		return dv_error_errno(errno, path, -1, "cannot mark the vault as written");
	v->locked = true;
	write_holder(v, o ? o->holder : NULL);
	return 0;
}

bool dv_vault_writer_active(const dv_vault *v)
{
	if (v->mode == DV_VAULT_WRITE || v->lock_fd < 0) return false; /* we are the writer, or there is none */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	if (fcntl(v->lock_fd, F_OFD_GETLK, &fl) < 0) return false;
	return fl.l_type != F_UNLCK;
}

/*
 * The entries after the catalog's head (a writer crashed between its
 * custody append and the catalog commit): the head rolls forward only when
 * their work is in the catalog. An ingest they name must have its row in
 * its case; one an "ingest" entry completed must be complete, or open with
 * exactly the files of the manifest that entry signed (the crash came
 * before the row was updated: it is completed now, as the entry says).
 */
struct rollfwd {
	dv_vault *v;
	uint64_t after;
	int rc;
};

static int rollfwd_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct rollfwd *r = payload;
	if (e->seq <= r->after || r->rc < 0) return 0;
	const char *action = cfg_str(body, "action"), *cs = cfg_str(body, "case");
	dv_catalog *cat = r->v->cat;
	if (cs && *cs) {
		dv_case c;
		if (dv_catalog_case_find(&c, cat, cs) < 0) {
			r->rc = dv_error_set(DV_ECORRUPT, r->v->dir, -1,
			                     "custody entry %llu (%s) names case '%s', which the catalog does not have "
			                     "(catalog.db rolled back or rows deleted); nothing was written, run 'dronevault verify'",
			                     (unsigned long long)e->seq, action ? action : "?", cs);
			return 0;
		}
	}
	json_object *jid;
	if (!action || strncmp(action, "ingest", 6) || !json_object_object_get_ex(body, "ingest", &jid)) return 0;
	dv_ingest_rec *rec = malloc(sizeof(*rec));
	if (!rec) return r->rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	int64_t id = json_object_get_int64(jid);
	int rc = dv_catalog_ingest_get(rec, cat, id);
	if (rc == DV_ENOTFOUND) {
		r->rc = dv_error_set(DV_ECORRUPT, r->v->dir, -1,
		                     "custody entry %llu (%s) records ingest %lld, which the catalog does not have "
		                     "(catalog.db rolled back or rows deleted); nothing was written, run 'dronevault verify'",
		                     (unsigned long long)e->seq, action, (long long)id);
	} else if (rc < 0) {
		r->rc = rc;
	} else if (!strcmp(action, DV_ACTION_INGEST) && rec->state != DV_INGEST_COMPLETE) {
		const char *m = cfg_str(body, "manifest_sha256");
		uint8_t want[32], have[32];
		uint64_t files = 0, bytes = 0;
		if (!m || strlen(m) != 64 || dv_unhex(want, 32, m) < 0 ||
		    dv_ingest_manifest(cat, id, have, &files, &bytes) < 0 || !dv_equal(want, have, 32)) {
			r->rc = dv_error_set(DV_ECORRUPT, r->v->dir, -1,
			                     "custody entry %llu completed ingest %lld, but the catalog's files for it do not match "
			                     "that entry's manifest; nothing was written, run 'dronevault verify'",
			                     (unsigned long long)e->seq, (long long)id);
		} else {
			rec->state = DV_INGEST_COMPLETE;
			rec->log_seq = e->seq;
			rec->files = files;
			rec->bytes = bytes;
			memcpy(rec->manifest, have, 32);
			rec->finished_ns = e->time_ns;
			r->rc = dv_catalog_ingest_update(cat, rec);
		}
	}
	free(rec);
	return 0;
}

/* Brings the catalog's record of the log head in line with the log. */
static int reconcile_head(dv_vault *v)
{
	uint64_t head_seq, log_seq;
	uint8_t head_hash[32], log_hash[32];
	int rc = dv_catalog_head_get(v->cat, &head_seq, head_hash);
	if (rc < 0) return rc;
	v->snap_head = v->scan_upto = head_seq;
	dv_custody_tail(v->log, &log_seq, log_hash);
	if (v->mode != DV_VAULT_WRITE) {
		/* No writer at the snapshot nor now (the log was read in between):
		 * every entry read at open is the snapshot's log. Otherwise the
		 * entries past the head may be a writer's, in progress. */
		if (!v->writer_at_snap && !dv_vault_writer_active(v) && log_seq > head_seq) v->scan_upto = log_seq;
		return 0;
	}
	if (head_seq > log_seq)
		return dv_error_set(DV_ECORRUPT, v->dir, -1,
		                    "custody log ends at entry %llu but the catalog knows entry %llu: entries were removed; run 'dronevault verify'",
		                    (unsigned long long)log_seq, (unsigned long long)head_seq);
	if (head_seq == 0 && log_seq > 1)
		return dv_error_set(DV_ECORRUPT, v->dir, -1,
		                    "the catalog's record of the custody log head is missing (the log has %llu entries); "
		                    "nothing was written, run 'dronevault verify'", (unsigned long long)log_seq);
	if (head_seq == log_seq) {
		if (head_seq && !dv_equal(head_hash, log_hash, 32))
			return dv_error_set(DV_ECORRUPT, v->dir, -1,
			                    "custody log entry %llu is not the one the catalog recorded (log replaced or rewritten); "
			                    "run 'dronevault verify'", (unsigned long long)head_seq);
		return 0;
	}
	/* head < log: the entries after it must be ours (signed, chained: the
	 * scan checks both) and their work must be in the catalog. */
	struct rollfwd r = { v, head_seq, 0 };
	char p[4096];
	if ((rc = dv_vault_path(v, "custody.log", p, sizeof(p))) < 0) return rc;
	if ((rc = dv_catalog_begin(v->cat)) < 0) return rc;
	int n = dv_custody_scan_snapshot(&(uint64_t){ 0 }, &(uint64_t){ 0 }, p, v->pk, v->k->custody_key, log_seq, true,
	                                 rollfwd_entry, NULL, &r);
	if (n > 0 && r.rc == 0)
		r.rc = dv_error_set(DV_ECORRUPT, p, -1, "custody log damaged: the catalog's head cannot be rolled forward; run 'dronevault verify'");
	if (n < 0 && r.rc == 0) r.rc = n;
	if (r.rc == 0) r.rc = dv_catalog_head_set(v->cat, log_seq, log_hash);
	if (r.rc == 0) r.rc = dv_catalog_commit(v->cat);
	if (r.rc < 0) dv_catalog_rollback(v->cat);
	return r.rc;
}

/*
 * A torn last entry, found by a writer: reconcile_head has already refused
 * if the catalog ever acknowledged it (its head is at or past it), so it
 * was never acknowledged to anyone. It is cut, and the cut is logged with
 * what was removed. Readers leave it: verify names it.
 */
static int repair_torn(dv_vault *v, uint64_t torn)
{
	if (v->mode != DV_VAULT_WRITE || !torn) return 0;
	uint64_t seq, cut;
	uint8_t hash[32], sha[32];
	dv_custody_tail(v->log, &seq, hash);
	int rc = dv_custody_cut_torn(v->log, &cut, sha);
	if (rc < 0 || !cut) return rc;
	char hex[65];
	dv_hex(hex, sha, 32);
	json_object *body = json_object_new_object();
	if (!body) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_LOG_REPAIR));
	json_object_object_add(body, "operator", json_object_new_string(""));
	json_object_object_add(body, "after_entry", json_object_new_int64((int64_t)seq));
	json_object_object_add(body, "cut_bytes", json_object_new_int64((int64_t)cut));
	json_object_object_add(body, "cut_sha256", json_object_new_string(hex));
	json_object_object_add(body, "reason", json_object_new_string("torn last entry (interrupted append), never acknowledged"));
	rc = dv_vault_log(v, body, NULL);
	json_object_put(body);
	return rc;
}

/*
 * A version 1 log (one chain) becomes version 2 (a chain per case and the
 * vault's) on the first write-open: checked whole first, converted, the
 * conversion logged (log.migrate, with the old log's head and SHA-256; the
 * old file stays as custody.log.v1), and the catalog's head moved to the
 * new tail. A crash before the rename leaves the version 1 log in place; one
 * after it leaves the head behind the log, rolled forward by the next open.
 */
static int migrate_log(dv_vault *v)
{
	if (v->mode != DV_VAULT_WRITE || dv_custody_version(v->log) != 1) return 0;
	json_object *body = json_object_new_object();
	if (!body) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_LOG_MIGRATE));
	json_object_object_add(body, "operator", json_object_new_string(""));
	json_object_object_add(body, "from_format", json_object_new_string("custody log version 1 (one chain)"));
	json_object_object_add(body, "to_format", json_object_new_string("custody log version 2 (a chain per case, and the vault's)"));
	json_object_object_add(body, "station", json_object_new_string(v->station));
	uint64_t seq;
	uint8_t hash[32];
	int rc = dv_custody_migrate(v->log, body, &seq, hash);
	json_object_put(body);
	if (rc < 0) return rc;
	if ((rc = dv_catalog_begin(v->cat)) < 0) return rc;
	if ((rc = dv_catalog_head_set(v->cat, seq, hash)) == 0) rc = dv_catalog_commit(v->cat);
	if (rc < 0) dv_catalog_rollback(v->cat);
	return rc;
}

struct logged_mac {
	bool found;
	uint8_t mac[32];
};

static int find_config_mac(const dv_custody_entry *e, json_object *body, void *payload)
{
	(void)e;
	struct logged_mac *lm = payload;
	const char *m = cfg_str(body, "config_mac");
	if (m) {
		lm->found = true;
		if (strlen(m) != 64 || dv_unhex(lm->mac, 32, m) < 0) memset(lm->mac, 0, 32);
	}
	return 0;
}

static void ignore_problem(const char *msg, void *payload)
{
	(void)msg;
	(void)payload;
}

/*
 * Writers: an altered vault.json is refused (nothing is written into a
 * vault whose identity was edited). One without a MAC, made before MACs
 * existed, gets it: the vault.config custody entry (with the MAC) first,
 * then the file, so a crash in between leaves a log whose MAC still
 * matches the fields and the next writer only finishes the file. When the
 * log records a MAC the fields no longer match: refused.
 */
static int config_on_open(dv_vault *v)
{
	if (v->mode != DV_VAULT_WRITE || v->cfg_state == DV_CONFIG_OK) return 0;
	char path[4096];
	int rc = dv_pathf(path, sizeof(path), "%s/vault.json", v->dir);
	if (rc < 0) return rc;
	if (v->cfg_state == DV_CONFIG_ALTERED)
		return dv_error_set(DV_ECORRUPT, path, -1,
		                    "vault.json was altered: its fields (created, station, ...) no longer match their authentication; "
		                    "nothing was written, run 'dronevault verify'");
	struct logged_mac lm = { 0 };
	if ((rc = dv_vault_log_scan(v, find_config_mac, ignore_problem, &lm)) < 0) return rc;
	if (lm.found && !dv_equal(lm.mac, v->cfg_mac, 32))
		return dv_error_set(DV_ECORRUPT, path, -1,
		                    "vault.json was altered and lost its authentication (its fields differ from those the custody log "
		                    "recorded); nothing was written, run 'dronevault verify'");
	char hex[65];
	dv_hex(hex, v->cfg_mac, 32);
	if (!lm.found) {
		json_object *body = json_object_new_object();
		json_object_object_add(body, "action", json_object_new_string(DV_ACTION_VAULT_CONFIG));
		json_object_object_add(body, "operator", json_object_new_string(""));
		json_object_object_add(body, "change", json_object_new_string("vault.json authenticated in every field (made by an older version)"));
		json_object_object_add(body, "created", json_object_new_string(cfg_str(v->cfg_json, "created") ? cfg_str(v->cfg_json, "created") : ""));
		json_object_object_add(body, "station_name", json_object_new_string(v->station));
		json_object_object_add(body, "config_mac", json_object_new_string(hex));
		rc = dv_vault_log(v, body, NULL);
		json_object_put(body);
		if (rc < 0) return rc;
	}
	json_object_object_add(v->cfg_json, "mac", json_object_new_string(hex));
	size_t n;
	const char *text = json_object_to_json_string_length(v->cfg_json, JSON_C_TO_STRING_PRETTY, &n);
	if ((rc = dv_write_file_atomic(path, text, n, 0600)) < 0) return rc;
	v->cfg_state = DV_CONFIG_OK;
	return 0;
}

/* ---- settings (dronevault config) ------------------------------------------------ */
#define TILES_URL_MAX 512

int dv_config_tiles_origin(char *origin, size_t n, const char *url)
{
	if (origin && n) origin[0] = '\0';
	size_t len = url ? strlen(url) : 0;
	if (len == 0 || len > TILES_URL_MAX) return dv_error_set(DV_EINVAL, NULL, -1, "map.tiles: a URL of 1 to %d characters", TILES_URL_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch >= 0x7f || strchr("\"'`<>\\;,@^|", ch))
			return dv_error_set(DV_EINVAL, NULL, -1,
			                    "map.tiles: no spaces, quotes, control characters or any of <>\\;,@^| in the URL");
	}
	dv_url_origin o;
	int rc = dv_url_origin_parse(&o, url, "map.tiles", 253, false);
	if (rc < 0) return rc;
	if (!o.https && !((o.host_len == 9 && !strncmp(o.host, "localhost", 9)) || (o.host_len == 9 && !strncmp(o.host, "127.0.0.1", 9))))
		return dv_error_set(DV_EINVAL, NULL, -1, "map.tiles: plain http:// only for localhost or 127.0.0.1; use https://");
	const char *p = o.rest;
	if (*p != '/') return dv_error_set(DV_EINVAL, NULL, -1, "map.tiles: a path with {z}/{x}/{y} after the host");
	if (!strstr(p, "{z}") || !strstr(p, "{x}") || !strstr(p, "{y}"))
		return dv_error_set(DV_EINVAL, NULL, -1, "map.tiles: the path needs the placeholders {z}, {x} and {y}");
	size_t ol = (size_t)(p - url);
	if (origin) {
		if (ol + 1 > n) return dv_error_set(DV_EINVAL, NULL, -1, "map.tiles: origin too long");
		memcpy(origin, url, ol);
		origin[ol] = '\0';
	}
	return 0;
}

static int config_key_check(const char *key, const char *value)
{
	if (!key || strcmp(key, DV_CONFIG_MAP_TILES) != 0)
		return dv_error_set(DV_EINVAL, NULL, -1, "unknown setting '%s' (known: %s)", key ? key : "", DV_CONFIG_MAP_TILES);
	return value ? dv_config_tiles_origin(NULL, 0, value) : 0;
}

int dv_vault_config_get(const char **out, const dv_vault *v, const char *key)
{
	*out = NULL;
	int rc = config_key_check(key, NULL);
	if (rc < 0) return rc;
	if (v->cfg_state != DV_CONFIG_OK && v->settings)
		return dv_error_set(DV_ECORRUPT, "vault.json", -1, "its settings are not authenticated (altered?): not used");
	json_object *o;
	if (v->settings && json_object_object_get_ex(v->settings, key, &o) && json_object_is_type(o, json_type_string)) {
		*out = json_object_get_string(o);
		/* checked again: what the page trusts must pass the same test */
		if ((rc = dv_config_tiles_origin(NULL, 0, *out)) < 0) *out = NULL;
	}
	return rc;
}

/*
 * The custody entry (config.set, with the key, the value and the MAC of the
 * new fields) first, then vault.json: the log says who changed what; a crash
 * in between leaves a vault.json that verify reports as differing from the
 * entry (its old fields), never a change the log does not show.
 */
int dv_vault_config_set(dv_vault *v, const char *key, const char *value, const char *operator_name)
{
	int rc = config_key_check(key, value);
	if (rc < 0) return rc;
	if (v->mode != DV_VAULT_WRITE || !v->cfg_json) return dv_error_set(DV_EINVAL, v->dir, -1, "settings change only through a writer");
	if (v->cfg_state != DV_CONFIG_OK) return dv_error_set(DV_ECORRUPT, "vault.json", -1, "not authenticated: no setting changed");
	char path[4096];
	if ((rc = dv_pathf(path, sizeof(path), "%s/vault.json", v->dir)) < 0) return rc;
	json_object *cfg = NULL;
	if (json_object_deep_copy(v->cfg_json, &cfg, NULL) != 0 || !cfg) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object *st;
	if (!json_object_object_get_ex(cfg, "settings", &st) || !json_object_is_type(st, json_type_object)) {
		st = json_object_new_object();
		json_object_object_add(cfg, "settings", st);
	}
	if (value) json_object_object_add(st, key, json_object_new_string(value));
	else json_object_object_del(st, key);
	if (json_object_object_length(st) == 0) json_object_object_del(cfg, "settings");
	uint8_t mac[32];
	char hex[65];
	if ((rc = config_mac(mac, cfg, v->k->master)) < 0) goto out;
	dv_hex(hex, mac, 32);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_CONFIG_SET));
	json_object_object_add(body, "operator", json_object_new_string(operator_name ? operator_name : ""));
	json_object_object_add(body, "key", json_object_new_string(key));
	json_object_object_add(body, "value", value ? json_object_new_string(value) : NULL);
	json_object_object_add(body, "config_mac", json_object_new_string(hex));
	rc = dv_vault_log(v, body, NULL);
	json_object_put(body);
	if (rc < 0) goto out;
	json_object_object_add(cfg, "mac", json_object_new_string(hex));
	size_t n;
	const char *text = json_object_to_json_string_length(cfg, JSON_C_TO_STRING_PRETTY, &n);
	if ((rc = dv_write_file_atomic(path, text, n, 0600)) < 0) goto out;
	memcpy(v->cfg_mac, mac, 32);
	json_object_put(v->cfg_json);
	v->cfg_json = cfg;
	cfg = NULL;
	json_object_put(v->settings);
	v->settings = json_object_object_get_ex(v->cfg_json, "settings", &st) ? json_object_get(st) : NULL;
out:
	json_object_put(cfg);
	return rc;
}

int dv_vault_config_state(const dv_vault *v, uint8_t mac[32])
{
	if (mac) memcpy(mac, v->cfg_mac, 32);
	return v->cfg_state;
}

int dv_vault_open(dv_vault **out, const char *dir, const dv_key_source *key, int mode)
{
	return dv_vault_open_ex(out, dir, key, mode, NULL);
}

int dv_vault_open_ex(dv_vault **out, const char *dir, const dv_key_source *key, int mode,
                     const dv_vault_open_opts *opts)
{
	return dv_vault_open_fs(out, dir, key, mode, opts, NULL);
}

const dv_fs *dv_vault_fs(const dv_vault *v) { return v->fs; }

int dv_vault_open_fs(dv_vault **out, const char *dir, const dv_key_source *key, int mode,
                     const dv_vault_open_opts *opts, const dv_fs *fs)
{
	return vault_open(out, dir, key, mode, opts, fs, false);
}

static int vault_open(dv_vault **out, const char *dir, const dv_key_source *key, int mode, const dv_vault_open_opts *opts,
                      const dv_fs *fs, bool creating)
{
	int rc = dv_crypto_init();
	if (rc < 0) return rc;
	dv_vault *v = calloc(1, sizeof(*v));
	if (!v) return dv_error_set(DV_ENOMEM, dir, -1, "out of memory");
	v->creating = creating;
	v->fs = fs ? fs : dv_fs_real();
	v->lock_fd = -1;
	v->mode = mode;
	if (!(v->k = dv_secret_alloc(sizeof(*v->k)))) {
		free(v);
		return DV_ENOMEM;
	}
	if ((rc = dv_pathf(v->dir, sizeof(v->dir), "%s", dir)) < 0) goto fail;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = dv_error_set(DV_ENOTFOUND, dir, -1, "no vault here; create one with 'dronevault init %s'", dir);
		goto fail;
	}
	/* Keys first: a wrong passphrase must touch nothing, not even the lock file. */
	if ((rc = load_config(v, key)) < 0 || (rc = take_lock(v, opts)) < 0) goto fail;
	uint8_t k1[32], k2[32];
	char p[4096];
	dv_subkey(k1, v->k->master, SUBKEY_CATALOG);
	dv_subkey(k2, v->k->master, SUBKEY_TAGS);
	if ((rc = dv_pathf(p, sizeof(p), "%s/catalog.db", v->dir)) < 0) goto fail;
	if (v->catalog_conn[0]) {
		dv_catalog_backend *be;
		const dv_catalog_backend_ops *ops;
		rc = dv_catalog_pg_backend(&be, &ops, v->catalog_conn, v->vault_id, mode == DV_VAULT_WRITE ? 0 : DV_CATALOG_READONLY);
		if (rc == 0) rc = dv_catalog_open_backend(&v->cat, ops, be, k1, k2);
	} else if (mode == DV_VAULT_READ && stat(p, &st) < 0) {
		rc = dv_error_set(DV_ECORRUPT, p, -1, "catalog missing");
	} else {
		rc = dv_catalog_open_ex(&v->cat, p, k1, k2, mode == DV_VAULT_WRITE ? 0 : DV_CATALOG_READONLY);
	}
	dv_wipe(k1, sizeof(k1));
	dv_wipe(k2, sizeof(k2));
	/* A shared catalog's writer makes the side tables writers fill before
	 * its first write (the ingest's telemetry and points, worm.c's case
	 * locks, the rollback witness, the station registry), each in a
	 * transaction of its own: made on first write inside an ingest's batch,
	 * their DDL lock deadlocked with another station's blob rows. */
	static const char *const writer_sides[] = { "telemetry", "points", "case_lock", WITNESS_TABLE, DV_STATION_TABLE };
	for (size_t i = 0; rc == 0 && mode == DV_VAULT_WRITE && v->catalog_conn[0] && i < sizeof(writer_sides) / sizeof(*writer_sides); i++)
		rc = dv_catalog_side_ensure(v->cat, writer_sides[i]);
	/* A reader sees one snapshot of catalog rows and log head for its whole life. */
	if (rc == 0 && mode != DV_VAULT_WRITE) {
		rc = dv_catalog_begin_read(v->cat);
		v->writer_at_snap = dv_vault_writer_active(v);
	}
	if (rc < 0) goto fail;
	dv_subkey(k1, v->k->master, SUBKEY_BLOBNAME);
	dv_subkey(k2, v->k->master, SUBKEY_BLOBDATA);
	/* Readers get a read-only store: no directories made, no leftovers removed
	 * (they may belong to an ingest running right now). */
	if (v->blobs_cfg) rc = open_s3_blobs(v, k1, k2);
	else
		rc = dv_blobstore_open_folder_fs(&v->blobs, v->dir, k1, k2, mode == DV_VAULT_WRITE ? 0 : DV_BLOBSTORE_READONLY,
		                                 v->fs);
	if (rc == 0 && mode == DV_VAULT_WRITE) dv_blobstore_clean_tmp(v->blobs);
	dv_wipe(k1, sizeof(k1));
	dv_wipe(k2, sizeof(k2));
	if (rc < 0) goto fail;
	dv_subkey(v->k->custody_key, v->k->master, SUBKEY_CUSTODY);
	if (v->shared) {
		/* the log is the catalog's: nothing in the directory to reconcile */
		if ((rc = station_may_write(v)) < 0 || (rc = witness_may_write(v)) < 0 || (rc = config_on_open(v)) < 0) goto fail;
		dv_secret_readonly(v->k);
		*out = v;
		return 0;
	}
	uint64_t torn = 0;
	if ((rc = dv_pathf(p, sizeof(p), "%s/custody.log", v->dir)) < 0) goto fail;
	rc = dv_custody_open(&v->log, p, v->pk, mode == DV_VAULT_WRITE ? v->k->sk : NULL, v->k->custody_key,
	                     mode == DV_VAULT_WRITE, &torn);
	if (rc == 0) dv_custody_use_fs(v->log, v->fs);
	if (rc < 0 || (rc = reconcile_head(v)) < 0 || (rc = repair_torn(v, torn)) < 0 || (rc = migrate_log(v)) < 0)
		goto fail;
	if (mode == DV_VAULT_WRITE && !creating) {
		uint64_t seq;
		uint8_t h[32];
		dv_custody_tail(v->log, &seq, h);
		if (seq == 0) {
			rc = unfinished_vault(v);
			goto fail;
		}
	}
	if ((rc = config_on_open(v)) < 0) goto fail;
	dv_secret_readonly(v->k);
	*out = v;
	return 0;
fail:
	/* an altered vault.json can point the open anywhere (no catalog section:
	 * a catalog.db that is not there; an endpoint no longer a URL): the
	 * failure then names what was altered, as verify would */
	if (v->cfg_state == DV_CONFIG_ALTERED) dv_error_prefix("vault.json was altered (its MAC does not match): ");
	dv_vault_close(v);
	return rc;
}

int dv_vault_db_upgrade(const char *dir, const dv_key_source *key, const char *operator_name, int *from, int *to)
{
	*from = *to = 0;
	int rc = dv_crypto_init();
	if (rc < 0) return rc;
	dv_vault *v = calloc(1, sizeof(*v));
	if (!v) return dv_error_set(DV_ENOMEM, dir, -1, "out of memory");
	v->fs = dv_fs_real();
	v->lock_fd = -1;
	v->mode = DV_VAULT_WRITE;
	if (!(v->k = dv_secret_alloc(sizeof(*v->k)))) {
		free(v);
		return DV_ENOMEM;
	}
	/* the key opens vault.json (its connection string authenticated); the
	 * writer lock keeps this vault's own writers out meanwhile */
	if ((rc = dv_pathf(v->dir, sizeof(v->dir), "%s", dir)) == 0 && (rc = load_config(v, key)) == 0) {
		if (!v->catalog_conn[0])
			rc = dv_error_set(DV_EUNSUPPORTED, dir, -1, "this vault's catalog is SQLite (catalog.db): its schema needs no upgrade");
		else if ((rc = take_lock(v, NULL)) == 0)
			rc = dv_catalog_pg_upgrade(from, to, v->catalog_conn, v->vault_id, 0);
	}
	dv_vault_close(v);
	if (rc < 0 || *from == *to) return rc;
	/* the change is evidence too */
	if ((rc = dv_vault_open(&v, dir, key, DV_VAULT_WRITE)) < 0) return rc;
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_DB_UPGRADE));
	json_object_object_add(body, "operator", json_object_new_string(operator_name ? operator_name : ""));
	json_object_object_add(body, "from_version", json_object_new_int(*from));
	json_object_object_add(body, "to_version", json_object_new_int(*to));
	rc = dv_vault_log(v, body, NULL);
	json_object_put(body);
	dv_vault_close(v);
	return rc;
}

void dv_vault_close(dv_vault *v)
{
	if (!v) return;
	dv_custody_close(v->log);
	dv_catalog_close(v->cat);
	if (v->lock_fd >= 0) {
		if (v->locked && ftruncate(v->lock_fd, 0) < 0) {
			/* the holder note is sealed anyway */
		}
		close(v->lock_fd);
	}
	dv_secret_free(v->k);
	json_object_put(v->cfg_json);
	json_object_put(v->settings);
	json_object_put(v->blobs_cfg);
	dv_blobstore_close(v->blobs);
	free(v);
}

const char *dv_vault_dir(const dv_vault *v) { return v->dir; }
const char *dv_vault_station(const dv_vault *v) { return v->station; }
const char *dv_vault_id(const dv_vault *v) { return v->vault_id; }
dv_catalog *dv_vault_catalog(dv_vault *v) { return v->cat; }
dv_blobstore *dv_vault_blobs(dv_vault *v) { return v->blobs; }
const uint8_t *dv_vault_public_key(const dv_vault *v) { return v->pk; }
bool dv_vault_shared_log(const dv_vault *v) { return v->shared; }

int dv_vault_log_with(dv_vault *v, json_object *body, uint64_t *seq_out,
                      int (*in_txn)(dv_catalog *cat, uint64_t seq, void *payload), void *payload)
{
	uint64_t seq;
	uint8_t hash[32];
	json_object_object_add(body, "station", json_object_new_string(v->station));
	if (v->shared) {
		/* the entry, its chain's head and the work it records commit together */
		int rc = dv_catalog_begin(v->cat);
		if (rc < 0) return rc;
		rc = dv_custody_shared_append(&seq, hash, v->cat, v->pk, v->k->sk, v->k->custody_key, cfg_str(body, "case"), body);
		if (rc == 0 && in_txn) rc = in_txn(v->cat, seq, payload);
		if (rc == 0) rc = witness_write(v, v->cat);
		if (rc == 0) rc = dv_catalog_commit(v->cat);
		if (rc < 0) {
			dv_catalog_rollback(v->cat);
			witness_undo(v);
			return rc;
		}
		if (seq_out) *seq_out = seq;
		return 0;
	}
	int rc = dv_custody_append(v->log, body, &seq, hash);
	if (rc < 0) return rc;
	/* If we crash here the next write-open rolls the head forward, once it
	 * has found this entry's work in the catalog (reconcile_head). */
	if ((rc = dv_catalog_begin(v->cat)) < 0) return rc;
	rc = dv_catalog_head_set(v->cat, seq, hash);
	if (rc == 0 && in_txn) rc = in_txn(v->cat, seq, payload);
	if (rc == 0) rc = dv_catalog_commit(v->cat);
	if (rc < 0) {
		dv_catalog_rollback(v->cat);
		return rc;
	}
	if (seq_out) *seq_out = seq;
	return 0;
}

int dv_vault_log_in_txn(dv_vault *v, json_object *body, uint64_t *seq_out)
{
	uint64_t seq;
	uint8_t hash[32];
	json_object_object_add(body, "station", json_object_new_string(v->station));
	if (v->shared) {
		int rc = dv_custody_shared_append(&seq, hash, v->cat, v->pk, v->k->sk, v->k->custody_key, cfg_str(body, "case"), body);
		/* (the caller's rollback leaves the directory's witness one write ahead: a note for verify) */
		if (rc == 0) rc = witness_write(v, v->cat);
		if (rc == 0 && seq_out) *seq_out = seq;
		return rc;
	}
	int rc = dv_custody_append(v->log, body, &seq, hash);
	if (rc == 0) rc = dv_catalog_head_set(v->cat, seq, hash);
	if (rc == 0 && seq_out) *seq_out = seq;
	return rc;
}

int dv_vault_commit_with_entry(dv_vault *v, json_object *body, uint64_t *seq_out, bool *committed)
{
	if (committed) *committed = false;
	int rc = v->shared ? dv_vault_log_in_txn(v, body, seq_out) : 0;
	if (rc == 0) rc = dv_catalog_commit(v->cat);
	if (rc < 0) {
		dv_catalog_rollback(v->cat);
		return rc;
	}
	if (committed) *committed = true;
	return v->shared ? 0 : dv_vault_log(v, body, seq_out);
}

int dv_vault_log(dv_vault *v, json_object *body, uint64_t *seq_out)
{
	return dv_vault_log_with(v, body, seq_out, NULL, NULL);
}

int dv_vault_head(const dv_vault *v, uint64_t *seq, uint8_t hash[32])
{
	if (v->shared) return dv_custody_shared_vault_head(hash, seq, v->cat);
	if (v->mode == DV_VAULT_WRITE) {
		dv_custody_tail(v->log, seq, hash);
		return 0;
	}
	/* a reader: its snapshot's head */
	return dv_catalog_head_get(v->cat, seq, hash);
}

int dv_vault_log_scan(dv_vault *v, int (*fn)(const dv_custody_entry *e, json_object *body, void *payload),
                      void (*problem)(const char *msg, void *payload), void *payload)
{
	if (v->shared) {
		/* a reader's snapshot holds whole committed entries only: nothing in progress */
		dv_station_list sl;
		int rc = dv_station_list_read(&sl, v->cat, NULL, NULL);
		if (rc < 0) return rc;
		rc = dv_custody_shared_scan(v->cat, (const uint8_t(*)[32])sl.pks, sl.names, sl.revoked, sl.n, v->k->custody_key, fn,
		                            problem, payload);
		dv_station_list_free(&sl);
		return rc;
	}
	char p[4096];
	int rc = dv_vault_path(v, "custody.log", p, sizeof(p));
	if (rc < 0) return rc;
	if (v->mode == DV_VAULT_WRITE) return dv_custody_scan(p, v->pk, v->k->custody_key, fn, problem, payload);
	/* A reader reports what its snapshot holds; what a writer appends after
	 * it is in progress (still checked, not listed). With no writer at work
	 * when the snapshot was taken (scan_upto, reconcile_head), the entries
	 * the log held then are not in progress but the log, listed and
	 * cross-checked like the rest, past the catalog's head or not (the
	 * catalog lost its head record, or was rolled back). */
	return dv_custody_scan_snapshot(&v->log_later, &v->log_partial, p, v->pk, v->k->custody_key, v->scan_upto,
	                                dv_vault_writer_active(v), fn, problem, payload);
}

void dv_vault_log_add_heads(dv_vault *v, json_object *body, const char *case_name)
{
	uint64_t seq;
	uint8_t h[32];
	char hex[65];
	if (v->shared) {
		if (dv_custody_shared_vault_head(h, NULL, v->cat) == 0) {
			dv_hex(hex, h, 32);
			json_object_object_add(body, "vault_head", json_object_new_string(hex));
		}
		if (case_name && dv_custody_shared_chain_head(&seq, h, v->cat, v->k->custody_key, v->pk, case_name) == 0) {
			dv_hex(hex, h, 32);
			json_object_object_add(body, "case_head", json_object_new_string(hex));
		}
		return;
	}
	dv_custody_tail(v->log, &seq, h);
	dv_hex(hex, h, 32);
	json_object_object_add(body, "vault_head", json_object_new_string(hex));
	if (case_name && dv_custody_case_head(v->log, case_name, &seq, h) == 0 && seq) {
		dv_hex(hex, h, 32);
		json_object_object_add(body, "case_head", json_object_new_string(hex));
	}
}

void dv_vault_case_ref(const dv_vault *v, const char *case_name, char out[DV_CUSTODY_REF_MAX])
{
	dv_custody_case_ref(out, v->k->custody_key, case_name);
}

struct head_scan {
	char ref[DV_CUSTODY_REF_MAX];
	bool any;
	uint64_t seq;
	uint8_t hash[32];
	int version;
};

static int on_head_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	(void)body;
	struct head_scan *h = payload;
	h->version = e->version;
	if (!h->ref[0]) {
		h->seq = e->seq;
		memcpy(h->hash, e->hash, 32);
	} else if (e->version == 2 && !strcmp(e->case_ref, h->ref)) {
		h->any = true;
		h->seq = e->case_seq;
		memcpy(h->hash, e->case_hash, 32);
	}
	return 0;
}

int dv_vault_case_head(dv_vault *v, const char *case_name, uint64_t *seq, uint8_t hash[32])
{
	if (v->shared) {
		/* the vault head is over every chain's head; a case's is its chain's */
		if (!case_name) return dv_custody_shared_vault_head(hash, seq, v->cat);
		int rc = dv_custody_shared_chain_head(seq, hash, v->cat, v->k->custody_key, v->pk, case_name);
		if (rc == DV_ENOTFOUND) return dv_error_set(DV_ENOTFOUND, v->dir, -1, "no custody entries of case '%s'", case_name);
		return rc;
	}
	struct head_scan h = { .seq = 0 };
	if (case_name) dv_custody_case_ref(h.ref, v->k->custody_key, case_name);
	int n = dv_vault_log_scan(v, on_head_entry, NULL, &h);
	if (n < 0) return n;
	if (n > 0) return dv_error_set(DV_ECORRUPT, v->dir, -1, "custody log damaged; run 'dronevault verify'");
	if (case_name && h.version == 1)
		return dv_error_set(DV_EUNSUPPORTED, v->dir, -1,
		                    "this vault's custody log is version 1 (one chain, no case heads); any write-open converts it");
	if (case_name && !h.any) return dv_error_set(DV_ENOTFOUND, v->dir, -1, "no custody entries of case '%s'", case_name);
	*seq = h.seq;
	memcpy(hash, h.hash, 32);
	return 0;
}

int dv_vault_case_package(dv_vault *v, const char *case_name, const char *dir, uint64_t *entries, uint8_t head[32])
{
	if (v->shared) {
		dv_station_list sl;
		int rc = dv_station_list_read(&sl, v->cat, NULL, NULL);
		if (rc < 0) return rc;
		rc = dv_custody_shared_package(entries, head, v->cat, (const uint8_t(*)[32])sl.pks, sl.names, sl.n, v->k->custody_key,
		                               case_name, dir);
		dv_station_list_free(&sl);
		return rc;
	}
	char p[4096];
	int rc = dv_vault_path(v, "custody.log", p, sizeof(p));
	if (rc < 0) return rc;
	return dv_custody_case_package(p, v->pk, v->k->custody_key, case_name, dir, entries, head);
}

void dv_vault_log_in_progress(const dv_vault *v, uint64_t *entries, uint64_t *bytes)
{
	*entries = v->log_later;
	*bytes = v->log_partial;
}

int dv_vault_record_zones_check(uint64_t *seq_out, dv_vault *v, const char *case_name, const char *operator_name,
                                const char *zones_file, uint64_t entries, json_object *flights)
{
	/* the zone file itself is identified by its hash */
	uint8_t *zbuf;
	size_t zlen;
	char zhex[65] = "";
	if (dv_read_file(&zbuf, &zlen, zones_file, 256u << 20) == 0) {
		uint8_t h[32];
		dv_sha256_buf(zbuf, zlen, h);
		dv_hex(zhex, h, 32);
		free(zbuf);
	}
	json_object *body = json_object_new_object();
	if (!body) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_ZONES_CHECK));
	json_object_object_add(body, "case", json_object_new_string(case_name ? case_name : ""));
	json_object_object_add(body, "operator", json_object_new_string(operator_name ? operator_name : ""));
	json_object_object_add(body, "zones_file", json_object_new_string(zones_file));
	json_object_object_add(body, "zones_sha256", json_object_new_string(zhex));
	json_object_object_add(body, "entries", json_object_new_int64((int64_t)entries));
	json_object *summary = json_object_new_array();
	size_t n = flights && json_object_is_type(flights, json_type_array) ? json_object_array_length(flights) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *src = json_object_array_get_idx(flights, i), *o = json_object_new_object();
		if (json_object_is_type(src, json_type_object)) {
			json_object_object_foreach(src, k, val) {
				if (strcmp(k, "report")) json_object_object_add(o, k, json_object_get(val));
			}
		}
		json_object_array_add(summary, o);
	}
	json_object_object_add(body, "flights", summary);
	int rc = dv_vault_log(v, body, seq_out);
	json_object_put(body);
	return rc;
}

/* ---- stations of a shared vault (station_int.h; docs/design.md, "Stations") ---------- */
static int need_shared_writer(const dv_vault *v)
{
	if (!v->shared)
		return dv_error_set(DV_EUNSUPPORTED, v->dir, -1,
		                    "stations need a shared catalog: this vault's catalog and custody log are its own directory's "
		                    "(SQLite); a central vault is made with 'dronevault init --catalog postgresql://...'");
	if (v->mode != DV_VAULT_WRITE || !v->cfg_json) return dv_error_set(DV_EINVAL, v->dir, -1, "stations change only through a writer");
	if (v->cfg_state != DV_CONFIG_OK) return dv_error_set(DV_ECORRUPT, "vault.json", -1, "not authenticated: no station changed");
	return 0;
}

/* Enrolments and revocations take turns (an advisory lock on a chain name
 * no entry uses), and read the registry under it. */
#define STATIONS_LOCK "stations"

struct station_txn {
	dv_vault *v;
	dv_station_rec rec;
	bool revoke;
};

static int station_txn(dv_catalog *cat, uint64_t seq, void *payload)
{
	(void)seq;
	struct station_txn *t = payload;
	uint64_t h;
	uint8_t hh[32], tk[32];
	int rc = dv_catalog_chain_lock(cat, STATIONS_LOCK, &h, hh);
	if (rc < 0) return rc;
	dv_station_list sl;
	if ((rc = dv_station_list_read(&sl, cat, NULL, NULL)) < 0) return rc;
	const dv_station_rec *cur = NULL;
	size_t active = 0;
	for (size_t i = 0; i < sl.n; i++) {
		if (!strcmp(sl.s[i].name, t->rec.name)) cur = &sl.s[i];
		if (!sl.s[i].revoked_ns) active++;
	}
	if (!t->revoke && cur)
		rc = dv_error_set(DV_EEXIST, t->v->dir, -1, "station '%s' exists already (a name is used once, a revoked one too)", t->rec.name);
	else if (!t->revoke && dv_station_by_pk(&sl, t->rec.public_key))
		rc = dv_error_set(DV_EEXIST, t->v->dir, -1, "that signing key is enrolled already");
	else if (t->revoke && !cur)
		rc = dv_error_set(DV_ENOTFOUND, t->v->dir, -1, "no station '%s' in this vault ('dronevault station list')", t->rec.name);
	else if (t->revoke && cur->revoked_ns)
		rc = dv_error_set(DV_EEXIST, t->v->dir, -1, "station '%s' was revoked already", t->rec.name);
	else if (t->revoke && active <= 1)
		rc = dv_error_set(DV_EPERM, t->v->dir, -1,
		                  "station '%s' is the last one not revoked: revoking it would leave no station that may write", t->rec.name);
	if (rc == 0 && t->revoke) {
		dv_station_rec r = *cur;
		/* after the revocation entry's own time: that entry is still valid */
		r.revoked_ns = dv_now_ns();
		snprintf(r.revoked_by, sizeof(r.revoked_by), "%s", t->v->station);
		t->rec = r;
	}
	dv_station_list_free(&sl);
	if (rc < 0) return rc;
	dv_subkey(tk, t->v->k->master, SUBKEY_TAGS);
	rc = dv_station_put(cat, tk, &t->rec);
	dv_wipe(tk, sizeof(tk));
	return rc;
}

int dv_vault_station_add(dv_vault *v, const char *name, const char *dir, const dv_key_source *key,
                         const dv_vault_init_opts *opts)
{
	int rc = need_shared_writer(v);
	if (rc < 0) return rc;
	if (!dv_station_name_ok(name))
		return dv_error_set(DV_EINVAL, NULL, -1, "station name: 1 to 63 of A-Z a-z 0-9 . _ - (not starting with . or -)");
	if ((rc = key_source_ok(key, dir)) < 0) return rc;
	struct stat st;
	bool existed = stat(dir, &st) == 0;
	if ((rc = dir_is_empty_or_missing(dir)) < 0) return rc;
	uint8_t mac[32];
	char iso[40], hex[65], fp[65];
	/* the same master key, wrapped for the new station alone */
	struct station_keys sk;
	if ((rc = make_station_keys(&sk, key, opts, dir, v->vault_id, v->k->master)) < 0) return rc;
	const uint8_t *pk = sk.pk;
	/* its vault.json: this one's catalog, blobs and settings; its own key,
	 * station and time; its own MAC */
	json_object *cfg = NULL;
	if (json_object_deep_copy(v->cfg_json, &cfg, NULL) != 0 || !cfg) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	json_object_object_del(cfg, "mac");
	dv_time_iso(iso, sizeof(iso), dv_now_ns());
	json_object_object_add(cfg, "created", json_object_new_string(iso));
	cfg_put_station_keys(cfg, &sk, name);
	char path[4096];
	size_t n;
	const char *text;
	if ((rc = config_mac(mac, cfg, v->k->master)) < 0) goto out;
	json_hex(cfg, "mac", mac, sizeof(mac));
	text = json_object_to_json_string_length(cfg, JSON_C_TO_STRING_PRETTY, &n);
	/* the file first, then the registry and the entry: a failed commit takes the file back */
	if ((rc = dv_mkdir_p(dir)) < 0 || (rc = dv_pathf(path, sizeof(path), "%s/vault.json", dir)) < 0 ||
	    (rc = dv_write_file_atomic(path, text, n, 0600)) < 0)
		goto out;
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_STATION_ADD));
	json_object_object_add(body, "operator", json_object_new_string(opts && opts->operator_name ? opts->operator_name : ""));
	json_object_object_add(body, "station_name", json_object_new_string(name));
	json_hex(body, "station_key", pk, sizeof(sk.pk));
	dv_station_fingerprint(fp, pk);
	json_object_object_add(body, "fingerprint", json_object_new_string(fp));
	dv_hex(hex, mac, 32);
	json_object_object_add(body, "config_mac", json_object_new_string(hex));
	struct station_txn t = { .v = v, .rec = { .enrolled_ns = dv_now_ns() } };
	snprintf(t.rec.name, sizeof(t.rec.name), "%s", name);
	memcpy(t.rec.public_key, pk, 32);
	snprintf(t.rec.enrolled_by, sizeof(t.rec.enrolled_by), "%s", v->station);
	rc = dv_vault_log_with(v, body, NULL, station_txn, &t);
	json_object_put(body);
	if (rc < 0) {
		int keep = rc;
		char *msg = strdup(dv_error_text());
		(void)unlink(path);
		if (!existed) (void)rmdir(dir);
		rc = dv_error_set(keep, dir, -1, "%s", msg ? msg : "station not enrolled");
		free(msg);
	}
out:
	json_object_put(cfg);
	return rc;
}

static int put_chain_head(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload)
{
	(void)hash;
	json_object_object_add(payload, chain, json_object_new_int64((int64_t)seq));
	return 0;
}

int dv_vault_station_revoke(dv_vault *v, const char *name, const char *operator_name)
{
	int rc = need_shared_writer(v);
	if (rc < 0) return rc;
	dv_station_list sl;
	if ((rc = dv_station_list_read(&sl, v->cat, NULL, NULL)) < 0) return rc;
	struct station_txn t = { .v = v, .revoke = true };
	snprintf(t.rec.name, sizeof(t.rec.name), "%s", name ? name : "");
	const dv_station_rec *cur = NULL;
	for (size_t i = 0; i < sl.n; i++)
		if (!strcmp(sl.s[i].name, t.rec.name)) cur = &sl.s[i];
	if (!cur) {
		dv_station_list_free(&sl);
		return dv_error_set(DV_ENOTFOUND, v->dir, -1, "no station '%s' in this vault ('dronevault station list')", t.rec.name);
	}
	char hex[65], fp[65];
	dv_hex(hex, cur->public_key, 32);
	dv_station_fingerprint(fp, cur->public_key);
	dv_station_list_free(&sl);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string(DV_ACTION_STATION_REVOKE));
	json_object_object_add(body, "operator", json_object_new_string(operator_name ? operator_name : ""));
	json_object_object_add(body, "station_name", json_object_new_string(t.rec.name));
	json_object_object_add(body, "station_key", json_object_new_string(hex));
	json_object_object_add(body, "fingerprint", json_object_new_string(fp));
	/* Where every chain stood at the revocation: an entry the revoked key
	 * signs past these places (or in a chain begun since) is after it,
	 * whatever time it claims (verify; docs/design.md, "Stations"). Read
	 * just before the entry's transaction: a write racing the revocation
	 * counts as after it. */
	json_object *heads = json_object_new_object();
	json_object_object_add(body, "chain_heads", heads);
	if ((rc = dv_catalog_chain_heads(v->cat, put_chain_head, heads)) < 0) {
		json_object_put(body);
		return rc;
	}
	/* the checks again under the registry's lock, in the entry's transaction */
	rc = dv_vault_log_with(v, body, NULL, station_txn, &t);
	json_object_put(body);
	return rc;
}

static int cmp_station(const void *a, const void *b)
{
	return strcmp(((const dv_station_rec *)a)->name, ((const dv_station_rec *)b)->name);
}

int dv_vault_station_list(dv_vault *v, int (*fn)(const dv_station_info *s, void *payload), void *payload)
{
	if (!v->shared)
		return dv_error_set(DV_EUNSUPPORTED, v->dir, -1,
		                    "stations need a shared catalog: this vault's catalog is its own directory's (SQLite)");
	dv_station_list sl;
	int rc = dv_station_list_read(&sl, v->cat, NULL, NULL);
	if (rc < 0) return rc;
	if (sl.n) qsort(sl.s, sl.n, sizeof(*sl.s), cmp_station);
	for (size_t i = 0; rc == 0 && i < sl.n; i++) rc = fn(&sl.s[i], payload);
	dv_station_list_free(&sl);
	return rc;
}

/* A vault whose init was killed between vault.json and its vault.init
 * entry: no writer may start its log without that first entry. */
static int unfinished_vault(const dv_vault *v)
{
	return dv_error_set(DV_EINVAL, v->dir, -1,
	                    "this vault was never finished: its creation (init) stopped before its first custody entry "
	                    "(vault.init); nothing was written. Remove the directory%s and run init again",
	                    v->catalog_conn[0] ? " (and give init a new, empty database)" : "");
}

/* A writer of a shared vault must be a station of its registry, not revoked. */
static int station_may_write(dv_vault *v)
{
	if (v->mode != DV_VAULT_WRITE) return 0;
	dv_station_list sl;
	int rc = dv_station_list_read(&sl, v->cat, NULL, NULL);
	if (rc < 0) return rc;
	const dv_station_rec *me = dv_station_by_pk(&sl, v->pk);
	char iso[40];
	if (me && me->revoked_ns) {
		dv_time_iso(iso, sizeof(iso), me->revoked_ns);
		rc = dv_error_set(DV_EPERM, v->dir, -1, "station '%s' was revoked (%s, by station %s): it writes no more", me->name, iso,
		                  me->revoked_by);
	} else if (!me && sl.n) {
		rc = dv_error_set(DV_EPERM, v->dir, -1,
		                  "this station's signing key is not in the vault's station registry: nothing was written "
		                  "(enrol stations with 'dronevault station add')");
	} else if (!me && !v->creating) {
		/* an empty registry: only init's own open, whose vault.init registers it */
		rc = unfinished_vault(v);
	}
	dv_station_list_free(&sl);
	return rc;
}

/* ---- the rollback witness (shared vaults; docs/design.md, "Rollback witness") ------------
 * On every write a station records, in the same transaction, how many
 * writes it has made and the vault head after this one, twice: centrally
 * (the sealed side table "witness", a row per station key) and in its
 * directory (<dir>/witness, under a keyed MAC), the file before the
 * commit. A directory put back to an older copy holds fewer writes than
 * the vault witnessed; a central witness put back holds fewer than the
 * directory. */

struct witness {
	uint64_t n;
	uint8_t head[32];
};

static int64_t witness_row(const dv_vault *v)
{
	uint8_t tk[32];
	char h[65], name[80];
	dv_hex(h, v->pk, 32);
	snprintf(name, sizeof(name), "key:%s", h);
	dv_subkey(tk, v->k->master, SUBKEY_TAGS);
	int64_t id = dv_station_row_id(tk, name);
	dv_wipe(tk, sizeof(tk));
	return id;
}

static void witness_mac(const dv_vault *v, const struct witness *w, uint8_t out[32])
{
	uint8_t key[32];
	char line[300], h[65], pk[65];
	dv_subkey(key, v->k->master, SUBKEY_WITNESS);
	dv_hex(h, w->head, 32);
	dv_hex(pk, v->pk, 32);
	int n = snprintf(line, sizeof(line), "dronevault-witness-v1|%s|%s|%llu|%s", v->vault_id, pk, (unsigned long long)w->n, h);
	crypto_generichash(out, 32, (const uint8_t *)line, (size_t)n, key, sizeof(key));
	dv_wipe(key, sizeof(key));
}

/* v: the directory's copy, which carries a MAC; NULL: the central one */
static int witness_parse(struct witness *w, const uint8_t *data, size_t n, const dv_vault *v)
{
	char m[65];
	if (dv_witness_decode(&w->n, w->head, m, data, n) < 0) return DV_ECORRUPT;
	if (v) {
		/* the directory's copy carries its MAC */
		uint8_t want[32], got[32];
		witness_mac(v, w, want);
		if (strlen(m) != 64 || dv_unhex_canonical(got, 32, m) < 0 || !dv_equal(want, got, 32)) return DV_EBADKEY;
	}
	return 0;
}

static int witness_text(char *out, size_t size, const dv_vault *v, const struct witness *w, bool with_mac)
{
	char h[65], m[65] = "", pk[65];
	dv_hex(h, w->head, 32);
	dv_hex(pk, v->pk, 32);
	if (with_mac) {
		uint8_t mac[32];
		witness_mac(v, w, mac);
		dv_hex(m, mac, 32);
	}
	int n = snprintf(out, size, "{\"format\":\"dronevault-witness\",\"station_key\":\"%s\",\"writes\":%llu,\"vault_head\":\"%s\"%s%s%s}\n",
	                 pk, (unsigned long long)w->n, h, with_mac ? ",\"mac\":\"" : "", m, with_mac ? "\"" : "");
	return n > 0 && (size_t)n < size ? n : dv_error_set(DV_EINVAL, NULL, -1, "witness too long");
}

static int witness_file_put(dv_vault *v, const struct witness *w)
{
	char path[4096], text[600];
	int n, rc;
	if ((rc = dv_vault_path(v, "witness", path, sizeof(path))) < 0 || (n = rc = witness_text(text, sizeof(text), v, w, true)) < 0)
		return rc;
	return dv_write_file_atomic(path, text, (size_t)n, 0600);
}

/* 0, DV_ENOTFOUND (no file), DV_ECORRUPT / DV_EBADKEY (malformed, or its MAC fails) */
static int witness_file_get(struct witness *w, const dv_vault *v)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	int rc = dv_vault_path(v, "witness", path, sizeof(path));
	if (rc < 0) return rc;
	if ((rc = dv_read_file(&buf, &len, path, DV_WITNESS_MAX)) < 0) return rc == DV_ENOTFOUND ? DV_ENOTFOUND : rc;
	rc = witness_parse(w, buf, len, v);
	free(buf);
	return rc;
}

static int witness_central_get(struct witness *w, dv_catalog *cat, const dv_vault *v)
{
	uint8_t *data;
	size_t n;
	int rc = dv_catalog_side_get(&data, &n, cat, WITNESS_TABLE, witness_row(v));
	if (rc < 0) return rc;
	rc = witness_parse(w, data, n, NULL);
	free(data);
	return rc == DV_ECORRUPT ? dv_error_set(DV_ECORRUPT, NULL, -1, "catalog: this station's witness row is malformed") : rc;
}

static int witness_write(dv_vault *v, dv_catalog *cat)
{
	struct witness old = { 0 }, w = { 0 };
	int rc = witness_central_get(&old, cat, v);
	if (rc < 0 && rc != DV_ENOTFOUND) return rc;
	v->witness_had = rc == 0;
	v->witness_prev = old.n;
	memcpy(v->witness_prev_head, old.head, 32);
	w.n = old.n + 1;
	char text[600];
	int n;
	/* the vault head with this write in it (our transaction sees its own rows) */
	if ((rc = dv_custody_shared_vault_head(w.head, NULL, cat)) < 0 || (n = rc = witness_text(text, sizeof(text), v, &w, false)) < 0 ||
	    (rc = dv_catalog_side_put(cat, WITNESS_TABLE, witness_row(v), text, (size_t)n)) < 0)
		return rc;
	/* the directory's copy before the commit: a crash in between leaves it one write ahead, never behind */
	return witness_file_put(v, &w);
}

/* How this station's directory stands against the vault's witness of it
 * (both write counts), for the writer's refusal and for verify. */
enum witness_state { WITNESS_SAME, WITNESS_DIR_BEHIND, WITNESS_HEAD_DIFFERS, WITNESS_DIR_AHEAD, WITNESS_FILE_BAD };

static int witness_compare(enum witness_state *state, uint64_t *central, uint64_t *dir, dv_vault *v)
{
	struct witness c = { 0 }, d = { 0 };
	int crc = witness_central_get(&c, v->cat, v), drc = witness_file_get(&d, v);
	if (crc < 0 && crc != DV_ENOTFOUND) return crc;
	bool bad = drc == DV_ECORRUPT || drc == DV_EBADKEY;
	if (drc < 0 && drc != DV_ENOTFOUND && !bad) return drc;
	uint64_t cn = crc == 0 ? c.n : 0, dn = drc == 0 ? d.n : 0;
	*central = cn;
	*dir = dn;
	if (bad) *state = WITNESS_FILE_BAD;
	else if (dn < cn) *state = WITNESS_DIR_BEHIND;
	else if (dn == cn && cn && !dv_equal(c.head, d.head, 32)) *state = WITNESS_HEAD_DIFFERS;
	else if (dn > cn) *state = WITNESS_DIR_AHEAD;
	else *state = WITNESS_SAME;
	return 0;
}

/* A writer whose directory and the vault's witness disagree refuses: its
 * write would move both past the evidence of a rollback (the directory
 * or the catalog put back), which verify names. One write ahead is the
 * crash window (the file is written before the commit): allowed. */
static int witness_may_write(dv_vault *v)
{
	if (!v->shared || v->mode != DV_VAULT_WRITE) return 0;
	enum witness_state st;
	uint64_t cn, dn;
	int rc = witness_compare(&st, &cn, &dn, v);
	if (rc < 0) return rc;
	if (st == WITNESS_FILE_BAD)
		return dv_error_set(DV_ECORRUPT, v->dir, -1, "witness: this station's witness file is malformed or fails its MAC: "
		                    "nothing was written (see 'dronevault verify')");
	if (st == WITNESS_DIR_BEHIND || st == WITNESS_HEAD_DIFFERS || (st == WITNESS_DIR_AHEAD && dn > cn + 1))
		return dv_error_set(DV_ECORRUPT, v->dir, -1,
		                    "witness: this station's directory holds its write %llu, the vault witnessed %llu: one of them "
		                    "was rolled back (or replaced); nothing was written (see 'dronevault verify')",
		                    (unsigned long long)dn, (unsigned long long)cn);
	return 0;
}

static void witness_undo(dv_vault *v)
{
	struct witness w = { v->witness_prev, { 0 } };
	memcpy(w.head, v->witness_prev_head, 32);
	struct witness cur;
	/* only when this write had moved the file */
	if (witness_file_get(&cur, v) != 0 || cur.n != w.n + 1) return;
	char path[4096];
	if (v->witness_had) (void)witness_file_put(v, &w);
	else if (dv_vault_path(v, "witness", path, sizeof(path)) == 0) (void)unlink(path);
}

int dv_vault_witness_check(dv_vault *v, void (*problem)(const char *msg, void *payload), void (*note)(const char *msg, void *payload),
                           void *payload)
{
	if (!v->shared) return 0;
	enum witness_state st;
	uint64_t cn, dn;
	int rc = witness_compare(&st, &cn, &dn, v);
	if (rc < 0) return rc;
	char msg[600];
	switch (st) {
	case WITNESS_SAME:
		return 0;
	case WITNESS_FILE_BAD:
		snprintf(msg, sizeof(msg), "witness: this station's witness file is malformed or fails its MAC (altered, or another station's)");
		break;
	case WITNESS_DIR_BEHIND:
		snprintf(msg, sizeof(msg),
		         "witness: this station's directory holds its write %llu, but the vault witnessed %llu writes by this station: "
		         "the directory was rolled back to an older copy (or replaced)",
		         (unsigned long long)dn, (unsigned long long)cn);
		break;
	case WITNESS_HEAD_DIFFERS:
		snprintf(msg, sizeof(msg), "witness: write %llu of this station saw another vault head here than the vault witnessed "
		         "(directory or witness row replaced)", (unsigned long long)dn);
		break;
	case WITNESS_DIR_AHEAD:
		if (v->writer_at_snap || dv_vault_writer_active(v) || dn == cn + 1) {
			/* (a writer of this station at work since our snapshot moves the file past it) */
			snprintf(msg, sizeof(msg), "witness: this station's directory is %llu write%s ahead of the vault's witness (a write "
			         "in progress, or one that did not commit)", (unsigned long long)(dn - cn), dn - cn > 1 ? "s" : "");
			if (note) note(msg, payload);
			return 0;
		}
		snprintf(msg, sizeof(msg), "witness: the vault witnessed %llu writes by this station, its directory holds %llu: the "
		         "vault's witness (or the catalog) was rolled back", (unsigned long long)cn, (unsigned long long)dn);
		break;
	}
	problem(msg, payload);
	return 1;
}
