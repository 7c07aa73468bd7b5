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

from callscan.kernels._jit import kernel

_STRETCH = 64
"""Samples checked at once when skipping over a run of zeros or a stretch without clipping
(a fixed-length loop without early exit, which vectorises)."""


@kernel
def _zeros_from(x, j):
    """First index ``>= j`` of a non-zero sample of ``x`` (``x.shape[0]`` if none)."""
    n = x.shape[0]
    while j + _STRETCH <= n:
        seg = x[j : j + _STRETCH]
        live = 0
        for t in range(_STRETCH):
            live += seg[t] != 0.0
        if live:
            break
        j += _STRETCH
    while j < n and x[j] == 0.0:
        j += 1
    return j


@kernel
def _zeros_back_from(x, i):
    """Smallest ``i' <= i`` with ``x[i' : i]`` all zeros."""
    while i >= _STRETCH:
        seg = x[i - _STRETCH : i]
        live = 0
        for t in range(_STRETCH):
            live += seg[t] != 0.0
        if live:
            break
        i -= _STRETCH
    while i > 0 and x[i - 1] == 0.0:
        i -= 1
    return i


@kernel
def _zero_runs(x, min_len, starts, ends):
    # A run of at least min_len samples holds a multiple of min_len: only those samples are
    # probed, and a run is followed out from the probe that lands in it.
    n = x.shape[0]
    k = 0
    p = 0
    while p < n:
        if x[p] != 0.0:
            p += min_len
            continue
        i = _zeros_back_from(x, p)
        j = _zeros_from(x, p + 1)
        if j - i >= min_len:
            if k < starts.shape[0]:
                starts[k] = i
                ends[k] = j
            k += 1
        p = -(-j // min_len) * min_len
    return k


@kernel
def _clipped_count(x, level, min_run):
    # As _zero_runs: probe every min_run-th sample, follow a run out from a probe in it.
    # Stretches of _STRETCH samples none of which reaches the level are skipped whole (no
    # run can touch them).
    n = x.shape[0]
    count = 0
    p = 0
    while p < n:
        stop = min(p + _STRETCH, n)
        if stop - p == _STRETCH:
            seg = x[p:stop]
            hits = 0
            for t in range(_STRETCH):
                hits += abs(seg[t]) >= level
            if hits == 0:
                p = -(-stop // min_run) * min_run
                continue
        while p < stop:  # probe the stretch
            if abs(x[p]) < level:
                p += min_run
                continue
            i = p
            while i > 0 and abs(x[i - 1]) >= level:
                i -= 1
            j = p + 1
            while j < n and abs(x[j]) >= level:
                j += 1
            if j - i >= min_run:
                count += j - i
            p = -(-j // min_run) * min_run
    return count


@kernel
def _outer_others(x, level):
    """First and last index of a sample that does not match (-1, -1 when all match).

    A sample matches when ``|x| >= level`` (``level >= 0``) or when it is exactly zero
    (``level < 0``).
    """
    n = x.shape[0]
    first = -1
    for i in range(n):
        if (abs(x[i]) < level) if level >= 0 else (x[i] != 0.0):
            first = i
            break
    if first < 0:
        return -1, -1
    last = first
    for i in range(n - 1, first, -1):
        if (abs(x[i]) < level) if level >= 0 else (x[i] != 0.0):
            last = i
            break
    return first, last


@kernel
def _channel_stats(x):
    """Peak magnitude, number and float64 sum of the non-zero samples of ``x`` (n,), float32.

    The peak is returned as the bit pattern of a float32: the magnitudes of floats order as
    their bit patterns without the sign bit do, and an integer maximum vectorises (a float
    one does not under the project's fast-math set, which keeps NaN semantics). A NaN, which
    the decoder's checks reject anyway, reads as the largest. The loop has no branches
    (zeros add nothing to the sum), so it vectorises.
    """
    bits = x.view(np.int32)
    top = 0
    k = 0
    acc = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        top = max(top, bits[i] & 0x7FFFFFFF)
        k += v != 0.0
        acc += np.float64(v)
    return top, k, acc


@kernel
def _max_abs_diff(a, b):
    """Largest ``|a[i] - b[i]|``, as the bit pattern of a float32 (see :func:`_channel_stats`)."""
    chunk = np.empty(256, dtype=np.float32)  # differences of 256 samples at a time
    bits = chunk.view(np.int32)
    top = 0
    n = a.shape[0]
    for i0 in range(0, n, 256):
        m = min(256, n - i0)
        sa = a[i0 : i0 + m]
        sb = b[i0 : i0 + m]
        for t in range(m):
            chunk[t] = abs(sa[t] - sb[t])
        for t in range(m):
            top = max(top, bits[t])
    return top


def _float32_of_bits(bits):
    """The float32 whose bit pattern is ``bits`` (a non-negative int below 2**31)."""
    return np.int32(bits).view(np.float32)


def block_stats(x, lo, hi, peak, count, total):
    """Peak magnitude, number and float64 sum of the non-zero samples ``lo .. hi - 1`` of each
    channel of a block.

    Parameters
    ----------
    x : ndarray, shape (channels, n), float32
    lo, hi : int
        Samples to take.
    peak : ndarray, shape (channels,), float32
    count : ndarray, shape (channels,), int64
    total : ndarray, shape (channels,), float64
        Running figures, updated in place: the block's peak, number and sum are added in.

    Returns
    -------
    numpy.float32
        The largest ``|x[0] - x[1]|`` over those samples (0 for one channel or none).
    """
    hi = max(hi, lo)
    for c in range(x.shape[0]):
        top, k, acc = _channel_stats(np.ascontiguousarray(x[c, lo:hi], dtype=np.float32))
        peak[c] = max(peak[c], _float32_of_bits(top))
        count[c] += k
        total[c] += acc
    if x.shape[0] != 2:
        return np.float32(0.0)
    a = np.ascontiguousarray(x[0, lo:hi], dtype=np.float32)
    b = np.ascontiguousarray(x[1, lo:hi], dtype=np.float32)
    return _float32_of_bits(_max_abs_diff(a, b))


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
        x = np.ascontiguousarray(x, dtype=np.float32)
        lead, last = _outer_others(x, np.float32(-1.0 if self.level is None else self.level))
        if lead < 0:  # every sample matches
            if self.open_start is None:
                self.open_start = self.pos
            self.pos += m
            return
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
