/*
 * Power loss, not only kill -9 (issue 11): an ingest, an export and a
 * custody append each lose power at a random mutating file operation
 * (tests/crash/crashfs.h: what no fsync/fdatasync/syncfs covered is
 * dropped or torn, renames no directory fsync covered undone). Then the
 * vault is reopened: verify finds no problem, everything acknowledged
 * before the cut is there, byte for byte, and the same command, run
 * again, completes.
 *
 * DV_POWERLOSS_TRIALS (default 200; 100 in the sanitizer build, which sets
 * DV_POWERLOSS_DEFAULT) trials, half ingests, a quarter each
 * exports and custody appends, the cut points spread over each command's
 * operations (counted by a run without a cut). DV_POWERLOSS_SEED picks
 * other random choices; a failure prints the trial's seed and cut point.
 */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "crash/crashfs.h"
#include "dv/blob.h"
#include "dv/catalog.h"
#include "dv/export.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "dv/verify.h"
#include "dv/vault.h"
#include "vault/vault_fs_int.h"

enum { K_INGEST, K_EXPORT, K_APPEND, K_KINDS };
static const char *kind_name[K_KINDS] = { "ingest", "export", "custody append" };

#define NFILES 6
struct card {
	char dir[4200];
	char rel[NFILES][64];
	uint8_t sha[NFILES][32];
	uint8_t *data[NFILES];
	size_t len[NFILES];
};

static char base[4096], tmpl[4200];
static struct card card1, card2;
static int64_t ingest_a;
static uint8_t *tmpl_log;
static size_t tmpl_log_len;
static const dv_key_source key = { "power loss test", 15, NULL };
static int trial_failed;

#define TCHECK(cond)                                                                            \
	do {                                                                                    \
		bool ok_ = (cond);                                                              \
		CHECK(ok_);                                                                     \
		if (!ok_) trial_failed = 1;                                                     \
	} while (0)

static void make_card(struct card *c, const char *name, const struct card *share)
{
	snprintf(c->dir, sizeof(c->dir), "%s/%s", base, name);
	mkdir(c->dir, 0700);
	char sub[4300];
	snprintf(sub, sizeof(sub), "%s/DCIM", c->dir);
	mkdir(sub, 0700);
	static const size_t sizes[NFILES] = { 0, 700, 5000, 20000, 41000, 3333 };
	for (int i = 0; i < NFILES; i++) {
		snprintf(c->rel[i], sizeof(c->rel[i]), i % 2 ? "DCIM/DJI_%04d.JPG" : "DJI_%04d.SRT", i);
		c->len[i] = sizes[i];
		c->data[i] = malloc(sizes[i] + 1);
		if (share && i == 3) memcpy(c->data[i], share->data[i], sizes[i]); /* a duplicate */
		else dv_random(c->data[i], sizes[i]);
		dv_sha256_buf(c->data[i], sizes[i], c->sha[i]);
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", c->dir, c->rel[i]);
		CHECK_EQ(dv_write_file_atomic(p, c->data[i], sizes[i], 0600), 0);
	}
}

/* rm -rf, in process (a trial is too short to spend on spawning a shell) */
static void remove_tree(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0) return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			char sub[8192];
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name) >= sizeof(sub)) abort();
			remove_tree(sub);
		}
		if (d) closedir(d);
		rmdir(p);
	} else {
		unlink(p);
	}
}

/* cp -a of a vault directory (directories and regular files) */
static int copy_tree(const char *from, const char *to)
{
	struct stat st;
	if (lstat(from, &st) < 0) return -1;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(to, st.st_mode & 07777) < 0) return -1;
		DIR *d = opendir(from);
		if (!d) return -1;
		struct dirent *e;
		int rc = 0;
		while (rc == 0 && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			char a[8192], b[8192];
			if ((size_t)snprintf(a, sizeof(a), "%s/%s", from, e->d_name) >= sizeof(a) ||
			    (size_t)snprintf(b, sizeof(b), "%s/%s", to, e->d_name) >= sizeof(b))
				abort();
			rc = copy_tree(a, b);
		}
		closedir(d);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) return 0;
	uint8_t *buf;
	size_t len;
	if (dv_read_file(&buf, &len, from, 256u << 20) < 0) return -1;
	int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	int rc = fd < 0 || dv_write_all(fd, buf, len, to) < 0 ? -1 : 0;
	if (fd >= 0) close(fd);
	free(buf);
	return rc;
}

/* Problems verify named; "torn" those that are the log's unfinished last
 * entry, which no one was ever told was written. */
struct problems {
	unsigned all, torn;
};

