"""Agitation: a 0-1 arousal score per party, per quarter of the call, and how the agent follows.

Definition
----------
Arousal shows in the voice the same way in every language: more subglottal pressure and
vocal-fold tension raise F0 and widen its excursions, make the voice louder and flatten
the spectrum (more energy in the upper harmonics), and often quicken articulation
(Scherer 2003; the eGeMAPS arousal parameters, Eyben et al. 2016). Each cue below is turned
into a *z value*: how many reference standard deviations it lies above a neutral
reference. The references are fixed norms, not statistics of the call, so a score means
the same in every call:

``f0_level``, weight ``w_f0_level``
    ``(m - R) / f0_scale_st``, ``m`` the median F0 of the party's voiced speech in
    semitones, ``R`` the neutral norm of the speaker's pitch register: a man's voice
    and a woman's sit about an octave apart, so raw F0 would rank every woman above every
    man. ``R`` mixes a low-register norm (``f0_norm_low_hz``) and a high-register norm
    (``f0_norm_high_hz``) with the weight ``1 / (1 + exp(-(p10 - S) / register_softness_st))``,
    ``p10`` the 10th percentile of the party's F0 over the *whole call* and ``S`` the
    register split (``register_split_hz``), both in semitones. The floor of a voice moves
    less with arousal than its median, and over a whole call it comes mostly from calm
    stretches; the soft mix avoids a jump at the split.
``f0_range``, weight ``w_f0_range``
    ``(r - f0_range_norm_st) / f0_range_scale_st``, ``r`` the 10-90 % range of F0 in
    semitones. Semitones make ranges of low and high voices comparable.
``alpha``, weight ``w_alpha``
    ``(a - alpha_norm_db) / alpha_scale_db``, ``a`` the median alpha ratio of the voiced
    frames (energy 1-3.4 kHz over 300 Hz-1 kHz, :mod:`callscan.kernels.spectral`).
``hammarberg``, weight ``w_hammarberg``
    ``(hammarberg_norm_db - h) / hammarberg_scale_db``, ``h`` the median Hammarberg index of
    the voiced frames (strongest peak 300 Hz-2 kHz over strongest 2-3.4 kHz). Both
    spectral-tilt cues stand in for vocal effort, which a recording's level cannot show.
``loudness``, weight ``w_loudness``
    ``(L - L_call) / loudness_scale_db``, ``L`` the median frame level (dBFS) of the party's
    speech in the stretch scored and ``L_call`` the same over the whole call. Gain, codec,
    handset distance and automatic gain control change a recording's level by tens of dB
    from call to call, so level compares only within a call: it moves the quarters and the
    windows of one call, and is 0 for the call as a whole.
``rate``, weight ``w_rate``
    ``(ar - rate_norm_sps) / rate_scale_sps``, ``ar`` the articulation rate
    (:mod:`callscan.measures.rate`) in the stretch; left out where the stretch has less than
    ``min_talk_s`` of phonation. Its weight is small: aroused speakers speed up more often
    than not, but emphatic anger can be slow, and syllable rates differ between languages.

The score of a stretch is ``1 / (1 + exp(-(Z - centre) / slope))`` with ``Z`` the weighted
mean of the available z values. It is 0.5 where the cues lie ``centre`` reference standard
deviations above neutral on average; neutral speech scores about 0.2. A stretch with less
than ``min_voiced_s`` of voiced speech of the party gets no score (null).

The norms come from neutral read speech in the telephone band (8 kHz, 300-3400 Hz),
analysed by this engine: 8 men and 7 women of the Keele, PTDB-TUG, CMU ARCTIC and MFA
recordings (median F0 92-134 Hz for the men, 191-234 Hz for the women and the Asterisk
prompt voice, about 2.5 semitones SD within a register; 10-90 % F0 range 6.5 ± 1.7
semitones; alpha ratio -10.4 ± 3.8 dB and Hammarberg index 20.3 ± 4.7 dB, mean ± SD over
speakers), and textbook articulation rates (about 5 syllables per second). None of
the EMO-DB recordings that validate the score took part.

Fields
------
``{party}_agitation``
    Score of the party over the span.
``{party}_agitation_q1`` ... ``_q4``
    Score over each quarter of the span (Contact Lens quarters).
``customer_agitation_shift``
    ``customer_agitation_q4 - customer_agitation_q1``; negative: the customer calmed down.
``agent_mirroring``
    Pearson correlation, over windows of ``mirror_window_s`` stepped by ``mirror_hop_s``
    through the span, between the agent's and the customer's scores (windows where both
    have a score; at least ``mirror_min_windows`` of them, else null). Near 1: the agent's
    agitation rises and falls with the customer's; near 0 or below: the agent stays level.

References
----------
F. Eyben et al., "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for voice research
and affective computing", *IEEE Trans. Affective Computing* 7(2), 2016, pp. 190-202.

K. R. Scherer, "Vocal communication of emotion: a review of research paradigms", *Speech
Communication* 40, 2003, pp. 227-256.

H. Traunmüller and A. Eriksson, "The perceptual evaluation of F0 excursions in speech as
evidenced in liveliness estimations", *J. Acoust. Soc. Am.* 97(3), 1995, pp. 1905-1915
(F0 excursions judged in semitones relative to the speaker's own base).
"""

