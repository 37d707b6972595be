/* The KVM calibration: does /dev/kvm run guest kernel (CPL0) code natively?
 *
 * isoprobe_kvm_calibrate creates a VM with one vCPU through the KVM API (ioctls on
 * /dev/kvm), maps 64 KiB of guest memory and runs a real-mode loop at CPL0:
 *
 *     l: dec ecx ; jnz l ; hlt                  (exit KVM_EXIT_HLT)
 *     l: dec ecx ; jnz l ; out 0xe9, al ; hlt   (exit KVM_EXIT_IO, port 0xe9)
 *
 * with ECX set through KVM_SET_REGS. Each KVM_RUN is timed with CLOCK_MONOTONIC. The
 * vCPU runs on its own thread; the calling thread is its watchdog: at the time limit
 * (less a grace period) it sets kvm_run.immediate_exit and signals the vCPU thread
 * (a real-time signal with an empty handler), so KVM_RUN returns EINTR. If the thread
 * still has not come back by the time limit, the call returns anyway (thread_returned
 * 0) and the thread frees its resources whenever the kernel lets it go. So the call
 * never takes much longer than time_limit_ns. */
#ifndef ISOPROBE_CKVM_H
#define ISOPROBE_CKVM_H

#include <stdint.h>

#define ISOPROBE_KVM_MAX_SAMPLES 24

/* Which guest program a sample ran. */
enum isoprobe_kvm_variant {
	ISOPROBE_KVM_VARIANT_HLT = 0,
	ISOPROBE_KVM_VARIANT_IO = 1,
	ISOPROBE_KVM_VARIANT_SPIN = 2, /* `l: jmp l`, never exits by itself (test hook) */
};

struct isoprobe_kvm_options {
	/* Loop count of the longest run (0: 10,000,000). Runs grow tenfold from 1,000
	 * until one takes at least min_run_ns or reaches this count. */
	uint64_t max_iterations;
	/* Cap on the whole call, VM creation included (0: 2 s). */
	uint64_t time_limit_ns;
	/* A run this long ends the growth and is measured (0: 5 ms). */
	uint64_t min_run_ns;
	/* Times the final size is run; the fastest counts (0: 3). */
	uint32_t repeats;
	/* Test hook: non-zero runs a guest that spins forever instead, which only the
	 * watchdog ends (the path a guest that never exits takes). */
	uint32_t spin;
};

/* One KVM_RUN. */
struct isoprobe_kvm_sample {
	uint64_t iterations;   /* ECX given to the guest */
	uint64_t completed;    /* iterations done when KVM_RUN returned (ECX consumed) */
	uint64_t elapsed_ns;   /* wall time of the KVM_RUN ioctl */
	int32_t variant;       /* enum isoprobe_kvm_variant */
	int32_t exit_reason;   /* kvm_run.exit_reason (KVM_EXIT_*), -1 if KVM_RUN failed */
	int32_t run_errno;     /* 0, or errno of KVM_RUN (EINTR: stopped by the watchdog) */
	uint32_t io_port;      /* for KVM_EXIT_IO */
	uint32_t detail;       /* internal-error suberror / fail-entry reason (low 32 bits) */
};

struct isoprobe_kvm_calibration {
	/* Host facts, read from /sys/module and /proc/cpuinfo (1 present, 0 absent). */
	int32_t module_kvm, module_kvm_intel, module_kvm_amd, module_kvm_pvm;
	int32_t cpu_vmx, cpu_svm, cpu_hypervisor;

	int32_t opened;        /* /dev/kvm opened read-write */
	int32_t open_errno;    /* errno of open() when not */
	int32_t api_version;   /* KVM_GET_API_VERSION, -1 unknown */
	int32_t vm_created;    /* KVM_CREATE_VM succeeded */
	int32_t vcpu_created;  /* KVM_CREATE_VCPU succeeded */
	/* The first step that failed (a static string such as "KVM_CREATE_VM"), or NULL;
	 * failed_errno is its errno. Guest exits other than HLT/IO are failures too
	 * ("guest exit"), with the sample in samples[]. */
	const char *failed_step;
	int32_t failed_errno;

	int32_t hlt_exit_reason;  /* exit of the HLT variant's first run, -1 if none */
	int32_t io_exit_reason;   /* exit of the IO variant's first run, -1 if none */
	uint32_t io_port;         /* port of that exit */

	/* ns per loop iteration (two instructions): the slope between the last two sizes,
	 * or time / iterations done when the final run was stopped. -1 if unknown. */
	double ns_per_iteration;
	uint64_t measured_iterations;  /* loop count behind ns_per_iteration */
	int32_t measurement_finished;  /* the measured run reached its exit (not stopped) */

	int32_t watchdog_fired;   /* the time limit was reached */
	int32_t thread_returned;  /* 0: the vCPU thread was still in the kernel at the cap */
	uint64_t total_ns;        /* the whole call */

	int32_t nsamples;
	struct isoprobe_kvm_sample samples[ISOPROBE_KVM_MAX_SAMPLES];
};

/* Fills out (always; returns 0). opts may be NULL for the defaults. */
int isoprobe_kvm_calibrate(const struct isoprobe_kvm_options *opts,
                           struct isoprobe_kvm_calibration *out);

/* Only the host facts (module_* and cpu_* fields); the rest zeroed. */
void isoprobe_kvm_host_facts(struct isoprobe_kvm_calibration *out);

#endif
