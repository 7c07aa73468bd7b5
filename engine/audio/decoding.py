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
import stat
import struct
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf

from callscan.errors import DecodeError

NATIVE_RATES = (8000, 16000)
_UNKNOWN_FRAMES = 1 << 62  # libsndfile reports 2**63 - 1 frames for a length it does not know
_BLOCK_READ_FRAMES = 1 << 25  # 70 min at 8 kHz: longer files are read in blocks
FLOAT_LIMIT = 1000.0  # full scale (+60 dB): float samples beyond are damaged data
DC_MIN = 1e-3  # full scale (-60 dBFS): smaller offsets change no measure

MONO_WARNING = (
    "mono recording: both parties share one channel, so party-separated measures "
    "(talk share, overlap, interruptions, backchannels, per-party rates) are null"
)
SAME_SIGNAL_WARNING = (
    "the two channels carry the same signal (mono saved as stereo): analysed as mono; "
    "party-separated measures are null"
)

# Subtypes whose samples are at most 16 bits deep: read as int16.
_INT16_SUBTYPES = {
    "PCM_16", "PCM_S8", "PCM_U8", "ULAW", "ALAW", "GSM610", "IMA_ADPCM", "MS_ADPCM",
    "VOX_ADPCM", "G721_32", "G723_24", "G723_40", "NMS_ADPCM_16", "NMS_ADPCM_24",
    "NMS_ADPCM_32", "DWVW_12", "DWVW_16",
}

# WAVE format tags libsndfile decodes (RIFF 'fmt ' chunk).
_WAVE_TAGS = {
    0x0001: "PCM", 0x0002: "MS ADPCM", 0x0003: "IEEE float", 0x0006: "A-law",
    0x0007: "µ-law", 0x0011: "IMA ADPCM", 0x0031: "GSM 6.10", 0x0040: "G.721 ADPCM",
    0x0050: "MPEG", 0x0055: "MPEG layer III", 0xFFFE: "extensible",
}
_MPEG_TAGS = (0x0050, 0x0055)
_WAVE_TAG_NAMES = {0x0022: "DSP Group TrueSpeech", 0x0064: "G.726 ADPCM", 0x0065: "G.722 ADPCM",
                   0x0042: "G.723.1", 0x0014: "G.723 ADPCM", 0x0161: "Windows Media Audio",
                   0x0130: "ACELP.net", 0x1600: "AAC", 0x00FF: "AAC", 0x0160: "Windows Media Audio"}


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
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    codec: str
    path: str | None = None
    mode: str = "stereo"
    warnings: list = field(default_factory=list)

    @property
    def channels(self):
        """Number of channels as decoded (1 or 2)."""
        return self.samples.shape[0]

    @property
    def duration_s(self):
        """Length in seconds."""
        return self.samples.shape[1] / self.sample_rate


