#!/usr/bin/env bash
# benches/fleet.sh - a generated fleet of small repositories, and the reference timing that
# the org-scale `leakguard audit` (issue 13) must stay within 25% of.
#
# 1. Corpus: $FLEET_SIZE small git repositories under $BENCH_DIR/fleet-$FLEET_SIZE/, built
#    with git fast-import from a seed ($FLEET_SEED): fixed names, emails and dates, so the same
#    seed gives the same commit ids on every machine.  Each repository holds 3 to 36 commits
#    of small generated source, config and README files on `main`, sometimes a second branch
#    (never merged) and a tag.  Nothing is checked out: the working trees are empty and a
#    scanner reads only the object database.
#    Planted secrets are synthetic, drawn from the seed at run time (no token is written in
#    this script), from token families the built-in rules find: monime-live-token,
#    monime-test-token, github-pat (with its CRC32 checksum) and aws-access-key-id, as
#    assignments in .py, .js and .yaml files.  Sharing: one secret is copied into ~10% of
#    the repositories, a few into 2-5 each, the rest belong to one repository; some are
#    committed at two paths (in two commits) of a repository, some are deleted by a later
#    commit (still in history).  A secret only ever appears in a new file, at a path used
#    once, never next to a deletion in the same commit (no rename can merge two places), so
#    each planted (repo, commit, path, line) is exactly one `leakguard history` finding.
#    About 2% of the entries are broken, in turn: a directory that is not a repository, an
#    empty repository (no commits), a repository missing one object (its objects unpacked
#    to loose files, one blob file deleted), a repository whose only pack is truncated.
#    manifest.json (next to the repositories) is the ground truth: for every planted secret
#    its rule id, the SHA-256 of its value (never the value) and every (repo, commit, path,
#    line) that introduced it; the broken entries and how; totals (repos, commits, unique
#    blobs and their bytes).  The future `audit` counts one incident per secret however many
#    repositories, commits and paths hold it.
#    The fleet is reused when its manifest has the same size and seed (FLEET_REBUILD=1 forces
#    a rebuild).  Building it takes a few seconds per hundred repositories.
#
# 2. Measurement, the reference: `leakguard history --all <repo> --format json --quiet -o F`
#    on each entry in turn, sequentially, warm cache, default threads.  Reported: wall time
#    of the whole loop, CPU time (user+sys of the children), repositories/s, MB/s of unique
#    blob bytes, the peak RSS of the largest single run (from wait4), exit codes (2 = error,
#    expected for the broken entries; 1 = findings; 0 = clean) against the expected ones,
#    and recall: how many of the manifest's planted (repo, commit, path) places the reports
#    hold, with the rule, plus findings the manifest does not know (noise in generated text).
#    Target (for issue 13): `leakguard audit` over the same fleet within 25% of this wall
#    time; peak RSS reported for 200 and 1,000 repositories: benches/audit.sh measures it.
#
# The script reports; it does not fail on a miss (a benchmark, not a test).
#
# Environment:
#   LEAKGUARD_BENCH_DIR  corpus dir                         (default /tmp/leakguard-bench)
#   FLEET_SIZE           repositories                       (default 200)
#   FLEET_SEED           generator seed                     (default 1)
#   FLEET_REBUILD=1      rebuild the fleet even if it exists
#   SKIP_MEASURE=1       build (or check) the fleet only
#   LEAKGUARD            leakguard binary                   (default: <repo>/target/release/leakguard,
#                                                            else $CARGO_TARGET_DIR/release/leakguard;
#                                                            not built by this script)
#
# Usage: bash benches/fleet.sh      (FLEET_SIZE=1000 bash benches/fleet.sh for the large fleet)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
FLEET_SIZE=${FLEET_SIZE:-200}
FLEET_SEED=${FLEET_SEED:-1}
FLEET_REBUILD=${FLEET_REBUILD:-0}
SKIP_MEASURE=${SKIP_MEASURE:-0}
if [[ -z ${LEAKGUARD:-} ]]; then
    LEAKGUARD=$REPO_ROOT/target/release/leakguard
    if [[ ! -x $LEAKGUARD && -n ${CARGO_TARGET_DIR:-} ]]; then
        LEAKGUARD=$CARGO_TARGET_DIR/release/leakguard
    fi
fi

