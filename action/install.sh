#!/usr/bin/env bash
# The composite action's install step (action.yml): puts leakguard in $LEAKGUARD_ROOT/bin.
#
# The prebuilt wheel first: `pip install leakguard-bin==VERSION`, VERSION being the version of
# the action's own checkout (its Cargo.toml), into a throwaway venv; the binary is copied out.
# Seconds, and no Rust toolchain needed. If the runner has no working Python, or PyPI has no
# wheel of that version for this platform (an untagged commit, an unusual platform), it builds
# from the action's checkout with `cargo install` instead: minutes, the first time.
#
# Environment:
#   ACTION_PATH      the action's checkout (required)
#   LEAKGUARD_ROOT   where to install (required): the binary goes in its bin/
#   INSTALL          auto (default): the wheel, else cargo; pip: the wheel or fail; cargo
#   FEATURES         Cargo features; asking for any means building with cargo
#   CARGO_TARGET     cargo's target directory (default: $RUNNER_TEMP/leakguard-target)
# pip's own variables (PIP_INDEX_URL, PIP_FIND_LINKS...) apply. Writes `method=pip|cargo` to
# $GITHUB_OUTPUT when set.
set -euo pipefail

: "${ACTION_PATH:?the action checkout}" "${LEAKGUARD_ROOT:?where to install}"
install="${INSTALL:-auto}"
features="${FEATURES:-}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ACTION_PATH/Cargo.toml" | head -n 1)"
exe=""
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN* | Windows_NT) exe=".exe" ;; esac
bin="$LEAKGUARD_ROOT/bin/leakguard$exe"
mkdir -p "$LEAKGUARD_ROOT/bin"

note() { echo "leakguard install: $1"; }
case "$install" in
    auto | pip | cargo) ;;
    *) echo "::error title=leakguard::install must be auto, pip or cargo, not '$install'"; exit 2 ;;
esac
if [[ -n $features && $install == pip ]]; then
    echo "::error title=leakguard::features ($features) need a build from source: use install 'cargo' or 'auto'"
    exit 2
fi

# The wheel into a throwaway venv; the binary copied out. Returns 1 if anything fails.
from_pip() {
    local python venv found
    python="$(command -v python3 || command -v python)" || { note "no Python on PATH"; return 1; }
    venv="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/leakguard-venv.XXXXXX")"
    "$python" -m venv "$venv" || { note "$python cannot make a venv"; return 1; }
    found="$venv/bin/python"
    [[ -x $found ]] || found="$venv/Scripts/python$exe"
    "$found" -m pip install --quiet --disable-pip-version-check --no-input "leakguard-bin==$version" ||
        { note "no leakguard-bin $version wheel for this platform"; return 1; }
    found="$venv/bin/leakguard"
    [[ -x $found ]] || found="$venv/Scripts/leakguard$exe"
    cp "$found" "$bin"
    rm -rf "$venv"
}

from_cargo() {
    if ! command -v cargo > /dev/null 2>&1; then
        echo "::error title=leakguard::no prebuilt leakguard-bin $version could be installed and cargo is not on PATH: install Python or a Rust toolchain before this action"
        exit 2
    fi
    local args=(install --locked --path "$ACTION_PATH" --root "$LEAKGUARD_ROOT"
        --target-dir "${CARGO_TARGET:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/leakguard-target}")
    [[ -n $features ]] && args+=(--features "$features")
    cargo "${args[@]}"
}

method=""
if [[ $install != cargo && -z $features ]]; then
    if from_pip; then
        method=pip
    elif [[ $install == pip ]]; then
        echo "::error title=leakguard::pip could not install leakguard-bin==$version (install: pip)"
        exit 2
    else
        echo "::notice title=leakguard::no prebuilt leakguard-bin $version here: building it with cargo (minutes, the first time)"
    fi
fi
if [[ -z $method ]]; then
    from_cargo
    method=cargo
fi

got="$("$bin" -V 2>/dev/null || true)"
if [[ $got != "leakguard $version" ]]; then
    echo "::error title=leakguard::the installed binary says '$got', not 'leakguard $version'"
    exit 2
fi
note "$got, installed with $method into $LEAKGUARD_ROOT/bin"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    echo "method=$method" >> "$GITHUB_OUTPUT"
fi
