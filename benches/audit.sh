#!/usr/bin/env bash
# benches/audit.sh - `leakguard audit` over the generated fleet of benches/fleet.sh, against
# that script's reference (`leakguard history --all` on each repository in turn).
#
# 1. benches/fleet.sh builds (or reuses) the fleet and times the reference.
# 2. `leakguard audit --repos LIST --db DB` over the same entries (the list names every
#    entry, broken ones included, as the reference runs them all), cold datastore: wall time,
#    peak RSS (/usr/bin/time), exit code.
# 3. The same command again, nothing changed: wall time, which must be a small fraction.
# 4. Correctness against manifest.json: every planted secret is exactly one incident, whose
#    places are exactly the secret's planted (repo, commit, path, line); every entry
#    `history` fails on is a failed repository (an empty one is not); no other incident.
# Printed: the ratios audit/reference (target <= 1.25) and second/first (target <= 0.10).
#
# Environment: as benches/fleet.sh (LEAKGUARD_BENCH_DIR, FLEET_SIZE, FLEET_SEED, LEAKGUARD),
# plus SKIP_REFERENCE=1 to reuse the last reference summary.
#
# Usage: bash benches/audit.sh      (FLEET_SIZE=1000 bash benches/audit.sh for the large fleet)
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
FLEET_SIZE=${FLEET_SIZE:-200}
if [[ -z ${LEAKGUARD:-} ]]; then
    LEAKGUARD=$REPO_ROOT/target/release/leakguard
    if [[ ! -x $LEAKGUARD && -n ${CARGO_TARGET_DIR:-} ]]; then
        LEAKGUARD=$CARGO_TARGET_DIR/release/leakguard
    fi
fi
export LEAKGUARD
log() { printf '[audit-bench] %s\n' "$*" >&2; }
[[ -x $LEAKGUARD ]] || { log "no leakguard binary at $LEAKGUARD: build it (cargo build --release --locked) or set LEAKGUARD"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time is required (apt-get install time)"; exit 1; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0

FLEET=$BENCH_DIR/fleet-$FLEET_SIZE
REF=$BENCH_DIR/last-run/fleet-$FLEET_SIZE/summary.json
if [[ ${SKIP_REFERENCE:-0} == 1 && -f $REF ]]; then
    log "reusing the reference in $REF"
    SKIP_MEASURE=1 bash "$SCRIPT_DIR/fleet.sh" >&2
else
    bash "$SCRIPT_DIR/fleet.sh"
fi

OUT=$BENCH_DIR/last-run/audit-$FLEET_SIZE
rm -rf "$OUT"
mkdir -p "$OUT"
python3 - "$FLEET/manifest.json" "$FLEET" > "$OUT/repos.txt" <<'EOF'
import json, os, sys
m = json.load(open(sys.argv[1]))
for r in sorted(m["repos"]):
    print(os.path.join(sys.argv[2], r))
EOF

run() {  # run NAME: one audit into $OUT/audit.db, timed; prints "wall_s rss_kb exit"
    local name=$1 code=0
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" \
        "$LEAKGUARD" audit --repos "$OUT/repos.txt" --db "$OUT/audit.db" --quiet \
        --clone-dir "$OUT/clones" > /dev/null 2> "$OUT/$name.stderr" || code=$?
    # time(1) writes "Command exited with non-zero status N" first when it did.
    echo "$(tail -n 1 "$OUT/$name.time") $code"
}
log "audit, first run (empty datastore)"
FIRST=$(run first)
log "audit, second run (nothing changed)"
SECOND=$(run second)
"$LEAKGUARD" report --db "$OUT/audit.db" --format json --all-statuses -o "$OUT/report.json"

python3 - "$FLEET" "$REF" "$OUT" "$FIRST" "$SECOND" "$LEAKGUARD" <<'EOF'
import json, os, sys, time
fleet, ref_path, out, first, second, lg = sys.argv[1:7]
m = json.load(open(os.path.join(fleet, "manifest.json")))
ref = json.load(open(ref_path))
rep = json.load(open(os.path.join(out, "report.json")))
w1, rss1, code1 = first.split()
w2, rss2, code2 = second.split()
w1, w2, rss1, rss2 = float(w1), float(w2), int(rss1), int(rss2)

# Each planted secret must be one incident holding exactly its places.
name = lambda r: os.path.realpath(os.path.join(fleet, r))
where = {}
for inc in rep["incidents"]:
    places = frozenset((l["repository"], l["commit"], l["path"], l["line"]) for l in inc["locations"])
    for p in places:
        where[p] = (inc["id"], places, inc["rule_id"])
good, bad, seen = 0, [], set()
for s in m["secrets"]:
    want = frozenset((name(p["repo"]), p["commit"], p["path"], p["line"]) for p in s["places"])
    first_place = next(iter(want))
    got = where.get(first_place)
    if got and got[1] == want and got[2] == s["rule_id"]:
        good += 1
        seen.add(got[0])
    else:
        bad.append((s["rule_id"], sorted(want)[:2], got and sorted(got[1])[:2]))
extra = [i for i in rep["incidents"] if i["id"] not in seen]
failed = {r["name"] for r in rep["repositories"] if r["error"]}
# An empty repository is not a failure (nothing to leak): the entries `history` fails on are.
kinds = {b["repo"]: b["kind"] for b in m["broken"]}
broken = {name(r) for r, info in m["repos"].items()
          if info["expect_exit"] == 2 and kinds.get(r) != "empty-repository"}
t = m["totals"]
mb = t["blob_bytes"] / 1e6
print()
print(f"leakguard audit on the fleet  ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} CPUs)")
print(f"   fleet:    {t['repos']} entries ({t['broken_repos']} broken), {t['commits']} commits, {mb:.1f} MB of unique blobs")
print(f"   command:  {lg} audit --repos <list> --db <db> --quiet")
print(f"   reference (history --all per repository): {ref['wall_s']:.2f} s, peak RSS {ref['peak_rss_kb'] / 1024:.1f} MB")
print(f"   first run:  {w1:.2f} s  ({t['repos'] / max(w1, 1e-3):.0f} repos/s), peak RSS {rss1 / 1024:.1f} MB, exit {code1}")
print(f"   second run: {w2:.2f} s, peak RSS {rss2 / 1024:.1f} MB, exit {code2}")
print(f"   ratio audit / reference: {w1 / ref['wall_s']:.3f}   (target <= 1.25)")
print(f"   ratio second / first:    {w2 / max(w1, 1e-3):.3f}   (target <= 0.10)")
print(f"   incidents: {len(rep['incidents'])}; planted secrets as exactly one incident with exactly their places: {good}/{len(m['secrets'])}")
for b in bad[:10]:
    print(f"      mismatch {b}")
print(f"   incidents the manifest does not plant: {len(extra)}")
for i in extra[:5]:
    print(f"      extra {i['rule_id']} at {[(l['repository'], l['path']) for l in i['locations']][:2]}")
print(f"   failed repositories: {len(failed)}; the manifest's broken entries among them: {len(failed & broken)}/{len(broken)}")
for r in sorted(failed ^ broken)[:10]:
    print(f"      {'unexpected failure' if r in failed else 'broken but not failed'}: {r}")
json.dump({"first_s": w1, "second_s": w2, "rss_kb": rss1, "reference_s": ref["wall_s"],
           "ratio": w1 / ref["wall_s"], "second_ratio": w2 / max(w1, 1e-3),
           "secrets_ok": good, "secrets": len(m["secrets"]), "extra": len(extra)},
          open(os.path.join(out, "summary.json"), "w"), indent=1)
EOF
