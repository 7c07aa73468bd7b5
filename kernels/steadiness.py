"""Steady non-speech sound: hold music, ringback, DTMF and other tones.

An energy detector calls any loud sound speech. Speech, though, never holds
still: the vocal folds glide in pitch, the articulators move every 50-200 ms,
so the short-time spectrum changes from one 30 ms step to the next. Music holds
a note's partials for hundreds of milliseconds, and signalling tones (ringback,
DTMF, dial tone) are one or two pure sines. Two frame features capture this
(Scheirer & Slaney 1997 use the same physics: speech has more spectral flux
than music):

stability ``s[i]``
    Cosine similarity of the magnitude spectra (``lo_bin`` to ``hi_bin``, the
    telephone band) of frame ``i`` and frame ``i - lag`` or ``i + lag``, whichever
    is higher (so the first and last frames of a steady stretch count too):
    ``s = <|X_i|, |X_j|> / (||X_i|| ||X_j||)``, 0..1. Level changes do not move
    it; pitch glides and formant moves do.
purity ``p[i]``
    Share of the frame's in-band power within ``width`` bins of its two
    strongest peaks, 0..1. A dual-tone frame is close to 1; voiced speech puts
    power in many harmonics.

dip ``d[i]``
    True when the frame's level is more than ``depth_db`` under the loudest
    level within ``half`` frames of it: the valleys between syllables. Speech
    opens and closes the vocal tract three to five times a second (the 4 Hz
    syllabic modulation), so a fifth or more of its frames are dips; a held
    tune has almost none.

Stretches are then judged as a whole (``share_reaches``): within a run of
active frames, the share of frames that are steady (``s >= stable_min``), pure
(``p >= pure_min``) or dips, over a window around each frame. Music is steady
and has few dips; tones are pure (their on/off cadence may dip as it likes).

Spectra are Hann-windowed real FFTs (``callscan.kernels.spectral.frame_spectra``, or ``band_magnitudes``
here for every frame of a signal), magnitudes over the band; the kernels here are plain loops
over frames.
"""

import numpy as np
import scipy.fft

from callscan.kernels._jit import kernel
from callscan.kernels.framing import n_frames
from callscan.kernels.spectral import frame_spectra
from callscan.kernels.spectral import hann


@kernel
def _cosine(spec, i, j, norms):
    """Cosine similarity of spectra rows ``i`` and ``j`` whose norms are given (non-zero)."""
    acc = 0.0
    for k in range(spec.shape[1]):
        acc += np.float64(spec[i, k]) * np.float64(spec[j, k])
    return acc / (norms[i] * norms[j])


@kernel
def _stability(spec, lag, out):
    n, m = spec.shape
    norms = np.empty(n)
    for i in range(n):
        acc = 0.0
        for k in range(m):
            v = np.float64(spec[i, k])
            acc += v * v
        norms[i] = np.sqrt(acc)
    for i in range(n):
        best = 0.0
        for j in (i - lag, i + lag):
            if j < 0 or j >= n or norms[i] == 0.0 or norms[j] == 0.0:
                continue
            sim = _cosine(spec, i, j, norms)
            if sim > best:
                best = sim
        out[i] = best


@kernel(inline=True)
def _first_max(bits, lo, hi, skip_lo, skip_hi):
    """Index of the first largest of ``bits[lo:hi]`` outside ``[skip_lo, skip_hi)``; -1 if none.

    ``bits`` are the int32 views of non-negative float32 magnitudes, which order as the
    magnitudes do; the integer maximum is a reduction that vectorises, then its first
    index is found.
    """
    best = np.int32(-1)
    for k in range(lo, skip_lo):
        best = max(best, bits[k])
    for k in range(skip_hi, hi):
        best = max(best, bits[k])
    for k in range(lo, skip_lo):
        if bits[k] == best:
            return k
    for k in range(skip_hi, hi):
        if bits[k] == best:
            return k
    return -1


