/*
 * Thumbnails, the EXIF panel and the XMP panel of dronevault serve, decoded
 * in the sandboxed reader (dv-reader job "thumb"), never in the process
 * holding the vault's keys.
 *
 * The parent decrypts a photo's first THUMB_IN_MAX bytes (the EXIF APP1
 * segment is at most 64 KiB and comes first, the XMP packet after it) and
 * sends them to the job as one frame: u32be length, the bytes. The job
 * answers each frame with one question to the parent (dv_reader_ask), JSON
 * {"thumb": base64 of the JPEG's own embedded preview (EXIF IFD1) or
 * absent, "exif": {"IFD0": {"Make": "DJI", ...}, ...}, "xmp":
 * {"drone-dji:GimbalPitchDegree": "-90.0", ...}} and reads the next frame,
 * until its input ends.
 *
 * One job serves the whole life of the server (dv_serve_thumbs: a thread
 * of its own runs it; a request hands it a frame and waits for the
 * answer), so a cold thumbnail costs a decode, not a process. A job that
 * dies (a photo that crashed the decoder) is started again for the next
 * request; one that does not answer within THUMB_WAIT_S is given up, and
 * from then on every photo gets a job of its own (its input a memfd).
 * The parent checks sizes, the base64 and the JPEG start marker and
 * re-serialises the two JSON objects; it decodes no photo byte itself.
 */
#include <errno.h>
#include <json-c/json.h>
#include <libexif/exif-data.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dv/blob.h"
#include "dv/err.h"
#include "dv/reader.h"
#include "dv/util.h"
#include "serve/serve_int.h"
#include "telemetry/photo_int.h"

#define THUMB_IN_MAX (256u << 10)
#define THUMB_OUT_MAX (128u << 10)
#define EXIF_OUT_MAX (256u << 10)
#define XMP_OUT_MAX (256u << 10)
#define EXIF_MAX_ENTRIES 2000
#define ANSWER_MAX (1u << 20)      /* one answer of the job (base64 preview and both panels) */
#define THUMB_WAIT_S 20            /* a job that takes longer is given up */
#define THUMB_RESTARTS 100         /* jobs started again after dying, then one job per photo */

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

static int read_full(int fd, void *p, size_t n)
{
	unsigned char *b = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		got += (size_t)r;
	}
	return got == n ? 0 : got == 0 ? 1 : -1;
}

/* one photo prefix -> the answer object */
static json_object *decode_photo(const unsigned char *buf, size_t n)
{
	json_object *o = json_object_new_object(), *ex = json_object_new_object(), *xo = json_object_new_object();
	ExifData *d = n ? exif_data_new_from_data(buf, (unsigned)n) : NULL;
	if (d) {
		if (d->data && d->size >= 4 && d->size <= THUMB_OUT_MAX && d->data[0] == 0xFF && d->data[1] == 0xD8) {
			size_t bl = sodium_base64_ENCODED_LEN(d->size, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(bl);
			if (b64) {
				sodium_bin2base64(b64, bl, d->data, d->size, sodium_base64_VARIANT_ORIGINAL);
				json_object_object_add(o, "thumb", json_object_new_string(b64));
				free(b64);
			}
		}
		for (int i = 0; i < EXIF_IFD_COUNT; i++) {
			if (!d->ifd[i] || !d->ifd[i]->count) continue;
			struct exif_walk w = { json_object_new_object(), 0, (ExifIfd)i };
			exif_content_foreach_entry(d->ifd[i], on_entry, &w);
			static const char *const names[EXIF_IFD_COUNT] = { "IFD0", "IFD1", "EXIF", "GPS", "Interoperability" };
			json_object_object_add(ex, names[i], w.ifd);
		}
		exif_data_unref(d);
	}
	/* the DJI XMP packet: the project's bounded JPEG walker and XMP reader */
	dv_photo ph;
	memset(&ph, 0, sizeof(ph));
	if (n && dv_photo_parse_mem(&ph, buf, n, "photo") >= 0 && ph.has_xmp) {
		for (size_t i = 0; i < ph.xmp.n_props; i++) {
			char key[96];
			snprintf(key, sizeof(key), "%s:%s", ph.xmp.props[i].ns, ph.xmp.props[i].name);
			json_object_object_add(xo, key, json_object_new_string(ph.xmp.props[i].value ? ph.xmp.props[i].value : ""));
		}
	}
	dv_photo_dispose(&ph);
	json_object_object_add(o, "exif", ex);
	json_object_object_add(o, "xmp", xo);
	return o;
}

int dv_serve_thumb_job(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int in = DV_READER_OUT_FD; /* no outputs: the input comes first */
	unsigned char *buf = malloc(THUMB_IN_MAX);
	if (!buf) return 1;
	int rc = 0;
	for (;;) {
		unsigned char h[4];
		int r = read_full(in, h, 4);
		if (r == 1) break; /* the parent is done */
		uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		if (r < 0 || len > THUMB_IN_MAX || (len && read_full(in, buf, len) != 0)) {
			rc = 1;
			break;
		}
		json_object *o = decode_photo(buf, len);
		size_t jl;
		const char *js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &jl);
		if (!js || jl > ANSWER_MAX) {
			/* too much to say: the panels are dropped, never cut */
			json_object_put(o);
			o = json_object_new_object();
			js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &jl);
		}
		char *reply = NULL;
		int ar = dv_reader_ask(js, &reply);
		free(reply);
		json_object_put(o);
		if (ar < 0) {
			rc = 1;
			break;
		}
	}
	free(buf);
	return rc;
}

