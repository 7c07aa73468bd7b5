"""One row per group of calls (``callscan summary OUTDIR --by agent_id``).

A coach reads an archive per agent, team or day: how does A07 compare with the
team's median agent? ``summarize`` groups the rows of a batch's calls table by
one or more columns (record fields or the metadata columns a manifest carried
in) and gives, per group:

* ``calls``, ``failed``, ``audio_h``: ok rows, failed rows, hours of audio of the
  ok rows. ``calls`` is always shown: a median over four calls is not a median
  over four hundred.
* ``<measure>_median`` and ``<measure>_p90`` for each headline measure
  (``HEADLINE``), over the group's ok calls with a value (nulls left out, as a
  database's ``median`` and ``quantile_cont`` leave them out). Quantiles
  interpolate linearly between the two nearest order statistics: numpy's
  default, DuckDB's ``quantile_cont``, R's type 7 (Hyndman & Fan 1996).
* Rates (``RATES``): a count summed over the group's calls divided by their
  summed exposure (hours of call, minutes of the other party's talk), over the
  ok calls where both are known. A pooled rate weighs every hour alike, so a
  few short calls cannot swing it the way a median of per-call rates would.
* ``flagged_share`` and ``flagged_<rule>_share``: the share of the group's ok
  calls that a QA rule flagged, when the batch was run with ``--rules``.
* ``<column>_ratio``: the group's median (or rate) divided by the median over
  the groups, each group counted once: 3.0 means three times the median
  group. Null where that median is not positive (a ratio to zero or to a signed
  shift says nothing).

Every column is defined once, in ``FIELDS`` (``callscan measures --summary``).
"""

import math

import numpy as np

from callscan.fields import Field

#: Measures summarised by median and p90: (field, unit, what it says).
HEADLINE = (
    ("agent_talk_share", "share 0-1", "the agent's share of both parties' talk"),
    ("overlap_share", "share 0-1", "time both speak, per second of span"),
    ("dead_air_s", "s", "mutual silence inside the call"),
    ("agent_response_latency_median_s", "s", "how long the agent takes to answer"),
    ("customer_agitation_shift", "score", "rise of the customer's agitation, last quarter minus first"),
)

#: Pooled rates: (column, count field, exposure field, exposure divisor -> unit, unit, definition).
RATES = (
    ("agent_interruptions_per_h", "interruptions_by_agent", "duration_s", 3600.0, "count/h",
     "Interruptions by the agent per hour of call: the group's summed interruptions_by_agent over its "
     "summed duration_s (in hours)."),
    ("dead_air_5s_per_h", "dead_air_count_5s", "duration_s", 3600.0, "count/h",
     "Mutual silences of at least 5 s per hour of call: summed dead_air_count_5s over summed duration_s "
     "(in hours)."),
    ("agent_backchannels_per_customer_min", "backchannels_by_agent", "customer_talk_s", 60.0, "count/min",
     "Backchannels by the agent per minute of customer talk: summed backchannels_by_agent over summed "
     "customer_talk_s (in minutes)."),
)

MARK_START = "<!-- summary-glossary:start (generated: `callscan measures --update README.md`; do not edit) -->"
MARK_END = "<!-- summary-glossary:end -->"

SMALL_GROUP = 10
"""Groups with fewer ok calls than this are marked in the text table."""


def _fields():
    out = [
        Field("calls", "integer", "count", "Ok rows of the group (calls with a record).", nullable=False),
        Field("failed", "integer", "count", "Failed rows of the group.", nullable=False),
        Field("audio_h", "number", "h", "Summed duration_s of the group's ok calls, in hours.", nullable=False),
    ]
    ref = "Hyndman & Fan (1996), Sample quantiles in statistical packages, type 7"
    for name, unit, what in HEADLINE:
        out.append(Field(f"{name}_median", "number", unit,
                         f"Median of {name} ({what}) over the group's ok calls with a value.", reference=ref))
        out.append(Field(f"{name}_p90", "number", unit,
                         f"90th percentile of {name}, linear interpolation (numpy's default, DuckDB's "
                         "quantile_cont).", reference=ref))
    for column, _, _, _, unit, definition in RATES:
        out.append(Field(column, "number", unit, definition + " Calls where either is null are left out."))
    out.append(Field("flagged_share", "number", "share 0-1",
                     "Share of the group's ok calls flagged by at least one QA rule (batches run with --rules)."))
    out.append(Field("flagged_{rule}_share", "number", "share 0-1",
                     "Share of the group's ok calls whose flags hold the rule {rule}."))
    for column in [f"{n}_median" for n, _, _ in HEADLINE] + [r[0] for r in RATES]:
        out.append(Field(f"{column}_ratio", "number", "ratio",
                         f"The group's {column} over the median of {column} across the groups (each group "
                         "once); null when that median is not positive."))
    return tuple(out)


FIELDS = _fields()
"""The columns of a summary, with their definitions (the glossary's summary section)."""


def _number(value):
    if value is None or isinstance(value, (bool, str)):
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def _flag_list(value):
    if value is None:
        return []
    if isinstance(value, str):  # CSV tables join lists with "; "
        return [v for v in value.split("; ") if v]
    return list(value)


def _sort_key(key):
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in key)


def quantile(values, q):
    """The ``q`` quantile of the finite values, linear interpolation; None when there are none."""
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return None
    return float(np.quantile(vals, q))


