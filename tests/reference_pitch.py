"""Plain-NumPy references for the kernels of ``callscan.kernels.pitch``.

Written from the definitions in the ``callscan.kernels.pitch`` docstring, in float64 and with
whole-array operations where the definition allows, so they check the kernels' loops,
index arithmetic and bookkeeping rather than repeat them.
"""

import itertools
import math

import numpy as np
from scipy.linalg import solve_toeplitz


def nccf(x, centre, win, lag, cubic=False):
    """Centred NCCF at a lag; at a fractional lag the second segment is interpolated
    linearly, or by 4-point Lagrange interpolation when ``cubic``."""
    l0 = math.floor(lag)
    mu = lag - l0
    a = centre - (win + l0) // 2
    x = np.asarray(x, dtype=np.float64)
    u = x[a:a + win]
    b = a + l0 + np.arange(win)
    if cubic:
        nodes = np.array([-1.0, 0.0, 1.0, 2.0])
        weights = [np.prod([(mu - nodes[m]) / (nodes[k] - nodes[m]) for m in range(4) if m != k])
                   for k in range(4)]
        v = sum(w * x[b + int(nodes[k])] for k, w in enumerate(weights))
    else:
        v = (1 - mu) * x[b] + mu * x[b + 1]
    e = (u @ u) * (v @ v)
    if e <= 1e-40:
        return 0.0
    return float(np.clip(u @ v / math.sqrt(e), -1.0, 1.0))


def decimate(xp, taps, half, factor, n_out):
    """``out[k] = sum_j taps[j] xp[k factor - half + j]`` via a full convolution."""
    full = np.convolve(np.asarray(xp, np.float64), np.asarray(taps, np.float64)[::-1])
    # full[m] = sum_j taps[j] xp[m - (len - 1) + j]; want m - (len - 1) = k factor - half
    idx = np.arange(n_out) * factor - half + len(taps) - 1
    return full[idx]


def lpc(seg, order, noise_floor):
    """Autocorrelation-method predictor ``[1, a1, ..., a_order]`` (Toeplitz solve).

    ``r[0]`` is raised by the fraction ``noise_floor`` (white-noise correction).
    """
    seg = np.asarray(seg, np.float64)
    r = np.array([seg[: len(seg) - k] @ seg[k:] for k in range(order + 1)])
    if r[0] <= 1e-20:
        return np.r_[1.0, np.zeros(order)]
    r0 = r.copy()
    r0[0] *= 1.0 + noise_floor
    a = solve_toeplitz(r0[:order], -r[1:order + 1])
    return np.r_[1.0, a]


