"""Per-frame spectral features in the telephone band: band power, alpha ratio, Hammarberg index.

Spectra
-------
Frame ``i``'s window of ``win`` samples (Hann) is centred on the middle of its hop, as
everywhere on the frame grid (:mod:`callscan.kernels.framing`); samples outside the signal are
zeros. Its power spectrum ``P[k] = |FFT_nfft(w x)[k]|^2`` has bins ``k = 0 .. nfft/2`` at
``k * sample_rate / nfft`` Hz, with ``nfft`` the power of two at or above ``win``. Only the
frames asked for (a channel's speech) are transformed. A band ``[lo, hi)`` in Hz holds the
bins whose frequency ``f`` satisfies ``lo <= f < hi``.

Features (one value per analysed frame)
---------------------------------------
band power
    ``sum P[k]`` over the band ``nuclei_band_hz`` (300-3400 Hz, the telephone pass band):
    the intensity contour whose peaks are syllable nuclei (:mod:`callscan.kernels.nuclei`).
    Linear power, arbitrary but fixed scale.
alpha ratio, dB
    ``10 log10(sum P over [split, high) / sum P over [low, split))``: energy above 1 kHz
    against energy below it. eGeMAPS (Eyben et al. 2016) sums 50-1000 Hz against
    1-5 kHz; a telephone channel passes neither below 300 Hz nor above 3.4 kHz, so the
    bands here are 300-1000 Hz and 1000-3400 Hz. Stronger vocal effort flattens the
    glottal source spectrum and raises the ratio (towards 0 dB from about -10 dB).
Hammarberg index, dB
    ``10 log10(max P over [low, split) / max P over [split, high))``: the strongest
    component below 2 kHz against the strongest between 2 kHz and the band edge
    (Hammarberg et al. 1980: 0-2 kHz against 2-5 kHz; here 300-2000 Hz against
    2000-3400 Hz). Stronger effort lowers it.

An empty band (zero power) gives a ratio of NaN.

References
----------
F. Eyben et al., "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for voice research
and affective computing", *IEEE Trans. Affective Computing* 7(2), 2016, pp. 190-202.

B. Hammarberg, B. Fritzell, J. Gauffin, J. Sundberg, L. Wedin, "Perceptual and acoustic
correlates of abnormal voice qualities", *Acta Oto-Laryngologica* 90, 1980, pp. 441-451.
"""

import math

import numpy as np
import scipy.fft

from callscan.kernels._jit import kernel
from callscan.kernels.framing import n_frames


@kernel
def _gather_frames(x, hop, frames, window, out):
    """Windowed samples of the listed frames, zero beyond the signal; ``out`` is (n, nfft)."""
    n = x.shape[0]
    win = window.shape[0]
    for r in range(frames.shape[0]):
        start = frames[r] * hop + hop // 2 - win // 2
        row = out[r]
        if 0 <= start and start + win <= n:  # inside the signal: a loop that vectorises
            seg = x[start:start + win]
            for j in range(win):
                row[j] = seg[j] * window[j]
        else:
            for j in range(win):
                t = start + j
                row[j] = x[t] * window[j] if 0 <= t < n else 0.0
        for j in range(win, row.shape[0]):
            row[j] = 0.0


@kernel
def _power(spec, out):
    """``|spec|^2`` of a complex spectrum, row by row."""
    for r in range(spec.shape[0]):
        for k in range(spec.shape[1]):
            v = spec[r, k]
            out[r, k] = v.real * v.real + v.imag * v.imag


@kernel
def _band_features(spec, rows, band_lo, band_hi, a_lo, a_split, a_hi, h_lo, h_split, h_hi,
                   band_out, alpha_out, hamm_out):
    """Band power, alpha ratio (dB) and Hammarberg index (dB) of rows ``rows`` of complex
    spectra; out entry ``t`` is row ``rows[t]``.

    Bin ranges are half-open ``[lo, hi)``.
    """
    n_bins = spec.shape[1]
    power = np.empty((1, n_bins), dtype=np.float32)
    for t in range(rows.shape[0]):
        r = rows[t]
        _power(spec[r:r + 1], power)
        power_r = power[0]
        acc = 0.0
        for k in range(band_lo, band_hi):
            acc += power_r[k]
        band_out[t] = acc
        low = 0.0
        for k in range(a_lo, a_split):
            low += power_r[k]
        high = 0.0
        for k in range(a_split, a_hi):
            high += power_r[k]
        if low > 0.0 and high > 0.0:
            alpha_out[t] = 10.0 * np.log10(high / low)
        else:
            alpha_out[t] = np.nan
        peak_low = 0.0
        for k in range(h_lo, h_split):
            if power_r[k] > peak_low:
                peak_low = power_r[k]
        peak_high = 0.0
        for k in range(h_split, h_hi):
            if power_r[k] > peak_high:
                peak_high = power_r[k]
        if peak_low > 0.0 and peak_high > 0.0:
            hamm_out[t] = 10.0 * np.log10(peak_low / peak_high)
        else:
            hamm_out[t] = np.nan


def fft_size(win):
    """The power of two at or above ``win`` samples."""
    return 1 << max(0, int(win - 1).bit_length())


