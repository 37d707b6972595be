// SPDX-License-Identifier: GPL-2.0
/* Capability checks the kernel made for the target cgroup's tasks, and how many it
 * refused, from the cap_capable tracepoint (its ret is the verdict the caller acts on). */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "capable.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISOPROBE_CAP_SLOTS);
	__type(key, __u32);
	__type(value, struct isoprobe_cap_stat);
} caps SEC(".maps");

SEC("tp_btf/cap_capable")
int BPF_PROG(on_cap_capable, const struct cred *cred, struct user_namespace *targ_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	__u32 key = (__u32)cap;
	struct isoprobe_cap_stat *s;

	if (!current_in_target())
		return 0;
	s = bpf_map_lookup_elem(&caps, &key);
	if (!s)
		return 0;
	__sync_fetch_and_add(&s->checks, 1);
	if (ret != 0)
		__sync_fetch_and_add(&s->refused, 1);
	return 0;
}
