"""Frame features of a call: level, speech activity, leak and hold per channel.

Everything a measure needs from the signal is computed here once, on the frame
grid of ``kernels.framing`` (10 ms hop by default).
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from kernels import framing
from kernels.activity import speech_activity
from kernels.crosstalk import leak_coupling_db, leak_explained, leak_filter, leak_residual
from kernels.energy import frame_energy_db
from kernels.pitch import track_f0
from kernels.quality import clipped_count, zero_runs
from kernels.runs import drop_short, mask_to_runs
from kernels.spectral import spectral_features
from kernels.steadiness import steadiness, steady_sound


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
    hold : ndarray, shape (channels, n_frames), bool, optional
        Steady non-speech sound (music, tones; ``kernels.steadiness``), bridged
        over the silent gaps between its pieces; never speech.
    digital_silence : list of list of (float, float)
        Per channel, runs of exact zeros between its first and last non-zero
        sample, ``(start_s, end_s)``.
    clipped_share : list of float
        Per channel, the share of samples in flat-topped runs at the peak.
    band_power : ndarray, shape (channels, n_frames), float32, optional
        Power of the telephone band in speech frames (0 elsewhere), the intensity
        contour of syllable nuclei (``kernels.spectral``).
    alpha_db, hammarberg_db : ndarray, shape (channels, n_frames), float32, optional
        Alpha ratio and Hammarberg index of speech frames, dB (NaN elsewhere).
    f0_hz : ndarray, shape (channels, n_frames), float32, optional
        Fundamental frequency, Hz; NaN where unvoiced (``kernels.pitch``).
    voiced : ndarray, shape (channels, n_frames), bool, optional
        Voicing decision.
    """

    hop_s: float
    energy_db: np.ndarray
    floor_db: np.ndarray
    speech: np.ndarray
    leak_db: list = field(default_factory=list)
    hold: np.ndarray = None
    digital_silence: list = field(default_factory=list)
    clipped_share: list = field(default_factory=list)
    band_power: np.ndarray = None
    alpha_db: np.ndarray = None
    hammarberg_db: np.ndarray = None
    f0_hz: np.ndarray = None
    voiced: np.ndarray = None

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
            if leak[a] is None:
                continue
            e_a, half_a, coupling = energy[a], half[a], leak[a]
            explained = leak_explained(e_a, energy[b], coupling, xp.margin_db)
            fit = speech[b] & (energy[b] > first[b][2] - xp.loud_db) & explained & (e_a > floor[a] + xp.min_rise_db)
            weight = np.repeat(fit, hop)[: audio.samples.shape[1]]
            taps = max(2, int(round(xp.max_delay_s * audio.sample_rate)))
            h, erle = leak_filter(audio.samples[a], audio.samples[b], weight, taps)
            if erle >= xp.min_erle_db:
                residual = leak_residual(audio.samples[a], audio.samples[b], h).astype(np.float32)
                e_a = frame_energy_db(residual, hop, win)
                half_a = half_hop_levels(residual, hop, e_a.shape[0])
                coupling -= erle
            exclude = leak_explained(e_a, energy[b], coupling, xp.margin_db)
            speech[a] = speech_activity(e_a, hop_s, exclude=exclude, half_db=half_a, **act)[0]
    hold = hold_frames(audio, speech, energy, hop, hop_s, params.hold)
    min_speech = int(round(params.activity.min_speech_s / hop_s))
    for ch in range(speech.shape[0]):
        if hold[ch].any():
            speech[ch] = drop_short(speech[ch] & ~hold[ch], min_speech)
    hold = bridge_hold(hold, speech, int(round(params.hold.bridge_s / hop_s)))
    qp = params.quality
    f0_hz, voiced = pitch_frames(audio, speech, hop, params.pitch)
    band_power, alpha_db, hammarberg_db = tilt_features(audio, speech, hop, params)
    return Frames(
        hop_s=hop_s,
        energy_db=energy,
        floor_db=floor,
        speech=speech,
        leak_db=leak,
        hold=hold,
        digital_silence=[digital_silence(ch, audio.sample_rate, qp.digital_silence_min_s) for ch in audio.samples],
        clipped_share=[clipped_share(ch, qp.clip_ratio, qp.clip_run, qp.clip_min_dbfs) for ch in audio.samples],
        band_power=band_power,
        alpha_db=alpha_db,
        hammarberg_db=hammarberg_db,
        f0_hz=f0_hz,
        voiced=voiced,
    )


def pitch_frames(audio, speech, hop, pp):
    """F0 and voicing of every channel, gated by its speech when ``pp.gate``.

    Returns
    -------
    f0_hz : ndarray, shape (channels, n_frames), float32
    voiced : ndarray, shape (channels, n_frames), bool
    """
    out = [
        track_f0(ch, audio.sample_rate, hop, fmin=pp.fmin_hz, fmax=pp.fmax_hz, gate=speech[c] if pp.gate else None)
        for c, ch in enumerate(audio.samples)
    ]
    n = speech.shape[1]
    f0 = np.stack([o[0][:n] for o in out])
    voiced = np.stack([o[1][:n] for o in out])
    return f0, voiced