def band_bins(band_hz, sample_rate, nfft):
    """Half-open bin range ``[lo, hi)`` of the bins whose frequency lies in ``[f_lo, f_hi)``."""
    f_lo, f_hi = band_hz
    lo = math.ceil(f_lo * nfft / sample_rate - 1e-9)
    hi = math.ceil(f_hi * nfft / sample_rate - 1e-9)
    return max(0, lo), min(nfft // 2 + 1, max(hi, lo))


def spectral_features(x, sample_rate, hop, gate, *, win_s=0.032, nuclei_band_hz=(300.0, 3400.0),
                      alpha_bands_hz=(300.0, 1000.0, 3400.0),
                      hammarberg_bands_hz=(300.0, 2000.0, 3400.0)):
    """Band power, alpha ratio and Hammarberg index per frame of one channel.

    Definitions are in the module docstring.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        One channel, full scale ±1.
    sample_rate : float
        Hz.
    hop : int
        Frame hop, samples.
    gate : array_like of bool, shape (n_frames,)
        Frames to analyse (``n_frames = ceil(n_samples / hop)``); the others get 0 power
        and NaN ratios.
    win_s : float
        Hann window length, s (32 ms: 31 Hz bins at 8 kHz).
    nuclei_band_hz : (float, float)
        Band of the band power, Hz.
    alpha_bands_hz : (float, float, float)
        Low edge, split and high edge of the alpha ratio, Hz.
    hammarberg_bands_hz : (float, float, float)
        Low edge, split and high edge of the Hammarberg index, Hz.

    Returns
    -------
    band_power : ndarray, shape (n_frames,), float32
        Linear power in ``nuclei_band_hz``.
    alpha_db : ndarray, shape (n_frames,), float32
    hammarberg_db : ndarray, shape (n_frames,), float32

    Raises
    ------
    ValueError
        For a signal that is not one channel, a gate of the wrong length or bands that do
        not fit under the Nyquist frequency.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"spectral_features takes one channel (1-D), got shape {x.shape}")
    n = n_frames(x.shape[0], hop)
    gate = np.ascontiguousarray(gate, dtype=np.bool_)
    if gate.shape != (n,):
        raise ValueError(f"gate must have shape ({n},) for {x.shape[0]} samples at hop {hop}, got {gate.shape}")
    nyquist = sample_rate / 2.0
    for name, edges in (("nuclei_band_hz", nuclei_band_hz), ("alpha_bands_hz", alpha_bands_hz),
                        ("hammarberg_bands_hz", hammarberg_bands_hz)):
        if list(edges) != sorted(edges) or edges[0] < 0 or edges[-1] > nyquist:
            raise ValueError(f"{name} must rise and fit in 0..{nyquist:g} Hz, got {edges}")
    win = max(2, int(round(win_s * sample_rate)))
    band_power = np.zeros(n, dtype=np.float32)
    alpha = np.full(n, np.nan, dtype=np.float32)
    hamm = np.full(n, np.nan, dtype=np.float32)
    frames = np.flatnonzero(gate)
    if frames.size == 0:
        return band_power, alpha, hamm
    spec = frame_spectra(x, hop, frames, hann(win), fft_size(win))
    bp, al, hm = band_features(spec, sample_rate, nuclei_band_hz, alpha_bands_hz, hammarberg_bands_hz)
    band_power[frames] = bp
    alpha[frames] = al
    hamm[frames] = hm
    return band_power, alpha, hamm


def hann(win):
    """The Hann window of every spectrum here (``numpy.hanning``, float32)."""
    return np.hanning(win).astype(np.float32)


def frame_spectra(x, hop, frames, window, nfft):
    """Complex spectra of the listed frames (module docstring).

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float32
        One channel.
    hop : int
        Hop, samples.
    frames : ndarray of int64, shape (n_sel,)
        Frame indices.
    window : ndarray, shape (win,), float32
        Analysis window (:func:`hann`).
    nfft : int
        FFT length, at least ``win``.

    Returns
    -------
    ndarray, shape (n_sel, nfft // 2 + 1), complex64
    """
    buf = np.empty((frames.shape[0], nfft), dtype=np.float32)
    _gather_frames(np.ascontiguousarray(x, dtype=np.float32), hop, np.ascontiguousarray(frames, dtype=np.int64),
                   window, buf)
    return scipy.fft.rfft(buf, axis=1, workers=1, overwrite_x=True)


def band_features(spec, sample_rate, nuclei_band_hz=(300.0, 3400.0), alpha_bands_hz=(300.0, 1000.0, 3400.0),
                  hammarberg_bands_hz=(300.0, 2000.0, 3400.0), rows=None):
    """Band power, alpha ratio (dB) and Hammarberg index (dB) of rows of complex spectra.

    Parameters
    ----------
    spec : ndarray, shape (n_rows, nfft // 2 + 1), complex
        From :func:`frame_spectra`.
    sample_rate : float
        Hz.
    nuclei_band_hz, alpha_bands_hz, hammarberg_bands_hz
        As in :func:`spectral_features`.
    rows : ndarray of int64, optional
        The rows wanted, in this order (default: all).

    Returns
    -------
    band_power, alpha_db, hammarberg_db : ndarray, shape (n_rows,), float32
    """
    rows = np.arange(spec.shape[0], dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    nfft = 2 * (spec.shape[1] - 1)
    b_lo, b_hi = band_bins(nuclei_band_hz, sample_rate, nfft)
    a_lo, a_split = band_bins(alpha_bands_hz[:2], sample_rate, nfft)
    a_hi = band_bins(alpha_bands_hz[1:], sample_rate, nfft)[1]
    h_lo, h_split = band_bins(hammarberg_bands_hz[:2], sample_rate, nfft)
    h_hi = band_bins(hammarberg_bands_hz[1:], sample_rate, nfft)[1]
    bp = np.empty(rows.shape[0], dtype=np.float32)
    al = np.empty(rows.shape[0], dtype=np.float32)
    hm = np.empty(rows.shape[0], dtype=np.float32)
    _band_features(spec, rows, b_lo, b_hi, a_lo, a_split, a_hi, h_lo, h_split, h_hi, bp, al, hm)
    return bp, al, hm
