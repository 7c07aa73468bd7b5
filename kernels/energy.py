"""Per-frame level.

``frame_energy_db`` gives the RMS level of each frame in dBFS: 20·log10 of the
root-mean-square sample value over a ``win``-sample window centred on the frame
(see ``kernels.framing``), where full scale is amplitude 1.0. A full-scale sine
reads −3.01 dBFS. Samples outside the signal count as zeros; an all-zero window
reads ``-inf``.

``frame_levels`` gives the same frame levels and the levels of each half of every
frame's hop (``win = hop / 2`` windows at ``hop / 2`` steps) from one pass over the
samples: the sums of squares over runs of ``unit`` samples, where ``unit`` divides the
half hop, the window and the window's offset from the hop, are added up per window.
"""

import math

import numpy as np

from kernels._jit import kernel


@kernel
def _frame_energy_db(x, hop, win, out):
    n = x.shape[0]
    half = hop // 2 - win // 2
    for i in range(out.shape[0]):
        start = i * hop + half
        lo = max(start, 0)
        hi = min(start + win, n)
        acc = 0.0
        for j in range(lo, hi):
            v = np.float64(x[j])
            acc += v * v
        if acc > 0.0:
            out[i] = 10.0 * np.log10(acc / win)
        else:
            out[i] = -np.inf


def frame_energy_db(x, hop, win):
    """Frame RMS level in dBFS.

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float32
        One channel, full scale ±1.
    hop, win : int
        Hop and window length in samples.

    Returns
    -------
    ndarray, shape (ceil(n_samples / hop),), float32
        Level per frame, dBFS; ``-inf`` where the window is all zeros.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"frame_energy_db takes one channel (1-D), got shape {x.shape}")
    if hop < 1 or win < 1:
        raise ValueError("hop and win must be at least one sample")
    out = np.empty((x.shape[0] + hop - 1) // hop, dtype=np.float32)
    _frame_energy_db(x, int(hop), int(win), out)
    return out


def level_unit(hop, win):
    """Samples per partial sum for :func:`frame_levels` (0 when the hop is odd)."""
    if hop % 2:
        return 0
    return math.gcd(math.gcd(hop // 2, win), abs(hop // 2 - win // 2)) or hop // 2


@kernel
def _frame_levels(x, hop, win, unit, first, last, energy, half_db):
    n = x.shape[0]
    off = hop // 2 - win // 2
    half = hop // 2
    qa = (first * hop + min(off, 0)) // unit
    qb = -((-(last * hop + max(off + win, hop))) // unit)
    sums = np.zeros(qb - qa)
    for j in range(qb - qa):
        lo = max((qa + j) * unit, 0)
        hi = min((qa + j + 1) * unit, n)
        acc = 0.0
        for t in range(lo, hi):
            v = np.float64(x[t])
            acc += v * v
        sums[j] = acc
    per_win = win // unit
    per_half = half // unit
    for i in range(first, last):
        j0 = (i * hop + off) // unit - qa
        acc = 0.0
        for j in range(j0, j0 + per_win):
            acc += sums[j]
        energy[i - first] = 10.0 * np.log10(acc / win) if acc > 0.0 else -np.inf
        for h in range(2):
            k0 = (i * hop + h * half) // unit - qa
            acc = 0.0
            for j in range(k0, k0 + per_half):
                acc += sums[j]
            half_db[2 * (i - first) + h] = 10.0 * np.log10(acc / half) if acc > 0.0 else -np.inf


def frame_levels(x, hop, win, first, last):
    """Frame levels and half-hop levels of frames ``first .. last - 1``, dBFS.

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float32
        One channel (or a block of it: frame ``i`` is centred on sample
        ``i * hop + hop // 2`` of ``x``).
    hop, win : int
        Hop and window, samples. With an odd hop the levels are taken one by one, half hops
        being ``hop // 2`` samples from the start of the signal.
    first, last : int
        Frames wanted.

    Returns
    -------
    energy : ndarray, shape (last - first,), float32
        As ``frame_energy_db(x, hop, win)[first:last]``.
    half_db : ndarray, shape (2 * (last - first),), float32
        Levels of the two halves of each frame's hop interval, ``-inf`` where silent or
        beyond the signal.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    unit = level_unit(hop, win)
    if unit < 1:  # an odd hop: each level on its own (half hops of hop // 2 samples)
        half = max(1, hop // 2)
        levels = frame_energy_db(x, half, half)[2 * first : 2 * last]
        half_db = np.full(2 * (last - first), -np.inf, dtype=np.float32)
        half_db[: levels.shape[0]] = levels
        return frame_energy_db(x, hop, win)[first:last], half_db
    energy = np.empty(last - first, dtype=np.float32)
    half_db = np.empty(2 * (last - first), dtype=np.float32)
    _frame_levels(x, int(hop), int(win), int(unit), int(first), int(last), energy, half_db)
    return energy, half_db


@kernel
def _deinterleave_int16(data, keep, out):
    scale = np.float32(1.0 / 32768.0)
    for c in range(keep.shape[0]):
        src = keep[c]
        for i in range(out.shape[1]):
            out[c, i] = np.float32(data[i, src]) * scale


def deinterleave_int16(data, keep, out):
    """``out[c, i] = data[i, keep[c]] / 32768`` in float32: interleaved 16-bit frames (as a
    file stores them) to channels-first samples at full scale ±1.

    Parameters
    ----------
    data : ndarray, shape (n, file_channels), int16
    keep : ndarray of int64, shape (channels,)
        File channels to take, in order.
    out : ndarray, shape (channels, n), float32
        Written in place.
    """
    _deinterleave_int16(data, keep, out)
