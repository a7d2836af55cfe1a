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
	return check_done();
}
