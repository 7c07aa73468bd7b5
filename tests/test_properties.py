"""Properties of the measures and kernels, on generated input (hypothesis).

* On speech masks: overlap never exceeds the smaller talk time; talk and
  mutual silence cover the span exactly; swapping the masks swaps the parties;
  padding both masks with silence changes no span measure.
* On whole calls (``analyze_call`` on arrays): swapping the channels swaps
  the parties; padding the call with its own noise floor before and after
  changes no span measure by more than 50 ms (the adaptive noise floor sees
  more noise frames, so speech edges may move by a few 10 ms frames).
* Block size: the analysis reads a file whole and has no block processing.
  What exists is tested: frame levels computed block by block (each block
  with the context its windows reach) equal those of the whole signal, and
  a file read in blocks (``callscan.audio.decoding`` does so for very long files and for
  headers that overstate the length) gives the samples of a read at once.

Examples are bounded (``max_examples``) and derandomized (the same examples
every run) so the module runs in a few seconds and cannot flake.
"""

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscan import analyze_call
from callscan.audio import decoding as audio_mod
from callscan.kernels.energy import frame_energy_db
from callscan.measures.dead_air import dead_air_measures
from callscan.measures.interruptions import (
    classify,
    interruption_measures,
    party_segments,
)
from callscan.measures.talk import span_measures, talk_measures
from callscan.measures.turns import build_turns, turn_measures
from callscan.params import Params
from tests.support import speechlike

HOP_S = 0.01
FAST = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
CALLS = settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def masks(draw, max_frames=1500):
    """Two speech masks on one frame grid, built from runs (as speech activity gives)."""
    n = draw(st.integers(10, max_frames))
    out = []
    for _ in range(2):
        m = np.zeros(n, bool)
        for _ in range(draw(st.integers(0, 8))):
            a = draw(st.integers(0, n - 1))
            m[a:a + draw(st.integers(1, 300))] = True
        out.append(m)
    # Two parties starting on the same frame are a tie that the turn rules
    # break by party (the agent first), so the swap test cannot hold there:
    # nudge such a customer onset one frame later.
    a_on = np.flatnonzero(np.diff(out[0].astype(np.int8), prepend=0) == 1)
    c_on = np.flatnonzero(np.diff(out[1].astype(np.int8), prepend=0) == 1)
    for i in np.intersect1d(a_on, c_on):
        out[1][i] = False
    return out


def dynamics(agent, customer, params=None):
    """Span, talk, dead-air, interruption and turn measures from two masks."""
    params = params or Params()
    mp, dp = params.measures, params.dynamics
    out, bounds = span_measures((agent, customer), HOP_S)
    talk, _ = talk_measures(agent, customer, HOP_S, out["span_s"], mp.overtalk_min_s)
    out.update(talk)
    silence = ~(agent | customer)
    dead, _ = dead_air_measures(silence, bounds, HOP_S, out["span_s"], mp.dead_air_min_s, mp.dead_air_extra_s)
    out.update(dead)
    segments = classify(party_segments(agent, HOP_S, "agent"), party_segments(customer, HOP_S, "customer"),
                        interrupt_grace_s=dp.interrupt_grace_s, backchannel_max_s=dp.backchannel_max_s,
                        backchannel_gap_s=dp.backchannel_gap_s, simultaneous_s=dp.simultaneous_s)
    found, _ = interruption_measures(segments, {"agent": talk["agent_talk_s"], "customer": talk["customer_talk_s"]})
    out.update(found)
    turned, _ = turn_measures(build_turns(segments, dp.turn_max_pause_s), hold=[])
    out.update(turned)
    return out, bounds


def swapped(record):
    """The record with the agent and customer fields exchanged."""
    out = {}
    for key, value in record.items():
        if "agent" in key:
            out[key.replace("agent", "customer")] = value
        elif "customer" in key:
            out[key.replace("customer", "agent")] = value
        else:
            out[key] = value
    return out


@FAST
@given(masks())
def test_overlap_is_at_most_the_smaller_talk_time(m):
    out, _ = dynamics(*m)
    assert 0 <= out["overlap_s"] <= min(out["agent_talk_s"], out["customer_talk_s"]) + 1e-9
    if out["span_s"] > 0:
        assert 0 <= out["overlap_share"] <= 1


@FAST
@given(masks())
def test_talk_and_mutual_silence_cover_the_span(m):
    agent, customer = m
    out, bounds = dynamics(agent, customer)
    if bounds is None:
        assert out["span_s"] == 0 and out["agent_talk_s"] == out["customer_talk_s"] == 0
        return
    lo, hi = bounds
    silence_s = np.count_nonzero(~(agent | customer)[lo:hi]) * HOP_S
    either_s = out["agent_talk_s"] + out["customer_talk_s"] - out["overlap_s"]
    assert abs(either_s + silence_s - out["span_s"]) < 1e-6
    assert out["dead_air_s"] <= silence_s + 1e-6


