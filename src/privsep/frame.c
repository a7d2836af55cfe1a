/* The reader protocol's framing and message bodies (privsep/privsep_int.h). */
#include "privsep/privsep_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dv/err.h"

/* ---- the phases: what the child may say when ------------------------------------- */
#define ERR_RULE { DV_MSG_ERROR, DV_MSG_ONCE, 3 * DV_MSG_STR_MAX }

static const dv_msg_rule hello_rules[] = { { DV_MSG_HELLO, DV_MSG_ONCE, 8 }, ERR_RULE };
static const dv_msg_rule open_rules[] = { { DV_MSG_INFO, DV_MSG_ONCE, 3 * (2 + 255) + 8 + 5 * (2 + 64) }, ERR_RULE };
static const dv_msg_rule list_rules[] = {
	{ DV_MSG_FILE, 0, 2 + DV_MSG_STR_MAX + 5 * 8 + 4 },
	{ DV_MSG_FILE_FAILED, 0, 2 * (2 + DV_MSG_STR_MAX) },
	{ DV_MSG_RECOVERY, 0, 9 },
	{ DV_MSG_LIST_END, DV_MSG_ONCE, 16 },
	ERR_RULE,
};
static const dv_msg_rule read_rules[] = {
	{ DV_MSG_DATA, 0, DV_CHUNK_MAX },
	{ DV_MSG_DATA_REF, 0, 8 },
	{ DV_MSG_FILE_FD, DV_MSG_ONCE, 0 },
	{ DV_MSG_TELEMETRY, DV_MSG_ONCE, DV_FRAME_MAX },
	{ DV_MSG_FILE_END, DV_MSG_ONCE, 1 + 2 + DV_MSG_STR_MAX },
	ERR_RULE,
};
static const dv_msg_rule extract_rules[] = {
	{ DV_MSG_TELEMETRY, DV_MSG_ONCE, DV_FRAME_MAX },
	{ DV_MSG_FILE_END, DV_MSG_ONCE, 1 + 2 + DV_MSG_STR_MAX },
	ERR_RULE,
};
#define PHASE(n, r) { n, r, sizeof(r) / sizeof(r[0]) }
const dv_phase dv_phase_hello = PHASE("hello", hello_rules);
const dv_phase dv_phase_open = PHASE("open", open_rules);
const dv_phase dv_phase_list = PHASE("listing", list_rules);
const dv_phase dv_phase_read = PHASE("reading", read_rules);
const dv_phase dv_phase_extract = PHASE("extracting", extract_rules);

int dv_frame_check(const uint8_t hdr[DV_FRAME_HDR], const dv_phase *ph, uint32_t *seen_once, uint64_t offset,
                   uint8_t *type, uint32_t *len)
{
	dv_rd r = dv_rd_init(hdr, DV_FRAME_HDR, "reader", (int64_t)offset);
	uint32_t n;
	uint8_t t;
	if (dv_rd_u32be(&r, &n) < 0 || dv_rd_u8(&r, &t) < 0) return DV_ECORRUPT;
	const dv_msg_rule *rule = NULL;
	for (size_t i = 0; i < ph->n; i++)
		if (ph->rules[i].type == t) rule = &ph->rules[i];
	if (!rule)
		return dv_error_set(DV_ECORRUPT, "reader", (int64_t)offset,
		                    "protocol fault: message type %u is not allowed while %s", t, ph->name);
	if (n > rule->max_len)
		return dv_error_set(DV_ECORRUPT, "reader", (int64_t)offset,
		                    "protocol fault: message type %u of %u bytes (at most %u while %s)", t, n,
		                    rule->max_len, ph->name);
	if (rule->flags & DV_MSG_ONCE) {
		uint32_t bit = 1u << (t & 31);
		if (*seen_once & bit)
			return dv_error_set(DV_ECORRUPT, "reader", (int64_t)offset,
			                    "protocol fault: message type %u twice while %s", t, ph->name);
		*seen_once |= bit;
	}
	*type = t;
	*len = n;
	return 0;
}

/* ---- the parent's channel ---------------------------------------------------------- */
void dv_chan_init(dv_chan *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->pending_fd = -1;
	c->phase = &dv_phase_hello;
}

void dv_chan_dispose(dv_chan *c)
{
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	if (c->fd >= 0) close(c->fd);
	c->fd = -1;
	if (c->pending_fd >= 0) close(c->pending_fd);
	c->pending_fd = -1;
}

int dv_chan_take_fd(dv_chan *c)
{
	int fd = c->pending_fd;
	c->pending_fd = -1;
	return fd;
}

