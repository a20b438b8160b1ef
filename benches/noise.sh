#!/usr/bin/env bash
# benches/noise.sh - false-positive ("noise") benchmark of `leakguard scan` on real published code.
#
# Real dependency trees are full of strings that look like secrets and are not: ARNs and
# CloudFormation type names in cloud SDKs and IaC linters, pagination tokens and field names
# in API models, `password` as a parameter name, error codes, minified bundles and their
# source maps, test fixtures.  A developer scans a checkout that holds node_modules/, a
# virtualenv or vendor/, so every one of those findings is noise they have to read.  This
# script measures how much of it leakguard reports, next to Kingfisher on the same tree.
#
# What it does:
#   1. builds a corpus (once) of pinned packages from three registries, one folder each:
#        pypi/    pip install --no-deps --target (every package pinned, dependencies included:
#                 the list below is the full dependency closure, resolved once)
#        npm/     npm install --ignore-scripts (top-level packages pinned; their dependencies
#                 are resolved as of NPM_BEFORE with npm's --before, so they do not drift)
#        crates/  cargo vendor of a throwaway project whose dependencies are pinned with "="
#                 (cargo has no date cut-off: their own dependencies are the newest
#                 semver-compatible releases at install time; the Cargo.lock used is kept
#                 in the build dir)
#      Nothing is left out by folder name: node_modules/, site-packages-style trees and
#      vendored crates are what is measured.  Source maps (*.js.map) are kept.  The corpus
#      lives outside any git repository, so no .gitignore applies.
#      Each registry's folder is rebuilt only when its package list (hash in a marker
#      file next to the corpus) changes.
#   2. scans the corpus root with
#        leakguard   scan CORPUS --no-config --format json --quiet --output F
#        kingfisher  scan CORPUS --no-validate --no-dedup --git-history none --redact
#                    --no-update-check --format json --quiet --output F
#      (each tool with its own defaults otherwise; one run each, wall time measured).
#      Kingfisher drops every finding under a node_modules/ directory and in
#      package-lock.json, so it runs a second time on a hard-linked copy of npm/ with those
#      names changed: "kingfisher (same files)" counts what it reports on the same files as
#      leakguard, "kingfisher (as run)" what a user of its defaults gets.
#   3. prints for each tool: findings, findings per 100 MB of corpus, per registry, and per
#      rule (top 30, or all with FULL=1), and wall time;
#   4. matches every leakguard finding (path relative to the corpus root + rule id) against
#      benches/noise-triage.tsv, lists the untriaged ones (path:line rule, never the secret:
#      leakguard's report stays redacted) and ends with a verdict line:
#        leakguard <= kingfisher: yes/no (L vs K on the same files; yes/no vs K' as Kingfisher
#        runs by default); all leakguard findings triaged: yes/no (N / M)
#
# The triage file holds only findings that are real key material published on purpose
# (test keys, documented example tokens), one `path<TAB>rule<TAB>why` per line.  The path
# may be a shell-style glob (fnmatch: `*` also matches `/`).  A false positive is never
# triaged: it is the engine's to fix.
#
# Not a test: it never fails on figures, only on setup errors (install, scanner crash).
#
# Environment:
#   LEAKGUARD_BENCH_DIR  bench dir                     (default /tmp/leakguard-bench)
#   NOISE_CORPUS         corpus root                   (default $LEAKGUARD_BENCH_DIR/noise)
#   LEAKGUARD            leakguard binary              (default <repo>/target/release/leakguard;
#                                                       not built by this script)
#   KINGFISHER           kingfisher binary             (default: the binary inside the
#                                                       kingfisher-bin wheel, pip-installed if
#                                                       missing, else `kingfisher`)
#   SKIP_KINGFISHER=1    leave Kingfisher out
#   THREADS              threads for both scanners     (default: nproc)
#   TRIAGE               triage file                   (default benches/noise-triage.tsv)
#   FULL=1               every rule in the per-rule tables, not just the top 30
#   OUT_DIR              reports                       (default $LEAKGUARD_BENCH_DIR/noise-last-run)
#
# Needs python3 with pip, npm and cargo (present on the project's machines); network
# access to PyPI, the npm registry and crates.io on the first run only.  The corpus is about
# 2.4 GB (pypi 0.66, npm 1.27, crates 0.50); installing it takes ~8 minutes once, a run
# ~3 minutes on 2 cores (Kingfisher's two runs are most of it; SKIP_KINGFISHER=1 leaves them out).
#
# Usage: bash benches/noise.sh      (from any directory)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
CORPUS=${NOISE_CORPUS:-$BENCH_DIR/noise}
BUILD_DIR=$BENCH_DIR/noise-build        # staging dirs, CARGO_HOME, the throwaway cargo project
OUT_DIR=${OUT_DIR:-$BENCH_DIR/noise-last-run}
LEAKGUARD=${LEAKGUARD:-$REPO_ROOT/target/release/leakguard}
TRIAGE=${TRIAGE:-$SCRIPT_DIR/noise-triage.tsv}
THREADS=${THREADS:-$(nproc)}
SKIP_KINGFISHER=${SKIP_KINGFISHER:-0}
FULL=${FULL:-0}