@FAST
@given(masks())
def test_swapping_the_masks_swaps_the_parties(m):
    agent, customer = m
    forward, _ = dynamics(agent, customer)
    backward, _ = dynamics(customer, agent)
    assert swapped(forward) == backward


@FAST
@given(masks(), st.integers(0, 700), st.integers(0, 700))
def test_silence_before_and_after_changes_no_span_measure(m, before, after):
    agent, customer = m
    padded = [np.concatenate([np.zeros(before, bool), x, np.zeros(after, bool)]) for x in m]
    plain, longer = dynamics(agent, customer)[0], dynamics(*padded)[0]
    at = plain.pop("dead_air_longest_at_s"), longer.pop("dead_air_longest_at_s")  # a time, so it moves
    assert longer == plain
    assert at[0] is None and at[1] is None or abs(at[1] - at[0] - before * HOP_S) < 1e-6


# Whole calls: two parties in syllabic bursts over a faint noise floor.

SR = 8000


@st.composite
def calls(draw):
    """A (2, n) float32 two-party call of 6-9 s with a few turns and maybe an overlap."""
    seconds = draw(st.floats(6.0, 9.0))
    n = int(seconds * SR)
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = (1e-3 * rng.standard_normal((2, n))).astype(np.float32)
    t = 0.3
    party = draw(st.integers(0, 1))
    while t < seconds - 1.0:
        dur = draw(st.floats(0.6, 2.0))
        end = min(t + dur, seconds - 0.3)
        voice = speechlike(SR, end - t, 110 if party else 210, seed=int(t * 100))
        start = int(t * SR)
        x[party, start:start + voice.size] += voice[: n - start]
        t = end + draw(st.floats(-0.4, 1.5))  # negative: the next talker starts early (overlap)
        t = max(t, 0.3)
        party = 1 - party
    return x


SPAN_FIELDS = (
    "span_s", "agent_talk_s", "customer_talk_s", "overlap_s", "overtalk_count", "dead_air_count", "dead_air_s",
    "interruptions_by_agent", "interruptions_by_customer", "backchannels_by_agent", "backchannels_by_customer",
    "turns", "agent_longest_monologue_s", "customer_longest_monologue_s",
)


@CALLS
@given(calls())
def test_swapping_the_channels_swaps_the_parties_in_a_whole_call(x):
    forward = analyze_call(x, sample_rate=SR)
    backward = analyze_call(x[::-1].copy(), sample_rate=SR)
    flipped = swapped(backward)
    for key in SPAN_FIELDS + ("agent_talk_share", "agent_snr_db", "agent_response_latency_median_s"):
        assert flipped[key] == forward[key], key


@CALLS
@given(calls(), st.floats(0.5, 3.0), st.floats(0.5, 3.0))
def test_the_noise_floor_added_before_and_after_changes_no_span_measure(x, before_s, after_s):
    rng = np.random.default_rng(7)
    pad = [(1e-3 * rng.standard_normal((2, int(s * SR)))).astype(np.float32) for s in (before_s, after_s)]
    padded = np.concatenate([pad[0], x, pad[1]], axis=1)
    plain = analyze_call(x, sample_rate=SR)
    longer = analyze_call(padded, sample_rate=SR)
    for key in SPAN_FIELDS:
        if key.endswith("_s"):  # the adaptive floor sees more noise frames: edges may move a few frames
            assert abs(longer[key] - plain[key]) <= 0.05, (key, plain[key], longer[key])
        else:
            assert longer[key] == plain[key], key


@FAST
@given(st.integers(1, 30_000), st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(0, 2**31))
def test_frame_levels_block_by_block_equal_the_whole_signal(n, cuts, seed):
    hop, win = 80, 200
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 0.1
    x[: n // 3] = 0.0  # an all-zero stretch reads -inf in both
    whole = frame_energy_db(x, hop, win)
    ctx = -(-win // hop) + 1  # frames of context a block needs on each side
    pieces, frame = [], 0
    for size in cuts + [len(whole)]:
        end = min(frame + size, len(whole))
        first = max(frame - ctx, 0)
        block = x[first * hop: min((end + ctx) * hop, n)]
        levels = frame_energy_db(block, hop, win)
        pieces.append(levels[frame - first: end - first])
        frame = end
        if frame == len(whole):
            break
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_a_file_read_in_blocks_gives_the_samples_of_a_read_at_once(tmp_path, monkeypatch, subtype):
    x = np.stack([speechlike(SR, 3.3, 180, 1), speechlike(SR, 3.3, 110, 2)])
    path = tmp_path / "c.wav"
    sf.write(path, x.T, SR, subtype=subtype)
    at_once = audio_mod.decode(path)
    monkeypatch.setattr(audio_mod, "_BLOCK_READ_FRAMES", 1000)
    in_blocks = audio_mod.decode(path)
    np.testing.assert_array_equal(in_blocks.samples, at_once.samples)
