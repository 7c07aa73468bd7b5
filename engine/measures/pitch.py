"""Pitch level and range per party.

Definition
----------
``{party}_f0_median_hz``
    Median F0 (Hz) over the party's voiced frames inside its own speech.
``{party}_f0_range_st``
    Spread of F0 between its 10th and 90th percentiles, in semitones:
    ``12 * log2(f0_p90 / f0_p10)``. Percentiles rather than extremes keep the
    odd octave error or creaky frame from setting the range.

Both are null when the party has fewer than ``min_voiced_s`` of voiced speech.
F0 comes from ``callscan.kernels.pitch`` (RAPT-style tracking, Talkin 1995).
"""

import numpy as np

from callscan.fields import Field

FIELDS = (
    Field("{party}_f0_median_hz", "number", "Hz", "Median F0 of the party's voiced frames inside its own "
          "speech.", ("pitch.fmin_hz", "pitch.fmax_hz", "pitch.min_voiced_s"), "RAPT, Talkin 1995"),
    Field("{party}_f0_range_st", "number", "semitones", "10-90 % range of the party's F0, "
          "`12 log2(p90 / p10)`.", ("pitch.min_voiced_s",)),
)


def f0_summary(f0_hz, voiced, speech, hop_s, min_voiced_s):
    """Median F0 and 10-90 % range of one party.

    Parameters
    ----------
    f0_hz : ndarray, shape (n_frames,), float32
        F0 per frame, Hz; NaN where unvoiced.
    voiced : ndarray, shape (n_frames,), bool
        Voicing decision.
    speech : ndarray, shape (n_frames,), bool
        The party's speech activity.
    hop_s : float
        Frame hop, s.
    min_voiced_s : float
        Least voiced speech needed for a figure, s.

    Returns
    -------
    median_hz, range_st : float or None
    """
    sel = voiced & speech & np.isfinite(f0_hz)
    if np.count_nonzero(sel) * hop_s < min_voiced_s:
        return None, None
    f0 = f0_hz[sel].astype(np.float64)
    p10, p50, p90 = np.percentile(f0, [10, 50, 90])
    return round(float(p50), 2), round(float(12.0 * np.log2(p90 / p10)), 3)


def pitch_measures(frames, masks, parties, min_voiced_s):
    """``{party}_f0_median_hz`` and ``{party}_f0_range_st`` for each party.

    Parameters
    ----------
    frames : callscan.frames.passes.Frames
        With ``f0_hz`` and ``voiced`` of shape (channels, n_frames).
    masks : sequence of ndarray
        Speech mask of each party, in the order of ``parties``.
    parties : sequence of (str, int)
        Party name and its channel.
    min_voiced_s : float
        See ``f0_summary``.
    """
    out = {}
    for (party, ch), mask in zip(parties, masks):
        median, spread = f0_summary(frames.f0_hz[ch], frames.voiced[ch], mask, frames.hop_s, min_voiced_s)
        out[f"{party}_f0_median_hz"] = median
        out[f"{party}_f0_range_st"] = spread
    return out