log() { printf '[noise-bench] %s\n' "$*" >&2; }
die() { printf '[noise-bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer (got '$THREADS')"
command -v python3 >/dev/null || die "python3 is required (pip, JSON processing)"
[[ -f $TRIAGE ]] || die "triage file not found: $TRIAGE"
# The binary under test is never built here: the work tree may be someone's work in progress.
if [[ ! -x $LEAKGUARD ]]; then
    die "leakguard binary not found: $LEAKGUARD
  build it first, e.g.: (cd $REPO_ROOT && cargo build --release)
  or, to leave a work tree alone: git -C $REPO_ROOT worktree add /tmp/lg-base HEAD &&
      (cd /tmp/lg-base && CARGO_TARGET_DIR=/tmp/lg-base-target cargo build --release)
  then run with LEAKGUARD=/tmp/lg-base-target/release/leakguard"
fi

# ---------------------------------------------------------------------------
# 1. Package lists.  Changing a list (or an option below it) rebuilds that registry's folder.
# ---------------------------------------------------------------------------

# PyPI: cloud SDKs (AWS, Google, Azure), IaC linters (checkov, cfn-lint, ansible-core), web
# frameworks and their test suites, data science, SaaS SDKs (Stripe, Twilio, Slack, OpenAI).
PYPI_TOP=(
    boto3==1.44.5 google-api-python-client==2.202.0 google-cloud-storage==3.17.1
    google-cloud-bigquery==3.47.0 azure-mgmt-network==33.1.0 azure-mgmt-compute==39.0.0
    azure-storage-blob==12.31.1 azure-identity==1.27.0 azure-keyvault-secrets==4.12.0
    checkov==3.3.30 cfn-lint==1.58.0 ansible-core==2.19.14
    django==5.2.19 flask==3.1.3 requests==2.34.2 sqlalchemy==2.1.9 pytest==9.2.0
    cryptography==50.0.2 paramiko==5.1.0 pyjwt==2.15.1 pandas==3.1.1 numpy==2.4.6
    kubernetes==37.0.2 stripe==16.1.0 twilio==9.13.0 slack-sdk==3.48.0 openai==3.57.0
    sentry-sdk==2.75.0
)
# Their dependencies, resolved once per group and merged (highest version of each name): the
# packages are never imported, so checkov's own pins (e.g. an older boto3) need not hold.
PYPI_DEPS=(
    aiodns==3.6.1 aiohappyeyeballs==2.7.1 aiohttp==3.14.5 aiohttp-retry==2.9.1
    aiomultiprocess==0.9.1 aiosignal==1.4.0 annotated-types==0.8.0 anyio==4.16.0
    argcomplete==3.7.2 asgiref==3.13.0 asteval==1.0.6 attrs==26.1.0 azure-core==1.41.0
    azure-mgmt-core==1.6.0 bc-detect-secrets==1.5.52 bc-jsonpath-ng==1.6.1 bc-python-hcl2==0.4.3
    bcrypt==5.0.0 beartype==0.23.1 beautifulsoup4==4.15.0 blinker==1.9.0 boolean-py==5.0
    botocore==1.44.8 cached-property==2.0.1 cachetools==5.5.2 certifi==2026.10.19.post1
    cffi==2.1.1 charset-normalizer==3.5.3 click==8.5.1 click-option-group==0.5.10
    cloudsplaining==0.7.0 colorama==0.4.6 configargparse==1.9.0 contextlib2==21.6.0
    cyclonedx-python-lib==7.6.2 decorator==5.3.1 defusedxml==0.7.1 docker==7.2.0
    dockerfile-parse==2.0.1 dpath==2.1.3 durationpy==0.11 ecdsa==0.19.2 frozenlist==1.8.0
    gitdb==4.0.12 gitpython==3.2.1 google-api-core==2.44.0 google-auth==2.63.0
    google-auth-httplib2==0.4.4 google-cloud-core==2.8.0 google-crc32c==1.9.0
    google-resumable-media==2.11.0 googleapis-common-protos==1.76.0 grpcio==1.85.3
    grpcio-status==1.85.3 h11==0.16.0 httpcore2==2.16.2 httplib2==0.32.1 httpx2==2.16.2
    idna==3.20 importlib-metadata==7.2.1 iniconfig==2.3.1 invoke==3.0.3 isodate==0.7.2
    itsdangerous==2.2.0 jinja2==3.1.6 jiter==0.19.0 jmespath==1.1.0 jsonpatch==1.48
    jsonpointer==3.12 jsonschema==4.26.0 jsonschema-specifications==2025.9.1 junit-xml==1.9
    lark==1.3.1 license-expression==30.4.4 markdown==3.11.3 markupsafe==3.0.4 mpmath==1.3.0
    msal==1.39.0 msal-extensions==1.3.1 multidict==7.2.1 networkx==3.6.1 oauthlib==4.0.1
    opentelemetry-api==1.45.2 orjson==3.13.0 packageurl-python==0.13.4 packaging==26.4
    platformdirs==4.14.9 pluggy==1.7.0 ply==3.11 policy-sentry==0.13.2 prettytable==3.18.0
    propcache==0.5.4 proto-plus==1.29.0 protobuf==7.36.2 py-serializable==1.1.2 pyasn1==0.6.5
    pyasn1-modules==0.4.2 pycares==4.11.0 pycep-parser==0.5.1 pycparser==3.12 pydantic==2.14.4
    pydantic-core==2.50.5 pygments==2.21.0 pynacl==1.6.2 pyparsing==3.3.3 python-dateutil==4.0.0
    pyyaml==6.0.4 rdflib==7.6.0 referencing==0.37.0 regex==2026.11.19 requests-oauthlib==2.0.0
    resolvelib==1.2.1 rpds-py==2026.9.1 rustworkx==0.18.1 s3transfer==0.19.3 schema==0.7.5
    semantic-version==2.10.0 six==1.17.0 smmap==5.0.3 sniffio==1.3.1 sortedcontainers==2.4.0
    soupsieve==4.1.3 spdx-tools==0.8.5 sqlparse==0.6.1 sympy==1.14.0 tabulate==0.9.0
    termcolor==2.3.0 tqdm==4.70.1 truststore==0.10.5 typing-extensions==4.16.0
    typing-inspection==0.4.5 tzdata==2026.6 unidiff==1.0.1 uritemplate==4.2.0 uritools==7.0.1
    urllib3==2.8.0 wcwidth==0.9.4 websocket-client==1.9.2 werkzeug==3.1.9 xmltodict==1.0.4
    yarl==1.25.1 zipp==4.1.2
)
# Wheels for one fixed target, whatever the local interpreter: the same files on every machine.
PIP_TARGET_OPTS=(--only-binary=:all: --implementation cp --python-version 3.11.9 --abi cp311
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64
    --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64)

# npm: AWS SDK v2 and v3 clients, Firebase, Google APIs, Azure, AWS CDK (CloudFormation in
# TypeScript), bundlers and compilers, Next.js/React, auth libraries, SaaS SDKs, DB drivers,
# test and lint tooling.
NPM_TOP=(
    aws-sdk@2.1693.0 @aws-sdk/client-s3@3.1169.0 @aws-sdk/client-ec2@3.1169.0
    @aws-sdk/client-iam@3.1169.0 @aws-sdk/client-secrets-manager@3.1162.0 aws-cdk-lib@2.276.0
    firebase@12.19.0 firebase-admin@14.5.1 googleapis@188.0.0
    @azure/storage-blob@12.34.0 @azure/identity@4.14.1 @azure/keyvault-secrets@4.12.0
    webpack@5.112.2 typescript@5.9.3 next@16.4.6 react@19.3.1 react-dom@19.3.1
    jsonwebtoken@9.0.3 passport@0.7.0 passport-google-oauth20@2.0.0 express@5.3.0
    stripe@23.1.0 twilio@6.2.0 @slack/web-api@8.2.0 openai@7.55.0 @sentry/node@11.12.0
    @octokit/rest@22.0.1 mongoose@9.12.1 pg@8.23.1 mysql2@3.24.5 sequelize@6.37.8
    axios@1.21.1 lodash@4.18.1 jest@30.5.2 eslint@10.15.0
)
NPM_BEFORE=2026-11-20   # dependencies as published before this date
# --omit=optional: optional dependencies are mostly per-platform native binaries (Next's SWC,
# sharp); they would make the corpus depend on the machine that installs it.
NPM_OPTS=(--ignore-scripts --no-audit --no-fund --save-exact --omit=optional "--before=$NPM_BEFORE")

# crates.io: AWS SDK (S3, EC2), Google Cloud Storage, GitHub client, async runtime and HTTP
# stack, TLS and crypto (rustls, ring, OpenSSL sources with their test certificates), JWT,
# SQL drivers.  Written verbatim into the throwaway project's Cargo.toml.
CRATES_DEPS='aws-config = "=1.13.0"
aws-sdk-s3 = "=1.157.0"
aws-sdk-ec2 = "=1.274.0"
google-cloud-storage = "=1.21.0"
octocrab = "=0.54.9"
tokio = { version = "=1.54.1", features = ["full"] }
reqwest = { version = "=0.13.5", features = ["json"] }
hyper = { version = "=1.12.0", features = ["full"] }
axum = "=0.8.9"
serde_json = "=1.0.154"
rustls = "=0.23.46"
ring = "=0.17.14"
openssl-src = "=300.6.1"
jsonwebtoken = { version = "=12.0.0", features = ["rust_crypto"] }
sqlx = { version = "=0.9.0", features = ["runtime-tokio", "postgres", "mysql", "sqlite"] }'

REGISTRIES=(pypi npm crates)

# ---------------------------------------------------------------------------
# 2. Corpus (idempotent, one registry at a time)
# ---------------------------------------------------------------------------
spec_hash() { # registry -> hash of everything that decides its folder's content
    case $1 in
        pypi) printf '%s\n' "${PYPI_TOP[@]}" "${PYPI_DEPS[@]}" "${PIP_TARGET_OPTS[@]}" ;;
        npm) printf '%s\n' "${NPM_TOP[@]}" "${NPM_OPTS[@]}" ;;
        crates) printf '%s\n' "$CRATES_DEPS" ;;
    esac | sha256sum | cut -c1-16
}

