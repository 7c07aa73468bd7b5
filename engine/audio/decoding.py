"""Decode: header -> checks -> samples, shape (channels, samples), float32.

The file's header is read first, so most bad files are refused before any
sample is decoded. Integer codecs (PCM, µ-law, A-law, GSM, ADPCM) are read as
int16 and scaled to float32 once; float and 24/32-bit files are read as float32.
8 and 16 kHz audio is analysed as it is; any other rate is resampled once, to
8 kHz below 16 kHz and to 16 kHz from 16 kHz up (soxr, high quality).
soundfile gives (frames, channels); the transpose to channels-first happens here
and nowhere else.
"""

import os
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf

from callscan.audio.checks import (
    INT16_SUBTYPES,
    MONO_WARNING,
    NATIVE_RATES,
    SAME_SIGNAL_WARNING,
    UNKNOWN_FRAMES,
    check_layout,
    check_samples,
    dc_to_remove,
    dc_warning,
    no_signal_warning,
    open_info,
    same_signal,
)
from callscan.audio.dual_mono import louder_channel, mix_segments, one_mix, one_mix_warning
from callscan.errors import DecodeError
from callscan.kernels.energy import hop_sums
from callscan.kernels.highpass import highpass
from callscan.params import FrameParams, MixParams

_BLOCK_READ_FRAMES = 1 << 25  # 70 min at 8 kHz: longer files are read in blocks


