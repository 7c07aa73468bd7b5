"""Parameters of an analysis: frozen, hashable dataclasses.

Defaults live here and nowhere else ("defaults are parameters, never
constants in kernels"). ``Params.hash()`` identifies a parameter set in records
and batch outputs.

Each field carries its unit and its allowed range beside its default
(``callscan.paramspec.param``), checked when the parameters are made, whether in
Python, from a batch configuration or from the command line: a value out of range,
NaN, infinite or of the wrong type raises ``ParameterError`` naming the parameter.
``callscan measures --params`` prints them all. Frequencies stay below 4000 Hz, the
Nyquist frequency of an 8 kHz call (calls are analysed at 8 or 16 kHz,
``callscan.audio.checks.NATIVE_RATES``), so that every band exists in every call.
"""

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field

from callscan.paramspec import Checked, param


@dataclass(frozen=True)
class FrameParams(Checked):
    """The frame grid.

    Attributes
    ----------
    hop_s : float
        Hop between frames, seconds (default 10 ms).
    win_s : float
        Energy window, seconds (default 25 ms).
    highpass_hz : float
        The frame levels that decide speech are of the signal above this, Hz
        (``callscan.kernels.highpass``; default 100 Hz: rumble, handling and HVAC
        noise under the speech band neither makes nor hides speech); 0 takes the
        raw samples.
    """

    ORDER = (("hop_s", "<=", "win_s"),)

    hop_s: float = param(0.010, "s", "[0.001, 0.1]")
    win_s: float = param(0.025, "s", "(0, 1]")
    highpass_hz: float = param(100.0, "Hz", "[0, 4000)")


@dataclass(frozen=True)
class ActivityParams(Checked):
    """Per-channel speech activity (see ``callscan.kernels.activity``).

    Attributes
    ----------
    onset_db : float
        A speech region must reach this far above the channel's noise floor, dB.
    offset_db : float
        A speech region extends while the level stays this far above the floor, dB
        (hysteresis: ``offset_db <= onset_db``).
    floor_window_s : float
        Length of the centred window whose low percentile is the noise floor, s.
    floor_step_s : float
        The floor is evaluated this often and interpolated in between, s.
    floor_quantile : float
        The percentile (0..100) of frame levels taken as the floor.
    floor_bias_db : float
        Added to that percentile, dB.
    speech_range_db : float
        Frames more than this far below the channel's speech level (the 95th
        percentile of its loud frames) never start speech, dB. VoIP codecs with
        discontinuous transmission alternate between line noise and near-silence,
        which drags any percentile floor down; this bound keeps the line noise,
        breath and faint echo out on such channels.
    abs_floor_db : float
        Absolute floor, dBFS: levels below are treated as this value
        (digital silence is ``-inf`` dB).
    min_level_db : float
        No frame quieter than this (dBFS) is ever speech.
    hangover_s : float
        Speech regions are extended by this much at their end, s.
    min_speech_s : float
        Speech bursts shorter than this are dropped, s (default 0.10).
    bridge_s : float
        Same-party gaps shorter than this are filled, s (default 0.25).
    """

    ORDER = (("offset_db", "<=", "onset_db"),)

    onset_db: float = param(10.0, "dB", "(0, 100]")
    offset_db: float = param(4.0, "dB", "[0, 100]")
    floor_window_s: float = param(8.0, "s", "(0, inf)")
    floor_step_s: float = param(0.25, "s", "(0, inf)")
    floor_quantile: float = param(5.0, "%", "[0, 100]")
    floor_bias_db: float = param(0.0, "dB", "[-100, 100]")
    speech_range_db: float = param(30.0, "dB", "(0, inf)")
    abs_floor_db: float = param(-100.0, "dBFS", "[-200, 0]")
    min_level_db: float = param(-62.0, "dBFS", "[-200, 0]")
    hangover_s: float = param(0.0, "s", "[0, inf)")
    min_speech_s: float = param(0.10, "s", "[0, inf)")
    bridge_s: float = param(0.25, "s", "[0, inf)")


