#include "dv/verify.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "vault/custody_shared_int.h" /* the shared log's vault head (verify --head) */
#include "dv/err.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "vault/worm_int.h"

/* What the custody log says about each ingest: who named it first, its
 * case, its completion ("ingest" entry) and the telemetry digest last
 * recorded for it (at completion, or by a telemetry.reindex entry). */
struct logged_ingest {
	int64_t id;
	uint64_t first_seq;       /* first entry naming it (ingest.start, ...) */
	uint64_t seq;             /* the "ingest" entry that completed it, 0: none */
	uint8_t manifest[32];
	bool has_manifest;
	bool has_tele;
	uint64_t tele_seq;
	uint8_t tele[32];
	bool in_catalog;
	char case_name[DV_NAME_MAX];
};

/* A case name the log records, and the first entry naming it. */
struct logged_case {
	char name[DV_NAME_MAX];
	uint64_t seq;
	bool in_catalog;
};

/* An "export.start" entry and whether an entry closed it. */
struct started_export {
	uint64_t seq;
	bool closed;
	char *case_name;
	char *dest;
	int64_t files;
};

struct vctx {
	dv_vault *v;
	struct started_export *exports;
	size_t nexports, capexports;
	const dv_verify_opts *o;
	dv_verify_result *res;
	struct logged_ingest *logged;
	size_t nlogged, caplogged;
	uint64_t last_seq;
	uint8_t last_hash[32];
	bool saw_init;
	bool cfg_logged;          /* an entry (vault.init, vault.config) records vault.json's MAC */
	uint64_t cfg_seq;
	uint8_t cfg_mac[32];
	bool writer_active;   /* another process writes while we check */
	/* blobs referenced by the case: id -> sha (sorted array) */
	dv_blob_rec *blobs;
	size_t nblobs, capblobs;
	int64_t *want_blob_ids;
	size_t nwant, capwant;
	uint64_t bytes_total, bytes_done;
	struct logged_case *cases;
	size_t ncases, capcases;
	uint64_t head_seq;        /* the catalog's record of the log head */
	bool *blob_used;          /* parallel to blobs: a file row refers to it */
	int64_t *file_ids;        /* every file row seen (sorted before use) */
	size_t nfile_ids, capfile_ids;
	dv_case *cat_cases;
	size_t ncat_cases, capcat_cases;
	uint32_t *cat_empty, *cat_full;  /* per catalog case: unlogged empty ingests, other ingests */
	char head_ref[33];        /* --head with a case: its ref in the log */
	struct by_station { char name[256]; uint64_t n; } *stations; /* shared log: entries per signing station */
	size_t nstations;
	struct logged_station { char key[65]; char name[256]; uint64_t add_seq; bool added, revoked; } *lstations;
	size_t nlstations;            /* shared log: stations the log enrols (vault.init, station.add) and revokes */
	dv_chain_head *replay;    /* shared log, --head: every chain's head so far, by chain */
	size_t nreplay, capreplay;
	bool head_found;
	uint64_t head_at;         /* the entry whose hash (or case head) it is */
};

static struct logged_ingest *logged_ingest(struct vctx *c, int64_t id, bool create)
{
	for (size_t i = 0; i < c->nlogged; i++)
		if (c->logged[i].id == id) return &c->logged[i];
	if (!create) return NULL;
	if (c->nlogged == c->caplogged) {
		size_t cap = c->caplogged ? c->caplogged * 2 : 32;
		struct logged_ingest *n = realloc(c->logged, cap * sizeof(*n));
		if (!n) return NULL;
		c->logged = n;
		c->caplogged = cap;
	}
	struct logged_ingest *li = &c->logged[c->nlogged++];
	memset(li, 0, sizeof(*li));
	li->id = id;
	return li;
}

static int logged_case(struct vctx *c, const char *name, uint64_t seq)
{
	for (size_t i = 0; i < c->ncases; i++)
		if (!strcmp(c->cases[i].name, name)) return 0;
	if (c->ncases == c->capcases) {
		size_t cap = c->capcases ? c->capcases * 2 : 16;
		struct logged_case *n = realloc(c->cases, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->cases = n;
		c->capcases = cap;
	}
	struct logged_case *lc = &c->cases[c->ncases++];
	snprintf(lc->name, sizeof(lc->name), "%s", name);
	lc->seq = seq;
	lc->in_catalog = false;
	return 0;
}

static bool hex32(uint8_t out[32], const char *h)
{
	return h && strlen(h) == 64 && dv_unhex(out, 32, h) == 0;
}

static void problem(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct vctx *c, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->res->problems++;
	if (c->o->problem) c->o->problem(msg, c->o->payload);
}

static void note(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct vctx *c, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->o->note) c->o->note(msg, c->o->payload);
}

static void problem_cb(const char *msg, void *payload)
{
	problem(payload, "%s", msg);
}