void dv_chan_phase(dv_chan *c, const dv_phase *ph)
{
	c->phase = ph;
	c->seen_once = 0;
}

/* Reads exactly n bytes: 0, or DV_EIO on EOF or an error. A descriptor
 * that comes along (SCM_RIGHTS) is kept in c->pending_fd; a second one
 * while the first is not taken is a protocol fault. */
static int read_full(dv_chan *c, uint8_t *p, size_t n, uint64_t offset)
{
	size_t done = 0;
	while (done < n) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} cm;
		struct iovec iov = { p + done, n - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
		ssize_t r = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) return dv_error_errno(errno, "reader", (int64_t)(offset + done), "cannot read from the reader");
		int extra = 0;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
			size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
				if (c->pending_fd < 0 && !extra) c->pending_fd = fd;
				else {
					close(fd);
					extra++;
				}
			}
		}
		if (extra || (mh.msg_flags & MSG_CTRUNC))
			return dv_error_set(DV_ECORRUPT, "reader", (int64_t)(offset + done), "protocol fault: descriptors not asked for");
		if (r == 0) return dv_error_set(DV_EIO, "reader", (int64_t)(offset + done), "the reader closed its channel");
		done += (size_t)r;
	}
	return 0;
}

int dv_chan_recv(dv_chan *c, uint8_t *type, dv_rd *payload)
{
	uint8_t hdr[DV_FRAME_HDR];
	uint32_t len;
	int rc = read_full(c, hdr, sizeof(hdr), c->offset);
	if (rc < 0) return rc;
	if ((rc = dv_frame_check(hdr, c->phase, &c->seen_once, c->offset, type, &len)) < 0) return rc;
	/* the cap is checked: only now is memory reserved, for what was announced */
	if (len > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		while (cap < len) cap *= 2;
		uint8_t *nb = realloc(c->buf, cap);
		if (!nb) return dv_error_set(DV_ENOMEM, "reader", (int64_t)c->offset, "out of memory for a %u-byte message", len);
		c->buf = nb;
		c->cap = cap;
	}
	uint64_t at = c->offset;
	c->offset += DV_FRAME_HDR;
	if (len && (rc = read_full(c, c->buf, len, c->offset)) < 0) return rc;
	c->offset += len;
	*payload = dv_rd_init(c->buf, len, "reader", (int64_t)at + DV_FRAME_HDR);
	return 0;
}

int dv_chan_send(int fd, uint8_t type, const void *a, size_t na, const void *b, size_t nb)
{
	if (na + nb > DV_FRAME_MAX) return dv_error_set(DV_EINVAL, "reader", -1, "message of %zu bytes too large", na + nb);
	uint8_t hdr[DV_FRAME_HDR];
	dv_put_u32be(hdr, (uint32_t)(na + nb));
	hdr[4] = type;
	struct iovec iov[3] = { { hdr, sizeof(hdr) }, { (void *)a, na }, { (void *)b, nb } };
	int idx = 0;
	while (idx < 3) {
		/* MSG_NOSIGNAL: a dead peer is an error to report, not SIGPIPE */
		struct msghdr mh = { .msg_iov = iov + idx, .msg_iovlen = (size_t)(3 - idx) };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0) return dv_error_errno(errno, "reader", -1, "cannot write to the reader channel");
		size_t left = (size_t)w;
		while (idx < 3 && left >= iov[idx].iov_len) {
			left -= iov[idx].iov_len;
			idx++;
		}
		if (idx < 3) {
			iov[idx].iov_base = (uint8_t *)iov[idx].iov_base + left;
			iov[idx].iov_len -= left;
		}
	}
	return 0;
}

int dv_chan_send_fd(int fd, uint8_t type, int passfd)
{
	uint8_t hdr[DV_FRAME_HDR] = { 0, 0, 0, 0, type };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { hdr, sizeof(hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &passfd, sizeof(int));
	for (;;) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0) return dv_error_errno(errno, "reader", -1, "cannot write to the reader channel");
		if ((size_t)w == sizeof(hdr)) return 0;
		return dv_error_set(DV_EIO, "reader", -1, "short write on the reader channel");
	}
}

