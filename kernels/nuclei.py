"""Syllable nuclei: voiced peaks of a band-limited intensity contour (de Jong & Wempe 2009).

A syllable is a rise and fall of sonority around a vowel, so the intensity of speech peaks
once per syllable and dips between syllables, in any language. de Jong & Wempe count
intensity peaks that stand out from the dips around them by at least 2 dB, lie above a
threshold 25 dB under the recording's near-maximum (its 0.99 quantile) and are voiced.
The steps here, for one channel on the 10 ms frame grid:

1. Contour. ``c[i] = 10 log10(s[i])`` with ``s`` the band power of the telephone band
   (300-3400 Hz, :mod:`callscan.kernels.spectral`) smoothed by a Gaussian of standard deviation
   ``smooth`` frames (linear power, truncated at 3 standard deviations, renormalised at
   the edges). Praat's intensity, which the paper uses, is smoothed by a 64 ms window
   for the same reason: the ripple of single pitch periods and short bursts must not
   make peaks. Outside the channel's speech the contour is ``-inf``.
2. Threshold. ``thr = q99 - silence_db``, ``q99`` the 99th percentile of ``c`` over the
   speech frames (NaN when there are none).
3. Candidates. Frame ``i`` inside speech with ``c[i] > thr``, ``c[i] > c[i-1]`` and
   ``c[i] >= c[i+1]`` (the first frame of a plateau); a frame at the edge of a speech
   run, whose outer neighbour is ``-inf``, qualifies by its inner neighbour alone.
4. Voicing. A candidate is kept only if a frame within ``reach`` frames of it is
   voiced: the pitch tracker chose a period there, or the frame's spectrum is that of a
   vowel, with more power in the first-formant band than above it (alpha ratio, the
   1000-3400 Hz power against the 300-1000 Hz power, below ``vowel_alpha_db``; see
   :mod:`callscan.kernels.spectral`). The tracker's Viterbi path is a conservative voicing
   decision: in hoarse, breathy or creaky voice it misses many vowels (irregular periods
   correlate poorly), and its voicing-change costs shave frames off short
   vowels. A vowel's power, whatever the regularity of its source, sits in F1 (300-1000
   Hz) with a spectrum falling about 6-12 dB per octave above it; the peaks this step
   must drop, of fricatives, bursts and aspiration, are noise from a constriction whose
   power rises towards the top of the band (alpha ratio above 0 dB; white noise reads
   +5.4 dB). The test keeps the sense of de Jong & Wempe's "voiced only": nuclei are
   sonorant energy. The reach absorbs a frame or two of onset uncertainty.
5. Dips. Within a speech run, consecutive kept candidates ``a < b`` are separated by the
   dip ``d = min(c[a..b])`` (over every frame between them, voiced or not). The pair
   whose *prominence* ``min(c[a], c[b]) - d`` is smallest is found; if that is below
   ``min_dip_db``, the lower of the two peaks is dropped (the later one on a tie) and
   the dip between its neighbours becomes the smaller of the two dips it separated. This
   repeats until every remaining pair is ``min_dip_db`` apart. Every nucleus then stands
   out from the dip before it and the dip after it, and the result does not depend on
   the direction of a scan. (The published Praat script tests only the dip towards the
   following peak, which drops a peak followed by a shallow bump even when a deep dip
   precedes it.)

Why voicing comes before the dips: a nucleus is a peak of *sonority*, and only voiced
peaks are candidates for it, so only they compete for it. de Jong & Wempe test voicing
last, after the dips, and then an unvoiced peak takes part in the merging although it can
never be a nucleus: a fricative or burst louder than the vowel next to it (in the
telephone band, for instance, the /z/ of German "Sie" in an angry EMO-DB utterance stands
about 10 dB above its /i/) wins the shallow dip between them, the vowel's peak is dropped as
the lower one, and the fricative's is then dropped as unvoiced, so the syllable is lost.
Testing voicing first keeps that vowel; the dip that separates it from the next vowel is
still measured over every frame between them. The change is rare but one-sided: on
``benchmarks.rate_accuracy`` it adds a nucleus in 2 of the 86 utterances at 8 kHz and 4
at 16 kHz and removes none, which lifts the pooled r from 0.757 to 0.786 at 8 kHz and
from 0.769 to 0.797 at 16 kHz (median error and bias unchanged).

Parameters are arguments (defaults in ``callscan.params.RateParams``).

References
----------
N. H. de Jong and T. Wempe, "Praat script to detect syllable nuclei and measure speech rate
automatically", *Behavior Research Methods* 41(2), 2009, pp. 385-390.

K. N. Stevens, *Acoustic Phonetics*, MIT Press, 1998, ch. 6-8 (vowel spectra fall above F1;
fricative noise is weighted towards high frequencies).

P. Mermelstein, "Automatic segmentation of speech into syllabic units", *J. Acoust. Soc. Am.*
58(4), 1975, pp. 880-883 (peaks against the dips on both sides).
"""

