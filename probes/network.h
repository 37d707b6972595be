/* Structures shared between network.bpf.c and isoprobe (NetworkProbe reads them with
 * the same layout: every field a __u64). */
#ifndef ISOPROBE_NETWORK_H
#define ISOPROBE_NETWORK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* One entry per CPU. Softirq time is the CPU's whole NET_RX/NET_TX time over the run:
 * softirqs run on whatever task they interrupt, so no cgroup can be charged for them. */
struct isoprobe_network_stat {
	__u64 retransmits;   /* tcp:tcp_retransmit_skb on the run's /24 */
	__u64 net_rx_ns;
	__u64 net_tx_ns;
	__u64 net_rx_count;
	__u64 net_tx_count;
};

#endif
