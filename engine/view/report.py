"""One HTML page over a batch (``callscan report OUTDIR``).

The page is a single self-contained file (inline CSS, inline script, inline SVG
charts; no fonts, scripts or images from elsewhere), so it opens offline and can
be mailed. It shows, across the batch, the distribution of talk share, overlap
share, dead air, interruptions per call and the customer's agitation shift, and
a table of every call that sorts worst first on any measure (click a heading;
click again for best first; ``report.html#sort=KEY`` or ``#sort=KEY,best``
opens it so sorted). Each call links to its timeline picture in
``OUTDIR/plots/`` (``callscan.view.plot``), drawn when the call's audio is reachable at
its recorded path; the pictures use the batch's events table when there is one,
and analyse the call again (with the batch's parameters) when there is not.

"Worst" means: more overlap, dead air and interruptions; a larger rise of the
customer's agitation (q4 - q1); a talk share further from an even split.
"""

import html
import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np

from callscan.batch.read import read_batch
from callscan.errors import CallscanError
from callscan.params import Params
from callscan.view import timeline as tl

REPORT = "report.html"
PLOTS = "plots"


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
    fmt : {"pct", "s", "int", "signed", "num"}
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
EXTRA = (
    Measure("customer_agitation", "customer agitation", "high", "num", "0-1 arousal score of the customer's voice"),
    Measure("agent_agitation", "agent agitation", "high", "num", "0-1 arousal score of the agent's voice"),
    Measure("duration_s", "length", "high", "clock", "file length"),
)
INITIAL_SORT = "dead_air_s"


@dataclass
class ReportResult:
    """What ``write_report`` did.

    Attributes
    ----------
    path : str
        The HTML file.
    plots : int
        Timeline pictures drawn.
    notes : list of str
        Things the user should know (pictures skipped and why).
    """

    path: str
    plots: int = 0
    notes: list = field(default_factory=list)


def write_report(outdir, output=None, *, plots=True, progress=None):
    """Write the HTML report of a batch output folder.

    Parameters
    ----------
    outdir : str
        A folder written by ``callscan.batch.run.run_batch``.
    output : str, optional
        The HTML file (default ``OUTDIR/report.html``).
    plots : bool
        Draw a timeline picture per ok call into ``OUTDIR/plots/`` (needs
        matplotlib and the call's audio); False links the pictures already there.
    progress : callable, optional
        Called with ``(done, total)`` after each picture.

    Returns
    -------
    ReportResult

    Raises
    ------
    callscan.errors.CallscanError
        When the folder holds no finished batch or the page cannot be written.
    """
    batch = read_batch(outdir)
    output = output or os.path.join(outdir, REPORT)
    result = ReportResult(path=output)
    names = plot_names(batch.rows)
    if plots:
        drawn = draw_plots(batch, names, result.notes, progress)
        result.plots = len(drawn)
    links = {}
    for path, name in names.items():
        target = os.path.join(outdir, PLOTS, name)
        if os.path.isfile(target):
            links[path] = os.path.relpath(target, os.path.dirname(os.path.abspath(output)))
    page = report_html(batch, links)
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as exc:
        raise CallscanError(f"cannot write the report: {exc.strerror or exc}", output) from None
    return result


def plot_names(rows):
    """A unique picture file name per ok call, from its ``call_id`` (input order decides clashes).

    Returns
    -------
    dict of str -> str
        Call path -> file name under ``plots/``.
    """
    names, used = {}, set()
    for row in rows:
        if row.get("status") != "ok" or not row.get("path"):
            continue
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(row.get("call_id") or "call")).strip("._") or "call"
        name, k = f"{stem}.png", 1
        while name in used:
            k += 1
            name = f"{stem}-{k}.png"
        used.add(name)
        names[row["path"]] = name
    return names


def batch_params(run, notes):
    """The batch's parameters from ``run.json`` (defaults, with a note, when they do not fit)."""
    try:
        from callscan.batch.config import params_from_mapping

        return params_from_mapping(run.get("params") or {})
    except CallscanError as exc:
        notes.append(f"the batch's parameters do not fit this version ({exc}); pictures use the defaults")
        return Params()


