// SPDX-License-Identifier: GPL-2.0
/* Per-syscall counts, errors and latency for the target cgroup.
 *
 * Exit aggregates into a per-CPU array indexed by syscall number, so the hot path
 * takes no lock and shares no cache line. Where entry keeps the start time, three
 * variants, the loader taking the first this kernel supports:
 *   *_fast  (tp_btf, 5.19+): one per-CPU in-flight slot. A task normally leaves the
 *           syscall on the CPU it entered on, so exit finds its slot there. When
 *           another target task enters on that CPU first (ours blocked or was
 *           preempted), the slot is spilled to a hash; when ours migrated, exit looks
 *           in the other CPUs' slots. Cheapest: no task storage, no hash on the fast path.
 *   *_btf   (tp_btf, 5.11+): task-local storage.
 *   *_raw   (raw_tp): a hash keyed by thread id, for kernels without BTF tracepoints. */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "events.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 slow_threshold_ns = 0; /* 0: no events */
const volatile __u32 nr_cpus = 1;           /* possible CPUs, for the migration search */

#define MAX_CPUS 1024

struct syscall_start {
	__u64 ts;
	__u64 nr;
	__u64 arg; /* mmap/munmap: length; brk: the break before the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_start);
} starts_by_tid SEC(".maps");

struct inflight {
	__u32 tid; /* 0: free */
	__u32 nr;
	__u64 ts;
	__u64 arg;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_start);
} spilled SEC(".maps");

/* Whether the thread that last made a syscall on this CPU is a target: the cgroup
 * ancestor walk costs about 60 ns, and a CPU runs the same thread for many syscalls.
 * Keyed by thread id; the map is new for every run, and workloads start inside their
 * cgroup, so a verdict cannot predate a move. */
struct verdict {
	__u32 tid;
	__u32 in_target;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct verdict);
} verdicts SEC(".maps");

static __always_inline bool thread_in_target(__u32 tid)
{
	__u32 zero = 0;
	struct verdict *v = bpf_map_lookup_elem(&verdicts, &zero);

	if (!v)
		return current_in_target();
	if (v->tid != tid) {
		v->tid = tid;
		v->in_target = current_in_target();
	}
	return v->in_target;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISOPROBE_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct isoprobe_syscall_stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_memory_syscalls);
} memory_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct isoprobe_syscall_errno_key);
	__type(value, __u64);
} errnos SEC(".maps");


#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12

/* What entry must keep for the memory figures; 0 for every other syscall. */
static __always_inline __u64 memory_arg(long id, struct pt_regs *regs)
{
	if (id == NR_MMAP || id == NR_MUNMAP)
		return BPF_CORE_READ(regs, si);
	if (id == NR_BRK) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		return BPF_CORE_READ(task, mm, brk);
	}
	return 0;
}

static __always_inline void account_memory(__u64 nr, __u64 arg, long ret)
{
	__u32 zero = 0;
	struct isoprobe_memory_syscalls *m = bpf_map_lookup_elem(&memory_syscalls, &zero);

	if (!m || (ret < 0 && ret >= -4095))
		return;
	if (nr == NR_MMAP) {
		m->mmap_calls++;
		m->mmap_bytes += arg;
	} else if (nr == NR_MUNMAP) {
		m->munmap_calls++;
		m->munmap_bytes += arg;
	} else {
		m->brk_calls++;
		if ((__u64)ret > arg)
			m->brk_grow_bytes += (__u64)ret - arg;
		else
			m->brk_shrink_bytes += arg - (__u64)ret;
	}
}

static __always_inline void record(__u64 nr, __u64 start, long ret, __u64 arg)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 delta = now - start;
	__u32 key = nr < ISOPROBE_MAX_SYSCALLS ? nr : ISOPROBE_MAX_SYSCALLS - 1;
	struct isoprobe_syscall_stat *s = bpf_map_lookup_elem(&stats, &key);

	if (!s)
		return;
	s->count++;
	s->total_ns += delta;
	s->hist[hist_slot(delta)]++;
	if (nr == NR_MMAP || nr == NR_MUNMAP || nr == NR_BRK)
		account_memory(nr, arg, ret);
	if (ret < 0 && ret >= -4095) {
		struct isoprobe_syscall_errno_key ek = { .nr = key, .err = (__u32)-ret };
		__u64 one = 1, *c;

		s->errors++;
		c = bpf_map_lookup_elem(&errnos, &ek);
		if (c)
			__sync_fetch_and_add(c, 1);
		else
			bpf_map_update_elem(&errnos, &ek, &one, BPF_NOEXIST);
	}
	if (slow_threshold_ns && delta >= slow_threshold_ns) {
		struct isoprobe_syscall_event *e = event_reserve(sizeof(*e));
		__u64 id = bpf_get_current_pid_tgid();

		if (!e)
			return;
		e->start_ns = start;
		e->duration_ns = delta;
		e->ret = ret;
		e->pid = id >> 32;
		e->tid = (__u32)id;
		e->nr = nr;
		e->cpu = bpf_get_smp_processor_id();
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
}

