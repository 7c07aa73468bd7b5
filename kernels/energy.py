"""Per-frame level.

``frame_energy_db`` gives the RMS level of each frame in dBFS: 20·log10 of the
root-mean-square sample value over a ``win``-sample window centred on the frame
(see ``callscan.kernels.framing``), where full scale is amplitude 1.0. A full-scale sine
reads −3.01 dBFS. Samples outside the signal count as zeros; an all-zero window
reads ``-inf``.

``frame_levels`` gives the same frame levels and the levels of each half of every
frame's hop (``win = hop / 2`` windows at ``hop / 2`` steps) from one pass over the
samples: the sums of squares over runs of ``unit`` samples, where ``unit`` divides the
half hop, the window and the window's offset from the hop, are added up per window.
"""

import math

import numpy as np

from callscan.kernels._jit import kernel


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
def _run_square_sums(x, unit, sums):
    """``sums[j]``: float64 sum of ``x[t] ** 2`` over ``j * unit <= t < (j + 1) * unit``.

    Runs are taken four at a time: four sums, each added in sample order, grow side by
    side, so the additions do not wait on one another. (A float32 sample squared is exact
    in float64; for 16-bit samples every partial sum is exact too, whatever the order.)
    """
    m = sums.shape[0]
    m4 = m - m % 4
    for j in range(0, m4, 4):
        run = x[j * unit : (j + 4) * unit]
        s0 = s1 = s2 = s3 = 0.0
        for t in range(unit):
            v0 = np.float64(run[t])
            v1 = np.float64(run[unit + t])
            v2 = np.float64(run[2 * unit + t])
            v3 = np.float64(run[3 * unit + t])
            s0 += v0 * v0
            s1 += v1 * v1
            s2 += v2 * v2
            s3 += v3 * v3
        sums[j] = s0
        sums[j + 1] = s1
        sums[j + 2] = s2
        sums[j + 3] = s3
    for j in range(m4, m):
        acc = 0.0
        for t in range(j * unit, (j + 1) * unit):
            v = np.float64(x[t])
            acc += v * v
        sums[j] = acc


