/*
 * The PostgreSQL catalog backend (libpq): the same rows as the SQLite one
 * (id | clear integers and keyed tags | sealed), so nothing sensitive is in
 * clear in the database either; keys never come here.
 *
 * Many stations may write one catalog at once:
 *   - ids come from sequences (no max(id) + 1 race between two writers);
 *   - unique constraints (a case's tag, a blob's name, a path per ingest)
 *     are the arbiters: an insert that loses is `ON CONFLICT DO NOTHING`,
 *     reported as DV_EEXIST without aborting the transaction, and the front
 *     end reads the winner's row (one blob row per content, whoever came
 *     first);
 *   - write transactions are READ COMMITTED (an insert that waits on a
 *     concurrent one sees its row once it commits); read transactions are
 *     REPEATABLE READ READ ONLY: one snapshot until rollback, as with WAL;
 *   - a deadlock or serialization failure is DV_EBUSY: the transaction is
 *     rolled back whole, and a re-run resumes (ingests are resumable).
 *
 * The schema is versioned: dv_schema holds one row per applied version,
 * applied in order by dv_catalog_pg_upgrade ('dronevault db upgrade'), each
 * in its own transaction under an advisory lock. An open refuses a database
 * whose version is not the one this build speaks, naming both.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/catalog.h"
#include "dv/err.h"

#define ID_BLOCK 64

struct dv_catalog_backend {
	PGconn *conn;
	char where[512];
	bool readonly;
	bool in_txn;
	/* blob and file ids taken from their sequences a block at a time (a
	 * round trip per block, not per row): a sequence never gives a value twice, so an
	 * unused one after a rollback is only a gap; they stay increasing
	 * within this connection, so rows keep their insertion order */
	struct {
		int64_t next, end;
	} ids[DV_CT_SIDE];
};

/* advisory lock keys (pg_advisory_xact_lock): arbitrary, fixed */
#define LOCK_UPGRADE 0x64760001LL
#define LOCK_SIDE 0x64760002LL

/* ---- schema versions ---------------------------------------------------------- */
struct migration {
	int version;
	const char *what;
	const char *sql;
};

static const struct migration migrations[] = {
	{ 1, "catalog tables (cases, ingests, blobs, files, log_head) and their id sequences",
	  "CREATE TABLE dv_meta(k text PRIMARY KEY, v text NOT NULL);"
	  "CREATE TABLE cases(id bigint PRIMARY KEY, tag bytea NOT NULL UNIQUE, sealed bytea NOT NULL);"
	  "CREATE TABLE ingests(id bigint PRIMARY KEY, case_id bigint NOT NULL REFERENCES cases(id),"
	  "  source_tag bytea NOT NULL, state integer NOT NULL, sealed bytea NOT NULL);"
	  "CREATE INDEX ingests_case ON ingests(case_id, source_tag);"
	  "CREATE TABLE blobs(id bigint PRIMARY KEY, name text NOT NULL UNIQUE, sealed bytea NOT NULL);"
	  "CREATE TABLE files(id bigint PRIMARY KEY, ingest_id bigint NOT NULL REFERENCES ingests(id),"
	  "  path_tag bytea NOT NULL, blob_id bigint NOT NULL REFERENCES blobs(id), sealed bytea NOT NULL,"
	  "  UNIQUE(ingest_id, path_tag));"
	  "CREATE TABLE log_head(id integer PRIMARY KEY CHECK (id = 1), sealed bytea NOT NULL);"
	  /* cases and ingests one by one (people see their ids); blobs and files
	   * 64 to a nextval, for one connection (ID_BLOCK) */
	  "CREATE SEQUENCE cases_ids; CREATE SEQUENCE ingests_ids;"
	  "CREATE SEQUENCE blobs_ids INCREMENT 64; CREATE SEQUENCE files_ids INCREMENT 64;" },
	{ 2, "shared custody log: one chain per case and the vault's, appended under an advisory lock per chain",
	  /* a chain cannot fork: one entry per (chain, seq) and per (chain, prev) */
	  "CREATE TABLE custody_entries(chain text NOT NULL, seq bigint NOT NULL CHECK (seq >= 1),"
	  "  prev bytea NOT NULL, hash bytea NOT NULL, stmt bytea NOT NULL, sig bytea NOT NULL, sealed bytea NOT NULL,"
	  "  PRIMARY KEY(chain, seq), UNIQUE(chain, prev));"
	  "CREATE TABLE custody_heads(chain text PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL);" },
};
#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

int dv_catalog_pg_schema_version(void) { return SCHEMA_LATEST; }

/* ---- errors --------------------------------------------------------------------- */
/* libpq's messages span lines: one line, single spaces */
static void trim(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		char c = *r == '\n' || *r == '\t' ? ' ' : *r;
		if (c == ' ' && (w == s || w[-1] == ' ')) continue;
		*w++ = c;
	}
	while (w > s && w[-1] == ' ') w--;
	*w = 0;
}

static int conn_error(const char *where, PGconn *c, const char *what)
{
	char msg[600];
	snprintf(msg, sizeof(msg), "%s", c ? PQerrorMessage(c) : "out of memory");
	trim(msg);
	return dv_error_set(DV_EIO, where, -1, "%s: %s", what, msg);
}

/* The dv_code of a failed result, from its SQLSTATE. */
static dv_code state_code(const char *st)
{
	if (!st) return DV_EIO;
	if (!strcmp(st, "23505")) return DV_EEXIST;                       /* unique_violation */
	if (!strcmp(st, "40001") || !strcmp(st, "40P01") || !strcmp(st, "55P03")) return DV_EBUSY; /* serialization, deadlock, lock */
	if (!strcmp(st, "53100")) return DV_ENOSPC;                       /* disk_full */
	if (!strcmp(st, "53200")) return DV_ENOMEM;                       /* out_of_memory */
	if (!strcmp(st, "25006") || !strncmp(st, "42501", 5)) return DV_EPERM; /* read-only transaction, no privilege */
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2) || !strncmp(st, "XX", 2)) return DV_ECORRUPT;
	return DV_EIO;
}

