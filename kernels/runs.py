"""Boolean frame masks and runs of frames.

A run is a half-open frame interval ``[start, end)``. These kernels turn masks
into runs, fill short gaps between runs and drop short runs, in the vocabulary of
segmentation post-processing (minimum duration on / off).
"""

import numpy as np

from callscan.kernels._jit import kernel


@kernel
def _count_runs(mask):
    count = 0
    prev = False
    for i in range(mask.shape[0]):
        if mask[i] and not prev:
            count += 1
        prev = mask[i]
    return count


@kernel
def _fill_runs(mask, starts, ends):
    k = 0
    prev = False
    for i in range(mask.shape[0]):
        if mask[i] and not prev:
            starts[k] = i
        if prev and not mask[i]:
            ends[k] = i
            k += 1
        prev = mask[i]
    if prev:
        ends[k] = mask.shape[0]


def mask_to_runs(mask):
    """Runs of True in a boolean mask.

    Parameters
    ----------
    mask : ndarray, shape (n,), bool

    Returns
    -------
    starts, ends : ndarray, shape (n_runs,), int64
        Run ``k`` covers frames ``starts[k] <= i < ends[k]``.
    """
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    n = _count_runs(mask)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    _fill_runs(mask, starts, ends)
    return starts, ends


@kernel
def _bridge_gaps(mask, max_gap):
    # Fill every False run strictly inside the mask that is shorter than max_gap.
    n = mask.shape[0]
    i = 0
    seen_true = False
    while i < n:
        if mask[i]:
            seen_true = True
            i += 1
            continue
        j = i
        while j < n and not mask[j]:
            j += 1
        if seen_true and j < n and (j - i) < max_gap:
            for k in range(i, j):
                mask[k] = True
        i = j


@kernel
def _drop_short(mask, min_len):
    # Clear every True run shorter than min_len.
    n = mask.shape[0]
    i = 0
    while i < n:
        if not mask[i]:
            i += 1
            continue
        j = i
        while j < n and mask[j]:
            j += 1
        if (j - i) < min_len:
            for k in range(i, j):
                mask[k] = False
        i = j


def bridge_gaps(mask, max_gap):
    """Fill gaps shorter than ``max_gap`` frames between two True runs.

    Parameters
    ----------
    mask : ndarray, shape (n,), bool
    max_gap : int
        Gaps of fewer frames than this are filled; leading and trailing gaps never.

    Returns
    -------
    ndarray, shape (n,), bool
        A new mask.
    """
    out = np.array(mask, dtype=np.bool_, copy=True)
    _bridge_gaps(out, int(max_gap))
    return out


def drop_short(mask, min_len):
    """Clear True runs shorter than ``min_len`` frames.

    Returns a new mask of the same shape.
    """
    out = np.array(mask, dtype=np.bool_, copy=True)
    _drop_short(out, int(min_len))
    return out


@kernel
def _extend_ends(mask, frames):
    # Extend each True run by `frames` frames after its end (hangover).
    n = mask.shape[0]
    remaining = 0
    for i in range(n):
        if mask[i]:
            remaining = frames
        elif remaining > 0:
            mask[i] = True
            remaining -= 1


def extend_ends(mask, frames):
    """Hangover: extend every True run by ``frames`` frames past its end.

    Returns a new mask of the same shape.
    """
    out = np.array(mask, dtype=np.bool_, copy=True)
    _extend_ends(out, int(frames))
    return out
