"""Two channels that carry one mix ("dual mono"): a stereo file that is one signal.

Recorders that mix write the same conversation to both channels, the second one often
altered on the way: a gain, a delay of a few samples, inverted polarity, each channel
coded on its own (µ-law, GSM 06.10, MP3). Analysed as two parties, such a file turns
every word into overlap. Bit-identical channels are caught by ``callscan.audio.checks.same_signal``;
this module catches the rest from the physics of the relation between the channels.

Definition
----------
Two channels carry one mix when one short linear path maps one onto the other over the
whole call: ``b[t] ~ g a[t - lag]`` with one gain ``g`` (either sign) and one ``lag`` of
at most ``max_lag_s``. The relation is checked on segments of ``segment_s`` taken where
each channel is loudest above the frame high-pass (``frame.highpass_hz``: the level the
frame levels are of; ``per_round`` segments per channel in every ``round_s`` of the call,
or in each of ``max_rounds`` equal rounds of a longer call, none overlapping another of
its channel, none quieter than ``min_dbfs``). Each segment
is band-passed to ``band_hz`` (where codecs keep the waveform: GSM 06.10 takes out the
lowest frequencies and models the top of the band as noise; µ-law's noise follows the
whole signal's amplitude, rumble included), the filter started from rest ``_WARMUP_S``
before it. On each segment the normalised cross-correlation of the two band-passed
waveforms is taken at every lag up to ``max_lag_s``; its peak (by magnitude) gives that
segment's ``r``, lag and gain (the level of ``b`` at that lag over that of ``a``, dB).
The channels are one mix when at least ``min_segments`` segments were taken and at
least ``share`` of them agree: ``|r| >= min_corr``, the median polarity, a lag within
``lag_tol_s`` of the median lag and a gain within ``gain_tol_db`` of the median gain.

A real two-party call never passes. The segments where one party is loud hold that
party's speech and the other's silence, noise or leak; the other party's own speech is
uncorrelated with it. A leak one way matches on the segments of one party only; a leak
both ways matches on both, but with gains of opposite sign in dB (the quieter copy is
in the other channel) and lags of opposite sign, never with one gain and one lag.

Both ways of reading a call (``callscan.audio.decoding`` whole, ``callscan.audio.blocks``
a block at a time) give :func:`mix_segments` the same hop powers and the same samples, so
both take the same decision.
"""

import math

import numpy as np
import scipy.fft

from callscan.kernels.crosstalk import sliding_gram, spd_solve
from callscan.kernels.highpass import bandpass

_WARMUP_S = 0.02  # band-pass filter settling before each segment read, s


def _correlate_valid(long, short):
    """``out[j] = sum_n short[n] long[n + j]`` for ``j <= len(long) - len(short)``, by FFT."""
    n = scipy.fft.next_fast_len(long.shape[0] + short.shape[0] - 1, real=True)
    spec = scipy.fft.rfft(long, n) * np.conj(scipy.fft.rfft(short, n))
    return scipy.fft.irfft(spec, n)[: long.shape[0] - short.shape[0] + 1]


def segment_match(a, b_ext, max_lag):
    """Peak of the normalised cross-correlation of ``a`` with ``b_ext`` over ``|lag| <= max_lag``.

    Parameters
    ----------
    a : ndarray, shape (m,), float64
        One channel's segment.
    b_ext : ndarray, shape (m + 2 * max_lag,), float64
        The other channel from ``max_lag`` samples before the segment to ``max_lag`` after.
    max_lag : int
        Samples.

    Returns
    -------
    r : float
        Correlation at the peak (-1..1; negative: inverted polarity).
    lag : int
        Samples by which ``b`` follows ``a`` at the peak.
    gain_db : float
        Level of ``b`` at that lag over the level of ``a``, dB.
    """
    m = a.shape[0]
    num = np.correlate(b_ext, a, "valid")  # num[j] = sum_n a[n] b_ext[n + j]
    c = np.concatenate(([0.0], np.cumsum(b_ext * b_ext)))
    e_b = c[m:] - c[:-m]
    e_a = float(np.dot(a, a))
    if e_a <= 0:
        return 0.0, 0, -math.inf
    den = np.sqrt(e_a * e_b)
    r = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    j = int(np.argmax(np.abs(r)))
    gain = 10 * math.log10(e_b[j] / e_a) if e_b[j] > 0 else -math.inf
    return float(r[j]), j - max_lag, gain


