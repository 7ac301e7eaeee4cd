#!/usr/bin/python3
"""Helpers for bench/compare.sh: ports, /proc readings, output parsers, the final report.

Subcommands (all print to stdout):
  ports N                      N free TCP ports on 127.0.0.1 (outside the ephemeral range)
  tree PID                     PID and all its descendants, comma-separated
  cpu PIDS                     "utime_ticks stime_ticks" summed over the comma-separated PIDS
  pss PIDS                     sum of Pss (kB) from /proc/PID/smaps_rollup over PIDS
  record [options]             one JSON line describing a measured run (see cmd_record)
  report RECORDS OUT [META]     median per cell, table on stdout, JSON to OUT
  render TEMPLATE OUT [FLAG|KEY=VALUE]...
                               config from a template: @KEY@ is replaced by VALUE; a line whose
                               text starts with @?FLAG@ is kept (marker removed) only if FLAG was
                               given, one starting with @!FLAG@ only if it was not
"""
import json
import math
import os
import random
import re
import socket
import statistics
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")

# Syscalls that move request/response bytes.
DATA_SYSCALLS = ["read", "write", "readv", "writev", "sendmsg", "recvmsg", "sendto", "recvfrom",
                 "sendmmsg", "recvmmsg", "splice", "sendfile64"]
# Syscalls the issue wants at 0 per request for portico.
ZERO_SYSCALLS = ["epoll_ctl", "getsockopt", "clock_gettime"]
# Further syscalls counted (reported in the JSON only).
OTHER_SYSCALLS = ["epoll_wait", "epoll_pwait", "epoll_pwait2", "accept", "accept4", "connect",
                  "close", "shutdown", "setsockopt", "socket", "futex", "io_uring_enter", "openat",
                  "fstat", "newfstatat", "lseek", "pread64", "pwrite64", "gettimeofday", "timerfd_settime",
                  "ioctl", "fcntl"]
ALL_SYSCALLS = DATA_SYSCALLS + ZERO_SYSCALLS + OTHER_SYSCALLS


def die(msg):
    print(f"benchlib: {msg}", file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------- ports / processes

def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
            return int(lo), int(hi)
    except OSError:
        return 32768, 60999


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # No SO_REUSEADDR: fails if anything (listener, connection, TIME_WAIT) holds the port.
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def cmd_ports(n):
    n = int(n)
    elo, ehi = ephemeral_range()
    candidates = [p for p in range(20000, 32000) if not (elo <= p <= ehi)]
    if not candidates:
        candidates = [p for p in range(10000, 65000) if not (elo <= p <= ehi)]
    random.shuffle(candidates)
    out = []
    for p in candidates:
        if port_free(p):
            out.append(p)
            if len(out) == n:
                print(" ".join(map(str, out)))
                return
    die("could not find free ports")


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rfind(")") + 2:].split()
        ppid = int(rest[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pid):
    pid = int(pid)
    kids = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cmd_tree(pid):
    t = tree(pid)
    if not t:
        die(f"process {pid} does not exist")
    print(",".join(map(str, t)))


def pids_of(arg):
    return [int(x) for x in arg.split(",") if x]


def cmd_cpu(pids):
    ut = st = 0
    for p in pids_of(pids):
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except OSError:
            die(f"process {p} vanished while measuring CPU")
        rest = s[s.rfind(")") + 2:].split()
        # fields 14 and 15 of stat (1-based); rest starts at field 3. Includes all threads.
        ut += int(rest[11])
        st += int(rest[12])
    print(ut, st)


def cmd_pss(pids):
    total = 0
    for p in pids_of(pids):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            die(f"cannot read /proc/{p}/smaps_rollup")
    print(total)


# --------------------------------------------------------------------------- parsers

def to_seconds(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", v)
    if not m:
        return None
    x = float(m.group(1))
    return x * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]


def parse_wrk(text):
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", text)
    if not m:
        die("cannot parse wrk output:\n" + text)
    r["requests"] = int(m.group(1))
    r["elapsed_s"] = to_seconds(m.group(2))
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    lat = {}
    for pct, val in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M):
        s = to_seconds(val)
        if s is not None:
            lat[f"p{pct}"] = s * 1e6
    if lat:
        r["latency_us"] = lat
    return r