static int result_error(dv_catalog_backend *be, PGresult *r, const char *what)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[600];
	/* no SQLSTATE: libpq's own error, not the server's (the connection) */
	bool lost = PQstatus(be->conn) == CONNECTION_BAD || !st;
	if (lost) {
		snprintf(msg, sizeof(msg), "lost the connection to PostgreSQL: %s", PQerrorMessage(be->conn));
	} else {
		const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		snprintf(msg, sizeof(msg), "%s%s%s", m ? m : PQerrorMessage(be->conn), st ? " (SQLSTATE " : "", st ? st : "");
		if (st) strncat(msg, ")", sizeof(msg) - strlen(msg) - 1);
	}
	trim(msg);
	dv_code code = lost ? DV_EIO : state_code(st);
	int rc = dv_error_set(code, be->where, -1, "%s: %s", what, msg);
	PQclear(r);
	return rc;
}

/* Runs sql (no parameters); 0, or the error. */
static int exec(dv_catalog_backend *be, const char *sql, const char *what)
{
	PGresult *r = PQexec(be->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return result_error(be, r, what);
	PQclear(r);
	return 0;
}

/* ---- parameters ------------------------------------------------------------------ */
/* Up to 8 parameters, each binary: int8 (network order), bytea, or text. */
struct params {
	int n;
	const char *val[8];
	int len[8];
	int fmt[8];
	uint8_t ints[8][8];
};

static void p_i64(struct params *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++) p->ints[p->n][i] = (uint8_t)(u >> (56 - 8 * i));
	p->val[p->n] = (const char *)p->ints[p->n];
	p->len[p->n] = 8;
	p->fmt[p->n] = 1;
	p->n++;
}

static void p_bytes(struct params *p, const void *b, size_t n)
{
	p->val[p->n] = b ? (const char *)b : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

static void p_text(struct params *p, const char *s)
{
	p->val[p->n] = s ? s : "";
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

/* sql with $n typed ($1::int8, ...) when needed; binary results. */
static PGresult *run(dv_catalog_backend *be, const char *sql, const struct params *p)
{
	return PQexecParams(be->conn, sql, p ? p->n : 0, NULL, p ? p->val : NULL, p ? p->len : NULL, p ? p->fmt : NULL, 1);
}

static int64_t col_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8) return 0;
	const uint8_t *b = (const uint8_t *)PQgetvalue(r, row, col);
	uint64_t u = 0;
	for (int i = 0; i < 8; i++) u = u << 8 | b[i];
	return (int64_t)u;
}

static int col_i32(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 4) return 0;
	const uint8_t *b = (const uint8_t *)PQgetvalue(r, row, col);
	return (int)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

/* ---- tables ----------------------------------------------------------------------- */
static int table_sql(dv_catalog_backend *be, dv_catalog_table t, const char *side, char *out, size_t size)
{
	if (t == DV_CT_SIDE) {
		size_t n = side ? strlen(side) : 0;
		if (n == 0 || n > 32 || strspn(side, "abcdefghijklmnopqrstuvwxyz_") != n)
			return dv_error_set(DV_EINVAL, be->where, -1, "bad side table name '%s'", side ? side : "");
		snprintf(out, size, "side_%s", side);
		return 0;
	}
	const char *name = dv_catalog_table_name(t);
	if (!name) return dv_error_set(DV_EINVAL, be->where, -1, "no catalog table %d", (int)t);
	snprintf(out, size, "%s", name);
	return 0;
}

