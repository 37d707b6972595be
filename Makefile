# isoprobe: `make run` sets up a fresh Debian machine, builds, and runs the default
# native suite; `make test` does the same set-up, then the whole test suite.

BUILD      ?= build
BPF_CLANG  ?= clang
CC         ?= gcc
SWIFT      ?= swift
PREFIX     ?= /usr/local
ARCH       := x86
SWIFT_FLAGS ?=

# Debian packages the build and the tests need (checked with dpkg, installed with apt).
PACKAGES := libbpf-dev libelf-dev zlib1g-dev pkg-config clang bpftool bpftrace libc6-dev strace \
            iproute2 python3 gzip tar runc crun busybox-static cpio e2fsprogs xz-utils libsqlite3-dev \
            python3-jsonschema python3-prometheus-client python3-pil chromium ethtool iperf3 sockperf fio nftables \
            libpq-dev postgresql prometheus-pushgateway ansible-core

PROBE_SRCS := $(wildcard probes/*.bpf.c)
PROBE_OBJS := $(patsubst probes/%.bpf.c,$(BUILD)/probes/%.bpf.o,$(PROBE_SRCS))
WORKLOAD_SRCS := $(wildcard fixtures/workloads/*.c)
WORKLOADS := $(patsubst fixtures/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))
# The isolation checker `isoprobe verify` runs in guests: built like a workload, so every
# environment (container rootfs, VM initramfs) carries it the same way.
CHECK_SRCS := $(wildcard fixtures/checks/*.c)
CHECKS := $(patsubst fixtures/checks/%.c,$(BUILD)/workloads/%,$(CHECK_SRCS))
# The network workloads' far end, which isoprobe starts in its peer namespace: built like a
# workload, found beside them.
NETWORK_SRCS := $(wildcard fixtures/network/*.c)
NETWORK := $(patsubst fixtures/network/%.c,$(BUILD)/workloads/%,$(NETWORK_SRCS))
VMLINUX_H := $(BUILD)/include/vmlinux.h

.PHONY: all setup setup-debug deps probes workloads checks binary binary-debug run test bench install clean \
        syscall-table faults faults-ci fuzz fuzz-ci fuzz-build fuzz-seeds host-paths host-paths-ci

# `make`, `make run` and `make install` build the optimized binary; the tests, the fault
# matrix and fuzzing build the debug one (faster to build, the same behaviour).
all: probes workloads checks binary

# Installs what is missing, nothing else. Needs root (apt).
deps:
	@missing=""; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

setup: deps all kernel

setup-debug: deps probes workloads checks binary-debug kernel

# A guest kernel for the VM environment in isoprobe's cache ($ISOPROBE_CACHE/kernel,
# default /var/cache/isoprobe/kernel); does nothing when one is there.
.PHONY: kernel
kernel:
	scripts/fetch-kernel.sh

$(VMLINUX_H):
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/probes/%.bpf.o: probes/%.bpf.c probes/*.h $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -g -O2 -Wall -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(BUILD)/include -Iprobes -c $< -o $@

# A probe the verifier refuses, for the tests (fixtures/probes).
REJECTED_PROBE := $(BUILD)/fixtures/probes/syscalls.bpf.o

$(REJECTED_PROBE): fixtures/probes/rejected-syscalls.bpf.c probes/*.bpf.c probes/*.h $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -g -O2 -Wall -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(BUILD)/include -Iprobes -c $< -o $@

probes: $(PROBE_OBJS) $(REJECTED_PROBE)

$(BUILD)/workloads/%: fixtures/workloads/%.c fixtures/workloads/*.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -o $@ $<

$(BUILD)/workloads/%: fixtures/checks/%.c fixtures/checks/*.h fixtures/workloads/workload.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -o $@ $<

$(BUILD)/workloads/%: fixtures/network/%.c fixtures/workloads/*.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -o $@ $<

workloads: $(WORKLOADS) $(CHECKS) $(NETWORK)

checks: $(CHECKS)

# build/bin/isoprobe is the binary last built: release by `binary`, debug by `binary-debug`.
binary:
	$(MAKE) --no-print-directory install-binary CONFIG=release

binary-debug:
	$(MAKE) --no-print-directory install-binary CONFIG=debug

CONFIG ?= release
.PHONY: install-binary
install-binary:
	$(SWIFT) build -c $(CONFIG) $(SWIFT_FLAGS)
	@mkdir -p $(BUILD)/bin
	cp "$$($(SWIFT) build -c $(CONFIG) $(SWIFT_FLAGS) --show-bin-path)/isoprobe" $(BUILD)/bin/isoprobe.tmp
	mv -f $(BUILD)/bin/isoprobe.tmp $(BUILD)/bin/isoprobe

# The default suite: every fixture workload in every environment this host offers; every
# report format lands in $(BUILD)/report, and the run in the history database.
run: setup
	$(BUILD)/bin/isoprobe run --suite fixtures/suites/default.toml --out $(BUILD)/report

# The history tests need a PostgreSQL server: scripts/test-postgres.sh starts one of their own
# (loopback, its data under $(BUILD)/postgres) and stops it afterwards, whatever the tests did.
test: setup-debug
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	BUILD=$(BUILD) scripts/test-postgres.sh run $(SWIFT) test $(SWIFT_FLAGS) --skip-build --disable-xctest

# The fault matrix (scripts/faults.sh): every signal in every phase of native, container,
# vm and verify runs, then a search for leftovers; about 10 minutes here. faults-ci is the
# subset CI runs (each phase once, the signals in turn; about 1.5 minutes).
faults: setup-debug
	scripts/faults.sh full

faults-ci: setup-debug
	scripts/faults.sh ci

# The paths users' hosts take, proven in a TCG guest booted as a test host (isoprobe
# host-paths; README, "Proven where"): pure cgroup2 native, runc and crun, OOM kill and pids
# limit in each, the KVM calibration and KVM exits by reason on kvm_amd, and --accel kvm
# --no-calibration booting a second-level guest. About 2 minutes here (10 at most);
# host-paths-ci leaves out the second-level guest (about 1 minute, 2 at most). Each writes
# its JSON to $(BUILD)/host-paths.json.
host-paths: setup-debug
	$(BUILD)/bin/isoprobe host-paths --json $(BUILD)/host-paths.json

host-paths-ci: setup-debug
	$(BUILD)/bin/isoprobe host-paths --ci --json $(BUILD)/host-paths.json

# libFuzzer over the readers of untrusted bytes (scripts/fuzz.sh; RELIABILITY.md, Fuzzing):
# the suite parser, --oci-config, --workload specs, the agent's frames and its messages.
# Built apart in .build-fuzz (release); each target runs FUZZ_SECONDS over
# fixtures/fuzz/<target>, and a table gives seconds, executions and crashes. fuzz-ci is the
# short run CI makes, a debug build (quicker to build), under two minutes with the build.
# Needs only the Swift toolchain (its libFuzzer runtime).
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10

fuzz:
	scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-ci:
	FUZZ_CONFIG=debug scripts/fuzz.sh run $(FUZZ_CI_SECONDS)

fuzz-build:
	scripts/fuzz.sh build

# Rewrites the generated seeds in fixtures/fuzz (after a format changes).
fuzz-seeds:
	scripts/fuzz.sh seeds

bench: setup
	$(BUILD)/bin/isoprobe bench overhead

install: all
	install -D -m 755 $(BUILD)/bin/isoprobe $(DESTDIR)$(PREFIX)/bin/isoprobe
	install -d $(DESTDIR)$(PREFIX)/lib/isoprobe/probes $(DESTDIR)$(PREFIX)/lib/isoprobe/workloads
	install -m 644 $(PROBE_OBJS) $(DESTDIR)$(PREFIX)/lib/isoprobe/probes/
	install -m 755 $(WORKLOADS) $(CHECKS) $(NETWORK) $(DESTDIR)$(PREFIX)/lib/isoprobe/workloads/

syscall-table:
	scripts/gen-tables.sh

clean:
	rm -rf $(BUILD) .build .build-fuzz