static void note_cb(const char *msg, void *payload)
{
	note(payload, "%s", msg);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int on_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct vctx *c = payload;
	c->res->log_entries++;
	c->last_seq = e->seq;
	memcpy(c->last_hash, e->hash, 32);
	const char *action = jstr(body, "action");
	json_object *jseq;
	/* version 2 bodies carry their place in the case (case_seq, checked
	 * with the entry), not the vault's sequence */
	if (e->version == 1 &&
	    (!json_object_object_get_ex(body, "seq", &jseq) || (uint64_t)json_object_get_int64(jseq) != e->seq))
		problem(c, "custody.log: entry %llu: its body names another sequence number", (unsigned long long)e->seq);
	char mypk[65], signer[65];
	dv_hex(mypk, dv_vault_public_key(c->v), 32);
	dv_hex(signer, e->station_pk, 32);
	if (e->version < 3 && e->seq == 1) {
		const char *key = jstr(body, "station_key");
		if (!action || strcmp(action, DV_ACTION_VAULT_INIT) || !key || strcmp(key, mypk))
			problem(c, "custody.log: entry 1 is not this vault's creation by this station key");
		c->saw_init = true;
	} else if (e->version == 3 && action && !strcmp(action, DV_ACTION_VAULT_INIT)) {
		/* the shared log: the first station's chain begins with the vault's creation, by that station */
		const char *key = jstr(body, "station_key");
		if (c->saw_init || e->seq != 1 || strcmp(e->case_ref, "station") || !key || strcmp(key, signer))
			problem(c, "custody chain %s entry %llu: a vault creation that is not the first entry of its station's chain, "
			        "or not by the station it names", e->chain, (unsigned long long)e->seq);
		c->saw_init = true;
	}
	const char *cm = jstr(body, "config_mac");
	/* the shared log: every station has its own vault.json; this one's MAC
	 * is in an entry by this station (vault.init, config.set), or in the
	 * station.add that enrolled it */
	bool mine = e->version < 3 || (action && !strcmp(action, DV_ACTION_STATION_ADD) ? jstr(body, "station_key") &&
	                                !strcmp(jstr(body, "station_key"), mypk) : !strcmp(signer, mypk));
	if (cm && mine && action && (!strcmp(action, DV_ACTION_VAULT_INIT) || !strcmp(action, DV_ACTION_VAULT_CONFIG) ||
	                   !strcmp(action, DV_ACTION_CONFIG_SET) || !strcmp(action, DV_ACTION_STATION_ADD))) {
		c->cfg_logged = true;
		c->cfg_seq = e->seq;
		if (strlen(cm) != 64 || dv_unhex(c->cfg_mac, 32, cm) < 0) memset(c->cfg_mac, 0, 32);
	}
	if (action && !strcmp(action, DV_ACTION_EXPORT_START)) {
		if (c->nexports == c->capexports) {
			size_t cap = c->capexports ? c->capexports * 2 : 16;
			struct started_export *n = realloc(c->exports, cap * sizeof(*n));
			if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			c->exports = n;
			c->capexports = cap;
		}
		struct started_export *x = &c->exports[c->nexports++];
		json_object *jf;
		const char *cn = jstr(body, "case"), *dest = jstr(body, "destination");
		x->seq = e->seq;
		x->closed = false;
		x->case_name = strdup(cn ? cn : "?");
		x->dest = strdup(dest ? dest : "?");
		x->files = json_object_object_get_ex(body, "files", &jf) ? json_object_get_int64(jf) : -1;
		if (!x->case_name || !x->dest) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		return 0;
	}
	if (action && (!strcmp(action, DV_ACTION_EXPORT) || !strcmp(action, DV_ACTION_EXPORT_INCOMPLETE) ||
	               !strcmp(action, DV_ACTION_EXPORT_INTERRUPTED))) {
		json_object *js;
		uint64_t start = json_object_object_get_ex(body, "start_entry", &js) ? (uint64_t)json_object_get_int64(js) : 0;
		if (!start) return 0;   /* an export logged before export.start existed */
		bool found = false;
		const char *cn = jstr(body, "case");
		for (size_t i = 0; i < c->nexports; i++)
			/* shared log: seqs are per chain, and an export's entries are in its case's */
			if (c->exports[i].seq == start && !c->exports[i].closed &&
			    (e->version < 3 || !strcmp(c->exports[i].case_name, cn ? cn : "?"))) {
				c->exports[i].closed = true;
				found = true;
			}
		if (!found)
			problem(c, "custody.log: entry %llu (%s) closes export entry %llu, which is not an open export.start",
			        (unsigned long long)e->seq, action, (unsigned long long)start);
		return 0;
	}
	return 0;
}

/* Every entry: the cases and ingests it names, for the catalog cross-check. */
static int account_entry(const dv_custody_entry *e, json_object *body, struct vctx *c)
{
	const char *action = jstr(body, "action"), *cs = jstr(body, "case");
	int rc;
	if (cs && *cs && (rc = logged_case(c, cs, e->seq)) < 0) return rc;
	if (action && !strcmp(action, DV_ACTION_REINDEX)) {
		json_object *arr;
		if (!json_object_object_get_ex(body, "ingests", &arr) || !json_object_is_type(arr, json_type_array)) return 0;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *it = json_object_array_get_idx(arr, i), *jid;
			if (!json_object_object_get_ex(it, "ingest", &jid)) continue;
			struct logged_ingest *li = logged_ingest(c, json_object_get_int64(jid), true);
			if (!li) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			if (!li->first_seq) li->first_seq = e->seq;
			li->has_tele = hex32(li->tele, jstr(it, "telemetry_sha256"));
			li->tele_seq = e->seq;
		}
		return 0;
	}
	json_object *jid;
	if (!action || !json_object_object_get_ex(body, "ingest", &jid) || !json_object_is_type(jid, json_type_int))
		return 0;
	struct logged_ingest *li = logged_ingest(c, json_object_get_int64(jid), true);
	if (!li) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (!li->first_seq) {
		li->first_seq = e->seq;
		snprintf(li->case_name, sizeof(li->case_name), "%s", cs ? cs : "");
	}
	if (!strcmp(action, DV_ACTION_INGEST)) {
		li->seq = e->seq;
		li->has_manifest = hex32(li->manifest, jstr(body, "manifest_sha256"));
		const char *t = jstr(body, "telemetry_sha256");
		if (t) {
			li->has_tele = hex32(li->tele, t);
			li->tele_seq = e->seq;
		}
	}
	return 0;
}