def percentile(sorted_vals, q):
    if not sorted_vals:
        return None
    # nearest-rank: the smallest value with at least q% of the samples at or below it
    k = max(0, min(len(sorted_vals) - 1, math.ceil(q * len(sorted_vals) / 100.0 - 1e-9) - 1))
    return sorted_vals[k]


def parse_h2load(text, log_file):
    r = {}
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    if not m:
        die("cannot parse h2load output:\n" + text)
    r["requests"] = int(m.group(4))
    r["failed"] = int(m.group(5)) + int(m.group(6)) + int(m.group(7))
    m = re.search(r"finished in ([\d.]+\w+), ([\d.]+) req/s", text)
    if m:
        r["elapsed_s"] = to_seconds(m.group(1))
        r["rps"] = float(m.group(2))
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    r["non2xx"] = sum(int(x) for x in m.groups()[1:]) if m else 0
    r["socket_errors"] = 0
    m = re.search(r"^TLS Protocol: (\S+)", text, re.M)
    if m:
        r["tls_protocol"] = m.group(1)
    m = re.search(r"^Application protocol: (\S+)", text, re.M)
    if m:
        r["application_protocol"] = m.group(1)
    if not log_file or not os.path.exists(log_file):
        # runs without --log-file (W4, W5): h2load's mean time per request only
        m = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
        s = to_seconds(m.group(1)) if m else None
        if s is not None:
            r["latency_us"] = {"mean": s * 1e6}
        return r
    lats = []
    bad = 0
    with open(log_file) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            if parts[1].strip() != "200":
                bad += 1
                continue
            lats.append(int(parts[2]))
    lats.sort()
    if not lats:
        die(f"h2load log {log_file} has no successful requests")
    r["latency_us"] = {
        "p50": percentile(lats, 50), "p90": percentile(lats, 90), "p99": percentile(lats, 99),
        "p99.9": percentile(lats, 99.9), "max": lats[-1], "mean": statistics.fmean(lats),
        "samples": len(lats),
    }
    r["log_non200"] = bad
    return r


def parse_perf(path):
    """perf stat -x, output: value,unit,event,..."""
    counts = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.strip().split(",")
            if len(parts) < 3:
                continue
            val, ev = parts[0], parts[2]
            if val.startswith("<"):
                die(f"perf could not count {ev}: {line.strip()}")
            ev = ev.split(":")[-1]
            if ev == "sys_enter":
                counts["_total"] = int(float(val))
            elif ev.startswith("sys_enter_"):
                counts[ev[len("sys_enter_"):]] = int(float(val))
    if "_total" not in counts:
        die(f"perf output {path} has no raw_syscalls:sys_enter count")
    return counts


def parse_strace(path):
    counts = {s: 0 for s in ALL_SYSCALLS}  # strace lists only the syscalls that happened
    total = 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            # % time  seconds  usecs/call  calls  [errors]  syscall
            if len(parts) >= 5 and re.fullmatch(r"[\d.]+", parts[0]) and parts[-1] != "total":
                try:
                    calls = int(parts[3])
                except ValueError:
                    continue
                counts[parts[-1]] = calls
            elif parts and parts[-1] == "total" and len(parts) >= 5:
                try:
                    total = int(parts[3])
                except ValueError:
                    pass
    counts["_total"] = total or sum(counts.values())
    return counts


# --------------------------------------------------------------------------- record

