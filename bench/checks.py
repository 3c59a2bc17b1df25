"""bench/checks.py - what makes a run of bench/run.py fail (exit 1).

A run fails when something it set out to measure did not work: a server that did not start or
did not stop cleanly, a wrong byte, wrk or tls_bench failing, a counted figure that could not be
taken, a missing tool, or no JSON or chart at the end. It also fails when a counted figure breaks
a promise that counting (not timing) can check: zsock_recv/zsock_send on a native socket is one
recvfrom and one sendto per message. And the raw epoll server's callgrind figure must be plausible,
so that a broken instruction counter cannot pass unnoticed.

Timed figures (messages/s, CPU per message, latency) never fail a run: on a shared machine they
move with the load, and the run already says when they are too noisy to trust.

Everything here reads the run's result dict (the JSON run.py writes), so that it can be tested
on synthetic results (tests/bench/test_runner_logic.py) and applied to a saved run.
"""
from __future__ import annotations

import json
import os

# The servers whose native-socket calls must cost one syscall each: zsock's coroutine engine on
# epoll (io_uring has no recvfrom/sendto to count) and the blocking-API loop.
ONE_SYSCALL_SERVERS = ("coro-epoll", "zsock-poll")

# Calls a connection may add beyond one per message, in one counted run of one connection: its
# own calls, such as the recv that reads the end of stream or a first recv that finds nothing yet
# (coro-epoll makes 302 recvfrom calls for 300 messages). An extra call per message, even on one
# message in a hundred, shows up far beyond this.
PER_CONNECTION_SLACK = 3

# The raw epoll echo server's user-space instructions per 64-byte ping-pong message (callgrind,
# one connection, paced: each message is sent once the server sleeps). The issue quotes about 115;
# Debian 12's glibc gives 128.0, the same to the instruction from run to run. Below the range the
# server skipped its wait on some messages (pacing broken: unpaced smoke runs read -39 to 206),
# or the two runs were not subtracted right; above it, start-up or per-connection work leaked in.
RAW_EPOLL_INSTRUCTIONS_RANGE = (60.0, 500.0)


def _label(cell):
    if "size" in cell:
        mode = "ping-pong" if cell["depth"] == 1 else f"pipelined×{cell['depth']}"
        return f"echo {cell['connections']}×{cell['size']} B {mode}"
    return f"http wrk {cell['connections']} conns"


# Every figure is a ratio to these: without them a run measures nothing.
BASELINES = ("raw-epoll", "raw-epoll-http")


def server_failures(result, strict):
    """Servers that could not take part: a baseline that is not built, a tool that is missing.
    strict (smoke mode, CI): any server that is not built, so that a smoke run cannot pass with
    nothing of zsock measured."""
    out = []
    for s in result["servers"]:
        if s["available"]:
            continue
        status = s.get("status", "")
        if (status == "tool missing" or (status == "not built" and strict)
                or (status == "not built" and s["name"] in BASELINES)):
            out.append(f"{s['name']}: {s['note']}")
    return out


def run_failures(result):
    """Echo and HTTP runs that did not work: a server that did not start (or stop with exit 0),
    a load generator or wrk that failed, a baseline with no figure at all."""
    out = list(result.get("verification_errors", []))
    for cell in result.get("echo", []):
        for name, runs in cell["runs"].items():
            for i, r in enumerate(runs, 1):
                if "error" in r:
                    out.append(f"{name} {_label(cell)} run {i}: {r['error']}")
                elif r.get("server_exit", 0) != 0:
                    out.append(f"{name} {_label(cell)} run {i}: the server exited with "
                               f"{r['server_exit']} when stopped (a crash, or a hang that "
                               f"needed SIGKILL)")
    for cell in result.get("http", []):
        for name, runs in cell["runs"].items():
            for i, r in enumerate(runs, 1):
                if "error" in r:
                    out.append(f"{name} {_label(cell)} run {i}: {r['error']}")
                elif r.get("exit", 0) != 0:
                    out.append(f"{name} {_label(cell)} run {i}: wrk exit {r['exit']}")
    return out


