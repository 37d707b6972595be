// SPDX-License-Identifier: GPL-2.0
/* The network path of a run, in the kernel the probe loads in: TCP retransmissions and
 * dropped packets (skb:kfree_skb, by drop reason) of the run's own /24 of 198.18.0.0/15,
 * and each CPU's NET_RX and NET_TX softirq time over the run. Packets are matched by
 * address, not cgroup: retransmits and drops happen in timers and softirqs, on whatever
 * task was interrupted. Optional, loaded for network workloads only. */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "target.bpf.h"
#include "network.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 subnet = 0; /* the run's /24, network byte order */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_network_stat);
} stats SEC(".maps");

/* Drops by reason (enum skb_drop_reason). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* The softirq each CPU is in, and since when. */
struct softirq_start {
	__u64 ts;
	__u32 vec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq_start);
} entered SEC(".maps");

enum { NET_TX = 2, NET_RX = 3 };

static __always_inline bool ours(__u32 addr)
{
	return (addr & bpf_htonl(0xffffff00)) == subnet;
}

static __always_inline struct isoprobe_network_stat *stat(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit, const struct sock *sk)
{
	struct isoprobe_network_stat *s;

	if (!sk || !(ours(BPF_CORE_READ(sk, __sk_common.skc_daddr)) || ours(BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr))))
		return 0;
	s = stat();
	if (s)
		s->retransmits++;
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(dropped, struct sk_buff *skb, void *location, int reason)
{
	struct iphdr ip;
	unsigned char *head;
	__u16 network;
	__u64 one = 1, *count;
	__u32 key = reason;

	if (BPF_CORE_READ(skb, protocol) != bpf_htons(0x0800 /* ETH_P_IP */))
		return 0;
	head = BPF_CORE_READ(skb, head);
	network = BPF_CORE_READ(skb, network_header);
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
		return 0;
	if (!ours(ip.saddr) && !ours(ip.daddr))
		return 0;
	count = bpf_map_lookup_elem(&drops, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&drops, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_in, unsigned int vec)
{
	__u32 zero = 0;
	struct softirq_start *e;

	if (vec != NET_RX && vec != NET_TX)
		return 0;
	e = bpf_map_lookup_elem(&entered, &zero);
	if (e) {
		e->ts = bpf_ktime_get_ns();
		e->vec = vec;
	}
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_out, unsigned int vec)
{
	__u32 zero = 0;
	struct softirq_start *e;
	struct isoprobe_network_stat *s;
	__u64 delta;

	if (vec != NET_RX && vec != NET_TX)
		return 0;
	e = bpf_map_lookup_elem(&entered, &zero);
	s = stat();
	if (!e || !s || !e->ts || e->vec != vec)
		return 0;
	delta = bpf_ktime_get_ns() - e->ts;
	e->ts = 0;
	if (vec == NET_RX) {
		s->net_rx_ns += delta;
		s->net_rx_count++;
	} else {
		s->net_tx_ns += delta;
		s->net_tx_count++;
	}
	return 0;
}