def cmd_record(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="benchlib record")
    ap.add_argument("--kind", required=True, choices=["load", "syscalls", "memory"])
    ap.add_argument("--workload", required=True)
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--rep", type=int, default=0)
    ap.add_argument("--client", choices=["wrk", "h2load"])
    ap.add_argument("--client-out")
    ap.add_argument("--h2load-log")
    ap.add_argument("--cpu0")
    ap.add_argument("--cpu1")
    ap.add_argument("--perf-out")
    ap.add_argument("--strace-out")
    ap.add_argument("--pss0", type=int)
    ap.add_argument("--pss1", type=int)
    ap.add_argument("--conns", type=int)
    ap.add_argument("--established", type=int)
    ap.add_argument("--access-log-lines", type=int)
    ap.add_argument("--expect-tls", help="h2load must report this TLS protocol (e.g. TLSv1.3)")
    ap.add_argument("--expect-alpn", help="h2load must report this application protocol")
    a = ap.parse_args(argv)
    rec = {"kind": a.kind, "workload": a.workload, "proxy": a.proxy, "rep": a.rep,
           "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if a.access_log_lines is not None:
        rec["access_log_lines"] = a.access_log_lines
    if a.kind in ("load", "syscalls"):
        with open(a.client_out) as f:
            text = f.read()
        rec.update(parse_wrk(text) if a.client == "wrk" else parse_h2load(text, a.h2load_log))
        if rec["requests"] <= 0:
            die(f"{a.workload}/{a.proxy}: no request completed")
        if a.expect_tls and rec.get("tls_protocol") != a.expect_tls:
            die(f"{a.workload}/{a.proxy}: TLS protocol {rec.get('tls_protocol')}, expected {a.expect_tls}")
        if a.expect_alpn and rec.get("application_protocol") != a.expect_alpn:
            die(f"{a.workload}/{a.proxy}: application protocol {rec.get('application_protocol')}, "
                f"expected {a.expect_alpn}")
    if a.kind == "load":
        u0, s0 = map(int, a.cpu0.split())
        u1, s1 = map(int, a.cpu1.split())
        n = rec["requests"]
        rec["cpu_user_us_per_req"] = (u1 - u0) * 1e6 / CLK_TCK / n
        rec["cpu_sys_us_per_req"] = (s1 - s0) * 1e6 / CLK_TCK / n
        rec["cpu_us_per_req"] = rec["cpu_user_us_per_req"] + rec["cpu_sys_us_per_req"]
    elif a.kind == "syscalls":
        counts = parse_perf(a.perf_out) if a.perf_out else parse_strace(a.strace_out)
        n = rec["requests"]
        rec["syscall_counts"] = counts
        rec["syscalls_per_req"] = counts["_total"] / n
        rec["data_syscalls_per_req"] = sum(counts.get(s, 0) for s in DATA_SYSCALLS) / n
        rec["per_req"] = {s: counts[s] / n for s in counts if not s.startswith("_")}
        if a.perf_out:  # perf counted a fixed list of syscalls; the rest only in the total
            rec["per_req"]["_unlisted"] = max(0, counts["_total"] - sum(
                v for k, v in counts.items() if not k.startswith("_"))) / n
    elif a.kind == "memory":
        rec["pss_before_kb"] = a.pss0
        rec["pss_after_kb"] = a.pss1
        rec["conns"] = a.conns
        rec["established"] = a.established
        rec["bytes_per_conn"] = (a.pss1 - a.pss0) * 1024.0 / a.conns
    print(json.dumps(rec, sort_keys=True))


# --------------------------------------------------------------------------- report

WORKLOAD_NAMES = {
    "W1": "small GET keep-alive (wrk -c64)",
    "W2": "100 KB keep-alive (wrk -c16)",
    "W3": "new connection per request (wrk -c16, Connection: close)",
    "W4": "TLS 1.3 full handshake per request, ECDSA P-256 (h2load --h1 -c16, Connection: close)",
    "W5": "HTTP/2 over TLS, 16 connections x 10 streams (h2load -c16 -m10)",
    "W7": "idle keep-alive connections, bytes/conn (PSS delta)",
    "W8": "fixed rate 3200 req/s (h2load --rps 50 -c64), latency",
    "W9": "small GET keep-alive over TLS 1.3, HTTP/1.1 (wrk -c64 https://; no target, report only)",
}
PROXIES = ["portico", "nginx", "haproxy", "floor", "floor-uring", "floor-h2"]
PEERS = ("nginx", "haproxy")
# Reference rows (compare.sh --proxies ...,floor,floor-uring,floor-h2): floor and floor-uring are
# 1:1 TCP relays with no HTTP work, the kernel floor of any proxy; floor-h2 (W5) is the least an
# HTTP/2-over-TLS to HTTP/1.1 keep-alive proxy does. They get ratios to the peers like portico;
# targets stay portico's.
FLOORS = ("floor", "floor-uring", "floor-h2")


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.{nd}f}"


def ratio(a, b):
    if a is None or not b:
        return None
    return a / b


def render_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    return "\n".join(out)


