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


class RunTracker:
    """Runs of matching samples over a signal that arrives a block at a time.

    ``zero_runs`` and ``clipped_count`` see a whole signal; a block cut may split a run.
    This keeps the open run at the end of each block, so the runs (and counts) over the
    blocks in order are those of the whole signal.

    Parameters
    ----------
    min_len : int
        Shortest run, samples.
    level : float, optional
        Clipping level: samples with ``|x| >= level`` match. Without it, exact zeros match.
    """

    def __init__(self, min_len, level=None):
        self.min_len = max(int(min_len), 1)
        self.level = None if level is None else np.float32(level)
        self.open_start = None  # start of the run still open at the end of the last block
        self.pos = 0  # samples seen
        self.starts, self.ends = [], []
        self.count = 0  # samples in runs of at least min_len

    def _close(self, start, end):
        if end - start >= self.min_len:
            self.starts.append(start)
            self.ends.append(end)
            self.count += end - start

    def add(self, x):
        """Feed the next samples, shape (m,), float32."""
        m = x.shape[0]
        if m == 0:
            return
        match = (x == 0) if self.level is None else (np.abs(x) >= self.level)
        other = np.flatnonzero(~match)
        if other.size == 0:
            if self.open_start is None:
                self.open_start = self.pos
            self.pos += m
            return
        lead, last = int(other[0]), int(other[-1])
        if self.open_start is not None or lead > 0:
            self._close(self.pos if self.open_start is None else self.open_start, self.pos + lead)
        inner = np.ascontiguousarray(x[lead : last + 1], dtype=np.float32)
        if self.level is None:
            starts, ends = zero_runs(inner, self.min_len)
            for a, b in zip(starts.tolist(), ends.tolist()):
                self._close(self.pos + lead + a, self.pos + lead + b)
        else:
            self.count += clipped_count(inner, self.level, self.min_len)
        self.open_start = self.pos + last + 1 if last + 1 < m else None
        self.pos += m

    def finish(self):
        """Close the run open at the end of the signal; returns ``self``."""
        if self.open_start is not None:
            self._close(self.open_start, self.pos)
            self.open_start = None
        return self