/* exit and exit_group never return: count them on entry, with no latency. */
static __always_inline bool count_no_return(long id)
{
	__u32 key = id;
	struct isoprobe_syscall_stat *s;

	if (id != 60 && id != 231) /* x86_64 exit, exit_group */
		return false;
	s = bpf_map_lookup_elem(&stats, &key);
	if (s)
		s->count++;
	return true;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_fast, struct pt_regs *regs, long id)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid(), owner;
	struct inflight *f;

	if (!thread_in_target(tid) || count_no_return(id))
		return 0;
	f = bpf_map_lookup_elem(&inflight, &zero);
	if (!f)
		return 0;
	owner = f->tid;
	if (owner && owner != tid) {
		/* Another of ours is still inside a syscall it entered on this CPU. Its exit
		 * may be searching for this slot from another CPU right now: whoever swaps
		 * the owner first has the entry, so it is spilled or taken, never both. */
		struct syscall_start held = { .ts = f->ts, .nr = f->nr, .arg = f->arg };

		if (__sync_val_compare_and_swap(&f->tid, owner, tid) == owner)
			bpf_map_update_elem(&spilled, &owner, &held, BPF_ANY);
	}
	f->tid = tid;
	f->nr = id;
	f->arg = memory_arg(id, regs);
	f->ts = bpf_ktime_get_ns();
	return 0;
}

struct search_ctx {
	__u32 tid;
	bool found;
	__u64 ts;
	__u64 nr;
	__u64 arg;
};

static long search_cpu(__u32 cpu, struct search_ctx *c)
{
	__u32 zero = 0;
	struct inflight *o;

	if (cpu >= nr_cpus)
		return 1;
	o = bpf_map_lookup_percpu_elem(&inflight, &zero, cpu);
	if (o && o->tid == c->tid) {
		/* Read before the swap: an enter on that CPU writes ts and nr only after
		 * it has swapped the owner away from us, and then our swap fails. */
		__u64 ts = o->ts, nr = o->nr, arg = o->arg;

		if (__sync_val_compare_and_swap(&o->tid, c->tid, 0) == c->tid) {
			c->ts = ts;
			c->nr = nr;
			c->arg = arg;
			c->found = true;
		}
		return 1;
	}
	return 0;
}

/* Records the syscall whose entry another task's enter moved to the spill hash. */
static __always_inline bool take_spilled(__u32 tid, long ret)
{
	struct syscall_start *sp = bpf_map_lookup_elem(&spilled, &tid);
	struct syscall_start held;

	if (!sp)
		return false;
	held = *sp;
	bpf_map_delete_elem(&spilled, &tid);
	record(held.nr, held.ts, ret, held.arg);
	return true;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_fast, struct pt_regs *regs, long ret)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *f = bpf_map_lookup_elem(&inflight, &zero);
	struct search_ctx c = { .tid = tid };

	if (!f)
		return 0;
	if (f->tid == tid) {
		f->tid = 0;
		record(f->nr, f->ts, ret, f->arg);
		return 0;
	}
	if (!thread_in_target(tid))
		return 0;
	if (take_spilled(tid, ret))
		return 0;
	/* It migrated while inside the syscall: its slot is on another CPU. */
	bpf_loop(MAX_CPUS, search_cpu, &c, 0);
	if (c.found) {
		record(c.nr, c.ts, ret, c.arg);
		return 0;
	}
	/* An enter on that CPU may have won the swap and spilled the entry meanwhile. */
	take_spilled(tid, ret);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	struct syscall_start *st;

	if (!current_in_target() || count_no_return(id))
		return 0;
	st = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	st->nr = id;
	st->arg = memory_arg(id, regs);
	st->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	struct syscall_start *st;
	__u64 ts;

	st = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (!st || !st->ts)
		return 0;
	ts = st->ts;
	st->ts = 0;
	record(st->nr, ts, ret, st->arg);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	struct syscall_start st;
	__u32 tid;

	if (!current_in_target() || count_no_return(id))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	st.nr = id;
	st.arg = memory_arg(id, regs);
	st.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts_by_tid, &tid, &st, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_start *st = bpf_map_lookup_elem(&starts_by_tid, &tid);
	__u64 ts, nr, arg;

	if (!st)
		return 0;
	ts = st->ts;
	nr = st->nr;
	arg = st->arg;
	bpf_map_delete_elem(&starts_by_tid, &tid);
	record(nr, ts, ret, arg);
	return 0;
}
