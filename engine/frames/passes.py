"""Frame features of a call: level, speech activity, leak and hold per channel.

Everything a measure needs from the signal is computed here once, on the frame
grid of ``callscan.kernels.framing`` (10 ms hop by default).
"""

from dataclasses import dataclass, field

import numpy as np

from callscan.audio.blocks import MemorySource, block_frames
from callscan.audio.decoding import Audio
from callscan.audio.dual_mono import hop_power, mix_segments
from callscan.frames.layout import in_one_room, leak_paths, room_activity
from callscan.frames.leak import arriving, leak_activity
from callscan.kernels import framing
from callscan.kernels.activity import speech_activity
from callscan.kernels.crosstalk import leak_explained
from callscan.kernels.energy import frame_levels, sounding
from callscan.kernels.highpass import highpass
from callscan.kernels.music import music_like
from callscan.kernels.pitch import Candidates, F0Tracker
from callscan.kernels.quality import RunTracker, block_stats
from callscan.kernels.runs import drop_short, mask_to_runs
from callscan.kernels.spectral import band_features, fft_size, frame_spectra, hann, spectral_features
from callscan.kernels.steadiness import steadiness, steadiness_need, steadiness_of_spectra, steady_sound
from callscan.params import as_kwargs


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
    leak : list of (callscan.frames.leak.LeakPath or None)
        Per channel, the leak of the other channel's signal into it (level, delay);
        None where no leak was found.
    hold : ndarray, shape (channels, n_frames), bool, optional
        Steady non-speech sound (music, tones; ``callscan.kernels.steadiness``), bridged
        over the silent gaps between its pieces; never speech.
    digital_silence : list of list of (float, float)
        Per channel, runs of exact zeros between its first and last non-zero
        sample, ``(start_s, end_s)``.
    clipped_share : list of float
        Per channel, the share of samples in flat-topped runs at the peak.
    band_power : ndarray, shape (channels, n_frames), float32, optional
        Power of the telephone band in speech frames (0 elsewhere), the intensity
        contour of syllable nuclei (``callscan.kernels.spectral``).
    alpha_db, hammarberg_db : ndarray, shape (channels, n_frames), float32, optional
        Alpha ratio and Hammarberg index of speech frames, dB (NaN elsewhere).
    f0_hz : ndarray, shape (channels, n_frames), float32, optional
        Fundamental frequency, Hz; NaN where unvoiced (``callscan.kernels.pitch``).
    voiced : ndarray, shape (channels, n_frames), bool, optional
        Voicing decision.
    layout : str, optional
        For two channels, ``separate``, ``leak`` or ``shared_room`` (``callscan.frames.layout``).
    room_db : list of float, optional
        In a shared room, per channel, the coupling of the other channel's talker into it, dB.
    leaks : list of (tuple or None), optional
        For two channels, per channel, ``(level_db, delay_s)`` of the other channel's leak into
        it, or None (``callscan.frames.layout.leak_paths``).
    """

    hop_s: float
    energy_db: np.ndarray
    floor_db: np.ndarray
    speech: np.ndarray
    leak: list = field(default_factory=list)
    hold: np.ndarray = None
    digital_silence: list = field(default_factory=list)
    clipped_share: list = field(default_factory=list)
    band_power: np.ndarray = None
    alpha_db: np.ndarray = None
    hammarberg_db: np.ndarray = None
    f0_hz: np.ndarray = None
    voiced: np.ndarray = None
    layout: str = None
    room_db: list = None
    leaks: list = None

    @property
    def leak_db(self):
        """Per channel, the level of the other channel's leak into it, dB (None: no leak)."""
        return [None if p is None else p.level_db for p in self.leak]

    @property
    def n_frames(self):
        """Number of frames."""
        return self.energy_db.shape[1]

    def times_s(self):
        """Frame centres, seconds, shape (n_frames,)."""
        return framing.frame_centre_s(np.arange(self.n_frames), self.hop_s)


@dataclass
class Levels:
    """What the first pass over a call gives (:func:`level_pass`); arrays (channels, ...)."""

    energy: np.ndarray  # frame level, dBFS, (channels, n_frames), float32
    half: np.ndarray  # half-hop levels, dBFS, (channels, 2 * n_frames), float32
    pitch_refs: list  # per channel, the pitch tracker's speech and background levels, dB
    zeros: list  # per channel, (starts, ends) of runs of exact zeros, samples
    peak: list  # per channel, largest magnitude
    stats: dict  # whole-call figures for FileSource.settle


