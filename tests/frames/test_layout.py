"""The channel layout (``callscan.frames.layout``): two microphones in one room are told
from a leak and from separate channels, and dominance gives each stretch to its talker."""

import numpy as np
import pytest

from callscan.analyze import analyze_call
from callscan.frames.layout import in_one_room, room_activity, two_clusters
from callscan.params import MixParams, Params, RoomParams
from tests.support import FIXTURES

ROOM = "audio_whisper_stereo_es/stereo.wav"


@pytest.mark.corpus
def test_two_microphones_in_one_room(corpus):
    """Its rough voice map (README): one channel voiced 0-5, 5-9, 15-18, 22-23 s, the other
    2-2.5, 9.5-13.5, 19-21, 22-23 s: about 13 s and 7.5 s of talk, 1.5 s of overlap."""
    rec = analyze_call(corpus / ROOM)
    assert rec["channel_layout"] == "shared_room"
    assert rec["overlap_s"] <= 3.0
    talk = sorted((rec["agent_talk_s"], rec["customer_talk_s"]))
    assert 5.5 <= talk[0] <= 10.0 and 11.0 <= talk[1] <= 16.0, talk
    assert any(w.startswith("both channels hear both talkers") for w in rec["warnings"])
    assert not any("crosstalk or echo" in w for w in rec["warnings"])
    for party in ("agent", "customer"):
        assert -15 <= rec[f"leak_into_{party}_db"] <= 0
        assert rec[f"leak_into_{party}_delay_ms"] is None


@pytest.mark.corpus
@pytest.mark.parametrize("rel", ["spokenwoz_mul1011/MUL1011_8k_stereo.wav",
                                 "faster_whisper_testdata/stereo_diarization.wav"])
def test_real_calls_are_not_a_room(corpus, rel):
    assert analyze_call(corpus / rel)["channel_layout"] in ("separate", "leak")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".wav", ".flac")))
def test_fixture_calls_are_not_a_room(name):
    rec = analyze_call(FIXTURES / name)
    assert rec["channel_layout"] == ("leak" if name.startswith("crosstalk") else "separate")
    assert (rec["leak_into_agent_db"] is None and rec["leak_into_customer_db"] is None) == (
        rec["channel_layout"] == "separate")


def test_two_clusters():
    rng = np.random.default_rng(1)
    d = np.concatenate((rng.normal(-6, 1.5, 700), rng.normal(4, 1.5, 300)))
    low, high = two_clusters(d)
    assert abs(low + 6) < 0.4 and abs(high - 4) < 0.4


def rows(r, gain0, gain1, n=6):
    """Segments of ``callscan.audio.dual_mono``: n per channel with |r| (and that share of the
    other channel explained by a short path) and the gains given."""
    return np.array([(0, r, 2, gain0, r)] * n + [(1, r, 2, gain1, r)] * n, dtype=np.float64)


def test_in_one_room_needs_both_talkers_heard_without_a_short_linear_path():
    mix, room = MixParams(), RoomParams()
    leak = [(-7.0, 0.0), None]
    assert in_one_room(rows(0.5, -5, 5), leak, mix, room)
    assert not in_one_room(rows(0.99, -5, 5), leak, mix, room)  # a linear path: a leak, filtered
    echo = rows(0.5, -5, 5)
    echo[:6, 4] = 0.95  # channel 0's talker reaches channel 1 through an echo path (at any delay)
    assert not in_one_room(echo, leak, mix, room)
    assert not in_one_room(rows(0.5, -30, 5), leak, mix, room)  # channel 1 does not hear channel 0's talker
    assert not in_one_room(rows(0.5, -5, 30), leak, mix, room)
    assert not in_one_room(rows(0.5, -5, 5), [None, None], mix, room)  # levels not coupled
    assert not in_one_room(rows(0.5, -5, 5), [(-7.0, 0.2), None], mix, room)  # an echo returned late
    assert not in_one_room(rows(0.5, -5, 5, n=2), leak, mix, room)
    assert not in_one_room(None, leak, mix, room)


def test_dominance_gives_each_stretch_to_its_talker():
    """Talker 0 in 1-3 s, talker 1 in 4-6 s, both in 7-8 s; each reaches the far microphone
    6 dB down. Frame levels with syllable-rate ripple over a -70 dBFS floor."""
    hop_s = 0.01
    t = np.arange(0, 10, hop_s)
    rng = np.random.default_rng(0)
    ripple = 6 * np.abs(np.sin(2 * np.pi * 2.5 * t))

    def talker(spans):
        on = np.zeros(t.size, bool)
        for a, b in spans:
            on |= (t >= a) & (t < b)
        return np.where(on, 10 ** ((-30 - ripple) / 10), 0.0)

    p0, p1 = talker([(1, 3), (7, 8)]), talker([(4, 6), (7, 8)])
    noise = 10 ** (-7.0)
    e0 = 10 * np.log10(p0 + 10 ** (-0.6) * p1 + noise * (1 + 0.1 * rng.random(t.size)))
    e1 = 10 * np.log10(p1 + 10 ** (-0.6) * p0 + noise * (1 + 0.1 * rng.random(t.size)))
    energy = np.stack((e0, e1)).astype(np.float32)
    half = [np.repeat(e, 2) for e in energy]
    heard = energy > -60
    speech = heard.copy()
    params = Params()
    coupling = room_activity(energy, half, heard, [-30.0, -30.0], speech, params, hop_s)
    assert coupling is not None and all(abs(c + 6) < 1.0 for c in coupling)

    def share(ch, a, b):
        return speech[ch][(t >= a) & (t < b)].mean()

    assert share(0, 1.2, 2.8) > 0.9 and share(1, 1.2, 2.8) < 0.1
    assert share(1, 4.2, 5.8) > 0.9 and share(0, 4.2, 5.8) < 0.1
    assert share(0, 7.2, 7.8) > 0.9 and share(1, 7.2, 7.8) > 0.9  # both at once: both count


def test_leak_paths_read_the_leak_stage_as_it_reports():
    from collections import namedtuple

    from callscan.frames.layout import leak_paths

    path = namedtuple("Path", "level_db delay_s")
    assert leak_paths([None, -26.5]) == [None, (-26.5, 0.0)]  # a coupling found at lag 0
    assert leak_paths([path(-20.0, 0.15), None]) == [(-20.0, 0.15), None]  # a path at its delay
