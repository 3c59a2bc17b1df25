#!/usr/bin/env python3
"""tests/bench/check_bench.py - tests of the bench tools themselves (run by CTest).

  check_bench.py fault MODE --faulty BIN --loadgen BIN
      The load generator must catch a server that corrupts a byte, drops a connection, answers
      short or sends extra bytes (exit 1 and the matching counter), and must pass a faithful one.
  check_bench.py echo --server BIN [--server-arg A]... --loadgen BIN
      An echo server under test answers every byte right in ping-pong, pipelined, large-message
      and many-connection shapes (exit 77 when the server cannot run here).
  check_bench.py http --server BIN
      The HTTP responder answers keep-alive, pipelined and Connection: close requests.
  check_bench.py pace --server BIN --loadgen BIN
      loadgen --pace-on PID sends each message only once PID sleeps: a server slowed by valgrind
      then blocks in its wait on every message (its voluntary context switches count them), and
      a process that never sleeps costs one timeout per send (exit 77 without valgrind).
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import benchlib  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# fault -> (loadgen options, the error counters that must be > 0)
FAULTS = {
    "none": (dict(connections=4, size=100, depth=2, count=200), []),
    "corrupt": (dict(connections=4, size=100, depth=2, count=200),
                ["mismatched_bytes", "mismatched_messages"]),
    "drop": (dict(connections=4, size=100, depth=2, count=200), ["dropped_connections"]),
    "short": (dict(connections=4, size=100, depth=2, count=200),
              ["short_answers", "missing_bytes"]),
    "extra": (dict(connections=4, size=100, depth=2, count=200), ["mismatched_bytes"]),
}


def test_fault(args):
    opts, must = FAULTS[args.mode]
    # --every 2: only half the connections misbehave, so the counters must be per connection.
    srv = benchlib.start_server([args.faulty, "--fault", args.mode, "--at", "1050", "--every", "2"])
    try:
        rc, rep, err = benchlib.run_loadgen(args.loadgen, srv.port, duration=10, drain=3,
                                            timeout=60, **opts)
    finally:
        benchlib.stop_server(srv)
    check(rep is not None, f"{args.mode}: loadgen printed a JSON line ({err.strip()[:200]})")
    if rep is None:
        return
    errs = rep["errors"]
    print("     ", errs, rep["first_error"])
    if args.mode == "none":
        check(rc == 0 and rep["ok"], "faithful server: exit 0, ok true")
        check(all(v == 0 for v in errs.values()), "faithful server: every error counter is 0")
        check(rep["total_messages"] == 4 * 200, "faithful server: all 800 messages answered")
        check(rep["per_connection_msgs"] == {"min": 200, "p50": 200, "max": 200},
              f"faithful server: 200 messages on every connection ({rep['per_connection_msgs']})")
        return
    check(rc == 1 and rep["ok"] is False, f"{args.mode}: exit 1 and ok false")
    for key in must:
        check(errs[key] > 0, f"{args.mode}: {key} > 0")
    check(rep["first_error"] != "", f"{args.mode}: first_error says what went wrong")
    if args.mode == "corrupt":
        # One flipped bit on each of 2 faulty connections: exactly 2 bytes, 2 messages.
        check(errs["mismatched_bytes"] == 2, "corrupt: exactly the 2 flipped bytes reported")
        check(errs["mismatched_messages"] == 2, "corrupt: exactly 2 messages reported")
        check(errs["dropped_connections"] == 0, "corrupt: no connection reported dropped")
    if args.mode == "drop":
        check(errs["dropped_connections"] == 2, "drop: exactly the 2 closed connections reported")
        check(errs["mismatched_bytes"] == 0, "drop: no byte reported wrong")
        spread = rep["per_connection_msgs"]
        check(spread["min"] < 200 and spread["max"] == 200,
              f"drop: the per-connection spread shows the dropped ones ({spread})")
    if args.mode == "short":
        check(errs["dropped_connections"] == 0, "short: the connections stay up")
        check(errs["short_answers"] >= 2, "short: both stalled connections owe answers")


SHAPES = [
    dict(connections=1, size=64, depth=1, count=2000),
    dict(connections=8, size=4096, depth=8, count=300),
    dict(connections=4, size=65536, depth=4, count=40),
    dict(connections=300, size=512, depth=2, count=50),
    dict(connections=3, size=100000, depth=3, count=10),  # messages larger than any buffer
]


def test_echo(args):
    argv = [args.server] + (args.server_arg or [])
    try:
        srv = benchlib.start_server(argv)
    except benchlib.ServerSkipped as e:
        print("skipped:", e)
        sys.exit(77)
    try:
        for shape in SHAPES:
            rc, rep, err = benchlib.run_loadgen(args.loadgen, srv.port, duration=30, drain=5,
                                                timeout=90, **shape)
            ok = rc == 0 and rep is not None and rep["ok"]
            total = shape["connections"] * shape["count"]
            check(ok and rep["total_messages"] == total,
                  f"{os.path.basename(args.server)} {shape}: all {total} answers verified"
                  + ("" if ok else f" ({rep and rep['errors']} {rep and rep['first_error']} "
                                   f"{err.strip()[:200]})"))
        # A client that vanishes mid-stream must not take the server down.
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"x" * 200000)
        s.close()
        time.sleep(0.2)
        rc, rep, _ = benchlib.run_loadgen(args.loadgen, srv.port, connections=2, count=100)
        check(rc == 0, "server still answers after a client vanished mid-stream")
    finally:
        rc = benchlib.stop_server(srv)
    check(rc == 0, f"server exits 0 on SIGINT (got {rc})")


def http_exchange(port, payload, want, timeout=5.0):
    """Sends payload, reads until `want` responses arrived or the peer closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(payload)
    data = b""
    closed = False
    while data.count(b"Hello, World!") < want:
        chunk = s.recv(65536)
        if not chunk:
            closed = True
            break
        data += chunk
    return s, data, closed


