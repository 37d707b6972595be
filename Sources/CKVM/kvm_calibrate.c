/* The KVM calibration: see include/ckvm.h. */
#define _GNU_SOURCE
#include "ckvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MEM_SIZE 0x10000
#define CODE_HLT 0x1000
#define CODE_IO 0x1010
#define CODE_SPIN 0x1020
#define IO_PORT 0xe9

/* Real mode, 16-bit code: 0x66 makes dec operate on ECX. jnz -4 goes back to the dec. */
static const unsigned char code_hlt[] = {
	0x66, 0x49,       /* l: dec ecx */
	0x75, 0xfc,       /*    jnz l */
	0xf4,             /*    hlt */
};
static const unsigned char code_io[] = {
	0x66, 0x49,       /* l: dec ecx */
	0x75, 0xfc,       /*    jnz l */
	0xe6, IO_PORT,    /*    out 0xe9, al */
	0xf4,             /*    hlt */
};

static const unsigned char code_spin[] = {
	0xeb, 0xfe,       /* l: jmp l */
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- host facts ---- */

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; (p = strstr(p, word)) != NULL; p += n) {
		int start = p == line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
		int end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n' || p[n] == '\t';
		if (start && end)
			return 1;
	}
	return 0;
}

static void read_host_facts(struct isoprobe_kvm_calibration *out)
{
	out->module_kvm = exists("/sys/module/kvm");
	out->module_kvm_intel = exists("/sys/module/kvm_intel");
	out->module_kvm_amd = exists("/sys/module/kvm_amd");
	out->module_kvm_pvm = exists("/sys/module/kvm_pvm");

	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "flags", 5) == 0) {
			out->cpu_vmx = has_word(line, "vmx");
			out->cpu_svm = has_word(line, "svm");
			out->cpu_hypervisor = has_word(line, "hypervisor");
			break;
		}
	}
	free(line);
	fclose(f);
}

void isoprobe_kvm_host_facts(struct isoprobe_kvm_calibration *out)
{
	memset(out, 0, sizeof(*out));
	read_host_facts(out);
}

/* ---- the watchdog signal ---- */

static void kick_handler(int sig)
{
	(void)sig; /* Only there so that KVM_RUN returns EINTR. */
}

static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;
static int kick_signal; /* 0: not chosen yet, -1: none free */

/* A real-time signal nobody handles, given an empty handler without SA_RESTART. */
static int watchdog_signal(void)
{
	pthread_mutex_lock(&kick_lock);
	if (kick_signal == 0) {
		kick_signal = -1;
		for (int sig = SIGRTMIN + 4; sig < SIGRTMAX; sig++) {
			struct sigaction old;
			if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
			    old.sa_handler != SIG_DFL)
				continue;
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = kick_handler;
			sigemptyset(&sa.sa_mask);
			if (sigaction(sig, &sa, NULL) == 0) {
				kick_signal = sig;
				break;
			}
		}
	}
	int sig = kick_signal;
	pthread_mutex_unlock(&kick_lock);
	return sig;
}

/* ---- state shared by the caller (watchdog) and the vCPU thread ---- */

struct shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;                 /* freed by whoever drops the last one */
	int done;                 /* the vCPU thread has finished (result final) */
	int stop;                 /* the watchdog asks the thread to stop */
	int sig;
	struct kvm_run *run;      /* while mapped: the watchdog sets immediate_exit */
	struct isoprobe_kvm_options opts;
	struct isoprobe_kvm_calibration result; /* published copy */
};

static void release(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	int last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (last) {
		pthread_cond_destroy(&sh->cond);
		pthread_mutex_destroy(&sh->lock);
		free(sh);
	}
}

static void publish(struct shared *sh, const struct isoprobe_kvm_calibration *r)
{
	pthread_mutex_lock(&sh->lock);
	sh->result = *r;
	pthread_mutex_unlock(&sh->lock);
}

static int stopping(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	int s = sh->stop;
	pthread_mutex_unlock(&sh->lock);
	return s;
}

/* ---- the vCPU thread ---- */

struct vcpu {
	int kvm, vm, cpu;
	struct kvm_run *run;
	size_t run_size;
	void *mem;
};

