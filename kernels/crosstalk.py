"""Leak between the two channels of a call: crosstalk and line echo.

A channel can carry an attenuated, slightly delayed copy of the other (a
headset picking up the other party from a speaker, four-wire hybrid echo, two
microphones in one room). Left alone, that copy looks like speech and turns
every turn of the other party into overlap.

Definition
----------
For a source channel ``b`` and a destination ``a`` (levels ``e_a``, ``e_b`` in
dB on the frame grid), at a lag of ``k`` frames (``e_b`` read at ``t - k``):

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
   Where ``a``'s own talker fills more than half of those frames, the leak still
   bounds ``e_a`` from below: its lowest frames sit on ``e_b + g`` (``leak_lag``).
3. The bulk delay is the lag (0 to ``max_delay_s``) where that correlation peaks,
   as an echo canceller's delay estimator matches block energies (WebRTC AEC3);
   lag 0 is kept unless another lag beats it clearly, so a leak-free call does
   not trade today's decision for a chance peak.
4. Where a leak is found, a causal FIR filter (``leak_filter``, least squares on
   the frames of step 1 that the leak explains) models the path from ``b`` to
   ``a`` at the lags around that delay where it explains the most power
   (``leak_window``: the delay to the sample); when it takes at least
   ``min_erle_db`` out of those frames, the filtered ``b`` is subtracted from
   ``a`` (``leak_residual``) and the speech of ``a`` is found on what remains.
   The party's own speech in overlap, which a level rule would drop whenever the
   other party is loud, survives that.
5. A frame of ``a`` (or of the residual, whose coupling is ``g`` less the
   cancellation) whose level is below ``e_b`` at the delay ``+ g + margin_db``
   is explained by the leak and cannot be speech: a frame is ``a``'s own talker
   only where it stands above what the leak predicts.
"""

import numpy as np

from callscan.kernels._jit import kernel
from callscan.kernels.windows import _window_percentiles


@kernel
def _explained(e_a, e_b, coupling_db, margin_db, out):
    for i in range(e_a.shape[0]):
        out[i] = e_a[i] < e_b[i] + coupling_db + margin_db


@kernel
def _lag_stats(e_a, floor_a, e_b, loud_b, lag0, lag1, step, min_rise_db, min_frames, out):
    n = e_a.shape[0]
    above = np.empty(n, dtype=np.int64)  # destination frames above its floor: the same at every lag
    na = 0
    for t in range(n):
        if e_a[t] > floor_a[t] + min_rise_db:
            above[na] = t
            na += 1
    d = np.empty(na)
    xa = np.empty(na)
    starts = np.zeros(1, dtype=np.int64)
    ends = np.zeros(1, dtype=np.int64)
    qs = np.array([5.0, 25.0, 50.0])
    pct = np.empty((1, 3))
    xb = np.empty(na)
    for row in range(out.shape[0]):
        lag = lag0 + row * step
        out[row, 0] = np.nan
        out[row, 1] = np.nan
        out[row, 2] = np.nan
        m = 0
        for i in range(na):
            t = above[i]
            if t < lag:
                continue
            eb = np.float64(e_b[t - lag])
            if loud_b[t - lag] and np.isfinite(eb):
                ea = np.float64(e_a[t])
                xa[m] = ea
                xb[m] = eb
                d[m] = ea - eb
                m += 1
        if m < max(min_frames, 3):
            continue
        ends[0] = m
        _window_percentiles(d, starts, ends, qs, pct)
        bottom, coupling, middle = pct[0, 0], pct[0, 1], pct[0, 2]
        k = 0
        sa = 0.0
        sb = 0.0
        for i in range(m):
            if d[i] <= middle:
                k += 1
                sa += xa[i]
                sb += xb[i]
        if k < 3:
            continue
        ma = sa / k
        mb = sb / k
        saa = 0.0
        sbb = 0.0
        sab = 0.0
        for i in range(m):
            if d[i] <= middle:
                da = xa[i] - ma
                db = xb[i] - mb
                saa += da * da
                sbb += db * db
                sab += da * db
        if saa <= 0.0 or sbb <= 0.0:
            continue
        out[row, 0] = sab / np.sqrt(saa * sbb)
        out[row, 1] = coupling
        out[row, 2] = coupling - bottom