@dataclass(frozen=True)
class CrosstalkParams(Checked):
    """Leak between channels (see ``callscan.kernels.crosstalk``).

    Attributes
    ----------
    loud_db : float
        Source frames within this of the source's speech level are "loud", dB.
    min_rise_db : float
        Only destination frames this far above their floor are examined, dB.
    min_corr : float
        Least correlation of the two channels' levels that makes a leak.
    margin_db : float
        Destination frames below source level + coupling + this are leak, dB.
    min_frames : int
        Loud source frames needed before a leak is decided.
    max_delay_s : float
        Longest bulk delay searched, s (echo returned through a network: up to 0.5 s).
    edge_corr, edge_db : float
        A leak is also taken where the level correlation reaches ``edge_corr`` and the
        destination's lowest frames under the loud source sit within ``edge_db`` of the
        leak's level (25th less 5th percentile of their level differences), dB.
    faint_rise_db, faint_erle_db : float
        Where no leak is found on the frames ``min_rise_db`` above the destination's floor,
        one is looked for on those ``faint_rise_db`` above it (correlation alone), and kept
        only when the cancelling filter takes at least ``faint_erle_db`` out of it, dB.
    round_trip_db : float
        Where both channels leak, each channel's own talker comes back into it through both
        paths; that round trip is measured and cancelled (``callscan.frames.leak.Loop``) when
        the two leak levels add up to more than this, dB.
    loop_db : float
        The round trip is measured on the hops where it stands at least this far above the
        channel's noise floor, dB.
    gain_window_s : float
        The leak's gain is tracked over this much of the call around each frame, s.
    min_corr_gain : float
        A delay other than 0 is taken only when its level correlation beats the one at
        delay 0 by this much.
    path_s : float
        Length of the cancelling filter around the bulk delay, s.
    search_s : float
        The filter's start is searched this far each side of the frame-grid delay, s.
    min_erle_db : float
        The fitted leak is taken out of the destination only when that lowers
        the leak-only frames' power by at least this much, dB; otherwise frames
        are judged on their levels alone.
    """

    loud_db: float = param(10.0, "dB", "[0, inf)")
    min_rise_db: float = param(6.0, "dB", "[0, inf)")
    min_corr: float = param(0.8, "r", "(0, 1]")
    margin_db: float = param(4.0, "dB")
    min_frames: int = param(100, "frames", "[1, inf)")
    max_delay_s: float = param(0.5, "s", "[0, 2]")
    edge_corr: float = param(0.6, "r", "(0, 1]")
    edge_db: float = param(2.5, "dB", "[0, inf)")
    faint_rise_db: float = param(2.0, "dB", "[0, inf)")
    faint_erle_db: float = param(1.5, "dB", "[0, inf)")
    gain_window_s: float = param(4.0, "s", "(0, inf)")
    round_trip_db: float = param(-45.0, "dB", "[-200, 0]")
    loop_db: float = param(10.0, "dB", "[0, inf)")
    min_corr_gain: float = param(0.03, "r", "[0, 1]")
    path_s: float = param(0.016, "s", "(0, 0.1]")
    search_s: float = param(0.024, "s", "[0, 0.5]")
    min_erle_db: float = param(6.0, "dB", "[0, inf)")