def whiten_block(xc, factor, hop, win, order, noise_floor, b):
    """Whitened coarse samples of hop block ``b`` (indices, values)."""
    centre = (b * hop + hop // 2 + factor // 2) // factor
    start = centre - win // 2
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(win) + 0.5) / win)
    a = lpc(np.asarray(xc[start:start + win], np.float64) * hann, order, noise_floor)
    k0 = -(-(b * hop) // factor)
    k1 = -(-((b + 1) * hop) // factor)
    ks = np.arange(k0, k1)
    vals = np.array([np.dot(a, np.asarray(xc[k - order:k + 1], np.float64)[::-1]) for k in ks])
    return ks, vals


def _rank(lag, peak, lag_weight, lag_max):
    """RAPT's lag-weighted score, by which candidates are kept."""
    return peak * (1.0 - lag_weight * lag / lag_max)


def candidates(xp, xc, xw, centre, factor, win_f, win_c, lag_min, lag_max, lag_lo_c,
               lag_hi_c, cand_ratio, lag_weight, n_cands):
    """Candidates of one frame: list of (lag, peak value, whitened NCCF), best rank first."""
    cc = (centre + factor // 2) // factor
    lags_c = np.arange(lag_lo_c, lag_hi_c + 1)
    coarse = np.array([nccf(xc, cc, win_c, int(k)) for k in lags_c])
    if coarse.max() <= 0.0:
        return []
    thr = cand_ratio * coarse.max()
    inner = coarse[1:-1]
    peaks = np.flatnonzero((inner > thr) & (inner >= coarse[:-2]) & (inner > coarse[2:])) + 1
    lo_f = max(2, math.floor(lag_min) - 1)
    hi_f = math.ceil(lag_max) + 1
    # full-rate NCCF over the whole range, then walk it as the kernel's hill-climb does
    full = {k: nccf(xp, centre, win_f, k) for k in range(lo_f, hi_f + 1)}
    out = []
    for k in peaks:
        den = coarse[k - 1] - 2 * coarse[k] + coarse[k + 1]
        d = 0.5 * (coarse[k - 1] - coarse[k + 1]) / den if den < 0 else 0.0
        g = int(round((lag_lo_c + k + d) * factor))
        g = min(max(g, lo_f + 1), hi_f - 1)
        for _ in range(factor):
            rm, r0, rp = full[g - 1], full[g], full[g + 1]
            if rp > r0 and rp >= rm and g + 1 < hi_f:
                g += 1
            elif rm > r0 and g - 1 > lo_f:
                g -= 1
            else:
                break
        rm, r0, rp = full[g - 1], full[g], full[g + 1]
        if r0 < rm or r0 < rp or r0 <= 0:
            continue
        den = rm - 2 * r0 + rp
        d, pk = 0.0, r0
        if den < 0:
            d = 0.5 * (rm - rp) / den
            pk = min(1.0, r0 - 0.25 * (rm - rp) * d)
        lag = g + d
        if not lag_min <= lag <= lag_max:
            continue
        if any(abs(lag - o[0]) < 1.0 for o in out):
            continue
        pk = max(pk, nccf(xp, centre, win_f, lag))
        if len(out) == n_cands and _rank(lag, pk, lag_weight, lag_max) <= _rank(
                out[-1][0], out[-1][1], lag_weight, lag_max):
            continue
        w = nccf(xw, cc, win_c, lag / factor, cubic=True)
        out.append((lag, pk, w))
        out.sort(key=lambda t: -_rank(t[0], t[1], lag_weight, lag_max))
        out = out[:n_cands]
    return out


def path_costs(cand_lag, cand_corr, cand_white, n_cand, level, rr, speech_level,
               floor_level, lag_max, p):
    """Local and transition cost functions of the tracker, from the module docstring.

    ``p`` is a dict of the cost parameters. Returns ``(local(i, s), trans(i, s_prev, s))``
    where a state ``s`` is a candidate index or ``None`` (unvoiced).
    """

    def silence(i):
        qs = (speech_level - p["quiet_db"] - level[i]) / (p["silence_db"] - p["quiet_db"])
        qb = (floor_level + p["floor_quiet_db"] - level[i]) / (
            p["floor_quiet_db"] - p["floor_silence_db"])
        return float(np.clip(min(qs, qb), 0.0, 1.0))

    def gain(i):
        if silence(i) > 0:
            return 1.0
        share = 1.0 - 10.0 ** ((floor_level - level[i]) / 10.0)
        return 1.0 / max(share, 1.0 - 10.0 ** (-p["noise_snr_min_db"] / 10.0))

    def score(i, j):
        return gain(i) * cand_corr[i, j]

    def local(i, s):
        m = n_cand[i]
        if s is None:
            best = max([0.0] + [score(i, j) for j in range(m)])
            return p["voiced_bias"] + best - p["silence_weight"] * silence(i)
        wmax = max(cand_white[i, :m])
        return (1.0 - score(i, s) * (1.0 - p["lag_weight"] * cand_lag[i, s] / lag_max)
                + p["octave_weight"] * (wmax - cand_white[i, s]))

    def trans(i, a, b):
        if a is None and b is None:
            return 0.0
        if a is None:
            return p["voicing_cost"] + p["amp_cost"] / rr[i]
        if b is None:
            return p["voicing_cost"] + p["amp_cost"] * rr[i]
        return p["jump_cost"] * abs(math.log2(cand_lag[i, b] / cand_lag[i - 1, a]))

    return local, trans


def best_path(n_cand, local, trans):
    """Exhaustive search over every state sequence (tiny inputs only); min total cost."""
    states = [[None] + list(range(m)) for m in n_cand]
    best, arg = math.inf, None
    for path in itertools.product(*states):
        c = local(0, path[0]) + sum(
            trans(i, path[i - 1], path[i]) + local(i, path[i]) for i in range(1, len(path)))
        if c < best:
            best, arg = c, path
    return best, arg
