#!/usr/bin/env bash
# benches/image.sh - `leakguard scan` of a ~1 GB container image against the floor of just
# unpacking its layers: `tar -xzOf LAYER > /dev/null` for every layer, in order.
#
# The image is an OCI image layout built once in $LEAKGUARD_BENCH_DIR/image (default
# /tmp/leakguard-bench/image) from real files, four gzip layers (as registries store them):
#   1. the cargo registry's sources (~450 MB of text: code, docs, data);
#   2. a Rust toolchain's lib/ (~500 MB of binaries: .so, .rlib);
#   3. an app layer with a `.env` holding a synthetic Monime token;
#   4. a layer deleting that `.env` (a whiteout).
# The run must report the token in layer 3, as deleted by layer 4 (the image still ships it).
# Layers are streamed, never unpacked to disk: peak RSS stays bounded whatever the image's
# size (the figure printed; the target is under 300 MB with 2 threads).
#
# Figures: best wall of $RUNS runs, max RSS over them, warm page cache; the ratio is
# leakguard wall / floor wall.
#
# Environment: LEAKGUARD (default <repo>/target/release/leakguard, built if missing),
#   THREADS (default 2), RUNS (default 3), SOURCES / BINARIES (the directories layers 1 and 2
#   are made of; default ~/.cargo/registry/src and the first toolchain's lib/ under ~/.rustup).
# Usage: bash benches/image.sh

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}/image
LEAKGUARD=${LEAKGUARD:-$REPO_ROOT/target/release/leakguard}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
SOURCES=${SOURCES:-$HOME/.cargo/registry/src}
BINARIES=${BINARIES:-$(ls -d "$HOME"/.rustup/toolchains/*/lib 2>/dev/null | head -1)}

log() { printf '[image] %s\n' "$*" >&2; }
die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time >&2; }
[[ -d $SOURCES && -d $BINARIES ]] || die "need SOURCES ($SOURCES) and BINARIES ($BINARIES)"
if [[ ! -x $LEAKGUARD ]]; then
    log "building $LEAKGUARD"
    (cd "$REPO_ROOT" && cargo build --release --locked >&2)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/leakguard-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# layer N DIR-OR-FILE PREFIX: a gzip layer of the tree at DIR, under PREFIX/ in the image.
build() {
    local layout=$DIR/layout
    [[ -s $layout/index.json ]] && return
    log "building the image in $layout"
    rm -rf "$layout" && mkdir -p "$layout/blobs/sha256" "$WORK/l3/app" "$WORK/l4/app"
    tar -C "$SOURCES" --transform 's,^\.,usr/src/crates,' -cf - . | gzip -1 > "$WORK/1.tar.gz"
    tar -C "$BINARIES" --transform 's,^\.,opt/rust/lib,' -cf - . | gzip -1 > "$WORK/2.tar.gz"
    # A synthetic token, random at build time: never a real key.
    token=$(python3 -c 'import random, string
print("mon_" + "".join(random.SystemRandom().choice(string.ascii_letters + string.digits) for _ in range(31)))')
    printf 'MONIME_TOKEN=%s\n' "$token" > "$WORK/l3/app/.env"
    printf 'print("hello")\n' > "$WORK/l3/app/main.py"
    tar -C "$WORK/l3" -cf - app | gzip -1 > "$WORK/3.tar.gz"
    : > "$WORK/l4/app/.wh..env"
    tar -C "$WORK/l4" -cf - app | gzip -1 > "$WORK/4.tar.gz"
    python3 - "$WORK" "$layout" <<'PY'
import gzip, hashlib, json, os, shutil, sys
work, layout = sys.argv[1], sys.argv[2]
def blob(path=None, data=None):
    h = hashlib.sha256()
    if data is None:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    else:
        h.update(data)
    d = h.hexdigest()
    dest = os.path.join(layout, "blobs/sha256", d)
    if data is None:
        shutil.move(path, dest)
    else:
        open(dest, "wb").write(data)
    return "sha256:" + d, os.path.getsize(dest)
def diff_id(path):
    h = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
steps = ["ADD crates /usr/src/crates", "COPY rust/lib /opt/rust/lib", "COPY . /app", "RUN rm /app/.env"]
layers, diffs = [], []
for i in range(1, 5):
    p = os.path.join(work, f"{i}.tar.gz")
    diffs.append(diff_id(p))
    d, n = blob(path=p)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
    "rootfs": {"type": "layers", "diff_ids": diffs},
    "history": [{"created_by": s} for s in steps]}).encode()
cd, cn = blob(data=config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
    "layers": layers}).encode()
md, mn = blob(data=manifest)
open(os.path.join(layout, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": mn}]}, open(os.path.join(layout, "index.json"), "w"))
PY
}

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

build
layout=$DIR/layout
cat "$layout"/blobs/sha256/* > /dev/null   # warm the page cache
layers=$(python3 -c 'import json,sys
idx = json.load(open(sys.argv[1] + "/index.json"))
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print(" ".join(sys.argv[1] + "/blobs/sha256/" + l["digest"][7:] for l in m["layers"]))' "$layout")
compressed=$(du -cb $layers | tail -1 | cut -f1)
unpacked=$(for l in $layers; do gzip -dc "$l"; done | wc -c)

measure "leakguard" "$LEAKGUARD" scan "$layout" --no-config --format json --threads "$THREADS"
lg_wall=$WALL lg_rss=$RSS
# Per layer: the count, and the findings of the app layers (3 and 4) by rule.
found=$(python3 -c 'import collections, json, sys
f = json.load(open(sys.argv[1]))["findings"]
per = collections.Counter(x["image"].get("position") for x in f)
app = ["%s@layer%s%s" % (x["rule_id"], x["image"].get("position"),
    "(" + x["image"]["removed"]["how"] + ")" if "removed" in x["image"] else "")
    for x in f if x["image"].get("position", 0) >= 3]
print(" ".join("layer%s:%d" % kv for kv in sorted(per.items(), key=str)) + " " + ";".join(app))' "$WORK/out")
# The floor: every layer decompressed and its tar read to the end, in order.
floor() { for l in "$@"; do tar -xzOf "$l" > /dev/null; done; }
export -f floor
measure "tar -xzOf" bash -c 'floor "$@"' _ $layers

printf '%-12s %12s %12s %9s %10s %9s %10s %7s  %s\n' image compressed unpacked lg_wall_s lg_rss_MB \
    tar_wall_s tar_rss_MB ratio findings
printf '%-12s %10dMB %10dMB %9s %10d %9s %10d %7s  %s\n' layout $((compressed >> 20)) $((unpacked >> 20)) \
    "$lg_wall" $((lg_rss / 1024)) "$WALL" $((RSS / 1024)) \
    "$(awk -v a="$lg_wall" -v b="$WALL" 'BEGIN{printf "%.2f", a / b}')" "$found"
((lg_rss / 1024 < 300)) || log "MISS: leakguard peak RSS $((lg_rss / 1024)) MB >= 300 MB"
[[ $found == *"monime-live-token@layer3(deleted)"* ]] || log "MISS: the token in layer 3 (deleted by layer 4) was not reported as such"
