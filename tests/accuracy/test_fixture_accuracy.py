"""Speech activity, overlap and dead air against the seeded fixtures' truth.

Acceptance (foundation): per-channel speech-frame F1 >= 0.95 at 10 ms; median
onset and offset error <= 50 ms; overlap total within 5 % of truth; every
dead-air stretch found with its length within 0.2 s, and none inside speech.
"""

import json

import numpy as np
import pytest

from benchmarks import scoring
from callscan.analyze import analyze_call, load
from callscan.frames.passes import frame_features
from callscan.measures.spans import intervals_s
from callscan.params import Params
from tests.support import FIXTURES

CALLS = sorted(p for p in FIXTURES.glob("*.truth.json"))


def _load(truth_path):
    truth = json.loads(truth_path.read_text())
    return truth, FIXTURES / truth["file"]


def test_fixtures_exist():
    assert len(CALLS) >= 5, "fixtures/calls is missing its calls; run python -m fixtures.make_fixtures"


@pytest.mark.parametrize("truth_path", CALLS, ids=lambda p: p.name.split(".")[0])
def test_speech_activity_against_truth(truth_path):
    truth, path = _load(truth_path)
    params = Params()
    frames = frame_features(load(path, params=params), params)
    for ch in (0, 1):
        want = truth["channels"][str(ch)]["speech"]
        mask = scoring.truth_mask(want, frames.n_frames, frames.hop_s)
        f1 = scoring.f1(frames.speech[ch], mask)
        on, off = scoring.boundary_errors(intervals_s(frames.speech[ch], frames.hop_s), want)
        assert f1 >= 0.95, f"{path.name} ch{ch}: speech-frame F1 {f1:.3f}"
        assert np.median(on) <= 0.050, f"{path.name} ch{ch}: median onset error {np.median(on) * 1000:.0f} ms"
        assert np.median(off) <= 0.050, f"{path.name} ch{ch}: median offset error {np.median(off) * 1000:.0f} ms"


@pytest.mark.parametrize("truth_path", CALLS, ids=lambda p: p.name.split(".")[0])
def test_overlap_and_dead_air_against_truth(truth_path):
    truth, path = _load(truth_path)
    rec = analyze_call(path, events=True)
    want_overlap = scoring.total_s(truth["overlap"])
    assert abs(rec["overlap_s"] - want_overlap) <= 0.05 * want_overlap, (
        f"{path.name}: overlap {rec['overlap_s']:.2f} s, truth {want_overlap:.2f} s"
    )
    got = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "dead_air"]
    want = truth["dead_air"]
    pairs = scoring.match_stretches(got, want)
    assert len(pairs) == len(want) == len(got), f"{path.name}: dead air {got} vs truth {want}"
    for i, j in pairs:
        err = abs((got[i][1] - got[i][0]) - (want[j][1] - want[j][0]))
        assert err <= 0.2, f"{path.name}: dead air {got[i]} vs {want[j]}: length off by {err:.2f} s"
    speech = [iv for ch in ("0", "1") for iv in truth["channels"][ch]["speech"]]
    for s, e in got:
        inside = sum(max(0.0, min(e, te) - max(s, ts)) for ts, te in speech)
        assert inside <= 0.2, f"{path.name}: dead air {s}-{e} covers {inside:.2f} s of speech"