def tilt_features(audio, speech, hop, params):
    """Band power, alpha ratio and Hammarberg index of each channel's speech frames.

    Returns
    -------
    band_power, alpha_db, hammarberg_db : ndarray, shape (channels, n_frames), float32
        See ``kernels.spectral``.
    """
    rp, ap = params.rate, params.agitation
    out = [
        spectral_features(
            ch, audio.sample_rate, hop, speech[c], win_s=rp.spectral_win_s, nuclei_band_hz=rp.band_hz,
            alpha_bands_hz=ap.alpha_bands_hz, hammarberg_bands_hz=ap.hammarberg_bands_hz,
        )
        for c, ch in enumerate(audio.samples)
    ]
    return tuple(np.stack([o[k] for o in out]) for k in range(3))


def hold_frames(audio, speech, energy, hop, hop_s, hp):
    """Frames of each channel's sound that are music or tones, not speech (``kernels.steadiness``).

    Parameters
    ----------
    audio : engine.audio.Audio
    speech : ndarray, shape (channels, n_frames), bool
        Speech activity so far (any loud sound).
    energy : ndarray, shape (channels, n_frames)
        Frame levels, dBFS.
    hop : int
        Hop, samples.
    hop_s : float
        Hop, s.
    hp : engine.params.HoldParams

    Returns
    -------
    ndarray, shape (channels, n_frames), bool
    """
    hold = np.zeros_like(speech)
    win = framing.win_samples(audio.sample_rate, hp.win_s)
    bin_hz = audio.sample_rate / win
    lo_bin = int(np.ceil(hp.band_hz[0] / bin_hz))
    hi_bin = min(win // 2 + 1, int(np.floor(hp.band_hz[1] / bin_hz)) + 1)
    lag = max(1, int(round(hp.lag_s / hop_s)))
    width = max(1, int(round(hp.peak_width_hz / bin_hz)))
    n = speech.shape[1]
    for ch, x in enumerate(audio.samples):
        valid = energy[ch][np.isfinite(energy[ch])]
        active = speech[ch].copy()
        if valid.size:
            active |= energy[ch] > np.percentile(valid, 5) + hp.sound_db
        if not active.any():
            continue
        # steady_sound reads stability and purity of active frames only, each share within its
        # active run, and drops music and tone runs shorter than music_min_s and tone_min_s: an
        # active run shorter than both can hold neither, so its frames need no spectra either.
        shortest = min(int(round(hp.music_min_s / hop_s)), int(round(hp.tone_min_s / hop_s)))
        wanted = drop_short(active, shortest)
        stab, pure = steadiness(x, hop, win, lag, lo_bin, hi_bin, width, frames=wanted)
        hold[ch] = steady_sound(
            stab[:n],
            pure[:n],
            energy[ch],
            active,
            hop_s,
            stable_min=hp.stable_min,
            pure_min=hp.pure_min,
            window_s=hp.window_s,
            steady_share=hp.steady_share,
            tone_share=hp.tone_share,
            dip_window_s=hp.dip_window_s,
            dip_db=hp.dip_db,
            max_dip_share=hp.max_dip_share,
            music_min_s=hp.music_min_s,
            tone_min_s=hp.tone_min_s,
        )
    return hold


def bridge_hold(hold, speech, max_gap):
    """Fill gaps shorter than ``max_gap`` frames between a channel's hold pieces where nobody speaks."""
    out = hold.copy()
    anyone = np.logical_or.reduce(speech, axis=0)
    for ch in range(hold.shape[0]):
        starts, ends = mask_to_runs(hold[ch])
        for e, s in zip(ends[:-1], starts[1:]):
            if s - e < max_gap and not anyone[e:s].any():
                out[ch, e:s] = True
    return out


def digital_silence(x, sample_rate, min_s):
    """Runs of exact zeros of at least ``min_s`` between the first and last non-zero sample, s."""
    starts, ends = zero_runs(x, max(1, int(round(min_s * sample_rate))))
    return [
        (round(a / sample_rate, 6), round(b / sample_rate, 6))
        for a, b in zip(starts.tolist(), ends.tolist())
        if a > 0 and b < x.shape[0]
    ]


def clipped_share(x, ratio, min_run, min_dbfs):
    """Share of samples in flat-topped runs at the channel's peak (0 when the peak is under ``min_dbfs``)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0 or 20 * np.log10(peak) < min_dbfs:
        return 0.0
    return clipped_count(x, ratio * peak, min_run) / x.shape[0]
