/*
 * video.c - the libavformat glue of dv/video.h. The demuxer reads through
 * custom AVIO callbacks (pread on our fd, or a memory buffer), so
 * libavformat never opens a URL or protocol itself; the format is pinned
 * to the MOV/MP4 demuxer.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/telemetry.h"
#include "telemetry/video_int.h"
#include "tele_int.h"

#define AVIO_BUF 32768

typedef struct vsrc {
	int fd;
	const uint8_t *mem;
	int64_t len;
	int64_t pos;
} vsrc;

static int vread(void *opaque, uint8_t *buf, int n)
{
	vsrc *s = opaque;
	if (s->pos >= s->len) return AVERROR_EOF;
	int64_t left = s->len - s->pos;
	if (n > left) n = (int)left;
	if (s->fd >= 0) {
		ssize_t r;
		do r = pread(s->fd, buf, (size_t)n, s->pos);
		while (r < 0 && errno == EINTR);
		if (r < 0) return AVERROR(EIO);
		if (r == 0) return AVERROR_EOF;
		n = (int)r;
	} else {
		memcpy(buf, s->mem + s->pos, (size_t)n);
	}
	s->pos += n;
	return n;
}

static int64_t vseek(void *opaque, int64_t off, int whence)
{
	vsrc *s = opaque;
	if (whence & AVSEEK_SIZE) return s->len;
	whence &= ~AVSEEK_FORCE;
	int64_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->len : 0;
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return AVERROR(EINVAL);
	s->pos = base + off;
	return s->pos;
}

/*
 * FFmpeg is loaded on first use, not linked: libavformat brings about a
 * hundred shared libraries (some 27 MB resident at start-up), and only MP4
 * inspection needs them. Every other command, ingest included, starts
 * without them. The headers give the types; this table the functions.
 */
#define DV_AV_FUNCS(X)                                                              \
	X(avutil, av_log_set_level) X(avutil, av_dict_get) X(avutil, av_malloc)        \
	X(avutil, av_freep) X(avutil, av_free) X(avutil, av_dict_set)                  \
	X(avutil, av_dict_free) X(avutil, av_strerror)                                 \
	X(avformat, avformat_alloc_context) X(avformat, avio_alloc_context)            \
	X(avformat, avio_context_free) X(avformat, avformat_free_context)              \
	X(avformat, av_find_input_format) X(avformat, avformat_open_input)             \
	X(avformat, avformat_close_input) X(avcodec, avcodec_get_name)

static struct {
#define X(lib, fn) __typeof__(&fn) fn;
	DV_AV_FUNCS(X)
#undef X
} av;
static bool av_loaded;
static char av_missing[160];

#define STR_(x) #x
#define STR(x) STR_(x)

