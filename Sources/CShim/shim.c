#define _GNU_SOURCE
#include "shim.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- libbpf log capture ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;
static int log_verbose;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[4096];
	int n;

	if (level == LIBBPF_DEBUG && !log_verbose)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, args);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log_verbose)
		fputs(line, stderr);
	pthread_mutex_lock(&log_lock);
	/* Keep the newest 1 MiB: a verifier log can be long, its end says why. */
	if (log_len + n + 1 > log_cap) {
		size_t want = log_cap ? log_cap * 2 : 65536;
		while (want < log_len + n + 1)
			want *= 2;
		if (want > (1u << 20)) {
			want = 1u << 20;
			if (log_len + n + 1 > want) {
				size_t drop = log_len + n + 1 - want;
				if (drop > log_len)
					drop = log_len;
				memmove(log_buf, log_buf + drop, log_len - drop);
				log_len -= drop;
			}
		}
		if (want != log_cap) {
			char *p = realloc(log_buf, want);
			if (!p) {
				pthread_mutex_unlock(&log_lock);
				return 0;
			}
			log_buf = p;
			log_cap = want;
		}
	}
	if (log_len + n + 1 <= log_cap) {
		memcpy(log_buf + log_len, line, n);
		log_len += n;
		log_buf[log_len] = 0;
	}
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void isoprobe_libbpf_log_install(int verbose)
{
	log_verbose = verbose;
	libbpf_set_print(capture_print);
}

char *isoprobe_libbpf_log_take(void)
{
	char *out;

	pthread_mutex_lock(&log_lock);
	out = strndup(log_buf ? log_buf : "", log_len);
	log_len = 0;
	pthread_mutex_unlock(&log_lock);
	return out;
}

/* ---- spawning into a cgroup ---- */

static int last_used_clone3;

int isoprobe_spawn_used_clone3(void)
{
	return last_used_clone3;
}

/* Runs in the child: only async-signal-safe calls from here on. */
static void child_exec(const char *path, char *const argv[], char *const envp[],
		       int stdin_fd, int stdout_fd, int stderr_fd, const char *cwd,
		       int report_fd, int cgroup_procs_fd)
{
	sigset_t none;
	int err;

	if (cgroup_procs_fd >= 0) {
		if (write(cgroup_procs_fd, "0", 1) != 1)
			goto fail;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (stdin_fd >= 0 && dup2(stdin_fd, 0) < 0)
		goto fail;
	if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0)
		goto fail;
	if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0)
		goto fail;
	if (cwd && chdir(cwd) < 0)
		goto fail;
	execve(path, argv, envp);
fail:
	err = errno;
	(void)!write(report_fd, &err, sizeof(err));
	_exit(127);
}

pid_t isoprobe_spawn_in_cgroup(const char *path, char *const argv[], char *const envp[],
			       int cgroup_fd, int stdin_fd, int stdout_fd, int stderr_fd,
			       const char *cwd)
{
	int report[2], err = 0, procs_fd = -1;
	struct clone_args args;
	pid_t pid;
	ssize_t n;

	if (pipe2(report, O_CLOEXEC) < 0)
		return -1;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgroup_fd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	last_used_clone3 = 1;
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
		/* Kernel before 5.7: move the child itself before it execs. */
		last_used_clone3 = 0;
		procs_fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (procs_fd < 0) {
			err = errno;
			goto out;
		}
		pid = fork();
	}
	if (pid < 0) {
		err = errno;
		goto out;
	}
	if (pid == 0) {
		close(report[0]);
		child_exec(path, argv, envp, stdin_fd, stdout_fd, stderr_fd, cwd, report[1],
			   procs_fd);
	}
	close(report[1]);
	report[1] = -1;
	/* EOF means exec succeeded (the pipe closed on exec). */
	do {
		n = read(report[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(err)) {
		waitpid(pid, NULL, 0);
		pid = -1;
	} else {
		err = 0;
	}
out:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (procs_fd >= 0)
		close(procs_fd);
	if (pid < 0)
		errno = err;
	return pid;
}

int isoprobe_pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}
