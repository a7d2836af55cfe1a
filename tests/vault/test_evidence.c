/* Captures stored as evidence of a conclusion: the files land in the case,
 * the custody entry names them with their hashes and carries the verdict. */
#include <json-c/json.h>

#include "check.h"
#include "dv/custody.h"
#include "dv/ingest.h"
#include "dv/util.h"

static int found;
static char want_sha[65];

static int on_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	(void)e;
	(void)payload;
	json_object *a, *v, *files, *f0, *sha;
	if (!json_object_object_get_ex(body, "action", &a) || strcmp(json_object_get_string(a), "audit")) return 0;
	found++;
	CHECK(json_object_object_get_ex(body, "verdict", &v) && !strcmp(json_object_get_string(v), "leak"));
	CHECK(json_object_object_get_ex(body, "files", &files) && json_object_array_length(files) == 3);
	f0 = json_object_array_get_idx(files, 0);
	CHECK(f0 && json_object_object_get_ex(f0, "sha256", &sha) && !strcmp(json_object_get_string(sha), want_sha));
	/* the detail cannot overwrite the entry's own keys */
	CHECK(json_object_object_get_ex(body, "case", &v) && !strcmp(json_object_get_string(v), "EV"));
	return 0;
}

int main(void)
{
	char dir[4096], vault[4200], a[4200], b[4200], c[4200];
	check_tmpdir(dir, sizeof(dir), "evidence");
	snprintf(vault, sizeof(vault), "%s/vault", dir);
	snprintf(a, sizeof(a), "%s/hotspot.pcapng", dir);
	snprintf(b, sizeof(b), "%s/phone.pcap", dir);
	mkdir(dir, 0700);
	char sub[4200];
	snprintf(sub, sizeof(sub), "%s/day2", dir);
	mkdir(sub, 0700);
	snprintf(c, sizeof(c), "%s/day2/hotspot.pcapng", dir);
	CHECK_EQ(dv_write_file_atomic(a, "capture one", 11, 0600), 0);
	CHECK_EQ(dv_write_file_atomic(b, "capture two", 11, 0600), 0);
	CHECK_EQ(dv_write_file_atomic(c, "capture three", 13, 0600), 0);
	uint8_t h[32];
	dv_sha256_buf("capture one", 11, h);
	dv_hex(want_sha, h, 32);

	dv_key_source key = { "evidence test pass", 18, NULL };
	dv_vault_init_opts io = { .station = "test", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(vault, &key, &io), 0);
	dv_vault *v;
	CHECK_EQ(dv_vault_open(&v, vault, &key, DV_VAULT_WRITE), 0);
	const char *files[] = { a, b, c };
	dv_ingest_opts o = { .case_name = "EV", .operator_name = "auditor", .files = files, .nfiles = 3 };
	json_object *detail = json_object_new_object();
	json_object_object_add(detail, "verdict", json_object_new_string("leak"));
	json_object_object_add(detail, "case", json_object_new_string("not this"));
	dv_ingest_result res;
	uint64_t seq = 0;
	CHECK_EQ(dv_ingest_evidence(v, &o, "audit", detail, &res, &seq), 0);
	json_object_put(detail);
	CHECK(res.complete);
	CHECK_STR(res.kind, "files");
	CHECK_EQ(res.files_total, 3);
	CHECK(seq > 0);
	dv_file_rec f;
	CHECK_EQ(dv_catalog_file_find(&f, dv_vault_catalog(v), res.ingest_id, "hotspot.pcapng"), 0);
	CHECK_EQ(dv_catalog_file_find(&f, dv_vault_catalog(v), res.ingest_id, "3-hotspot.pcapng"), 0);
	CHECK_EQ(dv_vault_log_scan(v, on_entry, NULL, NULL), 0);
	CHECK_EQ(found, 1);
	/* a missing capture: clear error, nothing logged */
	const char *bad[] = { "/nonexistent/x.pcap" };
	dv_ingest_opts o2 = { .case_name = "EV", .operator_name = "auditor", .files = bad, .nfiles = 1 };
	CHECK_EQ(dv_ingest_evidence(v, &o2, "audit", NULL, &res, &seq), DV_ENOTFOUND);
	dv_vault_close(v);
	return check_done();
}
