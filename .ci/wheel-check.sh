#!/usr/bin/env bash
# Checks the release build (release/build.sh) and the PyPI package (pyproject.toml, maturin
# `bindings = "bin"`):
#  1. release/build.sh builds this machine's wheel and archive. It is asked to try Vectorscan
#     with cmake replaced by `false`, so that the fallback a release platform takes when
#     Vectorscan does not build is exercised: a warning, the build repeated without it, a
#     binary that says so in `--version`. The archive must hold the binary, README, licences,
#     completions for five shells and the man pages.
#  2. installed into a fresh venv from that wheel alone (no index), `leakguard -V` runs and a
#     real scan finds a planted synthetic token (exit 1) and passes a clean tree;
#  3. the pre-commit framework installs a `repo: local`, `language: python` hook with
#     `additional_dependencies: [leakguard-bin==VERSION]` from the wheel (PIP_FIND_LINKS, no
#     index, no cargo on PATH: nothing can be built), and the hook blocks a staged token and
#     passes a clean commit;
#  4. the composite action's install step (action/install.sh) installs that wheel, and falls
#     back to cargo when pip cannot (no Python, or no wheel for the version).
# Prints the time from `pip install` of the wheel to the blocked commit.
#
# Tools (maturin from release/requirements.txt, pre-commit) are installed from PyPI into a venv
# under ${LEAKGUARD_CI_VENV:-/tmp/leakguard-ci-venv}-wheel. The wheel is built into the
# checkout's target directory (CARGO_TARGET_DIR), where the pre-commit check's `cargo install`
# finds the compiled dependencies afterwards.
set -euo pipefail

checkout="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$checkout/Cargo.toml" | head -n 1)"
tools="${LEAKGUARD_CI_VENV:-/tmp/leakguard-ci-venv}-wheel"
mapfile -t pins < <(grep -v '^#' "$checkout/release/requirements.txt")
pins+=(pre-commit==4.7.0)

if [[ ! -x $tools/bin/maturin || "$(cat "$tools/.pins" 2>/dev/null)" != "${pins[*]}" ]]; then
    echo "== installing ${pins[*]} into $tools"
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
    echo "${pins[*]}" > "$tools/.pins"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-wheel.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$checkout/target}"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

echo "== release/build.sh --vectorscan try, with cmake replaced by false: the fallback (leakguard $version)"
set +e
(cd "$checkout" && CMAKE=false MATURIN="$tools/bin/maturin" bash release/build.sh --vectorscan try --out "$tmp/release") 2>&1 \
    | grep -v '^   Compiling\|^warning: vectorscan-rs-sys\|^  *[|=] \|^\s*$' | tail -n 25
s_release=${PIPESTATUS[0]}
set -e
[[ $s_release -eq 0 ]] || { echo "FAIL: release/build.sh exited $s_release"; exit 1; }
triple="$(rustc -vV | sed -n 's/^host: //p')"
wheel="$(ls "$tmp"/release/wheels/leakguard_bin-"$version"-*.whl)"
echo "   $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"
mkdir -p "$tmp/dist"
cp "$wheel" "$tmp/dist/"
failed=0
check() {  # check WHAT EXPECTED-STATUS ACTUAL-STATUS
    if [[ $2 -eq $3 ]]; then echo "ok: $1"; else echo "FAIL: $1 (exit $3, expected $2)"; failed=1; fi
}
ok() {  # ok WHAT COMMAND...: the command must succeed
    local what="$1"
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failed=1; fi
}
ok "the build-info line says the fallback" grep -qF 'keyword stage **aho-corasick** (Vectorscan did not build' "$tmp/release/build-info/$triple.md"
mkdir "$tmp/unpacked"
tar -xzf "$tmp/release/leakguard-$version-$triple.tar.gz" -C "$tmp/unpacked"
a="$tmp/unpacked/leakguard-$version-$triple"
for f in leakguard README.md LICENSE-MIT LICENSE-APACHE man/leakguard.1 man/leakguard-scan.1 \
    completions/leakguard.{bash,zsh,fish,elvish,powershell}; do
    ok "the archive holds $f" test -s "$a/$f"
done
ok "the archived binary is executable" test -x "$a/leakguard"
ok "the archived binary reports the Aho-Corasick fallback" grep -qx 'keyword stage: aho-corasick' <("$a/leakguard" --version)
ok "the archived bash completion loads" bash -c 'source "$1" && complete -p leakguard > /dev/null' _ "$a/completions/leakguard.bash"
ok "the archived man page renders (where man is installed)" \
    bash -c '! command -v man > /dev/null || man -l "$1" > /dev/null 2>&1' _ "$a/man/leakguard.1"