/* ---- in the server ---- */
void dv_serve_meta_free(dv_serve_meta *m)
{
	if (!m) return;
	if (m->thumb) sodium_memzero(m->thumb, m->thumb_len);
	free(m->thumb);
	free(m->exif);
	free(m->xmp);
	memset(m, 0, sizeof(*m));
}

static char *dup_object(json_object *parent, const char *key, size_t max, size_t *len)
{
	json_object *o;
	*len = 0;
	if (!json_object_object_get_ex(parent, key, &o) || !json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) == 0)
		return NULL;
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	if (!s || n > max) return NULL;
	char *c = malloc(n + 1);
	if (c) {
		memcpy(c, s, n + 1);
		*len = n;
	}
	return c;
}

/* the job's answer (hostile: a reader may be compromised) -> *out */
static int take_answer(dv_serve_meta *out, const char *q, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (len > ANSWER_MAX) return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: a thumbnail answer of %zu bytes", len);
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = tok ? json_tokener_parse_ex(tok, q, (int)len) : NULL;
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success && json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the thumbnail answer is not a JSON object");
	}
	json_object *t;
	if (json_object_object_get_ex(o, "thumb", &t) && json_object_is_type(t, json_type_string)) {
		const char *b64 = json_object_get_string(t);
		size_t bl = (size_t)json_object_get_string_len(t), n = 0;
		uint8_t *bin = bl <= sodium_base64_ENCODED_LEN(THUMB_OUT_MAX, sodium_base64_VARIANT_ORIGINAL) ? malloc(THUMB_OUT_MAX) : NULL;
		if (bin && sodium_base642bin(bin, THUMB_OUT_MAX, b64, bl, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    n >= 4 && bin[0] == 0xFF && bin[1] == 0xD8) {
			out->thumb = bin;
			out->thumb_len = n;
		} else {
			free(bin);
		}
	}
	out->exif = dup_object(o, "exif", EXIF_OUT_MAX, &out->exif_len);
	out->xmp = dup_object(o, "xmp", XMP_OUT_MAX, &out->xmp_len);
	json_object_put(o);
	return 0;
}

struct dv_serve_thumbs {
	pthread_mutex_t req;      /* one request at a time */
	pthread_mutex_t mu;       /* the fields below */
	pthread_cond_t cv;
	pthread_t th;
	bool joinable, running, given_up;
	unsigned starts;
	int fd;                   /* our end of the job's input */
	uint64_t asked, answered; /* frames sent, answers taken */
	bool have;                /* an answer waits in res */
	int res_rc;
	dv_serve_meta res;
	uint64_t jobs;            /* reader processes started (for tests and the bench) */
};

static int on_ask(void *ctx, const char *q, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)outs;
	dv_serve_thumbs *t = ctx;
	dv_serve_meta m;
	int rc = take_answer(&m, q, len);
	pthread_mutex_lock(&t->mu);
	if (t->answered + 1 != t->asked) rc = rc < 0 ? rc : dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: an answer nobody asked for");
	if (rc == 0) {
		dv_serve_meta_free(&t->res);
		t->res = m;
		t->have = true;
		t->answered++;
	} else {
		dv_serve_meta_free(&m);
	}
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (rc < 0) return rc; /* ends the job */
	*reply = malloc(3);
	if (!*reply) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	memcpy(*reply, "{}", 3);
	return 0;
}

struct thread_arg {
	dv_serve_thumbs *t;
	int child_fd;
};

static void *thumbs_thread(void *arg)
{
	struct thread_arg a = *(struct thread_arg *)arg;
	free(arg);
	dv_reader_io io;
	memset(&io, 0, sizeof(io));
	io.nout = 0;
	io.ask = on_ask;
	io.ctx = a.t;
	io.in_fd = a.child_fd;
	char *argv[] = { (char *)"thumb", NULL };
	int code = 0;
	dv_reader_run_io("thumb", 1, argv, &io, &code);
	if (io.in_fd > 0) close(io.in_fd);
	dv_reader_io_dispose(&io);
	pthread_mutex_lock(&a.t->mu);
	a.t->running = false;
	pthread_cond_broadcast(&a.t->cv);
	pthread_mutex_unlock(&a.t->mu);
	return NULL;
}

