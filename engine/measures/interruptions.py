"""Interruptions and backchannels: who talks over whom, and who says "mm-hm".

Definitions (overlap, gap and pause after Heldner & Edlund 2010,
turn-taking after Levinson & Torreira 2015)
------------------------------------------------------------------------------
A *segment* is a run of one party's speech frames, after the activity stage has
bridged its short pauses (``bridge_s``) and dropped its clicks (``min_speech_s``).
``X`` is the party whose segment is judged, ``Y`` the other party.

backchannel
    A segment of ``X`` lasting at most ``backchannel_max_s`` (1.0 s) that leaves
    the floor with ``Y``: ``Y`` is speaking when it starts or stopped at most
    ``backchannel_gap_s`` before, and ``Y`` is still speaking when it ends or
    speaks again within ``backchannel_gap_s``, before ``X`` does. These are the
    listener's "reassuring sounds" (mm-hm, yes, right) inside the other party's
    speech or in its pauses. A backchannel is never an interruption.
interruption
    A segment of ``X`` that is not a backchannel and starts while ``Y`` is
    mid-speech (inside a segment of ``Y`` that began at least ``simultaneous_s``
    earlier: two parties starting together after a silence interrupt nobody),
    and overlaps that segment of ``Y`` for at least ``interrupt_grace_s`` (0.5 s).
    ``by`` is ``X``, ``of`` is ``Y``; the event runs from ``X``'s onset to the end
    of the overlap. An interruption need not win the floor: talking over ``Y``
    for 2 s while ``Y`` carries on counts too.

Fields
------
``interruptions_by_{party}``
    Count of interruptions the party makes.
``backchannels_by_{party}``
    Count of backchannels the party makes.
``{party}_backchannels_per_min``
    That count per minute of the *other* party's talk (the time there was
    something to backchannel to); null when the other party does not talk.

Units: seconds; counts are integers; rates per minute.
"""

import bisect
from dataclasses import dataclass

from callscan.fields import Field
from callscan.measures.spans import intervals_s

FIELDS = (
    Field("interruptions_by_{party}", "integer", "count", "The party starts while the other is mid-speech "
          "and overlaps it for at least `interrupt_grace_s`; never a backchannel.",
          ("dynamics.interrupt_grace_s", "dynamics.simultaneous_s"),
          "Heldner & Edlund 2010; Levinson & Torreira 2015"),
    Field("backchannels_by_{party}", "integer", "count", "Vocalisations of at most `backchannel_max_s` that "
          "leave the floor with the other party (\"mm-hm\", \"yes\"): reassuring sounds.",
          ("dynamics.backchannel_max_s", "dynamics.backchannel_gap_s")),
    Field("{party}_backchannels_per_min", "number", "per min", "The party's backchannels per minute of the "
          "*other* party's talk; null when the other party does not talk.",
          ("dynamics.backchannel_max_s",)),
)

BACKCHANNEL = "backchannel"
INSIDE = "inside"  # talks over the other party without taking the floor
FLOOR = "floor"


@dataclass
class Segment:
    """One party's run of speech and what it does in the conversation.

    Attributes
    ----------
    party : str
        ``agent`` or ``customer``.
    start_s, end_s : float
        Extent, s.
    role : str
        ``backchannel``, ``inside`` (started and ended inside one segment of the
        other party: no floor taken) or ``floor``.
    interrupts : tuple of (float, float) or None
        ``(start_s, end_s)`` of the overlap when the segment is an interruption.
    """

    party: str
    start_s: float
    end_s: float
    role: str = FLOOR
    interrupts: tuple = None


def party_segments(mask, hop_s, party):
    """A party's speech mask as a list of ``Segment`` (role still unset)."""
    return [Segment(party, round(float(s), 6), round(float(e), 6)) for s, e in intervals_s(mask, hop_s).tolist()]


def _containing(segments, starts, t):
    """The segment with ``start <= t < end``, or None (segments sorted, disjoint)."""
    i = bisect.bisect_right(starts, t) - 1
    if i >= 0 and segments[i].start_s <= t < segments[i].end_s:
        return segments[i]
    return None


