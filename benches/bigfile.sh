#!/usr/bin/env bash
# benches/bigfile.sh - one huge file: peak RSS and wall time of `leakguard scan FILE` against
# ripgrep on the same file.
#
# Files over 32 MiB are streamed and scanned in overlapping windows (src/stream.rs), so
# leakguard's peak RSS must stay under 100 MB on a 1 GB file with 2 threads, whatever the
# file's shape. Two generated 1 GB files, in $LEAKGUARD_BENCH_DIR/bigfile (default
# /tmp/leakguard-bench/bigfile), written once and reused:
#   lines.txt    code-like lines (a keyword on one in ten, none a secret), and one
#                synthetic Monime token 1 MiB before the end;
#   oneline.js   the same text on one line (a minified bundle), token 1 MiB before the end.
# Each must give exactly one finding, on the right line.
#
# Reference: ripgrep counting the lines holding any leakguard rule keyword
# (rg -c -F -i -f keywords FILE), the cost of just finding the keywords; the figure is the
# ratio leakguard wall / ripgrep wall. Best wall of $RUNS runs, max RSS over them, warm cache.
#
# Repeated candidates on one line (issue 21): `sk_live_` + 90 letters + a space, repeated
# to 1, 2 and 4 MiB on ONE line (longline-N.txt) and the same bytes with newlines instead of
# the spaces (longlines-N.txt). Two rules match every key, so each is a candidate pair to
# rank. The scan must stay linear in the line length: the one-line/newlines ratio (vs_nl)
# stays flat as the size doubles, where a per-candidate scan of the line made the one-line
# time grow 4x per doubling (1.2 s, 5.2 s, 20.6 s). Reference again: ripgrep on the file.
#
# Environment: LEAKGUARD (default <repo>/target/release/leakguard, built if missing),
#   THREADS (default 2), RUNS (default 3), SIZE_MB (default 1024), CASES (default
#   "big long": the 1 GB files and the long-line files; name one to run only that part).
# Usage: bash benches/bigfile.sh, or CASES=long bash benches/bigfile.sh

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}/bigfile
LEAKGUARD=${LEAKGUARD:-$REPO_ROOT/target/release/leakguard}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}
CASES=${CASES:-big long}

log() { printf '[bigfile] %s\n' "$*" >&2; }
die() { printf '[bigfile] ERROR: %s\n' "$*" >&2; exit 1; }

apt_install() {
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$@" >&2
}
command -v rg >/dev/null || apt_install ripgrep
[[ -x /usr/bin/time ]] || apt_install time
command -v python3 >/dev/null || die "python3 is required"
if [[ ! -x $LEAKGUARD ]]; then
    log "building $LEAKGUARD"
    (cd "$REPO_ROOT" && cargo build --release --locked >&2)
fi

mkdir -p "$DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-bigfile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The files: a 1 MiB block of code-like lines repeated, the token in the last MiB. The
# token is random at generation time: synthetic, never a real key.
generate() {
    local shape=$1 out=$2
    [[ -s $out && $(stat -c %s "$out") -ge $((SIZE_MB << 20)) ]] && return
    log "writing $out ($SIZE_MB MiB, $shape)"
    python3 - "$shape" "$out" "$SIZE_MB" <<'EOF'
import random, string, sys
shape, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(7)
# Mostly plain code; one line in ten holds a keyword (as source trees do), none a secret.
plain = [
    'const item{i} = compute(value{i}, "label {i}");\n',
    'for (let j = 0; j < {i}; j++) {{ total += rows[j].amount * rate; }}\n',
    'function render{i}(props) {{ return h("div", {{ class: "row-{i}" }}, props.children); }}\n',
    '  if (count > {i}) {{ queue.push(next); }} else {{ done = true; }}\n',
]
keyed = [
    'if (password.length < {i}) {{ return error("password too short"); }}\n',
    'config.api_key = process.env.API_KEY_{i};\n',
    'let secret_name = "service-{i}"; headers["Authorization"] = bearer(secret_name);\n',
]
forms = plain * 7 + keyed
lines, n = [], 0
while n < (1 << 20):
    line = rnd.choice(forms).format(i=rnd.randrange(1000))
    lines.append(line)
    n += len(line)
block = "".join(lines)
if shape == "oneline":
    block = block.replace("\n", " ")
block = block.encode()
token = "mon_" + "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(31))
with open(out, "wb") as f:
    for i in range(size_mb):
        if i == size_mb - 1:
            f.write(f'MONIME_TOKEN = "{token}";'.encode() + (b"\n" if shape == "lines" else b" "))
        f.write(block)
    f.write(b"\n")
EOF
}

