"""Music against speech over stretches of seconds, from frame levels and spectral steadiness.

The steadiness check (``callscan.kernels.steadiness``) finds music whose spectrum holds
still for most of two seconds. Recorded music often does not: drums, fast runs, a
lead with vibrato and sparse notes with gaps change the spectrum as often as speech
does. What still tells them apart, whatever the instruments, is how the loudness
moves over several seconds (Saunders 1996; Scheirer & Slaney 1997; Lu, Zhang & Jiang
2002). Speech is a string of syllables, 3-8 a second, each rising out of and falling
back into near-silence, with pauses between phrases; music keeps sounding.
Six features over a centred window of ``half`` frames each side, clipped to the signal:

low-energy share ``lster``
    Share of the window's frames whose power is under ``low_ratio`` times the
    window's mean power (the "percentage of low-energy frames" of Scheirer & Slaney
    1997 and Saunders 1996; the low short-time energy ratio of Lu et al. 2002, with
    ``low_ratio = 0.5``). Speech 0.45-0.9, music mostly under 0.4.
modulation ``log10(m4 + 0.01)``
    ``m4`` is the power of the frame amplitude envelope ``a = sqrt(power)`` in the
    syllabic band ``band_lo..band_hi`` (3-8 Hz, Hann-windowed DFT over the window)
    relative to the squared mean envelope: ``m4 = 2 sum_k |A_k|^2 / (N sum h^2 mean(a)^2)``
    (the "4 Hz modulation energy" of Scheirer & Slaney 1997, normalised so that it
    does not grow with the window). Speech modulates its envelope deeply at the
    syllable rate; held notes barely, beats less deeply.
dip share
    Share of frames that are dips (``callscan.kernels.steadiness.dips``: valleys
    between syllables, 10 dB under the loudest frame within 0.25 s).
steady share
    Share of spectrally steady frames (``callscan.kernels.steadiness``).
rhythm
    The largest normalised autocorrelation of the onset envelope (the rises of the
    amplitude envelope, half-wave rectified, mean removed) at lags of ``beat_s``
    (0.3-1 s: 60-200 beats a minute; cf. the pulse metric of Scheirer & Slaney 1997).
    A beat repeats; syllables come at irregular intervals.
quiet share
    Share of frames back at the line's floor: within ``hold.sound_db`` of the
    channel's quietest level (``callscan.kernels.energy.sounding``), the pauses
    between phrases and the closures of stops.

Speech's level falls back in every window of seconds: on a clean line into dips
(real speech recordings: a fifth or more of the frames of every 6 s window), on a
noisy one into the noise floor, where a valley 10 dB deep no longer fits but the
quiet share grows (the same recordings with white or pink noise at 6-20 dB SNR: dip
share plus quiet share 0.27 or more in every window). An ensemble, a pad or an
orchestral texture that keeps sounding does neither, whatever its instruments and
however much its spectrum moves.

Each score is ``bias + w . (lster, modulation, dip share, steady share, rhythm, quiet
share)``, a logistic model whose weights are parameters (``callscan.params.HoldParams``),
fitted on recorded music and real speech (``benchmarks.music_fit``): one driven by rhythm
(beats, rhythmic accompaniment), one by a barely modulated envelope (pads, held chords,
ambient music without a beat), one by a level that never falls back (dip and quiet
shares). A frame is music-like where one of the scores, averaged over ``smooth_s``, is
positive. Scores are evaluated every ``step`` frames and each frame takes the value of
the evaluation at or before it.
"""

import numpy as np

from callscan.kernels._jit import kernel

NFEATURES = 6
"""Features of the music score: low-energy share, log10 modulation, dip share, steady share,
rhythm, quiet share (module docstring)."""


