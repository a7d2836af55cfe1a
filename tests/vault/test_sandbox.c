#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>

#include "check.h"
#include "dv/sandbox.h"

/* The filter is irreversible: run it in a child and report by exit code. */
int main(void)
{
	/* before: an INET socket works (the filter is what stops it) */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0);
	if (s >= 0) close(s);
	CHECK(!dv_sandbox_active());
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		int inherited = socket(AF_INET6, SOCK_DGRAM, 0);
		if (dv_sandbox_no_network() != 0) _exit(10);
		/* an inherited network socket was closed */
		if (inherited >= 0 && fcntl(inherited, F_GETFD) != -1) bad |= 128;
		if (!dv_sandbox_active()) bad |= 1;
		errno = 0;
		if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EACCES) bad |= 2;
		if (socket(AF_INET6, SOCK_DGRAM, 0) != -1) bad |= 4;
		if (socket(AF_NETLINK, SOCK_RAW, 0) != -1) bad |= 8;
		if (socket(AF_PACKET, SOCK_RAW, 0) != -1) bad |= 16;
		int fds[2];
		if (socketpair(AF_INET, SOCK_STREAM, 0, fds) != -1) bad |= 32;
		int u = socket(AF_UNIX, SOCK_STREAM, 0);
		if (u < 0) bad |= 64;
		_exit(bad);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return check_done();
}
