"""What the report over a batch shows (``callscan report OUTDIR``).

The page (written by ``callscan.view.page``) is one self-contained HTML file that
stays small at any batch size, so it can be mailed:

* the header: the batch's totals from ``run.json``;
* the per-group table (``callscan.record.summary``) when ``by`` is given or the rows
  have ``agent_id``: at most ``MAX_GROUPS`` groups, those with the most calls, and
  the number left out;
* the distribution of each headline measure (``callscan.view.columns.MEASURES``)
  over the batch's ok calls;
* the calls worth a look: each call flagged by a QA rule (the rule, its condition
  and the call's values of the fields it reads; at most ``top`` per rule, and the
  number left out), and the ``top`` worst calls on each headline measure, once
  each, with their timeline pictures embedded (``callscan.view.pictures``);
* the failed calls (path, error kind, message; at most ``MAX_FAILED``).

The full list stays in the calls table; ``all_calls`` puts every row in the page
as well (for small batches).
"""

import os
from dataclasses import dataclass, field

from callscan._version import __version__
from callscan.batch.read import read_batch
from callscan.errors import BatchUsageError, CallscanError
from callscan.params import Params
from callscan.view import pictures
import numpy as np

from callscan.view.columns import MEASURES, badness, measure_arrays, measure_value, warning_list

__all__ = ["MEASURES", "measure_value", "write_report", "report_content", "worth_a_look"]

REPORT = "report.html"
TOP = 20
MAX_GROUPS = 100
MAX_FAILED = 100


@dataclass
class Pick:
    """A call worth a look.

    Attributes
    ----------
    index : int
        Its row in the calls table (input order).
    row : dict
    reasons : list of str
        Why it is shown: the rules that flagged it, the measures it is among the worst on.
    picture : str or None
        Its picture as a ``data:`` URI.
    """

    index: int
    row: dict
    reasons: list = field(default_factory=list)
    picture: str | None = None


@dataclass
class Content:
    """Everything the page shows.

    Attributes
    ----------
    run : dict
        ``run.json``.
    outdir : str
    rows : list of dict
        The calls table.
    values : dict of str -> ndarray
        Each headline measure over the rows (``callscan.view.columns.measure_arrays``).
    by : str or None
        The group column of ``groups``.
    groups : list of dict
        Summary rows shown (``callscan.record.summary.summarize``).
    groups_left_out : int
    picks : list of Pick
    flagged_left_out : dict of str -> int
        Per rule, flagged calls not shown.
    top : int
    failed : list of dict
        Failed rows shown.
    failed_left_out : int
    all_calls : bool
        Whether the page lists every row.
    notes : list of str
    """

    run: dict
    outdir: str
    rows: list
    values: dict = field(default_factory=dict)
    by: str | None = None
    groups: list = field(default_factory=list)
    groups_left_out: int = 0
    picks: list = field(default_factory=list)
    flagged_left_out: dict = field(default_factory=dict)
    top: int = TOP
    failed: list = field(default_factory=list)
    failed_left_out: int = 0
    all_calls: bool = False
    notes: list = field(default_factory=list)


@dataclass
class ReportResult:
    """What ``write_report`` did.

    Attributes
    ----------
    path : str
        The HTML file.
    plots : int
        Pictures drawn.
    reused : int
        Pictures reused from ``OUTDIR/plots/``.
    notes : list of str
        Things the user should know (pictures skipped and why, groups left out).
    """

    path: str
    plots: int = 0
    reused: int = 0
    notes: list = field(default_factory=list)


