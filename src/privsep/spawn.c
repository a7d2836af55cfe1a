/* Starting, watching and stopping dv-reader (privsep/privsep_int.h). */
#include "privsep/privsep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/reader.h"

#define HELPER_REL "libexec/dronevault/dv-reader"

static bool usable(const char *p)
{
	return access(p, X_OK) == 0;
}

int dv_reader_locate(char *out, size_t cap)
{
	char tried[2048] = "";
	size_t tl = 0;
#define TRIED(p) tl += (size_t)snprintf(tried + tl, tl < sizeof(tried) ? sizeof(tried) - tl : 0, "%s%s", tl ? ", " : "", p)
	const char *env = getenv("DV_READER");
	if (env && *env) {
		if (usable(env) && strlen(env) < cap) {
			snprintf(out, cap, "%s", env);
			return 0;
		}
		return dv_error_set(DV_ENOTFOUND, env, -1, "DV_READER names no executable reader helper");
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char p[PATH_MAX + 64];
			snprintf(p, sizeof(p), "%s/../%s", self, HELPER_REL);
			if (usable(p) && strlen(p) < cap) {
				snprintf(out, cap, "%s", p);
				return 0;
			}
			if (tl < sizeof(tried)) TRIED(p);
		}
	}
#ifdef DV_READER_BUILD_PATH
	if (usable(DV_READER_BUILD_PATH) && strlen(DV_READER_BUILD_PATH) < cap) {
		snprintf(out, cap, "%s", DV_READER_BUILD_PATH);
		return 0;
	}
	if (tl < sizeof(tried)) TRIED(DV_READER_BUILD_PATH);
#endif
#ifdef DV_LIBEXECDIR
	{
		const char *p = DV_LIBEXECDIR "/dv-reader";
		if (usable(p) && strlen(p) < cap) {
			snprintf(out, cap, "%s", p);
			return 0;
		}
		if (tl < sizeof(tried)) TRIED(p);
	}
#else
	{
		const char *p = "/usr/libexec/dronevault/dv-reader";
		if (usable(p) && strlen(p) < cap) {
			snprintf(out, cap, "%s", p);
			return 0;
		}
		if (tl < sizeof(tried)) TRIED(p);
	}
#endif
#undef TRIED
	return dv_error_set(DV_ENOTFOUND, "dv-reader", -1,
	                    "the sandboxed reader helper is not installed (looked in $DV_READER, %s)", tried);
}

/* "Seccomp: 2" in /proc/PID/status (pid 0: this process): a seccomp
 * filter is in force. The parent takes its own look at the child's filter
 * rather than trusting what the child says. */
bool dv_privsep_seccomp_filtered(pid_t pid)
{
	char p[64], line[256];
	if (pid == 0) snprintf(p, sizeof(p), "/proc/self/status");
	else snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f) return false;
	bool on = false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8)) {
			on = atoi(line + 8) == 2;
			break;
		}
	fclose(f);
	return on;
}

/* The child's environment: nothing of ours but what changes how it reads
 * times, and the sanitizers' settings in test builds. */
