/*
 * dv-reader - the sandboxed reader helper (privsep/privsep_int.h).
 *
 *   dv-reader --serve      started by libdronevault with its channel at fd 3
 *   dv-reader --job        the same, then runs one command (JOB: inspect,
 *                          audit, radio or zones, and its arguments; the
 *                          CLI's own code) with stdout and stderr on pipes
 *                          the parent copies out
 *   dv-reader --selftest DIR SOCKET
 *                          tests only (DV_READER_SELFTEST=1): installs the
 *                          policy, then tries what it must forbid: a socket
 *                          of each family, a connect to the listening unix
 *                          socket SOCKET, execve, creating, writing,
 *                          truncating, removing and renaming in DIR (which
 *                          holds a file "existing"), signalling the parent;
 *                          prints one line per check, exits 0 when every
 *                          one was refused and reading still works.
 *
 * The policy goes on before any input is touched; if it cannot, the helper
 * reports that and exits without reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "dv/err.h"
#include "vault/source_int.h"
#include "index/index_int.h"
#include "privsep/job_int.h"
#include "privsep/privsep_int.h"
#include "privsep/sandbox_int.h"
#include "serve/serve_int.h"

/* LeakSanitizer's exit-time check needs ptrace, which the filter forbids
 * (sanitizer builds only; a no-op hook elsewhere). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return 1; }

#define FD DV_READER_FD

/* ---- the child's side of the channel (the parent is trusted, but its
 * frames are still read through dv_rd with caps) ------------------------------ */
static uint8_t *in_buf;

static int read_full(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		done += (size_t)r;
	}
	return 0;
}

static int recv_msg(uint8_t *type, dv_rd *payload)
{
	uint8_t h[DV_FRAME_HDR];
	if (read_full(FD, h, sizeof(h)) < 0) return -1;
	dv_rd r = dv_rd_init(h, sizeof(h), "parent", 0);
	uint32_t n;
	if (dv_rd_u32be(&r, &n) < 0 || dv_rd_u8(&r, type) < 0 || n > (8u << 20)) return -1;
	uint8_t *nb = realloc(in_buf, n ? n : 1);
	if (!nb) return -1;
	in_buf = nb;
	if (n && read_full(FD, in_buf, n) < 0) return -1;
	*payload = dv_rd_init(in_buf, n, "parent", 0);
	return 0;
}

static void send_error(void)
{
	const dv_error *e = dv_error_last();
	dv_msg_buf b = { 0 };
	dv_msg_u32(&b, (uint32_t)(int32_t)e->code);
	dv_msg_u64(&b, (uint64_t)e->offset);
	dv_msg_str(&b, e->path);
	dv_msg_str(&b, e->message);
	if (!b.failed) (void)dv_chan_send(FD, DV_MSG_ERROR, b.p, b.len, NULL, 0);
	dv_msg_free(&b);
}

static int send_buf(uint8_t type, dv_msg_buf *b)
{
	if (b->failed) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	return dv_chan_send(FD, type, b->p, b->len, NULL, 0);
}

/* ---- serving an ingest ---------------------------------------------------------- */
struct reading {
	void *telemetry;      /* extraction state, or NULL */
	bool channel_failed;  /* the parent went away: stop */
};

/* the plaintext ring (privsep_int.h): slots the parent has handed back */
static uint8_t *ring;
static unsigned credits = DV_RING_SLOTS;

static void map_ring(void)
{
	struct stat st;
	size_t size = (size_t)DV_RING_SLOTS * DV_RING_SLOT;
	if (fstat(DV_READER_RING_FD, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) return;
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, DV_READER_RING_FD, 0);
	if (m != MAP_FAILED) ring = m;
}