static void av_load(void)
{
	static const char *const sonames[3] = {
		"libavutil.so." STR(LIBAVUTIL_VERSION_MAJOR),
		"libavformat.so." STR(LIBAVFORMAT_VERSION_MAJOR),
		"libavcodec.so." STR(LIBAVCODEC_VERSION_MAJOR),
	};
	void *h[3];
	for (int i = 0; i < 3; i++)
		if (!(h[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL))) {
			snprintf(av_missing, sizeof(av_missing), "%s", sonames[i]);
			return;
		}
	enum { avutil = 0, avformat = 1, avcodec = 2 };
#define X(lib, fn)                                                           \
	if (!(*(void **)&av.fn = dlsym(h[lib], #fn))) {                      \
		snprintf(av_missing, sizeof(av_missing), "%s in %s", #fn, sonames[lib]); \
		return;                                                      \
	}
	DV_AV_FUNCS(X)
#undef X
	av.av_log_set_level(AV_LOG_QUIET); /* the library reports through dv_error, not stderr */
	av_loaded = true;
}

static pthread_once_t av_once = PTHREAD_ONCE_INIT;

/* From here on the calls below go through the table. */
#define av_dict_get (*av.av_dict_get)
#define av_malloc (*av.av_malloc)
#define av_freep (*av.av_freep)
#define av_free (*av.av_free)
#define av_dict_set (*av.av_dict_set)
#define av_dict_free (*av.av_dict_free)
#define av_strerror (*av.av_strerror)
#define avformat_alloc_context (*av.avformat_alloc_context)
#define avio_alloc_context (*av.avio_alloc_context)
#define avio_context_free (*av.avio_context_free)
#define avformat_free_context (*av.avformat_free_context)
#define av_find_input_format (*av.av_find_input_format)
#define avformat_open_input (*av.avformat_open_input)
#define avformat_close_input (*av.avformat_close_input)
#define avcodec_get_name (*av.avcodec_get_name)

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool dv_iso6709_parse(const char *s, double *lat, double *lon, double *alt)
{
	*lat = *lon = *alt = NAN;
	if (!s) return false;
	const char *end = s + strlen(s), *next;
	double v[3];
	int n = 0;
	const char *q = s;
	while (n < 3 && q < end && (*q == '+' || *q == '-')) {
		if (!dv__num_parse(q, end, &v[n], &next) || next == q) return false;
		n++;
		q = next;
	}
	if (n < 2 || fabs(v[0]) > 90 || fabs(v[1]) > 180 || (v[0] == 0 && v[1] == 0)) return false;
	*lat = v[0];
	*lon = v[1];
	if (n == 3) *alt = v[2];
	return true;
}

/* "2021-12-25T12:27:52.000000Z" -> microseconds */
static bool parse_iso(const char *s, int64_t *out)
{
	if (strlen(s) < 19) return false;
	static const int pos[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
	int v[6] = { 0 };
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < len[k]; i++) {
			if (!is_digit(s[pos[k] + i])) return false;
			v[k] = v[k] * 10 + (s[pos[k] + i] - '0');
		}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return false;
	int64_t us = ((dv_telemetry_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * 24 + v[3]) * 60 + v[4]) * 60 + v[5];
	us *= 1000000;
	if (s[19] == '.') {
		int64_t scale = 100000;
		for (const char *q = s + 20; is_digit(*q) && scale; q++, scale /= 10) us += (*q - '0') * scale;
	}
	*out = us;
	return true;
}

static void tag(AVDictionary *m, const char *key, char *out, size_t size)
{
	AVDictionaryEntry *e = av_dict_get(m, key, NULL, 0);
	if (e && e->value && !out[0]) snprintf(out, size, "%s", e->value);
}

static int parse(dv_video *out, vsrc *s, const char *name)
{
	pthread_once(&av_once, av_load);
	if (!av_loaded)
		return dv_error_set(DV_EUNSUPPORTED, name, -1,
		                    "reading MP4/MOV metadata needs FFmpeg's libraries (%s not found: apt-get install libavformat59)",
		                    av_missing);
	int rc = 0;
	AVFormatContext *fc = avformat_alloc_context();
	uint8_t *iobuf = av_malloc(AVIO_BUF);
	AVIOContext *io = iobuf ? avio_alloc_context(iobuf, AVIO_BUF, 0, s, vread, NULL, vseek) : NULL;
	if (!fc || !io) {
		if (io) av_freep(&io->buffer);
		else av_free(iobuf);
		avio_context_free(&io);
		avformat_free_context(fc);
		return dv_error_set(DV_ENOMEM, name, -1, "cannot allocate the demuxer");
	}
	fc->pb = io;
	fc->flags |= AVFMT_FLAG_CUSTOM_IO;
	const AVInputFormat *mov = av_find_input_format("mov");
	AVDictionary *opts = NULL;
	av_dict_set(&opts, "format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2", 0);
	av_dict_set(&opts, "protocol_whitelist", "none", 0);
	int ar = avformat_open_input(&fc, NULL, mov, &opts); /* frees fc on failure */
	av_dict_free(&opts);
	if (ar < 0) {
		char msg[128];
		av_strerror(ar, msg, sizeof(msg));
		rc = dv_error_set(DV_EINVAL, name, -1, "not a readable MP4/MOV: %s", msg);
		goto out;
	}
	tag(fc->metadata, "major_brand", out->major_brand, sizeof(out->major_brand));
	tag(fc->metadata, "encoder", out->encoder, sizeof(out->encoder));
	tag(fc->metadata, "com.apple.quicktime.make", out->make, sizeof(out->make));
	tag(fc->metadata, "com.apple.quicktime.model", out->model, sizeof(out->model));
	tag(fc->metadata, "creation_time", out->creation_time, sizeof(out->creation_time));
	tag(fc->metadata, "location", out->location, sizeof(out->location));
	tag(fc->metadata, "com.apple.quicktime.location.ISO6709", out->location, sizeof(out->location));
	if (out->creation_time[0] && parse_iso(out->creation_time, &out->time_us)) out->time_kind = DV_TIME_UTC;
	out->has_pos = dv_iso6709_parse(out->location, &out->lat, &out->lon, &out->alt);
	if (fc->duration != AV_NOPTS_VALUE && fc->duration > 0) out->duration_ms = fc->duration / 1000;
	out->streams = fc->nb_streams;
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		AVStream *st = fc->streams[i];
		if (!st->codecpar || st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
		snprintf(out->codec, sizeof(out->codec), "%s", avcodec_get_name(st->codecpar->codec_id));
		out->width = st->codecpar->width;
		out->height = st->codecpar->height;
		if (st->avg_frame_rate.den > 0 && st->avg_frame_rate.num > 0)
			out->fps = (double)st->avg_frame_rate.num / st->avg_frame_rate.den;
		if (out->duration_ms < 0 && st->duration > 0 && st->time_base.den > 0 && st->time_base.num > 0) {
			double ms = (double)st->duration * st->time_base.num * 1000 / st->time_base.den;
			if (ms < 9e15) out->duration_ms = (int64_t)ms; /* hostile time bases: no overflow */
		}
		tag(st->metadata, "creation_time", out->creation_time, sizeof(out->creation_time));
		break;
	}
	if (out->time_kind == DV_TIME_NONE && out->creation_time[0] && parse_iso(out->creation_time, &out->time_us))
		out->time_kind = DV_TIME_UTC;
	avformat_close_input(&fc);
out:
	/* custom I/O: the context and its buffer are ours to free */
	av_freep(&io->buffer);
	avio_context_free(&io);
	return rc;
}

static void init(dv_video *v)
{
	memset(v, 0, sizeof(*v));
	v->duration_ms = -1;
	v->fps = v->lat = v->lon = v->alt = NAN;
}

int dv_video_parse_mem(dv_video *out, const void *buf, size_t len, const char *name)
{
	init(out);
	vsrc s = { -1, buf, (int64_t)len, 0 };
	out->size = (int64_t)len;
	return parse(out, &s, name ? name : "");
}

int dv_video_read_file(dv_video *out, const char *path)
{
	init(out);
	int fd = dv__open_regular(path);
	if (fd < 0) return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return dv_error_errno(e, path, -1, "cannot stat");
	}
	vsrc s = { fd, NULL, st.st_size, 0 };
	out->size = st.st_size;
	int rc = parse(out, &s, path);
	close(fd);
	return rc;
}

bool dv_video_sidecar(const char *video_path, char *buf, size_t size)
{
	const char *dot = strrchr(video_path, '.'), *slash = strrchr(video_path, '/');
	size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - video_path) : strlen(video_path);
	static const char *exts[] = { ".SRT", ".srt" };
	for (int i = 0; i < 2; i++) {
		if (stem + 5 > size) return false;
		memcpy(buf, video_path, stem);
		memcpy(buf + stem, exts[i], 5);
		if (access(buf, R_OK) == 0) return true;
	}
	buf[0] = 0;
	return false;
}
