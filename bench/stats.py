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
