#!/usr/bin/env bash
# benches/git.sh - git benchmarks of leakguard: pre-commit latency and history throughput.
#
# 1. Pre-commit latency (`leakguard staged`)
#    Corpus: a git repository with the whole Linux kernel tree in one commit
#    ($BENCH_DIR/kernel-repo, ~75k files).  A one-line change to one file ($STAGED_FILE)
#    is staged afresh before every timed run (hyperfine --prepare), so every run sees the
#    same index.  Measured in the same hyperfine invocation, cwd = the repository:
#      * git diff --cached --quiet   (exit 1 = something staged: git's own cost of
#                                      finding the staged change; the reference)
#      * leakguard staged             (what the pre-commit hook runs; exit 0 clean, 1 findings)
#      * kingfisher scan . --staged   (the peer, for context)
#    Reported: median wall time (ms) over $LATENCY_RUNS runs, ratio leakguard/git, and
#    peak RSS (max over $RUNS runs under /usr/bin/time -v).
#    Target: leakguard staged <= 1.3x git diff --cached.
#    Then startup: a tiny repository (one commit, one staged one-line change, built in a
#    temp dir), where `leakguard staged` costs what leakguard costs to start (rules, keyword
#    automaton, opening the repository), timed against `leakguard --version` (process start
#    only) and `git diff --cached --quiet`.  Target: leakguard staged <= 3 ms there.
#
# 2. History throughput (`leakguard history`)
#    Corpus: a repository of $HIST_COMMITS commits built from real kernel files
#    ($BENCH_DIR/history-repo-*): each commit adds a batch of files (a seeded random sample
#    of the kernel, in path order) and modifies a few earlier ones by appending lines taken
#    from other real files, so history holds many unique blobs (~$HIST_MB MB of them).
#    Written with git fast-import (fixed dates: the same commit ids on every machine) and
#    packed with git gc.  Its working tree is left empty, so a scanner given the directory
#    reads only the object database.
#    Measured (best of $RUNS, warm cache, same thread count):
#      * git cat-file --batch-all-objects --batch   (reads every object: the floor)
#      * git cat-file ... --batch --unordered       (the same in pack order: the real floor)
#      * leakguard history <repo> --format json --quiet --output F --threads N
#      * kingfisher scan <repo> --git-history full --exclude '**/.git/**' --no-validate
#                   --no-update-check --jobs N --format json --quiet --output F
#    Reported: MB/s of unique blob bytes (size of every blob in the object database,
#    uncompressed) and the ratio to git cat-file --batch-all-objects (sorted order, the
#    command above).  Target: leakguard >= 0.5x git cat-file.
#
# The script reports these; it does not fail on a miss (it is a benchmark, not a test).
# Corpora live outside the repo under $LEAKGUARD_BENCH_DIR and are prepared once (first
# run: a few minutes, mostly `git add` + `git gc` of the kernel tree); later runs reuse them.
#
# Environment:
#   LEAKGUARD_BENCH_DIR  corpus dir                        (default /tmp/leakguard-bench)
#   THREADS              threads for the history scanners   (default: nproc)
#   RUNS                 runs per history tool, best kept;
#                        /usr/bin/time runs for peak RSS     (default: 3)
#   LATENCY_RUNS         timed runs per pre-commit command   (default: 30)
#   STAGED_FILE          file given the one-line change      (default: init/main.c)
#   HIST_COMMITS         commits in the history corpus       (default: 400)
#   HIST_MB              unique blob MB to aim for           (default: 200)
#   LEAKGUARD            leakguard binary                   (default: <repo>/target/release/leakguard;
#                                                            not built by this script)
#   KINGFISHER           kingfisher binary                  (default: the binary inside the
#                                                            kingfisher-bin wheel, else `kingfisher`)
#   LINUX_SOURCE_PKG     Debian package with the tarball    (default: linux-source-6.1 if apt
#                                                            knows it, else linux-source)
#   SKIP_LEAKGUARD=1     skip leakguard (before `staged`/`history` work)
#   SKIP_KINGFISHER=1    skip kingfisher
#   SKIP_LATENCY=1       skip part 1;  SKIP_HISTORY=1  skip part 2
#   NO_HYPERFINE=1       time the pre-commit commands with the Python loop even if hyperfine exists
#
# Notes: hyperfine is installed from Debian if missing; without it a Python loop times the
# runs (same --prepare step, median of LATENCY_RUNS).  kingfisher --staged synthesizes a
# temporary commit, i.e. it writes a few loose objects into the kernel repository per run.
#
# Usage: bash benches/git.sh      (from any directory; needs root or sudo for installs)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
THREADS=${THREADS:-$(nproc)}
RUNS=${RUNS:-3}
LATENCY_RUNS=${LATENCY_RUNS:-30}
STAGED_FILE=${STAGED_FILE:-init/main.c}
HIST_COMMITS=${HIST_COMMITS:-400}
HIST_MB=${HIST_MB:-200}
LEAKGUARD=${LEAKGUARD:-$REPO_ROOT/target/release/leakguard}
SKIP_LEAKGUARD=${SKIP_LEAKGUARD:-0}
SKIP_KINGFISHER=${SKIP_KINGFISHER:-0}
SKIP_LATENCY=${SKIP_LATENCY:-0}
SKIP_HISTORY=${SKIP_HISTORY:-0}

