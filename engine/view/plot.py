"""A timeline picture of one call (``callscan plot``).

Three panels share the time axis: the two parties' lanes (speech, with
interruptions marked on the interrupter's lane and backchannels on the
speaker's lane) around a middle lane of overlap, dead air and hold; the pitch
contour of each party; and each party's agitation per quarter of the span. A
mono call has one speech lane over a lane of dead air and hold. A header
carries the call's warnings, written out, and its main measures; a value the
record does not hold is left out or says why (``callscan.view.captions``). The
legend lists what is drawn, and a stretch with nothing drawn says so ("no
speech", "no customer speech (hold)"). Every label is measured and the panels
placed around them (``callscan.view.layout``). Marks closer than one pixel are merged and
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
from callscan.view import captions
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
#: The smallest picture whose every label fits, inches.
MIN_SIZE_IN = (8.0, 4.5)
#: Preferred frame edges (figure fractions), kept where the labels leave room.
PLOT_LEFT, PLOT_RIGHT = 0.075, 0.86
TITLE_PT, FONT_PT, WARNING_PT, LEGEND_PT, SUBTITLE_PT, NOTE_PT = 13.0, 9.5, 9.0, 8.5, 9.0, 8.5
SUBTITLE_COLOR, NOTE_COLOR, WARNING_COLOR = "#555555", "#777777", "#b00000"
WARNING_MARK = "⚠ "
#: Warnings written out in the header; more are counted.
MAX_WARNING_LINES = 2
VALUE_PT, VALUE_GAP_PT = 8.0, 2.0
#: A stretch with nothing drawn this wide (px) or wider says "no speech".
EMPTY_MIN_PX = 60


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


def plot_call(source, output=None, *, sample_rate=None, params=None, record=None, events=None, dpi=100,
              size=None):
    """Draw the timeline picture of a call; write it to ``output`` when given.

    Parameters
    ----------
    source : str, os.PathLike or ndarray
    output : str, optional
        Image file (format from the extension: .png, .svg, .pdf).
    sample_rate, params, record, events
        As for ``call_view``.
    dpi : int
    size : (float, float), optional
        As for ``draw_call``.

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
    return draw_call(view, output, dpi=dpi, size=size)


def draw_call(view, output=None, *, dpi=100, detail_max_s=360.0, size=None):
    """Draw a ``CallView``.

    Every label is measured once drawn and the panels are placed so that all
    of them fit (``callscan.view.layout``), at any resolution and at any size
    from ``MIN_SIZE_IN`` up.

    Parameters
    ----------
    view : CallView
    output : str, optional
        Image file to write.
    dpi : int
    detail_max_s : float
        Calls up to this long show every pitch frame; longer ones a per-bin
        median band.
    size : (float, float), optional
        Width and height, inches (default ``(WIDTH_IN, HEIGHT_IN)``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    from callscan.view import layout

    width_in, height_in = size or (WIDTH_IN, HEIGHT_IN)
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[2.4, 2.0, 1.2], hspace=0.32,
                            left=PLOT_LEFT, right=PLOT_RIGHT, top=0.80, bottom=0.08)
    lanes = fig.add_subplot(grid[0])
    pitch = fig.add_subplot(grid[1], sharex=lanes)
    agit = fig.add_subplot(grid[2], sharex=lanes)
    duration = view.duration_s
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
    # Labels and legends first: they decide the margins, the margins decide a pixel's seconds.
    _lanes_frame(lanes, view)
    detail = duration <= detail_max_s
    _pitch_frame(pitch, view)
    _agitation_frame(agit)
    ruler = layout.Ruler(fig)
    pad = ruler.height_px(FONT_PT, spacing=0.6)
    layout.fit_panels(fig, grid, [lanes, pitch, agit], top_px=0, pad_px=pad,
                      prefer_left=PLOT_LEFT, prefer_right=PLOT_RIGHT)
    header_px = _header(fig, view.record, ruler, lanes.get_window_extent().x0, pad)
    layout.fit_panels(fig, grid, [lanes, pitch, agit], top_px=header_px, pad_px=pad,
                      prefer_left=PLOT_LEFT, prefer_right=PLOT_RIGHT)
    px_s = duration / max(1.0, lanes.get_window_extent().width)
    _lanes(lanes, view, px_s, ruler)
    _pitch(pitch, view, px_s, detail=detail)
    _agitation(agit, view, ruler)
    # The pitch axis got its range (and tick labels) from the data: settle the margins once more.
    layout.fit_panels(fig, grid, [lanes, pitch, agit], top_px=header_px, pad_px=pad,
                      prefer_left=PLOT_LEFT, prefer_right=PLOT_RIGHT)
    if output is not None:
        fig.savefig(output, dpi=dpi)
    return fig


def tick_step_s(duration_s, max_ticks=12):
    """A round time-tick step (s) giving at most ``max_ticks`` ticks over ``duration_s``."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if duration_s / step <= max_ticks:
            return step
    return float(np.ceil(duration_s / max_ticks / 3600) * 3600)


