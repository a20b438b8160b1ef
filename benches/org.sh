#!/usr/bin/env bash
# benches/org.sh - `leakguard audit --github-org` over a mock organisation of ORG_SIZE (200)
# repositories, first run and re-run.
#
# 1. Makes ORG_SIZE bare repositories (a few commits each, a synthetic token planted in one
#    in ten) under $LEAKGUARD_BENCH_DIR/org-$ORG_SIZE/git.
# 2. Starts a loopback server (python3, below): GitHub's `GET /orgs/bench/repos` in its
#    documented shape, 100 a page with `Link` headers, and the repositories over git smart
#    HTTP through `git http-backend` (CGI). It counts the git requests. No token is used
#    (a public organisation): git sends credentials over https only.
# 3. Audits the organisation into a new datastore (every repository cloned and scanned),
#    then again with nothing pushed: every repository's pushed_at is unchanged, so the
#    re-run must fetch nothing. Prints both wall times, the ratio, and the git requests of
#    each run; exits 1 if the re-run made any git request or the incidents differ.
#
# Needs a binary built with the https feature:
#   cargo build --release --locked --features https
# Environment: LEAKGUARD (the binary; default target/release/leakguard or
# $CARGO_TARGET_DIR/release/leakguard), LEAKGUARD_BENCH_DIR (default /tmp/leakguard-bench),
# ORG_SIZE (default 200).
#
# Usage: bash benches/org.sh
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${LEAKGUARD_BENCH_DIR:-/tmp/leakguard-bench}
ORG_SIZE=${ORG_SIZE:-200}
if [[ -z ${LEAKGUARD:-} ]]; then
    LEAKGUARD=$REPO_ROOT/target/release/leakguard
    if [[ ! -x $LEAKGUARD && -n ${CARGO_TARGET_DIR:-} ]]; then
        LEAKGUARD=$CARGO_TARGET_DIR/release/leakguard
    fi
