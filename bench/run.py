#!/usr/bin/env python3
"""bench/run.py - zsock's benchmark runner: every server measured against a raw epoll server in the
same run, on this machine. Python 3 standard library only.

  python3 bench/run.py --mode main     # ~1.5 min: echo 50 and 500 conns × 64 B, HTTP with wrk,
                                       #   both engines against raw epoll
  python3 bench/run.py --mode full     # the matrix: {1,16,256,1024} conns × {64,512,4096,65536} B
                                       #             × {ping-pong, pipelined}
  python3 bench/run.py --mode smoke    # seconds: keeps the runner from rotting (CTest, LABEL bench)

Method (DESIGN.md, "Measuring"):
  - server and load generator pinned to two different CPUs, chosen automatically and printed;
  - every cell runs all servers in turn, repetition after repetition (A B C A B C ...), so that a
    slow phase of the machine hits every server alike; each run starts a fresh server;
  - each run has a warm-up, then a measured window; the cell reports medians and a spread (half the
    min-max range, in % of the median) and a ratio to the raw epoll server of the same cell: the
    median of the per-repetition ratios, each taken between runs made back to back (a blocked
    design: the machine's drift between repetitions cancels); when the repetitions disagree on
    which server is faster, the difference is marked "too noisy" (to trust), and a goal is marked
    so when they disagree on which side of its target the ratio falls;
  - server CPU per message (utime+stime from /proc/PID/stat over the window) sits next to
    messages/s: on loopback the client's receive work is charged to the sender, so messages/s
    alone hides differences;
  - counted figures that do not depend on the machine's mood: syscalls per request (strace -c),
    heap allocations per request (LD_PRELOAD counter), user-space instructions per request
    (callgrind), on one connection of 64-byte ping-pong.
Output: markdown on stdout, JSON and an SVG chart under results/ (--out), progress on stderr.
Exit 0, or 1 when the run failed (bench/checks.py): a byte answered wrong, a server that did not
start or stop cleanly, wrk, tls_bench or a counted figure failing, a missing tool, no JSON or chart,
zsock's recv/send on a native socket costing more than one syscall each, or an implausible
callgrind figure for raw epoll; in smoke mode also a server that is not built. Timed figures never
fail a run.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import checks  # noqa: E402
import counted  # noqa: E402
import report  # noqa: E402
import stats  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- What is measured ------------------------------------------------------------------------
# Servers under test are commands. `paths` are tried in order under the build folder (or the
# environment variable `env` names a binary); the first that exists is used. A server that is
# not built shows up as "not built" instead of failing the run. To add one, add a line.

@dataclass
class ServerSpec:
    name: str
    kind: str  # "echo" or "http"
    paths: list
    args: list = field(default_factory=list)
    desc: str = ""
    env: str | None = None


SERVERS = [
    ServerSpec("raw-epoll", "echo", ["bench/bench_epoll_echo"], [],
               "baseline: C, edge-triggered epoll"),
    ServerSpec("raw-io_uring", "echo", ["bench/bench_uring_echo"], [],
               "baseline: C, io_uring multishot accept+recv, provided buffers"),
    ServerSpec("coro-epoll", "echo", ["examples/coro/echo_server", "examples/echo_server"],
               ["--backend", "epoll", "--threads", "1"], "zsock coroutines, epoll engine",
               env="ZSOCK_BENCH_CORO_ECHO"),
    ServerSpec("coro-io_uring", "echo", ["examples/coro/echo_server", "examples/echo_server"],
               ["--backend", "io_uring", "--threads", "1"], "zsock coroutines, io_uring engine",
               env="ZSOCK_BENCH_CORO_ECHO"),
    ServerSpec("zsock-poll", "echo", ["bench/bench_poll_echo_zsock"], [],
               "zsock blocking API: zsock_poll + zsock_recv/zsock_send"),
    ServerSpec("libc-poll", "echo", ["bench/bench_poll_echo_libc"], [],
               "the same loop on libc poll/recv/send"),
    ServerSpec("raw-epoll-http", "http", ["bench/bench_epoll_http"], [],
               "baseline: C, epoll HTTP responder"),
    ServerSpec("coro-http-epoll", "http", ["examples/coro/http_server", "examples/http_server"],
               ["--backend", "epoll", "--threads", "1"], "zsock coroutines HTTP, epoll engine",
               env="ZSOCK_BENCH_CORO_HTTP"),
    ServerSpec("coro-http-io_uring", "http", ["examples/coro/http_server", "examples/http_server"],
               ["--backend", "io_uring", "--threads", "1"],
               "zsock coroutines HTTP, io_uring engine", env="ZSOCK_BENCH_CORO_HTTP"),
]


@dataclass
class Plan:
    echo_cells: list  # (connections, size, depth)
    http_conns: list
    reps: int
    duration: float
    warmup: float
    http_duration: int
    strace_msgs: int
    alloc_msgs: tuple
    callgrind_msgs: tuple
    callgrind_servers: list | None  # None = every counted echo server
    callgrind_msgs_50: tuple = (40, 80)  # per connection, for the 50-connection count
    idle_memory: bool = True
    # tls_bench: runs, handshake seconds per case, bulk MiB per case; None = not in this mode
    tls: tuple | None = (3, 0.5, 64)
    servers: list | None = None  # the servers this mode measures; None = all (--servers wins)
    counted_servers: list | None = None  # the echo servers counted; None = every one measured


PIPELINE_DEPTH = 8
MODES = {
    # smoke: every server and every kind of figure once, small, so that none of them can rot.
    # 1000 messages for the syscall count, so that even one extra call per hundred messages
    # stands out from a connection's own few calls (bench/checks.py).
    "smoke": Plan(echo_cells=[(1, 64, 1), (16, 4096, PIPELINE_DEPTH)], http_conns=[16], reps=2,
                  duration=0.3, warmup=0.1, http_duration=1, strace_msgs=1000,
                  alloc_msgs=(100, 300), callgrind_msgs=(200, 400),
                  callgrind_servers=["raw-epoll"], idle_memory=False, tls=(1, 0.2, 4)),
    # main: the short comparison, about a minute: echo at 50 and 500 connections × 64 B
    # and HTTP with wrk, both engines against raw epoll (and raw io_uring, for its goal).
    # Counted: the engines and raw epoll; callgrind on the epoll ones only (under valgrind an
    # io_uring server's counted figures took 50 s against 8-16 s for an epoll one, and the
    # instruction goal names the epoll engine).
    # The poll loops, idle memory and TLS are in full mode (and once, small, in smoke).
    "main": Plan(echo_cells=[(50, 64, 1), (500, 64, 1)], http_conns=[50, 500], reps=3,
                 duration=1.0, warmup=0.3, http_duration=1, strace_msgs=2000,
                 alloc_msgs=(500, 1500), callgrind_msgs=(1000, 2000),
                 callgrind_servers=["raw-epoll", "coro-epoll"], idle_memory=False, tls=None,
                 servers=["raw-epoll", "raw-io_uring", "coro-epoll", "coro-io_uring",
                          "raw-epoll-http", "coro-http-epoll", "coro-http-io_uring"],
                 counted_servers=["raw-epoll", "coro-epoll", "coro-io_uring"]),
    "full": Plan(echo_cells=[(c, s, d) for d in (1, PIPELINE_DEPTH) for s in (64, 512, 4096, 65536)
                             for c in (1, 16, 256, 1024)],
                 http_conns=[16, 256, 1024], reps=3, duration=2.0, warmup=0.5, http_duration=2,
                 strace_msgs=5000, alloc_msgs=(1000, 3000), callgrind_msgs=(2000, 4000),
                 callgrind_servers=None, tls=(5, 1.0, 256)),
}


@dataclass
class Cpus:
    server: int | None
    load: int | None
    note: str


def choose_cpus(server_cpu=None, load_cpu=None):
    allowed = sorted(os.sched_getaffinity(0))
    if server_cpu is not None and load_cpu is not None:
        return Cpus(server_cpu, load_cpu, "chosen on the command line")
    if len(allowed) >= 2:
        return Cpus(allowed[-1], allowed[-2],
                    f"server on CPU {allowed[-1]}, load on CPU {allowed[-2]} "
                    f"(of {len(allowed)} allowed)")
    return Cpus(None, None, "one CPU only: server and load share it (ratios still hold, "
                            "absolute figures do not)")


# --- The machine -------------------------------------------------------------------------------

def machine_info(build, cpus):
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    probe = os.path.join(build, "bench/bench_uring_probe")
    uring = {"io_uring": None, "error": "bench_uring_probe not built"}
    if os.path.exists(probe):
        try:
            uring = json.loads(subprocess.run([probe], capture_output=True, text=True,
                                              timeout=20).stdout)
        except (subprocess.SubprocessError, ValueError) as e:
            uring = {"io_uring": None, "error": str(e)}
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "allowed_cpus": sorted(os.sched_getaffinity(0)),
            "kernel": platform.release(), "pinning": cpus.note, "io_uring": uring,
            "loadavg_start": open("/proc/loadavg").read().split()[:3], "commit": commit,
            "date": datetime.datetime.now().isoformat(timespec="seconds")}


def resolve_servers(build, only):
    out = []
    for spec in SERVERS:
        if only and spec.name not in only:
            continue
        path = os.environ.get(spec.env) if spec.env else None
        cands = [path] if path else [os.path.join(build, p) for p in spec.paths]
        found = next((p for p in cands if p and os.access(p, os.X_OK)), None)
        entry = {"name": spec.name, "kind": spec.kind, "desc": spec.desc, "args": spec.args,
                 "available": found is not None, "path": found,
                 "note": "" if found else "not built (looked for "
                                          + ", ".join(os.path.relpath(c, REPO) for c in cands)
                                          + ")",
                 # why it is not measured, for bench/checks.py: "not built", "skipped" (it exited
                 # 77: this kernel refuses what it needs), "tool missing" or "off" (an option)
                 "status": "ok" if found else "not built",
                 "engine": None}
        out.append(entry)
    return out


def argv_of(s):
    return [s["path"]] + list(s["args"])


def engine_line(banner):
    for line in banner:
        if re.search(r"engine|backend", line, re.I):
            return re.sub(r"^engine:\s*", "", line.strip())
    return " / ".join(banner[-2:]) if banner else None


# --- Progress ----------------------------------------------------------------------------------

class Progress:
    def __init__(self, total):
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.tty = sys.stderr.isatty()

    def step(self, what):
        self.done += 1
        el = time.monotonic() - self.t0
        eta = el / max(self.done - 1, 1) * (self.total - self.done + 1) if self.done > 1 else 0
        line = f"[{self.done:3}/{self.total}] {what}  ({el:.0f}s, ~{eta:.0f}s left)"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\n")


# --- Echo cells --------------------------------------------------------------------------------

def alternating_servers(servers, plan, ctx, progress, what, runs):
    """Yields (server, started process) for each repetition of each server in turn (A B C A B C),
    each run on a fresh process pinned to the server CPU. A server that cannot run here is marked
    unavailable (exit 77) or gets the failure in runs; the caller measures, then stops srv."""
    for rep in range(plan.reps):
        for s in servers:
            progress.step(f"{what}: {s['name']} run {rep + 1}/{plan.reps}")
            if not s["available"]:
                continue
            try:
                srv = benchlib.start_server(argv_of(s), cpu=ctx.cpus.server)
            except benchlib.ServerSkipped as e:
                s["available"], s["note"], s["status"] = False, f"skipped: {e}", "skipped"
                continue
            except benchlib.ServerFailed as e:
                runs[s["name"]].append({"error": str(e)})
                continue
            s["engine"] = s["engine"] or engine_line(srv.banner)
            yield s, srv


def run_echo_cell(cell, servers, plan, ctx, progress):
    conns, size, depth = cell
    runs = {s["name"]: [] for s in servers}
    label = f"{conns}×{size} B {'ping-pong' if depth == 1 else f'pipelined×{depth}'}"
    for s, srv in alternating_servers(servers, plan, ctx, progress, f"echo {label}", runs):
        try:
            rc, rep_json, err = benchlib.run_loadgen(
                ctx.loadgen, srv.port, cpu=ctx.cpus.load, connections=conns, size=size,
                depth=depth, duration=plan.duration, warmup=plan.warmup, drain=2,
                threads=ctx.load_threads, server_pid=srv.pid,
                label=f"{s['name']} {label}", timeout=plan.duration + plan.warmup + 60)
        finally:
            src = benchlib.stop_server(srv)
        if rep_json is None:
            runs[s["name"]].append({"error": f"loadgen exit {rc}: {err.strip()[:300]}"})
        else:
            rep_json["server_exit"] = src
            runs[s["name"]].append(rep_json)
            if not rep_json["ok"]:
                ctx.verification_errors.append(f"{s['name']} {label}: {rep_json['errors']} "
                                               f"{rep_json['first_error']}")
    return {"connections": conns, "size": size, "depth": depth, "runs": runs,
            "summary": summarize_echo(runs, [s for s in servers if s["available"]])}


def echo_run_ok(r):
    """A loadgen run that finished and verified every byte."""
    return "error" not in r and r.get("ok")


def summarize_echo(runs, servers):
    summary = {}
    for s in servers:
        good = [r for r in runs[s["name"]] if echo_run_ok(r)]
        bad = [r for r in runs[s["name"]] if not echo_run_ok(r)]
        if not good:
            why = bad[0].get("error") or bad[0].get("first_error") if bad else "no runs"
            summary[s["name"]] = {"error": f"failed: {why}"}
            continue
        cpu = [r["server_cpu"]["us_per_msg"] for r in good if "server_cpu" in r]
        user = [r["server_cpu"]["user_s"] / r["messages"] * 1e6 for r in good
                if "server_cpu" in r and r["messages"]]
        busy = [r["server_cpu"]["utilisation"] for r in good if "server_cpu" in r]
        summary[s["name"]] = {
            "msgs_per_s": stats.summarize([r["msgs_per_s"] for r in good]),
            # In repetition order, None for a failed run: the paired ratios line them up.
            "per_run": [r["msgs_per_s"] if echo_run_ok(r) else None for r in runs[s["name"]]],
            "cpu_per_run": [r["server_cpu"]["us_per_msg"] if echo_run_ok(r) and "server_cpu" in r
                            else None for r in runs[s["name"]]],
            "cpu": stats.summarize(cpu),
            "cpu_us_per_msg": stats.summarize(cpu)["median"] if cpu else None,
            "cpu_user_us_per_msg": stats.summarize(user)["median"] if user else None,
            "busy": stats.summarize(busy)["median"] if busy else None,
            "p50": stats.summarize([r["latency_us"]["p50"] for r in good])["median"],
            "p99": stats.summarize([r["latency_us"]["p99"] for r in good])["median"],
            "p999": stats.summarize([r["latency_us"]["p999"] for r in good])["median"],
            "failed_runs": len(bad),
        }
    add_ratios(summary, report.BASELINE_ECHO, "msgs_per_s", "cpu")
    return summary


def add_ratios(summary, baseline, rate_key, cpu_key):
    b = summary.get(baseline)
    for name, s in summary.items():
        if s.get("error"):
            continue
        if not b or b.get("error"):
            s["trust"] = "no baseline"
            continue
        # The median of the per-repetition ratios (stats.paired), and the trust verdict from
        # whether the repetitions agree; the ratio of the medians where per-run figures are
        # missing (a result file from before they were kept).
        s["ratio"], p = stats.ratio_of(s, b, rate_key, "per_run")
        if p:
            s["ratio_range"] = [p["min"], p["max"]]
            trust = stats.verdict(p, 1.0)
        else:
            trust = stats.compare(s[rate_key], b[rate_key])[1]
        s["trust"] = "baseline" if name == baseline else trust
        if cpu_key and s.get(cpu_key) and b.get(cpu_key):
            s["cpu_ratio"] = stats.ratio_of(s, b, cpu_key, "cpu_per_run")[0]


# --- HTTP cells (wrk) --------------------------------------------------------------------------

def _wrk_time_us(text):
    m = re.match(r"([0-9.]+)(us|ms|s)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_wrk(port, conns, duration, cpu, server_pid):
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", f"http://127.0.0.1:{port}/"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    c0 = _cpu_seconds(server_pid)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    c1 = _cpu_seconds(server_pid)
    out = p.stdout
    res = {"cmd": " ".join(cmd), "exit": p.returncode}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([0-9.]+)(\w+)", out)
    res["requests"] = int(m.group(1)) if m else None
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        res[f"p{q}"] = _wrk_time_us(m.group(1)) if m else None
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    res["errors"] = errors
    if c0 is not None and c1 is not None and res["requests"]:
        res["server_cpu_us_per_req"] = (c1 - c0) / res["requests"] * 1e6
    if res["rps"] is None:
        res["error"] = f"wrk exit {p.returncode}: {(p.stderr or out).strip()[:300]}"
    return res


def _cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_http_cell(conns, servers, plan, ctx, progress):
    runs = {s["name"]: [] for s in servers}
    for s, srv in alternating_servers(servers, plan, ctx, progress, f"http wrk {conns} conns",
                                      runs):
        try:
            res = run_wrk(srv.port, conns, plan.http_duration, ctx.cpus.load, srv.pid)
        finally:
            benchlib.stop_server(srv)
        runs[s["name"]].append(res)
        if res.get("errors"):
            ctx.verification_errors.append(f"{s['name']} wrk {conns}: {res['errors']} errors")
    summary = {}
    for s in servers:
        if not s["available"]:
            continue
        good = [r for r in runs[s["name"]] if not r.get("error")]
        if not good:
            bad = runs[s["name"]]
            summary[s["name"]] = {"error": bad[0]["error"] if bad else "no runs"}
            continue
        cpu = [r["server_cpu_us_per_req"] for r in good if r.get("server_cpu_us_per_req")]
        summary[s["name"]] = {
            "rps": stats.summarize([r["rps"] for r in good]),
            "per_run": [None if r.get("error") else r["rps"] for r in runs[s["name"]]],
            "cpu_per_run": [None if r.get("error") else r.get("server_cpu_us_per_req")
                            for r in runs[s["name"]]],
            "cpu": stats.summarize(cpu),
            "cpu_us_per_req": stats.summarize(cpu)["median"] if cpu else None,
            "p50": stats.summarize([r["p50"] for r in good])["median"] if good[0]["p50"] else None,
            "p99": stats.summarize([r["p99"] for r in good])["median"] if good[0]["p99"] else None,
            "errors": sum(r["errors"] for r in good),
        }
    add_ratios(summary, report.BASELINE_HTTP, "rps", "cpu")
    return {"connections": conns, "runs": runs, "summary": summary}


# --- TLS ---------------------------------------------------------------------------------------

def run_tls(build, plan, progress):
    """tls_bench: handshakes/s and bulk MB/s, zsock TLS next to raw mbedTLS in the same run."""
    progress.step("tls: handshakes/s and bulk MB/s, zsock vs raw mbedTLS")
    exe = os.path.join(build, "bench/tls_bench")
    if not os.access(exe, os.X_OK):
        return {"error": "not built (tls_bench needs mbedTLS)"}
    if not shutil.which("openssl"):
        return {"error": "openssl not installed (tls_bench makes its certificates with it)"}
    runs, seconds, mib = plan.tls
    budget = runs * (4 * seconds + mib / 20 + 5) + 30
    try:
        p = subprocess.run([exe, "--runs", str(runs), "--seconds", str(seconds), "--mib", str(mib),
                            "--json"], capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {budget:.0f} s"}
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("{")), None)
    if p.returncode != 0 or not line:
        return {"error": f"exit {p.returncode}: {p.stderr.strip()[-200:]}"}
    return json.loads(line)


# --- Counted figures ---------------------------------------------------------------------------

def counted_servers(servers, plan):
    """The echo servers whose counted figures this mode takes."""
    return [s for s in servers if s["kind"] == "echo"
            and (plan.counted_servers is None or s["name"] in plan.counted_servers)]


def run_counted(servers, plan, ctx, progress):
    """Counted figures per server. A figure this mode does not take is {"skipped": why} (shown
    as such, never a failure); one that could not be taken is {"error": why} (fails the run)."""
    out = {}
    for s in counted_servers(servers, plan):
        do_cg = plan.callgrind_servers is None or s["name"] in plan.callgrind_servers
        progress.step(f"counted: {s['name']} syscalls ({ctx.syscall_tool})")
        progress.step(f"counted: {s['name']} heap allocations")
        progress.step(f"counted: {s['name']} instructions (callgrind)")
        if not s["available"]:
            continue
        c = {}
        argv = argv_of(s)
        skipped = {"skipped": "not in this mode"}
        coro = s["name"] in ("coro-epoll", "coro-io_uring")
        for key, fn in (
                ("syscalls", lambda: counted.syscalls_per_request(
                    argv, ctx.loadgen, plan.strace_msgs, ctx.cpus, ctx.syscall_tool)),
                ("allocations", lambda: counted.allocations_per_request(
                    argv, ctx.loadgen, ctx.preload, plan.alloc_msgs, ctx.cpus)),
                ("instructions", lambda: counted.instructions_per_request(
                    argv, ctx.loadgen, plan.callgrind_msgs, ctx.cpus) if do_cg else skipped),
                # The coroutine engines' goals: instructions at 50 connections (the goal names
                # the epoll engine; the others are there to compare), and memory per idle
                # connection.
                ("instructions_50", lambda: (counted.instructions_per_request(
                    argv, ctx.loadgen, plan.callgrind_msgs_50, ctx.cpus, connections=50)
                    if do_cg else skipped) if s["name"] in ("raw-epoll", "raw-io_uring",
                                                           "coro-epoll", "coro-io_uring")
                    else None),
                ("idle_memory", lambda: (counted.idle_memory_per_connection(argv, ctx.cpus)
                                         if plan.idle_memory else skipped) if coro else None)):
            try:
                v = fn()
                if v is not None:
                    c[key] = v
            except benchlib.ServerSkipped as e:
                c[key] = {"skipped": f"this kernel refuses it: {e}"}
            except (benchlib.ServerFailed, RuntimeError, subprocess.SubprocessError,
                    OSError) as e:
                c[key] = {"error": f"failed: {str(e)[:200]}"}
        out[s["name"]] = c
    return out


# --- Main --------------------------------------------------------------------------------------

@dataclass
class Context:
    loadgen: str
    preload: str
    cpus: Cpus
    load_threads: int
    syscall_tool: str = "perf"
    verification_errors: list = field(default_factory=list)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--mode", choices=sorted(MODES), default="main")
    ap.add_argument("--build", default=os.path.join(REPO, "build/release"),
                    help="build folder (default build/release)")
    ap.add_argument("--out", default=os.path.join(REPO, "results"), help="results folder")
    ap.add_argument("--servers", help="comma-separated subset of: "
                    + ", ".join(s.name for s in SERVERS))
    ap.add_argument("--reps", type=int, help="repetitions per cell (default: by mode)")
    ap.add_argument("--duration", type=float, help="measured seconds per run (default: by mode)")
    ap.add_argument("--server-cpu", type=int)
    ap.add_argument("--load-cpu", type=int)
    ap.add_argument("--load-threads", type=int, default=1)
    ap.add_argument("--no-counted", action="store_true", help="skip strace/malloc/callgrind")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-tls", action="store_true", help="skip tls_bench")
    ap.add_argument("--syscall-tool", choices=["perf", "strace"], default="perf",
                    help="how syscalls are counted (perf falls back to strace where unusable)")
    ap.add_argument("--cells", help="echo cells instead of the mode's, as CONNSxSIZExDEPTH "
                    "separated by commas (e.g. 16x65536x1,256x4096x8)")
    args = ap.parse_args()

    plan = MODES[args.mode]
    if args.cells:
        try:
            plan.echo_cells = [tuple(int(v) for v in c.split("x")) for c in args.cells.split(",")]
        except ValueError:
            sys.exit(f"run.py: --cells {args.cells!r}: want CONNSxSIZExDEPTH,...")
        if any(len(c) != 3 or min(c) < 1 for c in plan.echo_cells):
            sys.exit(f"run.py: --cells {args.cells!r}: want CONNSxSIZExDEPTH,...")
    if args.reps:
        plan.reps = args.reps
    if args.duration:
        plan.duration = args.duration
    build = os.path.abspath(args.build)
    loadgen = os.path.join(build, "bench/bench_loadgen")
    if not os.access(loadgen, os.X_OK):
        sys.exit(f"run.py: {loadgen} not found: build first (cmake --build --preset release)")
    cpus = choose_cpus(args.server_cpu, args.load_cpu)
    ctx = Context(loadgen, os.path.join(build, "bench/libzsock_malloc_count.so"), cpus,
                  args.load_threads, args.syscall_tool)
    servers = resolve_servers(build, set(args.servers.split(",")) if args.servers
                              else set(plan.servers) if plan.servers else None)
    echo = [s for s in servers if s["kind"] == "echo"]
    http = [s for s in servers if s["kind"] == "http"]
    if args.no_http or not shutil.which("wrk"):
        for s in http:
            s["available"] = False
            s["note"], s["status"] = (("--no-http", "off") if args.no_http
                                      else ("wrk not installed", "tool missing"))
    machine = machine_info(build, cpus)
    print(f"# zsock bench, mode {args.mode}", flush=True)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, kernel {machine['kernel']}, "
          f"load average {' '.join(machine['loadavg_start'])}")
    print(f"pinning: {cpus.note}")
    u = machine["io_uring"]
    print("io_uring: " + ("refused: " + u.get("error", "") if not u.get("io_uring") else
                          "in: " + ", ".join(k for k, v in _flat(u).items() if v is True)
                          + "; out: " + (", ".join(k for k, v in _flat(u).items() if v is False)
                                         or "none")))
    for s in servers:
        print(f"server {s['name']}: " + (s["desc"] if s["available"] else s["note"]))
    print(flush=True)

    tls_asked = plan.tls is not None and not args.no_tls
    total = (len(plan.echo_cells) * plan.reps * len(echo) + len(plan.http_conns) * plan.reps
             * len(http) + (0 if args.no_counted else 3 * len(counted_servers(echo, plan)))
             + (1 if tls_asked else 0))
    progress = Progress(total)
    t0 = time.monotonic()
    echo_cells = [run_echo_cell(c, echo, plan, ctx, progress) for c in plan.echo_cells]
    http_cells = ([run_http_cell(c, http, plan, ctx, progress) for c in plan.http_conns]
                  if any(s["available"] for s in http) else [])
    tls = (run_tls(build, plan, progress) if tls_asked
           else {"skipped": "--no-tls" if args.no_tls else "full and smoke modes only"})
    counted_figs = {} if args.no_counted else run_counted(echo, plan, ctx, progress)
    progress.finish()
    machine["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    goals = report.evaluate_goals(echo_cells, counted_figs, servers, http_cells)

    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = os.path.join(args.out, f"bench-{args.mode}-{stamp}")
    svg, why = report.chart(echo_cells, servers, base, http_cells)
    result = {"mode": args.mode, "command": " ".join([os.path.relpath(sys.argv[0], REPO)]
                                                     + sys.argv[1:]),
              "machine": machine, "plan": plan.__dict__, "servers": servers,
              "echo": echo_cells, "http": http_cells, "tls": tls, "counted": counted_figs,
              "goals": goals, "options": {"no_tls": args.no_tls, "no_http": args.no_http,
                                          "no_counted": args.no_counted},
              "verification_errors": ctx.verification_errors, "chart": svg,
              "elapsed_s": round(time.monotonic() - t0, 1)}
    # Everything that went wrong, timed figures apart (bench/checks.py). Smoke mode (CI) is
    # strict: a server that is not built fails it too.
    failures = checks.result_failures(result, strict=args.mode == "smoke")
    result["failures"] = failures
    try:
        with open(base + ".json", "w") as f:
            json.dump(result, f, indent=1)
    except OSError as e:
        print(f"run.py: {base}.json: {e}", file=sys.stderr)
    failures += checks.output_failures(base + ".json", svg, why)

    print("## Echo (loadgen: every byte verified)\n")
    print(report.echo_table(echo_cells))
    if len(echo_cells) > 2:
        print("\nAt a glance: messages/s × raw epoll (server CPU per message × raw epoll); "
              "? = too noisy to trust\n")
        print(report.echo_matrix(echo_cells))
    for s in echo:
        if s["available"]:
            print(f"\n- {s['name']}: {s['desc']}; engine: {s['engine'] or 'not reported'}")
        else:
            print(f"\n- {s['name']}: {s['note']}")
    if http_cells:
        print("\n## HTTP (wrk, keep-alive, 1 thread)\n")
        print(report.http_table(http_cells))
    for s in http:
        if not s["available"]:
            print(f"\n- {s['name']}: {s['note']}")
    print("\n## " + report.tls_table(tls))
    if counted_figs:
        # The tool that really counted (perf falls back to strace where it cannot attach).
        tool = next((c["syscalls"]["tool"] for c in counted_figs.values()
                     if "tool" in c.get("syscalls", {})), ctx.syscall_tool)
        print("\n## " + report.counted_table(
            counted_figs, f"1 connection, 64 B ping-pong; syscalls by {tool} over "
                          f"{plan.strace_msgs} msgs, "
                          f"allocations and instructions as the difference of "
                          f"{plan.alloc_msgs} and {plan.callgrind_msgs}-message runs"))
    print("\n## Goals\n")
    print(report.goals_table(goals))
    print(f"\nload average {' '.join(machine['loadavg_start'])} at start, "
          f"{' '.join(machine['loadavg_end'])} at end. ratios: the median of the per-repetition "
          f"ratios (range in brackets); trust 'too noisy': the repetitions disagree on which "
          f"server is faster, so the machine varied more than they differ")
    print(f"\nresults: {os.path.relpath(base + '.json', os.getcwd())}")
    print(f"chart:   {os.path.relpath(svg, os.getcwd()) if svg else 'none (' + why + ')'}")
    if failures:
        print("\nERRORS (the run failed; timed figures never fail it):\n"
              + "\n".join("- " + f for f in failures))
        return 1
    return 0


def _flat(u):
    flat = {}
    for k, v in u.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                flat[k2] = v2
        elif k != "io_uring":
            flat[k] = v
    return flat


if __name__ == "__main__":
    sys.exit(main())