@kernel
def _purity(spec, rows, width, out):
    """Purity of rows ``rows`` of the magnitude spectra ``spec`` (non-negative float32,
    C-contiguous; module docstring) into ``out`` (one value per listed row)."""
    m = spec.shape[1]
    for t in range(rows.shape[0]):
        v = spec[rows[t]]
        bits = v.view(np.int32)
        total = 0.0
        for k in range(m):
            p = np.float64(v[k])
            total += p * p
        if total == 0.0:
            out[t] = 0.0
            continue
        # the strongest bin and its neighbours within ``width`` bins ...
        arg = _first_max(bits, 0, m, 0, 0)
        lo, hi = max(0, arg - width), min(m, arg + width + 1)
        acc = 0.0
        for k in range(lo, hi):
            p = np.float64(v[k])
            acc += p * p
        # ... and the strongest bin outside those, with its neighbours not yet counted
        arg = _first_max(bits, 0, m, lo, hi)
        if arg >= 0:
            for k in range(max(0, arg - width), min(m, arg + width + 1)):
                if k < lo or k >= hi:
                    p = np.float64(v[k])
                    acc += p * p
        out[t] = acc / total


@kernel
def _dips(level_db, half, depth_db, out):
    n = level_db.shape[0]
    for i in range(n):
        top = -np.inf
        for j in range(max(0, i - half), min(n, i + half + 1)):
            if level_db[j] > top:
                top = level_db[j]
        out[i] = level_db[i] < top - depth_db


def dips(level_db, half, depth_db):
    """Frames more than ``depth_db`` under the loudest frame within ``half`` frames.

    Parameters
    ----------
    level_db : ndarray, shape (n,)
        Frame levels, dBFS (``-inf`` allowed).
    half : int
        Half window, frames.
    depth_db : float
        Depth, dB.

    Returns
    -------
    ndarray, shape (n,), bool
    """
    level_db = np.ascontiguousarray(level_db, dtype=np.float32)
    out = np.empty(level_db.shape[0], dtype=np.bool_)
    _dips(level_db, int(max(half, 0)), np.float32(depth_db), out)
    return out


@kernel
def _share_reaches(flag, active, half, share, at_most, out):
    n = flag.shape[0]
    cum = np.zeros(n + 1, dtype=np.int32)  # exact counts, 4 bytes a frame
    for i in range(n):
        cum[i + 1] = cum[i] + (1 if flag[i] and active[i] else 0)
    i = 0
    while i < n:
        if not active[i]:
            out[i] = (0.0 <= share) if at_most else (0.0 >= share)
            i += 1
            continue
        j = i
        while j < n and active[j]:
            j += 1
        for k in range(i, j):
            lo = max(i, k - half)
            hi = min(j, k + half + 1)
            v = (cum[hi] - cum[lo]) / (hi - lo)
            out[k] = (v <= share) if at_most else (v >= share)
        i = j


def band_magnitudes(x, hop, win, lo_bin, hi_bin, first=0, last=None):
    """Magnitude spectra of frames ``first..last-1``, bins ``lo_bin..hi_bin-1``.

    Frame ``i``'s Hann window of ``win`` samples is centred as in
    ``callscan.kernels.framing``; samples outside the signal are zeros.

    Returns
    -------
    ndarray, shape (last - first, hi_bin - lo_bin), float32
    """
    x = np.asarray(x, dtype=np.float32)
    total = n_frames(x.shape[0], hop)
    last = total if last is None else min(last, total)
    if last <= first:
        return np.zeros((0, hi_bin - lo_bin), dtype=np.float32)
    a = first * hop + hop // 2 - win // 2
    b = (last - 1) * hop + hop // 2 - win // 2 + win
    seg = np.zeros(b - a, dtype=np.float32)
    lo, hi = max(a, 0), min(b, x.shape[0])
    if hi > lo:
        seg[lo - a : hi - a] = x[lo:hi]
    frames = np.lib.stride_tricks.sliding_window_view(seg, win)[::hop][: last - first]
    spec = np.abs(scipy.fft.rfft(frames * np.hanning(win).astype(np.float32), axis=1, workers=1))
    return np.ascontiguousarray(spec[:, lo_bin:hi_bin], dtype=np.float32)