/* 1 when a side table exists, 0 when not. */
static int side_exists(dv_catalog_backend *be, const char *table)
{
	struct params p = { 0 };
	p_text(&p, table);
	PGresult *r = run(be, "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot look for a side table");
	int n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

/* The columns of a side table and of dv_schema, as they are made and as
 * schema_exact expects them: one text for both. */
#define SIDE_TABLE_COLUMNS "(id bigint PRIMARY KEY, sealed bytea NOT NULL)"
#define SCHEMA_TABLE_COLUMNS "(version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now(), what text NOT NULL)"

/* Made on first write, by one writer at a time (concurrent CREATE TABLE IF
 * NOT EXISTS can still collide in the system catalogs). */
static int side_create(dv_catalog_backend *be, const char *table)
{
	int rc = side_exists(be, table);
	if (rc != 0) return rc < 0 ? rc : 0;
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", LOCK_SIDE);
	if ((rc = exec(be, sql, "cannot lock to make a side table")) < 0) return rc;
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s" SIDE_TABLE_COLUMNS, table);
	return exec(be, sql, "cannot make a side table");
}

static int pg_side_ensure(dv_catalog_backend *be, const char *side)
{
	char table[64];
	int rc = table_sql(be, DV_CT_SIDE, side, table, sizeof(table));
	if (rc < 0) return rc;
	if (be->in_txn) return dv_error_set(DV_EINVAL, be->where, -1, "a side table is made outside a transaction");
	if ((rc = side_exists(be, table)) != 0) return rc < 0 ? rc : 0;
	if ((rc = exec(be, "BEGIN", "cannot begin a transaction")) < 0) return rc;
	if ((rc = side_create(be, table)) == 0) rc = exec(be, "COMMIT", "cannot make a side table");
	if (rc < 0) PQclear(PQexec(be->conn, "ROLLBACK"));
	return rc;
}

static const char *pg_where(dv_catalog_backend *be) { return be->where; }

static int pg_begin(dv_catalog_backend *be)
{
	int rc = exec(be, "BEGIN ISOLATION LEVEL READ COMMITTED", "cannot begin a transaction");
	be->in_txn = rc == 0;
	return rc;
}

static int pg_commit(dv_catalog_backend *be)
{
	PGresult *r = PQexec(be->conn, "COMMIT");
	be->in_txn = false;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_error(be, r, "cannot commit");
	/* COMMIT of a failed transaction answers ROLLBACK: nothing was stored */
	bool rolled_back = !strcmp(PQcmdStatus(r), "ROLLBACK");
	PQclear(r);
	if (rolled_back) return dv_error_set(DV_EIO, be->where, -1, "transaction failed earlier and was rolled back");
	return 0;
}

static void pg_rollback(dv_catalog_backend *be)
{
	if (PQtransactionStatus(be->conn) != PQTRANS_IDLE) PQclear(PQexec(be->conn, "ROLLBACK"));
	be->in_txn = false;
}

static int pg_begin_read(dv_catalog_backend *be)
{
	/* the snapshot is taken at the first statement: take it now */
	int rc = exec(be, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot begin a read transaction");
	if (rc == 0 && (rc = exec(be, "SELECT count(*) FROM log_head", "cannot take a snapshot")) < 0) pg_rollback(be);
	be->in_txn = rc == 0;
	return rc;
}

static int pg_next_id(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t *id_out)
{
	char table[64], sql[160];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	if (t == DV_CT_SIDE || t == DV_CT_LOG_HEAD) {
		if (t == DV_CT_SIDE && (rc = side_exists(be, table)) <= 0) {
			*id_out = 1;
			return rc;
		}
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0)::int8 + 1 FROM %s", table);
	} else {
		if ((t == DV_CT_BLOBS || t == DV_CT_FILES) && be->ids[t].next < be->ids[t].end) {
			*id_out = be->ids[t].next++;
			return 0;
		}
		/* a block of consecutive values: the sequence steps by ID_BLOCK */
		snprintf(sql, sizeof(sql), "SELECT nextval('%s_ids')", table);
	}
	PGresult *r = run(be, sql, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) return result_error(be, r, "cannot allocate an id");
	*id_out = col_i64(r, 0, 0);
	PQclear(r);
	if (t == DV_CT_BLOBS || t == DV_CT_FILES) {
		be->ids[t].next = *id_out + 1;
		be->ids[t].end = *id_out + ID_BLOCK;
	}
	return 0;
}

static void p_tag(struct params *p, const dv_catalog_row *r)
{
	if (r->tag) p_bytes(p, r->tag, r->tag_len);
	else {
		p->val[p->n] = NULL; /* NULL: the NOT NULL constraint says no */
		p->len[p->n] = 0;
		p->fmt[p->n] = 1;
		p->n++;
	}
}

/* Writes a row: mode 'i' insert (DV_EEXIST when a unique column or the id
 * is taken, the transaction going on), 'u' update by id, 'r' upsert. */
static int write_row(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r, char mode)
{
	char table[64], sql[400];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	if (r->sealed_len > (1u << 30)) return dv_error_set(DV_ENOMEM, be->where, -1, "record too large");
	if (t == DV_CT_SIDE && (rc = side_create(be, table)) < 0) return rc;
	const char *tail = mode == 'i' ? " ON CONFLICT DO NOTHING" : "";
	struct params p = { 0 };
	p_i64(&p, r->id);
	switch (t) {
	case DV_CT_CASES:
		snprintf(sql, sizeof(sql), mode == 'u' ? "UPDATE cases SET tag = $2, sealed = $3 WHERE id = $1"
		                                       : "INSERT INTO cases(id, tag, sealed) VALUES($1, $2, $3)%s", tail);
		p_tag(&p, r);
		break;
	case DV_CT_INGESTS:
		snprintf(sql, sizeof(sql), mode == 'u'
		         ? "UPDATE ingests SET case_id = $2, source_tag = $3, state = $4::int8, sealed = $5 WHERE id = $1"
		         : "INSERT INTO ingests(id, case_id, source_tag, state, sealed) VALUES($1, $2, $3, $4::int8, $5)%s", tail);
		p_i64(&p, r->ref);
		p_tag(&p, r);
		p_i64(&p, r->state);
		break;
	case DV_CT_BLOBS:
		snprintf(sql, sizeof(sql), mode == 'u' ? "UPDATE blobs SET name = $2, sealed = $3 WHERE id = $1"
		                                       : "INSERT INTO blobs(id, name, sealed) VALUES($1, $2, $3)%s", tail);
		p_text(&p, r->name ? r->name : "");
		break;
	case DV_CT_FILES:
		snprintf(sql, sizeof(sql), mode == 'u'
		         ? "UPDATE files SET ingest_id = $2, path_tag = $3, blob_id = $4, sealed = $5 WHERE id = $1"
		         : "INSERT INTO files(id, ingest_id, path_tag, blob_id, sealed) VALUES($1, $2, $3, $4, $5)%s", tail);
		p_i64(&p, r->ref);
		p_tag(&p, r);
		p_i64(&p, r->ref2);
		break;
	default: /* log_head, side tables: id | sealed */
		if (mode == 'u') snprintf(sql, sizeof(sql), "UPDATE %s SET sealed = $2 WHERE id = $1::int8", table);
		else if (mode == 'r')
			snprintf(sql, sizeof(sql), "INSERT INTO %s(id, sealed) VALUES($1::int8, $2) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
			         table);
		else snprintf(sql, sizeof(sql), "INSERT INTO %s(id, sealed) VALUES($1::int8, $2)%s", table, tail);
		break;
	}
	if (mode == 'r' && t != DV_CT_SIDE && t != DV_CT_LOG_HEAD)
		return dv_error_set(DV_EUNSUPPORTED, be->where, -1, "replace is for log_head and side tables, not %s", table);
	p_bytes(&p, r->sealed, r->sealed_len);
	PGresult *res = run(be, sql, &p);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return result_error(be, res, mode == 'u' ? "cannot update row" : "cannot add row");
	bool none = !strcmp(PQcmdTuples(res), "0");
	PQclear(res);
	if (none && mode == 'u')
		return dv_error_set(DV_ENOTFOUND, be->where, -1, "table %s has no row %lld", table, (long long)r->id);
	if (none && mode == 'i')
		return dv_error_set(DV_EEXIST, be->where, -1, "table %s: row %lld or one of its unique columns exists already",
		                    table, (long long)r->id);
	return 0;
}

static int pg_insert(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'i');
}
static int pg_update(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'u');
}
static int pg_replace(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'r');
}

static const char *select_cols(dv_catalog_table t)
{
	switch (t) {
	case DV_CT_CASES: return "SELECT t.id, t.tag, t.sealed FROM cases t ";
	case DV_CT_INGESTS: return "SELECT t.id, t.case_id, t.source_tag, t.state, t.sealed FROM ingests t ";
	case DV_CT_BLOBS: return "SELECT t.id, t.name, t.sealed FROM blobs t ";
	case DV_CT_FILES:
		return "SELECT t.id, t.ingest_id, t.path_tag, t.blob_id, t.sealed, b.name FROM files t "
		       "LEFT JOIN blobs b ON b.id = t.blob_id ";
	default: return NULL;
	}
}

