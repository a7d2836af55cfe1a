/*
 * The reader's sandbox (privsep/sandbox_int.h).
 *
 * The seccomp filter is a denylist with argument filters, not a
 * default-deny allowlist. Why: the reader runs libtsk, libexif, libxml2,
 * json-c, FFmpeg (dlopen'd), and in test builds ASan/UBSan; an allowlist
 * that is right for all of them on every libc and kernel needs each of them
 * exercised under it, and an allowlist that is wrong kills the ingest of a
 * card in the field. What the reader must never do is listed instead, and
 * every item is tested (dv-reader --selftest, tests/privsep): no socket
 * of any family (the channel was made by the parent), no connect, bind,
 * listen, accept; no exec; no ptrace or process_vm_*; no io_uring (it can
 * do all of the above behind seccomp's back); no open for writing,
 * creating or truncating (argument filter on the flags), no openat2 (its
 * flags are in memory seccomp cannot read: ENOSYS makes libc fall back to
 * openat); nothing that changes the file system (unlink, rename, mkdir,
 * link, symlink, chmod, chown, truncate, mknod, xattrs, utimes, mount);
 * no signals to other processes; no namespaces, modules, bpf, perf,
 * keyrings, userfaultfd. Landlock (best-effort) makes the file system
 * read-only a second time, below seccomp. Calls are refused with EACCES
 * (the parsers see an ordinary error) rather than killed, except where
 * only an attack would try them. Other architectures than the build's are
 * killed (libseccomp's bad-arch default, which also covers x32 on x86-64).
 */
#include "privsep/privsep_int.h"
#include "privsep/sandbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dv/err.h"

/* ---- Landlock (raw system calls: glibc has no wrappers) -------------------- */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_restrict_self 446
#endif

/* the ruleset attribute as of ABI 6; older kernels get a prefix of it */
struct ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static int landlock_read_only(uint32_t *abi_out)
{
	*abi_out = 0;
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP) return 0; /* not built in or disabled: best-effort */
		return dv_error_errno(errno, "sandbox", -1, "cannot ask the kernel for its Landlock version");
	}
	struct ll_attr a = { 0, 0, 0 };
	size_t size = sizeof(a.handled_access_fs);
	a.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	                      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	                      LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	                      LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |
	                      LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi >= 2) a.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3) a.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4) {
		a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_attr, scoped);
	}
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	int fd = (int)syscall(__NR_landlock_create_ruleset, &a, size, 0);
	if (fd < 0) return dv_error_errno(errno, "sandbox", -1, "cannot create a Landlock ruleset (ABI %ld)", abi);
	/* no rule grants any handled right: everything handled is denied everywhere */
	int rc = (int)syscall(__NR_landlock_restrict_self, fd, 0);
	int e = errno;
	close(fd);
	if (rc < 0) return dv_error_errno(e, "sandbox", -1, "cannot enforce the Landlock ruleset");
	*abi_out = (uint32_t)abi;
	return 0;
}

/* ---- seccomp ---------------------------------------------------------------- */
#define DENY SCMP_ACT_ERRNO(EACCES)

static int deny_all(scmp_filter_ctx ctx, const int *calls, size_t n, uint32_t action)
{
	for (size_t i = 0; i < n; i++) {
		if (calls[i] == __NR_SCMP_ERROR) continue;
		int rc = seccomp_rule_add(ctx, action, calls[i], 0);
		/* a call this architecture does not have (e.g. open on arm64) */
		if (rc == -EFAULT || rc == -EDOM) continue;
		if (rc < 0) return rc;
	}
	return 0;
}

/* open-like call `nr` whose flags are argument `arg`: refused when any
 * write, create or truncate bit is set */
static int deny_write_flags(scmp_filter_ctx ctx, int nr, unsigned arg)
{
	static const uint64_t bits[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_TMPFILE & ~(uint64_t)O_DIRECTORY };
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		const struct scmp_arg_cmp c = { .arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = bits[i], .datum_b = bits[i] };
		int rc = seccomp_rule_add_array(ctx, DENY, nr, 1, &c);
		if (rc == -EFAULT || rc == -EDOM) return 0;
		if (rc < 0) return rc;
	}
	return 0;
}

/* a signal call whose target is argument 0: only this process itself */
static int deny_other_pid(scmp_filter_ctx ctx, int nr)
{
	const struct scmp_arg_cmp c = { .arg = 0, .op = SCMP_CMP_NE, .datum_a = (uint64_t)getpid(), .datum_b = 0 };
	return seccomp_rule_add_array(ctx, DENY, nr, 1, &c);
}

