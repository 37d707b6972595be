/* Structures shared between sched.bpf.c and isoprobe (read through CShim). */
#ifndef ISOPROBE_SCHED_H
#define ISOPROBE_SCHED_H

#include "histogram.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* One entry per CPU, summed by the reader. */
struct isoprobe_sched_stat {
	__u64 voluntary_switches;   /* the task blocked */
	__u64 involuntary_switches; /* the task was preempted while runnable */
	__u64 migrations;
	__u64 wakeups;
	__u64 wakeups_new;
	__u64 runq_count;
	__u64 runq_total_ns;
	__u64 runq_hist[ISOPROBE_HIST_SLOTS];  /* run-queue latency in ns */
	__u64 oncpu_count;
	__u64 oncpu_total_ns;
	__u64 oncpu_hist[ISOPROBE_HIST_SLOTS]; /* on-CPU slice length in ns */
	/* CPU time of every target task that exited, summed at exit: the same account
	 * in every environment, whoever reaps the task. */
	__u64 exited_tasks;
	__u64 cpu_runtime_ns;   /* se.sum_exec_runtime: exact */
	__u64 cpu_utime_ns;     /* tick-sampled user and system split */
	__u64 cpu_stime_ns;
	__u64 last_exit_ns;     /* CLOCK_MONOTONIC of the last exit (max over CPUs) */
	__u64 leader_exited;    /* leader_pid exited; its wait status follows */
	__u64 leader_exit_code;
};

/* A scheduling event sent through the ring buffer (Chrome/Perfetto traces). */
enum isoprobe_sched_event_kind {
	ISOPROBE_SCHED_RUNQ_WAIT = 1, /* runnable but waiting for a CPU at least runq_event_ns */
};

struct isoprobe_sched_event {
	__u64 start_ns;    /* CLOCK_MONOTONIC: when the wait began */
	__u64 duration_ns;
	__u32 pid;
	__u32 tid;
	__u32 cpu;         /* where the task then ran */
	__u32 kind;
	char comm[16];
};

#endif
