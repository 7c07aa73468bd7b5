"""Speech rate and agitation of a call: per-party voice tracks from frame features.

The definitions are in ``callscan.measures.rate`` and ``callscan.measures.agitation``; this
module only assembles each party's frames (syllable nuclei, phonation, F0, level, tilt)
and fills the record and the turn events.
"""

from callscan.fields import PARTIES
from callscan.kernels.nuclei import syllable_nuclei
from callscan.measures.agitation import Track, agitation_measures, null_agitation
from callscan.measures.rate import add_turn_rates, null_rates, phonation_mask, rate_measures


def channel_track(frames, ch, speech, params):
    """The voice track of one channel's party.

    Parameters
    ----------
    frames : callscan.frames.passes.Frames
        With ``f0_hz``, ``voiced``, ``band_power``, ``alpha_db`` and ``hammarberg_db``.
    ch : int
        Channel.
    speech : ndarray, shape (n_frames,), bool
        The party's speech activity.
    params : callscan.params.Params

    Returns
    -------
    callscan.measures.agitation.Track
    """
    rp = params.rate
    hop_s = frames.hop_s
    nuclei, _, _ = syllable_nuclei(
        frames.band_power[ch], speech, frames.voiced[ch],
        smooth=rp.smooth_s / hop_s, silence_db=rp.silence_db, min_dip_db=rp.min_dip_db,
        reach=int(round(rp.voiced_reach_s / hop_s)), alpha_db=frames.alpha_db[ch], vowel_alpha_db=rp.vowel_alpha_db,
    )
    phonation = phonation_mask(speech, frames.energy_db[ch], frames.floor_db[ch], hop_s, rp.pause_db, rp.min_pause_s)
    return Track(
        f0_hz=frames.f0_hz[ch], voiced=frames.voiced[ch], speech=speech, level_db=frames.energy_db[ch],
        alpha_db=frames.alpha_db[ch], hammarberg_db=frames.hammarberg_db[ch], nuclei=nuclei, phonation=phonation,
    )


def voice_measures(frames, mode, params, masks, channels, bounds, events):
    """Rate and agitation fields of a call; ``turn`` events in ``events`` get ``rate_sps``.

    Parameters
    ----------
    frames : callscan.frames.passes.Frames
    mode : str
        ``"stereo"`` or ``"mono"`` (every field null; so too without F0 in ``frames``).
    params : callscan.params.Params
    masks : sequence of ndarray
        Speech masks of the agent and the customer (stereo).
    channels : sequence of int
        Their channels.
    bounds : (int, int) or None
        Span frames.
    events : list of dict
        The call's events so far.

    Returns
    -------
    dict
    """
    if mode == "mono" or getattr(frames, "voiced", None) is None:
        out = null_rates(PARTIES)
        out.update(null_agitation(PARTIES))
        for ev in events:
            if ev.get("kind") == "turn":
                ev["rate_sps"] = None
        return out
    tracks = {p: channel_track(frames, ch, m, params) for p, ch, m in zip(PARTIES, channels, masks)}
    hop_s = frames.hop_s
    rp = params.rate
    out = rate_measures(PARTIES, [tracks[p].nuclei for p in PARTIES], [tracks[p].speech for p in PARTIES],
                        [tracks[p].phonation for p in PARTIES], hop_s, rp.min_talk_s)
    out.update(agitation_measures(tracks, bounds, hop_s, params.agitation, rp.min_talk_s))
    add_turn_rates(events, PARTIES, [tracks[p].nuclei for p in PARTIES], [tracks[p].speech for p in PARTIES],
                   hop_s, rp.min_turn_talk_s)
    return out
