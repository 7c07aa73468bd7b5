"""The record says what the channels were found to carry: ``channel_layout`` and, per party,
the level and delay of the leak into its channel."""

import numpy as np
import soundfile as sf

from callscan.analyze import analyze_call
from callscan.record.glossary import field_names
from tests.support import FIXTURES, cut

FIELDS = ("channel_layout", "leak_into_agent_db", "leak_into_customer_db", "leak_into_agent_delay_ms",
          "leak_into_customer_delay_ms")


def test_the_fields_are_in_the_glossary():
    assert set(FIELDS) <= set(field_names())


def test_separate_channels_have_no_leak():
    rec = analyze_call(FIXTURES / "demo_call.wav")
    assert rec["channel_layout"] == "separate" and rec["mode"] == "stereo"
    assert all(rec[f] is None for f in FIELDS[1:])


def test_a_leak_is_reported_into_the_party_whose_channel_carries_it():
    rec = analyze_call(FIXTURES / "crosstalk_levels.wav")
    assert rec["channel_layout"] == "leak"
    found = [p for p in ("agent", "customer") if rec[f"leak_into_{p}_db"] is not None]
    assert found
    for p in found:
        assert -60 < rec[f"leak_into_{p}_db"] < 0
        assert rec[f"leak_into_{p}_delay_ms"] is not None and rec[f"leak_into_{p}_delay_ms"] >= 0
    assert rec["crosstalk"] == max(rec[f"leak_into_{p}_db"] for p in found)


def test_mono_and_dual_mono_files(tmp_path):
    mono = analyze_call(cut(tmp_path / "stereo.wav", seconds=8.0))  # a cut of a two-party call
    assert mono["channel_layout"] == "separate"
    x, sr = sf.read(tmp_path / "stereo.wav", dtype="float32")
    sf.write(tmp_path / "one.wav", x[:, 0], sr, subtype="PCM_16")
    one = analyze_call(tmp_path / "one.wav")
    assert (one["mode"], one["channel_layout"]) == ("mono", "mono")
    m = x.sum(axis=1) * 0.5
    dual = np.stack((m, -0.5 * np.concatenate((np.zeros(3), m[:-3]))), axis=1)
    sf.write(tmp_path / "dual.wav", dual, sr, subtype="PCM_16")
    rec = analyze_call(tmp_path / "dual.wav")
    assert (rec["mode"], rec["channel_layout"], rec["channels"]) == ("mono", "dual_mono", 1)
    assert all(rec[f] is None for f in FIELDS[1:])
    assert any("carry one mix" in w and "inverted polarity" in w for w in rec["warnings"])
