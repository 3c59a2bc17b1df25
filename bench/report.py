"""bench/report.py - the runner's output: markdown tables, the goals, the gnuplot chart."""
from __future__ import annotations

import os
import shutil
import subprocess

import stats

BASELINE_ECHO = "raw-epoll"
BASELINE_HTTP = "raw-epoll-http"


def _f(v, fmt="{:,.0f}"):
    return "–" if v is None else fmt.format(v)


def _ratio_text(s):
    """The ratio to the baseline, with the range of the per-repetition ratios behind it."""
    txt = _f(s.get("ratio"), "{:.2f}")
    rng = s.get("ratio_range")
    if rng and s.get("trust") != "baseline":
        lo, hi = f"{rng[0]:.2f}", f"{rng[1]:.2f}"
        if lo != hi:
            txt += f" ({lo}–{hi})"
    return txt


def _mode_name(depth):
    return "ping-pong" if depth == 1 else f"pipelined×{depth}"


def echo_table(cells):
    out = ["| load | server | msgs/s | ±% | × raw epoll | server CPU µs/msg | CPU × raw epoll "
           "| server busy | p50 µs | p99 µs | p99.9 µs | trust |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for cell in cells:
        load = f"{cell['connections']} conn × {cell['size']} B {_mode_name(cell['depth'])}"
        for name, s in cell["summary"].items():
            if s.get("error"):
                out.append(f"| {load} | {name} | {s['error']} " + "|" * 10)  # 12 columns
                continue
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                load, name, _f(s["msgs_per_s"]["median"]), _f(s["msgs_per_s"]["spread_pct"], "{}"),
                _ratio_text(s),
                _f(s.get("cpu_us_per_msg"), "{:.2f}"),
                _f(s.get("cpu_ratio"), "{:.2f}"), _f(s.get("busy"), "{:.0%}"),
                _f(s.get("p50"), "{:.1f}"), _f(s.get("p99"), "{:.1f}"), _f(s.get("p999"), "{:.1f}"),
                s.get("trust", "")))
    return "\n".join(out)


def echo_matrix(cells):
    """The whole run on one line per cell: each server's messages/s as a ratio to raw epoll, with
    its server-CPU-per-message ratio in brackets; (?) marks a difference the run cannot trust."""
    names = []
    for cell in cells:
        for n in cell["summary"]:
            if n != BASELINE_ECHO and n not in names:
                names.append(n)
    out = ["| load | raw epoll msgs/s | " + " | ".join(names) + " |",
           "|---|---:|" + "---:|" * len(names)]
    for cell in cells:
        base = cell["summary"].get(BASELINE_ECHO, {})
        row = [f"{cell['connections']} × {cell['size']} B {_mode_name(cell['depth'])}",
               _f(base["msgs_per_s"]["median"]) if "msgs_per_s" in base else "–"]
        for n in names:
            s = cell["summary"].get(n)
            if not s or s.get("error") or s.get("ratio") is None:
                row.append("–")
                continue
            txt = f"{s['ratio']:.2f}"
            if s.get("cpu_ratio") is not None:
                txt += f" ({s['cpu_ratio']:.2f})"
            if s.get("trust") == "too noisy":
                txt += " ?"
            row.append(txt)
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def http_table(cells):
    out = ["| load | server | requests/s | ±% | × raw epoll | server CPU µs/req | p50 µs | p99 µs "
           "| errors | trust |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for cell in cells:
        load = f"wrk {cell['connections']} conn"
        for name, s in cell["summary"].items():
            if s.get("error"):
                out.append(f"| {load} | {name} | {s['error']} ||||||||")
                continue
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                load, name, _f(s["rps"]["median"]), _f(s["rps"]["spread_pct"], "{}"),
                _ratio_text(s), _f(s.get("cpu_us_per_req"), "{:.2f}"),
                _f(s.get("p50"), "{:.1f}"), _f(s.get("p99"), "{:.1f}"), s.get("errors", 0),
                s.get("trust", "")))
    return "\n".join(out)


def tls_table(tls):
    """tls_bench's medians: zsock TLS sockets next to raw mbedTLS on kernel sockets."""
    if not tls or "error" in tls or "skipped" in tls:
        return "TLS: " + ((tls or {}).get("error") or (tls or {}).get("skipped") or "not run")
    h, b = tls["handshakes_per_s"], tls["bulk_mb_per_s"]
    return "\n".join([
        f"TLS 1.2, {tls['suite']}, loopback (tls_bench, median of {tls['runs']} runs)", "",
        "| figure | raw mbedTLS | zsock TLS | zsock ÷ raw |", "|---|---:|---:|---:|",
        f"| handshakes/s | {h['median_raw']:,.0f} | {h['median_zsock']:,.0f} | "
        f"{h['median_zsock'] / h['median_raw']:.2f} |",
        f"| bulk MB/s (16 KiB records) | {b['median_raw']:,.0f} | {b['median_zsock']:,.0f} | "
        f"{b['median_zsock'] / b['median_raw']:.2f} |"])


