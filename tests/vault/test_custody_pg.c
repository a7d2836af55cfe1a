/*
 * The shared custody log in a PostgreSQL catalog (throwaway cluster,
 * tests/geo/pg_throwaway.h; skipped without PostgreSQL):
 *   - DV_PG_WRITERS stations (4), each its own process and signing key,
 *     append DV_CUSTODY_APPENDS entries (40) each at once to three shared
 *     case chains and their own station chain, every append in its own
 *     write transaction with a catalog row: one valid chain per case, no
 *     gap, no fork, every entry there, and the vault head over all of them;
 *   - a rolled back append leaves nothing; a fork is refused by the
 *     database; an append outside a transaction is refused;
 *   - a flipped body byte, an entry removed from the middle, the tail cut,
 *     an unknown station's entry: each named by the check.
 */
#include <json-c/json.h>
#include <sys/wait.h>

#include "check.h"
#include "dv/catalog.h"
#include "dv/err.h"
#include "geo/pg_throwaway.h"
#include "vault/custody_shared_int.h"

#define MAX_WRITERS 16
static const char *const cases[] = { "2026-A", "2026-B", "2026-C" };
static uint8_t pks[MAX_WRITERS][32], sks[MAX_WRITERS][64];
static uint8_t k1[32], k2[32], ck[32];
static char ci[600];

static int problems;
static char last_problem[400];
static void on_problem(const char *m, void *p)
{
	(void)p;
	problems++;
	snprintf(last_problem, sizeof(last_problem), "%s", m);
	fprintf(stderr, "  (expected) %s\n", m);
}

static int open_cat(dv_catalog **cat, unsigned flags)
{
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	int rc = dv_catalog_pg_backend(&be, &ops, ci, "custody-test", flags);
	return rc < 0 ? rc : dv_catalog_open_backend(cat, ops, be, k1, k2);
}

static int psql_c(const char *sql)
{
	return pg_sh("%s/psql -X -q -v ON_ERROR_STOP=1 -h %s -U postgres -d custody -c \"%s\" >/dev/null", PG_BIN, pg.dir, sql);
}

static int append_one(dv_catalog *cat, int w, const char *case_name, int i)
{
	json_object *body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string("test.append"));
	json_object_object_add(body, "writer", json_object_new_int(w));
	json_object_object_add(body, "i", json_object_new_int(i));
	int rc = dv_catalog_begin(cat);
	/* the entry commits with the catalog work it records */
	if (rc == 0) rc = dv_catalog_side_put(cat, "work", (int64_t)w * 100000 + i, "x", 1);
	if (rc == 0) rc = dv_custody_shared_append(NULL, NULL, cat, pks[w], sks[w], ck, case_name, body);
	if (rc == 0) rc = dv_catalog_commit(cat);
	else dv_catalog_rollback(cat);
	json_object_put(body);
	return rc;
}

static int writer(int w, int n)
{
	dv_catalog *cat;
	if (open_cat(&cat, 0) < 0) return 10;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		/* mostly the shared cases, now and then the station's own chain */
		const char *cn = i % 5 == 4 ? NULL : cases[(i + w) % 3];
		rc = append_one(cat, w, cn, i);
	}
	if (rc < 0) fprintf(stderr, "writer %d: %s\n", w, dv_error_text());
	dv_catalog_close(cat);
	return rc < 0 ? 1 : 0;
}

static int check_all(dv_catalog *cat, size_t npk, uint64_t *chains, uint64_t *entries)
{
	problems = 0;
	last_problem[0] = 0;
	return dv_custody_shared_check(chains, entries, cat, (const uint8_t(*)[32])pks, npk, ck, on_problem, NULL);
}