static size_t clean_env(char **envp, size_t cap)
{
	static const char *const keep[] = { "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL };
	size_t n = 0;
	envp[n++] = (char *)"PATH=/usr/bin:/bin";
	envp[n++] = (char *)"LC_ALL=C";
	for (int i = 0; keep[i] && n + 1 < cap; i++) {
		size_t kl = strlen(keep[i]);
		for (char **e = environ; *e; e++)
			if (!strncmp(*e, keep[i], kl) && (*e)[kl] == '=') {
				envp[n++] = *e;
				break;
			}
	}
	envp[n] = NULL;
	return n;
}

/* mode: "--serve" or "--job"; out_fd, err_fd: the child's stdout and stderr
 * (-1: /dev/null) */
static void unmap_ring(dv_reader *r)
{
	if (r->ring) munmap(r->ring, (size_t)DV_RING_SLOTS * DV_RING_SLOT);
	r->ring = NULL;
}

/* extra: descriptors the child gets at DV_READER_OUT_FD, DV_READER_OUT_FD + 1, ...
 * (job mode only; the caller keeps its copies) */
static int start(dv_reader *r, const char *mode, int out_fd, int err_fd, bool with_ring, const int *extra,
                 unsigned nextra)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	dv_chan_init(&r->ch, -1);
	char path[PATH_MAX];
	int rc = dv_reader_locate(path, sizeof(path));
	if (rc < 0) return rc;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return dv_error_errno(errno, "reader", -1, "cannot create the reader channel");
	/* a larger socket buffer: a 1 MiB chunk in few system calls */
	int sz = 4 << 20;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* dup2(3, 3) would keep close-on-exec: make sure the child's end is elsewhere */
	if (sv[1] == DV_READER_FD) {
		int d = fcntl(sv[1], F_DUPFD_CLOEXEC, DV_READER_FD + 1);
		close(sv[1]);
		sv[1] = d;
		if (d < 0) {
			close(sv[0]);
			return dv_error_errno(errno, "reader", -1, "cannot move the reader channel");
		}
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	/* stderr: /dev/null (under RLIMIT_FSIZE 0 a write to a log file would
	 * kill the reader), or ours when DV_READER_STDERR=1 (debugging,
	 * sanitizer reports) */
	const char *keep_err = getenv("DV_READER_STDERR");
	if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	else if (!keep_err || strcmp(keep_err, "1")) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], DV_READER_FD);
	int ring_fd = -1;
	if (with_ring) {
		/* sized once and sealed: the reader can neither shrink it under our
		 * mapping (SIGBUS) nor grow it */
		ring_fd = memfd_create("dv-reader-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		size_t size = (size_t)DV_RING_SLOTS * DV_RING_SLOT;
		void *m = MAP_FAILED;
		if (ring_fd >= 0 && ftruncate(ring_fd, (off_t)size) == 0 &&
		    fcntl(ring_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
			m = mmap(NULL, size, PROT_READ, MAP_SHARED, ring_fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			if (ring_fd >= 0) close(ring_fd);
			close(sv[0]);
			close(sv[1]);
			posix_spawn_file_actions_destroy(&fa);
			posix_spawnattr_destroy(&at);
			return dv_error_errno(e, "reader", -1, "cannot create the plaintext ring");
		}
		r->ring = m;
		if (ring_fd == DV_READER_RING_FD) {
			int d = fcntl(ring_fd, F_DUPFD_CLOEXEC, DV_READER_RING_FD + 1);
			close(ring_fd);
			ring_fd = d;
		}
		posix_spawn_file_actions_adddup2(&fa, ring_fd, DV_READER_RING_FD);
		posix_spawn_file_actions_addclosefrom_np(&fa, DV_READER_RING_FD + 1);
	} else {
		for (unsigned i = 0; i < nextra; i++) posix_spawn_file_actions_adddup2(&fa, extra[i], DV_READER_OUT_FD + (int)i);
		posix_spawn_file_actions_addclosefrom_np(&fa, DV_READER_OUT_FD + (int)nextra);
	}
	/* default signal dispositions and an empty mask in the child */
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	char *argv[] = { (char *)"dv-reader", (char *)mode, NULL };
	char *envp[8];
	clean_env(envp, 8);
	pid_t pid;
	int err = posix_spawn(&pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (ring_fd >= 0) close(ring_fd);
	if (err) {
		unmap_ring(r);
		close(sv[0]);
		return dv_error_errno(err, path, -1, "cannot start the reader helper");
	}
	r->pid = pid;
	dv_chan_init(&r->ch, sv[0]);
	dv_chan_phase(&r->ch, &dv_phase_hello);
	uint8_t t;
	dv_rd p;
	if ((rc = dv_chan_recv(&r->ch, &t, &p)) < 0) {
		if (rc == DV_EIO) return dv_reader_died(r);
		dv_reader_kill(r);
		return rc;
	}
	if (t == DV_MSG_ERROR) {
		rc = dv_msg_error_decode(&p);
		dv_reader_kill(r);
		return rc;
	}
	uint32_t version = 0;
	if (dv_rd_u32be(&p, &version) < 0 || dv_rd_u32be(&p, &r->landlock_abi) < 0 || version != DV_READER_VERSION) {
		rc = dv_error_set(DV_ECORRUPT, "reader", 0, "protocol fault: the reader speaks version %u, not %u", version,
		                  DV_READER_VERSION);
		dv_reader_kill(r);
		return rc;
	}
	/* HELLO comes after the filter: check it ourselves rather than believe it */
	r->seccomp = dv_privsep_seccomp_filtered(pid);
	if (!r->seccomp) {
		rc = dv_error_set(DV_EPERM, "reader", -1, "the reader runs without its seccomp filter");
		dv_reader_kill(r);
		return rc;
	}
	return 0;
}

int dv_reader_start(dv_reader *r)
{
	return start(r, "--serve", -1, -1, true, NULL, 0);
}

static int reap(pid_t pid, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, 0);
		if (w == pid) return 0;
		if (w < 0 && errno == EINTR) continue;
		return -1;
	}
}

void dv_reader_kill(dv_reader *r)
{
	if (r->pid > 0) {
		int st;
		kill(r->pid, SIGKILL);
		reap(r->pid, &st);
		r->pid = -1;
	}
	dv_chan_dispose(&r->ch);
	unmap_ring(r);
}

static int describe(int st)
{
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return dv_error_set(DV_EPERM, "reader", -1, "sandbox violation: the reader made a forbidden system call (SIGSYS)");
	if (WIFSIGNALED(st))
		return dv_error_set(DV_EIO, "reader", -1, "the reader died (signal %d, %s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return dv_error_set(DV_EIO, "reader", -1, "the reader stopped (exit %d)", WEXITSTATUS(st));
	return dv_error_set(DV_EIO, "reader", -1, "the reader closed its channel early");
}

int dv_reader_died(dv_reader *r)
{
	int st = 0;
	dv_chan_dispose(&r->ch);
	if (r->pid <= 0) return dv_error_set(DV_EIO, "reader", -1, "no reader");
	int rc = reap(r->pid, &st) == 0 ? describe(st) : dv_error_set(DV_EIO, "reader", -1, "the reader vanished");
	r->pid = -1;
	unmap_ring(r);
	return rc;
}

int dv_reader_stop(dv_reader *r)
{
	if (r->pid <= 0) return 0;
	int rc = dv_chan_send(r->ch.fd, DV_MSG_BYE, NULL, 0, NULL, 0);
	dv_chan_dispose(&r->ch);
	int st = 0;
	if (reap(r->pid, &st) < 0) rc = dv_error_set(DV_EIO, "reader", -1, "the reader vanished");
	else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) rc = describe(st);
	r->pid = -1;
	unmap_ring(r);
	return rc;
}

/* ---- jobs (dv/reader.h) ---------------------------------------------------------- */
/* A job's own output pipe: its bytes kept in memory up to a cap. */
static int keep(dv_reader_out *o, const uint8_t *p, size_t n, size_t max)
{
	if (n > max || o->len > max - n)
		return dv_error_set(DV_ENOMEM, "reader", (int64_t)o->len, "the job's output is larger than %zu bytes", max);
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		while (cap < o->len + n) cap *= 2;
		unsigned char *g = realloc(o->data, cap);
		if (!g) return dv_error_set(DV_ENOMEM, "reader", -1, "out of memory for the job's output");
		o->data = g;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return 0;
}

static const dv_msg_rule job_rules[] = {
	{ DV_MSG_ASK, 0, DV_READER_ASK_MAX },
	{ DV_MSG_ERROR, DV_MSG_ONCE, 3 * DV_MSG_STR_MAX },
};
static const dv_phase job_phase = { "running a job", job_rules, sizeof(job_rules) / sizeof(job_rules[0]) };

/* Slots of the copy loop: 0 stdout, 1 stderr, 2.. the job's outputs, last the channel. */
#define SLOTS (2 + DV_READER_OUTS + 1)

/* Reads once from pipe p[i]: to our stdout or stderr, or kept in the
 * job's output. 0, 1 at EOF (the pipe closed), or an error. */
static int pump(struct pollfd *p, int i, dv_reader_io *io, uint8_t *buf, size_t bufsz)
{
	ssize_t n = read(p[i].fd, buf, bufsz);
	if (n < 0 && errno == EINTR) return 0;
	if (n <= 0) {
		close(p[i].fd);
		p[i].fd = -1;
		return 1;
	}
	if (i >= 2) return keep(&io->out[i - 2], buf, (size_t)n, io->out_max);
	for (ssize_t done = 0; done < n;) {
		ssize_t w = write(i == 0 ? STDOUT_FILENO : STDERR_FILENO, buf + done, (size_t)(n - done));
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) break;   /* our stdout went away: drop the rest */
		done += w;
	}
	return 0;
}

