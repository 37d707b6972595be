// SPDX-License-Identifier: GPL-2.0
/* The block layer under a run, as bcc's biolatency sees it: block_rq_issue to
 * block_rq_complete, a latency histogram per operation, bytes, and the queue depth seen
 * at each issue. Filtered by device, not by cgroup: a loop device's own I/O to its
 * backing file is issued by a kernel worker outside the workload's cgroup, and a guest's
 * disk is served by whoever the guest kernel picks. The device is the run's (a loop
 * device natively and in a container, the virtio disk in a guest). Kernels since 5.11
 * (block_rq_issue takes the request alone). */
#include "vmlinux.h"
#include <bpf/bpf_tracing.h>
#include "target.bpf.h"
#include "block.h"

char LICENSE[] SEC("license") = "GPL";

/* MKDEV as the kernel's block tracepoints print it: major << 20 | minor. */
const volatile __u32 target_dev = 0;

/* A request in flight is named by its hardware queue and its driver tag, both fixed from
 * issue to completion and unique among the requests in flight, so its issue time lives in
 * a plain array slot: an inlined lookup, where a hash map's update and delete cost a third
 * of the probe's time per I/O. A request whose slot falls outside the array (a queue
 * deeper than ISOPROBE_BLOCK_TAGS, or beyond the fourth queue) goes to the hash map. */
#define ISOPROBE_BLOCK_TAGS 1024
#define ISOPROBE_BLOCK_QUEUES 4

struct issue {
	__u64 rq;   /* the request's address: a completion checks that the slot is its own */
	__u64 at;   /* issue time */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISOPROBE_BLOCK_TAGS * ISOPROBE_BLOCK_QUEUES);
	__type(key, __u32);
	__type(value, struct issue);
} issued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);   /* struct request address */
	__type(value, __u64); /* issue time */
} issued_deep SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISOPROBE_BLOCK_OPS);
	__type(key, __u32);
	__type(value, struct isoprobe_block_op_stat);
} ops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_block_stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isoprobe_block_depth);
} depth SEC(".maps");

/* Before 5.17 a request named its disk itself. */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline __u32 request_dev(struct request *rq)
{
	struct gendisk *disk;

	/* Direct loads (tp_btf pointers are trusted): this runs for every request of every
	 * disk on the host, twice per I/O through a loop device (its own and its backing's). */
	if (bpf_core_field_exists(((struct request___old *)0)->rq_disk))
		disk = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	else
		disk = rq->q->disk;
	if (!disk)
		return 0;
	return ((__u32)disk->major << 20) | (__u32)disk->first_minor;
}

/* The request's slot in `issued`, or -1 when it has none. */
static __always_inline int request_slot(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	int tag = rq->tag;
	__u32 queue;

	if (!hctx || tag < 0 || tag >= ISOPROBE_BLOCK_TAGS)
		return -1;
	queue = hctx->queue_num;
	if (queue >= ISOPROBE_BLOCK_QUEUES)
		return -1;
	return (int)(queue * ISOPROBE_BLOCK_TAGS) + tag;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq, now, n;
	__u32 zero = 0;
	int slot, fresh = 1;
	struct isoprobe_block_stat *s;
	struct isoprobe_block_depth *d;
	struct issue *i;

	if (request_dev(rq) != target_dev)
		return 0;
	now = bpf_ktime_get_ns();
	slot = request_slot(rq);
	i = slot >= 0 ? bpf_map_lookup_elem(&issued, &slot) : NULL;
	if (i) {
		/* A slot still held means its request never showed a completion (a loop device
		 * on 6.18 issues a few in ten thousand that never trace one) or is issued again:
		 * either way no more requests are in flight than before. */
		fresh = i->at == 0;
		i->rq = key;
		i->at = now;
	} else {
		bpf_map_update_elem(&issued_deep, &key, &now, BPF_ANY);
	}
	d = bpf_map_lookup_elem(&depth, &zero);
	s = bpf_map_lookup_elem(&stats, &zero);
	if (!d || !s)
		return 0;
	n = fresh ? __sync_fetch_and_add(&d->in_flight, 1) + 1 : d->in_flight;
	if (n > d->max_in_flight)
		d->max_in_flight = n;
	s->issued++;
	s->depth_hist[hist_slot(n)]++;
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, *start, at, delta;
	__u32 zero = 0, op;
	int slot;
	struct isoprobe_block_op_stat *o;
	struct isoprobe_block_stat *s;
	struct isoprobe_block_depth *d;
	struct issue *i;

	if (request_dev(rq) != target_dev)
		return 0;
	slot = request_slot(rq);
	i = slot >= 0 ? bpf_map_lookup_elem(&issued, &slot) : NULL;
	if (i && i->rq == key && i->at) {
		at = i->at;
		i->at = 0;
	} else {
		start = bpf_map_lookup_elem(&issued_deep, &key);
		if (!start) {
			s = bpf_map_lookup_elem(&stats, &zero);
			if (s)
				s->unmatched++;
			return 0;
		}
		at = *start;
		bpf_map_delete_elem(&issued_deep, &key);
	}
	delta = bpf_ktime_get_ns() - at;
	d = bpf_map_lookup_elem(&depth, &zero);
	if (d)
		__sync_fetch_and_add(&d->in_flight, -1);
	op = BPF_CORE_READ(rq, cmd_flags) & 0xff; /* REQ_OP_MASK */
	op = op == 0 ? 0 : op == 1 ? 1 : 2;       /* REQ_OP_READ, REQ_OP_WRITE, the rest */
	o = bpf_map_lookup_elem(&ops, &op);
	if (!o)
		return 0;
	o->completions++;
	o->bytes += nr_bytes;
	o->total_ns += delta;
	o->hist[hist_slot(delta)]++;
	return 0;
}