/* An ACK: one slot back. Anything else here is the parent going away. */
static int take_ack(void)
{
	uint8_t h[DV_FRAME_HDR + 4];
	size_t got = 0;
	while (got < sizeof(h)) {
		ssize_t r = read(FD, h + got, sizeof(h) - got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		got += (size_t)r;
	}
	if (h[4] != DV_MSG_ACK || h[0] || h[1] || h[2] || h[3] != 4) return -1;
	credits++;
	return 0;
}

static int send_chunk(const uint8_t *data, size_t n, void *payload)
{
	struct reading *rd = payload;
	/* the extraction sees the piece first, while it is surely ours */
	if (rd->telemetry && dv_index_extract_data(rd->telemetry, data, n) != 0) {
		/* seen enough: finish it now, keep streaming */
		dv_msg_buf b = { 0 };
		int erc = dv_index_extract_finish(rd->telemetry, &b);
		dv_index_extract_free(rd->telemetry);
		rd->telemetry = NULL;
		if (erc == 0 && send_buf(DV_MSG_TELEMETRY, &b) < 0) {
			dv_msg_free(&b);
			rd->channel_failed = true;
			return DV_EIO;
		}
		dv_msg_free(&b);
	}
	int rc;
	if (ring) {
		uint8_t ref[8];
		dv_put_u32be(ref, (uint32_t)((size_t)(data - ring) / DV_RING_SLOT));
		dv_put_u32be(ref + 4, (uint32_t)n);
		rc = dv_chan_send(FD, DV_MSG_DATA_REF, ref, sizeof(ref), NULL, 0);
		if (rc == 0) credits--;
		/* the next piece goes into the next slot: it must be ours again */
		while (rc == 0 && credits == 0) rc = take_ack();
	} else {
		rc = dv_chan_send(FD, DV_MSG_DATA, data, n, NULL, 0);
	}
	if (rc < 0) {
		rd->channel_failed = true;
		return DV_EIO;
	}
	return 0;
}

/* A directory's file: the descriptor goes to the parent, which reads the
 * bytes itself (no copy through us); we read only what the telemetry
 * extraction needs, with pread (the parent's reads share the offset). */
static int serve_fd(dv_source *src, const dv_source_file *f, bool telemetry, uint8_t *buf)
{
	int fd = dv_source_open_file(src, f);
	dv_msg_buf b = { 0 };
	int rc = fd;
	if (fd >= 0) {
		if (dv_chan_send_fd(FD, DV_MSG_FILE_FD, fd) < 0) {
			close(fd);
			return -1;
		}
		void *x = telemetry ? dv_index_extract_begin(f->path, f->size) : NULL;
		uint64_t off = 0;
		rc = 0;
		while (x) {
			ssize_t n = pread(fd, buf, DV_CHUNK_MAX, (off_t)off);
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) {
				rc = dv_error_errno(errno, f->path, (int64_t)off, "cannot read");
				break;
			}
			if (n == 0 || dv_index_extract_data(x, buf, (size_t)n) != 0) break;
			off += (uint64_t)n;
		}
		close(fd);
		if (x && rc == 0 && dv_index_extract_finish(x, &b) == 0 && send_buf(DV_MSG_TELEMETRY, &b) < 0) {
			dv_index_extract_free(x);
			dv_msg_free(&b);
			return -1;
		}
		dv_index_extract_free(x);
		dv_msg_free(&b);
	}
	dv_msg_u8(&b, rc == 0 ? 1 : 0);
	dv_msg_str(&b, rc == 0 ? "" : dv_error_text());
	rc = send_buf(DV_MSG_FILE_END, &b);
	dv_msg_free(&b);
	return rc < 0 ? -1 : 0;
}

static int serve_read(dv_source *src, const dv_source_file *f, bool telemetry, uint8_t *buf)
{
	if (strcmp(dv_source_get_info(src)->kind, "image") != 0) return serve_fd(src, f, telemetry, buf);
	struct reading rd = { telemetry ? dv_index_extract_begin(f->path, f->size) : NULL, false };
	uint8_t *slots[DV_RING_SLOTS];
	for (unsigned i = 0; i < DV_RING_SLOTS; i++) slots[i] = ring ? ring + (size_t)i * DV_RING_SLOT : buf;
	/* slots go round in order, and every file starts at slot 0 with all of
	 * them free: the parent acknowledges each piece before FILE_END */
	int rc = dv_source_read_ring(src, f, slots, ring ? DV_RING_SLOTS : 1, ring ? DV_RING_SLOT : DV_CHUNK_MAX, send_chunk, &rd);
	while (!rd.channel_failed && credits < DV_RING_SLOTS)
		if (take_ack() < 0) rd.channel_failed = true;
	if (rd.channel_failed) return -1;
	dv_msg_buf b = { 0 };
	if (rc == 0 && rd.telemetry) {
		if (dv_index_extract_finish(rd.telemetry, &b) == 0 && send_buf(DV_MSG_TELEMETRY, &b) < 0)
			rd.channel_failed = true;
		dv_msg_free(&b);
	}
	dv_index_extract_free(rd.telemetry);
	if (rd.channel_failed) return -1;
	dv_msg_u8(&b, rc == 0 ? 1 : 0);
	dv_msg_str(&b, rc == 0 ? "" : dv_error_text());
	rc = send_buf(DV_MSG_FILE_END, &b);
	dv_msg_free(&b);
	return rc < 0 ? -1 : 0;
}