@dataclass(frozen=True)
class HoldParams(Checked):
    """Hold music, ringback, DTMF and other steady non-speech sound (``callscan.kernels.steadiness``).

    Attributes
    ----------
    win_s : float
        Spectral window, s (32 ms: 31 Hz bins).
    lag_s : float
        Time between the spectra compared for stability, s.
    band_hz : tuple of float
        Band whose spectrum is compared, Hz (the telephone band).
    peak_width_hz : float
        Half-width of a spectral peak for the purity, Hz.
    stable_min : float
        A frame whose stability reaches this is steady (cosine similarity, 0..1).
    pure_min : float
        A frame whose purity reaches this is a tone frame (power share, 0..1).
    window_s : float
        Window over which shares of steady or pure frames are taken, s.
    steady_share : float
        Least share of steady frames that makes music-like sound.
    tone_share : float
        Least share of pure frames that makes tone-like sound.
    dip_window_s : float
        A frame more than ``dip_db`` under the loudest frame within half this
        window is a dip (a valley between syllables), s.
    dip_db : float
        Depth of a dip, dB.
    max_dip_share : float
        Music-like sound has at most this share of dips (speech: 0.2-0.6).
    music_min_s : float
        Shortest music-like stretch that is hold, s (a held vowel or "uhm" is shorter).
    tone_min_s : float
        Shortest tone-like stretch that is hold, s (a 0.4 s ringback burst is longer).
    bridge_s : float
        Gaps shorter than this between hold stretches of a channel are hold too
        when nobody speaks in them (ringback is silent for 4 s between bursts), s.
    edge_db : float
        Each hold stretch grows over the frames next to it that stay more than this above
        the channel's quietest level (a fade-in, a quiet first note, a last partial frame), dB.
    edge_gap_s : float
        Dips under ``edge_db`` shorter than this do not stop that growth, s.
    edge_max_s : float
        The most a hold stretch grows at each end that way, s.
    sound_db : float
        Besides speech, frames this far above the channel's quietest level (its
        5th percentile, digital silence left out) are examined: the adaptive
        noise floor of the speech activity stage climbs onto music that lasts
        longer than its window, so long hold music is no longer "speech", dB.
    long_window_s : float
        Window of the music score (``callscan.kernels.music``: low-energy share,
        syllabic modulation, dip and steady shares), s.
    long_step_s : float
        The music score is evaluated this often, s.
    long_band_hz : tuple of float
        Syllabic modulation band of the envelope, Hz.
    long_beat_s : tuple of float
        Lags of the rhythm autocorrelation of the onset envelope, s (60-200 beats a minute).
    long_low_ratio : float
        Low-energy frames are under this share of the window's mean power.
    long_weights : tuple of float
        Six per music score, in order: the weights of the low-energy share, log10 modulation, dip
        share, steady share, rhythm and quiet share (logistic models fitted on half of the recorded
        music tracks and half of the real speech recordings; the other halves are held
        out, ``benchmarks.music_fit``, ``benchmarks.hold_accuracy``): one driven by rhythm, one by a barely
        modulated envelope, one by a level that never falls back into dips or to the line's floor.
    long_bias : tuple of float
        Bias of each music score.
    long_smooth_s : float
        A frame is music-like where the mean music score within this of it is positive, s.
    long_edge_s : float
        Taken off both ends of each music-like run, s.
    long_gap_s : float
        Gaps in a channel's sound shorter than this are bridged before the music
        score judges the stretch, s.
    long_min_s : float
        Shortest stretch of sound with no other party speaking that the music score
        judges, and shortest music-like stretch it keeps, s.
    """

    win_s: float = param(0.032, "s", "(0, 1]")
    lag_s: float = param(0.030, "s", "(0, 1]")
    band_hz: tuple = param((250.0, 3400.0), "Hz", "[0, 4000]")
    peak_width_hz: float = param(32.0, "Hz", "(0, 4000]")
    stable_min: float = param(0.9, "cosine 0-1", "[0, 1]")
    pure_min: float = param(0.99, "share 0-1", "[0, 1]")
    window_s: float = param(2.0, "s", "(0, inf)")
    steady_share: float = param(0.8, "share 0-1", "[0, 1]")
    tone_share: float = param(0.2, "share 0-1", "[0, 1]")
    dip_window_s: float = param(0.5, "s", "(0, inf)")
    dip_db: float = param(10.0, "dB", "(0, inf)")
    max_dip_share: float = param(0.1, "share 0-1", "[0, 1]")
    music_min_s: float = param(1.0, "s", "[0, inf)")
    tone_min_s: float = param(0.3, "s", "[0, inf)")
    bridge_s: float = param(5.0, "s", "[0, inf)")
    edge_db: float = param(3.0, "dB", "[0, inf)")
    edge_gap_s: float = param(0.03, "s", "[0, 1]")
    edge_max_s: float = param(3.5, "s", "[0, 60]")
    sound_db: float = param(10.0, "dB", "[0, inf)")
    long_window_s: float = param(6.0, "s", "(0, 60]")
    long_step_s: float = param(0.1, "s", "(0, 10]")
    long_band_hz: tuple = param((3.0, 8.0), "Hz", "(0, 50]")
    long_beat_s: tuple = param((0.3, 1.0), "s", "(0, 10]")
    long_low_ratio: float = param(0.5, "share of the mean power", "(0, 1]")
    long_weights: tuple = param((-1.99, -9.932, 3.764, 4.85, 60.15, 0.0,
                                  1.413, -5.908, 0.0, 0.0, 0.0, 0.0,
                                  0.0, 0.0, -4.508, 0.0, 0.0, -5.031), "", increasing=False)
    long_bias: tuple = param((-24.48, -8.029, 0.777), "", increasing=False)
    long_smooth_s: float = param(3.0, "s", "[0, 60]")
    long_edge_s: float = param(3.5, "s", "[0, 60]")
    long_gap_s: float = param(1.0, "s", "[0, 60]")
    long_min_s: float = param(10.0, "s", "[0, 3600]")