def summarize(rows, by, rules=None):
    """One summary row per group of calls.

    Parameters
    ----------
    rows : list of dict
        Rows of a calls table (``callscan.batch.read.read_batch``).
    by : sequence of str
        Columns to group by; a null value is a group of its own.
    rules : sequence of str, optional
        QA rule names for the ``flagged_<rule>_share`` columns (default: those
        found in the rows' ``flags``, when the rows have that column).

    Returns
    -------
    list of dict
        One row per group, sorted by the group values (nulls last); the
        columns of ``FIELDS`` that apply.

    Raises
    ------
    KeyError
        When a ``by`` column is in no row.
    """
    by = list(by)
    if not by:
        raise ValueError("summarize needs at least one column to group by")
    present = set().union(*(r.keys() for r in rows[:1000])) if rows else set()
    for name in by:
        if name not in present and not any(name in r for r in rows):
            raise KeyError(name)
    has_flags = any("flags" in r for r in rows[:1000])
    if has_flags and rules is None:
        rules = sorted({f for r in rows for f in _flag_list(r.get("flags"))})
    groups = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row.get(name) for name in by), []).append(i)
    ok = np.array([r.get("status") == "ok" for r in rows], dtype=bool)
    col = {}

    def column(name):
        if name not in col:
            col[name] = np.array([_number(r.get(name)) for r in rows], dtype=float)
        return col[name]

    out = []
    for key in sorted(groups, key=_sort_key):
        idx = np.asarray(groups[key], dtype=np.int64)
        good = idx[ok[idx]]
        row = dict(zip(by, key))
        row["calls"] = int(good.size)
        row["failed"] = int(idx.size - good.size)
        row["audio_h"] = float(np.nansum(column("duration_s")[good]) / 3600.0)
        for name, _, _ in HEADLINE:
            values = column(name)[good]
            row[f"{name}_median"] = quantile(values, 0.5)
            row[f"{name}_p90"] = quantile(values, 0.9)
        for name, count, exposure, per, _, _ in RATES:
            c, e = column(count)[good], column(exposure)[good]
            known = np.isfinite(c) & np.isfinite(e)
            total = float(e[known].sum()) / per
            row[name] = float(c[known].sum()) / total if total > 0 else None
        if has_flags:
            flags = [set(_flag_list(rows[i].get("flags"))) for i in good]
            n = len(flags)
            row["flagged_share"] = sum(bool(f) for f in flags) / n if n else None
            for rule in rules:
                row[f"flagged_{rule}_share"] = sum(rule in f for f in flags) / n if n else None
        out.append(row)
    for column_name in [f"{n}_median" for n, _, _ in HEADLINE] + [r[0] for r in RATES]:
        ref = quantile([_number(r[column_name]) for r in out], 0.5)
        for r in out:
            value = r[column_name]
            r[f"{column_name}_ratio"] = value / ref if value is not None and ref is not None and ref > 0 else None
    return out


def summary_columns(summary, by):
    """The column order of a summary table: the group columns, then ``FIELDS`` order."""
    seen = dict.fromkeys(k for r in summary for k in r)
    names = list(by)
    for f in FIELDS:
        if f.name == "flagged_{rule}_share":
            names += [c for c in seen if c.startswith("flagged_") and c.endswith("_share") and c != "flagged_share"]
        elif f.name in seen:
            names.append(f.name)
    return names


TEXT_COLUMNS = (
    ("calls", "calls", "{:.0f}"),
    ("failed", "failed", "{:.0f}"),
    ("audio_h", "audio h", "{:.2f}"),
    ("agent_talk_share_median", "talk share", "{:.0%}"),
    ("overlap_share_median", "overlap", "{:.1%}"),
    ("dead_air_s_median", "dead air s", "{:.1f}"),
    ("agent_response_latency_median_s_median", "latency s", "{:.2f}"),
    ("agent_interruptions_per_h", "interr./h", "{:.1f}"),
    ("agent_interruptions_per_h_ratio", "x median", "{:.2f}"),
    ("dead_air_5s_per_h", "dead air>=5s/h", "{:.1f}"),
    ("agent_backchannels_per_customer_min", "backch./min", "{:.2f}"),
    ("flagged_share", "flagged", "{:.0%}"),
)


def to_text(summary, by):
    """A summary as an aligned text table (medians and rates; ``-o FILE`` has every column)."""
    shown = [c for c in TEXT_COLUMNS if any(c[0] in r for r in summary)]
    head = [*by, *(label for _, label, _ in shown)]
    lines = []
    for r in summary:
        cells = ["(none)" if r.get(b) is None else str(r.get(b)) for b in by]
        for name, _, fmt in shown:
            v = r.get(name)
            cells.append("" if v is None else fmt.format(v))
        if r["calls"] < SMALL_GROUP:
            cells[len(by)] += "*"
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h) for i, h in enumerate(head)]

    def fmt_line(cells):
        return "  ".join(c.ljust(w) if i < len(by) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    text = [fmt_line(head), fmt_line(["-" * w for w in widths])] + [fmt_line(c) for c in lines]
    if any(r["calls"] < SMALL_GROUP for r in summary):
        text.append(f"* fewer than {SMALL_GROUP} calls: read the medians of this group with care")
    return "\n".join(text) + "\n"