int dv_serve_thumbs_new(dv_serve_thumbs **out)
{
	*out = NULL;
	dv_serve_thumbs *t = calloc(1, sizeof(*t));
	if (!t) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	t->fd = -1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int e = pthread_mutex_init(&t->req, NULL);
	if (!e && (e = pthread_mutex_init(&t->mu, NULL)) != 0) pthread_mutex_destroy(&t->req);
	if (!e && (e = pthread_cond_init(&t->cv, &ca)) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_mutex_destroy(&t->req);
	}
	pthread_condattr_destroy(&ca);
	if (e) {
		free(t);
		return dv_error_set(DV_ENOMEM, NULL, -1, "cannot make the thumbnail reader's locks");
	}
	*out = t;
	return 0;
}

uint64_t dv_serve_thumbs_jobs(dv_serve_thumbs *t)
{
	if (!t) return 0;
	pthread_mutex_lock(&t->mu);
	uint64_t n = t->jobs;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* the job ended: join its thread (t->mu not held) */
static void reap(dv_serve_thumbs *t)
{
	pthread_mutex_lock(&t->mu);
	bool join = t->joinable && !t->running;
	if (join) t->joinable = false;
	pthread_mutex_unlock(&t->mu);
	if (join) {
		pthread_join(t->th, NULL);
		if (t->fd >= 0) close(t->fd);
		t->fd = -1;
	}
}

static int start_job(dv_serve_thumbs *t)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return dv_error_errno(errno, NULL, -1, "socketpair");
	struct thread_arg *a = malloc(sizeof(*a));
	if (!a) {
		close(sv[0]);
		close(sv[1]);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	a->t = t;
	a->child_fd = sv[1];
	pthread_mutex_lock(&t->mu);
	t->running = true;
	t->asked = t->answered = 0;
	t->have = false;
	t->starts++;
	t->jobs++;
	pthread_mutex_unlock(&t->mu);
	if (pthread_create(&t->th, NULL, thumbs_thread, a) != 0) {
		free(a);
		close(sv[0]);
		close(sv[1]);
		pthread_mutex_lock(&t->mu);
		t->running = false;
		pthread_mutex_unlock(&t->mu);
		return dv_error_set(DV_ENOMEM, NULL, -1, "cannot start the thumbnail reader's thread");
	}
	t->joinable = true;
	t->fd = sv[0];
	return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* one photo through the long-lived job: 1 when it cannot be used (given up),
 * 2 when the job was gone before it got the photo (start another) */
static int via_job_once(dv_serve_meta *out, dv_serve_thumbs *t, const uint8_t *frame, size_t n)
{
	reap(t);
	pthread_mutex_lock(&t->mu);
	bool given_up = t->given_up, running = t->running;
	pthread_mutex_unlock(&t->mu);
	if (given_up) return 1;
	if (!running) {
		if (t->starts >= THUMB_RESTARTS) {
			pthread_mutex_lock(&t->mu);
			t->given_up = true;
			pthread_mutex_unlock(&t->mu);
			return 1;
		}
		int rc = start_job(t);
		if (rc < 0) return rc;
	}
	pthread_mutex_lock(&t->mu);
	t->asked++;
	pthread_mutex_unlock(&t->mu);
	if (send_all(t->fd, frame, n) < 0) {
		/* the job was gone (killed, or ended) before this photo: wait for its
		 * thread to see it, bounded */
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += THUMB_WAIT_S;
		pthread_mutex_lock(&t->mu);
		while (t->running)
			if (pthread_cond_timedwait(&t->cv, &t->mu, &until) == ETIMEDOUT) break;
		bool ended = !t->running;
		if (!ended) t->given_up = true;
		pthread_mutex_unlock(&t->mu);
		return ended ? 2 : 1;
	}
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += THUMB_WAIT_S;
	int rc = 0;
	pthread_mutex_lock(&t->mu);
	while (!t->have && t->running) {
		if (pthread_cond_timedwait(&t->cv, &t->mu, &until) == ETIMEDOUT) break;
	}
	if (t->have) {
		*out = t->res;
		memset(&t->res, 0, sizeof(t->res));
		t->have = false;
	} else if (t->running) {
		/* it hangs on this photo: no more long-lived jobs (the stuck one ends
		 * when its input is shut) */
		t->given_up = true;
		shutdown(t->fd, SHUT_RDWR);
		rc = dv_error_set(DV_EIO, "reader", -1, "the thumbnail reader did not answer within %d s", THUMB_WAIT_S);
	} else {
		rc = dv_error_set(DV_EIO, "reader", -1, "the thumbnail reader ended on this photo");
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static int via_job(dv_serve_meta *out, dv_serve_thumbs *t, const uint8_t *frame, size_t n)
{
	int rc = via_job_once(out, t, frame, n);
	if (rc == 2) rc = via_job_once(out, t, frame, n);
	if (rc == 2) rc = dv_error_set(DV_EIO, "reader", -1, "the thumbnail reader ended before it got the photo");
	return rc;
}

/* one photo, one job of its own: its input a memfd holding the frame */
static int via_own_job(dv_serve_meta *out, dv_serve_thumbs *t, const uint8_t *frame, size_t n)
{
	int fd = memfd_create("dv-serve-photo", MFD_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, NULL, -1, "memfd_create");
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, frame + done, n - done);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) {
			close(fd);
			return dv_error_errno(errno, NULL, -1, "memfd write");
		}
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return dv_error_errno(errno, NULL, -1, "memfd seek");
	}
	dv_serve_thumbs own;
	memset(&own, 0, sizeof(own));
	pthread_mutex_init(&own.mu, NULL);
	pthread_cond_init(&own.cv, NULL);
	own.asked = 1;
	dv_reader_io io;
	memset(&io, 0, sizeof(io));
	io.ask = on_ask;
	io.ctx = &own;
	io.in_fd = fd;
	char *argv[] = { (char *)"thumb", NULL };
	int code = 0;
	int rc = dv_reader_run_io("thumb", 1, argv, &io, &code);
	if (io.in_fd > 0) close(io.in_fd);
	dv_reader_io_dispose(&io);
	if (t) {
		pthread_mutex_lock(&t->mu);
		t->jobs++;
		pthread_mutex_unlock(&t->mu);
	}
	if (rc == 0 && code != 0) rc = dv_error_set(DV_ERROR, NULL, -1, "the reader's thumbnail job failed (%d)", code);
	if (rc == 0 && !own.have) rc = dv_error_set(DV_ECORRUPT, "reader", -1, "the thumbnail job gave no answer");
	if (rc == 0) *out = own.res;
	else dv_serve_meta_free(&own.res);
	pthread_cond_destroy(&own.cv);
	pthread_mutex_destroy(&own.mu);
	return rc;
}

void dv_serve_thumbs_free(dv_serve_thumbs *t)
{
	if (!t) return;
	pthread_mutex_lock(&t->mu);
	bool stuck = t->given_up && t->running;
	pthread_mutex_unlock(&t->mu);
	if (t->fd >= 0) shutdown(t->fd, SHUT_RDWR); /* the job reads its end: done */
	if (stuck) {
		/* a job that hangs is not waited for; its thread still uses t */
		if (t->joinable) pthread_detach(t->th);
		return;
	}
	if (t->joinable) pthread_join(t->th, NULL);
	if (t->fd >= 0) close(t->fd);
	dv_serve_meta_free(&t->res);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	pthread_mutex_destroy(&t->req);
	free(t);
}

struct prefix {
	uint8_t *buf;
	size_t n;
};

static int to_buf(const uint8_t *data, size_t n, void *payload)
{
	struct prefix *p = payload;
	if (n > THUMB_IN_MAX - p->n) n = THUMB_IN_MAX - p->n;
	memcpy(p->buf + 4 + p->n, data, n);
	p->n += n;
	return 0;
}

int dv_serve_thumb(dv_serve_meta *out, dv_serve_thumbs *t, dv_blobstore *bs, const char *blob, uint64_t size)
{
	memset(out, 0, sizeof(*out));
	uint64_t want = size < THUMB_IN_MAX ? size : THUMB_IN_MAX;
	struct prefix p = { malloc(4 + THUMB_IN_MAX), 0 };
	if (!p.buf) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	int rc = want ? dv_blob_read_range(NULL, bs, blob, 0, want, to_buf, &p) : 0;
	if (rc < 0) {
		sodium_memzero(p.buf, 4 + THUMB_IN_MAX);
		free(p.buf);
		return rc;
	}
	p.buf[0] = (uint8_t)(p.n >> 24);
	p.buf[1] = (uint8_t)(p.n >> 16);
	p.buf[2] = (uint8_t)(p.n >> 8);
	p.buf[3] = (uint8_t)p.n;
	rc = 1;
	if (t) {
		pthread_mutex_lock(&t->req);
		rc = via_job(out, t, p.buf, 4 + p.n);
		pthread_mutex_unlock(&t->req);
	}
	if (rc == 1) rc = via_own_job(out, t, p.buf, 4 + p.n);
	sodium_memzero(p.buf, 4 + THUMB_IN_MAX);
	free(p.buf);
	return rc;
}
