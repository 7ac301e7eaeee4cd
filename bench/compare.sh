#!/usr/bin/env bash
# Compares portico with nginx and HAProxy as reverse proxies on this machine.
#
# A backend nginx (1 worker, CPU 1) answers /small (100 bytes from memory) and /big (100 KB file).
# Each proxy (one worker, pinned to CPU 0) is started in turn in front of it and driven by wrk or
# h2load pinned to CPU 1. Peers are interleaved within each repetition; the median of the
# repetitions is reported per cell. See docs/benchmarks.md for details.
#
# Usage: bench/compare.sh [options]
#   --reps N              repetitions per cell (default 3; use >= 3 for real figures)
#   --duration S          seconds per measured run, W1/W2/W3/W5/W8/W9 (default 10); W4 makes
#                         --w4-rate x S requests instead (h2load cannot time it)
#   --warmup S            seconds of the same load before each measured run (default 1; 0 = none)
#   --idle-conns N        connections for W7 (default 10000)
#   --w4-rate N           W4 requests per second of --duration (default 1000)
#   --workloads LIST      comma-separated subset of W1,W2,W3,W4,W5,W7,W8,W9 (default all, in
#                         the order W1,W2,W3,W4,W5,W9,W7,W8)
#   --proxies LIST        comma-separated subset of portico,nginx,haproxy,floor,floor-uring,
#                         floor-h2 (default portico,nginx,haproxy). floor and floor-uring are
#                         reference 1:1 TCP relays with no HTTP work (bench/lib/floor_relay*.c,
#                         built with gcc into the run directory): the kernel floor of any proxy;
#                         they run W1, W2, W3 and W8 only. floor-h2 (floor_relay_h2.c) is the
#                         least an HTTP/2-over-TLS to HTTP/1.1 keep-alive proxy must do; W5 only.
#   --access-log          access logs on for all proxies (JSON lines to a file); default off for all
#   --syscall-tool T      auto | perf | strace | none (default auto: perf if it works, else strace)
#   --syscall-duration S  seconds of the separate syscall-counting run per cell (default 3)
#   --out PATH            JSON result (default bench/results/latest.json)
#   --portico PATH        portico binary (default build/portico)
#   --keep-tmp            keep the temporary directory (configs, logs, raw outputs)
#   -h, --help
#
# Smoke run while developing (about 2 minutes):
#   bench/compare.sh --duration 2 --reps 1 --idle-conns 2000
# shellcheck disable=SC2015 # "A && B || die" is meant: die when either fails
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIB=$ROOT/bench/lib
PY=/usr/bin/python3

REPS=3
DURATION=10
WARMUP=1
IDLE_CONNS=10000
W4_RATE=1000
WORKLOADS=W1,W2,W3,W4,W5,W9,W7,W8
PROXIES=portico,nginx,haproxy
ACCESS_LOG=0
SYSCALL_TOOL=auto
SYSCALL_DURATION=3
OUT=$ROOT/bench/results/latest.json
PORTICO=$ROOT/build/portico
KEEP_TMP=0

say() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf 'compare.sh: error: %s\n' "$*" >&2
  exit 1
}
usage() {
  sed -n '2,/^# shellcheck/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while (($#)); do
  case $1 in
    --reps) REPS=${2:?--reps needs a value}; shift 2 ;;
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
    --idle-conns) IDLE_CONNS=${2:?--idle-conns needs a value}; shift 2 ;;
    --w4-rate) W4_RATE=${2:?--w4-rate needs a value}; shift 2 ;;
    --workloads) WORKLOADS=${2:?--workloads needs a value}; shift 2 ;;
    --proxies) PROXIES=${2:?--proxies needs a value}; shift 2 ;;
    --access-log) ACCESS_LOG=1; shift ;;
    --syscall-tool) SYSCALL_TOOL=${2:?--syscall-tool needs a value}; shift 2 ;;
    --syscall-duration) SYSCALL_DURATION=${2:?--syscall-duration needs a value}; shift 2 ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    --portico) PORTICO=${2:?--portico needs a value}; shift 2 ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

