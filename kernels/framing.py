"""The frame grid, defined once.

Frame ``i`` stands for the interval ``[i * hop, (i + 1) * hop)`` seconds. Its
analysis window (25 ms for energy, longer for pitch) is centred on the middle of
that interval, ``(i + 0.5) * hop``; samples outside the signal count as zeros.
A run of frames ``[a, b)`` is the time span ``[a * hop, b * hop)`` seconds.
"""

import math


def hop_samples(sample_rate, hop_s):
    """Hop length in samples (int) for a hop in seconds."""
    hop = int(round(sample_rate * hop_s))
    if hop < 1:
        raise ValueError(f"hop of {hop_s} s is under one sample at {sample_rate} Hz")
    return hop


def win_samples(sample_rate, win_s):
    """Window length in samples (int, at least 1) for a window in seconds."""
    return max(1, int(round(sample_rate * win_s)))


def n_frames(n_samples, hop):
    """Number of frames covering ``n_samples`` samples: ``ceil(n_samples / hop)``."""
    return (int(n_samples) + hop - 1) // hop


def frame_start_s(i, hop_s):
    """Start of frame ``i`` in seconds."""
    return i * hop_s


def frame_centre_s(i, hop_s):
    """Centre of frame ``i`` in seconds (where its window is centred)."""
    return (i + 0.5) * hop_s


def frame_of_time(t_s, hop_s):
    """Index of the frame containing time ``t_s`` (seconds)."""
    return int(math.floor(t_s / hop_s + 1e-9))


def window_first_sample(i, hop, win):
    """First sample (may be negative) of frame ``i``'s window of ``win`` samples.

    The window is centred on ``i * hop + hop / 2``.
    """
    return i * hop + hop // 2 - win // 2
