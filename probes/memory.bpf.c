// SPDX-License-Identifier: GPL-2.0
/* Memory activity of the target cgroup: page faults taken in user and in kernel
 * mode (a kernel copy to a fresh user page faults in kernel mode) and the peak
 * resident set. The bytes asked of mmap, munmap and brk are counted by the syscall
 * probe, which sees those calls anyway: a hook of their own here would add a
 * syscall-tracepoint handler to every syscall (about 100 ns each, measured). */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "memory.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_memory_stat);
} stats SEC(".maps");

/* Largest resident set per address space, in pages, from the rss_stat tracepoint
 * (which fires on every change of an mm's counters). Only address spaces made by an
 * exec inside the target, or forked from one, are tracked: the workload's first task
 * starts as a copy of isoprobe until it execs, and that copy is not the workload's.
 * (wait4's ru_maxrss has the same flaw, so it cannot be used.) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);   /* mm_struct address */
	__type(value, __u64); /* peak pages */
} rss_peak SEC(".maps");

/* Before 6.2 the counters were atomics in struct mm_rss_stat; since, percpu_counters. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___new {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

enum { FILEPAGES = 0, ANONPAGES = 1, SHMEMPAGES = 3 };

static __always_inline __s64 mm_counter(struct mm_struct *mm, int member)
{
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		return BPF_CORE_READ(old, rss_stat.count[member].counter);
	} else {
		struct mm_struct___new *new = (void *)mm;

		return BPF_CORE_READ(new, rss_stat[member].count);
	}
}

static __always_inline void track_rss(struct mm_struct *mm)
{
	__s64 pages;
	__u64 key = (__u64)mm, *peak;

	if (!mm)
		return;
	peak = bpf_map_lookup_elem(&rss_peak, &key);
	if (!peak)
		return;
	pages = mm_counter(mm, FILEPAGES) + mm_counter(mm, ANONPAGES) + mm_counter(mm, SHMEMPAGES);
	if (pages > 0 && (__u64)pages > *peak)
		*peak = pages;
}

static __always_inline void track_mm(struct mm_struct *mm)
{
	__u64 key = (__u64)mm, zero = 0;

	if (mm)
		bpf_map_update_elem(&rss_peak, &key, &zero, BPF_NOEXIST);
}

static __always_inline void on_exec(struct task_struct *p)
{
	if (task_in_target(p))
		track_mm(BPF_CORE_READ(p, mm));
}

static __always_inline void on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u64 key = (__u64)BPF_CORE_READ(parent, mm);
	struct mm_struct *mm = BPF_CORE_READ(child, mm);

	if ((__u64)mm != key && bpf_map_lookup_elem(&rss_peak, &key))
		track_mm(mm);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p)
{
	on_exec(p);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p)
{
	on_exec(p);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(rss_stat_btf, struct mm_struct *mm, int member)
{
	track_rss(mm);
	return 0;
}

SEC("raw_tp/rss_stat")
int BPF_PROG(rss_stat_raw, struct mm_struct *mm, int member)
{
	track_rss(mm);
	return 0;
}

static __always_inline struct isoprobe_memory_stat *stat(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline void count_fault(bool user)
{
	struct isoprobe_memory_stat *s;

	if (!current_in_target())
		return;
	s = stat();
	if (!s)
		return;
	if (user)
		s->faults_user++;
	else
		s->faults_kernel++;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user_btf)
{
	count_fault(true);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel_btf)
{
	count_fault(false);
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault_user_raw)
{
	count_fault(true);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(page_fault_kernel_raw)
{
	count_fault(false);
	return 0;
}

/* An OOM victim keeps signal->oom_mm set until it is freed; counting group leaders at
 * exit gives one per killed process on every kernel (mark_victim's arguments changed). */
static __always_inline void on_exit(struct task_struct *p)
{
	struct isoprobe_memory_stat *s;

	if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid) || !task_in_target(p))
		return;
	if (!BPF_CORE_READ(p, signal, oom_mm))
		return;
	s = stat();
	if (s)
		s->oom_kills++;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *p)
{
	on_exit(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *p)
{
	on_exit(p);
	return 0;
}
