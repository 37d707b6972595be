#!/bin/bash
# The fault matrix: isoprobe is held at each phase of each environment with
# ISOPROBE_PAUSE_AT, signalled there (SIGINT, SIGTERM, SIGHUP, SIGKILL), and then the host
# is searched for anything left: processes, cgroups, runtime state, mounts, shared memory,
# BPF programs, loop devices, temp, scratch and state files. After a SIGKILL, `isoprobe cleanup` runs
# first. Prints one row per case: case, exit status, seconds from the signal to exit,
# history status, leftovers. Exits 1 if any case left something, exited too slowly or
# with the wrong status.
#
#   scripts/faults.sh          every signal in every phase (about 10 minutes here)
#   scripts/faults.sh ci       each phase once, the signals in turn (the CI subset)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${ISOPROBE_BIN:-build/bin/isoprobe}
MODE=${1:-full}
[ "$(id -u)" = 0 ] || { echo "faults: run as root (isoprobe loads probes and makes cgroups)"; exit 3; }
[ -x "$BIN" ] || { echo "faults: $BIN is missing; run make first"; exit 3; }

WORK=$(mktemp -d /tmp/faults.XXXXXX)
# A container's root is an unprivileged host user with a user namespace: it must reach its bundle.
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# Limits from the issue: 2 s to exit, 5 s with a guest.
limit_for() { case $1 in vm*|net-vm*|host-paths) echo 5 ;; *) echo 2 ;; esac; }

command_for() {
    local db=$1
    case $2 in
        native)    echo "run --env native --workload sleep:ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        container) echo "run --env container --workload sleep:ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        vm)        echo "run --env vm --workload sleep:ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        # The canaries, guests A and B on a bridge of their own (switch and peer namespaces,
        # the host's veth, nftables rules in the switch) and the peer's receiver.
        verify)    echo "verify --env container --no-neighbours --json $WORK/verify.json" ;;
        host-paths) echo "host-paths --paths cgroup2-native --json $WORK/host-paths.json" ;;
        # A network workload: the peer and switch namespaces, the bridge, the veths or tap, the peer's server.
        net-native)    echo "run --env native --workload tcp-rr:duration_ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        net-container) echo "run --env container --workload tcp-rr:duration_ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        net-vm)        echo "run --env vm --workload tcp-rr:duration_ms=3000 --quiet --db $db --json $WORK/out.json" ;;
        # Storage: a backing file under the scratch location, a loop device (native,
        # container) or QEMU's own disk (vm).
        *-block)   echo "run --env ${2%-block} --workload blockio:qd=4,duration_ms=3000,size=16M --quiet --db $db --json $WORK/out.json" ;;
    esac
}

phases_for() {
    case $1 in
        native)    echo "probe-load workload results reports" ;;
        container) echo "bundle runtime-create hook probe-load workload results reports" ;;
        vm)        echo "guest-boot probe-load workload results reports" ;;
        verify)    echo "canaries bundle hook workload" ;;
        host-paths) echo "guest-boot results" ;;
        net-native)    echo "network workload results" ;;
        net-container) echo "network hook workload" ;;
        net-vm)        echo "network guest-boot workload" ;;
        native-block|container-block) echo "block-device workload results" ;;
        vm-block)  echo "block-device guest-boot workload" ;;
    esac
}

bpf_count() { bpftool prog show 2>/dev/null | grep -c '^[0-9]*:' ; }
shm_count() { ipcs -m 2>/dev/null | grep -c '^0x'; }