def echo_match(src, dst_ext, taps, pre, floor_db):
    """Share of the other channel's energy that a short linear path from ``src`` explains, at the
    delay where the two match best (an echo or crosstalk path from ``src``'s channel).

    The delay is the peak of the normalised cross-correlation of ``src`` with ``dst_ext`` at
    every delay of ``dst_ext`` behind it; a causal FIR of ``taps`` taps starting ``pre``
    samples before that delay is fitted by least squares, and the share is one less the
    residual's energy over the other channel's (0: nothing explained, 1: all of it). Where
    the other channel lies more than ``floor_db`` under ``src`` nothing of the talker is
    heard there and nothing is fitted (0).

    Parameters
    ----------
    src : ndarray, shape (m,), float64
        One channel's segment (m > taps).
    dst_ext : ndarray, shape (m + k,), float64
        The other channel from the segment's start to ``k`` samples after its end.
    taps, pre : int
        Samples.
    floor_db : float
        dB (negative).

    Returns
    -------
    float
    """
    m = src.shape[0]
    e_src = float(np.dot(src, src))
    if dst_ext.shape[0] < m or m <= taps or _below(dst_ext[:m], src, floor_db):
        return 0.0
    num = _correlate_valid(dst_ext, src)
    c = np.concatenate(([0.0], np.cumsum(dst_ext * dst_ext)))
    den = np.sqrt(e_src * (c[m:] - c[:-m]))
    r = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-12 * e_src)
    start = min(max(0, int(np.argmax(np.abs(r))) - pre), dst_ext.shape[0] - m)
    y = dst_ext[start + taps - 1 : start + m]
    e_y = float(np.dot(y, y))
    if e_y <= 0:
        return 0.0
    # the normal equations of y[i] ~ sum_j h[j] src[i + taps - 1 - j]
    gram = sliding_gram(src, taps)
    gram[np.diag_indices(taps)] += 1e-9 * np.trace(gram) / taps + 1e-300
    proj = np.correlate(src, y, "valid")[::-1]
    try:
        h = spd_solve(gram, proj)
    except np.linalg.LinAlgError:  # rounding on a signal with next to no energy
        return 0.0
    return float(min(1.0, max(0.0, float(np.dot(h, proj)) / e_y)))


