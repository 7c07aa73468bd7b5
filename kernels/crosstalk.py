"""Leak between the two channels of a call: crosstalk and line echo.

A channel can carry an attenuated, slightly delayed copy of the other (a
headset picking up the other party from a speaker, four-wire hybrid echo, two
microphones in one room). Left alone, that copy looks like speech and turns
every turn of the other party into overlap.

Definition
----------
For a source channel ``b`` and a destination ``a`` (levels ``e_a``, ``e_b`` in
dB on the frame grid):

1. Take the frames where ``b`` is loud: its speech, within ``loud_db`` of its
   speech level. In a conversation the other party mostly listens then, so
   ``a`` carries only its own noise or the leak.
   Keep those where ``a`` stands at least ``min_rise_db`` above its own noise
   floor: line noise and silence do not.
2. A leak is a constant coupling, so over those frames ``e_a`` follows ``e_b``
   syllable by syllable. Where both talkers leak into both channels the
   differences ``d = e_a - e_b`` mix two clusters: the leak of ``b``'s talker
   (low ``d``) and ``a``'s own talker heard loudly in ``b`` (high ``d``). So the
   lower half of ``d`` is taken: a leak when ``e_a`` and ``e_b`` correlate there
   (Pearson r at least ``min_corr``), with coupling ``g`` the 25th percentile of
   ``d``. Independent speech or noise on ``a`` does not follow ``b``'s syllables.
3. Where a leak is found, a causal FIR filter (``leak_filter``, least squares on
   the frames of step 1 that the leak explains) models the path from ``b`` to
   ``a``; when it takes at least ``min_erle_db`` out of those frames, the
   filtered ``b`` is subtracted from ``a`` (``leak_residual``) and the speech of
   ``a`` is found on what remains. The party's own speech in overlap, which a
   level rule would drop whenever the other party is loud, survives that.
4. A frame of ``a`` (or of the residual, whose coupling is ``g`` less the
   cancellation) whose level is below ``e_b + g + margin_db`` is explained by
   the leak and cannot be speech.

The frame windows (25 ms) absorb delays of a few milliseconds.
"""

import numpy as np

from callscan.kernels._jit import kernel


@kernel
def _explained(e_a, e_b, coupling_db, margin_db, out):
    for i in range(e_a.shape[0]):
        out[i] = e_a[i] < e_b[i] + coupling_db + margin_db


def leak_coupling_db(e_a, floor_a, e_b, loud_b, *, min_rise_db, min_corr, min_frames):
    """Coupling from channel ``b`` into channel ``a``, dB, or None when there is no leak.

    Parameters
    ----------
    e_a, floor_a : ndarray, shape (n_frames,), float32
        Level and noise floor of the destination channel, dBFS.
    e_b : ndarray, shape (n_frames,), float32
        Level of the source channel, dBFS.
    loud_b : ndarray, shape (n_frames,), bool
        Frames where the source speaks loudly.
    min_rise_db, min_corr : float
        See the module docstring.
    min_frames : int
        Fewer qualifying frames than this decide nothing.

    Returns
    -------
    float or None
    """
    sel = loud_b & np.isfinite(e_b) & (e_a > floor_a + min_rise_db)
    if np.count_nonzero(sel) < min_frames:
        return None
    d = (e_a[sel] - e_b[sel]).astype(np.float64)
    coupling, middle = np.percentile(d, [25, 50])
    low = d <= middle
    if np.count_nonzero(low) < 3:
        return None
    ea, eb = e_a[sel][low].astype(np.float64), e_b[sel][low].astype(np.float64)
    if ea.std() == 0 or eb.std() == 0:
        return None
    if np.corrcoef(ea, eb)[0, 1] < min_corr:
        return None
    return float(coupling)


def leak_explained(e_a, e_b, coupling_db, margin_db):
    """Frames of ``a`` explained by the leak from ``b``.

    Returns
    -------
    ndarray, shape (n_frames,), bool
    """
    e_a = np.ascontiguousarray(e_a, dtype=np.float32)
    e_b = np.ascontiguousarray(e_b, dtype=np.float32)
    out = np.empty(e_a.shape[0], dtype=np.bool_)
    _explained(e_a, e_b, np.float32(coupling_db), np.float32(margin_db), out)
    return out


