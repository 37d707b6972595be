/* Small C helpers for what Swift cannot call directly. */
#ifndef ISOPROBE_SHIM_H
#define ISOPROBE_SHIM_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* Structures shared with the probes (the headers in probes/). */
#include "../../../probes/syscalls.h"
#include "../../../probes/sched.h"
#include "../../../probes/memory.h"
#include "../../../probes/kvm.h"
#include "../../../probes/capable.h"
#include "../../../probes/block.h"

/* libbpf's print callback takes a va_list: collect its lines in a buffer instead.
 * verbose also echoes debug lines to stderr. */
void isoprobe_libbpf_log_install(int verbose);
/* Returns the collected text (caller frees) and empties the buffer. */
char *isoprobe_libbpf_log_take(void);

/* Starts path with argv/envp as a child placed in the cgroup2 directory cgroup_fd
 * from its first instruction (clone3 CLONE_INTO_CGROUP, or fork and a write to
 * cgroup.procs before exec on kernels without it). fds 0-2 of the child become
 * stdin_fd/stdout_fd/stderr_fd (-1 keeps the parent's). cwd may be NULL.
 * Returns the pid, or -1 with errno set (exec failures are reported too). */
pid_t isoprobe_spawn_in_cgroup(const char *path, char *const argv[], char *const envp[],
                               int cgroup_fd, int stdin_fd, int stdout_fd, int stderr_fd,
                               const char *cwd);

/* pipe2(O_CLOEXEC), which glibc hides without _GNU_SOURCE. */
int isoprobe_pipe_cloexec(int fds[2]);

/* Whether the last spawn used clone3 (1) or the fork fallback (0). */
int isoprobe_spawn_used_clone3(void);

#endif
