"""Plain-NumPy helpers that turn a call's events and frames into what a picture shows.

Nothing here draws: intervals are merged to the picture's resolution, a pitch
contour is summarised per time bin, and the conversation span is cut into
quarters, so the drawing code (``callscan.view.plot``) stays small and these steps can
be tested without matplotlib.
"""

import numpy as np

from callscan.kernels import framing


def intervals(events, kind, party=None, key="party"):
    """``(start_s, end_s)`` pairs of the events of one kind (and party), sorted.

    Parameters
    ----------
    events : list of dict
        Events with ``kind``, ``party``, ``start_s``, ``end_s`` (``callscan.record.schema.EVENT_SCHEMA``).
    kind : str
    party : str or None
        Keep only events whose ``key`` field equals this; None keeps all.
    key : str
        The field compared with ``party`` (``"party"``, or ``"by"`` for interruptions).

    Returns
    -------
    ndarray, shape (n, 2), float
    """
    rows = [
        (float(e["start_s"]), float(e["end_s"]))
        for e in events
        if e.get("kind") == kind and (party is None or e.get(key) == party)
    ]
    rows.sort()
    return np.asarray(rows, dtype=float).reshape(-1, 2)


def merge_intervals(spans, min_gap_s=0.0, min_width_s=0.0):
    """Merge intervals closer than ``min_gap_s`` and widen the rest to ``min_width_s``.

    At a picture's resolution, intervals under one pixel apart are one mark, and
    an interval under one pixel wide would vanish; this keeps a long call's
    timeline readable and every event visible.

    Parameters
    ----------
    spans : array_like, shape (n, 2)
        ``(start_s, end_s)``, in any order.
    min_gap_s : float
        Gaps shorter than this are closed, s.
    min_width_s : float
        Every merged interval is at least this wide (centred on the original), s.

    Returns
    -------
    ndarray, shape (m, 2), float
        Sorted, non-overlapping intervals.
    """
    spans = np.asarray(spans, dtype=float).reshape(-1, 2)
    if spans.shape[0] == 0:
        return spans
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    out = [list(spans[0])]
    for start, end in spans[1:]:
        if start - out[-1][1] < min_gap_s:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    out = np.asarray(out, dtype=float)
    short = out[:, 1] - out[:, 0] < min_width_s
    mid = out[short].mean(axis=1)
    out[short, 0] = mid - min_width_s / 2
    out[short, 1] = mid + min_width_s / 2
    return out


def covered_s(spans, start_s, end_s):
    """Seconds of ``[start_s, end_s]`` covered by ``spans`` (shape (n, 2), s; they may overlap)."""
    spans = merge_intervals(spans)
    return float(np.clip(np.minimum(spans[:, 1], end_s) - np.maximum(spans[:, 0], start_s), 0.0, None).sum())


def gaps(spans, start_s, end_s, min_s=0.0):
    """The stretches of ``[start_s, end_s]`` that no interval covers, at least ``min_s`` long.

    Parameters
    ----------
    spans : array_like, shape (n, 2)
        ``(start_s, end_s)`` in any order; they may overlap.
    start_s, end_s : float
        The stretch looked at, s.
    min_s : float
        Shorter gaps are left out, s.

    Returns
    -------
    ndarray, shape (m, 2), float
    """
    merged = merge_intervals(spans)
    out, at = [], start_s
    for a, b in merged:
        a = min(a, end_s)
        if a - at >= min_s and a > at:
            out.append((at, a))
        at = max(at, b)
        if at >= end_s:
            break
    if end_s - at >= min_s and end_s > at:
        out.append((at, end_s))
    return np.asarray(out, dtype=float).reshape(-1, 2)


def pitch_band(f0_hz, hop_s, bin_s, low=10.0, high=90.0):
    """Median and percentile band of a pitch contour per time bin.

    Parameters
    ----------
    f0_hz : ndarray, shape (n_frames,)
        F0 per frame, Hz; NaN where unvoiced.
    hop_s : float
        Frame hop, s.
    bin_s : float
        Bin width, s (at least one hop).
    low, high : float
        Percentiles of the band.

    Returns
    -------
    t_s : ndarray, shape (n_bins,)
        Bin centres, s.
    median, lo, hi : ndarray, shape (n_bins,)
        Per-bin median and percentiles of the voiced frames, Hz; NaN in bins
        without a voiced frame.
    """
    f0_hz = np.asarray(f0_hz, dtype=float)
    per = max(1, round(bin_s / hop_s))
    n_bins = -(-f0_hz.size // per) if f0_hz.size else 0
    padded = np.full(n_bins * per, np.nan)
    padded[: f0_hz.size] = f0_hz
    grid = padded.reshape(n_bins, per)
    t_s = (np.arange(n_bins) + 0.5) * per * hop_s
    voiced = np.isfinite(grid).any(axis=1)
    median, lo, hi = (np.full(n_bins, np.nan) for _ in range(3))
    if voiced.any():
        rows = grid[voiced]
        median[voiced] = np.nanmedian(rows, axis=1)
        lo[voiced] = np.nanpercentile(rows, low, axis=1)
        hi[voiced] = np.nanpercentile(rows, high, axis=1)
    return t_s, median, lo, hi


def span_bounds(events):
    """First speech onset and last speech offset of either party, s (None without speech)."""
    speech = intervals(events, "speech")
    if speech.shape[0] == 0:
        return None
    return float(speech[:, 0].min()), float(speech[:, 1].max())


def quarters(bounds):
    """The four quarters of the span, shape (4, 2), s (``_q1`` … ``_q4`` fields)."""
    start, end = bounds
    edges = np.linspace(start, end, 5)
    return np.stack([edges[:-1], edges[1:]], axis=1)


def frame_times(n_frames, hop_s):
    """Frame centres, s."""
    return framing.frame_centre_s(np.arange(n_frames), hop_s)


def clock(seconds, long=False):
    """``m:ss``, or ``h:mm:ss`` when ``long`` or at least an hour."""
    seconds = round(max(0.0, float(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if long or h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m}:{s:02d}"
