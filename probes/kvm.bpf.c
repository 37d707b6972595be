// SPDX-License-Identifier: GPL-2.0
/* VM exits of the target cgroup's vCPU threads, by reason, with the time from each exit
 * to the next entry (what handling the exit cost), as `perf kvm stat` reports them.
 * Classic kvm tracepoints: the exit reason is computed by the tracepoint itself and is
 * only in its record. Under nested PVM kvm_exit and kvm_entry do not fire at all (PVM
 * has its own exit path); kvm_pio does, which proves the attach path there. */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "kvm.h"

char LICENSE[] SEC("license") = "GPL";

/* The records, as the tracepoints' format files lay them out. */
struct kvm_exit_record {
	__u64 common;
	__u32 exit_reason;
	__u32 pad;
	__u64 guest_rip;
	__u32 isa;
};

struct pending_exit {
	__u64 ts;
	__u32 key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pending_exit);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct isoprobe_kvm_exit_stat);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_kvm_stat);
} stats SEC(".maps");

static __always_inline struct isoprobe_kvm_stat *stat(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

SEC("tracepoint/kvm/kvm_exit")
int kvm_exit(struct kvm_exit_record *ctx)
{
	struct pending_exit p;
	struct isoprobe_kvm_stat *s;
	__u32 tid;

	if (!current_in_target())
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	p.ts = bpf_ktime_get_ns();
	p.key = (ctx->isa << 16) | (ctx->exit_reason & 0xffff);
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	s = stat();
	if (s)
		s->exits++;
	return 0;
}

SEC("tracepoint/kvm/kvm_entry")
int kvm_entry(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_exit *p = bpf_map_lookup_elem(&pending, &tid);
	struct isoprobe_kvm_exit_stat *e, zero = {};
	struct isoprobe_kvm_stat *s;
	__u64 delta;
	__u32 key;

	if (!p)
		return 0;
	delta = bpf_ktime_get_ns() - p->ts;
	key = p->key;
	bpf_map_delete_elem(&pending, &tid);
	e = bpf_map_lookup_elem(&exits, &key);
	if (!e) {
		bpf_map_update_elem(&exits, &key, &zero, BPF_NOEXIST);
		e = bpf_map_lookup_elem(&exits, &key);
		if (!e)
			return 0;
	}
	__sync_fetch_and_add(&e->count, 1);
	__sync_fetch_and_add(&e->total_ns, delta);
	__sync_fetch_and_add(&e->hist[hist_slot(delta)], 1);
	s = stat();
	if (s)
		s->entries++;
	return 0;
}

SEC("tracepoint/kvm/kvm_pio")
int kvm_pio(void *ctx)
{
	struct isoprobe_kvm_stat *s;

	if (!current_in_target())
		return 0;
	s = stat();
	if (s)
		s->pio++;
	return 0;
}
