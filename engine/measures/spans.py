"""Seconds from frame masks: the shared vocabulary of every measure.

A mask is a boolean array on the frame grid; a run of True frames ``[a, b)``
is the interval ``[a * hop_s, b * hop_s)`` seconds (``callscan.kernels.framing``).
"""

import numpy as np

from callscan.kernels.runs import mask_to_runs


def intervals_s(mask, hop_s):
    """Runs of a mask as an (n, 2) float array of [start_s, end_s)."""
    starts, ends = mask_to_runs(mask)
    return np.stack([starts * hop_s, ends * hop_s], axis=1) if starts.size else np.zeros((0, 2))


def span_frames(*masks):
    """First and last-plus-one frame where any mask is True, or None when none is."""
    union = np.logical_or.reduce(masks)
    idx = np.flatnonzero(union)
    if idx.size == 0:
        return None
    return int(idx[0]), int(idx[-1]) + 1


def seconds(n_frames, hop_s):
    """Frame count to seconds, rounded to the microsecond."""
    return round(float(n_frames) * hop_s, 6)