# pre-commit builds a `repo: local` hook's environment from a stub package that needs
# setuptools: fetched now, so that below pip sees the wheels in dist/ and nothing else.
"$tools/bin/pip" download --quiet --disable-pip-version-check --only-binary :all: \
    --dest "$tmp/dist" setuptools wheel

# A synthetic token, random at run time: never a literal token in this repository.
token() {
    python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("mon_" + "".join(secrets.choice(a) for _ in range(31)))'
}

# From here on, nothing can be compiled: no cargo or rustc on PATH, no package index.
safe_path="$(dirname "$(command -v python3)"):/usr/local/bin:/usr/bin:/bin"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$tmp/dist" PIP_DISABLE_PIP_VERSION_CHECK=1

echo "== a fresh venv, the wheel alone"
python3 -m venv "$tmp/venv"
PATH="$safe_path" "$tmp/venv/bin/pip" install --quiet "leakguard-bin==$version"
lg="$tmp/venv/bin/leakguard"
[[ $("$lg" -V) == "leakguard $version" ]] && echo "ok: $("$lg" -V)" || { echo "FAIL: --version"; failed=1; }
mkdir -p "$tmp/tree/clean" "$tmp/tree/leaky"
printf 'def add(a, b):\n    return a + b\n' > "$tmp/tree/clean/app.py"
printf 'MONIME_TOKEN = "%s"\n' "$(token)" > "$tmp/tree/leaky/config.py"
set +e
"$lg" scan "$tmp/tree/clean" --quiet; s_clean=$?
"$lg" scan "$tmp/tree/leaky" --quiet > /dev/null; s_leaky=$?
set -e
check "the installed binary passes a clean tree" 0 "$s_clean"
check "the installed binary finds a planted token" 1 "$s_leaky"

echo "== the action's install step (action/install.sh) with this wheel, no cargo on PATH"
set +e
PATH="$safe_path" ACTION_PATH="$checkout" LEAKGUARD_ROOT="$tmp/action" RUNNER_TEMP="$tmp" \
    bash "$checkout/action/install.sh" > "$tmp/action.log" 2>&1
s_action=$?
set -e
sed 's/^/    | /' "$tmp/action.log"
check "the action's install step succeeds" 0 "$s_action"
ok "it installed the wheel with pip" grep -q "leakguard $version, installed with pip" "$tmp/action.log"
ok "the installed binary runs" test "$("$tmp/action/bin/leakguard" -V 2>&1)" = "leakguard $version"

echo "== pre-commit, a language: python hook from the wheel"
repo="$tmp/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.name "leakguard ci"
git config user.email "ci@leakguard.invalid"
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: local
    hooks:
      - id: leakguard
        name: leakguard (secrets in staged changes)
        entry: leakguard staged
        language: python
        additional_dependencies: [leakguard-bin==$version]
        pass_filenames: false
EOF
git add .pre-commit-config.yaml
git commit -q --no-verify -m "pre-commit config"
export PRE_COMMIT_HOME="$tmp/pre-commit-home"
pc() { PATH="$safe_path" "$tools/bin/pre-commit" "$@"; }
started=$(date +%s.%N)
pc install --install-hooks > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: pre-commit could not install the hook"; exit 1; }

tok="$(token)"
printf 'MONIME_TOKEN = "%s"\n' "$tok" > config.py
git add config.py
set +e
out="$(PATH="$safe_path" git commit -q -m leak 2>&1)"
s_block=$?
set -e
finished=$(date +%s.%N)
printf '%s\n' "$out" | sed 's/^/    | /'
check "the hook blocks a staged Monime token" 1 "$((s_block != 0))"
grep -q monime-live-token <<<"$out" && echo "ok: it names monime-live-token" || { echo "FAIL: no monime-live-token in the hook's output"; failed=1; }
grep -qF "$tok" <<<"$out" && { echo "FAIL: the hook printed the secret in full"; failed=1; } || echo "ok: the secret is redacted"
git reset -q config.py && rm config.py
printf '# demo\n' > README.md
git add README.md
set +e
PATH="$safe_path" git commit -q -m clean > "$tmp/clean.log" 2>&1
s_pass=$?
set -e
check "the hook passes a clean commit" 0 "$s_pass"
# What a Rust build would leave behind: a target directory or compiled crates.
built="$(find "$PRE_COMMIT_HOME" \( -name '*.rlib' -o -name '.rustc_info.json' \) -print | head -n 3)"
if [[ -n $built ]]; then
    echo "FAIL: something was built with cargo in the hook's environment: $built"
    failed=1
else
    echo "ok: nothing was compiled for the hook (no cargo on PATH, no Rust build output)"
fi

echo "== from installing the hook (pip install of the wheel) to a blocked commit: $(python3 -c "print(f'{$finished - $started:.1f}')") s"
if [[ $failed -ne 0 ]]; then
    echo "== wheel check FAILED"
    exit 1
fi
echo "== wheel check passed"