@dataclass(frozen=True)
class DynamicsParams(Checked):
    """Interruptions, backchannels and turns (``callscan.measures.interruptions``, ``.turns``).

    Attributes
    ----------
    interrupt_grace_s : float
        Least overlap that makes an interruption, s (default 0.5).
    backchannel_max_s : float
        Longest vocalisation that can be a backchannel, s (default 1.0).
    backchannel_gap_s : float
        A backchannel sits in the other party's speech or in a pause of it no
        further than this from its speech on both sides, s.
    simultaneous_s : float
        A party starting less than this after the other's onset starts with it
        and interrupts nobody, s.
    turn_max_pause_s : float
        A same-party pause at least this long ends a turn (monologue), s.
    """

    interrupt_grace_s: float = param(0.5, "s", "[0, inf)")
    backchannel_max_s: float = param(1.0, "s", "(0, inf)")
    backchannel_gap_s: float = param(0.5, "s", "[0, inf)")
    simultaneous_s: float = param(0.2, "s", "[0, inf)")
    turn_max_pause_s: float = param(3.0, "s", "(0, inf)")


@dataclass(frozen=True)
class QualityParams(Checked):
    """Line and recording checks (``callscan.measures.quality``).

    Attributes
    ----------
    digital_silence_min_s : float
        Exact-zero runs at least this long between a channel's first and last
        non-zero sample are digital silence (mute, redaction), s.
    clip_ratio : float
        Samples within this fraction of a channel's peak, in runs of at least
        ``clip_run`` samples, are clipped (a flat top: integer full scale, or the
        µ-law/A-law ceiling).
    clip_run : int
        Least run of samples at the peak that is clipping.
    clip_min_dbfs : float
        A channel whose peak is below this never counts as clipped, dBFS.
    """

    digital_silence_min_s: float = param(0.2, "s", "(0, inf)")
    clip_ratio: float = param(0.999, "share 0-1", "(0, 1]")
    clip_run: int = param(3, "samples", "[1, inf)")
    clip_min_dbfs: float = param(-6.0, "dBFS", "[-200, 0]")


