"""Speech activity for one channel: adaptive noise floor, hysteresis, hangover.

Definition
----------
1. Level ``e[i]`` is the frame RMS level in dBFS (``callscan.kernels.energy``), with values
   below ``abs_floor_db`` (digital silence reads ``-inf``) raised to it.
2. Noise floor ``f[i]``: a low percentile (``floor_quantile``) of the level, taken
   after a 5-frame running median (which removes the one- and two-frame drop-outs
   of MP3 and other frame-based codecs), over a
   window of ``floor_window_s`` centred on ``i`` (in the spirit of minimum
   statistics, Martin 2001, but robust to the codec drop-outs and digital
   silence of VoIP calls, which take no part), plus ``floor_bias_db``.
3. Speech level ``L``: the channel's loud-frame level (the 95th percentile of
   ``e`` over frames more than ``onset_db`` above the floor). Frames quieter than
   ``L - speech_range_db`` or ``min_level_db`` are never speech.
4. Hysteresis: a region is a maximal run of frames with
   ``e > max(f + offset_db, lower limits)`` that contains at least one frame with
   ``e > max(f + onset_db, lower limits)``. Onset above offset: weak consonants at
   the edges of a word stay inside the region, noise bumps that never reach the
   onset threshold do not start one.
4b. Edges: the 25 ms window reaches 7.5 ms beyond its frame on each side and
   smears onsets early and offsets late. A region's first frame is kept only
   if the first half of its hop is above the offset threshold (speech began
   before the frame's centre), its last frame only if the second half is; this
   repeats inwards. Frame labels then follow the frame-centre convention of
   ``callscan.kernels.framing``.
5. Hangover: each region is extended by ``hangover`` frames at its end.
6. Same-party gaps shorter than ``bridge`` frames are filled, then regions
   shorter than ``min_speech`` frames are dropped (``callscan.kernels.runs``).

Frames another stage has explained away (leak from the other channel,
``callscan.kernels.crosstalk``) are treated as floor-level before step 3.
"""

import numpy as np

from callscan.kernels._jit import kernel
from callscan.kernels.runs import _bridge_gaps, _drop_short, _extend_ends

_BINS_PER_DB = 4.0
_N_BINS = 1024


@kernel
def _level_bin(v, base):
    """Histogram bin of a level above ``base`` (monotone in ``v``; the top bin takes the rest)."""
    f = (np.float64(v) - np.float64(base)) * _BINS_PER_DB
    if f >= _N_BINS:
        return _N_BINS - 1
    if f < 0.0:
        return 0
    return int(f)


@kernel
def _order_stats(e, frames, first, lo, hi, counts, rank, both, tmp):
    """The ``rank``-th smallest (0-based) valid value of ``e[lo:hi]``, and the next one.

    ``counts`` are the histogram bin counts of the window's valid values;
    ``frames[first[b]:first[b + 1]]`` lists, in increasing order, the frames of the
    whole signal whose value falls in bin ``b``. The bins holding the two order
    statistics are found from the counts; the window's values in those bins are
    then sorted, so both values are exact. The next one is only looked for when
    ``both`` is set (else the first is returned twice).
    """
    cum = 0
    b = 0
    while cum + counts[b] <= rank:
        cum += counts[b]
        b += 1
    b2 = b
    if both:
        c2 = cum
        while c2 + counts[b2] <= rank + 1:
            c2 += counts[b2]
            b2 += 1
    k = 0
    for bb in range(b, b2 + 1):
        if counts[bb] == 0:
            continue
        seg = frames[first[bb]:first[bb + 1]]
        j0 = np.searchsorted(seg, lo)
        for j in range(j0, j0 + counts[bb]):  # the bin's frames inside the window
            tmp[k] = e[seg[j]]
            k += 1
    vals = tmp[:k]
    vals.sort()
    if both:
        return vals[rank - cum], vals[rank + 1 - cum]
    return vals[rank - cum], vals[rank - cum]


