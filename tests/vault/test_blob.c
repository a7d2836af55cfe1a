#include <fcntl.h>

#include "check.h"
#include "dv/blob.h"
#include "dv/util.h"

static dv_blobstore bs;

static int collect(const uint8_t *d, size_t n, void *payload)
{
	uint8_t **p = payload;
	memcpy(*p, d, n);
	*p += n;
	return 0;
}

static void store(const uint8_t *data, size_t n, char name[65], size_t piece)
{
	dv_blob_writer *w;
	CHECK_EQ(dv_blob_writer_open(&w, &bs), 0);
	for (size_t off = 0; off < n; off += piece)
		CHECK_EQ(dv_blob_writer_write(w, data + off, n - off < piece ? n - off : piece), 0);
	uint8_t sha[32], expect[32];
	uint64_t size;
	bool dedup;
	CHECK_EQ(dv_blob_writer_commit(w, sha, name, &size, &dedup), 0);
	dv_sha256_buf(data, n, expect);
	CHECK(memcmp(sha, expect, 32) == 0);
	CHECK_EQ(size, n);
}

static void roundtrip(size_t n)
{
	uint8_t *data = malloc(n + 1), *back = malloc(n + 1), *p = back;
	dv_random(data, n);
	char name[65];
	store(data, n, name, 1000);
	uint8_t sha[32];
	uint64_t size = 99;
	CHECK_EQ(dv_blob_read(&bs, name, collect, &p, sha, &size), 0);
	CHECK_EQ(size, n);
	CHECK_EQ(p - back, (long long)n);
	CHECK(n == 0 || memcmp(data, back, n) == 0);
	free(data);
	free(back);
}

static void flip(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	CHECK(pread(fd, &b, 1, off) == 1);
	b ^= 0x10;
	CHECK(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

int main(void)
{
	char dir[4096], path[4096];
	check_tmpdir(dir, sizeof(dir), "blob");
	uint8_t k1[32], k2[32];
	dv_crypto_init();
	dv_random(k1, 32);
	dv_random(k2, 32);
	CHECK_EQ(dv_blobstore_init(&bs, dir, k1, k2), 0);
	bs.chunk_size = 4096;
	size_t sizes[] = { 0, 1, 4095, 4096, 4097, 3 * 4096 + 5, 8192 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) roundtrip(sizes[i]);

	/* content addressing: same content, same name, stored once */
	uint8_t data[10000];
	dv_random(data, sizeof(data));
	char n1[65], n2[65];
	store(data, sizeof(data), n1, 333);
	dv_blob_writer *w;
	CHECK_EQ(dv_blob_writer_open(&w, &bs), 0);
	CHECK_EQ(dv_blob_writer_write(w, data, sizeof(data)), 0);
	uint8_t sha[32];
	uint64_t size;
	bool dedup = false;
	CHECK_EQ(dv_blob_writer_commit(w, sha, n2, &size, &dedup), 0);
	CHECK(dedup);
	CHECK_STR(n1, n2);
	/* the name does not reveal the plaintext SHA-256 */
	char plainhex[65];
	dv_hex(plainhex, sha, 32);
	CHECK(strcmp(plainhex, n1) != 0);

	/* tampering: a flipped bit in the chunk data, in the header, truncation */
	CHECK_EQ(dv_blob_path(&bs, n1, path, sizeof(path)), 0);
	flip(path, 64 + 5000);
	CHECK_EQ(dv_blob_read(&bs, n1, NULL, NULL, sha, &size), DV_ECORRUPT);
	CHECK(strstr(dv_error_text(), "fails authentication") != NULL);
	flip(path, 64 + 5000);
	CHECK_EQ(dv_blob_read(&bs, n1, NULL, NULL, sha, &size), 0);
	flip(path, 30); /* salt */
	CHECK_EQ(dv_blob_read(&bs, n1, NULL, NULL, sha, &size), DV_ECORRUPT);
	flip(path, 30);
	flip(path, 23); /* size field */
	CHECK(dv_blob_read(&bs, n1, NULL, NULL, sha, &size) < 0);
	flip(path, 23);
	struct stat st;
	stat(path, &st);
	CHECK_EQ(truncate(path, st.st_size - 1), 0);
	CHECK_EQ(dv_blob_read(&bs, n1, NULL, NULL, sha, &size), DV_ECORRUPT);
	/* missing */
	unlink(path);
	CHECK_EQ(dv_blob_read(&bs, n1, NULL, NULL, sha, &size), DV_ENOTFOUND);
	CHECK_EQ(dv_blob_read(&bs, "../../etc/passwd", NULL, NULL, sha, &size), DV_EINVAL);

	/* group durability: invisible until settled, readable after */
	dv_blob_batch batch = { 0 };
	char bn[3][65];
	for (int i = 0; i < 3; i++) {
		uint8_t d[5000];
		dv_random(d, sizeof(d));
		CHECK_EQ(dv_blob_writer_open(&w, &bs), 0);
		CHECK_EQ(dv_blob_writer_write(w, d, sizeof(d)), 0);
		CHECK_EQ(dv_blob_writer_finish(w, &batch, sha, bn[i], &size, &dedup), 0);
		CHECK(!dedup);
		CHECK(!dv_blob_exists(&bs, bn[i]));
	}
	CHECK_EQ(batch.n, 3);
	CHECK_EQ(dv_blob_batch_settle(&bs, &batch), 0);
	CHECK_EQ(batch.n, 0);
	for (int i = 0; i < 3; i++) {
		CHECK(dv_blob_exists(&bs, bn[i]));
		CHECK_EQ(dv_blob_read(&bs, bn[i], NULL, NULL, sha, &size), 0);
	}
	/* an unsettled batch leaves nothing behind when disposed */
	CHECK_EQ(dv_blob_writer_open(&w, &bs), 0);
	CHECK_EQ(dv_blob_writer_write(w, "x", 1), 0);
	CHECK_EQ(dv_blob_writer_finish(w, &batch, sha, n2, &size, &dedup), 0);
	dv_blob_batch_dispose(&batch);
	CHECK(!dv_blob_exists(&bs, n2));
	CHECK_EQ(dv_blobstore_clean_tmp(&bs), 0);
	/* already stored content is recognised at finish */
	store(data, sizeof(data), n1, 777);
	CHECK_EQ(dv_blob_writer_open(&w, &bs), 0);
	CHECK_EQ(dv_blob_writer_write(w, data, sizeof(data)), 0);
	CHECK_EQ(dv_blob_writer_finish(w, &batch, sha, n2, &size, &dedup), 0);
	CHECK(dedup);
	CHECK_EQ(batch.n, 0);
	dv_blob_batch_dispose(&batch);

	/* header parser */
	uint8_t h[64] = { 'D', 'V', 'B', 'L', 'O', 'B', 0, 1 };
	dv_blob_header hdr;
	CHECK_EQ(dv_blob_header_parse(h, 10, "x", &hdr), DV_ETRUNC);
	CHECK_EQ(dv_blob_header_parse(h, 64, "x", &hdr), DV_ECORRUPT); /* header size 0 */
	h[11] = 64;
	h[13] = 0x10; /* chunk 1 MiB */
	CHECK_EQ(dv_blob_header_parse(h, 64, "x", &hdr), 0);
	h[16] = 0xff; /* giant size */
	CHECK_EQ(dv_blob_header_parse(h, 64, "x", &hdr), DV_ECORRUPT);
	return check_done();
}
