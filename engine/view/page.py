"""The report's HTML: one self-contained file from a ``callscan.view.report.Content``.

Inline CSS, inline script, inline SVG charts and pictures as ``data:`` URIs; no fonts,
scripts or images from elsewhere, so the page opens offline and can be mailed. A
table of calls sorts worst first on any measure (click a heading; click again for
best first; ``report.html#sort=KEY`` or ``#sort=KEY,best`` opens the calls worth a
look so sorted). A call's name opens its picture.
"""

import html

import numpy as np

from callscan.record.summary import SMALL_GROUP
from callscan.view.columns import EXTRA, INITIAL_SORT, MEASURES, badness, fmt_value, measure_value, warning_list

esc = html.escape

GROUP_COLUMNS = (
    ("calls", "calls", "int"), ("failed", "failed", "int"), ("audio_h", "audio h", "num"),
    ("agent_talk_share_median", "talk share", "pct"), ("overlap_share_median", "overlap", "pct"),
    ("dead_air_s_median", "dead air (s)", "s"), ("agent_interruptions_per_h", "interruptions/h", "num"),
    ("agent_interruptions_per_h_ratio", "x median", "num"), ("dead_air_5s_per_h", "dead air >= 5 s /h", "num"),
    ("agent_backchannels_per_customer_min", "backchannels/min", "num"), ("flagged_share", "flagged", "pct"),
)


def histogram_svg(values, measure, width=300, height=150):
    """An inline SVG histogram of one measure across the batch.

    Parameters
    ----------
    values : sequence of float
        The ok calls' values (None left out).
    measure : callscan.view.columns.Measure
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
    """
    if len(values) == 0:
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


def header(content):
    """The batch's totals, from ``run.json``."""
    run = content.run
    counts = run.get("counts") or {}
    n = run.get("inputs", len(content.rows))
    ok = counts.get("ok", sum(r.get("status") == "ok" for r in content.rows))
    failed = counts.get("failed", n - ok)
    kinds = ", ".join(f"{v} {k}" for k, v in (counts.get("failed_by_kind") or {}).items())
    parts = [f"{n} calls: {ok} ok, {failed} failed" + (f" ({kinds})" if kinds else ""),
             f"{float(run.get('audio_hours') or 0):.2f} h of audio"]
    if run.get("wall_s") is not None:
        parts.append(f"batch {float(run['wall_s']):.0f} s")
    parts.append(f"callscan {run.get('engine_version', '')}")
    parts.append(f"parameters {run.get('params_hash', '')}")
    if run.get("rules"):
        parts.append(f"rules: {', '.join(run['rules'])}")
    return esc(" · ".join(parts))


def group_table(content):
    """The per-group table, or ``""``."""
    by = content.by
    if not by:
        return ""
    shown = [c for c in GROUP_COLUMNS if any(c[0] in g for g in content.groups)]
    head = f'<th scope="col">{esc(by)}</th>' + "".join(f'<th scope="col">{esc(label)}</th>' for _, label, _ in shown)
    body = []
    for g in content.groups:
        name = "(none)" if g.get(by) is None else str(g.get(by))
        small = ' class="small" title="few calls: read its medians with care"' if g["calls"] < SMALL_GROUP else ""
        cells = [f"<td{small}>{esc(name)}</td>"]
        cells += [f"<td>{esc(fmt_value(g.get(key), fmt))}</td>" for key, _, fmt in shown]
        body.append(f"<tr>{''.join(cells)}</tr>")
    note = ""
    if content.groups_left_out:
        note = (f'<p class="meta">The {len(content.groups)} groups with the most calls; {content.groups_left_out} '
                f"more are left out (<code>callscan summary OUTDIR --by {esc(by)}</code> lists them all).</p>")
    return (f'<h2>Per {esc(by)}</h2>{note}<table id="groups"><thead><tr>{head}</tr></thead><tbody>'
            f"{''.join(body)}</tbody></table>"
            f'<p class="meta">Medians over each group\'s ok calls; rates pooled over its hours; groups under '
            f"{SMALL_GROUP} calls in italics.</p>")


def figures(content):
    """A histogram per headline measure, with its median and worst call."""
    out = []
    for m in MEASURES:
        column = content.values[m.key]
        known = np.flatnonzero(~np.isnan(column))
        values = column[known]
        summary = "no values"
        if known.size:
            worst = int(known[np.argmax(badness(values, m.worse))])  # the first of the worst
            summary = (f"median {esc(fmt_value(float(np.median(values)), m.fmt))} · worst "
                       f"{esc(fmt_value(float(column[worst]), m.fmt))} "
                       f"({esc(str(content.rows[worst].get('call_id')))})")
        out.append(f'<figure><figcaption title="{esc(m.note)}">{esc(m.label)}</figcaption>'
                   f"{histogram_svg(values, m)}<p class=\"sum\">{summary}</p></figure>")
    return "\n".join(out)