import math

import numpy as np

from callscan.kernels._jit import kernel


@kernel
def _gauss_smooth(p, sigma, out):
    """Gaussian smoothing of ``p`` (standard deviation ``sigma`` samples, cut at 3 sigma).

    Near the ends the weights are renormalised over the samples that exist.
    """
    n = p.shape[0]
    if sigma <= 0.0:
        for i in range(n):
            out[i] = p[i]
        return
    radius = int(math.ceil(3.0 * sigma))
    w = np.empty(2 * radius + 1)
    for k in range(2 * radius + 1):
        d = (k - radius) / sigma
        w[k] = math.exp(-0.5 * d * d)
    for i in range(n):
        acc = 0.0
        norm = 0.0
        for k in range(2 * radius + 1):
            j = i + k - radius
            if 0 <= j < n:
                acc += w[k] * p[j]
                norm += w[k]
        out[i] = acc / norm


@kernel
def _to_db(s, speech, out):
    """``10 log10(s)`` on speech frames (``-inf`` for zero power), ``-inf`` elsewhere."""
    for i in range(s.shape[0]):
        if speech[i] and s[i] > 0.0:
            out[i] = 10.0 * math.log10(s[i])
        else:
            out[i] = -np.inf


@kernel
def _candidates(c, speech, thr, out):
    """Local maxima of ``c`` inside speech and above ``thr`` (step 3 of the definition)."""
    n = c.shape[0]
    for i in range(n):
        out[i] = False
        if not speech[i] or not c[i] > thr:
            continue
        left = c[i - 1] if i > 0 and speech[i - 1] else -np.inf
        right = c[i + 1] if i + 1 < n and speech[i + 1] else -np.inf
        if c[i] > left and c[i] >= right:
            out[i] = True


@kernel
def _merge_shallow(c, speech, cand, min_dip):
    """Drop candidates until consecutive peaks of a speech run are ``min_dip`` apart (step 5)."""
    n = c.shape[0]
    total = 0
    for k in range(n):
        if cand[k]:
            total += 1
    pos = np.empty(max(total, 1), dtype=np.int64)  # peaks of a run, at most all of them
    dip = np.empty(max(total, 1))
    i = 0
    while i < n:
        if not speech[i]:
            i += 1
            continue
        j = i
        while j < n and speech[j]:
            j += 1
        # peaks of the run [i, j) and the dips between consecutive ones
        m = 0
        for k in range(i, j):
            if cand[k]:
                if m > 0:
                    lo = c[pos[m - 1]]
                    for t in range(pos[m - 1], k + 1):
                        if c[t] < lo:
                            lo = c[t]
                    dip[m - 1] = lo
                pos[m] = k
                m += 1
        while m > 1:
            best = -1
            best_prom = 0.0
            for k in range(m - 1):
                a = c[pos[k]]
                b = c[pos[k + 1]]
                prom = (a if a < b else b) - dip[k]
                if best < 0 or prom < best_prom:
                    best = k
                    best_prom = prom
            if not best_prom < min_dip:
                break
            # drop the lower peak of the pair (the later one on a tie)
            drop = best + 1 if c[pos[best]] >= c[pos[best + 1]] else best
            cand[pos[drop]] = False
            # dip[k] lies between pos[k] and pos[k + 1]: an inner peak's two dips merge
            # into the lower one; an end peak takes its only dip with it
            if drop == 0:
                gone = 0
            elif drop == m - 1:
                gone = m - 2
            else:
                if dip[drop] < dip[drop - 1]:
                    dip[drop - 1] = dip[drop]
                gone = drop
            for k in range(gone, m - 2):
                dip[k] = dip[k + 1]
            for k in range(drop, m - 1):
                pos[k] = pos[k + 1]
            m -= 1
        i = j


@kernel
def _voiced_or_vowel(voiced, alpha_db, vowel_alpha_db, out):
    """``out[i]``: frame ``i`` is voiced or has ``alpha_db[i] < vowel_alpha_db`` (step 4; NaN is not)."""
    for i in range(voiced.shape[0]):
        out[i] = voiced[i] or alpha_db[i] < vowel_alpha_db