@kernel
def _stability_at(spec, row, targets, lag, n, out):
    """Stability of frames ``targets`` from the spectra of the frames that were computed.

    ``row[f]`` is the row of frame ``f`` in ``spec`` (-1 when not computed; the
    lag neighbours of every target inside ``0..n-1`` are computed). The same
    arithmetic as ``_stability``.
    """
    m = spec.shape[1]
    norms = np.empty(spec.shape[0])
    for r in range(spec.shape[0]):
        acc = 0.0
        for k in range(m):
            v = np.float64(spec[r, k])
            acc += v * v
        norms[r] = np.sqrt(acc)
    for t in range(targets.shape[0]):
        f = targets[t]
        i = row[f]
        best = 0.0
        for g in (f - lag, f + lag):
            if g < 0 or g >= n:
                continue
            j = row[g]
            if norms[i] == 0.0 or norms[j] == 0.0:
                continue
            sim = _cosine(spec, i, j, norms)
            if sim > best:
                best = sim
        out[t] = best


def steadiness(x, hop, win, lag, lo_bin, hi_bin, width, block=4096, frames=None):
    """Stability and purity of every frame of one channel.

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float32
        One channel.
    hop, win : int
        Frame hop and spectral window, samples.
    lag : int
        Frames between the spectra compared (``lag * hop`` samples).
    lo_bin, hi_bin : int
        FFT bins kept (of a ``win``-point FFT).
    width : int
        Peak half-width for the purity, bins.
    block : int
        Frames per FFT block (bounds the memory).
    frames : ndarray, shape (n_frames,), bool, optional
        Only these frames are wanted: the spectra of them and of their lag
        neighbours are computed, nothing else, and every other frame reads 0.
        The wanted frames get exactly the values of a full run.

    Returns
    -------
    stability, purity : ndarray, shape (n_frames,), float32
    """
    if hop < 1 or win < 2 or lag < 1 or not 0 <= lo_bin < hi_bin <= win // 2 + 1:
        raise ValueError("steadiness: need hop >= 1, win >= 2, lag >= 1 and 0 <= lo_bin < hi_bin <= win // 2 + 1")
    n = n_frames(len(x), hop)
    if frames is not None:
        return _steadiness_of(np.ascontiguousarray(x, dtype=np.float32), n, hop, win, lag, lo_bin, hi_bin, width,
                              block, frames)
    stab = np.zeros(n, dtype=np.float32)
    pure = np.zeros(n, dtype=np.float32)
    for a in range(0, n, block):
        b = min(n, a + block)
        lo, hi = max(0, a - lag), min(n, b + lag)
        spec = band_magnitudes(x, hop, win, lo_bin, hi_bin, lo, hi)
        s = np.empty(hi - lo)
        _stability(spec, int(lag), s)
        stab[a:b] = s[a - lo : b - lo]
        p = np.empty(b - a)
        _purity(spec, np.arange(a - lo, b - lo), int(width), p)
        pure[a:b] = p
    return stab, pure


def steadiness_need(want, lag):
    """Frames whose spectra the stability of the ``want`` frames reads: them and their
    neighbours ``lag`` frames away, shape (n_frames,), bool."""
    n = want.shape[0]
    need = want.copy()
    if lag < n:
        need[lag:] |= want[:-lag]
        need[:-lag] |= want[lag:]
    return need


def steadiness_of_spectra(spec, row, targets, lag, width):
    """Stability and purity of the ``targets`` frames from spectra already computed.

    Parameters
    ----------
    spec : ndarray, shape (n_rows, n_bins), float32
        Magnitude spectra over the kept bins, one row per computed frame.
    row : ndarray of int64, shape (n_frames,)
        Row of each frame in ``spec``, -1 when not computed; every target's lag
        neighbours inside ``0 .. n_frames - 1`` are computed (:func:`steadiness_need`).
    targets : ndarray of int64
        Frames wanted.
    lag, width : int
        As in :func:`steadiness`.

    Returns
    -------
    stability, purity : ndarray, shape (len(targets),), float64
    """
    s = np.empty(targets.size)
    _stability_at(spec, row, targets, int(lag), row.shape[0], s)
    p = np.empty(targets.size)
    _purity(spec, row[targets], int(width), p)
    return s, p