def draw_plots(batch, names, notes, progress=None):
    """Draw the timeline picture of every ok call whose audio is reachable.

    Returns
    -------
    list of str
        The pictures written.
    """
    from callscan.view.plot import PlotUnavailable, plot_call, require_matplotlib

    try:
        require_matplotlib()
    except PlotUnavailable as exc:
        notes.append(f"no timeline pictures: {exc}")
        return []
    params = batch_params(batch.run, notes)
    folder = os.path.join(batch.outdir, PLOTS)
    os.makedirs(folder, exist_ok=True)
    drawn, missing = [], 0
    rows = [r for r in batch.rows if r.get("path") in names]
    for i, row in enumerate(rows, 1):
        path = row["path"]
        if not os.path.isfile(path):
            missing += 1
        else:
            events = batch.events.get(path) if batch.events is not None else None
            record = dict(row, warnings=warning_list(row.get("warnings")))
            target = os.path.join(folder, names[path])
            try:
                plot_call(path, target, params=params, record=record if events else None, events=events)
                drawn.append(target)
            except CallscanError as exc:
                notes.append(f"no picture for {path}: {exc}")
        if progress is not None:
            progress(i, len(rows))
    if missing:
        notes.append(f"no picture for {missing} calls whose audio is not at its recorded path")
    return drawn


