#!/usr/bin/env bash
# Runs portico the README way: installs dependencies, builds, starts two demo backends on
# 127.0.0.1:9001 and :9002, then runs portico with examples/quickstart.yaml (listening on
# 127.0.0.1:8080). Try: curl http://127.0.0.1:8080/   Stop with Ctrl-C (or SIGTERM).
# The demo backends are stopped when portico exits.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/build.sh

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
backends=()
portico_pid=""
cleanup() {
  for pid in "${backends[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${backends[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# Ctrl-C / SIGTERM: ask portico for a graceful stop; the EXIT trap then stops the backends.
stop_portico() { [ -n "$portico_pid" ] && kill -TERM "$portico_pid" 2>/dev/null || true; }
trap stop_portico INT TERM

"$PY" scripts/demo_backend.py --port 9001 --name one &
backends+=($!)
"$PY" scripts/demo_backend.py --port 9002 --name two &
backends+=($!)

# Start portico only once both backends accept connections (at most ~5 s).
for port in 9001 9002; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done
echo "demo backends on 127.0.0.1:9001 and 127.0.0.1:9002; portico on 127.0.0.1:8080" >&2
./build/portico run -c examples/quickstart.yaml &
portico_pid=$!
status=0
# `wait` returns early when a trapped signal arrives; keep waiting until portico is gone.
while kill -0 "$portico_pid" 2>/dev/null; do
  wait "$portico_pid" && status=0 || status=$?
done
exit "$status"