def write_report(outdir, output=None, *, by=None, top=TOP, all_calls=False, plots=True, jobs=None,
                 dpi=pictures.DPI, progress=None):
    """Write the HTML report of a batch output folder.

    Parameters
    ----------
    outdir : str
        A folder written by ``callscan.batch.run.run_batch``.
    output : str, optional
        The HTML file (default ``OUTDIR/report.html``).
    by : str, optional
        Column of the per-group table (default ``agent_id`` when the rows have it).
    top : int
        Worst calls shown per headline measure, and flagged calls per rule.
    all_calls : bool
        List every row of the calls table in the page too.
    plots : bool
        Draw the pictures of the calls worth a look that ``OUTDIR/plots/`` does not
        hold yet (needs matplotlib and the call's audio); False embeds only those there.
    jobs : int, optional
        Worker processes drawing pictures (default: all cores).
    dpi : int
        Resolution of the pictures.
    progress : callable, optional
        Called with ``(done, total)`` after each picture drawn.

    Returns
    -------
    ReportResult

    Raises
    ------
    callscan.errors.CallscanError
        When the folder holds no finished batch, ``by`` is in no row, or the page
        cannot be written.
    """
    from callscan.view.page import render

    batch = read_batch(outdir)
    output = output or os.path.join(outdir, REPORT)
    content = report_content(batch, by=by, top=top, all_calls=all_calls)
    result = ReportResult(path=output, notes=content.notes)
    result.plots, result.reused = attach_pictures(content, batch, plots=plots, jobs=jobs, dpi=dpi,
                                                  progress=progress)
    page = render(content)
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as exc:
        raise CallscanError(f"cannot write the report: {exc.strerror or exc}", output) from None
    return result


def report_content(batch, *, by=None, top=TOP, all_calls=False):
    """The page's content, pictures aside.

    Parameters
    ----------
    batch : callscan.batch.read.BatchOutput
    by, top, all_calls
        As for ``write_report``.

    Returns
    -------
    Content
    """
    from callscan.record.summary import summarize

    rows = batch.rows
    content = Content(run=batch.run, outdir=batch.outdir, rows=rows, values=measure_arrays(rows), top=top,
                      all_calls=all_calls)
    if by is None and any("agent_id" in r for r in rows[:1000]):
        by = "agent_id"
    if by is not None:
        rules = list((batch.run.get("rules") or {}).keys()) or None
        try:
            groups = summarize(rows, [by], rules=rules)
        except KeyError:
            columns = ", ".join(sorted({k for r in rows[:100] for k in r}))
            raise BatchUsageError(f"no column {by!r} in the calls table (columns: {columns})", batch.outdir) from None
        content.by = by
        content.groups, content.groups_left_out = largest_groups(groups, MAX_GROUPS)
        if content.groups_left_out:
            content.notes.append(f"{content.groups_left_out} groups with fewer calls are left out of the page; "
                                 f"callscan summary {batch.outdir} --by {by} lists them all")
    content.picks, content.flagged_left_out = worth_a_look(rows, batch.run.get("rules") or {}, top, content.values)
    failed = [r for r in rows if r.get("status") != "ok"]
    content.failed = failed[:MAX_FAILED]
    content.failed_left_out = len(failed) - len(content.failed)
    return content


def largest_groups(groups, limit):
    """The ``limit`` groups with the most rows, in their order; and how many are left out."""
    if len(groups) <= limit:
        return groups, 0
    size = sorted(range(len(groups)), key=lambda i: (-(groups[i]["calls"] + groups[i]["failed"]), i))
    keep = sorted(size[:limit])
    return [groups[i] for i in keep], len(groups) - limit


def rule_reason(name, when, row):
    """``name: when (field = value, ...)``: which rule flagged the call and why."""
    if not when:
        return name
    from callscan.record.rules import parse_condition

    try:
        fields = sorted(parse_condition(when, name).fields())
    except CallscanError:
        return f"{name}: {when}"
    values = ", ".join(f"{f} = {_short(row.get(f))}" for f in fields)
    return f"{name}: {when} ({values})"