/* reindex: the parent streams stored plaintext, we extract */
static int serve_extract(void)
{
	for (;;) {
		uint8_t t;
		dv_rd p;
		char path[DV_MSG_STR_MAX];
		uint64_t size;
		if (recv_msg(&t, &p) < 0) return 1;
		if (t == DV_MSG_BYE) return 0;
		if (t != DV_MSG_EXTRACT || dv_msg_get_str(&p, path, sizeof(path), "path") < 0 || dv_rd_u64be(&p, &size) < 0)
			return 1;
		void *x = dv_index_extract_begin(path, size);
		bool done = false;
		for (;;) {
			if (recv_msg(&t, &p) < 0) return 1;
			if (t == DV_MSG_EXTRACT_END) break;
			if (t != DV_MSG_DATA) return 1;
			if (x && !done && dv_index_extract_data(x, dv_rd_ptr(&p), dv_rd_left(&p)) != 0) done = true;
		}
		dv_msg_buf b = { 0 };
		if (x && dv_index_extract_finish(x, &b) == 0 && send_buf(DV_MSG_TELEMETRY, &b) < 0) return 1;
		dv_msg_free(&b);
		dv_index_extract_free(x);
		dv_msg_u8(&b, 1);
		dv_msg_str(&b, "");
		if (send_buf(DV_MSG_FILE_END, &b) < 0) return 1;
		dv_msg_free(&b);
	}
}

/*
 * What both modes do first: check that dronevault started us (the channel
 * is a socket), install the policy before any input is touched (a failure
 * is fatal: exit 3), and say HELLO. Returns 0, or the exit code.
 */
static int enter_sandbox(bool job)
{
	struct stat st;
	if (fstat(FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "dv-reader: this is dronevault's sandboxed reader; dronevault starts it\n");
		return 2;
	}
	dv_sandbox_state sb;
	if (dv_sandbox_child(&sb) < 0) {
		if (job) fprintf(stderr, "dronevault: the sandboxed reader cannot start: %s\n", dv_error_text());
		send_error();
		return 3;
	}
	if (!job) map_ring();
	/* from here on, hostile input may be read */
	dv_msg_buf b = { 0 };
	dv_msg_u32(&b, DV_READER_VERSION);
	dv_msg_u32(&b, sb.landlock_abi);
	if (send_buf(DV_MSG_HELLO, &b) < 0) return 1;
	dv_msg_free(&b);
	return 0;
}