static int install_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) return -ENOMEM;
	static const int net[] = {
		SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
		SCMP_SYS(accept), SCMP_SYS(accept4),
	};
	static const int fs[] = {
		SCMP_SYS(creat), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
		SCMP_SYS(renameat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(link),
		SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmod),
		SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown), SCMP_SYS(lchown), SCMP_SYS(fchownat),
		SCMP_SYS(truncate), SCMP_SYS(ftruncate), SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(setxattr),
		SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr), SCMP_SYS(removexattr), SCMP_SYS(lremovexattr),
		SCMP_SYS(fremovexattr), SCMP_SYS(utime), SCMP_SYS(utimes), SCMP_SYS(utimensat), SCMP_SYS(futimesat),
		SCMP_SYS(fallocate), SCMP_SYS(memfd_create), SCMP_SYS(name_to_handle_at), SCMP_SYS(open_by_handle_at),
		SCMP_SYS(chroot), SCMP_SYS(acct), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(sync),
		SCMP_SYS(syncfs),
	};
	/* nothing a parser does; only an attack would: ENOSYS-like refusal is
	 * still EACCES so a test can see it, and the parent is not fooled */
	static const int proc[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_writev),
		SCMP_SYS(process_vm_readv), SCMP_SYS(pidfd_getfd), SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_send_signal),
		SCMP_SYS(tkill), SCMP_SYS(kcmp), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
		SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(move_mount), SCMP_SYS(open_tree),
		SCMP_SYS(mount_setattr), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
		SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
		SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
		SCMP_SYS(kexec_file_load), SCMP_SYS(reboot), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
		SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
		SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex), SCMP_SYS(clock_adjtime),
		SCMP_SYS(quotactl), SCMP_SYS(fanotify_init), SCMP_SYS(vhangup), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	};
	int rc = deny_all(ctx, net, sizeof(net) / sizeof(net[0]), DENY);
	if (rc == 0) rc = deny_all(ctx, fs, sizeof(fs) / sizeof(fs[0]), DENY);
	if (rc == 0) rc = deny_all(ctx, proc, sizeof(proc) / sizeof(proc[0]), DENY);
	if (rc == 0) rc = deny_write_flags(ctx, SCMP_SYS(open), 1);
	if (rc == 0) rc = deny_write_flags(ctx, SCMP_SYS(openat), 2);
	if (rc == 0) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
		if (rc == -EFAULT || rc == -EDOM) rc = 0;
	}
	/* signals: to this process only (raise, abort), never to another */
	if (rc == 0) rc = deny_other_pid(ctx, SCMP_SYS(kill));
	if (rc == 0) rc = deny_other_pid(ctx, SCMP_SYS(tgkill));
	if (rc == 0) rc = deny_other_pid(ctx, SCMP_SYS(rt_sigqueueinfo));
	if (rc == 0) rc = deny_other_pid(ctx, SCMP_SYS(rt_tgsigqueueinfo));
	/* prlimit64 on another process (libc's getrlimit/setrlimit pass pid 0) */
	if (rc == 0) {
		const struct scmp_arg_cmp c = { .arg = 0, .op = SCMP_CMP_NE, .datum_a = 0, .datum_b = 0 };
		rc = seccomp_rule_add_array(ctx, DENY, SCMP_SYS(prlimit64), 1, &c);
	}
	if (rc == 0) rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int dv_sandbox_child(dv_sandbox_state *st)
{
	memset(st, 0, sizeof(*st));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return dv_error_errno(errno, "sandbox", -1, "cannot set no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return dv_error_errno(errno, "sandbox", -1, "cannot clear dumpable");
	const struct rlimit nofile = { 256, 256 }, zero = { 0, 0 };
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_FSIZE, &zero) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0)
		return dv_error_errno(errno, "sandbox", -1, "cannot lower the resource limits");
	int rc = landlock_read_only(&st->landlock_abi);
	if (rc < 0) return rc;
	if ((rc = install_filter()) != 0)
		return dv_error_set(DV_EPERM, "sandbox", -1, "cannot install the seccomp filter: %s", strerror(rc < 0 ? -rc : rc));
	if (!dv_sandbox_active()) return dv_error_set(DV_EPERM, "sandbox", -1, "the seccomp filter is not in force");
	return 0;
}

bool dv_sandbox_active(void)
{
	return dv_privsep_seccomp_filtered(0);
}