install_pypi() { # stage dir
    local req=$BUILD_DIR/pypi-requirements.txt
    printf '%s\n' "${PYPI_TOP[@]}" "${PYPI_DEPS[@]}" > "$req"
    python3 -m pip --version >/dev/null 2>&1 || die "pip is required (python3 -m pip)"
    # --no-deps: the list is the whole closure; --no-compile: no .pyc files in the corpus.
    python3 -m pip install -q --no-deps --no-compile --disable-pip-version-check \
        --root-user-action=ignore "${PIP_TARGET_OPTS[@]}" --target "$1" -r "$req" >&2
}

install_npm() { # stage dir
    command -v npm >/dev/null || die "npm is required"
    mkdir -p "$1"
    printf '{"name": "leakguard-noise-corpus", "version": "0.0.0", "private": true}\n' > "$1/package.json"
    npm install --prefix "$1" "${NPM_OPTS[@]}" --loglevel=error "${NPM_TOP[@]}" >&2
}

install_crates() { # stage dir
    command -v cargo >/dev/null || die "cargo is required"
    local proj=$BUILD_DIR/crates-project
    rm -rf "$proj"
    mkdir -p "$proj/src"
    echo 'fn main() {}' > "$proj/src/main.rs"
    printf '[package]\nname = "leakguard-noise-corpus"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n%s\n' \
        "$CRATES_DEPS" > "$proj/Cargo.toml"
    # Own CARGO_HOME and target dir: the user's registry cache and builds are not touched.
    # cargo vendor fetches every crate in the lock file, for every platform.
    CARGO_HOME=$BUILD_DIR/cargo-home CARGO_TARGET_DIR=$BUILD_DIR/cargo-target \
        cargo vendor --quiet --versioned-dirs --manifest-path "$proj/Cargo.toml" "$1" > /dev/null
}