@kernel
def _windowed_percentile(e, step, width, q, valid_above, min_count, out):
    """Percentile ``q`` (0..100) of ``e`` over windows centred every ``step`` frames.

    Only values above ``valid_above`` take part (digital silence does not); a
    window with fewer than ``min_count`` of them gets NaN. ``out[k]`` belongs to
    the window centred on frame ``k * step``. Linear interpolation between the
    two nearest order statistics, as ``numpy.percentile``.

    A histogram of the window's valid values (0.25 dB bins) is kept as the
    window slides (both of its ends only move forward), so no window is sorted
    afresh: the bins of the two order statistics needed come from the counts and
    only the window's values inside those bins are sorted (each bin lists its
    frames in order, so they are found without a scan of the window). The order
    statistics, hence the result, are exactly those of a sort of the whole window.
    """
    n = e.shape[0]
    counts = np.zeros(_N_BINS, dtype=np.int64)
    tmp = np.empty(max(width, 1), dtype=np.float32)
    # each frame's bin (-1: not valid), then the frames grouped by bin (counting sort)
    bins = np.empty(n, dtype=np.int64)
    first = np.zeros(_N_BINS + 1, dtype=np.int64)
    for i in range(n):
        bins[i] = _level_bin(e[i], valid_above) if e[i] > valid_above else -1
        if bins[i] >= 0:
            first[bins[i] + 1] += 1
    for b in range(_N_BINS):
        first[b + 1] += first[b]
    frames = np.empty(first[_N_BINS], dtype=np.int64)
    fill = first[:_N_BINS].copy()
    for i in range(n):
        if bins[i] >= 0:
            frames[fill[bins[i]]] = i
            fill[bins[i]] += 1
    half = width // 2
    m = 0
    cur_lo, cur_hi = 0, 0
    for k in range(out.shape[0]):
        c = k * step
        lo = max(0, c - half)
        hi = max(lo, min(n, c - half + width))
        if lo >= cur_hi:
            counts[:] = 0
            m = 0
            cur_lo, cur_hi = lo, lo
        for i in range(cur_lo, lo):
            if bins[i] >= 0:
                counts[bins[i]] -= 1
                m -= 1
        for i in range(cur_hi, hi):
            if bins[i] >= 0:
                counts[bins[i]] += 1
                m += 1
        cur_lo, cur_hi = lo, hi
        if m < min_count or m == 0:
            out[k] = np.nan
            continue
        pos = q / 100.0 * (m - 1)
        j = int(np.floor(pos))
        frac = pos - j
        lo_v, hi_v = _order_stats(e, frames, first, lo, hi, counts, j, j + 1 < m, tmp)
        if j + 1 < m:
            out[k] = lo_v + frac * (hi_v - lo_v)
        else:
            out[k] = lo_v


@kernel
def _median3(a, b, c):
    """Middle value of three."""
    return max(min(a, b), min(max(a, b), c))


