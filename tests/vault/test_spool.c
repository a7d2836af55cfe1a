/* The sealed spool (dv/spool.h): what is written reads back exactly; the
 * file holds none of it in clear; a wrong key, a flipped byte, a cut, an
 * extension or a size other than the one written is refused. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dv/crypto.h"
#include "dv/spool.h"
#include "dv/util.h"

struct collect {
	uint8_t *p;
	size_t n, cap;
};

static int collect(const uint8_t *d, size_t n, void *payload)
{
	struct collect *c = payload;
	if (c->n + n > c->cap) return -1;
	memcpy(c->p + c->n, d, n);
	c->n += n;
	return 0;
}

static int roundtrip(const char *path, const uint8_t key[32], const uint8_t *data, size_t n)
{
	unlink(path);
	dv_spool *s;
	if (dv_spool_create(&s, path, key) < 0) return -1;
	/* written in uneven pieces */
	for (size_t off = 0; off < n;) {
		size_t k = (off * 7 + 1000) % 70001 + 1;
		if (k > n - off) k = n - off;
		if (dv_spool_write(s, data + off, k) < 0) return -2;
		off += k;
	}
	uint64_t plain = 0;
	if (dv_spool_close(s, &plain) < 0 || plain != n) return -3;
	struct collect c = { malloc(n + 1), 0, n + 1 };
	int rc = dv_spool_read(path, key, n, collect, &c);
	bool same = rc == 0 && c.n == n && (n == 0 || !memcmp(c.p, data, n));
	free(c.p);
	return same ? 0 : -4;
}

static void flip(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	if (pread(fd, &b, 1, at) == 1) {
		b ^= 0x40;
		if (pwrite(fd, &b, 1, at) != 1) abort();
	}
	close(fd);
}

int main(void)
{
	char dir[4096], path[4200];
	check_tmpdir(dir, sizeof(dir), "spool");
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/s", dir);
	uint8_t key[32], other[32];
	dv_random(key, 32);
	dv_random(other, 32);
	size_t big = 3 * 65536 + 123;
	uint8_t *data = malloc(big);
	for (size_t i = 0; i < big; i++) data[i] = (uint8_t)("position lat 47.1 lon 8.2 "[i % 26]);
	CHECK_EQ(roundtrip(path, key, data, 0), 0);
	CHECK_EQ(roundtrip(path, key, data, 65536), 0);      /* an exact chunk: an empty final one after it */
	CHECK_EQ(roundtrip(path, key, data, 2 * 65536), 0);
	CHECK_EQ(roundtrip(path, key, data, big), 0);
	/* nothing in clear */
	uint8_t *file;
	size_t fn;
	CHECK_EQ(dv_read_file(&file, &fn, path, 1 << 20), 0);
	CHECK(fn > big);
	CHECK(memmem(file, fn, "lat 47.1", 8) == NULL);
	free(file);
	/* refused */
	CHECK_EQ(dv_spool_read(path, other, big, NULL, NULL), DV_ECORRUPT);
	CHECK_EQ(dv_spool_read(path, key, big - 1, NULL, NULL), DV_ECORRUPT);
	CHECK_EQ(dv_spool_read(path, key, big + 1, NULL, NULL), DV_ECORRUPT);
	flip(path, 24 + 65536 + 100);
	CHECK_EQ(dv_spool_read(path, key, big, NULL, NULL), DV_ECORRUPT);
	CHECK(strstr(dv_error_text(), "fails authentication") != NULL);
	CHECK_EQ(roundtrip(path, key, data, big), 0);
	/* cut at a chunk boundary, cut inside a chunk, extended */
	struct stat st;
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(truncate(path, 24 + 2 * (65536 + 17)), 0);
	CHECK_EQ(dv_spool_read(path, key, big, NULL, NULL), DV_ECORRUPT);
	CHECK_EQ(truncate(path, 24 + 65536 + 17 + 500), 0);
	CHECK_EQ(dv_spool_read(path, key, big, NULL, NULL), DV_ECORRUPT);
	CHECK_EQ(roundtrip(path, key, data, 1000), 0);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(write(fd, "x", 1) == 1);
	close(fd);
	CHECK_EQ(dv_spool_read(path, key, 1000, NULL, NULL), DV_ECORRUPT);
	/* never over an existing file */
	dv_spool *s;
	CHECK(dv_spool_create(&s, path, key) < 0);
	free(data);
	return check_done();
}
