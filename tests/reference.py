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


def stability(spec, lag):
    spec = np.asarray(spec, np.float64)
    n = len(spec)
    norms = np.linalg.norm(spec, axis=1)
    out = np.zeros(n)
    for i in range(n):
        for j in (i - lag, i + lag):
            if 0 <= j < n and norms[i] > 0 and norms[j] > 0:
                out[i] = max(out[i], spec[i] @ spec[j] / (norms[i] * norms[j]))
    return out


def purity(spec, width):
    spec = np.asarray(spec, np.float64)
    out = np.zeros(len(spec))
    for i, row in enumerate(spec):
        power = row**2
        total = power.sum()
        if total == 0:
            continue
        free = np.ones(len(row), bool)
        acc = 0.0
        for _ in range(2):
            if not free.any():
                break
            k = int(np.argmax(np.where(free, row, -1.0)))
            lo, hi = max(0, k - width), min(len(row), k + width + 1)
            acc += power[lo:hi][free[lo:hi]].sum()
            free[lo:hi] = False
        out[i] = acc / total
    return out


def dips(level_db, half, depth_db):
    level_db = np.asarray(level_db, np.float64)
    n = len(level_db)
    return np.array([level_db[i] < level_db[max(0, i - half) : i + half + 1].max() - depth_db for i in range(n)], bool)


def windowed_share(flag, active, half):
    flag, active = np.asarray(flag, bool), np.asarray(active, bool)
    out = np.zeros(len(flag))
    for s, e in zip(*mask_to_runs(active)):
        for k in range(s, e):
            lo, hi = max(s, k - half), min(e, k + half + 1)
            out[k] = flag[lo:hi].mean()
    return out


def zero_runs(x, min_len):
    s, e = mask_to_runs(np.asarray(x) == 0)
    keep = (e - s) >= max(min_len, 1)
    return s[keep], e[keep]


def clipped_count(x, level, min_run):
    s, e = mask_to_runs(np.abs(np.asarray(x, np.float32)) >= np.float32(level))
    lengths = e - s
    return int(lengths[lengths >= max(min_run, 1)].sum())
