/* The sandboxed reader: its policy holds (dv-reader --selftest inside the
 * real filter), the helper is looked up as documented, and the parent
 * survives a reader that breaks the protocol (tests/privsep/fake_reader.c):
 * each fault is an error naming the reader, the child is reaped. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "dv/ingest.h"
#include "dv/util.h"
#include "dv/reader.h"
#include "privsep/privsep_int.h"

static void selftest(const char *helper, const char *dir)
{
	char sock[4200], existing[4200], created[4200], out[65536];
	snprintf(sock, sizeof(sock), "%s/listen.sock", dir);
	snprintf(existing, sizeof(existing), "%s/existing", dir);
	snprintf(created, sizeof(created), "%s/created", dir);
	CHECK_EQ(dv_write_file_atomic(existing, "x", 1, 0600), 0);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(a.sun_path)) {
		fprintf(stderr, "socket path too long: %s\n", sock);
		exit(1);
	}
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 4) == 0);
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char *argv[] = { (char *)"dv-reader", (char *)"--selftest", (char *)dir, sock, NULL };
	char *envp[] = { (char *)"DV_READER_SELFTEST=1", NULL };
	pid_t pid;
	CHECK_EQ(posix_spawn(&pid, helper, &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(out) - 1 && (r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0) n += (size_t)r;
	out[n] = '\0';
	close(pfd[0]);
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid);
	fputs(out, stderr);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(strstr(out, "ok execve(/bin/true) refused") != NULL);
	CHECK(strstr(out, "ok connect to a listening unix socket refused") != NULL);
	CHECK(strstr(out, "ok open(O_CREAT|O_WRONLY) refused") != NULL);
	CHECK(strstr(out, "ok socket(AF_INET) refused") != NULL);
	CHECK(strstr(out, "FAIL") == NULL);
	/* nothing was made, changed or removed; nobody connected */
	CHECK(access(created, F_OK) < 0);
	struct stat sb;
	CHECK(stat(existing, &sb) == 0 && sb.st_size == 1 && (sb.st_mode & 0777) == 0600);
	int fl = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	CHECK(accept(l, NULL, NULL) < 0 && errno == EAGAIN);
	close(l);

	/* without the test switch, --selftest refuses */
	char *envp0[] = { NULL };
	CHECK_EQ(posix_spawn(&pid, helper, NULL, NULL, argv, envp0), 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 2);
	/* run by hand (no channel), it refuses to serve */
	char *argv2[] = { (char *)"dv-reader", (char *)"--serve", NULL };
	CHECK_EQ(posix_spawn(&pid, helper, NULL, NULL, argv2, envp0), 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

/* dv_reader_run_io against the fake: outputs kept, one question answered,
 * and each way of breaking it an error with the child reaped */
static int ask_calls;

static int test_ask(void *ctx, const char *q, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)ctx;
	ask_calls++;
	CHECK(len == strlen(q) && !strcmp(q, "{\"q\":1}"));
	CHECK(outs[0].len == 5 && !memcmp(outs[0].data, "hello", 5));
	*reply = strdup("{\"a\":2}");
	return 0;
}

