"""Turns, response latency and monologues.

Definitions (floor transfer offset after Heldner & Edlund 2010 and
Levinson & Torreira 2015, whose cross-language mode is about 0.2 s)
--------------------------------------------------------------------------------
A party *holds the floor* with its ``floor`` segments (``callscan.measures.
interruptions``): backchannels, and talk that starts and ends inside one segment
of the other party, take no floor. A *turn* is a maximal run of one party's
floor segments, in order of onset, with no floor segment of the other party in
between and no pause of ``turn_max_pause_s`` (3 s, the dead-air threshold) or
more: a party that falls silent for that long and resumes starts a new turn.

``turns``
    Number of floor changes: consecutive turns of different parties.
``{party}_response_latency_median_s``
    Median floor transfer offset into the party's turns: its turn's start minus
    the end of the other party's turn just before (negative when it started
    before the other finished). Transfers across hold are left out: the wait is
    the hold, not a reply. Null without any transfer to the party.
``{party}_longest_monologue_s``
    The party's longest turn, start to end (0 when it has none).

Units: seconds.
"""

import statistics
from dataclasses import dataclass

from callscan.fields import Field
from callscan.measures.interruptions import FLOOR

FIELDS = (
    Field("turns", "integer", "count", "Floor changes: consecutive turns of different parties.",
          ("dynamics.turn_max_pause_s",), "Levinson & Torreira 2015"),
    Field("{party}_response_latency_median_s", "number", "s", "Median gap from the other party's turn end "
          "to this party's turn start (negative: started before the other finished); transfers across "
          "hold left out.", reference="Heldner & Edlund 2010 (human norm about 0.2 s)"),
    Field("{party}_longest_monologue_s", "number", "s", "The party's longest turn; a same-party pause of "
          "`turn_max_pause_s` or more starts a new turn.", ("dynamics.turn_max_pause_s",)),
)


@dataclass
class Turn:
    """One party holding the floor, ``[start_s, end_s)``."""

    party: str
    start_s: float
    end_s: float


def build_turns(segments, turn_max_pause_s):
    """Turns from classified segments (sorted by start).

    Parameters
    ----------
    segments : list of callscan.measures.interruptions.Segment
    turn_max_pause_s : float
        A same-party pause at least this long starts a new turn, s.

    Returns
    -------
    list of Turn
    """
    turns = []
    for seg in segments:
        if seg.role != FLOOR:
            continue
        last = turns[-1] if turns else None
        if last is not None and last.party == seg.party and seg.start_s - last.end_s < turn_max_pause_s:
            last.end_s = max(last.end_s, seg.end_s)
        else:
            turns.append(Turn(seg.party, seg.start_s, seg.end_s))
    return turns


def _crosses(intervals, a, b):
    """True when any ``(start, end)`` interval meets ``[a, b]``."""
    return any(s < b and e > a for s, e in intervals)


def turn_measures(turns, parties=("agent", "customer"), hold=()):
    """``turns``, response latency and longest monologue per party.

    Parameters
    ----------
    turns : list of Turn
    parties : tuple of str
    hold : sequence of (float, float)
        Hold stretches, s; floor transfers across them give no latency.

    Returns
    -------
    record : dict
    events : list of dict
        One ``turn`` event per turn.
    """
    changes = 0
    offsets = {p: [] for p in parties}
    for before, after in zip(turns, turns[1:]):
        if before.party == after.party:
            continue
        changes += 1
        lo, hi = sorted((before.end_s, after.start_s))
        if not _crosses(hold, lo, hi):
            offsets[after.party].append(after.start_s - before.end_s)
    record = {"turns": changes}
    for p in parties:
        record[f"{p}_response_latency_median_s"] = round(statistics.median(offsets[p]), 6) if offsets[p] else None
    for p in parties:
        lengths = [t.end_s - t.start_s for t in turns if t.party == p]
        record[f"{p}_longest_monologue_s"] = round(max(lengths), 6) if lengths else 0.0
    events = [
        {"kind": "turn", "party": t.party, "start_s": round(t.start_s, 6), "end_s": round(t.end_s, 6)}
        for t in turns
    ]
    return record, events