import math
from dataclasses import dataclass

import numpy as np

from callscan.kernels.windows import window_percentiles
from callscan.measures.rate import FrameCounts

_REF_HZ = 100.0


def _logistic(t):
    """``1 / (1 + exp(-t))``; 0 where ``exp(-t)`` would overflow (``t < -700``: the value is
    below 1e-304 there), so that extreme cues or parameters give a score rather than an error."""
    return 1.0 / (1.0 + math.exp(-t)) if t > -700.0 else 0.0


def _st(hz):
    """Semitones re 100 Hz."""
    return 12.0 * np.log2(np.asarray(hz, dtype=np.float64) / _REF_HZ)


@dataclass
class Track:
    """One party's per-frame voice features (shape (n_frames,) each).

    Attributes
    ----------
    f0_hz : ndarray, float32
        F0, Hz; NaN where unvoiced.
    voiced, speech, nuclei, phonation : ndarray, bool
    level_db : ndarray, float32
        Frame level, dBFS.
    alpha_db, hammarberg_db : ndarray, float32
        Spectral tilt per frame, dB (NaN outside speech).
    """

    f0_hz: np.ndarray
    voiced: np.ndarray
    speech: np.ndarray
    level_db: np.ndarray
    alpha_db: np.ndarray
    hammarberg_db: np.ndarray
    nuclei: np.ndarray
    phonation: np.ndarray


