"""Speech rate and articulation rate per party, in any language.

Definitions (de Jong & Wempe 2009)
----------------------------------
A *syllable nucleus* is a voiced peak of the party's band-limited intensity contour that
stands out from the dips between it and the neighbouring voiced peaks
(:mod:`callscan.kernels.nuclei`); voiced means the pitch tracker found a period near it or its
spectrum is a vowel's (power concentrated in the first-formant band), so hoarse and creaky
vowels count and fricatives do not, nor can a loud fricative next to a vowel take that
vowel's place. Counting them needs no words, no language model and no recogniser: every
language builds syllables around a sonority peak.

``{party}_speech_rate_sps``
    Nuclei in the party's speech divided by its talk time (``{party}_talk_s``, the union of
    its speech segments), syllables per second.
``{party}_articulation_rate_sps``
    Nuclei divided by the party's *phonation* time: its talk minus the silent pauses inside
    it. A silent pause is a run of at least ``min_pause_s`` of the party's speech frames whose
    level is at most ``pause_db`` above the channel's noise floor; these are the short
    pauses the activity stage bridged into a segment (gaps of ``bridge_s`` or more already
    lie outside talk). de Jong & Wempe's pauses last 0.3 s or more (0.1 s in one 2010
    version of their script); inside talk only gaps shorter than ``bridge_s`` remain, so
    the shorter bound is the one that can apply.
turn events
    Each ``turn`` event gets ``rate_sps``: nuclei of its party inside the turn divided by the
    party's talk time inside it (null when that is under ``min_turn_talk_s``).

Rates are null when the party's talk (or phonation) is under ``min_talk_s``: a few
syllables give no rate.

Accuracy against annotated syllable counts (English, German, Russian; 8 and 16 kHz) is
measured by ``benchmarks/rate_accuracy.py``.

Reference: N. H. de Jong and T. Wempe, "Praat script to detect syllable nuclei and measure
speech rate automatically", *Behavior Research Methods* 41(2), 2009, pp. 385-390.
"""

import numpy as np

from callscan.fields import Field
from callscan.kernels.runs import mask_to_runs

FIELDS = (
    Field("{party}_speech_rate_sps", "number", "syllables/s", "Syllable nuclei (voiced intensity peaks; no "
          "words, any language) per second of the party's talk.",
          ("rate.min_dip_db", "rate.vowel_alpha_db", "rate.min_talk_s"), "de Jong & Wempe 2009"),
    Field("{party}_articulation_rate_sps", "number", "syllables/s", "Syllable nuclei per second of "
          "phonation (talk less its silent pauses of `min_pause_s` or more).",
          ("rate.min_pause_s", "rate.pause_db", "rate.min_talk_s"), "de Jong & Wempe 2009"),
)


def phonation_mask(speech, energy_db, floor_db, hop_s, pause_db, min_pause_s):
    """Speech frames that are not inside a silent pause.

    Parameters
    ----------
    speech : ndarray, shape (n_frames,), bool
        The party's speech activity.
    energy_db, floor_db : ndarray, shape (n_frames,), float32
        Frame level and noise floor of the party's channel, dBFS.
    hop_s : float
        Frame hop, s.
    pause_db : float
        Frames at most this far above the floor are silent, dB.
    min_pause_s : float
        Shortest silent run inside speech that is a pause, s.

    Returns
    -------
    ndarray, shape (n_frames,), bool
    """
    silent = speech & ~(energy_db > floor_db + pause_db)
    out = speech.copy()
    min_len = max(1, int(round(min_pause_s / hop_s)))
    starts, ends = mask_to_runs(silent)
    for s, e in zip(starts.tolist(), ends.tolist()):
        if e - s >= min_len:
            out[s:e] = False
    return out


def _rate(count, frames, hop_s, min_s):
    seconds = frames * hop_s
    if seconds < min_s - 1e-9 or seconds <= 0:
        return None
    return round(float(count) / float(seconds), 4)


