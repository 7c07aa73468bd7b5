"""Span, talk time and overlap.

Definitions (overlap after Heldner & Edlund 2010)
-------------------------------------------------
``span_s``
    From the first speech onset to the last speech offset of either party.
    Ring time before and tails after do not count.
``{party}_talk_s``
    Union of the party's speech segments (frames of speech activity), s.
``{party}_talk_share``
    Party talk / (agent talk + customer talk); null when nobody talks.
``overlap_s``, ``overlap_share``
    Time both parties speak, s; its share of the span.
``overtalk_count``
    Overlap intervals lasting at least ``overtalk_min_s`` (1.0 s, MiiTel).
"""

import numpy as np

from callscan.fields import Field
from callscan.measures.spans import intervals_s, seconds, span_frames

FIELDS = (
    Field("span_s", "number", "s", "First speech onset to last speech offset of either party; ring time "
          "before and tails after do not count."),
    Field("{party}_talk_s", "number", "s", "Union of the party's speech segments.",
          ("activity.min_speech_s", "activity.bridge_s")),
    Field("{party}_talk_share", "number", "share 0-1", "Party talk / (agent talk + customer talk); null "
          "when nobody talks.", reference="Gong-style talk ratio"),
    Field("overlap_s", "number", "s", "Time both parties speak.", reference="Heldner & Edlund 2010"),
    Field("overlap_share", "number", "share 0-1", "Overlap as a share of the span."),
    Field("overtalk_count", "integer", "count", "Overlaps lasting at least `overtalk_min_s`.",
          ("measures.overtalk_min_s",), "MiiTel"),
)


def span_measures(masks, hop_s):
    """``span_s`` plus the span's frame bounds (None when there is no speech)."""
    bounds = span_frames(*masks)
    span_s = 0.0 if bounds is None else seconds(bounds[1] - bounds[0], hop_s)
    return {"span_s": span_s}, bounds


def talk_measures(agent, customer, hop_s, span_s, overtalk_min_s):
    """Talk, share and overlap for two parties.

    Parameters
    ----------
    agent, customer : ndarray, shape (n_frames,), bool
        Speech masks.
    hop_s : float
        Frame hop, s.
    span_s : float
        Conversation span, s.
    overtalk_min_s : float
        Shortest overlap counted as an overtalk, s.

    Returns
    -------
    record : dict
        The measures above.
    events : list of dict
        ``speech`` events per party and ``overlap`` events.
    """
    a_s = seconds(np.count_nonzero(agent), hop_s)
    c_s = seconds(np.count_nonzero(customer), hop_s)
    both = agent & customer
    overlaps = intervals_s(both, hop_s)
    durations = overlaps[:, 1] - overlaps[:, 0]
    total = a_s + c_s
    overlap_s = seconds(np.count_nonzero(both), hop_s)
    record = {
        "agent_talk_s": a_s,
        "customer_talk_s": c_s,
        "agent_talk_share": round(a_s / total, 6) if total > 0 else None,
        "customer_talk_share": round(c_s / total, 6) if total > 0 else None,
        "overlap_s": overlap_s,
        "overlap_share": round(overlap_s / span_s, 6) if span_s > 0 else None,
        "overtalk_count": int(np.count_nonzero(durations >= overtalk_min_s - 1e-9)),
    }
    events = []
    for party, mask in (("agent", agent), ("customer", customer)):
        events += speech_events(mask, hop_s, party)
    events += [
        {"kind": "overlap", "party": None, "start_s": round(float(s), 6), "end_s": round(float(e), 6)}
        for s, e in overlaps.tolist()
    ]
    return record, events


def speech_events(mask, hop_s, party):
    """One ``speech`` event per run of the mask."""
    return [
        {"kind": "speech", "party": party, "start_s": round(float(s), 6), "end_s": round(float(e), 6)}
        for s, e in intervals_s(mask, hop_s).tolist()
    ]
