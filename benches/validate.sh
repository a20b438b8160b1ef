#!/usr/bin/env bash
# benches/validate.sh - `leakguard scan --validate` of 1,000 distinct secrets against a
# loopback HTTPS mock issuer that takes 50 ms to answer each request, with the default
# concurrency and rate (8 checks at once, 50 a second to one host) against one check at a
# time (`--validation-jobs 1`): wall time, the ratio, and the peak RSS of each.
#
# The mock is Python's http.server behind ssl, with a CA and a certificate for 127.0.0.1 made
# by openssl for the run; `--validation-endpoint`, `--validation-ca` and
# `--allow-internal-ips` point leakguard at it. The secrets match a config rule whose check
# asks the mock; each is distinct, so each is one request (the mock counts them, and the
# script checks the count: 1,000 in each run).
#
# Environment: LEAKGUARD (default target/release/leakguard, which must be built with
# `--features https`), N (secrets, default 1000), LATENCY_MS (default 50).
#
# Usage: cargo build --release --locked --features https && bash benches/validate.sh
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LEAKGUARD=${LEAKGUARD:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/leakguard}
N=${N:-1000}
LATENCY_MS=${LATENCY_MS:-50}
log() { printf '[validate-bench] %s\n' "$*" >&2; }
[[ -x $LEAKGUARD ]] || { log "no leakguard binary at $LEAKGUARD: cargo build --release --locked --features https, or set LEAKGUARD"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time is required (apt-get install time)"; exit 1; }
command -v openssl >/dev/null || { log "openssl is required"; exit 1; }

WORK=$(mktemp -d)
trap 'kill "${MOCK_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A CA, and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=leakguard bench CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$WORK/ext.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
    -CAcreateserial -days 1 -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null

# The mock: every request waits LATENCY_MS, then 200 for tokens ending in an even digit, 401
# for the others; it appends one line per request to requests.log.
cat > "$WORK/mock.py" <<'EOF'
import http.server, ssl, sys, time, threading
latency, cert, key, port_file, log = float(sys.argv[1]) / 1000, sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(latency)
        auth = self.headers.get("Authorization", "")
        live = auth[-1:] in "02468"
        body = b'{"account": "bench"}' if live else b'{}'
        self.send_response(200 if live else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with lock, open(log, "a") as f:
            f.write("x\n")
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(port_file, "w").write(str(srv.server_address[1]))
srv.serve_forever()
EOF
python3 "$WORK/mock.py" "$LATENCY_MS" "$WORK/server.pem" "$WORK/server.key" "$WORK/port" "$WORK/requests.log" &
MOCK_PID=$!
for _ in $(seq 100); do [[ -s $WORK/port ]] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")

# The tree: N distinct secrets, ten to a file, and the config rule that checks them.
mkdir -p "$WORK/tree"
cat > "$WORK/tree/.leakguard.yaml" <<'EOF'
rules:
  - id: benchco-token
    description: Bench token
    severity: high
    keywords: [bench_]
    regex: '\b(bench_[a-z0-9]{28})\b'
    validate:
      provider: benchco
      request:
        url: https://api.benchco.test/v1/me
        headers: {Authorization: 'Bearer {{secret}}'}
      live: {status: [200]}
      inactive: {status: [401]}
      responses:
        live: {status: 200}
        inactive: {status: 401}
EOF
python3 - "$WORK/tree" "$N" <<'EOF'
import hashlib, sys
root, n = sys.argv[1], int(sys.argv[2])
for f in range(0, n, 10):
    with open(f"{root}/s{f // 10}.py", "w") as out:
        for i in range(f, min(f + 10, n)):
            h = hashlib.sha256(str(i).encode()).hexdigest()[:27]
            out.write(f'TOKEN_{i} = "bench_{h}{i % 10}"\n')
EOF

run() {  # run NAME EXTRA...: prints "wall_s rss_kb"
    local name=$1 code=0
    shift
    : > "$WORK/requests.log"
    /usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$LEAKGUARD" scan "$WORK/tree" --quiet \
        --format json -o "$WORK/$name.json" --validate --allow-internal-ips \
        --validation-endpoint "benchco=https://127.0.0.1:$PORT" --validation-ca "$WORK/ca.pem" \
        "$@" 2> "$WORK/$name.stderr" || code=$?
    [[ $code == 1 ]] || { log "$name: exit $code"; cat "$WORK/$name.stderr" >&2; exit 1; }
    local requests
    requests=$(wc -l < "$WORK/requests.log")
    [[ $requests == "$N" ]] || { log "$name: $requests requests, expected $N"; exit 1; }
    python3 - "$WORK/$name.json" "$N" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
v = doc["summary"].get("validation", {})
n = int(sys.argv[2])
assert v.get("live", 0) + v.get("inactive", 0) == n, v
EOF
    grep -v '^Command' "$WORK/$name.time" | tail -1
}

log "mock on 127.0.0.1:$PORT, $N secrets, ${LATENCY_MS} ms a request"
read -r par_s par_kb < <(run default)
read -r seq_s seq_kb < <(run one-at-a-time --validation-jobs 1)
printf '%-26s %9s %12s\n' "run" "wall (s)" "peak RSS (MB)"
printf '%-26s %9s %12.1f\n' "default (8 jobs, 50/s)" "$par_s" "$(echo "$par_kb / 1024" | bc -l)"
printf '%-26s %9s %12.1f\n' "--validation-jobs 1" "$seq_s" "$(echo "$seq_kb / 1024" | bc -l)"
printf 'ratio default / one at a time: %.3f\n' "$(echo "$par_s / $seq_s" | bc -l)"