@kernel
def _running_median5(e, out):
    """Median of each frame and its two neighbours on either side (edges: the frames there are).

    Inside, the median of five comes from a min/max network without a sort: of
    ``a, b, c, d``, ``max(min(a, b), min(c, d))`` and ``min(max(a, b), max(c, d))``
    bracket the median, which is the middle of those two and ``e``. At the edges (three or
    four frames, or a shorter signal) the few values are sorted; an even count gives the
    mean of the middle two, as ``numpy.median``.
    """
    n = e.shape[0]
    buf = np.empty(5, dtype=np.float32)
    for i in range(n):
        if i >= 2 and i + 2 < n:
            lo1 = max(min(e[i - 2], e[i - 1]), min(e[i + 1], e[i + 2]))
            hi1 = min(max(e[i - 2], e[i - 1]), max(e[i + 1], e[i + 2]))
            out[i] = _median3(e[i], lo1, hi1)
            continue
        lo = max(0, i - 2)
        hi = min(n, i + 3)
        m = hi - lo
        for k in range(m):  # insertion sort of the few edge values
            v = e[lo + k]
            j = k
            while j > 0 and buf[j - 1] > v:
                buf[j] = buf[j - 1]
                j -= 1
            buf[j] = v
        if m % 2 == 1:
            out[i] = buf[m // 2]
        else:
            out[i] = 0.5 * (buf[m // 2 - 1] + buf[m // 2])


@kernel
def _clip_below(e, floor_db, out):
    for i in range(e.shape[0]):
        v = e[i]
        out[i] = v if v > floor_db else floor_db


@kernel
def _hysteresis(e, on_thr, off_thr, mask):
    """Regions above ``off_thr`` that reach ``on_thr`` somewhere."""
    n = e.shape[0]
    i = 0
    while i < n:
        if e[i] <= off_thr[i]:
            mask[i] = False
            i += 1
            continue
        j = i
        reached = False
        while j < n and e[j] > off_thr[j]:
            if e[j] > on_thr[j]:
                reached = True
            j += 1
        for k in range(i, j):
            mask[k] = reached
        i = j


@kernel
def _refine_edges(half_db, off_thr, mask):
    """Drop a region's edge frames whose centre the speech does not reach.

    ``half_db[2 * i]`` and ``half_db[2 * i + 1]`` are the levels over the first
    and the second half of frame ``i``'s hop. A region's first frame stays only
    if its first half is above the offset threshold (the speech began before the
    frame's centre); its last frame only if its second half is (the speech
    ended after the centre).
    """
    n = mask.shape[0]
    i = 0
    while i < n:
        if not mask[i]:
            i += 1
            continue
        j = i
        while j < n and mask[j]:
            j += 1
        a, b = i, j
        while a < b and half_db[2 * a] <= off_thr[a]:
            mask[a] = False
            a += 1
        while b > a and half_db[2 * (b - 1) + 1] <= off_thr[b - 1]:
            mask[b - 1] = False
            b -= 1
        i = j


def noise_floor_db(energy_db, floor_win, floor_step, quantile, abs_floor_db, bias_db):
    """Adaptive noise floor of a channel, dBFS.

    The ``quantile`` percentile of the frame levels over a window of ``floor_win``
    frames, evaluated every ``floor_step`` frames and interpolated linearly in
    between. Frames at the absolute floor (digital silence, codec drop-outs) take
    no part; windows with too few other frames borrow the whole channel's value.

    Parameters
    ----------
    energy_db : ndarray, shape (n_frames,), float32
        Frame levels, dBFS, already raised to ``abs_floor_db``.
    floor_win, floor_step : int
        Window width and evaluation step, frames.
    quantile : float
        Percentile, 0..100.
    abs_floor_db : float
        Levels at or below this are digital silence.
    bias_db : float
        Added to the percentile.

    Returns
    -------
    ndarray, shape (n_frames,), float32
    """
    e = np.ascontiguousarray(energy_db, dtype=np.float32)
    n = e.shape[0]
    valid_above = np.float32(abs_floor_db + 1e-3)
    n_points = (n - 1) // floor_step + 2
    points = np.empty(n_points, dtype=np.float32)
    _windowed_percentile(e, floor_step, floor_win, quantile, valid_above, max(1, floor_win // 10), points)
    missing = ~np.isfinite(points)
    if missing.any():
        valid = e[e > valid_above]
        fallback = np.float32(np.percentile(valid, quantile)) if valid.size else np.float32(abs_floor_db)
        points[missing] = fallback
    centres = np.arange(n_points) * floor_step
    floor = np.interp(np.arange(n), centres, points).astype(np.float32)
    return floor + np.float32(bias_db)


def speech_activity(
    energy_db,
    hop_s,
    *,
    onset_db,
    offset_db,
    floor_window_s,
    floor_step_s,
    floor_quantile,
    floor_bias_db,
    speech_range_db,
    abs_floor_db,
    min_level_db,
    hangover_s,
    min_speech_s,
    bridge_s,
    exclude=None,
    half_db=None,
):
    """Speech mask of one channel from its frame levels.

    Parameters
    ----------
    energy_db : ndarray, shape (n_frames,), float32
        Frame levels, dBFS.
    hop_s : float
        Frame hop, seconds.
    onset_db, offset_db, floor_window_s, floor_step_s, floor_quantile, floor_bias_db, speech_range_db,
    abs_floor_db, min_level_db, hangover_s, min_speech_s, bridge_s
        See ``callscan.params.ActivityParams`` and the module docstring.
    exclude : ndarray, shape (n_frames,), bool, optional
        Frames that cannot be speech whatever their level (leak from the other
        channel, ``callscan.kernels.crosstalk``).
    half_db : ndarray, shape (2 * n_frames,), float32, optional
        Levels over the two halves of each frame's hop, dBFS; when given,
        region edges are refined with them (step 4b).

    Returns
    -------
    speech : ndarray, shape (n_frames,), bool
        True where the channel's party speaks.
    floor : ndarray, shape (n_frames,), float32
        The noise floor, dBFS.
    level : float
        The channel's speech level, dBFS (NaN when nothing stands out).
    """
    energy_db = np.ascontiguousarray(energy_db, dtype=np.float32)
    if energy_db.ndim != 1:
        raise ValueError(f"speech_activity takes one channel (1-D), got shape {energy_db.shape}")
    n = energy_db.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.float32), np.nan
    frames = lambda s: int(round(s / hop_s))  # noqa: E731
    e = np.empty(n, dtype=np.float32)
    _clip_below(energy_db, np.float32(abs_floor_db), e)
    smooth = np.empty(n, dtype=np.float32)
    _running_median5(e, smooth)
    floor = noise_floor_db(
        smooth, max(1, frames(floor_window_s)), max(1, frames(floor_step_s)), floor_quantile, abs_floor_db, floor_bias_db
    )
    if exclude is not None:
        e[exclude] = np.float32(abs_floor_db)
    loud = e[e > floor + onset_db]
    lower = float(min_level_db)
    level = np.nan
    if loud.size:
        level = float(np.percentile(loud, 95))
        lower = max(lower, level - speech_range_db)
    on_thr = np.maximum(floor + np.float32(onset_db), np.float32(lower))
    off_thr = np.maximum(floor + np.float32(offset_db), np.float32(lower - (onset_db - offset_db)))
    speech = np.empty(n, dtype=np.bool_)
    _hysteresis(e, on_thr, off_thr, speech)
    if half_db is not None:
        _refine_edges(np.ascontiguousarray(half_db, dtype=np.float32), off_thr, speech)
    _extend_ends(speech, frames(hangover_s))
    _bridge_gaps(speech, frames(bridge_s))
    _drop_short(speech, frames(min_speech_s))
    return speech, floor, level