def counted_table(counted, shape_note):
    base = counted.get(BASELINE_ECHO, {}).get("instructions", {}).get("per_request")
    hw = any(c.get("syscalls", {}).get("instructions_u_per_request") for c in counted.values())
    out = [f"Counted per request ({shape_note}):", "",
           "| server | syscalls/msg | by call (per msg) | heap allocs/msg | user instr/msg "
           "(callgrind) | instr × raw epoll | user instr/msg, 50 conn | idle conn (RSS B) |"
           + (" perf instr/msg user + kernel |" if hw else ""),
           "|---|---:|---|---:|---:|---:|---:|---:|" + ("---:|" if hw else "")]
    for name, c in counted.items():
        sc = c.get("syscalls", {})
        al = c.get("allocations", {})
        ins = c.get("instructions", {})
        by = ", ".join(f"{k} {v:.2f}" for k, v in list(sc.get("by_call", {}).items())[:5])
        ipr = ins.get("per_request")
        i50 = c.get("instructions_50", {})
        mem = c.get("idle_memory", {})
        out.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            name, _fig(sc, "per_request", "{:.2f}"), by or "–",
            _fig(al, "per_request", "{:.3f}"),
            _fig(ins, "per_request", "{:,.1f}") + (f" ({ins['unpaced_sends']} sends unpaced)"
                                                   if ins.get("unpaced_sends") else ""),
            _f(ipr / base if ipr and base else None, "{:.2f}"),
            _fig(i50, "per_request", "{:,.1f}"), _fig(mem, "bytes_per_connection", "{:,}"))
            + (" {} + {} |".format(_f(sc.get("instructions_u_per_request"), "{:,.0f}"),
                                   _f(sc.get("instructions_k_per_request"), "{:,.0f}"))
               if hw else ""))
    return "\n".join(out)


def _fig(fig, key, fmt):
    """A counted figure for a table cell: its value, or why there is none."""
    if "error" in fig:
        return _short(fig["error"])
    if "skipped" in fig:
        return _short(fig["skipped"])
    return _f(fig.get(key), fmt)


def _why_not(fig):
    """": why" for a counted figure that is missing, for the goals' "not measured"."""
    why = fig.get("error") or fig.get("skipped")
    return f": {why}" if why else ""


def _short(text, n=90):
    """An error cut to fit a table cell (the JSON keeps it whole)."""
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def goals_table(goals):
    out = ["| goal | measured | status |", "|---|---|---|"]
    for g in goals:
        out.append(f"| {g['goal']} | {g['measured']} | {g['status']} |")
    return "\n".join(out)


_PER_RUN = {"msgs_per_s": "per_run", "rps": "per_run", "cpu": "cpu_per_run"}


def _paired(s, b, key, target):
    """s against b on key ("msgs_per_s", "rps" or "cpu"): (ratio, noisy, text).

    The ratio is the median of the per-repetition ratios (stats.paired), and it is noisy when the
    repetitions disagree on which side of target it falls; text adds their range. A result file
    without per-run figures falls back to the ratio of the medians, noisy when the min-max ranges
    overlap.
    """
    r, p = stats.ratio_of(s, b, key, _PER_RUN[key])
    if p:
        rng = f" (runs {p['min']:.2f}–{p['max']:.2f})" if p["n"] > 1 else ""
        return r, stats.verdict(p, target) == "too noisy", f"{r:.2f}×{rng}"
    noisy = s[key]["min"] <= b[key]["max"] and b[key]["min"] <= s[key]["max"]
    return r, noisy, f"{r:.2f}×"


def _ratio_goal(cells, server, against, target, conns, size, label):
    for cell in cells:
        if cell["connections"] == conns and cell["size"] == size and cell["depth"] == 1:
            s, b = cell["summary"].get(server), cell["summary"].get(against)
            if not s or not b or s.get("error") or b.get("error"):
                why = (s or {}).get("error") or (b or {}).get("error") or "not run"
                return {"goal": label, "measured": "–", "status": f"not measured ({why})"}
            r, noisy, text = _paired(s, b, "msgs_per_s", target)
            return {"goal": label, "measured": text, "status": _status(r >= target, noisy)}
    return {"goal": label, "measured": "–", "status": "not measured (cell not in this mode)"}