def leak_correlations(e_a, floor_a, e_b, loud_b, lags, *, min_rise_db, min_frames):
    """Steps 1 and 2 at each lag of ``lags``: the source's frame ``t - lag`` set against the
    destination's frame ``t``.

    Parameters
    ----------
    e_a, floor_a, e_b, loud_b : ndarray, shape (n_frames,)
        As in :func:`leak_coupling_db`.
    lags : range
        Frames by which the destination lags the source (>= 0, step >= 1).
    min_rise_db : float
    min_frames : int

    Returns
    -------
    ndarray, shape (len(lags), 3), float64
        Per lag: Pearson r of the lower half of ``d``, the coupling (25th percentile of
        ``d``, dB) and the sharpness of the leak's floor (25th less 5th percentile of ``d``,
        dB); NaN where fewer than ``min_frames`` frames qualify.
    """
    out = np.empty((len(lags), 3))
    _lag_stats(np.ascontiguousarray(e_a, dtype=np.float32), np.ascontiguousarray(floor_a, dtype=np.float32),
               np.ascontiguousarray(e_b, dtype=np.float32), np.ascontiguousarray(loud_b, dtype=np.bool_),
               lags.start, lags.stop, lags.step, float(min_rise_db), int(min_frames), out)
    return out


def leak_correlation(e_a, floor_a, e_b, loud_b, lag, *, min_rise_db, min_frames):
    """:func:`leak_correlations` at one lag: ``(r, coupling_db, edge_db)`` or None."""
    row = leak_correlations(e_a, floor_a, e_b, loud_b, range(lag, lag + 1), min_rise_db=min_rise_db,
                            min_frames=min_frames)[0]
    return None if np.isnan(row[0]) else tuple(float(v) for v in row)