"$LEAKGUARD" rules list --format json > "$WORK/rules.json"
python3 - "$WORK/rules.json" "$WORK/keywords.txt" <<'EOF'
import json, sys
rules = json.load(open(sys.argv[1]))["rules"]
kws = sorted({k for r in rules for k in (r.get("keywords") or []) if k.strip()})
open(sys.argv[2], "w").write("".join(k + "\n" for k in kws))
EOF

# measure LABEL CMD...: best wall (s) and max RSS (KB) over RUNS runs, into WALL and RSS.
measure() {
    local label=$1 rc wall rss i
    shift
    WALL=""; RSS=0
    for ((i = 1; i <= RUNS; i++)); do
        rc=0
        /usr/bin/time -v -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
        [[ $rc -le 1 ]] || { cat "$WORK/err" >&2; die "$label exited $rc"; }
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                n = split($2, p, ":"); s = 0
                for (j = 1; j <= n; j++) s = s * 60 + p[j]
                printf "%.2f", s }' "$WORK/time")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
        log "$label run $i/$RUNS: ${wall}s, peak RSS $((rss / 1024)) MB"
        if [[ -z $WALL ]] || awk -v a="$wall" -v b="$WALL" 'BEGIN{exit !(a < b)}'; then
            WALL=$wall
        fi
        if ((rss > RSS)); then RSS=$rss; fi
    done
}

printf '%-10s %-10s %9s %10s %9s %10s %7s  %s\n' file size lg_wall_s lg_rss_MB rg_wall_s rg_rss_MB ratio findings
for shape in lines oneline; do
    [[ " $CASES " == *" big "* ]] || continue
    file=$DIR/$shape.txt
    [[ $shape == oneline ]] && file=$DIR/$shape.js
    generate "$shape" "$file"
    cat "$file" > /dev/null   # warm the page cache
    measure "leakguard $shape" "$LEAKGUARD" scan "$file" --no-config --format json \
        --threads "$THREADS" --max-file-size 2G
    lg_wall=$WALL lg_rss=$RSS
    found=$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["findings"]
print(";".join("%s@%s:%s" % (x["rule_id"], x["line"], x["column"]) for x in f))' "$WORK/out")
    measure "ripgrep $shape" rg -c -F -i --threads "$THREADS" -f "$WORK/keywords.txt" "$file"
    ratio=$(awk -v a="$lg_wall" -v b="$WALL" 'BEGIN{printf "%.2f", a / b}')
    printf '%-10s %-10s %9s %10d %9s %10d %7s  %s\n' "$shape" "$(($(stat -c %s "$file") >> 20))MiB" \
        "$lg_wall" $((lg_rss / 1024)) "$WALL" $((RSS / 1024)) "$ratio" "$found"
    ((lg_rss / 1024 < 100)) || log "MISS: leakguard peak RSS $((lg_rss / 1024)) MB >= 100 MB"
done

[[ " $CASES " == *" long "* ]] || exit 0
# The long-line case: one line vs the same bytes on many lines, 1, 2 and 4 MiB.
python3 - "$DIR" <<'EOF'
import os, random, string, sys
d = sys.argv[1]
rnd = random.Random(21)
for mb in (1, 2, 4):
    one, many = f"{d}/longline-{mb}.txt", f"{d}/longlines-{mb}.txt"
    if os.path.exists(one) and os.path.exists(many):
        continue
    keys, n = [], 0
    while n < mb << 20:
        k = "sk_live_" + "".join(rnd.choice(string.ascii_letters) for _ in range(90))
        keys.append(k)
        n += len(k) + 1
    open(one, "w").write(" ".join(keys) + "\n")
    open(many, "w").write("\n".join(keys) + "\n")
EOF
printf '\n%-14s %9s %9s %9s %7s %7s  %s\n' file size_MiB lg_wall_s rg_wall_s vs_rg vs_nl findings
for mb in 1 2 4; do
    nl_wall=""
    for shape in longlines longline; do
        file=$DIR/$shape-$mb.txt
        cat "$file" > /dev/null
        measure "leakguard $shape-$mb" "$LEAKGUARD" scan "$file" --no-config --format json \
            --threads "$THREADS"
        lg_wall=$WALL
        found=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' \
            "$WORK/out")
        measure "ripgrep $shape-$mb" rg -c -F -i --threads "$THREADS" -f "$WORK/keywords.txt" "$file"
        ratio=$(awk -v a="$lg_wall" -v b="$WALL" 'BEGIN{printf "%.1f", a / (b > 0 ? b : 0.01)}')
        [[ -n $nl_wall ]] || nl_wall=$lg_wall
        vs_nl=$(awk -v a="$lg_wall" -v b="$nl_wall" 'BEGIN{printf "%.2f", a / (b > 0 ? b : 0.01)}')
        printf '%-14s %9s %9s %9s %7s %7s  %s\n' "$shape-$mb" "$mb" "$lg_wall" "$WALL" "$ratio" \
            "$vs_nl" "$found"
    done
done
