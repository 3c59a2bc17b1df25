"""bench/counted.py - the counted figures: syscalls, heap allocations and user-space instructions
per request. Counts, unlike timings, do not depend on how busy this machine is.

All three use one fixed load: ONE connection, 64-byte ping-pong, a fixed number of messages, each
sent only once the server is asleep in its wait (loadgen --pace-on). With one connection nothing
can batch, and paced, no message can be found already queued by a server that a tracer or valgrind
slows down, so every message takes the same path (the one it takes at full speed: wait, read,
write, a read that finds nothing) and the figure repeats from run to run. Where a server does
per-connection work (accept, setup, close), two runs of different lengths are subtracted, so that
only the per-message cost remains.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import benchlib

SHAPE = dict(connections=1, size=64, depth=1)


def _loadgen(loadgen, port, count, cpu, timeout=120, connections=1, pace_on=None):
    shape = {**SHAPE, "connections": connections}
    rc, rep, err = benchlib.run_loadgen(loadgen, port, cpu=cpu, count=count, duration=60, drain=2,
                                        timeout=timeout, pace_on=pace_on, **shape)
    if rc != 0 or rep is None:
        raise RuntimeError(f"loadgen failed (exit {rc}): {rep and rep.get('first_error')} {err}")
    return rep


# Syscalls shown one by one (when the kernel has a tracepoint for them); the rest is "other".
_NAMED_SYSCALLS = ["read", "write", "recvfrom", "sendto", "recvmsg", "sendmsg", "readv", "writev",
                   "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll", "ppoll",
                   "select", "pselect6", "io_uring_enter", "accept", "accept4", "close",
                   "setsockopt", "getsockopt", "fcntl", "ioctl", "futex", "shutdown"]


def _tracefs():
    for d in ("/sys/kernel/tracing/events/syscalls", "/sys/kernel/debug/tracing/events/syscalls"):
        if os.path.isdir(d):
            return d
    return None


def perf_has_instructions():
    """True when perf can count retired instructions split user/kernel (a PMU is exposed; many
    VMs have none)."""
    if not shutil.which("perf"):
        return False
    p = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "-e", "instructions:k",
                        "true"], capture_output=True, text=True)
    return p.returncode == 0 and "<not" not in p.stderr


def perf_usable():
    """True when `perf stat` can count syscall tracepoints here (root or a low paranoid level)."""
    if not shutil.which("perf") or not _tracefs():
        return False
    p = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "true"],
                       capture_output=True, text=True)
    return p.returncode == 0 and "raw_syscalls:sys_enter" in p.stderr and "<not" not in p.stderr


def syscalls_per_request(argv, loadgen, count, cpus, tool="perf"):
    """Counts the server's syscalls during `count` messages, with `perf stat` on syscall
    tracepoints (no slowdown, so the server takes the same paths as unobserved) or `strace -c -f`
    (slows the server down, which can change how often a read finds the next request already
    there). Returns {"per_request": total/msg, "by_call": {name: calls/msg}, "tool": ...}.
    """
    if tool == "perf" and not perf_usable():
        tool = "strace"
    if tool == "strace" and not shutil.which("strace"):
        return {"error": "neither perf nor strace usable"}
    srv = benchlib.start_server(argv, cpu=cpus.server)
    out = tempfile.NamedTemporaryFile(prefix="zsock-syscalls-", delete=False)
    out.close()
    if tool == "perf":
        tp = _tracefs()
        named = [n for n in _NAMED_SYSCALLS if os.path.isdir(f"{tp}/sys_enter_{n}")]
        cmd = ["perf", "stat", "-x,", "-o", out.name, "-e", "raw_syscalls:sys_enter"]
        if perf_has_instructions():
            cmd += ["-e", "instructions:u", "-e", "instructions:k"]
        for n in named:
            cmd += ["-e", f"syscalls:sys_enter_{n}"]
        cmd += ["-p", str(srv.pid)]
    else:
        cmd = ["strace", "-c", "-f", "-o", out.name, "-p", str(srv.pid)]
    tracer = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    try:
        if tool == "perf":
            time.sleep(0.5)  # perf prints nothing when attached; it attaches in milliseconds
        elif not _wait_for(tracer, b"attached", 10):
            return {"error": "strace could not attach"}
        rep = _loadgen(loadgen, srv.port, count, cpus.load, pace_on=srv.pid)
        time.sleep(0.05)
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(10)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()
        benchlib.stop_server(srv)
    text = open(out.name).read()
    os.unlink(out.name)
    hw = {}
    if tool == "perf":
        calls, total, hw = _parse_perf(text)
        if total is None:
            return {"error": "perf counted nothing: " + text.strip()[-200:]}
        if total > sum(calls.values()):
            calls["other"] = total - sum(calls.values())
    else:
        calls = _parse_strace_summary(text)
        total = sum(calls.values())
    msgs = rep["total_messages"]
    by_call = {k: round(v / msgs, 3) for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v}
    extra = {f"{k}_per_request": round(v / msgs, 1) for k, v in hw.items()}
    # The raw counts too: a promise of exactly one call per message is checked on them
    # (bench/checks.py), not on rounded ratios.
    return {"per_request": round(total / msgs, 3), "by_call": by_call, "messages": msgs,
            "calls": dict(calls), "connections": SHAPE["connections"], **extra,
            "tool": "perf stat on syscall tracepoints" if tool == "perf"
            else "strace -c -f (attached during the run)"}


def _wait_for(proc, needle, timeout):
    deadline = time.monotonic() + timeout
    seen = b""
    while needle not in seen and time.monotonic() < deadline:
        r, _, _ = select.select([proc.stderr], [], [], 0.1)
        if r:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return needle in seen


def _parse_perf(text):
    calls, total, hw = {}, None, {}
    for line in text.splitlines():
        f = line.split(",")
        if len(f) < 3 or not f[0].strip().isdigit():
            continue
        ev = f[2]
        if ev == "raw_syscalls:sys_enter":
            total = int(f[0])
        elif ev in ("instructions:u", "instructions:k"):
            hw["instructions_" + ev[-1]] = int(f[0])
        elif ev.startswith("syscalls:sys_enter_"):
            calls[ev[len("syscalls:sys_enter_"):]] = int(f[0])
    return calls, total, hw


def _parse_strace_summary(text):
    calls = {}
    for line in text.splitlines():
        tok = line.split()
        if len(tok) < 5 or tok[-1] == "total" or not re.match(r"^[0-9.]+$", tok[0]):
            continue
        nums = tok[:-1]
        # % time, seconds, usecs/call, calls[, errors]
        if len(nums) >= 4:
            calls[tok[-1]] = calls.get(tok[-1], 0) + int(nums[3])
    return calls


def _read_malloc_counts(path):
    with open(path, "rb") as f:
        data = f.read(32)
    allocs, frees, nbytes, magic = struct.unpack("<4Q", data)
    if magic != 0x7A736F636B6D6331:
        raise RuntimeError("malloc counter file not live (LD_PRELOAD not applied?)")
    return allocs, frees, nbytes


def allocations_per_request(argv, loadgen, preload_lib, counts, cpus):
    """Heap allocations per message: LD_PRELOAD counter, a warm-up run, then two runs of different
    lengths on the same server; their difference leaves the per-message allocations.

    Returns {"per_request": allocs/msg, "setup_per_connection": ...}.
    """
    if not os.path.exists(preload_lib):
        return {"error": f"{preload_lib} not built"}
    fd, path = tempfile.mkstemp(prefix="zsock-malloc-")
    os.close(fd)
    env = {"ZSOCK_MALLOC_COUNT": path, "LD_PRELOAD": preload_lib}
    srv = benchlib.start_server(argv, cpu=cpus.server, env=env)
    try:
        # A first run warms the server up (pools, caches that grow once); it is not counted.
        _loadgen(loadgen, srv.port, counts[0], cpus.load)
        deltas = []
        for n in counts:
            a0, _, b0 = _read_malloc_counts(path)
            _loadgen(loadgen, srv.port, n, cpus.load)
            time.sleep(0.05)  # the server's close of the connection lands in this run
            a1, _, b1 = _read_malloc_counts(path)
            deltas.append((a1 - a0, b1 - b0))
    finally:
        benchlib.stop_server(srv)
        os.unlink(path)
    (d1, by1), (d2, by2) = deltas
    n1, n2 = counts
    per = (d2 - d1) / (n2 - n1)
    return {"per_request": round(per, 4), "bytes_per_request": round((by2 - by1) / (n2 - n1), 1),
            "per_connection": round(d1 - per * n1, 1), "runs": {str(n1): d1, str(n2): d2},
            "tool": "LD_PRELOAD malloc counter, difference of two runs"}


def instructions_per_request(argv, loadgen, counts, cpus, timeout=180, connections=1):
    """callgrind: total user-space instructions (Ir) of the server for two run lengths.

    counts are messages per connection; with several connections the figure is per message over
    all of them (a loop turn then serves several connections, as under real load).

    With one connection the load generator sends each message only once the server is asleep
    (--pace-on): at valgrind's speed the server would otherwise find some messages already queued
    when it reads after a reply, skip its wait for them, and the figure would move with timing
    (raw epoll read anywhere from -39 to 206 per message in smoke runs). Paced, every message
    takes the path it takes at full speed: a wait, a read, a write, a read that finds nothing.

    The total is taken with `callgrind_control --dump` right after the load, not at exit: a
    server blocked in io_uring_enter under valgrind may never see SIGINT (valgrind holds signals
    back during that call), and the dump does not depend on how the server exits. Callgrind reads
    the dump command when client code next runs, so a connection to the server wakes it.
    Returns {"per_request": (Ir(n2) - Ir(n1)) / (n2 - n1), "runs": {...}}.
    """
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        return {"error": "valgrind not installed"}
    totals = []
    unpaced = 0
    wake_counts = []
    for n in counts:
        tmpdir = tempfile.mkdtemp(prefix="zsock-callgrind-")
        out = os.path.join(tmpdir, "cg.out")
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                   "--dump-instr=no", "--compress-strings=no", "-q"]
        srv = benchlib.start_server(argv, cpu=cpus.server, wrapper=wrapper, timeout=60)
        try:
            rep = _loadgen(loadgen, srv.port, n, cpus.load, timeout=timeout,
                           connections=connections, pace_on=srv.pid if connections == 1 else None)
            unpaced += rep.get("pace_timeouts", 0)
            ctl = subprocess.Popen(["callgrind_control", "--dump", str(srv.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # vgdb (under callgrind_control) interrupts the blocked server through ptrace after
            # --max-invoke-ms (100 ms), so the dump usually needs no wake-up and counts nothing
            # extra. Where ptrace is refused, a connection wakes the server; each one it accepts
            # before the dump is counted (a few hundred instructions), so wake-ups start late
            # and stay rare: the same number, usually none, lands in both runs.
            start = time.monotonic()
            wakes = 0
            while ctl.poll() is None and time.monotonic() < start + 30:
                time.sleep(0.05)
                if time.monotonic() < start + 3 + wakes:
                    continue
                wakes += 1
                try:
                    socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                except OSError:
                    pass
            wake_counts.append(wakes)
            if ctl.poll() is None:
                ctl.kill()
                ctl.wait()
        finally:
            benchlib.stop_server(srv, timeout=10)
        total = None
        dump = out + ".1"
        if os.path.exists(dump):
            with open(dump) as f:
                for line in f:
                    if line.startswith(("summary:", "totals:")):
                        total = int(line.split()[1])
        shutil.rmtree(tmpdir, ignore_errors=True)
        if total is None:
            return {"error": "callgrind wrote no dump (callgrind_control --dump failed)"}
        totals.append(total)
    (n1, n2), (t1, t2) = counts, totals
    out = {"per_request": round((t2 - t1) / ((n2 - n1) * connections), 1),
           "connections": connections, "runs": {str(n1): t1, str(n2): t2},
           "tool": "valgrind --tool=callgrind, Ir, difference of two runs",
           "wake_connections": wake_counts}
    if connections == 1:
        out["unpaced_sends"] = unpaced  # sends that went out before the server was seen asleep
    return out


def _rss_kib(pid):
    return benchlib.proc_status(pid, "VmRSS")


def _open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def idle_memory_per_connection(argv, cpus, n=1000, timeout=30):
    """User-space memory per idle connection: the server's resident set (VmRSS: its own pages;
    socket buffers are kernel memory and not in it) before and after n connections that send
    nothing, divided by n. Growth that happens once (pools, the fd table) is charged to these
    connections too, so the figure errs on the high side."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    srv = benchlib.start_server(argv, cpu=cpus.server)
    socks = []
    try:
        time.sleep(0.2)
        base_fds = _open_fds(srv.pid)
        before = _rss_kib(srv.pid)
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
        deadline = time.monotonic() + timeout
        while _open_fds(srv.pid) < base_fds + n:  # every connection accepted and waiting in recv
            if time.monotonic() > deadline:
                raise RuntimeError(f"server accepted {_open_fds(srv.pid) - base_fds} of {n}")
            time.sleep(0.05)
        time.sleep(0.3)
        after = _rss_kib(srv.pid)
    finally:
        for s in socks:
            s.close()
        benchlib.stop_server(srv)
    return {"bytes_per_connection": round((after - before) * 1024 / n),
            "connections": n, "rss_kib": {"before": before, "after": after},
            "tool": "VmRSS before and after n idle connections"}
