"""The measures a report shows per call: which, how they read, which way is worse.

"Worst" means: more overlap, dead air and interruptions; a larger rise of the
customer's agitation (q4 - q1); a talk share further from an even split.
"""

from dataclasses import dataclass

import numpy as np

from callscan.view import timeline as tl


@dataclass(frozen=True)
class Measure:
    """A column of the report.

    Attributes
    ----------
    key : str
        Record field (``interruptions``: both parties' interruptions summed).
    label : str
    worse : {"high", "far"}
        Higher is worse, or further from 0.5 is worse.
    fmt : {"pct", "s", "int", "signed", "num", "clock"}
    note : str
        What the column means, shown on hover.
    """

    key: str
    label: str
    worse: str
    fmt: str
    note: str


MEASURES = (
    Measure("agent_talk_share", "agent talk share", "far", "pct",
            "agent talk / both parties' talk; worst = furthest from an even split"),
    Measure("overlap_share", "overlap share", "high", "pct", "time both speak / span"),
    Measure("dead_air_s", "dead air (s)", "high", "s", "mutual silences of at least 3 s inside the span, hold left out"),
    Measure("interruptions", "interruptions", "high", "int", "interruptions by agent + by customer"),
    Measure("customer_agitation_shift", "customer agitation shift", "high", "signed",
            "customer agitation q4 - q1; positive = more agitated at the end"),
)
"""The headline measures: a histogram each, and the worst calls on each."""

EXTRA = (
    Measure("customer_agitation", "customer agitation", "high", "num", "0-1 arousal score of the customer's voice"),
    Measure("agent_agitation", "agent agitation", "high", "num", "0-1 arousal score of the agent's voice"),
    Measure("duration_s", "length", "high", "clock", "file length"),
)
"""Further columns of the calls tables."""

INITIAL_SORT = "dead_air_s"


def measure_value(row, key):
    """A row's value of a report column, or None."""
    if row.get("status") != "ok":
        return None
    if key == "interruptions":
        parts = [row.get("interruptions_by_agent"), row.get("interruptions_by_customer")]
        parts = [p for p in parts if p is not None]
        return float(sum(parts)) if parts else None
    value = row.get(key)
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def measure_arrays(rows, measures=MEASURES):
    """Each measure over all rows at once: ``measure_value`` as arrays (NaN for None).

    Parameters
    ----------
    rows : list of dict
    measures : sequence of Measure

    Returns
    -------
    dict of str -> ndarray, shape (len(rows),), float
    """
    ok = np.array([r.get("status") == "ok" for r in rows], dtype=bool)

    def field(key):
        try:
            v = np.array([r.get(key) for r in rows], dtype=float)  # None -> NaN
        except (TypeError, ValueError):  # a stray string: one cell at a time
            v = np.array([np.nan if (x := measure_value(dict(r, status="ok"), key)) is None else x for r in rows])
        v[~ok | ~np.isfinite(v)] = np.nan
        return v

    out = {}
    for m in measures:
        if m.key == "interruptions":
            parts = np.vstack([field("interruptions_by_agent"), field("interruptions_by_customer")])
            total = np.nansum(parts, axis=0)
            total[np.isnan(parts).all(axis=0)] = np.nan
            out[m.key] = total
        else:
            out[m.key] = field(m.key)
    return out


def badness(value, worse):
    """The number that sorts a value worst first (larger = worse)."""
    return abs(value - 0.5) if worse == "far" else value


def fmt_value(value, fmt):
    """A value as the report shows it."""
    if value is None:
        return ""
    if fmt == "pct":
        return f"{100 * value:.1f} %"
    if fmt == "s":
        return f"{value:.1f}"
    if fmt == "int":
        return f"{value:.0f}"
    if fmt == "signed":
        return f"{value:+.2f}"
    if fmt == "clock":
        return tl.clock(value)
    return f"{value:.2f}"


def warning_list(value):
    """``warnings`` (or ``flags``) as a list (CSV tables join them with ``; ``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in value.split("; ") if w]
    return list(value)