int main(void)
{
	if (!pg_installed()) return check_skip("PostgreSQL 15 (initdb, pg_ctl) not installed");
	if (pg_open("dv-custpg") < 0 || pg_start("-c fsync=off") < 0) {
		fprintf(stderr, "cannot start the throwaway PostgreSQL cluster\n");
		return 1;
	}
	dv_crypto_init();
	dv_random(k1, 32);
	dv_random(k2, 32);
	dv_random(ck, 32);
	const char *e = getenv("DV_PG_WRITERS"), *a = getenv("DV_CUSTODY_APPENDS");
	int nw = e && atoi(e) > 0 && atoi(e) <= MAX_WRITERS ? atoi(e) : 4;
	int na = a && atoi(a) > 0 && atoi(a) <= 100000 ? atoi(a) : 40;
	for (int w = 0; w < MAX_WRITERS; w++) dv_sign_keypair(pks[w], sks[w]);
	snprintf(ci, sizeof(ci), "host=%s user=postgres dbname=custody", pg.dir);
	CHECK_EQ(pg_sh("%s/psql -X -q -h %s -U postgres -d postgres -c 'CREATE DATABASE custody' >/dev/null", PG_BIN, pg.dir), 0);
	dv_catalog *cat;
	CHECK_EQ(open_cat(&cat, DV_CATALOG_PG_CREATE), 0);
	uint8_t vh0[32], vh1[32];
	uint64_t chains = 0, entries = 0;
	CHECK_EQ(dv_custody_shared_vault_head(vh0, &entries, cat), 0);
	CHECK_EQ(entries, 0);

	/* concurrent stations */
	pid_t pids[MAX_WRITERS];
	for (int w = 0; w < nw; w++) {
		fflush(NULL);
		if ((pids[w] = fork()) == 0) _exit(writer(w, na));
	}
	int ok = 0;
	for (int w = 0; w < nw; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) == pids[w] && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
	}
	CHECK_EQ(ok, nw);
	CHECK_EQ(check_all(cat, (size_t)nw, &chains, &entries), 0);
	CHECK_EQ(entries, (uint64_t)nw * (uint64_t)na);
	CHECK_EQ(chains, 3 + (uint64_t)(na >= 5 ? nw : 0)); /* a chain per case, one per station */
	/* every entry's catalog work is there, and no more */
	CHECK_EQ(psql_c("DO \\$\\$BEGIN IF (SELECT count(*) FROM side_work) <> (SELECT count(*) FROM custody_entries) "
	                "THEN RAISE EXCEPTION 'mismatch'; END IF; END\\$\\$"), 0);
	CHECK_EQ(dv_custody_shared_vault_head(vh1, &entries, cat), 0);
	CHECK_EQ(entries, (uint64_t)nw * (uint64_t)na);
	CHECK(memcmp(vh0, vh1, 32) != 0);
	/* each case chain holds exactly its appends: seqs 1..n (the check found no gap) */
	CHECK_EQ(psql_c("DO \\$\\$BEGIN IF EXISTS (SELECT 1 FROM custody_entries GROUP BY chain HAVING max(seq) <> count(*)) "
	                "THEN RAISE EXCEPTION 'gap'; END IF; END\\$\\$"), 0);

	/* a rolled back append leaves nothing */
	uint8_t vh2[32];
	json_object *body = json_object_new_object();
	CHECK_EQ(dv_catalog_begin(cat), 0);
	CHECK_EQ(dv_custody_shared_append(NULL, NULL, cat, pks[0], sks[0], ck, "2026-A", body), 0);
	dv_catalog_rollback(cat);
	json_object_put(body);
	CHECK_EQ(dv_custody_shared_vault_head(vh2, NULL, cat), 0);
	CHECK(memcmp(vh1, vh2, 32) == 0);
	/* outside a transaction: refused */
	body = json_object_new_object();
	CHECK_EQ(dv_custody_shared_append(NULL, NULL, cat, pks[0], sks[0], ck, "2026-A", body), DV_EINVAL);
	json_object_put(body);
	/* a fork (a second entry after the same head) is refused by the database */
	char chain[DV_CHAIN_NAME_MAX];
	dv_custody_shared_chain(chain, ck, pks[0], "2026-B");
	uint64_t hs;
	uint8_t hh[32], sig[64] = { 0 };
	CHECK_EQ(dv_catalog_begin(cat), 0);
	CHECK_EQ(dv_catalog_chain_lock(cat, chain, &hs, hh), 0);
	CHECK(hs > 1);
	dv_catalog_chain_entry fork = { .chain = chain, .seq = hs, .stmt = (const uint8_t *)"x", .stmt_len = 1, .sig = sig,
	                                .sig_len = 64, .sealed = (const uint8_t *)"y", .sealed_len = 1 };
	CHECK_EQ(dv_catalog_chain_append(cat, &fork), DV_EEXIST);
	dv_catalog_rollback(cat);
	CHECK_EQ(check_all(cat, (size_t)nw, NULL, NULL), 0);

	/* tampering, each named */
	dv_catalog_close(cat);
	CHECK_EQ(open_cat(&cat, 0), 0);
	char sql[600];
	snprintf(sql, sizeof(sql), "UPDATE custody_entries SET sealed = set_byte(sealed, 50, get_byte(sealed, 50) # 1) "
	                           "WHERE chain = '%s' AND seq = 2", chain);
	CHECK_EQ(psql_c(sql), 0);
	CHECK_EQ(check_all(cat, (size_t)nw, NULL, NULL), 1);
	CHECK(strstr(last_problem, "entry 2: body fails authentication") != NULL);
	CHECK_EQ(psql_c(sql), 0); /* flipped back */
	CHECK_EQ(check_all(cat, (size_t)nw, NULL, NULL), 0);
	/* a signer the vault does not know (the last writer's key left out) */
	CHECK(check_all(cat, (size_t)nw - 1, NULL, NULL) >= 1);
	CHECK(strstr(last_problem, "a station this vault does not know") != NULL);
	/* an entry removed from the middle */
	snprintf(sql, sizeof(sql), "DELETE FROM custody_entries WHERE chain = '%s' AND seq = 3", chain);
	CHECK_EQ(psql_c(sql), 0);
	CHECK(check_all(cat, (size_t)nw, NULL, NULL) >= 1);
	CHECK(strstr(last_problem, "entries 3 to 3 missing") != NULL);
	/* the tail cut off (head left) */
	dv_custody_shared_chain(chain, ck, pks[0], "2026-C");
	snprintf(sql, sizeof(sql), "DELETE FROM custody_entries WHERE chain = '%s' AND seq = (SELECT max(seq) FROM custody_entries "
	                           "WHERE chain = '%s')", chain, chain);
	CHECK_EQ(psql_c(sql), 0);
	CHECK(check_all(cat, (size_t)nw, NULL, NULL) >= 2);
	CHECK(strstr(last_problem, "the chain's head says entry") != NULL);
	dv_catalog_close(cat);
	return check_done();
}
