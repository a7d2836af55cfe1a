/* vault/spool.c - the sealed spool (dv/spool.h): crypto_secretstream, no
 * format of our own beyond chunking. */
#include "dv/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"

#define CHUNK (64u * 1024)
#define SEALED (CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)

struct dv_spool {
	int fd;
	char path[4096];
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t buf[CHUNK], out[SEALED];
	size_t have;
	uint64_t total;
	uint64_t good_off, good_plain;   /* the file and its plaintext up to the last whole chunk */
	int err;
};

static int write_all(int fd, const uint8_t *p, size_t n, const char *path)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0) return dv_error_errno(errno, path, -1, "cannot write the sealed spool");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int push(dv_spool *s, unsigned char tag)
{
	unsigned long long olen = 0;
	/* a chunk not written whole is as if never pushed: the stream's state
	 * goes back, so that a final chunk after it still authenticates */
	crypto_secretstream_xchacha20poly1305_state before = s->st;
	crypto_secretstream_xchacha20poly1305_push(&s->st, s->out, &olen, s->buf, s->have, NULL, 0, tag);
	size_t plain = s->have;
	s->have = 0;
	int rc = write_all(s->fd, s->out, (size_t)olen, s->path);
	if (rc == 0) {
		s->good_off += olen;
		s->good_plain += plain;
	} else {
		s->st = before;
	}
	sodium_memzero(&before, sizeof(before));
	return rc;
}

int dv_spool_create(dv_spool **out, const char *path, const uint8_t key[DV_SPOOL_KEY_BYTES])
{
	*out = NULL;
	if (sodium_init() < 0) return dv_error_set(DV_ERROR, NULL, -1, "libsodium failed to initialise");
	dv_spool *s = calloc(1, sizeof(*s));
	if (!s) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		int rc = dv_error_errno(errno, path, -1, "cannot create the sealed spool");
		free(s);
		return rc;
	}
	uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	crypto_secretstream_xchacha20poly1305_init_push(&s->st, header, key);
	int rc = write_all(s->fd, header, sizeof(header), path);
	if (rc < 0) {
		close(s->fd);
		free(s);
		return rc;
	}
	s->good_off = sizeof(header);
	*out = s;
	return 0;
}

int dv_spool_write(dv_spool *s, const void *data, size_t n)
{
	if (s->err) return s->err;
	const uint8_t *p = data;
	while (n) {
		size_t k = CHUNK - s->have < n ? CHUNK - s->have : n;
		memcpy(s->buf + s->have, p, k);
		s->have += k;
		s->total += k;
		p += k;
		n -= k;
		if (s->have == CHUNK && (s->err = push(s, 0)) < 0) return s->err;
	}
	return 0;
}

int dv_spool_close(dv_spool *s, uint64_t *plain_bytes)
{
	int rc = s->err ? s->err : push(s, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	if (rc < 0) {
		/* a write failed (the disk full): keep the whole chunks written,
		 * drop a torn one; what is kept is read back exactly (its size
		 * is known here, not from the disk) */
		int e = errno;
		if (ftruncate(s->fd, (off_t)s->good_off) == 0 && lseek(s->fd, (off_t)s->good_off, SEEK_SET) == (off_t)s->good_off) {
			s->have = 0;
			(void)push(s, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
		}
		errno = e;
	}
	if (close(s->fd) < 0 && rc == 0) rc = dv_error_errno(errno, s->path, -1, "cannot close the sealed spool");
	if (plain_bytes) *plain_bytes = s->good_plain;
	sodium_memzero(&s->st, sizeof(s->st));
	sodium_memzero(s->buf, sizeof(s->buf));
	free(s);
	return rc;
}

static int read_full(int fd, uint8_t *p, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = read(fd, p + *got, n - *got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) return -errno;
		if (r == 0) break;
		*got += (size_t)r;
	}
	return 0;
}

int dv_spool_read(const char *path, const uint8_t key[DV_SPOOL_KEY_BYTES], uint64_t expect,
                  int (*sink)(const uint8_t *data, size_t n, void *payload), void *payload)
{
	if (sodium_init() < 0) return dv_error_set(DV_ERROR, NULL, -1, "libsodium failed to initialise");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, path, -1, "cannot open the sealed spool");
	uint8_t *in = malloc(SEALED), *pl = malloc(CHUNK);
	uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	crypto_secretstream_xchacha20poly1305_state st;
	size_t got;
	int64_t off = 0;
	uint64_t total = 0;
	int rc = in && pl ? 0 : dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	int e;
	if (rc == 0 && ((e = read_full(fd, header, sizeof(header), &got)) < 0 || got != sizeof(header) ||
	                crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key) != 0))
		rc = e < 0 ? dv_error_errno(-e, path, 0, "cannot read the sealed spool")
		           : dv_error_set(DV_ECORRUPT, path, 0, "sealed spool: no valid header");
	off = (int64_t)sizeof(header);
	bool final = false;
	while (rc == 0 && !final) {
		if ((e = read_full(fd, in, SEALED, &got)) < 0) {
			rc = dv_error_errno(-e, path, off, "cannot read the sealed spool");
			break;
		}
		/* the end without a FINAL chunk: a spool whose disk filled up
		 * (even the final chunk did not fit); exactly what the writer
		 * says it kept, or a cut */
		if (got == 0) {
			if (total != expect)
				rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: ends without its final chunk after %llu of %llu bytes (cut)",
				                  (unsigned long long)total, (unsigned long long)expect);
			break;
		}
		unsigned long long plen = 0;
		unsigned char tag = 0;
		if (got < crypto_secretstream_xchacha20poly1305_ABYTES ||
		    crypto_secretstream_xchacha20poly1305_pull(&st, pl, &plen, &tag, in, got, NULL, 0) != 0) {
			rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: a chunk fails authentication (altered, cut or reordered)");
			break;
		}
		final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		if (!final && got != SEALED) {
			rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: a chunk cut short");
			break;
		}
		total += plen;
		if (total > expect) {
			rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: more bytes than the %llu written", (unsigned long long)expect);
			break;
		}
		if (plen && sink && (rc = sink(pl, (size_t)plen, payload)) != 0) break;
		off += (int64_t)got;
	}
	if (rc == 0) {
		uint8_t extra;
		if (read_full(fd, &extra, 1, &got) == 0 && got)
			rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: bytes after its final chunk");
		else if (total != expect)
			rc = dv_error_set(DV_ECORRUPT, path, off, "sealed spool: %llu bytes, %llu were written", (unsigned long long)total,
			                  (unsigned long long)expect);
	}
	sodium_memzero(&st, sizeof(st));
	if (pl) sodium_memzero(pl, CHUNK);
	free(in);
	free(pl);
	close(fd);
	return rc;
}
