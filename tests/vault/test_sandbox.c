/* The library installs no policy on its caller: after dv_ingest (which reads
 * the source in the sandboxed reader) this process can still make sockets of
 * every family, runs without a seccomp filter, and its own inherited network
 * sockets are left open. The ingest still says it was sandboxed. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "check.h"
#include "dv/ingest.h"
#include "dv/util.h"

static bool filtered(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	bool on = false;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8)) on = atoi(line + 8) != 0;
	if (f) fclose(f);
	return on;
}

int main(void)
{
	char dir[4096], vault[4200], card[4200], file[4300];
	check_tmpdir(dir, sizeof(dir), "sandbox");
	mkdir(dir, 0700);
	snprintf(vault, sizeof(vault), "%s/vault", dir);
	snprintf(card, sizeof(card), "%s/card", dir);
	mkdir(card, 0700);
	snprintf(file, sizeof(file), "%s/DJI_0001.JPG", card);
	CHECK_EQ(dv_write_file_atomic(file, "not really a photo", 18, 0600), 0);
	int inet_before = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(inet_before >= 0);

	dv_key_source key = { "sandbox test pass", 17, NULL };
	dv_vault_init_opts io = { .station = "test", .operator_name = "tester", .kdf_ops = 1, .kdf_mem = 8u << 20 };
	CHECK_EQ(dv_vault_init(vault, &key, &io), 0);
	dv_vault *v;
	CHECK_EQ(dv_vault_open(&v, vault, &key, DV_VAULT_WRITE), 0);
	dv_ingest_opts o = { .source = card, .case_name = "SB", .operator_name = "tester" };
	dv_ingest_result res;
	int rc = dv_ingest(v, &o, &res);
	if (rc < 0) fprintf(stderr, "ingest: %s\n", dv_error_text());
	CHECK_EQ(rc, 0);
	CHECK(res.complete);
	CHECK(res.sandboxed);
	CHECK_EQ(res.files_new, 1);
	dv_vault_close(v);

	/* the caller is untouched */
	CHECK(!filtered());
	CHECK(fcntl(inet_before, F_GETFD) != -1);
	int s4 = socket(AF_INET, SOCK_STREAM, 0), s6 = socket(AF_INET6, SOCK_DGRAM, 0), su = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s4 >= 0);
	CHECK(s6 >= 0 || errno == EAFNOSUPPORT);
	CHECK(su >= 0);
	int sv[2];
	CHECK(socketpair(AF_INET, SOCK_STREAM, 0, sv) == -1 && errno == EOPNOTSUPP); /* the kernel's answer, not a filter's EACCES */
	close(s4);
	if (s6 >= 0) close(s6);
	close(su);
	close(inet_before);
	return check_done();
}
