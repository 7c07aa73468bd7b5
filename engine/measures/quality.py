"""Line and recording quality: SNR per party, clipping, digital silence.

Definitions
-----------
``{party}_snr_db``
    Active speech level minus noise level of the party's channel, dB, in the
    band the frame levels are of (above ``frame.highpass_hz``: hum and rumble
    under the speech band do not count): the mean
    power of the channel's speech frames, over the mean power of the frames
    where nobody speaks and nothing is on hold, at least ``guard_s`` away from
    speech (so the other party's leak and this party's breath stay out), both
    ``10 log10`` of the mean square. Null with less than ``min_noise_s`` of such
    frames or when they are all digital silence, and in mono mode.
``clipped_share``
    The larger of the two channels' shares of samples in flat-topped runs at
    the channel's peak (``callscan.kernels.quality``).
``digital_silence_s``
    Time (union over channels) of exact-zero runs between a channel's first and
    last non-zero sample: a mute, a redaction, a recorder gap or silence
    suppression. Each channel that has any gets a warning.

Units: dB, share 0..1, seconds.
"""

import numpy as np

from callscan.fields import Field
from callscan.kernels.runs import extend_ends

FIELDS = (
    Field("{party}_snr_db", "number", "dB", "Speech level over noise level of the party's channel, above "
          "`highpass_hz`; null with too little noise to measure and in mono mode.", ("frame.highpass_hz",)),
    Field("clipped_share", "number", "share 0-1", "Share of samples in flat tops at the channel's peak "
          "(the worse channel).", ("quality.clip_ratio", "quality.clip_run")),
    Field("digital_silence_s", "number", "s", "Exact-zero stretches inside a channel (mute, redaction, "
          "recorder gap); also a warning.", ("quality.digital_silence_min_s",)),
)


def _mean_db(levels_db):
    finite = levels_db[np.isfinite(levels_db)].astype(np.float64)
    if finite.size == 0:
        return None
    return float(10.0 * np.log10(np.mean(10.0 ** (finite / 10.0))))


def snr_db(energy_db, speech, quiet, hop_s, guard_s=0.1, min_noise_s=1.0):
    """SNR of one channel, dB (None when it cannot be measured).

    Parameters
    ----------
    energy_db : ndarray, shape (n_frames,)
        Frame levels, dBFS.
    speech : ndarray, shape (n_frames,), bool
        The channel's speech.
    quiet : ndarray, shape (n_frames,), bool
        Frames where nobody speaks and nothing is on hold.
    hop_s : float
    guard_s, min_noise_s : float
        See the module docstring, s.
    """
    guard = max(1, int(round(guard_s / hop_s)))
    near = extend_ends(speech, guard) | extend_ends(speech[::-1], guard)[::-1]
    noise_frames = quiet & ~near & np.isfinite(energy_db)
    if np.count_nonzero(noise_frames) * hop_s < min_noise_s or not speech.any():
        return None
    level, noise = _mean_db(energy_db[speech]), _mean_db(energy_db[noise_frames])
    if level is None or noise is None:
        return None
    return round(level - noise, 2)


def quality_measures(frames, parties, quiet, mode):
    """``{party}_snr_db``, ``clipped_share``, ``digital_silence_s`` and warnings.

    Parameters
    ----------
    frames : callscan.frames.passes.Frames
    parties : sequence of (str, int)
        Party name and its channel (stereo mode).
    quiet : ndarray, shape (n_frames,), bool
        Nobody speaks, nothing on hold.
    mode : str
        ``stereo`` or ``mono``.

    Returns
    -------
    record : dict
    warnings : list of str
    """
    record = {}
    for party, ch in parties:
        record[f"{party}_snr_db"] = (
            None if mode == "mono" else snr_db(frames.energy_db[ch], frames.speech[ch], quiet, frames.hop_s)
        )
    shares = list(frames.clipped_share) or [0.0]
    record["clipped_share"] = round(float(max(shares)), 6)
    runs = [iv for ch_runs in frames.digital_silence for iv in ch_runs]
    total, end = 0.0, -np.inf
    for s, e in sorted(runs):
        if e > end:
            total += e - max(s, end)
            end = e
    record["digital_silence_s"] = round(total, 6)
    warnings = []
    for ch, ch_runs in enumerate(frames.digital_silence):
        if ch_runs:
            seconds_ = sum(e - s for s, e in ch_runs)
            warnings.append(
                f"channel {ch} holds {seconds_:.2f} s of digital silence (exact zeros) in {len(ch_runs)} "
                f"stretch(es) from {ch_runs[0][0]:.2f} s: muted, redacted, a recorder gap or silence "
                "suppression; nothing can be heard there"
            )
    if record["clipped_share"] >= 0.001:
        warnings.append(f"{record['clipped_share']:.2%} of the samples of a channel are clipped (flat tops at its peak)")
    return record, warnings
