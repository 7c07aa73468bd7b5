"""Frame features of a call: level, speech activity and leak per channel.

Everything a measure needs from the signal is computed here once, on the frame
grid of ``kernels.framing`` (10 ms hop by default).
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from kernels import framing
from kernels.activity import speech_activity
from kernels.crosstalk import leak_coupling_db, leak_explained
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
    leak_db : list of (float or None)
        Per channel, the coupling of the other channel's signal into it, dB;
        None where no leak was found.
    """

    hop_s: float
    energy_db: np.ndarray
    floor_db: np.ndarray
    speech: np.ndarray
    leak_db: list = field(default_factory=list)

    @property
    def n_frames(self):
        """Number of frames."""
        return self.energy_db.shape[1]

    def times_s(self):
        """Frame centres, seconds, shape (n_frames,)."""
        return framing.frame_centre_s(np.arange(self.n_frames), self.hop_s)


def half_hop_levels(x, hop, n_frames):
    """Levels over each half of every frame's hop, dBFS, shape (2 * n_frames,)."""
    half = max(1, hop // 2)
    levels = frame_energy_db(x, half, half)
    out = np.full(2 * n_frames, -np.inf, dtype=np.float32)
    m = min(out.size, levels.size)
    out[:m] = levels[:m]
    return out


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
    half = [half_hop_levels(ch, hop, energy.shape[1]) for ch in audio.samples]
    act = dataclasses.asdict(params.activity)
    first = [speech_activity(e, hop_s, half_db=h, **act) for e, h in zip(energy, half)]
    speech = np.stack([f[0] for f in first])
    floor = np.stack([f[1] for f in first])
    leak = [None] * energy.shape[0]
    if energy.shape[0] == 2:
        xp = params.crosstalk
        for a, b in ((0, 1), (1, 0)):
            loud_b = speech[b] & (energy[b] > first[b][2] - xp.loud_db)
            leak[a] = leak_coupling_db(
                energy[a],
                floor[a],
                energy[b],
                loud_b,
                min_rise_db=xp.min_rise_db,
                min_corr=xp.min_corr,
                min_frames=xp.min_frames,
            )
        for a, b in ((0, 1), (1, 0)):
            if leak[a] is not None:
                exclude = leak_explained(energy[a], energy[b], leak[a], xp.margin_db)
                speech[a] = speech_activity(energy[a], hop_s, exclude=exclude, half_db=half[a], **act)[0]
    return Frames(hop_s=hop_s, energy_db=energy, floor_db=floor, speech=speech, leak_db=leak)
