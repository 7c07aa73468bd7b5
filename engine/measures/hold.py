"""Hold: music, ringback, tones or other steady non-speech sound while nobody speaks.

Definition
----------
A frame is on hold when a channel carries steady non-speech sound there
(``callscan.kernels.steadiness``: a spectrum that stays put, as music and signalling tones
do and speech never does for a second; the silent gaps between a ringback's or a
tune's pieces count too, and so do the quiet frames at each end of a stretch down to
where its sound meets the line's floor, ``hold.edge_db``) and neither party speaks.
Hold is never speech and never dead air.

``hold_s``
    Time on hold inside the span (first to last speech; ring time before the
    answer and music after the last word do not count), s.

Each stretch is a ``hold`` event with the party of the channel that carries it
(null in mono mode).
"""

import numpy as np

from callscan.fields import Field
from callscan.measures.spans import intervals_s, seconds

FIELDS = (
    Field("hold_s", "number", "s", "Music, ringback, tones or other steady non-speech sound on a channel "
          "while nobody speaks, inside the span; never speech, never dead air.",
          ("hold.music_min_s", "hold.tone_min_s", "hold.bridge_s", "hold.edge_db")),
)


def hold_measures(hold, speaking, bounds, hop_s, parties):
    """``hold_s``, the hold mask and the ``hold`` events.

    Parameters
    ----------
    hold : ndarray, shape (channels, n_frames), bool
        Steady non-speech sound per channel.
    speaking : ndarray, shape (n_frames,), bool
        Frames where either party speaks.
    bounds : tuple of int or None
        The span as ``(first_frame, last_frame + 1)``.
    hop_s : float
        Frame hop, s.
    parties : sequence of (str or None)
        The party of each channel.

    Returns
    -------
    record : dict
    on_hold : ndarray, shape (n_frames,), bool
        Frames on hold inside the span (excluded from dead air).
    events : list of dict
    """
    n = speaking.shape[0]
    inside = np.zeros(n, dtype=bool)
    if bounds is not None:
        inside[bounds[0] : bounds[1]] = True
    on_hold = np.zeros(n, dtype=bool)
    events = []
    for ch, party in enumerate(parties):
        mask = hold[ch] & ~speaking & inside
        on_hold |= mask
        events += [
            {"kind": "hold", "party": party, "start_s": round(float(s), 6), "end_s": round(float(e), 6)}
            for s, e in intervals_s(mask, hop_s).tolist()
        ]
    return {"hold_s": seconds(np.count_nonzero(on_hold), hop_s)}, on_hold, events