def warning_list(value):
    """``warnings`` as a list (CSV tables join them with ``; ``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in value.split("; ") if w]
    return list(value)


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


def histogram_svg(values, measure, width=300, height=150):
    """An inline SVG histogram of one measure across the batch.

    Parameters
    ----------
    values : list of float
        The ok calls' values (None left out).
    measure : Measure
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
    """
    esc = html.escape
    if not values:
        return f'<svg class="hist" width="{width}" height="{height}" role="img"><text x="10" y="{height // 2}">no values</text></svg>'
    vals = np.asarray(values, dtype=float)
    n_bins = int(np.clip(np.ceil(np.sqrt(vals.size)) + 2, 5, 24))
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5 * (abs(lo) or 1) * 0.1, hi + 0.5 * (abs(hi) or 1) * 0.1
    counts, edges = np.histogram(vals, bins=n_bins, range=(lo, hi))
    left, right, top, bottom = 34, 10, 10, 30
    pw, ph = width - left - right, height - top - bottom
    peak = max(1, int(counts.max()))
    parts = [(f'<svg class="hist" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
              f'aria-label="{esc(measure.label)} histogram">')]
    bw = pw / n_bins
    for k, c in enumerate(counts):
        h = ph * c / peak
        x = left + k * bw
        tip = f"{fmt_value(edges[k], measure.fmt)} to {fmt_value(edges[k + 1], measure.fmt)}: {c} calls"
        parts.append(f'<rect x="{x + 0.5:.1f}" y="{top + ph - h:.1f}" width="{max(bw - 1, 1):.1f}" '
                     f'height="{h:.1f}" class="bar"><title>{esc(tip)}</title></rect>')
    med = float(np.median(vals))
    xm = left + pw * (med - lo) / (hi - lo)
    parts.append(f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{top}" y2="{top + ph}" class="median">'
                 f'<title>median {esc(fmt_value(med, measure.fmt))}</title></line>')
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" class="axis"/>')
    parts.append(f'<text x="{left}" y="{height - 12}" class="tick">{esc(fmt_value(lo, measure.fmt))}</text>')
    parts.append(f'<text x="{left + pw}" y="{height - 12}" class="tick" text-anchor="end">'
                 f'{esc(fmt_value(hi, measure.fmt))}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + 9}" class="tick" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + ph}" class="tick" text-anchor="end">0</text>')
    parts.append("</svg>")
    return "".join(parts)


GROUP_COLUMNS = (
    ("calls", "calls", "int"), ("failed", "failed", "int"), ("audio_h", "audio h", "num"),
    ("agent_talk_share_median", "talk share", "pct"), ("overlap_share_median", "overlap", "pct"),
    ("dead_air_s_median", "dead air (s)", "s"), ("agent_interruptions_per_h", "interruptions/h", "num"),
    ("agent_interruptions_per_h_ratio", "x median", "num"), ("dead_air_5s_per_h", "dead air >= 5 s /h", "num"),
    ("agent_backchannels_per_customer_min", "backchannels/min", "num"),
)


def group_table(rows, by):
    """The per-group table (``callscan.record.summary``), or ``""`` when no row has the column."""
    from callscan.record.summary import summarize

    if not by or not any(by in r for r in rows):
        return ""
    esc = html.escape
    head = f'<th scope="col">{esc(by)}</th>' + "".join(f'<th scope="col">{esc(label)}</th>'
                                                      for _, label, _ in GROUP_COLUMNS)
    body = []
    for g in summarize(rows, [by]):
        cells = [f"<td>{esc('(none)' if g.get(by) is None else str(g.get(by)))}</td>"]
        cells += [f"<td>{esc(fmt_value(g.get(key), fmt))}</td>" for key, _, fmt in GROUP_COLUMNS]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<h2>Per {esc(by)}</h2><table id="groups"><thead><tr>{head}</tr></thead><tbody>'
            f"{''.join(body)}</tbody></table>")


def report_html(batch, links, by="agent_id"):
    """The report page.

    Parameters
    ----------
    batch : callscan.batch.read.BatchOutput
    links : dict of str -> str
        Call path -> relative link of its picture.

    Returns
    -------
    str
    """
    esc = html.escape
    rows = batch.rows
    run = batch.run
    ok = [r for r in rows if r.get("status") == "ok"]
    head = (
        f"{len(rows)} calls: {len(ok)} ok, {len(rows) - len(ok)} failed · "
        f"{run.get('audio_hours', 0):.2f} h of audio · callscan {esc(str(run.get('engine_version', '')))} · "
        f"parameters {esc(str(run.get('params_hash', '')))}"
    )
    figures = []
    for m in MEASURES:
        pairs = [(measure_value(r, m.key), r) for r in ok]
        pairs = [(v, r) for v, r in pairs if v is not None]
        values = [v for v, _ in pairs]
        summary = "no values"
        if pairs:
            worst_v, worst_r = max(pairs, key=lambda p: badness(p[0], m.worse))
            summary = (f"median {esc(fmt_value(float(np.median(values)), m.fmt))} · worst "
                       f"{esc(fmt_value(worst_v, m.fmt))} ({esc(str(worst_r.get('call_id')))})")
        figures.append(
            f'<figure><figcaption title="{esc(m.note)}">{esc(m.label)}</figcaption>'
            f"{histogram_svg(values, m)}<p class=\"sum\">{summary}</p></figure>"
        )
    columns = MEASURES + EXTRA
    ths = ['<th data-key="call_id" data-worse="text" scope="col">call</th>']
    for m in columns:
        initial = ' data-initial="1"' if m.key == INITIAL_SORT else ""
        ths.append(f'<th data-key="{m.key}" data-worse="{m.worse}" title="{esc(m.note)}" scope="col"{initial}>'
                   f"{esc(m.label)}</th>")
    ths.append('<th scope="col">status</th>')
    body = []
    for r in rows:
        cid = esc(str(r.get("call_id") or r.get("path") or ""))
        link = links.get(r.get("path"))
        name = f'<a href="{esc(quote(link.replace(os.sep, "/")))}" title="timeline picture">{cid}</a>' if link else cid
        cells = [f'<td data-v="{cid}" title="{esc(str(r.get("path") or ""))}">{name}</td>']
        for m in columns:
            v = measure_value(r, m.key)
            cells.append(f'<td data-v="{"" if v is None else repr(v)}">{esc(fmt_value(v, m.fmt))}</td>')
        status = str(r.get("status") or "")
        if status != "ok":
            detail = esc(str(r.get("error") or ""))
            cells.append(f'<td class="failed" title="{detail}">{esc(status)}: {esc(str(r.get("error_kind") or ""))}</td>')
        else:
            n_warn = len(warning_list(r.get("warnings")))
            tip = esc("; ".join(warning_list(r.get("warnings"))))
            cells.append(f'<td title="{tip}">ok{f" ({n_warn} warnings)" if n_warn else ""}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return PAGE.format(
        title=esc(f"callscan report: {len(rows)} calls"),
        css=CSS,
        onerror=ONERROR,
        head=head,
        outdir=esc(os.path.abspath(batch.outdir)),
        figures="\n".join(figures),
        groups=group_table(rows, by),
        ths="".join(ths),
        rows="\n".join(body),
        script=SCRIPT,
    )


CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.meta{color:#555;margin:0}.dists{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:8px 10px}
figcaption{font-weight:600;cursor:help}.sum{margin:2px 0 0;color:#555;font-size:12px}
.hist .bar{fill:#4a7fb5}.hist .bar:hover{fill:#d62728}.hist .median{stroke:#d62728;stroke-dasharray:3 2}
.hist .axis{stroke:#888}.hist .tick{font-size:10px;fill:#555}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4;position:sticky;top:0;user-select:none}
th[data-worse]{cursor:pointer}th[aria-sort=descending]::after{content:" \\25BC"}th[aria-sort=ascending]::after{content:" \\25B2"}
tr:hover td{background:#fafae6}td.failed{color:#b00000;text-align:left}
#script-errors{color:#b00000;white-space:pre-wrap}
"""