static void note_problem(const char *m, void *payload)
{
	struct problems *p = payload;
	p->all++;
	if (strstr(m, "incomplete entry at the end of the log")) p->torn++;
	else fprintf(stderr, "  verify: problem: %s\n", m);
}

/* The files of card c are in ingest id, byte for byte. */
static void check_card(dv_vault *v, const struct card *c, int64_t id, const char *what)
{
	for (int i = 0; i < NFILES; i++) {
		dv_file_rec f;
		int rc = dv_catalog_file_find(&f, dv_vault_catalog(v), id, c->rel[i]);
		TCHECK(rc == 0);
		if (rc < 0) {
			fprintf(stderr, "  %s: %s missing: %s\n", what, c->rel[i], dv_error_text());
			continue;
		}
		TCHECK(memcmp(f.sha256, c->sha[i], 32) == 0);
		uint8_t sha[32];
		uint64_t size;
		rc = dv_blob_read(dv_vault_blobs(v), f.blob_name, NULL, NULL, sha, &size);
		TCHECK(rc == 0 && size == c->len[i] && memcmp(sha, c->sha[i], 32) == 0);
		if (rc < 0) fprintf(stderr, "  %s: %s: %s\n", what, c->rel[i], dv_error_text());
	}
}

/*
 * The vault reopened: verify finds no problem (right after a cut it may
 * name one thing: the custody entry being appended when the power went,
 * torn, never acknowledged; the next writer cuts it); what was
 * acknowledged before the cut (case A's ingest, the log as it was) is
 * there byte for byte; and card2 in ingest id when id > 0.
 */
static unsigned torn_tails;

static void check_vault(const char *vdir, const char *when, int64_t id, bool after_cut)
{
	dv_vault *v;
	int rc = dv_vault_open(&v, vdir, &key, DV_VAULT_READ);
	TCHECK(rc == 0);
	if (rc < 0) {
		fprintf(stderr, "  %s: cannot open: %s\n", when, dv_error_text());
		return;
	}
	struct problems pr = { 0, 0 };
	dv_verify_opts o = { .problem = note_problem, .payload = &pr };
	dv_verify_result r;
	rc = dv_verify(v, &o, &r);
	bool torn_only = after_cut && pr.torn == 1 && pr.all == 1 && r.problems == 1;
	torn_tails += torn_only;
	TCHECK(rc == 0 && (r.problems == 0 || torn_only));
	if (rc < 0 || (r.problems && !torn_only)) fprintf(stderr, "  %s: verify rc %d, %llu problems\n", when, rc, (unsigned long long)r.problems);
	check_card(v, &card1, ingest_a, "acknowledged ingest");
	if (id > 0) check_card(v, &card2, id, "re-run ingest");
	dv_vault_close(v);
	char p[4300];
	snprintf(p, sizeof(p), "%s/custody.log", vdir);
	uint8_t *buf;
	size_t len;
	TCHECK(dv_read_file(&buf, &len, p, 64u << 20) == 0);
	TCHECK(len >= tmpl_log_len && memcmp(buf, tmpl_log, tmpl_log_len) == 0);
	free(buf);
}

static int export_matches(const char *dest)
{
	for (int i = 0; i < NFILES; i++) {
		char p[4600];
		snprintf(p, sizeof(p), "%s/%s", dest, card1.rel[i]);
		uint8_t *buf;
		size_t len;
		if (dv_read_file(&buf, &len, p, 1u << 20) < 0) return -1;
		int same = len == card1.len[i] && memcmp(buf, card1.data[i], len) == 0;
		free(buf);
		if (!same) return -1;
	}
	return 0;
}

/* The command of kind k on vault dir vdir through fs (NULL: the real one). */
static int command(int k, const char *vdir, const dv_fs *fs, const char *dest, int64_t *ingest_id)
{
	dv_vault *v;
	int rc = dv_vault_open_fs(&v, vdir, &key, DV_VAULT_WRITE, NULL, fs);
	if (rc < 0) return rc;
	if (k == K_INGEST) {
		dv_ingest_opts o = { .source = card2.dir, .case_name = "B", .operator_name = "tester" };
		dv_ingest_result r;
		rc = dv_ingest(v, &o, &r);
		if (rc == 0 && !r.complete) rc = DV_EIO;
		if (ingest_id) *ingest_id = r.ingest_id;
	} else if (k == K_EXPORT) {
		dv_export_opts o = { .case_name = "A", .dest = dest, .operator_name = "tester" };
		dv_export_result r;
		rc = dv_export(v, &o, &r);
	} else {
		uint64_t seq;
		rc = dv_vault_record_zones_check(&seq, v, "A", "tester", "/nonexistent/zones.json", 0, NULL);
	}
	dv_vault_close(v);
	return rc;
}

