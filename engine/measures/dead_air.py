"""Dead air: mutual silence inside the span.

Definition
----------
A dead-air stretch is a run of frames inside the span where neither party
speaks, lasting at least ``dead_air_min_s`` (3 s: Amazon Contact Lens non-talk
time, NICE notable silence), not on hold and silent: a stretch where a channel
keeps sounding (:func:`sustained_sound`: more than ``hold.sound_db`` above its
quietest level for ``dead_air_min_s`` or longer, gaps under ``hold.long_gap_s``
bridged) is not dead air, whatever the sound is (music that the hold check did
not recognise, a machine, a television). Silence before the first onset or
after the last offset never counts, so adding ring time or a tail changes
nothing.

``dead_air_count``, ``dead_air_s``, ``dead_air_share``
    Number of stretches, their total length (s) and its share of the span.
``dead_air_longest_s``, ``dead_air_longest_at_s``
    The longest stretch and where it starts (s from the start of the file).
``dead_air_count_5s``, ``dead_air_count_10s``
    Counts at 5 s (Google CCAI) and 10 s (Observe.AI).
"""

import numpy as np

from callscan.fields import Field
from callscan.kernels.energy import sounding
from callscan.kernels.runs import bridge_gaps, drop_short
from callscan.measures.spans import intervals_s

FIELDS = (
    Field("dead_air_count", "integer", "count", "Mutual silences inside the span lasting at least "
          "`dead_air_min_s`, hold and sustained sound left out.", ("measures.dead_air_min_s", "hold.sound_db"),
          "Contact Lens, NICE (3 s)"),
    Field("dead_air_s", "number", "s", "Total length of those silences.", ("measures.dead_air_min_s",)),
    Field("dead_air_share", "number", "share 0-1", "Dead air as a share of the span.",
          ("measures.dead_air_min_s",)),
    Field("dead_air_longest_s", "number", "s", "The longest dead-air stretch (0 when there is none).",
          ("measures.dead_air_min_s",)),
    Field("dead_air_longest_at_s", "number", "s", "Where the longest stretch starts, from the start of the "
          "file; null when there is none."),
    Field("dead_air_count_5s", "integer", "count", "Mutual silences of at least 5 s.",
          ("measures.dead_air_extra_s",), "Google CCAI"),
    Field("dead_air_count_10s", "integer", "count", "Mutual silences of at least 10 s.",
          ("measures.dead_air_extra_s",), "Observe.AI"),
)


def sustained_sound(energy_db, hop_s, above_db, gap_s, min_s):
    """Frames where some channel keeps sounding: more than ``above_db`` over its quietest level
    (``callscan.kernels.energy.sounding``), gaps shorter than ``gap_s`` bridged, for at least
    ``min_s``.

    Parameters
    ----------
    energy_db : ndarray, shape (channels, n_frames)
        Frame levels, dBFS.
    hop_s, above_db, gap_s, min_s : float
        Frame hop (s), level over the quietest (dB), gap and least length (s).

    Returns
    -------
    ndarray, shape (n_frames,), bool
    """
    out = np.zeros(energy_db.shape[1], dtype=bool)
    for e in energy_db:
        loud = bridge_gaps(sounding(e, above_db), max(0, int(round(gap_s / hop_s))))
        out |= drop_short(loud, max(1, int(round(min_s / hop_s))))
    return out


def dead_air_measures(silence, bounds, hop_s, span_s, min_s, extra_s=(5.0, 10.0)):
    """Dead-air measures from a mutual-silence mask.

    Parameters
    ----------
    silence : ndarray, shape (n_frames,), bool
        True where nobody speaks (and nothing is on hold).
    bounds : tuple of int or None
        Span as ``(first_frame, last_frame + 1)``; None when nobody speaks.
    hop_s : float
        Frame hop, s.
    span_s : float
        Conversation span, s.
    min_s : float
        Shortest mutual silence that is dead air, s.
    extra_s : tuple of float
        Further thresholds with their own count fields.

    Returns
    -------
    record : dict
    events : list of dict
        One ``dead_air`` event per stretch.
    """
    stretches = np.zeros((0, 2))
    if bounds is not None:
        a, b = bounds
        inside = np.zeros_like(silence)
        inside[a:b] = silence[a:b]
        stretches = intervals_s(inside, hop_s)
    lengths = stretches[:, 1] - stretches[:, 0]
    keep = lengths >= min_s - 1e-9
    stretches, lengths = stretches[keep], lengths[keep]
    total = float(lengths.sum())
    longest = int(np.argmax(lengths)) if lengths.size else None
    record = {
        "dead_air_count": int(lengths.size),
        "dead_air_s": round(total, 6),
        "dead_air_share": round(total / span_s, 6) if span_s > 0 else None,
        "dead_air_longest_s": round(float(lengths[longest]), 6) if longest is not None else 0.0,
        "dead_air_longest_at_s": round(float(stretches[longest, 0]), 6) if longest is not None else None,
    }
    for t in extra_s:
        record[f"dead_air_count_{t:g}s"] = int(np.count_nonzero(lengths >= t - 1e-9))
    events = [
        {"kind": "dead_air", "party": None, "start_s": round(float(s), 6), "end_s": round(float(e), 6)}
        for s, e in stretches
    ]
    return record, events
