#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/custody.h"
#include "dv/err.h"
#include "dv/util.h"

static uint8_t pk[32], sk[64], key[32];
static char path[4200];
static int problems;

static void on_problem(const char *m, void *p)
{
	(void)p;
	problems++;
	fprintf(stderr, "  (expected) %s\n", m);
}

static uint64_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int entries;
static int on_entry(const dv_custody_entry *e, json_object *body, void *p)
{
	(void)e;
	(void)body;
	(void)p;
	entries++;
	return 0;
}

static int scan(void)
{
	problems = entries = 0;
	return dv_custody_scan(path, pk, key, on_entry, on_problem, NULL);
}

static uint8_t *slurp(size_t *len)
{
	uint8_t *b;
	dv_read_file(&b, len, path, 1 << 24);
	return b;
}

static void spit(const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(b, 1, len, f);
	fclose(f);
}

int main(void)
{
	char dir[4096];
	check_tmpdir(dir, sizeof(dir), "custody");
	snprintf(path, sizeof(path), "%s/custody.log", dir);
	dv_crypto_init();
	dv_sign_keypair(pk, sk);
	dv_random(key, 32);
	dv_custody *log;
	uint64_t torn = 9;
	CHECK_EQ(dv_custody_open(&log, path, pk, sk, key, true, &torn), 0);
	CHECK_EQ(torn, 0);
	size_t offs[6];
	for (int i = 0; i < 5; i++) {
		json_object *b = json_object_new_object();
		json_object_object_add(b, "action", json_object_new_string("test"));
		json_object_object_add(b, "i", json_object_new_int(i));
		struct stat st;
		offs[i] = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
		uint64_t seq;
		CHECK_EQ(dv_custody_append(log, b, &seq, NULL), 0);
		CHECK_EQ(seq, (uint64_t)i + 1);
		json_object_put(b);
	}
	dv_custody_close(log);
	CHECK_EQ(scan(), 0);
	CHECK_EQ(entries, 5);

	size_t len;
	uint8_t *orig = slurp(&len);
	offs[5] = len;
	uint8_t *b = malloc(len);

	/* a flipped bit anywhere in entry 3 */
	for (size_t off = offs[2]; off < offs[3]; off += 37) {
		memcpy(b, orig, len);
		b[off] ^= 0x04;
		spit(b, len);
		CHECK(scan() > 0);
	}
	/* entry 3 deleted */
	memcpy(b, orig, offs[2]);
	memcpy(b + offs[2], orig + offs[3], len - offs[3]);
	spit(b, len - (offs[3] - offs[2]));
	CHECK(scan() > 0);
	/* entries 2 and 3 swapped */
	size_t l2 = offs[2] - offs[1], l3 = offs[3] - offs[2];
	memcpy(b, orig, len);
	memcpy(b + offs[1], orig + offs[2], l3);
	memcpy(b + offs[1] + l3, orig + offs[1], l2);
	spit(b, len);
	CHECK(scan() > 0);
	/* signed by another key */
	uint8_t pk2[32], sk2[64];
	dv_sign_keypair(pk2, sk2);
	spit(orig, len);
	problems = 0;
	CHECK(dv_custody_scan(path, pk2, key, NULL, on_problem, NULL) >= 5);

	/* torn tail: open reports it and leaves it; appending is refused until
	 * the caller cuts it (it decides first whether the cut is safe) */
	spit(orig, len - 10);
	CHECK_EQ(dv_custody_open(&log, path, pk, sk, key, true, &torn), 0);
	CHECK_EQ(torn, offs[5] - offs[4] - 10);
	uint64_t seq;
	uint8_t h[32];
	dv_custody_tail(log, &seq, h);
	CHECK_EQ(seq, 4);
	json_object *jb = json_object_new_object();
	CHECK_EQ(dv_custody_append(log, jb, &seq, NULL), DV_ECORRUPT);
	CHECK_EQ(file_size(path), len - 10);
	uint64_t cut;
	uint8_t cut_sha[32], want_sha[32];
	CHECK_EQ(dv_custody_cut_torn(log, &cut, cut_sha), 0);
	CHECK_EQ(cut, offs[5] - offs[4] - 10);
	dv_sha256_buf(orig + offs[4], (size_t)cut, want_sha);
	CHECK(memcmp(cut_sha, want_sha, 32) == 0);
	CHECK_EQ(file_size(path), offs[4]);
	CHECK_EQ(dv_custody_append(log, jb, &seq, NULL), 0);
	CHECK_EQ(seq, 5);
	json_object_put(jb);
	dv_custody_close(log);
	CHECK_EQ(scan(), 0);
	CHECK_EQ(entries, 5);

	/* parser: truncation and garbage never crash, always name the offset */
	dv_custody_entry e;
	CHECK_EQ(dv_custody_parse(orig, 3, "log", 0, &e), DV_ETRUNC);
	CHECK_EQ(dv_custody_parse(orig, 60, "log", 0, &e), DV_ETRUNC);
	memcpy(b, orig, 64);
	b[4] = 0xff;
	CHECK_EQ(dv_custody_parse(b, len, "log", 100, &e), DV_ECORRUPT);
	CHECK_EQ(dv_error_last()->offset, 104);
	free(b);
	free(orig);

	/* version 2: a chain per case and the station's; the vault chain over all */
	char path2[4200], pkg[4200];
	snprintf(path2, sizeof(path2), "%s/cases.log", dir);
	snprintf(pkg, sizeof(pkg), "%s/pkg", dir);
	CHECK_EQ(dv_custody_open(&log, path2, pk, sk, key, true, &torn), 0);
	CHECK_EQ(dv_custody_version(log), 2);
	const char *cases[] = { "A", "B", NULL, "A", "A", "B" };
	for (int i = 0; i < 6; i++) {
		json_object *jb2 = json_object_new_object();
		json_object_object_add(jb2, "action", json_object_new_string("test"));
		if (cases[i]) json_object_object_add(jb2, "case", json_object_new_string(cases[i]));
		CHECK_EQ(dv_custody_append(log, jb2, &seq, NULL), 0);
		json_object *cs;
		CHECK(json_object_object_get_ex(jb2, "case_seq", &cs));
		json_object_put(jb2);
	}
	uint8_t ha[32], hb[32], hs[32], z[32] = { 0 };
	uint64_t na, nb, ns;
	CHECK_EQ(dv_custody_case_head(log, "A", &na, ha), 0);
	CHECK_EQ(dv_custody_case_head(log, "B", &nb, hb), 0);
	CHECK_EQ(dv_custody_case_head(log, NULL, &ns, hs), 0);
	CHECK_EQ(na, 3);
	CHECK_EQ(nb, 2);
	CHECK_EQ(ns, 1);
	CHECK(memcmp(ha, hb, 32) != 0 && memcmp(ha, z, 32) != 0);
	dv_custody_close(log);
	char ra[DV_CUSTODY_REF_MAX], rb[DV_CUSTODY_REF_MAX], rs[DV_CUSTODY_REF_MAX];
	dv_custody_case_ref(ra, key, "A");
	dv_custody_case_ref(rb, key, "B");
	dv_custody_case_ref(rs, key, "");
	CHECK(strlen(ra) == 32 && strcmp(ra, rb) != 0 && strcmp(rs, "station") == 0);
	problems = 0;
	CHECK_EQ(dv_custody_scan(path2, pk, key, NULL, on_problem, NULL), 0);
	/* the package holds case A's three entries and its head */
	uint64_t n;
	uint8_t head[32];
	CHECK_EQ(dv_custody_case_package(path2, pk, key, "A", pkg, &n, head), 0);
	CHECK_EQ(n, 3);
	CHECK(memcmp(head, ha, 32) == 0);
	char f[4300];
	snprintf(f, sizeof(f), "%s/entries/000003.stmt", pkg);
	CHECK_EQ(file_size(f) > 0, 1);
	snprintf(f, sizeof(f), "%s/entries/000004.stmt", pkg);
	CHECK_EQ(file_size(f), 0);
	CHECK(dv_custody_case_package(path2, pk, key, "A", pkg, &n, head) < 0);   /* exists: never overwritten */
	/* an entry's body swapped for another's is caught: each entry's body is
	 * sealed to its own statement */
	size_t len2;
	FILE *fp = fopen(path2, "rb");
	uint8_t *lg2 = malloc(1 << 16);
	len2 = fp ? fread(lg2, 1, 1 << 16, fp) : 0;
	if (fp) fclose(fp);
	dv_custody_entry e1, e2;
	CHECK_EQ(dv_custody_parse(lg2, len2, "log", 0, &e1), 0);
	CHECK_EQ(dv_custody_parse(lg2 + e1.length, len2 - e1.length, "log", (int64_t)e1.length, &e2), 0);
	CHECK_EQ(e1.version, 2);
	CHECK_EQ(e2.case_seq, 1);
	CHECK(strcmp(e1.case_ref, e2.case_ref) != 0);
	/* a flipped statement byte: not canonical, or a signature failure */
	for (size_t off = 10; off < 10 + e1.case_stmt_len; off += 7) {
		lg2[off] ^= 0x04;
		dv_custody_entry x;
		int prc = dv_custody_parse(lg2, len2, "log", 0, &x);
		CHECK(prc < 0 || dv_custody_verify_sig(&x, pk) < 0);
		lg2[off] ^= 0x04;
	}
	free(lg2);
	return check_done();
}