fi
log() { printf '[org-bench] %s\n' "$*" >&2; }
[[ -x $LEAKGUARD ]] || { log "no leakguard binary at $LEAKGUARD: build it (cargo build --release --locked --features https) or set LEAKGUARD"; exit 1; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0

DIR=$BENCH_DIR/org-$ORG_SIZE
GIT_ROOT=$DIR/git
if [[ ! -f $DIR/made ]]; then
    log "making $ORG_SIZE repositories in $GIT_ROOT"
    rm -rf "$DIR"
    mkdir -p "$GIT_ROOT/bench" "$DIR/work"
    for i in $(seq -w 1 "$ORG_SIZE"); do
        w=$DIR/work/r$i
        git init -q -b main "$w"
        for c in 1 2 3; do
            printf 'def step_%s():\n    return %s\n' "$c" "$i" > "$w/mod_$c.py"
            if [[ $c == 2 && $((10#$i % 10)) == 0 ]]; then
                # A synthetic Monime token, made here so that this script holds none.
                tok=$(python3 -c "import random,string; r=random.Random($((10#$i))); print('mon_'+''.join(r.choice(string.ascii_letters+string.digits) for _ in range(31)))")
                printf 'MONIME_TOKEN = "%s"\n' "$tok" > "$w/settings.py"
            fi
            git -C "$w" add -A
            GIT_AUTHOR_DATE=2024-01-0${c}T12:00:00Z GIT_COMMITTER_DATE=2024-01-0${c}T12:00:00Z \
                git -C "$w" -c user.name=Bench -c user.email=bench@example.test commit -q -m "step $c"
        done
        git clone -q --bare "$w" "$GIT_ROOT/bench/r$i.git"
    done
    rm -rf "$DIR/work"
    touch "$DIR/made"
fi

cat > "$DIR/server.py" <<'EOF'
import json, os, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

ROOT, SIZE = sys.argv[1], int(sys.argv[2])
NAMES = sorted(os.listdir(os.path.join(ROOT, "bench")))
lock = threading.Lock()
git_requests = 0

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                chunk = self.rfile.read(n + 2)
                if n == 0:
                    return out
                out += chunk[:n]
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        global git_requests
        url = urlsplit(self.path)
        base = "http://%s:%d" % self.server.server_address
        if url.path == "/stats":
            return self.answer(200, [], str(git_requests).encode())
        if url.path == "/api/orgs/bench/repos":
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            items = [{
                "name": n[:-4], "full_name": "bench/" + n[:-4],
                "clone_url": "%s/git/bench/%s" % (base, n),
                "ssh_url": "git@127.0.0.1:bench/%s" % n,
                "fork": False, "archived": False, "pushed_at": "2024-01-03T12:00:00Z",
            } for n in NAMES[(page - 1) * 100:page * 100]]
            headers = [("Content-Type", "application/json")]
            if page * 100 < len(NAMES):
                nxt = "%s/api/orgs/bench/repos?per_page=100&type=all&page=%d" % (base, page + 1)
                headers.append(("Link", '<%s>; rel="next"' % nxt))
            return self.answer(200, headers, json.dumps(items).encode())
        if url.path.startswith("/git/"):
            with lock:
                git_requests += 1
            data = self.body() if method == "POST" else b""
            env = {
                "PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_PROJECT_ROOT": ROOT, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": url.path[4:],
                "QUERY_STRING": url.query, "REQUEST_METHOD": method, "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(data)),
            }
            for h, var in (("Git-Protocol", "HTTP_GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
                if self.headers.get(h):
                    env[var] = self.headers[h]
            out = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True).stdout
            head, _, rest = out.partition(b"\r\n\r\n")
            if not rest and b"\n\n" in out:
                head, _, rest = out.partition(b"\n\n")
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                k, _, v = line.partition(":")
                if k.lower() == "status":
                    status = int(v.split()[0])
                elif k:
                    headers.append((k, v.strip()))
            return self.answer(status, headers, rest)
        self.answer(404, [], b'{"message":"Not Found"}')

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF

OUT=$BENCH_DIR/last-run/org-$ORG_SIZE
rm -rf "$OUT"
mkdir -p "$OUT"
python3 "$DIR/server.py" "$GIT_ROOT" "$ORG_SIZE" > "$OUT/port" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -s $OUT/port ]] && break; sleep 0.1; done
PORT=$(cat "$OUT/port")
API=http://127.0.0.1:$PORT/api
stats() { python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$PORT/stats').read().decode())"; }

run() {  # run NAME: one audit of the organisation; prints its wall time in seconds
    local name=$1 code=0 start end
    start=$(date +%s.%N)
    env -u GITHUB_TOKEN "$LEAKGUARD" audit --github-org bench --api-url "$API" --db "$OUT/audit.db" \
        --clone-dir "$OUT/clones" --quiet > /dev/null 2> "$OUT/$name.stderr" || code=$?
    end=$(date +%s.%N)
    if [[ $code -gt 1 ]]; then
        log "$name: exit $code"; cat "$OUT/$name.stderr" >&2; exit 1
    fi
    python3 -c "print(f'{$end - $start:.2f}')"
}
incidents() { "$LEAKGUARD" report --db "$OUT/audit.db" --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['incidents']))"; }

log "first run: $ORG_SIZE repositories listed, cloned and scanned"
first=$(run first)
after_first=$(stats)
found_first=$(incidents)
log "re-run: nothing pushed"
second=$(run second)
after_second=$(stats)
found_second=$(incidents)

fetches=$((after_second - after_first))
printf 'organisation: %s repositories (%s planted secrets)\n' "$ORG_SIZE" "$((ORG_SIZE / 10))"
printf 'first run:  %s s, %s git requests, %s incidents\n' "$first" "$after_first" "$found_first"
printf 're-run:     %s s, %s git requests, %s incidents (%s of the first)\n' "$second" "$fetches" "$found_second" \
    "$(python3 -c "print(f'{100 * $second / $first:.0f}%')")"
if [[ $fetches != 0 ]]; then
    log "FAIL: the re-run made $fetches git requests (expected none)"; exit 1
fi
if [[ $found_first != "$found_second" || $found_first != $((ORG_SIZE / 10)) ]]; then
    log "FAIL: incidents $found_first then $found_second (expected $((ORG_SIZE / 10)))"; exit 1
fi
log "ok: the re-run fetched nothing"
