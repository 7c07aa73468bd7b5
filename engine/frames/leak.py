"""Crosstalk in stereo calls, a block at a time (``callscan.kernels.crosstalk``).

When one channel carries the other's signal (an echo path, or a microphone picking up the
other talker), the leak is measured on frame levels (``leak_coupling_db``), a filter from
the source channel to the leaking one is fitted by least squares on the frames where the
leak is all there is (``leak_filter``'s normal equations, summed block by block), and the
frame levels of the leaking channel are taken again on the residual (the channel minus the
filtered source) when the filter takes out at least ``min_erle_db``. Speech activity of the
leaking channel is then decided on those levels, with the frames the leak explains left out.
"""


import numpy as np

from callscan.audio.blocks import block_frames
from callscan.kernels.activity import speech_activity
from callscan.kernels.crosstalk import lagged_products, leak_coupling_db, leak_explained, leak_residual, leak_solve
from callscan.kernels.energy import frame_levels
from callscan.params import as_kwargs


def _extended(x, start, stop, before):
    """``x[start - before : stop]`` with zeros where the index is negative, float64."""
    lo = start - before
    out = np.zeros(stop - lo)
    out[max(0, -lo) :] = x[max(lo, 0) : stop]
    return out


def fit_pass(source, a, b, fit, hop, taps, context, ridge=1e-3):
    """The leak filter from channel ``b`` into ``a`` fitted on the ``fit`` frames.

    Returns
    -------
    h : ndarray, shape (taps,), or None
        None when there are fewer than ``4 * taps`` fitting samples (``leak_filter``).
    p_a : float
        Power of ``a`` on the fitting samples (summed).
    """
    n = source.n_samples
    if np.count_nonzero(fit) * hop < 4 * taps:
        return None, 0.0
    r = np.zeros(taps)
    acf = np.zeros(taps)
    p_a = 0.0
    weights = 0
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        base = b0 * hop
        s, e = f0 * hop - base, min(f1 * hop, n) - base
        w = np.repeat(fit[f0:f1], hop)[: e - s].astype(np.float64)
        if not w.any():
            continue
        # the weights of the taps - 1 samples before the block's own ones
        lo_frame = max(0, (f0 * hop - taps + 1) // hop)
        w_before = np.repeat(fit[lo_frame:f0], hop)[-(taps - 1) :] if f0 > 0 else np.zeros(0)
        w_ext = np.concatenate((np.zeros(taps - 1 - w_before.shape[0]), w_before, w))
        aw = x[a, s:e].astype(np.float64) * w
        b_ext = _extended(x[b], s, e, taps - 1)
        r += lagged_products(aw, b_ext, taps)
        bw_ext = b_ext * w_ext
        acf += lagged_products(bw_ext[taps - 1 :], bw_ext, taps)
        p_a += float(np.sum(aw * aw))
        weights += int(np.count_nonzero(w))
    if weights < 4 * taps:
        return None, 0.0
    return leak_solve(r, acf, ridge), p_a


def residual_pass(source, a, b, h, fit, hop, win, context):
    """Frame and half-hop levels of channel ``a`` less the filtered ``b``, and the residual's
    power on the ``fit`` frames.

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
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        resid = leak_residual(x[a], x[b], h)
        residual = resid.astype(np.float32)
        energy[f0:f1], half[2 * f0 : 2 * f1] = frame_levels(residual, hop, win, f0 - b0, f1 - b0)
        s, e = (f0 - b0) * hop, min(f1 * hop, n) - b0 * hop
        rw = resid[s:e] * np.repeat(fit[f0:f1], hop)[: e - s]
        p_r += float(np.sum(rw * rw))
    return energy, half, p_r


def leak_activity(source, energy, half, loud, speech, floor, params, hop, win, context):
    """Find and take out crosstalk between the two channels of a stereo call.

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
    list of (float or None)
        Per channel, the coupling of the other channel into it, dB (None: no leak).
    """
    xp = params.crosstalk
    hop_s = hop / source.sample_rate
    leak = [None, None]
    for a, b in ((0, 1), (1, 0)):
        loud_b = speech[b] & (energy[b] > loud[b] - xp.loud_db)
        leak[a] = leak_coupling_db(
            energy[a], floor[a], energy[b], loud_b,
            min_rise_db=xp.min_rise_db, min_corr=xp.min_corr, min_frames=xp.min_frames,
        )
    act = as_kwargs(params.activity)
    taps = max(2, int(round(xp.max_delay_s * source.sample_rate)))
    for a, b in ((0, 1), (1, 0)):
        if leak[a] is None:
            continue
        e_a, half_a, coupling = energy[a], half[a], leak[a]
        explained = leak_explained(e_a, energy[b], coupling, xp.margin_db)
        fit = speech[b] & (energy[b] > loud[b] - xp.loud_db) & explained & (e_a > floor[a] + xp.min_rise_db)
        h, p_a = fit_pass(source, a, b, fit, hop, taps, context)
        if h is not None:
            e_r, half_r, p_r = residual_pass(source, a, b, h, fit, hop, win, context)
            erle = 10 * np.log10(p_a / p_r) if p_r > 0 and p_a > 0 else 0.0
            if erle >= xp.min_erle_db:
                e_a, half_a = e_r, half_r
                coupling -= erle
        exclude = leak_explained(e_a, energy[b], coupling, xp.margin_db)
        speech[a] = speech_activity(e_a, hop_s, exclude=exclude, half_db=half_a, **act)[0]
    return leak