static int fail(struct isoprobe_kvm_calibration *r, const char *step, int err)
{
	if (!r->failed_step) {
		r->failed_step = step;
		r->failed_errno = err;
	}
	return -1;
}

/* One KVM_RUN of a variant with ECX = iterations. Returns 0 when the guest reached
 * its exit (HLT or IO), 1 when stopped by the watchdog, -1 on a failure. */
static int run_once(struct shared *sh, struct vcpu *v, struct isoprobe_kvm_calibration *r,
                    int variant, uint64_t iterations, struct isoprobe_kvm_sample *out)
{
	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	regs.rip = variant == ISOPROBE_KVM_VARIANT_IO ? CODE_IO
	         : variant == ISOPROBE_KVM_VARIANT_SPIN ? CODE_SPIN : CODE_HLT;
	regs.rflags = 0x2;
	regs.rcx = iterations;
	regs.rax = 0x4b; /* 'K', what the out writes */
	if (ioctl(v->cpu, KVM_SET_REGS, &regs) != 0)
		return fail(r, "KVM_SET_REGS", errno);

	memset(out, 0, sizeof(*out));
	out->variant = variant;
	out->iterations = iterations;
	if (stopping(sh)) {
		out->exit_reason = -1;
		out->run_errno = EINTR;
		return 1;
	}

	uint64_t t0 = now_ns();
	int rc = ioctl(v->cpu, KVM_RUN, 0);
	int err = errno;
	out->elapsed_ns = now_ns() - t0;

	struct kvm_regs after;
	uint64_t left = iterations;
	if (ioctl(v->cpu, KVM_GET_REGS, &after) == 0)
		left = after.rcx & 0xffffffffull;
	out->completed = left <= iterations ? iterations - left : 0;

	if (rc != 0) {
		out->exit_reason = -1;
		out->run_errno = err;
		if (err == EINTR || err == EAGAIN)
			return 1;
		return fail(r, "KVM_RUN", err);
	}
	out->exit_reason = (int32_t)v->run->exit_reason;
	switch (v->run->exit_reason) {
	case KVM_EXIT_HLT:
		out->completed = iterations;
		return 0;
	case KVM_EXIT_IO:
		out->io_port = v->run->io.port;
		out->completed = iterations;
		return 0;
	case KVM_EXIT_INTR:
		out->run_errno = EINTR;
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		out->detail = v->run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		out->detail = (uint32_t)v->run->fail_entry.hardware_entry_failure_reason;
		break;
	}
	return fail(r, "guest exit", 0);
}

static int add_sample(struct isoprobe_kvm_calibration *r, const struct isoprobe_kvm_sample *s)
{
	if (r->nsamples < ISOPROBE_KVM_MAX_SAMPLES)
		r->samples[r->nsamples++] = *s;
	return 0;
}

static int setup(struct shared *sh, struct vcpu *v, struct isoprobe_kvm_calibration *r)
{
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0) {
		r->open_errno = errno;
		return fail(r, "open /dev/kvm", errno);
	}
	r->opened = 1;
	publish(sh, r);

	r->api_version = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
	if (r->api_version != KVM_API_VERSION)
		return fail(r, "KVM_GET_API_VERSION", r->api_version < 0 ? errno : 0);

	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return fail(r, "KVM_CREATE_VM", errno);
	r->vm_created = 1;
	publish(sh, r);

	/* Needed for real mode on VT-x without unrestricted guest; harmless elsewhere. */
	(void)ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);

	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED) {
		v->mem = NULL;
		return fail(r, "mmap guest memory", errno);
	}
	memcpy((char *)v->mem + CODE_HLT, code_hlt, sizeof(code_hlt));
	memcpy((char *)v->mem + CODE_IO, code_io, sizeof(code_io));
	memcpy((char *)v->mem + CODE_SPIN, code_spin, sizeof(code_spin));
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) != 0)
		return fail(r, "KVM_SET_USER_MEMORY_REGION", errno);

	v->cpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->cpu < 0)
		return fail(r, "KVM_CREATE_VCPU", errno);
	r->vcpu_created = 1;

	int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail(r, "KVM_GET_VCPU_MMAP_SIZE", size < 0 ? errno : 0);
	void *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->cpu, 0);
	if (run == MAP_FAILED)
		return fail(r, "mmap kvm_run", errno);
	v->run = run;
	v->run_size = (size_t)size;
	pthread_mutex_lock(&sh->lock);
	sh->run = v->run;
	if (sh->stop)
		v->run->immediate_exit = 1;
	pthread_mutex_unlock(&sh->lock);

	/* Real mode at CS:IP = 0000:rip (reset state has CS base 0xffff0000). */
	struct kvm_sregs sregs;
	if (ioctl(v->cpu, KVM_GET_SREGS, &sregs) != 0)
		return fail(r, "KVM_GET_SREGS", errno);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->cpu, KVM_SET_SREGS, &sregs) != 0)
		return fail(r, "KVM_SET_SREGS", errno);
	publish(sh, r);
	return 0;
}