/* The shared log's states in the order its entries are read: every
 * chain's head after entry e, and their vault head (hex into h). */
static int replay_head(struct vctx *c, const dv_custody_entry *e, char h[65])
{
	size_t i = 0;
	while (i < c->nreplay && strcmp(c->replay[i].chain, e->chain) < 0) i++;
	if (i == c->nreplay || strcmp(c->replay[i].chain, e->chain)) {
		int rc = dv_grow(&c->replay, &c->capreplay, c->nreplay, sizeof(*c->replay), 32);
		if (rc < 0) return rc;
		memmove(c->replay + i + 1, c->replay + i, (c->nreplay - i) * sizeof(*c->replay));
		snprintf(c->replay[i].chain, sizeof(c->replay[i].chain), "%s", e->chain);
		c->nreplay++;
	}
	c->replay[i].seq = e->seq;
	memcpy(c->replay[i].hash, e->hash, 32);
	uint8_t d[32];
	int rc = dv_custody_shared_heads_digest(d, c->replay, c->nreplay);
	if (rc < 0) return rc;
	dv_hex(h, d, 32);
	return 0;
}

static int log_station(struct vctx *c, const char *action, json_object *body, const dv_custody_entry *e)
{
	const char *key = jstr(body, "station_key");
	bool init = !strcmp(action, DV_ACTION_VAULT_INIT), add = !strcmp(action, DV_ACTION_STATION_ADD);
	if (!key || (!init && !add && strcmp(action, DV_ACTION_STATION_REVOKE))) return 0;
	size_t i = 0;
	while (i < c->nlstations && strcmp(c->lstations[i].key, key)) i++;
	if (i == c->nlstations) {
		if (i >= 4096) return 0;
		struct logged_station *n = realloc(c->lstations, (i + 1) * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->lstations = n;
		memset(&n[i], 0, sizeof(n[i]));
		snprintf(n[i].key, sizeof(n[i].key), "%s", key);
		c->nlstations++;
	}
	struct logged_station *ls = &c->lstations[i];
	if (init || add) {
		ls->added = true;
		ls->add_seq = e->seq;
		const char *nm = init ? jstr(body, "station") : jstr(body, "station_name");
		snprintf(ls->name, sizeof(ls->name), "%s", nm ? nm : "?");
	} else ls->revoked = true;
	return 0;
}

struct reg_chk {
	struct vctx *c;
};

/* The registry (sealed rows) and the log (signed entries) must tell one story of the stations. */
static int on_registry(const dv_station_info *s, void *payload)
{
	struct vctx *c = ((struct reg_chk *)payload)->c;
	char key[65];
	dv_hex(key, s->public_key, 32);
	struct logged_station *ls = NULL;
	for (size_t i = 0; i < c->nlstations; i++)
		if (!strcmp(c->lstations[i].key, key)) ls = &c->lstations[i];
	if (!ls || !ls->added)
		problem(c, "stations: station %s is in the registry, but no custody entry enrols it (a row added?)", s->name);
	else if (strcmp(ls->name, s->name))
		problem(c, "stations: the registry calls station %s what the log enrolled as %s", s->name, ls->name);
	if (ls && ls->revoked && !s->revoked_ns)
		problem(c, "stations: the log revokes station %s, but the registry has it not revoked (its row put back?)", s->name);
	else if (ls && !ls->revoked && s->revoked_ns)
		problem(c, "stations: the registry has station %s revoked, but no custody entry revokes it", s->name);
	if (ls) ls->added = false; /* seen */
	return 0;
}

static void check_registry(struct vctx *c)
{
	struct reg_chk r = { c };
	if (dv_vault_station_list(c->v, on_registry, &r) < 0) {
		problem(c, "%s", dv_error_text());
		return;
	}
	for (size_t i = 0; i < c->nlstations; i++)
		if (c->lstations[i].added)
			problem(c, "stations: the log enrols station %s, but the registry does not have it (its row removed?)",
			        c->lstations[i].name);
}

static int on_entry_all(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct vctx *c = payload;
	if (c->o->head && !c->head_found) {
		char h[65];
		bool mine = !c->head_ref[0] || (e->version >= 2 && !strcmp(e->case_ref, c->head_ref));
		/* the shared log: a vault head is over every chain's head, the
		 * state after some entry (replayed in time order below) */
		if (e->version == 3 && !c->head_ref[0]) {
			mine = false;
			int rc = replay_head(c, e, h);
			if (rc < 0) return rc;
			if (!strncmp(h, c->o->head, strlen(c->o->head))) {
				c->head_found = true;
				c->head_at = e->seq;
			}
		}
		dv_hex(h, c->head_ref[0] ? e->case_hash : e->hash, 32);
		/* a vault head taken before the log was converted to version 2 is
		 * the v1_hash its entry carries since */
		const char *v1 = c->head_ref[0] ? NULL : jstr(body, "v1_hash");
		if ((mine && !strncmp(h, c->o->head, strlen(c->o->head))) || (v1 && !strncmp(v1, c->o->head, strlen(c->o->head)))) {
			c->head_found = true;
			c->head_at = e->seq;
		}
	}
	const char *by = e->version == 3 ? jstr(body, "signed_by") : NULL;
	if (by) {
		size_t i = 0;
		while (i < c->nstations && strcmp(c->stations[i].name, by)) i++;
		if (i == c->nstations && i < 4096) {
			struct by_station *n = realloc(c->stations, (i + 1) * sizeof(*n));
			if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			c->stations = n;
			snprintf(n[i].name, sizeof(n[i].name), "%s", by);
			n[i].n = 0;
			c->nstations++;
		}
		if (i < c->nstations) c->stations[i].n++;
	}
	const char *action = jstr(body, "action");
	if (e->version == 3 && action) {
		int src = log_station(c, action, body, e);
		if (src < 0) return src;
	}
	int rc = on_entry(e, body, payload);
	return rc < 0 ? rc : account_entry(e, body, payload);
}

static void check_log(struct vctx *c)
{
	int n = dv_vault_log_scan(c->v, on_entry_all, problem_cb, c);
	if (n < 0) {
		problem(c, "%s", dv_error_text());
		return;
	}
	if (!c->saw_init) problem(c, "custody.log: the vault's creation entry is missing");
	bool shared = dv_vault_shared_log(c->v);
	if (c->nstations) {
		/* the shared log names the station of every entry: by its signing key */
		char list[1000] = "";
		size_t used = 0;
		for (size_t i = 0; i < c->nstations && used + 1 < sizeof(list); i++) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%s %llu", i ? ", " : "", c->stations[i].name,
			                 (unsigned long long)c->stations[i].n);
			if (w > 0) used += (size_t)w;
		}
		note(c, "custody log: entries signed by station: %s", list);
	}
	if (shared && c->o->head && !c->head_found && !c->head_ref[0]) {
		uint8_t now[32];
		char h[65];
		if (dv_vault_head(c->v, NULL, now) == 0) {
			dv_hex(h, now, 32);
			if (!strncmp(h, c->o->head, strlen(c->o->head))) c->head_found = true;
		}
	}
	const char *where = shared ? "custody log" : "custody.log";
	if (c->o->head && !c->head_found)
		problem(c, "%s: %s head %s is not in this %s's log: the vault does not contain that state "
		        "(rolled back to an older copy, or another vault)", where, c->head_ref[0] ? "the case" : "the vault", c->o->head,
		        c->head_ref[0] ? "case" : "vault");
	else if (c->o->head)
		note(c, "%s: head %s is entry %llu: the vault still contains that state", where, c->o->head,
		     (unsigned long long)c->head_at);
	if (shared) check_registry(c);
	/* the shared vault's rollback witness: this station's directory against the vault's record of it */
	if (shared && dv_vault_witness_check(c->v, problem_cb, note_cb, c) < 0) problem(c, "%s", dv_error_text());
	uint64_t head;
	uint8_t hash[32];
	if (shared) {
		/* entries commit with their work and their chain's head row (the
		 * chain check compares them): no head record to catch up with */
		c->head_seq = UINT64_MAX;
	} else if (dv_catalog_head_get(dv_vault_catalog(c->v), &head, hash) < 0) {
		problem(c, "%s", dv_error_text());
		return;
	}
	if (!shared) {
		c->head_seq = head;
		if (head == 0 && c->last_seq > 1)
			problem(c, "catalog: its record of the custody log head is missing, and the log has %llu entries "
			        "(deleted: entries may have been cut off the end since)", (unsigned long long)c->last_seq);
		else if (head > c->last_seq)
			problem(c, "custody.log: ends at entry %llu but the catalog recorded entry %llu (entries removed from the end)",
			        (unsigned long long)c->last_seq, (unsigned long long)head);
		else if (head == c->last_seq && memcmp(hash, c->last_hash, 32) != 0)
			problem(c, "custody.log: entry %llu is not the entry the catalog recorded (log replaced or rewritten)",
			        (unsigned long long)head);
		else if (head < c->last_seq)
			note(c, "custody.log: %llu entries after the catalog's record (a crash before the catalog caught up): "
			        "their work is checked against the catalog below; the next write-open rolls the head forward only if it is there",
			     (unsigned long long)(c->last_seq - head));
	}
	/* vault.json: every field under its MAC, and that MAC the one the log
	 * recorded (vault.init, or vault.config when an older vault got it). */
	uint8_t now[32];
	int cs = dv_vault_config_state(c->v, now);
	if (cs == DV_CONFIG_ALTERED)
		problem(c, "vault.json: altered: its fields (created, station name, ...) no longer match their authentication");
	else if (c->cfg_logged && !dv_equal(now, c->cfg_mac, 32))
		problem(c, "vault.json: its fields differ from those custody entry %llu authenticated (altered or replaced)",
		        (unsigned long long)c->cfg_seq);
	else if (cs == DV_CONFIG_UNAUTHENTICATED && c->cfg_logged)
		note(c, "vault.json: its MAC is missing, but its fields are those custody entry %llu authenticated; the next write restores it",
		     (unsigned long long)c->cfg_seq);
	else if (cs == DV_CONFIG_UNAUTHENTICATED)
		note(c, "vault.json: not authenticated yet (a vault made by an older version); the next write-open adds it (custody action vault.config)");
	else if (!c->cfg_logged && c->saw_init)
		problem(c, "vault.json: its authentication is not recorded in the custody log (vault.json replaced?)");
	/* A killed export: evidence may have left, and the log says so. It is
	 * custody, not tampering: a note naming where the partial copy is. */
	for (size_t i = 0; i < c->nexports; i++) {
		struct started_export *x = &c->exports[i];
		if (x->closed) continue;
		c->res->exports_unfinished++;
		note(c, "custody.log: export of case %s to %s (%lld files) began at entry %llu and never completed "
		        "(killed, or still running): a partial copy may be there",
		     x->case_name, x->dest, (long long)x->files, (unsigned long long)x->seq);
	}
	uint64_t later, partial;
	dv_vault_log_in_progress(c->v, &later, &partial);
	if (later || partial) {
		c->res->in_progress++;
		note(c, "custody.log: %llu entries%s after this check's snapshot: %s (in progress, checked next time)",
		     (unsigned long long)later, partial ? " and one being written" : "",
		     dv_vault_writer_active(c->v) ? "a writer is at work" : "written since this check began");
	}
}

