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
 *           in the other CPUs' slots. Cheapest: no task storage, no hash and no
 *           helper call but the clock on the fast path.
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

/* The fast variant names a thread by the address of its saved user registers, the
 * struct pt_regs at the top of its kernel stack that tp_btf hands to both hooks: it
 * stays the same for the thread's life, no two live threads share it, and reading it
 * costs no helper call (bpf_get_current_pid_tgid, a call and a return through the
 * return thunk, cost about 10 ns per hook here). A dead thread's stack, and so its
 * address, can be taken by a new thread: see task_exits. */

/* Per CPU: the syscall in flight (owner 0: free) and the verdict for the thread that
 * last entered a syscall here. Walking the cgroup ancestors costs about 60 ns, and a
 * CPU runs the same thread for many syscalls, so the walk is done once per thread
 * change. One lookup serves both. */
struct cpu_slot {
	__u64 owner;
	__u64 nr;
	__u64 ts;
	__u64 arg;
	__u64 seen;        /* the thread the verdict is for */
	__u64 seen_exits;  /* task_exits when it was made */
	__u64 seen_target; /* the verdict */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct syscall_start);
} spilled SEC(".maps");

/* Counts task exits. A verdict made before an exit is made again, since the dead task's
 * stack may now belong to a thread in another cgroup. The map is new for every run and
 * workloads start inside their cgroup, so a verdict cannot predate a move. A dead thread
 * leaves no slot behind: sys_exit runs even for a thread killed inside a syscall, and
 * exit and exit_group are counted at entry. */
__u64 task_exits = 0;

static __always_inline bool slot_thread_in_target(struct cpu_slot *s, __u64 me)
{
	__u64 exits = *(volatile __u64 *)&task_exits;

	if (s->seen != me || s->seen_exits != exits) {
		s->seen = me;
		s->seen_exits = exits;
		s->seen_target = current_in_target();
	}
	return s->seen_target;
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
	__u64 me = (__u64)regs, owner;
	__u32 zero = 0;
	struct cpu_slot *f = bpf_map_lookup_elem(&slots, &zero);

	if (!f || !slot_thread_in_target(f, me) || count_no_return(id))
		return 0;
	owner = f->owner;
	if (owner && owner != me) {
		/* Another of ours is still inside a syscall it entered on this CPU. Its exit
		 * may be searching for this slot from another CPU right now: whoever swaps
		 * the owner first has the entry, so it is spilled or taken, never both. */
		struct syscall_start held = { .ts = f->ts, .nr = f->nr, .arg = f->arg };

		if (__sync_val_compare_and_swap(&f->owner, owner, me) == owner)
			bpf_map_update_elem(&spilled, &owner, &held, BPF_ANY);
	}
	f->owner = me;
	f->nr = id;
	f->arg = memory_arg(id, regs);
	f->ts = bpf_ktime_get_ns();
	return 0;
}

struct search_ctx {
	__u64 me;
	bool found;
	__u64 ts;
	__u64 nr;
	__u64 arg;
};

static long search_cpu(__u32 cpu, struct search_ctx *c)
{
	__u32 zero = 0;
	struct cpu_slot *o;

	if (cpu >= nr_cpus)
		return 1;
	o = bpf_map_lookup_percpu_elem(&slots, &zero, cpu);
	if (o && o->owner == c->me) {
		/* Read before the swap: an enter on that CPU writes ts and nr only after
		 * it has swapped the owner away from us, and then our swap fails. */
		__u64 ts = o->ts, nr = o->nr, arg = o->arg;

		if (__sync_val_compare_and_swap(&o->owner, c->me, 0) == c->me) {
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
static __always_inline bool take_spilled(__u64 me, long ret)
{
	struct syscall_start *sp = bpf_map_lookup_elem(&spilled, &me);
	struct syscall_start held;

	if (!sp)
		return false;
	held = *sp;
	bpf_map_delete_elem(&spilled, &me);
	record(held.nr, held.ts, ret, held.arg);
	return true;
}

/* The exit did not find its entry in this CPU's slot: the entry was spilled, or the
 * thread migrated while inside the syscall, or it is not a target at all. */
static __noinline int exit_elsewhere(struct cpu_slot *f, __u64 me, long ret)
{
	struct search_ctx c = { .me = me };

	if (!slot_thread_in_target(f, me))
		return 0;
	if (take_spilled(me, ret))
		return 0;
	bpf_loop(MAX_CPUS, search_cpu, &c, 0);
	if (c.found) {
		record(c.nr, c.ts, ret, c.arg);
		return 0;
	}
	/* An enter on that CPU may have won the swap and spilled the entry meanwhile. */
	take_spilled(me, ret);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_fast, struct pt_regs *regs, long ret)
{
	__u64 me = (__u64)regs;
	__u32 zero = 0;
	struct cpu_slot *f = bpf_map_lookup_elem(&slots, &zero);

	if (!f)
		return 0;
	if (f->owner != me)
		return exit_elsewhere(f, me, ret);
	f->owner = 0;
	record(f->nr, f->ts, ret, f->arg);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit_btf)
{
	__sync_fetch_and_add(&task_exits, 1);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(task_exit_raw)
{
	__sync_fetch_and_add(&task_exits, 1);
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
