"""Timeline pictures (callscan.view.plot, ``callscan plot``)."""

import sys

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from callscan.cli import main
from callscan.view.plot import (
    COLORS,
    MIN_SIZE_IN,
    PLOT_RIGHT,
    CallView,
    PlotUnavailable,
    call_view,
    draw_call,
    header_lines,
    require_matplotlib,
)
from tests.support import FIXTURES

mpl = pytest.importorskip("matplotlib")


def colour_pixels(png, hex_colour, tol=4 / 255):
    """Number of pixels within ``tol`` of a colour left of the legends (inside the panels)."""
    import matplotlib.image as mpimg
    from matplotlib.colors import to_rgb

    img = mpimg.imread(png)[..., :3]
    img = img[:, : int(PLOT_RIGHT * img.shape[1])]
    return int((np.abs(img - np.array(to_rgb(hex_colour))) <= tol).all(axis=-1).sum())


def bar_count(ax, colour):
    """Rectangles of one colour drawn by broken_barh on an axis."""
    from matplotlib.colors import to_rgba

    n = 0
    for coll in ax.collections:
        fc = coll.get_facecolor()
        if len(fc) and np.allclose(fc[0][:3], to_rgba(colour)[:3], atol=1e-3):
            n += len(coll.get_paths())
    return n


@pytest.fixture(scope="module")
def interruptions_view():
    return call_view(str(FIXTURES / "interruptions.flac"))


@pytest.fixture(scope="module")
def hold_view():
    return call_view(str(FIXTURES / "hold_mute.flac"))


@pytest.fixture(scope="module")
def mono_view():
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="float32")
    return call_view(x.T[:1], sample_rate=sr)


@pytest.fixture(scope="module")
def dual_mono_view():
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="float32")
    return call_view(np.stack([x.T[0], x.T[0]]), sample_rate=sr)


@pytest.fixture(scope="module")
def silent_customer_view():
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="float32")
    x = x.T.copy()
    x[0] = 0.0  # the customer's channel (agent_channel 1) carries nothing
    return call_view(x, sample_rate=sr)


