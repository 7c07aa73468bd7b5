"""One call in, one record out (the record's fields: ``callscan measures``)."""

import io
import os

import numpy as np

from callscan._version import __version__
from callscan.audio import decoding as audio_mod
from callscan.audio.blocks import MemorySource, open_source
from callscan.errors import ParameterError
from callscan.frames.layout import room_warning
from callscan.frames.passes import frame_features
from callscan.measures.dead_air import dead_air_measures, sustained_sound
from callscan.measures.hold import hold_measures
from callscan.measures.interruptions import classify, interruption_measures, party_segments
from callscan.measures.pitch import pitch_measures
from callscan.measures.quality import quality_measures
from callscan.measures.talk import span_measures, speech_events, talk_measures
from callscan.measures.turns import build_turns, turn_measures
from callscan.measures.voice import voice_measures
from callscan.params import Params
from callscan.record.schema import SCHEMA_VERSION

PARTY_FIELDS = (
    "agent_talk_s",
    "customer_talk_s",
    "agent_talk_share",
    "customer_talk_share",
    "overlap_s",
    "overlap_share",
    "overtalk_count",
    "interruptions_by_agent",
    "interruptions_by_customer",
    "backchannels_by_agent",
    "backchannels_by_customer",
    "agent_backchannels_per_min",
    "customer_backchannels_per_min",
    "turns",
    "agent_response_latency_median_s",
    "customer_response_latency_median_s",
    "agent_longest_monologue_s",
    "customer_longest_monologue_s",
)


def load(source, sample_rate=None, params=None):
    """Decode a path, bytes or a binary file-like object, or wrap an array (``callscan.audio.decoding``)."""
    params = params or Params()
    kw = dict(min_duration_s=params.min_duration_s, identical_tol=params.identical_tol, mix=params.mix,
              highpass_hz=params.frame.highpass_hz)
    is_file = isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(source, "read")
    if is_file and sample_rate is not None:
        raise ParameterError("sample_rate is only for arrays; a file carries its own")
    if isinstance(source, (str, os.PathLike)):
        return audio_mod.decode(source, **kw)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return audio_mod.decode_file_object(io.BytesIO(source), **kw)
    if hasattr(source, "read"):
        return audio_mod.decode_file_object(source, **kw)
    return audio_mod.from_array(source, sample_rate, **kw)


def open_call(source, sample_rate=None, params=None):
    """What ``frame_features`` reads: a file path read a block at a time when it can be
    (``callscan.audio.blocks``), anything else decoded whole (:func:`load`)."""
    params = params or Params()
    if isinstance(source, (str, os.PathLike)):
        if sample_rate is not None:
            raise ParameterError("sample_rate is only for arrays; a file carries its own")
        return open_source(source, min_duration_s=params.min_duration_s, identical_tol=params.identical_tol,
                           mix=params.mix, highpass_hz=params.frame.highpass_hz)
    return MemorySource(load(source, sample_rate, params))


def analyze_call(source, sample_rate=None, params=None, *, events=False, call_id=None):
    """Measure one call.

    Parameters
    ----------
    source : str, os.PathLike, bytes, binary file-like or ndarray
        A file path; the bytes of an audio file or a binary file-like object
        (``io.BytesIO``, an open file: no temporary file needed); or samples shaped
        (channels, n_samples) (with ``sample_rate``). The same audio gives the same
        measures whichever way it comes.
    sample_rate : int, optional
        Sample rate of an array, Hz.
    params : callscan.params.Params, optional
        Defaults to ``Params()``.
    events : bool
        Add the list of events (``callscan.record.schema.EVENT_SCHEMA``) under ``"events"``.
    call_id : str, optional
        Defaults to the file name without extension.

    Returns
    -------
    dict
        The per-call record (its fields: ``callscan measures``, ``callscan schema``).

    Raises
    ------
    callscan.errors.CallscanError
        When the input cannot be analysed; the message names the file and the reason.
    """
    params = params or Params()
    audio = open_call(source, sample_rate, params)
    return call_record(audio, frame_features(audio, params), params, events=events, call_id=call_id)


def call_record(audio, frames, params, *, events=False, call_id=None):
    """The record of a call from its opened audio and its frame features (:func:`analyze_call`).

    Parameters
    ----------
    audio : callscan.audio.blocks.FileSource or MemorySource
        What :func:`open_call` returned.
    frames : callscan.frames.passes.Frames
        ``frame_features(audio, params)``.
    params : callscan.params.Params
    events, call_id
        As for :func:`analyze_call`.

    Returns
    -------
    dict
    """
    path = audio.path
    record = {
        "path": path,
        "call_id": call_id or (os.path.splitext(os.path.basename(path))[0] if path else None),
        "status": "ok",
        "error_kind": None,
        "error": None,
        "mode": audio.mode,
        "sample_rate": audio.source_rate,
        "channels": audio.channels if audio.mode == "mono" else 2,
        "codec": audio.codec,
        "duration_s": round(audio.duration_s, 6),
    }
    record_events = []
    warnings = list(audio.warnings)
    record.update(call_measures(frames, audio.mode, params, record_events, warnings))
    # The last frame may reach past the end of the file by less than a hop.
    record["span_s"] = min(record["span_s"], record["duration_s"])
    for event in record_events:
        event["end_s"] = min(event["end_s"], record["duration_s"])
        # One schema for every event, so event tables line up across calls.
        event.setdefault("by", None)
        event.setdefault("of", None)
        event.setdefault("rate_sps", None)
    leaks = [db for db in frames.leak_db if db is not None]
    record["crosstalk"] = round(max(leaks), 2) if leaks else None
    record.update(layout_fields(audio, frames, params))
    if frames.layout == "shared_room":
        warnings.append(room_warning(frames.room_db))
    else:
        for ch, db in enumerate(frames.leak_db):
            if db is not None:
                warnings.append(
                    f"channel {ch} carries the other channel's signal at {db:.1f} dB "
                    "(crosstalk or echo); that leak is not counted as speech"
                )
    record["warnings"] = warnings
    record["engine_version"] = __version__
    record["params_hash"] = params.hash()
    record["schema_version"] = SCHEMA_VERSION
    if events:
        record["events"] = sorted(record_events, key=lambda e: (e["start_s"], e["kind"]))
    return record