static int serve(void)
{
	int entered = enter_sandbox(false);
	if (entered) return entered;
	dv_msg_buf b = { 0 };

	uint8_t t;
	dv_rd p;
	if (recv_msg(&t, &p) < 0 || t != DV_MSG_OPEN) return 1;
	uint8_t what, flags;
	uint32_t n;
	if (dv_rd_u8(&p, &what) < 0 || dv_rd_u8(&p, &flags) < 0 || dv_rd_u32be(&p, &n) < 0 || n == 0 || n > 100000)
		return 1;
	char **paths = calloc(n, sizeof(char *));
	if (!paths) return 1;
	for (uint32_t i = 0; i < n; i++) {
		char tmp[DV_MSG_STR_MAX];
		if (dv_msg_get_str(&p, tmp, sizeof(tmp), "source path") < 0 || !(paths[i] = strdup(tmp))) return 1;
	}
	if (what == DV_OPEN_EXTRACT) return serve_extract();
	dv_source *src = NULL;
	int rc = what == 0 ? dv_source_open(&src, paths[0]) : dv_source_open_files(&src, (const char *const *)paths, n);
	if (rc < 0) {
		send_error();
		return 1;
	}
	if ((flags & DV_OPEN_RECOVER) && dv_source_set_recover(src) < 0) {
		send_error();
		return 1;
	}
	const dv_source_info *info = dv_source_get_info(src);
	dv_msg_str(&b, info->kind);
	dv_msg_str(&b, info->fs_type);
	dv_msg_str(&b, info->volume_label);
	dv_msg_u64(&b, info->image_size);
	dv_msg_str(&b, info->format);
	dv_msg_str(&b, info->ewf_md5);
	dv_msg_str(&b, info->ewf_sha1);
	dv_msg_str(&b, info->media_md5);
	dv_msg_str(&b, info->media_sha1);
	if (send_buf(DV_MSG_INFO, &b) < 0) return 1;
	dv_msg_free(&b);
	const dv_source_file *files;
	size_t nfiles, skipped;
	if (dv_source_list(src, &files, &nfiles, &skipped) < 0) {
		send_error();
		return 1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		const dv_source_file *f = &files[i];
		dv_msg_str(&b, f->path);
		dv_msg_u64(&b, f->size);
		dv_msg_u64(&b, (uint64_t)f->mtime_ns);
		dv_msg_u64(&b, (uint64_t)f->atime_ns);
		dv_msg_u64(&b, (uint64_t)f->ctime_ns);
		dv_msg_u64(&b, (uint64_t)f->crtime_ns);
		dv_msg_u32(&b, f->mode);
		if (send_buf(DV_MSG_FILE, &b) < 0) return 1;
		b.len = 0;
		if (flags & DV_OPEN_RECOVER) {
			dv_msg_u64(&b, f->recoverable);   /* the entry's own size */
			dv_msg_u8(&b, f->reallocated ? 1 : 0);
			if (send_buf(DV_MSG_RECOVERY, &b) < 0) return 1;
			b.len = 0;
		}
	}
	const dv_source_failure *failed;
	size_t nfailed;
	dv_source_failures(src, &failed, &nfailed);
	for (size_t i = 0; i < nfailed; i++) {
		dv_msg_str(&b, failed[i].path);
		dv_msg_str(&b, failed[i].message);
		if (send_buf(DV_MSG_FILE_FAILED, &b) < 0) return 1;
		b.len = 0;
	}
	dv_msg_u64(&b, nfiles);
	dv_msg_u64(&b, skipped);
	if (send_buf(DV_MSG_LIST_END, &b) < 0) return 1;
	dv_msg_free(&b);
	uint8_t *buf = malloc(DV_CHUNK_MAX);
	if (!buf) return 1;
	for (;;) {
		if (recv_msg(&t, &p) < 0) return 1;
		if (t == DV_MSG_BYE) break;
		uint32_t idx;
		if (t != DV_MSG_READ || dv_rd_u32be(&p, &idx) < 0 || idx >= nfiles) return 1;
		if (serve_read(src, &files[idx], flags & DV_OPEN_TELEMETRY, buf) < 0) return 1;
	}
	free(buf);
	dv_source_close(src);
	for (uint32_t i = 0; i < n; i++) free(paths[i]);
	free(paths);
	free(in_buf);
	return 0;
}

/* ---- jobs ------------------------------------------------------------------------- */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} jobs[] = {
	{ "inspect", dv_job_inspect },
	{ "audit", cmd_audit },
	{ "radio", cmd_radio },
	{ "zones", cmd_zones },
	{ "policy", cmd_policy },
	{ "lockdown", cmd_lockdown },
	{ "watch", cmd_watch },
	{ "thumb", dv_serve_thumb_job }, /* dronevault serve: a photo's preview and EXIF panel */
};

static int serve_job(void)
{
	int entered = enter_sandbox(true);
	if (entered) return entered;
	uint8_t t;
	dv_rd p;
	char name[64];
	uint32_t argc;
	if (recv_msg(&t, &p) < 0 || t != DV_MSG_JOB || dv_msg_get_str(&p, name, sizeof(name), "job") < 0 ||
	    dv_rd_u32be(&p, &argc) < 0 || argc < 1 || argc > 65536)
		return 1;
	char **argv = calloc(argc + 1, sizeof(char *));
	if (!argv) return 1;
	for (uint32_t i = 0; i < argc; i++) {
		char tmp[DV_MSG_STR_MAX];
		if (dv_msg_get_str(&p, tmp, sizeof(tmp), "argument") < 0 || !(argv[i] = strdup(tmp))) return 1;
	}
	uint8_t tty = 0;
	(void)dv_rd_u8(&p, &tty);
	/* FD stays open: the job may ask the parent (dv_reader_ask) */
	cli_in_reader = true;
	cli_reader_tty = tty & 3;
	int rc = 1;
	bool found = false;
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		if (!strcmp(jobs[i].name, name)) {
			found = true;
			rc = jobs[i].main((int)argc, argv);
		}
	if (!found) fprintf(stderr, "dv-reader: no job '%s'\n", name);
	fflush(stdout);
	for (uint32_t i = 0; i < argc; i++) free(argv[i]);
	free(argv);
	free(in_buf);
	return rc;
}