def cue_table(track, starts, ends, hop_s, min_voiced_s, min_talk_s):
    """Cue values of one party over several frame ranges ``[starts[k], ends[k])``.

    Returns
    -------
    list of (dict or None)
        Per range: ``f0_st`` (median, semitones re 100 Hz), ``f0_range_st`` (10-90 %),
        ``alpha_db`` and ``hammarberg_db`` (medians over the voiced frames), ``level_db``
        (median over the speech frames), ``rate_sps`` (nuclei per second of phonation, or
        None under ``min_talk_s``); None when the range has less than ``min_voiced_s`` of
        voiced speech.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    sp = track.speech
    f0 = track.f0_hz
    v = track.voiced & sp & np.isfinite(f0) & (f0 > 0)
    voiced = FrameCounts(v)
    # the voiced frames' semitones only, with each range moved onto them
    st = 12.0 * np.log2(f0[v].astype(np.float64) / _REF_HZ)
    f0_q = window_percentiles(st, np.ones(st.shape[0], dtype=np.bool_), voiced.upto(starts), voiced.upto(ends),
                              (10.0, 50.0, 90.0))
    del st

    def median(x, mask):
        q = window_percentiles(x, mask & np.isfinite(x), starts, ends, (50.0,))[:, 0]
        return [None if np.isnan(m) else m for m in q.tolist()]

    alpha_q = median(track.alpha_db, v)
    hamm_q = median(track.hammarberg_db, v)
    level_q = median(track.level_db, sp)
    enough = (voiced.between(starts, ends) * hop_s >= min_voiced_s - 1e-9).tolist()
    phon = FrameCounts(track.phonation).between(starts, ends).tolist()
    nuclei_at = np.flatnonzero(track.nuclei & sp)  # few: counted by position
    syllables = (np.searchsorted(nuclei_at, ends) - np.searchsorted(nuclei_at, starts)).tolist()
    out = []
    for k, (lo, mid, hi) in enumerate(f0_q.tolist()):
        if not enough[k]:
            out.append(None)
            continue
        phon_s = phon[k] * hop_s
        out.append({
            "f0_st": mid,
            "f0_range_st": hi - lo,
            "alpha_db": alpha_q[k],
            "hammarberg_db": hamm_q[k],
            "level_db": level_q[k],
            "rate_sps": float(syllables[k]) / phon_s if phon_s >= min_talk_s - 1e-9 and phon_s > 0 else None,
        })
    return out


def cues(track, a, b, hop_s, min_voiced_s, min_talk_s):
    """Cue values of one party over frames ``[a, b)`` (``cue_table`` for one range)."""
    return cue_table(track, [a], [b], hop_s, min_voiced_s, min_talk_s)[0]


def register_reference_st(f0_hz, voiced, speech, ap):
    """Neutral F0 norm ``R`` of a speaker's register, semitones re 100 Hz (or None).

    Parameters
    ----------
    f0_hz : ndarray, shape (n_frames,), float32
    voiced, speech : ndarray, shape (n_frames,), bool
    ap : callscan.params.AgitationParams
    """
    v = voiced & speech & np.isfinite(f0_hz) & (f0_hz > 0)
    if not v.any():
        return None
    p10 = float(np.percentile(_st(f0_hz[v]), 10))
    w = _logistic((p10 - float(_st(ap.register_split_hz))) / ap.register_softness_st)
    return float((1.0 - w) * _st(ap.f0_norm_low_hz) + w * _st(ap.f0_norm_high_hz))


def score(c, register_st, call_level_db, ap):
    """Agitation score of one stretch from its cues (module docstring), 0..1, or None.

    Parameters
    ----------
    c : dict or None
        From ``cues``.
    register_st : float
        The speaker's register norm ``R``, semitones re 100 Hz.
    call_level_db : float or None
        The party's median speech level over the whole call, dBFS.
    ap : callscan.params.AgitationParams
    """
    if c is None or register_st is None:
        return None
    terms = [
        (ap.w_f0_level, (c["f0_st"] - register_st) / ap.f0_scale_st),
        (ap.w_f0_range, (c["f0_range_st"] - ap.f0_range_norm_st) / ap.f0_range_scale_st),
    ]
    if c["alpha_db"] is not None:
        terms.append((ap.w_alpha, (c["alpha_db"] - ap.alpha_norm_db) / ap.alpha_scale_db))
    if c["hammarberg_db"] is not None:
        terms.append((ap.w_hammarberg, (ap.hammarberg_norm_db - c["hammarberg_db"]) / ap.hammarberg_scale_db))
    if c["level_db"] is not None and call_level_db is not None:
        terms.append((ap.w_loudness, (c["level_db"] - call_level_db) / ap.loudness_scale_db))
    if c["rate_sps"] is not None:
        terms.append((ap.w_rate, (c["rate_sps"] - ap.rate_norm_sps) / ap.rate_scale_sps))
    total = sum(w for w, _ in terms)
    if total <= 0:
        return None
    z = sum(w * v for w, v in terms) / total
    return _logistic((z - ap.centre) / ap.slope)


def _round(x):
    return None if x is None else round(float(x), 4)


def stretch_scores(track, bounds, hop_s, ap, min_talk_s):
    """Scores of one party over the span, its quarters and the mirroring windows.

    Parameters
    ----------
    track : Track
    bounds : (int, int)
        Span frames ``[a, b)``.
    hop_s : float
    ap : callscan.params.AgitationParams
    min_talk_s : float
        Least phonation for the rate cue, s.

    Returns
    -------
    whole : float or None
    quarters : list of 4 (float or None)
    windows : list of (float or None)
        One per mirroring window (``mirror_windows``).
    """
    a, b = bounds
    register = register_reference_st(track.f0_hz[a:b], track.voiced[a:b], track.speech[a:b], ap)
    level = track.level_db[a:b][track.speech[a:b]]
    level = level[np.isfinite(level)]
    call_level = float(np.median(level)) if level.size else None

    edges = [a + int(round(k * (b - a) / 4.0)) for k in range(5)]
    ranges = [(a, b)] + [(edges[k], edges[k + 1]) for k in range(4)] + mirror_windows(bounds, hop_s, ap)
    table = cue_table(track, [r[0] for r in ranges], [r[1] for r in ranges], hop_s, ap.min_voiced_s, min_talk_s)
    scores = [score(c, register, call_level, ap) for c in table]
    return scores[0], scores[1:5], scores[5:]


def mirror_windows(bounds, hop_s, ap):
    """Frame ranges of the mirroring windows inside the span.

    Windows of ``mirror_window_s`` start at the span's start and every ``mirror_hop_s``
    after it while they fit; a span shorter than one window gives no window.
    """
    a, b = bounds
    width = max(1, int(round(ap.mirror_window_s / hop_s)))
    step = max(1, int(round(ap.mirror_hop_s / hop_s)))
    return [(s, s + width) for s in range(a, b - width + 1, step)]


def mirroring(agent_windows, customer_windows, min_windows):
    """Pearson correlation of the two parties' window scores (None when undefined)."""
    pairs = [(x, y) for x, y in zip(agent_windows, customer_windows) if x is not None and y is not None]
    if len(pairs) < max(2, min_windows):
        return None
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def agitation_measures(tracks, bounds, hop_s, ap, min_talk_s):
    """All agitation fields of a two-party call.

    Parameters
    ----------
    tracks : dict
        ``{"agent": Track, "customer": Track}``.
    bounds : (int, int) or None
        Span frames; None when nobody speaks.
    hop_s : float
    ap : callscan.params.AgitationParams
    min_talk_s : float

    Returns
    -------
    dict
    """
    out = null_agitation()
    if bounds is None:
        return out
    windows = {}
    for party, track in tracks.items():
        whole, quarters, win = stretch_scores(track, bounds, hop_s, ap, min_talk_s)
        out[f"{party}_agitation"] = _round(whole)
        for k, q in enumerate(quarters, 1):
            out[f"{party}_agitation_q{k}"] = _round(q)
        windows[party] = win
    q1, q4 = out["customer_agitation_q1"], out["customer_agitation_q4"]
    out["customer_agitation_shift"] = _round(q4 - q1) if q1 is not None and q4 is not None else None
    out["agent_mirroring"] = _round(mirroring(windows["agent"], windows["customer"], ap.mirror_min_windows))
    return out