@dataclass(frozen=True)
class PitchParams(Checked):
    """F0 tracking (see ``callscan.kernels.pitch``) and the pitch measures.

    Attributes
    ----------
    fmin_hz, fmax_hz : float
        F0 search range, Hz (default 60-500 Hz).
    gate : bool
        Analyse only the frames of the channel's own speech (others are unvoiced).
    min_voiced_s : float
        Least voiced speech a party needs for ``f0_median_hz`` and ``f0_range_st``, s.

    The tracker's tuning (the :mod:`callscan.kernels.pitch` docstring explains each term;
    ``benchmarks.pitch_accuracy`` measures them against Keele and PTDB-TUG):

    window_s : float
        NCCF window, seconds (rounded up to a multiple of 16 samples at each rate).
    coarse_rate_hz : float
        Target rate of the coarse search, Hz (decimation factor ``round(rate / coarse_rate_hz)``).
    coarse_band : float
        Low-pass cut-off of the coarse signal as a fraction of its rate.
    lowcut_hz : float
        Low cut: the running mean over ``1 / lowcut_hz`` seconds is removed (Hz).
    lpc_order : int
        Order of the whitening predictor of the coarse signal.
    lpc_window_s : float
        Its analysis window, seconds.
    lpc_noise_floor : float
        White-noise correction of the predictor, as a fraction of the window's power.
    n_cands : int
        Voiced candidates kept per frame.
    cand_ratio : float
        Coarse peaks below this fraction of the frame's highest coarse NCCF are ignored.
    lag_weight : float
        RAPT's bias towards short periods: the score is scaled by ``1 - lag_weight L / L_max``.
    octave_weight : float
        Cost per unit the candidate's whitened NCCF falls below the frame's best.
    jump_cost : float
        Cost per octave of F0 change between consecutive voiced frames.
    voicing_cost : float
        Fixed cost of a voicing change.
    amp_cost : float
        Weight of the level-change term of a voicing change.
    amp_span_s : float
        Span before and after a frame whose RMS ratio drives that term, seconds.
    voiced_bias : float
        Added to the unvoiced cost (positive = more frames voiced).
    speech_pct, floor_pct : float
        Percentiles (0–100) of the frame levels taken as the speech level ``S`` and the
        background level ``B``.
    floor_min_db : float
        Frames at or below this level (dBFS; digital silence, below 16-bit resolution) take
        no part in ``B``.
    quiet_db, silence_db : float
        The silence term ramps up from ``S - quiet_db`` to ``S - silence_db`` (dB).
    floor_quiet_db, floor_silence_db : float
        The silence term also ramps up from ``B + floor_quiet_db`` down to ``B + floor_silence_db``
        (dB); both ramps must agree (the smaller of the two counts).
    silence_weight : float
        Weight of the silence term in the unvoiced cost.
    noise_snr_min_db : float
        The noise-floor compensation of NCCF values treats frames closer than this to the
        background level ``B`` as this far above it (dB). A large value switches the
        compensation off.

    """

    ORDER = (
        ("fmin_hz", "<", "fmax_hz"),
        ("lowcut_hz", "<", "fmin_hz"),
        ("floor_pct", "<", "speech_pct"),
        ("quiet_db", "<", "silence_db"),
        ("floor_silence_db", "<", "floor_quiet_db"),
    )

    fmin_hz: float = param(60.0, "Hz", "[10, 4000)")
    fmax_hz: float = param(500.0, "Hz", "[10, 4000)")
    gate: bool = param(True, "")
    min_voiced_s: float = param(1.0, "s", "[0, inf)")
    window_s: float = param(0.016, "s", "(0, 0.1]")
    coarse_rate_hz: float = param(2000.0, "Hz", "[100, 16000]")
    coarse_band: float = param(0.45, "share of the rate", "(0, 0.5]")
    lowcut_hz: float = param(30.0, "Hz", "[1, 4000)")
    lpc_order: int = param(4, "", "[1, 64]")
    lpc_window_s: float = param(0.025, "s", "(0, 1]")
    lpc_noise_floor: float = param(0.01, "share 0-1", "[0, 1]")
    n_cands: int = param(6, "", "[1, 100]")
    cand_ratio: float = param(0.3, "share 0-1", "[0, 1]")
    lag_weight: float = param(0.3, "", "[0, 1]")
    octave_weight: float = param(0.5, "", "[0, inf)")
    jump_cost: float = param(1.0, "per octave", "[0, inf)")
    voicing_cost: float = param(0.005, "", "[0, inf)")
    amp_cost: float = param(0.5, "", "[0, inf)")
    amp_span_s: float = param(0.02, "s", "(0, 1]")
    voiced_bias: float = param(0.0, "")
    speech_pct: float = param(99.0, "%", "[0, 100]")
    floor_pct: float = param(10.0, "%", "[0, 100]")
    quiet_db: float = param(25.0, "dB", "[0, inf)")
    silence_db: float = param(40.0, "dB", "[0, inf)")
    floor_quiet_db: float = param(15.0, "dB")
    floor_silence_db: float = param(5.0, "dB")
    floor_min_db: float = param(-100.0, "dBFS", "[-200, 0]")
    silence_weight: float = param(1.0, "", "[0, inf)")
    noise_snr_min_db: float = param(6.0, "dB", "(0, inf)")


@dataclass(frozen=True)
class MeasureParams(Checked):
    """Thresholds of the call measures (``callscan.measures``).

    Attributes
    ----------
    overtalk_min_s : float
        An overlap at least this long is an overtalk, s.
    dead_air_min_s : float
        A mutual silence inside the span at least this long is dead air, s.
    dead_air_extra_s : tuple of float
        Further dead-air thresholds that get their own counts, s.
    """

    ORDER = (("dead_air_min_s", "<=", "dead_air_extra_s"),)

    overtalk_min_s: float = param(1.0, "s", "(0, inf)")
    dead_air_min_s: float = param(3.0, "s", "(0, inf)")
    dead_air_extra_s: tuple = param((5.0, 10.0), "s", "(0, 86400]", length=None)