/* The question: the job's outputs are complete (it closed them before
 * asking); the answer goes back as REPLY. */
static int answer(dv_reader *r, struct pollfd *p, dv_reader_io *io, uint8_t *buf, size_t bufsz)
{
	uint8_t t;
	dv_rd pl;
	int rc = dv_chan_recv(&r->ch, &t, &pl);
	if (rc < 0) return rc;
	if (t == DV_MSG_ERROR) return dv_msg_error_decode(&pl);
	/* what the job printed before it asked comes out before anything we
	 * print while answering */
	for (;;) {
		int ready = poll(p, 2, 0);
		if (ready < 0 && errno == EINTR) continue;
		if (ready <= 0) break;
		bool any = false;
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				any = true;
				if (pump(p, i, io, buf, bufsz) < 0) break;
			}
		if (!any) break;
	}
	/* the job closed its outputs before it asked: each is at its end
	 * without waiting (a job that asks with one open would hang us) */
	for (int i = 2; i < 2 + (int)io->nout; i++)
		while (p[i].fd >= 0) {
			struct pollfd one = { p[i].fd, POLLIN, 0 };
			int k = poll(&one, 1, 0);
			if (k < 0 && errno == EINTR) continue;
			if (k <= 0)
				return dv_error_set(DV_ECORRUPT, "reader", (int64_t)r->ch.offset,
				                    "protocol fault: the job asked with an output still open");
			if ((rc = pump(p, i, io, buf, bufsz)) < 0) return rc;
		}
	char *q = malloc(pl.len + 1);
	if (!q) return dv_error_set(DV_ENOMEM, "reader", -1, "out of memory for the job's question");
	memcpy(q, pl.p, pl.len);
	q[pl.len] = '\0';
	if (memchr(q, '\0', pl.len)) {
		free(q);
		return dv_error_set(DV_ECORRUPT, "reader", (int64_t)r->ch.offset, "protocol fault: a NUL byte in the job's question");
	}
	char *reply = NULL;
	rc = io->ask(io->ctx, q, pl.len, io->out, &reply);
	free(q);
	if (rc < 0) return rc;
	size_t rl = reply ? strlen(reply) : 0;
	if (rl > DV_READER_REPLY_MAX) rc = dv_error_set(DV_ENOMEM, "reader", -1, "reply of %zu bytes too large", rl);
	else rc = dv_chan_send(r->ch.fd, DV_MSG_REPLY, reply, rl, NULL, 0);
	free(reply);
	return rc;
}

