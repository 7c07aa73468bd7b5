"""Real calls from the shared corpus: plausibility and regression values.

SpokenWOZ MUL1011 is a real 8 kHz two-party phone call (ch0 customer, ch1
agent), Opus-coded: between turns the agent channel alternates between line
noise near -55 dBFS and near-silence, the customer channel is mostly digital
silence. The regression values below were checked against the level plots of
both channels and the dataset's per-turn windows (customer speech lies inside
them); they are kept to catch silent changes in behaviour.
"""

import csv

import pytest

from callscan import analyze_call

pytestmark = pytest.mark.corpus

SPOKENWOZ = "spokenwoz_mul1011/MUL1011_8k_stereo.wav"

# Values measured at the defaults of callscan.params when this test was written.
EXPECTED = {
    "span_s": (176.13, 1.0),
    "customer_talk_s": (73.71, 0.05 * 73.71),
    "agent_talk_s": (61.72, 0.05 * 61.72),
    "overlap_s": (3.77, 1.0),
    "dead_air_count": (0, 0),
}


def test_spokenwoz_regression(corpus):
    rec = analyze_call(corpus / SPOKENWOZ, events=True)
    assert rec["mode"] == "stereo" and rec["crosstalk"] is None
    for key, (value, tol) in EXPECTED.items():
        assert abs(rec[key] - value) <= tol, f"{key}: {rec[key]} (expected {value} ± {tol})"
    assert rec["overlap_share"] < 0.03


def test_spokenwoz_idle_channel_noise_is_not_speech(corpus):
    rec = analyze_call(corpus / SPOKENWOZ, events=True)
    agent = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "speech" and e["party"] == "agent"]
    # 0-7 s: the agent line carries steady noise at about -53 dBFS while the customer speaks.
    assert not [s for s in agent if s[0] < 7.0], agent[:3]
    # no overlap longer than 1.5 s: the call has backchannels and turn-edge overlaps only
    overlaps = [e["end_s"] - e["start_s"] for e in rec["events"] if e["kind"] == "overlap"]
    assert max(overlaps) < 1.5


def test_spokenwoz_customer_speech_inside_turn_windows(corpus):
    rec = analyze_call(corpus / SPOKENWOZ, events=True)
    with open(corpus / "spokenwoz_mul1011/MUL1011_user_turns_speechbrain.csv") as f:
        windows = [(int(r["start"]) / 8000, int(r["end"]) / 8000) for r in csv.DictReader(f)]
    speech = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "speech" and e["party"] == "customer"]
    inside = sum(max(0.0, min(e, we) - max(s, ws)) for s, e in speech for ws, we in windows)
    assert inside >= 0.97 * sum(e - s for s, e in speech)


def test_simultaneous_talkers_overlap(corpus):
    # Two read utterances, one per channel, spoken at the same time for about 2 s.
    rec = analyze_call(corpus / "faster_whisper_testdata/stereo_diarization.wav", events=True)
    assert 1.7 <= rec["overlap_s"] <= 2.5
    assert rec["crosstalk"] is None


def test_two_microphones_in_one_room_report_crosstalk(corpus):
    rec = analyze_call(corpus / "audio_whisper_stereo_es/stereo.wav")
    assert rec["crosstalk"] is not None
    assert any("crosstalk" in w for w in rec["warnings"])