def lagged_products(x, y_ext, taps):
    """``c[k] = sum_j x[j] y[j - k]`` for ``k < taps`` (FFT), where ``y_ext`` holds ``y``
    from ``taps - 1`` samples before ``x`` starts: the sums of a whole signal (``y_ext``
    padded with zeros) or of one block of it (``y_ext`` with the samples before the block).

    Parameters
    ----------
    x : ndarray, shape (m,), float64
    y_ext : ndarray, shape (m + taps - 1,), float64
    taps : int

    Returns
    -------
    ndarray, shape (taps,), float64
    """
    size = 1 << (y_ext.shape[0] + x.shape[0]).bit_length()
    c = np.fft.irfft(np.fft.rfft(y_ext, size) * np.conj(np.fft.rfft(x, size)), size)
    return c[taps - 1 :: -1][:taps]


def leak_filter(a, b, weight, taps, ridge=1e-3):
    """Least-squares FIR ``h`` (``taps`` long, causal) with ``a[n] ~ sum_k h[k] b[n - k]``.

    Fitted only on the samples where ``weight`` is 1 (where ``a`` carries the leak
    of ``b`` and nothing else): an echo path or a microphone picking up the
    other talker is, over a call, close to a fixed linear filter with a delay of
    a few milliseconds.

    Parameters
    ----------
    a, b : ndarray, shape (n_samples,)
        Destination and source channel.
    weight : ndarray, shape (n_samples,)
        1 on the fitting samples, 0 elsewhere.
    taps : int
        Filter length, samples (it must cover the delay).
    ridge : float
        Tikhonov term, relative to the source power on the fitting samples.

    Returns
    -------
    h : ndarray, shape (taps,), float64
    erle_db : float
        Echo return loss enhancement on the fitting samples: power of ``a``
        over power of ``a - h * b`` there, dB (0 when nothing was fitted).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if w.sum() < 4 * taps:
        return np.zeros(taps), 0.0
    bw, aw = b * w, a * w
    before = np.zeros(taps - 1)
    r = lagged_products(aw, np.concatenate((before, b)), taps)  # sum_n w a[n] b[n-k]
    # Toeplitz approximation of sum_n w b[n-j] b[n-k]
    acf = lagged_products(bw, np.concatenate((before, bw)), taps)
    h = leak_solve(r, acf, ridge)
    resid = leak_residual(a, b, h) * w
    p_a, p_r = float(np.sum(aw * aw)), float(np.sum(resid * resid))
    erle = 10 * np.log10(p_a / p_r) if p_r > 0 and p_a > 0 else 0.0
    return h, erle


def leak_solve(r, acf, ridge=1e-3):
    """The filter of :func:`leak_filter` from its correlations.

    Parameters
    ----------
    r : ndarray, shape (taps,)
        ``sum_n w[n] a[n] b[n - k]``.
    acf : ndarray, shape (taps,)
        ``sum_n w[n] b[n] w[n - k] b[n - k]`` (the Toeplitz approximation of the
        weighted source covariance).
    ridge : float
        Tikhonov term, relative to ``acf[0]``.

    Returns
    -------
    ndarray, shape (taps,), float64
    """
    taps = r.shape[0]
    R = acf[np.abs(np.subtract.outer(np.arange(taps), np.arange(taps)))]
    R[np.diag_indices(taps)] += ridge * acf[0] + 1e-20
    return np.linalg.solve(R, r)


def leak_residual(a, b, h):
    """``a - h * b``: the destination with the fitted leak taken out (same length)."""
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    size = 1 << (n + h.shape[0] - 1).bit_length()
    est = np.fft.irfft(np.fft.rfft(np.asarray(b, dtype=np.float64), size) * np.fft.rfft(h, size), size)[:n]
    return a - est
