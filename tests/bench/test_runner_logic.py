#!/usr/bin/env python3
"""tests/bench/test_runner_logic.py - the bench runner's own logic, on synthetic figures (CTest,
LABELS bench). No server runs here: these check the arithmetic and the verdicts that the
benchmark prints, so that a wrong median, a ratio upside down or a goal marked met when it is not
is caught before anyone reads a table.

  python3 tests/bench/test_runner_logic.py -v
"""
import copy
import json
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import checks  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import stats  # noqa: E402


# --- Synthetic figures ----------------------------------------------------------------------

def summary(rate_runs, cpu_runs=None, key="msgs_per_s"):
    """One server's summary in a cell, as run.summarize_echo makes it, from per-run figures."""
    s = {key: stats.summarize(rate_runs), "per_run": list(rate_runs)}
    if cpu_runs:
        s["cpu"] = stats.summarize(cpu_runs)
        s["cpu_us_per_msg"] = s["cpu"]["median"]
        s["cpu_per_run"] = list(cpu_runs)
    return s


def echo_cell(conns, size, servers, depth=1):
    """servers: {name: (msgs/s per run, CPU µs/msg per run)}; ratios added as run.py does."""
    summ = {name: summary(rates, cpus) for name, (rates, cpus) in servers.items()}
    run.add_ratios(summ, report.BASELINE_ECHO, "msgs_per_s", "cpu")
    return {"connections": conns, "size": size, "depth": depth, "runs": {}, "summary": summ}


def http_cell(conns, servers):
    summ = {name: summary(rates, key="rps") for name, rates in servers.items()}
    run.add_ratios(summ, report.BASELINE_HTTP, "rps", None)
    return {"connections": conns, "runs": {}, "summary": summ}


def server_list(*names, unavailable=()):
    out = []
    for n in names:
        ok = n not in unavailable
        out.append({"name": n, "kind": "http" if "http" in n else "echo", "available": ok,
                    "note": "" if ok else "not built (looked for x)",
                    "status": "ok" if ok else "not built"})
    return out


ALL = ("raw-epoll", "raw-io_uring", "coro-epoll", "coro-io_uring", "zsock-poll", "libc-poll",
       "raw-epoll-http", "coro-http-epoll", "coro-http-io_uring")


def goal(goals, starts):
    found = [g for g in goals if g["goal"].startswith(starts)]
    assert len(found) == 1, (starts, [g["goal"] for g in goals])
    return found[0]


# --- stats ----------------------------------------------------------------------------------

