#!/bin/sh
# Times a suite end to end with two isoprobe builds, side by side: baseline, candidate,
# baseline, candidate, ... on the same machine, so drift falls on both alike. Each run
# writes every report format to a folder of its own (checked), without history.
#
#   scripts/bench-suite.sh [-n ROUNDS] BASELINE_ISOPROBE CANDIDATE_ISOPROBE [SUITE]
#
# A baseline build of an older commit:
#   git worktree add /tmp/isoprobe-base COMMIT && make -C /tmp/isoprobe-base all
#   scripts/bench-suite.sh /tmp/isoprobe-base/build/bin/isoprobe build/bin/isoprobe
# Each binary finds the probes and workloads of its own build tree.
set -eu

rounds=1
if [ "${1:-}" = "-n" ]; then rounds=$2; shift 2; fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [-n ROUNDS] BASELINE_ISOPROBE CANDIDATE_ISOPROBE [SUITE]" >&2
    exit 2
fi
baseline=$1 candidate=$2 suite=${3:-fixtures/suites/default.toml}
for b in "$baseline" "$candidate"; do
    [ -x "$b" ] || { echo "bench-suite: $b is not an executable isoprobe; build it (make all)" >&2; exit 2; }
done
[ -r "$suite" ] || { echo "bench-suite: no suite file $suite" >&2; exit 2; }

work=$(mktemp -d /tmp/isoprobe-bench-suite-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM HUP

# One timed run: prints its wall seconds; fails when the run fails or a format is missing.
timed() {
    out=$work/$2
    start=$(date +%s.%N)
    if ! "$1" run --suite "$suite" --out "$out" --no-history --quiet >"$out.log" 2>&1; then
        echo "bench-suite: $1 failed; its output:" >&2
        tail -5 "$out.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    # Every format the run says it wrote is there.
    files=$(sed -n 's/^isoprobe: reports in [^:]*: //p' "$out.log" | tr -d ',')
    [ -n "$files" ] || { echo "bench-suite: $1 named no reports" >&2; exit 1; }
    for f in $files; do
        [ -s "$out/$f" ] || { echo "bench-suite: $1 wrote no $f" >&2; exit 1; }
    done
    echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }'
}

ratios=""
i=1
while [ "$i" -le "$rounds" ]; do
    a=$(timed "$baseline" "baseline-$i")
    b=$(timed "$candidate" "candidate-$i")
    r=$(echo "$a $b" | awk '{ printf "%.3f", $2 / $1 }')
    echo "round $i: baseline ${a} s, candidate ${b} s, candidate/baseline ${r}"
    ratios="$ratios $r"
    i=$((i + 1))
done
echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median candidate/baseline over %d round(s): %.3f\n", NR, m }'
