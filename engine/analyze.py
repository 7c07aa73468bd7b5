"""One call in, one record out (SPEC §5)."""

import os

import numpy as np

from engine import audio as audio_mod
from engine.errors import ParameterError
from engine.features import frame_features
from engine.measures.dead_air import dead_air_measures
from engine.measures.talk import span_measures, speech_events, talk_measures
from engine.params import Params

PARTY_FIELDS = (
    "agent_talk_s",
    "customer_talk_s",
    "agent_talk_share",
    "customer_talk_share",
    "overlap_s",
    "overlap_share",
    "overtalk_count",
)


def load(source, sample_rate=None, params=None):
    """Decode a path or wrap an array, with the checks of ``engine.audio``."""
    params = params or Params()
    kw = dict(min_duration_s=params.min_duration_s, identical_tol=params.identical_tol)
    if isinstance(source, (str, os.PathLike)):
        if sample_rate is not None:
            raise ParameterError("sample_rate is only for arrays; a file carries its own")
        return audio_mod.decode(source, **kw)
    return audio_mod.from_array(source, sample_rate, **kw)


def analyze_call(source, sample_rate=None, params=None, *, events=False, call_id=None):
    """Measure one call.

    Parameters
    ----------
    source : str, os.PathLike or ndarray
        A file path, or samples shaped (channels, n_samples) (with ``sample_rate``).
    sample_rate : int, optional
        Sample rate of an array, Hz.
    params : engine.params.Params, optional
        Defaults to ``Params()``.
    events : bool
        Add the list of events (SPEC §4) under ``"events"``.
    call_id : str, optional
        Defaults to the file name without extension.

    Returns
    -------
    dict
        The per-call record (SPEC §3, §5).

    Raises
    ------
    engine.errors.CallscanError
        When the input cannot be analysed; the message names the file and the reason.
    """
    from engine import __version__

    params = params or Params()
    audio = load(source, sample_rate, params)
    frames = frame_features(audio, params)
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
    record.update(call_measures(frames, audio.mode, params, record_events))
    # The last frame may reach past the end of the file by less than a hop.
    record["span_s"] = min(record["span_s"], record["duration_s"])
    for event in record_events:
        event["end_s"] = min(event["end_s"], record["duration_s"])
    leaks = [db for db in frames.leak_db if db is not None]
    record["crosstalk"] = round(max(leaks), 2) if leaks else None
    warnings = list(audio.warnings)
    for ch, db in enumerate(frames.leak_db):
        if db is not None:
            warnings.append(
                f"channel {ch} carries the other channel's signal at {db:.1f} dB "
                "(crosstalk or echo); that leak is not counted as speech"
            )
    record["warnings"] = warnings
    record["engine_version"] = __version__
    record["params_hash"] = params.hash()
    if events:
        record["events"] = sorted(record_events, key=lambda e: (e["start_s"], e["kind"]))
    return record


def party_masks(speech, agent_channel):
    """(agent, customer) speech masks from the (2, n_frames) channel masks."""
    return speech[agent_channel], speech[1 - agent_channel]


def call_measures(frames, mode, params, events):
    """All call measures from frame features; events are appended to ``events``."""
    hop_s = frames.hop_s
    mp = params.measures
    if mode == "mono":
        masks = (frames.speech[0],)
    else:
        masks = party_masks(frames.speech, params.agent_channel)
    out, bounds = span_measures(masks, hop_s)
    if mode == "mono":
        out.update({name: None for name in PARTY_FIELDS})
        events += speech_events(masks[0], hop_s, None)
    else:
        talk, talk_events = talk_measures(*masks, hop_s, out["span_s"], mp.overtalk_min_s)
        out.update(talk)
        events += talk_events
    silence = ~np.logical_or.reduce(masks)
    dead, dead_events = dead_air_measures(
        silence, bounds, hop_s, out["span_s"], mp.dead_air_min_s, mp.dead_air_extra_s
    )
    out.update(dead)
    events += dead_events
    return out