/* ---- selftest ---------------------------------------------------------------------- */
static int failures;

static void expect(bool refused, const char *what)
{
	printf("%s %s\n", refused ? "ok" : "FAIL", what);
	if (!refused) failures++;
}

static int selftest(const char *dir, const char *sock)
{
	if (!getenv("DV_READER_SELFTEST") || strcmp(getenv("DV_READER_SELFTEST"), "1")) {
		fprintf(stderr, "dv-reader: --selftest is for the test suite (DV_READER_SELFTEST=1)\n");
		return 2;
	}
	char existing[4096], created[4096], renamed[4096], sub[4096];
	snprintf(existing, sizeof(existing), "%s/existing", dir);
	snprintf(created, sizeof(created), "%s/created", dir);
	snprintf(renamed, sizeof(renamed), "%s/renamed", dir);
	snprintf(sub, sizeof(sub), "%s/subdir", dir);
	dv_sandbox_state sb;
	if (dv_sandbox_child(&sb) < 0) {
		printf("FAIL sandbox: %s\n", dv_error_text());
		return 1;
	}
	printf("landlock_abi %u\n", sb.landlock_abi);
	fflush(stdout);
	expect(dv_sandbox_active(), "seccomp filter in force");
	expect(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs set");
	expect(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "not dumpable");
	int fd;
	expect((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0, "socket(AF_INET) refused");
	expect((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0, "socket(AF_INET6) refused");
	expect((fd = socket(AF_NETLINK, SOCK_RAW, 0)) < 0, "socket(AF_NETLINK) refused");
	expect((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0, "socket(AF_PACKET) refused");
	int sv[2];
	expect(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0, "socketpair(AF_UNIX) refused");
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	bool connected = false;
	if (u >= 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
		connected = connect(u, (struct sockaddr *)&a, sizeof(a)) == 0;
	} else {
		/* even with a socket in hand, connect itself is refused: try it on
		 * stdin (not a socket: ENOTSOCK would mean it got through) */
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
		errno = 0;
		connected = connect(0, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EACCES;
	}
	expect(u < 0, "socket(AF_UNIX) refused");
	expect(!connected, "connect to a listening unix socket refused");
	char *const av[] = { (char *)"/bin/true", NULL };
	char *const ev[] = { NULL };
	execve("/bin/true", av, ev);
	expect(true, "execve(/bin/true) refused (still running)");
	expect(ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0, "ptrace refused");
	expect(open(created, O_CREAT | O_WRONLY, 0644) < 0, "open(O_CREAT|O_WRONLY) refused");
	expect(openat(AT_FDCWD, created, O_CREAT | O_RDONLY, 0644) < 0, "openat(O_CREAT|O_RDONLY) refused");
	expect(creat(created, 0644) < 0, "creat refused");
	expect(open(dir, O_TMPFILE | O_RDWR, 0600) < 0, "open(O_TMPFILE) refused");
	expect(access(created, F_OK) < 0, "no file was created");
	expect(open(existing, O_WRONLY) < 0, "open(existing, O_WRONLY) refused");
	expect(open(existing, O_RDWR) < 0, "open(existing, O_RDWR) refused");
	expect(open(existing, O_RDONLY | O_APPEND) < 0, "open(existing, O_APPEND) refused");
	expect(open(existing, O_RDONLY | O_TRUNC) < 0, "open(existing, O_TRUNC) refused");
	expect(truncate(existing, 0) < 0, "truncate refused");
	expect(unlink(existing) < 0, "unlink refused");
	expect(rename(existing, renamed) < 0, "rename refused");
	expect(mkdir(sub, 0755) < 0, "mkdir refused");
	expect(symlink(existing, renamed) < 0, "symlink refused");
	expect(chmod(existing, 0777) < 0, "chmod refused");
	expect(kill(getppid(), 0) < 0, "signalling the parent refused");
	char c;
	fd = open(existing, O_RDONLY);
	expect(fd >= 0 && read(fd, &c, 1) == 1, "reading still works");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGINT, SIG_IGN);   /* Ctrl-C is the parent's to handle */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (argc == 2 && !strcmp(argv[1], "--serve")) return serve();
	if (argc == 2 && !strcmp(argv[1], "--job")) return serve_job();
	if (argc == 4 && !strcmp(argv[1], "--selftest")) return selftest(argv[2], argv[3]);
	fprintf(stderr, "usage: dv-reader --serve (started by dronevault)\n");
	return 2;
}
