#include "dv/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/err.h"

static void close_inherited_network_sockets(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) return;
	struct dirent *e;
	int self = dirfd(d);
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || fd < 3 || fd == self) continue;
		struct stat st;
		int domain = 0;
		socklen_t len = sizeof(domain);
		if (fstat((int)fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain != AF_UNIX)
			close((int)fd);
	}
	closedir(d);
}

int dv_sandbox_no_network(void)
{
	close_inherited_network_sockets();
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) return dv_error_set(DV_ERROR, NULL, -1, "cannot create a seccomp filter");
	/* family != AF_UNIX (written out: SCMP_A0() leaves a field to the
	 * compiler, which -Wmissing-field-initializers rejects) */
	const struct scmp_arg_cmp not_unix = { .arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_UNIX, .datum_b = 0 };
	int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &not_unix);
	if (rc == 0) rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socketpair), 1, &not_unix);
	if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0);
	if (rc == 0) rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		return dv_error_set(DV_EPERM, NULL, -1, "cannot install the no-network seccomp filter: %s",
		                    strerror(rc < 0 ? -rc : rc));
	return 0;
}

bool dv_sandbox_active(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f) return false;
	char line[256];
	bool on = false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8)) {
			on = atoi(line + 8) == 2;
			break;
		}
	fclose(f);
	return on;
}
