/* A VM with one vCPU and its runs: see include/ckvm.h. */
#define _GNU_SOURCE
#include "ckvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MEM_SIZE 0x10000
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

/* Each program at its own address, written once: nothing in guest memory changes between
 * runs, so no emulator can be caught with a stale copy of the code. */
static const struct {
	const unsigned char *code;
	size_t size;
	uint64_t at;
} programs[] = {
	[ISOPROBE_KVM_HLT] = { code_hlt, sizeof(code_hlt), 0x1000 },
	[ISOPROBE_KVM_IO] = { code_io, sizeof(code_io), 0x1010 },
	[ISOPROBE_KVM_SPIN] = { code_spin, sizeof(code_spin), 0x1020 },
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int fail(struct isoprobe_kvm_vcpu *v, const char *step, int err)
{
	v->failed_step = step;
	v->failed_errno = err;
	return -1;
}

void isoprobe_kvm_init(struct isoprobe_kvm_vcpu *v)
{
	memset(v, 0, sizeof(*v));
	v->kvm_fd = -1;
	v->api_version = -1;
	v->vm_fd = -1;
	v->vcpu_fd = -1;
}

int isoprobe_kvm_open(struct isoprobe_kvm_vcpu *v)
{
	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0) {
		v->open_errno = errno;
		return fail(v, "open /dev/kvm", errno);
	}
	v->api_version = ioctl(v->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v->api_version != KVM_API_VERSION)
		return fail(v, "KVM_GET_API_VERSION", v->api_version < 0 ? errno : 0);
	return 0;
}

int isoprobe_kvm_create_vm(struct isoprobe_kvm_vcpu *v)
{
	v->vm_fd = ioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0)
		return fail(v, "KVM_CREATE_VM", errno);

	/* Needed for real mode on VT-x without unrestricted guest; harmless elsewhere. */
	(void)ioctl(v->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);

	void *mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail(v, "mmap guest memory", errno);
	v->memory = mem;
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		memcpy((char *)mem + programs[i].at, programs[i].code, programs[i].size);
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0)
		return fail(v, "KVM_SET_USER_MEMORY_REGION", errno);
	return 0;
}

int isoprobe_kvm_create_vcpu(struct isoprobe_kvm_vcpu *v)
{
	v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu_fd < 0)
		return fail(v, "KVM_CREATE_VCPU", errno);

	int size = ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail(v, "KVM_GET_VCPU_MMAP_SIZE", size < 0 ? errno : 0);
	void *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu_fd, 0);
	if (run == MAP_FAILED)
		return fail(v, "mmap kvm_run", errno);
	v->run = run;
	v->run_size = (uint64_t)size;

	/* Real mode at CS:IP = 0000:rip (reset state has CS base 0xffff0000). */
	struct kvm_sregs sregs;
	if (ioctl(v->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
		return fail(v, "KVM_GET_SREGS", errno);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
		return fail(v, "KVM_SET_SREGS", errno);
	return 0;
}

int isoprobe_kvm_run(struct isoprobe_kvm_vcpu *v, enum isoprobe_kvm_program program, uint32_t ecx,
                     struct isoprobe_kvm_exit *out)
{
	memset(out, 0, sizeof(*out));
	if ((unsigned)program >= sizeof(programs) / sizeof(programs[0]))
		return fail(v, "choosing the guest program", EINVAL);
	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	regs.rip = programs[program].at;
	regs.rflags = 0x2; /* bit 1 is reserved and must be set */
	regs.rcx = ecx;
	regs.rax = 'K';    /* what the out writes */
	if (ioctl(v->vcpu_fd, KVM_SET_REGS, &regs) != 0)
		return fail(v, "KVM_SET_REGS", errno);

	uint64_t t0 = now_ns();
	int rc = ioctl(v->vcpu_fd, KVM_RUN, 0);
	int err = errno;
	out->elapsed_ns = now_ns() - t0;

	struct kvm_regs after;
	if (ioctl(v->vcpu_fd, KVM_GET_REGS, &after) == 0) {
		out->ecx = (uint32_t)after.rcx;
		out->ecx_read = 1;
	}
	if (rc != 0) {
		out->exit_reason = -1;
		out->run_errno = err;
		return 0;
	}
	const struct kvm_run *run = v->run;
	out->exit_reason = (int32_t)run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		out->io_port = run->io.port;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		out->detail = run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		out->detail = (uint32_t)run->fail_entry.hardware_entry_failure_reason;
		break;
	}
	return 0;
}

void isoprobe_kvm_close(struct isoprobe_kvm_vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->run_size);
	if (v->vcpu_fd >= 0)
		close(v->vcpu_fd);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->memory)
		munmap(v->memory, GUEST_MEM_SIZE);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
	isoprobe_kvm_init(v);
}