def header_lines(record):
    """The header's lines: the title, then the main measures (two lines when they fit there).

    The picture wraps the same phrases (``callscan.view.captions.measure_phrases``)
    to its own width; this is the text without a figure.

    Parameters
    ----------
    record : dict

    Returns
    -------
    list of str
    """
    phrases = captions.measure_phrases(record)
    half = (len(phrases) + 1) // 2
    return [captions.title(record), "   ".join(phrases[:half]), "   ".join(phrases[half:])]


def warning_lines(warnings, fit, max_lines=MAX_WARNING_LINES):
    """The header's warning lines: each warning's first clause, at most ``max_lines``.

    Parameters
    ----------
    warnings : list of str
    fit : callable
        ``fit(forms, reserve)`` returns the longest of ``forms`` that fits the
        line's width less the width of ``reserve`` (or the shortest, ellipsized).
    max_lines : int

    Returns
    -------
    list of str
        When there are more warnings than lines, the last line ends with how
        many more the record holds.
    """
    warnings = [w for w in warnings or [] if w]
    shown = warnings[:max_lines]
    rest = len(warnings) - len(shown)
    lines = []
    for k, text in enumerate(shown):
        forms = [WARNING_MARK + form for form in captions.short_warnings(text)]
        last = rest and k == len(shown) - 1
        more = f"   (+{rest} more warning{'s' if rest > 1 else ''} in the record)" if last else ""
        lines.append(fit(forms, more) + more)
    return lines


def _header(fig, record, ruler, x_px, pad_px):
    """Write the header at the figure's top from ``x_px``; its height, px."""
    width = fig.bbox.width - x_px - pad_px
    height = fig.bbox.height
    y = 1.5 * pad_px
    rows = [(ruler.shorten(captions.title(record), width, fontsize=TITLE_PT, fontweight="bold"),
             dict(fontsize=TITLE_PT, fontweight="bold"), TITLE_PT)]

    def fit(forms, reserve):
        room = width - (ruler.width_px(reserve, fontsize=WARNING_PT) if reserve else 0.0)
        return ruler.choose(forms, room, fontsize=WARNING_PT)

    rows += [(line, dict(fontsize=WARNING_PT, color=WARNING_COLOR), WARNING_PT)
             for line in warning_lines(record.get("warnings"), fit)]
    rows += [(line, dict(fontsize=FONT_PT), FONT_PT)
             for line in ruler.wrap(captions.measure_phrases(record), width, fontsize=FONT_PT)]
    for k, (text, font, size) in enumerate(rows):
        fig.text(x_px / fig.bbox.width, 1 - y / height, text, va="top", ha="left", **font)
        y += ruler.height_px(size, spacing=1.7 if k == 0 else 1.45)
    return y


def _bars(ax, spans, y, height, color, px_s, **kw):
    spans = tl.merge_intervals(spans, min_gap_s=px_s, min_width_s=px_s)
    if spans.shape[0]:
        ax.broken_barh(list(zip(spans[:, 0], spans[:, 1] - spans[:, 0])), (y - height / 2, height),
                       facecolors=color, linewidth=0, **kw)
    return spans


def _marks(ax, starts, y, marker, color, px_s):
    if starts.size:
        kept = starts[np.concatenate([[True], np.diff(starts) >= 3 * px_s])]
        ax.plot(kept, np.full(kept.size, y), linestyle="none", marker=marker, markersize=6,
                color=color, markeredgewidth=0)


LANE_Y = {"agent": 2.0, "customer": 0.0, None: 2.0}
MIDDLE_Y = 1.0


def lane_contents(view):
    """What the lanes panel draws, in legend order.

    Returns
    -------
    dict of str -> ndarray
        ``"speech:<party>"``, ``"overlap"``, ``"dead_air"``, ``"hold"``:
        intervals, shape (n, 2), s; ``"interruption:<party>"``,
        ``"backchannel:<party>"``: start times, s. Only kinds with at least one
        event; interruptions by, and backchannels of, the drawn parties.
    """
    ev = view.events
    out = {}
    for party in view.parties:
        out[f"speech:{party}"] = tl.intervals(ev, "speech", party)
    for kind in ("overlap", "dead_air", "hold"):
        out[kind] = tl.intervals(ev, kind)
    for party in view.parties:
        out[f"interruption:{party}"] = tl.intervals(ev, "interruption", party, key="by")[:, 0]
        out[f"backchannel:{party}"] = tl.intervals(ev, "backchannel", party)[:, 0]
    return {k: v for k, v in out.items() if v.shape[0]}


