#!/usr/bin/env bash
# benches/keywords.sh - what the keyword stage costs, in instructions, for two leakguard builds
# on the same data: more rules must not make the stage that runs on every byte slower.
#
# The keyword stage is `Windows::collect` (src/engine/index.rs, kept out of line for this):
# the keyword automaton over each buffer, and the lines it marks for each rule's regex. Its
# cost should stay close to constant in the number of keywords; what follows it (the regexes
# of the rules whose keywords were seen) grows with the hits, and shows in the whole run.
#
# For each build it runs `scan DATA --threads 1` under callgrind twice: once counting only
# inside the keyword stage (--toggle-collect), once counting the whole run. It prints the
# keyword count of each build, both instruction counts, instructions per byte of the stage,
# and the ratios AFTER/BEFORE. Instruction counts do not depend on the machine's load, so
# they are the figure to compare; timings are benches/compare.sh's job.
#
# Data: a fixed part of the kernel tree that benches/kernel.sh unpacks (kernel/, lib/ and
# net/ipv4/ of linux-source-6.1, about 30 MB; callgrind runs some 50x slower than native).
#
# Usage: BEFORE=/path/to/old/leakguard AFTER=/path/to/new/leakguard bash benches/keywords.sh
# Environment: DATA (default: the kernel parts above), LEAKGUARD_BENCH_DIR.
set -euo pipefail
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
: "${BEFORE:?set BEFORE to the reference leakguard binary}"
: "${AFTER:?set AFTER to the leakguard binary under test}"
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-keywords.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [[ -z ${DATA:-} ]]; then
    KERNEL=$BENCH_DIR/linux-source-6.1
    [[ -d $KERNEL ]] || { echo "missing $KERNEL: run benches/kernel.sh first" >&2; exit 1; }
    DATA=$WORK/data
    mkdir -p "$DATA"
    for part in kernel lib net/ipv4; do
        mkdir -p "$DATA/$(dirname "$part")"
        cp -r "$KERNEL/$part" "$DATA/$part"
    done
fi
bytes=$(du -sb "$DATA" | cut -f1)

# measure NAME BINARY: prints "keywords stage_ir total_ir".
measure() {
    local name=$1 bin=$2
    local keywords
    keywords=$("$bin" rules list --no-config --format json |
        python3 -c 'import json,sys; print(len({k.lower() for r in json.load(sys.stdin)["rules"] for k in r["keywords"]}))')
    local args=(scan "$DATA" --no-config --threads 1 --format json --quiet --max-file-size 4G)
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name-stage.out" \
        --toggle-collect='*index::Windows::collect' -- "$bin" "${args[@]}" -o "$WORK/$name-1.json" \
        >/dev/null 2>"$WORK/$name-stage.log" || true
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name-total.out" \
        -- "$bin" "${args[@]}" -o "$WORK/$name-2.json" >/dev/null 2>"$WORK/$name-total.log" || true
    local stage total
    stage=$(grep -m1 '^summary:' "$WORK/$name-stage.out" | awk '{print $2}')
    total=$(grep -m1 '^summary:' "$WORK/$name-total.out" | awk '{print $2}')
    [[ -n $stage && $stage -gt 0 ]] || { echo "$name: no instructions in the keyword stage: is Windows::collect out of line in $bin?" >&2; exit 1; }
    echo "$keywords $stage $total"
}

read -r kb sb tb < <(measure before "$BEFORE")
read -r ka sa ta < <(measure after "$AFTER")
python3 - "$bytes" "$kb" "$sb" "$tb" "$ka" "$sa" "$ta" <<'EOF'
import sys
n, kb, sb, tb, ka, sa, ta = map(int, sys.argv[1:])
print(f"data: {n / 1e6:.1f} MB, scan --threads 1, instructions counted by callgrind")
print(f"{'':8} {'keywords':>9} {'keyword stage':>15} {'per byte':>9} {'whole run':>15}")
for name, k, s, t in (("before", kb, sb, tb), ("after", ka, sa, ta)):
    print(f"{name:8} {k:9d} {s:15,d} {s / n:9.2f} {t:15,d}")
print(f"after/before: keywords {ka / kb:.2f}x, keyword stage {sa / sb:.3f}, whole run {ta / tb:.3f}")
EOF
