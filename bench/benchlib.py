"""bench/benchlib.py - starting, reading and stopping the programs under test (stdlib only).

Shared by bench/run.py and the tests under tests/bench/. Every server prints
"listening on 127.0.0.1:PORT" when it is ready (port 0 asks for a free port) and stops on SIGINT.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

SKIP = 77  # exit code of a program that cannot run here (io_uring refused...)
_LISTENING = re.compile(rb"listening on [0-9.]+:(\d+)")


class ServerSkipped(Exception):
    """The server exited 77: a feature it needs is refused by this kernel."""


class ServerFailed(Exception):
    pass


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    banner: list[str] = field(default_factory=list)  # lines printed before and with "listening"

    @property
    def pid(self) -> int:
        return self.proc.pid


def start_server(argv: list[str], *, cpu: int | None = None, env: dict | None = None,
                 wrapper: list[str] | None = None, timeout: float = 10.0) -> Server:
    """Starts argv (+ --port 0), pinned to `cpu` when given, and waits for its listening line.

    `wrapper` runs the server under another program (valgrind...); the pid is then the wrapper's,
    which for valgrind is the server itself.
    """
    cmd = list(wrapper or []) + list(argv) + ["--port", "0"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.1)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            m = _LISTENING.search(buf)
            if m:
                # Read whatever else the server says in the next moment (its engine line).
                end = time.monotonic() + 0.05
                while time.monotonic() < end:
                    r, _, _ = select.select([proc.stdout], [], [], 0.02)
                    if not r:
                        continue
                    more = os.read(proc.stdout.fileno(), 4096)
                    if not more:
                        break
                    buf += more
                banner = [ln for ln in buf.decode(errors="replace").splitlines() if ln.strip()]
                _drain_in_background(proc)
                return Server(proc, int(m.group(1)), banner)
        elif proc.poll() is not None:
            break
    rc = proc.poll()
    if rc is None:
        try:  # it closed its output, so it is exiting: wait a moment for its exit status
            rc = proc.wait(1)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = buf.decode(errors="replace").strip()
    if rc == SKIP:
        raise ServerSkipped(text.splitlines()[-1] if text else "exit 77")
    raise ServerFailed(f"{' '.join(cmd)}: no listening line (exit {rc}): {text[-500:]}")


def _drain_in_background(proc: subprocess.Popen) -> None:
    """Keeps reading the server's output so that a chatty server never blocks on a full pipe."""
    import threading

    def pump():
        try:
            while os.read(proc.stdout.fileno(), 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=pump, daemon=True).start()


def stop_server(server: Server, timeout: float = 30.0) -> int:
    """SIGINT, then wait; then SIGKILL.

    Under valgrind a signal can stay pending while the server sits in a blocking syscall that
    valgrind runs with signals blocked (io_uring_enter; sometimes ppoll): valgrind delivers it
    when the call returns. So while waiting, a connection to the server's port now and then makes
    that call return; a server that is already stopping ignores it.
    """
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                server.proc.wait(0.5)
                break
            except subprocess.TimeoutExpired:
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                except OSError:
                    pass
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
    return server.proc.returncode


def proc_status(pid: int, key: str) -> int:
    """The number on line `key:` of /proc/PID/status (VmRSS in KiB, voluntary_ctxt_switches)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def run_loadgen(loadgen: str, port: int, *, cpu: int | None = None, timeout: float = 120,
                **opts) -> tuple[int, dict | None, str]:
    """Runs bench_loadgen with --key value options; returns (exit code, JSON report, stderr)."""
    cmd = [loadgen, "--port", str(port)]
    for k, v in opts.items():
        if v is not None:
            cmd += ["--" + k.replace("_", "-"), str(v)]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    report = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            report = json.loads(line)
    return p.returncode, report, p.stderr