@dataclass(frozen=True)
class RateParams(Checked):
    """Syllable nuclei and speech rate (``callscan.kernels.nuclei``, ``callscan.measures.rate``).

    Attributes
    ----------
    spectral_win_s : float
        Hann window of the per-frame spectra (band power, spectral tilt), s.
    band_hz : tuple of float
        Band whose power is the intensity contour, Hz (the telephone pass band).
    smooth_s : float
        Standard deviation of the contour's Gaussian smoothing, s.
    silence_db : float
        Nuclei lie above the 99th percentile of the party's speech contour minus this, dB
        (de Jong & Wempe: 25 dB within one recording; a call's quiet stretches can lie
        further below its loudest moments).
    min_dip_db : float
        Least prominence of a nucleus over the dips between it and the neighbouring voiced
        peaks, dB (de Jong & Wempe: 2 dB, and up to 4 dB for clean, filtered speech). In
        ``benchmarks.rate_accuracy`` 3, 4 and 5 dB give a pooled r of 0.77, 0.79 and 0.79
        at 8 kHz and 0.77, 0.80 and 0.81 at 16 kHz, with median signed errors of 0, -4
        and -7 % at 8 kHz: 4 dB correlates about as well as 5 dB with less undercounting.
    voiced_reach_s : float
        A peak is voiced when a frame this close to it is voiced (pitch tracker) or
        vowel-like (``vowel_alpha_db``), s. Only voiced peaks take part in the dip test
        (``callscan.kernels.nuclei``, steps 4 and 5).
    vowel_alpha_db : float
        A frame whose alpha ratio (``AgitationParams.alpha_bands_hz``: power above 1 kHz
        against 300-1000 Hz) lies below this is vowel-like, dB: its power sits in the
        first-formant band, as in any vowel, however irregular the voice; fricatives and
        bursts lie above (``callscan.kernels.nuclei`` step 5).
    pause_db : float
        Speech frames at most this far above the noise floor are silent, dB.
    min_pause_s : float
        Shortest silent run inside talk that counts as a pause, s.
    min_talk_s : float
        Least talk (phonation) time for a rate, s.
    min_turn_talk_s : float
        Least talk inside a turn for its ``rate_sps``, s.
    """

    spectral_win_s: float = param(0.032, "s", "(0, 1]")
    band_hz: tuple = param((300.0, 3400.0), "Hz", "[0, 4000]")
    smooth_s: float = param(0.010, "s", "[0, 1]")
    silence_db: float = param(35.0, "dB", "[0, inf)")
    min_dip_db: float = param(4.0, "dB", "[0, inf)")
    voiced_reach_s: float = param(0.020, "s", "[0, 1]")
    vowel_alpha_db: float = param(0.0, "dB")
    pause_db: float = param(4.0, "dB", "[0, inf)")
    min_pause_s: float = param(0.10, "s", "[0, inf)")
    min_talk_s: float = param(1.0, "s", "(0, inf)")
    min_turn_talk_s: float = param(0.5, "s", "(0, inf)")


@dataclass(frozen=True)
class AgitationParams(Checked):
    """The agitation score (``callscan.measures.agitation`` has the formula and its sources).

    Attributes
    ----------
    alpha_bands_hz : tuple of float
        Low edge, split and high edge of the alpha ratio, Hz.
    hammarberg_bands_hz : tuple of float
        Low edge, split and high edge of the Hammarberg index, Hz.
    min_voiced_s : float
        Least voiced speech of a party in a stretch for a score, s.
    f0_norm_low_hz, f0_norm_high_hz : float
        Neutral median F0 of low (men's) and high (women's) voices, Hz.
    register_split_hz : float
        10th F0 percentile at which the two registers weigh equally, Hz.
    register_softness_st : float
        Width of the register mix around the split, semitones.
    f0_scale_st : float
        One reference standard deviation of median F0, semitones.
    f0_range_norm_st, f0_range_scale_st : float
        Neutral 10-90 % F0 range and its standard deviation, semitones.
    alpha_norm_db, alpha_scale_db : float
        Neutral alpha ratio and its standard deviation, dB.
    hammarberg_norm_db, hammarberg_scale_db : float
        Neutral Hammarberg index and its standard deviation, dB.
    loudness_scale_db : float
        Level change (against the party's own call level) worth one unit, dB.
    rate_norm_sps, rate_scale_sps : float
        Neutral articulation rate and its standard deviation, syllables/s.
    w_f0_level, w_f0_range, w_alpha, w_hammarberg, w_loudness, w_rate : float
        Weights of the cues.
    centre, slope : float
        The score is ``1 / (1 + exp(-(Z - centre) / slope))``.
    mirror_window_s, mirror_hop_s : float
        Windows of ``agent_mirroring``, s.
    mirror_min_windows : int
        Fewest windows scored for both parties that give ``agent_mirroring``.
    """

    ORDER = (("f0_norm_low_hz", "<", "f0_norm_high_hz"),)

    alpha_bands_hz: tuple = param((300.0, 1000.0, 3400.0), "Hz", "[0, 4000]")
    hammarberg_bands_hz: tuple = param((300.0, 2000.0, 3400.0), "Hz", "[0, 4000]")
    min_voiced_s: float = param(0.5, "s", "(0, inf)")
    f0_norm_low_hz: float = param(110.0, "Hz", "(0, 4000)")
    f0_norm_high_hz: float = param(200.0, "Hz", "(0, 4000)")
    register_split_hz: float = param(140.0, "Hz", "(0, 4000)")
    register_softness_st: float = param(1.0, "st", "(0, inf)")
    f0_scale_st: float = param(2.5, "st", "(0, inf)")
    f0_range_norm_st: float = param(6.5, "st", "[0, inf)")
    f0_range_scale_st: float = param(1.7, "st", "(0, inf)")
    alpha_norm_db: float = param(-10.4, "dB")
    alpha_scale_db: float = param(3.8, "dB", "(0, inf)")
    hammarberg_norm_db: float = param(20.3, "dB")
    hammarberg_scale_db: float = param(4.7, "dB", "(0, inf)")
    loudness_scale_db: float = param(3.0, "dB", "(0, inf)")
    rate_norm_sps: float = param(5.0, "syllables/s", "[0, inf)")
    rate_scale_sps: float = param(1.0, "syllables/s", "(0, inf)")
    w_f0_level: float = param(1.0, "", "[0, inf)")
    w_f0_range: float = param(0.5, "", "[0, inf)")
    w_alpha: float = param(1.0, "", "[0, inf)")
    w_hammarberg: float = param(1.0, "", "[0, inf)")
    w_loudness: float = param(1.0, "", "[0, inf)")
    w_rate: float = param(0.5, "", "[0, inf)")
    centre: float = param(1.0, "")
    slope: float = param(0.75, "", "(0, inf)")
    mirror_window_s: float = param(30.0, "s", "(0, inf)")
    mirror_hop_s: float = param(10.0, "s", "(0, inf)")
    mirror_min_windows: int = param(4, "windows", "[2, inf)")


