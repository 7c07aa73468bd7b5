"""F0 accuracy on the Keele pitch database at 8 kHz, against its laryngograph reference.

Targets: GPE ≤ 1.5 %, VDE ≤ 6 %, and an FFE below Praat's autocorrelation tracker
(``to_pitch_ac``) measured on the same audio in the same run. Frames are pooled over the ten
speakers; every tracker is scored on the same 10 ms grid with the same ±3-frame alignment
search (``benchmarks.pitch_truth``).
"""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from benchmarks.pitch_truth import PitchScore, read_keele_pev, score_f0, to_grid
from callscan.kernels.pitch import track_f0

KEELE = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "keele_pitch"
RATE = 8000
HOP = 80

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def keele_8k():
    """(name, signal at 8 kHz, reference F0) for every Keele speaker."""
    if not KEELE.is_dir():
        pytest.skip(f"Keele corpus not found at {KEELE}")
    items = []
    for wav in sorted(KEELE.glob("*.wav")):
        pev = wav.with_suffix(".pev")
        if not pev.exists():
            continue
        x, sr = sf.read(str(wav), dtype="float32", always_2d=True)
        y = soxr.resample(x[:, 0], sr, RATE).astype(np.float32)
        items.append((wav.stem, y, read_keele_pev(pev)))
    if len(items) < 10:
        pytest.skip(f"expected the 10 Keele speakers in {KEELE}, found {len(items)}")
    return items


@pytest.fixture(scope="module")
def callscan_score(keele_8k):
    total = PitchScore()
    for _, x, ref in keele_8k:
        f0, _ = track_f0(x, RATE, HOP)
        total = total + score_f0(f0, ref)
    return total


def _praat_score(items, **kwargs):
    parselmouth = pytest.importorskip("parselmouth")
    total = PitchScore()
    for _, x, ref in items:
        snd = parselmouth.Sound(x.astype(np.float64), sampling_frequency=RATE)
        pitch = snd.to_pitch_ac(time_step=0.01, **kwargs)
        n = -(-len(x) // HOP)
        est = to_grid(pitch.xs(), pitch.selected_array["frequency"], n, 0.01)
        total = total + score_f0(est, ref)
    return total


def test_keele_8k_gross_pitch_error(callscan_score):
    assert callscan_score.n_frames > 30000  # the whole set was scored
    assert callscan_score.gpe <= 0.015


def test_keele_8k_voicing_decision_error(callscan_score):
    assert callscan_score.vde <= 0.06


@pytest.mark.parametrize(
    "praat_args", [{}, {"pitch_floor": 60.0, "pitch_ceiling": 500.0}],
    ids=["praat-defaults", "praat-60-500"],
)
def test_keele_8k_ffe_below_praat(keele_8k, callscan_score, praat_args):
    praat = _praat_score(keele_8k, **praat_args)
    assert praat.n_frames > 30000
    assert callscan_score.ffe < praat.ffe, (callscan_score.ffe, praat.ffe)
