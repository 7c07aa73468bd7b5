"""A timeline picture of one call (``callscan plot``).

Three panels share the time axis: the two parties' lanes (speech, with
interruptions marked on the interrupter's lane and backchannels on the
speaker's lane) around a middle lane of overlap, dead air and hold; the pitch
contour of each party; and each party's agitation per quarter of the span. A
header carries the main measures. Marks closer than one pixel are merged and
none is drawn narrower than one pixel; above ``detail_max_s`` the pitch is drawn
as a per-bin median with its 10-90 % band (bins of at least a second), so a
60-minute call reads as clearly as a 3-minute one.

matplotlib is an optional extra (``pip install 'callscan[plot]'``); it is
imported only when a picture is drawn, with the Agg canvas (no display).
"""

from dataclasses import dataclass, field

import numpy as np

from callscan.errors import CallscanError
from callscan.frames.passes import frame_features
from callscan.params import Params
from callscan.view import timeline as tl

COLORS = {
    "agent": "#1f6fb4",
    "customer": "#e07b00",
    None: "#4c4c4c",
    "overlap": "#d62728",
    "dead_air": "#8c8c8c",
    "hold": "#9467bd",
    "interruption": "#c00000",
    "backchannel": "#2ca02c",
}
WIDTH_IN, HEIGHT_IN = 14.0, 6.6
PLOT_LEFT, PLOT_RIGHT = 0.075, 0.86


class PlotUnavailable(CallscanError):
    """matplotlib, needed to draw, is not installed."""

    error_kind = "internal"


def require_matplotlib():
    """Import matplotlib lazily, or say which extra installs it.

    Raises
    ------
    PlotUnavailable
        When matplotlib is missing.
    """
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    except ImportError:
        raise PlotUnavailable(
            "drawing needs matplotlib, which is not installed: pip install 'callscan[plot]'"
        ) from None


@dataclass
class CallView:
    """What a picture of a call shows.

    Attributes
    ----------
    record : dict
        The call's record.
    events : list of dict
        The call's events (``callscan.record.schema.EVENT_SCHEMA``).
    hop_s : float
        Frame hop of ``f0_hz``, s.
    f0_hz : dict of (str or None) -> ndarray
        Per party (``"agent"``, ``"customer"``; None for a mono call), F0 per
        frame, Hz, NaN where unvoiced.
    """

    record: dict
    events: list
    hop_s: float
    f0_hz: dict = field(default_factory=dict)

    @property
    def parties(self):
        """The lanes: ``("agent", "customer")``, or ``(None,)`` for a mono call."""
        return (None,) if self.record.get("mode") == "mono" else ("agent", "customer")

    @property
    def duration_s(self):
        """Length of the call, s."""
        d = self.record.get("duration_s")
        if d:
            return float(d)
        ends = [e["end_s"] for e in self.events]
        return float(max(ends)) if ends else 1.0


def call_view(source, sample_rate=None, params=None, *, record=None, events=None):
    """Analyse a call and take the pitch its measures used.

    The audio is read a block at a time (``callscan.audio.blocks``), so a picture of a long call
    needs no more memory than its analysis.

    Parameters
    ----------
    source : str, os.PathLike or ndarray
        A file, or samples shaped (channels, n_samples) with ``sample_rate``.
    sample_rate : int, optional
    params : callscan.params.Params, optional
        The parameters of the analysis (and of a given record).
    record, events : dict and list of dict, optional
        A record and its events from an earlier analysis (e.g. a batch's
        tables); both or neither. They are drawn as given; the analysis then
        only supplies the pitch.

    Returns
    -------
    CallView
    """
    from callscan.analyze import call_record, open_call

    params = params or Params()
    audio = open_call(source, sample_rate, params)
    frames = frame_features(audio, params)
    if record is None or events is None:
        record = call_record(audio, frames, params, events=True)
        events = record.pop("events")
    if record.get("mode") == "mono":
        lanes = [(None, 0)]
    else:
        lanes = params.party_channels()
    return CallView(record=record, events=list(events), hop_s=frames.hop_s,
                    f0_hz={p: frames.f0_hz[ch] for p, ch in lanes})


def plot_call(source, output=None, *, sample_rate=None, params=None, record=None, events=None, dpi=100):
    """Draw the timeline picture of a call; write it to ``output`` when given.

    Parameters
    ----------
    source : str, os.PathLike or ndarray
    output : str, optional
        Image file (format from the extension: .png, .svg, .pdf).
    sample_rate, params, record, events
        As for ``call_view``.
    dpi : int

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    PlotUnavailable
        When matplotlib is not installed.
    callscan.errors.CallscanError
        When the call cannot be analysed.
    """
    require_matplotlib()
    view = call_view(source, sample_rate, params, record=record, events=events)
    return draw_call(view, output, dpi=dpi)


