/* Structures shared between syscalls.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_SYSCALLS_H
#define ISOPROBE_SYSCALLS_H

#include "histogram.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Syscall numbers at or above this are counted in the last slot. */
#define ISOPROBE_MAX_SYSCALLS 512

/* Per syscall number, per CPU: summed by the reader. */
struct isoprobe_syscall_stat {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 hist[ISOPROBE_HIST_SLOTS]; /* latency in ns, log2 slots */
};

/* Memory asked of the kernel through mmap, munmap and brk, successful calls only;
 * counted here, at no extra hook per syscall, and reported with the memory family. */
struct isoprobe_memory_syscalls {
	__u64 mmap_calls;
	__u64 mmap_bytes;
	__u64 munmap_calls;
	__u64 munmap_bytes;
	__u64 brk_calls;
	__u64 brk_grow_bytes;
	__u64 brk_shrink_bytes;
};

struct isoprobe_syscall_errno_key {
	__u32 nr;
	__u32 err; /* positive errno */
};

/* One slow syscall, sent through the ring buffer. */
struct isoprobe_syscall_event {
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 duration_ns;
	__s64 ret;
	__u32 pid;
	__u32 tid;
	__u32 nr;
	__u32 cpu;
	char comm[16];
};

#endif
