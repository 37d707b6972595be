/* The ring buffer a probe sends events through, and the count of events it had to drop
 * because the buffer was full (read by isoprobe as events_dropped). */
#ifndef ISOPROBE_EVENTS_BPF_H
#define ISOPROBE_EVENTS_BPF_H

#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped_events SEC(".maps");

/* Space for one event, or NULL (counted as dropped) when the buffer is full. */
static __always_inline void *event_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&dropped_events, &zero);

		if (d)
			__sync_fetch_and_add(d, 1);
	}
	return e;
}

#endif