def calls_table(table_id, rows, pictures, reasons=None, caption=""):
    """A sortable table of calls.

    Parameters
    ----------
    table_id : str
    rows : list of (int, dict)
        Row index in the calls table and the row.
    pictures : set of int
        Row indices whose picture is in the page (``#pic-INDEX``).
    reasons : dict of int -> list of str, optional
        A "why" column.
    """
    columns = MEASURES + EXTRA
    ths = ['<th data-key="call_id" data-worse="text" scope="col">call</th>']
    if reasons is not None:
        ths.append('<th scope="col">why</th>')
    for m in columns:
        initial = ' data-initial="1"' if m.key == INITIAL_SORT else ""
        ths.append(f'<th data-key="{m.key}" data-worse="{m.worse}" title="{esc(m.note)}" scope="col"{initial}>'
                   f"{esc(m.label)}</th>")
    ths.append('<th scope="col">status</th>')
    body = []
    for i, r in rows:
        cid = esc(str(r.get("call_id") or r.get("path") or ""))
        name = f'<a href="#pic-{i}" title="timeline picture">{cid}</a>' if i in pictures else cid
        cells = [f'<td data-v="{cid}" title="{esc(str(r.get("path") or ""))}">{name}</td>']
        if reasons is not None:
            cells.append(f'<td class="why">{"<br>".join(esc(x) for x in reasons.get(i, ()))}</td>')
        for m in columns:
            v = measure_value(r, m.key)
            cells.append(f'<td data-v="{"" if v is None else repr(v)}">{esc(fmt_value(v, m.fmt))}</td>')
        status = str(r.get("status") or "")
        if status != "ok":
            cells.append(f'<td class="failed" title="{esc(str(r.get("error") or ""))}">{esc(status)}: '
                         f'{esc(str(r.get("error_kind") or ""))}</td>')
        else:
            warns = warning_list(r.get("warnings"))
            cells.append(f'<td title="{esc("; ".join(warns))}">ok{f" ({len(warns)} warnings)" if warns else ""}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'{caption}<table id="{table_id}" class="sortable"><thead><tr>{"".join(ths)}</tr></thead>'
            f'<tbody>\n{chr(10).join(body)}\n</tbody></table>')


def worth_a_look(content):
    """The calls worth a look: their table, then their pictures."""
    picks = content.picks
    if not picks:
        return '<h2 id="look-title">Calls worth a look</h2><p class="meta">No ok calls.</p>'
    with_picture = {p.index for p in picks if p.picture}
    intro = (f'<p class="meta">{len(picks)} calls: those flagged by a QA rule (at most {content.top} per rule) and '
             f"the {content.top} worst on each headline measure. Click a heading to put the worst first; click it "
             "again for the best first. A call's name opens its picture.</p>")
    left = "".join(f"<li>{n} more flagged by {esc(rule)}: the calls table's <code>flags</code> column has them</li>"
                   for rule, n in sorted(content.flagged_left_out.items()))
    if left:
        intro += f'<ul class="meta">{left}</ul>'
    table = calls_table("look", [(p.index, p.row) for p in picks], with_picture,
                        reasons={p.index: p.reasons for p in picks})
    figs = []
    for p in picks:
        if not p.picture:
            continue
        cid = esc(str(p.row.get("call_id") or ""))
        figs.append(f'<figure class="pic" id="pic-{p.index}"><figcaption>{cid} · '
                    f'{esc("; ".join(p.reasons))}</figcaption><img src="{p.picture}" alt="timeline of {cid}" '
                    f'width="100%"></figure>')
    return (f'<h2 id="look-title">Calls worth a look</h2>{intro}{table}'
            f'<h2>Their pictures</h2><section class="pics">{"".join(figs) or "<p>none</p>"}</section>')


def failed_table(content):
    """The failed calls: path, error kind, message."""
    if not content.failed:
        return ""
    body = "".join(f'<tr><td>{esc(str(r.get("path") or ""))}</td><td>{esc(str(r.get("error_kind") or ""))}</td>'
                   f'<td>{esc(str(r.get("error") or ""))}</td></tr>' for r in content.failed)
    more = ""
    if content.failed_left_out:
        more = (f'<p class="meta">and {content.failed_left_out} more: the calls table\'s rows with status '
                "'failed'</p>")
    return (f'<h2>Failed calls</h2><table id="failed"><thead><tr><th scope="col">path</th>'
            f'<th scope="col">error kind</th><th scope="col">message</th></tr></thead><tbody>{body}</tbody></table>'
            f"{more}")


def all_calls(content):
    """Every row of the calls table (``--all-calls``), or ``""``."""
    if not content.all_calls:
        return ""
    with_picture = {p.index for p in content.picks if p.picture}
    return "<h2>All calls</h2>" + calls_table("calls", list(enumerate(content.rows)), with_picture)


def render(content):
    """The report page.

    Parameters
    ----------
    content : callscan.view.report.Content

    Returns
    -------
    str
    """
    import os

    return PAGE.format(
        title=esc(f"callscan report: {len(content.rows)} calls"),
        css=CSS,
        onerror=ONERROR,
        head=header(content),
        outdir=esc(os.path.abspath(content.outdir)),
        groups=group_table(content),
        figures=figures(content),
        look=worth_a_look(content),
        failed=failed_table(content),
        all_calls=all_calls(content),
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
tr:hover td{background:#fafae6}td.failed{color:#b00000;text-align:left}td.why{text-align:left;font-size:12px}
td.small{font-style:italic}#failed td{text-align:left}
.pics{display:flex;flex-direction:column;gap:16px;max-width:1100px}.pic figcaption{font-weight:400;cursor:auto}
.pic:target{border-color:#d62728;box-shadow:0 0 0 2px #d62728}
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
  function sortable(table) {
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
    return heads;
  }
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) { sortable(tables[t]); }
  var look = document.getElementById("look");
  var wanted = /^#sort=([A-Za-z0-9_]+)(,best)?$/.exec(window.location.hash);
  var heads = look ? look.tHead.rows[0].cells : [];
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
{look}
{failed}
{all_calls}
<pre id="script-errors" hidden></pre>
<script>{script}</script>
</body>
</html>
"""