ONERROR = """
window.onerror = function (message, source, line) {
  var box = document.getElementById("script-errors");
  if (box) { box.hidden = false; box.textContent += message + " (line " + line + ")\\n"; }
  document.documentElement.setAttribute("data-status", "error");
};
"""

SCRIPT = """
(function () {
  var table = document.getElementById("calls");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, i, worse) {
    var v = row.cells[i].getAttribute("data-v");
    if (v === null || v === "") { return null; }
    if (worse === "text") { return v.toLowerCase(); }
    v = parseFloat(v);
    return worse === "far" ? Math.abs(v - 0.5) : v;
  }
  function sortBy(i, bestFirst) {
    var worse = heads[i].getAttribute("data-worse");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, i, worse), y = key(b, i, worse);
      if (x === null || y === null) { return (x === null) - (y === null); }
      var d = x < y ? -1 : (x > y ? 1 : 0);
      if (worse === "text") { return bestFirst ? -d : d; }
      return bestFirst ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var j = 0; j < heads.length; j++) { heads[j].removeAttribute("aria-sort"); }
    heads[i].setAttribute("aria-sort", bestFirst ? "ascending" : "descending");
    table.setAttribute("data-sorted-by", heads[i].getAttribute("data-key"));
    table.setAttribute("data-order", bestFirst ? "best-first" : "worst-first");
  }
  for (var i = 0; i < heads.length; i++) {
    if (!heads[i].hasAttribute("data-worse")) { continue; }
    heads[i].addEventListener("click", (function (k) {
      return function () {
        var again = table.getAttribute("data-sorted-by") === heads[k].getAttribute("data-key")
          && table.getAttribute("data-order") === "worst-first";
        sortBy(k, again);
      };
    })(i));
    if (heads[i].hasAttribute("data-initial")) { sortBy(i, false); }
  }
  var wanted = /^#sort=([A-Za-z0-9_]+)(,best)?$/.exec(window.location.hash);
  for (var h = 0; wanted && h < heads.length; h++) {
    if (heads[h].getAttribute("data-key") === wanted[1] && heads[h].hasAttribute("data-worse")) {
      heads[h].click();
      if (wanted[2]) { heads[h].click(); }
    }
  }
  if (document.documentElement.getAttribute("data-status") !== "error") {
    document.documentElement.setAttribute("data-status", "ready");
  }
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en" data-status="loading">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<script>{onerror}</script>
</head>
<body>
<h1>callscan report</h1>
<p class="meta">{head}</p>
<p class="meta">{outdir}</p>
{groups}
<h2>Across the batch</h2>
<section class="dists">
{figures}
</section>
<h2>Calls</h2>
<p class="meta">Click a heading to put the worst calls first; click it again for the best first.
A call's name opens its timeline picture.</p>
<table id="calls">
<thead><tr>{ths}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<pre id="script-errors" hidden></pre>
<script>{script}</script>
</body>
</html>
"""