build_registry() { # registry
    local reg=$1 hash marker stage
    hash=$(spec_hash "$reg")
    marker=$BENCH_DIR/.noise-$reg.ready   # outside the corpus, so it is not scanned
    if [[ -d $CORPUS/$reg && -f $marker && $(cat "$marker") == "$hash" ]]; then
        return
    fi
    log "installing the $reg packages into $CORPUS/$reg (once; a few minutes)"
    stage=$BUILD_DIR/stage-$reg
    rm -rf "$stage" "$marker"
    mkdir -p "$BUILD_DIR"
    "install_$reg" "$stage" || die "installing the $reg packages failed"
    rm -rf "$CORPUS/$reg"
    mkdir -p "$CORPUS"
    mv "$stage" "$CORPUS/$reg"
    echo "$hash" > "$marker"
}

mkdir -p "$BENCH_DIR" "$CORPUS" "$OUT_DIR"
CORPUS=$(cd "$CORPUS" && pwd)
# Inside a git work tree .gitignore files would apply and hide part of the corpus.
if command -v git >/dev/null && top=$(git -C "$CORPUS" rev-parse --show-toplevel 2>/dev/null); then
    die "corpus $CORPUS is inside the git repository $top: set NOISE_CORPUS or LEAKGUARD_BENCH_DIR elsewhere"