static void row_from(const PGresult *res, int i, dv_catalog_table t, dv_catalog_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = col_i64(res, i, 0);
	int sealed_col = 1;
#define BYTES(c) (PQgetisnull(res, i, (c)) ? NULL : (const uint8_t *)PQgetvalue(res, i, (c)))
	switch (t) {
	case DV_CT_CASES:
		r->tag = BYTES(1);
		r->tag_len = (size_t)PQgetlength(res, i, 1);
		sealed_col = 2;
		break;
	case DV_CT_INGESTS:
		r->ref = col_i64(res, i, 1);
		r->tag = BYTES(2);
		r->tag_len = (size_t)PQgetlength(res, i, 2);
		r->state = col_i32(res, i, 3);
		sealed_col = 4;
		break;
	case DV_CT_BLOBS:
		r->name = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		sealed_col = 2;
		break;
	case DV_CT_FILES:
		r->ref = col_i64(res, i, 1);
		r->tag = BYTES(2);
		r->tag_len = (size_t)PQgetlength(res, i, 2);
		r->ref2 = col_i64(res, i, 3);
		r->name = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
		sealed_col = 4;
		break;
	default: break;
	}
	r->sealed = BYTES(sealed_col);
	r->sealed_len = (size_t)PQgetlength(res, i, sealed_col);
#undef BYTES
}

/* The WHERE clause ($1 id, $2 tag, $3 name, $4 ref: only those it names are sent). */
static int where_sql(dv_catalog_backend *be, const dv_catalog_query *q, char *out, size_t size, struct params *p)
{
	const char *ref = q->table == DV_CT_INGESTS ? "t.case_id" : "t.ingest_id";
	const char *tag = q->table == DV_CT_CASES ? "t.tag" : q->table == DV_CT_INGESTS ? "t.source_tag" : "t.path_tag";
	bool has_tag = q->table == DV_CT_CASES || q->table == DV_CT_INGESTS || q->table == DV_CT_FILES;
	bool has_ref = q->table == DV_CT_INGESTS || q->table == DV_CT_FILES;
	switch (q->by) {
	case DV_CQ_ALL: snprintf(out, size, "ORDER BY t.id"); return 0;
	case DV_CQ_ID:
		snprintf(out, size, "WHERE t.id = $1::int8");
		p_i64(p, q->id);
		return 0;
	case DV_CQ_TAG:
		if (!has_tag || !q->tag) break;
		snprintf(out, size, "WHERE %s = $1 ORDER BY t.id", tag);
		p_bytes(p, q->tag, 32);
		return 0;
	case DV_CQ_NAME:
		if (q->table != DV_CT_BLOBS) break;
		snprintf(out, size, "WHERE t.name = $1");
		p_text(p, q->name ? q->name : "");
		return 0;
	case DV_CQ_REF:
		if (!has_ref) break;
		snprintf(out, size, "WHERE %s = $1 ORDER BY t.id", ref);
		p_i64(p, q->ref);
		return 0;
	case DV_CQ_REF_TAG:
		if (!has_ref || !q->tag) break;
		snprintf(out, size, "WHERE %s = $1 AND %s = $2 ORDER BY t.id", ref, tag);
		p_i64(p, q->ref);
		p_bytes(p, q->tag, 32);
		return 0;
	case DV_CQ_OPEN:
		if (q->table != DV_CT_INGESTS || !q->tag) break;
		snprintf(out, size, "WHERE t.case_id = $1 AND t.source_tag = $2 AND t.state = 0 ORDER BY t.id DESC LIMIT 1");
		p_i64(p, q->ref);
		p_bytes(p, q->tag, 32);
		return 0;
	}
	return dv_error_set(DV_EINVAL, be->where, -1, "query %d not defined for table %s", (int)q->by,
	                    dv_catalog_table_name(q->table) ? dv_catalog_table_name(q->table) : "side");
}

static int make_query(dv_catalog_backend *be, const dv_catalog_query *q, bool count, PGresult **out, bool *absent)
{
	char table[64], where[200], sql[600], simple[128];
	struct params p = { 0 };
	*absent = false;
	*out = NULL;
	int rc = table_sql(be, q->table, q->side, table, sizeof(table));
	if (rc < 0 || (rc = where_sql(be, q, where, sizeof(where), &p)) < 0) return rc;
	const char *cols = select_cols(q->table);
	if (!cols) {
		if (q->table == DV_CT_SIDE && (rc = side_exists(be, table)) <= 0) {
			*absent = rc == 0; /* an absent side table is an empty one */
			return rc;
		}
		snprintf(simple, sizeof(simple), "SELECT t.id::int8, t.sealed FROM %s t ", table);
		cols = simple;
	}
	if (count) {
		/* count(*) of the rows the query names (no ORDER BY / LIMIT games) */
		snprintf(sql, sizeof(sql), "SELECT count(*)::int8 FROM (%s%s) s", cols, where);
	} else {
		snprintf(sql, sizeof(sql), "%s%s", cols, where);
	}
	PGresult *r = run(be, sql, &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read rows");
	*out = r;
	return 0;
}

static int pg_query(dv_catalog_backend *be, const dv_catalog_query *q,
                    int (*fn)(const dv_catalog_row *row, void *payload), void *payload)
{
	PGresult *res;
	bool absent;
	int rc = make_query(be, q, false, &res, &absent);
	if (rc < 0 || absent) return rc;
	int n = PQntuples(res);
	for (int i = 0; rc == 0 && i < n; i++) {
		dv_catalog_row r;
		row_from(res, i, q->table, &r);
		rc = fn(&r, payload);
	}
	PQclear(res);
	return rc;
}

static int pg_count(dv_catalog_backend *be, const dv_catalog_query *q, int64_t *n_out)
{
	PGresult *res;
	bool absent;
	*n_out = 0;
	int rc = make_query(be, q, true, &res, &absent);
	if (rc < 0 || absent) return rc;
	if (PQntuples(res) == 1) *n_out = col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_side_tables(dv_catalog_backend *be, int (*fn)(const char *side, void *payload), void *payload)
{
	PGresult *r = run(be, "SELECT substr(tablename, 6) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
	                      "AND tablename LIKE 'side\\_%' ORDER BY 1", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot list side tables");
	int rc = 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		char side[40];
		snprintf(side, sizeof(side), "%s", PQgetvalue(r, i, 0));
		rc = fn(side, payload);
	}
	PQclear(r);
	return rc;
}

/* The references the constraints keep (unless someone turned them off:
 * session_replication_role, a dropped constraint) and the schema version. */
static int pg_check(dv_catalog_backend *be, void (*fn)(const char *problem, void *payload), void *payload)
{
	static const struct {
		const char *what, *sql;
	} refs[] = {
		{ "ingests|cases",
		  "SELECT t.id FROM ingests t LEFT JOIN cases c ON c.id = t.case_id WHERE c.id IS NULL ORDER BY t.id" },
		{ "files|ingests",
		  "SELECT t.id FROM files t LEFT JOIN ingests i ON i.id = t.ingest_id WHERE i.id IS NULL ORDER BY t.id" },
		{ "files|blobs",
		  "SELECT t.id FROM files t LEFT JOIN blobs b ON b.id = t.blob_id WHERE b.id IS NULL ORDER BY t.id" },
	};
	int problems = 0;
	char msg[700];
	for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++) {
		PGresult *r = run(be, refs[k].sql, NULL);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			result_error(be, r, "cannot check references");
			fn(dv_error_text(), payload);
			problems++;
			continue;
		}
		for (int i = 0; i < PQntuples(r) && i < 1000; i++) {
			const char *bar = strchr(refs[k].what, '|');
			snprintf(msg, sizeof(msg), "%.400s: table %.*s row %lld refers to a missing %s row", be->where,
			         (int)(bar - refs[k].what), refs[k].what, (long long)col_i64(r, i, 0), bar + 1);
			fn(msg, payload);
			problems++;
		}
		PQclear(r);
	}
	return problems;
}