class StatsTest(unittest.TestCase):
    def test_median_and_spread(self):
        s = stats.summarize([110, 90, 100])
        self.assertEqual((s["median"], s["min"], s["max"], s["n"]), (100, 90, 110, 3))
        self.assertEqual(s["spread_pct"], 10.0)  # half of the 20 range, in % of 100

    def test_median_of_an_even_count_and_none_ignored(self):
        s = stats.summarize([1, None, 4, 2, 3])
        self.assertEqual((s["median"], s["n"]), (2.5, 4))
        self.assertIsNone(stats.summarize([None]))
        self.assertIsNone(stats.summarize([]))

    def test_overlapping_ranges_are_too_noisy(self):
        ratio, trust = stats.compare(stats.summarize([95, 105, 100]),
                                     stats.summarize([100, 110, 104]))
        self.assertAlmostEqual(ratio, 100 / 104)
        self.assertEqual(trust, "too noisy")

    def test_touching_ranges_are_too_noisy(self):
        _, trust = stats.compare(stats.summarize([100, 110]), stats.summarize([90, 100]))
        self.assertEqual(trust, "too noisy")

    def test_separate_ranges_are_trusted(self):
        ratio, trust = stats.compare(stats.summarize([120, 125, 130]),
                                     stats.summarize([95, 100, 105]))
        self.assertAlmostEqual(ratio, 1.25)
        self.assertEqual(trust, "ok")

    def test_single_run_and_missing_baseline(self):
        self.assertEqual(stats.compare(stats.summarize([2]), stats.summarize([1])),
                         (2.0, "single run"))
        self.assertEqual(stats.compare(stats.summarize([2]), None), (None, "n/a"))
        self.assertEqual(stats.compare(stats.summarize([2]), stats.summarize([0])), (None, "n/a"))

    def test_ratios_to_the_baseline_of_the_same_cell(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 102, 98], [2.0, 2.1, 1.9]),
                                   "coro-epoll": ([90, 91, 89], [1.0, 1.1, 0.9])})
        s, b = cell["summary"]["coro-epoll"], cell["summary"]["raw-epoll"]
        self.assertAlmostEqual(s["ratio"], 0.90)
        self.assertAlmostEqual(s["cpu_ratio"], 0.5)
        self.assertEqual(s["trust"], "ok")
        self.assertEqual((b["ratio"], b["trust"]), (1.0, "baseline"))

    def test_paired_ratios_cancel_drift_between_repetitions(self):
        # The machine doubles and triples its speed between repetitions; coro-epoll is 10%
        # faster in each. The min-max ranges overlap, but every repetition agrees.
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 200, 300], [3.0, 1.5, 1.0]),
                                   "coro-epoll": ([110, 220, 330], [2.7, 1.35, 0.9])})
        s = cell["summary"]["coro-epoll"]
        self.assertAlmostEqual(s["ratio"], 1.10)
        self.assertAlmostEqual(s["cpu_ratio"], 0.90)
        self.assertEqual(s["trust"], "ok")
        self.assertEqual(stats.compare(s["msgs_per_s"], cell["summary"]["raw-epoll"]
                                       ["msgs_per_s"])[1], "too noisy")

    def test_repetitions_that_disagree_are_too_noisy(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 100, 100], None),
                                   "coro-epoll": ([110, 95, 105], None)})
        s = cell["summary"]["coro-epoll"]
        self.assertAlmostEqual(s["ratio"], 1.05)
        self.assertEqual(s["ratio_range"], [0.95, 1.10])
        self.assertEqual(s["trust"], "too noisy")

    def test_a_failed_run_drops_its_repetition_only(self):
        p = stats.paired([110, None, 330], [100, 200, 300])
        self.assertEqual((p["n"], round(p["median"], 6)), (2, 1.1))
        p = stats.paired([110, 220], [100, None])
        self.assertEqual(p["n"], 1)
        self.assertEqual(stats.verdict(p), "single run")
        self.assertIsNone(stats.paired([1, 2], [None, None]))
        self.assertIsNone(stats.paired(None, [1]))
        self.assertEqual(stats.verdict(stats.paired([96, 97], [100, 100]), 0.95), "ok")
        self.assertEqual(stats.verdict(stats.paired([96, 94], [100, 100]), 0.95), "too noisy")

    def test_no_ratio_without_a_baseline(self):
        summ = {"coro-epoll": summary([90, 91]), "raw-epoll": {"error": "failed: x"}}
        run.add_ratios(summ, report.BASELINE_ECHO, "msgs_per_s", "cpu")
        self.assertEqual(summ["coro-epoll"]["trust"], "no baseline")
        self.assertNotIn("ratio", summ["coro-epoll"])


# --- report: goals --------------------------------------------------------------------------

def goals_for(cell_500, counted=None, http=(), servers=ALL):
    return report.evaluate_goals([cell_500], counted or {}, server_list(*servers), list(http))