# Anything of isoprobe's on the host, one word per kind found.
leftovers() {
    local out=()
    local procs
    procs=$(ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' | grep -E 'qemu-system|runc |crun |/workloads/|peer-server|boundaries (plant|receive)|isoprobe (run|verify|agent)' | grep -v grep | wc -l)
    [ "$procs" -gt 0 ] && out+=("processes:$procs")
    local cg
    cg=$(find /sys/fs/cgroup -maxdepth 2 -name 'isoprobe-*' 2>/dev/null | wc -l)
    [ "$cg" -gt 0 ] && out+=("cgroups:$cg")
    local rs
    rs=$(find /run/isoprobe -mindepth 2 -maxdepth 2 2>/dev/null | wc -l)
    [ "$rs" -gt 0 ] && out+=("runtime-state:$rs")
    local mnt
    mnt=$(grep -c -E 'isoprobe|tracefs' /proc/mounts)
    [ "$mnt" -gt "$MOUNTS0" ] && out+=("mounts:$((mnt - MOUNTS0))")
    local shm
    shm=$(shm_count)
    [ "$shm" -gt "$SHM0" ] && out+=("shm:$((shm - SHM0))")
    local bpf
    bpf=$(bpf_count)
    [ "$bpf" -gt "$BPF0" ] && out+=("bpf-programs:$((bpf - BPF0))")
    local files
    files=$(find "$WORK/tmp" "$WORK/scratch" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [ "$files" -gt 0 ] && out+=("temp:$files")
    local loops
    loops=$(losetup -a 2>/dev/null | grep -c 'isoprobe-block-')
    [ "$loops" -gt 0 ] && out+=("loop-devices:$loops")
    local canary
    canary=$(ls /tmp/isoprobe-canary-* 2>/dev/null | wc -l)
    [ "$canary" -gt 0 ] && out+=("canary-files:$canary")
    # The network path: isoprobe's namespaces, interfaces and 198.18.0.0/15 addresses.
    local netns links addrs
    netns=$(ip -all netns list 2>/dev/null | grep -c '^isoprobe-')
    [ "$netns" -gt 0 ] && out+=("netns:$netns")
    links=$(ip -o link show 2>/dev/null | grep -c ': isoprobe')
    [ "$links" -gt 0 ] && out+=("interfaces:$links")
    addrs=$(ip -br -4 addr 2>/dev/null | grep -c -E ' 198\.1[89]\.')
    [ "$addrs" -gt 0 ] && out+=("198.18/15-addresses:$addrs")
    local state
    state=$(find "$WORK/state/owners" -type f 2>/dev/null | wc -l)
    [ "$state" -gt 0 ] && out+=("state-records:$state")
    if [ ${#out[@]} -eq 0 ]; then echo "none"; else echo "${out[*]}"; fi
}

history_status() {
    [ -f "$1" ] || { echo "-"; return; }
    "$BIN" history --db "$1" 2>/dev/null | awk 'NR==2 { for (i = 1; i <= NF; i++) if ($i == "status") c = i } NR==3 && c { print $c }'
}

one_case() {
    local env=$1 phase=$2 sig=$3
    rm -rf "$WORK/tmp" "$WORK/scratch" "$WORK/state" "$WORK/h.sqlite"* "$WORK/err"
    mkdir -p -m 755 "$WORK/tmp" "$WORK/scratch" "$WORK/state" "$WORK/logs"
    export TMPDIR=$WORK/tmp ISOPROBE_SCRATCH=$WORK/scratch ISOPROBE_STATE_DIR=$WORK/state ISOPROBE_LOG_DIR=$WORK/logs
    local db=$WORK/h.sqlite
    # shellcheck disable=SC2046
    ISOPROBE_PAUSE_AT=$phase "$BIN" $(command_for "$db" "$env") </dev/null >/dev/null 2>"$WORK/err" &
    local pid=$!
    local waited=0
    until grep -q "paused at $phase" "$WORK/err" 2>/dev/null; do
        if ! kill -0 $pid 2>/dev/null || [ $waited -ge 1200 ]; then
            kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
            "$BIN" cleanup >/dev/null 2>&1
            printf '%-34s %6s %7s %-12s %s\n' "$env/$phase/SIG$sig" "-" "-" "-" "NOT REACHED: $(tail -1 "$WORK/err")"
            FAILED=1
            return
        fi
        sleep 0.1; waited=$((waited + 1))
    done
    local t0 t1
    t0=$(date +%s.%N)
    kill -"$sig" $pid
    local status=0
    # A stuck isoprobe is ended after 20 s and reported as such.
    # (A separate bash: a subshell killed early could still run this script's EXIT trap.)
    bash -c 'sleep 20; kill -KILL "$0" 2>/dev/null' $pid & local guard=$!
    wait $pid 2>/dev/null; status=$?
    t1=$(date +%s.%N)
    kill $guard 2>/dev/null; wait $guard 2>/dev/null
    if [ "$sig" = KILL ]; then "$BIN" cleanup >/dev/null 2>"$WORK/cleanup.err" || cat "$WORK/cleanup.err"; fi
    # Closed BPF programs stay listed for up to a second (freed after an RCU grace period).
    sleep 1.2
    local secs left hist expected verdict=ok
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    left=$(leftovers)
    hist=$(history_status "$db")
    expected=130; [ "$sig" = KILL ] && expected=137
    [ "$status" = "$expected" ] || verdict="exit $status, expected $expected"
    awk -v s="$secs" -v l="$(limit_for "$env")" 'BEGIN { exit !(s > l) }' && [ "$sig" != KILL ] && verdict="slow (limit $(limit_for "$env") s)"
    [ "$left" = none ] || verdict="LEFT"
    case "$env/$sig/$hist" in
        verify/*) ;;
        # At reports every run is recorded and the session closed: killed there, it stays complete.
        */KILL/complete) [ "$phase" = reports ] || verdict="history complete, expected abandoned" ;;
        */KILL/abandoned|*/KILL/-) ;;
        */KILL/*) verdict="history $hist, expected abandoned" ;;
        */*/interrupted|*/*/complete|*/*/-) ;;
        *) verdict="history $hist" ;;
    esac
    [ "$verdict" = ok ] || FAILED=1
    printf '%-34s %6s %7s %-12s %-10s %s\n' "$env/$phase/SIG$sig" "$status" "$secs" "$hist" "$verdict" "$left"
    # Whatever a failed case left must not count against the next one.
    [ "$left" = none ] || "$BIN" cleanup >/dev/null 2>&1
}

MOUNTS0=$(grep -c -E 'isoprobe|tracefs' /proc/mounts)
SHM0=$(shm_count)
BPF0=$(bpf_count)
FAILED=0
SIGNALS=(INT TERM HUP KILL)
printf '%-34s %6s %7s %-12s %-10s %s\n' case exit seconds history verdict leftovers
start=$(date +%s)
envs=${FAULT_ENVS:-native container vm verify host-paths net-native net-container net-vm native-block container-block vm-block}
[ -n "${FAULT_PHASES:-}" ] && phases_for() { echo "$FAULT_PHASES"; }
for env in $envs; do
    i=0
    for phase in $(phases_for "$env"); do
        if [ "$MODE" = ci ]; then
            one_case "$env" "$phase" "${SIGNALS[$((i % 4))]}"
        else
            for sig in "${SIGNALS[@]}"; do one_case "$env" "$phase" "$sig"; done
        fi
        i=$((i + 1))
    done
done
echo "faults: $MODE matrix in $(( $(date +%s) - start )) s; $([ $FAILED = 0 ] && echo 'every case clean' || echo 'FAILURES above')"
exit $FAILED