def _wave_header(path, file_size):
    """Check a RIFF/WAVE header ourselves: unknown codec tags and truncated data.

    Returns None for files that are not RIFF/WAVE, else ``(tag, offset, size)``:
    the format tag and where the data chunk's bytes start and how many it
    declares. Raises DecodeError for an encoding libsndfile cannot decode or a
    data chunk that the file cuts short.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return None
        little = head[:4] == b"RIFF"
        u32 = "<I" if little else ">I"
        pos = 12
        fmt_seen = False
        tag = None
        while pos + 8 <= file_size:
            f.seek(pos)
            chunk = f.read(8)
            cid, size = chunk[:4], struct.unpack(u32, chunk[4:])[0]
            if cid == b"fmt ":
                body = f.read(min(size, 40))
                if len(body) < 2:
                    raise DecodeError("truncated header: the 'fmt ' chunk is cut short", path, "unreadable")
                tag = struct.unpack("<H" if little else ">H", body[:2])[0]
                if len(body) >= 4 and struct.unpack("<H" if little else ">H", body[2:4])[0] == 0:
                    raise DecodeError(
                        "0 channels: the 'fmt ' chunk declares no channel; callscan takes mono "
                        "or two-party stereo",
                        path,
                        "bad_channels",
                    )
                if tag not in _WAVE_TAGS:
                    name = _WAVE_TAG_NAMES.get(tag, "unknown")
                    raise DecodeError(
                        f"unsupported codec: WAVE format tag 0x{tag:04X} ({name}); "
                        "convert it to PCM, µ-law or A-law WAV (e.g. with sox or ffmpeg) first",
                        path,
                        "unsupported_codec",
                    )
                fmt_seen = True
            elif cid == b"data":
                available = file_size - (pos + 8)
                streamed = size in (0, 0xFFFFFFFF, 0x7FFFFFFF)
                if fmt_seen and not streamed and size > available + 1:
                    raise DecodeError(
                        f"truncated: the data chunk declares {size} bytes but the file holds "
                        f"{available}",
                        path,
                        "unreadable",
                    )
                return tag, pos + 8, size
            pos += 8 + size + (size & 1)
        missing = "data" if fmt_seen else "'fmt '"
        raise DecodeError(f"truncated header: no {missing} chunk in the RIFF/WAVE file", path, "unreadable")


def _open_info(path):
    """Header information of a file, or a DecodeError naming why not."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DecodeError("is a directory, not an audio file", path, "unreadable")
    if not os.path.exists(path):
        kind = "unreadable"
        reason = "broken symbolic link" if os.path.islink(path) else "no such file"
        raise DecodeError(reason, path, kind)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}", path, "unreadable") from None
    if not stat.S_ISREG(st.st_mode):
        # Opening a named pipe waits for a writer forever; a device may never end.
        what = "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise DecodeError(f"not a regular file: {what}", path, "unreadable")
    size = st.st_size
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}", path, "unreadable") from None
    if size == 0:
        raise DecodeError("empty file (0 bytes)", path, "empty")
    wave = _wave_header(path, size)
    try:
        return sf.info(os.fsencode(path)), os.fsencode(path)
    except (sf.LibsndfileError, RuntimeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        if wave is not None and wave[0] in _MPEG_TAGS:
            return _embedded_mpeg(path, wave, reason)
        raise DecodeError(f"not a readable audio file: {reason}", path, "unreadable") from None


def _embedded_mpeg(path, wave, reason):
    """MPEG audio in a WAVE file whose 'fmt ' chunk libsndfile refuses.

    Recorders write MP3 frames into RIFF/WAVE with format tag 0x0055 and
    'fmt ' chunks of varying shape; libsndfile reads only the full
    MPEGLAYER3WAVEFORMAT one. The frames themselves are a plain MP3 stream,
    so they are decoded from the data chunk.
    """
    import io

    _, offset, size = wave
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(size if size not in (0, 0xFFFFFFFF) else -1)
    source = io.BytesIO(data)
    try:
        info = sf.info(source)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        raise DecodeError(
            f"not a readable audio file: {reason}; its data chunk is not a readable MPEG stream either",
            path,
            "unreadable",
        ) from None
    source.seek(0)
    return info, source


def _check_layout(n_channels, n_frames, rate, path, min_duration_s):
    if n_channels < 1 or n_channels > 2:
        raise DecodeError(
            f"{n_channels} channels: callscan takes mono or two-party stereo "
            "(one party per channel)",
            path,
            "bad_channels",
        )
    if rate <= 0:
        raise DecodeError(f"invalid sample rate {rate}", path, "unreadable")
    if n_frames == 0:
        raise DecodeError("no audio samples (data length 0)", path, "empty")
    if n_frames / rate < min_duration_s:
        raise DecodeError(
            f"too short: {n_frames / rate:.3f} s, under the {min_duration_s:g} s minimum",
            path,
            "too_short",
        )


def bad_samples_error(count, beyond_limit, path):
    """The refusal of ``count`` float samples: NaN or infinite, or (``beyond_limit``) so far
    beyond full scale (``FLOAT_LIMIT``) that they are damaged data rather than a loud recording."""
    if beyond_limit:
        return DecodeError(
            f"{count} samples lie beyond ±{FLOAT_LIMIT:g} full scale (damaged float data)", path, "bad_samples"
        )
    return DecodeError(f"{count} samples are NaN or infinite", path, "bad_samples")


def _check_samples(samples, path):
    """Refuse float samples that are not finite or beyond ``FLOAT_LIMIT``."""
    if not np.all(np.isfinite(samples)):
        raise bad_samples_error(int(np.count_nonzero(~np.isfinite(samples))), False, path)
    if samples.size and float(np.max(np.abs(samples))) > FLOAT_LIMIT:
        raise bad_samples_error(int(np.count_nonzero(np.abs(samples) > FLOAT_LIMIT)), True, path)


def no_signal_warning(ch):
    """What ``warnings`` says of a channel whose every sample is 0."""
    return f"channel {ch} carries no signal: every sample is 0"


def dc_to_remove(offset):
    """The DC offset to subtract from a channel whose non-zero samples average ``offset``
    (full scale): 0 when it is at most ``DC_MIN``, which changes no measure."""
    return 0.0 if abs(offset) <= DC_MIN else offset


def dc_warning(ch, offset):
    """What ``warnings`` says of a channel whose DC offset was removed."""
    return f"channel {ch} had a DC offset of {offset:+.4f} full scale; it was removed"


def same_signal(peak, max_diff, tol):
    """Two channels carry the same signal: their largest difference is at most ``tol`` times
    the larger peak (a mono recording saved as stereo)."""
    return peak > 0 and max_diff <= tol * peak


def _to_analysis_rate(samples, rate, warnings):
    """Resample (channels, n) float32 to 8 or 16 kHz once, if needed."""
    if rate in NATIVE_RATES:
        return samples, rate
    import soxr

    target = 8000 if rate < 16000 else 16000
    out = soxr.resample(np.ascontiguousarray(samples.T), rate, target, quality="HQ")
    warnings.append(f"resampled from {rate} Hz to {target} Hz")
    return np.ascontiguousarray(out.T, dtype=np.float32), target


def _mono_check(samples, tol, warnings):
    """Return the mode and the samples (one channel when the file is mono in effect)."""
    if samples.shape[0] == 1:
        warnings.append(MONO_WARNING)
        return "mono", samples
    a, b = samples[0], samples[1]
    peak = float(max(np.max(np.abs(a)), np.max(np.abs(b)))) if a.size else 0.0
    if peak > 0 and same_signal(peak, float(np.max(np.abs(a - b))), tol):
        warnings.append(SAME_SIGNAL_WARNING)
        return "mono", samples[:1]
    return "stereo", samples


def decode(path, *, min_duration_s=1.0, identical_tol=1e-3):
    """Read an audio file for analysis.

    Parameters
    ----------
    path : str or os.PathLike
        Any file libsndfile reads (WAV PCM/µ-law/A-law/GSM/ADPCM, FLAC, OGG, MP3).
    min_duration_s : float
        Shorter files are refused (``too_short``).
    identical_tol : float
        Tolerance for "both channels carry the same signal", relative to the peak.

    Returns
    -------
    Audio

    Raises
    ------
    DecodeError
        With ``kind`` and a reason naming the file.
    """
    path = os.fspath(path)
    info, source = _open_info(path)
    _check_layout(info.channels, info.frames, info.samplerate, path, min_duration_s)
    dtype = "int16" if info.subtype in _INT16_SUBTYPES else "float32"
    try:
        data, rate = _read_samples(source, dtype, info.frames)
    except (sf.LibsndfileError, RuntimeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        if info.frames >= _UNKNOWN_FRAMES:
            reason = (f"the header does not state the length (a streamed or damaged {info.format} file) "
                      f"and reading it failed ({reason}); re-encoding it (e.g. with sox or ffmpeg) "
                      "writes the length")
        raise DecodeError(f"decoding failed: {reason}", path, "unreadable") from None
    if data.shape[0] == 0:
        raise DecodeError("no audio samples could be decoded", path, "empty")
    warnings = []
    if info.frames >= _UNKNOWN_FRAMES:  # a stream that does not state its length
        _check_layout(data.shape[1], data.shape[0], rate, path, min_duration_s)
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
    return _finish(samples, rate, codec, path, warnings, identical_tol)


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
        _check_samples(samples, path)
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


def decode_file_object(stream, *, min_duration_s=1.0, identical_tol=1e-3):
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
            _check_layout(f.channels, f.frames, f.samplerate, name, min_duration_s)
            dtype = "int16" if f.subtype in _INT16_SUBTYPES else "float32"
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
    return _finish(_channels_first(data, dtype, name), rate, codec, name, [], identical_tol)


def from_array(samples, sample_rate, *, name=None, min_duration_s=1.0, identical_tol=1e-3):
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
    _check_layout(x.shape[0], x.shape[1], int(sample_rate), name, min_duration_s)
    x = np.ascontiguousarray(x, dtype=np.float32)
    _check_samples(x, name)
    return _finish(x, int(sample_rate), "array", name, [], identical_tol)


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


def _finish(samples, rate, codec, path, warnings, identical_tol):
    for ch in range(samples.shape[0]):
        if not samples[ch].any():
            warnings.append(no_signal_warning(ch))
    samples = _remove_dc(samples, warnings)
    samples, analysis_rate = _to_analysis_rate(samples, rate, warnings)
    mode, samples = _mono_check(samples, identical_tol, warnings)
    return Audio(samples, analysis_rate, rate, codec, path, mode, warnings)