fi
for reg in "${REGISTRIES[@]}"; do
    build_registry "$reg"
done
for extra in "$CORPUS"/*; do
    case ${extra##*/} in pypi | npm | crates) ;; *) log "note: $extra is not part of the corpus but is scanned" ;; esac
done

# Size of every registry's folder: files and bytes (apparent sizes; symlinks not followed).
SIZES=$OUT_DIR/corpus-sizes.json
python3 - "$CORPUS" "$SIZES" "${REGISTRIES[@]}" <<'EOF'
import json, os, sys
root, out, regs = sys.argv[1], sys.argv[2], sys.argv[3:]
sizes = {}
for reg in regs:
    files = size = 0
    for d, _, names in os.walk(os.path.join(root, reg)):
        for n in names:
            path = os.path.join(d, n)
            if not os.path.islink(path):
                files += 1
                size += os.lstat(path).st_size
    sizes[reg] = {"files": files, "bytes": size}
json.dump(sizes, open(out, "w"))
total = sum(s["bytes"] for s in sizes.values())
for reg, s in sizes.items():
    print(f"[noise-bench] corpus {reg:<7} {s['files']:>7} files {s['bytes'] / 1e6:>8.1f} MB", file=sys.stderr)
print(f"[noise-bench] corpus total   {sum(s['files'] for s in sizes.values()):>7} files {total / 1e6:>8.1f} MB",
      file=sys.stderr)
if total < 600e6:
    print("[noise-bench] warning: corpus under 600 MB; the figures are less telling", file=sys.stderr)
EOF

# ---------------------------------------------------------------------------
# 3. Scanners
# ---------------------------------------------------------------------------
# shellcheck source=benches/kingfisher.sh
source "$(dirname "${BASH_SOURCE[0]}")/kingfisher.sh"
locate_kingfisher