static int pg_tamper_delete(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t id)
{
	char table[64], sql[128];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	/* as a rogue administrator would: past the foreign keys (superuser only) */
	PQclear(PQexec(be->conn, "SET session_replication_role = replica"));
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = $1::int8", table);
	struct params p = { 0 };
	p_i64(&p, id);
	PGresult *r = run(be, sql, &p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_error(be, r, "cannot delete row");
	bool none = !strcmp(PQcmdTuples(r), "0");
	PQclear(r);
	if (none) return dv_error_set(DV_ENOTFOUND, be->where, -1, "table %s has no row %lld", table, (long long)id);
	return 0;
}

/* ---- the shared custody log -------------------------------------------------------- */
#define LOCK_CHAIN_CLASS 25718 /* pg_advisory_xact_lock(class, hashtext(chain)) */

static int chain_ok(dv_catalog_backend *be, const char *chain)
{
	size_t n = chain ? strlen(chain) : 0;
	if (n == 0 || n >= DV_CHAIN_NAME_MAX || strspn(chain, "0123456789abcdefghijklmnopqrstuvwxyz-") != n)
		return dv_error_set(DV_EINVAL, be->where, -1, "bad custody chain name");
	if (!be->in_txn || PQtransactionStatus(be->conn) != PQTRANS_INTRANS)
		return dv_error_set(DV_EINVAL, be->where, -1, "custody appends happen inside a write transaction");
	return 0;
}

static int pg_chain_lock(dv_catalog_backend *be, const char *chain, uint64_t *seq, uint8_t hash[32])
{
	*seq = 0;
	memset(hash, 0, 32);
	int rc = chain_ok(be, chain);
	if (rc < 0) return rc;
	struct params p = { 0 };
	p_text(&p, chain);
	char sql[120];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d, hashtext($1))", LOCK_CHAIN_CLASS);
	PGresult *r = run(be, sql, &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot lock the custody chain");
	PQclear(r);
	/* READ COMMITTED: this statement sees the last committed head */
	r = run(be, "SELECT seq, hash FROM custody_heads WHERE chain = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the custody chain's head");
	if (PQntuples(r) == 1) {
		if (PQgetlength(r, 0, 1) != 32) rc = dv_error_set(DV_ECORRUPT, be->where, -1, "custody chain %s: bad head", chain);
		else {
			*seq = (uint64_t)col_i64(r, 0, 0);
			memcpy(hash, PQgetvalue(r, 0, 1), 32);
		}
	}
	PQclear(r);
	return rc;
}

static int pg_chain_append(dv_catalog_backend *be, const dv_catalog_chain_entry *e)
{
	int rc = chain_ok(be, e->chain);
	if (rc < 0) return rc;
	if (e->seq < 1 || e->seq > INT64_MAX || e->sig_len != 64 || e->stmt_len > 4096 || e->sealed_len > (2u << 20))
		return dv_error_set(DV_EINVAL, be->where, -1, "custody entry out of range");
	struct params p = { 0 };
	p_text(&p, e->chain);
	p_i64(&p, (int64_t)e->seq);
	p_bytes(&p, e->prev, 32);
	p_bytes(&p, e->hash, 32);
	p_bytes(&p, e->stmt, e->stmt_len);
	p_bytes(&p, e->sig, e->sig_len);
	p_bytes(&p, e->sealed, e->sealed_len);
	PGresult *r = run(be, "INSERT INTO custody_entries(chain, seq, prev, hash, stmt, sig, sealed) VALUES($1, $2, $3, $4, $5, $6, $7) "
	                      "ON CONFLICT DO NOTHING", &p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_error(be, r, "cannot append to the custody chain");
	bool none = !strcmp(PQcmdTuples(r), "0");
	PQclear(r);
	if (none)
		return dv_error_set(DV_EEXIST, be->where, -1, "custody chain %s: entry %llu, or another after the same entry, exists already",
		                    e->chain, (unsigned long long)e->seq);
	/* the head moves forward by one entry, never otherwise */
	struct params h = { 0 };
	p_text(&h, e->chain);
	p_i64(&h, (int64_t)e->seq);
	p_bytes(&h, e->hash, 32);
	r = run(be, "INSERT INTO custody_heads(chain, seq, hash) VALUES($1, $2, $3) ON CONFLICT (chain) DO UPDATE "
	            "SET seq = excluded.seq, hash = excluded.hash WHERE custody_heads.seq = excluded.seq - 1", &h);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_error(be, r, "cannot move the custody chain's head");
	none = !strcmp(PQcmdTuples(r), "0");
	PQclear(r);
	if (none || (e->seq == 1) != (memcmp(e->prev, (uint8_t[32]){ 0 }, 32) == 0))
		return dv_error_set(DV_EEXIST, be->where, -1, "custody chain %s: entry %llu does not follow its head", e->chain,
		                    (unsigned long long)e->seq);
	return 0;
}

static int pg_chain_list(dv_catalog_backend *be, const char *chain,
                         int (*fn)(const dv_catalog_chain_entry *e, void *payload), void *payload)
{
	struct params p = { 0 };
	if (chain) p_text(&p, chain);
	PGresult *r = run(be, chain ? "SELECT chain, seq, prev, hash, stmt, sig, sealed FROM custody_entries WHERE chain = $1 ORDER BY seq"
	                            : "SELECT chain, seq, prev, hash, stmt, sig, sealed FROM custody_entries ORDER BY chain, seq",
	                  &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the custody log");
	int rc = 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		dv_catalog_chain_entry e = { 0 };
		e.chain = PQgetvalue(r, i, 0);
		e.seq = (uint64_t)col_i64(r, i, 1);
		if (PQgetlength(r, i, 2) == 32) memcpy(e.prev, PQgetvalue(r, i, 2), 32);
		if (PQgetlength(r, i, 3) == 32) memcpy(e.hash, PQgetvalue(r, i, 3), 32);
		e.stmt = (const uint8_t *)PQgetvalue(r, i, 4);
		e.stmt_len = (size_t)PQgetlength(r, i, 4);
		e.sig = (const uint8_t *)PQgetvalue(r, i, 5);
		e.sig_len = (size_t)PQgetlength(r, i, 5);
		e.sealed = (const uint8_t *)PQgetvalue(r, i, 6);
		e.sealed_len = (size_t)PQgetlength(r, i, 6);
		rc = fn(&e, payload);
	}
	PQclear(r);
	return rc;
}

static int pg_chain_heads(dv_catalog_backend *be,
                          int (*fn)(const char *chain, uint64_t seq, const uint8_t hash[32], void *payload), void *payload)
{
	PGresult *r = run(be, "SELECT chain, seq, hash FROM custody_heads ORDER BY chain", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the custody heads");
	int rc = 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		uint8_t h[32] = { 0 };
		if (PQgetlength(r, i, 2) == 32) memcpy(h, PQgetvalue(r, i, 2), 32);
		rc = fn(PQgetvalue(r, i, 0), (uint64_t)col_i64(r, i, 1), h, payload);
	}
	PQclear(r);
	return rc;
}

static void pg_free(dv_catalog_backend *be)
{
	if (!be) return;
	PQfinish(be->conn);
	free(be);
}

static const dv_catalog_backend_ops pg_ops = {
	.version = DV_CATALOG_BACKEND_VERSION,
	.name = "postgresql",
	.where = pg_where,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.begin_read = pg_begin_read,
	.next_id = pg_next_id,
	.insert = pg_insert,
	.update = pg_update,
	.replace = pg_replace,
	.query = pg_query,
	.count = pg_count,
	.side_tables = pg_side_tables,
	.check = pg_check,
	.chain_lock = pg_chain_lock,
	.chain_append = pg_chain_append,
	.chain_list = pg_chain_list,
	.chain_heads = pg_chain_heads,
	.side_ensure = pg_side_ensure,
	.tamper_delete = pg_tamper_delete,
	.free = pg_free,
};

/* ---- connection, versions ------------------------------------------------------------ */
int dv_catalog_pg_check_conninfo(const char *conninfo)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s", err ? err : "out of memory");
		trim(msg);
		PQfreemem(err);
		return dv_error_set(DV_EINVAL, NULL, -1, "not a PostgreSQL connection string: %s", msg);
	}
	int rc = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			rc = dv_error_set(DV_EINVAL, NULL, -1,
			                  "the connection string holds a password: it would be stored in vault.json; "
			                  "give it through PGPASSFILE or PGPASSWORD, or use peer authentication");
	PQconninfoFree(opts);
	return rc;
}

