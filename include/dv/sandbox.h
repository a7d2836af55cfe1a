/*
 * dv/sandbox.h - keeps the acquisition path off the network.
 *
 * dv_sandbox_no_network() installs a seccomp filter (libseccomp) in the
 * calling process: socket(2) and socketpair(2) for any address family but
 * AF_UNIX fail with EACCES, and io_uring_setup(2) (which can create sockets
 * behind seccomp's back) fails with ENOSYS. Inherited sockets of other
 * families are closed first. The filter cannot be removed and is inherited
 * by children. Everything else is allowed.
 */
#ifndef DV_SANDBOX_H
#define DV_SANDBOX_H

#include <stdbool.h>

int dv_sandbox_no_network(void);

/* True when this process runs under a seccomp filter (/proc/self/status). */
bool dv_sandbox_active(void);

#endif