static void measure(struct shared *sh, struct vcpu *v, struct isoprobe_kvm_calibration *r)
{
	struct isoprobe_kvm_sample s;
	int rc;

	if (sh->opts.spin) {
		rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_SPIN, 1, &s);
		add_sample(r, &s);
		publish(sh, r);
		return;
	}

	/* The two exits, each once with a single iteration (also warms the vCPU up). */
	rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_HLT, 1, &s);
	add_sample(r, &s);
	publish(sh, r);
	if (rc != 0)
		return;
	r->hlt_exit_reason = s.exit_reason;
	rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_IO, 1, &s);
	add_sample(r, &s);
	publish(sh, r);
	if (rc != 0)
		return;
	r->io_exit_reason = s.exit_reason;
	r->io_port = s.io_port;
	uint64_t base_ns = s.elapsed_ns;
	rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_IO, 1, &s);
	add_sample(r, &s);
	publish(sh, r);
	if (rc != 0)
		return;
	if (s.elapsed_ns < base_ns)
		base_ns = s.elapsed_ns;

	/* Grow tenfold until a run is long enough to measure, then repeat that size. */
	uint64_t max = sh->opts.max_iterations;
	uint64_t n = max < 1000 ? max : 1000;
	uint64_t prev_n = 1, prev_ns = base_ns;
	for (;;) {
		rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_IO, n, &s);
		add_sample(r, &s);
		if (rc < 0)
			break;
		if (rc == 1) {
			/* Stopped at the cap: what it got through is still a measurement. */
			if (s.completed > 0) {
				r->ns_per_iteration = (double)s.elapsed_ns / (double)s.completed;
				r->measured_iterations = s.completed;
			}
			r->measurement_finished = 0;
			break;
		}
		if (s.elapsed_ns >= sh->opts.min_run_ns || n >= max) {
			uint64_t best = s.elapsed_ns;
			for (uint32_t i = 1; i < sh->opts.repeats; i++) {
				struct isoprobe_kvm_sample again;
				rc = run_once(sh, v, r, ISOPROBE_KVM_VARIANT_IO, n, &again);
				add_sample(r, &again);
				if (rc != 0)
					break;
				if (again.elapsed_ns < best)
					best = again.elapsed_ns;
			}
			double slope = n > prev_n && best > prev_ns
			               ? (double)(best - prev_ns) / (double)(n - prev_n)
			               : (double)best / (double)n;
			r->ns_per_iteration = slope;
			r->measured_iterations = n;
			r->measurement_finished = 1;
			break;
		}
		prev_n = n;
		prev_ns = s.elapsed_ns;
		n = n > max / 10 ? max : n * 10;
		publish(sh, r);
	}
	publish(sh, r);
}

static void teardown(struct shared *sh, struct vcpu *v)
{
	pthread_mutex_lock(&sh->lock);
	sh->run = NULL;
	pthread_mutex_unlock(&sh->lock);
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->cpu >= 0)
		close(v->cpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->mem)
		munmap(v->mem, GUEST_MEM_SIZE);
	if (v->kvm >= 0)
		close(v->kvm);
}