def draw_call(view, output=None, *, dpi=100, detail_max_s=360.0):
    """Draw a ``CallView``.

    Parameters
    ----------
    view : CallView
    output : str, optional
        Image file to write.
    dpi : int
    detail_max_s : float
        Calls up to this long show every pitch frame; longer ones a per-bin
        median band.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[2.4, 2.0, 1.2], hspace=0.32,
                            left=PLOT_LEFT, right=PLOT_RIGHT, top=0.80, bottom=0.08)
    lanes = fig.add_subplot(grid[0])
    pitch = fig.add_subplot(grid[1], sharex=lanes)
    agit = fig.add_subplot(grid[2], sharex=lanes)
    duration = view.duration_s
    px_s = duration / max(1.0, (PLOT_RIGHT - PLOT_LEFT) * WIDTH_IN * dpi)
    _header(fig, view.record)
    _lanes(lanes, view, px_s)
    _pitch(pitch, view, px_s, detail=duration <= detail_max_s)
    _agitation(agit, view)
    long = duration >= 3600
    agit.xaxis.set_major_locator(MultipleLocator(tick_step_s(duration)))
    agit.xaxis.set_major_formatter(FuncFormatter(lambda x, _: tl.clock(x, long)))
    agit.set_xlim(0, duration)
    agit.set_xlabel("time (m:ss)" if not long else "time (h:mm:ss)")
    for ax in (lanes, pitch):
        ax.tick_params(labelbottom=False)
    for ax in (lanes, pitch, agit):
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    if output is not None:
        fig.savefig(output, dpi=dpi)
    return fig


def tick_step_s(duration_s, max_ticks=12):
    """A round time-tick step (s) giving at most ``max_ticks`` ticks over ``duration_s``."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if duration_s / step <= max_ticks:
            return step
    return float(np.ceil(duration_s / max_ticks / 3600) * 3600)


def _fmt(value, spec="{:.2f}", unit=""):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return spec.format(value) + unit


def header_lines(record):
    """The header's three lines of main measures.

    Parameters
    ----------
    record : dict

    Returns
    -------
    list of str
    """
    r = record.get
    name = r("call_id") or "call"
    line1 = (f"{name}   {tl.clock(r('duration_s') or 0)}   {r('mode') or ''}   {r('codec') or ''}"
             f"   {layout_text(record)}").rstrip()
    line2 = (
        f"talk share agent {_fmt(r('agent_talk_share'), '{:.0%}')} / customer {_fmt(r('customer_talk_share'), '{:.0%}')}"
        f"   overlap {_fmt(r('overlap_share'), '{:.1%}')} of span"
        f"   interruptions by agent {_fmt(r('interruptions_by_agent'), '{}')} / customer "
        f"{_fmt(r('interruptions_by_customer'), '{}')}"
        f"   backchannels {_fmt(r('backchannels_by_agent'), '{}')} / {_fmt(r('backchannels_by_customer'), '{}')}"
    )
    line3 = (
        f"dead air {_fmt(r('dead_air_count'), '{}')} × = {_fmt(r('dead_air_s'), '{:.1f}', ' s')}"
        f" (longest {_fmt(r('dead_air_longest_s'), '{:.1f}', ' s')})"
        f"   hold {_fmt(r('hold_s'), '{:.1f}', ' s')}   turns {_fmt(r('turns'), '{}')}"
        f"   agitation agent {_fmt(r('agent_agitation'))} / customer {_fmt(r('customer_agitation'))}"
        f"   customer shift q4−q1 {_fmt(r('customer_agitation_shift'), '{:+.2f}')}"
    )
    return [line1, line2, line3]


def layout_text(record):
    """The header's channel layout item: the layout and, per party, the leak into its channel
    (level under the talker, delay), e.g. ``leak into customer -26.0 dB @ 12 ms``."""
    layout = record.get("channel_layout")
    if not layout:
        return ""
    leaks = []
    for party in ("agent", "customer"):
        db, ms = record.get(f"leak_into_{party}_db"), record.get(f"leak_into_{party}_delay_ms")
        if db is not None:
            leaks.append(f"into {party} {db:.1f} dB" + (f" @ {ms:g} ms" if ms is not None else ""))
    text = layout.replace("_", " ")
    return f"{text}: {', '.join(leaks)}" if leaks else text


def _header(fig, record):
    lines = header_lines(record)
    fig.text(PLOT_LEFT, 0.955, lines[0], fontsize=13, fontweight="bold", va="top")
    fig.text(PLOT_LEFT, 0.905, lines[1], fontsize=9.5, va="top")
    fig.text(PLOT_LEFT, 0.865, lines[2], fontsize=9.5, va="top")
    warnings = record.get("warnings") or []
    if warnings:
        fig.text(PLOT_RIGHT, 0.955, f"{len(warnings)} warning(s)", fontsize=9, color="#b00000", va="top", ha="right")


def _bars(ax, spans, y, height, color, px_s, **kw):
    spans = tl.merge_intervals(spans, min_gap_s=px_s, min_width_s=px_s)
    if spans.shape[0]:
        ax.broken_barh(list(zip(spans[:, 0], spans[:, 1] - spans[:, 0])), (y - height / 2, height),
                       facecolors=color, linewidth=0, **kw)


