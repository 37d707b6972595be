/* Structures shared between memory.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_MEMORY_H
#define ISOPROBE_MEMORY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* One entry per CPU, summed by the reader. */
struct isoprobe_memory_stat {
	__u64 faults_user;
	__u64 faults_kernel;
	__u64 oom_kills; /* processes of the target killed by the OOM killer */
};

#endif
