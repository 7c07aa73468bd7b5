"""A call's samples a block at a time, so a long call is never whole in memory.

The frame features (``callscan.frames.passes``) are computed in passes over the call. Each pass
walks the frame grid in blocks of ``block`` frames; a block comes with ``context`` frames
of real samples on each side (fewer at the ends of the call), so every per-frame kernel
whose window reaches at most ``context`` hops from its frame gives the block's own frames
exactly the values it gives them on the whole signal.

Two sources give the same blocks:

``MemorySource``
    Samples already decoded (``callscan.audio.decoding.Audio``): arrays, bytes, streams, and files at
    rates that are resampled.
``FileSource``
    A file at 8 or 16 kHz whose header states its length: read from disk on every pass
    (int16 for integer codecs, converted to float32 a block at a time exactly as
    ``callscan.audio.decoding`` does for the whole file). What ``callscan.audio.decoding`` does to the whole
    signal after reading it (DC offset removal, detecting channels that carry the same
    signal) needs figures of the whole call; the first pass gathers them
    (:meth:`FileSource.settle`), and later passes read the corrected samples. Memory then
    grows with the number of frames (a few bytes each), not with the samples.
"""

import contextlib
import os

import numpy as np
import soundfile as sf

from callscan.audio import checks
from callscan.audio import decoding as audio_mod
from callscan.audio.dual_mono import louder_channel, one_mix, one_mix_warning
from callscan.errors import DecodeError
from callscan.kernels.energy import deinterleave_int16, subtract_offset
from callscan.params import MixParams

BLOCK_FRAMES = 2048
"""Frames per block (20 s at the 10 ms hop): the samples of a block stay in the CPU cache."""


def block_frames(hop):
    """Frames per block: ``BLOCK_FRAMES``, or all of them for an odd hop (whose half-hop
    levels do not fall on the frame grid)."""
    return BLOCK_FRAMES if hop % 2 == 0 else 1 << 62


def block_ranges(n_frames, block, context):
    """``(f0, f1, b0, b1)`` of each block: own frames ``[f0, f1)``, frames read ``[b0, b1)``."""
    for f0 in range(0, n_frames, block):
        f1 = min(f0 + block, n_frames)
        yield f0, f1, max(f0 - context, 0), min(f1 + context, n_frames)


