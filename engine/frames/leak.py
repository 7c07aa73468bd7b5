"""Crosstalk and echo in stereo calls, a block at a time (``callscan.kernels.crosstalk``).

When one channel carries the other's signal (an echo path, or a microphone picking up the
other talker), per direction:

1. the leak and its bulk delay are found on frame levels (``leak_lag``: the source's level
   envelope slid over 0 to ``max_delay_s`` against the destination's);
2. a filter from the source to the leaking channel is fitted by least squares on the frames
   where the leak is all there is (``leak_filter``'s normal equations, summed block by
   block), at the lags around that delay where it explains most (``leak_window``: the
   delay to the sample);
3. the frame levels of the leaking channel are taken again on the residual (the channel
   minus the filtered source) when the filter takes out at least ``min_erle_db``;
4. speech activity of the leaking channel is decided on those levels, with the frames the
   delayed source's leak explains left out: a frame is the channel's own talker only where
   it stands above what the leak predicts.

The source's samples from before a block (up to the delay plus the filter's length) are
carried from block to block (:class:`Past`), so the blocks' context does not grow with the
delay.
"""

from dataclasses import dataclass

import numpy as np

from callscan.audio.blocks import block_frames
from callscan.kernels.activity import speech_activity
from callscan.kernels.crosstalk import (
    lagged_products,
    leak_correlation,
    leak_explained,
    leak_lag,
    leak_residual,
    leak_window,
)
from callscan.kernels.energy import frame_levels
from callscan.params import as_kwargs


@dataclass(frozen=True)
class LeakPath:
    """The leak of one channel's signal into the other.

    Attributes
    ----------
    level_db : float
        Level of the leak under the source's own level (the destination's leak-only frames
        less the source's frames, 25th percentile), dB; negative.
    delay_s : float
        Bulk delay from the source to the destination, s: the lag of the fitted path's
        largest tap, or the frame lag when no filter was fitted.
    """

    level_db: float
    delay_s: float


class Past:
    """One channel's samples with the ``need`` samples before each block, carried across blocks.

    Blocks come in order and overlap or abut (``callscan.audio.blocks``): what a block needs
    from before its first sample was in the previous block's span or the ``need`` before it.
    """

    def __init__(self, need):
        self.need = need
        self.start = 0  # absolute index of self.kept[0]
        self.kept = np.zeros(0)

    def extend(self, s0, x):
        """``x`` (samples ``s0 ..``) with the ``need`` samples before it, zeros before the
        call: float64, shape (need + len(x),)."""
        lo = s0 - self.need
        out = np.zeros(self.need + x.shape[0])
        out[self.need :] = x
        c0, c1 = max(lo, self.start), min(s0, self.start + self.kept.shape[0])
        if c1 > c0:
            out[c0 - lo : c1 - lo] = self.kept[c0 - self.start : c1 - self.start]
        self.start, self.kept = lo, out
        return out


def delayed(e, lag_frames, fill):
    """``e[t - lag]`` on the frame grid (``fill`` before the call)."""
    if lag_frames == 0:
        return e
    out = np.full_like(e, fill)
    out[lag_frames:] = e[:-lag_frames]
    return out


def arriving(e, delay, hop):
    """The source's frame level as it arrives ``delay`` samples later: the louder of the two
    frames the delay falls between (so the leak's onset is never under-predicted)."""
    lo = delay // hop
    e_lo = delayed(e, lo, -np.inf)
    return e_lo if delay % hop == 0 else np.maximum(e_lo, delayed(e, lo + 1, -np.inf))


