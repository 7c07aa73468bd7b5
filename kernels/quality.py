"""Sample-level checks of a recording: digital silence and clipping.

Digital silence
    A run of samples that are exactly zero. Line noise, however faint, is never
    exactly zero for long, so such a run means the signal was cut: a mute, a
    redaction, a recorder gap, or silence suppression.
Clipping
    A run of at least ``min_run`` consecutive samples whose magnitude is at least
    ``level``: the waveform has a flat top at the ceiling of the converter or
    codec. A clean signal touches its own peak in single samples.
"""

import numpy as np

from kernels._jit import kernel


@kernel
def _zero_runs(x, min_len, starts, ends):
    n = x.shape[0]
    k = 0
    i = 0
    while i < n:
        if x[i] != 0.0:
            i += 1
            continue
        j = i
        while j < n and x[j] == 0.0:
            j += 1
        if j - i >= min_len:
            if k < starts.shape[0]:
                starts[k] = i
                ends[k] = j
            k += 1
        i = j
    return k


@kernel
def _clipped_count(x, level, min_run):
    n = x.shape[0]
    count = 0
    i = 0
    while i < n:
        if abs(x[i]) < level:
            i += 1
            continue
        j = i
        while j < n and abs(x[j]) >= level:
            j += 1
        if j - i >= min_run:
            count += j - i
        i = j
    return count


def zero_runs(x, min_len):
    """Runs of exact zeros at least ``min_len`` samples long.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
    min_len : int
        Shortest run, samples (at least 1).

    Returns
    -------
    starts, ends : ndarray, shape (n_runs,), int64
        Run ``k`` covers samples ``starts[k] <= i < ends[k]``.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    min_len = max(int(min_len), 1)
    cap = x.shape[0] // min_len + 1
    starts = np.empty(cap, dtype=np.int64)
    ends = np.empty(cap, dtype=np.int64)
    k = _zero_runs(x, min_len, starts, ends)
    return starts[:k].copy(), ends[:k].copy()


def clipped_count(x, level, min_run):
    """Number of samples in runs of at least ``min_run`` samples with ``|x| >= level``."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    return int(_clipped_count(x, np.float32(level), max(int(min_run), 1)))