@dataclass
class Audio:
    """Decoded call audio.

    Attributes
    ----------
    samples : ndarray, shape (channels, n_samples), float32
        Full scale ±1, at ``sample_rate``.
    sample_rate : int
        Analysis rate, Hz (8000 or 16000 unless given as an array at another rate).
    source_rate : int
        The file's own rate, Hz.
    codec : str
        Container and encoding, e.g. ``"WAV/PCM_16"``.
    path : str or None
        Where the audio came from.
    mode : str
        ``"stereo"`` (one party per channel) or ``"mono"``.
    warnings : list of str
        Everything the decoder noticed that a user should know.
    layout : str or None
        ``"mono"`` (one channel), ``"dual_mono"`` (two channels that carry one mix, analysed
        as one), or None: two channels, one party each, as far as the samples alone tell.
    mix_segments : ndarray, shape (n, 4), optional
        For two channels analysed as two: the segments of ``callscan.audio.dual_mono`` (how the
        waveforms of the two channels relate where each is loudest).
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    codec: str
    path: str | None = None
    mode: str = "stereo"
    warnings: list = field(default_factory=list)
    layout: str | None = None
    mix_segments: np.ndarray | None = None

    @property
    def channels(self):
        """Number of channels as decoded (1 or 2)."""
        return self.samples.shape[0]

    @property
    def duration_s(self):
        """Length in seconds."""
        return self.samples.shape[1] / self.sample_rate


def _to_analysis_rate(samples, rate, warnings):
    """Resample (channels, n) float32 to 8 or 16 kHz once, if needed."""
    if rate in NATIVE_RATES:
        return samples, rate
    import soxr

    target = 8000 if rate < 16000 else 16000
    out = soxr.resample(np.ascontiguousarray(samples.T), rate, target, quality="HQ")
    warnings.append(f"resampled from {rate} Hz to {target} Hz")
    return np.ascontiguousarray(out.T, dtype=np.float32), target


def _mono_check(samples, rate, tol, mix, warnings, highpass_hz=None):
    """``(layout, samples, segments)``: the channel layout known from the samples alone
    (``"mono"``, ``"dual_mono"``, or None for two channels of two parties so far), the samples
    (one channel when the file is mono in effect) and, for two parties, the segments of
    ``callscan.audio.dual_mono``."""
    if samples.shape[0] == 1:
        warnings.append(MONO_WARNING)
        return "mono", samples, None
    a, b = samples[0], samples[1]
    peak = float(max(np.max(np.abs(a)), np.max(np.abs(b)))) if a.size else 0.0
    if peak > 0 and same_signal(peak, float(np.max(np.abs(a - b))), tol):
        warnings.append(SAME_SIGNAL_WARNING)
        return "dual_mono", samples[:1], None
    mix = mix or MixParams()
    cutoff = FrameParams().highpass_hz if highpass_hz is None else highpass_hz
    above = highpass(samples, rate, cutoff) if cutoff > 0 else samples
    hop = max(1, int(round(0.01 * rate)))
    power = hop_sums(above, hop, -(-samples.shape[1] // hop)) / hop
    del above
    rows = mix_segments(power, lambda start, stop: samples[:, start:stop], samples.shape[1], rate, mix)
    found = one_mix(rows, rate, mix)
    if found is not None:
        warnings.append(one_mix_warning(found, rate))
        keep = louder_channel(found)
        return "dual_mono", samples[keep : keep + 1], None
    return None, samples, rows


def decode(path, *, min_duration_s=1.0, identical_tol=1e-3, mix=None, highpass_hz=None):
    """Read an audio file for analysis.

    Parameters
    ----------
    path : str or os.PathLike
        Any file libsndfile reads (WAV PCM/µ-law/A-law/GSM/ADPCM, FLAC, OGG, MP3).
    min_duration_s : float
        Shorter files are refused (``too_short``).
    identical_tol : float
        Tolerance for "both channels carry the same signal", relative to the peak.
    mix : callscan.params.MixParams, optional
        Two channels that carry one mix (``callscan.audio.dual_mono``); defaults to ``MixParams()``.
    highpass_hz : float, optional
        The frame high-pass (``frame.highpass_hz``; defaults to ``FrameParams()``'s): the
        dual-mono check takes its segments where each channel is loudest above it.

    Returns
    -------
    Audio

    Raises
    ------
    DecodeError
        With ``kind`` and a reason naming the file.
    """
    path = os.fspath(path)
    info, source = open_info(path)
    check_layout(info.channels, info.frames, info.samplerate, path, min_duration_s)
    dtype = "int16" if info.subtype in INT16_SUBTYPES else "float32"
    try:
        data, rate = _read_samples(source, dtype, info.frames)
    except (sf.LibsndfileError, RuntimeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        if info.frames >= UNKNOWN_FRAMES:
            reason = (f"the header does not state the length (a streamed or damaged {info.format} file) "
                      f"and reading it failed ({reason}); re-encoding it (e.g. with sox or ffmpeg) "
                      "writes the length")
        raise DecodeError(f"decoding failed: {reason}", path, "unreadable") from None
    if data.shape[0] == 0:
        raise DecodeError("no audio samples could be decoded", path, "empty")
    warnings = []
    if info.frames >= UNKNOWN_FRAMES:  # a stream that does not state its length
        check_layout(data.shape[1], data.shape[0], rate, path, min_duration_s)
    elif data.shape[0] < info.frames:
        raise DecodeError(
            f"truncated: the header announces {info.frames} frames, only {data.shape[0]} decode",
            path,
            "unreadable",
        )
    samples = _channels_first(data, dtype, path)
    codec = f"{info.format}/{info.subtype}"
    if not isinstance(source, bytes):
        codec = f"WAV+{codec}"
        warnings.append("MPEG audio inside a WAVE header: decoded from its data chunk")
    return _finish(samples, rate, codec, path, warnings, identical_tol, mix, highpass_hz)


def _read_samples(source, dtype, frames):
    """All samples of a file as (frames, channels), and its rate.

    A header may state any length: a FLAC stream without a sample count reads
    as 2**63 - 1 frames, and a damaged one may claim terabytes. Up to
    ``_BLOCK_READ_FRAMES`` the array is allocated at once; beyond, the file is
    read in blocks until it ends, so memory follows what the file holds.
    """
    if frames <= _BLOCK_READ_FRAMES:
        return sf.read(source, dtype=dtype, always_2d=True)
    with sf.SoundFile(source) as f:
        blocks = list(f.blocks(blocksize=1 << 20, dtype=dtype, always_2d=True))
        rate, channels = f.samplerate, f.channels
    if not blocks:
        return np.zeros((0, channels), dtype), rate
    return np.concatenate(blocks), rate


def _channels_first(data, dtype, path):
    """soundfile's (frames, channels) block as float32 (channels, samples), checked."""
    if dtype == "int16":
        samples = data.T.astype(np.float32)
        samples *= np.float32(1.0 / 32768.0)
    else:
        samples = np.ascontiguousarray(data.T, dtype=np.float32)
        check_samples(samples, path)
    return samples


def _stream_size(stream):
    """Bytes left in a seekable stream (None when it cannot seek)."""
    try:
        if not stream.seekable():
            return None
        pos = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(pos)
    except (AttributeError, OSError, ValueError):
        return None
    return end - pos


def decode_file_object(stream, *, min_duration_s=1.0, identical_tol=1e-3, mix=None, highpass_hz=None):
    """Read audio for analysis from a binary file-like object (``io.BytesIO``, an open file).

    The same checks and conversions as :func:`decode`, so a call gives the same
    samples from its path or from its bytes.

    Parameters
    ----------
    stream : file-like
        Opened in binary mode, positioned at the start of the audio.
    min_duration_s : float
        Shorter audio is refused (``too_short``).
    identical_tol : float
        Tolerance for "both channels carry the same signal", relative to the peak.
    mix : callscan.params.MixParams, optional
        Two channels that carry one mix (``callscan.audio.dual_mono``); defaults to ``MixParams()``.
    highpass_hz : float, optional
        The frame high-pass (``frame.highpass_hz``; defaults to ``FrameParams()``'s): the
        dual-mono check takes its segments where each channel is loudest above it.

    Returns
    -------
    Audio
        ``path`` is the stream's ``name`` when it has a text one (an open file), else None.

    Raises
    ------
    DecodeError
        With ``kind`` and a reason.
    """
    name = getattr(stream, "name", None)
    name = name if isinstance(name, str) else None
    if _stream_size(stream) == 0:
        raise DecodeError("empty stream (0 bytes)", name, "empty")
    try:
        with sf.SoundFile(stream) as f:
            check_layout(f.channels, f.frames, f.samplerate, name, min_duration_s)
            dtype = "int16" if f.subtype in INT16_SUBTYPES else "float32"
            data = f.read(dtype=dtype, always_2d=True)
            rate, codec, expected = f.samplerate, f"{f.format}/{f.subtype}", f.frames
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise DecodeError(f"not a readable audio stream: {reason}", name, "unreadable") from None
    if data.shape[0] == 0:
        raise DecodeError("no audio samples could be decoded", name, "empty")
    if data.shape[0] < expected:
        raise DecodeError(
            f"truncated: the header announces {expected} frames, only {data.shape[0]} decode", name, "unreadable"
        )
    return _finish(_channels_first(data, dtype, name), rate, codec, name, [], identical_tol, mix, highpass_hz)


def from_array(samples, sample_rate, *, name=None, min_duration_s=1.0, identical_tol=1e-3, mix=None, highpass_hz=None):
    """Wrap an in-memory signal for analysis.

    Parameters
    ----------
    samples : array_like, shape (channels, n_samples) or (n_samples,)
        Float samples, full scale ±1 (integers are scaled by their type's range).
    sample_rate : int
        Hz.
    name : str, optional
        Used in messages instead of a path.
    """
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise DecodeError(f"expected (channels, samples), got shape {x.shape}", name, "bad_channels")
    if np.issubdtype(x.dtype, np.integer):
        scale = float(np.iinfo(x.dtype).max) + 1.0
        x = x.astype(np.float32) / np.float32(scale)
    elif not np.issubdtype(x.dtype, np.floating):
        raise DecodeError(f"samples of type {x.dtype} are not audio", name, "bad_samples")
    if sample_rate is None or int(sample_rate) <= 0:
        raise DecodeError("an array needs its sample_rate", name, "unreadable")
    if x.shape[0] > 2 and x.shape[1] <= 2:
        raise DecodeError(
            f"shape {x.shape} looks like (samples, channels); pass (channels, samples)",
            name,
            "bad_channels",
        )
    check_layout(x.shape[0], x.shape[1], int(sample_rate), name, min_duration_s)
    x = np.ascontiguousarray(x, dtype=np.float32)
    check_samples(x, name)
    return _finish(x, int(sample_rate), "array", name, [], identical_tol, mix, highpass_hz)


def _remove_dc(samples, warnings):
    """Subtract a channel's DC offset when it exceeds ``DC_MIN`` (full scale).

    A constant offset raises every frame's level, so quiet speech and the noise
    floor look alike. The offset is the mean of the channel's non-zero samples
    and is taken from those only: exact zeros are digital silence (mute,
    redaction), which the offset of the recording chain does not reach.
    Offsets up to ``DC_MIN`` change no measure, so such files are left as they are.
    """
    out = samples
    for ch in range(samples.shape[0]):
        live = samples[ch] != 0
        if not live.any():
            continue
        offset = dc_to_remove(float(np.mean(samples[ch][live], dtype=np.float64)))
        if not offset:
            continue
        if out is samples:
            out = samples.copy()
        out[ch][live] -= np.float32(offset)
        warnings.append(dc_warning(ch, offset))
    return out


def _finish(samples, rate, codec, path, warnings, identical_tol, mix, highpass_hz=None):
    for ch in range(samples.shape[0]):
        if not samples[ch].any():
            warnings.append(no_signal_warning(ch))
    samples = _remove_dc(samples, warnings)
    samples, analysis_rate = _to_analysis_rate(samples, rate, warnings)
    layout, samples, segments = _mono_check(samples, analysis_rate, identical_tol, mix, warnings, highpass_hz)
    mode = "stereo" if layout is None else "mono"
    return Audio(samples, analysis_rate, rate, codec, path, mode, warnings, layout, segments)
