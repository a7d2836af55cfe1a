/*
 * privsep/sandbox_int.h - the policy dv-reader puts on itself before it
 * touches any input. Only the helper calls it: the library installs no
 * policy on its caller.
 *
 * dv_sandbox_child():
 *   - PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0, RLIMIT_NOFILE 256,
 *     RLIMIT_FSIZE 0, RLIMIT_CORE 0;
 *   - Landlock, best-effort by the kernel's ABI: every write, create,
 *     remove, rename, truncate right handled with no rule granting it (the
 *     whole file system becomes read-only for the process); ABI >= 4 also
 *     TCP bind/connect, ABI >= 6 abstract unix sockets and signals out of
 *     the domain. Absent Landlock (ENOSYS, EOPNOTSUPP) is no failure;
 *   - a seccomp filter (see sandbox.c for what and why).
 * Any failure but an absent Landlock is an error: the helper then exits
 * without reading anything.
 */
#ifndef DV_SANDBOX_INT_H
#define DV_SANDBOX_INT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct dv_sandbox_state {
	uint32_t landlock_abi;   /* 0: not available, else the ABI applied */
} dv_sandbox_state;

int dv_sandbox_child(dv_sandbox_state *st);

/* True when this process runs under a seccomp filter (/proc/self/status). */
bool dv_sandbox_active(void);

#endif