/* ---- message bodies ----------------------------------------------------------------- */
int dv_msg_get_str(dv_rd *r, char *out, size_t cap, const char *what)
{
	uint16_t n;
	const uint8_t *p;
	if (dv_rd_u16be(r, &n) < 0 || dv_rd_view(r, n, &p) < 0) return DV_ECORRUPT;
	if ((size_t)n >= cap)
		return dv_error_set(DV_ECORRUPT, r->name, dv_rd_offset(r), "protocol fault: %s of %u bytes (at most %zu)", what, n,
		                    cap - 1);
	if (memchr(p, 0, n))
		return dv_error_set(DV_ECORRUPT, r->name, dv_rd_offset(r), "protocol fault: NUL byte inside %s", what);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

bool dv_msg_path_clean(const char *p)
{
	/* A card's names are the card's business: control bytes, "..", empty
	 * or absolute-looking components (a FAT long name may hold '/') are
	 * stored as they are and exported under a safe name (export.c). The
	 * parent never opens a file by this name, so it is a label, not a path:
	 * only an empty one is refused. */
	return *p != '\0';
}

int dv_msg_file_decode(dv_rd *r, dv_msg_file *f)
{
	uint64_t u[5];
	int rc = dv_msg_get_str(r, f->path, sizeof(f->path), "file path");
	if (rc < 0) return rc;
	for (int i = 0; i < 5; i++)
		if (dv_rd_u64be(r, &u[i]) < 0) return DV_ECORRUPT;
	if (dv_rd_u32be(r, &f->mode) < 0) return DV_ECORRUPT;
	if (dv_rd_left(r))
		return dv_error_set(DV_ECORRUPT, r->name, dv_rd_offset(r), "protocol fault: %zu stray bytes after a file record",
		                    dv_rd_left(r));
	if (!dv_msg_path_clean(f->path))
		return dv_error_set(DV_ECORRUPT, r->name, r->base, "protocol fault: an empty file path");
	f->size = u[0];
	if (f->size > (1ull << 50))
		return dv_error_set(DV_ECORRUPT, r->name, r->base, "protocol fault: file %s of %llu bytes", f->path,
		                    (unsigned long long)f->size);
	f->mtime_ns = (int64_t)u[1];
	f->atime_ns = (int64_t)u[2];
	f->ctime_ns = (int64_t)u[3];
	f->crtime_ns = (int64_t)u[4];
	return 0;
}

int dv_msg_failed_decode(dv_rd *r, char *path, size_t pcap, char *msg, size_t mcap)
{
	int rc = dv_msg_get_str(r, path, pcap, "failed path");
	if (rc == 0) rc = dv_msg_get_str(r, msg, mcap, "failure");
	if (rc < 0) return rc;
	if (dv_rd_left(r) || !path[0])
		return dv_error_set(DV_ECORRUPT, r->name, r->base, "protocol fault: a bad record of an entry that could not be listed");
	return 0;
}

int dv_msg_error_decode(dv_rd *r)
{
	uint32_t code;
	uint64_t off;
	char path[DV_ERROR_PATH_MAX], msg[DV_ERROR_MSG_MAX];
	if (dv_rd_u32be(r, &code) < 0 || dv_rd_u64be(r, &off) < 0 ||
	    dv_msg_get_str(r, path, sizeof(path), "error path") < 0 || dv_msg_get_str(r, msg, sizeof(msg), "error message") < 0)
		return DV_ECORRUPT;
	int c = (int)(int32_t)code;
	/* the child names its own code; anything unknown is a generic failure */
	if (c >= 0 || c < DV_EBUSY) c = DV_ERROR;
	int64_t o = (int64_t)off;
	if (o < -1) o = -1;
	for (char *q = msg; *q; q++)
		if ((unsigned char)*q < 0x20) *q = '?';
	for (char *q = path; *q; q++)
		if ((unsigned char)*q < 0x20) *q = '?';
	return dv_error_set((dv_code)c, path[0] ? path : NULL, o, "%s", msg);
}

/* ---- builder -------------------------------------------------------------------- */
void dv_msg_put(dv_msg_buf *b, const void *p, size_t n)
{
	if (b->failed) return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n) cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n) memcpy(b->p + b->len, p, n);
	b->len += n;
}

void dv_msg_u8(dv_msg_buf *b, uint8_t v) { dv_msg_put(b, &v, 1); }

void dv_msg_u32(dv_msg_buf *b, uint32_t v)
{
	uint8_t x[4];
	dv_put_u32be(x, v);
	dv_msg_put(b, x, 4);
}

void dv_msg_u64(dv_msg_buf *b, uint64_t v)
{
	uint8_t x[8];
	dv_put_u64be(x, v);
	dv_msg_put(b, x, 8);
}

void dv_msg_str(dv_msg_buf *b, const char *s)
{
	size_t n = strnlen(s, DV_MSG_STR_MAX - 1);
	uint8_t x[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	dv_msg_put(b, x, 2);
	dv_msg_put(b, s, n);
}

void dv_msg_free(dv_msg_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