/* Copies the job's stdout and stderr to ours, keeps its outputs and
 * answers its questions until every pipe and the channel are closed. */
static int copy_out(dv_reader *r, int out, int err, const int *outs, dv_reader_io *io)
{
	struct pollfd p[SLOTS];
	unsigned nout = io ? io->nout : 0;
	int n = 0;
	p[n++] = (struct pollfd){ out, POLLIN, 0 };
	p[n++] = (struct pollfd){ err, POLLIN, 0 };
	for (unsigned i = 0; i < DV_READER_OUTS; i++) p[n++] = (struct pollfd){ i < nout ? outs[i] : -1, POLLIN, 0 };
	int chan = n;
	p[n++] = (struct pollfd){ io && io->ask ? r->ch.fd : -1, POLLIN, 0 };
	/* per thread: dronevault serve runs readers on several threads at once
	 * (the long-lived thumbnail job, verify on request) */
	static _Thread_local uint8_t buf[65536];
	int rc = 0;
	for (;;) {
		bool any = false;
		for (int i = 0; i < n; i++) any |= p[i].fd >= 0;
		if (!any) break;
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR) continue;
			rc = dv_error_errno(errno, "reader", -1, "cannot wait for the reader");
			break;
		}
		for (int i = 0; i < n && rc >= 0; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
			if (i == chan) {
				/* EOF (the job ended): no more questions */
				char c;
				if (recv(p[i].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) p[i].fd = -1;
				else rc = answer(r, p, io, buf, sizeof(buf));
				continue;
			}
			int k = pump(p, i, io, buf, sizeof(buf));
			if (k < 0) rc = k;
		}
		if (rc < 0) break;
	}
	for (int i = 0; i < n; i++)
		if (i != chan && p[i].fd >= 0) close(p[i].fd);
	return rc;
}

int dv_reader_run(const char *job, int argc, char *const *argv, int *exit_code)
{
	return dv_reader_run_io(job, argc, argv, NULL, exit_code);
}

