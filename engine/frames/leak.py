"""Crosstalk and echo in stereo calls, a block at a time (``callscan.kernels.crosstalk``).

When one channel carries the other's signal (an echo path, or a microphone picking up the
other talker), per direction:

1. the leak and its bulk delay are found on frame levels (``leak_lag``: the source's level
   envelope slid over 0 to ``max_delay_s`` against the destination's); where both ways leak
   loudly, a direction not found is looked for again on the source frames the reverse leak
   does not explain (they hold the destination's own talker come back); where none is found
   on the frames well above the destination's floor, a faint one is looked for closer to it
   and kept only if step 3 confirms it;
2. a filter from the source to the leaking channel is fitted by least squares on the frames
   where the leak is all there is (the source's own talker, not the reverse leak, and the
   destination explained by the leak: a Geigel-style double-talk rule), with
   ``leak_filter``'s normal equations summed block by block, at the lags around that delay
   where it explains most (``leak_window``: the delay to the sample); then again on those of
   the frames the first filter explains (``refit_pass``: a double-talk detector on the
   cancellation, which leaves out the destination's own quiet speech under a loud leak).
   Where both directions leak, each channel's own talker goes round the loop through both
   paths (:class:`Loop`): crosstalk carries the other talker only, an echo path the other
   channel as recorded; how much of the round trip the cancelling took out is measured and
   put back (``residual_pass``);
3. the frame levels of the leaking channel are taken again on the residual (the channel
   minus the filtered source) when the filter takes out at least ``min_erle_db``;
4. speech activity of the leaking channel is decided on those levels, with the frames the
   delayed source's leak explains left out: a frame is the channel's own talker only where
   it stands above what the leak predicts (and, both ways, above the talker's own echo
   round the loop as far as the two filters miss it).

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
    leak_solve,
    leak_through,
    leak_window,
)
from callscan.kernels.energy import frame_levels, hop_sums
from callscan.kernels.highpass import highpass
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


class Loop:
    """A channel's own talker around the loop of a two-way leak, a block at a time.

    For the destination ``a``, with ``own = (h_ab, start)`` the leak of ``b`` into it and
    ``reverse = (h_ba, start)`` the leak of ``a`` into ``b``:

    * ``u = a - h_ab * b``: ``a`` with ``b`` (as recorded) cancelled;
    * ``w = h_ba * u``: ``a``'s talker as it leaks into ``b``;
    * ``v = h_ab * w``: and as it comes back into ``a``, through both paths.

    Whether ``u`` still holds that round trip depends on what leaks into ``a``: an echo
    path (a handset's or a hybrid's echo returned through the network) carries the
    other channel as recorded, with ``a``'s own echo in it, and ``u`` is ``a``'s talker
    alone; crosstalk (a microphone or the recorder picking up the other talker) carries
    ``b``'s talker only, and cancelling with ``b`` as recorded takes ``a``'s round trip out
    with it: ``u`` holds ``-v`` (see :func:`loop_gain`), and ``-g v``, ``-g^2 v``... in turn
    (``g``: both paths), ``terms`` of which :meth:`step` adds up.
    """

    def __init__(self, own, reverse, terms=1, middle=True):
        self.own, self.reverse, self.middle = own, reverse, middle
        reach_own = own[1] + own[0].shape[0] - 1
        self.raw = Past(reach_own)
        if middle:  # through each path in turn: w on the way
            self.trips = [(Past(reverse[1] + reverse[0].shape[0] - 1), Past(reach_own)) for _ in range(max(1, terms))]
        else:  # both paths as one filter
            self.both = (np.convolve(own[0], reverse[0]), own[1] + reverse[1])
            self.trips = [Past(self.both[1] + self.both[0].shape[0] - 1) for _ in range(max(1, terms))]

    def step(self, base, xa, xb):
        """``(u, w, v, V)`` over a block (samples from ``base``), float64: ``V`` the round
        trips ``v + g v + g^2 v ..`` (``g`` both paths), ``terms`` of them; ``w`` None unless
        ``middle``."""
        m = xa.shape[0]
        u = leak_residual(xa, self.raw.extend(base, xb), *self.own)
        x, w0, v, total = u, None, None, None
        for trip in self.trips:
            if self.middle:
                into, back = trip
                w = leak_through(into.extend(base, x), *self.reverse, m)
                x = leak_through(back.extend(base, w), *self.own, m)
            else:
                w, x = None, leak_through(trip.extend(base, x), *self.both, m)
            if v is None:
                w0, v, total = w, x, x.copy()
            else:
                total += x
        return u, w0, v, total


def loop_terms(level_sum_db, round_trip_db, most=4):
    """How many round trips to put back: the first left out, ``terms + 1`` times round the
    loop of gain ``level_sum_db`` (the two leak levels added, dB), falls under
    ``round_trip_db`` (at most ``most``)."""
    if level_sum_db >= 0:
        return most
    return int(max(1, min(most, np.floor(round_trip_db / level_sum_db))))


def loop_sums(u, v, hop, floor_db, loop_db):
    """``(sum u v, sum v v, hops)`` over the hops where ``v``'s power stands at least
    ``loop_db`` above the destination's noise floor ``floor_db`` (dBFS, per hop): where the
    round trip is clear of the noise. Chosen on ``v`` alone: a choice on ``u`` (say, where it
    is not much louder than ``v``) would keep the hops where the own talker happens to
    follow ``v`` and pull the share down."""
    k = min(u.shape[0] // hop, floor_db.shape[0])
    if k == 0:
        return 0.0, 0.0, 0
    uu = u[: k * hop].reshape(-1, hop)
    vv = v[: k * hop].reshape(-1, hop)
    pv, puv = (vv * vv).sum(axis=1), (uu * vv).sum(axis=1)
    sel = pv >= hop * 10 ** ((floor_db[:k].astype(np.float64) + loop_db) / 10)
    return float(puv[sel].sum()), float(pv[sel].sum()), int(np.count_nonzero(sel))


def loop_gain(suv, svv, hops, min_hops):
    """The share of the round trip ``v`` that cancelling ``b`` as recorded took out of ``a``.

    Over the hops of :func:`loop_sums`, the least-squares ``u ~ -k v`` (the own talker in
    ``u``, which does not follow its own round trip, is noise to it): about 1 where ``b``'s
    talker alone leaks into ``a`` (crosstalk: ``u`` holds ``-v``), about 0 where ``b`` as
    recorded does (an echo path: ``u`` is ``a``'s talker alone, which does not follow its own
    echo of a round trip earlier); clipped to [0, 1]. 1 on fewer than ``min_hops`` hops: the
    round trip then stands nowhere clear of the own talker and the noise, either because
    it is faint (and what is put back hardly matters) or because it comes back within the
    talker's own syllables, a few ms late, which only crosstalk does (a microphone or a
    recorder's bleed; an echo returned through a network is tens of ms late or more).
    """
    if hops < min_hops or svv <= 0:
        return 1.0
    return float(min(1.0, max(0.0, -suv / svv)))


def leak_erle_db(e_a, e_r, fit):
    """What the cancelling took out of the leak: the 25th percentile over the fitting frames
    of the channel's level less the residual's, dB (0 without fitting frames).

    Frame by frame, not a power ratio over all of them: a fitting frame that also holds
    some of the channel's own quiet speech keeps its level, and a few of them do not hide
    how far the leak itself went down; the lower quartile, not the median, so that the
    frames where the cancelling did less (a leak's quiet tails, a drifting gain) are still
    predicted to be leak.
    """
    d = (e_a[fit] - e_r[fit]).astype(np.float64)
    d = d[np.isfinite(d)]
    return float(np.percentile(d, 25)) if d.size else 0.0


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
    count : int
        Fitting samples.
    """
    n = source.n_samples
    eq = Normal(lo, span, taps)
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        base = b0 * hop
        eq.add(base, x[a], x[b], fit, f0, f1, hop, n)
    return eq.r, eq.acf, eq.count


class Normal:
    """The normal equations of a leak filter at the lags ``lo .. lo + span - 1``, summed
    block by block (:func:`fit_pass`)."""

    def __init__(self, lo, span, taps):
        self.lo, self.span, self.taps = lo, span, taps
        self.r, self.acf, self.count = np.zeros(span), np.zeros(taps), 0
        self.past = Past(lo + span - 1)

    def add(self, base, xa, src, fit, f0, f1, hop, n):
        """Add the block's own frames ``f0 .. f1`` (samples from ``base``) where ``fit`` holds."""
        span, taps = self.span, self.taps
        ext = self.past.extend(base, src)  # ext[j] is b[base - need + j]
        s, e = f0 * hop - base, min(f1 * hop, n) - base
        w = np.repeat(fit[f0:f1], hop)[: e - s].astype(np.float64)
        if not w.any():
            return
        # the weights of the taps - 1 samples before the block's own ones
        lo_frame = max(0, (f0 * hop - taps + 1) // hop)
        w_before = np.repeat(fit[lo_frame:f0], hop)[-(taps - 1) :] if f0 > 0 else np.zeros(0)
        w_ext = np.concatenate((np.zeros(taps - 1 - w_before.shape[0]), w_before, w))
        aw = xa[s:e].astype(np.float64) * w
        self.r += lagged_products(aw, ext[s : e + span - 1], span)
        # b[n - lo] for n from the block's own start less taps - 1
        bw_ext = ext[s + span - taps : e + span - 1] * w_ext
        self.acf += lagged_products(bw_ext[taps - 1 :], bw_ext, taps)
        self.count += int(np.count_nonzero(w))


def refit_pass(source, a, b, fit, hop, first, context, min_erle_db, reverse=None, floor=None, loop_db=0.0):
    """The leak filter from ``b`` into ``a`` fitted again at the first fit's lags, on the
    fitting frames the first fit explains.

    The fitting frames are chosen on levels (the source loud, the destination within
    ``margin_db`` of what the leak predicts: a Geigel-style rule), which lets through the
    destination's own quiet speech under a loud leak; its samples pull the fitted path off
    (a pure delay comes out smeared, 10-20 % low). The first filter tells them apart: on a
    frame of the leak alone, cancelling it leaves at least ``min_erle_db`` less power; where
    the destination's own talker speaks, the residual holds that talker and stays near the
    channel's level (a double-talk detector on the cancellation, as echo cancellers have).

    Parameters
    ----------
    first : (ndarray, int)
        The first fit: filter and the samples before its first tap.
    reverse : (ndarray, int), optional
        The first fit of the reverse leak (``a`` into ``b``): the normal equations are then
        summed for a second source too, ``b`` less ``a``'s talker's leak into it (``b - w``
        of :class:`Loop`; a source that still carries ``a``'s talker pulls the fitted path
        towards zero wherever that talker is loud, if only ``b``'s talker leaks into
        ``a``), and ``a``'s round trip is measured (:func:`loop_sums`, with ``a``'s noise
        floor ``floor`` (n_frames,), dBFS, and ``loop_db``).

    Returns
    -------
    keep : ndarray, shape (n_frames,), bool
        The fitting frames the first filter explains.
    eqs : list of (r, acf, count)
        The normal equations (as :func:`fit_pass` returns them at ``lo, span = start,
        taps``) for ``b``, and with ``reverse`` for ``b - w``.
    sums : tuple or None
        With ``reverse``: ``(sum u v, sum v v, hops)`` of :func:`loop_sums` over the call.
    """
    n = source.n_samples
    h, start = first
    taps = h.shape[0]
    keep = np.zeros_like(fit)
    eqs = [Normal(start, taps, taps) for _ in range(1 if reverse is None else 2)]
    raw = Past(start + taps - 1)
    trip, sums = (None, None) if reverse is None else (Loop(first, reverse), [0.0, 0.0, 0])
    explained = 10 ** (-min_erle_db / 10)
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        base = b0 * hop
        s, e = f0 * hop - base, min(f1 * hop, n) - base
        if trip is None:
            u = leak_residual(x[a], raw.extend(base, x[b]), h, start)
        else:
            u, w, v, _ = trip.step(base, x[a], x[b])
            for i, t in enumerate(loop_sums(u[s:e], v[s:e], hop, floor[f0:f1], loop_db)):
                sums[i] += t
        pa, pu = hop_sums(x[a, s:e], hop, f1 - f0), hop_sums(u[s:e], hop, f1 - f0)
        keep[f0:f1] = fit[f0:f1] & (pu <= pa * explained)
        eqs[0].add(base, x[a], x[b], keep, f0, f1, hop, n)
        if trip is not None:
            eqs[1].add(base, x[a], x[b] - w, keep, f0, f1, hop, n)
    return keep, [(q.r, q.acf, q.count) for q in eqs], None if sums is None else tuple(sums)


def residual_pass(source, filters, hop, win, context, highpass_hz=0.0, loop=None):
    """Frame and half-hop levels of each channel less the other channel's filtered leak.

    Where both directions leak, a channel's own talker goes round the loop (:class:`Loop`):
    cancelling ``a``'s leak with ``b`` as recorded leaves ``u = a - h_ab * b``, which lacks
    the share ``k`` of the round trip ``v`` that the leak did not carry (crosstalk:
    ``k = 1``; an echo path: ``k = 0``); the residual is ``u + k V``, ``V`` the round trips
    ``v + g v + ..`` (``loop``'s ``terms``), with ``k`` measured here, with the filters fitted
    last (:func:`loop_sums`, :func:`loop_gain`). Cancelling ``a`` with the raw ``b`` alone
    would, for crosstalk, put ``a``'s talker back in as a faint echo of itself (both paths
    down, twice the delay); with ``b`` less the raw ``a``'s leak, it would put ``b``'s talker
    back in, three paths down; with ``u + v``, ``a``'s talker four paths down (-24 dB at
    -6 dB each way: above the floor of a quiet line).

    The levels of ``u + k V`` are had without a second pass: the windowed power of a sum is
    ``P_u + 2 k C_uV + k^2 P_V``, the cross term ``C_uV`` from the power of ``u + V``.

    Parameters
    ----------
    filters : list of ((ndarray, int) or None)
        Per destination channel, the filter ``h`` from the other channel and the samples
        before its first tap.
    highpass_hz : float
        Levels of the signals above this, as the first pass takes them (0: no filter).
    loop : tuple, optional
        ``(floor, loop_db, min_hops, terms)``: where both channels have a filter, measure
        each one's round trip on the hops where it stands ``loop_db`` above the channel's
        noise floor (``floor``, shape (2, n_frames), dBFS), at least ``min_hops`` of them,
        and put back ``k`` times ``terms`` round trips (:meth:`Loop.step`; crosstalk leaves
        ``u = (1 - g) a_talker``, whose inverse is ``u + g u + g^2 u ..``).

    Returns
    -------
    out : list of (dict or None)
        Per channel with a filter, the power (mean square, as ``frame_levels`` takes it)
        per frame (n_frames,) and per half hop (2 n_frames,) of the channel (``"a"``), of
        the filtered leak (``"e"``) and of the residual (``"r"``), float64: what
        :func:`tracked_levels` needs to take the leak out with a gain of its own per frame;
        with ``loop``, also of the round trip put back (``"v"``, per frame).
    loops : list of float or None
        With ``loop``, per channel the share ``k`` of the round trip put back.
    """
    n = source.n_samples
    nf = -(-n // hop)
    chans = [a for a in (0, 1) if filters[a] is not None]
    trips = [None, None]
    if len(chans) == 2 and loop is not None:
        floor, loop_db, min_hops, terms = loop
        trips = [Loop(filters[a], filters[1 - a], terms, middle=False) for a in (0, 1)]
        sums = [[0.0, 0.0, 0], [0.0, 0.0, 0]]
    levels = [None, None]
    for a in chans:
        keys = "aer" if trips[a] is None else ("a", "e1", "u", "v", "uv", "e1v")
        levels[a] = {k: (np.empty(nf), np.empty(2 * nf)) for k in keys}
    need = max(start + h.shape[0] - 1 for h, start in (filters[a] for a in chans))
    raw = [Past(need), Past(need)]
    sr = source.sample_rate

    def hp(*sigs):
        # the signals as rows of one filter call: their recursions run side by side
        rows = np.stack(sigs).astype(np.float32)
        return list(highpass(rows, sr, highpass_hz) if highpass_hz > 0 else rows)

    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        base = b0 * hop
        s, e = f0 * hop - base, min(f1 * hop, n) - base
        for a in chans:
            if trips[a] is None:
                resid = leak_residual(x[a], raw[1 - a].extend(base, x[1 - a]), *filters[a])
                sa, se = hp(x[a], x[a] - resid)
                sigs = (("a", sa), ("e", se), ("r", sa - se))
            else:
                u, _, v, trips_back = trips[a].step(base, x[a], x[1 - a])
                for i, t in enumerate(loop_sums(u[s:e], v[s:e], hop, floor[a][f0:f1], loop_db)):
                    sums[a][i] += t
                sa, se1, sv = hp(x[a], x[a] - u, trips_back)
                su = sa - se1
                sigs = (("a", sa), ("e1", se1), ("u", su), ("v", sv), ("uv", su + sv), ("e1v", se1 + sv))
            for key, sig in sigs:
                energy, half = levels[a][key]
                lv, hf = frame_levels(sig.astype(np.float32), hop, win, f0 - b0, f1 - b0)
                energy[f0:f1], half[2 * f0 : 2 * f1] = 10 ** (lv / 10.0), 10 ** (hf / 10.0)
    out, loops = [None, None], None
    if trips[0] is not None:
        loops = [loop_gain(*sums[a], min_hops) for a in (0, 1)]
    for a in chans:
        if trips[a] is None:
            out[a] = levels[a]
            continue
        k, p = loops[a], levels[a]
        out[a] = {"a": p["a"], "e": [], "r": [], "v": k * k * p["v"][0]}
        for i in (0, 1):  # frames, half hops
            pu, pv, pe1 = p["u"][i], p["v"][i], p["e1"][i]
            c_uv, c_e1v = 0.5 * (p["uv"][i] - pu - pv), 0.5 * (p["e1v"][i] - pe1 - pv)
            out[a]["r"].append(np.maximum(pu + 2 * k * c_uv + k * k * pv, 0.0))
            out[a]["e"].append(np.maximum(pe1 - 2 * k * c_e1v + k * k * pv, 0.0))
        out[a]["e"], out[a]["r"] = tuple(out[a]["e"]), tuple(out[a]["r"])
    return out, loops


def moving_sum(x, window):
    """Sum of ``x`` over the ``window`` frames centred on each frame (fewer at the ends)."""
    n, half = x.shape[0], max(1, window) // 2
    c = np.concatenate(([0.0], np.cumsum(x)))
    t = np.arange(n)
    return c[np.minimum(n, t + half + 1)] - c[np.maximum(0, t - half)]


def tracked_levels(p, fit, window):
    """Frame and half-hop levels of the residual with the leak's gain tracked, dBFS.

    The fitted filter is the path's mean over the call; a path whose gain drifts (level
    control, a moving handset) leaves the difference behind. Per frame the leak ``e`` is
    scaled by the least-squares gain over the fitting frames within ``window`` frames
    around it, ``g = sum <a, e> / sum <e, e>`` (from the powers: ``<a, e>`` is
    ``(P_a + P_e - P_r) / 2``), held within 0.5 to 2 (+-6 dB), 1 where no fitting frame is
    near; the residual's power is then ``P_a - 2 g <a, e> + g^2 P_e``.

    Parameters
    ----------
    p : dict
        From :func:`residual_pass`.
    fit : ndarray, shape (n_frames,), bool
    window : int
        Frames.

    Returns
    -------
    energy : ndarray, shape (n_frames,), float32
    half : ndarray, shape (2 n_frames,), float32
    """
    (pa, pa_h), (pe, pe_h), (pr, pr_h) = p["a"], p["e"], p["r"]
    cross = 0.5 * (pa + pe - pr)
    num = moving_sum(np.where(fit, cross, 0.0), window)
    den = moving_sum(np.where(fit, pe, 0.0), window)
    g = np.where(den > 0, np.clip(num / np.where(den > 0, den, 1.0), 0.5, 2.0), 1.0)
    gh = np.repeat(g, 2)
    levels = []
    for a_, e_, r_, gg in ((pa, pe, pr, g), (pa_h, pe_h, pr_h, gh)):
        cr = 0.5 * (a_ + e_ - r_)
        power = np.maximum(a_ - 2 * gg * cr + gg * gg * e_, 0.0)
        with np.errstate(divide="ignore"):
            levels.append((10 * np.log10(power)).astype(np.float32))
    return levels[0], levels[1]


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
    loud_ch = [speech[c] & (energy[c] > loud[c] - xp.loud_db) for c in (0, 1)]
    found, rise = [None, None], [xp.min_rise_db, xp.min_rise_db]
    max_lag = int(round(xp.max_delay_s / hop_s))
    step = 2 if win >= 2 * hop else 1  # lags tried first (see leak_lag)
    kw = dict(max_lag=max_lag, min_rise_db=xp.min_rise_db, min_corr=xp.min_corr, min_gain=xp.min_corr_gain,
              min_frames=xp.min_frames, edge_corr=xp.edge_corr, edge_db=xp.edge_db, step=step)
    leading = [None, None]
    for a, b in ((0, 1), (1, 0)):
        found[a], leading[a] = leak_lag(energy[a], floor[a], energy[b], loud_ch[b], report=True, **kw)
    # Both ways at a high level: the source's loud frames also hold the destination's talker come
    # back (the reverse leak, within loud_db of the source's own speech level), which does not
    # follow the destination at this path's delay. Look again on the source frames the reverse
    # leak (found, or leading with a leak-like correlation) does not explain, its level's spread
    # (edge: a band-limited path's level follows the talker's spectrum) added to the margin; a
    # leak found so cleans the other direction's source in turn.
    tried = [None, None]
    for a, b in ((0, 1), (1, 0), (0, 1)):
        lead = leading[b] if leading[b] is not None and leading[b][1] >= xp.edge_corr else None
        reverse = (found[b] + (lead[3] if lead is not None else 0.0,)) if found[b] else (
            None if lead is None else (lead[0], lead[2], lead[3]))
        if found[a] is None and reverse is not None and reverse != tried[a]:
            tried[a] = reverse
            lag, coupling, spread = reverse
            talker = loud_ch[b] & ~leak_explained(energy[b], delayed(energy[a], lag, -np.inf), coupling,
                                                  xp.margin_db + spread)
            if np.count_nonzero(talker) < np.count_nonzero(loud_ch[b]):
                found[a] = leak_lag(energy[a], floor[a], energy[b], talker, **kw)
    for a, b in ((0, 1), (1, 0)):
        if found[a] is None:
            # A faint leak barely clears the destination's floor: look again closer to it, on the
            # level correlation alone; the cancelling filter must then confirm it.
            found[a] = leak_lag(energy[a], floor[a], energy[b], loud_ch[b], max_lag=max_lag,
                                min_rise_db=xp.faint_rise_db, min_corr=xp.min_corr, min_gain=xp.min_corr_gain,
                                min_frames=xp.min_frames, edge_corr=1.0, edge_db=-np.inf, step=step)
            rise[a] = xp.faint_rise_db
    act = as_kwargs(params.activity)
    taps = max(2, int(round(xp.path_s * sr)))
    search = int(round(xp.search_s * sr))
    # A source frame is its own talker's only where the reverse leak does not explain it: a
    # frame of b that is a's talker coming back would pull the fit of b -> a towards zero.
    own = list(loud_ch)
    for b, a in ((0, 1), (1, 0)):
        if found[b] is not None:
            lag, coupling = found[b]
            own[b] = loud_ch[b] & ~leak_explained(energy[b], delayed(energy[a], lag, -np.inf), coupling, xp.margin_db)
    paths = [None, None]
    filters, fits, couplings, sources = [None, None], [None, None], [None, None], [None, None]
    for a, b in ((0, 1), (1, 0)):
        if found[a] is None:
            continue
        lag, coupling = found[a]
        level_db = coupling
        e_b = delayed(energy[b], lag, -np.inf)
        explained = leak_explained(energy[a], e_b, coupling, xp.margin_db)
        fit = delayed(own[b], lag, False) & explained & (energy[a] > floor[a] + rise[a])
        delay = lag * hop
        lo = max(0, delay - search)
        span = delay + search + taps - lo
        r, acf, count = fit_pass(source, a, b, fit, hop, lo, span, taps, context)
        if count >= 4 * taps:
            start, h = leak_window(r, acf, taps, max(1, int(round(0.001 * sr))))
            start += lo
            delay = start + int(np.argmax(np.abs(h)))
            if delay // hop != lag:  # the leak's level at the refined delay
                at = leak_correlation(energy[a], floor[a], energy[b], loud_ch[b], delay // hop, min_rise_db=rise[a],
                                      min_frames=xp.min_frames)
                coupling = level_db = at[1] if at is not None else coupling
            filters[a], fits[a] = (h, start), fit
        paths[a] = LeakPath(level_db=float(level_db), delay_s=delay / sr)
        couplings[a] = coupling
        sources[a] = arriving(energy[b], delay, hop)
    two_way = filters[0] is not None and filters[1] is not None
    if two_way and paths[0].level_db + paths[1].level_db < xp.round_trip_db:
        two_way = False  # a channel's talker comes back too faint to matter: one-way cancelling
    loops = None
    if two_way:
        loops = [1.0, 1.0]
    first = list(filters)
    for a, b in ((0, 1), (1, 0)):
        if first[a] is None:
            continue
        # fit again on the frames the first fit explains; where both ways leak, also on b less
        # a's talker, and measure how a's talker comes round the loop
        keep, eqs, sums = refit_pass(source, a, b, fits[a], hop, first[a], context, xp.min_erle_db,
                                     first[b] if two_way else None, floor[a], xp.loop_db)
        if two_way:
            loops[a] = loop_gain(*sums, xp.min_frames)
        # b's talker alone leaks into a (crosstalk): fit on b less a's talker; else on b as recorded
        r, acf, count = eqs[1] if two_way and loops[a] >= 0.5 else eqs[0]
        if count >= 4 * taps:
            filters[a], fits[a] = (leak_solve(r, acf), first[a][1]), keep
    residuals = [None, None]
    if any(f is not None for f in filters):
        residuals, _ = residual_pass(source, filters, hop, win, context, params.frame.highpass_hz,
                                     (floor, xp.loop_db, xp.min_frames,
                                      loop_terms(paths[0].level_db + paths[1].level_db, xp.round_trip_db))
                                     if two_way else None)
    levels, erles = [None, None], [0.0, 0.0]
    for a in (0, 1):
        if paths[a] is None:
            continue
        levels[a] = energy[a], half[a]
        if residuals[a] is not None:
            e_r, half_r = tracked_levels(residuals[a], fits[a], int(round(xp.gain_window_s / hop_s)))
            with np.errstate(divide="ignore"):
                e_same = (10 * np.log10(residuals[a]["a"][0])).astype(np.float32)  # the channel as e_r is taken
            erles[a] = leak_erle_db(e_same, e_r, fits[a])
            if erles[a] >= xp.min_erle_db:
                levels[a] = e_r, half_r
        if rise[a] < xp.min_rise_db and erles[a] < xp.faint_erle_db:
            paths[a], levels[a] = None, None  # a faint correlation that no linear path explains
    cancelled = [levels[a] is not None and erles[a] >= xp.min_erle_db for a in (0, 1)]
    for a in (0, 1):
        if levels[a] is None:
            continue
        e_a, half_a = levels[a]
        coupling = couplings[a] - (erles[a] if cancelled[a] else 0.0)
        exclude = leak_explained(e_a, sources[a], coupling, xp.margin_db)
        if two_way and all(cancelled) and "v" in residuals[a]:
            # The channel's own talker come back round the loop, as far as cancelling both paths
            # left it: the round trip put back (k v) is off by what each path's filter misses
            # (their residual amplitudes, 10^(-ERLE/20), add along the loop); a frame that stands
            # no higher than that talker echo is no speech.
            miss = 20 * np.log10(10 ** (-erles[0] / 20) + 10 ** (-erles[1] / 20))
            with np.errstate(divide="ignore"):
                echo = (10 * np.log10(residuals[a]["v"])).astype(np.float32)
            exclude |= leak_explained(e_a, echo, miss, xp.margin_db)
        speech[a] = speech_activity(e_a, hop_s, exclude=exclude, half_db=half_a, **act)[0]
    return paths