def layout_fields(audio, frames, params):
    """``channel_layout`` and, per party, the leak of the other party into its channel
    (``callscan.fields.LAYOUT``).

    A leak's level and delay come from the leak stage (``Frames.leaks``);
    in a shared room the level is the room's coupling and the delay null (no short linear
    path carries it).
    """
    out = {"channel_layout": audio.layout or frames.layout or "separate"}
    paths = frames.leaks if out["channel_layout"] == "leak" else []
    for party, ch in params.party_channels():
        level = delay = None
        if out["channel_layout"] == "shared_room":
            level = frames.room_db[ch]
        elif ch < len(paths) and paths[ch] is not None:
            level, delay = paths[ch][0], round(1000 * paths[ch][1], 2)
        out[f"leak_into_{party}_db"] = None if level is None else round(level, 2)
        out[f"leak_into_{party}_delay_ms"] = delay
    return out


def call_measures(frames, mode, params, events, warnings=None):
    """All call measures from frame features.

    Events are appended to ``events``, notes for the user to ``warnings`` (when
    given).
    """
    hop_s = frames.hop_s
    mp = params.measures
    parties = params.party_channels()
    channels = tuple(ch for _, ch in parties)
    if mode == "mono":
        masks = (frames.speech[0],)
    else:
        masks = tuple(frames.speech[ch] for ch in channels)
    out, bounds = span_measures(masks, hop_s)
    if mode == "mono":
        out.update({name: None for name in PARTY_FIELDS})
        events += speech_events(masks[0], hop_s, None)
    else:
        talk, talk_events = talk_measures(*masks, hop_s, out["span_s"], mp.overtalk_min_s)
        out.update(talk)
        events += talk_events
    speaking = np.logical_or.reduce(masks)
    if mode == "mono":
        channel_parties = (None,)
    else:
        channel_parties = [party for party, _ in sorted(parties, key=lambda pc: pc[1])]
    hold = frames.hold if frames.hold is not None else np.zeros((len(channel_parties), speaking.size), bool)
    held, on_hold, hold_events = hold_measures(hold, speaking, bounds, hop_s, channel_parties)
    out.update(held)
    events += hold_events
    if mode != "mono":
        dp = params.dynamics
        agent = party_segments(masks[0], hop_s, "agent")
        customer = party_segments(masks[1], hop_s, "customer")
        segments = classify(
            agent,
            customer,
            interrupt_grace_s=dp.interrupt_grace_s,
            backchannel_max_s=dp.backchannel_max_s,
            backchannel_gap_s=dp.backchannel_gap_s,
            simultaneous_s=dp.simultaneous_s,
        )
        talk_s = {"agent": out["agent_talk_s"], "customer": out["customer_talk_s"]}
        found, found_events = interruption_measures(segments, talk_s)
        out.update(found)
        events += found_events
        hold_spans = [tuple(e[k] for k in ("start_s", "end_s")) for e in hold_events]
        turned, turn_events = turn_measures(build_turns(segments, dp.turn_max_pause_s), hold=hold_spans)
        out.update(turned)
        events += turn_events
    if mode == "mono" or frames.f0_hz is None:
        out.update({f"{p}_{k}": None for p in ("agent", "customer") for k in ("f0_median_hz", "f0_range_st")})
    else:
        out.update(pitch_measures(frames, masks, parties, params.pitch.min_voiced_s))
    out.update(voice_measures(frames, mode, params, masks, channels, bounds, events))
    quality, notes = quality_measures(frames, parties, ~speaking & ~np.logical_or.reduce(hold), mode)
    out.update(quality)
    if warnings is not None:
        warnings += notes
    silence = ~speaking & ~on_hold
    if frames.energy_db is not None:
        hp = params.hold
        silence &= ~sustained_sound(frames.energy_db, hop_s, hp.sound_db, hp.long_gap_s, mp.dead_air_min_s)
    dead, dead_events = dead_air_measures(
        silence, bounds, hop_s, out["span_s"], mp.dead_air_min_s, mp.dead_air_extra_s
    )
    out.update(dead)
    events += dead_events
    return out
