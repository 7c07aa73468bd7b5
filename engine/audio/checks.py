"""The checks every way of reading a call shares: header, layout, samples, channels.

Whole-file decoding (``callscan.audio.decoding``) and block reading
(``callscan.audio.blocks``) refuse the same files with the same messages and take the
same whole-call decisions (DC offset, silent channel, same signal on both channels),
because both take them from here.
"""

import os
import stat
import struct

import numpy as np
import soundfile as sf

from callscan.errors import DecodeError

NATIVE_RATES = (8000, 16000)
UNKNOWN_FRAMES = 1 << 62  # libsndfile reports 2**63 - 1 frames for a length it does not know
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
INT16_SUBTYPES = {
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


def wave_header(path, file_size):
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


def open_info(path):
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
    wave = wave_header(path, size)
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


def check_layout(n_channels, n_frames, rate, path, min_duration_s):
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


def check_samples(samples, path):
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