def leak_coupling_db(e_a, floor_a, e_b, loud_b, *, min_rise_db, min_corr, min_frames):
    """Coupling from channel ``b`` into channel ``a`` at lag 0, dB, or None when there is no leak.

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
    found = leak_correlation(e_a, floor_a, e_b, loud_b, 0, min_rise_db=min_rise_db, min_frames=min_frames)
    if found is None or found[0] < min_corr:
        return None
    return found[1]


def leak_lag(e_a, floor_a, e_b, loud_b, *, max_lag, min_rise_db, min_corr, min_gain, min_frames,
             edge_corr, edge_db, step=1, report=False):
    """Bulk delay and coupling of the leak from ``b`` into ``a`` on the frame grid.

    Steps 1 and 2 at every lag from 0 to ``max_lag`` frames (the source's level envelope
    slid against the destination's). Lag 0 is taken when no other lag's correlation beats
    it by ``min_gain``; another lag only when it does: a leak-free call, whose best lag is
    chance, keeps the lag-0 decision. At the lag taken there is a leak when the correlation
    reaches ``min_corr``, or when it reaches ``edge_corr`` and the destination's lowest
    frames sit on a sharp floor that follows the source (25th less 5th percentile of ``d``
    at most ``edge_db``): the leak bounds the destination from below on every loud source
    frame, so where the destination's own talker fills more than half of those frames
    (double talk) the lower half of ``d`` is no longer leak alone, but its lowest quarter is.

    Parameters
    ----------
    e_a, floor_a, e_b, loud_b : ndarray, shape (n_frames,)
        As in :func:`leak_coupling_db`.
    max_lag : int
        Longest delay searched, frames.
    min_rise_db, min_corr, min_frames : see :func:`leak_coupling_db`.
    min_gain : float
        Correlation a lag other than 0 must gain over lag 0.
    edge_corr, edge_db : float
        The second test (see above).
    step : int
        Lags tried first, every ``step`` frames, before the ones next to the best of them:
        2 where frames overlap by half or more (the correlation then falls off over more
        than a frame each side of the delay).
    report : bool
        Also return the lag taken with its correlation and coupling, leak or not.

    Returns
    -------
    (int, float) or None
        Lag (frames) and coupling (dB), or None when no lag shows a leak.
    (int, float, float, float) or None
        With ``report``: the lag taken, its correlation, coupling and edge (None where too
        few frames qualify).
    """
    kw = dict(min_rise_db=min_rise_db, min_frames=min_frames)
    coarse = range(0, max_lag + 1, step)
    stats = dict(zip(coarse, leak_correlations(e_a, floor_a, e_b, loud_b, coarse, **kw)))
    r0 = stats[0][0] if not np.isnan(stats[0][0]) else -1.0

    def leading():
        ahead = [(row[0], lag) for lag, row in stats.items() if lag > 0 and row[0] >= r0 + min_gain]
        return max(ahead)[1] if ahead else 0

    lag = leading()
    if step > 1:  # the lags next to it
        near = range(max(lag - step + 1, 1), min(lag + step, max_lag + 1))
        stats.update(zip(near, leak_correlations(e_a, floor_a, e_b, loud_b, near, **kw)))
        lag = leading()
    r, coupling, edge = stats[lag]
    found = None
    if not np.isnan(r) and (r >= min_corr or (r >= edge_corr and edge <= edge_db)):
        found = lag, float(coupling)
    if report:
        return found, None if np.isnan(r) else (lag, float(r), float(coupling), float(edge))
    return found


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


@kernel
def _lag_covariance(s, taps, out):
    # out[u, v] = sum_{i < L} s[i + u] s[i + v], L = len(s) - taps + 1: the first row by sums,
    # then each diagonal by the update C(u, u + d) = C(u - 1, u - 1 + d) - s[u - 1] s[u - 1 + d]
    #                                               + s[u - 1 + L] s[u - 1 + L + d]
    n = s.shape[0] - taps + 1
    for d in range(taps):
        acc = 0.0
        for i in range(n):
            acc += s[i] * s[i + d]
        out[0, d] = acc
        out[d, 0] = acc
        for u in range(1, taps - d):
            acc += s[u - 1 + n] * s[u - 1 + n + d] - s[u - 1] * s[u - 1 + d]
            out[u, u + d] = acc
            out[u + d, u] = acc


def sliding_gram(src, taps):
    """``x.T @ x`` for the matrix of ``src``'s sliding windows ``x[i, j] = src[i + taps - 1 - j]``
    (``i < len(src) - taps + 1``): the normal matrix of a causal FIR of ``taps`` taps fitted on
    ``src`` by the covariance method, in O(taps^2) from lagged products.

    Parameters
    ----------
    src : ndarray, shape (m,), float64
        ``m >= taps``.
    taps : int

    Returns
    -------
    ndarray, shape (taps, taps), float64
    """
    out = np.empty((taps, taps))
    _lag_covariance(np.ascontiguousarray(src, dtype=np.float64), int(taps), out)
    return out[::-1, ::-1].copy()


@kernel
def _cholesky_solve(a, b, x):
    # a = L L^T (Cholesky-Banachiewicz, row by row), then L z = b and L^T x = z; a is
    # overwritten by L (lower triangle). False where a pivot is not positive.
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1):
            acc = a[i, j]
            for k in range(j):
                acc -= a[i, k] * a[j, k]
            if i == j:
                if not acc > 0.0:
                    return False
                a[i, i] = np.sqrt(acc)
            else:
                a[i, j] = acc / a[j, j]
    for i in range(n):
        acc = b[i]
        for k in range(i):
            acc -= a[i, k] * x[k]
        x[i] = acc / a[i, i]
    for i in range(n - 1, -1, -1):
        acc = x[i]
        for k in range(i + 1, n):
            acc -= a[k, i] * x[k]
        x[i] = acc / a[i, i]
    return True


def spd_solve(a, b):
    """``x`` with ``a x = b`` for a symmetric positive definite ``a``, by Cholesky
    factorisation (plain loops: no threaded BLAS for a matrix of a hundred rows, whose
    threads cost more than the arithmetic on a busy machine).

    Parameters
    ----------
    a : ndarray, shape (n, n), float64
    b : ndarray, shape (n,), float64

    Returns
    -------
    ndarray, shape (n,), float64

    Raises
    ------
    numpy.linalg.LinAlgError
        Where ``a`` is not positive definite.
    """
    x = np.empty(b.shape[0])
    if not _cholesky_solve(np.array(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64), x):
        raise np.linalg.LinAlgError("matrix is not positive definite")
    return x


def _chunk(taps):
    """Chunk length and FFT size of the sectioned sums: chunks of a few times ``taps``, so
    the transforms stay short (their cost grows with the chunk, not with the block)."""
    chunk = max(1024, 1 << (4 * taps - 1).bit_length())
    return chunk, 1 << (chunk + taps - 2).bit_length()


def lagged_products(x, y_ext, taps):
    """``c[k] = sum_j x[j] y[j - k]`` for ``k < taps``, where ``y_ext`` holds ``y``
    from ``taps - 1`` samples before ``x`` starts: the sums of a whole signal (``y_ext``
    padded with zeros) or of one block of it (``y_ext`` with the samples before the block).

    Summed over chunks of ``x`` (FFT per chunk, chunks where ``x`` is zero skipped).

    Parameters
    ----------
    x : ndarray, shape (m,), float64
    y_ext : ndarray, shape (m + taps - 1,), float64
    taps : int

    Returns
    -------
    ndarray, shape (taps,), float64
    """
    m = x.shape[0]
    chunk, size = _chunk(taps)
    n = -(-m // chunk)
    xs = np.zeros(n * chunk)
    xs[:m] = x
    xs = xs.reshape(n, chunk)
    keep = np.flatnonzero(xs.any(axis=1))
    if keep.size == 0:
        return np.zeros(taps)
    ys = np.zeros(n * chunk + taps - 1)
    ys[: y_ext.shape[0]] = y_ext
    ys = ys[keep[:, None] * chunk + np.arange(chunk + taps - 1)]
    import scipy.fft  # only where a leak is fitted (loaded by then: the dual-mono check uses it)

    spec = (scipy.fft.rfft(ys, size, axis=1) * np.conj(scipy.fft.rfft(xs[keep], size, axis=1))).sum(axis=0)
    c = scipy.fft.irfft(spec, size)  # c[i] = sum_j x[j] y_ext[j + i]
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
    r : ndarray, shape (taps,) or (taps, k)
        ``sum_n w[n] a[n] b[n - k]`` (``k`` columns: as many filters).
    acf : ndarray, shape (taps,)
        ``sum_n w[n] b[n] w[n - k] b[n - k]`` (the Toeplitz approximation of the
        weighted source covariance).
    ridge : float
        Tikhonov term, relative to ``acf[0]``.

    Returns
    -------
    ndarray, shape of ``r``, float64
    """
    col = acf.copy()
    col[0] += ridge * acf[0] + 1e-20
    import scipy.linalg  # only where a leak is fitted: it costs a clean call's start-up nothing

    return scipy.linalg.solve_toeplitz(col, r)


def leak_window(r, acf, taps, step, ridge=1e-3):
    """Where, among the lags of ``r``, a ``taps``-long filter explains the most of the destination.

    For each start ``s`` (every ``step`` samples) the filter ``h_s`` of :func:`leak_solve`
    on ``r[s : s + taps]`` takes ``h_s . r[s : s + taps]`` out of the destination's power
    on the fitting samples (the least-squares residual is the power less that); the start
    that takes out most is the path's. One factorisation serves every start: the source's
    covariance does not depend on it (Toeplitz approximation).

    Parameters
    ----------
    r : ndarray, shape (span,)
        ``sum_n w[n] a[n] b[n - lo - k]`` for ``k < span``.
    acf : ndarray, shape (taps,)
        As in :func:`leak_solve`.
    taps, step : int
        Filter length and spacing of the starts tried, samples.
    ridge : float

    Returns
    -------
    start : int
        Index into ``r`` of the filter's first tap.
    h : ndarray, shape (taps,), float64
    """
    starts = np.arange(0, r.shape[0] - taps + 1, max(1, step))
    rhs = np.stack([r[s : s + taps] for s in starts], axis=1)
    hs = leak_solve(rhs, acf, ridge)
    best = int(np.argmax(np.einsum("ij,ij->j", hs, rhs)))
    return int(starts[best]), hs[:, best].copy()


def leak_residual(a, b, h, delay=0):
    """``a[n] - sum_k h[k] b[n - delay - k]``: the destination with the fitted leak taken out.

    Parameters
    ----------
    a : ndarray, shape (m,)
    b : ndarray, shape (m + pre,)
        The source from ``pre`` samples before ``a`` starts (``pre = 0``: the same span;
        the source is taken as zero before it).
    h : ndarray, shape (taps,)
    delay : int
        Samples before the filter's first tap.

    Returns
    -------
    ndarray, shape (m,), float64
    """
    a = np.asarray(a, dtype=np.float64)
    return a - leak_through(b, h, delay, a.shape[0])


def leak_through(b, h, delay, m):
    """``sum_k h[k] b[n - delay - k]`` for the last ``m`` samples ``n`` of ``b``: the source as
    it arrives through the path (``b`` as in :func:`leak_residual`).

    Returns
    -------
    ndarray, shape (m,), float64
    """
    b = np.asarray(b, dtype=np.float64)
    taps = h.shape[0]
    # index in b of b[n - delay - k] for n = 0, k = taps - 1 (zeros outside b)
    first = b.shape[0] - m - delay - taps + 1
    src = np.zeros(m + taps - 1)
    lo, hi = max(first, 0), min(b.shape[0], first + src.shape[0])
    if hi > lo:
        src[lo - first : hi - first] = b[lo:hi]
    import scipy.signal  # only where a leak is taken out

    return scipy.signal.oaconvolve(src, h, mode="valid")
