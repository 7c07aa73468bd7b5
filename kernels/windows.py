"""Percentiles of frame values over many windows at once.

``window_percentiles`` gives, for each window ``[starts[w], ends[w])`` of frames, the
percentiles ``qs`` (0-100) of the values whose ``valid`` flag is set, interpolated linearly
between order statistics exactly as ``numpy.percentile`` does by default: for ``m`` values
sorted ascending, percentile ``q`` lies at position ``q / 100 * (m - 1)``. A window without
valid values gives NaN. Used for the per-stretch medians and ranges of the agitation cues,
where many overlapping windows (quarters, mirroring windows) would otherwise cost a NumPy
call each.
"""

import math

import numpy as np

from callscan.kernels._jit import kernel


@kernel
def _kth_smallest(a, lo, hi, k):
    """The ``k``-th smallest (0-based) of ``a[:m]``, when ``a[lo:hi]`` holds it.

    ``a[lo:hi]`` must hold the ``lo``-th to the ``hi - 1``-th smallest values (nothing
    before ``lo`` larger, nothing from ``hi`` on smaller). Quickselect (Hoare partition,
    median-of-three pivot) reorders ``a[lo:hi]`` so that ``a[k]`` holds the value, nothing
    before ``k`` is larger and nothing after ``k`` is smaller.

    Returns
    -------
    value : float
    bound : int
        The ``k + 1``-th smallest is the least of ``a[k + 1:bound + 1]``: ``bound`` is the
        last end of the search past ``k + 1`` (``a[k + 1:bound]`` then holds the
        ``k + 1``-th to the ``bound - 1``-th smallest), or ``hi`` when that is ``k + 1``.
    """
    bound = hi
    while hi - lo > 1:
        x = a[lo]
        y = a[(lo + hi - 1) // 2]
        z = a[hi - 1]
        pivot = max(min(x, y), min(max(x, y), z))
        i = lo
        j = hi - 1
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                t = a[i]
                a[i] = a[j]
                a[j] = t
                i += 1
                j -= 1
        # now a[lo:j + 1] <= pivot, a[j + 1:i] == pivot, a[i:hi] >= pivot
        if k <= j:
            hi = j + 1
            if hi > k + 1:
                bound = hi
        elif k >= i:
            lo = i
        else:
            break
    return a[k], bound


@kernel
def _window_percentiles(values, starts, ends, qs, out):
    """Percentiles ``qs`` of ``values[starts[w]:ends[w]]`` for each window ``w`` (see
    :func:`window_percentiles`, which drops the values that take no part beforehand).

    The two order statistics around each percentile's position come from a quickselect
    and the smallest value above it; they are the values a sort would give, and they are
    combined as ``numpy.percentile`` (in Numba) does: with ``m`` values, percentile ``q``
    sits at 1-based rank ``r = 1 + (m - 1) q / 100``, between the ``floor(r)``-th value
    ``lower`` and the next one ``upper``, and
    ``lower * (1 - (r - floor(r))) + upper * (r - floor(r))``. Each selection leaves the
    values partitioned about the position it fixed, so the next percentile of the window
    only searches between the fixed positions around its own. Windows holding a NaN or an
    infinity, and percentiles outside [0, 100], are left to ``numpy.percentile`` itself.
    """
    most = 0  # the most values in one window: the buffer holds no more
    for w in range(starts.shape[0]):
        most = max(most, ends[w] - starts[w])
    buf = np.empty(max(most, 1), dtype=np.float64)
    nq = qs.shape[0]
    fixed = np.empty(nq, dtype=np.int64)  # positions already in their sorted place
    plain = True
    for k in range(nq):
        if not (qs[k] >= 0.0 and qs[k] <= 100.0):
            plain = False
    for w in range(starts.shape[0]):
        m = ends[w] - starts[w]
        finite = True
        for i in range(m):
            v = values[starts[w] + i]
            buf[i] = v
            finite &= np.isfinite(v)
        if m == 0:
            for k in range(nq):
                out[w, k] = np.nan
            continue
        if not (finite and plain):
            res = np.percentile(buf[:m], qs)
            for k in range(nq):
                out[w, k] = res[k]
            continue
        if m == 1:
            for k in range(nq):
                out[w, k] = buf[0]
            continue
        n_fixed = 0
        for k in range(nq):
            q = qs[k]
            if q == 100.0:
                val = -np.inf
                for i in range(m):
                    val = max(val, buf[i])
            elif q == 0.0:
                val = np.inf
                for i in range(m):
                    val = min(val, buf[i])
            else:
                rank = 1 + (m - 1) * np.true_divide(q, 100.0)
                f = math.floor(rank)
                frac = rank - f
                j = int(f - 1)
                lo = 0  # search between the fixed positions around j
                hi = m
                for t in range(n_fixed):
                    p = fixed[t]
                    if p <= j:
                        lo = max(lo, p)
                    else:
                        hi = min(hi, p)
                lower, bound = _kth_smallest(buf, lo, hi, j)
                fixed[n_fixed] = j
                n_fixed += 1
                upper = np.inf  # the next value up
                for i in range(j + 1, min(bound + 1, m)):
                    upper = min(upper, buf[i])
                val = lower * (1 - frac) + upper * frac
            out[w, k] = val


def window_percentiles(values, valid, starts, ends, qs):
    """Percentiles of the valid values in each window.

    Parameters
    ----------
    values : ndarray, shape (n,), float (float32 is read as float64, without a copy)
    valid : ndarray, shape (n,), bool
        Values that take part (must be finite where set).
    starts, ends : array_like of int, shape (n_windows,)
        Half-open frame windows, clipped to ``[0, n]``.
    qs : sequence of float
        Percentiles, 0-100.

    Returns
    -------
    ndarray, shape (n_windows, len(qs)), float64
    """
    values = np.asarray(values)
    # float32 tracks are read as they are (each value widens exactly), without a copy
    values = np.ascontiguousarray(values, dtype=values.dtype if values.dtype == np.float32 else np.float64)
    valid = np.ascontiguousarray(valid, dtype=np.bool_)
    if values.ndim != 1 or valid.shape != values.shape:
        raise ValueError(f"values and valid must be 1-D and of one shape; got {values.shape}, {valid.shape}")
    n = values.shape[0]
    starts = np.minimum(np.maximum(np.asarray(starts, dtype=np.int64), 0), n)
    ends = np.minimum(np.maximum(np.asarray(ends, dtype=np.int64), 0), n)
    ends = np.maximum(ends, starts)
    qs = np.asarray(qs, dtype=np.float64)
    # only the valid values, each window moved onto them
    at = np.flatnonzero(valid)
    out = np.empty((starts.shape[0], qs.shape[0]))
    _window_percentiles(values[valid], np.searchsorted(at, starts), np.searchsorted(at, ends), qs, out)
    return out