def rate_measures(parties, nuclei, speech, phonation, hop_s, min_talk_s):
    """``{party}_speech_rate_sps`` and ``{party}_articulation_rate_sps``.

    Parameters
    ----------
    parties : sequence of str
        Party names, in the order of the arrays.
    nuclei, speech, phonation : sequence of ndarray, shape (n_frames,), bool
        Per party: syllable nuclei, speech activity, phonation (``phonation_mask``).
    hop_s : float
        Frame hop, s.
    min_talk_s : float
        Least talk (phonation) time for a rate, s.

    Returns
    -------
    dict
    """
    out = {}
    for party, nk, sp, ph in zip(parties, nuclei, speech, phonation):
        count = int(np.count_nonzero(nk & sp))
        out[f"{party}_speech_rate_sps"] = _rate(count, np.count_nonzero(sp), hop_s, min_talk_s)
        out[f"{party}_articulation_rate_sps"] = _rate(count, np.count_nonzero(ph), hop_s, min_talk_s)
    return out


def null_rates(parties):
    """The rate fields, all null (mono calls)."""
    out = {}
    for party in parties:
        out[f"{party}_speech_rate_sps"] = None
        out[f"{party}_articulation_rate_sps"] = None
    return out


class FrameCounts:
    """Frames of a mask inside any range ``[a, b)``, from the mask's runs (memory grows with
    the runs, not with the frames of a long call)."""

    def __init__(self, mask):
        mask = np.asarray(mask, dtype=np.bool_)
        self.n = mask.shape[0]
        starts, self.ends = mask_to_runs(mask)
        self.before = np.concatenate(([0], np.cumsum(self.ends - starts)))  # frames in runs 0..k-1
        self.starts = np.append(starts, self.n)  # and an empty run at the end

    def upto(self, i):
        """Frames of the mask before frame ``i``.

        Parameters
        ----------
        i : int or array_like of int
            Frame indices (clipped to ``[0, n_frames]``).

        Returns
        -------
        numpy.int64 or ndarray of int64, shaped like ``i``
        """
        i = np.minimum(np.maximum(i, 0), self.n)  # (np.clip costs ten times more on a few values)
        k = np.searchsorted(self.ends, i, side="right")  # runs that end by frame i
        return self.before[k] + np.maximum(i - self.starts[k], 0)  # and the part of run k before i

    def between(self, a, b):
        """Frames of the mask in ``[a, b)`` (ints or arrays of them, as for :meth:`upto`)."""
        return self.upto(b) - self.upto(a)


def add_turn_rates(events, parties, nuclei, speech, hop_s, min_turn_talk_s):
    """Set ``rate_sps`` on every ``turn`` event, in place.

    Parameters
    ----------
    events : list of dict
        Events of the call; those of kind ``turn`` get the field.
    parties : sequence of str
    nuclei, speech : sequence of ndarray, shape (n_frames,), bool
        Per party, in the order of ``parties``.
    hop_s : float
        Frame hop, s.
    min_turn_talk_s : float
        Least talk inside a turn for a rate, s.
    """
    turns = [ev for ev in events if ev.get("kind") == "turn"]
    for ev in turns:
        ev["rate_sps"] = None
    for party, nk, sp in zip(parties, nuclei, speech):
        mine = [ev for ev in turns if ev.get("party") == party]
        n = sp.shape[0]
        a = np.clip(np.rint(np.array([ev["start_s"] for ev in mine], dtype=np.float64) / hop_s), 0, n)
        b = np.clip(np.rint(np.array([ev["end_s"] for ev in mine], dtype=np.float64) / hop_s), a, n)
        a, b = a.astype(np.int64), b.astype(np.int64)
        at = np.flatnonzero(nk & sp)  # nuclei by position, speech frames by runs: both few
        count = np.searchsorted(at, b) - np.searchsorted(at, a)  # nuclei in [a, b)
        talk = FrameCounts(sp).between(a, b)
        for ev, c, t in zip(mine, count.tolist(), talk.tolist()):
            ev["rate_sps"] = _rate(c, t, hop_s, min_turn_talk_s)