def test_cli_plot_writes_a_picture_with_both_lanes_and_hold(tmp_path):
    out = tmp_path / "call.png"
    r = CliRunner().invoke(main, ["plot", str(FIXTURES / "hold_mute.flac"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    import matplotlib.image as mpimg

    assert mpimg.imread(out).shape[:2] == (660, 1400)
    for colour in ("agent", "customer", "hold", "overlap"):
        assert colour_pixels(out, COLORS[colour]) > 200, colour
    assert colour_pixels(out, COLORS["interruption"]) == 0  # this call has no interruption


def test_interruptions_are_marked_on_the_interrupters_lane(interruptions_view, tmp_path):
    view = interruptions_view
    rec = view.record
    fig = draw_call(view, tmp_path / "i.png")
    lanes, pitch, agitation = fig.axes
    marks = [ln for ln in lanes.lines if ln.get_marker() == "v"]
    ys = np.concatenate([ln.get_ydata() for ln in marks])
    assert rec["interruptions_by_agent"] > 0 and rec["interruptions_by_customer"] > 0
    assert np.sum(ys > 2) == rec["interruptions_by_agent"]  # agent lane at y = 2
    assert np.sum(ys < 1) == rec["interruptions_by_customer"]  # customer lane at y = 0
    back = np.concatenate([ln.get_ydata() for ln in lanes.lines if ln.get_marker() == "^"])
    assert back.size == rec["backchannels_by_agent"] + rec["backchannels_by_customer"]
    n_speech = sum(e["kind"] == "speech" and e["party"] == "agent" for e in view.events)
    assert bar_count(lanes, COLORS["agent"]) == n_speech  # a short call: every segment drawn
    # Every pitch frame is drawn for a short call, the agent's on the agent's colour.
    agent_line = next(ln for ln in pitch.lines if ln.get_label() == "agent")
    assert agent_line.get_ydata().size == view.f0_hz["agent"].size
    assert np.nanmedian(agent_line.get_ydata()) == pytest.approx(rec["agent_f0_median_hz"], rel=0.1)
    n_quarters = sum(rec.get(f"{p}_agitation_q{k}") is not None for p in ("agent", "customer") for k in range(1, 5))
    assert n_quarters > 0 and len(agitation.collections) == n_quarters
    line = " ".join(header_lines(rec))
    assert f"interruptions by agent {rec['interruptions_by_agent']} / customer {rec['interruptions_by_customer']}" in line
    assert f"{rec['agent_talk_share']:.0%}" in line


def test_a_record_without_agitation_quarters_still_draws(interruptions_view, tmp_path):
    view = interruptions_view
    record = {k: v for k, v in view.record.items() if "agitation" not in k}
    fig = draw_call(type(view)(record=record, events=view.events, hop_s=view.hop_s, f0_hz=view.f0_hz),
                    tmp_path / "no_agitation.png")
    texts = [t.get_text() for t in fig.axes[2].texts]
    assert texts == ["agitation per quarter not in the record"] and not fig.axes[2].collections
    # A measure the record does not hold is left out of the header, not written as a dash.
    assert "agitation" not in " ".join(header_lines(record)) and "–" not in " ".join(header_lines(record))


def test_an_hour_long_call_is_summarised_not_cluttered(tmp_path):
    x, sr = sf.read(FIXTURES / "busy_call.flac", dtype="float32")
    hour = np.tile(x.T, (1, 90))  # 90 x 40.25 s = 60.4 min
    view = call_view(hour, sample_rate=sr)
    out = tmp_path / "hour.png"
    fig = draw_call(view, out)
    lanes, pitch, _ = fig.axes
    width_px = lanes.get_window_extent().width
    n_speech = sum(e["kind"] == "speech" and e["party"] == "agent" for e in view.events)
    n_bars = bar_count(lanes, COLORS["agent"])
    assert 0 < n_bars < n_speech and n_bars <= width_px  # segments under a pixel apart are merged
    # Pitch: a per-bin median (bins of at least 1 s) with a 10-90 % band, not 360,000 frames.
    agent_line = next(ln for ln in pitch.lines if ln.get_label() == "agent")
    assert 300 <= agent_line.get_ydata().size <= 3700
    assert any(type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection") for c in pitch.collections)
    assert "band" in pitch.get_title(loc="left")
    assert lanes.get_xlim()[1] == pytest.approx(view.duration_s) and view.duration_s > 3600
    assert colour_pixels(out, COLORS["customer"]) > 1000


def test_a_file_is_read_in_blocks_not_decoded_whole(monkeypatch):
    # A picture of a long call needs no more memory than its analysis: the pitch is the
    # analysis's own (read a block at a time), never tracked again on the decoded call.
    import callscan.analyze

    def decode_whole(*args, **kwargs):
        raise AssertionError("the whole call was decoded")

    monkeypatch.setattr(callscan.analyze, "load", decode_whole)
    view = call_view(str(FIXTURES / "interruptions.flac"))
    assert np.isfinite(view.f0_hz["agent"]).sum() > 100
    assert view.f0_hz["agent"].size == view.f0_hz["customer"].size


def test_a_mono_call_gets_one_speech_lane(mono_view, tmp_path):
    view = mono_view
    fig = draw_call(view, tmp_path / "mono.png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert view.record["mode"] == "mono" and labels == ["dead air / hold", "speech (mono)"]
    assert bar_count(fig.axes[0], COLORS[None]) > 0


def test_a_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailable, match=r"callscan\[plot\]"):
        require_matplotlib()
    r = CliRunner().invoke(main, ["plot", str(FIXTURES / "demo_call.wav"), "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 1 and "pip install 'callscan[plot]'" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.png").exists()


# Pictures that explain themselves: every label inside the picture, a legend of what is drawn,
# warnings written out, absent values said so, empty stretches named.

def outside(bb, box, tol_px=0.5):
    return bb.x0 < box.x0 - tol_px or bb.x1 > box.x1 + tol_px or bb.y0 < box.y0 - tol_px or bb.y1 > box.y1 + tol_px


def clipped(fig):
    """What reaches outside the figure (or, for text written in a panel, outside the panel).

    Each panel's drawn decorations (``get_tightbbox``: the ticks in view and their labels, axis
    labels, title, legend) as a whole, then each text one by one: the header, every panel's
    written notes and values, lane labels, axis labels, titles and legend entries.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    whole = fig.bbox
    bad = [f"panel {k}" for k, ax in enumerate(fig.axes) if outside(ax.get_tightbbox(renderer), whole)]
    texts = [(t, whole) for t in fig.texts]
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        texts += [(t, frame) for t in ax.texts]
        texts += [(t, whole) for t in ax.get_yticklabels()]  # fixed ticks: all of them are drawn
        texts += [(t, whole) for t in (ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label)]
        if ax.get_legend() is not None:
            texts += [(t, whole) for t in ax.get_legend().get_texts()]
    for t, box in texts:
        if t.get_visible() and t.get_text().strip() and outside(t.get_window_extent(renderer), box):
            bad.append(t.get_text())
    return bad


def crowded(fig):
    """Pairs of blocks that overlap: header lines, panels with their labels, legends."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    blocks = [(f"header {t.get_text()[:20]!r}", t.get_window_extent(renderer)) for t in fig.texts if t.get_text()]
    for k, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        blocks.append((f"panel {k}", ax.get_tightbbox(renderer, bbox_extra_artists=[])))
        if legend is not None:
            blocks.append((f"legend {k}", legend.get_window_extent(renderer)))
    out = []
    for i, (name_a, a) in enumerate(blocks):
        for name_b, b in blocks[i + 1:]:
            if name_a.startswith("legend") and name_b == f"panel {name_a.split()[1]}":
                continue
            if name_b.startswith("legend") and name_a == f"panel {name_b.split()[1]}":
                continue  # a panel's tight box holds its own legend
            if a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5:
                out.append((name_a, name_b))
    return out


def legend_labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


#: The default (100 dpi) and the report's (72 dpi, callscan.view.pictures.DPI) among them.
SIZES = [((14.0, 6.6), 100), ((14.0, 6.6), 72), (MIN_SIZE_IN, 30), (MIN_SIZE_IN, 200), ((10.0, 5.0), 150),
         ((14.0, 6.6), 300)]


@pytest.mark.parametrize("size,dpi", SIZES)
@pytest.mark.parametrize("name", ["interruptions_view", "hold_view", "mono_view", "dual_mono_view",
                                  "silent_customer_view"])
def test_every_label_fits_inside_the_picture(name, size, dpi, request):
    fig = draw_call(request.getfixturevalue(name), dpi=dpi, size=size)
    assert fig.get_size_inches() == pytest.approx(size)
    assert clipped(fig) == []
    assert crowded(fig) == []


def test_the_clipping_check_sees_a_cut_label(mono_view):
    fig = draw_call(mono_view)
    lanes = fig.axes[0]
    assert clipped(fig) == []
    lanes.set_position([0.01, *lanes.get_position().bounds[1:]])  # the old fixed margin was too narrow too
    assert "speech (mono)" in clipped(fig) and "panel 0" in clipped(fig)
    fig.axes[1].set_position(lanes.get_position())
    assert crowded(fig)


def expected_legend(record, parties):
    """The legend's entries from the record's own counts (not from the drawing's events)."""
    if parties == (None,):
        out = ["speech"]
    else:
        out = [f"{p} speech" for p in parties if record.get(f"{p}_talk_s")]
        out += ["overlap"] if record.get("overlap_s") else []
    out += ["dead air"] if record.get("dead_air_count") else []
    out += ["hold"] if record.get("hold_s") else []
    if parties != (None,):
        out += ["interruption (by)"] if record["interruptions_by_agent"] + record["interruptions_by_customer"] else []
        out += ["backchannel"] if record["backchannels_by_agent"] + record["backchannels_by_customer"] else []
    return out


@pytest.mark.parametrize("name", ["interruptions_view", "hold_view", "mono_view", "dual_mono_view",
                                  "silent_customer_view"])
def test_the_legend_lists_what_is_drawn(name, request):
    view = request.getfixturevalue(name)
    fig = draw_call(view)
    lanes, pitch, _ = fig.axes
    labels = legend_labels(lanes)
    assert labels == expected_legend(view.record, view.parties)
    colours = {"agent speech": COLORS["agent"], "customer speech": COLORS["customer"], "speech": COLORS[None],
               "overlap": COLORS["overlap"], "dead air": COLORS["dead_air"], "hold": COLORS["hold"]}
    for label in labels:  # each entry is on the picture
        if label in colours:
            assert bar_count(lanes, colours[label]) > 0, label
        else:
            marker = "v" if label.startswith("interruption") else "^"
            assert any(ln.get_marker() == marker and len(ln.get_xdata()) for ln in lanes.lines), label
    voiced = [p or "speech" for p, f0 in view.f0_hz.items() if np.isfinite(f0).any()]
    assert legend_labels(pitch) == voiced


def test_mono_and_stereo_legends_differ_as_their_lanes_do(mono_view, dual_mono_view, hold_view):
    for view in (mono_view, dual_mono_view):
        labels = legend_labels(draw_call(view).axes[0])
        assert labels[0] == "speech" and not {"agent speech", "customer speech", "overlap"} & set(labels)
        assert "interruption (by)" not in labels and "backchannel" not in labels
    assert legend_labels(draw_call(hold_view).axes[0])[:3] == ["agent speech", "customer speech", "overlap"]


def header_texts(fig):
    return [t.get_text() for t in fig.texts if t.get_text()]


def test_the_header_writes_the_warnings_out(hold_view, dual_mono_view):
    for view in (hold_view, dual_mono_view):
        (warning,) = view.record["warnings"]
        texts = header_texts(draw_call(view))
        assert not any("warning(s)" in t for t in texts)
        assert any(warning in t for t in texts), texts  # it fits whole at the default size
        small = header_texts(draw_call(view, size=MIN_SIZE_IN))
        first_clause = warning.split(": ")[0].split("; ")[0]
        assert any(first_clause[:30] in t for t in small), small


def test_more_warnings_than_lines_are_counted(hold_view):
    record = dict(hold_view.record, warnings=[f"channel {k % 2} finding number {k}: what it means" for k in range(5)])
    view = CallView(record=record, events=hold_view.events, hop_s=hold_view.hop_s, f0_hz=hold_view.f0_hz)
    texts = header_texts(draw_call(view))
    shown = [t for t in texts if "finding number" in t]
    assert len(shown) == 2 and "finding number 0: what it means" in shown[0]
    assert shown[1].endswith("(+3 more warnings in the record)")


@pytest.mark.parametrize("name", ["interruptions_view", "hold_view", "mono_view", "dual_mono_view",
                                  "silent_customer_view"])
def test_the_header_has_no_dashes_and_says_why_a_value_is_absent(name, request):
    view = request.getfixturevalue(name)
    text = " ".join(header_texts(draw_call(view, size=MIN_SIZE_IN)))
    assert "–" not in text
    if view.record["mode"] == "mono":
        assert "not measured on a mono call" in text and "talk share agent" not in text
    if name == "silent_customer_view":
        assert view.record["customer_agitation"] is None and view.record["agent_agitation"] is not None
        assert f"agitation agent {view.record['agent_agitation']:.2f} (no customer speech)" in text


def notes(ax):
    """Texts written in a panel (not its value labels), with their positions."""
    return [(t.get_text(), *t.get_position()) for t in ax.texts if not t.get_text()[:1].isdigit()]


def test_a_party_without_speech_says_so_on_its_lane_and_quarters(silent_customer_view):
    view = silent_customer_view
    lanes, _, agitation = draw_call(view).axes
    assert ("no customer speech", view.duration_s / 2, 0.0) in notes(lanes)
    quarters = [k for k in range(1, 5) if view.record[f"customer_agitation_q{k}"] is None]
    said = [t for t, *_ in notes(agitation) if "customer speech" in t or t.startswith("no speech")]
    assert len(quarters) == 4 and len(said) == 4


def test_an_empty_quarter_says_what_fills_it(hold_view):
    view = hold_view
    assert view.record["agent_agitation_q2"] is None  # the agent is silent through the hold
    _, _, agitation = draw_call(view).axes
    texts = [t for t, *_ in notes(agitation)]
    assert texts == ["no agent speech (hold)"]


def test_stretches_with_nothing_drawn_are_named(mono_view, hold_view):
    from callscan.view import timeline as tl

    for view in (mono_view, hold_view):
        lanes = draw_call(view).axes[0]
        said = notes(lanes)
        drawn = np.concatenate([tl.intervals(view.events, k) for k in ("speech", "dead_air", "hold")])
        for text, x, y in said:
            if text == "no speech":  # centred on a stretch that nothing covers
                assert not ((drawn[:, 0] <= x) & (x <= drawn[:, 1])).any()
            else:  # a wide stretch of dead air or hold carries its name on its bar
                kind = {"dead air": "dead_air", "hold": "hold"}[text]
                spans = tl.intervals(view.events, kind)
                assert ((spans[:, 0] <= x) & (x <= spans[:, 1])).any()
        names = [t for t, *_ in said]
        if view is mono_view:  # 5 s before the first word; two long dead airs
            assert names.count("no speech") >= 1 and names.count("dead air") == 2
        else:
            assert names.count("hold") == 3


def test_a_lane_with_nothing_in_it_says_so(mono_view):
    speech = next(e for e in mono_view.events if e["kind"] == "speech")
    # Speech from start to end, no pause: nothing in the lane of dead air and hold.
    events = [dict(speech, start_s=0.0, end_s=mono_view.duration_s)]
    view = CallView(record=mono_view.record, events=events, hop_s=mono_view.hop_s, f0_hz=mono_view.f0_hz)
    lanes = draw_call(view).axes[0]
    assert [t for t, *_ in notes(lanes)] == ["no dead air, no hold"] and legend_labels(lanes) == ["speech"]
    assert [t for t, *_ in notes(draw_call(mono_view).axes[0])].count("no dead air, no hold") == 0


@pytest.mark.parametrize("level", [0.05, 0.5, 0.95])
def test_a_quarters_note_keeps_clear_of_the_other_partys_line(hold_view, level):
    record = dict(hold_view.record, customer_agitation_q2=level)
    view = CallView(record=record, events=hold_view.events, hop_s=hold_view.hop_s, f0_hz=hold_view.f0_hz)
    agitation = draw_call(view).axes[2]
    ((text, _, y),) = [n for n in notes(agitation) if n[0].startswith("no agent")]
    assert abs(y - level) >= 0.4, (text, y)
