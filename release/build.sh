#!/usr/bin/env bash
# Builds one platform's release files, natively (the release workflow runs it once per
# platform; .ci/run runs it for this machine):
#
#   release/build.sh [--compatibility TAG] [--features LIST] [--vectorscan try|off] --out DIR
#
#   DIR/wheels/leakguard_bin-VERSION-*.whl      the PyPI wheel (maturin, bindings = "bin")
#   DIR/leakguard-VERSION-TRIPLE.tar.gz         the binary with README, licences, shell
#     (.zip on Windows)                         completions and man pages
#   DIR/build-info/TRIPLE.md                    one line for the release notes: what was built
#
# --compatibility is maturin's wheel tag (manylinux_2_28, musllinux_1_2; none on macOS and
# Windows). --features are always built in (the workflow passes https). With --vectorscan try,
# the binary is first built with Vectorscan, the fast keyword stage; if that build fails (no
# C++ toolchain, Boost or cmake for this platform, or Vectorscan does not support it), the
# build is repeated without it, so the platform ships with the Aho-Corasick keyword stage (same
# findings, slower on big scans), and the script says so: a warning in the workflow's log and
# summary, and the build-info line. Either way the binary must report what it is
# (`leakguard --version`), scan a planted synthetic token (exit 1) and a clean tree (exit 0).
#
# Needs maturin (${MATURIN:-maturin}, pinned in release/requirements.txt), cargo and Python
# (${PYTHON:-python3}).
set -euo pipefail

compat="" features="" vectorscan="off" out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --compatibility) compat="$2"; shift 2 ;;
        --features) features="$2"; shift 2 ;;
        --vectorscan) vectorscan="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "release/build.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n $out ]] || { echo "release/build.sh: --out DIR is required" >&2; exit 2; }
[[ $vectorscan == try || $vectorscan == off ]] || { echo "release/build.sh: --vectorscan must be try or off, not '$vectorscan'" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
maturin="${MATURIN:-maturin}"
python="${PYTHON:-$(command -v python3 || command -v python)}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
triple="$(rustc -vV | sed -n 's/^host: //p')"
exe=""
[[ $triple == *windows* ]] && exe=".exe"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$out/wheels" "$out/build-info"
out="$(cd "$out" && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-release.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# A warning that shows in the workflow's annotations and summary when run there.
warn() {
    echo "warning: $1" >&2
    if [[ -n ${GITHUB_ACTIONS:-} ]]; then
        echo "::warning title=leakguard release $triple::$1"
        echo "- :warning: $1" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
    fi
}

# maturin build into a fresh directory; prints nothing but the wheel's path.
build() { # FEATURES
    local args=(build --release --locked --out "$scratch/wheel-$1")
    [[ -n $compat ]] && args+=(--compatibility "$compat")
    [[ -n $1 ]] && args+=(--features "$1")
    echo "== $maturin ${args[*]}" >&2
    "$maturin" "${args[@]}" >&2 || return 1
    ls "$scratch/wheel-$1/leakguard_bin-$version"-*.whl
}

stage=aho-corasick
why=""
wheel=""
if [[ $vectorscan == try ]]; then
    if wheel="$(build "${features:+$features,}vectorscan")"; then
        stage=vectorscan
    else
        why="Vectorscan did not build for $triple (see the build log above)"
        warn "$why: this platform's binary falls back to the Aho-Corasick keyword stage (same findings, slower on big scans)"
    fi
else
    why="Vectorscan not attempted for $triple"
fi
if [[ -z $wheel ]]; then
    wheel="$(build "$features")" || { echo "release/build.sh: the build without Vectorscan failed too" >&2; exit 1; }
fi
cp "$wheel" "$out/wheels/"
bin="$target_dir/release/leakguard$exe"

# The binary says what it is, and works.
failed=0
check() { # WHAT OK
    if [[ $2 == 1 ]]; then echo "ok: $1"; else echo "FAIL: $1"; failed=1; fi
}
long="$("$bin" --version)"
printf '%s\n' "$long" | sed 's/^/   | /'
check "-V is 'leakguard $version'" "$([[ $("$bin" -V) == "leakguard $version" ]] && echo 1)"
check "--version reports the keyword stage $stage" "$(grep -qx "keyword stage: $stage" <<<"$long" && echo 1)"
listed=", $(sed -n 's/^optional features: //p' <<<"$long"),"
IFS=, read -r -a wanted <<<"$features"
for f in ${wanted[@]+"${wanted[@]}"}; do
    check "--version lists the feature $f" "$([[ $listed == *", $f,"* ]] && echo 1)"
done
mkdir -p "$scratch/clean" "$scratch/leaky"
printf 'def add(a, b):\n    return a + b\n' > "$scratch/clean/app.py"
# A synthetic token, random at run time.
"$python" -c 'import secrets, string; a = string.ascii_letters + string.digits; print("MONIME_TOKEN = \"mon_" + "".join(secrets.choice(a) for _ in range(31)) + "\"")' > "$scratch/leaky/config.py"
set +e
"$bin" scan "$scratch/clean" --quiet; s_clean=$?
"$bin" scan "$scratch/leaky" --quiet > /dev/null; s_leaky=$?
set -e
check "a clean tree passes (exit $s_clean)" "$([[ $s_clean == 0 ]] && echo 1)"
check "a planted token is found (exit $s_leaky)" "$([[ $s_leaky == 1 ]] && echo 1)"

# The archive: the binary, what a user reads, completions and man pages.
name="leakguard-$version-$triple"
pack="$scratch/$name"
mkdir -p "$pack/completions" "$pack/man"
cp "$bin" "$pack/"
cp README.md LICENSE-MIT LICENSE-APACHE "$pack/"
for shell in bash zsh fish elvish powershell; do
    "$bin" completions "$shell" > "$pack/completions/leakguard.$shell"
    check "completions for $shell" "$([[ -s $pack/completions/leakguard.$shell ]] && echo 1)"
done
"$bin" man --dir "$pack/man"
pages=("$pack"/man/*.1)
check "man pages (${#pages[@]})" "$([[ -s $pack/man/leakguard.1 ]] && echo 1)"
if [[ -n $exe ]]; then archive="$out/$name.zip"; else archive="$out/$name.tar.gz"; fi
"$python" - "$scratch" "$name" "$archive" <<'EOF'
import os, sys, tarfile, zipfile
base, name, archive = sys.argv[1:]
files = sorted(os.path.relpath(os.path.join(d, f), base)
               for d, _, fs in os.walk(os.path.join(base, name)) for f in fs)
if archive.endswith(".zip"):
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(os.path.join(base, f), f)
else:
    # Owner and times normalised: the archive depends on its contents only.
    def norm(t):
        t.uid = t.gid = 0
        t.uname = t.gname = ""
        t.mtime = 0
        t.mode = 0o755 if (t.isdir() or os.access(os.path.join(base, t.name), os.X_OK)) else 0o644
        return t
    with tarfile.open(archive, "w:gz") as t:
        t.add(os.path.join(base, name), name, filter=norm)
EOF
echo "   $(basename "$archive"), $(du -k "$archive" | cut -f1) KiB; $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"

note="keyword stage **$stage**"
[[ $stage == vectorscan ]] || note+=" ($why)"
echo "| \`$triple\` | \`$(basename "$wheel")\` | \`$(basename "$archive")\` | $note |" > "$out/build-info/$triple.md"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    cat "$out/build-info/$triple.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [[ $failed -ne 0 ]]; then
    echo "release/build.sh: the built binary failed its checks" >&2
    exit 1
fi
echo "== $triple: built and checked (keyword stage $stage)"