static void *vcpu_thread(void *arg)
{
	struct shared *sh = arg;

	/* Only the watchdog's signal may interrupt KVM_RUN on this thread. */
	sigset_t mask;
	sigfillset(&mask);
	sigdelset(&mask, sh->sig);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);

	struct isoprobe_kvm_calibration r;
	pthread_mutex_lock(&sh->lock);
	r = sh->result;
	pthread_mutex_unlock(&sh->lock);

	struct vcpu v = { .kvm = -1, .vm = -1, .cpu = -1 };
	if (setup(sh, &v, &r) == 0)
		measure(sh, &v, &r);
	publish(sh, &r);
	teardown(sh, &v);

	pthread_mutex_lock(&sh->lock);
	sh->done = 1;
	pthread_cond_broadcast(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
	release(sh);
	return NULL;
}

/* ---- the caller: watchdog ---- */

static struct timespec abs_time(uint64_t ns)
{
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
	return t;
}

/* Waits until done or the deadline (CLOCK_MONOTONIC ns); lock held. */
static void wait_until(struct shared *sh, uint64_t deadline)
{
	while (!sh->done) {
		struct timespec t = abs_time(deadline);
		if (pthread_cond_timedwait(&sh->cond, &sh->lock, &t) == ETIMEDOUT)
			break;
	}
}

int isoprobe_kvm_calibrate(const struct isoprobe_kvm_options *opts,
                           struct isoprobe_kvm_calibration *out)
{
	uint64_t start = now_ns();
	memset(out, 0, sizeof(*out));
	out->api_version = -1;
	out->hlt_exit_reason = -1;
	out->io_exit_reason = -1;
	out->ns_per_iteration = -1;
	out->thread_returned = 1;
	read_host_facts(out);

	struct isoprobe_kvm_options o = { 0 };
	if (opts)
		o = *opts;
	if (o.max_iterations == 0)
		o.max_iterations = 10000000ull;
	if (o.max_iterations > 0xffffffffull)
		o.max_iterations = 0xffffffffull;
	if (o.time_limit_ns == 0)
		o.time_limit_ns = 2000000000ull;
	if (o.min_run_ns == 0)
		o.min_run_ns = 5000000ull;
	if (o.repeats == 0)
		o.repeats = 3;

	int sig = watchdog_signal();
	if (sig < 0) {
		/* Without a way to interrupt KVM_RUN a stuck guest would hang the caller. */
		fail(out, "choosing a real-time signal for the watchdog (none free)", 0);
		out->total_ns = now_ns() - start;
		return 0;
	}

	struct shared *sh = calloc(1, sizeof(*sh));
	if (!sh) {
		fail(out, "calloc", ENOMEM);
		out->total_ns = now_ns() - start;
		return 0;
	}
	pthread_mutex_init(&sh->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cond, &ca);
	pthread_condattr_destroy(&ca);
	sh->refs = 2;
	sh->sig = sig;
	sh->opts = o;
	sh->result = *out;

	pthread_t thread;
	int err = pthread_create(&thread, NULL, vcpu_thread, sh);
	if (err != 0) {
		sh->refs = 1;
		release(sh);
		fail(out, "pthread_create", err);
		out->total_ns = now_ns() - start;
		return 0;
	}

	/* The vCPU gets the time limit less a grace period in which to come back. */
	uint64_t limit = start + o.time_limit_ns;
	uint64_t grace = o.time_limit_ns / 4 < 250000000ull ? o.time_limit_ns / 4 : 250000000ull;
	uint64_t stop_at = limit - grace;

	pthread_mutex_lock(&sh->lock);
	wait_until(sh, stop_at);
	if (!sh->done) {
		sh->stop = 1;
		out->watchdog_fired = 1;
		/* Kick until it comes back or the limit passes: immediate_exit covers a signal
		 * that lands just before KVM_RUN is entered. */
		for (;;) {
			if (sh->run)
				sh->run->immediate_exit = 1;
			pthread_kill(thread, sig);
			uint64_t t = now_ns();
			if (t >= limit)
				break;
			uint64_t next = t + 20000000ull;
			wait_until(sh, next < limit ? next : limit);
			if (sh->done || now_ns() >= limit)
				break;
		}
	}
	int done = sh->done;
	int fired = out->watchdog_fired;
	*out = sh->result;
	out->watchdog_fired = fired;
	pthread_mutex_unlock(&sh->lock);

	if (done) {
		pthread_join(thread, NULL);
	} else {
		out->thread_returned = 0;
		pthread_detach(thread);
	}
	release(sh);
	out->total_ns = now_ns() - start;
	return 0;
}
