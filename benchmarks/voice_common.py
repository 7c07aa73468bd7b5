"""Shared pieces of the rate and agitation benchmarks: the telephone channel and one-channel analysis."""

from pathlib import Path

import numpy as np

from callscan.audio.decoding import from_array
from callscan.frames.passes import frame_features
from callscan.measures.voice import channel_track
from callscan.params import Params

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def telephone(x, sample_rate):
    """The telephone case: resample to 8 kHz (soxr, high quality), then band-limit to 300-3400 Hz.

    The band limit is a 4th-order Butterworth band-pass applied forwards and backwards
    (zero phase, 8th-order magnitude), the pass band of a G.711 line.

    Returns
    -------
    ndarray, float32 ; int
    """
    import soxr
    from scipy.signal import butter, sosfiltfilt

    y = np.asarray(x, dtype=np.float64)
    if sample_rate != 8000:
        y = soxr.resample(y, sample_rate, 8000, quality="HQ")
    sos = butter(4, [300.0, 3400.0], btype="bandpass", fs=8000, output="sos")
    return sosfiltfilt(sos, y).astype(np.float32), 8000


def wideband(x, sample_rate):
    """The 16 kHz case: resample to 16 kHz (soxr) when needed, no band limit."""
    import soxr

    y = np.asarray(x, dtype=np.float64)
    if sample_rate != 16000:
        y = soxr.resample(y, sample_rate, 16000, quality="HQ")
    return y.astype(np.float32), 16000


def features_with_pitch(audio, params):
    """``callscan.frames.passes.frame_features``, with F0 and voicing per channel (``callscan.kernels.pitch``)
    added when the frame features do not carry them."""
    frames = frame_features(audio, params)
    if getattr(frames, "voiced", None) is None:
        from callscan.kernels import framing
        from callscan.kernels.pitch import track_f0

        hop = framing.hop_samples(audio.sample_rate, params.frame.hop_s)
        pitch = [track_f0(ch, audio.sample_rate, hop, gate=frames.speech[c]) for c, ch in enumerate(audio.samples)]
        frames.f0_hz = np.stack([p[0] for p in pitch])
        frames.voiced = np.stack([p[1] for p in pitch])
    return frames


def analyze_channel(x, sample_rate, params=None):
    """Frame features and the voice track of a one-party signal.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
    sample_rate : int
    params : callscan.params.Params, optional

    Returns
    -------
    frames : callscan.frames.passes.Frames
    track : callscan.measures.agitation.Track
    """
    params = params or Params()
    audio = from_array(np.asarray(x, dtype=np.float32)[None, :], sample_rate, min_duration_s=0.1)
    frames = features_with_pitch(audio, params)
    return frames, channel_track(frames, 0, frames.speech[0], params)


def analyze_call_array(samples, sample_rate, params=None):
    """The record of a two-channel call given as an array (``callscan.analyze.call_measures``).

    Parameters
    ----------
    samples : ndarray, shape (2, n_samples)
    sample_rate : int
    params : callscan.params.Params, optional

    Returns
    -------
    dict
        The call measures, with ``"events"``.
    """
    from callscan.analyze import call_measures

    params = params or Params()
    audio = from_array(np.asarray(samples, dtype=np.float32), sample_rate)
    frames = features_with_pitch(audio, params)
    events = []
    record = call_measures(frames, audio.mode, params, events)
    record["events"] = events
    return record
