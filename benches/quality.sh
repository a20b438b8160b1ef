#!/usr/bin/env bash
# benches/quality.sh - detection quality (precision / recall / F1) of leakguard, Kingfisher and
# ripsecrets on the labelled corpus in fixtures/corpus/ (every token there is synthetic).
#
# What it does:
#   1. copies fixtures/corpus/files to a temp dir outside any git repository, so that every
#      tool sees the same plain directory tree (no .gitignore, no history);
#   2. runs each tool on it with its default rules:
#        leakguard   scan DIR --no-config --format json --max-file-size 10M --quiet --output F
#        kingfisher  scan DIR --no-validate --no-update-check --format json --quiet --output F
#        ripsecrets  FILE... (every file named explicitly, as the pre-commit hook does: when it
#                    walks a directory itself, ripsecrets skips hidden files such as .env)
#   3. maps every finding to (path, line) and scores it against labels.json with
#      fixtures/corpus/score.py, the same matching rule as tests/it/quality.rs:
#        TP  = a finding on an unused label's line (a PEM label also accepts its BEGIN line)
#        dup = a further finding on a line whose labels are all taken (not counted)
#        FP  = any other finding
#   4. prints precision / recall / F1 per tool, recall per family for every tool, and
#      leakguard's per-family precision (the family of a rule is its rules/<family>.yaml).
#
# Not a test: it never fails on low figures.  The floors (precision and recall >= 0.98,
# seed recall 1.0) are asserted by `cargo test quality` (tests/it/quality.rs), which also
# writes leakguard's table to target/quality-report.txt.
#
# Environment:
#   LEAKGUARD    leakguard binary   (default: target/debug/leakguard, built with `cargo build`)
#   KINGFISHER   kingfisher binary  (default: the binary inside the kingfisher-bin wheel,
#                                    installed with pip if missing, else `kingfisher`)
#   RIPSECRETS   ripsecrets binary  (default: `ripsecrets`, `cargo install ripsecrets --locked`
#                                    if missing)
#   SKIP_KINGFISHER=1, SKIP_RIPSECRETS=1   leave a tool out
#   OUT_DIR      where reports are kept (default: target/quality-bench)
#   DETAILS=1    also list each tool's misses and false positives
#
# Usage: bash benches/quality.sh      (from any directory)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
CORPUS=$REPO_ROOT/fixtures/corpus
SCORE=$CORPUS/score.py
OUT_DIR=${OUT_DIR:-$REPO_ROOT/target/quality-bench}
SKIP_KINGFISHER=${SKIP_KINGFISHER:-0}
SKIP_RIPSECRETS=${SKIP_RIPSECRETS:-0}
DETAILS=${DETAILS:-0}

log() { printf '[quality-bench] %s\n' "$*" >&2; }
die() { printf '[quality-bench] ERROR: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is required"
[[ -f $CORPUS/labels.json && -d $CORPUS/files ]] ||
    die "no corpus: run python3 fixtures/corpus/generate.py"

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
if [[ -z ${LEAKGUARD:-} ]]; then
    log "cargo build (debug; detection does not depend on the profile)"
    (cd "$REPO_ROOT" && cargo build --quiet) || die "cargo build failed"
    LEAKGUARD=$REPO_ROOT/target/debug/leakguard
fi
[[ -x $LEAKGUARD ]] || die "leakguard binary not found: $LEAKGUARD"

# shellcheck source=benches/kingfisher.sh
source "$(dirname "${BASH_SOURCE[0]}")/kingfisher.sh"
locate_kingfisher

if [[ $SKIP_RIPSECRETS != 1 && -z ${RIPSECRETS:-} ]]; then
    if ! command -v ripsecrets >/dev/null && [[ ! -x $HOME/.cargo/bin/ripsecrets ]]; then
        log "cargo install ripsecrets --locked (compiles for a minute or two)"
        cargo install ripsecrets --locked >&2 || die "cargo install ripsecrets failed"
    fi
    RIPSECRETS=$(command -v ripsecrets || echo "$HOME/.cargo/bin/ripsecrets")
fi

# ---------------------------------------------------------------------------
# Corpus copy and runs
# ---------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-quality.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TREE=$WORK/corpus
cp -R "$CORPUS/files" "$TREE"
mkdir -p "$OUT_DIR"
NFILES=$(find "$TREE" -type f | wc -l)
NLABELS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$CORPUS/labels.json")
NDECOYS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$CORPUS/decoys.json")
COMMANDS=()
TOOLS=()

run() { # label, ok-codes, command...
    local label=$1 ok=$2 rc=0
    shift 2
    COMMANDS+=("$label: $(printf '%q ' "$@")")
    "$@" > "$WORK/$label.stdout" 2> "$WORK/$label.stderr" || rc=$?
    if [[ " $ok " != *" $rc "* ]]; then
        tail -n 20 "$WORK/$label.stderr" >&2
        die "$label exited with $rc"
    fi
    log "$label: exit $rc"
}

"$LEAKGUARD" rules list --no-config --format json > "$OUT_DIR/leakguard-rules.json"
run leakguard "0 1" "$LEAKGUARD" scan "$TREE" --no-config --format json --max-file-size 10M \
    --quiet --output "$OUT_DIR/leakguard.json"
TOOLS+=(leakguard)

if [[ $SKIP_KINGFISHER != 1 ]]; then
    # 200 = findings, 205 = validated findings
    run kingfisher "0 200 205" "$KINGFISHER" scan "$TREE" --no-validate --no-update-check \
        --format json --quiet --output "$OUT_DIR/kingfisher.json"
    TOOLS+=(kingfisher)
fi

if [[ $SKIP_RIPSECRETS != 1 ]]; then
    (cd "$TREE" && find . -type f | LC_ALL=C sort > "$WORK/filelist")
    COMMANDS+=("ripsecrets: (cd CORPUS && find . -type f | xargs $(printf '%q' "$RIPSECRETS")) > $OUT_DIR/ripsecrets.txt")
    rc=0
    (cd "$TREE" && xargs -d '\n' "$RIPSECRETS" < "$WORK/filelist") > "$OUT_DIR/ripsecrets.txt" 2> "$WORK/ripsecrets.stderr" || rc=$?
    # ripsecrets exits 1 when it finds something; xargs turns a 1 from any batch into 123.
    [[ $rc == 0 || $rc == 1 || $rc == 123 ]] || { tail -n 20 "$WORK/ripsecrets.stderr" >&2; die "ripsecrets exited with $rc"; }
    log "ripsecrets: exit $rc"
    TOOLS+=(ripsecrets)
fi

# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------
for t in "${TOOLS[@]}"; do
    case $t in
        leakguard) report=$OUT_DIR/leakguard.json; extra=(--rules "$OUT_DIR/leakguard-rules.json") ;;
        kingfisher) report=$OUT_DIR/kingfisher.json; extra=() ;;
        ripsecrets) report=$OUT_DIR/ripsecrets.txt; extra=() ;;
    esac
    python3 "$SCORE" --tool "$t" --report "$report" --root "$TREE" --json "$OUT_DIR/$t-score.json" \
        "${extra[@]}" > "$OUT_DIR/$t-details.txt" --details
