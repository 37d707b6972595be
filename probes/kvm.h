/* Structures shared between kvm.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_KVM_H
#define ISOPROBE_KVM_H

#include "histogram.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Per exit reason: key (isa << 16) | exit_reason; isa 1 = VMX, 2 = SVM. */
struct isoprobe_kvm_exit_stat {
	__u64 count;
	__u64 total_ns; /* exit to the next entry of the same vCPU thread */
	__u64 hist[ISOPROBE_HIST_SLOTS];
};

/* One entry per CPU, summed by the reader. */
struct isoprobe_kvm_stat {
	__u64 exits;
	__u64 entries;
	__u64 pio; /* kvm_pio: port I/O handled in the kernel or passed to the VMM */
};

#endif