static void job_io(const char *mode, int want_rc, int want_exit, const char *want_text)
{
	dv_reader_io io = { .nout = 1, .out_max = 1000, .ask = test_ask };
	char *argv[] = { (char *)mode, NULL };
	int code = -1;
	int rc = dv_reader_run_io(mode, 1, argv, &io, &code);
	fprintf(stderr, "%s: rc %d, exit %d %s\n", mode, rc, code, rc < 0 ? dv_error_text() : "");
	CHECK_EQ(rc, want_rc);
	if (rc == 0) CHECK_EQ(code, want_exit);
	else CHECK(strstr(dv_error_text(), want_text) != NULL);
	dv_reader_io_dispose(&io);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

static void fault(dv_vault *v, const char *dir, const char *mode, int want_code, const char *want_text)
{
	char src[4200];
	snprintf(src, sizeof(src), "%s/%s", dir, mode);
	mkdir(src, 0700);
	dv_ingest_opts o = { .source = src, .case_name = mode, .operator_name = "tester" };
	dv_ingest_result res;
	int rc = dv_ingest(v, &o, &res);
	fprintf(stderr, "%s: %s\n", mode, dv_error_text());
	CHECK_EQ(rc, want_code);
	CHECK(strstr(dv_error_text(), want_text) != NULL);
	CHECK(!res.complete);
	/* the child was reaped */
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

int main(void)
{
	const char *helper = getenv("DV_READER_BIN"), *fake = getenv("DV_FAKE_READER");
	if (!helper || !fake) {
		fprintf(stderr, "DV_READER_BIN / DV_FAKE_READER not set (run through ctest)\n");
		return 1;
	}
	char dir[4096], vault[4200], path[4096];
	check_tmpdir(dir, sizeof(dir), "reader");
	selftest(helper, dir);

	/* lookup: $DV_READER first, and a clear error when it names nothing */
	setenv("DV_READER", "/nonexistent/dv-reader", 1);
	CHECK_EQ(dv_reader_locate(path, sizeof(path)), DV_ENOTFOUND);
	CHECK(strstr(dv_error_text(), "/nonexistent/dv-reader") != NULL);
	unsetenv("DV_READER");
	CHECK_EQ(dv_reader_locate(path, sizeof(path)), 0);

	snprintf(vault, sizeof(vault), "%s/vault", dir);
	dv_key_source key = { "reader test pass", 16, NULL };
	dv_vault_init_opts io = { .station = "test", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(vault, &key, &io), 0);
	dv_vault *v;
	CHECK_EQ(dv_vault_open(&v, vault, &key, DV_VAULT_WRITE), 0);
	setenv("DV_READER", fake, 1);
	fault(v, dir, "oversize", DV_ECORRUPT, "protocol fault: message type 4 of 4294967295 bytes");
	fault(v, dir, "badtype", DV_ECORRUPT, "protocol fault: message type 99 is not allowed");
	fault(v, dir, "twice", DV_ECORRUPT, "not allowed while listing");
	fault(v, dir, "emptypath", DV_ECORRUPT, "an empty file path");
	fault(v, dir, "outside", DV_ECORRUPT, "is not beneath the source");
	fault(v, dir, "dup", DV_ECORRUPT, "a path listed twice");
	fault(v, dir, "wrongkind", DV_ECORRUPT, "does not match");
	fault(v, dir, "long", DV_ECORRUPT, "more bytes than the file has");
	fault(v, dir, "short", DV_ECORRUPT, "short of its listed size");
	fault(v, dir, "badref", DV_ECORRUPT, "a bad reference into the plaintext ring");
	fault(v, dir, "badfd", DV_ECORRUPT, "is not a read-only regular file");
	fault(v, dir, "die", DV_EIO, "the reader closed its channel early");
	fault(v, dir, "sigsys", DV_EPERM, "sandbox violation");
	{
		/* files mode (audit/radio --case): a descriptor of another file than
		 * the one given is never stored as it */
		char fpath[4200];
		snprintf(fpath, sizeof(fpath), "%s/filesfd", dir);
		CHECK_EQ(dv_write_file_atomic(fpath, "0123456789", 10, 0600), 0);
		const char *fl[] = { fpath };
		dv_ingest_opts fo = { .files = fl, .nfiles = 1, .case_name = "filesfd", .operator_name = "tester" };
		dv_ingest_result fres;
		int frc = dv_ingest(v, &fo, &fres);
		fprintf(stderr, "filesfd: %s\n", dv_error_text());
		CHECK_EQ(frc, DV_EIO);
		CHECK(!fres.complete && fres.files_failed == 1 && fres.files_new == 0);
		CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	}
	job_io("job-ask", 0, 7, NULL);
	CHECK_EQ(ask_calls, 1);
	job_io("job-asknul", DV_ECORRUPT, 0, "a NUL byte in the job's question");
	job_io("job-askopen", DV_ECORRUPT, 0, "the job asked with an output still open");
	job_io("job-askbig", DV_ECORRUPT, 0, "protocol fault: message type 18 of");
	job_io("job-badtype", DV_ECORRUPT, 0, "not allowed while running a job");
	job_io("job-outbig", DV_ENOMEM, 0, "larger than 1000 bytes");
	CHECK_EQ(ask_calls, 1);
	/* after all that, the real reader still ingests into the same vault */
	unsetenv("DV_READER");
	char card[4200], f1[4300];
	snprintf(card, sizeof(card), "%s/card", dir);
	mkdir(card, 0700);
	snprintf(f1, sizeof(f1), "%s/a.bin", card);
	CHECK_EQ(dv_write_file_atomic(f1, "0123456789", 10, 0600), 0);
	dv_ingest_opts o = { .source = card, .case_name = "OK", .operator_name = "tester" };
	dv_ingest_result res;
	CHECK_EQ(dv_ingest(v, &o, &res), 0);
	CHECK(res.complete && res.sandboxed && res.files_new == 1);
	dv_vault_close(v);
	return check_done();
}
