"""Scoring against truth in the units people use: frames, milliseconds, seconds."""

import numpy as np


def truth_mask(intervals, n_frames, hop_s):
    """Frames whose centre lies inside any [start, end) interval."""
    centres = (np.arange(n_frames) + 0.5) * hop_s
    mask = np.zeros(n_frames, bool)
    for s, e in intervals:
        mask |= (centres >= s) & (centres < e)
    return mask


def f1(pred, truth):
    """Frame F1 of a predicted mask against a truth mask."""
    tp = np.count_nonzero(pred & truth)
    fp = np.count_nonzero(pred & ~truth)
    fn = np.count_nonzero(~pred & truth)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def boundary_errors(pred, truth, max_distance_s=0.5):
    """Onset and offset errors, s: each truth boundary to the nearest predicted one.

    Boundaries with no predicted counterpart within ``max_distance_s`` are left
    out (they show up in the F1 instead); returns two arrays of absolute errors.
    """
    pred, truth = np.asarray(pred, float).reshape(-1, 2), np.asarray(truth, float).reshape(-1, 2)
    out = []
    for k in (0, 1):
        errs = []
        for t in truth[:, k]:
            if len(pred):
                d = np.min(np.abs(pred[:, k] - t))
                if d <= max_distance_s:
                    errs.append(d)
        out.append(np.array(errs))
    return out


def match_stretches(pred, truth, max_shift_s=1.0):
    """Pair predicted and true stretches whose starts and ends are both close.

    Returns a list of (pred_index, truth_index) pairs, each stretch used once.
    """
    pairs, used = [], set()
    for j, (ts, te) in enumerate(truth):
        best, best_cost = None, None
        for i, (ps, pe) in enumerate(pred):
            if i in used:
                continue
            cost = abs(ps - ts) + abs(pe - te)
            if abs(ps - ts) <= max_shift_s and abs(pe - te) <= max_shift_s and (best is None or cost < best_cost):
                best, best_cost = i, cost
        if best is not None:
            used.add(best)
            pairs.append((best, j))
    return pairs


def total_s(intervals):
    """Sum of interval lengths, s."""
    return float(sum(e - s for s, e in intervals))


def match_events(pred, truth, tolerance_s=0.3, same=None):
    """Pair predicted and true events by onset, nearest first, each used once.

    Parameters
    ----------
    pred, truth : list of dict
        Events with ``start_s``.
    tolerance_s : float
        Largest onset difference of a pair, s.
    same : callable, optional
        ``same(p, t)`` must hold for a pair (e.g. the same party).

    Returns
    -------
    list of (int, int)
        ``(pred_index, truth_index)`` pairs.
    """
    candidates = sorted(
        (abs(p["start_s"] - t["start_s"]), i, j)
        for i, p in enumerate(pred)
        for j, t in enumerate(truth)
        if abs(p["start_s"] - t["start_s"]) <= tolerance_s and (same is None or same(p, t))
    )
    used_p, used_t, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            pairs.append((i, j))
    return pairs


def event_f1(n_pairs, n_pred, n_truth):
    """F1 of matched events (1.0 when there is nothing to find and nothing found)."""
    if n_pred == 0 and n_truth == 0:
        return 1.0
    return 2 * n_pairs / (n_pred + n_truth)
