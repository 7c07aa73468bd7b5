"""High-pass filter: the signal above the band where speech has no energy.

Energy under about 100 Hz (rumble, handling, wind, air conditioning, mains) carries
no speech: the voice's lowest fundamentals sit near 70-100 Hz and the telephone band
starts at 300 Hz. A 4th-order Butterworth high-pass (two cascaded 2nd-order sections,
the bilinear transform with pre-warped cutoff; Butterworth Q values 0.5412 and 1.3066)
leaves the speech band untouched (-3 dB at the cutoff, > -0.1 dB an octave above) and
takes 24 dB an octave below it away. Each section is the direct form II transposed
recursion

    y[n] = b0 x[n] + s1[n-1],  s1[n] = b1 x[n] - a1 y[n] + s2[n-1],  s2[n] = b2 x[n] - a2 y[n]

(R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter coefficients").
The filter starts at rest; its response to a step has died to under 1e-4 of the step
within 40 ms at a 100 Hz cutoff, so a block with that much context ahead of its own
frames filters them as the whole signal would, to that precision.
"""

import functools
import math

import numpy as np

from callscan.kernels._jit import kernel

BUTTERWORTH_Q4 = (0.5411961001461969, 1.3065629648763766)
"""Q of the two sections of a 4th-order Butterworth filter: 1 / (2 cos(pi/8)), 1 / (2 cos(3 pi/8))."""


@functools.lru_cache(maxsize=64)
def butterworth_sections(sample_rate, cutoff_hz, kind="highpass"):
    """Coefficients ``(b0, b1, b2, a1, a2)`` of the two sections of the 4th-order Butterworth
    ``kind`` (``"highpass"`` or ``"lowpass"``), shape (2, 5), float64 (a0 = 1). The array is
    shared between calls with the same arguments: read it, never write it."""
    if not 0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"{kind} cutoff must lie between 0 and {sample_rate / 2:g} Hz, got {cutoff_hz}")
    w0 = 2 * math.pi * cutoff_hz / sample_rate
    c = math.cos(w0)
    edge = (1 + c) / 2 if kind == "highpass" else (1 - c) / 2  # b0 = b2; b1 = -2 b0 (high), 2 b0 (low)
    sign = -1.0 if kind == "highpass" else 1.0
    out = np.empty((2, 5))
    for k, q in enumerate(BUTTERWORTH_Q4):
        alpha = math.sin(w0) / (2 * q)
        a0 = 1 + alpha
        out[k] = (edge / a0, sign * 2 * edge / a0, edge / a0, -2 * c / a0, (1 - alpha) / a0)
    return out


def highpass_sections(sample_rate, cutoff_hz):
    """The two sections of the 4th-order Butterworth high-pass, shape (2, 5) (a0 = 1)."""
    return butterworth_sections(sample_rate, cutoff_hz, "highpass")


@kernel
def _biquads(x, coef, out):
    """The two sections in one pass over the samples of every channel (rows of ``x``): each
    sample goes through the first section, then the second; float64 states, float32 samples
    in and out. The channels' recursions are independent, so the processor overlaps them."""
    b0, b1, b2, a1, a2 = coef[0, 0], coef[0, 1], coef[0, 2], coef[0, 3], coef[0, 4]
    c0, c1, c2, d1, d2 = coef[1, 0], coef[1, 1], coef[1, 2], coef[1, 3], coef[1, 4]
    nch = x.shape[0]
    s1 = np.zeros(nch)
    s2 = np.zeros(nch)
    t1 = np.zeros(nch)
    t2 = np.zeros(nch)
    for i in range(x.shape[1]):
        for c in range(nch):
            v = np.float64(x[c, i])
            y = b0 * v + s1[c]
            s1[c] = b1 * v - a1 * y + s2[c]
            s2[c] = b2 * v - a2 * y
            z = c0 * y + t1[c]
            t1[c] = c1 * y - d1 * z + t2[c]
            t2[c] = c2 * y - d2 * z
            out[c, i] = np.float32(z)


def highpass(x, sample_rate, cutoff_hz):
    """``x`` high-passed at ``cutoff_hz`` (module docstring), each channel on its own.

    Parameters
    ----------
    x : ndarray, shape (n,) or (channels, n), float32
        One channel, or channels first.
    sample_rate : int
        Hz.
    cutoff_hz : float
        -3 dB point, Hz.

    Returns
    -------
    ndarray, the shape of ``x``, float32
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (1, 2):
        raise ValueError(f"highpass takes one channel (1-D) or channels first (2-D), got shape {x.shape}")
    rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    out = np.empty(rows.shape, dtype=np.float32)
    _biquads(rows, highpass_sections(sample_rate, cutoff_hz), out)
    return out.reshape(x.shape)


def bandpass(x, sample_rate, low_hz, high_hz):
    """``x`` through the 4th-order Butterworth high-pass at ``low_hz`` and low-pass at
    ``high_hz`` (-3 dB at each edge, 24 dB an octave outside), each channel from rest.

    Parameters
    ----------
    x : ndarray, shape (channels, n)
    sample_rate : int
        Hz.
    low_hz, high_hz : float
        Band edges, Hz.

    Returns
    -------
    ndarray, shape (channels, n), float32
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    high = np.empty_like(x)
    _biquads(x, highpass_sections(sample_rate, low_hz), high)
    out = np.empty_like(x)
    _biquads(high, butterworth_sections(sample_rate, high_hz, "lowpass"), out)
    return out