static void trial(int k, uint64_t cut, uint64_t seed, unsigned stats[4])
{
	char vdir[4300], dest[4400], dest2[4400], shm[4400];
	snprintf(vdir, sizeof(vdir), "%s/trial", base);
	snprintf(dest, sizeof(dest), "%s/out", base);
	snprintf(dest2, sizeof(dest2), "%s/out2", base);
	remove_tree(vdir);
	remove_tree(dest);
	remove_tree(dest2);
	CHECK_EQ(copy_tree(tmpl, vdir), 0);
	trial_failed = 0;

	crash_begin(cut, seed);
	int rc = command(k, vdir, crash_fs(), dest, NULL);
	if (crash_happened()) {
		unsigned s[4];
		crash_realize(&s[0], &s[1], &s[2], &s[3]);
		for (int i = 0; i < 4; i++) stats[i] += s[i];
		snprintf(shm, sizeof(shm), "%s/catalog.db-shm", vdir);
		unlink(shm); /* as after a reboot: rebuilt from the WAL */
	} else {
		crash_end();
		TCHECK(rc == 0); /* no cut: the command must simply work */
	}

	/* reopened: verify passes, nothing acknowledged is lost */
	check_vault(vdir, "after the cut", 0, true);
	/* the same command again completes */
	int64_t id = 0;
	/* (through the model without a cut: the same code, no real fsync to wait for) */
	crash_begin(0, seed);
	rc = command(k, vdir, crash_fs(), k == K_EXPORT ? dest2 : dest, &id);
	crash_end();
	TCHECK(rc == 0);
	if (rc < 0) fprintf(stderr, "  re-run: %s\n", dv_error_text());
	if (rc == 0 && k == K_EXPORT) TCHECK(export_matches(dest2) == 0);
	check_vault(vdir, "after the re-run", rc == 0 && k == K_INGEST ? id : 0, false);
	if (trial_failed)
		fprintf(stderr, "power loss trial FAILED: %s, cut at operation %llu, seed %llu\n", kind_name[k],
		        (unsigned long long)cut, (unsigned long long)seed);
}

/*
 * The model itself: what was fsynced (file and directory) survives every
 * cut; what was not is lost or torn in some cuts; a rename without a
 * directory fsync is undone in some.
 */
static void model_selftest(void)
{
	char d[4300], a[4400], b[4400], c[4400];
	snprintf(d, sizeof(d), "%s/model", base);
	snprintf(a, sizeof(a), "%s/a", d);
	snprintf(b, sizeof(b), "%s/b", d);
	snprintf(c, sizeof(c), "%s/c", d);
	unsigned b_lost = 0, rename_undone = 0, s[4];
	for (uint64_t seed = 1; seed <= 32; seed++) {
		remove_tree(d);
		CHECK_EQ(mkdir(d, 0700), 0);
		const dv_fs *fs = crash_fs();
		crash_begin(8, seed);
		int fa = fs->openat(fs, AT_FDCWD, a, O_WRONLY | O_CREAT | O_EXCL, 0600);        /* 1 */
		CHECK(fa >= 0 && fs->write(fs, fa, "durable", 7) == 7);                          /* 2 */
		CHECK(fs->fsync(fs, fa) == 0 && dv_fs_fsync_dir(fs, d) == 0);                     /* 3, 4 */
		int fb = fs->openat(fs, AT_FDCWD, b, O_WRONLY | O_CREAT | O_EXCL, 0600);        /* 5 */
		CHECK(fb >= 0 && fs->write(fs, fb, "volatile", 8) == 8);                         /* 6 */
		CHECK(fs->renameat(fs, AT_FDCWD, a, AT_FDCWD, c) == 0);                          /* 7 */
		CHECK(fs->write(fs, fb, "cut", 3) < 0);                                          /* 8: the cut */
		CHECK(fs->fsync(fs, fb) < 0);                                                    /* after it: EIO */
		fs->close(fs, fa);
		fs->close(fs, fb);
		CHECK(crash_happened());
		crash_realize(&s[0], &s[1], &s[2], &s[3]);
		uint8_t *buf = NULL;
		size_t len = 0;
		bool at_a = dv_read_file(&buf, &len, a, 100) == 0;
		rename_undone += at_a;
		if (!at_a) CHECK_EQ(dv_read_file(&buf, &len, c, 100), 0);
		CHECK(buf && len == 7 && !memcmp(buf, "durable", 7)); /* synced: always there, whole */
		free(buf);
		buf = NULL;
		/* unsynced: any of its writes kept, dropped (a hole: zeros) or cut short */
		if (dv_read_file(&buf, &len, b, 100) < 0 || len < 11) {
			b_lost++;
		} else {
			CHECK(len == 11 && !memcmp(buf + 8, "cut", 3));
			for (int i = 0; i < 8; i++) CHECK(buf[i] == 0 || buf[i] == (uint8_t)"volatile"[i]);
		}
		free(buf);
	}
	CHECK(b_lost > 0 && b_lost < 32);
	CHECK(rename_undone > 0 && rename_undone < 32);
	remove_tree(d);
}