@dataclass(frozen=True)
class MixParams(Checked):
    """Two channels that carry one mix (``callscan.audio.dual_mono``).

    Attributes
    ----------
    min_corr : float
        Least magnitude of the normalised cross-correlation of the band-passed waveforms
        that makes a segment match.
    max_lag_s : float
        Longest delay between the channels searched, s.
    band_hz : tuple of float
        Band the waveforms are compared in, Hz (where codecs keep the waveform).
    segment_s : float
        Length of a segment, s.
    round_s : float
        The call is cut into rounds this long, s; ``per_round`` segments are taken where
        each channel is loudest (above ``frame.highpass_hz``) in each.
    per_round : int
        Segments per channel and round.
    max_rounds : int
        A call longer than this many rounds is cut into this many longer ones.
    min_dbfs : float
        No segment quieter than this is taken, dBFS.
    min_segments : int
        Fewer segments decide nothing (the channels stay two parties).
    share : float
        Share of the segments that must agree (0-1).
    lag_tol_s, gain_tol_db : float
        How far a segment's lag (s) and gain (dB) may lie from the median ones and agree.
    echo_lag_s, echo_path_s : float
        Each segment also records the share of the other channel that a linear path from it
        explains (an FIR ``echo_path_s`` long, at the delay up to ``echo_lag_s`` where the two
        match best), s: ``callscan.frames.layout`` tells a room from an echo or crosstalk path by it.
    echo_floor_db : float
        Where the other channel lies further below, nothing is fitted (share 0), dB.
    """

    min_corr: float = param(0.75, "r", "(0, 1]")
    max_lag_s: float = param(0.010, "s", "[0, 0.1]")
    band_hz: tuple = param((300.0, 1200.0), "Hz", "(0, 4000)")
    segment_s: float = param(0.2, "s", "(0, inf)")
    round_s: float = param(10.0, "s", "(0, inf)")
    per_round: int = param(3, "segments", "[1, inf)")
    max_rounds: int = param(8, "rounds", "[1, inf)")
    min_dbfs: float = param(-55.0, "dBFS", "[-200, 0]")
    min_segments: int = param(6, "segments", "[1, inf)")
    share: float = param(0.8, "share 0-1", "(0, 1]")
    lag_tol_s: float = param(0.00025, "s", "[0, inf)")
    gain_tol_db: float = param(3.0, "dB", "[0, inf)")
    echo_lag_s: float = param(0.5, "s", "[0, 2]")
    echo_path_s: float = param(0.016, "s", "(0, 0.1]")
    echo_floor_db: float = param(-20.0, "dB", "[-200, 0]")


