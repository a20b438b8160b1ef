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
# Usage: BEFORE=/path/to/old/leakguard AFTER=/path/to/new/leakguard bash benches/compare.sh
# Environment: RUNS (default 10), THREADS (default: nproc).

set -euo pipefail

BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
RUNS=${RUNS:-10}
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
    (cd "$dir" && hyperfine -N -i -w 2 -r "$RUNS" "${prep[@]}" --style none \
        --export-json "$WORK/$name.json" \
        -n before "$BEFORE $* --format json --quiet -o $WORK/$name-before.json" \
        -n after "$AFTER $* --format json --quiet -o $WORK/$name-after.json" >/dev/null)
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
print(f"{name:<8} before {b['mean']*1e3:8.1f} ms ± {b['stddev']*1e3:6.1f}   "
      f"after {a['mean']*1e3:8.1f} ms ± {a['stddev']*1e3:6.1f}   "
      f"after/before {a['mean']/b['mean']:.3f}   same report: {'yes' if same else 'NO'}")
EOF
}

echo "BEFORE=$BEFORE"
echo "AFTER=$AFTER"
echo "runs=$RUNS threads=$THREADS (means over runs; one hyperfine invocation per command)"
compare scan "$KERNEL" "" scan . --threads "$THREADS" --max-file-size 4G
compare history "$HISTORY" "" history . --threads "$THREADS"
compare staged "$REPO" "bash $RESTAGE" staged
