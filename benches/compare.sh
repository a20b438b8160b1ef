#!/usr/bin/env bash
# benches/compare.sh - two leakguard builds head to head on the same data: a refactor must
# neither slow a command down nor change what it reports.
#
# For each of `scan` (the kernel tree), `history` (the 400-commit bench repository) and
# `staged` (one restaged line in the kernel repository) it runs both binaries in one
# hyperfine invocation (so both see the same machine state), prints the mean times and the
# ratio AFTER/BEFORE, and checks that both JSON reports hold the same findings and counts
# (timings aside).
#
# The corpora are the ones benches/kernel.sh and benches/git.sh prepare under
# $LEAKGUARD_BENCH_DIR (default /tmp/leakguard-bench): run those once first.
#
# On a shared machine whose speed drifts between runs, ROUNDS=N repeats each comparison N
# times, before and after taking turns to go first, and prints each round and the median of
# the rounds' ratios: a drift then moves both sides of a round alike.
#
# Usage: BEFORE=/path/to/old/leakguard AFTER=/path/to/new/leakguard bash benches/compare.sh
# Environment: RUNS (default 10), ROUNDS (default 1), THREADS (default: nproc).

set -euo pipefail

BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
RUNS=${RUNS:-10}
ROUNDS=${ROUNDS:-1}
THREADS=${THREADS:-$(nproc)}
: "${BEFORE:?set BEFORE to the reference leakguard binary}"
: "${AFTER:?set AFTER to the leakguard binary under test}"
KERNEL=$BENCH_DIR/linux-source-6.1
HISTORY=$BENCH_DIR/history-repo-c400-m200
REPO=$BENCH_DIR/kernel-repo
RESTAGE=$BENCH_DIR/last-run/restage.sh
for need in "$KERNEL" "$HISTORY" "$REPO" "$RESTAGE"; do
    [[ -e $need ]] || { echo "missing $need: run benches/kernel.sh and benches/git.sh first" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# compare NAME DIR PREPARE ARGS...: both binaries, one hyperfine run, then the reports.
compare() {
    local name=$1 dir=$2 prepare=$3
    shift 3
    local prep=()
    [[ -n $prepare ]] && prep=(--prepare "$prepare")
    local first=before second=after
    [[ ${ROUND:-0} -ne 0 && $((ROUND % 2)) -eq 1 ]] && { first=after; second=before; }
    local -A bin=([before]=$BEFORE [after]=$AFTER)
    (cd "$dir" && hyperfine -N -i -w 2 -r "$RUNS" "${prep[@]}" --style none \
        --export-json "$WORK/$name.json" \
        -n "$first" "${bin[$first]} $* --format json --quiet -o $WORK/$name-$first.json" \
        -n "$second" "${bin[$second]} $* --format json --quiet -o $WORK/$name-$second.json" >/dev/null)
    python3 - "$WORK" "$name" <<'EOF'
import json, sys
work, name = sys.argv[1], sys.argv[2]
t = {r["command"]: r for r in json.load(open(f"{work}/{name}.json"))["results"]}
b, a = t["before"], t["after"]
def report(which):
    d = json.load(open(f"{work}/{name}-{which}.json"))
    s = {k: v for k, v in d["summary"].items() if not k.endswith("_ms")}
    return d["findings"], s
same = report("before") == report("after")
with open(f"{work}/{name}.ratios", "a") as r:
    r.write(f"{a['mean'] / b['mean']}\n")
print(f"{name:<8} before {b['mean']*1e3:8.1f} ms ± {b['stddev']*1e3:6.1f}   "
      f"after {a['mean']*1e3:8.1f} ms ± {a['stddev']*1e3:6.1f}   "
      f"after/before {a['mean']/b['mean']:.3f}   same report: {'yes' if same else 'NO'}")
EOF
}

echo "BEFORE=$BEFORE"
echo "AFTER=$AFTER"
echo "runs=$RUNS threads=$THREADS (means over runs; one hyperfine invocation per command)"
for ((ROUND = 0; ROUND < ROUNDS; ROUND++)); do
    compare scan "$KERNEL" "" scan . --threads "$THREADS" --max-file-size 4G
    compare history "$HISTORY" "" history . --threads "$THREADS"
    compare staged "$REPO" "bash $RESTAGE" staged
done
if ((ROUNDS > 1)); then
    for name in scan history staged; do
        python3 - "$WORK/$name.ratios" "$name" <<'EOF'
import statistics, sys
r = [float(x) for x in open(sys.argv[1])]
rounds = " ".join(f"{x:.3f}" for x in r)
print(f"{sys.argv[2]:<8} median after/before over {len(r)} rounds: {statistics.median(r):.3f}  (rounds: {rounds})")
EOF
    done
fi