def level_pass(source, hop, win, tracker, zero_min, context, highpass_hz=0.0, mix=None):
    """Frame levels, half-hop levels, pitch levels, runs of zeros and whole-call figures.

    One pass over the call's blocks (``callscan.audio.blocks``). Frame and half-hop levels
    are of the signal above ``highpass_hz`` when it is set (``callscan.kernels.highpass``).
    With ``mix`` (``callscan.params.MixParams``) and two channels not yet settled, the
    segments of ``callscan.audio.dual_mono`` are gathered too (``stats["mix"]``).
    """
    nf = -(-source.n_samples // hop)
    nch = source.channels
    energy = np.empty((nch, nf), dtype=np.float32)
    half = np.empty((nch, 2 * nf), dtype=np.float32)
    pitch_level = np.empty((nch, nf))  # for the tracker's references only
    zeros = [RunTracker(zero_min) for _ in range(nch)]
    peak = np.zeros(nch, dtype=np.float32)
    live_count = np.zeros(nch, dtype=np.int64)
    live_sum = np.zeros(nch)
    max_diff = 0.0
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        own = slice((f0 - b0) * hop, (f1 - b0) * hop)
        filtered = highpass(x, source.sample_rate, highpass_hz) if highpass_hz > 0 else x
        for ch in range(nch):
            xc = x[ch]
            energy[ch, f0:f1], half[ch, 2 * f0 : 2 * f1] = frame_levels(filtered[ch], hop, win, f0 - b0, f1 - b0)
            pitch_level[ch, f0:f1] = tracker.levels(xc[own])  # a frame's level is of its own hop
            zeros[ch].add(xc[own])
        end = min(own.stop, x.shape[1])
        max_diff = max(max_diff, float(block_stats(x, own.start, end, peak, live_count, live_sum)))
    peak = [float(p) for p in peak]
    stats = {"nonzero": [bool(k) for k in live_count], "live_sum": [float(v) for v in live_sum],
             "live_count": [int(k) for k in live_count], "peak": max(peak), "max_diff": max_diff,
             "mix": None}
    if mix is not None and nch == 2 and not source.settled:
        with source.spans() as read:
            stats["mix"] = mix_segments(hop_power(half), read, source.n_samples, source.sample_rate, mix)
    runs = [z.finish() for z in zeros]
    zeros = [(np.array(r.starts, dtype=np.int64), np.array(r.ends, dtype=np.int64)) for r in runs]
    return Levels(energy, half, [tracker.references(level) for level in pitch_level], zeros, peak, stats)


def frame_features(source, params):
    """Compute the frame features of a call.

    Parameters
    ----------
    source : callscan.audio.decoding.Audio, callscan.audio.blocks.MemorySource or callscan.audio.blocks.FileSource
        A file source is read in passes, a block at a time; its whole-call decisions
        (DC offset, same signal on both channels) are taken in the first pass.
    params : callscan.params.Params

    Returns
    -------
    Frames
    """
    if isinstance(source, Audio):
        source = MemorySource(source)
    fp = params.frame
    sr = source.sample_rate
    hop = framing.hop_samples(sr, fp.hop_s)
    win = framing.win_samples(sr, fp.win_s)
    hop_s = hop / sr
    pp, qp = params.pitch, params.quality
    tracker = F0Tracker(sr, hop, pp)
    hold_win = framing.win_samples(sr, params.hold.win_s)
    spectral_win = framing.win_samples(sr, params.rate.spectral_win_s)
    # Hops of real samples each side of a block's own frames: enough for every kernel's
    # reach (energy and spectral windows, the steadiness lag, the pitch tracker's filters).
    reach = max(win, hold_win, spectral_win) // (2 * hop) + 2
    context = max(tracker.context_frames, reach + max(1, int(round(params.hold.lag_s / hop_s))))
    zero_min = max(1, int(round(qp.digital_silence_min_s * sr)))
    lv = level_pass(source, hop, win, tracker, zero_min, context, fp.highpass_hz, params.mix)
    while not source.settled:
        if source.settle(lv.stats, params.identical_tol, params.mix):
            lv = level_pass(source, hop, win, tracker, zero_min, context, fp.highpass_hz, params.mix)
        elif source.channels < lv.energy.shape[0]:  # both channels carry one signal
            k = source.kept[0]
            lv = Levels(lv.energy[k : k + 1], lv.half[k : k + 1], lv.pitch_refs[k : k + 1], lv.zeros[k : k + 1],
                        lv.peak[k : k + 1], lv.stats)
    energy, half = lv.energy, list(lv.half)
    act = as_kwargs(params.activity)
    first = [speech_activity(e, hop_s, half_db=h, **act) for e, h in zip(energy, half)]
    speech = np.stack([f[0] for f in first])
    floor = np.stack([f[1] for f in first])
    loud = [f[2] for f in first]
    del first
    leak = [None] * energy.shape[0]
    layout = room_db = paths = None
    if energy.shape[0] == 2:
        heard = speech.copy()
        leak = leak_activity(source, energy, half, loud, speech, floor, params, hop, win, context)
        paths = leak_paths(leak)
        layout = "leak" if any(p is not None for p in paths) else "separate"
        if in_one_room(getattr(source, "mix_segments", None), paths, params.mix, params.room):
            room_db = room_activity(energy, half, heard, loud, speech, params, hop_s)
            if room_db is not None:
                layout = "shared_room"
        del heard
    del half, lv.half
    hp = params.hold
    active = np.stack([hold_active(s, e, hp) for s, e in zip(speech, energy)])
    for a, path in enumerate(paths or ()):
        if path is not None:  # the other party's sound come through the leak is not this channel's
            heard = arriving(energy[1 - a], int(round(path[1] * sr)), hop)
            active[a] &= speech[a] | ~leak_explained(energy[a], heard, path[0], params.crosstalk.margin_db)
    wanted = hold_wanted(active, hop_s, hp)
    qlevel = [qp.clip_ratio * p if p > 0 and 20 * np.log10(p) >= qp.clip_min_dbfs else None for p in lv.peak]
    sp = sample_pass(source, hop, context, tracker, lv.pitch_refs, speech.copy(), wanted, qlevel, params)
    del wanted
    hold = np.zeros_like(speech)
    min_speech = int(round(params.activity.min_speech_s / hop_s))
    f0_hz, voiced = sp["f0"], sp["voiced"]
    for ch in range(speech.shape[0]):
        if active[ch].any():
            hold[ch] = steady_sound(
                sp["stability"][ch], sp["purity"][ch], energy[ch], active[ch], hop_s,
                stable_min=hp.stable_min, pure_min=hp.pure_min, window_s=hp.window_s,
                steady_share=hp.steady_share, tone_share=hp.tone_share, dip_window_s=hp.dip_window_s,
                dip_db=hp.dip_db, max_dip_share=hp.max_dip_share, music_min_s=hp.music_min_s,
                tone_min_s=hp.tone_min_s,
            )
            others = np.logical_or.reduce(np.delete(speech, ch, axis=0), axis=0) if speech.shape[0] > 1 else None
            hold[ch] |= music_like(
                energy[ch], sp["stability"][ch], active[ch], others, hop_s, dip_window_s=hp.dip_window_s,
                dip_db=hp.dip_db, sound_db=hp.sound_db, window_s=hp.long_window_s, step_s=hp.long_step_s,
                band_hz=hp.long_band_hz, beat_s=hp.long_beat_s, low_ratio=hp.long_low_ratio,
                weights=hp.long_weights, bias=hp.long_bias, smooth_s=hp.long_smooth_s, edge_s=hp.long_edge_s,
                gap_s=hp.long_gap_s, min_s=hp.long_min_s,
            )
        if hold[ch].any():
            gate = speech[ch].copy()
            speech[ch] = drop_short(gate & ~hold[ch], min_speech)
            if pp.gate and not np.array_equal(gate, speech[ch]):
                # the tracker is gated by speech: track again without the hold frames
                pitch_pass(source, hop, context, tracker, lv.pitch_refs[ch], speech, ch, f0_hz[ch], voiced[ch])
    del sp["stability"], sp["purity"], active
    hold = bridge_hold(hold, speech, int(round(hp.bridge_s / hop_s)))
    hold = hold_edges(hold, energy, speech, hp.edge_db, int(round(hp.edge_gap_s / hop_s)),
                      int(round(hp.edge_max_s / hop_s)))
    band_power, alpha_db, hammarberg_db = sp["band_power"], sp["alpha_db"], sp["hammarberg_db"]
    band_power[~speech] = 0.0
    alpha_db[~speech] = np.nan
    hammarberg_db[~speech] = np.nan
    n = source.n_samples
    return Frames(
        hop_s=hop_s,
        energy_db=energy,
        floor_db=floor,
        speech=speech,
        leak=leak,
        hold=hold,
        digital_silence=[
            [(round(a / sr, 6), round(b / sr, 6)) for a, b in zip(s.tolist(), e.tolist()) if a > 0 and b < n]
            for s, e in lv.zeros
        ],
        clipped_share=[c / n for c in sp["clipped"]],
        band_power=band_power,
        alpha_db=alpha_db,
        hammarberg_db=hammarberg_db,
        f0_hz=f0_hz,
        voiced=voiced,
        layout=layout,
        room_db=room_db,
        leaks=paths,
    )


def hold_active(speech, energy, hp):
    """Frames with sound in them: speech, or more than ``hp.sound_db`` above the 5th
    percentile of the finite frame levels (``callscan.kernels.energy.sounding``)."""
    return speech | sounding(energy, hp.sound_db)


def hold_wanted(active, hop_s, hp):
    """Per channel, the frames whose steadiness can matter (``callscan.kernels.steadiness``), from the
    frames with sound (:func:`hold_active`).

    steady_sound reads stability and purity of active frames only, each share within its
    active run, and drops music and tone runs shorter than ``music_min_s`` and
    ``tone_min_s``: an active run shorter than both can hold neither, so its frames need no
    spectra either.
    """
    shortest = min(int(round(hp.music_min_s / hop_s)), int(round(hp.tone_min_s / hop_s)))
    return np.stack([drop_short(a, shortest) for a in active])


MAX_RUN_FRAMES = 1 << 16
"""Longest run of frames with candidates the pitch path waits for (11 min at 10 ms)."""


class PathRun:
    """The pitch tracker's Viterbi path over a channel that arrives a block at a time.

    Each block gives the candidates, levels and RMS ratios of its own frames (the block's
    context covers their reach). The path is cut after each frame without candidates
    (``callscan.kernels.pitch.F0Tracker``), so only the frames since the last such frame wait for the
    next block. Results go to ``f0`` and ``voiced`` (shape (n_frames,)).

    Parameters
    ----------
    tracker : callscan.kernels.pitch.F0Tracker
    refs : (float, float)
        The channel's speech and background levels (``F0Tracker.references``), dB.
    f0, voiced : ndarray, shape (n_frames,)
        Filled in place.
    """

    def __init__(self, tracker, refs, f0, voiced):
        self.tracker, self.refs = tracker, refs
        self.f0, self.voiced = f0, voiced
        self.start = 0
        self.parts = []  # (candidates, levels, ratios) of the frames from ``start`` on

    def add(self, tracker, x, gate, own):
        """Track the frames ``own`` (a slice of frames) of the block ``x`` where ``gate``."""
        level = tracker.levels(x)
        part = (pitch_candidates(tracker, x, gate)[own], level[own], tracker.ratios(level, own.start, own.stop))
        before = self.start + sum(p[0].n.shape[0] for p in self.parts)
        self.parts.append(part)
        n = part[0].n
        empty = np.flatnonzero(n == 0)
        if empty.size:
            # The frames waiting from earlier blocks are joined with this block's frames up to
            # its first frame without candidates; from there to its last such frame the path
            # runs on this block's own arrays.
            self._solve(before + int(empty[0]) + 1)
            if empty[-1] > empty[0]:
                self._solve(before + int(empty[-1]) + 1)
        elif before + n.shape[0] - self.start > MAX_RUN_FRAMES:
            # No frame without candidates for this long (not speech: a machine, noise):
            # cut the path here rather than hold every candidate.
            self._solve(before + n.shape[0])

    def _solve(self, end):
        """Solve the waiting frames up to ``end`` (exclusive); frame ``end - 1`` waits on as
        the start of the next run."""
        m = end - self.start
        head, rest, k = [], [], 0  # pieces of the frames [0, m) and [m - 1, ...) of the parts
        for cands, level, rr in self.parts:
            size = cands.n.shape[0]
            if k < m:
                head.append((cands[: m - k], level[: m - k], rr[: m - k]))
            if k + size > m - 1:
                i = max(m - 1 - k, 0)
                rest.append((cands[i:], level[i:], rr[i:]))
            k += size
        if len(head) > 1:
            cands = Candidates.join([h[0] for h in head])
            level = np.concatenate([h[1] for h in head])
            rr = np.concatenate([h[2] for h in head])
        else:
            cands, level, rr = head[0]
        self.f0[self.start : end], self.voiced[self.start : end] = self.tracker.path(cands, level, *self.refs, rr)
        self.start = end - 1
        self.parts = rest

    def finish(self):
        """Solve what is left."""
        end = self.start + sum(p[0].n.shape[0] for p in self.parts)
        if end > self.start:
            self._solve(end)


def sample_pass(source, hop, context, tracker, pitch_refs, gate, wanted, qlevel, params):
    """Second pass: steadiness of the ``wanted`` frames (measured on the grid of
    :func:`hold_grid`), spectra and pitch candidates of the ``gate`` frames (speech; every frame for pitch when ``params.pitch.gate`` is off), clipped
    samples (at ``qlevel`` per channel, None for none), and the pitch path.

    Spectra and pitch candidates are local to their frames, so computing them on ``gate``
    and keeping only the frames of a narrower gate later gives what a narrower gate gives.
    """
    sr = source.sample_rate
    nch, nf = gate.shape
    hp, rp, ap, qp = params.hold, params.rate, params.agitation, params.quality
    hop_s = hop / sr
    hold_win = framing.win_samples(sr, hp.win_s)
    bin_hz = sr / hold_win
    lo_bin = int(np.ceil(hp.band_hz[0] / bin_hz))
    hi_bin = min(hold_win // 2 + 1, int(np.floor(hp.band_hz[1] / bin_hz)) + 1)
    lag = max(1, int(round(hp.lag_s / hop_s)))
    width = max(1, int(round(hp.peak_width_hz / bin_hz)))
    # steady_sound compares stability and purity with its thresholds and nothing else, so
    # the comparisons are what is kept (one byte a frame).
    out = {
        "stability": np.zeros((nch, nf), dtype=np.bool_),
        "purity": np.zeros((nch, nf), dtype=np.bool_),
        "band_power": np.zeros((nch, nf), dtype=np.float32),
        "alpha_db": np.full((nch, nf), np.nan, dtype=np.float32),
        "hammarberg_db": np.full((nch, nf), np.nan, dtype=np.float32),
    }
    out["f0"] = np.full((nch, nf), np.nan, dtype=np.float32)
    out["voiced"] = np.zeros((nch, nf), dtype=np.bool_)
    paths = [PathRun(tracker, pitch_refs[ch], out["f0"][ch], out["voiced"][ch]) for ch in range(nch)]
    clips = [RunTracker(qp.clip_run, q) if q is not None else None for q in qlevel]
    spectral_win = max(2, int(round(rp.spectral_win_s * sr)))
    nfft = fft_size(spectral_win)
    share = spectral_win == hold_win == nfft
    window = hann(spectral_win)
    for f0, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        m = -(-x.shape[1] // hop)
        own = slice(f0 - b0, f1 - b0)
        for ch in range(nch):
            xc = x[ch]
            want = np.zeros(m, dtype=np.bool_)
            want[own] = wanted[ch, f0:f1]
            g = np.zeros(m, dtype=np.bool_)
            g[own] = gate[ch, f0:f1]
            wanted_at, grid_at = hold_grid(want, b0, lag)
            grid = np.zeros(m, dtype=np.bool_)
            grid[grid_at] = True
            if share:
                # One spectrum per frame serves the hold check (grid frames) and the spectral
                # features (speech frames).
                hold_need = steadiness_need(grid, lag)
                need = hold_need | g
                if need.any():
                    idx = np.flatnonzero(need)
                    spec = block_spectra(xc, hop, idx, window, nfft)
                    row = np.full(m, -1, dtype=np.int64)
                    row[idx] = np.arange(idx.size)
                    if wanted_at.size:
                        hold_idx = np.flatnonzero(hold_need)
                        hold_row = np.full(m, -1, dtype=np.int64)
                        hold_row[hold_idx] = np.arange(hold_idx.size)
                        targets = np.flatnonzero(grid)
                        stab, pure = steadiness_of_spectra(np.abs(spec[row[hold_idx], lo_bin:hi_bin]), hold_row, targets,
                                                           lag, width)
                        k = np.searchsorted(targets, grid_at)
                        out["stability"][ch, b0 + wanted_at] = stab[k].astype(np.float32) >= hp.stable_min
                        out["purity"][ch, b0 + wanted_at] = pure[k].astype(np.float32) >= hp.pure_min
                    if g.any():
                        frames = np.flatnonzero(g)
                        bp, al, hm = band_features(spec, sr, rp.band_hz, ap.alpha_bands_hz,
                                                   ap.hammarberg_bands_hz, rows=row[frames])
                        out["band_power"][ch, b0 + frames] = bp
                        out["alpha_db"][ch, b0 + frames] = al
                        out["hammarberg_db"][ch, b0 + frames] = hm
            else:
                if wanted_at.size:
                    stab, pure = steadiness(xc, hop, hold_win, lag, lo_bin, hi_bin, width, frames=grid)
                    out["stability"][ch, b0 + wanted_at] = stab[grid_at] >= hp.stable_min
                    out["purity"][ch, b0 + wanted_at] = pure[grid_at] >= hp.pure_min
                if g.any():
                    bp, al, hm = spectral_features(
                        xc, sr, hop, g, win_s=rp.spectral_win_s, nuclei_band_hz=rp.band_hz,
                        alpha_bands_hz=ap.alpha_bands_hz, hammarberg_bands_hz=ap.hammarberg_bands_hz,
                    )
                    out["band_power"][ch, f0:f1] = bp[own]
                    out["alpha_db"][ch, f0:f1] = al[own]
                    out["hammarberg_db"][ch, f0:f1] = hm[own]
            if not params.pitch.gate:
                g[:] = True
            paths[ch].add(tracker, xc, g, own)
            if clips[ch] is not None:
                clips[ch].add(xc[own.start * hop : own.stop * hop])
    for path in paths:
        path.finish()
    out["clipped"] = [c.finish().count if c is not None else 0 for c in clips]
    return out


def hold_grid(want, b0, lag):
    """The frames whose steadiness stands for the wanted frames of a block.

    Stability compares spectra ``lag`` frames apart, so it is measured on every ``lag``-th
    frame of the call (frame index a multiple of ``lag``), and each wanted frame takes the
    values of the grid frame at or before it. The spectra the grid needs are then grid frames
    themselves: the hold check costs a ``lag``-th of the spectra and comparisons of a
    frame-by-frame check, and judges its 2 s windows from the same 30 ms steps.

    Parameters
    ----------
    want : ndarray of bool, shape (m,)
        The block's wanted frames (local indices; the block starts at frame ``b0`` of the
        call and holds at least ``lag - 1`` frames of context before its first wanted frame).
    b0 : int
    lag : int

    Returns
    -------
    wanted_at, grid_at : ndarray of int64
        The wanted frames and the grid frame of each, local indices.
    """
    wanted_at = np.flatnonzero(want)
    return wanted_at, wanted_at - (b0 + wanted_at) % lag


def block_spectra(x, hop, frames, window, nfft):
    """Complex spectra of the listed frames of one channel's block (``callscan.kernels.spectral``)."""
    return frame_spectra(x, hop, frames, window, nfft)


def pitch_candidates(tracker, x, gate):
    """Pitch candidates of the gated frames of one channel's block (``callscan.kernels.pitch``)."""
    return tracker.candidates(x, gate)


def pitch_pass(source, hop, context, tracker, refs, speech, ch, f0, voiced):
    """F0 and voicing of channel ``ch`` gated by ``speech[ch]``, into ``f0`` and ``voiced``
    (shape (n_frames,)): one more pass."""
    f0[:] = np.nan
    voiced[:] = False
    path = PathRun(tracker, refs, f0, voiced)
    for f0_, f1, b0, x in source.blocks(hop, block_frames(hop), context):
        g = np.zeros(-(-x.shape[1] // hop), dtype=np.bool_)
        g[f0_ - b0 : f1 - b0] = speech[ch, f0_:f1]
        path.add(tracker, x[ch], g, slice(f0_ - b0, f1 - b0))
    path.finish()


def hold_edges(hold, energy, speech, above_db, max_gap, frames):
    """Each hold stretch of a channel grown, by up to ``frames`` frames each side, over the frames
    next to it where the channel's level stays more than ``above_db`` over its quietest level
    (``callscan.kernels.energy.sounding``; dips of fewer than ``max_gap`` frames bridged) and
    the channel's own speech does not begin, then by one frame more: the frame that straddles
    the boundary (its window reaches into the sound while its level is the floor's).

    The checks that find hold look for sound ``hold.sound_db`` over the floor; a tune's fade-in
    or a note's quiet start lie between that and the floor. They are the hold's, not a silence:
    grown here, the stretch meets the mutual silence around it where the sound meets the floor.
    Sound within ``above_db`` of the line's noise is not told from it by level.
    """
    from callscan.kernels.music import regrow
    from callscan.kernels.runs import bridge_gaps

    out = hold.copy()
    for ch in range(hold.shape[0]):
        if hold[ch].any():
            near = bridge_gaps(sounding(energy[ch], above_db), max_gap) & ~speech[ch]
            out[ch] = regrow(regrow(hold[ch], near, frames), ~speech[ch], 1)
    return out


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