static void catalog_problem(const char *msg, void *payload)
{
	problem(payload, "%s", msg);
}

static int want_blob(struct vctx *c, int64_t id)
{
	if (c->nwant == c->capwant) {
		size_t cap = c->capwant ? c->capwant * 2 : 256;
		int64_t *n = realloc(c->want_blob_ids, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->want_blob_ids = n;
		c->capwant = cap;
	}
	c->want_blob_ids[c->nwant++] = id;
	return 0;
}

static int on_blob_row(const dv_blob_rec *b, void *payload)
{
	struct vctx *c = payload;
	if (c->nblobs == c->capblobs) {
		size_t cap = c->capblobs ? c->capblobs * 2 : 256;
		dv_blob_rec *n = realloc(c->blobs, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->blobs = n;
		c->capblobs = cap;
	}
	c->blobs[c->nblobs++] = *b;
	return 0;
}

static int cmp_i64_fwd(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static dv_blob_rec *find_blob(struct vctx *c, int64_t id)
{
	size_t lo = 0, hi = c->nblobs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->blobs[mid].id < id) lo = mid + 1;
		else hi = mid;
	}
	return lo < c->nblobs && c->blobs[lo].id == id ? &c->blobs[lo] : NULL;
}

static int on_file(const dv_file_rec *f, void *payload)
{
	struct vctx *c = payload;
	c->res->files++;
	if (c->nfile_ids == c->capfile_ids) {
		size_t cap = c->capfile_ids ? c->capfile_ids * 2 : 256;
		int64_t *n = realloc(c->file_ids, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->file_ids = n;
		c->capfile_ids = cap;
	}
	c->file_ids[c->nfile_ids++] = f->id;
	dv_blob_rec *b = find_blob(c, f->blob_id);
	if (!b) {
		problem(c, "catalog: file '%s' (ingest %lld) refers to blob row %lld, which is missing",
		        f->path, (long long)f->ingest_id, (long long)f->blob_id);
		return 0;
	}
	if (c->blob_used) c->blob_used[b - c->blobs] = true;
	if (memcmp(b->sha256, f->sha256, 32) != 0 || b->size != f->size)
		problem(c, "catalog: file '%s' (ingest %lld): hash or size differs from its blob's", f->path,
		        (long long)f->ingest_id);
	return want_blob(c, f->blob_id);
}

static int on_ingest(const dv_ingest_rec *r, void *payload)
{
	struct vctx *c = payload;
	dv_catalog *cat = dv_vault_catalog(c->v);
	c->res->ingests++;
	uint64_t files_before = c->res->files;
	int rc = dv_catalog_file_list(cat, r->id, on_file, c);
	if (rc < 0) {
		problem(c, "%s", dv_error_text());
		return 0;
	}
	struct logged_ingest *li = logged_ingest(c, r->id, false);
	const char *case_name = "?";
	for (size_t i = 0; i < c->ncat_cases; i++)
		if (c->cat_cases[i].id == r->case_id) case_name = c->cat_cases[i].name;
	if (li) li->in_catalog = true;
	uint64_t nfiles = c->res->files - files_before;
	if (!li && r->state != DV_INGEST_COMPLETE && nfiles == 0) {
		/* made, then killed before its first custody entry: nothing in it */
		for (size_t i = 0; i < c->ncat_cases; i++)
			if (c->cat_cases[i].id == r->case_id) c->cat_empty[i]++;
		note(c, "ingest %lld (%s, case %s): open, empty and in no custody entry yet (killed before its start was logged; "
		        "re-run the same ingest)", (long long)r->id, r->source, case_name);
		return 0;
	}
	for (size_t i = 0; i < c->ncat_cases; i++)
		if (c->cat_cases[i].id == r->case_id) c->cat_full[i]++;
	if (!li)
		problem(c, "catalog: ingest %lld (%s, case %s) is in no custody entry (a row the log does not account for)",
		        (long long)r->id, r->source, case_name);
	else if (strcmp(li->case_name, case_name))
		problem(c, "catalog: ingest %lld is in case %s, but custody entry %llu records it in case %s",
		        (long long)r->id, case_name, (unsigned long long)li->first_seq, li->case_name);
	uint8_t man[32];
	if (r->state != DV_INGEST_COMPLETE && li && li->seq) {
		/* The log says complete: it can never be open again. */
		bool same = dv_ingest_manifest(cat, r->id, man, NULL, NULL) == 0 && li->has_manifest &&
		            dv_equal(man, li->manifest, 32);
		if (li->seq > c->head_seq && same)
			note(c, "ingest %lld: custody entry %llu completed it after the catalog's head (a crash before the catalog "
			        "caught up); its files match that entry's manifest, the next write-open completes the row",
			     (long long)r->id, (unsigned long long)li->seq);
		else
			problem(c, "ingest %lld (%s): custody entry %llu records it complete, but the catalog has it open "
			        "(an older row put back?)%s", (long long)r->id, r->source, (unsigned long long)li->seq,
			        same ? "" : "; its files no longer match that entry's manifest either");
		return 0;
	}
	if (r->state != DV_INGEST_COMPLETE && c->writer_active) {
		c->res->in_progress++;
		note(c, "ingest %lld of %s is open: in progress while a writer holds the vault (or interrupted earlier)",
		     (long long)r->id, r->source);
		return 0;
	}
	if (r->state != DV_INGEST_COMPLETE) {
		note(c, "ingest %lld of %s is unfinished (interrupted, or files failed); re-run the same ingest to complete it",
		     (long long)r->id, r->source);
		return 0;
	}
	if (dv_ingest_manifest(cat, r->id, man, NULL, NULL) < 0) {
		problem(c, "%s", dv_error_text());
		return 0;
	}
	if (!li || !li->has_manifest)
		problem(c, "ingest %lld (%s): no custody entry records its completion", (long long)r->id, r->source);
	else if (memcmp(li->manifest, man, 32) != 0)
		problem(c, "ingest %lld (%s): the catalog's files no longer match the manifest recorded in custody entry %llu (files added, removed or altered)",
		        (long long)r->id, r->source, (unsigned long long)li->seq);
	else if (memcmp(r->manifest, man, 32) != 0)
		problem(c, "ingest %lld: catalog manifest field differs from its files", (long long)r->id);
	if (li && li->has_tele) {
		uint8_t tele[32];
		uint64_t rows;
		if (dv_telemetry_digest(tele, &rows, cat, r->id) < 0) problem(c, "%s", dv_error_text());
		else if (!dv_equal(tele, li->tele, 32))
			problem(c, "ingest %lld (%s): its telemetry rows (tracks, points) no longer match the digest custody entry %llu "
			        "recorded (rows deleted, dropped or altered)", (long long)r->id, r->source,
			        (unsigned long long)li->tele_seq);
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int progress_sink(const uint8_t *data, size_t n, void *payload)
{
	(void)data;
	struct vctx *c = payload;
	if (c->o->interrupted && *c->o->interrupted)
		return dv_error_set(DV_EINTR, NULL, -1, "interrupted");
	c->bytes_done += n;
	if (c->o->progress) c->o->progress(c->bytes_done, c->bytes_total, c->o->payload);
	return 0;
}

/* Blob names the catalog knows: sorted for bsearch during the orphan walk. */
static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const dv_blob_rec *)a)->name, ((const dv_blob_rec *)b)->name);
}