def _status(ok, noisy):
    return ("met" if ok else "NOT met") + (
        " by the median, but too noisy to trust (the repetitions fall on both sides of the target)"
        if noisy else "")


def _every_cell_goal(cells, server, against, key, target, label, at_most=False):
    """A ratio goal that must hold in every cell of the run: reports the worst cell."""
    worst = None
    for cell in cells:
        s, b = cell["summary"].get(server), cell["summary"].get(against)
        if not s or not b or s.get("error") or b.get("error") or key not in s or key not in b:
            continue
        r, noisy, text = _paired(s, b, key, target)
        where = f'{cell["connections"]} conn' + (f' × {cell["size"]} B' if "size" in cell else "")
        if "depth" in cell and cell["depth"] > 1:
            where += " pipelined"
        bad = -r if at_most else r
        if worst is None or bad < worst[0]:
            worst = (bad, r, where, noisy, text)
    if worst is None:
        return {"goal": label, "measured": "–", "status": "not measured (no cell with both)"}
    _, r, where, noisy, text = worst
    ok = r <= target if at_most else r >= target
    return {"goal": label, "measured": f"worst {text} at {where}", "status": _status(ok, noisy)}


def _cpu_goal(cells, server, against, target, conns, size, label):
    for cell in cells:
        if cell["connections"] == conns and cell["size"] == size and cell["depth"] == 1:
            s, b = cell["summary"].get(server), cell["summary"].get(against)
            if not s or not b or not s.get("cpu") or not b.get("cpu"):
                return {"goal": label, "measured": "–", "status": "not measured"}
            r, noisy, text = _paired(s, b, "cpu", target)
            return {"goal": label, "measured": text, "status": _status(r <= target, noisy)}
    return {"goal": label, "measured": "–", "status": "not measured (cell not in this mode)"}


def _coro_goals(echo_cells, http_cells, counted, built):
    """The coroutine engines' goals from the coroutine issue."""
    goals = []
    label = "epoll engine ≥ 0.95× raw epoll at every connection count"
    if "coro-epoll" in built:
        goals.append(_every_cell_goal(echo_cells, "coro-epoll", "raw-epoll", "msgs_per_s", 0.95,
                                      label))
    goals.append(_cpu_goal(echo_cells, "coro-io_uring", "raw-epoll", 0.90, 500, 64,
                           "io_uring engine server CPU/msg ≤ 0.90× raw epoll, 500×64 B"))
    label = "epoll engine ≤ 500 user-space instructions/msg at 50 connections (callgrind)"
    i50 = counted.get("coro-epoll", {}).get("instructions_50", {})
    if "per_request" in i50:
        ref = counted.get("raw-epoll", {}).get("instructions_50", {}).get("per_request")
        goals.append({"goal": label, "measured": f"{i50['per_request']:,.0f}"
                      + (f" (raw epoll {ref:,.0f})" if ref else ""),
                      "status": "met" if i50["per_request"] <= 500 else "NOT met"})
    else:
        goals.append({"goal": label, "measured": "–",
                      "status": "not measured" + _why_not(i50)})
    for server in ("coro-epoll", "coro-io_uring"):
        label = f"≤ 4 KiB user-space memory per idle connection ({server})"
        m = counted.get(server, {}).get("idle_memory", {})
        if "bytes_per_connection" in m:
            goals.append({"goal": label, "measured": f"{m['bytes_per_connection']:,} B "
                                                     f"(RSS, {m['connections']} connections)",
                          "status": "met" if m["bytes_per_connection"] <= 4096 else "NOT met"})
        else:
            goals.append({"goal": label, "measured": "–", "status": "not measured"
                          + _why_not(m)})
    for server in ("coro-http-epoll", "coro-http-io_uring"):
        label = f"http_server under wrk ≥ raw epoll HTTP responder ({server})"
        if server in built:
            goals.append(_every_cell_goal(http_cells, server, "raw-epoll-http", "rps", 1.0,
                                          label))
        else:
            goals.append({"goal": label, "measured": "–", "status": "not measured"})
    return goals


