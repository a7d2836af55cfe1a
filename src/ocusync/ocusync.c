/*
 * ocusync/ocusync.c - a recording in, frames out (dv/ocusync.h).
 *
 * SigMF: FILE.sigmf-meta names the format and rate; the samples are in
 * core:dataset if it names one, else FILE.sigmf-data, else the file with
 * the same base name and the format's extension (FILE.cf32, ...), as
 * recordings are often shared. Raw files need --iq-format and
 * --sample-rate. The samples are read once, front to back, in 2 MiB
 * chunks.
 */
#include <complex.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/ocusync.h"
#include "ocusync/rx_int.h"
#include "ocusync/sigmf_int.h"

#define MAX_FRAMES 1000000
#define MAX_WARNINGS 1000
#define CHUNK 262144

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

bool dv_ocusync_is_sigmf(const char *path)
{
	return path && (ends_with(path, ".sigmf-meta") || ends_with(path, ".sigmf-data"));
}

void dv_ocusync_result_free(dv_ocusync_result *r)
{
	if (!r) return;
	free(r->frames);
	free(r->warnings);
	free(r);
}

static int add_warning(dv_ocusync_result *r, uint64_t sample, const char *what)
{
	if (r->nwarnings >= MAX_WARNINGS) return 0;
	dv_ocusync_warning *w = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*w));
	if (!w) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	r->warnings = w;
	w[r->nwarnings].sample = sample;
	snprintf(w[r->nwarnings].text, sizeof(w->text), "%s", what);
	r->nwarnings++;
	return 0;
}

static int on_warn(uint64_t sample, const char *what, void *arg) { return add_warning(arg, sample, what); }

