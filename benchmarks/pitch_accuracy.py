"""F0 accuracy of callscan's tracker against Praat and pYIN on laryngograph references.

Run ``python -m benchmarks.pitch_accuracy`` (add ``--no-pyin`` to skip the slow pYIN runs).

Corpora (``shared/corpus`` next to the repository): Keele (10 speakers, 20 kHz) and the
PTDB-TUG sample (2 speakers, 48 kHz), resampled with soxr to 8 and 16 kHz. Conditions:

``clean``
    the resampled recording;
``tel``
    300–3400 Hz band-pass and 8-bit µ-law (:func:`benchmarks.pitch_truth.telephone`);
``noise10``
    white Gaussian noise at 10 dB SNR over the whole file, seeded per file
    (:func:`benchmarks.pitch_truth.add_white_noise`).

Trackers, all with a 10 ms hop, all scored on the callscan frame grid with the same
±3-frame alignment search:

``callscan``
    :func:`callscan.kernels.pitch.track_f0` with its defaults (60–500 Hz);
``praat``
    ``parselmouth.Sound.to_pitch_ac`` with Praat's defaults (floor 75 Hz, ceiling 600 Hz),
    time step 10 ms;
``praat60``
    the same with floor 60 Hz and ceiling 500 Hz (callscan's range);
``pyin``
    ``librosa.pyin`` with fmin 60, fmax 500 and a 64 ms frame (512 samples at 8 kHz,
    1024 at 16 kHz).

GPE, VDE and FFE are pooled over frames of all files of a corpus (see
:mod:`benchmarks.pitch_truth`).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import cache

import numpy as np
import soundfile as sf
import soxr

from benchmarks.pitch_truth import (
    PitchScore,
    add_white_noise,
    corpus_root,
    read_keele_pev,
    read_ptdb_f0,
    score_f0,
    seed_for,
    telephone,
    to_grid,
)
from callscan.kernels.pitch import track_f0

HOP_S = 0.01
CONDITIONS = ("clean", "tel", "noise10")
RATES = (8000, 16000)


def keele_items():
    """(name, wav path, reference F0) for every Keele speaker present."""
    root = corpus_root() / "keele_pitch"
    out = []
    for wav in sorted(root.glob("*.wav")):
        pev = wav.with_suffix(".pev")
        if pev.exists():
            out.append((wav.stem, wav, read_keele_pev(pev)))
    return out


def ptdb_items():
    """(name, wav path, reference F0) for every PTDB-TUG utterance present."""
    root = corpus_root() / "ptdb_tug_sample"
    out = []
    for wav in sorted(root.glob("mic_*.wav")):
        ref = root / ("ref_" + wav.stem[4:] + ".f0")
        if ref.exists():
            out.append((wav.stem, wav, read_ptdb_f0(ref)))
    return out


@cache
def _read_resampled(path: str, rate: int) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x[:, 0]
    if sr != rate:
        x = soxr.resample(x, sr, rate)
    return np.ascontiguousarray(x, dtype=np.float32)


def load(path, rate: int, condition: str, name: str) -> np.ndarray:
    """Signal of ``path`` at ``rate`` Hz under ``condition`` (float32, mono)."""
    x = _read_resampled(str(path), rate)
    if condition == "clean":
        return x
    if condition == "tel":
        return telephone(x, rate)
    if condition == "noise10":
        return add_white_noise(x, 10.0, seed=seed_for(name))
    raise ValueError(f"unknown condition {condition!r}; use one of {CONDITIONS}")


def run_callscan(x, rate):
    hop = int(round(HOP_S * rate))
    f0, _ = track_f0(x, rate, hop)
    return f0.astype(np.float64)


def run_praat(x, rate, floor=75.0, ceiling=600.0):
    import parselmouth

    n = (len(x) + int(round(HOP_S * rate)) - 1) // int(round(HOP_S * rate))
    snd = parselmouth.Sound(np.asarray(x, dtype=np.float64), sampling_frequency=rate)
    p = snd.to_pitch_ac(time_step=HOP_S, pitch_floor=floor, pitch_ceiling=ceiling)
    return to_grid(p.xs(), p.selected_array["frequency"], n, HOP_S)


def run_praat60(x, rate):
    return run_praat(x, rate, 60.0, 500.0)


def run_pyin(x, rate):
    import librosa

    hop = int(round(HOP_S * rate))
    n = (len(x) + hop - 1) // hop
    frame = 512 if rate <= 8000 else 1024
    f0, _, _ = librosa.pyin(np.asarray(x, dtype=np.float32), fmin=60.0, fmax=500.0, sr=rate,
                            frame_length=frame, hop_length=hop)
    times = np.arange(len(f0)) * hop / rate
    return to_grid(times, f0, n, HOP_S)


TRACKERS = {
    "callscan": run_callscan,
    "praat": run_praat,
    "praat60": run_praat60,
    "pyin": run_pyin,
}


def evaluate(items, rate, condition, trackers):
    """Pooled :class:`PitchScore` per tracker name, and seconds spent per tracker."""
    totals = {t: PitchScore() for t in trackers}
    secs = {t: 0.0 for t in trackers}
    for name, path, ref in items:
        x = load(path, rate, condition, name)
        for t in trackers:
            t0 = time.perf_counter()
            est = TRACKERS[t](x, rate)
            secs[t] += time.perf_counter() - t0
            totals[t] = totals[t] + score_f0(est, ref)
    return totals, secs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-pyin", action="store_true", help="skip librosa.pyin (slow)")
    args = ap.parse_args(argv)
    trackers = ["callscan", "praat", "praat60"] + ([] if args.no_pyin else ["pyin"])
    corpora = [("keele", keele_items()), ("ptdb", ptdb_items())]
    corpora = [(c, items) for c, items in corpora if items]
    if not corpora:
        print(f"no corpus under {corpus_root()}", file=sys.stderr)
        return 1
    # JIT warm-up so compile time is not counted
    track_f0(np.zeros(800, dtype=np.float32), 8000, 80)
    print("GPE / VDE / FFE in %, frames pooled over files; praat = to_pitch_ac defaults "
          "(75-600 Hz), praat60 = 60-500 Hz, pyin = librosa.pyin 60-500 Hz")
    print(f"{'corpus':6} {'rate':>5} {'cond':8} {'tracker':9} {'GPE':>6} {'VDE':>6} "
          f"{'FFE':>6} {'frames':>7}")
    for corpus, items in corpora:
        for rate in RATES:
            for cond in CONDITIONS:
                totals, _ = evaluate(items, rate, cond, trackers)
                for t in trackers:
                    s = totals[t]
                    print(f"{corpus:6} {rate:5d} {cond:8} {t:9} {100 * s.gpe:6.2f} "
                          f"{100 * s.vde:6.2f} {100 * s.ffe:6.2f} {s.n_frames:7d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