def evaluate_goals(echo_cells, counted, servers, http_cells=()):
    """The README's goals, each met / NOT met / not measured, with the figure behind it."""
    built = {s["name"] for s in servers if s["available"]}
    goals = []
    for server, against, target, label in (
            ("coro-io_uring", "raw-io_uring", 0.97, "io_uring engine ≥ 0.97× raw io_uring, 500×64 B"),
            ("coro-io_uring", "raw-epoll", 1.10, "io_uring engine ≥ 1.10× raw epoll, 500×64 B"),
            ("coro-epoll", "raw-epoll", 0.95, "epoll engine ≥ 0.95× raw epoll, 500×64 B")):
        if server not in built:
            note = next((s["note"] for s in servers if s["name"] == server), "not in this run")
            goals.append({"goal": label, "measured": "–", "status": f"not measured: {note}"})
        else:
            goals.append(_ratio_goal(echo_cells, server, against, target, 500, 64, label))
    goals += _coro_goals(echo_cells, http_cells, counted, built)
    for server in ("coro-epoll", "coro-io_uring", "zsock-poll"):
        label = f"zero heap allocations per request ({server})"
        a = counted.get(server, {}).get("allocations", {})
        if "per_request" not in a:
            why = a.get("error") or ("counted figures skipped" if server in built and not counted
                                     else next((s["note"] for s in servers
                                                if s["name"] == server), "not in this run"))
            goals.append({"goal": label, "measured": "–", "status": "not measured: " + why})
        else:
            goals.append({"goal": label, "measured": f"{a['per_request']:.3f}",
                          "status": "met" if a["per_request"] < 0.01 else "NOT met"})
    z = counted.get("zsock-poll", {})
    l = counted.get("libc-poll", {})
    names = {s["name"] for s in servers}
    poll_why = ("" if {"zsock-poll", "libc-poll"} <= names
                else ": the poll loops are not in this run (smoke and full modes run them)")
    zi, li = z.get("instructions", {}).get("per_request"), l.get("instructions", {}).get("per_request")
    label = "zsock poll loop ≤ 1.05× libc poll loop, user-space instructions/msg (callgrind)"
    if zi and li:
        goals.append({"goal": label, "measured": f"{zi:,.0f} vs {li:,.0f} (+{zi - li:,.0f}/msg) "
                                                 f"= {zi / li:.2f}×",
                      "status": "met" if zi / li <= 1.05 else "NOT met"})
    else:
        goals.append({"goal": label, "measured": "–", "status": "not measured" + poll_why})
    label = "zsock poll loop adds ≤ 5% CPU per message (user + kernel)"
    zu = z.get("syscalls", {}).get("instructions_u_per_request")
    zk = z.get("syscalls", {}).get("instructions_k_per_request")
    lu = l.get("syscalls", {}).get("instructions_u_per_request")
    lk = l.get("syscalls", {}).get("instructions_k_per_request")
    if zu and zk and lu and lk:
        r = (zu + zk) / (lu + lk)
        goals.append({"goal": label, "measured": f"perf instructions u+k {zu + zk:,.0f} vs "
                                                 f"{lu + lk:,.0f} = {r:.3f}×",
                      "status": "met" if r <= 1.05 else "NOT met"})
    else:
        cmp = []
        for cell in echo_cells:
            zc, lc = cell["summary"].get("zsock-poll"), cell["summary"].get("libc-poll")
            if zc and lc and zc.get("cpu") and lc.get("cpu"):
                r, noisy, _ = _paired(zc, lc, "cpu", 1.05)
                cmp.append((cell["connections"], r, noisy))
        if cmp:
            txt = "; ".join(f"{c} conn {r:.2f}×" + (" (noisy)" if o else "") for c, r, o in cmp)
            ok = all(r <= 1.05 for _, r, _ in cmp)
            noisy = any(o for _, _, o in cmp)
            goals.append({"goal": label, "measured": "timed server CPU/msg, zsock ÷ libc: " + txt,
                          "status": ("met" if ok else "NOT met")
                          + (" by the median, but too noisy to trust" if noisy else " (timed)")
                          + "; no PMU here for a counted user+kernel figure"})
        else:
            goals.append({"goal": label, "measured": "–", "status": "not measured" + poll_why})
    zs, ls = z.get("syscalls", {}).get("by_call"), l.get("syscalls", {}).get("by_call")
    label = "zsock_recv/zsock_send = exactly one syscall (counted per msg, perf or strace -c)"
    if zs and ls:
        zr, zw = zs.get("recvfrom", 0), zs.get("sendto", 0)
        same = abs(z["syscalls"]["per_request"] - l["syscalls"]["per_request"]) < 0.01
        goals.append({"goal": label,
                      "measured": f"recvfrom {zr:.2f}, sendto {zw:.2f}; total "
                                  f"{z['syscalls']['per_request']:.2f} vs libc "
                                  f"{l['syscalls']['per_request']:.2f}",
                      "status": "met" if abs(zr - 1) < 0.01 and abs(zw - 1) < 0.01 and same
                      else "NOT met"})
    elif counted.get("coro-epoll", {}).get("syscalls", {}).get("by_call"):
        # Without the poll loops (main mode), the epoll engine's native calls show the same.
        cs = counted["coro-epoll"]["syscalls"]["by_call"]
        cr, cw = cs.get("recvfrom", 0), cs.get("sendto", 0)
        goals.append({"goal": label, "measured": f"coro-epoll: recvfrom {cr:.2f}, sendto {cw:.2f}",
                      "status": "met" if abs(cr - 1) < 0.01 and abs(cw - 1) < 0.01
                      else "NOT met"})
    else:
        goals.append({"goal": label, "measured": "–", "status": "not measured"})
    return goals