struct orphan_ctx {
	struct vctx *c;
	dv_blob_rec *by_name;
	uint64_t fresh;
};

/* Where a blob is kept, for messages. */
static void blob_where(struct vctx *c, const char *name, char *out, size_t size)
{
	if (dv_blob_locate(dv_vault_blobs(c->v), name, out, size) < 0) snprintf(out, size, "blob %s", name);
}

static int on_disk_blob(const char *name, void *payload)
{
	struct orphan_ctx *oc = payload;
	dv_blob_rec key;
	snprintf(key.name, sizeof(key.name), "%s", name);
	if (!bsearch(&key, oc->by_name, oc->c->nblobs, sizeof(dv_blob_rec), cmp_name)) {
		if (oc->c->writer_active) {
			oc->fresh++; /* stored by the writer after our snapshot */
			return 0;
		}
		oc->c->res->orphans++;
		char where[4096];
		blob_where(oc->c, name, where, sizeof(where));
		note(oc->c, "%s: not in the catalog (left by an interrupted ingest; harmless)", where);
	}
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- telemetry digest ---------------------------------------------------------- */
struct tele_ctx {
	dv_catalog *cat;
	dv_sha256 *h;
	uint64_t rows;
	bool ids;           /* each line names its file row's id */
};

static int tele_file(const dv_file_rec *f, void *payload)
{
	static const char *const tables[] = { "telemetry", "points" };
	struct tele_ctx *t = payload;
	for (size_t i = 0; i < 2; i++) {
		uint8_t *data;
		size_t n;
		int rc = dv_catalog_side_get(&data, &n, t->cat, tables[i], f->id);
		if (rc == DV_ENOTFOUND) continue;
		if (rc < 0) return rc;
		uint8_t sha[32];
		char line[256], hex[65];
		dv_sha256_buf(data, n, sha);
		free(data);
		dv_hex(hex, sha, 32);
		int ln = t->ids ? snprintf(line, sizeof(line), "%lld\t%s\t%s\t", (long long)f->id, tables[i], hex)
		                : snprintf(line, sizeof(line), "%s\t%s\t", tables[i], hex);
		if ((rc = dv_sha256_update(t->h, line, (size_t)ln)) < 0 ||
		    (rc = dv_sha256_update(t->h, f->path, strlen(f->path))) < 0 || (rc = dv_sha256_update(t->h, "\n", 1)) < 0)
			return rc;
		t->rows++;
	}
	return 0;
}

static int telemetry_digest(uint8_t out[32], uint64_t *rows, dv_catalog *cat, int64_t ingest_id, bool ids)
{
	static const char v1[] = "dronevault-telemetry-v1\n", content[] = "dronevault-telemetry-content-v1\n";
	struct tele_ctx t = { cat, NULL, 0, ids };
	int rc = dv_sha256_new(&t.h);
	if (rc == 0) rc = ids ? dv_sha256_update(t.h, v1, sizeof(v1) - 1) : dv_sha256_update(t.h, content, sizeof(content) - 1);
	if (rc == 0) rc = dv_catalog_file_list(cat, ingest_id, tele_file, &t);
	if (rc == 0) rc = dv_sha256_final(t.h, out);
	dv_sha256_free(t.h);
	if (rows) *rows = t.rows;
	return rc;
}

int dv_telemetry_digest(uint8_t out[32], uint64_t *rows, dv_catalog *cat, int64_t ingest_id)
{
	return telemetry_digest(out, rows, cat, ingest_id, true);
}

/* Files in catalog order on both sides: the copy inserts them in its
 * source's order, so the two agree exactly when the rows do. */
int dv_telemetry_content_digest(uint8_t out[32], dv_catalog *cat, int64_t ingest_id)
{
	return telemetry_digest(out, NULL, cat, ingest_id, false);
}

/* ---- the log accounts for the catalog, the catalog for the log -------------- */
static int on_case_row(const dv_case *cs, void *payload)
{
	struct vctx *c = payload;
	if (c->ncat_cases == c->capcat_cases) {
		size_t cap = c->capcat_cases ? c->capcat_cases * 2 : 16;
		dv_case *n = realloc(c->cat_cases, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->cat_cases = n;
		c->capcat_cases = cap;
	}
	c->cat_cases[c->ncat_cases++] = *cs;
	return 0;
}

static bool file_seen(struct vctx *c, int64_t id)
{
	return c->nfile_ids && bsearch(&id, c->file_ids, c->nfile_ids, sizeof(int64_t), cmp_i64_fwd) != NULL;
}

struct side_chk {
	struct vctx *c;
	const char *table;
	uint64_t orphans;
	int64_t first;
};

static int on_side_row(int64_t id, const uint8_t *data, size_t n, void *payload)
{
	(void)data;
	(void)n;
	struct side_chk *s = payload;
	if (!file_seen(s->c, id)) {
		if (!s->orphans++) s->first = id;
	}
	return 0;
}

static void cross_check(struct vctx *c, const char *only_case)
{
	/* cases */
	for (size_t i = 0; i < c->ncat_cases; i++) {
		dv_case *cs = &c->cat_cases[i];
		if (only_case && strcmp(cs->name, only_case)) continue;
		bool found = false;
		for (size_t j = 0; j < c->ncases; j++)
			if (!strcmp(c->cases[j].name, cs->name)) found = c->cases[j].in_catalog = true;
		if (!found && c->cat_empty[i] && !c->cat_full[i])
			note(c, "case %s (row %lld): in no custody entry yet, and holds only an empty ingest (killed before its start "
			        "was logged)", cs->name, (long long)cs->id);
		else if (!found)
			problem(c, "catalog: case %s (row %lld) is in no custody entry (a row the log does not account for)", cs->name,
			        (long long)cs->id);
	}
	for (size_t j = 0; j < c->ncases; j++) {
		struct logged_case *lc = &c->cases[j];
		if (only_case && strcmp(lc->name, only_case)) continue;
		if (!lc->in_catalog)
			problem(c, "case %s: custody entry %llu and later record it, but the catalog has no such case (rows deleted)",
			        lc->name, (unsigned long long)lc->seq);
	}
	/* ingests */
	for (size_t i = 0; i < c->nlogged; i++) {
		struct logged_ingest *li = &c->logged[i];
		if (li->in_catalog || (only_case && strcmp(li->case_name, only_case))) continue;
		problem(c, "ingest %lld of case %s: custody entry %llu%s records it, but the catalog has no such ingest (rows deleted)",
		        (long long)li->id, li->case_name, (unsigned long long)li->first_seq, li->seq ? " (and its completion)" : "");
	}
	if (only_case) return;
	/* blob rows no file refers to */
	uint64_t unused = 0;
	for (size_t i = 0; i < c->nblobs && c->blob_used; i++)
		if (!c->blob_used[i] && !unused++)
			problem(c, "catalog: blob row %lld is referred to by no file row (its files deleted?)", (long long)c->blobs[i].id);
	if (unused > 1)
		problem(c, "catalog: %llu more blob rows are referred to by no file row", (unsigned long long)(unused - 1));
	/* derived rows whose file is gone */
	static const char *const tables[] = { "telemetry", "points" };
	for (size_t t = 0; t < 2; t++) {
		struct side_chk sc = { c, tables[t], 0, 0 };
		if (dv_catalog_side_list(dv_vault_catalog(c->v), tables[t], on_side_row, &sc) < 0) {
			problem(c, "%s", dv_error_text());
			continue;
		}
		if (sc.orphans)
			problem(c, "catalog: %llu %s rows (first: row %lld) belong to no file row of any ingest (their files deleted)",
			        (unsigned long long)sc.orphans, tables[t], (long long)sc.first);
	}
}

int dv_verify(dv_vault *v, const dv_verify_opts *o, dv_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	int64_t t0 = mono_ns();
	struct vctx c = { .v = v, .o = o, .res = res };
	c.writer_active = dv_vault_writer_active(v);
	dv_catalog *cat = dv_vault_catalog(v);
	int rc = 0;
	int64_t case_id = 0;
	if (o->case_name) {
		dv_case cs;
		if ((rc = dv_catalog_case_find(&cs, cat, o->case_name)) < 0) return rc;
		case_id = cs.id;
	}
	if (o->head && o->case_name) dv_vault_case_ref(v, o->case_name, c.head_ref);
	check_log(&c);
	int n = dv_catalog_check(cat, catalog_problem, &c);
	if (n < 0) problem(&c, "%s", dv_error_text());
	if ((rc = dv_catalog_blob_list(cat, on_blob_row, &c)) < 0) {
		problem(&c, "%s", dv_error_text());
		rc = 0;
	}
	if (c.nblobs && !(c.blob_used = calloc(c.nblobs, sizeof(bool)))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	if (dv_catalog_case_list(cat, on_case_row, &c) < 0) problem(&c, "%s", dv_error_text());
	if (!(c.cat_empty = calloc(c.ncat_cases + 1, sizeof(uint32_t))) || !(c.cat_full = calloc(c.ncat_cases + 1, sizeof(uint32_t)))) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	if (dv_catalog_ingest_list(cat, case_id, on_ingest, &c) < 0)
		problem(&c, "%s", dv_error_text());
	if (c.nfile_ids) qsort(c.file_ids, c.nfile_ids, sizeof(int64_t), cmp_i64_fwd);
	cross_check(&c, o->case_name);

	/* Every blob the selection needs, once each, in id order. */
	if (c.nwant) qsort(c.want_blob_ids, c.nwant, sizeof(int64_t), cmp_i64);
	size_t u = 0;
	for (size_t i = 0; i < c.nwant; i++)
		if (u == 0 || c.want_blob_ids[u - 1] != c.want_blob_ids[i]) c.want_blob_ids[u++] = c.want_blob_ids[i];
	c.nwant = u;
	for (size_t i = 0; i < c.nwant; i++) {
		dv_blob_rec *b = find_blob(&c, c.want_blob_ids[i]);
		if (b) c.bytes_total += b->size;
	}
	/* Object Lock (S3 vaults): what each blob's cases ask, built once */
	dv_lock_wants *wants = NULL;
	if (dv_vault_worm(v) && dv_lock_wants_build(&wants, v) < 0) problem(&c, "%s", dv_error_text());
	for (size_t i = 0; i < c.nwant; i++) {
		dv_blob_rec *b = find_blob(&c, c.want_blob_ids[i]);
		if (!b) continue;
		uint8_t sha[32];
		uint64_t size = 0;
		int brc = dv_blob_read(dv_vault_blobs(v), b->name, progress_sink, &c, sha, &size);
		if (brc == DV_EINTR) {
			dv_lock_wants_free(wants);
			rc = brc;
			goto out;
		}
		res->blobs++;
		res->bytes += size;
		char why[1024];
		/* Object Lock (S3 vaults): a blob that can be deleted is a problem too */
		if (brc == 0 && wants && dv_vault_blob_lock_problem_in(v, wants, b->name, why, sizeof(why)) != 0)
			problem(&c, "%s", why[0] ? why : dv_error_text());
		if (brc < 0) problem(&c, "%s", dv_error_text());
		else if (memcmp(sha, b->sha256, 32) != 0 || size != b->size) {
			char where[4096];
			blob_where(&c, b->name, where, sizeof(where));
			problem(&c, "%s: content does not match its catalog row %lld", where, (long long)b->id);
		}
	}
	dv_lock_wants_free(wants);

	if (!o->case_name) {
		dv_blob_rec *by_name = malloc((c.nblobs ? c.nblobs : 1) * sizeof(*by_name));
		if (by_name) {
			if (c.nblobs) memcpy(by_name, c.blobs, c.nblobs * sizeof(*by_name));
			if (c.nblobs) qsort(by_name, c.nblobs, sizeof(*by_name), cmp_name);
			struct orphan_ctx oc = { &c, by_name, 0 };
			if (dv_blob_foreach(dv_vault_blobs(v), on_disk_blob, &oc) < 0) problem(&c, "%s", dv_error_text());
			if (oc.fresh) {
				res->in_progress++;
				note(&c, "%llu blobs stored after this check's snapshot by the writer at work (in progress)",
				     (unsigned long long)oc.fresh);
			}
			free(by_name);
		}
	}
out:
	for (size_t i = 0; i < c.nexports; i++) {
		free(c.exports[i].case_name);
		free(c.exports[i].dest);
	}
	free(c.exports);
	free(c.stations);
	free(c.lstations);
	free(c.replay);
	free(c.logged);
	free(c.cases);
	free(c.blob_used);
	free(c.file_ids);
	free(c.cat_cases);
	free(c.cat_empty);
	free(c.cat_full);
	free(c.blobs);
	free(c.want_blob_ids);
	res->seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}