def _marks(ax, events, kind, party, key, y, marker, color, px_s):
    starts = tl.intervals(events, kind, party, key=key)[:, 0]
    if starts.size:
        kept = starts[np.concatenate([[True], np.diff(starts) >= 3 * px_s])]
        ax.plot(kept, np.full(kept.size, y), linestyle="none", marker=marker, markersize=6,
                color=color, markeredgewidth=0)


def _lanes(ax, view, px_s):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ev = view.events
    parties = view.parties
    rows = {"agent": 2.0, "customer": 0.0} if parties != (None,) else {None: 2.0}
    middle = 1.0
    for party, y in rows.items():
        _bars(ax, tl.intervals(ev, "speech", party), y, 0.62, COLORS[party], px_s)
        _marks(ax, ev, "interruption", party, "by", y + 0.42, "v", COLORS["interruption"], px_s)
        _marks(ax, ev, "backchannel", party, "party", y - 0.42, "^", COLORS["backchannel"], px_s)
    _bars(ax, tl.intervals(ev, "dead_air"), middle, 0.5, COLORS["dead_air"], px_s, hatch="//")
    _bars(ax, tl.intervals(ev, "hold"), middle, 0.5, COLORS["hold"], px_s)
    _bars(ax, tl.intervals(ev, "overlap"), middle, 0.5, COLORS["overlap"], px_s)
    labels = {2.0: "agent" if None not in rows else "speech (mono)", 1.0: "both", 0.0: "customer"}
    ticks = sorted(set(rows.values()) | {middle})
    ax.set_yticks(ticks, [labels[t] for t in ticks])
    ax.set_ylim(-0.6 if None not in rows else 0.5, 2.6)
    handles = [
        Patch(color=COLORS["agent"], label="agent speech"),
        Patch(color=COLORS["customer"], label="customer speech"),
        Patch(color=COLORS["overlap"], label="overlap"),
        Patch(facecolor=COLORS["dead_air"], hatch="//", label="dead air"),
        Patch(color=COLORS["hold"], label="hold"),
        Line2D([], [], linestyle="none", marker="v", color=COLORS["interruption"], label="interruption (by)"),
        Line2D([], [], linestyle="none", marker="^", color=COLORS["backchannel"], label="backchannel"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    ax.set_title("who speaks", loc="left", fontsize=9, color="#555555")


def _pitch(ax, view, px_s, detail):
    drawn = False
    values = []
    for party, f0 in view.f0_hz.items():
        if f0 is None or not np.isfinite(f0).any():
            continue
        drawn = True
        color = COLORS[party]
        label = party or "speech"
        if detail:
            t = tl.frame_times(f0.size, view.hop_s)
            ax.plot(t, f0, color=color, linewidth=0.9, label=label)
            values.append(f0[np.isfinite(f0)])
        else:
            t, med, lo, hi = tl.pitch_band(f0, view.hop_s, max(1.0, 2 * px_s))
            ax.fill_between(t, lo, hi, color=color, alpha=0.25, linewidth=0)
            ax.plot(t, med, color=color, linewidth=0.9, label=label)
            values.append(lo[np.isfinite(lo)])
            values.append(hi[np.isfinite(hi)])
    if drawn:
        allv = np.concatenate(values)
        lo_hz, hi_hz = np.percentile(allv, [1, 99])
        ax.set_ylim(max(40.0, lo_hz * 0.85), hi_hz * 1.15)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    else:
        ax.text(0.5, 0.5, "no voiced speech", transform=ax.transAxes, ha="center", va="center", color="#777777")
    ax.set_ylabel("F0 (Hz)")
    note = "" if detail else f" (median and 10-90 % band per {max(1.0, 2 * px_s):.0f} s)"
    ax.set_title("pitch" + note, loc="left",
                 fontsize=9, color="#555555")


def _number(value):
    """A finite float, or None."""
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _agitation(ax, view):
    bounds = tl.span_bounds(view.events)
    shown = False
    if bounds is not None and bounds[1] > bounds[0]:
        qs = tl.quarters(bounds)
        values = {p: [_number(view.record.get(f"{p}_agitation_q{k}")) for k in range(1, 5)]
                  for p in ("agent", "customer")}
        for q, (a, b) in enumerate(qs):
            pair = {p: values[p][q] for p in values if values[p][q] is not None}
            for party, v in pair.items():
                shown = True
                ax.hlines(v, a, b, color=COLORS[party], linewidth=3)
                above = v >= max(pair.values()) and (party == "agent" or len(pair) == 1 or v > min(pair.values()))
                ax.text((a + b) / 2, v + (0.05 if above else -0.05), f"{v:.2f}", color=COLORS[party],
                        ha="center", va="bottom" if above else "top", fontsize=8)
        for a in qs[1:, 0]:
            ax.axvline(a, color="#bbbbbb", linewidth=0.8, linestyle=":")
    if not shown:
        ax.text(0.5, 0.5, "agitation per quarter not in the record", transform=ax.transAxes,
                ha="center", va="center", color="#777777")
    ax.set_ylim(-0.15, 1.15)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("agitation")
    ax.set_title("agitation per quarter of the span (0-1)", loc="left", fontsize=9, color="#555555")
