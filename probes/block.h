/* Structures shared between block.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_BLOCK_H
#define ISOPROBE_BLOCK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "histogram.h"

/* Per operation: read, write, and the rest (flush, discard...). */
#define ISOPROBE_BLOCK_OPS 3

/* One entry per operation and CPU, summed by the reader. */
struct isoprobe_block_op_stat {
	__u64 completions;
	__u64 bytes;
	__u64 total_ns;                      /* issue to completion, summed */
	__u64 hist[ISOPROBE_HIST_SLOTS];     /* issue to completion, ns, log2 */
};

/* One entry per CPU, summed by the reader. */
struct isoprobe_block_stat {
	__u64 issued;
	__u64 unmatched;                     /* completions whose issue was not seen */
	__u64 depth_hist[ISOPROBE_HIST_SLOTS]; /* requests in flight at each issue, itself included */
};

/* One entry, shared: what is in flight now and the most seen. */
struct isoprobe_block_depth {
	__u64 in_flight;
	__u64 max_in_flight;
};

#endif