done

echo
echo "leakguard detection-quality benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "corpus: fixtures/corpus ($NFILES files, $NLABELS labelled secrets, $NDECOYS decoy lines; all synthetic)"
VERSIONS="leakguard $("$LEAKGUARD" -V 2>/dev/null | awk '{print $NF}')"
[[ -n ${KINGFISHER:-} ]] && VERSIONS+=", kingfisher $("$KINGFISHER" --version 2>/dev/null | awk '{print $NF}')"
[[ -n ${RIPSECRETS:-} ]] && VERSIONS+=", ripsecrets $("$RIPSECRETS" --version 2>/dev/null | awk '{print $NF}')"
echo "versions: $VERSIONS"
python3 - "$OUT_DIR" "${TOOLS[@]}" <<'EOF'
import json, sys
out, tools = sys.argv[1], sys.argv[2:]
s = {t: json.load(open(f"{out}/{t}-score.json")) for t in tools}
print()
print(f"{'tool':<12} {'findings':>8} {'TP':>5} {'FP':>5} {'dup':>5} {'precision':>10} {'recall':>7} {'F1':>7}")
for t in tools:
    r = s[t]
    print(f"{t:<12} {r['findings']:>8} {r['tp']:>5} {r['fp']:>5} {r['dup']:>5} {r['precision']:>10.3f} {r['recall']:>7.3f} {r['f1']:>7.3f}")
fams = sorted(s["leakguard"]["families"]) if "leakguard" in s else sorted(s[tools[0]]["families"])
print()
head = f"{'family':<12} {'labels':>6}  {'leakguard P':>11} {'R':>6}"
others = [t for t in tools if t != "leakguard"]
for t in others:
    head += f"  {t + ' R':>13}"
print(head)
for fam in fams:
    lg = s.get("leakguard", {}).get("families", {}).get(fam)
    if lg is None or (lg["labels"] == 0 and lg["findings"] == 0):
        continue
    prec = f"{lg['precision']:.3f}" if lg.get("precision") is not None and lg["findings"] else "-"
    rec = f"{lg['recall']:.3f}" if lg["labels"] else "-"
    line = f"{fam:<12} {lg['labels']:>6}  {prec:>11} {rec:>6}"
    for t in others:
        f = s[t]["families"].get(fam)
        cell = "%.3f" % f["recall"] if f and f["labels"] else "-"
        line += f"  {cell:>13}"
    print(line)
EOF
echo
echo "Commands (CORPUS = a copy of fixtures/corpus/files):"
for c in "${COMMANDS[@]}"; do
    echo "  ${c//$TREE/CORPUS}"
done
echo "  score:      python3 fixtures/corpus/score.py --tool TOOL --report REPORT --root CORPUS [--rules leakguard-rules.json] --details"
echo "Reports, scores and per-tool misses/false positives: $OUT_DIR/"
if [[ $DETAILS == 1 ]]; then
    for t in "${TOOLS[@]}"; do
        echo
        cat "$OUT_DIR/$t-details.txt"
    done
fi