@dataclass(frozen=True)
class RoomParams(Checked):
    """Two microphones in one room (``callscan.frames.layout``).

    Attributes
    ----------
    max_coupling_db : float
        Each channel hears the other's talker within this many dB of that talker's own
        channel (``callscan.audio.dual_mono`` segments), dB.
    max_explained : float
        No short linear path: where each channel is loudest, the share of the other channel
        that one explains (``mix.echo_path_s``) stays under this (median; 0.75 is 6 dB of
        echo return loss enhancement).
    max_delay_s : float
        A leak found later than this is an echo, not the room, s (at most ``mix.max_lag_s``:
        a linear path that short would have matched the waveforms).
    min_segments : int
        Segments needed per channel where it is loudest.
    margin_db : float
        A channel's frame is its talker's speech only when its level stands this far above
        what the other channel's leak predicts, dB (at most half the separation of the two
        talkers' level differences).
    window_s : float
        Levels are compared over this window, s (a syllable: the room's reverberation
        smears a talker's level in the far microphone over time).
    """

    max_coupling_db: float = param(15.0, "dB", "[0, inf)")
    max_explained: float = param(0.75, "share 0-1", "[0, 1]")
    max_delay_s: float = param(0.010, "s", "[0, 0.5]")
    min_segments: int = param(3, "segments", "[1, inf)")
    margin_db: float = param(5.0, "dB", "[0, inf)")
    window_s: float = param(0.15, "s", "(0, 10]")


@dataclass(frozen=True)
class Params(Checked):
    """Everything that decides an analysis' numbers.

    Attributes
    ----------
    agent_channel : int
        Channel (0 or 1) that carries the agent; the other carries the customer.
    min_duration_s : float
        Files shorter than this are refused (``too_short``), s.
    identical_tol : float
        Two channels whose largest sample difference is at most this fraction of
        the larger channel's peak are the same signal (mono saved as stereo).
    mix : MixParams
        Two channels that carry one mix, bit-identical or not (dual mono).
    room : RoomParams
        Two microphones in one room.
    frame, activity, crosstalk, measures, hold, dynamics, quality, rate, agitation
        The parameter groups above.
    """

    agent_channel: int = param(1, "", choices=(0, 1))
    min_duration_s: float = param(1.0, "s", "[0, inf)")
    identical_tol: float = param(1e-3, "share of the peak", "[0, 1)")
    mix: MixParams = field(default_factory=MixParams)
    room: RoomParams = field(default_factory=RoomParams)
    frame: FrameParams = field(default_factory=FrameParams)
    activity: ActivityParams = field(default_factory=ActivityParams)
    crosstalk: CrosstalkParams = field(default_factory=CrosstalkParams)
    measures: MeasureParams = field(default_factory=MeasureParams)
    pitch: PitchParams = field(default_factory=PitchParams)
    hold: HoldParams = field(default_factory=HoldParams)
    dynamics: DynamicsParams = field(default_factory=DynamicsParams)
    quality: QualityParams = field(default_factory=QualityParams)
    rate: RateParams = field(default_factory=RateParams)
    agitation: AgitationParams = field(default_factory=AgitationParams)

    def party_channels(self):
        """The channel of each party, in ``callscan.fields.PARTIES`` order.

        Returns
        -------
        tuple of (str, int)
            ``(("agent", agent_channel), ("customer", 1 - agent_channel))``.
        """
        return ("agent", self.agent_channel), ("customer", 1 - self.agent_channel)

    def to_dict(self):
        """Plain nested dict of every parameter."""
        return dataclasses.asdict(self)

    def hash(self):
        """Short, stable hash of every parameter (16 hex digits)."""
        return _params_hash(self)

    def replace(self, **changes):
        """A copy with top-level fields changed."""
        return dataclasses.replace(self, **changes)


@functools.lru_cache(maxsize=64)
def _params_hash(params):
    # Params are frozen: equal parameter sets share one hash, computed once.
    text = json.dumps(params.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def as_kwargs(group):
    """A frozen parameter group as keyword arguments (computed once per group)."""
    return dataclasses.asdict(group)


for _group in dataclasses.fields(Params):
    if _group.default_factory is not dataclasses.MISSING:
        _group.default_factory.GROUP = _group.name  # the prefix of its fields' dotted names
del _group