def _legend_handles(contents):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    for party in ("agent", "customer", None):
        if f"speech:{party}" in contents:
            handles.append(Patch(color=COLORS[party], label=f"{party} speech" if party else "speech"))
    if "overlap" in contents:
        handles.append(Patch(color=COLORS["overlap"], label="overlap"))
    if "dead_air" in contents:
        handles.append(Patch(facecolor=COLORS["dead_air"], hatch="//", label="dead air"))
    if "hold" in contents:
        handles.append(Patch(color=COLORS["hold"], label="hold"))
    if any(k.startswith("interruption:") for k in contents):
        handles.append(Line2D([], [], linestyle="none", marker="v", color=COLORS["interruption"],
                              label="interruption (by)"))
    if any(k.startswith("backchannel:") for k in contents):
        handles.append(Line2D([], [], linestyle="none", marker="^", color=COLORS["backchannel"],
                              label="backchannel"))
    return handles


def _legend(ax, handles):
    from callscan.view import layout

    layout.legend(ax, handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.8,
                  fontsize=LEGEND_PT, frameon=False)


def _lanes_frame(ax, view):
    mono = view.parties == (None,)
    labels = {2.0: "speech (mono)" if mono else "agent", MIDDLE_Y: "dead air / hold" if mono else "both",
              0.0: "customer"}
    ticks = sorted({LANE_Y[p] for p in view.parties} | {MIDDLE_Y})
    ax.set_yticks(ticks, [labels[t] for t in ticks])
    ax.set_ylim(0.5 if mono else -0.6, 2.6)
    handles = _legend_handles(lane_contents(view))
    if handles:
        _legend(ax, handles)
    ax.set_title("who speaks", loc="left", fontsize=SUBTITLE_PT, color=SUBTITLE_COLOR)


def _note(ax, ruler, x, y, text, room_px, color=NOTE_COLOR, **kw):
    """Write ``text`` centred at data ``(x, y)`` when it is narrower than ``room_px``; whether it was."""
    font = dict(fontsize=NOTE_PT, style="italic")
    if ruler.width_px(text, **font) > room_px:
        return False
    ax.text(x, y, text, ha="center", va="center", color=color, **font, **kw)
    return True


def _lanes(ax, view, px_s, ruler):
    contents = lane_contents(view)
    for party in view.parties:
        y = LANE_Y[party]
        if f"speech:{party}" in contents:
            _bars(ax, contents[f"speech:{party}"], y, 0.62, COLORS[party], px_s)
        else:
            _note(ax, ruler, view.duration_s / 2, y, f"no {party} speech" if party else "no speech",
                  ax.get_window_extent().width)
        _marks(ax, contents.get(f"interruption:{party}", np.empty(0)), y + 0.42, "v",
               COLORS["interruption"], px_s)
        _marks(ax, contents.get(f"backchannel:{party}", np.empty(0)), y - 0.42, "^",
               COLORS["backchannel"], px_s)
    empty = np.empty((0, 2))
    boxed = dict(bbox=dict(facecolor="white", edgecolor="none", pad=1.0, alpha=0.85))
    for kind, label, extra in (("dead_air", "dead air", dict(hatch="//")), ("hold", "hold", {}),
                               ("overlap", None, {})):
        drawn = _bars(ax, contents.get(kind, empty), MIDDLE_Y, 0.5, COLORS[kind], px_s, **extra)
        if label:  # a wide stretch of dead air or hold says so, so the empty lanes above it read as meant
            for a, b in drawn:
                _note(ax, ruler, (a + b) / 2, MIDDLE_Y, label, (b - a) / px_s - 4, color="#333333", **boxed)
    # Stretches where nothing at all is drawn: before the first speech, after the last, a gap.
    spans = [v for k, v in contents.items() if k.startswith("speech:") or k in ("dead_air", "hold")]
    drawn = np.concatenate(spans) if spans else empty
    named = [_note(ax, ruler, (a + b) / 2, MIDDLE_Y, "no speech", (b - a) / px_s - 4)
             for a, b in tl.gaps(drawn, 0.0, view.duration_s, min_s=EMPTY_MIN_PX * px_s)]
    if not any(named) and not any(k in contents for k in ("overlap", "dead_air", "hold")):
        middle = "no dead air, no hold" if view.parties == (None,) else "no overlap, no dead air, no hold"
        _note(ax, ruler, view.duration_s / 2, MIDDLE_Y, middle, ax.get_window_extent().width)


def _pitch_frame(ax, view):
    ax.set_ylabel("F0 (Hz)")
    if any(f0 is not None and np.isfinite(f0).any() for f0 in view.f0_hz.values()):
        from matplotlib.lines import Line2D

        _legend(ax, [Line2D([], [], color=COLORS[p], linewidth=0.9, label=p or "speech")
                     for p, f0 in view.f0_hz.items() if f0 is not None and np.isfinite(f0).any()])
    ax.set_title("pitch", loc="left", fontsize=SUBTITLE_PT, color=SUBTITLE_COLOR)