static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int connect_be(dv_catalog_backend **out, const char *conninfo, unsigned flags)
{
	*out = NULL;
	int rc = dv_catalog_pg_check_conninfo(conninfo);
	if (rc < 0) return rc;
	dv_catalog_backend *be = calloc(1, sizeof(*be));
	if (!be) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	snprintf(be->where, sizeof(be->where), "%s", conninfo);
	be->readonly = (flags & DV_CATALOG_READONLY) != 0;
	be->conn = PQconnectdb(conninfo);
	if (!be->conn || PQstatus(be->conn) != CONNECTION_OK) {
		rc = conn_error(be->where, be->conn, "cannot connect to the PostgreSQL catalog");
		pg_free(be);
		return rc;
	}
	/* notices (the server's "terminating connection" when it goes down)
	 * are not for the user's terminal: the error that follows says it */
	PQsetNoticeProcessor(be->conn, quiet_notice, NULL);
	/* quiet notices; a reader's session writes nothing at all */
	if ((rc = exec(be, "SET client_min_messages = warning", "cannot set up the session")) < 0 ||
	    (be->readonly && (rc = exec(be, "SET default_transaction_read_only = on", "cannot set up the session")) < 0)) {
		pg_free(be);
		return rc;
	}
	*out = be;
	return 0;
}