def test_http(args):
    srv = benchlib.start_server([args.server])
    try:
        req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        s, data, closed = http_exchange(srv.port, req, 1)
        check(data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\nHello, World!"),
              "one request, one 200 response with the body")
        check(b"Content-Length: 13\r\n" in data, "Content-Length is 13")
        s.sendall(req)  # keep-alive: the same connection answers again
        again = s.recv(65536)
        check(again.endswith(b"Hello, World!"), "keep-alive: a second request on the same socket")
        s.close()

        s, data, closed = http_exchange(srv.port, req * 100, 100)
        check(data.count(b"HTTP/1.1 200 OK") == 100, "100 pipelined requests, 100 responses")
        s.close()

        # Requests split at awkward places arrive in pieces.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        for piece in (b"GET / HT", b"TP/1.1\r\nHost: x\r", b"\n\r", b"\n"):
            s.sendall(piece)
            time.sleep(0.02)
        check(s.recv(65536).endswith(b"Hello, World!"), "a request split into 4 pieces")
        s.close()

        s, data, closed = http_exchange(
            srv.port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1)
        rest = s.recv(65536)
        check(data.endswith(b"Hello, World!") and rest == b"", "Connection: close answers, closes")
        s.close()

        s, data, closed = http_exchange(srv.port, b"GET / HTTP/1.0\r\n\r\n", 1)
        check(s.recv(65536) == b"", "HTTP/1.0 without keep-alive closes after the answer")
        s.close()

        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        resp = s.recv(65536)
        check(resp.startswith(b"HTTP/1.1 400"), "a request with a body gets 400")
        s.close()

        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        try:
            s.sendall(b"GET /" + b"a" * 40000)  # no end of headers within the input buffer
            closed = s.recv(65536) == b""
        except ConnectionResetError:
            closed = True
        check(closed, "a request larger than the input buffer closes the connection")
        s.close()
    finally:
        rc = benchlib.stop_server(srv)
    check(rc == 0, f"server exits 0 on SIGINT (got {rc})")


def test_pace(args):
    if args.sanitized:
        # A sanitizer runtime refuses to start under valgrind; the busy-target half still runs.
        print("skipped: the valgrind half (sanitizer build)")
    elif not shutil.which("valgrind"):
        print("skipped: valgrind is not installed")
        sys.exit(77)
    else:
        _pace_slowed_server(args)
    _pace_busy_target(args)


def _pace_slowed_server(args):
    count = 300
    # Under valgrind the server is slow enough that, unpaced, it finds most messages already
    # queued when it reads after a reply and sleeps a handful of times in 300 messages.
    srv = benchlib.start_server(["valgrind", "--tool=none", "-q", args.server], timeout=60)
    try:
        time.sleep(0.2)
        before = benchlib.proc_status(srv.pid, "voluntary_ctxt_switches")
        rc, rep, err = benchlib.run_loadgen(args.loadgen, srv.port, connections=1, size=64, depth=1,
                                            count=count, pace_on=srv.pid, timeout=120)
        slept = benchlib.proc_status(srv.pid, "voluntary_ctxt_switches") - before
    finally:
        benchlib.stop_server(srv, timeout=10)
    check(rc == 0 and rep is not None and rep["total_messages"] == count,
          f"paced: all {count} answers verified ({err.strip()[:200]})")
    check(rep is not None and rep.get("pace_timeouts") == 0,
          f"paced: no send went out unpaced ({rep and rep.get('pace_timeouts')})")
    check(slept >= count, f"paced: the server slept before every message ({slept} >= {count})")


def _pace_busy_target(args):
    # A process that never sleeps once it spins (its start-up, which may sleep, is waited out).
    spin = "print('spinning', flush=True)\nwhile True: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin], stdout=subprocess.PIPE)
    busy.stdout.readline()
    srv = benchlib.start_server([args.server])
    try:
        t0 = time.monotonic()
        rc, rep, err = benchlib.run_loadgen(args.loadgen, srv.port, connections=1, size=64, depth=1,
                                            count=3, pace_on=busy.pid, timeout=60)
        took = time.monotonic() - t0
    finally:
        busy.kill()
        busy.wait()
        benchlib.stop_server(srv)
    check(rc == 0 and rep is not None and rep["total_messages"] == 3,
          f"pace on a busy process: the run still completes ({err.strip()[:200]})")
    timeouts = rep and rep.get("pace_timeouts")
    check(timeouts == 3, f"pace on a busy process: each of the 3 sends timed out ({timeouts})")
    check(took >= 0.3, f"pace on a busy process: each send waited its 100 ms ({took:.2f} s)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fault")
    f.add_argument("mode", choices=sorted(FAULTS))
    f.add_argument("--faulty", required=True)
    f.add_argument("--loadgen", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--server", required=True)
    e.add_argument("--server-arg", action="append")
    e.add_argument("--loadgen", required=True)
    h = sub.add_parser("http")
    h.add_argument("--server", required=True)
    p = sub.add_parser("pace")
    p.add_argument("--server", required=True)
    p.add_argument("--loadgen", required=True)
    p.add_argument("--sanitized", action="store_true", help="a sanitizer build: no valgrind")
    args = ap.parse_args()
    {"fault": test_fault, "echo": test_echo, "http": test_http, "pace": test_pace}[args.cmd](args)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