static int on_frame(const dv_ocusync_frame *f, void *arg)
{
	dv_ocusync_result *r = arg;
	if (r->nframes >= MAX_FRAMES) return add_warning(r, f->sample, "more than 1000000 frames: the rest not kept");
	if ((r->nframes & (r->nframes - 1)) == 0) {
		size_t cap = r->nframes ? 2 * r->nframes : 1;
		dv_ocusync_frame *n = realloc(r->frames, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		r->frames = n;
	}
	r->frames[r->nframes++] = *f;
	if (f->decoded) r->crc_ok++;
	else r->crc_bad++;
	return 0;
}

static int read_meta(os_sigmf *m, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, path, -1, "cannot open the SigMF metadata");
	char *buf = malloc(OS_META_MAX + 1);
	size_t len = 0;
	if (!buf) {
		close(fd);
		return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, OS_META_MAX + 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return dv_error_errno(e, path, (int64_t)len, "cannot read");
		}
		if (n == 0) break;
		len += (size_t)n;
		if (len > OS_META_MAX) break;
	}
	close(fd);
	int rc = os_sigmf_parse(m, buf, len, path);
	free(buf);
	return rc;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int dv_ocusync_decode(dv_ocusync_result **out, const char *path, const dv_ocusync_opts *o)
{
	*out = NULL;
	dv_ocusync_opts none = { 0 };
	if (!o) o = &none;
	dv_ocusync_result *r = calloc(1, sizeof(*r));
	if (!r) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	snprintf(r->path, sizeof(r->path), "%s", path);
	os_sigmf m;
	memset(&m, 0, sizeof(m));
	int rc = 0;
	if (dv_ocusync_is_sigmf(path)) {
		char base[480], meta[600];
		size_t bl = strlen(path) - strlen(".sigmf-meta");
		if (bl >= sizeof(base)) {
			dv_ocusync_result_free(r);
			return dv_error_set(DV_EINVAL, path, -1, "path too long");
		}
		memcpy(base, path, bl);
		base[bl] = 0;
		snprintf(meta, sizeof(meta), "%s.sigmf-meta", base);
		if ((rc = read_meta(&m, meta)) < 0) {
			dv_ocusync_result_free(r);
			return rc;
		}
		if (m.dataset[0]) {
			const char *sl = strrchr(base, '/');
			int dl = sl ? (int)(sl - base + 1) : 0;
			snprintf(r->data_path, sizeof(r->data_path), "%.*s%s", dl, base, m.dataset);
		} else {
			static const char *const ext[] = { NULL, "cf32", "ci16", "cu8", "ci8" };
			snprintf(r->data_path, sizeof(r->data_path), "%s.sigmf-data", base);
			if (!exists(r->data_path)) snprintf(r->data_path, sizeof(r->data_path), "%s.%s", base, ext[m.fmt]);
		}
		if (!exists(r->data_path)) {
			dv_error_set(DV_ENOTFOUND, meta, -1, "the SigMF data file is missing (looked for %s)", r->data_path);
			dv_ocusync_result_free(r);
			return DV_ENOTFOUND;
		}
		if (o->iq_format && os_iq_format(o->iq_format) != m.fmt) {
			dv_ocusync_result_free(r);
			return dv_error_set(DV_EINVAL, meta, -1, "--iq-format %s contradicts the metadata's %s", o->iq_format, m.datatype);
		}
	} else {
		if (!o->iq_format) {
			dv_ocusync_result_free(r);
			return dv_error_set(DV_EINVAL, path, -1, "a raw IQ recording needs --iq-format (cf32, ci16, cu8, ci8) and --sample-rate");
		}
		m.fmt = os_iq_format(o->iq_format);
		if (m.fmt == OS_IQ_NONE) {
			dv_ocusync_result_free(r);
			return dv_error_set(DV_EINVAL, path, -1, "unknown --iq-format %s (cf32, ci16, cu8, ci8)", o->iq_format);
		}
		snprintf(m.datatype, sizeof(m.datatype), "%s", o->iq_format);
		snprintf(r->data_path, sizeof(r->data_path), "%s", path);
	}
	if (o->sample_rate > 0) m.sample_rate = o->sample_rate;
	if (o->center_freq > 0) m.center_freq = o->center_freq;
	if (!(m.sample_rate > 0)) {
		dv_ocusync_result_free(r);
		return dv_error_set(DV_EINVAL, path, -1, "no sample rate: %s", dv_ocusync_is_sigmf(path)
		                    ? "the SigMF metadata has no core:sample_rate; give --sample-rate HZ"
		                    : "give --sample-rate HZ");
	}
	snprintf(r->datatype, sizeof(r->datatype), "%s", m.datatype);
	r->sample_rate = m.sample_rate;
	r->center_freq = m.center_freq;

	int fd = open(r->data_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = dv_error_errno(errno, r->data_path, -1, "cannot open the samples");
		dv_ocusync_result_free(r);
		return rc;
	}
	struct stat st;
	size_t ss = os_iq_size(m.fmt);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		dv_ocusync_result_free(r);
		return dv_error_set(DV_EINVAL, path, -1, "the samples are not in a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		rc = dv_error_set(DV_ETRUNC, r->data_path, 0, "the data file holds no samples");
		dv_ocusync_result_free(r);
		return rc;
	}
	uint64_t total = (uint64_t)st.st_size / ss;
	if ((uint64_t)st.st_size % ss) add_warning(r, total, "the data file ends in a partial sample (ignored)");
	if (m.declared > total) {
		char msg[160];
		snprintf(msg, sizeof(msg), "the data file is shorter than its metadata declares (%llu of %llu samples)",
		         (unsigned long long)total, (unsigned long long)m.declared);
		add_warning(r, total, msg);
	}
	os_rx *rx;
	if ((rc = os_rx_new(&rx, m.sample_rate, on_frame, on_warn, r)) < 0) {
		close(fd);
		dv_error_prefix("%s: ", path);
		dv_ocusync_result_free(r);
		return rc;
	}
	uint8_t *raw = malloc(CHUNK * ss);
	float complex *cx = malloc(CHUNK * sizeof(float complex));
	if (!raw || !cx) {
		rc = dv_error_set(DV_ENOMEM, path, -1, "out of memory");
		goto out;
	}
	size_t have = 0; /* bytes of raw filled */
	for (;;) {
		ssize_t n = read(fd, raw + have, CHUNK * ss - have);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) {
			rc = dv_error_errno(errno, r->data_path, (int64_t)(r->samples * ss), "cannot read");
			goto out;
		}
		have += (size_t)n;
		size_t ns = have / ss;
		if (n == 0 || ns == CHUNK) {
			os_iq_convert(cx, raw, ns, m.fmt, &r->nan_samples, &r->clipped_samples);
			r->samples += ns;
			if ((rc = os_rx_push(rx, cx, ns)) < 0) goto out;
			memmove(raw, raw + ns * ss, have - ns * ss);
			have -= ns * ss;
		}
		if (n == 0) break;
	}
	if ((rc = os_rx_finish(rx)) < 0) goto out;
	r->candidates = os_rx_candidates(rx);
	if (r->nan_samples) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%llu samples are NaN or infinite (read as 0)", (unsigned long long)r->nan_samples);
		add_warning(r, 0, msg);
	}
	if (r->clipped_samples * 100 > r->samples) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%llu samples at full scale: the receiver was saturated", (unsigned long long)r->clipped_samples);
		add_warning(r, 0, msg);
	}
	if (!r->candidates && os_rx_near_misses(rx)) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%llu bursts of half to twice DroneID's length and none of it: is the sample rate %.0f Hz right?",
		         (unsigned long long)os_rx_near_misses(rx), m.sample_rate);
		add_warning(r, 0, msg);
	}
out:
	free(raw);
	free(cx);
	os_rx_free(rx);
	close(fd);
	if (rc < 0) {
		dv_ocusync_result_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