class GoalsTest(unittest.TestCase):
    def test_engine_ratio_goals_met(self):
        cell = echo_cell(500, 64, {
            "raw-epoll": ([100, 101, 99], [2.0, 2.0, 2.0]),
            "raw-io_uring": ([110, 111, 109], [1.8, 1.8, 1.8]),
            "coro-epoll": ([97, 98, 96], [2.0, 2.0, 2.0]),
            "coro-io_uring": ([115, 116, 114], [1.7, 1.7, 1.7])})
        goals = goals_for(cell)
        g = goal(goals, "io_uring engine ≥ 0.97× raw io_uring")
        self.assertEqual((g["measured"], g["status"]), ("1.05× (runs 1.05–1.05)", "met"))
        self.assertEqual(goal(goals, "io_uring engine ≥ 1.10× raw epoll")["status"], "met")
        self.assertEqual(goal(goals, "epoll engine ≥ 0.95× raw epoll, 500")["status"], "met")
        g = goal(goals, "io_uring engine server CPU/msg ≤ 0.90×")
        self.assertEqual((g["measured"], g["status"]), ("0.85× (runs 0.85–0.85)", "met"))

    def test_engine_ratio_goals_not_met(self):
        cell = echo_cell(500, 64, {
            "raw-epoll": ([100, 101, 99], [2.0, 2.0, 2.0]),
            "raw-io_uring": ([130, 131, 129], [1.5, 1.5, 1.5]),
            "coro-epoll": ([80, 81, 79], [2.5, 2.5, 2.5]),
            "coro-io_uring": ([105, 106, 104], [1.9, 1.9, 1.9])})
        goals = goals_for(cell)
        g = goal(goals, "io_uring engine ≥ 1.10× raw epoll")
        self.assertEqual((g["measured"], g["status"]), ("1.05× (runs 1.05–1.05)", "NOT met"))
        self.assertEqual(goal(goals, "io_uring engine ≥ 0.97× raw io_uring")["status"], "NOT met")
        g = goal(goals, "epoll engine ≥ 0.95× raw epoll at every connection count")
        self.assertEqual(g["status"], "NOT met")
        self.assertIn("0.80×", g["measured"])
        self.assertEqual(goal(goals, "io_uring engine server CPU/msg")["status"], "NOT met")

    def test_a_goal_met_by_noisy_repetitions_says_so(self):
        # Per repetition 1.10, 0.94 and 0.97: the median meets 0.95, one repetition does not.
        cell = echo_cell(500, 64, {"raw-epoll": ([90, 100, 110], None),
                                   "coro-epoll": ([99, 94, 106.7], None)})
        g = goal(goals_for(cell), "epoll engine ≥ 0.95× raw epoll, 500")
        self.assertTrue(g["status"].startswith("met by the median, but too noisy"), g)
        self.assertEqual(g["measured"], "0.97× (runs 0.94–1.10)")

    def test_a_goal_judged_by_the_repetitions_not_the_ranges(self):
        # Overlapping ranges, yet every repetition is at 0.96 or above: met, and trusted.
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 200, 300], None),
                                   "coro-epoll": ([96, 194, 291], None)})
        g = goal(goals_for(cell), "epoll engine ≥ 0.95× raw epoll, 500")
        self.assertEqual(g["status"], "met")

    def test_results_without_per_run_figures_fall_back_to_the_medians(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([90, 100, 110], None),
                                   "coro-epoll": ([99, 97, 105], None)})
        for s in cell["summary"].values():
            s.pop("per_run")
        g = goal(goals_for(cell), "epoll engine ≥ 0.95× raw epoll, 500")
        self.assertEqual(g["measured"], "0.99×")
        self.assertTrue(g["status"].startswith("met by the median, but too noisy"), g)

    def test_unbuilt_server_is_not_measured(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        servers = server_list(*ALL, unavailable=("coro-io_uring",))
        goals = report.evaluate_goals([cell], {}, servers, [])
        g = goal(goals, "io_uring engine ≥ 1.10× raw epoll")
        self.assertEqual(g["status"], "not measured: not built (looked for x)")

    def test_cell_not_in_this_mode(self):
        cell = echo_cell(16, 4096, {"raw-epoll": ([100, 101], None),
                                    "coro-epoll": ([99, 98], None)})
        g = goal(goals_for(cell), "epoll engine ≥ 0.95× raw epoll, 500")
        self.assertEqual(g["status"], "not measured (cell not in this mode)")

    def test_counted_goals(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        counted = {
            "coro-epoll": {"allocations": {"per_request": 0.0},
                           "instructions_50": {"per_request": 420.0}},
            "coro-io_uring": {"allocations": {"per_request": 0.5},
                              "idle_memory": {"bytes_per_connection": 5000, "connections": 1000}},
            "zsock-poll": {"allocations": {"error": "failed: boom"},
                           "syscalls": {"per_request": 3.0, "by_call": {"recvfrom": 1.0,
                                                                        "sendto": 1.0}}},
            "libc-poll": {"syscalls": {"per_request": 3.0, "by_call": {"recvfrom": 1.0,
                                                                       "sendto": 1.0}}},
        }
        goals = goals_for(cell, counted)
        self.assertEqual(goal(goals, "zero heap allocations per request (coro-epoll)")["status"],
                         "met")
        self.assertEqual(goal(goals, "zero heap allocations per request (coro-io_uring)")
                         ["status"], "NOT met")
        self.assertEqual(goal(goals, "zero heap allocations per request (zsock-poll)")["status"],
                         "not measured: failed: boom")
        self.assertEqual(goal(goals, "epoll engine ≤ 500 user-space")["status"], "met")
        self.assertEqual(goal(goals, "≤ 4 KiB user-space memory per idle connection "
                                     "(coro-io_uring)")["status"], "NOT met")
        self.assertEqual(goal(goals, "≤ 4 KiB user-space memory per idle connection "
                                     "(coro-epoll)")["status"], "not measured")
        self.assertEqual(goal(goals, "zsock_recv/zsock_send = exactly one")["status"], "met")

    def test_counted_goals_not_met(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        counted = {
            "coro-epoll": {"instructions_50": {"per_request": 650.0}},
            "zsock-poll": {"syscalls": {"per_request": 4.0, "by_call": {"recvfrom": 2.0,
                                                                        "sendto": 1.0}}},
            "libc-poll": {"syscalls": {"per_request": 3.0, "by_call": {"recvfrom": 1.0,
                                                                       "sendto": 1.0}}},
        }
        goals = goals_for(cell, counted)
        self.assertEqual(goal(goals, "epoll engine ≤ 500 user-space")["status"], "NOT met")
        self.assertEqual(goal(goals, "zsock_recv/zsock_send = exactly one")["status"], "NOT met")

    def test_one_syscall_goal_from_the_epoll_engine_without_the_poll_loops(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        main_servers = ("raw-epoll", "raw-io_uring", "coro-epoll", "coro-io_uring")
        counted = {"coro-epoll": {"syscalls": {"by_call": {"recvfrom": 1.0, "sendto": 1.0}}}}
        goals = goals_for(cell, counted, servers=main_servers)
        g = goal(goals, "zsock_recv/zsock_send = exactly one")
        self.assertEqual((g["measured"], g["status"]),
                         ("coro-epoll: recvfrom 1.00, sendto 1.00", "met"))
        self.assertIn("poll loops are not in this run",
                      goal(goals, "zsock poll loop ≤ 1.05×")["status"])
        counted["coro-epoll"]["syscalls"]["by_call"]["recvfrom"] = 2.0
        g = goal(goals_for(cell, counted, servers=main_servers), "zsock_recv/zsock_send")
        self.assertEqual(g["status"], "NOT met")

    def test_skipped_figure_says_why(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        counted = {"coro-epoll": {"instructions_50": {"skipped": "not in this mode"}}}
        self.assertEqual(goal(goals_for(cell, counted), "epoll engine ≤ 500 user-space")["status"],
                         "not measured: not in this mode")

    def test_http_goal_reports_the_worst_cell(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100, 101], None)})
        http = [http_cell(50, {"raw-epoll-http": [100, 101, 99],
                               "coro-http-epoll": [120, 121, 119]}),
                http_cell(500, {"raw-epoll-http": [100, 101, 99],
                                "coro-http-epoll": [90, 91, 89]})]
        g = goal(goals_for(cell, http=http), "http_server under wrk ≥ raw epoll HTTP responder "
                                             "(coro-http-epoll)")
        self.assertEqual(g["status"], "NOT met")
        self.assertEqual(g["measured"], "worst 0.90× (runs 0.90–0.90) at 500 conn")


# --- report: markdown tables ----------------------------------------------------------------

class TablesTest(unittest.TestCase):
    def test_echo_table(self):
        cell = echo_cell(500, 64, {"raw-epoll": ([100000, 101000, 99000], [2.0, 2.0, 2.0]),
                                   "coro-epoll": ([120000, 121000, 119000], [1.5, 1.5, 1.5])})
        cell["summary"]["coro-io_uring"] = {"error": "failed: no listening line"}
        lines = report.echo_table([cell]).splitlines()
        self.assertEqual(len(lines), 2 + 3)
        self.assertTrue(all(ln.startswith("|") and ln.endswith("|") for ln in lines))
        header_cols = lines[0].count("|")
        self.assertEqual(lines[1].count("|"), header_cols)
        base, coro, failed = lines[2:]
        self.assertIn("| 500 conn × 64 B ping-pong | raw-epoll | 100,000 |", base)
        self.assertIn("| baseline |", base)
        self.assertIn("| 1.20 |", coro)
        self.assertIn("| 0.75 |", coro)  # CPU × raw epoll
        self.assertIn("| ok |", coro)
        self.assertIn("failed: no listening line", failed)
        self.assertEqual(failed.count("|"), header_cols)

    def test_echo_matrix_marks_noise(self):
        cell = echo_cell(50, 64, {"raw-epoll": ([100, 110], [2.0, 2.0]),
                                  "coro-epoll": ([104, 108], [1.0, 1.0])})
        row = report.echo_matrix([cell]).splitlines()[2]
        self.assertIn("| 105 | 1.01 (0.50) ? |", row)

    def test_goals_table(self):
        lines = report.goals_table([{"goal": "g1", "measured": "1.00×", "status": "met"},
                                    {"goal": "g2", "measured": "–", "status": "NOT met"}])
        self.assertEqual(lines.splitlines()[2:], ["| g1 | 1.00× | met |", "| g2 | – | NOT met |"])

    def test_counted_table(self):
        counted = {"raw-epoll": {"syscalls": {"per_request": 2.5, "by_call": {"read": 1.25}},
                                 "allocations": {"per_request": 0.0},
                                 "instructions": {"per_request": 115.0}},
                   "coro-epoll": {"syscalls": {"error": "failed: perf | strace"},
                                  "allocations": {"per_request": 0.0},
                                  "instructions": {"per_request": 230.0},
                                  "idle_memory": {"skipped": "not in this mode"}}}
        lines = report.counted_table(counted, "note").splitlines()
        base = next(ln for ln in lines if ln.startswith("| raw-epoll"))
        coro = next(ln for ln in lines if ln.startswith("| coro-epoll"))
        self.assertIn("| 2.50 | read 1.25 | 0.000 | 115.0 | 1.00 |", base)
        self.assertIn("failed: perf / strace", coro)  # a | would break the table
        self.assertIn("| 230.0 | 2.00 |", coro)
        self.assertIn("not in this mode", coro)


# --- checks: what fails a run ---------------------------------------------------------------

def clean_result():
    """A run in which everything worked."""
    syscalls = {"per_request": 3.0, "messages": 1000, "connections": 1,
                "calls": {"recvfrom": 1001, "sendto": 1000, "poll": 1001}, "tool": "perf"}
    return {
        "mode": "smoke",
        "servers": server_list(*ALL),
        "echo": [{"connections": 1, "size": 64, "depth": 1,
                  "runs": {"raw-epoll": [{"ok": True, "server_exit": 0}],
                           "coro-epoll": [{"ok": True, "server_exit": 0}]}}],
        "http": [{"connections": 16, "runs": {"raw-epoll-http": [{"exit": 0, "rps": 1.0}]}}],
        "tls": {"handshakes_per_s": {}, "bulk_mb_per_s": {}},
        "counted": {"raw-epoll": {"instructions": {"per_request": 115.0},
                                  "idle_memory": {"skipped": "not in this mode"}},
                    "coro-epoll": {"syscalls": copy.deepcopy(syscalls)},
                    "zsock-poll": {"syscalls": copy.deepcopy(syscalls)}},
        "options": {"no_tls": False, "no_http": False, "no_counted": False},
        "verification_errors": [],
    }


class ChecksTest(unittest.TestCase):
    def fails(self, result, strict=True):
        return checks.result_failures(result, strict)

    def test_clean_run_passes(self):
        self.assertEqual(self.fails(clean_result()), [])

    def test_server_that_did_not_start(self):
        r = clean_result()
        r["echo"][0]["runs"]["coro-epoll"].append({"error": "no listening line (exit 1)"})
        f = self.fails(r)
        self.assertEqual(len(f), 1)
        self.assertIn("coro-epoll echo 1×64 B ping-pong run 2: no listening line", f[0])

    def test_server_that_did_not_stop_cleanly(self):
        r = clean_result()
        r["echo"][0]["runs"]["raw-epoll"][0]["server_exit"] = -9
        self.assertIn("exited with -9", self.fails(r)[0])

    def test_wrong_bytes(self):
        r = clean_result()
        r["verification_errors"].append("coro-epoll: 2 mismatched bytes")
        self.assertEqual(self.fails(r), ["coro-epoll: 2 mismatched bytes"])

    def test_wrk_failures(self):
        r = clean_result()
        r["http"][0]["runs"]["raw-epoll-http"].append({"exit": 1, "rps": None,
                                                       "error": "wrk exit 1: refused"})
        r["http"][0]["runs"]["raw-epoll-http"].append({"exit": 2, "rps": 5.0})
        f = self.fails(r)
        self.assertEqual(len(f), 2)
        self.assertIn("wrk exit 1: refused", f[0])
        self.assertIn("wrk exit 2", f[1])

    def test_tls_bench_failure(self):
        r = clean_result()
        r["tls"] = {"error": "exit 1: handshake failed"}
        self.assertEqual(self.fails(r), ["tls_bench: exit 1: handshake failed"])
        r["options"]["no_tls"] = True  # asked not to run it
        self.assertEqual(self.fails(r), [])
        r["options"]["no_tls"] = False
        r["tls"] = {"skipped": "full and smoke modes only"}
        self.assertEqual(self.fails(r), [])

    def test_counted_figure_failure(self):
        r = clean_result()
        r["counted"]["raw-epoll"]["allocations"] = {"error": "failed: not live"}
        self.assertEqual(self.fails(r), ["counted allocations of raw-epoll: failed: not live"])
        r["options"]["no_counted"] = True
        self.assertEqual(self.fails(r), [])

    def test_one_syscall_promise(self):
        r = clean_result()
        r["counted"]["coro-epoll"]["syscalls"]["calls"]["recvfrom"] = 2000  # two per message
        f = self.fails(r)
        self.assertEqual(len(f), 1)
        self.assertIn("coro-epoll: 2000 recvfrom calls for 1000 messages", f[0])
        r = clean_result()
        r["counted"]["zsock-poll"]["syscalls"]["calls"]["sendto"] = 1000 + 10  # 1 in 100
        self.assertIn("zsock-poll: 1010 sendto calls", self.fails(r)[0])
        r = clean_result()
        del r["counted"]["zsock-poll"]["syscalls"]["calls"]["sendto"]  # sendmsg instead
        self.assertIn("zsock-poll: 0 sendto calls", self.fails(r)[0])

    def test_one_syscall_promise_allows_a_connections_own_calls(self):
        r = clean_result()
        r["counted"]["coro-epoll"]["syscalls"]["calls"]["recvfrom"] = (
            1000 + checks.PER_CONNECTION_SLACK)
        self.assertEqual(self.fails(r), [])

    def test_one_syscall_promise_from_rounded_figures(self):
        r = clean_result()  # a saved run from before the raw counts were kept
        sc = r["counted"]["coro-epoll"]["syscalls"]
        del sc["calls"]
        sc["by_call"] = {"recvfrom": 1.002, "sendto": 1.0}
        self.assertEqual(self.fails(r), [])
        sc["by_call"]["recvfrom"] = 1.5
        self.assertIn("1500 recvfrom calls", self.fails(r)[0])

    def test_raw_epoll_instructions_must_be_plausible(self):
        for v, ok in ((115.0, True), (128.0, True), (42.5, False), (0.0, False), (-3.0, False),
                      (4000.0, False)):
            r = clean_result()
            r["counted"]["raw-epoll"]["instructions"]["per_request"] = v
            self.assertEqual(self.fails(r) == [], ok, v)

    def test_not_built(self):
        r = clean_result()
        r["servers"] = server_list(*ALL, unavailable=("coro-io_uring",))
        self.assertEqual(len(self.fails(r, strict=True)), 1)  # smoke
        self.assertEqual(self.fails(r, strict=False), [])     # main, full: noted, not failed
        r["servers"] = server_list(*ALL, unavailable=("raw-epoll",))
        self.assertEqual(len(self.fails(r, strict=False)), 1)  # a baseline is never optional

    def test_missing_tool(self):
        r = clean_result()
        for s in r["servers"]:
            if s["kind"] == "http":
                s.update(available=False, note="wrk not installed", status="tool missing")
        self.assertEqual(len(self.fails(r, strict=False)), 3)
        for s in r["servers"]:
            if s["kind"] == "http":
                s.update(note="--no-http", status="off")
        self.assertEqual(self.fails(r, strict=True), [])

    def test_output_files(self):
        with tempfile.TemporaryDirectory() as d:
            js, svg = os.path.join(d, "r.json"), os.path.join(d, "r.svg")
            with open(js, "w") as f:
                json.dump({"a": 1}, f)
            with open(svg, "w") as f:
                f.write('<?xml version="1.0"?>\n<svg width="9"></svg>\n')
            self.assertEqual(checks.output_failures(js, svg, None), [])
            self.assertEqual(checks.output_failures(js, None, "gnuplot not installed"),
                             ["chart not written: gnuplot not installed"])
            self.assertEqual(len(checks.output_failures(js, svg + ".gone", None)), 1)
            with open(js, "w") as f:
                f.write('{"cut short')
            self.assertEqual(len(checks.output_failures(js, svg, None)), 1)
            self.assertEqual(len(checks.output_failures(js + ".gone", svg, None)), 1)


if __name__ == "__main__":
    unittest.main()