def null_agitation(parties=("agent", "customer")):
    """Every agitation field, null (mono calls, calls without speech)."""
    out = {}
    for party in parties:
        out[f"{party}_agitation"] = None
        for k in range(1, 5):
            out[f"{party}_agitation_q{k}"] = None
    out["customer_agitation_shift"] = None
    out["agent_mirroring"] = None
    return out


from callscan.fields import Field

_AGITATION_PARAMS = ("agitation.centre", "agitation.slope", "agitation.min_voiced_s")
FIELDS = (
    Field("{party}_agitation", "number", "score 0-1", "Arousal of the party's voice over the span from F0 "
          "against its register's norm, F0 range, spectral tilt, loudness within the call and articulation "
          "rate; neutral speech scores about 0.2, higher = more agitated.", _AGITATION_PARAMS,
          "eGeMAPS, Eyben et al. 2016; Scherer 2003"),
) + tuple(
    Field(f"{{party}}_agitation_q{k}", "number", "score 0-1", f"The same score over quarter {k} of the span.",
          _AGITATION_PARAMS, "Contact Lens quarters")
    for k in range(1, 5)
) + (
    Field("customer_agitation_shift", "number", "score difference", "customer_agitation_q4 - "
          "customer_agitation_q1: negative when the customer calmed down."),
    Field("agent_mirroring", "number", "correlation -1-1", "Correlation of the two parties' scores over "
          "windows through the span: high when the agent's agitation follows the customer's (low is calm "
          "presence).", ("agitation.mirror_window_s", "agitation.mirror_hop_s", "agitation.mirror_min_windows")),
)