COMMANDS=()
run_scan() { # label, accepted exit codes, command... ; sets WALL (seconds)
    local label=$1 ok=$2 rc=0 t0 t1
    shift 2
    COMMANDS+=("$label: $(printf '%q ' "$@")")
    log "scanning with $label"
    t0=$(date +%s.%N)
    "$@" > "$OUT_DIR/$label.stdout" 2> "$OUT_DIR/$label.stderr" || rc=$?
    t1=$(date +%s.%N)
    if [[ " $ok " != *" $rc "* ]]; then
        tail -n 20 "$OUT_DIR/$label.stderr" >&2
        die "$label exited with $rc (accepted: $ok)"
    fi
    WALL=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
    log "$label: exit $rc, ${WALL}s"
}

LG_OUT=$OUT_DIR/leakguard.json
KF_OUT=$OUT_DIR/kingfisher.json
KF_VIEW_OUT=$OUT_DIR/kingfisher-npm-view.json
rm -f "$LG_OUT" "$KF_OUT" "$KF_VIEW_OUT"

# Exit 1 = findings present (the normal case here); 2 = error.
run_scan leakguard "0 1" "$LEAKGUARD" scan "$CORPUS" --no-config --format json --quiet \
    --threads "$THREADS" --output "$LG_OUT"
LG_WALL=$WALL
LG_VERSION=$("$LEAKGUARD" -V 2>/dev/null || echo "leakguard ?")

# Kingfisher (2.14) reports nothing in a file under a directory named node_modules, nor in
# package-lock.json (nor vendor/bundle/, go.sum): it scans those files and drops what it finds
# there, with no flag to turn that off.  So it runs twice: once on the corpus as it is (what a
# user gets), and once on a hard-linked copy of npm/ in which those names are changed
# (node_modules -> node_modules_, package-lock.json -> package-lock_.json; same bytes), so that
# it is also measured on the same files as leakguard.  Paths are mapped back in the report.
make_kingfisher_npm_view() { # view dir
    local view=$1
    rm -rf "$view"
    mkdir -p "$view"
    cp -al "$CORPUS/npm" "$view/npm" 2>/dev/null || cp -a "$CORPUS/npm" "$view/npm" ||
        die "could not copy $CORPUS/npm to $view"
    # -depth: a nested node_modules is renamed before the one that holds it.
    find "$view/npm" -depth -type d -name node_modules \
        -exec sh -c 'mv "$1" "$1_"' sh {} \;
    find "$view/npm" -type f -name package-lock.json \
        -exec sh -c 'mv "$1" "${1%.json}_.json"' sh {} \;
}

KF_WALL=""
KF_VIEW_WALL=""
KF_VIEW=$BUILD_DIR/kingfisher-view
KF_VERSION=""
if [[ $SKIP_KINGFISHER != 1 ]]; then
    # 200 = findings, 205 = validated findings.  --redact: its report holds no secret either.
    KF_OPTS=(--no-validate --no-dedup --git-history none --redact --no-update-check
        --jobs "$THREADS" --format json --quiet)
    run_scan kingfisher "0 200 205" "$KINGFISHER" scan "$CORPUS" "${KF_OPTS[@]}" --output "$KF_OUT"
    KF_WALL=$WALL
    make_kingfisher_npm_view "$KF_VIEW"
    run_scan kingfisher-npm-view "0 200 205" "$KINGFISHER" scan "$KF_VIEW" "${KF_OPTS[@]}" \
        --output "$KF_VIEW_OUT"
    KF_VIEW_WALL=$WALL
    KF_VERSION=$("$KINGFISHER" --version 2>/dev/null || echo "kingfisher ?")
fi

