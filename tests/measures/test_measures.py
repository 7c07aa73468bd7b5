"""Call measures from known masks: exact figures and invariances."""

import numpy as np

from callscan.analyze import call_measures
from callscan.frames.passes import Frames
from callscan.params import MeasureParams, Params

HOP = 0.01


def frames_from(intervals_by_channel, n):
    speech = np.zeros((2, n), bool)
    for c, intervals in enumerate(intervals_by_channel):
        for s, e in intervals:
            speech[c, int(round(s / HOP)) : int(round(e / HOP))] = True
    z = np.zeros((2, n), np.float32)
    return Frames(hop_s=HOP, energy_db=z, floor_db=z, speech=speech)


def measure(intervals_by_channel, n=6000, params=None, mode="stereo"):
    events = []
    rec = call_measures(frames_from(intervals_by_channel, n), mode, params or Params(), events)
    return rec, events


CUSTOMER = [(1.0, 5.0), (12.0, 20.0), (30.0, 31.0)]
AGENT = [(4.0, 9.0), (18.5, 19.0), (20.0, 25.0), (41.0, 45.0)]


def test_known_figures():
    rec, events = measure([CUSTOMER, AGENT])  # channel 1 = agent by default
    assert rec["span_s"] == 44.0
    assert rec["customer_talk_s"] == 13.0 and rec["agent_talk_s"] == 14.5
    assert abs(rec["agent_talk_share"] - 14.5 / 27.5) < 1e-6
    assert rec["overlap_s"] == 1.5  # 4-5 and 18.5-19
    assert abs(rec["overlap_share"] - 1.5 / 44.0) < 1e-6
    assert rec["overtalk_count"] == 1
    # mutual silences inside the span: 9-12 (3 s), 25-30 (5 s), 31-41 (10 s)
    assert rec["dead_air_count"] == 3
    assert rec["dead_air_s"] == 18.0
    assert rec["dead_air_longest_s"] == 10.0 and rec["dead_air_longest_at_s"] == 31.0
    assert rec["dead_air_count_5s"] == 2 and rec["dead_air_count_10s"] == 1
    dead = [(e["start_s"], e["end_s"]) for e in events if e["kind"] == "dead_air"]
    assert dead == [(9.0, 12.0), (25.0, 30.0), (31.0, 41.0)]
    assert sum(e["kind"] == "speech" for e in events) == 7


def test_thresholds_are_parameters():
    p = Params(measures=MeasureParams(dead_air_min_s=4.0, overtalk_min_s=0.5))
    rec, _ = measure([CUSTOMER, AGENT], params=p)
    assert rec["dead_air_count"] == 2 and rec["overtalk_count"] == 2


def test_swapping_channels_swaps_parties():
    a, _ = measure([CUSTOMER, AGENT])
    b, _ = measure([AGENT, CUSTOMER], params=Params(agent_channel=0))
    assert a == b
    c, _ = measure([AGENT, CUSTOMER])
    assert c["agent_talk_s"] == a["customer_talk_s"] and c["customer_talk_s"] == a["agent_talk_s"]
    assert c["overlap_s"] == a["overlap_s"] and c["dead_air_s"] == a["dead_air_s"]


def test_padding_silence_changes_no_span_measure():
    a, _ = measure([CUSTOMER, AGENT])
    shifted = [[(s + 7.0, e + 7.0) for s, e in ch] for ch in (CUSTOMER, AGENT)]
    b, _ = measure(shifted, n=9000)
    for k, v in a.items():
        if k == "dead_air_longest_at_s":
            assert b[k] == v + 7.0
        else:
            assert b[k] == v, k


def test_no_speech_and_mono():
    rec, events = measure([[], []])
    assert rec["span_s"] == 0.0 and rec["dead_air_count"] == 0 and rec["agent_talk_share"] is None
    assert events == []
    rec, _ = measure([CUSTOMER, []], mode="mono")
    assert rec["agent_talk_s"] is None and rec["overlap_s"] is None
    assert rec["span_s"] == 30.0 and rec["dead_air_count"] == 2