def fit_pass(source, a, b, fit, hop, lo, span, taps, context):
    """The normal equations of the leak filter from ``b`` into ``a`` at the lags
    ``lo .. lo + span - 1``, summed over the ``fit`` frames.

    Returns
    -------
    r : ndarray, shape (span,)
        ``sum_n w[n] a[n] b[n - lo - k]``.
    acf : ndarray, shape (taps,)
        Autocorrelation of ``w[n] b[n - lo]`` (the Toeplitz approximation of the source's
        covariance on the fitting samples).
    p_a : float
        Power of ``a`` on the fitting samples (summed).
    count : int
        Fitting samples.
    """
    n = source.n_samples
    r, acf = np.zeros(span), np.zeros(taps)
    p_a, count = 0.0, 0
    past = Past(lo + span - 1)
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        base = b0 * hop
        ext = past.extend(base, x[b])  # ext[j] is b[base - need + j]
        s, e = f0 * hop - base, min(f1 * hop, n) - base
        w = np.repeat(fit[f0:f1], hop)[: e - s].astype(np.float64)
        if not w.any():
            continue
        # the weights of the taps - 1 samples before the block's own ones
        lo_frame = max(0, (f0 * hop - taps + 1) // hop)
        w_before = np.repeat(fit[lo_frame:f0], hop)[-(taps - 1) :] if f0 > 0 else np.zeros(0)
        w_ext = np.concatenate((np.zeros(taps - 1 - w_before.shape[0]), w_before, w))
        aw = x[a, s:e].astype(np.float64) * w
        r += lagged_products(aw, ext[s : e + span - 1], span)
        # b[n - lo] for n from the block's own start less taps - 1
        bw_ext = ext[s + span - taps : e + span - 1] * w_ext
        acf += lagged_products(bw_ext[taps - 1 :], bw_ext, taps)
        p_a += float(np.sum(aw * aw))
        count += int(np.count_nonzero(w))
    return r, acf, p_a, count


def residual_pass(source, a, b, h, delay, fit, hop, win, context):
    """Frame and half-hop levels of channel ``a`` less ``b`` filtered by ``h`` after ``delay``
    samples, and the residual's power on the ``fit`` frames.

    Returns
    -------
    energy : ndarray, shape (n_frames,), float32
    half : ndarray, shape (2 * n_frames,), float32
    p_r : float
    """
    n = source.n_samples
    nf = -(-n // hop)
    energy = np.empty(nf, dtype=np.float32)
    half = np.empty(2 * nf, dtype=np.float32)
    p_r = 0.0
    past = Past(delay + h.shape[0] - 1)
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        resid = leak_residual(x[a], past.extend(b0 * hop, x[b]), h, delay)
        residual = resid.astype(np.float32)
        energy[f0:f1], half[2 * f0 : 2 * f1] = frame_levels(residual, hop, win, f0 - b0, f1 - b0)
        s, e = (f0 - b0) * hop, min(f1 * hop, n) - b0 * hop
        rw = resid[s:e] * np.repeat(fit[f0:f1], hop)[: e - s]
        p_r += float(np.sum(rw * rw))
    return energy, half, p_r


def leak_activity(source, energy, half, loud, speech, floor, params, hop, win, context):
    """Find and take out crosstalk and echo between the two channels of a stereo call.

    Parameters
    ----------
    source : callscan.audio.blocks.MemorySource or FileSource
    energy, floor : ndarray, shape (2, n_frames)
        Frame levels and noise floors, dBFS.
    half : list of ndarray, shape (2 * n_frames,)
        Half-hop levels per channel, dBFS.
    loud : list of float
        Per channel, the loud-speech level of ``speech_activity``, dBFS.
    speech : ndarray, shape (2, n_frames), bool
        Speech activity; a leaking channel's row is decided again, in place.
    params : callscan.params.Params
    hop, win, context : int
        Hop, energy window (samples) and block context (frames).

    Returns
    -------
    list of (LeakPath or None)
        Per channel, the leak of the other channel into it (None: no leak).
    """
    xp = params.crosstalk
    sr = source.sample_rate
    hop_s = hop / sr
    kw = dict(min_rise_db=xp.min_rise_db, min_frames=xp.min_frames)
    loud_ch = [speech[c] & (energy[c] > loud[c] - xp.loud_db) for c in (0, 1)]
    found = [None, None]
    for a, b in ((0, 1), (1, 0)):
        found[a] = leak_lag(energy[a], floor[a], energy[b], loud_ch[b], min_corr=xp.min_corr,
                            min_gain=xp.min_corr_gain, edge_corr=xp.edge_corr, edge_db=xp.edge_db, max_lag=int(round(xp.max_delay_s / hop_s)), **kw)
    act = as_kwargs(params.activity)
    taps = max(2, int(round(xp.path_s * sr)))
    search = int(round(xp.search_s * sr))
    paths = [None, None]
    for a, b in ((0, 1), (1, 0)):
        if found[a] is None:
            continue
        lag, coupling = found[a]
        level_db = coupling
        e_a, half_a = energy[a], half[a]
        e_b = delayed(energy[b], lag, -np.inf)
        explained = leak_explained(e_a, e_b, coupling, xp.margin_db)
        fit = delayed(loud_ch[b], lag, False) & explained & (e_a > floor[a] + xp.min_rise_db)
        delay = lag * hop
        lo = max(0, delay - search)
        span = delay + search + taps - lo
        r, acf, p_a, count = fit_pass(source, a, b, fit, hop, lo, span, taps, context)
        if count >= 4 * taps:
            start, h = leak_window(r, acf, taps, max(1, int(round(0.001 * sr))))
            start += lo
            delay = start + int(np.argmax(np.abs(h)))
            if delay // hop != lag:  # the leak's level at the refined delay
                lag = delay // hop
                at = leak_correlation(energy[a], floor[a], energy[b], loud_ch[b], lag, **kw)
                coupling = level_db = at[1] if at is not None else coupling
            e_b = arriving(energy[b], delay, hop)
            e_r, half_r, p_r = residual_pass(source, a, b, h, start, fit, hop, win, context)
            erle = 10 * np.log10(p_a / p_r) if p_r > 0 and p_a > 0 else 0.0
            if erle >= xp.min_erle_db:
                e_a, half_a = e_r, half_r
                coupling -= erle
        exclude = leak_explained(e_a, e_b, coupling, xp.margin_db)
        speech[a] = speech_activity(e_a, hop_s, exclude=exclude, half_db=half_a, **act)[0]
        paths[a] = LeakPath(level_db=float(level_db), delay_s=delay / sr)
    return paths
