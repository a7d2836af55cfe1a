/* Ingest a synthetic card with the telemetry observer, then: one flight,
 * its track has every photo and SRT cue in time order, reindex agrees. */
#include <math.h>

#include "check.h"
#include "dv/index.h"
#include "dv/sample.h"

int main(void)
{
	char dir[4096], card[4200], vault[4200];
	check_tmpdir(dir, sizeof(dir), "index");
	snprintf(card, sizeof(card), "%s/card", dir);
	snprintf(vault, sizeof(vault), "%s/vault", dir);
	dv_sample_opts so;
	dv_sample_defaults(&so);
	so.photos = 6;
	so.srt_seconds = 5;
	int files;
	CHECK_EQ(dv_sample_card(card, &so, &files), 0);
	CHECK_EQ(files, 7);
	dv_key_source key = { "index test passphrase", 21, NULL };
	dv_vault_init_opts io = { .station = "test", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(vault, &key, &io), 0);
	dv_vault *v;
	CHECK_EQ(dv_vault_open(&v, vault, &key, DV_VAULT_WRITE), 0);
	dv_ingest_observer ob;
	dv_index_observer(&ob);
	dv_ingest_opts o = { .source = card, .case_name = "IDX", .operator_name = "tester", .observer = &ob };
	dv_ingest_result res;
	CHECK_EQ(dv_ingest(v, &o, &res), 0);
	CHECK(res.complete);

	dv_flight *fl = NULL;
	size_t nf = 0;
	CHECK_EQ(dv_index_flights(&fl, &nf, v, "IDX", 0), 0);
	CHECK_EQ(nf, 1);
	if (nf == 1) {
		CHECK_EQ(fl[0].photos, 6);
		CHECK_EQ(fl[0].srts, 1);
		CHECK_STR(fl[0].serial, "SAMPLE0DRONE0001");
		CHECK_EQ(fl[0].time_kind, DV_TIME_LOCAL);
		CHECK(fl[0].min_lat > 46.93 && fl[0].max_lat < 46.95);
		dv_track_point *pts = NULL;
		size_t n = 0;
		dv_flight f;
		CHECK_EQ(dv_index_track(&pts, &n, &f, v, fl[0].id, 0), 0);
		CHECK_EQ(n, 6 + 50);
		for (size_t i = 1; i < n; i++) CHECK(pts[i - 1].time_us <= pts[i].time_us);
		/* the first photo: 1 s after 13:03:05Z, local = UTC+1 */
		if (n) {
			CHECK_EQ(pts[0].time_us, (so.start_unix + 1 + 3600) * 1000000LL);
			CHECK(pts[0].has_pos);
			CHECK_NEAR(pts[0].height, 60.0, 1e-9);
		}
		free(pts);
		CHECK_EQ(dv_index_track(&pts, &n, &f, v, "F999999", 0), DV_ENOTFOUND);
		CHECK_EQ(dv_index_track(&pts, &n, &f, v, "17", 0), DV_EINVAL);
	}
	dv_index_flights_free(fl, nf);
	/* the same card again (a second acquisition): still one flight, no doubled points */
	dv_ingest_opts o2 = o;
	o2.again = true;   /* deliberately recorded again (else: already complete) */
	CHECK_EQ(dv_ingest(v, &o2, &res), 0);
	CHECK_EQ(dv_index_flights(&fl, &nf, v, "IDX", 0), 0);
	CHECK_EQ(nf, 1);
	if (nf == 1) {
		CHECK_EQ(fl[0].photos, 6);
		dv_track_point *pts = NULL;
		size_t n = 0;
		CHECK_EQ(dv_index_track(&pts, &n, NULL, v, fl[0].id, 0), 0);
		CHECK_EQ(n, 6 + 50);
		free(pts);
	}
	dv_index_flights_free(fl, nf);
	/* reindex from the blobs gives the same */
	uint64_t nfiles = 0, with = 0;
	CHECK_EQ(dv_index_reindex(v, "IDX", &nfiles, &with), 0);
	CHECK_EQ(nfiles, 14);
	CHECK_EQ(with, 14);
	CHECK_EQ(dv_index_flights(&fl, &nf, v, "IDX", 0), 0);
	CHECK_EQ(nf, 1);
	dv_index_flights_free(fl, nf);
	/* a gap smaller than the pause between photos and video splits it */
	CHECK_EQ(dv_index_flights(&fl, &nf, v, "IDX", 1), 0);
	CHECK(nf >= 2);
	dv_index_flights_free(fl, nf);
	dv_vault_close(v);
	return check_done();
}
