"""How the two channels of a stereo call carry the two parties: the channel layout.

``separate``
    Each channel carries its own party and nothing of the other.
``leak``
    A channel carries the other party's signal through an echo or crosstalk path, which
    the leak stage (``callscan.frames.leak``) finds and takes out.
``shared_room``
    Two microphones in one room: each hears both talkers, the near one louder, through
    the room (reverberation, moving heads), which no short linear path explains, so no
    filter takes the far talker out.
``dual_mono``, ``mono``
    One signal (``callscan.audio.dual_mono``) or one channel: decided when the file is read.

Shared room
-----------
The room is recognised from how the two waveforms relate where each channel is loudest
(the segments of ``callscan.audio.dual_mono``, at least ``min_segments`` per channel):
the other channel hears that talker within ``max_coupling_db`` (its level over the
loudest channel's, in the speech band), yet no short linear path carries it: a FIR of
``mix.echo_path_s`` at the best delay up to ``mix.echo_lag_s`` explains under
``max_explained`` of the other channel (median; an echo or crosstalk path, coded,
band-limited or dispersive, is explained almost whole where its talker alone speaks, a
room's reverberation, many times longer, is not); and the leak stage found the two channels' levels coupled at a delay of at most
``max_delay_s`` (an echo returned later is a leak).

In a room each talker's speech reaches the two channels with a level difference of its
own: over the frames where someone speaks loudly, the differences ``d = e_0 - e_1`` form
two clusters, channel 0's talker (high ``d``) and channel 1's (low ``d``). The lower
cluster's centre is the coupling of channel 1's talker into channel 0, ``c_01``; minus the
upper one's, that of channel 0's talker into channel 1, ``c_10``. Dominance then
attributes each stretch to the channel whose talker it is: a frame of channel ``a`` can
be speech only when its level stands above what the other channel's leak predicts,
``e_a > e_b + c_ab + margin``, with levels taken over ``window_s`` (the reverberation smears
the far talker's level over a syllable) and ``margin`` = ``margin_db``, at most half the
distance between the two clusters. Where both talk at once, both channels stand above the
other's prediction and both count.
"""

import numpy as np

from callscan.kernels.activity import speech_activity
from callscan.params import as_kwargs

LAYOUTS = ("separate", "leak", "shared_room", "dual_mono", "mono")


def leak_paths(leak):
    """Per destination channel, ``(level_db, delay_s)`` of the other channel's leak into it, or None.

    ``leak`` is what the leak stage (``callscan.frames.leak.leak_activity``) returns per
    destination channel: a path with ``level_db`` and ``delay_s``, or the coupling alone
    (dB, found at lag 0: delay 0). ``level_db`` is the leak's level under the talker, dB
    (negative); ``delay_s`` its bulk delay, s.
    """
    return [None if p is None else (float(getattr(p, "level_db", p)), float(getattr(p, "delay_s", 0.0)))
            for p in leak]


def in_one_room(segments, paths, mix, room):
    """Whether two channels are two microphones in one room (module docstring).

    Parameters
    ----------
    segments : ndarray, shape (n, 5), or None
        ``callscan.audio.dual_mono.mix_segments``: channel, r, lag, gain (dB of channel 1
        over channel 0), echo share.
    paths : list of (tuple or None)
        :func:`leak_paths`.
    mix : callscan.params.MixParams
    room : callscan.params.RoomParams

    Returns
    -------
    bool
    """
    if segments is None:
        return False
    if not any(p is not None and p[1] <= room.max_delay_s for p in paths):
        return False
    for ch, sign in ((0, 1.0), (1, -1.0)):
        rows = segments[segments[:, 0] == ch]
        if rows.shape[0] < room.min_segments:
            return False
        # the other channel's level under this one's where this one is loudest
        heard = sign * float(np.median(rows[:, 3]))
        if not heard >= -room.max_coupling_db:
            return False
        # no short linear path from this channel's talker into the other, at any delay
        if float(np.median(rows[:, 4])) >= room.max_explained:
            return False
    return True


def two_clusters(d, iterations=20):
    """Centres ``(low, high)`` of the two clusters of ``d`` (two-means in one dimension, from
    the 10th and 90th percentiles; each centre the median of its side)."""
    low, high = np.percentile(d, [10, 90])
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        below, above = d[d <= mid], d[d > mid]
        if below.size == 0 or above.size == 0:
            break
        low, high = float(np.median(below)), float(np.median(above))
    return float(low), float(high)


def _window_levels(e, frames):
    """Frame levels ``e`` (dB) as power averages over ``frames`` centred frames, dB."""
    if frames <= 1:
        return e
    power = np.power(10.0, np.asarray(e, dtype=np.float64) / 10)
    power[~np.isfinite(power)] = 0.0
    out = np.convolve(power, np.ones(frames) / frames, mode="same")
    with np.errstate(divide="ignore"):
        return 10 * np.log10(out)


def room_activity(energy, half, heard, loud, speech, params, hop_s):
    """Speech of two microphones in one room by dominance (module docstring), in place.

    Parameters
    ----------
    energy : ndarray, shape (2, n_frames)
        Frame levels, dBFS.
    half : list of ndarray, shape (2 * n_frames,)
        Half-hop levels per channel, dBFS.
    heard : ndarray, shape (2, n_frames), bool
        Speech activity before the leak stage (every frame where a channel hears speech).
    loud : list of float
        Per channel, the loud-speech level of ``speech_activity``, dBFS.
    speech : ndarray, shape (2, n_frames), bool
        Decided again, in place.
    params : callscan.params.Params
    hop_s : float

    Returns
    -------
    list of float, or None
        Per destination channel, the coupling of the other channel's talker into it, dB
        (``c_01``, ``c_10``); None when there are too few loud frames to tell.
    """
    xp, rp = params.crosstalk, params.room
    e0, e1 = energy
    sel = (heard[0] | heard[1]) & ((e0 > loud[0] - xp.loud_db) | (e1 > loud[1] - xp.loud_db))
    sel &= np.isfinite(e0) & np.isfinite(e1)
    if np.count_nonzero(sel) < xp.min_frames:
        return None
    low, high = two_clusters((e0 - e1)[sel].astype(np.float64))
    coupling = [low, -high]
    margin = min(rp.margin_db, 0.5 * (high - low))
    frames = max(1, int(round(rp.window_s / hop_s)))
    level = [_window_levels(e, frames) for e in energy]
    act = as_kwargs(params.activity)
    for a, b in ((0, 1), (1, 0)):
        exclude = ~(level[a] > level[b] + coupling[a] + margin)
        speech[a] = speech_activity(energy[a], hop_s, exclude=exclude, half_db=half[a], **act)[0]
    return coupling


def room_warning(coupling):
    """What ``warnings`` says of a call whose channels are two microphones in one room."""
    return (
        "both channels hear both talkers (crosstalk of two microphones in one room: channel 1's talker at "
        f"{coupling[0]:.1f} dB in channel 0, channel 0's at {coupling[1]:.1f} dB in channel 1, through no "
        "short linear path): each stretch is attributed to the channel whose talker stands above "
        "the other's leak"
    )