@kernel
def _voiced_within(cand, voiced, reach, out):
    """``out[i]``: candidate ``i`` has a voiced frame within ``reach`` frames (step 4)."""
    n = cand.shape[0]
    for i in range(n):
        out[i] = False
        if not cand[i]:
            continue
        for j in range(max(0, i - reach), min(n, i + reach + 1)):
            if voiced[j]:
                out[i] = True
                break


def intensity_contour(band_power, speech, smooth):
    """The smoothed band-power contour in dB (step 1 of the definition).

    Parameters
    ----------
    band_power : ndarray, shape (n_frames,), float
        Linear band power per frame (0 where not analysed).
    speech : ndarray, shape (n_frames,), bool
    smooth : float
        Standard deviation of the Gaussian, frames (0 = none).

    Returns
    -------
    ndarray, shape (n_frames,), float64
        dB; ``-inf`` outside speech.
    """
    p = _floats(band_power)
    speech = np.ascontiguousarray(speech, dtype=np.bool_)
    c = np.empty(p.shape[0])
    _gauss_smooth(p, float(smooth), c)
    _to_db(c, speech, c)  # in place: a long call's contour is held once
    return c


def _floats(x):
    """``x`` as a contiguous float32 or float64 array, without a copy where it already is one."""
    x = np.asarray(x)
    return np.ascontiguousarray(x, dtype=x.dtype if x.dtype in (np.float32, np.float64) else np.float64)


def syllable_nuclei(band_power, speech, voiced, *, smooth, silence_db, min_dip_db, reach, alpha_db=None,
                    vowel_alpha_db=0.0):
    """Syllable nuclei of one channel.

    The definition is in the module docstring.

    Parameters
    ----------
    band_power : array_like, shape (n_frames,)
        Linear band power per frame (``callscan.kernels.spectral.spectral_features``).
    speech : array_like of bool, shape (n_frames,)
        The channel's speech activity.
    voiced : array_like of bool, shape (n_frames,)
        The pitch tracker's voicing decision.
    smooth : float
        Standard deviation of the contour's Gaussian smoothing, frames.
    silence_db : float
        Peaks must lie above the 99th percentile of the speech contour minus this, dB.
    min_dip_db : float
        Least prominence of a nucleus over the dips between it and the neighbouring voiced
        peaks, dB.
    reach : int
        A peak is voiced when a voiced frame lies within this many frames of it.
    alpha_db : array_like, shape (n_frames,), optional
        Alpha ratio per frame, dB (``callscan.kernels.spectral``; NaN where not analysed). Frames
        below ``vowel_alpha_db`` count as voiced. None: the tracker's decision alone.
    vowel_alpha_db : float
        Alpha ratio under which a frame's spectrum is a vowel's, dB.

    Returns
    -------
    nuclei : ndarray, shape (n_frames,), bool
        True at each syllable nucleus.
    contour_db : ndarray, shape (n_frames,), float64
        The smoothed contour, dB (``-inf`` outside speech).
    threshold_db : float
        The peak threshold, dB (NaN without speech).

    Raises
    ------
    ValueError
        When the arrays differ in length or are not 1-D.
    """
    speech = np.ascontiguousarray(speech, dtype=np.bool_)
    voiced = np.ascontiguousarray(voiced, dtype=np.bool_)
    bp = np.asarray(band_power)
    n = speech.shape[0]
    alpha = None if alpha_db is None else _floats(alpha_db)
    if speech.ndim != 1 or bp.shape != (n,) or voiced.shape != (n,) or (alpha is not None and alpha.shape != (n,)):
        raise ValueError(
            f"band_power, speech, voiced and alpha_db must be 1-D and of one length; got shapes "
            f"{bp.shape}, {speech.shape}, {voiced.shape}, {None if alpha is None else alpha.shape}"
        )
    c = intensity_contour(bp, speech, smooth)
    nuclei = np.zeros(n, dtype=np.bool_)
    live = c[speech & np.isfinite(c)]
    if live.size == 0:
        return nuclei, c, float("nan")
    thr = float(np.percentile(live, 99.0, overwrite_input=True)) - float(silence_db)
    cand = np.empty(n, dtype=np.bool_)
    _candidates(c, speech, thr, cand)
    if alpha_db is not None:
        periodic = np.empty(n, dtype=np.bool_)
        _voiced_or_vowel(voiced, alpha, float(vowel_alpha_db), periodic)
        voiced = periodic
    _voiced_within(cand, voiced, int(reach), nuclei)  # step 4 before step 5: see the module docstring
    _merge_shallow(c, speech, nuclei, float(min_dip_db))
    return nuclei, c, thr