def _steadiness_of(x, n, hop, win, lag, lo_bin, hi_bin, width, block, frames):
    """``steadiness`` of the ``frames`` wanted only (see there)."""
    want = np.zeros(n, dtype=np.bool_)
    k = min(n, len(frames))
    want[:k] = np.asarray(frames, dtype=np.bool_)[:k]
    need = steadiness_need(want, lag)
    stab = np.zeros(n, dtype=np.float32)
    pure = np.zeros(n, dtype=np.float32)
    targets_all = np.flatnonzero(want)
    if not targets_all.size:
        return stab, pure
    window = hann(win)
    row = np.full(n, -1, dtype=np.int64)
    for a in range(0, n, block):
        b = min(n, a + block)
        targets = targets_all[np.searchsorted(targets_all, a) : np.searchsorted(targets_all, b)]
        if not targets.size:
            continue
        lo, hi = max(0, a - lag), min(n, b + lag)
        idx = lo + np.flatnonzero(need[lo:hi])
        spec = np.abs(frame_spectra(x, hop, idx, window, win)[:, lo_bin:hi_bin])
        row[idx] = np.arange(idx.size)
        stab[targets], pure[targets] = steadiness_of_spectra(spec, row, targets, lag, width)
        row[idx] = -1
    return stab, pure


def share_reaches(flag, active, half, share, at_most=False):
    """Whether the share of flagged frames within ``half`` frames of each frame, inside its
    active run (0 outside active runs), reaches ``share`` (``>=``; ``<=`` with ``at_most``).

    The comparison is made as each share is computed, so a long call needs no track of
    shares.

    Parameters
    ----------
    flag, active : ndarray, shape (n,), bool
    half : int
        Half window, frames.
    share : float
        Threshold, 0-1.
    at_most : bool
        Test ``share_of_window <= share`` instead.

    Returns
    -------
    ndarray, shape (n,), bool
    """
    flag = np.ascontiguousarray(flag, dtype=np.bool_)
    active = np.ascontiguousarray(active, dtype=np.bool_)
    if flag.shape != active.shape or flag.ndim != 1:
        raise ValueError("share_reaches: flag and active must be 1-D and of one shape")
    out = np.empty(flag.shape[0], dtype=np.bool_)
    _share_reaches(flag, active, int(max(half, 0)), float(share), bool(at_most), out)
    return out


def steady_sound(stability, purity, level_db, active, hop_s, *, stable_min, pure_min, window_s, steady_share,
                 tone_share, dip_window_s, dip_db, max_dip_share, music_min_s, tone_min_s):
    """Frames of active sound that are music or tones rather than speech.

    A frame of an active run is *music-like* when at least ``steady_share`` of
    the run's frames within ``window_s / 2`` of it are steady
    (``stability >= stable_min``) and at most ``max_dip_share`` are dips
    (``dips(level_db, dip_window_s / 2, dip_db)``), and *tone-like* when at
    least ``tone_share`` of them are pure (``purity >= pure_min``). Music-like runs shorter than
    ``music_min_s`` and tone-like runs shorter than ``tone_min_s`` are dropped:
    a held "uhm" is steady for half a second, not for a second.

    Parameters
    ----------
    stability, purity : ndarray, shape (n_frames,)
        From ``steadiness``; or the booleans ``stability >= stable_min`` and
        ``purity >= pure_min``, which give the same result (only the comparisons are read).
    level_db : ndarray, shape (n_frames,)
        Frame levels, dBFS.
    active : ndarray, shape (n_frames,), bool
        Frames with sound (speech activity before this check).
    hop_s : float
        Frame hop, s.
    stable_min, pure_min, window_s, steady_share, tone_share, dip_window_s, dip_db, max_dip_share,
    music_min_s, tone_min_s
        See ``callscan.params.HoldParams``.

    Returns
    -------
    ndarray, shape (n_frames,), bool
    """
    from callscan.kernels.runs import drop_short

    half = int(round(window_s / hop_s / 2))
    active = np.asarray(active, dtype=np.bool_)
    dipped = dips(level_db, int(round(dip_window_s / hop_s / 2)), dip_db)
    music = active & share_reaches(np.asarray(stability) >= stable_min, active, half, steady_share)
    music &= share_reaches(dipped, active, half, max_dip_share, at_most=True)
    tones = active & share_reaches(np.asarray(purity) >= pure_min, active, half, tone_share)
    music = drop_short(music, int(round(music_min_s / hop_s)))
    tones = drop_short(tones, int(round(tone_min_s / hop_s)))
    return music | tones
