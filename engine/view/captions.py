"""The words of a timeline picture: header phrases, warnings, and why a stretch is empty.

Nothing here draws (``callscan.view.plot`` fits these strings to the picture).
A value the record does not hold is never written as a dash: its phrase is
left out, or it says why the value is absent ("no customer speech", "a mono
call"), so the reader can tell a measured zero from a measure not taken.
"""

import math

from callscan.view import timeline as tl

PARTIES = ("agent", "customer")
#: Measures that need each party on its own channel (null on a mono call).
PER_PARTY = "talk share, overlap, interruptions, backchannels, turns, agitation"


def number(value):
    """A finite float, or None (None, NaN, infinities, strings and missing values)."""
    if value is None or isinstance(value, str):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


#: ``channel_layout`` in words, where it says more than ``mode``.
LAYOUT_WORDS = {"leak": "leak taken out", "shared_room": "shared room", "dual_mono": "one mix on both channels"}


def title(record):
    """The header's first line: call, length, mode (with the channel layout), codec (those the record holds)."""
    r = record.get
    parts = [str(r("call_id") or "call"), tl.clock(number(r("duration_s")) or 0)]
    if r("mode"):
        layout = LAYOUT_WORDS.get(r("channel_layout"))
        parts.append(f"{r('mode')} ({layout})" if layout else str(r("mode")))
    if r("codec"):
        parts.append(str(r("codec")))
    return "   ".join(parts)


def leak_phrases(record):
    """``leak into agent −26.0 dB at 12 ms`` for each party whose channel carries the other's signal."""
    out = []
    for party in PARTIES:
        db = number(record.get(f"leak_into_{party}_db"))
        if db is None:
            continue
        delay = number(record.get(f"leak_into_{party}_delay_ms"))
        out.append(f"leak into {party} {db:.1f} dB" + (f" at {delay:.0f} ms" if delay is not None else ""))
    return out


def absent(record, party):
    """Why a per-party value is absent: ``"no agent speech"`` or ``"too little agent speech"``."""
    talk = number(record.get(f"{party}_talk_s"))
    return f"no {party} speech" if not talk else f"too little {party} speech"


def _pair(record, name, key, spec, by=""):
    """``name [by ]agent A / customer C``; a party without a value says why, none at all gives None."""
    keys = [key.format(party=p) for p in PARTIES]
    if not any(k in record for k in keys):
        return None
    values = {p: number(record.get(k)) for p, k in zip(PARTIES, keys)}
    shown = [f"{p} {spec.format(v)}" for p, v in values.items() if v is not None]
    missing = [absent(record, p) for p, v in values.items() if v is None]
    if not shown:
        return f"{name}: none ({', '.join(missing)})"
    text = f"{name} {by}" + " / ".join(shown)
    return text + (f" ({', '.join(missing)})" if missing else "")


def measure_phrases(record):
    """The header's phrases of main measures, in reading order.

    Parameters
    ----------
    record : dict
        A call's record (or a row of a batch's table: NaN counts as absent).

    Returns
    -------
    list of str
        One phrase per measure the record holds; absent values say why.
    """
    r = record.get
    out = []
    mono = r("mode") == "mono"
    if mono:
        out.append(f"not measured on a mono call: {PER_PARTY}")
    else:
        out.append(_pair(record, "talk share", "{party}_talk_share", "{:.0%}"))
        overlap = number(r("overlap_share"))
        if overlap is not None:
            out.append(f"overlap {overlap:.1%} of span")
        out.append(_pair(record, "interruptions", "interruptions_by_{party}", "{:.0f}", by="by "))
        out.append(_pair(record, "backchannels", "backchannels_by_{party}", "{:.0f}", by="by "))
    count, total, longest = (number(r(k)) for k in ("dead_air_count", "dead_air_s", "dead_air_longest_s"))
    if count == 0:
        out.append("no dead air")
    elif count is not None:
        text = f"dead air {count:.0f} × = {total:.1f} s" if total is not None else f"dead air {count:.0f} ×"
        out.append(text + (f" (longest {longest:.1f} s)" if longest is not None else ""))
    hold = number(r("hold_s"))
    if hold is not None:
        out.append("no hold" if hold == 0 else f"hold {hold:.1f} s")
    if not mono:
        turns = number(r("turns"))
        if turns is not None:
            out.append(f"turns {turns:.0f}")
        out.append(_pair(record, "agitation", "{party}_agitation", "{:.2f}"))
        out.append(shift_phrase(record))
        out += leak_phrases(record)
    return [p for p in out if p]


def shift_phrase(record):
    """The customer's agitation shift q4 − q1, or why it is absent (None without agitation)."""
    if "customer_agitation_shift" not in record:
        return None
    shift = number(record.get("customer_agitation_shift"))
    if shift is not None:
        return f"customer shift q4−q1 {shift:+.2f}"
    if number(record.get("customer_agitation")) is None:
        return None  # the agitation phrase already says why
    gone = [q for q in ("q1", "q4") if number(record.get(f"customer_agitation_{q}")) is None]
    return f"customer shift q4−q1: none (no customer agitation in {' and '.join(gone) or 'q1 or q4'})"


def short_warnings(text):
    """A warning, then shorter forms of it, longest first.

    A warning says what was found before its first colon and what follows from
    it after; the picture writes the longest form that fits its line. The forms:
    the whole text, up to its first ``;``, up to its first ``:`` (marks inside
    parentheses do not count), and the last of these without its parentheses.

    Returns
    -------
    list of str
        Distinct forms, longest first.
    """
    text = " ".join(str(text).split())
    forms = [text]
    for mark in (";", ":"):
        at = _outside_parentheses(forms[-1], mark)
        if at > 0:
            forms.append(forms[-1][:at].rstrip())
    bare = _without_parentheses(forms[-1])
    if bare and bare != forms[-1]:
        forms.append(bare)
    return forms


def _outside_parentheses(text, mark):
    """Index of the first ``mark`` not inside parentheses, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == mark and depth == 0:
            return i
    return -1


def _without_parentheses(text):
    """``text`` with its parenthesised groups taken out."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return " ".join("".join(out).split())


def quarter_note(events, party, bounds):
    """Why a party has no agitation value in a quarter: its speech there, or what fills it.

    Parameters
    ----------
    events : list of dict
    party : str or None
        None: neither party has a value.
    bounds : (float, float)
        The quarter, s.

    Returns
    -------
    str
        ``"too little agent speech"`` when it speaks there; else ``"no agent
        speech"``, with ``(hold)`` or ``(dead air)`` when that fills half the quarter.
    """
    a, b = bounds
    speech = tl.covered_s(tl.intervals(events, "speech", party), a, b)
    who = f"{party} " if party else ""
    if speech > 0:
        return f"too little {who}speech"
    for kind, name in (("hold", "hold"), ("dead_air", "dead air")):
        if tl.covered_s(tl.intervals(events, kind), a, b) >= 0.5 * (b - a):
            return f"no {who}speech ({name})"
    return f"no {who}speech"
