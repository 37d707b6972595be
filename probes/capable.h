/* Structures shared between capable.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_CAPABLE_H
#define ISOPROBE_CAPABLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Room for every capability up to CAP_LAST_CAP and those a newer kernel may add. */
#define ISOPROBE_CAP_SLOTS 64

/* Per capability number: how often the kernel checked it for the target, and refused it. */
struct isoprobe_cap_stat {
	__u64 checks;
	__u64 refused;
};

#endif