int main(void)
{
	check_tmpdir(base, sizeof(base), "powerloss");
	if (crash_init() < 0) {
		fprintf(stderr, "cannot register the crash VFS\n");
		return 1;
	}
	/* DV_POWERLOSS_TRIALS wins; DV_POWERLOSS_DEFAULT is the build's default
	 * (the sanitizer build sets 100: ASan makes a trial ~3 times dearer) */
	const char *e = getenv("DV_POWERLOSS_TRIALS");
	if (!e || !*e) e = getenv("DV_POWERLOSS_DEFAULT");
	long trials = e && *e ? atol(e) : 200;
	e = getenv("DV_POWERLOSS_SEED");
	uint64_t seed0 = e && *e ? strtoull(e, NULL, 10) : 20261201;
	if (trials < 4) trials = 4;

	model_selftest();
	make_card(&card1, "card1", NULL);
	make_card(&card2, "card2", &card1);
	snprintf(tmpl, sizeof(tmpl), "%s/template", base);
	dv_vault_init_opts io = { .station = "station", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(tmpl, &key, &io), 0);
	{
		dv_vault *v;
		CHECK_EQ(dv_vault_open(&v, tmpl, &key, DV_VAULT_WRITE), 0);
		dv_ingest_opts o = { .source = card1.dir, .case_name = "A", .operator_name = "tester" };
		dv_ingest_result r;
		CHECK_EQ(dv_ingest(v, &o, &r), 0);
		CHECK(r.complete);
		ingest_a = r.ingest_id;
		dv_vault_close(v);
		char p[4300];
		snprintf(p, sizeof(p), "%s/custody.log", tmpl);
		CHECK_EQ(dv_read_file(&tmpl_log, &tmpl_log_len, p, 64u << 20), 0);
	}
	if (check_failed) return check_done();

	/* each command's mutating operations, counted by a run without a cut */
	uint64_t total[K_KINDS];
	for (int k = 0; k < K_KINDS; k++) {
		char vdir[4300], dest[4400];
		snprintf(vdir, sizeof(vdir), "%s/count", base);
		snprintf(dest, sizeof(dest), "%s/count-out", base);
		remove_tree(vdir);
		remove_tree(dest);
		CHECK_EQ(copy_tree(tmpl, vdir), 0);
		crash_begin(0, 1);
		CHECK_EQ(command(k, vdir, crash_fs(), dest, NULL), 0);
		total[k] = crash_ops();
		crash_end();
		CHECK(total[k] > 3);
		if (k == K_EXPORT) CHECK_EQ(export_matches(dest), 0);
		check_vault(vdir, "without a cut", 0, false);
		printf("%s: %llu mutating file operations\n", kind_name[k], (unsigned long long)total[k]);
	}
	if (check_failed) return check_done();

	long per[K_KINDS] = { trials / 2, trials / 4, trials - trials / 2 - trials / 4 };
	unsigned stats[4] = { 0 };
	int before = check_failed;
	long done = 0;
	for (int k = 0; k < K_KINDS; k++) {
		for (long i = 0; i < per[k]; i++) {
			uint64_t seed = seed0 * 1000003u + (uint64_t)k * 100000u + (uint64_t)i;
			/* strata over the operations, a random point in each */
			uint64_t lo = (uint64_t)i * total[k] / (uint64_t)per[k];
			uint64_t hi = (uint64_t)(i + 1) * total[k] / (uint64_t)per[k];
			uint64_t x = seed * UINT64_C(6364136223846793005) + 1442695040888963407u;
			uint64_t cut = 1 + lo + (hi > lo ? (x >> 33) % (hi - lo) : 0);
			trial(k, cut, seed, stats);
			done++;
		}
	}
	printf("%ld power-loss trials (%ld ingest, %ld export, %ld custody append): writes after the last sync "
	       "kept %u, dropped %u, torn %u; namespace changes undone %u; %u left a torn (unacknowledged) log "
	       "entry that verify named; %d failed checks\n",
	       done, per[0], per[1], per[2], stats[0], stats[1], stats[2], stats[3], torn_tails, check_failed - before);
	/* the model must have cut something real, or the trials proved nothing */
	CHECK(stats[1] > 0 && stats[2] > 0 && stats[3] > 0);
	if (check_failed == 0) remove_tree(base);
	return check_done();
}