@kernel
def _square_sums(x, start, unit, sums):
    """``sums[j]``: float64 sum of ``x[t] ** 2`` over the run of ``unit`` samples from
    ``start + j * unit``; samples outside ``x`` count as zeros."""
    n = x.shape[0]
    m = sums.shape[0]
    lo = min(max(-(start // unit), 0), m)  # runs lo .. hi - 1 lie inside x
    hi = max(min((n - start) // unit, m), lo)
    # (a kernel of its own: compiled apart, its loops index from 0 and vectorise)
    _run_square_sums(x[max(start + lo * unit, 0) :], unit, sums[lo:hi])
    for j in range(m):  # runs reaching beyond an end of x
        if lo <= j < hi:
            continue
        a = start + j * unit
        acc = 0.0
        for t in range(max(a, 0), min(a + unit, n)):
            v = np.float64(x[t])
            acc += v * v
        sums[j] = acc


_DB_PER_LN = 10.0 / math.log(10.0)
"""dB per natural-log unit of power: ``10 * log10(p) == _DB_PER_LN * log(p)``. The natural
log is the cheaper libm call; the float32 levels it gives are those of ``log10`` but for
(very rare) last-bit roundings."""


@kernel
def _strided_sums(v, step, length, out):
    """``out[i]``: sum of ``v[i * step : i * step + length]``, added in order.

    Four sums at a time, side by side (as in :func:`_run_square_sums`).
    """
    m = out.shape[0]
    m4 = m - m % 4
    for i in range(0, m4, 4):
        run = v[i * step : (i + 3) * step + length]  # indexed from 0: no wraparound
        a0 = a1 = a2 = a3 = 0.0
        for t in range(length):
            a0 += run[t]
            a1 += run[step + t]
            a2 += run[2 * step + t]
            a3 += run[3 * step + t]
        out[i] = a0
        out[i + 1] = a1
        out[i + 2] = a2
        out[i + 3] = a3
    for i in range(m4, m):
        acc = 0.0
        for t in range(i * step, i * step + length):
            acc += v[t]
        out[i] = acc


@kernel
def _frame_levels(x, hop, win, unit, first, last, energy, half_db):
    # unit divides the hop, the half hop, the window and the window's offset: sums of
    # squares over runs of unit samples, then sums of those over each window and half hop
    off = hop // 2 - win // 2
    half = hop // 2
    qa = (first * hop + min(off, 0)) // unit
    qb = -((-(last * hop + max(off + win, hop))) // unit)
    sums = np.empty(qb - qa)  # run j covers samples (qa + j) * unit onwards
    _square_sums(x, qa * unit, unit, sums)
    nf = last - first
    power = np.empty(nf)
    _strided_sums(sums[(first * hop + off) // unit - qa :], hop // unit, win // unit, power)
    for i in range(nf):
        energy[i] = _DB_PER_LN * np.log(power[i] / win) if power[i] > 0.0 else -np.inf
    power = np.empty(2 * nf)
    _strided_sums(sums[first * hop // unit - qa :], half // unit, half // unit, power)
    for i in range(2 * nf):
        half_db[i] = _DB_PER_LN * np.log(power[i] / half) if power[i] > 0.0 else -np.inf


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
def _int16_mono(data, out):
    scale = np.float32(1.0 / 32768.0)
    for i in range(out.shape[0]):
        out[i] = np.float32(data[i]) * scale


@kernel
def _int16_stereo(data, out0, out1):
    # data: the frames' samples in file order (left, right, left, ...): a fixed stride of 2
    scale = np.float32(1.0 / 32768.0)
    for i in range(out0.shape[0]):
        out0[i] = np.float32(data[2 * i]) * scale
        out1[i] = np.float32(data[2 * i + 1]) * scale


@kernel
def _int16_channel(data, src, out):
    scale = np.float32(1.0 / 32768.0)
    for i in range(out.shape[0]):
        out[i] = np.float32(data[i, src]) * scale


def deinterleave_int16(data, keep, out):
    """``out[c, i] = data[i, keep[c]] / 32768`` in float32: interleaved 16-bit frames (as a
    file stores them) to channels-first samples at full scale ±1.

    Mono files and stereo files whose two channels are both kept are read in sample order
    (contiguous loops, which vectorise); other layouts a channel at a time.

    Parameters
    ----------
    data : ndarray, shape (n, file_channels), int16
    keep : ndarray of int64, shape (channels,)
        File channels to take, in order.
    out : ndarray, shape (channels, n), float32
        Written in place (fastest when its rows are contiguous, as a buffer's rows are).
    """
    keep = [int(c) for c in keep]
    width = data.shape[1]
    if data.flags.c_contiguous and width == 1 and keep == [0]:
        _int16_mono(data.reshape(-1), out[0])
    elif data.flags.c_contiguous and width == 2 and keep == [0, 1]:
        _int16_stereo(data.reshape(-1), out[0], out[1])
    else:
        for c, src in enumerate(keep):
            _int16_channel(data, src, out[c])


@kernel
def _subtract_live(x, offset):
    for i in range(x.shape[0]):
        v = x[i]
        x[i] = v - offset if v != 0.0 else v


def subtract_offset(x, offset):
    """Subtract ``offset`` from the non-zero samples of ``x`` in place (exact zeros, digital
    silence, stay zero): ``x[x != 0] -= float32(offset)``.

    Parameters
    ----------
    x : ndarray, shape (n,), float32, contiguous
    offset : float
    """
    _subtract_live(x, np.float32(offset))



def hop_sums(x, hop, hops):
    """Sum of squares of each hop of ``x`` along its last axis, ``hops`` hops (zeros past its
    end), float64, shape ``x.shape[:-1] + (hops,)``."""
    x = np.asarray(x)
    padded = np.zeros(x.shape[:-1] + (hops * hop,))
    m = min(x.shape[-1], hops * hop)
    padded[..., :m] = x[..., :m]
    return np.square(padded.reshape(x.shape[:-1] + (hops, hop))).sum(axis=-1)


def sounding(energy_db, above_db):
    """Frames more than ``above_db`` above the channel's quietest level (the 5th percentile of
    its finite frame levels: digital silence left out), shape (n,), bool.

    Parameters
    ----------
    energy_db : ndarray, shape (n,)
        Frame levels, dBFS.
    above_db : float
        dB.
    """
    energy_db = np.asarray(energy_db)
    valid = energy_db[np.isfinite(energy_db)]
    if not valid.size:
        return np.zeros(energy_db.shape[0], dtype=bool)
    return energy_db > np.percentile(valid, 5) + above_db
