#!/usr/bin/env bash
# Runs portico the README way: installs dependencies, builds, starts two demo backends on
# 127.0.0.1:9001 and :9002, then runs portico with examples/quickstart.yaml (listening on
# 127.0.0.1:8080). Try: curl http://127.0.0.1:8080/   Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/build.sh

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$PY" scripts/demo_backend.py --port 9001 --name one &
pids+=($!)
"$PY" scripts/demo_backend.py --port 9002 --name two &
pids+=($!)

echo "demo backends on 127.0.0.1:9001 and 127.0.0.1:9002; portico on 127.0.0.1:8080" >&2
# Not exec: the EXIT trap must run after portico stops, to kill the backends.
status=0
./build/portico run -c examples/quickstart.yaml || status=$?
exit "$status"