def mix_segments(power, read, n_samples, sample_rate, mix):
    """The segments of :func:`one_mix` (module docstring).

    Parameters
    ----------
    power : ndarray, shape (2, n_hops)
        Mean square of each 10 ms hop of each channel above the frame high-pass (full scale 1).
    read : callable
        ``read(start, stop)``: the samples ``start .. stop - 1`` of both channels, shape
        (2, stop - start), float32 (within the call).
    n_samples : int
        Length of the call, samples.
    sample_rate : int
        Hz.
    mix : callscan.params.MixParams

    Returns
    -------
    ndarray, shape (n, 5)
        Per segment: the channel loudest in it; r, lag (samples by which channel 1 follows
        channel 0) and gain (dB of channel 1 over channel 0) at the peak of
        :func:`segment_match`; and the share of the other channel that a short linear path
        from that channel explains (:func:`echo_match`).

    Notes
    -----
    The call is cut into rounds of ``mix.round_s``, or into ``mix.max_rounds`` equal longer
    ones, so the segments (and their cost) stop growing with the call's length. Only the
    chosen segments are read and band-passed, each with the lag and the band-pass filter's
    settling (``_WARMUP_S``) on each side.
    """
    hop = max(1, int(round(0.01 * sample_rate)))
    n_hops = power.shape[1]
    round_hops = max(1, int(round(mix.round_s * sample_rate / hop)), -(-n_hops // mix.max_rounds))
    seg = max(1, int(round(mix.segment_s * sample_rate / hop)))  # hops
    max_lag = int(round(mix.max_lag_s * sample_rate))
    warm = int(round(_WARMUP_S * sample_rate))
    margin = -(-(max_lag + warm) // hop)  # hops
    band = (mix.band_hz[0], min(mix.band_hz[1], 0.45 * sample_rate))
    echo = int(round(mix.echo_lag_s * sample_rate))
    taps = max(2, int(round(mix.echo_path_s * sample_rate)))
    pre = int(round(0.002 * sample_rate))
    m_seg = seg * hop

    def passed(start, stop, channels=(0, 1)):
        lead = min(warm, start)
        x = read(start - lead, stop)[list(channels)]
        return bandpass(x, sample_rate, *band)[:, lead:].astype(np.float64)

    rows = []
    for r0 in range(0, n_hops, round_hops):
        r1 = min(r0 + round_hops, n_hops)
        end = min(r1 * hop, n_samples)  # the round's last sample + 1
        m = min(r1 - r0, end // hop - r0) - 2 * margin  # hops a segment may start in (then end by)
        if m < seg:
            continue
        c = np.concatenate((np.zeros((2, 1)), np.cumsum(power[:, r0 + margin : r0 + margin + m], axis=1)), axis=1)
        level = 10 * np.log10((c[:, seg:] - c[:, :-seg]) / seg + 1e-30)  # per segment start hop
        for ch in (0, 1):
            for i in loudest_segments(level[ch], seg, mix.per_round, mix.min_dbfs):
                start = (r0 + margin + i) * hop
                y = passed(start - max_lag, start + m_seg + max_lag)
                a = y[0, max_lag : max_lag + m_seg]
                found = segment_match(a - a.mean(), y[1] - y[1].mean(), max_lag)
                src = y[ch, max_lag : max_lag + m_seg]
                dst = y[1 - ch, max_lag : max_lag + m_seg]
                if _below(dst - dst.mean(), src - src.mean(), mix.echo_floor_db):
                    share = 0.0  # nothing of the talker heard there: nothing to fit
                else:
                    dst = passed(start, min(end, start + m_seg + echo), (1 - ch,))[0]
                    share = echo_match(src - src.mean(), dst - dst.mean(), taps, pre, mix.echo_floor_db)
                rows.append((ch, *found, share))
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def _below(dst, src, floor_db):
    """Whether ``dst`` lies more than ``floor_db`` (negative) under ``src``, in energy."""
    e_src = float(np.dot(src, src))
    return e_src <= 0 or 10 * math.log10(max(float(np.dot(dst, dst)), 1e-300) / e_src) < floor_db


def loudest_segments(level, w, count, min_db):
    """Starts of the ``count`` loudest segments that do not overlap, loudest first.

    Parameters
    ----------
    level : ndarray, shape (k,)
        Level of the segment starting at each hop, dB.
    w : int
        Hops in a segment.
    count : int
    min_db : float
        No segment quieter than this is taken.

    Returns
    -------
    list of int
    """
    level = np.array(level, dtype=np.float64)
    taken = []
    while len(taken) < count:
        i = int(np.argmax(level))  # the first of equals
        if not level[i] >= min_db:
            break
        taken.append(i)
        level[max(0, i - w + 1) : i + w] = -np.inf
    return taken


def hop_power(half_db):
    """Mean square of each hop from the levels of its two halves (``frame_levels``' ``half_db``).

    Parameters
    ----------
    half_db : ndarray, shape (..., 2 * k)
        dBFS, ``-inf`` where silent.

    Returns
    -------
    ndarray, shape (..., k), float64
    """
    p = np.power(10.0, np.asarray(half_db, dtype=np.float64) / 10)
    return 0.5 * (p[..., 0::2] + p[..., 1::2])


def one_mix(segments, sample_rate, mix):
    """Whether two channels carry one mix (module docstring), and what matched.

    Parameters
    ----------
    segments : ndarray, shape (n, 4)
        :func:`mix_segments`.
    sample_rate : int
        Hz.
    mix : callscan.params.MixParams

    Returns
    -------
    dict or None
        None for two parties; else ``r`` (median correlation of the agreeing segments,
        by magnitude), ``lag`` (samples by which channel 1 follows channel 0), ``gain_db``
        (channel 1 over channel 0), ``inverted`` (bool) and ``segments`` (how many agree
        out of how many).
    """
    n = segments.shape[0]
    if n < mix.min_segments:
        return None
    r, lag, gain = segments[:, 1], segments[:, 2], segments[:, 3]
    strong = np.abs(r) >= mix.min_corr
    if np.count_nonzero(strong) < max(mix.min_segments, mix.share * n):
        return None
    sign = 1.0 if np.median(r[strong]) >= 0 else -1.0
    lag0 = float(np.median(lag[strong]))
    gain0 = float(np.median(gain[strong]))
    lag_tol = max(1.0, mix.lag_tol_s * sample_rate)
    agree = (strong & (np.sign(r) == sign) & (np.abs(lag - lag0) <= lag_tol)
             & (np.abs(gain - gain0) <= mix.gain_tol_db))
    k = int(np.count_nonzero(agree))
    if k < max(mix.min_segments, mix.share * n):
        return None
    return {"r": float(np.median(np.abs(r[agree]))), "lag": int(round(float(np.median(lag[agree])))),
            "gain_db": float(np.median(gain[agree])), "inverted": sign < 0, "segments": (k, n)}


def one_mix_warning(found, sample_rate):
    """What ``warnings`` says of a stereo file analysed as mono because its channels are one mix."""
    lag = found["lag"]
    how = [f"r={found['r']:.2f} at lag {lag} samples ({1000 * lag / sample_rate:.2f} ms)",
           f"gain {found['gain_db']:+.1f} dB"]
    if found["inverted"]:
        how.append("inverted polarity")
    k, n = found["segments"]
    return (f"the two channels carry one mix ({', '.join(how)}; {k} of {n} segments): analysed as mono; "
            "party-separated measures are null")


def louder_channel(found):
    """The channel kept of two that carry one mix (:func:`one_mix`): the louder one."""
    return 1 if found["gain_db"] > 0 else 0
