#!/usr/bin/env bash
# Checks the pre-commit framework hook published in .pre-commit-hooks.yaml: with
# `pre-commit try-repo <this checkout> leakguard`, a commit staging a (synthetic) secret must
# fail and a clean one must pass.
#
# try-repo is pinned to this checkout's committed HEAD, so this tests what is committed, not
# the working tree. pre-commit builds leakguard with `cargo install` (language: rust): the
# first build takes a few minutes; the second reuses its target directory.
#
# Installs pre-commit from PyPI when it is missing. Exits non-zero if an expectation fails.
set -euo pipefail

checkout="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$checkout" rev-parse HEAD)"

if command -v pre-commit >/dev/null 2>&1; then
    pc=(pre-commit)
else
    echo "== installing pre-commit from PyPI"
    python3 -m pip install --quiet pre-commit
    pc=(python3 -m pre_commit)
fi
echo "== $("${pc[@]}" --version), leakguard at ${rev:0:12} ($checkout)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-pre-commit.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# try-repo builds leakguard with `cargo install` (release). Sharing the checkout's target
# directory reuses what `cargo build --release` already compiled there (CI builds it first).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$checkout/target}"
# Keep the user's git config (hooksPath, signing, templates) out of the temp repository.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

repo="$tmp/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.name "leakguard ci"
git config user.email "ci@leakguard.invalid"
git commit -q --allow-empty -m initial

# Runs the leakguard hook on what is staged; sets $status and $out.
try_hook() {
    set +e
    out="$("${pc[@]}" try-repo "$checkout" leakguard --ref "$rev" 2>&1)"
    status=$?
    set -e
    printf '%s\n' "$out" | sed 's/^/    | /'
}

failed=0

echo "== (b) a clean commit must pass"
printf '# demo\n\nNothing secret here.\n' > README.md
printf 'def add(a, b):\n    return a + b\n' > app.py
git add README.md app.py
try_hook
if [[ $status -eq 0 ]]; then
    echo "ok: clean staged changes pass"
else
    echo "FAIL: clean staged changes were rejected (exit $status)"
    failed=1
fi
git commit -q --no-verify -m clean

echo "== (a) a commit staging a Monime live token must fail"
# Synthetic, random at run time: never a literal token in this repository.
token="$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("mon_" + "".join(secrets.choice(a) for _ in range(31)))')"
printf 'MONIME_TOKEN = "%s"\n' "$token" > config.py
git add config.py
try_hook
if [[ $status -eq 0 ]]; then
    echo "FAIL: a staged Monime token was let through"
    failed=1
elif ! grep -q 'monime-live-token' <<<"$out"; then
    echo "FAIL: the hook failed (exit $status) but did not report monime-live-token"
    failed=1
elif grep -qF "$token" <<<"$out"; then
    echo "FAIL: the hook printed the secret in full"
    failed=1
else
    echo "ok: staged Monime token rejected (monime-live-token, redacted)"
fi

if [[ $failed -ne 0 ]]; then
    echo "== pre-commit hook check FAILED"
    exit 1
fi
echo "== pre-commit hook check passed"