def chart(echo_cells, servers, path_base, http_cells=()):
    """gnuplot SVG: messages/s (top) and server CPU µs/msg (bottom) by connection count, one line
    per server, for the smallest message size in ping-pong; in a run with no echo server (HTTP
    only), requests/s and CPU µs/request under wrk instead. Returns the SVG path or a reason."""
    if not shutil.which("gnuplot"):
        return None, "gnuplot not installed"
    names = [s["name"] for s in servers if s["available"] and s["kind"] == "echo"]
    pp = [c for c in echo_cells if c["depth"] == 1] or echo_cells
    if names and pp:
        size = min(c["size"] for c in pp)
        cells = sorted((c for c in pp if c["size"] == size), key=lambda c: c["connections"])
        title, rate, cpu = f"zsock echo, {size} B ping-pong", "msgs_per_s", "cpu_us_per_msg"
        unit = "message"
    else:
        names = [s["name"] for s in servers if s["available"] and s["kind"] == "http"]
        cells = sorted(http_cells, key=lambda c: c["connections"])
        title, rate, cpu, unit = "zsock http_server under wrk", "rps", "cpu_us_per_req", "request"
    if not names or not cells:
        return None, "no echo or HTTP cells"
    dat = path_base + ".dat"
    with open(dat, "w") as f:
        for name in names:
            f.write(f'"{name}"\n')
            for c in cells:
                s = c["summary"].get(name)
                if s and not s.get("error"):
                    f.write(f"{c['connections']} {s[rate]['median']:.1f} "
                            f"{s.get(cpu) or 0:.4f}\n")
            f.write("\n\n")
    svg = path_base + ".svg"
    plots_top = ", ".join(f"'{dat}' index {i} using 1:2 with linespoints lw 2 pt 7 title '{n}'"
                          for i, n in enumerate(names))
    plots_bot = ", ".join(f"'{dat}' index {i} using 1:3 with linespoints lw 2 pt 7 title '{n}'"
                          for i, n in enumerate(names))
    script = f"""
set terminal svg size 900,900 dynamic font 'sans,12' noenhanced
set output '{svg}'
set multiplot layout 2,1 title '{title} (median of runs)'
set logscale x 2
set grid
set key outside right
set xlabel 'connections'
set ylabel '{unit}s/s'
set yrange [0:*]
set format y '%.0s%c'
plot {plots_top}
set ylabel 'server CPU µs per {unit}'
set format y '%g'
plot {plots_bot}
unset multiplot
"""
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        return None, "gnuplot failed: " + p.stderr.strip()[:300]
    os.unlink(dat)
    return svg, None


def main(argv):
    """Re-renders a saved run: python3 bench/report.py results/bench-full-....json"""
    import json
    if len(argv) != 2:
        print(main.__doc__)
        return 2
    with open(argv[1]) as f:
        run = json.load(f)
    m = run["machine"]
    print(f"`{run['command']}` on {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; "
          f"load average {' '.join(m['loadavg_start'])} at the start, "
          f"{' '.join(m.get('loadavg_end', ['?']))} at the end; {run['elapsed_s'] / 60:.0f} min.\n")
    if run["echo"]:
        print("Echo, messages/s × raw epoll (server CPU per message × raw epoll); "
              "? = too noisy to trust:\n")
        print(echo_matrix(run["echo"]) + "\n")
    if run["http"]:
        print(http_table(run["http"]) + "\n")
    if run.get("tls"):
        print(tls_table(run["tls"]) + "\n")
    if run["counted"]:
        print(counted_table(run["counted"], "1 connection, 64 B ping-pong") + "\n")
    print(goals_table(evaluate_goals(run["echo"], run["counted"], run["servers"], run["http"])))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