def _last_ending_by(segments, starts, t):
    """The last segment starting at or before ``t`` (it may still run at ``t``), or None."""
    i = bisect.bisect_right(starts, t) - 1
    return segments[i] if i >= 0 else None


def _first_starting_after(segments, starts, t):
    """The first segment starting after ``t``, or None."""
    i = bisect.bisect_right(starts, t)
    return segments[i] if i < len(segments) else None


def classify(agent, customer, *, interrupt_grace_s, backchannel_max_s, backchannel_gap_s, simultaneous_s):
    """Give every segment its role and find the interruptions.

    Parameters
    ----------
    agent, customer : list of Segment
        Each party's segments, sorted and disjoint; modified in place.
    interrupt_grace_s, backchannel_max_s, backchannel_gap_s, simultaneous_s : float
        See the module docstring and ``callscan.params.DynamicsParams``, s.

    Returns
    -------
    list of Segment
        Both parties' segments, sorted by start.
    """
    eps = 1e-6
    by_party = {"agent": agent, "customer": customer}
    starts = {p: [s.start_s for s in segs] for p, segs in by_party.items()}
    for x, y in (("agent", "customer"), ("customer", "agent")):
        own, other = by_party[x], by_party[y]
        for k, seg in enumerate(own):
            own_next = own[k + 1].start_s if k + 1 < len(own) else float("inf")
            at_start = _containing(other, starts[y], seg.start_s)
            before = _last_ending_by(other, starts[y], seg.start_s)
            y_before = before is not None and before.end_s >= seg.start_s - backchannel_gap_s - eps
            at_end = _containing(other, starts[y], seg.end_s)
            after = _first_starting_after(other, starts[y], seg.end_s)
            y_after = at_end is not None or (
                after is not None and after.start_s <= seg.end_s + backchannel_gap_s + eps and after.start_s < own_next
            )
            if seg.end_s - seg.start_s <= backchannel_max_s + eps and y_before and y_after:
                seg.role = BACKCHANNEL
                continue
            if at_start is not None and at_start.end_s > seg.end_s and at_start.start_s < seg.start_s:
                seg.role = INSIDE
            if at_start is not None and seg.start_s - at_start.start_s >= simultaneous_s - eps:
                end = min(seg.end_s, at_start.end_s)
                if end - seg.start_s >= interrupt_grace_s - eps:
                    seg.interrupts = (seg.start_s, end)
    return sorted(agent + customer, key=lambda s: (s.start_s, s.party))


def interruption_measures(segments, talk_s, parties=("agent", "customer")):
    """Counts, rates and events of interruptions and backchannels.

    Parameters
    ----------
    segments : list of Segment
        Classified segments (``classify``).
    talk_s : dict
        Party -> talk time, s.
    parties : tuple of str

    Returns
    -------
    record : dict
    events : list of dict
        ``interruption`` (with ``by`` and ``of``) and ``backchannel`` events.
    """
    record, events = {}, []
    for party in parties:
        other = parties[1] if party == parties[0] else parties[0]
        mine = [s for s in segments if s.party == party]
        cuts = [s for s in mine if s.interrupts is not None]
        backs = [s for s in mine if s.role == BACKCHANNEL]
        record[f"interruptions_by_{party}"] = len(cuts)
        record[f"backchannels_by_{party}"] = len(backs)
        minutes = talk_s[other] / 60.0
        record[f"{party}_backchannels_per_min"] = round(len(backs) / minutes, 4) if minutes > 0 else None
        events += [
            {"kind": "interruption", "party": party, "by": party, "of": other,
             "start_s": round(s.interrupts[0], 6), "end_s": round(s.interrupts[1], 6)}
            for s in cuts
        ]
        events += [{"kind": "backchannel", "party": party, "start_s": s.start_s, "end_s": s.end_s} for s in backs]
    return record, events
