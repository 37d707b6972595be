/* The KVM API calls behind the calibration (Sources/KVM), and nothing more: a VM with one
 * vCPU in real mode whose memory holds three tiny CPL0 programs, one KVM_RUN at a time, and
 * a kick that makes a KVM_RUN on another thread return. Which programs to run, how often,
 * when to stop and what the times mean is decided in Swift. */
#ifndef ISOPROBE_CKVM_H
#define ISOPROBE_CKVM_H

#include <pthread.h>
#include <stdint.h>

/* The guest programs. ECX is the loop count (set per run). */
enum isoprobe_kvm_program {
	ISOPROBE_KVM_HLT = 0,  /* l: dec ecx; jnz l; hlt                 -> KVM_EXIT_HLT */
	ISOPROBE_KVM_IO = 1,   /* l: dec ecx; jnz l; out 0xe9, al; hlt   -> KVM_EXIT_IO, port 0xe9 */
	ISOPROBE_KVM_SPIN = 2, /* l: jmp l: never exits by itself, only a kick ends its KVM_RUN */
};

/* A VM with one vCPU. isoprobe_kvm_init first; every step fills in what it made, and on
 * failure names itself in failed_step. */
struct isoprobe_kvm_vcpu {
	int32_t kvm_fd;       /* /dev/kvm, -1 until opened */
	int32_t open_errno;   /* errno of opening /dev/kvm when that failed */
	int32_t api_version;  /* KVM_GET_API_VERSION, -1 until asked or when it failed */
	int32_t vm_fd;        /* -1 until KVM_CREATE_VM */
	int32_t vcpu_fd;      /* -1 until KVM_CREATE_VCPU */
	void *memory;         /* guest memory at guest physical 0 */
	void *run;            /* the vCPU's struct kvm_run, mapped */
	uint64_t run_size;
	/* The step that failed ("KVM_CREATE_VM", a static string) and its errno (0 when the step
	 * failed without one); NULL while none has. */
	const char *failed_step;
	int32_t failed_errno;
};

/* What one KVM_RUN did. */
struct isoprobe_kvm_exit {
	uint64_t elapsed_ns;  /* wall time of the KVM_RUN ioctl (CLOCK_MONOTONIC) */
	int32_t exit_reason;  /* kvm_run.exit_reason (KVM_EXIT_*), -1 when KVM_RUN failed */
	int32_t run_errno;    /* errno of a failed KVM_RUN (EINTR after a kick) */
	uint32_t ecx;         /* ECX afterwards: the iterations left */
	int32_t ecx_read;     /* 1 when KVM_GET_REGS worked and ecx is valid */
	uint32_t io_port;     /* KVM_EXIT_IO: the port */
	uint32_t detail;      /* KVM_EXIT_INTERNAL_ERROR: suberror; KVM_EXIT_FAIL_ENTRY: reason (low 32 bits) */
};

void isoprobe_kvm_init(struct isoprobe_kvm_vcpu *v);

/* Each returns 0, or -1 with failed_step set. In this order: */
int isoprobe_kvm_open(struct isoprobe_kvm_vcpu *v);        /* /dev/kvm, API version 12 */
int isoprobe_kvm_create_vm(struct isoprobe_kvm_vcpu *v);   /* VM, guest memory, the programs */
int isoprobe_kvm_create_vcpu(struct isoprobe_kvm_vcpu *v); /* vCPU, kvm_run, real mode at 0 */

/* Runs program with ECX = ecx until the next exit. Returns 0 when KVM_RUN was called (a
 * failed KVM_RUN included: see out), -1 when the vCPU could not be set up for it. */
int isoprobe_kvm_run(struct isoprobe_kvm_vcpu *v, enum isoprobe_kvm_program program, uint32_t ecx,
                     struct isoprobe_kvm_exit *out);

/* Releases everything and returns v to its initial state. */
void isoprobe_kvm_close(struct isoprobe_kvm_vcpu *v);

/* A real-time signal with an empty handler and no SA_RESTART, chosen once per process among
 * those nobody handles; -1 when none is free. */
int isoprobe_kvm_kick_signal(void);

/* Blocks every signal on the calling thread except sig, so that only a kick interrupts its
 * KVM_RUN. */
void isoprobe_kvm_accept_only(int sig);

/* From another thread: makes the KVM_RUN that thread is in (or enters next) return EINTR.
 * v NULL: the vCPU is not there yet (or any more), only the signal is sent; otherwise
 * v->run must stay mapped during the call. */
void isoprobe_kvm_kick(struct isoprobe_kvm_vcpu *v, pthread_t thread, int sig);

/* CPUID leaf (subleaf 0): EAX, EBX, ECX, EDX into out[0..3]. The calibration reads the
 * hypervisor leaf (0x40000000) with it: which hypervisor, if any, runs this host. */
void isoprobe_cpuid(uint32_t leaf, uint32_t out[4]);

#endif
