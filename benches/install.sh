#!/usr/bin/env bash
# benches/install.sh - how long a new user waits for the pre-commit hook: the prebuilt wheel
# (`language: python`) against building from source (`language: rust`), on this machine.
#
# For each, from an empty pre-commit cache (PRE_COMMIT_HOME) in a fresh repository, the time
# from `pre-commit install --install-hooks` to the commit that the hook blocks (a staged
# synthetic Monime token):
#   wheel   a `repo: local` hook, `language: python`,
#           `additional_dependencies: [leakguard-bin==VERSION]`; pip finds the wheel in a
#           local directory (PIP_FIND_LINKS, PIP_NO_INDEX: PyPI's role), so the download is not
#           timed, only the install. No cargo on PATH.
#   rust    the `leakguard` hook of .pre-commit-hooks.yaml from a clone of this checkout's HEAD
#           (`language: rust`): pre-commit runs `cargo install` into its own environment with
#           an empty target directory, as on a user's machine. The crates are taken from the
#           local cargo registry (downloaded once beforehand, not timed).
# Printed: both times and their ratio.
#
# The wheel: $WHEEL if set, else built first with release/build.sh (not timed). Tools: maturin
# (release/requirements.txt) and pre-commit, installed into $LEAKGUARD_BENCH_DIR/install-tools.
#
# Usage: bash benches/install.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}"
tools="$bench/install-tools"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
log() { printf '[install-bench] %s\n' "$*" >&2; }

if [[ ! -x $tools/bin/pre-commit || ! -x $tools/bin/maturin ]]; then
    log "installing maturin and pre-commit into $tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check -r "$root/release/requirements.txt" pre-commit==4.7.0
fi
tmp="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-install-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE CARGO_TARGET_DIR

mkdir -p "$tmp/links"
if [[ -n ${WHEEL:-} ]]; then
    cp "$WHEEL" "$tmp/links/"
else
    log "building the wheel (release/build.sh, not timed)"
    (cd "$root" && MATURIN="$tools/bin/maturin" bash release/build.sh --out "$tmp/release" > "$tmp/build.log" 2>&1) ||
        { cat "$tmp/build.log"; exit 1; }
    cp "$tmp"/release/wheels/*.whl "$tmp/links/"
fi
"$tools/bin/pip" download --quiet --disable-pip-version-check --only-binary :all: --dest "$tmp/links" setuptools wheel
log "fetching the crates into the cargo registry (not timed)"
(cd "$root" && cargo fetch --locked --quiet)

token() {
    python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("mon_" + "".join(secrets.choice(a) for _ in range(31)))'
}

# new_repo DIR CONFIG: a repository with CONFIG as .pre-commit-config.yaml, committed.
new_repo() {
    git init -q -b main "$1"
    git -C "$1" config user.name bench
    git -C "$1" config user.email bench@leakguard.invalid
    printf '%s\n' "$2" > "$1/.pre-commit-config.yaml"
    git -C "$1" add .pre-commit-config.yaml
    git -C "$1" commit -q --no-verify -m config
}

# time_to_block DIR [ENV...]: from hook install to the blocked commit, in seconds (stdout).
time_to_block() {
    local dir="$1" start end
    shift
    start=$(date +%s.%N)
    (cd "$dir" && env "$@" "$tools/bin/pre-commit" install --install-hooks > "$dir.install.log" 2>&1) ||
        { cat "$dir.install.log" >&2; log "pre-commit could not install the hook in $dir"; exit 1; }
    printf 'MONIME_TOKEN = "%s"\n' "$(token)" > "$dir/config.py"
    git -C "$dir" add config.py
    if (cd "$dir" && env "$@" git commit -q -m leak > "$dir.commit.log" 2>&1); then
        cat "$dir.commit.log" >&2
        log "the hook in $dir let the token through"
        exit 1
    fi
    end=$(date +%s.%N)
    grep -q monime-live-token "$dir.commit.log" || { cat "$dir.commit.log" >&2; log "no monime-live-token finding in $dir"; exit 1; }
    python3 -c "print(f'{$end - $start:.1f}')"
}

no_cargo="$(dirname "$(command -v python3)"):/usr/local/bin:/usr/bin:/bin"
new_repo "$tmp/wheel" "repos:
  - repo: local
    hooks:
      - id: leakguard
        name: leakguard
        entry: leakguard staged
        language: python
        additional_dependencies: [leakguard-bin==$version]
        pass_filenames: false"
log "wheel: pre-commit install, then a commit staging a token"
wheel_s=$(time_to_block "$tmp/wheel" PATH="$no_cargo" PRE_COMMIT_HOME="$tmp/home-wheel" \
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$tmp/links" PIP_DISABLE_PIP_VERSION_CHECK=1)

rev="$(git -C "$root" rev-parse HEAD)"
new_repo "$tmp/rust" "repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: leakguard"
log "rust: pre-commit install (cargo install from $root at ${rev:0:12}), then a commit staging a token"
rust_s=$(time_to_block "$tmp/rust" PRE_COMMIT_HOME="$tmp/home-rust" CARGO_NET_OFFLINE=true)

echo "install-to-blocked-commit  wheel (language: python): ${wheel_s} s   source (language: rust): ${rust_s} s   rust/wheel: $(python3 -c "print(f'{$rust_s / $wheel_s:.0f}')")x   ($(nproc) CPUs, $(date -u +%Y-%m-%d))"