def _pitch(ax, view, px_s, detail):
    values = []
    for party, f0 in view.f0_hz.items():
        if f0 is None or not np.isfinite(f0).any():
            continue
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
    if values:
        allv = np.concatenate(values)
        lo_hz, hi_hz = np.percentile(allv, [1, 99])
        ax.set_ylim(max(40.0, lo_hz * 0.85), hi_hz * 1.15)
    else:
        ax.text(0.5, 0.5, "no voiced speech", transform=ax.transAxes, ha="center", va="center", color=NOTE_COLOR)
    if not detail:
        ax.set_title(f"pitch (median and 10-90 % band per {max(1.0, 2 * px_s):.0f} s)", loc="left",
                     fontsize=SUBTITLE_PT, color=SUBTITLE_COLOR)


def _agitation_frame(ax):
    ax.set_ylim(-0.15, 1.15)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("agitation")
    ax.set_title("agitation per quarter of the span (0-1)", loc="left", fontsize=SUBTITLE_PT,
                 color=SUBTITLE_COLOR)


#: Where a quarter's note of a missing value sits (agitation axis units) when no line is drawn there;
#: beside a line, the note takes the height of ``NOTE_HEIGHTS`` farthest from it.
NOTE_Y = {"agent": 0.95, "customer": 0.75, None: 0.5}
NOTE_HEIGHTS = (0.95, 0.55, 0.05)


def _agitation(ax, view, ruler):
    record = view.record
    keys = [f"{p}_agitation_q{k}" for p in ("agent", "customer") for k in range(1, 5)]
    bounds = tl.span_bounds(view.events)
    if view.parties == (None,):
        why = "agitation is measured per party: not on a mono call"
    elif not any(k in record for k in keys):
        why = "agitation per quarter not in the record"
    elif bounds is None or bounds[1] <= bounds[0]:
        why = "no speech"
    else:
        why = None
    if why:
        ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center", color=NOTE_COLOR)
        return
    qs = tl.quarters(bounds)
    values = {p: [captions.number(record.get(f"{p}_agitation_q{k}")) for k in range(1, 5)]
              for p in ("agent", "customer")}
    room = lambda a, b: (b - a) / view.duration_s * ax.get_window_extent().width - 4  # noqa: E731
    for q, (a, b) in enumerate(qs):
        pair = {p: values[p][q] for p in values if values[p][q] is not None}
        for party, v in pair.items():
            ax.hlines(v, a, b, color=COLORS[party], linewidth=3)
        _values(ax, a, b, pair)
        missing = [p for p in values if p not in pair]
        notes = {p: captions.quarter_note(view.events, p, (a, b)) for p in missing}
        if len(missing) == 2 and all(n.startswith("no ") for n in notes.values()):
            notes = {None: captions.quarter_note(view.events, None, (a, b))}
        for party, text in notes.items():
            y = max(NOTE_HEIGHTS, key=lambda h: min(abs(h - v) for v in pair.values())) if pair else NOTE_Y[party]
            _note(ax, ruler, (a + b) / 2, y, text, room(a, b), color=COLORS[party] if party else NOTE_COLOR)
    for a in qs[1:, 0]:
        ax.axvline(a, color="#bbbbbb", linewidth=0.8, linestyle=":")


def _values(ax, a, b, pair):
    """Write each party's value of a quarter next to its line, inside the panel.

    The higher line's value goes above it, the lower's below; when the panel
    leaves no room below, both go above, side by side.
    """
    frame = ax.get_window_extent()
    gap_px, high_px = VALUE_GAP_PT * ax.figure.dpi / 72, VALUE_PT * 1.25 * ax.figure.dpi / 72
    y_px = {p: ax.transData.transform((a, v))[1] for p, v in pair.items()}
    order = sorted(pair, key=lambda p: (pair[p], p == "agent"))  # lowest first; ties: the agent above
    sides = {p: +1 for p in pair}
    if len(order) == 2 and y_px[order[0]] - gap_px - high_px >= frame.y0:
        sides[order[0]] = -1
    side_by_side = len(pair) == 2 and all(v > 0 for v in sides.values())
    for k, party in enumerate(order):
        side = sides[party]
        if side > 0 and y_px[party] + gap_px + high_px > frame.y1:
            side = -1  # a value near the top of the scale is written under its line
        x = a + (b - a) * ((1 + k) / 3 if side_by_side else 0.5)
        ax.annotate(f"{pair[party]:.2f}", (x, pair[party]), xytext=(0, side * VALUE_GAP_PT),
                    textcoords="offset points", ha="center", va="bottom" if side > 0 else "top",
                    color=COLORS[party], fontsize=VALUE_PT)