is_uint "$REPS" && ((REPS >= 1)) || die "--reps must be a positive integer"
is_uint "$DURATION" && ((DURATION >= 1)) || die "--duration must be a positive integer (seconds)"
is_uint "$WARMUP" || die "--warmup must be a non-negative integer (seconds)"
is_uint "$IDLE_CONNS" && ((IDLE_CONNS >= 1)) || die "--idle-conns must be a positive integer"
is_uint "$W4_RATE" && ((W4_RATE >= 1)) || die "--w4-rate must be a positive integer"
is_uint "$SYSCALL_DURATION" && ((SYSCALL_DURATION >= 1)) || die "--syscall-duration must be a positive integer"
case $SYSCALL_TOOL in auto | perf | strace | none) ;; *) die "--syscall-tool must be auto, perf, strace or none" ;; esac
IFS=, read -r -a WL <<<"$WORKLOADS"
IFS=, read -r -a PX <<<"$PROXIES"
for w in "${WL[@]}"; do case $w in W1 | W2 | W3 | W4 | W5 | W7 | W8 | W9) ;; *) die "unknown workload '$w' (W1,W2,W3,W4,W5,W7,W8,W9)" ;; esac; done
for p in "${PX[@]}"; do case $p in portico | nginx | haproxy | floor | floor-uring | floor-h2) ;; *) die "unknown proxy '$p' (portico,nginx,haproxy,floor,floor-uring,floor-h2)" ;; esac; done
((${#WL[@]} > 0)) || die "no workload selected"
((${#PX[@]} > 0)) || die "no proxy selected"
[[ $OUT = /* ]] || OUT=$PWD/$OUT

# ------------------------------------------------------------------------------------------------
# Packages (Debian only; installed when missing, so running twice changes nothing)

ensure_packages() {
  local -A pkg_of=([nginx]=nginx-light [haproxy]=haproxy [wrk]=wrk [h2load]=nghttp2-client
    [perf]=linux-perf [strace]=strace [curl]=curl [taskset]=util-linux [setsid]=util-linux
    [ss]=iproute2 [timeout]=coreutils [openssl]=openssl)
  local missing=() cmd
  for cmd in "${!pkg_of[@]}"; do
    PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
  done
  [[ -x $PY ]] || missing+=(python3)
  # the floor relays are compiled here (gcc; floor-uring also needs liburing's header and
  # library, floor-h2 OpenSSL's and nghttp2's)
  if [[ ",$PROXIES," = *,floor* ]]; then
    command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  fi
  local devs=() dev
  [[ ",$PROXIES," = *,floor-uring,* ]] && devs+=(liburing-dev)
  [[ ",$PROXIES," = *,floor-h2,* ]] && devs+=(libssl-dev libnghttp2-dev)
  for dev in "${devs[@]+"${devs[@]}"}"; do
    dpkg-query -W -f='${Status}' "$dev" 2>/dev/null | grep -q 'install ok installed' || missing+=("$dev")
  done
  ((${#missing[@]} == 0)) && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  ((EUID == 0)) || die "missing packages (${missing[*]}); run as root or: apt-get install ${missing[*]}"
  say "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}
ensure_packages
export PATH=$PATH:/usr/sbin:/sbin

[[ ",$PROXIES," != *,portico,* || -x $PORTICO ]] || die "portico binary not found at $PORTICO (build it: ./scripts/build.sh, or pass --portico)"
(($(nproc) >= 2)) || die "needs at least 2 CPUs (proxy on CPU 0, backend and load generator on CPU 1)"
taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null || die "cannot pin to CPUs 0 and 1 (taskset)"

# ------------------------------------------------------------------------------------------------
# File descriptors: raise the soft limit to the hard limit (children inherit it)

ulimit -Hn 65536 2>/dev/null || true
HARD=$(ulimit -Hn)
[[ $HARD = unlimited ]] && HARD=1048576
ulimit -n "$HARD" || die "cannot raise the open-files limit to $HARD"
NOFILE=$(ulimit -n)
if [[ ",$WORKLOADS," = *,W7,* ]] && ((NOFILE < IDLE_CONNS + 1000)); then
  die "W7 needs an open-files limit of at least $((IDLE_CONNS + 1000)) (hard limit is $NOFILE); use --idle-conns or raise the hard limit"
fi

# ------------------------------------------------------------------------------------------------
# Syscall counting tool

PERF_EVENTS=
if [[ $SYSCALL_TOOL = auto || $SYSCALL_TOOL = perf ]]; then
  if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
    SYSCALL_TOOL=perf
    available=$(perf list --raw-dump tracepoint 2>/dev/null | tr ' ' '\n' | grep '^syscalls:sys_enter_' || true)
    PERF_EVENTS=raw_syscalls:sys_enter
    for s in $($PY "$LIB/benchlib.py" syscall-events | tr , ' '); do
      grep -qx "syscalls:sys_enter_$s" <<<"$available" && PERF_EVENTS+=",syscalls:sys_enter_$s"
    done
  elif [[ $SYSCALL_TOOL = perf ]]; then
    die "perf cannot count raw_syscalls:sys_enter here (try --syscall-tool strace)"
  else
    SYSCALL_TOOL=strace
  fi
fi

# ------------------------------------------------------------------------------------------------
# Temporary directory, process tracking, cleanup

RUN_DIR=$(mktemp -d /tmp/portico-compare.XXXXXX)
chmod 755 "$RUN_DIR" # nginx workers run as nobody and must reach their temp dirs and big.bin
STARTED=()           # pids (= process group ids: started with setsid) of everything we started
FAILED=1

kill_group() { # kill_group PGID: TERM the group, wait up to 10 s, then KILL
  local pg=$1 i
  kill -0 -- "-$pg" 2>/dev/null || return 0
  kill -TERM -- "-$pg" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 -- "-$pg" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pg" 2>/dev/null; then
    say "process group $pg did not stop in 10 s; killing it"
    kill -KILL -- "-$pg" 2>/dev/null || true
  fi
  wait "$pg" 2>/dev/null || true
}

cleanup() {
  local rc=$? pg
  trap - EXIT INT TERM
  for pg in "${STARTED[@]}"; do kill_group "$pg"; done
  if ((FAILED == 0 && KEEP_TMP == 0)); then
    rm -rf "$RUN_DIR"
  else
    echo "compare.sh: temporary files kept in $RUN_DIR" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bg CPU OUTFILE ERRFILE CMD...: runs CMD in its own session pinned to CPU; sets BG_PID.
start_bg() {
  local cpu=$1 out=$2 err=$3
  shift 3
  setsid taskset -c "$cpu" "$@" >"$out" 2>"$err" </dev/null &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

forget() { # forget PID: drop it from STARTED after it was stopped
  local p keep=()
  for p in "${STARTED[@]}"; do [[ $p = "$1" ]] || keep+=("$p"); done
  STARTED=("${keep[@]+"${keep[@]}"}")
}

free_port() { $PY "$LIB/benchlib.py" ports 1; }

# wait_http NAME PID URL: wait (10 s) until URL answers 200 while PID is alive.
wait_http() {
  local name=$1 pid=$2 url=$3 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || {
      tail -n 20 "$RUN_DIR/$name"/*.log >&2 2>/dev/null || true
      die "$name exited during startup (logs above, in $RUN_DIR/$name)"
    }
    if [[ $(curl -sk -o /dev/null --max-time 1 -w '%{http_code}' "$url" 2>/dev/null) = 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$RUN_DIR/$name"/*.log >&2 2>/dev/null || true
  die "$name did not answer 200 on $url within 10 s"
}

# check_owner PORT PIDS NAME: the listening socket on PORT must belong to PIDS only.
check_owner() {
  local port=$1 pids=$2 name=$3 owners p
  owners=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)
  for p in $owners; do
    [[ ,$pids, = *,$p,* ]] || die "port $port of $name is also bound by foreign pid $p"
  done
}

# ------------------------------------------------------------------------------------------------
# Backend

SMALL_BODY=$(printf 'portico-bench small object: 0123456789abcdefghijklmnopqrstuvwxyz%*s' 100 '' | tr ' ' 'x' | head -c 100)
mkdir -p "$RUN_DIR/www" "$RUN_DIR/backend"
$PY -c 'import random,sys; r=random.Random(42); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(102400)))' >"$RUN_DIR/www/big.bin"
chmod 644 "$RUN_DIR/www/big.bin"
printf '%s' "$SMALL_BODY" >"$RUN_DIR/www/small.expected"

BACKEND_PORT=$(free_port)
$PY "$LIB/benchlib.py" render "$LIB/backend-nginx.conf.in" "$RUN_DIR/backend/nginx.conf" \
  "DIR=$RUN_DIR" "PORT=$BACKEND_PORT" "NOFILE=$NOFILE" "SMALL_BODY=$SMALL_BODY"
start_bg 1 "$RUN_DIR/backend/stdout.log" "$RUN_DIR/backend/stderr.log" \
  nginx -p "$RUN_DIR/backend/" -c "$RUN_DIR/backend/nginx.conf"
BACKEND_PID=$BG_PID
BACKEND=http://127.0.0.1:$BACKEND_PORT
wait_http backend "$BACKEND_PID" "$BACKEND/small"
curl -sf --max-time 5 -o "$RUN_DIR/www/small.backend" "$BACKEND/small" || die "backend /small failed"
curl -sf --max-time 5 -o "$RUN_DIR/www/big.backend" "$BACKEND/big" || die "backend /big failed"
cmp -s "$RUN_DIR/www/small.backend" "$RUN_DIR/www/small.expected" || die "backend /small body is not the expected 100 bytes"
cmp -s "$RUN_DIR/www/big.backend" "$RUN_DIR/www/big.bin" || die "backend /big body differs from the file"
say "backend nginx pid $BACKEND_PID on $BACKEND (CPU 1); run dir $RUN_DIR"

# TLS for W4/W5/W9: one self-signed ECDSA P-256 certificate for all three proxies (HAProxy wants
# certificate and key in one file).
mkdir -p "$RUN_DIR/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$RUN_DIR/tls/key.pem" -out "$RUN_DIR/tls/cert.pem" \
  >/dev/null 2>&1 || die "openssl could not make the ECDSA P-256 test certificate"
cat "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem" >"$RUN_DIR/tls/combined.pem"
chmod 644 "$RUN_DIR/tls/"*.pem

# mode_of W: how the proxy's listener is set up for W: plain (HTTP/1.1), tls (HTTPS, HTTP/1.1
# only) or h2 (HTTPS with ALPN h2 and http/1.1).
mode_of() {
  case $1 in
    W4 | W9) echo tls ;;
    W5) echo h2 ;;
    *) echo plain ;;
  esac
}

# fits PROXY W: whether PROXY runs workload W. floor and floor-uring are plain TCP relays: no TLS
# (W4, W5, W9), and no W7 (a 1:1 relay holds one backend connection per client connection, more than
# the backend's 4096, and its per-connection state is kernel socket memory that PSS does not
# show). floor-h2 speaks HTTP/2 over TLS only: W5.
fits() {
  case $1:$2 in
    floor:W1 | floor:W2 | floor:W3 | floor:W8 | floor-uring:W1 | floor-uring:W2 | floor-uring:W3 | floor-uring:W8) return 0 ;;
    floor-h2:W5) return 0 ;;
    floor*:*) return 1 ;;
  esac
  return 0
}

# speaks PROXY MODE: whether PROXY can be started in MODE (see mode_of)
speaks() {
  case $1:$2 in
    floor:plain | floor-uring:plain | floor-h2:h2) return 0 ;;
    floor*:*) return 1 ;;
  esac
  return 0
}

# skip_reason PROXY W: why the floor relay PROXY skips W
skip_reason() {
  case $1:$2 in
    floor-h2:*) echo "HTTP/1.1: the h2 floor relay only speaks HTTP/2 over TLS" ;;
    *:W4 | *:W5 | *:W9) echo "TLS: the 1:1 floor relays do not terminate TLS" ;;
    *:W7) echo "a 1:1 relay holds a backend connection per idle client connection (beyond the backend's 4096) and its per-connection cost is kernel socket memory that PSS does not show" ;;
  esac
}

# ------------------------------------------------------------------------------------------------
# Proxies

# floor_bin NAME: the floor relay's binary in the run directory, compiled on first use.
floor_bin() {
  local name=$1 src bin=$RUN_DIR/bin/$1 libs=()
  case $name in
    floor) src=$LIB/floor_relay.c ;;
    floor-uring) src=$LIB/floor_relay_uring.c libs=(-luring) ;;
    floor-h2) src=$LIB/floor_relay_h2.c libs=(-lssl -lcrypto -lnghttp2) ;;
  esac
  if [[ ! -x $bin ]]; then
    mkdir -p "$RUN_DIR/bin"
    gcc -O2 -Wall -o "$bin" "$src" "${libs[@]+"${libs[@]}"}" >"$RUN_DIR/bin/$name.gcc.log" 2>&1 ||
      die "gcc could not build $name from $src: $(cat "$RUN_DIR/bin/$name.gcc.log")"
    echo "gcc -O2 -Wall -o $name ${src#"$ROOT"/}${libs[*]:+ ${libs[*]}}" >>"$RUN_DIR/bin/build.txt"
  fi
  echo "$bin"
}

# start_proxy NAME [MODE]: sets PROXY_PID, PROXY_PORT, PROXY_URL, PROXY_PIDS (all its
# processes). MODE (see mode_of) defaults to plain.
start_proxy() {
  local name=$1 mode=${2:-plain} dir=$RUN_DIR/$1 flags=() listen_opts="" bind_opts="" scheme=http
  # idle upstream connections kept (nginx keepalive, portico max_idle): W5 has 160 streams in
  # flight, more than 128, which would make nginx and portico reconnect all the time
  local keepalive=128
  mkdir -p "$dir"
  rm -f "$dir"/access.log
  PROXY_PORT=$(free_port)
  ((ACCESS_LOG)) && flags+=(ACCESS_LOG)
  case $mode in
    tls)
      flags+=(TLS) scheme=https listen_opts=" ssl"
      bind_opts=" ssl crt $RUN_DIR/tls/combined.pem alpn http/1.1 no-tls-tickets"
      ;;
    h2)
      flags+=(TLS H2) scheme=https listen_opts=" ssl http2" keepalive=256
      bind_opts=" ssl crt $RUN_DIR/tls/combined.pem alpn h2,http/1.1 no-tls-tickets"
      ;;
  esac
  case $name in
    portico)
      $PY "$LIB/benchlib.py" render "$LIB/proxy-portico.yaml.in" "$dir/portico.yaml" \
        "DIR=$RUN_DIR" "PORT=$PROXY_PORT" "BACKEND_PORT=$BACKEND_PORT" "KEEPALIVE=$keepalive" \
        "${flags[@]+"${flags[@]}"}"
      "$PORTICO" check -c "$dir/portico.yaml" >"$dir/check.log" 2>&1 ||
        die "portico rejects its config: $(cat "$dir/check.log")"
      start_bg 0 "$dir/stdout.log" "$dir/stderr.log" "$PORTICO" run -c "$dir/portico.yaml"
      ;;
    nginx)
      $PY "$LIB/benchlib.py" render "$LIB/proxy-nginx.conf.in" "$dir/nginx.conf" \
        "DIR=$RUN_DIR" "PORT=$PROXY_PORT" "BACKEND_PORT=$BACKEND_PORT" "NOFILE=$NOFILE" \
        "LISTEN_OPTS=$listen_opts" "KEEPALIVE=$keepalive" "${flags[@]+"${flags[@]}"}"
      start_bg 0 "$dir/stdout.log" "$dir/stderr.log" nginx -p "$dir/" -c "$dir/nginx.conf"
      ;;
    haproxy)
      $PY "$LIB/benchlib.py" render "$LIB/proxy-haproxy.cfg.in" "$dir/haproxy.cfg" \
        "PORT=$PROXY_PORT" "BACKEND_PORT=$BACKEND_PORT" "BIND_OPTS=$bind_opts" "${flags[@]+"${flags[@]}"}"
      haproxy -c -q -f "$dir/haproxy.cfg" >"$dir/check.log" 2>&1 ||
        die "haproxy rejects its config: $(cat "$dir/check.log")"
      # -db: foreground, no master; with --access-log the JSON lines go to stdout = access.log
      local out=$dir/stdout.log
      ((ACCESS_LOG)) && out=$dir/access.log
      start_bg 0 "$out" "$dir/stderr.log" haproxy -db -f "$dir/haproxy.cfg"
      ;;
    floor | floor-uring)
      [[ $mode = plain ]] || die "$name relays plain TCP only, not $mode"
      local bin
      bin=$(floor_bin "$name")
      start_bg 0 "$dir/stdout.log" "$dir/stderr.log" "$bin" "$PROXY_PORT" "$BACKEND_PORT"
      ;;
    floor-h2)
      [[ $mode = h2 ]] || die "$name speaks HTTP/2 over TLS only, not $mode"
      local bin
      bin=$(floor_bin "$name")
      start_bg 0 "$dir/stdout.log" "$dir/stderr.log" "$bin" "$PROXY_PORT" "$BACKEND_PORT" \
        "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem"
      ;;
  esac
  PROXY_PID=$BG_PID
  PROXY_URL=$scheme://127.0.0.1:$PROXY_PORT
  wait_http "$name" "$PROXY_PID" "$PROXY_URL/small"
  PROXY_PIDS=$($PY "$LIB/benchlib.py" tree "$PROXY_PID")
  check_owner "$PROXY_PORT" "$PROXY_PIDS" "$name"
}

# stop_proxy NAME: fails if the proxy died while it was measured.
stop_proxy() {
  local name=$1
  kill -0 "$PROXY_PID" 2>/dev/null || {
    tail -n 20 "$RUN_DIR/$name"/*.log >&2 2>/dev/null || true
    die "$name (pid $PROXY_PID) died during the measurement"
  }
  kill_group "$PROXY_PID"
  forget "$PROXY_PID"
}

verify_bytes() { # verify_bytes NAME MODE: fetch /small and /big through the proxy; must equal
  # the backend's bodies, over the protocol MODE wants (HTTP/2 for h2)
  local name=$1 mode=$2 f want=1.1 opts=(--http1.1) got code
  [[ $mode = h2 ]] && want=2 opts=(--http2)
  for f in small big; do
    curl -sk "${opts[@]}" --max-time 10 -o "$RUN_DIR/$name/$f.body" -w '%{http_code} %{http_version}\n' "$PROXY_URL/$f" >"$RUN_DIR/$name/$f.code" ||
      die "$name: fetching /$f ($mode) failed"
    read -r code got <"$RUN_DIR/$name/$f.code"
    [[ $code = 200 ]] || die "$name: /$f ($mode) answered $code, not 200"
    [[ $got = "$want" ]] || die "$name: /$f ($mode) was served over HTTP/$got, not HTTP/$want"
    cmp -s "$RUN_DIR/$name/$f.body" "$RUN_DIR/www/$f.backend" ||
      die "$name: body of /$f differs from the backend's ($(stat -c %s "$RUN_DIR/$name/$f.body") vs $(stat -c %s "$RUN_DIR/www/$f.backend") bytes); aborting"
  done
}

check_access_log() { # with --access-log: the proxy must have written JSON lines for our requests
  local name=$1 f=$RUN_DIR/$1/access.log
  [[ -s $f ]] || die "$name: --access-log is on but $f is empty"
  $PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' "$f" 2>/dev/null ||
    die "$name: access log $f is not JSON lines: $(head -n1 "$f")"
  tail -n1 "$f" >"$RUN_DIR/$name/access.sample"
}

# check_tls NAME: TLS modes: openssl s_client, offering OpenSSL's defaults (what wrk offers in
# W9), must get TLS 1.3, and a second handshake with the first one's session must be a full one.
# Sets TLS_SEEN to what it got ("TLSv1.3, Cipher is ...").
check_tls() {
  local name=$1 out
  out=$(timeout 20 openssl s_client -connect "127.0.0.1:$PROXY_PORT" -servername localhost -reconnect \
    </dev/null 2>/dev/null) || true
  grep -q '^New, ' <<<"$out" || die "$name: openssl s_client could not handshake with it"
  if grep -q '^Reused, ' <<<"$out"; then die "$name: resumed a TLS session; W4 wants full handshakes"; fi
  TLS_SEEN=$(grep -m1 '^New, ' <<<"$out" | sed 's/^New, //')
  [[ $TLS_SEEN = TLSv1.3,* ]] || die "$name: openssl s_client negotiated $TLS_SEEN, not TLS 1.3"
}

# wrk_tls: W9's client is wrk, which reports no TLS details: check once, against openssl s_server
# on CPU 1, that it negotiates TLS 1.3; WRK_TLS notes the protocol and cipher. (wrk sends no ALPN:
# the proxies' listeners then speak HTTP/1.1, the only protocol they offer in mode tls.)
WRK_TLS=n/a
wrk_tls() {
  local port out=$RUN_DIR/tls/wrk-probe.out spid i proto cipher
  port=$(free_port)
  # s_server shuts a connection down when its stdin ends: keep stdin open. wrk first tests the
  # address with a bare connect, hence 2 connections.
  # shellcheck disable=SC2016 # $1..$3 are the inner shell's arguments
  start_bg 1 "$out" "$out.err" bash -c 'sleep 60 | exec openssl s_server -accept "127.0.0.1:$1" \
    -cert "$2" -key "$3" -brief -naccept 2' _ "$port" "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem"
  spid=$BG_PID
  for ((i = 0; i < 100; i++)); do
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]] && break
    sleep 0.1
  done
  timeout 20 taskset -c 1 wrk -t1 -c1 -d1s --timeout 1s "https://127.0.0.1:$port/" >"$out.wrk" 2>&1 || true
  for ((i = 0; i < 50; i++)); do
    grep -q '^GET / HTTP/1.1' "$out" 2>/dev/null && break
    sleep 0.1
  done
  kill_group "$spid"
  forget "$spid"
  # s_server writes what it received to stdout, the connection's parameters to stderr
  proto=$(sed -n 's/^Protocol version: //p' "$out.err" | head -n1)
  cipher=$(sed -n 's/^Ciphersuite: //p' "$out.err" | head -n1)
  [[ $proto = TLSv1.3 ]] || die "wrk negotiated '${proto:-nothing}' with openssl s_server, not TLSv1.3 (W9 wants TLS 1.3); see $out.err"
  WRK_TLS="$proto, $cipher"
  say "wrk (W9's client) against openssl s_server: $WRK_TLS"
}
if [[ ",$WORKLOADS," = *,W9,* ]]; then wrk_tls; fi

MODES=()
for w in "${WL[@]}"; do
  m=$(mode_of "$w")
  [[ " ${MODES[*]-} " = *" $m "* ]] || MODES+=("$m")
done
for m in "${MODES[@]}"; do
  for p in "${PX[@]}"; do
    speaks "$p" "$m" || continue
    start_proxy "$p" "$m"
    verify_bytes "$p" "$m"
    TLS_SEEN=
    [[ $m = plain ]] || check_tls "$p"
    stop_proxy "$p"
    if ((ACCESS_LOG)); then
      check_access_log "$p"
      say "$p access log line: $(cat "$RUN_DIR/$p/access.sample")"
    fi
    say "$p returns the backend's bytes for /small and /big ($m)${TLS_SEEN:+; s_client got $TLS_SEEN}"
  done
done

# ------------------------------------------------------------------------------------------------
# Load generation

# client_cmd W DURATION URL LOGFILE: prints the client command line (NUL-separated) for W.
client_cmd() {
  local w=$1 d=$2 url=$3 log=$4
  case $w in
    W1) printf '%s\0' wrk -t1 -c64 "-d${d}s" --latency "$url/small" ;;
    W2) printf '%s\0' wrk -t1 -c16 "-d${d}s" --latency "$url/big" ;;
    W3) printf '%s\0' wrk -t1 -c16 "-d${d}s" --latency -H 'Connection: close' "$url/small" ;;
    # h2load hangs at the end of a timed (-D) run when the server closes connections, so W4
    # makes a number of requests: one TLS connection (full handshake) each.
    W4) printf '%s\0' h2load --h1 -t1 -c16 -n $((W4_RATE * d)) -H 'Connection: close' "$url/small" ;;
    W5) printf '%s\0' h2load -t1 -c16 -m10 -D "$d" "$url/small" ;;
    # W1 over TLS (url is https://): wrk negotiates TLS 1.3, sends no ALPN (checked: wrk_tls)
    W9) printf '%s\0' wrk -t1 -c64 "-d${d}s" --latency "$url/small" ;;
    W8) printf '%s\0' h2load --h1 -t1 -c64 --rps=50 -D "$d" --log-file="$log" "$url/small" ;;
  esac
}
client_kind() { case $1 in W4 | W5 | W8) echo h2load ;; *) echo wrk ;; esac; }

# expect_args W: what h2load must report for W (TLS version and application protocol)
expect_args() {
  case $1 in
    W4) printf '%s\n' --expect-tls TLSv1.3 --expect-alpn http/1.1 ;;
    W5) printf '%s\n' --expect-tls TLSv1.3 --expect-alpn h2 ;;
  esac
}

# run_client W DURATION URL OUTFILE LOGFILE [PREFIX...]: runs the client on CPU 1 with a timeout.
run_client() {
  local w=$1 d=$2 url=$3 out=$4 log=$5
  shift 5
  local cmd
  mapfile -d '' -t cmd < <(client_cmd "$w" "$d" "$url" "$log")
  local limit=$((d + 60))
  [[ $w = W4 ]] && limit=$((3 * d + 60)) # a request count, not a duration
  if ! timeout -k 5 "$limit" "$@" taskset -c 1 "${cmd[@]}" >"$out" 2>&1; then
    cat "$out" >&2
    die "$w client failed: ${cmd[*]}"
  fi
}

warmup() { # warmup W URL
  ((WARMUP > 0)) || return 0
  local w=$1 url=$2
  # W8's warm-up uses the W1 client at full speed: it only has to fill pools and caches.
  [[ $w = W8 ]] && w=W1
  run_client "$w" "$WARMUP" "$url" "$RUN_DIR/warmup.out" "$RUN_DIR/warmup.log"
}

RECORDS=$RUN_DIR/records.jsonl
: >"$RECORDS"

access_log_lines() { # lines in the proxy's access log (0 when logging is off)
  local f=$RUN_DIR/$1/access.log
  [[ -f $f ]] && wc -l <"$f" || echo 0
}

measure_load() { # measure_load W PROXY REP
  local w=$1 p=$2 rep=$3 cpu0 cpu1 pids_after out log lines0 rec
  out=$RUN_DIR/$w-$p-$rep.out
  log=$RUN_DIR/$w-$p-$rep.h2load.log
  start_proxy "$p" "$(mode_of "$w")"
  warmup "$w" "$PROXY_URL"
  lines0=$(access_log_lines "$p")
  cpu0=$($PY "$LIB/benchlib.py" cpu "$PROXY_PIDS")
  run_client "$w" "$DURATION" "$PROXY_URL" "$out" "$log"
  cpu1=$($PY "$LIB/benchlib.py" cpu "$PROXY_PIDS")
  pids_after=$($PY "$LIB/benchlib.py" tree "$PROXY_PID")
  [[ $pids_after = "$PROXY_PIDS" ]] || die "$p: its processes changed during $w ($PROXY_PIDS -> $pids_after)"
  stop_proxy "$p" # before counting log lines: a proxy may buffer its log until it stops
  local extra=()
  mapfile -t extra < <(expect_args "$w")
  ((ACCESS_LOG)) && extra+=(--access-log-lines $(($(access_log_lines "$p") - lines0)))
  rec=$($PY "$LIB/benchlib.py" record --kind load --workload "$w" --proxy "$p" --rep "$rep" \
    --client "$(client_kind "$w")" --client-out "$out" --h2load-log "$log" --cpu0 "$cpu0" --cpu1 "$cpu1" \
    "${extra[@]+"${extra[@]}"}")
  echo "$rec" >>"$RECORDS"
  rm -f "$log" "$RUN_DIR/$p/access.log"
  $PY -c 'import json,sys; r=json.loads(sys.argv[1]); l=r.get("latency_us",{}); print("%-3s rep %s %-8s %7.2f us/req (user %.2f sys %.2f)  %8.0f req/s  p99 %s us  errors %d%s" % (r["workload"], r["rep"], r["proxy"], r["cpu_us_per_req"], r["cpu_user_us_per_req"], r["cpu_sys_us_per_req"], r.get("rps") or 0, int(l["p99"]) if "p99" in l else "-", r.get("non2xx",0)+r.get("socket_errors",0)+r.get("failed",0), ("  %s %s" % (r["tls_protocol"], r.get("application_protocol"))) if "tls_protocol" in r else ""))' "$rec" >&2
}

measure_syscalls() { # measure_syscalls W PROXY
  local w=$1 p=$2 out log sout rec spid
  out=$RUN_DIR/$w-$p-sys.out
  log=$RUN_DIR/$w-$p-sys.h2load.log
  sout=$RUN_DIR/$w-$p-sys.counts
  start_proxy "$p" "$(mode_of "$w")"
  warmup "$w" "$PROXY_URL"
  if [[ $SYSCALL_TOOL = perf ]]; then
    # perf counts the proxy's processes (all threads) exactly while the client runs.
    run_client "$w" "$SYSCALL_DURATION" "$PROXY_URL" "$out" "$log" \
      taskset -c 1 perf stat -x, -o "$sout" -e "$PERF_EVENTS" -p "$PROXY_PIDS" --
    rec=$($PY "$LIB/benchlib.py" record --kind syscalls --workload "$w" --proxy "$p" \
      --client "$(client_kind "$w")" --client-out "$out" --h2load-log "$log" --perf-out "$sout")
  else
    local sargs=() q
    for q in ${PROXY_PIDS//,/ }; do sargs+=(-p "$q"); done
    start_bg 1 /dev/null "$RUN_DIR/$w-$p-strace.err" strace -c -f -o "$sout" "${sargs[@]}"
    spid=$BG_PID
    sleep 1 # let strace attach to every thread
    run_client "$w" "$SYSCALL_DURATION" "$PROXY_URL" "$out" "$log"
    kill -INT "$spid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
    kill_group "$spid"
    forget "$spid"
    [[ -s $sout ]] || die "strace wrote no summary for $w/$p"
    rec=$($PY "$LIB/benchlib.py" record --kind syscalls --workload "$w" --proxy "$p" \
      --client "$(client_kind "$w")" --client-out "$out" --h2load-log "$log" --strace-out "$sout")
  fi
  stop_proxy "$p"
  echo "$rec" >>"$RECORDS"
  rm -f "$log" "$RUN_DIR/$p/access.log"
  $PY -c 'import json,sys; r=json.loads(sys.argv[1]); q=r["per_req"]; print("%-3s syscalls %-8s %6.2f/req, data %5.2f/req, epoll_ctl %.3f getsockopt %.3f clock_gettime %.3f" % (r["workload"], r["proxy"], r["syscalls_per_req"], r["data_syscalls_per_req"], q.get("epoll_ctl",0), q.get("getsockopt",0), q.get("clock_gettime",0)))' "$rec" >&2
}

measure_memory() { # measure_memory PROXY REP: W7
  local p=$1 rep=$2 pss0 pss1 ready ok bad est i cpid rec
  start_proxy "$p"
  curl -s -o /dev/null --max-time 5 "$PROXY_URL/small" || true
  curl -s -o /dev/null --max-time 5 "$PROXY_URL/big" || true
  sleep 0.5
  pss0=$($PY "$LIB/benchlib.py" pss "$PROXY_PIDS")
  ready=$RUN_DIR/W7-$p-$rep.ready
  rm -f "$ready"
  start_bg 1 "$RUN_DIR/W7-$p-$rep.out" "$RUN_DIR/W7-$p-$rep.err" \
    "$PY" "$LIB/idle_conns.py" --port "$PROXY_PORT" --path /small -n "$IDLE_CONNS" \
    --setup-timeout 120 --hold 300 --ready-file "$ready"
  cpid=$BG_PID
  for ((i = 0; i < 1300; i++)); do
    [[ -s $ready ]] && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $ready ]] || { cat "$RUN_DIR/W7-$p-$rep.err" >&2; die "W7 $p: idle connection client did not get ready in 130 s"; }
  read -r _ ok bad <"$ready"
  ((ok == IDLE_CONNS)) || { cat "$RUN_DIR/W7-$p-$rep.err" >&2; die "W7 $p: only $ok of $IDLE_CONNS connections succeeded ($bad failed)"; }
  sleep 1
  pss1=$($PY "$LIB/benchlib.py" pss "$PROXY_PIDS")
  est=$(ss -Htn state established "( sport = :$PROXY_PORT )" 2>/dev/null | wc -l)
  kill_group "$cpid"
  forget "$cpid"
  rec=$($PY "$LIB/benchlib.py" record --kind memory --workload W7 --proxy "$p" --rep "$rep" \
    --pss0 "$pss0" --pss1 "$pss1" --conns "$IDLE_CONNS" --established "$est")
  stop_proxy "$p"
  echo "$rec" >>"$RECORDS"
  $PY -c 'import json,sys; r=json.loads(sys.argv[1]); print("W7  rep %s %-8s PSS %d -> %d kB: %.0f B/conn (%d established)" % (r["rep"], r["proxy"], r["pss_before_kb"], r["pss_after_kb"], r["bytes_per_conn"], r["established"]))' "$rec" >&2
}

# ------------------------------------------------------------------------------------------------
# Run: for each workload, for each repetition, every proxy in turn; then the syscall runs.

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "workloads ${WL[*]}, proxies ${PX[*]}, $REPS rep(s) of ${DURATION}s, access logs $( ((ACCESS_LOG)) && echo on || echo off), syscalls via $SYSCALL_TOOL"
for w in "${WL[@]}"; do
  for p in "${PX[@]}"; do
    if ! fits "$p" "$w"; then say "$p: skipped for $w ($(skip_reason "$p" "$w"))"; fi
  done
  for ((rep = 1; rep <= REPS; rep++)); do
    for p in "${PX[@]}"; do
      fits "$p" "$w" || continue
      if [[ $w = W7 ]]; then measure_memory "$p" "$rep"; else measure_load "$w" "$p" "$rep"; fi
    done
  done
  if [[ $w != W7 && $SYSCALL_TOOL != none ]]; then
    for p in "${PX[@]}"; do
      if fits "$p" "$w"; then measure_syscalls "$w" "$p"; fi
    done
  fi
done

# ------------------------------------------------------------------------------------------------
# Report

META=$RUN_DIR/meta.json
V_GCC=n/a V_LIBURING=n/a V_LIBSSL=n/a V_LIBNGHTTP2=n/a # the floor relays' compiler and libraries, when built
[[ -f $RUN_DIR/bin/build.txt ]] && V_GCC=$(gcc --version 2>&1 | head -n1)
[[ -x $RUN_DIR/bin/floor-uring ]] && V_LIBURING=$(dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null || echo n/a)
if [[ -x $RUN_DIR/bin/floor-h2 ]]; then
  V_LIBSSL=$(dpkg-query -W -f='${Version}' libssl-dev 2>/dev/null || echo n/a)
  V_LIBNGHTTP2=$(dpkg-query -W -f='${Version}' libnghttp2-dev 2>/dev/null || echo n/a)
fi
START_DATE=$START_DATE LOAD_BEFORE=$LOAD_BEFORE LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg) \
  REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP IDLE_CONNS=$IDLE_CONNS ACCESS_LOG=$ACCESS_LOG W4_RATE=$W4_RATE \
  SYSCALL_TOOL=$SYSCALL_TOOL SYSCALL_DURATION=$SYSCALL_DURATION RUN_DIR=$RUN_DIR NOFILE=$NOFILE \
  WRK_TLS="$WRK_TLS" \
  V_PORTICO="$( [[ -x $PORTICO ]] && "$PORTICO" --version 2>&1 | head -n1 || echo n/a)" V_NGINX="$(nginx -v 2>&1 | head -n1)" \
  V_HAPROXY="$(haproxy -v 2>&1 | head -n1)" V_WRK="$(wrk -v 2>&1 | head -n1)" \
  V_H2LOAD="$(h2load --version 2>&1 | head -n1)" V_KERNEL="$(uname -r)" \
  V_GCC="$V_GCC" V_LIBURING="$V_LIBURING" V_LIBSSL="$V_LIBSSL" V_LIBNGHTTP2="$V_LIBNGHTTP2" \
  V_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
  PORTICO_BIN=$PORTICO PORTICO_SHA="$( [[ -f $PORTICO ]] && sha256sum "$PORTICO" | cut -c1-16 || echo n/a)" \
  GIT_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo n/a)" \
  GIT_DIRTY="$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l)" \
  $PY - "$META" <<'EOF'
import json, os, sys
e = os.environ
d = e["RUN_DIR"]
configs = {}
for name, rel in [("backend", "backend/nginx.conf"), ("portico", "portico/portico.yaml"),
                  ("nginx", "nginx/nginx.conf"), ("haproxy", "haproxy/haproxy.cfg"),
                  ("floor_build", "bin/build.txt")]:
    p = os.path.join(d, rel)
    if os.path.exists(p):
        configs[name] = open(p).read()
meta = {
    "date": e["START_DATE"], "duration": int(e["DURATION"]), "reps": int(e["REPS"]),
    "warmup": int(e["WARMUP"]), "idle_conns": int(e["IDLE_CONNS"]), "access_log": e["ACCESS_LOG"] == "1",
    "w4_requests": int(e["W4_RATE"]) * int(e["DURATION"]),
    "w9_client_tls": e["WRK_TLS"],
    "syscall_tool": e["SYSCALL_TOOL"], "syscall_duration": int(e["SYSCALL_DURATION"]),
    "nofile": int(e["NOFILE"]), "loadavg_before": e["LOAD_BEFORE"], "loadavg_after": e["LOAD_AFTER"],
    "versions": {"portico": e["V_PORTICO"], "nginx": e["V_NGINX"], "haproxy": e["V_HAPROXY"],
                 "wrk": e["V_WRK"], "h2load": e["V_H2LOAD"], "kernel": e["V_KERNEL"], "cpu": e["V_CPU"]},
    "floor_versions": {"gcc": e["V_GCC"], "liburing-dev": e["V_LIBURING"],
                       "libssl-dev": e["V_LIBSSL"], "libnghttp2-dev": e["V_LIBNGHTTP2"]},
    "portico_binary": e["PORTICO_BIN"], "portico_sha256_prefix": e["PORTICO_SHA"],
    "git_commit": e["GIT_COMMIT"], "git_modified_files": int(e["GIT_DIRTY"] or 0),
    "layout": "proxy on CPU 0 (taskset -c 0, one worker); backend nginx and load generator on CPU 1",
    "configs": configs,
}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
echo
$PY "$LIB/benchlib.py" report "$RECORDS" "$OUT" "$META"
echo
say "JSON result written to $OUT"
FAILED=0