class MemorySource:
    """Blocks of decoded audio (views, no copies).

    Parameters
    ----------
    audio : callscan.audio.decoding.Audio
    """

    settled = True

    def __init__(self, audio):
        self.audio = audio
        self.samples = audio.samples
        self.sample_rate = audio.sample_rate
        self.source_rate = audio.source_rate
        self.codec = audio.codec
        self.path = audio.path
        self.mode = audio.mode
        self.layout = audio.layout
        self.mix_segments = audio.mix_segments
        self.warnings = audio.warnings
        self.n_samples = audio.samples.shape[1]

    @property
    def channels(self):
        """Channels analysed (1 or 2)."""
        return self.samples.shape[0]

    @property
    def duration_s(self):
        """Length, s."""
        return self.n_samples / self.sample_rate

    def blocks(self, hop, block, context):
        """Yield ``(f0, f1, b0, x)``: own frames, first frame read, samples from frame ``b0``.

        ``x`` has shape (channels, m), float32: the samples from ``b0 * hop`` up to the
        end of frame ``b1`` or of the call.
        """
        nf = -(-self.n_samples // hop)
        for f0, f1, b0, b1 in block_ranges(nf, block, context):
            yield f0, f1, b0, self.samples[:, b0 * hop : min(b1 * hop, self.n_samples)]

    @contextlib.contextmanager
    def spans(self):
        """A reader of stretches of the call: ``read(start, stop)`` gives the samples
        ``start .. stop - 1``, shape (channels, stop - start), float32 (a view)."""
        yield lambda start, stop: self.samples[:, start:stop]


class FileSource:
    """Blocks of an audio file, decoded anew on every pass.

    Made by :func:`open_source` after the header checks of ``callscan.audio.decoding``.
    """

    def __init__(self, path, name, info):
        self.path = path
        self._name = name  # what libsndfile opens (bytes)
        self.sample_rate = self.source_rate = info.samplerate
        self.codec = f"{info.format}/{info.subtype}"
        self.n_samples = info.frames
        self._dtype = "int16" if info.subtype in checks.INT16_SUBTYPES else "float32"
        self._keep = list(range(info.channels))
        self._offsets = None  # per-channel DC offset to remove, or None
        self.mode = "stereo" if info.channels == 2 else "mono"
        self.layout = None  # "mono", "dual_mono" or None (``callscan.audio.decoding.Audio.layout``)
        self.mix_segments = None  # as ``Audio.mix_segments``, after :meth:`settle`
        self.warnings = []
        self.settled = False
        self.bad = 0  # float samples that are NaN, infinite or beyond FLOAT_LIMIT
        self.bad_kind = None

    @property
    def channels(self):
        """Channels analysed (1 or 2)."""
        return len(self._keep)

    @property
    def kept(self):
        """The file's channels analysed, in order (after :meth:`settle`: one of two that carry one mix)."""
        return list(self._keep)

    @property
    def _keep_index(self):
        return np.asarray(self._keep, dtype=np.int64)

    @property
    def duration_s(self):
        """Length, s."""
        return self.n_samples / self.sample_rate

    def _read(self, f, out, raw, check=True):
        """Read the next ``out.shape[1]`` samples into ``out`` (channels, m), float32, checked
        (``check``: counted in :attr:`bad` until settled) and corrected; ``raw`` is scratch of at
        least m frames (file layout, file dtype)."""
        count = out.shape[1]
        try:
            data = f.read(count, out=raw[:count])
        except (sf.LibsndfileError, RuntimeError) as exc:
            reason = getattr(exc, "error_string", None) or str(exc)
            raise DecodeError(f"decoding failed: {reason}", self.path, "unreadable") from None
        if data.shape[0] < count:
            raise DecodeError(
                f"truncated: the header announces {self.n_samples} frames, only {f.tell()} decode",
                self.path,
                "unreadable",
            )
        if self._dtype == "int16":
            deinterleave_int16(data, self._keep_index, out)
        else:
            data = data[:, self._keep] if len(self._keep) != data.shape[1] else data
            out[...] = data.T
            if check and not self.settled:
                self._check(out)
        if self._offsets is not None:
            for ch, offset in enumerate(self._offsets):
                if offset:
                    subtract_offset(out[ch], offset)

    def _check(self, x):
        finite = np.isfinite(x)
        if not finite.all():
            self.bad += int(np.count_nonzero(~finite))
            self.bad_kind = "nan"
        elif self.bad_kind != "nan" and x.size and float(np.max(np.abs(x))) > checks.FLOAT_LIMIT:
            self.bad += int(np.count_nonzero(np.abs(x) > checks.FLOAT_LIMIT))
            self.bad_kind = "limit"

    def _open(self):
        try:
            return sf.SoundFile(self._name)
        except (sf.LibsndfileError, RuntimeError) as exc:
            reason = getattr(exc, "error_string", None) or str(exc)
            raise DecodeError(f"not a readable audio file: {reason}", self.path, "unreadable") from None

    @contextlib.contextmanager
    def spans(self):
        """A reader of stretches of the call, as :meth:`MemorySource.spans`: each read seeks and
        decodes the stretch alone, corrected as the blocks are (not counted in :attr:`bad`)."""

        def read(start, stop):
            out = np.empty((self.channels, stop - start), dtype=np.float32)
            raw = np.empty((stop - start, f.channels), dtype=self._dtype)
            try:
                f.seek(start)
            except (sf.LibsndfileError, RuntimeError) as exc:
                reason = getattr(exc, "error_string", None) or str(exc)
                raise DecodeError(f"seeking failed: {reason}", self.path, "unreadable") from None
            self._read(f, out, raw, check=False)
            return out

        with self._open() as f:
            yield read

    def blocks(self, hop, block, context):
        """Yield ``(f0, f1, b0, x)`` as :meth:`MemorySource.blocks` does, reading the file once."""
        n = self.n_samples
        nf = -(-n // hop)
        with self._open() as f:
            # One buffer for every block: the context shared with the last block moves to its
            # front, the new samples are read after it. The block yielded is a view of it,
            # valid until the next one.
            size = min(n, (block + 2 * context) * hop)
            buf = np.empty((self.channels, size), dtype=np.float32)
            raw = np.empty((size, f.channels), dtype=self._dtype)
            start = length = 0  # buf[:, :length] holds samples start .. start + length - 1
            for f0, f1, b0, b1 in block_ranges(nf, block, context):
                s0, s1 = b0 * hop, min(b1 * hop, n)
                kept = max(0, start + length - s0)
                if kept and s0 > start:
                    buf[:, :kept] = buf[:, s0 - start : length]
                self._read(f, buf[:, kept : s1 - s0], raw)
                start, length = s0, s1 - s0
                yield f0, f1, b0, buf[:, :length]

    def settle(self, stats, identical_tol, mix=None):
        """Apply the whole-call decisions of ``callscan.audio.decoding`` after the first pass.

        Parameters
        ----------
        stats : dict
            From the first pass: ``nonzero`` (per channel, bool), ``live_sum`` and
            ``live_count`` (per channel: sum and number of non-zero samples), ``peak``
            (largest magnitude over both channels), ``max_diff`` (largest ``|a - b|``),
            ``mix`` (for two channels: ``callscan.audio.dual_mono.mix_segments``).
        identical_tol : float
            Tolerance for "both channels carry the same signal", relative to the peak.
        mix : callscan.params.MixParams, optional
            Two channels that carry one mix (``callscan.audio.dual_mono``).

        Returns
        -------
        bool
            True when the samples changed (a DC offset was removed): the first pass must
            be run again on the corrected samples, and ``settle`` called again.
        """
        if self.bad:
            raise checks.bad_samples_error(self.bad, self.bad_kind == "limit", self.path)
        if self._offsets is None:
            for ch, nonzero in enumerate(stats["nonzero"]):
                if not nonzero:
                    self.warnings.append(checks.no_signal_warning(ch))
            offsets = []
            for ch in range(len(self._keep)):
                count = stats["live_count"][ch]
                offset = checks.dc_to_remove(stats["live_sum"][ch] / count if count else 0.0)
                if offset:
                    self.warnings.append(checks.dc_warning(ch, offset))
                offsets.append(offset)
            if any(offsets):
                self._offsets = offsets
                return True
            self._offsets = [0.0] * len(self._keep)
        self.settled = True
        if len(self._keep) == 1:
            self.mode = self.layout = "mono"
            self.warnings.append(checks.MONO_WARNING)
            return False
        keep = None
        if checks.same_signal(stats["peak"], stats["max_diff"], identical_tol):
            keep = 0
            self.warnings.append(checks.SAME_SIGNAL_WARNING)
        elif stats.get("mix") is not None:
            found = one_mix(stats["mix"], self.sample_rate, mix or MixParams())
            if found is not None:
                keep = louder_channel(found)
                self.warnings.append(one_mix_warning(found, self.sample_rate))
        if keep is not None:
            self.mode, self.layout = "mono", "dual_mono"
            self._keep = self._keep[keep : keep + 1]
            self._offsets = self._offsets[keep : keep + 1]
        else:
            self.mix_segments = stats.get("mix")
        return False


def open_source(path, *, min_duration_s=1.0, identical_tol=1e-3, mix=None, highpass_hz=None):
    """A :class:`FileSource` for a file that can be read in blocks, else a :class:`MemorySource`.

    Block reading needs a rate that is analysed as it is (8 or 16 kHz) and a header that
    states the length; anything else (other rates, MPEG inside WAVE, streamed files) is
    decoded whole by ``callscan.audio.decoding.decode``. The header checks are the same either way.

    Raises
    ------
    DecodeError
        With ``kind`` and a reason naming the file.
    """
    path = os.fspath(path)
    info, name = checks.open_info(path)
    blockwise = (
        isinstance(name, bytes)
        and info.samplerate in checks.NATIVE_RATES
        and 0 < info.frames < checks.UNKNOWN_FRAMES
    )
    if not blockwise:
        return MemorySource(audio_mod.decode(path, min_duration_s=min_duration_s, identical_tol=identical_tol,
                                             mix=mix, highpass_hz=highpass_hz))
    checks.check_layout(info.channels, info.frames, info.samplerate, path, min_duration_s)
    return FileSource(path, name, info)
