"""Reference F0 readers, F0 error scores and channel degradations for pitch benchmarks.

Reference formats
-----------------
Keele ``.pev`` (Plante, Meyer & Ainsworth 1995)
    A text header ending with the line ``LBD :``, one integer per 10 ms frame, then a
    trailer line ``ELF:``. Each integer is the
    laryngograph pitch period in samples at 20 kHz (F0 = 20000 / value), ``0`` = unvoiced,
    ``-1`` = uncertain (left out of scoring).
PTDB-TUG ``.f0`` (Pirker et al. 2011)
    Four numbers per 10 ms frame; column 1 is F0 in Hz, ``0`` = unvoiced.

Both readers return F0 in Hz per reference frame as float64 with ``0.0`` = unvoiced and
``NaN`` = not scored.

Scores (Chu & Alwan 2009 naming; frames pooled over files)
----------------------------------------------------------
GPE, gross pitch error
    Share of frames voiced in both reference and estimate whose estimate is more than
    20 % away from the reference: ``|f_est / f_ref - 1| > 0.2``.
VDE, voicing decision error
    Share of scored frames whose voiced/unvoiced decision differs from the reference.
FFE, F0 frame error
    Share of scored frames that are either a voicing error or a gross pitch error.

Estimates and references are both on 10 ms grids whose origins differ by a few
milliseconds (window conventions); :func:`score_f0` tries integer frame shifts within
``±max_shift`` and keeps the one with the lowest FFE for that file.

Degradations
------------
:func:`telephone` (300–3400 Hz band-pass, then 8-bit µ-law companding) and
:func:`add_white_noise` (white Gaussian noise at a given SNR, seeded). Both are
deterministic.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

KEELE_RATE = 20000.0
"""Sample rate (Hz) in which Keele ``.pev`` periods are counted."""

GROSS_ERROR = 0.20
"""Relative F0 deviation above which a voiced frame counts as a gross error."""


def corpus_root() -> Path:
    """Folder ``shared/corpus`` next to the repository (may not exist)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def read_keele_pev(path) -> np.ndarray:
    """Read a Keele ``.pev`` reference.

    Parameters
    ----------
    path : str or Path
        The ``.pev`` file.

    Returns
    -------
    f0 : ndarray of float64, shape (n_ref_frames,)
        F0 in Hz per 10 ms frame; ``0.0`` = unvoiced, ``NaN`` = uncertain (``-1`` in the file).
    """
    lines = Path(path).read_text(errors="replace").splitlines()
    start = 0
    for k, line in enumerate(lines):
        if line.strip().startswith("LBD"):
            start = k + 1
            break
    else:
        raise ValueError(f"{path}: no 'LBD :' line ending the header; not a Keele .pev file")
    values = []
    for line in lines[start:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("ELF"):  # trailer line closing the label body
            break
        values.append(float(s))
    period = np.asarray(values, dtype=np.float64)
    f0 = np.zeros_like(period)
    voiced = period > 0
    f0[voiced] = KEELE_RATE / period[voiced]
    f0[period < 0] = np.nan
    return f0


def read_ptdb_f0(path) -> np.ndarray:
    """Read a PTDB-TUG ``.f0`` reference.

    Parameters
    ----------
    path : str or Path
        The ``.f0`` file (whitespace-separated columns, one 10 ms frame per line).

    Returns
    -------
    f0 : ndarray of float64, shape (n_ref_frames,)
        Column 1, F0 in Hz; ``0.0`` = unvoiced.
    """
    table = np.loadtxt(path, ndmin=2)
    f0 = table[:, 0].astype(np.float64)
    f0[~np.isfinite(f0) | (f0 < 0)] = np.nan
    return f0


@dataclass
class PitchScore:
    """Frame counts behind GPE, VDE and FFE; add scores to pool files.

    Attributes
    ----------
    n_frames : int
        Scored frames (both tracks present, reference not uncertain).
    n_voiced_both : int
        Frames voiced in reference and estimate.
    n_gross : int
        Of those, frames more than 20 % off.
    n_voicing_errors : int
        Frames whose voicing decision differs.
    shift : int
        Chosen frame shift (estimate frame ``i`` compared with reference frame ``i - shift``);
        meaningless for pooled scores.
    """

    n_frames: int = 0
    n_voiced_both: int = 0
    n_gross: int = 0
    n_voicing_errors: int = 0
    shift: int = 0

    def __add__(self, other: PitchScore) -> PitchScore:
        return PitchScore(
            self.n_frames + other.n_frames,
            self.n_voiced_both + other.n_voiced_both,
            self.n_gross + other.n_gross,
            self.n_voicing_errors + other.n_voicing_errors,
            0,
        )

    @property
    def gpe(self) -> float:
        """Gross pitch error, share of frames voiced in both (0–1)."""
        return self.n_gross / self.n_voiced_both if self.n_voiced_both else math.nan

    @property
    def vde(self) -> float:
        """Voicing decision error, share of scored frames (0–1)."""
        return self.n_voicing_errors / self.n_frames if self.n_frames else math.nan

    @property
    def ffe(self) -> float:
        """F0 frame error, share of scored frames (0–1)."""
        if not self.n_frames:
            return math.nan
        return (self.n_gross + self.n_voicing_errors) / self.n_frames


def _score_shift(est: np.ndarray, ref: np.ndarray, shift: int) -> PitchScore:
    # estimate frame i <-> reference frame i - shift
    lo = max(0, shift)
    hi = min(len(est), len(ref) + shift)
    if hi <= lo:
        return PitchScore(shift=shift)
    e = est[lo:hi]
    r = ref[lo - shift : hi - shift]
    keep = ~np.isnan(r)
    e = e[keep]
    r = r[keep]
    ev = np.isfinite(e) & (e > 0)
    rv = r > 0
    both = ev & rv
    gross = np.abs(e[both] / r[both] - 1.0) > GROSS_ERROR
    return PitchScore(
        n_frames=len(r),
        n_voiced_both=int(both.sum()),
        n_gross=int(gross.sum()),
        n_voicing_errors=int((ev != rv).sum()),
        shift=shift,
    )


def score_f0(est_f0, ref_f0, max_shift: int = 3) -> PitchScore:
    """Score an estimated F0 track against a reference, searching the frame alignment.

    Parameters
    ----------
    est_f0 : array_like of float, shape (n_frames,)
        Estimated F0 in Hz on a 10 ms grid; ``NaN`` or ``<= 0`` = unvoiced.
    ref_f0 : array_like of float, shape (n_ref_frames,)
        Reference F0 in Hz on a 10 ms grid; ``0`` = unvoiced, ``NaN`` = not scored.
    max_shift : int
        Largest frame shift tried in either direction.

    Returns
    -------
    PitchScore
        Counts at the shift with the lowest FFE (ties: the smallest ``|shift|``).
    """
    est = np.asarray(est_f0, dtype=np.float64)
    ref = np.asarray(ref_f0, dtype=np.float64)
    best = None
    for shift in sorted(range(-max_shift, max_shift + 1), key=abs):
        s = _score_shift(est, ref, shift)
        if s.n_frames == 0:
            continue
        if best is None or s.ffe < best.ffe:
            best = s
    return best if best is not None else PitchScore()


def to_grid(times_s, f0_hz, n_frames: int, hop_s: float = 0.01) -> np.ndarray:
    """Put another tracker's output on the callscan frame grid by nearest time.

    Parameters
    ----------
    times_s : array_like of float, shape (m,)
        Frame times of the other tracker in seconds (increasing).
    f0_hz : array_like of float, shape (m,)
        Its F0 in Hz, ``0`` or ``NaN`` = unvoiced.
    n_frames : int
        Frames of the callscan grid (centres at ``(i + 0.5) * hop_s``).
    hop_s : float
        Grid hop in seconds.

    Returns
    -------
    ndarray of float64, shape (n_frames,)
        F0 in Hz with ``NaN`` = unvoiced or no frame within half a hop.
    """
    t = np.asarray(times_s, dtype=np.float64)
    f = np.asarray(f0_hz, dtype=np.float64).copy()
    f[~np.isfinite(f) | (f <= 0)] = np.nan
    out = np.full(n_frames, np.nan)
    if len(t) == 0:
        return out
    centres = (np.arange(n_frames) + 0.5) * hop_s
    k = np.clip(np.searchsorted(t, centres), 1, max(1, len(t) - 1))
    k0 = np.clip(k - 1, 0, len(t) - 1)
    k1 = np.clip(k, 0, len(t) - 1)
    nearest = np.where(np.abs(t[k0] - centres) <= np.abs(t[k1] - centres), k0, k1)
    close = np.abs(t[nearest] - centres) <= 0.5 * hop_s + 1e-9
    out[close] = f[nearest[close]]
    return out


def telephone(x, sample_rate: float, *, low_hz: float = 300.0, high_hz: float = 3400.0,
              peak_dbfs: float = -6.0, mu: float = 255.0) -> np.ndarray:
    """Telephone channel: band-pass, then 8-bit µ-law companding.

    The signal is filtered with a causal 4th-order Butterworth band-pass
    ``low_hz``–``high_hz`` (8th-order overall), scaled so its peak is at ``peak_dbfs``,
    compressed with the µ-law curve ``y = sign(x) ln(1 + µ|x|) / ln(1 + µ)`` (ITU-T G.711
    µ = 255), quantised to 256 levels and expanded again.

    Parameters
    ----------
    x : array_like of float, shape (n,)
        Signal, full scale ±1.
    sample_rate : float
        Hz; ``high_hz`` is lowered to 0.45 × rate if it does not fit.
    low_hz, high_hz : float
        Band edges in Hz.
    peak_dbfs : float
        Peak level after scaling, dB re full scale.
    mu : float
        µ-law constant.

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    x = np.asarray(x, dtype=np.float64)
    high = min(high_hz, 0.45 * sample_rate)
    sos = signal.butter(4, [low_hz, high], btype="bandpass", fs=sample_rate, output="sos")
    y = signal.sosfilt(sos, x)
    peak = np.max(np.abs(y)) if len(y) else 0.0
    if peak > 0:
        y = y * (10.0 ** (peak_dbfs / 20.0) / peak)
    y = np.clip(y, -1.0, 1.0)
    comp = np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu)
    code = np.round((comp + 1.0) * 127.5)
    comp = code / 127.5 - 1.0
    out = np.sign(comp) * np.expm1(np.abs(comp) * np.log1p(mu)) / mu
    return out.astype(np.float32)


def add_white_noise(x, snr_db: float = 10.0, seed: int = 0) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` relative to the whole signal's mean power.

    Parameters
    ----------
    x : array_like of float, shape (n,)
    snr_db : float
        10·log10(mean(x²) / noise power), dB.
    seed : int
        Seed of the NumPy generator (use :func:`seed_for` for a per-file seed).

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    x = np.asarray(x, dtype=np.float64)
    power = float(np.mean(x * x)) if len(x) else 0.0
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(x)) * math.sqrt(power / 10.0 ** (snr_db / 10.0))
    return (x + noise).astype(np.float32)


def seed_for(name: str) -> int:
    """Deterministic seed from a file name (CRC-32)."""
    return zlib.crc32(name.encode("utf-8"))