int dv_reader_run_io(const char *job, int argc, char *const *argv, dv_reader_io *io, int *exit_code)
{
	*exit_code = 1;
	if (argc < 1 || argc > 65536) return dv_error_set(DV_EINVAL, "reader", -1, "a job takes 1 to 65536 arguments");
	if (io && io->nout > DV_READER_OUTS) return dv_error_set(DV_EINVAL, "reader", -1, "at most %d job outputs", DV_READER_OUTS);
	if (io) memset(io->out, 0, sizeof(io->out));
	dv_msg_buf b = { 0 };
	dv_msg_str(&b, job);
	dv_msg_u32(&b, (uint32_t)argc);
	for (int i = 0; i < argc; i++) {
		if (strlen(argv[i]) >= DV_MSG_STR_MAX) {
			dv_msg_free(&b);
			return dv_error_set(DV_EINVAL, "reader", -1, "argument %d longer than %d bytes", i, DV_MSG_STR_MAX - 1);
		}
		dv_msg_str(&b, argv[i]);
	}
	/* the job's stdout and stderr are pipes: tell it what ours are (escaping
	 * hostile text for a terminal, pretty JSON, progress) */
	dv_msg_u8(&b, (uint8_t)((isatty(STDOUT_FILENO) == 1 ? 1 : 0) | (isatty(STDERR_FILENO) == 1 ? 2 : 0)));
	if (b.failed) {
		dv_msg_free(&b);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	/* pipes: stdout, stderr, the job's outputs; each end ours is kept away
	 * from the numbers the child's descriptors get (0 to DV_READER_OUT_FD + n) */
	unsigned nout = io ? io->nout : 0;
	int pr[2 + DV_READER_OUTS] = { -1, -1, -1, -1 }, pw[2 + DV_READER_OUTS] = { -1, -1, -1, -1 };
	unsigned np = 2 + nout;
	int rc = 0;
	for (unsigned i = 0; i < np && rc == 0; i++) {
		int fd[2];
		if (pipe2(fd, O_CLOEXEC) < 0) {
			rc = dv_error_errno(errno, "reader", -1, "cannot create a pipe");
			break;
		}
		pr[i] = fd[0];
		pw[i] = fcntl(fd[1], F_DUPFD_CLOEXEC, 16);
		close(fd[1]);
		if (pw[i] < 0) rc = dv_error_errno(errno, "reader", -1, "cannot move a pipe");
	}
	dv_reader r;
	memset(&r, 0, sizeof(r));
	r.pid = -1;
	dv_chan_init(&r.ch, -1);
	/* an input for the job (watch: the frames), right after its outputs */
	int ex[DV_READER_OUTS + 1], nex = (int)nout, in_fd = -1;
	for (unsigned i = 0; i < nout; i++) ex[i] = pw[2 + i];
	if (io && io->in_fd > 0) {
		in_fd = fcntl(io->in_fd, F_DUPFD_CLOEXEC, 16);
		close(io->in_fd);
		io->in_fd = 0;
		if (in_fd < 0 && rc == 0) rc = dv_error_errno(errno, "reader", -1, "cannot move the job's input");
		ex[nex++] = in_fd;
	}
	if (rc == 0) {
		fflush(stdout);
		fflush(stderr);
		rc = start(&r, "--job", pw[0], pw[1], false, ex, (unsigned)nex);
	}
	if (in_fd >= 0) close(in_fd);
	for (unsigned i = 0; i < np; i++)
		if (pw[i] >= 0) close(pw[i]);
	if (rc == 0) rc = dv_chan_send(r.ch.fd, DV_MSG_JOB, b.p, b.len, NULL, 0);
	dv_msg_free(&b);
	if (rc < 0) {
		dv_reader_kill(&r);
		for (unsigned i = 0; i < np; i++)
			if (pr[i] >= 0) close(pr[i]);
		return rc;
	}
	if (!io || !io->ask) {
		/* no questions: the channel is done */
		dv_chan_dispose(&r.ch);
	} else {
		dv_chan_phase(&r.ch, &job_phase);
	}
	rc = copy_out(&r, pr[0], pr[1], pr + 2, io);
	if (rc < 0) {
		dv_reader_kill(&r);
		return rc;
	}
	dv_chan_dispose(&r.ch);
	int st = 0;
	if (reap(r.pid, &st) < 0) return dv_error_set(DV_EIO, "reader", -1, "the reader vanished");
	if (WIFEXITED(st)) {
		*exit_code = WEXITSTATUS(st);
		return 0;
	}
	return describe(st);
}

void dv_reader_io_dispose(dv_reader_io *io)
{
	for (unsigned i = 0; i < DV_READER_OUTS; i++) {
		free(io->out[i].data);
		io->out[i].data = NULL;
		io->out[i].len = io->out[i].cap = 0;
	}
}
