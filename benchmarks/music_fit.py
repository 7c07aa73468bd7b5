"""Fit of the music score's level row (``callscan.kernels.music``) on half the music and half the speech.

    python -m benchmarks.music_fit [--speech-weight 10] [--quick]

The windows the score judges are taken from the pipeline itself: the inputs that
``callscan.frames.passes`` hands to ``music_like`` (frame levels, steady frames, frames
with sound, the other party's speech) are recorded while whole calls are analysed, and
the six features are the kernel's own (``music_score`` with ``numpy.eye(6)`` as weights
and zero bias), every ``long_step_s`` on

* music: the calls of ``benchmarks.hold_accuracy`` (each track of ``benchmarks.music``
  at -30 and -18 dBFS, PCM and µ-law), at the frames of the true hold stretch whose whole
  window lies inside it;
* speech: the stretches the score judges (``music_stretches``: 10 s of sound the other
  party never answers) in every WAV of the shared corpus, in the same recordings with
  white and pink noise added at 6, 12 and 20 dB SNR (re the mean power of each
  channel's louder half of frames), and in the committed fixture calls.

Halves: tracks at even places of ``benchmarks.music.tracks()`` and speech recordings at
even places of the sorted corpus manifest (their noisy copies with them) are fitted; the
odd places are held out. The third row of ``hold.long_weights`` (dip and quiet shares, a
level that never falls back) is a logistic regression on the fitted half, speech windows
weighing ``--speech-weight`` times as much in all as music windows (a speech window
called music costs real talk; a music window missed is often caught by another row or
by the neighbouring windows), L2 penalty 1e-3 on the weights. The two other rows are
read from ``Params()`` and reported, not refitted.
"""

import argparse
import csv

import numpy as np

from benchmarks import hold_accuracy as ha
from benchmarks import music
from callscan.analyze import analyze_call
from callscan.kernels.energy import sounding
from callscan.kernels.music import NFEATURES, music_score, music_stretches
from callscan.kernels.steadiness import dips
from callscan.params import Params
from fixtures import hold_calls

HOP_S = 0.01
FEATURES = ("low-energy share", "log10 modulation", "dip share", "steady share", "rhythm", "quiet share")
ROW3 = (2, 5)  # dip share, quiet share
NOISES = (("white", 6), ("white", 12), ("white", 20), ("pink", 6), ("pink", 12), ("pink", 20))


def recorded_inputs(x, sr):
    """The inputs of every ``music_like`` call while ``x`` is analysed: list of dict per channel."""
    import callscan.frames.passes as passes

    seen = []
    original = passes.music_like

    def record(level_db, steady, active, others, hop_s, **kw):
        seen.append({"level": np.array(level_db), "steady": np.array(steady), "active": np.array(active),
                     "others": None if others is None else np.array(others)})
        return original(level_db, steady, active, others, hop_s, **kw)

    passes.music_like = record
    try:
        analyze_call(x, sample_rate=sr)
    finally:
        passes.music_like = original
    return seen


def features(inp, frames, hp):
    """The six features (rows of ``FEATURES``) at every ``long_step_s`` frame of ``frames``, shape (m, 6)."""
    level = np.maximum(inp["level"].astype(np.float32), np.float32(-120.0))
    step = max(1, int(round(hp.long_step_s / HOP_S)))
    grid = np.zeros_like(frames)
    idx = np.flatnonzero(frames)
    grid[idx[idx % step == 0]] = True
    if not grid.any():
        return np.zeros((0, NFEATURES))
    dipped = dips(level, int(round(hp.dip_window_s / HOP_S / 2)), hp.dip_db)
    quiet = ~sounding(inp["level"], hp.sound_db)
    f = music_score(level, dipped, inp["steady"], quiet, grid, HOP_S, window_s=hp.long_window_s, step_s=HOP_S,
                    band_hz=hp.long_band_hz, beat_s=hp.long_beat_s, low_ratio=hp.long_low_ratio,
                    weights=np.eye(NFEATURES), bias=np.zeros(NFEATURES))
    return f[:, grid].T


def judged(inp, hp):
    return music_stretches(inp["active"], inp["others"], HOP_S, hp.long_gap_s, hp.long_min_s)


def music_windows(hp, quick=False):
    """(features, place) of the music calls' hold windows."""
    out = []
    half = int(round(hp.long_window_s / HOP_S / 2))
    for k, track in enumerate(music.tracks(download=False)[: 4 if quick else None]):
        sound = music.excerpt(track, ha.HOLD_S, seed=k)
        base = ha.BASES[k % len(ha.BASES)]
        for level in (-30.0, -18.0):
            for codec in ("pcm", "ulaw"):
                ch = ha.audible_channel(base, k % 2, level)
                x, truth = hold_calls.hold_call(base, sound, level, ch, seed=k)
                x = hold_calls.through_codec(x, codec)
                inp = recorded_inputs(x, hold_calls.SR)[ch]
                frames = np.zeros(inp["level"].shape[0], bool)
                a, b = (int(round(t / HOP_S)) for t in truth["hold"])
                frames[a + half : b - half] = True
                out += [(f, k, track["name"]) for f in features(inp, frames, hp)]
    return out