def _short(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def worth_a_look(rows, rules, top=TOP, values=None):
    """The calls worth a look: flagged by a rule, or among the worst on a headline measure.

    Parameters
    ----------
    rows : list of dict
        The calls table.
    rules : dict of str -> str
        Rule name -> condition (``run.json``'s ``rules``); flags of rules not named
        here are shown with their name only.
    top : int
        Worst calls per measure; flagged calls per rule (the first in input order).
    values : dict of str -> ndarray, optional
        ``callscan.view.columns.measure_arrays(rows)``, when already at hand.

    Returns
    -------
    picks : list of Pick
        Each call once, in input order, with every reason it is shown.
    flagged_left_out : dict of str -> int
        Per rule, flagged calls beyond ``top`` not shown.
    """
    picks = {}

    def pick(i):
        if i not in picks:
            picks[i] = Pick(index=i, row=rows[i])
        return picks[i]

    shown, left_out = {}, {}
    for i, row in enumerate(rows):
        if row.get("status") != "ok":
            continue
        for name in warning_list(row.get("flags")):
            if shown.get(name, 0) < top:
                shown[name] = shown.get(name, 0) + 1
                pick(i).reasons.append("flagged " + rule_reason(name, rules.get(name), row))
            else:
                left_out[name] = left_out.get(name, 0) + 1
    values = measure_arrays(rows) if values is None else values
    ranks = {}
    for m in MEASURES:
        bad = badness(values[m.key], m.worse)
        known = np.flatnonzero(~np.isnan(bad))
        worst = known[np.lexsort((known, -bad[known]))][:top]  # worst first; ties in input order
        for rank, i in enumerate(worst.tolist(), 1):
            pick(i)
            ranks.setdefault(i, []).append(f"{m.label} #{rank} of {known.size}")
    for i, worst in ranks.items():
        picks[i].reasons.append("among the worst on " + ", ".join(worst))
    return [picks[i] for i in sorted(picks)], left_out


def batch_params(run, notes):
    """The batch's parameters from ``run.json`` (defaults, with a note, when they do not fit)."""
    try:
        from callscan.batch.config import params_from_mapping

        return params_from_mapping(run.get("params") or {})
    except CallscanError as exc:
        notes.append(f"the batch's parameters do not fit this version ({exc}); pictures use the defaults")
        return Params()


def attach_pictures(content, batch, *, plots=True, jobs=None, dpi=pictures.DPI, progress=None):
    """Give each pick its picture: reused from ``OUTDIR/plots/``, else drawn (``plots``).

    Returns
    -------
    (int, int)
        Pictures drawn, pictures reused.
    """
    notes = content.notes
    if not content.picks:
        return 0, 0
    folder = os.path.join(batch.outdir, pictures.PLOTS)
    params = batch_params(batch.run, notes) if plots else None
    used, todo, missing, reused = set(), [], 0, 0
    params_hash = batch.run.get("params_hash")
    ran_in = (batch.run.get("this_run") or {}).get("cwd")  # rows keep the path as given
    for p in content.picks:
        given = p.row.get("path")
        audio = os.path.join(ran_in, given) if given and ran_in and not os.path.isabs(given) else given
        target = os.path.join(folder, pictures.picture_name(p.row.get("call_id"), used))
        key = pictures.picture_key(audio, p.row.get("call_id"), params_hash, __version__, dpi) if audio else None
        if key is None:
            missing += 1
        elif pictures.stored_key(target) == key:
            p.picture = pictures.data_uri(target)
            reused += 1
        elif plots:
            events = batch.events.get(given) if batch.events is not None else None
            record = dict(p.row, warnings=warning_list(p.row.get("warnings")))
            todo.append((p, pictures.Task(audio=audio, target=target, key=key, record=record, events=events,
                                          params=params, dpi=dpi)))
    if missing:
        notes.append(f"no picture for {missing} calls whose audio is not at its recorded path")
    if not todo:
        return 0, reused
    try:
        from callscan.view.plot import require_matplotlib

        require_matplotlib()
        os.makedirs(folder, exist_ok=True)
    except CallscanError as exc:
        notes.append(f"no timeline pictures: {exc}")
        return 0, reused
    except OSError as exc:
        notes.append(f"no timeline pictures: cannot make {folder}: {exc.strerror or exc}")
        return 0, reused
    errors = pictures.draw_all([t for _, t in todo], jobs=jobs, progress=progress)
    drawn = 0
    for p, task in todo:
        error = errors.get(task.target)
        if error is None:
            p.picture = pictures.data_uri(task.target)
            drawn += 1
        else:
            notes.append(f"no picture for {task.audio}: {error}")
    return drawn, reused
