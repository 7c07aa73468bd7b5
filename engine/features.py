"""Frame features of a call: level and speech activity per channel.

Everything a measure needs from the signal is computed here once, on the frame
grid of ``kernels.framing`` (10 ms hop by default).
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from kernels import framing
from kernels.activity import speech_activity
from kernels.energy import frame_energy_db


@dataclass
class Frames:
    """Per-frame, per-channel features.

    Attributes
    ----------
    hop_s : float
        Frame hop, seconds.
    energy_db : ndarray, shape (channels, n_frames), float32
        Frame RMS level, dBFS (``-inf`` for digital silence).
    floor_db : ndarray, shape (channels, n_frames), float32
        Adaptive noise floor, dBFS.
    speech : ndarray, shape (channels, n_frames), bool
        Speech activity.
    """

    hop_s: float
    energy_db: np.ndarray
    floor_db: np.ndarray
    speech: np.ndarray

    @property
    def n_frames(self):
        """Number of frames."""
        return self.energy_db.shape[1]

    def times_s(self):
        """Frame centres, seconds, shape (n_frames,)."""
        return framing.frame_centre_s(np.arange(self.n_frames), self.hop_s)


def frame_features(audio, params):
    """Compute the frame features of decoded audio.

    Parameters
    ----------
    audio : engine.audio.Audio
    params : engine.params.Params

    Returns
    -------
    Frames
    """
    fp = params.frame
    hop = framing.hop_samples(audio.sample_rate, fp.hop_s)
    win = framing.win_samples(audio.sample_rate, fp.win_s)
    hop_s = hop / audio.sample_rate
    energy = np.stack([frame_energy_db(ch, hop, win) for ch in audio.samples])
    speech = np.empty(energy.shape, dtype=np.bool_)
    floor = np.empty(energy.shape, dtype=np.float32)
    for c in range(energy.shape[0]):
        speech[c], floor[c] = speech_activity(energy[c], hop_s, **dataclasses.asdict(params.activity))
    return Frames(hop_s=hop_s, energy_db=energy, floor_db=floor, speech=speech)
