"""Parameters of an analysis: frozen, hashable dataclasses.

Defaults live here and nowhere else (SPEC: "defaults are parameters, never
constants in kernels"). ``Params.hash()`` identifies a parameter set in records
and batch outputs.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from engine.errors import ParameterError


@dataclass(frozen=True)
class FrameParams:
    """The frame grid.

    Attributes
    ----------
    hop_s : float
        Hop between frames, seconds (SPEC §2: 10 ms).
    win_s : float
        Energy window, seconds (SPEC §2: 25 ms).
    """

    hop_s: float = 0.010
    win_s: float = 0.025


@dataclass(frozen=True)
class ActivityParams:
    """Per-channel speech activity (see ``kernels.activity``).

    Attributes
    ----------
    onset_db : float
        A speech region must reach this far above the channel's noise floor, dB.
    offset_db : float
        A speech region extends while the level stays this far above the floor, dB
        (hysteresis: ``offset_db < onset_db``).
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
        Speech bursts shorter than this are dropped, s (SPEC §2: 0.10).
    bridge_s : float
        Same-party gaps shorter than this are filled, s (SPEC §2: 0.25).
    """

    onset_db: float = 10.0
    offset_db: float = 4.0
    floor_window_s: float = 8.0
    floor_step_s: float = 0.25
    floor_quantile: float = 5.0
    floor_bias_db: float = 0.0
    speech_range_db: float = 30.0
    abs_floor_db: float = -100.0
    min_level_db: float = -62.0
    hangover_s: float = 0.0
    min_speech_s: float = 0.10
    bridge_s: float = 0.25


@dataclass(frozen=True)
class CrosstalkParams:
    """Leak between channels (see ``kernels.crosstalk``).

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
    """

    loud_db: float = 10.0
    min_rise_db: float = 6.0
    min_corr: float = 0.8
    margin_db: float = 4.0
    min_frames: int = 100


@dataclass(frozen=True)
class MeasureParams:
    """Thresholds of the call measures (SPEC §3).

    Attributes
    ----------
    overtalk_min_s : float
        An overlap at least this long is an overtalk, s.
    dead_air_min_s : float
        A mutual silence inside the span at least this long is dead air, s.
    dead_air_extra_s : tuple of float
        Further dead-air thresholds that get their own counts, s.
    """

    overtalk_min_s: float = 1.0
    dead_air_min_s: float = 3.0
    dead_air_extra_s: tuple = (5.0, 10.0)


@dataclass(frozen=True)
class Params:
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
    frame, activity, crosstalk, measures
        The parameter groups above.
    """

    agent_channel: int = 1
    min_duration_s: float = 1.0
    identical_tol: float = 1e-3
    frame: FrameParams = field(default_factory=FrameParams)
    activity: ActivityParams = field(default_factory=ActivityParams)
    crosstalk: CrosstalkParams = field(default_factory=CrosstalkParams)
    measures: MeasureParams = field(default_factory=MeasureParams)

    def __post_init__(self):
        if self.agent_channel not in (0, 1):
            raise ParameterError(f"agent_channel must be 0 or 1, not {self.agent_channel!r}")
        a = self.activity
        if a.offset_db > a.onset_db:
            raise ParameterError("activity.offset_db must not exceed activity.onset_db")
        for name in ("min_speech_s", "bridge_s", "hangover_s"):
            if getattr(a, name) < 0:
                raise ParameterError(f"activity.{name} must be >= 0")
        if not 0.001 <= self.frame.hop_s <= 0.1:
            raise ParameterError("frame.hop_s must lie between 0.001 and 0.1 s")
        if self.frame.win_s < self.frame.hop_s:
            raise ParameterError("frame.win_s must be at least frame.hop_s")

    def to_dict(self):
        """Plain nested dict of every parameter."""
        return dataclasses.asdict(self)

    def hash(self):
        """Short, stable hash of every parameter (16 hex digits)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes):
        """A copy with top-level fields changed."""
        return dataclasses.replace(self, **changes)