def pf(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "FAIL"


def cmd_report(records_path, out_json, meta_path=None):
    recs = []
    with open(records_path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    meta = {}
    if meta_path and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)

    cells = {}  # (workload, proxy) -> aggregated dict
    workloads = []
    proxies = []
    for r in recs:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
        if r["proxy"] not in proxies:
            proxies.append(r["proxy"])
    proxies = [p for p in PROXIES if p in proxies] + [p for p in proxies if p not in PROXIES]
    workloads.sort()

    for w in workloads:
        for p in proxies:
            load = [r for r in recs if r["workload"] == w and r["proxy"] == p and r["kind"] == "load"]
            sysc = [r for r in recs if r["workload"] == w and r["proxy"] == p and r["kind"] == "syscalls"]
            mem = [r for r in recs if r["workload"] == w and r["proxy"] == p and r["kind"] == "memory"]
            if not (load or sysc or mem):
                continue  # p did not run w (a floor relay skips the workloads it cannot do)
            c = {"runs": len(load) + len(mem)}
            if load:
                c["cpu_us_per_req"] = med([r["cpu_us_per_req"] for r in load])
                c["cpu_user_us_per_req"] = med([r["cpu_user_us_per_req"] for r in load])
                c["cpu_sys_us_per_req"] = med([r["cpu_sys_us_per_req"] for r in load])
                c["rps"] = med([r.get("rps") for r in load])
                c["requests"] = med([r["requests"] for r in load])
                c["errors"] = sum(r.get("non2xx", 0) + r.get("socket_errors", 0) + r.get("failed", 0)
                                  for r in load)
                lat_keys = set()
                for r in load:
                    lat_keys.update((r.get("latency_us") or {}).keys())
                if lat_keys:
                    c["latency_us"] = {k: med([(r.get("latency_us") or {}).get(k) for r in load])
                                       for k in sorted(lat_keys)}
                c["cpu_us_per_req_all"] = [r["cpu_us_per_req"] for r in load]
                if any("access_log_lines" in r for r in load):
                    c["access_log_lines_per_req"] = med([r.get("access_log_lines", 0) / r["requests"]
                                                         for r in load])
            if sysc:
                c["syscalls_per_req"] = med([r["syscalls_per_req"] for r in sysc])
                c["data_syscalls_per_req"] = med([r["data_syscalls_per_req"] for r in sysc])
                names = set()
                for r in sysc:
                    names.update(r["per_req"].keys())
                c["syscalls_per_req_by_name"] = {n: med([r["per_req"].get(n, 0.0) for r in sysc])
                                                 for n in sorted(names)}
            if mem:
                c["bytes_per_conn"] = med([r["bytes_per_conn"] for r in mem])
                c["pss_before_kb"] = med([r["pss_before_kb"] for r in mem])
                c["pss_after_kb"] = med([r["pss_after_kb"] for r in mem])
                c["conns"] = mem[0]["conns"]
                c["established_min"] = min(r["established"] for r in mem)
                c["bytes_per_conn_all"] = [r["bytes_per_conn"] for r in mem]
            cells[(w, p)] = c

    # ratios and targets
    targets = {}

    def get(w, p, k):
        return cells.get((w, p), {}).get(k)

    def best(w, k):
        vals = [get(w, p, k) for p in ("nginx", "haproxy") if get(w, p, k) is not None]
        return min(vals) if vals else None

    for w in workloads:
        for p in proxies:
            if p in PEERS:
                continue
            c = cells.get((w, p))
            if c is None:
                continue
            pc = c.get("cpu_us_per_req")
            if pc is not None:
                for peer in PEERS:
                    c[f"cpu_ratio_vs_{peer}"] = ratio(pc, get(w, peer, "cpu_us_per_req"))
            if c.get("latency_us") and w == "W8":
                for peer in PEERS:
                    pl = (cells.get((w, peer), {}).get("latency_us") or {}).get("p99")
                    c[f"p99_ratio_vs_{peer}"] = ratio(c["latency_us"].get("p99"), pl)
            if c.get("bytes_per_conn") is not None:
                for peer in PEERS:
                    c[f"mem_ratio_vs_{peer}"] = ratio(c["bytes_per_conn"], get(w, peer, "bytes_per_conn"))
        # portico against the floor relays (JSON only)
        c = cells.get((w, "portico"))
        if c is not None and c.get("cpu_us_per_req") is not None:
            for fl in FLOORS:
                r = ratio(c["cpu_us_per_req"], get(w, fl, "cpu_us_per_req"))
                if r is not None:
                    c[f"cpu_ratio_vs_{fl}"] = r

    def cpu_target(w, factor, mode):
        pc = get(w, "portico", "cpu_us_per_req")
        n, h = get(w, "nginx", "cpu_us_per_req"), get(w, "haproxy", "cpu_us_per_req")
        if pc is None or (n is None and h is None):
            return None
        if mode == "each":
            return all(pc <= factor * x for x in (n, h) if x is not None)
        return pc <= factor * min(x for x in (n, h) if x is not None)

    if "W1" in workloads:
        targets["W1 cpu <= 0.8 x nginx and <= 0.8 x haproxy"] = cpu_target("W1", 0.8, "each")
        d = get("W1", "portico", "data_syscalls_per_req")
        # + 0.01: the run includes setting up and closing wrk's 64 connections
        targets["W1 data syscalls/req <= 4"] = None if d is None else d <= 4.01
        byname = get("W1", "portico", "syscalls_per_req_by_name")
        if byname is not None:
            # "0 per request": connection setup of the 64 wrk connections is allowed (< 0.01/req).
            targets["W1 epoll_ctl+getsockopt+clock_gettime/req = 0 (< 0.01)"] = \
                all(byname.get(s, 0.0) < 0.01 for s in ZERO_SYSCALLS)
        else:
            targets["W1 epoll_ctl+getsockopt+clock_gettime/req = 0 (< 0.01)"] = None
    if "W2" in workloads:
        targets["W2 cpu <= 0.8 x best peer"] = cpu_target("W2", 0.8, "best")
    if "W3" in workloads:
        targets["W3 cpu <= best peer"] = cpu_target("W3", 1.0, "best")
    if "W4" in workloads:
        pc, n = get("W4", "portico", "cpu_us_per_req"), get("W4", "nginx", "cpu_us_per_req")
        targets["W4 cpu <= nginx"] = None if pc is None or n is None else pc <= n
    if "W5" in workloads:
        targets["W5 cpu <= 0.8 x best peer"] = cpu_target("W5", 0.8, "best")
    if "W7" in workloads:
        b = get("W7", "portico", "bytes_per_conn")
        targets["W7 <= 1 KB (1024 B) per idle connection"] = None if b is None else b <= 1024
    if "W8" in workloads:
        p99 = (get("W8", "portico", "latency_us") or {}).get("p99")
        peers = [(get("W8", p, "latency_us") or {}).get("p99") for p in ("nginx", "haproxy")]
        peers = [x for x in peers if x is not None]
        targets["W8 p99 <= best peer"] = None if p99 is None or not peers else p99 <= min(peers)

    target_of = {
        "W1": ["W1 cpu <= 0.8 x nginx and <= 0.8 x haproxy", "W1 data syscalls/req <= 4",
               "W1 epoll_ctl+getsockopt+clock_gettime/req = 0 (< 0.01)"],
        "W2": ["W2 cpu <= 0.8 x best peer"], "W3": ["W3 cpu <= best peer"],
        "W4": ["W4 cpu <= nginx"], "W5": ["W5 cpu <= 0.8 x best peer"],
        "W7": ["W7 <= 1 KB (1024 B) per idle connection"], "W8": ["W8 p99 <= best peer"],
    }

    # ---- human table
    out = []
    if meta:
        out.append(f"portico compare: {meta.get('date', '')}  duration {meta.get('duration')}s  reps "
                   f"{meta.get('reps')}  access_log {'on' if meta.get('access_log') else 'off'}  "
                   f"idle conns {meta.get('idle_conns')}  syscalls via {meta.get('syscall_tool')}")
        out.append(f"portico binary {meta.get('portico_binary')} (sha256 {meta.get('portico_sha256_prefix')}), "
                   f"tree {meta.get('git_commit')} + {meta.get('git_modified_files')} modified files; "
                   f"loadavg {meta.get('loadavg_before')} -> {meta.get('loadavg_after')}")
        v = meta.get("versions", {})
        out.append("versions: " + "; ".join(f"{k} {v[k]}" for k in v))
        out.append("")
    headers = ["cell", "proxy", "CPU us/req", "user", "sys", "vs nginx", "vs haproxy", "req/s",
               "sysc/req", "data/req", "epoll_ctl", "getsockopt", "clock_gt", "p50 us", "p99 us",
               "p99.9 us", "errors"]
    rows = []
    for w in workloads:
        if w == "W7":
            continue
        for p in proxies:
            c = cells.get((w, p))
            if not c:
                continue
            lat = c.get("latency_us") or {}
            byname = c.get("syscalls_per_req_by_name") or {}
            rows.append([
                w, p, fmt(c.get("cpu_us_per_req")), fmt(c.get("cpu_user_us_per_req")),
                fmt(c.get("cpu_sys_us_per_req")),
                fmt(c.get("cpu_ratio_vs_nginx"), 2), fmt(c.get("cpu_ratio_vs_haproxy"), 2),
                fmt(c.get("rps"), 0),
                fmt(c.get("syscalls_per_req"), 2), fmt(c.get("data_syscalls_per_req"), 2),
                fmt(byname.get("epoll_ctl") if byname else None, 3),
                fmt(byname.get("getsockopt") if byname else None, 3),
                fmt(byname.get("clock_gettime") if byname else None, 3),
                fmt(lat.get("p50"), 0), fmt(lat.get("p99"), 0), fmt(lat.get("p99.9"), 0),
                c.get("errors", 0),
            ])
    if rows:
        out.append("Per-request cells (medians; CPU = utime+stime of all proxy threads/processes):")
        out.append(render_table(headers, rows))
        out.append("")
    floor_lines = []
    for w in workloads:
        c = cells.get((w, "portico")) or {}
        parts = [f"{fmt(c[f'cpu_ratio_vs_{fl}'], 2)} x {fl}" for fl in FLOORS
                 if c.get(f"cpu_ratio_vs_{fl}") is not None]
        if parts:
            floor_lines.append(f"{w}: portico CPU/req = " + ", ".join(parts))
    if floor_lines:
        out.append("Against the floor relays (floor, floor-uring: 1:1 TCP relays, the kernel floor; "
                   "floor-h2: minimal HTTP/2+TLS to HTTP/1.1 proxy):")
        out.extend(floor_lines)
        out.append("")
    if "W7" in workloads:
        mrows = []
        for p in proxies:
            c = cells.get(("W7", p))
            if not c:
                continue
            mrows.append([p, c.get("conns"), fmt(c.get("pss_before_kb"), 0), fmt(c.get("pss_after_kb"), 0),
                          fmt(c.get("bytes_per_conn"), 0), fmt(c.get("mem_ratio_vs_nginx"), 2),
                          fmt(c.get("mem_ratio_vs_haproxy"), 2), c.get("established_min")])
        out.append("W7 idle keep-alive connections (medians):")
        out.append(render_table(["proxy", "conns", "PSS before kB", "PSS after kB", "B/conn", "vs nginx",
                                 "vs haproxy", "established"], mrows))
        out.append("")
    trows = []
    for w in workloads:
        for t in target_of.get(w, []):
            trows.append([t, pf(targets.get(t))])
    if trows:
        out.append("Targets (portico):")
        out.append(render_table(["target", "result"], trows))
    print("\n".join(out))

    result = {
        "meta": meta,
        "cells": {w: {p: cells[(w, p)] for p in proxies if (w, p) in cells} for w in workloads},
        "targets": targets,
        "workloads": {w: WORKLOAD_NAMES.get(w, w) for w in workloads},
        "records": recs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    tmp = out_json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, out_json)


def cmd_render(template, out, *args):
    flags, values = set(), {}
    for a in args:
        if "=" in a:
            k, v = a.split("=", 1)
            values[k] = v
        else:
            flags.add(a)
    lines = []
    with open(template) as f:
        for line in f:
            m = re.match(r"^(\s*)@([?!])(\w+)@ ?(.*)$", line, re.S)
            if m:
                want = m.group(3) in flags
                if (m.group(2) == "?") != want:
                    continue
                line = m.group(1) + m.group(4)
            lines.append(line)
    text = "".join(lines)

    def sub(m):
        k = m.group(1)
        if k not in values:
            die(f"{template}: no value for @{k}@")
        return values[k]

    text = re.sub(r"@(\w+)@", sub, text)
    with open(out, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ports":
        cmd_ports(*args)
    elif cmd == "tree":
        cmd_tree(*args)
    elif cmd == "cpu":
        cmd_cpu(*args)
    elif cmd == "pss":
        cmd_pss(*args)
    elif cmd == "record":
        cmd_record(args)
    elif cmd == "report":
        cmd_report(*args)
    elif cmd == "render":
        cmd_render(*args)
    elif cmd == "syscall-events":
        print(",".join(ALL_SYSCALLS))
    else:
        die(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main()
