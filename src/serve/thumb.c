/*
 * Thumbnails and the EXIF panel of dronevault serve, decoded in the
 * sandboxed reader (dv-reader job "thumb"), never in the process holding
 * the vault's keys. The parent decrypts the photo's first THUMB_IN_MAX
 * bytes (the EXIF APP1 segment is at most 64 KiB and comes first) into a
 * memfd the job reads; the job answers on two outputs: the JPEG's own
 * embedded preview (EXIF IFD1) and a JSON object of the EXIF tags
 * ({"IFD0": {"Make": "DJI", ...}, ...}). The parent checks only sizes and
 * the JPEG start marker and passes both on as bytes: it parses neither.
 */
#include <errno.h>
#include <json-c/json.h>
#include <libexif/exif-data.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dv/blob.h"
#include "dv/err.h"
#include "dv/reader.h"
#include "dv/util.h"
#include "serve/serve_int.h"

#define THUMB_IN_MAX (256u << 10)
#define THUMB_OUT_MAX (128u << 10)
#define EXIF_OUT_MAX (256u << 10)
#define EXIF_MAX_ENTRIES 2000

/* ---- in the reader ---- */
struct exif_walk {
	json_object *ifd;
	unsigned n;
	ExifIfd which;
};

static void on_entry(ExifEntry *e, void *payload)
{
	struct exif_walk *w = payload;
	if (++w->n > EXIF_MAX_ENTRIES) return;
	const char *name = exif_tag_get_name_in_ifd(e->tag, w->which);
	char key[32], val[256];
	if (!name) {
		snprintf(key, sizeof(key), "0x%04x", (unsigned)e->tag);
		name = key;
	}
	if (e->tag == EXIF_TAG_MAKER_NOTE) return; /* vendor binary */
	exif_entry_get_value(e, val, sizeof(val));
	json_object_object_add(w->ifd, name, json_object_new_string(val));
}

static int write_all_fd(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w <= 0) return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int dv_serve_thumb_job(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int in = DV_READER_OUT_FD + 2, out_thumb = DV_READER_OUT_FD, out_exif = DV_READER_OUT_FD + 1;
	unsigned char *buf = malloc(THUMB_IN_MAX);
	if (!buf) return 1;
	size_t n = 0;
	while (n < THUMB_IN_MAX) {
		ssize_t r = read(in, buf + n, THUMB_IN_MAX - n);
		if (r <= 0) break;
		n += (size_t)r;
	}
	ExifData *d = n ? exif_data_new_from_data(buf, (unsigned)n) : NULL;
	json_object *o = json_object_new_object();
	if (d) {
		if (d->data && d->size >= 4 && d->size <= THUMB_OUT_MAX && d->data[0] == 0xFF && d->data[1] == 0xD8)
			write_all_fd(out_thumb, d->data, d->size);
		for (int i = 0; i < EXIF_IFD_COUNT; i++) {
			if (!d->ifd[i] || !d->ifd[i]->count) continue;
			struct exif_walk w = { json_object_new_object(), 0, (ExifIfd)i };
			exif_content_foreach_entry(d->ifd[i], on_entry, &w);
			static const char *const names[EXIF_IFD_COUNT] = { "IFD0", "IFD1", "EXIF", "GPS", "Interoperability" };
			json_object_object_add(o, names[i], w.ifd);
		}
		exif_data_unref(d);
	}
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (len <= EXIF_OUT_MAX) write_all_fd(out_exif, s, len);
	json_object_put(o);
	free(buf);
	close(out_thumb);
	close(out_exif);
	return 0;
}

/* ---- in the server ---- */
struct prefix {
	int fd;
	int rc;
};

static int to_memfd(const uint8_t *data, size_t n, void *payload)
{
	struct prefix *p = payload;
	if (write_all_fd(p->fd, data, n) < 0) p->rc = dv_error_errno(errno, NULL, -1, "memfd write");
	return p->rc;
}

int dv_serve_thumb(uint8_t **thumb, size_t *thumb_len, char **exif, size_t *exif_len, dv_blobstore *bs,
                   const char *blob, uint64_t size)
{
	*thumb = NULL;
	*exif = NULL;
	*thumb_len = *exif_len = 0;
	int fd = memfd_create("dv-serve-photo", MFD_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, NULL, -1, "memfd_create");
	struct prefix p = { fd, 0 };
	uint64_t want = size < THUMB_IN_MAX ? size : THUMB_IN_MAX;
	int rc = want ? dv_blob_read_range(NULL, bs, blob, 0, want, to_memfd, &p) : 0;
	if (rc == 0) rc = p.rc;
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0) rc = dv_error_errno(errno, NULL, -1, "memfd seek");
	if (rc < 0) {
		close(fd);
		return rc;
	}
	dv_reader_io io;
	memset(&io, 0, sizeof(io));
	io.nout = 2;
	io.out_max = EXIF_OUT_MAX;
	io.in_fd = fd;
	char *argv[] = { (char *)"thumb", NULL };
	int code = 0;
	rc = dv_reader_run_io("thumb", 1, argv, &io, &code);
	if (io.in_fd > 0) close(io.in_fd);
	if (rc == 0 && code != 0) rc = dv_error_set(DV_ERROR, NULL, -1, "the reader's thumbnail job failed (%d)", code);
	if (rc == 0) {
		dv_reader_out *t = &io.out[0], *e = &io.out[1];
		if (t->len >= 4 && t->len <= THUMB_OUT_MAX && t->data[0] == 0xFF && t->data[1] == 0xD8) {
			*thumb = t->data;
			*thumb_len = t->len;
			t->data = NULL;
		}
		if (e->len > 0 && e->len <= EXIF_OUT_MAX) {
			*exif = malloc(e->len + 1);
			if (*exif) {
				memcpy(*exif, e->data, e->len);
				(*exif)[e->len] = '\0';
				*exif_len = e->len;
			}
		}
	}
	dv_reader_io_dispose(&io);
	return rc;
}