@kernel
def _music_score(level_db, dipped, steady, quiet, at, half, k_lo, k_hi, lag_lo, lag_hi, low_ratio, weights, bias, out):
    n = level_db.shape[0]
    dip_cum = np.zeros(n + 1)
    steady_cum = np.zeros(n + 1)
    quiet_cum = np.zeros(n + 1)
    power = np.empty(n)
    amp = np.empty(n)
    for i in range(n):
        dip_cum[i + 1] = dip_cum[i] + (1.0 if dipped[i] else 0.0)
        steady_cum[i + 1] = steady_cum[i] + (1.0 if steady[i] else 0.0)
        quiet_cum[i + 1] = quiet_cum[i] + (1.0 if quiet[i] else 0.0)
        power[i] = 10.0 ** (np.float64(level_db[i]) / 10.0)
        amp[i] = np.sqrt(power[i])
    v = np.empty(2 * half + 1)
    for t in range(at.shape[0]):
        c = at[t]
        lo = max(0, c - half)
        hi = min(n, c + half + 1)
        m = hi - lo
        mean_p = 0.0
        mean_a = 0.0
        for j in range(lo, hi):
            mean_p += power[j]
            mean_a += amp[j]
        mean_p /= m
        mean_a /= m
        low = 0
        for j in range(lo, hi):
            if power[j] < low_ratio * mean_p:
                low += 1
        # the Hann-windowed envelope, its power in DFT bins kl..kh (bin k is k / (m hop) Hz),
        # the phasor advanced by rotation
        hann_sq = 0.0
        for j in range(m):
            h = 0.5 - 0.5 * np.cos(2.0 * np.pi * (j + 0.5) / m)
            hann_sq += h * h
            v[j] = (amp[lo + j] - mean_a) * h
        kl = max(1, int(np.ceil(k_lo * m)))
        kh = min(m // 2, int(np.floor(k_hi * m)))
        mod = 0.0
        for k in range(kl, kh + 1):
            step_re = np.cos(2.0 * np.pi * k / m)
            step_im = -np.sin(2.0 * np.pi * k / m)
            z_re = 1.0
            z_im = 0.0
            re = 0.0
            im = 0.0
            for j in range(m):
                re += v[j] * z_re
                im += v[j] * z_im
                nr = z_re * step_re - z_im * step_im
                z_im = z_re * step_im + z_im * step_re
                z_re = nr
            mod += re * re + im * im
        m4 = 0.0
        if mean_a > 0.0:
            m4 = 2.0 * mod / (m * hann_sq * mean_a * mean_a)
        # rhythm: the largest normalised autocorrelation of the onset envelope (rises of the
        # amplitude, half-wave rectified) at lags lag_lo..lag_hi frames
        mean_d = 0.0
        for j in range(m):
            d = amp[lo + j] - amp[lo + j - 1] if lo + j >= 1 else 0.0
            v[j] = d if d > 0.0 else 0.0
            mean_d += v[j]
        mean_d /= m
        energy = 0.0
        for j in range(m):
            v[j] -= mean_d
            energy += v[j] * v[j]
        rhythm = 0.0
        if energy > 0.0:
            for lag in range(lag_lo, min(lag_hi, m - 1) + 1):
                acc = 0.0
                for j in range(m - lag):
                    acc += v[j] * v[j + lag]
                if acc / energy > rhythm:
                    rhythm = acc / energy
        f0 = low / m
        f1 = np.log10(m4 + 0.01)
        f2 = (dip_cum[hi] - dip_cum[lo]) / m
        f3 = (steady_cum[hi] - steady_cum[lo]) / m
        f5 = (quiet_cum[hi] - quiet_cum[lo]) / m
        for r in range(weights.shape[0]):
            out[r, t] = (bias[r] + weights[r, 0] * f0 + weights[r, 1] * f1 + weights[r, 2] * f2 + weights[r, 3] * f3
                         + weights[r, 4] * rhythm + weights[r, 5] * f5)


def music_score(level_db, dipped, steady, quiet, want, hop_s, *, window_s, step_s, band_hz, beat_s, low_ratio,
                weights, bias):
    """Music score of the wanted frames (module docstring).

    Parameters
    ----------
    level_db : ndarray, shape (n,)
        Frame levels, dBFS (raised to the absolute floor: no ``-inf``).
    dipped, steady, quiet : ndarray, shape (n,), bool
        Dips, spectrally steady frames and frames at the line's floor.
    want : ndarray, shape (n,), bool
        Frames whose score is wanted; the score is evaluated on every ``step_s`` grid
        frame that a wanted frame takes its value from.
    hop_s : float
        Frame hop, s.
    window_s, step_s : float
        Window length and evaluation step, s.
    band_hz : (float, float)
        Syllabic modulation band, Hz.
    beat_s : (float, float)
        Lags of the rhythm autocorrelation, s.
    low_ratio : float
        Low-energy frames are under this share of the window's mean power.
    weights : array_like, shape (rows, 6), or flat with 6 items a row
        Each row: weights of the low-energy share, log modulation, dip share, steady share,
        rhythm and quiet share (with ``numpy.eye(6)`` and zero bias the scores are the
        features themselves).
    bias : array_like, shape (rows,)

    Returns
    -------
    ndarray, shape (rows, n), float64
        The scores (``-inf`` where not wanted).
    """
    level_db = np.ascontiguousarray(level_db, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights.reshape(-1, NFEATURES) if weights.size % NFEATURES == 0 else np.atleast_2d(weights)
    bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    if weights.shape[1] != NFEATURES or bias.shape != (weights.shape[0],):
        raise ValueError(f"music_score: weights must be (rows, {NFEATURES}) and bias (rows,), got {weights.shape} "
                         f"and {bias.shape}")
    n = level_db.shape[0]
    out = np.full((weights.shape[0], n), -np.inf)
    if n == 0 or not np.any(want):
        return out
    step = max(1, int(round(step_s / hop_s)))
    half = max(1, int(round(window_s / hop_s / 2)))
    idx = np.flatnonzero(want)
    grid = np.unique(idx - idx % step)
    scores = np.empty((weights.shape[0], grid.size))
    # bins are in cycles per window: Hz times the window's duration
    _music_score(level_db, np.ascontiguousarray(dipped, dtype=np.bool_), np.ascontiguousarray(steady, dtype=np.bool_),
                 np.ascontiguousarray(quiet, dtype=np.bool_), grid.astype(np.int64), half, band_hz[0] * hop_s,
                 band_hz[1] * hop_s,
                 max(1, int(round(beat_s[0] / hop_s))), max(1, int(round(beat_s[1] / hop_s))), float(low_ratio),
                 weights, bias, scores)
    out[:, idx] = scores[:, np.searchsorted(grid, idx - idx % step)]
    return out


def music_stretches(active, others, hop_s, gap_s, min_s):
    """Stretches the music score judges: sound on this channel (gaps shorter than ``gap_s``
    bridged) while no other party speaks, lasting at least ``min_s``.

    Parameters
    ----------
    active : ndarray, shape (n,), bool
        Frames with sound on this channel.
    others : ndarray, shape (n,), bool, or None
        Frames where another party speaks (None in mono mode).
    hop_s, gap_s, min_s : float
        Frame hop, longest gap bridged and shortest stretch, s.

    Returns
    -------
    ndarray, shape (n,), bool
    """
    from callscan.kernels.runs import bridge_gaps, drop_short

    want = bridge_gaps(np.asarray(active, dtype=np.bool_), max(0, int(round(gap_s / hop_s))))
    if others is not None:
        want &= ~np.asarray(others, dtype=np.bool_)
    return drop_short(want, max(1, int(round(min_s / hop_s))))


def music_like(level_db, steady, active, others, hop_s, *, dip_window_s, dip_db, sound_db, window_s, step_s, band_hz,
               beat_s, low_ratio, weights, bias, smooth_s, edge_s, gap_s, min_s):
    """Frames of sound that score as music over ``window_s`` (module docstring).

    Only stretches of at least ``min_s`` with no other party speaking are scored
    (:func:`music_stretches`); a frame is music-like where the mean of one of the
    scores within ``smooth_s`` of it (inside its stretch) is positive, and music-like runs shorter
    than ``min_s`` are dropped, then ``edge_s`` comes off both ends of each run (a window
    that reaches across the end of the music reads partly what lies beyond) and each run
    grows back, by ``edge_s`` at most, over the sound that joins it without a gap:
    hold is a "turn" of tens of seconds the other party never answers, and no phrase
    of speech is judged on its own.

    Parameters
    ----------
    level_db : ndarray, shape (n,)
        Frame levels, dBFS (``-inf`` allowed: raised to -120 dBFS).
    steady : ndarray, shape (n,), bool
        Spectrally steady frames (``callscan.kernels.steadiness``).
    active : ndarray, shape (n,), bool
        Frames with sound.
    others : ndarray, shape (n,), bool, or None
        Frames where another party speaks.
    hop_s : float
        Frame hop, s.
    dip_window_s, dip_db, sound_db, window_s, step_s, band_hz, beat_s, low_ratio, weights, bias, smooth_s, edge_s,
    gap_s, min_s
        See ``callscan.params.HoldParams`` (``dip_*``, ``sound_db``, ``long_*``).

    Returns
    -------
    ndarray, shape (n,), bool
    """
    from callscan.kernels.energy import sounding
    from callscan.kernels.runs import drop_short
    from callscan.kernels.steadiness import dips

    level = np.maximum(np.asarray(level_db, dtype=np.float32), np.float32(-120.0))
    want = music_stretches(active, others, hop_s, gap_s, min_s)
    if not want.any():
        return want
    dipped = dips(level, int(round(dip_window_s / hop_s / 2)), dip_db)
    quiet = ~sounding(level_db, sound_db)
    score = music_score(level, dipped, steady, quiet, want, hop_s, window_s=window_s, step_s=step_s, band_hz=band_hz,
                        beat_s=beat_s, low_ratio=low_ratio, weights=weights, bias=bias)
    half = max(0, int(round(smooth_s / hop_s)))
    music = np.zeros_like(want)
    for row in score:
        music |= run_means(row, want, half) > 0.0
    music = drop_short(want & music, max(1, int(round(min_s / hop_s))))
    edge = max(0, int(round(edge_s / hop_s)))
    return regrow(erode(music, edge), active, edge)


def regrow(mask, active, frames):
    """Each run of ``mask`` extended by up to ``frames`` frames on each side over ``active``
    frames that join it without a gap."""
    from callscan.kernels.runs import mask_to_runs

    out = mask.copy()
    starts, ends = mask_to_runs(mask)
    for a, b in zip(starts.tolist(), ends.tolist()):
        lo = a
        while lo > max(0, a - frames) and active[lo - 1]:
            lo -= 1
        hi = b
        while hi < min(mask.shape[0], b + frames) and active[hi]:
            hi += 1
        out[lo:hi] = True
    return out


def erode(mask, frames):
    """``mask`` with ``frames`` frames taken off both ends of each run (runs that vanish go)."""
    from callscan.kernels.runs import mask_to_runs

    out = np.zeros_like(mask)
    starts, ends = mask_to_runs(mask)
    for a, b in zip(starts.tolist(), ends.tolist()):
        if b - a > 2 * frames:
            out[a + frames : b - frames] = True
    return out


def run_means(x, mask, half):
    """Moving mean of ``x`` over ``half`` frames each side, inside each run of ``mask`` (elsewhere
    ``-inf``), shape (n,), float64."""
    from callscan.kernels.runs import mask_to_runs

    out = np.full(x.shape[0], -np.inf)
    starts, ends = mask_to_runs(mask)
    for a, b in zip(starts.tolist(), ends.tolist()):
        c = np.concatenate(([0.0], np.cumsum(x[a:b])))
        i = np.arange(b - a)
        lo, hi = np.maximum(0, i - half), np.minimum(b - a, i + half + 1)
        out[a:b] = (c[hi] - c[lo]) / (hi - lo)
    return out
