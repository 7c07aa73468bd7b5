"""Percentiles of frame values over many windows at once.

``window_percentiles`` gives, for each window ``[starts[w], ends[w])`` of frames, the
percentiles ``qs`` (0-100) of the values whose ``valid`` flag is set, interpolated linearly
between order statistics exactly as ``numpy.percentile`` does by default: for ``m`` values
sorted ascending, percentile ``q`` lies at position ``q / 100 * (m - 1)``. A window without
valid values gives NaN. Used for the per-stretch medians and ranges of the agitation cues,
where many overlapping windows (quarters, mirroring windows) would otherwise cost a NumPy
call each.
"""

import numpy as np

from kernels._jit import kernel


@kernel
def _window_percentiles(values, valid, starts, ends, qs, out):
    buf = np.empty(values.shape[0], dtype=np.float64)
    for w in range(starts.shape[0]):
        m = 0
        for i in range(starts[w], ends[w]):
            if valid[i]:
                buf[m] = values[i]
                m += 1
        if m == 0:
            for k in range(qs.shape[0]):
                out[w, k] = np.nan
            continue
        res = np.percentile(buf[:m], qs)
        for k in range(qs.shape[0]):
            out[w, k] = res[k]


def window_percentiles(values, valid, starts, ends, qs):
    """Percentiles of the valid values in each window.

    Parameters
    ----------
    values : ndarray, shape (n,), float
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
    values = np.ascontiguousarray(values, dtype=np.float64)
    valid = np.ascontiguousarray(valid, dtype=np.bool_)
    if values.ndim != 1 or valid.shape != values.shape:
        raise ValueError(f"values and valid must be 1-D and of one shape; got {values.shape}, {valid.shape}")
    n = values.shape[0]
    starts = np.clip(np.asarray(starts, dtype=np.int64), 0, n)
    ends = np.clip(np.asarray(ends, dtype=np.int64), 0, n)
    ends = np.maximum(ends, starts)
    qs = np.asarray(qs, dtype=np.float64)
    out = np.empty((starts.shape[0], qs.shape[0]))
    _window_percentiles(values, valid, starts, ends, qs, out)
    return out