def tls_failures(result):
    tls = result.get("tls") or {}
    if result.get("options", {}).get("no_tls") or "error" not in tls:
        return []
    return [f"tls_bench: {tls['error']}"]


def counted_failures(result):
    """Counted figures that could not be taken. A figure the mode does not take is marked
    {"skipped": why} and is not a failure."""
    if result.get("options", {}).get("no_counted"):
        return []
    out = []
    for name, figures in result.get("counted", {}).items():
        for key, fig in figures.items():
            if isinstance(fig, dict) and "error" in fig:
                out.append(f"counted {key} of {name}: {fig['error']}")
    return out


def _calls(syscalls, name):
    """How many times the server made syscall `name` in the counted run."""
    if name in syscalls.get("calls", {}):
        return syscalls["calls"][name]
    # Older results keep only the per-message figure, rounded to 3 places.
    return round(syscalls.get("by_call", {}).get(name, 0) * syscalls["messages"])


def one_syscall_failures(result):
    """zsock_recv/zsock_send on a native socket = one recvfrom and one sendto per message,
    counted on one connection of ping-pong (where nothing batches): each must be made exactly
    once per message, plus at most PER_CONNECTION_SLACK for the connection itself."""
    if result.get("options", {}).get("no_counted"):
        return []
    out = []
    available = {s["name"] for s in result["servers"] if s["available"]}
    for name in ONE_SYSCALL_SERVERS:
        sc = result.get("counted", {}).get(name, {}).get("syscalls")
        if name not in available or sc is None or "skipped" in sc:
            continue  # not in this run or not counted in this mode (reported elsewhere)
        if "error" in sc:
            continue  # already a counted failure
        msgs = sc["messages"]
        connections = sc.get("connections", 1)
        for call in ("recvfrom", "sendto"):
            n = _calls(sc, call)
            if not msgs <= n <= msgs + PER_CONNECTION_SLACK * connections:
                out.append(f"{name}: {n} {call} calls for {msgs} messages on {connections} "
                           f"connection(s): zsock promises exactly one per message (counted "
                           f"by {sc.get('tool', '?')})")
    return out


def instruction_sanity_failures(result):
    """The raw epoll server's callgrind figure must be plausible, or the counter is broken."""
    if result.get("options", {}).get("no_counted"):
        return []
    fig = result.get("counted", {}).get("raw-epoll", {}).get("instructions")
    if not fig or "per_request" not in fig:
        return []  # not taken (a counted failure when it was attempted)
    lo, hi = RAW_EPOLL_INSTRUCTIONS_RANGE
    v = fig["per_request"]
    if lo <= v <= hi:
        return []
    return [f"raw-epoll: {v} user-space instructions per message under callgrind, outside "
            f"{lo:.0f}-{hi:.0f} (paced, Debian 12 reads 128; the issue quotes about 115): the "
            f"instruction count is broken"]


def result_failures(result, strict):
    """Every reason the run failed that can be read from its result."""
    return (server_failures(result, strict) + run_failures(result) + tls_failures(result)
            + counted_failures(result) + one_syscall_failures(result)
            + instruction_sanity_failures(result))


def output_failures(json_path, svg_path, chart_why):
    """The files the run promises: a JSON that reads back, and an SVG chart."""
    out = []
    try:
        with open(json_path) as f:
            json.load(f)
    except (OSError, ValueError) as e:
        out.append(f"results JSON not written: {json_path}: {e}")
    if not svg_path:
        out.append(f"chart not written: {chart_why}")
    else:
        try:
            with open(svg_path) as f:
                head = f.read(4096)
            if "<svg" not in head:
                out.append(f"chart {svg_path} is not an SVG")
        except OSError as e:
            out.append(f"chart not written: {e}")
    return out


def main(argv):
    """Applies the checks to a saved run: python3 bench/checks.py results/bench-....json"""
    if len(argv) != 2:
        print(main.__doc__)
        return 2
    with open(argv[1]) as f:
        result = json.load(f)
    fails = result_failures(result, strict=result.get("mode") == "smoke")
    chart = result.get("chart")
    if not chart or not os.path.exists(chart):
        fails.append(f"chart not found: {chart}")
    for f in fails:
        print("- " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