log() { printf '[git-bench] %s\n' "$*" >&2; }
die() { printf '[git-bench] ERROR: %s\n' "$*" >&2; exit 1; }

for v in THREADS RUNS LATENCY_RUNS HIST_COMMITS HIST_MB; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
command -v python3 >/dev/null || die "python3 is required"
command -v git >/dev/null || die "git is required"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: cannot install packages"
    SUDO=(sudo)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-git-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT_DIR=$BENCH_DIR/last-run
mkdir -p "$OUT_DIR"

# Git must not pick up the caller's global config (hooks, fsmonitor, signing...).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0

# ---------------------------------------------------------------------------
# 1. Tools and the kernel tree (idempotent; same corpus as kernel.sh)
# ---------------------------------------------------------------------------
APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get update -qq >&2
        APT_UPDATED=1
    fi
}
apt_known() { apt-cache show "$1" >/dev/null 2>&1; }
apt_install() {
    local pkg
    for pkg in "$@"; do
        apt_known "$pkg" || apt_update_once
    done
    log "apt-get install $*"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

[[ -x /usr/bin/time ]] || apt_install time
if ! command -v hyperfine >/dev/null; then
    apt_install hyperfine || log "hyperfine not installable: timing with a Python loop instead"
fi

shopt -s nullglob
tarballs=(/usr/src/linux-source-*.tar.xz)
if [[ ${#tarballs[@]} -eq 0 ]]; then
    pkg=${LINUX_SOURCE_PKG:-}
    if [[ -z $pkg ]]; then
        apt_known linux-source-6.1 || apt_update_once
        if apt_known linux-source-6.1; then pkg=linux-source-6.1; else pkg=linux-source; fi
    fi
    apt_install "$pkg"
    tarballs=(/usr/src/linux-source-*.tar.xz)
    [[ ${#tarballs[@]} -gt 0 ]] || die "$pkg installed but no /usr/src/linux-source-*.tar.xz"
fi
shopt -u nullglob
TARBALL=${tarballs[${#tarballs[@]}-1]}
[[ -f /usr/src/linux-source-6.1.tar.xz ]] && TARBALL=/usr/src/linux-source-6.1.tar.xz
NAME=$(basename "$TARBALL" .tar.xz)         # e.g. linux-source-6.1
TREE=$BENCH_DIR/$NAME
READY=$BENCH_DIR/.$NAME.ready               # shared with kernel.sh

if [[ ! -f $READY || ! -d $TREE ]]; then
    log "extracting $TARBALL into $BENCH_DIR (once)"
    mkdir -p "$BENCH_DIR"
    rm -rf "$TREE" "$BENCH_DIR/.extract-tmp"
    mkdir "$BENCH_DIR/.extract-tmp"
    tar -xJf "$TARBALL" -C "$BENCH_DIR/.extract-tmp"
    [[ -d $BENCH_DIR/.extract-tmp/$NAME ]] || die "tarball did not contain $NAME/"
    mv "$BENCH_DIR/.extract-tmp/$NAME" "$TREE"
    rmdir "$BENCH_DIR/.extract-tmp"
    touch "$READY"
fi

if [[ $SKIP_LEAKGUARD != 1 && ! -x $LEAKGUARD ]]; then
    die "leakguard binary $LEAKGUARD is missing: build it (cargo build --release) or set SKIP_LEAKGUARD=1"
fi

# shellcheck source=benches/kingfisher.sh
source "$(dirname "${BASH_SOURCE[0]}")/kingfisher.sh"
locate_kingfisher

git_local_config() {   # repo: identity and no background work during timings
    git -C "$1" config user.name "leakguard bench"
    git -C "$1" config user.email "bench@leakguard.invalid"
    git -C "$1" config gc.auto 0
    git -C "$1" config maintenance.auto false
    git -C "$1" config core.fsmonitor false
    git -C "$1" config commit.gpgsign false
}

# ---------------------------------------------------------------------------
# 2. Corpus A: the kernel tree in one commit (idempotent)
# ---------------------------------------------------------------------------
KREPO=$BENCH_DIR/kernel-repo
KREADY=$BENCH_DIR/.kernel-repo.ready
# Both parts need it (part 2 draws its files from it).
if [[ ! -f $KREADY || ! -d $KREPO/.git ]] ||
    ! git -C "$KREPO" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    log "building $KREPO: the kernel tree in one commit (once; a few minutes)"
    rm -rf "$KREPO" "$KREPO.tmp" "$KREADY"
    # Hard links save 1.5 GB; nothing below writes into a linked file in place (the staged
    # change is written to a new file and renamed over; git writes new files too).
    cp -al "$TREE" "$KREPO.tmp" 2>/dev/null || { rm -rf "$KREPO.tmp"; cp -a "$TREE" "$KREPO.tmp"; }
    # Debian's tarball ends the top-level .gitignore with "/*" (ignore everything): drop
    # that block, writing a new file so the hard-linked original is left alone.
    python3 - "$KREPO.tmp/.gitignore" <<'EOF'
import os, sys
path = sys.argv[1]
if os.path.exists(path):
    lines = open(path, encoding="utf-8", errors="surrogateescape").read().split("\n")
    if "/*" in lines:
        cut = lines.index("/*")
        while cut > 0 and lines[cut - 1].startswith("#"):
            cut -= 1
        lines = lines[:cut]
    with open(path + ".new", "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    os.replace(path + ".new", path)
EOF
    git -C "$KREPO.tmp" init -q -b main
    git_local_config "$KREPO.tmp"
    git -C "$KREPO.tmp" add -A
    GIT_AUTHOR_DATE="2022-12-11T14:15:00Z" GIT_COMMITTER_DATE="2022-12-11T14:15:00Z" \
        git -C "$KREPO.tmp" commit -q -m "$NAME"
    log "packing $KREPO (git gc)"
    git -C "$KREPO.tmp" gc -q
    mv "$KREPO.tmp" "$KREPO"
    touch "$KREADY"
fi
KFILES=$(git -C "$KREPO" ls-tree -r --name-only HEAD | wc -l)
[[ $KFILES -ge 10000 ]] || die "$KREPO HEAD has only $KFILES files (expected tens of thousands); delete $KREPO and rerun"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
# timed_runs LABEL CMD...: runs CMD $RUNS times under /usr/bin/time -v (stdout to
# $STDOUT, default $WORK/stdout.txt; PREPARE, if set, is a script run before each run).  Sets BEST_WALL (s, min) and MAX_RSS_KB (max).
# OK_CODES (space-separated) lists the accepted exit codes.
timed_runs() {
    local label=$1; shift
    local i rc wall rss tf=$WORK/time.txt
    BEST_WALL=""; MAX_RSS_KB=0
    for ((i = 1; i <= RUNS; i++)); do
        if [[ -n ${PREPARE:-} ]]; then bash "$PREPARE"; fi
        rc=0
        /usr/bin/time -v -o "$tf" "$@" > "${STDOUT:-$WORK/stdout.txt}" 2> "$WORK/stderr.txt" || rc=$?
        if [[ " $OK_CODES " != *" $rc "* ]]; then
            log "$label exited with status $rc; its stderr:"
            tail -n 20 "$WORK/stderr.txt" >&2
            die "$label failed (exit $rc): $(printf '%q ' "$@")$(hint "$label")"
        fi
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                n = split($2, p, ":"); s = 0
                for (j = 1; j <= n; j++) s = s * 60 + p[j]
                printf "%.3f", s }' "$tf")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
        [[ -n $wall && -n $rss ]] || die "could not parse /usr/bin/time output for $label"
        log "$label run $i/$RUNS: ${wall}s, peak RSS $((rss / 1024)) MB, exit $rc"
        if [[ -z $BEST_WALL ]] || awk -v a="$wall" -v b="$BEST_WALL" 'BEGIN{exit !(a < b)}'; then
            BEST_WALL=$wall
        fi
        if ((rss > MAX_RSS_KB)); then MAX_RSS_KB=$rss; fi
    done
}

hint() { [[ $1 == leakguard* ]] && echo " (set SKIP_LEAKGUARD=1 to run without leakguard)"; true; }

# check_rc LABEL "OK CODES" CMD...: one untimed run; dies unless the exit code is accepted.
check_rc() {
    local label=$1 ok=$2 rc=0; shift 2
    "$@" > "$WORK/check.out" 2> "$WORK/check.err" || rc=$?
    if [[ " $ok " != *" $rc "* ]]; then
        log "$label exited with status $rc (expected one of: $ok); its output:"
        tail -n 20 "$WORK/check.out" "$WORK/check.err" >&2
        die "$label failed: $(printf '%q ' "$@")$(hint "$label")"
    fi
    log "$label: exit $rc (ok)"
}

mb() { python3 -c "print(f'{$1/1e6:.1f}')"; }

REPORT=$WORK/report.txt
: > "$REPORT"
COMMANDS=()

# ---------------------------------------------------------------------------
# 3. Pre-commit latency
# ---------------------------------------------------------------------------
if [[ $SKIP_LATENCY != 1 ]]; then
    git -C "$KREPO" cat-file -e "HEAD:$STAGED_FILE" 2>/dev/null ||
        die "STAGED_FILE=$STAGED_FILE is not a file in $KREPO HEAD"
    STAGED_LINE="/* leakguard bench: a one-line change */"
    # Restores $STAGED_FILE to HEAD, appends one line and stages it: the same index before
    # every timed run.  New file + rename, never an in-place write (the tree is hard-linked).
    RESTAGE=$OUT_DIR/restage.sh    # kept, so the printed hyperfine command can be rerun
    cat > "$RESTAGE" <<EOF
set -euo pipefail
cd $(printf '%q' "$KREPO")
f=$(printf '%q' "$STAGED_FILE")
{ git show "HEAD:\$f"; printf '%s\n' $(printf '%q' "$STAGED_LINE"); } > "\$f.leakguard-bench.tmp"
mv "\$f.leakguard-bench.tmp" "\$f"
git add -- "\$f"
EOF
    UNSTAGE=$OUT_DIR/unstage.sh
    cat > "$UNSTAGE" <<EOF
set -euo pipefail
cd $(printf '%q' "$KREPO")
f=$(printf '%q' "$STAGED_FILE")
git reset -q -- "\$f"
git show "HEAD:\$f" > "\$f.leakguard-bench.tmp"
mv "\$f.leakguard-bench.tmp" "\$f"
EOF
    trap 'bash "$UNSTAGE" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
    bash "$RESTAGE"
    NSTAGED=$(git -C "$KREPO" diff --cached --name-only | wc -l)
    [[ $NSTAGED -eq 1 ]] || die "expected exactly 1 staged file in $KREPO, found $NSTAGED (git -C $KREPO status)"
    KBLOB=$(git -C "$KREPO" count-objects -v | awk '/^size-pack:/ {print $2 * 1024}')

    # Commands, all run with cwd = the repository.
    LAT_NAMES=(git)
    LAT_CMDS=("git diff --cached --quiet")
    LAT_OK=("1")
    if [[ $SKIP_LEAKGUARD != 1 ]]; then
        LAT_NAMES+=(leakguard)
        LAT_CMDS+=("$(printf '%q' "$LEAKGUARD") staged")
        LAT_OK+=("0 1")
    fi
    if [[ $SKIP_KINGFISHER != 1 ]]; then
        LAT_NAMES+=(kingfisher)
        LAT_CMDS+=("$(printf '%q' "$KINGFISHER") scan . --staged --no-validate --no-update-check --format json --quiet")
        LAT_OK+=("0 200 205")
    fi
    cd "$KREPO"
    for i in "${!LAT_NAMES[@]}"; do
        eval "cmd=(${LAT_CMDS[$i]})"
        # shellcheck disable=SC2154
        check_rc "${LAT_NAMES[$i]} (staged check)" "${LAT_OK[$i]}" "${cmd[@]}"
        COMMANDS+=("$(printf '%-11s' "${LAT_NAMES[$i]}:") (cd $KREPO && ${LAT_CMDS[$i]})")
    done

    LAT_JSON=$OUT_DIR/staged-latency.json
    if [[ ${NO_HYPERFINE:-0} != 1 ]] && command -v hyperfine >/dev/null; then
        LAT_TOOL="hyperfine $(hyperfine --version | awk '{print $2}')"
        HF=(hyperfine -N --warmup 3 --runs "$LATENCY_RUNS" --ignore-failure --style none
            --prepare "bash $(printf '%q' "$RESTAGE")" --export-json "$LAT_JSON")
        for i in "${!LAT_NAMES[@]}"; do HF+=(-n "${LAT_NAMES[$i]}" "${LAT_CMDS[$i]}"); done
        log "timing pre-commit commands: $LATENCY_RUNS runs each (hyperfine)"
        "${HF[@]}" >&2 || die "hyperfine failed"
        COMMANDS+=("timing:     (cd $KREPO && $(printf '%q ' "${HF[@]}"))")
    else
        LAT_TOOL="python loop"
        log "timing pre-commit commands: $LATENCY_RUNS runs each (python loop)"
        python3 - "$LATENCY_RUNS" "$RESTAGE" "$LAT_JSON" "${LAT_NAMES[@]}" -- "${LAT_CMDS[@]}" <<'EOF'
import json, shlex, statistics, subprocess, sys, time
runs, prep, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rest = sys.argv[4:]
sep = rest.index("--")
names, cmds = rest[:sep], rest[sep + 1:]
results = []
for name, cmd in zip(names, cmds):
    argv = shlex.split(cmd)
    times = []
    for i in range(runs + 3):                      # 3 warm-up runs
        subprocess.run(["bash", prep], check=True)
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 3:
            times.append(time.perf_counter() - t)
    results.append({"command": name, "times": times, "mean": statistics.mean(times),
                    "median": statistics.median(times), "min": min(times), "max": max(times),
                    "stddev": statistics.stdev(times) if len(times) > 1 else 0.0})
json.dump({"results": results}, open(out, "w"), indent=1)
EOF
    fi

    # Peak RSS: /usr/bin/time -v, max over $RUNS runs, same prepare step.
    : > "$WORK/lat_rss.tsv"
    PREPARE=$RESTAGE
    for i in "${!LAT_NAMES[@]}"; do
        eval "cmd=(${LAT_CMDS[$i]})"
        OK_CODES=${LAT_OK[$i]}
        timed_runs "${LAT_NAMES[$i]} (RSS)" "${cmd[@]}"
        printf '%s\t%s\n' "${LAT_NAMES[$i]}" "$MAX_RSS_KB" >> "$WORK/lat_rss.tsv"
    done
    PREPARE=""
    cd "$REPO_ROOT"
    bash "$UNSTAGE"

    {
        echo "1. pre-commit latency: one staged one-line change"
        echo "   repo:   $KREPO"
        echo "           $KFILES files in HEAD, pack $(mb "$KBLOB") MB; staged: $STAGED_FILE (+1 line), restaged before every run"
        echo "   timing: $LAT_TOOL, $LATENCY_RUNS runs per command after 3 warm-up runs, cwd = repo; RSS: /usr/bin/time -v, max of $RUNS"
        echo
        python3 - "$LAT_JSON" "$WORK/lat_rss.tsv" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
git = res["git"]["median"]
fmt = "   {:<11} {:>10} {:>9} {:>9} {:>9} {:>12} {:>8}"
print(fmt.format("tool", "median ms", "mean ms", "min ms", "max ms", "peak RSS MB", "x git"))
print(fmt.format(*["-" * w for w in (11, 10, 9, 9, 9, 12, 8)]))
for name, r in res.items():
    print(fmt.format(name, f"{r['median']*1e3:.1f}", f"{r['mean']*1e3:.1f}", f"{r['min']*1e3:.1f}",
                     f"{r['max']*1e3:.1f}", f"{int(rss.get(name, 0)) / 1024:.1f}",
                     f"{r['median'] / git:.2f}"))
if "leakguard" in res:
    print(f"   staged ratio: {res['leakguard']['median'] / git:.2f}x git diff --cached --quiet")
EOF
        echo "   target: leakguard staged <= 1.30x git diff --cached (median)"
        [[ $SKIP_LEAKGUARD == 1 ]] && echo "   (leakguard skipped: SKIP_LEAKGUARD=1)"
        echo
    } >> "$REPORT"

    # Startup in a tiny repository: what every commit pays however small the repository.
    if [[ $SKIP_LEAKGUARD != 1 ]]; then
        TINY=$WORK/tiny-repo
        git init -q -b main "$TINY"
        git_local_config "$TINY"
        printf 'hello\n' > "$TINY/a.txt"
        git -C "$TINY" add a.txt
        git -C "$TINY" commit -q -m init
        printf 'x = 1\n' >> "$TINY/a.txt"
        git -C "$TINY" add a.txt
        TINY_NAMES=(git leakguard-version leakguard)
        TINY_CMDS=("git diff --cached --quiet" "$(printf '%q' "$LEAKGUARD") --version"
            "$(printf '%q' "$LEAKGUARD") staged")
        TINY_RUNS=$((LATENCY_RUNS * 3))
        TINY_JSON=$OUT_DIR/tiny-startup.json
        cd "$TINY"
        check_rc "leakguard (tiny staged check)" "0" "$LEAKGUARD" staged
        if [[ ${NO_HYPERFINE:-0} != 1 ]] && command -v hyperfine >/dev/null; then
            HF=(hyperfine -N --warmup 10 --runs "$TINY_RUNS" --ignore-failure --style none
                --export-json "$TINY_JSON")
            for i in "${!TINY_NAMES[@]}"; do HF+=(-n "${TINY_NAMES[$i]}" "${TINY_CMDS[$i]}"); done
            log "timing startup in a tiny repository (hyperfine)"
            "${HF[@]}" >&2 || die "hyperfine failed"
            COMMANDS+=("tiny:       (cd <1-commit repo, a.txt +1 line staged> && $(printf '%q ' "${HF[@]}"))")
        else
            log "timing startup in a tiny repository (python loop)"
            python3 - "$TINY_RUNS" "$TINY_JSON" "${TINY_NAMES[@]}" -- "${TINY_CMDS[@]}" <<'EOF'
import json, shlex, statistics, subprocess, sys, time
runs, out = int(sys.argv[1]), sys.argv[2]
rest = sys.argv[3:]
sep = rest.index("--")
results = []
for name, cmd in zip(rest[:sep], rest[sep + 1:]):
    argv, times = shlex.split(cmd), []
    for i in range(runs + 10):                     # 10 warm-up runs
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 10:
            times.append(time.perf_counter() - t)
    results.append({"command": name, "median": statistics.median(times)})
json.dump({"results": results}, open(out, "w"), indent=1)
EOF
        fi
        cd "$REPO_ROOT"
        {
            echo "   startup: a tiny repository (1 file, +1 line staged), median of $TINY_RUNS runs"
            python3 - "$TINY_JSON" <<'EOF'
import json, sys
res = {r["command"]: r["median"] * 1e3 for r in json.load(open(sys.argv[1]))["results"]}
for name, label in (("git", "git diff --cached --quiet"),
                    ("leakguard-version", "leakguard --version"),
                    ("leakguard", "leakguard staged")):
    print(f"   {label:<26} {res[name]:6.1f} ms")
added = res["leakguard"] - res["leakguard-version"]
print(f"   leakguard staged - leakguard --version: {added:.1f} ms")
EOF
            echo "   target: leakguard staged <= 3 ms in a tiny repository"
            echo
        } >> "$REPORT"
    fi
fi

# ---------------------------------------------------------------------------
# 4. History throughput
# ---------------------------------------------------------------------------
if [[ $SKIP_HISTORY != 1 ]]; then
    HREPO=$BENCH_DIR/history-repo-c$HIST_COMMITS-m$HIST_MB
    HREADY=$BENCH_DIR/.history-repo-c$HIST_COMMITS-m$HIST_MB.ready
    if [[ ! -f $HREADY || ! -d $HREPO/.git ]]; then
        log "building $HREPO: $HIST_COMMITS commits, ~$HIST_MB MB of unique blobs (once)"
        rm -rf "$HREPO" "$HREPO.tmp" "$HREADY"
        git -C "$KREPO" ls-tree -r -z --full-tree HEAD > "$WORK/kernel-files"
        git init -q -b main "$HREPO.tmp"
        git_local_config "$HREPO.tmp"
        # Deterministic generator (fixed seed, fixed dates): commit i adds the next batch
        # of a random sample of kernel files (in path order, so batches follow directories)
        # and appends 1-20 lines of another real file to a few files added earlier.
        python3 - "$WORK/kernel-files" "$TREE" "$HIST_COMMITS" "$HIST_MB" <<'EOF' |
import os, random, sys
listing, tree, ncommits, target_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer
rng = random.Random(20221211)
files = []
for rec in open(listing, "rb").read().split(b"\0"):
    if not rec:
        continue
    meta, path = rec.split(b"\t", 1)
    mode, kind, _ = meta.split(b" ")
    if kind != b"blob" or mode not in (b"100644", b"100755"):
        continue                                    # symlinks, submodules
    size = os.path.getsize(os.path.join(tree.encode(), path))
    if size <= 1 << 20:                             # no multi-MB blobs modified over and over
        files.append((path, mode, size))
target = target_mb * 1_000_000
MODS_PER_COMMIT = 8
# Bytes that modifications will add (each modified blob is a whole new file version).
avg = sum(s for _, _, s in files) / len(files)
add_budget = max(target - ncommits * MODS_PER_COMMIT * avg, target // 2)
rng.shuffle(files)
sample, total = [], 0
for f in files:
    if total >= add_budget:
        break
    sample.append(f); total += f[2]
sample.sort()
def read(path):
    with open(os.path.join(tree.encode(), path), "rb") as fh:
        return fh.read()
def blob(path, mode, data):
    out.write(b"M %s inline %s\ndata %d\n" % (mode, path, len(data)))
    out.write(data); out.write(b"\n")
current = {}                                         # path -> modified content
added = []
per = len(sample) / ncommits
t0 = 1_600_000_000
for i in range(ncommits):
    batch = sample[round(i * per):round((i + 1) * per)]
    msg = b"bench commit %d: add %d files" % (i + 1, len(batch))
    out.write(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
    out.write(b"author Bench Author <author@leakguard.invalid> %d +0000\n" % (t0 + 3600 * i))
    out.write(b"committer Bench Author <author@leakguard.invalid> %d +0000\n" % (t0 + 3600 * i))
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    if i:
        out.write(b"from :%d\n" % i)
    for path, mode, _ in batch:
        blob(path, mode, read(path))
    if added:
        for path, mode in rng.sample(added, min(MODS_PER_COMMIT, len(added))):
            donor = rng.choice(files)[0]
            lines = read(donor).splitlines(keepends=True)
            start = rng.randrange(max(1, len(lines)))
            extra = b"".join(lines[start:start + rng.randint(1, 20)])
            data = current.get(path) or read(path)
            if data and not data.endswith(b"\n"):
                data += b"\n"
            data += extra if extra.endswith(b"\n") or not extra else extra + b"\n"
            current[path] = data
            blob(path, mode, data)
    added.extend((p, m) for p, m, _ in batch)
out.write(b"done\n")
EOF
        git -C "$HREPO.tmp" fast-import --quiet --done
        git -C "$HREPO.tmp" symbolic-ref HEAD refs/heads/main
        log "packing $HREPO (git gc)"
        git -C "$HREPO.tmp" gc -q
        # The working tree stays empty (nothing checked out): scanners read only history.
        mv "$HREPO.tmp" "$HREPO"
        touch "$HREADY"
    fi

    git -C "$HREPO" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' --unordered > "$WORK/objects"
    read -r _ HTREES HBLOBS HBLOB_BYTES HALL_BYTES < <(awk '
        { n[$1]++; all += $2 } $1 == "blob" { b += $2 }
        END { printf "%d %d %d %d %d\n", n["commit"], n["tree"], n["blob"], b, all }' "$WORK/objects")
    HCOMMITS=$(git -C "$HREPO" rev-list --count --all)
    HPACK=$(git -C "$HREPO" count-objects -v | awk '/^size-pack:/ {print $2 * 1024}')
    [[ $HBLOBS -gt 0 ]] || die "$HREPO has no blobs; delete it and rerun"
    log "history corpus: $HCOMMITS commits, $HBLOBS unique blobs, $(mb "$HBLOB_BYTES") MB of blobs"

    log "warming page cache"
    cat "$HREPO"/.git/objects/pack/* > /dev/null

    RESULTS=$WORK/history.tsv   # tool \t wall \t rss_kb \t note
    : > "$RESULTS"

    # git cat-file: hash order (the command named in the targets) and pack order.
    OK_CODES="0"
    STDOUT=/dev/null
    CAT_CMD=(git -C "$HREPO" cat-file --batch-all-objects --batch)
    COMMANDS+=("git:        $(printf '%q ' "${CAT_CMD[@]}")> /dev/null")
    timed_runs "git cat-file" "${CAT_CMD[@]}"
    CAT_WALL=$BEST_WALL
    printf 'git cat-file\t%s\t%s\t%s\n' "$BEST_WALL" "$MAX_RSS_KB" "all objects, hash order" >> "$RESULTS"
    CATU_CMD=(git -C "$HREPO" cat-file --batch-all-objects --batch --unordered)
    COMMANDS+=("git:        $(printf '%q ' "${CATU_CMD[@]}")> /dev/null")
    timed_runs "git cat-file --unordered" "${CATU_CMD[@]}"
    printf 'git --unord.\t%s\t%s\t%s\n' "$BEST_WALL" "$MAX_RSS_KB" "all objects, pack order" >> "$RESULTS"
    STDOUT=""

    if [[ $SKIP_LEAKGUARD != 1 ]]; then
        LG_OUT=$OUT_DIR/leakguard-history.json
        rm -f "$LG_OUT"
        # (one branch: HEAD's history is every commit; every blob is < 1 MB, under the
        # default --max-file-size)
        LG_CMD=("$LEAKGUARD" history "$HREPO" --format json --quiet --output "$LG_OUT"
            --threads "$THREADS")
        COMMANDS+=("leakguard:  $(printf '%q ' "${LG_CMD[@]}")")
        OK_CODES="0 1"     # 1 = findings; 2 = error
        timed_runs "leakguard history" "${LG_CMD[@]}"
        LG_NOTE=$(python3 - "$LG_OUT" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"unreadable JSON: {e!r}"); sys.exit()
s = d.get("summary", {}) if isinstance(d, dict) else {}
f = d.get("findings", []) if isinstance(d, dict) else []
print(f"{len(f)} findings; " + ", ".join(f"{k}={v}" for k, v in s.items()
                                       if not isinstance(v, (dict, list))))
EOF
        )
        printf 'leakguard\t%s\t%s\t%s\n' "$BEST_WALL" "$MAX_RSS_KB" "$LG_NOTE" >> "$RESULTS"
    fi

    if [[ $SKIP_KINGFISHER != 1 ]]; then
        KF_OUT=$OUT_DIR/kingfisher-history.json
        rm -f "$KF_OUT"
        # A local repository path + --git-history full (the default) scans every blob in
        # the object database once.  Given a directory, kingfisher also scans the files
        # under .git as plain files (the ~50 MB pack, compressed: +48 MB, +27 "blobs"):
        # --exclude '**/.git/**' drops those and keeps the history scan.
        KF_CMD=("$KINGFISHER" scan "$HREPO" --git-history full --exclude '**/.git/**'
            --no-validate --no-update-check --jobs "$THREADS" --format json --quiet
            --output "$KF_OUT")
        COMMANDS+=("kingfisher: $(printf '%q ' "${KF_CMD[@]}")")
        OK_CODES="0 200 205"   # 200 = findings, 205 = validated findings
        timed_runs "kingfisher history" "${KF_CMD[@]}"
        KF_NOTE=$(python3 - "$KF_OUT" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"unreadable JSON: {e!r}"); sys.exit()
f = d.get("findings") if isinstance(d, dict) else d
s = d.get("metadata", {}).get("summary", {}) if isinstance(d, dict) else {}
keys = ("blobs_scanned", "bytes_scanned", "findings", "scan_duration")
print(f"{len(f) if isinstance(f, list) else '?'} findings; " +
      ", ".join(f"{k}={s[k]}" for k in keys if k in s))
EOF
        )
        printf 'kingfisher\t%s\t%s\t%s\n' "$BEST_WALL" "$MAX_RSS_KB" "$KF_NOTE" >> "$RESULTS"
    fi

    {
        echo "2. history throughput"
        echo "   repo:   $HREPO"
        echo "           $HCOMMITS commits, $HBLOBS unique blobs = $(mb "$HBLOB_BYTES") MB ($HTREES trees; all objects $(mb "$HALL_BYTES") MB; pack $(mb "$HPACK") MB)"
        echo "   threads=$THREADS, best of $RUNS, warm cache; MB/s = unique blob MB / wall"
        echo
        python3 - "$RESULTS" "$HBLOB_BYTES" "$CAT_WALL" <<'EOF'
import sys
path, blob_bytes, cat_wall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
cat_mbs = blob_bytes / 1e6 / cat_wall if cat_wall > 0 else float("inf")
fmt = "   {:<13} {:>8} {:>8} {:>12} {:>8}  {}"
print(fmt.format("tool", "wall s", "MB/s", "peak RSS MB", "x git", "reported"))
print(fmt.format("-" * 13, "-" * 8, "-" * 8, "-" * 12, "-" * 8, "-" * 8))
for line in open(path):
    tool, wall, rss_kb, note = line.rstrip("\n").split("\t")
    wall = float(wall)
    mbs = blob_bytes / 1e6 / wall if wall > 0 else float("inf")
    print(fmt.format(tool, f"{wall:.2f}", f"{mbs:.0f}", f"{int(rss_kb) / 1024:.1f}",
                     f"{mbs / cat_mbs:.2f}", note))
EOF
        echo "   x git = throughput / git cat-file --batch-all-objects --batch (hash order)"
        echo "   target: leakguard history >= 0.50x git cat-file"
        [[ $SKIP_LEAKGUARD == 1 ]] && echo "   (leakguard skipped: SKIP_LEAKGUARD=1)"
        echo
    } >> "$REPORT"
fi

# ---------------------------------------------------------------------------
# 5. Report
# ---------------------------------------------------------------------------
echo
echo "leakguard git benchmark  ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(git --version))"
echo
cat "$REPORT"
echo "commands:"
for c in "${COMMANDS[@]}"; do echo "  $c"; done
exit 0
