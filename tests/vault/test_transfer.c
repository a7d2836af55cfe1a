/* dv_vault_transfer (migrate, sync): every complete ingest of one vault into
 * another of its own keys, checked against the source's signed entries;
 * resumable, idempotent; a source whose catalog no longer matches its log,
 * or whose log lost its witnessed head, is refused with nothing sent. */
#include <json-c/json.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/custody_actions.h"
#include "dv/ingest.h"
#include "dv/transfer.h"
#include "dv/util.h"
#include "dv/verify.h"

static void put(const char *dir, const char *name, const char *text)
{
	char p[4300];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	CHECK_EQ(dv_write_file_atomic(p, text, strlen(text), 0600), 0);
}

static void ingest(dv_vault *v, const char *case_name, const char *src)
{
	dv_ingest_opts o = { .source = src, .case_name = case_name, .operator_name = "tester" };
	dv_ingest_result r;
	CHECK_EQ(dv_ingest(v, &o, &r), 0);
	CHECK(r.complete);
}

static dv_transfer_opts topts = { "mover", DV_ACTION_SYNC, DV_ACTION_SYNC_PUSHED, NULL, NULL, NULL };

static uint64_t problems(dv_vault *v)
{
	dv_verify_opts o = { 0 };
	dv_verify_result r;
	CHECK_EQ(dv_verify(v, &o, &r), 0);
	return r.problems;
}

int main(void)
{
	char dir[4096], src[4200], dst[4200], c1[4200], c2[4200];
	check_tmpdir(dir, sizeof(dir), "transfer");
	mkdir(dir, 0700);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	snprintf(c1, sizeof(c1), "%s/card1", dir);
	snprintf(c2, sizeof(c2), "%s/card2", dir);
	mkdir(c1, 0700);
	mkdir(c2, 0700);
	put(c1, "DJI_0001.JPG", "photo one");
	put(c1, "DJI_0002.JPG", "photo two");
	put(c2, "DJI_0003.JPG", "photo three");
	put(c2, "DJI_0001.JPG", "photo one");   /* a content both cards hold */

	dv_key_source ks = { "source pass", 11, NULL }, kd = { "destination pass", 16, NULL };
	dv_vault_init_opts io = { .station = "laptop", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(src, &ks, &io), 0);
	io.station = "central";
	CHECK_EQ(dv_vault_init(dst, &kd, &io), 0);
	dv_vault *s, *d;
	CHECK_EQ(dv_vault_open(&s, src, &ks, DV_VAULT_WRITE), 0);
	CHECK_EQ(dv_vault_open(&d, dst, &kd, DV_VAULT_WRITE), 0);
	ingest(s, "A", c1);
	ingest(s, "B", c2);

	/* the same vault twice is refused */
	dv_transfer_result r;
	CHECK_EQ(dv_vault_transfer(s, s, &topts, &r), DV_EINVAL);

	CHECK_EQ(dv_vault_transfer(d, s, &topts, &r), 0);
	CHECK_EQ(r.cases, 2);
	CHECK_EQ(r.ingests_total, 2);
	CHECK_EQ(r.ingests_sent, 2);
	CHECK_EQ(r.files_sent, 4);
	CHECK_EQ(r.files_dedup, 1);
	CHECK(r.dst_log_seq > 0);
	/* the copy: same files, same content, under the destination's own names */
	dv_case cb;
	CHECK_EQ(dv_catalog_case_find(&cb, dv_vault_catalog(d), "B"), 0);
	dv_file_rec f;
	uint8_t sha[32];
	dv_sha256_buf("photo three", 11, sha);
	int64_t dst_ingest = 0;
	for (int64_t id = 1; id <= 2; id++) {
		dv_ingest_rec ir;
		if (dv_catalog_ingest_get(&ir, dv_vault_catalog(d), id) == 0 && ir.case_id == cb.id) dst_ingest = id;
	}
	CHECK(dst_ingest > 0);
	CHECK_EQ(dv_catalog_file_find(&f, dv_vault_catalog(d), dst_ingest, "DJI_0003.JPG"), 0);
	CHECK(!memcmp(f.sha256, sha, 32));
	dv_file_rec fs;
	CHECK_EQ(dv_catalog_file_find(&fs, dv_vault_catalog(s), 2, "DJI_0003.JPG"), 0);
	CHECK(strcmp(fs.blob_name, f.blob_name) != 0);   /* names are keyed by each vault's own key */
	CHECK_EQ(problems(d), 0);
	CHECK_EQ(problems(s), 0);

	/* again: nothing sent, nothing recorded */
	uint64_t head_seq;
	uint8_t head[32];
	CHECK_EQ(dv_vault_head(d, &head_seq, head), 0);
	CHECK_EQ(dv_vault_transfer(d, s, &topts, &r), 0);
	CHECK_EQ(r.ingests_sent, 0);
	CHECK_EQ(r.ingests_present, 2);
	CHECK_EQ(r.dst_log_seq, 0);
	uint64_t seq2;
	CHECK_EQ(dv_vault_head(d, &seq2, head), 0);
	CHECK_EQ(seq2, head_seq);

	/* a file row added behind the log's back: the signed manifest refuses it */
	char c3[4200];
	snprintf(c3, sizeof(c3), "%s/card3", dir);
	mkdir(c3, 0700);
	put(c3, "DJI_0009.JPG", "photo nine");
	ingest(s, "C", c3);
	dv_file_rec extra;
	CHECK_EQ(dv_catalog_file_find(&extra, dv_vault_catalog(s), 3, "DJI_0009.JPG"), 0);
	snprintf(extra.path, sizeof(extra.path), "planted.JPG");
	extra.id = 0;
	CHECK_EQ(dv_catalog_begin(dv_vault_catalog(s)), 0);
	CHECK_EQ(dv_catalog_file_add(dv_vault_catalog(s), &extra), 0);
	CHECK_EQ(dv_catalog_commit(dv_vault_catalog(s)), 0);
	CHECK_EQ(dv_vault_transfer(d, s, &topts, &r), DV_ECORRUPT);
	CHECK(strstr(dv_error_text(), "manifest") != NULL);
	CHECK_EQ(r.ingests_sent, 0);
	CHECK_EQ(dv_vault_head(d, &seq2, head), 0);
	CHECK_EQ(seq2, head_seq);   /* nothing of it in the destination's log */

	/* the destination's copy given a file row more behind its log's back: a
	 * re-run checks the copy's files, not the manifest its row keeps */
	dv_file_rec planted;
	CHECK_EQ(dv_catalog_file_find(&planted, dv_vault_catalog(d), dst_ingest, "DJI_0003.JPG"), 0);
	snprintf(planted.path, sizeof(planted.path), "planted-central.JPG");
	planted.id = 0;
	CHECK_EQ(dv_catalog_begin(dv_vault_catalog(d)), 0);
	CHECK_EQ(dv_catalog_file_add(dv_vault_catalog(d), &planted), 0);
	CHECK_EQ(dv_catalog_commit(dv_vault_catalog(d)), 0);
	CHECK_EQ(dv_vault_transfer(d, s, &topts, &r), DV_ECORRUPT);
	CHECK(strstr(dv_error_text(), "no longer has the files the source signed") != NULL);

	dv_vault_close(s);
	dv_vault_close(d);
	return check_done();
}
