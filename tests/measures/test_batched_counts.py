"""The batched forms of the per-stretch measures give exactly what one range at a time gives."""

import math

import numpy as np

from callscan.kernels.windows import window_percentiles
from callscan.measures.rate import FrameCounts, add_turn_rates


def _percentile(seg, q):
    """Percentile ``q`` of ``seg`` from a sort, as ``window_percentiles`` documents it."""
    s = np.sort(np.asarray(seg, dtype=np.float64))
    m = s.shape[0]
    if m == 0:
        return np.nan
    if m == 1 or q == 0.0:
        return s[0]
    if q == 100.0:
        return s[-1]
    rank = 1 + (m - 1) * (q / 100.0)
    f = math.floor(rank)
    frac = rank - f
    j = int(f - 1)
    return s[j] * (1 - frac) + s[j + 1] * frac


def test_window_percentiles_equal_sorted_order_statistics_with_ties():
    rng = np.random.default_rng(7)
    qs = (10.0, 50.0, 90.0, 0.0, 37.5, 100.0)
    for dtype in (np.float64, np.float32):
        for _ in range(30):
            n = int(rng.integers(1, 3000))
            values = rng.integers(-20, 20, n).astype(dtype) * dtype(0.25)  # many ties
            valid = rng.random(n) < rng.random()
            starts = rng.integers(-10, n + 10, 40)
            ends = starts + rng.integers(0, n // 2 + 2, 40)
            got = window_percentiles(values, valid, starts, ends, qs)
            for w, (a, b) in enumerate(zip(np.clip(starts, 0, n), np.clip(ends, 0, n))):
                seg = values[a:b][valid[a:b]]
                want = [_percentile(seg, q) for q in qs]
                # equal but for the kernels' fused multiply-add (fast-math "contract")
                np.testing.assert_allclose(got[w], want, rtol=1e-14, atol=1e-14)


def test_frame_counts_take_arrays_of_frames():
    rng = np.random.default_rng(1)
    for n in (0, 1, 17, 500):
        mask = rng.random(n) < 0.4
        running = np.concatenate(([0], np.cumsum(mask)))
        counts = FrameCounts(mask)
        i = rng.integers(-5, n + 6, 50)
        np.testing.assert_array_equal(counts.upto(i), running[np.clip(i, 0, n)])
        assert all(counts.upto(int(k)) == running[min(max(int(k), 0), n)] for k in i)
        a = rng.integers(0, n + 1, 50)
        b = np.maximum(a, rng.integers(0, n + 1, 50))
        np.testing.assert_array_equal(counts.between(a, b), running[b] - running[a])


def _turn_rate_one_by_one(ev, parties, nuclei, speech, hop_s, min_turn_talk_s):
    """``rate_sps`` of one turn event, each count taken from the masks directly."""
    if ev["party"] not in parties:
        return None
    k = parties.index(ev["party"])
    n = speech[k].shape[0]
    a = min(n, max(0, int(round(ev["start_s"] / hop_s))))
    b = min(n, max(a, int(round(ev["end_s"] / hop_s))))
    count = int(np.count_nonzero(nuclei[k][a:b] & speech[k][a:b]))
    seconds = int(np.count_nonzero(speech[k][a:b])) * hop_s
    if seconds < min_turn_talk_s - 1e-9 or seconds <= 0:
        return None
    return round(float(count) / float(seconds), 4)


def test_turn_rates_match_one_turn_at_a_time():
    rng = np.random.default_rng(3)
    hop_s, n = 0.01, 4000
    parties = ("agent", "customer")
    speech = [rng.random(n) < 0.6 for _ in parties]
    nuclei = [rng.random(n) < 0.08 for _ in parties]
    events = []
    for _ in range(300):
        start = float(rng.uniform(-1.0, 42.0))
        events.append({"kind": "turn", "party": str(rng.choice(["agent", "customer", "nobody"])),
                       "start_s": round(start, 6), "end_s": round(start + float(rng.uniform(0.0, 6.0)), 6)})
    events.append({"kind": "speech", "party": "agent", "start_s": 0.0, "end_s": 1.0})
    add_turn_rates(events, parties, nuclei, speech, hop_s, 0.5)
    for ev in events[:-1]:
        assert ev["rate_sps"] == _turn_rate_one_by_one(ev, parties, nuclei, speech, hop_s, 0.5)
    assert "rate_sps" not in events[-1]
