// SPDX-License-Identifier: GPL-2.0
/* Scheduling of the target cgroup's tasks: run-queue latency, on-CPU slices,
 * voluntary and involuntary switches, migrations and wakeups.
 *
 * The wakee of a wakeup is usually not the current task, so membership is read
 * from the task_struct (task_in_target), which needs BTF pointers: tp_btf first,
 * raw_tp twins keyed by pid in a hash where tp_btf is missing. */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "events.bpf.h"
#include "sched.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 leader_pid = 0; /* host pid of the workload's first process, if known */
const volatile __u64 runq_event_ns = 0; /* run-queue waits this long become events (0: none) */

#define TASK_RUNNING 0

struct task_times {
	__u64 enqueued; /* when the task became runnable, 0 if not waiting */
	__u64 oncpu;    /* when the task was switched in, 0 if not running */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_times);
} times SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct task_times);
} times_by_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_sched_stat);
} stats SEC(".maps");

static __always_inline void runq_event(struct task_struct *next, __u64 start, __u64 wait)
{
	struct isoprobe_sched_event *e = event_reserve(sizeof(*e));

	if (!e)
		return;
	e->start_ns = start;
	e->duration_ns = wait;
	e->pid = BPF_CORE_READ(next, tgid);
	e->tid = BPF_CORE_READ(next, pid);
	e->cpu = bpf_get_smp_processor_id();
	e->kind = ISOPROBE_SCHED_RUNQ_WAIT;
	BPF_CORE_READ_STR_INTO(&e->comm, next, comm);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct isoprobe_sched_stat *stat(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline struct task_times *times_btf(struct task_struct *p)
{
	return bpf_task_storage_get(&times, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline struct task_times *times_hash(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct task_times zero = {}, *t;

	t = bpf_map_lookup_elem(&times_by_pid, &pid);
	if (t)
		return t;
	bpf_map_update_elem(&times_by_pid, &pid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&times_by_pid, &pid);
}

static __always_inline void on_wakeup(struct task_times *t, bool new_task)
{
	struct isoprobe_sched_stat *s = stat();

	if (t)
		t->enqueued = bpf_ktime_get_ns();
	if (!s)
		return;
	if (new_task)
		s->wakeups_new++;
	else
		s->wakeups++;
}

/* prev leaves the CPU; next takes it. Either side may be ours. */
static __always_inline void on_switch(bool preempt, struct task_struct *prev, struct task_struct *next,
				      struct task_times *pt, struct task_times *nt,
				      bool prev_ours, bool next_ours)
{
	struct isoprobe_sched_stat *s = stat();
	__u64 now = bpf_ktime_get_ns();

	if (!s)
		return;
	if (prev_ours && pt) {
		unsigned int state = BPF_CORE_READ(prev, __state);

		if (pt->oncpu) {
			__u64 slice = now - pt->oncpu;

			s->oncpu_count++;
			s->oncpu_total_ns += slice;
			s->oncpu_hist[hist_slot(slice)]++;
			pt->oncpu = 0;
		}
		if (preempt || state == TASK_RUNNING) {
			s->involuntary_switches++;
			pt->enqueued = now; /* still runnable: waits on the run queue again */
		} else {
			s->voluntary_switches++;
		}
	}
	if (next_ours && nt) {
		if (nt->enqueued) {
			__u64 wait = now - nt->enqueued;

			s->runq_count++;
			s->runq_total_ns += wait;
			s->runq_hist[hist_slot(wait)]++;
			if (runq_event_ns && wait >= runq_event_ns)
				runq_event(next, nt->enqueued, wait);
			nt->enqueued = 0;
		}
		nt->oncpu = now;
	}
}

static __always_inline void on_exit(struct task_struct *p)
{
	struct isoprobe_sched_stat *s = stat();
	__u64 now = bpf_ktime_get_ns();

	if (!s)
		return;
	s->exited_tasks++;
	s->cpu_runtime_ns += BPF_CORE_READ(p, se.sum_exec_runtime);
	s->cpu_utime_ns += BPF_CORE_READ(p, utime);
	s->cpu_stime_ns += BPF_CORE_READ(p, stime);
	if (now > s->last_exit_ns)
		s->last_exit_ns = now;
	if (leader_pid && BPF_CORE_READ(p, pid) == leader_pid) {
		s->leader_exited = 1;
		s->leader_exit_code = (__u32)BPF_CORE_READ(p, exit_code);
	}
}

static __always_inline void on_migrate(void)
{
	struct isoprobe_sched_stat *s = stat();

	if (s)
		s->migrations++;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	if (task_in_target_btf(p))
		on_wakeup(times_btf(p), false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	if (task_in_target_btf(p))
		on_wakeup(times_btf(p), true);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	bool prev_ours = task_in_target_btf(prev), next_ours = task_in_target_btf(next);

	if (!prev_ours && !next_ours)
		return 0;
	on_switch(preempt, prev, next, prev_ours ? times_btf(prev) : NULL,
		  next_ours ? times_btf(next) : NULL, prev_ours, next_ours);
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(sched_migrate_btf, struct task_struct *p, int dest_cpu)
{
	if (task_in_target_btf(p))
		on_migrate();
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit_btf, struct task_struct *p)
{
	if (task_in_target_btf(p))
		on_exit(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_exit_raw, struct task_struct *p)
{
	if (task_in_target(p))
		on_exit(p);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct *p)
{
	if (task_in_target(p))
		on_wakeup(times_hash(p), false);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	if (task_in_target(p))
		on_wakeup(times_hash(p), true);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	bool prev_ours = task_in_target(prev), next_ours = task_in_target(next);

	if (!prev_ours && !next_ours)
		return 0;
	on_switch(preempt, prev, next, prev_ours ? times_hash(prev) : NULL,
		  next_ours ? times_hash(next) : NULL, prev_ours, next_ours);
	return 0;
}

SEC("raw_tp/sched_migrate_task")
int BPF_PROG(sched_migrate_raw, struct task_struct *p, int dest_cpu)
{
	if (task_in_target(p))
		on_migrate();
	return 0;
}