# ---------------------------------------------------------------------------
# 4. Report
# ---------------------------------------------------------------------------
echo
echo "leakguard noise benchmark  ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, threads=$THREADS)"
echo "corpus: $CORPUS  (pypi/, npm/, crates/: pinned packages, nothing excluded)"
echo "leakguard: $LEAKGUARD ($LG_VERSION)"
[[ -n $KF_VERSION ]] && echo "kingfisher: $KINGFISHER ($KF_VERSION)"
echo "triage: $TRIAGE"
echo "reports: $OUT_DIR/"
echo "commands (CORPUS = $CORPUS):"
for c in "${COMMANDS[@]}"; do
    c=${c//"$KF_VIEW "/"NPM_VIEW "}
    echo "  ${c//"$CORPUS "/"CORPUS "}"
done
[[ -n $KF_VIEW_WALL ]] &&
    echo "  (NPM_VIEW = $KF_VIEW: a hard-linked copy of CORPUS/npm, node_modules -> node_modules_, package-lock.json -> package-lock_.json)"

python3 - "$CORPUS" "$SIZES" "$TRIAGE" "$OUT_DIR" "$FULL" "$LG_OUT" "$LG_WALL" \
    "$KF_OUT" "$KF_WALL" "$KF_VIEW" "$KF_VIEW_OUT" "$KF_VIEW_WALL" <<'EOF' || die "could not read the reports"
import collections, fnmatch, json, os, sys

corpus, sizes_path, triage_path, out_dir, full = sys.argv[1:6]
lg_path, lg_wall, kf_path, kf_wall, kf_view, kf_view_path, kf_view_wall = sys.argv[6:13]
full = full == "1"
sizes = json.load(open(sizes_path))
regs = list(sizes)
corpus_bytes = sum(s["bytes"] for s in sizes.values())
TOP = 30

def registry(path):
    head = path.split("/", 1)[0]
    return head if head in sizes else "other"

def rel(path, root=corpus):
    """Path relative to the scanned root, '/'-separated."""
    if os.path.isabs(path):
        path = os.path.relpath(path, root)
    return path.replace(os.sep, "/").removeprefix("./")

def unview(path):
    """A path in Kingfisher's npm view, as it is in the corpus."""
    parts = ["node_modules" if p == "node_modules_" else p for p in path.split("/")]
    if parts[-1] == "package-lock_.json":
        parts[-1] = "package-lock.json"
    return "/".join(parts)

def load_leakguard(path):
    d = json.load(open(path))
    return [(rel(f["path"]), f.get("line") or 0, f["rule_id"]) for f in d["findings"]], d.get("summary", {})

def load_kingfisher(path, root=corpus):
    d = json.load(open(path))
    items = d.get("findings", []) if isinstance(d, dict) else d
    out = []
    for it in items:
        rule, f = it.get("rule", {}), it.get("finding", {})
        out.append((rel(f.get("path", "?"), root), f.get("line") or 0,
                    rule.get("id") or rule.get("name", "?")))
    return out

NAME_W = 22
def summary(name, findings, wall):
    per_reg = collections.Counter(registry(p) for p, _, _ in findings)
    per_100mb = len(findings) / (corpus_bytes / 1e8)
    print(f"{name:<{NAME_W}} {len(findings):>9} {per_100mb:>10.1f} " +
          " ".join(f"{per_reg.get(r, 0):>8}" for r in regs) + f" {wall:>8}")

def per_rule(name, findings):
    by_rule = collections.Counter(r for _, _, r in findings)
    by_rule_reg = collections.Counter((r, registry(p)) for p, _, r in findings)
    rows = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = rows if full else rows[:TOP]
    print(f"\n{name} findings per rule ({len(rows)} rules" +
          ("" if len(shown) == len(rows) else f", top {TOP}; FULL=1 lists all") + "):")
    w = max([len(r) for r, _ in shown] + [20])
    print(f"  {'rule':<{w}} {'total':>7} {'/100MB':>7} " + " ".join(f"{r:>7}" for r in regs))
    for r, n in shown:
        print(f"  {r:<{w}} {n:>7} {n / (corpus_bytes / 1e8):>7.1f} " +
              " ".join(f"{by_rule_reg.get((r, g), 0):>7}" for g in regs))

# --- triage file: path<TAB>rule<TAB>why, '#' comments and blank lines ignored
triage = []
for no, line in enumerate(open(triage_path, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    parts = line.split("\t")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        sys.exit(f"[noise-bench] {triage_path}:{no}: expected path<TAB>rule<TAB>why")
    triage.append({"path": parts[0], "rule": parts[1], "line": no, "used": 0})

def triaged(path, rule):
    hit = False
    for t in triage:   # every matching entry counts as used, so that "matched nothing" is exact
        if t["rule"] == rule and (t["path"] == path or fnmatch.fnmatchcase(path, t["path"])):
            t["used"] += 1
            hit = True
    return hit

lg, lg_summary = load_leakguard(lg_path)
kf = kf_same = None
if kf_wall:
    kf = load_kingfisher(kf_path)
    # Same files as leakguard: npm/ from the view run, the rest from the corpus run.
    kf_npm = [(unview(p), l, r) for p, l, r in load_kingfisher(kf_view_path, kf_view)]
    kf_same = [f for f in kf if registry(f[0]) != "npm"] + kf_npm

print(f"\ncorpus size (files are counted by their own size; symlinks not followed):")
for r in regs:
    print(f"  {r:<7} {sizes[r]['files']:>7} files {sizes[r]['bytes'] / 1e6:>9.1f} MB")
print(f"  {'total':<7} {sum(s['files'] for s in sizes.values()):>7} files {corpus_bytes / 1e6:>9.1f} MB")
if lg_summary:
    print(f"  leakguard: files_scanned={lg_summary.get('files_scanned')} "
          f"bytes_scanned={lg_summary.get('bytes_scanned')} "
          f"files_skipped_size={lg_summary.get('files_skipped_size')} "
          f"files_skipped_binary={lg_summary.get('files_skipped_binary')} "
          f"files_unreadable={lg_summary.get('files_unreadable')}")

print(f"\n{'tool':<{NAME_W}} {'findings':>9} {'per 100MB':>10} " + " ".join(f"{r:>8}" for r in regs) + f" {'wall s':>8}")
print(f"{'-' * NAME_W} {'-' * 9} {'-' * 10} " + " ".join("-" * 8 for _ in regs) + f" {'-' * 8}")
summary("leakguard", lg, lg_wall)
if kf is not None:
    summary("kingfisher (same files)", kf_same, "-")
    summary("kingfisher (as run)", kf, kf_wall)
    print(f"  kingfisher (as run) drops findings under node_modules/ and in package-lock.json;")
    print(f"  (same files) takes npm/ from a second run on a renamed view ({kf_view_wall} s)")

per_rule("leakguard", lg)
if kf is not None:
    per_rule("kingfisher (same files)", kf_same)

# --- untriaged leakguard findings: path, line, rule (never the secret)
untriaged = sorted((p, l, r) for p, l, r in lg if not triaged(p, r))
with open(os.path.join(out_dir, "untriaged.tsv"), "w") as f:
    f.write("path\tline\trule\n")
    f.writelines(f"{p}\t{l}\t{r}\n" for p, l, r in untriaged)
print(f"\nuntriaged leakguard findings ({len(untriaged)}; also in {out_dir}/untriaged.tsv):")
for p, l, r in untriaged:
    print(f"  {p}:{l}  {r}")
stale = [t for t in triage if not t["used"]]
if stale:
    print(f"\ntriage entries that matched no finding ({len(stale)}):")
    for t in stale:
        print(f"  line {t['line']}: {t['path']}  {t['rule']}")

n_tri = len(lg) - len(untriaged)
print(f"\ntriaged {n_tri} / total {len(lg)}")
if kf is None:
    cmp = "n/a (SKIP_KINGFISHER=1)"
else:
    cmp = (f"{'yes' if len(lg) <= len(kf_same) else 'no'} ({len(lg)} vs {len(kf_same)} on the same files; "
           f"{'yes' if len(lg) <= len(kf) else 'no'} vs {len(kf)} as Kingfisher runs by default)")
print(f"verdict: leakguard <= kingfisher: {cmp}; "
      f"all leakguard findings triaged: {'yes' if not untriaged else 'no'} ({n_tri} / {len(lg)})")
EOF

exit 0
