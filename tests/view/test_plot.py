"""Timeline pictures (callscan.view.plot, ``callscan plot``)."""

import sys

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from callscan.cli import main
from callscan.view.plot import (
    COLORS,
    PLOT_RIGHT,
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
    assert "agitation agent – / customer –" in header_lines(record)[2]


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


def test_a_mono_call_gets_one_speech_lane(tmp_path):
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="float32")
    view = call_view(x.T[:1], sample_rate=sr)
    fig = draw_call(view, tmp_path / "mono.png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert view.record["mode"] == "mono" and labels == ["both", "speech (mono)"]
    assert bar_count(fig.axes[0], COLORS[None]) > 0


def test_a_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailable, match=r"callscan\[plot\]"):
        require_matplotlib()
    r = CliRunner().invoke(main, ["plot", str(FIXTURES / "demo_call.wav"), "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 1 and "pip install 'callscan[plot]'" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.png").exists()


def test_the_header_names_the_channel_layout_and_the_leaks():
    from callscan.view.plot import layout_text

    leak = {"channel_layout": "leak", "leak_into_agent_db": None, "leak_into_agent_delay_ms": None,
            "leak_into_customer_db": -26.04, "leak_into_customer_delay_ms": 12.0}
    assert layout_text(leak) == "leak: into customer -26.0 dB @ 12 ms"
    room = {"channel_layout": "shared_room", "leak_into_agent_db": -5.6, "leak_into_agent_delay_ms": None,
            "leak_into_customer_db": -4.3, "leak_into_customer_delay_ms": None}
    assert layout_text(room) == "shared room: into agent -5.6 dB, into customer -4.3 dB"
    assert layout_text({"channel_layout": "dual_mono"}) == "dual mono"
    assert header_lines({"call_id": "c", "duration_s": 1.0, "mode": "stereo", "codec": "WAV/PCM_16",
                         "channel_layout": "separate"})[0].endswith("WAV/PCM_16   separate")
    assert "layout" not in header_lines({"call_id": "c"})[0]