def noisy(x, kind, snr_db, rng):
    """``x`` (channels, n) with white or pink noise at ``snr_db`` re the mean power of each channel's
    louder half of 10 ms frames."""
    y = x.astype(np.float64).copy()
    n = x.shape[1]
    for ch in range(x.shape[0]):
        hop = max(1, n // max(1, n // 160))
        p = np.mean(y[ch, : n // hop * hop].reshape(-1, hop) ** 2, axis=1)
        ref = p[p >= np.median(p)].mean()
        z = rng.standard_normal(n)
        if kind == "pink":
            spec = np.fft.rfft(z)
            spec[1:] /= np.sqrt(np.arange(1, spec.size))
            z = np.fft.irfft(spec, n)
        y[ch] += z * np.sqrt(ref / 10 ** (snr_db / 10)) / z.std()
    return (y / max(1.0, np.abs(y).max() / 0.99)).astype(np.float32)


def speech_windows(hp, quick=False):
    """(features, place, name) of the judged stretches of the speech recordings, their noisy copies
    and the fixture calls."""
    import soundfile as sf

    out = []
    with open(ha.CORPUS / "manifest.tsv", newline="") as f:
        paths = sorted(r["path"] for r in csv.DictReader(f, delimiter="\t"))
    rng = np.random.default_rng(18)
    for place, path in enumerate(paths):
        if quick and place % 8:
            continue
        x, sr = sf.read(str(ha.CORPUS / path), dtype="float32", always_2d=True)
        x = np.ascontiguousarray(x.T)
        inputs = recorded_inputs(x, sr)
        if not any(judged(inp, hp).any() for inp in inputs):
            continue  # nothing here is judged, and noise only shortens stretches of sound
        for inp in inputs:
            out += [(f, place, path) for f in features(inp, judged(inp, hp), hp)]
        for kind, snr in NOISES:
            for inp in recorded_inputs(noisy(x, kind, snr, rng), sr):
                out += [(f, place, f"{path}+{kind}{snr}") for f in features(inp, judged(inp, hp), hp)]
    for place, name in enumerate(hold_calls.base_calls()):
        x, _ = hold_calls.load_base(name)
        for inp in recorded_inputs(x, hold_calls.SR):
            out += [(f, place, name) for f in features(inp, judged(inp, hp), hp)]
    return out


def logistic(X, y, w, penalty=1e-3):
    """Bias and weights of a weighted logistic regression (L2 ``penalty`` on the weights)."""
    from scipy.optimize import minimize

    A = np.hstack([np.ones((X.shape[0], 1)), X])
    w = w / w.sum()

    def loss(b):
        z = A @ b
        return np.sum(w * np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))) + penalty * np.sum(b[1:] ** 2)

    def grad(b):
        z = A @ b
        g = A.T @ (w * (1 / (1 + np.exp(-z)) - y))
        g[1:] += 2 * penalty * b[1:]
        return g

    return minimize(loss, np.zeros(A.shape[1]), jac=grad, method="BFGS").x


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speech-weight", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="4 tracks and every 8th recording")
    args = parser.parse_args(argv)
    hp = Params().hold
    mw, sw = music_windows(hp, args.quick), speech_windows(hp, args.quick)
    F = np.array([r[0] for r in mw + sw])
    y = np.array([1] * len(mw) + [0] * len(sw))
    fit = np.array([r[1] % 2 == 0 for r in mw + sw])
    names = np.array([r[2] for r in mw + sw])
    print(f"windows: music {len(mw)} ({np.count_nonzero(fit[y == 1])} fitted), speech {len(sw)} "
          f"({np.count_nonzero(fit[y == 0])} fitted), from {len(set(names[y == 0]))} speech recordings and "
          f"noisy copies with a judged stretch")
    sel = fit
    w = np.where(y == 1, 1.0 / np.count_nonzero(sel & (y == 1)), args.speech_weight / np.count_nonzero(sel & (y == 0)))
    b = logistic(F[sel][:, ROW3], y[sel], w[sel])
    print(f"row 3 (speech weight {args.speech_weight:g}): bias {b[0]:.3f}, "
          + ", ".join(f"{FEATURES[j]} {v:.3f}" for j, v in zip(ROW3, b[1:])))
    W = np.array(hp.long_weights, dtype=float).reshape(-1, NFEATURES)
    B = np.array(hp.long_bias, dtype=float)
    W[2] = 0.0
    W[2, list(ROW3)] = b[1:]
    B[2] = b[0]
    scores = F @ W.T + B
    for label, half in (("fitted half", fit), ("held-out half", ~fit)):
        for cls, name in ((1, "music"), (0, "speech")):
            m = half & (y == cls)
            print(f"  {label}, {name} windows scoring > 0: row 3 {np.mean(scores[m, 2] > 0):.4f}, "
                  f"any row {np.mean((scores[m] > 0).any(1)):.4f} (of {np.count_nonzero(m)})")
    level = F[:, ROW3[0]] + F[:, ROW3[1]]
    print(f"speech windows: dip share + quiet share, least {level[y == 0].min():.3f} "
          f"({names[y == 0][np.argmin(level[y == 0])]}), 1st percentile {np.quantile(level[y == 0], 0.01):.3f}; "
          f"dip share alone, least on the recordings as they are: "
          f"{F[(y == 0) & ~np.char.count(names.astype(str), '+').astype(bool), 2].min():.3f}")
    print("long_weights row 3:", tuple(round(float(v), 2) for v in W[2]), "long_bias[2]:", round(float(B[2]), 2))


if __name__ == "__main__":
    main()
