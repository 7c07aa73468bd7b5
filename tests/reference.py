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


# --- spectral features and syllable nuclei (callscan.kernels.spectral, callscan.kernels.nuclei) ---


def spectral_features(x, sample_rate, hop, gate, win_s, nuclei_band_hz, alpha_bands_hz, hammarberg_bands_hz):
    x = np.asarray(x, dtype=np.float64)
    win = max(2, int(round(win_s * sample_rate)))
    nfft = 1
    while nfft < win:
        nfft *= 2
    n_frames = (len(x) + hop - 1) // hop
    freqs = np.arange(nfft // 2 + 1) * sample_rate / nfft
    band = np.zeros(n_frames)
    alpha = np.full(n_frames, np.nan)
    hamm = np.full(n_frames, np.nan)

    def inside(lo, hi):
        return (freqs >= lo - 1e-6) & (freqs < hi - 1e-6)

    for i in np.flatnonzero(gate):
        start = i * hop + hop // 2 - win // 2
        seg = np.zeros(win)
        for j in range(win):
            if 0 <= start + j < len(x):
                seg[j] = x[start + j]
        p = np.abs(np.fft.rfft(seg * np.hanning(win), nfft)) ** 2
        band[i] = p[inside(*nuclei_band_hz)].sum()
        lo, split, hi = alpha_bands_hz
        a, b = p[inside(lo, split)].sum(), p[inside(split, hi)].sum()
        if a > 0 and b > 0:
            alpha[i] = 10 * np.log10(b / a)
        lo, split, hi = hammarberg_bands_hz
        a, b = p[inside(lo, split)], p[inside(split, hi)]
        if a.size and b.size and a.max() > 0 and b.max() > 0:
            hamm[i] = 10 * np.log10(a.max() / b.max())
    return band, alpha, hamm


def gauss_smooth(p, sigma):
    p = np.asarray(p, dtype=np.float64)
    if sigma <= 0:
        return p.copy()
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * (offsets / sigma) ** 2)
    out = np.empty_like(p)
    for i in range(len(p)):
        idx = i + offsets
        ok = (idx >= 0) & (idx < len(p))
        out[i] = np.sum(w[ok] * p[idx[ok]]) / np.sum(w[ok])
    return out


def syllable_nuclei(band_power, speech, voiced, smooth, silence_db, min_dip_db, reach):
    """Steps 1-5 of the callscan.kernels.nuclei docstring (voicing before the dips), spelled out on Python lists."""
    speech = np.asarray(speech, bool)
    s = gauss_smooth(band_power, smooth)
    with np.errstate(divide="ignore"):
        c = np.where(speech & (s > 0), 10 * np.log10(np.maximum(s, 1e-300)), -np.inf)
    n = len(c)
    out = np.zeros(n, bool)
    live = c[speech & np.isfinite(c)]
    if live.size == 0:
        return out
    thr = np.percentile(live, 99) - silence_db
    for start, end in zip(*mask_to_runs(speech)):
        peaks = []
        for i in range(start, end):
            left = c[i - 1] if i > start else -np.inf
            right = c[i + 1] if i + 1 < end else -np.inf
            voiced_near = np.any(np.asarray(voiced, bool)[max(0, i - reach):i + reach + 1])
            if c[i] > thr and c[i] > left and c[i] >= right and voiced_near:
                peaks.append(i)
        while len(peaks) > 1:
            proms = [min(c[a], c[b]) - c[a:b + 1].min() for a, b in zip(peaks[:-1], peaks[1:])]
            k = int(np.argmin(proms))
            if proms[k] >= min_dip_db:
                break
            a, b = peaks[k], peaks[k + 1]
            peaks.remove(b if c[a] >= c[b] else a)
        out[peaks] = True
    return out


def window_percentiles(values, valid, starts, ends, qs):
    out = np.full((len(starts), len(qs)), np.nan)
    for w, (a, b) in enumerate(zip(starts, ends)):
        a, b = max(0, a), min(len(values), b)
        seg = np.asarray(values[a:b], dtype=np.float64)[np.asarray(valid[a:b], bool)]
        if seg.size:
            out[w] = np.percentile(seg, qs)
    return out


def running_median5(e):
    e = np.asarray(e, np.float64)
    n = len(e)
    return np.array([np.median(e[max(0, i - 2) : min(n, i + 3)]) for i in range(n)])


def music_features(level_db, dipped, steady, quiet, c, half, band_hz, beat_frames, hop_s, low_ratio=0.5):
    """The six features of ``callscan.kernels.music`` at frame ``c``, from their definitions
    (the envelope's band power by an explicit DFT, the rhythm by ``np.correlate``)."""
    n = len(level_db)
    lo, hi = max(0, c - half), min(n, c + half + 1)
    m = hi - lo
    p = 10.0 ** (np.asarray(level_db[lo:hi], np.float64) / 10)
    a = np.sqrt(p)
    lster = np.mean(p < low_ratio * p.mean())
    h = 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(m) + 0.5) / m)
    spec = np.abs(np.fft.fft((a - a.mean()) * h)) ** 2
    k = np.arange(m)
    band = (k >= max(1, np.ceil(band_hz[0] * hop_s * m))) & (k <= min(m // 2, np.floor(band_hz[1] * hop_s * m)))
    m4 = 2 * spec[band].sum() / (m * np.sum(h**2) * a.mean() ** 2)
    amp = np.sqrt(10.0 ** (np.asarray(level_db, np.float64) / 10))
    d = np.array([max(0.0, amp[j] - amp[j - 1]) if j >= 1 else 0.0 for j in range(lo, hi)])
    d -= d.mean()
    r = np.correlate(d, d, "full")[m - 1 :] / np.sum(d * d)
    lags = np.arange(beat_frames[0], min(beat_frames[1], m - 1) + 1)
    rhythm = max(0.0, r[lags].max()) if lags.size else 0.0
    return np.array([lster, np.log10(m4 + 0.01), np.mean(dipped[lo:hi]), np.mean(steady[lo:hi]), rhythm,
                     np.mean(quiet[lo:hi])])