log() { printf '[fleet-bench] %s\n' "$*" >&2; }
die() { printf '[fleet-bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $FLEET_SIZE =~ ^[1-9][0-9]*$ ]] || die "FLEET_SIZE must be a positive integer (got '$FLEET_SIZE')"
[[ $FLEET_SEED =~ ^[0-9]+$ ]] || die "FLEET_SEED must be a non-negative integer (got '$FLEET_SEED')"
((FLEET_SIZE >= 10)) || die "FLEET_SIZE must be at least 10 (sharing and breakage need room)"
command -v python3 >/dev/null || die "python3 is required"
command -v git >/dev/null || die "git is required"
if [[ $SKIP_MEASURE != 1 && ! -x $LEAKGUARD ]]; then
    die "leakguard binary $LEAKGUARD is missing: build it (cargo build --release --locked) or set LEAKGUARD"
fi

# Git must not pick up the caller's global config (hooks, fsmonitor, signing...).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0

FLEET=$BENCH_DIR/fleet-$FLEET_SIZE
MANIFEST=$FLEET/manifest.json
OUT_DIR=$BENCH_DIR/last-run/fleet-$FLEET_SIZE     # per-repository reports (outside the fleet)
GEN_VERSION=2                                     # bump when the generator changes

# ---------------------------------------------------------------------------
# 1. The fleet (reused when the manifest matches)
# ---------------------------------------------------------------------------
fleet_ok() {
    [[ -f $MANIFEST ]] && python3 - "$MANIFEST" "$FLEET_SIZE" "$FLEET_SEED" "$GEN_VERSION" <<'EOF'
import json, sys
try:
    m = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
ok = (m.get("size"), m.get("seed"), m.get("generator_version")) == tuple(map(int, sys.argv[2:5]))
sys.exit(0 if ok else 1)
EOF
}

if [[ $FLEET_REBUILD == 1 ]] || ! fleet_ok; then
    log "building $FLEET: $FLEET_SIZE repositories, seed $FLEET_SEED"
    mkdir -p "$BENCH_DIR"
    rm -rf "$FLEET" "$FLEET.tmp"
    mkdir "$FLEET.tmp"
    t0=$(date +%s.%N)
    python3 - "$FLEET.tmp" "$FLEET_SIZE" "$FLEET_SEED" "$GEN_VERSION" <<'EOF'
import hashlib, json, os, random, shutil, subprocess, sys, zlib

root, N, SEED, GEN_VERSION = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(SEED)
NAME, EMAIL = "Fleet Bench", "fleet@leakguard.invalid"
T0 = 1_700_000_000                                    # 2023-11-14, the first commit's date

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

def rand_alnum(n):
    # At least one digit, one upper and one lower letter: a random token, never a word.
    while True:
        s = "".join(rng.choice(ALNUM) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
            return s

def base62_6(n):
    out = []
    for _ in range(6):
        out.append(BASE62[n % 62]); n //= 62
    return "".join(reversed(out))

# Token families: rule id -> (generator, variable name).  Prefixes are split so that this
# script holds no token-shaped literal.
def monime_live():  return "mon" + "_" + rand_alnum(31)
def monime_test():  return "mon" + "_test_" + rand_alnum(31)
def github_pat():
    body = rand_alnum(30)
    return "ghp" + "_" + body + base62_6(zlib.crc32(body.encode()))
def aws_key_id():
    while True:
        s = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        if "EXAMPLE" not in s and len(set(s)) >= 8:
            return "AKI" + "A" + s
FAMILIES = [
    ("monime-live-token", monime_live, "MONIME_TOKEN", 45),
    ("monime-test-token", monime_test, "MONIME_TEST_TOKEN", 20),
    ("github-pat", github_pat, "GITHUB_TOKEN", 20),
    ("aws-access-key-id", aws_key_id, "AWS_ACCESS_KEY_ID", 15),
]

WORDS = ("account invoice payment ledger order cart user profile session report export import "
         "billing refund gateway webhook queue worker scheduler catalog search index cache "
         "notify mailer audit metrics tracing config loader parser router handler client "
         "server storage bucket upload download archive backup restore migrate schema table "
         "record batch stream event topic consumer producer retry timeout limit quota region "
         "tenant project team member role policy health status version release deploy").split()
SERVICES = ("payments orders ledger identity catalog checkout notifications search "
            "inventory shipping pricing reports accounts webhooks gateway scheduler").split()

def w(): return rng.choice(WORDS)

def py_module(extra=None):
    name = w()
    lines = [f'"""{name.capitalize()} helpers for the {w()} {w()}."""', "", "import logging",
             "import os", "", "log = logging.getLogger(__name__)", ""]
    if extra:
        lines += extra + [""]
    for _ in range(rng.randint(2, 8)):
        fn, a, b = f"{w()}_{w()}", w(), w()
        lines += ["", f"def {fn}({a}, {b}=None):", f'    """Return the {w()} of a {a}."""',
                  f"    if {b} is None:", f"        {b} = {rng.randint(1, 500)}",
                  f'    log.debug("{fn} %s %s", {a}, {b})',
                  f"    return [{a}, {b}, {rng.randint(0, 9999)}]", ""]
    return lines

def js_module(extra=None):
    lines = ["'use strict';", "", f"const {w()}Limit = {rng.randint(1, 1000)};", ""]
    if extra:
        lines += extra + [""]
    for _ in range(rng.randint(2, 7)):
        fn = w() + w().capitalize()
        lines += [f"function {fn}({w()}Id, options = {{}}) {{",
                  f"  const {w()}Count = options.count || {rng.randint(1, 64)};",
                  f"  return {{ id: {fn}.name, count: {w()}Count }};", "}", ""]
    lines += ["module.exports = { " + f"{w()}Limit" + " };"]
    return lines

def yaml_doc(extra=None):
    lines = [f"# {w()} settings", f"service: {rng.choice(SERVICES)}", f"region: eu-{w()}-1",
             f"replicas: {rng.randint(1, 9)}", f"timeout_seconds: {rng.randint(5, 120)}"]
    if extra:
        lines += extra
    lines += ["features:"] + [f"  - {w()}_{w()}" for _ in range(rng.randint(1, 6))]
    lines += ["endpoints:"] + [f"  {w()}: https://{w()}.internal.invalid/{w()}" for _ in range(rng.randint(1, 5))]
    return lines

def readme(repo):
    lines = [f"# {repo}", "", f"The {w()} service for {w()} and {w()} {w()}s.", ""]
    for _ in range(rng.randint(3, 12)):
        lines.append(" ".join(w() for _ in range(rng.randint(8, 16))).capitalize() + ".")
    lines += ["", "## Running", "", "    make run", ""]
    return lines

KINDS = {"py": py_module, "js": js_module, "yaml": yaml_doc}

def text(lines):
    return ("\n".join(lines) + "\n").encode()

def secret_line(ext, var, value):
    if ext == "py":
        return f'{var} = "{value}"'
    if ext == "js":
        return f'const {var} = "{value}";'
    return f'{var.lower()}: "{value}"'

def secret_file(ext, var, value):
    """Content of a new file holding the secret, and the 1-based line it is on."""
    line = secret_line(ext, var, value)
    lines = KINDS[ext]([line])
    return text(lines), lines.index(line) + 1

SECRET_DIRS = {"py": ["config", "app", "scripts", "tools"], "js": ["src", "lib", "web"],
               "yaml": ["deploy", "config", "ci", "k8s"]}

# ---- the fleet plan ----------------------------------------------------------------------
repos = [f"repo-{i:04d}" for i in range(1, N + 1)]
nbroken = max(1, round(N * 0.02))
BROKEN_KINDS = ["not-a-repository", "empty-repository", "missing-object", "truncated-pack"]
broken_idx = sorted(rng.sample(range(N), nbroken))
broken = {repos[i]: BROKEN_KINDS[k % len(BROKEN_KINDS)] for k, i in enumerate(broken_idx)}
healthy = [r for r in repos if r not in broken]

def new_secret(family=None):
    fam = family or rng.choices(FAMILIES, weights=[f[3] for f in FAMILIES])[0]
    return {"rule_id": fam[0], "value": fam[1](), "var": fam[2], "repos": []}

secrets = []
big = new_secret(FAMILIES[0])                       # one live token in ~10% of repositories
big["repos"] = rng.sample(healthy, max(2, round(N * 0.10)))
secrets.append(big)
for _ in range(max(2, N // 40)):                    # a few in 2-5 repositories each
    s = new_secret()
    s["repos"] = rng.sample(healthy, rng.randint(2, 5))
    secrets.append(s)
for r in healthy:                                   # secrets of one repository
    if rng.random() < 0.45:
        for _ in range(rng.randint(1, 3)):
            s = new_secret()
            s["repos"] = [r]
            secrets.append(s)
per_repo = {r: [] for r in healthy}
for si, s in enumerate(secrets):
    for r in s["repos"]:
        per_repo[r].append(si)

# ---- writing one repository ----------------------------------------------------------------
def run(args, **kw):
    return subprocess.run(args, check=True, **kw)

def init(path):
    # What `git init -b main` writes, minus the sample hooks: one process less per repository.
    gd = os.path.join(path, ".git")
    for d in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
        os.makedirs(os.path.join(gd, d))
    with open(os.path.join(gd, "HEAD"), "w") as f:
        f.write("ref: refs/heads/main\n")
    with open(os.path.join(gd, "config"), "w") as f:
        f.write("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
                "\tlogallrefupdates = true\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n")

def build_repo(ri, repo, plant):
    """Writes one repository with fast-import; returns (places, commits, blobs, bytes)."""
    path = os.path.join(root, repo)
    ncommits = rng.randint(3, 36)
    tstart = T0 + ri * 86_400
    branch = rng.random() < 0.35 and ncommits >= 4
    fork = rng.randint(1, ncommits - 2) if branch else None
    nbranch = rng.randint(1, 5) if branch else 0
    bname = f"feature/{w()}-{w()}" if branch else None
    # Timeline: ("main", i) for i < ncommits, then ("branch", j).  A secret goes into a
    # commit chosen here; a deletion goes into a later main commit that adds nothing.
    slots = [("main", i) for i in range(ncommits)] + [("branch", j) for j in range(nbranch)]
    events = {}                          # slot -> list of ("add", path, content, secret, line)
    deletes = {}                         # main index -> list of paths
    used = set()
    reserved = set()                     # main commits that delete: no additions there
    places = []
    def fresh_path(ext):
        while True:
            p = f"{rng.choice(SECRET_DIRS[ext])}/{w()}_{w()}.{ext}"
            if p not in used:
                used.add(p)
                return p
    for si in plant:
        s = secrets[si]
        copies = 2 if rng.random() < 0.25 else 1
        for _ in range(copies):
            slot = rng.choice([x for x in slots if not (x[0] == "main" and x[1] in reserved)])
            ext = rng.choice(["py", "js", "yaml"])
            p = fresh_path(ext)
            content, line = secret_file(ext, s["var"], s["value"])
            events.setdefault(slot, []).append((p, content, si, line))
            # Deleted later?  Only main additions, only into a commit that adds nothing.
            if slot[0] == "main" and rng.random() < 0.2:
                later = [i for i in range(slot[1] + 1, ncommits)
                         if not events.get(("main", i)) and i not in reserved]
                if later:
                    d = rng.choice(later)
                    reserved.add(d)
                    deletes.setdefault(d, []).append(p)
    # Filler files, and the stream.
    out = []
    blobs = {}
    def blob(p, data):
        blobs[hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()] = len(data)
        out.append(b"M 100644 inline %s\ndata %d\n" % (p.encode(), len(data)) + data + b"\n")
    filler = {}                                     # path -> lines (main only; branch copies)
    def commit(ref, mark, parent, when, msg, body):
        out.append(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
        out.append(b"author %s <%s> %d +0000\n" % (NAME.encode(), EMAIL.encode(), when))
        out.append(b"committer %s <%s> %d +0000\n" % (NAME.encode(), EMAIL.encode(), when))
        m = msg.encode()
        out.append(b"data %d\n%s\n" % (len(m), m))
        if parent:
            out.append(b"from :%d\n" % parent)
        body()
    marks = {}
    def filler_changes(state, allow_add):
        # The first commit only adds (its README must not be rewritten in the same commit).
        if allow_add and (len(state) <= 1 or rng.random() < 0.4):
            for _ in range(rng.randint(1, 3)):
                ext = rng.choice(["py", "js", "yaml", "py"])
                p = f"{rng.choice(['src', 'lib', 'app', 'config', 'tests'])}/{w()}_{w()}.{ext}"
                if p in used:
                    continue
                used.add(p)
                state[p] = KINDS[ext]()
                blob(p, text(state[p]))
        else:
            for p in rng.sample(sorted(state), min(len(state), rng.randint(1, 3))):
                state[p] = state[p] + [f"# {w()} {w()} {rng.randint(0, 99999)}"
                                       if not p.endswith(".js") else f"// {w()} {w()}"]
                blob(p, text(state[p]))
    state_main = {}
    branch_state = None
    for i in range(ncommits):
        slot = ("main", i)
        def body(i=i, slot=slot):
            if i == 0:
                state_main["README.md"] = readme(repo)
                blob("README.md", text(state_main["README.md"]))
            filler_changes(state_main, i not in reserved)
            for p in deletes.get(i, []):
                out.append(b"D %s\n" % p.encode())
            for p, content, si, line in events.get(slot, []):
                blob(p, content)
        commit("refs/heads/main", i + 1, i if i else None, tstart + 3600 * i,
               f"{w()}: {w()} the {w()} {w()}", body)
        marks[slot] = i + 1
        if branch and i == fork:
            branch_state = {k: list(v) for k, v in state_main.items()}
    for j in range(nbranch):
        slot = ("branch", j)
        mark = ncommits + j + 1
        parent = fork + 1 if j == 0 else mark - 1
        def body(slot=slot):
            filler_changes(branch_state, True)
            for p, content, si, line in events.get(slot, []):
                blob(p, content)
        commit("refs/heads/" + bname, mark, parent, tstart + 3600 * (fork + 1) + 600 * (j + 1),
               f"{w()}: try {w()} {w()}", body)
        marks[slot] = mark
    tag = None
    if rng.random() < 0.3:
        tag = f"v0.{rng.randint(1, 9)}.{rng.randint(0, 9)}"
        target = rng.randint(1, ncommits)
        m = f"release {tag}".encode()
        out.append(b"tag %s\nfrom :%d\ntagger %s <%s> %d +0000\ndata %d\n%s\n"
                   % (tag.encode(), target, NAME.encode(), EMAIL.encode(),
                      tstart + 3600 * target, len(m), m))
    out.append(b"done\n")
    init(path)
    marks_file = os.path.join(root, ".marks")
    # unpackLimit=0: always a pack (by default fast-import explodes imports of < 100 objects
    # into loose files); every repository then looks like a fetched clone.
    run(["git", "-C", path, "-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done", f"--export-marks={marks_file}"],
        input=b"".join(out))
    ids = {}
    for l in open(marks_file):
        k, v = l.split()
        ids[int(k[1:])] = v
    os.remove(marks_file)
    for slot, evs in events.items():
        for p, content, si, line in evs:
            places.append((si, {"repo": repo, "commit": ids[marks[slot]],
                                "branch": "main" if slot[0] == "main" else bname,
                                "path": p, "line": line,
                                "deleted_later": any(p in v for v in deletes.values())}))
    return places, ncommits + nbranch, blobs, (bname, tag)

# ---- build --------------------------------------------------------------------------------
totals = {"repos": N, "healthy_repos": len(healthy), "broken_repos": len(broken),
          "commits": 0, "blobs": 0, "blob_bytes": 0}
repo_info = {}
all_places = []
for ri, repo in enumerate(repos):
    kind = broken.get(repo)
    path = os.path.join(root, repo)
    if kind == "not-a-repository":
        os.makedirs(os.path.join(path, "src"))
        with open(os.path.join(path, "README.md"), "wb") as f:
            f.write(text(readme(repo)))
        with open(os.path.join(path, "src", "main.py"), "wb") as f:
            f.write(text(py_module()))
        repo_info[repo] = {"expect_exit": 2}
        continue
    if kind == "empty-repository":
        init(path)
        repo_info[repo] = {"expect_exit": 2}
        continue
    places, ncommits, blobs, (bname, tag) = build_repo(ri, repo, per_repo.get(repo, []))
    all_places += places
    totals["commits"] += ncommits
    totals["blobs"] += len(blobs)
    totals["blob_bytes"] += sum(blobs.values())
    info = {"commits": ncommits, "blobs": len(blobs), "blob_bytes": sum(blobs.values()),
            "branches": ["main"] + ([bname] if bname else []), "tag": tag,
            "expect_exit": 1 if places else 0}
    packdir = os.path.join(path, ".git", "objects", "pack")
    packs = sorted(f for f in os.listdir(packdir) if f.endswith(".pack"))
    if kind == "missing-object":
        # Unpack to loose objects, then delete one blob's file: `git fsck` reports it missing.
        with open(os.path.join(packdir, packs[0]), "rb") as f:
            data = f.read()
        for fn in os.listdir(packdir):
            os.remove(os.path.join(packdir, fn))
        run(["git", "-C", path, "unpack-objects", "-q"], input=data)
        victim = sorted(blobs)[len(blobs) // 2]
        os.remove(os.path.join(path, ".git", "objects", victim[:2], victim[2:]))
        info.update(expect_exit=2, removed_object=victim)
    elif kind == "truncated-pack":
        p = os.path.join(packdir, packs[0])
        size = os.path.getsize(p)
        with open(p, "r+b") as f:
            f.truncate(size * 6 // 10)
        info.update(expect_exit=2, pack=packs[0], pack_bytes=size, truncated_to=size * 6 // 10)
    repo_info[repo] = info

manifest_secrets = []
for si, s in enumerate(secrets):
    pl = [p for i, p in all_places if i == si]
    manifest_secrets.append({
        "id": si + 1, "rule_id": s["rule_id"],
        "sha256": hashlib.sha256(s["value"].encode()).hexdigest(),
        "length": len(s["value"]),
        "repos": sorted({p["repo"] for p in pl}),
        "places": sorted(pl, key=lambda p: (p["repo"], p["path"])),
    })
totals["secrets"] = len(manifest_secrets)
totals["places"] = len(all_places)
totals["repos_with_secrets"] = len({p["repo"] for _, p in all_places})
manifest = {
    "generator_version": GEN_VERSION, "size": N, "seed": SEED,
    "note": "secret values are not stored: sha256 of each value only",
    "totals": totals,
    "broken": [{"repo": r, "kind": k, **{x: repo_info[r][x] for x in
                ("removed_object", "pack", "pack_bytes", "truncated_to") if x in repo_info[r]}}
               for r, k in sorted(broken.items())],
    "repos": repo_info,
    "secrets": manifest_secrets,
}
with open(os.path.join(root, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
EOF
    mv "$FLEET.tmp" "$FLEET"
    log "built in $(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s"
else
    log "reusing $FLEET (same size and seed; FLEET_REBUILD=1 rebuilds it)"
fi

[[ $SKIP_MEASURE == 1 ]] && { log "SKIP_MEASURE=1: fleet only"; exit 0; }

# ---------------------------------------------------------------------------
# 2. The reference: `leakguard history --all` on each entry in turn
# ---------------------------------------------------------------------------
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
log "warming page cache"
find "$FLEET" -type f -path '*/.git/objects/*' -exec cat {} + > /dev/null
log "running $LEAKGUARD history --all on each of $FLEET_SIZE entries, sequentially"
python3 - "$LEAKGUARD" "$FLEET" "$OUT_DIR" <<'EOF'
import json, os, subprocess, sys, time
from collections import Counter

lg, fleet, outdir = sys.argv[1:4]
m = json.load(open(os.path.join(fleet, "manifest.json")))
repos = sorted(m["repos"])
results = {}
cpu = 0.0
peak = (0, None)
t0 = time.perf_counter()
for r in repos:
    out = os.path.join(outdir, r + ".json")
    with open(out + ".stderr", "w") as err:
        p = subprocess.Popen([lg, "history", "--all", os.path.join(fleet, r), "--format", "json",
                              "--quiet", "-o", out], stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    cpu += ru.ru_utime + ru.ru_stime
    results[r] = p.returncode
wall = time.perf_counter() - t0

# Peak RSS, in a second untimed pass under /usr/bin/time: a child's ru_maxrss from wait4
# starts at this Python process's RSS (fork copies it), which is larger than leakguard's.
rss_how = "/usr/bin/time -f %M, second untimed pass"
for r in repos:
    tf = os.path.join(outdir, r + ".time")
    args = [lg, "history", "--all", os.path.join(fleet, r), "--format", "json", "--quiet",
            "-o", os.devnull]
    if os.access("/usr/bin/time", os.X_OK):
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kb = int(open(tf).read().split()[-1])
        os.remove(tf)
    else:
        rss_how = "wait4 ru_maxrss (an upper bound: includes this Python process's RSS)"
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        kb = ru.ru_maxrss
    if kb > peak[0]:
        peak = (kb, r)

t = m["totals"]
mb = t["blob_bytes"] / 1e6
codes = Counter(results.values())
wrong = [(r, results[r], m["repos"][r]["expect_exit"]) for r in repos
         if results[r] != m["repos"][r]["expect_exit"]]

# Recall: every planted (repo, commit, path) found with its rule?
found = {}                      # (repo, commit, path) -> set of (rule, line)
nfound = 0
for r in repos:
    out = os.path.join(outdir, r + ".json")
    if results[r] == 2 or not os.path.exists(out):
        continue
    for f in json.load(open(out)).get("findings", []):
        nfound += 1
        key = (r, (f.get("commit") or {}).get("id"), f["path"])
        found.setdefault(key, []).append((f["rule_id"], f["line"]))
planted = {}
missed = []
for s in m["secrets"]:
    for p in s["places"]:
        key = (p["repo"], p["commit"], p["path"])
        planted[key] = s["rule_id"]
        hits = found.get(key, [])
        if not any(rule == s["rule_id"] and line == p["line"] for rule, line in hits):
            missed.append((s["rule_id"], key, p["line"], hits))
extra = [(k, v) for k, v in found.items() if k not in planted]
by_rule = Counter(s["rule_id"] for s in m["secrets"] for _ in s["places"])
missed_rule = Counter(x[0] for x in missed)

print()
print(f"leakguard fleet reference  ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, "
      f"{os.cpu_count()} CPUs)")
print(f"   fleet:   {fleet}  (seed {m['seed']})")
print(f"            {t['repos']} entries ({t['healthy_repos']} repositories, {t['broken_repos']} broken), "
      f"{t['commits']} commits, {t['blobs']} unique blobs = {mb:.1f} MB")
print(f"            {t['secrets']} planted secrets at {t['places']} places in "
      f"{t['repos_with_secrets']} repositories")
print(f"   command: {lg} history --all <repo> --format json --quiet -o <file>, each in turn")
print(f"   wall     {wall:.2f} s   ({len(repos) / wall:.1f} repos/s, {mb / wall:.2f} MB/s, "
      f"{wall / len(repos) * 1e3:.1f} ms/repo)")
print(f"   cpu      {cpu:.2f} s (user+sys of the runs)")
print(f"   peak RSS {peak[0] / 1024:.1f} MB (largest single run: {peak[1]}; {rss_how})")
print(f"   exit codes: " + ", ".join(f"{c}: {n}" for c, n in sorted(codes.items()))
      + f"   (as expected: {len(repos) - len(wrong)}/{len(repos)})")
for r, got, want in wrong[:10]:
    kind = next((b["kind"] for b in m["broken"] if b["repo"] == r), "healthy")
    err = open(os.path.join(outdir, r + ".json.stderr")).read().strip().splitlines()
    print(f"      {r} ({kind}): exit {got}, expected {want}"
          + (f"; stderr: {err[-1][:140]}" if err else ""))
print(f"   recall:  {len(planted) - len(missed)}/{len(planted)} planted places found "
      f"(repo + commit + path, with rule and line) = {100 * (len(planted) - len(missed)) / max(1, len(planted)):.1f}%")
for rule, n in sorted(by_rule.items()):
    print(f"      {rule:<20} {n - missed_rule[rule]}/{n}")
for rule, key, line, hits in missed[:10]:
    print(f"      missed {rule} {key[0]} {key[1][:12]} {key[2]}:{line}; reported there: {hits}")
print(f"   findings: {nfound} reported, {len(extra)} at places the manifest does not plant")
for k, v in extra[:10]:
    print(f"      extra {k[0]} {(k[1] or '')[:12]} {k[2]}: {v}")
print("   audit: this run is the reference `leakguard audit` must stay within 25% of (bash benches/audit.sh)")
print(f"   reports: {outdir}/<repo>.json")
json.dump({"wall_s": wall, "cpu_s": cpu, "peak_rss_kb": peak[0], "peak_rss_repo": peak[1],
           "exit_codes": results, "missed": len(missed), "extra": len(extra)},
          open(os.path.join(outdir, "summary.json"), "w"), indent=1)
EOF
