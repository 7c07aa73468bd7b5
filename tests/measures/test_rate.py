"""Speech rate and agitation measures: definitions on constructed tracks, the call record, no-JIT kernels."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from callscan.analyze import analyze_call, call_measures
from callscan.audio.decoding import from_array
from callscan.frames.passes import frame_features
from callscan.kernels.pitch import track_f0
from callscan.measures.agitation import (
    Track,
    agitation_measures,
    cues,
    mirror_windows,
    mirroring,
    register_reference_st,
    score,
)
from callscan.measures.rate import add_turn_rates, phonation_mask, rate_measures
from callscan.params import AgitationParams, Params
from tests.support import ROOT, speechlike

HOP = 0.01
AP = AgitationParams()


def test_phonation_removes_only_long_silent_runs():
    speech = np.ones(100, bool)
    energy = np.full(100, -20.0, np.float32)
    floor = np.full(100, -60.0, np.float32)
    energy[20:25] = -58.0  # 50 ms: a stop closure, stays
    energy[50:65] = -59.0  # 150 ms: a pause
    ph = phonation_mask(speech, energy, floor, HOP, 4.0, 0.1)
    assert ph[20:25].all() and not ph[50:65].any() and ph.sum() == 85
    assert not phonation_mask(np.zeros(100, bool), energy, floor, HOP, 4.0, 0.1).any()


def test_rate_measures_definitions():
    speech = np.zeros(1000, bool)
    speech[100:600] = True  # 5 s of talk
    nuclei = np.zeros(1000, bool)
    nuclei[110:600:25] = True  # 20 nuclei
    nuclei[800] = True  # outside speech: not counted
    phon = speech.copy()
    phon[300:400] = False  # 4 s of phonation
    out = rate_measures(["agent"], [nuclei], [speech], [phon], HOP, 1.0)
    assert out == {"agent_speech_rate_sps": 4.0, "agent_articulation_rate_sps": 5.0}
    short = np.zeros(1000, bool)
    short[:50] = True
    out = rate_measures(["customer"], [nuclei], [short], [short], HOP, 1.0)
    assert out == {"customer_speech_rate_sps": None, "customer_articulation_rate_sps": None}


def test_turn_rates():
    speech = np.zeros(1000, bool)
    speech[100:300] = True
    nuclei = np.zeros(1000, bool)
    nuclei[100:300:20] = True  # 10 nuclei in 2 s
    events = [{"kind": "turn", "party": "agent", "start_s": 1.0, "end_s": 3.0},
              {"kind": "turn", "party": "customer", "start_s": 1.0, "end_s": 3.0},
              {"kind": "speech", "party": "agent", "start_s": 1.0, "end_s": 3.0}]
    add_turn_rates(events, ("agent", "customer"), [nuclei, nuclei], [speech, np.zeros(1000, bool)], HOP, 0.5)
    assert events[0]["rate_sps"] == 5.0 and events[1]["rate_sps"] is None and "rate_sps" not in events[2]


def _track(n=3000, f0=120.0, alpha=-10.4, hamm=20.3, level=-25.0, range_st=6.0, seed=0):
    """A party speaking throughout, voiced, with F0 spread evenly over ``range_st`` / 0.8 semitones."""
    rng = np.random.default_rng(seed)
    st = (rng.random(n) - 0.5) * range_st / 0.8
    return Track(
        f0_hz=(f0 * 2 ** (st / 12)).astype(np.float32), voiced=np.ones(n, bool), speech=np.ones(n, bool),
        level_db=np.full(n, level, np.float32), alpha_db=np.full(n, alpha, np.float32),
        hammarberg_db=np.full(n, hamm, np.float32), nuclei=np.zeros(n, bool), phonation=np.zeros(n, bool),
    )


def _score(track, a=0, b=None, call_level=None):
    b = track.speech.size if b is None else b
    reg = register_reference_st(track.f0_hz, track.voiced, track.speech, AP)
    return score(cues(track, a, b, HOP, AP.min_voiced_s, 1.0), reg, call_level, AP)


def test_score_rises_with_each_cue():
    base = _score(_track())
    assert 0.1 < base < 0.3  # neutral norms: about 0.2
    for changed in (dict(alpha=-4.0), dict(hamm=14.0), dict(range_st=10.0)):
        assert _score(_track(**changed)) > base + 0.05, changed


def test_f0_level_is_relative_to_register():
    # the same voice an octave apart (a man's and a woman's neutral register) scores alike
    low = _score(_track(f0=AP.f0_norm_low_hz))
    high = _score(_track(f0=AP.f0_norm_high_hz))
    assert abs(low - high) < 0.05
    # a raised voice within one register scores higher
    t = _track(f0=110.0)
    raised = _track(f0=110.0)
    raised.f0_hz[1500:] *= 2 ** (6 / 12)
    reg = register_reference_st(t.f0_hz, t.voiced, t.speech, AP)
    calm = score(cues(raised, 0, 1500, HOP, AP.min_voiced_s, 1.0), reg, None, AP)
    loud = score(cues(raised, 1500, 3000, HOP, AP.min_voiced_s, 1.0), reg, None, AP)
    assert loud > calm + 0.1


def test_loudness_counts_only_against_the_call():
    t = _track(level=-40.0)
    assert abs(_score(t, call_level=-40.0) - _score(_track(level=-10.0), call_level=-10.0)) < 1e-12
    assert _score(t, call_level=-46.0) > _score(t, call_level=-40.0)


def test_too_little_voicing_gives_no_score():
    t = _track()
    t.voiced[:] = False
    t.voiced[:20] = True
    assert _score(t) is None


def test_quarters_shift_and_mirroring():
    customer = _track(n=6000, seed=1)
    customer.alpha_db[:1500] = -3.0  # agitated first quarter
    agent = _track(n=6000, seed=2)
    out = agitation_measures({"agent": agent, "customer": customer}, (0, 6000), HOP, AP, 1.0)
    assert out["customer_agitation_q1"] > out["customer_agitation_q4"]
    assert out["customer_agitation_shift"] == pytest.approx(out["customer_agitation_q4"] - out["customer_agitation_q1"], abs=2e-4)
    assert out["customer_agitation_shift"] < -0.1
    assert set(out) >= {f"{p}_agitation_q{k}" for p in ("agent", "customer") for k in range(1, 5)}
    assert agitation_measures({"agent": agent, "customer": customer}, None, HOP, AP, 1.0)["agent_agitation"] is None


def test_mirroring_definition():
    assert mirroring([0.1, 0.2, 0.3, 0.4], [0.2, 0.4, 0.6, 0.8], 4) == pytest.approx(1.0)
    assert mirroring([0.1, 0.2, 0.3, 0.4], [0.8, 0.6, 0.4, 0.2], 4) == pytest.approx(-1.0)
    assert mirroring([0.1, None, 0.3, 0.4, 0.5], [0.2, 0.4, 0.6, None, 0.1], 4) is None
    assert mirroring([0.1, 0.1, 0.1, 0.1], [0.2, 0.4, 0.6, 0.8], 4) is None
    assert len(mirror_windows((0, 6000), HOP, AP)) == 4  # 60 s span: windows at 0, 10, 20, 30 s
    assert mirror_windows((0, 2000), HOP, AP) == []


def _two_party_call(sr=8000):
    """Alternating syllable trains (4 per second) on the two channels."""
    turn = speechlike(sr, 3.0, f0=110.0, seed=1)
    reply = speechlike(sr, 3.0, f0=210.0, seed=2)
    gap = np.zeros(int(0.7 * sr), np.float32)
    quiet = np.zeros_like(turn)
    left = np.concatenate([turn, gap, quiet, gap] * 4)
    right = np.concatenate([quiet, gap, reply, gap] * 4)
    noise = 1e-4 * np.random.default_rng(0).standard_normal((2, left.size))
    return (np.stack([left, right]) + noise).astype(np.float32)


def _frames_with_pitch(audio, params):
    frames = frame_features(audio, params)
    if getattr(frames, "voiced", None) is None:
        hop = int(round(audio.sample_rate * params.frame.hop_s))
        pitch = [track_f0(ch, audio.sample_rate, hop, gate=frames.speech[c]) for c, ch in enumerate(audio.samples)]
        frames.f0_hz = np.stack([p[0] for p in pitch])
        frames.voiced = np.stack([p[1] for p in pitch])
    return frames


def test_call_record_rates_and_turn_events():
    params = Params()
    audio = from_array(_two_party_call(), 8000)
    events = []
    out = call_measures(_frames_with_pitch(audio, params), audio.mode, params, events)
    for party in ("agent", "customer"):
        assert 3.0 <= out[f"{party}_speech_rate_sps"] <= 5.0, out
        assert out[f"{party}_articulation_rate_sps"] >= out[f"{party}_speech_rate_sps"]
        assert 0.0 <= out[f"{party}_agitation"] <= 1.0
    turns = [e for e in events if e["kind"] == "turn"]
    assert turns and all(e["rate_sps"] is None or 2.5 <= e["rate_sps"] <= 5.5 for e in turns)
    assert sum(e["rate_sps"] is not None for e in turns) >= len(turns) - 1


def test_swapping_channels_swaps_parties():
    x = _two_party_call()
    params = Params()
    a = from_array(x, 8000)
    b = from_array(x[::-1].copy(), 8000)
    ra = call_measures(_frames_with_pitch(a, params), a.mode, params, [])
    rb = call_measures(_frames_with_pitch(b, params), b.mode, params, [])
    for field in ("speech_rate_sps", "articulation_rate_sps", "agitation", "agitation_q2"):
        assert ra[f"agent_{field}"] == rb[f"customer_{field}"]
        assert ra[f"customer_{field}"] == rb[f"agent_{field}"]


def test_mono_rates_and_agitation_are_null():
    x = _two_party_call()[0]
    record = analyze_call(x[None, :], sample_rate=8000, events=True)
    assert record["mode"] == "mono"
    for name in ("agent_speech_rate_sps", "customer_articulation_rate_sps", "agent_agitation",
                 "customer_agitation_q4", "customer_agitation_shift", "agent_mirroring"):
        assert name in record and record[name] is None


def test_parameters_change_the_hash():
    p = Params()
    q = dataclasses.replace(p, rate=dataclasses.replace(p.rate, min_dip_db=2.0))
    assert p.hash() != q.hash()


def test_rate_kernels_pass_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/kernels/test_nuclei.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout
