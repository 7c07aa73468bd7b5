"""Plain-NumPy references for the kernels: slow, obvious, and compared in tests."""

import numpy as np


def frame_energy_db(x, hop, win):
    n = len(x)
    n_frames = (n + hop - 1) // hop
    out = np.empty(n_frames, dtype=np.float64)
    padded = np.concatenate([np.zeros(win), np.asarray(x, dtype=np.float64), np.zeros(win + hop)])
    for i in range(n_frames):
        start = i * hop + hop // 2 - win // 2 + win
        seg = padded[start : start + win]
        p = np.mean(seg**2)
        out[i] = 10 * np.log10(p) if p > 0 else -np.inf
    return out


def mask_to_runs(mask):
    m = np.concatenate([[False], np.asarray(mask, bool), [False]]).astype(int)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def bridge_gaps(mask, max_gap):
    out = np.asarray(mask, bool).copy()
    starts, ends = mask_to_runs(out)
    for e, s in zip(ends[:-1], starts[1:]):
        if s - e < max_gap:
            out[e:s] = True
    return out


def drop_short(mask, min_len):
    out = np.asarray(mask, bool).copy()
    for s, e in zip(*mask_to_runs(out)):
        if e - s < min_len:
            out[s:e] = False
    return out


def extend_ends(mask, frames):
    out = np.asarray(mask, bool).copy()
    for s, e in zip(*mask_to_runs(mask)):
        out[e : e + frames] = True
    return out


def hysteresis(e, on_thr, off_thr):
    above = e > off_thr
    out = np.zeros(len(e), bool)
    for s, t in zip(*mask_to_runs(above)):
        if np.any(e[s:t] > on_thr[s:t]):
            out[s:t] = True
    return out


def windowed_percentile(e, step, width, q, valid_above, min_count):
    n = len(e)
    n_points = (n - 1) // step + 2
    out = np.full(n_points, np.nan)
    for k in range(n_points):
        c = k * step
        lo, hi = max(0, c - width // 2), min(n, c - width // 2 + width)
        seg = e[lo:hi]
        seg = seg[seg > valid_above]
        if len(seg) >= max(min_count, 1):
            out[k] = np.percentile(seg.astype(np.float64), q)
    return out
