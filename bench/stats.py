"""bench/stats.py - medians, spreads and the "too noisy to trust" verdict."""
from __future__ import annotations

import statistics


def summarize(values):
    """Median, min, max and a spread figure: half the min-max range as % of the median."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    med = statistics.median(vals)
    lo, hi = min(vals), max(vals)
    spread = (hi - lo) / 2 / med * 100 if med else 0.0
    return {"median": med, "min": lo, "max": hi, "spread_pct": round(spread, 1), "n": len(vals)}


def compare(a, b):
    """Ratio of medians a/b and whether the difference can be trusted.

    The verdict is "too noisy" (to trust) when the min-max ranges of the two overlap: the machine moved more
    from run to run than the two servers differ, so the ratio says nothing in either direction.
    """
    if not a or not b or not b["median"]:
        return None, "n/a"
    ratio = a["median"] / b["median"]
    if a["n"] < 2 or b["n"] < 2:
        return ratio, "single run"
    overlap = a["min"] <= b["max"] and b["min"] <= a["max"]
    return ratio, ("too noisy" if overlap else "ok")


def paired(a_runs, b_runs):
    """Per-repetition ratios a_i / b_i, summarized like summarize() (median, min, max, spread).

    Each repetition runs every server of a cell back to back, so a ratio taken inside one
    repetition cancels whatever the machine did between repetitions (a neighbour's load, a slow
    minute): the blocked design the runner is built on. a_runs and b_runs are per-repetition
    figures in repetition order, None where that run failed; such repetitions are left out.
    Returns None when no repetition has both figures.
    """
    if not a_runs or not b_runs:
        return None
    return summarize([a / b for a, b in zip(a_runs, b_runs) if a is not None and b])


def verdict(p, target=1.0):
    """Trust in a paired summary p as evidence about `target`: "ok" when every repetition falls on
    the same side of it (all faster, or all slower), "too noisy" when the repetitions disagree,
    "single run" when there is only one."""
    if not p:
        return "n/a"
    if p["n"] < 2:
        return "single run"
    return "ok" if p["min"] > target or p["max"] < target else "too noisy"


def ratio_of(a, b, key, per_run_key):
    """a's figure `key` over b's: (ratio, paired summary), the median of the per-repetition
    ratios when both carry per-run figures under per_run_key, else (ratio of the medians, None)
    for a result file from before they were kept. (None, None) when b's median is 0."""
    p = paired(a.get(per_run_key), b.get(per_run_key))
    if p:
        return p["median"], p
    if not b[key]["median"]:
        return None, None
    return a[key]["median"] / b[key]["median"], None