/* The highest applied schema version (0: no dronevault catalog here). */
static int schema_version(dv_catalog_backend *be, int *version)
{
	*version = 0;
	PGresult *r = run(be, "SELECT to_regclass('dv_schema') IS NOT NULL", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the schema version");
	bool exists = PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 1 && PQgetvalue(r, 0, 0)[0];
	PQclear(r);
	if (!exists) return 0;
	r = run(be, "SELECT coalesce(max(version), 0)::int8 FROM dv_schema", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the schema version");
	*version = (int)col_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int vault_matches(dv_catalog_backend *be, const char *vault_id)
{
	if (!vault_id || !*vault_id) return 0;
	struct params p = { 0 };
	PGresult *r = run(be, "SELECT v FROM dv_meta WHERE k = 'vault_id'", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) return result_error(be, r, "cannot read the catalog's vault id");
	int rc = 0;
	if (PQntuples(r) != 1)
		rc = dv_error_set(DV_ECORRUPT, be->where, -1, "the catalog does not say which vault it belongs to (dv_meta.vault_id missing)");
	else if (strcmp(PQgetvalue(r, 0, 0), vault_id) != 0)
		rc = dv_error_set(DV_EINVAL, be->where, -1, "this PostgreSQL catalog belongs to vault %.40s, not to vault %s",
		                  PQgetvalue(r, 0, 0), vault_id);
	PQclear(r);
	return rc;
}

/*
 * The schema itself is not under the rows' seals: a trigger would rewrite
 * every later write of an honest station, a view or a rule stand in for a
 * table, a policy hide rows, an extra index or a changed column type change
 * what a query returns. As catalog_sqlite.c's schema_exact does with
 * sqlite_master, every object of the catalog's schema must be exactly one
 * this code makes: the migrations, dv_schema and the side tables found,
 * nothing more, nothing less. The expected objects are made by running the
 * same statements in the session's temporary schema inside a transaction
 * that is rolled back (nothing stays), and both schemas are described by one
 * query (the names of their own schema taken out, pg_temp's alias too), so
 * PostgreSQL's own rendering applies alike. Only one schema may be on the search path, so
 * that no object elsewhere can stand in for the catalog's.
 */
static const char describe_sql[] =
	"WITH ns AS (SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE oid = $1::oid) SELECT line FROM ("
	" SELECT 'relation ' || c.relname || ' kind ' || c.relkind::text || ' rls ' || c.relrowsecurity || c.relforcerowsecurity"
	"  AS line FROM pg_catalog.pg_class c, ns WHERE c.relnamespace = ns.oid AND c.relkind NOT IN ('i', 'I', 't')"
	" UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) ||"
	"  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||"
	"  coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') ||"
	"  CASE WHEN a.attgenerated <> ''::\"char\" THEN ' generated' ELSE '' END ||"
	"  coalesce(' collate ' || nullif(a.attcollation, 0)::regcollation::text, '')"
	"  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN ns ON c.relnamespace = ns.oid"
	"  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
	"  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind NOT IN ('i', 'I', 't', 'S')"
	" UNION ALL SELECT 'constraint ' || c.relname || ' ' || co.conname || ' ' ||"
	"  replace(replace(pg_catalog.pg_get_constraintdef(co.oid), ns.nspname || '.', ''), 'pg_temp.', '')"
	"  FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN ns ON c.relnamespace = ns.oid"
	" UNION ALL SELECT 'index ' || c.relname || ' ' ||"
	"  replace(replace(pg_catalog.pg_get_indexdef(c.oid), ns.nspname || '.', ''), 'pg_temp.', '')"
	"  FROM pg_catalog.pg_class c JOIN ns ON c.relnamespace = ns.oid WHERE c.relkind IN ('i', 'I')"
	" UNION ALL SELECT 'trigger ' || t.tgname || ' on ' || c.relname FROM pg_catalog.pg_trigger t"
	"  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN ns ON c.relnamespace = ns.oid WHERE NOT t.tgisinternal"
	" UNION ALL SELECT 'rule ' || r.rulename || ' on ' || c.relname FROM pg_catalog.pg_rewrite r"
	"  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN ns ON c.relnamespace = ns.oid"
	" UNION ALL SELECT 'policy ' || p.polname || ' on ' || c.relname FROM pg_catalog.pg_policy p"
	"  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN ns ON c.relnamespace = ns.oid"
	" UNION ALL SELECT 'function ' || p.proname FROM pg_catalog.pg_proc p, ns WHERE p.pronamespace = ns.oid"
	" UNION ALL SELECT 'sequence ' || c.relname || ' ' || s.seqtypid::regtype::text || ' ' || s.seqincrement || ' ' ||"
	"  s.seqmin || ' ' || s.seqmax || ' ' || s.seqcycle FROM pg_catalog.pg_sequence s"
	"  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid JOIN ns ON c.relnamespace = ns.oid"
	") x ORDER BY line COLLATE \"C\"";

static PGresult *describe(dv_catalog_backend *be, const char *nsoid)
{
	struct params p = { 0 };
	p_text(&p, nsoid);
	return PQexecParams(be->conn, describe_sql, p.n, NULL, p.val, p.len, p.fmt, 0);
}

static int schema_exact(dv_catalog_backend *be)
{
	PGresult *r = PQexec(be->conn, "SELECT coalesce(array_length(current_schemas(false), 1), 0),"
	                               " (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return result_error(be, r, "cannot read the catalog's schema");
	int nschemas = atoi(PQgetvalue(r, 0, 0));
	char real_ns[24];
	snprintf(real_ns, sizeof(real_ns), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if (nschemas != 1 || !*real_ns)
		return dv_error_set(DV_ECORRUPT, be->where, -1,
		                    "the session's search_path names %d schemas: the catalog's schema must be the only one "
		                    "(an object elsewhere could stand in for the catalog's)", nschemas);
	/* one snapshot for the side tables' list and the description (another
	 * station may make a side table meanwhile) */
	int rc = exec(be, "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE", "cannot check the catalog's schema");
	if (rc < 0) return rc;
	/* the side tables there, each as side_create makes it */
	r = PQexec(be->conn, "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
	                     " AND tablename LIKE 'side\\_%' ORDER BY 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = result_error(be, r, "cannot read the catalog's schema");
		PQclear(PQexec(be->conn, "ROLLBACK"));
		return rc;
	}
	rc = exec(be, "SET LOCAL search_path = pg_temp", "cannot check the catalog's schema");
	for (int i = 0; rc == 0 && i < SCHEMA_LATEST; i++) rc = exec(be, migrations[i].sql, "cannot make the expected schema");
	if (rc == 0)
		rc = exec(be, "CREATE TABLE dv_schema" SCHEMA_TABLE_COLUMNS, "cannot make the expected schema");
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		const char *n = PQgetvalue(r, i, 0);
		size_t len = strlen(n);
		if (len < 6 || len > 37 || strspn(n + 5, "abcdefghijklmnopqrstuvwxyz_") != len - 5) {
			rc = dv_error_set(DV_ECORRUPT, be->where, -1,
			                  "catalog schema has a table '%.64s' this dronevault never makes (the database's schema was edited)", n);
			break;
		}
		char sql[200];
		snprintf(sql, sizeof(sql), "CREATE TABLE %s" SIDE_TABLE_COLUMNS, n);
		rc = exec(be, sql, "cannot make the expected schema");
	}
	PQclear(r);
	PGresult *want = NULL, *got = NULL;
	if (rc == 0) {
		r = PQexec(be->conn, "SELECT pg_catalog.pg_my_temp_schema()::text");
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			rc = result_error(be, r, "cannot check the catalog's schema");
		} else {
			char tmp_ns[24];
			snprintf(tmp_ns, sizeof(tmp_ns), "%s", PQgetvalue(r, 0, 0));
			PQclear(r);
			want = describe(be, tmp_ns);
			got = describe(be, real_ns);
			if (PQresultStatus(want) != PGRES_TUPLES_OK) {
				rc = result_error(be, want, "cannot describe the expected schema");
				want = NULL;
			} else if (PQresultStatus(got) != PGRES_TUPLES_OK) {
				rc = result_error(be, got, "cannot describe the catalog's schema");
				got = NULL;
			}
		}
	}
	for (int i = 0, j = 0; rc == 0 && (i < PQntuples(got) || j < PQntuples(want));) {
		const char *g = i < PQntuples(got) ? PQgetvalue(got, i, 0) : NULL;
		const char *w = j < PQntuples(want) ? PQgetvalue(want, j, 0) : NULL;
		int c = !g ? 1 : !w ? -1 : strcmp(g, w);
		if (c == 0) {
			i++, j++;
			continue;
		}
		/* the first difference: an object there that should not be, or one missing */
		rc = dv_error_set(DV_ECORRUPT, be->where, -1,
		                  "catalog schema differs from this dronevault's at '%.100s' (%s; the database's schema was edited)",
		                  c < 0 ? g : w, c < 0 ? "not made by dronevault" : "missing");
	}
	PQclear(want);
	PQclear(got);
	/* nothing of the expected schema stays */
	if (PQtransactionStatus(be->conn) != PQTRANS_IDLE) PQclear(PQexec(be->conn, "ROLLBACK"));
	return rc;
}

/* Applies versions (from, target] in order, each in its own transaction. */
static int upgrade(dv_catalog_backend *be, const char *vault_id, int target, int *from, int *to)
{
	char sql[200];
	int rc, v;
	*from = *to = 0;
	if ((rc = exec(be, "BEGIN", "cannot begin the upgrade")) < 0) return rc;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", LOCK_UPGRADE);
	if ((rc = exec(be, sql, "cannot lock for the upgrade")) < 0 ||
	    (rc = exec(be, "CREATE TABLE IF NOT EXISTS dv_schema" SCHEMA_TABLE_COLUMNS, "cannot make the schema table")) < 0 ||
	    (rc = schema_version(be, &v)) < 0)
		goto fail;
	*from = *to = v;
	if (v > SCHEMA_LATEST) {
		rc = dv_error_set(DV_EUNSUPPORTED, be->where, -1,
		                  "the catalog's schema is version %d, newer than this dronevault's (%d): upgrade dronevault", v,
		                  SCHEMA_LATEST);
		goto fail;
	}
	if ((rc = exec(be, "COMMIT", "cannot commit the schema table")) < 0) return rc;
	for (int i = v; i < target; i++) {
		const struct migration *m = &migrations[i];
		if ((rc = exec(be, "BEGIN", "cannot begin the upgrade")) < 0) return rc;
		int now;
		if ((rc = exec(be, sql, "cannot lock for the upgrade")) < 0 || (rc = schema_version(be, &now)) < 0) goto fail;
		if (now >= m->version) { /* another process applied it meanwhile */
			exec(be, "COMMIT", "cannot commit");
			*to = now;
			continue;
		}
		if ((rc = exec(be, m->sql, "cannot apply a schema version")) < 0) {
			dv_error_prefix("schema version %d (%s): ", m->version, m->what);
			goto fail;
		}
		struct params p = { 0 };
		p_i64(&p, m->version);
		p_text(&p, m->what);
		PGresult *r = run(be, "INSERT INTO dv_schema(version, what) VALUES($1::int8, $2)", &p);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = result_error(be, r, "cannot record a schema version");
			goto fail;
		}
		PQclear(r);
		if (m->version == 1 && vault_id && *vault_id) {
			struct params q = { 0 };
			p_text(&q, vault_id);
			r = run(be, "INSERT INTO dv_meta(k, v) VALUES('vault_id', $1)", &q);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				rc = result_error(be, r, "cannot record the vault id");
				goto fail;
			}
			PQclear(r);
		}
		if ((rc = exec(be, "COMMIT", "cannot commit a schema version")) < 0) return rc;
		*to = m->version;
	}
	return 0;
fail:
	pg_rollback(be);
	return rc;
}

int dv_catalog_pg_upgrade(int *from, int *to, const char *conninfo, const char *vault_id, int target)
{
	dv_catalog_backend *be;
	int f = 0, t = 0;
	if (target <= 0 || target > SCHEMA_LATEST) target = SCHEMA_LATEST;
	int rc = connect_be(&be, conninfo, 0);
	if (rc == 0) {
		int v;
		/* an existing catalog must be this vault's */
		if ((rc = schema_version(be, &v)) == 0 && v >= 1) rc = vault_matches(be, vault_id);
		if (rc == 0) rc = upgrade(be, vault_id, target, &f, &t);
		pg_free(be);
	}
	if (from) *from = f;
	if (to) *to = t;
	return rc;
}

int dv_catalog_pg_backend(dv_catalog_backend **out, const dv_catalog_backend_ops **ops_out, const char *conninfo,
                          const char *vault_id, unsigned flags)
{
	dv_catalog_backend *be;
	*out = NULL;
	int rc = connect_be(&be, conninfo, flags), v = 0;
	if (rc < 0) return rc;
	if ((rc = schema_version(be, &v)) < 0) goto fail;
	if ((flags & DV_CATALOG_PG_CREATE) && v == 0) {
		int f, t;
		if ((rc = upgrade(be, vault_id, SCHEMA_LATEST, &f, &t)) < 0) goto fail;
		v = t;
	}
	if (v == 0) {
		rc = dv_error_set(DV_ENOTFOUND, be->where, -1, "no dronevault catalog in this database (no schema versions applied)");
		goto fail;
	}
	if (v != SCHEMA_LATEST) {
		rc = dv_error_set(DV_EUNSUPPORTED, be->where, -1,
		                  v < SCHEMA_LATEST
		                  ? "the catalog's schema is version %d, this dronevault needs version %d: run 'dronevault db upgrade'"
		                  : "the catalog's schema is version %d, newer than this dronevault's (%d): upgrade dronevault",
		                  v, SCHEMA_LATEST);
		goto fail;
	}
	if ((rc = vault_matches(be, vault_id)) < 0 || (rc = schema_exact(be)) < 0) goto fail;
	*out = be;
	*ops_out = &pg_ops;
	return 0;
fail:
	pg_free(be);
	return rc;
}
