/* Target filtering and histogram helpers shared by isoprobe's probes.
 *
 * The target is one cgroup2 directory; a task belongs to it when that directory is
 * the task's cgroup or one of its ancestors. Comparing the ancestor id at the
 * target's level is a single helper call for the current task, so tasks that are
 * not ours pay very little. Settings are read-only globals patched before load. */
#ifndef ISOPROBE_TARGET_BPF_H
#define ISOPROBE_TARGET_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "histogram.h"

const volatile __u32 isoprobe_abi = ISOPROBE_PROBES_ABI;
const volatile __u64 target_cgroup_id = 0; /* 0: every task */
const volatile __u32 target_level = 0;     /* depth of the target below the cgroup2 root */

static __always_inline bool current_in_target(void)
{
	if (!target_cgroup_id)
		return true;
	return bpf_get_current_ancestor_cgroup_id(target_level) == target_cgroup_id;
}

/* Kernels before 6.0 kept ancestor ids instead of ancestor pointers. */
struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

static __always_inline bool task_in_target(struct task_struct *task)
{
	struct cgroup *cgrp;
	int level;

	if (!target_cgroup_id)
		return true;
	cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	if (!cgrp)
		return false;
	level = BPF_CORE_READ(cgrp, level);
	if (level < (int)target_level)
		return false;
	if (bpf_core_field_exists(cgrp->ancestors)) {
		struct cgroup *anc = NULL;

		bpf_core_read(&anc, sizeof(anc), &cgrp->ancestors[target_level]);
		return anc && BPF_CORE_READ(anc, kn, id) == target_cgroup_id;
	} else {
		struct cgroup___old *old = (void *)cgrp;
		__u64 id = 0;

		bpf_core_read(&id, sizeof(id), &old->ancestor_ids[target_level]);
		return id == target_cgroup_id;
	}
}

/* task_in_target for tp_btf programs, whose task pointers the verifier trusts: the
 * common answers come from direct loads (one instruction each) instead of a
 * bpf_probe_read_kernel call per hop. A task in a cgroup shallower than the target is
 * not ours; one at the target's own level is ours exactly when its cgroup is the
 * target. Deeper tasks (a container's nested cgroups) take the general path. This runs
 * on every context switch and wakeup of every task on the machine, so its cost is most
 * of what the scheduling probes add to I/O-bound work. */
static __always_inline bool task_in_target_btf(struct task_struct *task)
{
	struct cgroup *cgrp;
	int level;

	if (!target_cgroup_id)
		return true;
	cgrp = task->cgroups->dfl_cgrp;
	if (!cgrp)
		return false;
	level = cgrp->level;
	if (level < (int)target_level)
		return false;
	if (level == (int)target_level)
		return cgrp->kn->id == target_cgroup_id;
	return task_in_target(task);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 slot = log2_u64(v);

	return slot < ISOPROBE_HIST_SLOTS ? slot : ISOPROBE_HIST_SLOTS - 1;
}

#endif
