"""The picture helpers of callscan.view.timeline (no matplotlib needed)."""

import numpy as np
import pytest

from callscan.view import timeline as tl
from callscan.view.plot import tick_step_s


def test_merge_intervals_closes_gaps_under_a_pixel_and_widens_short_marks():
    spans = [(5.0, 6.0), (0.0, 1.0), (1.2, 2.0), (9.0, 9.01)]
    out = tl.merge_intervals(spans, min_gap_s=0.5, min_width_s=0.2)
    np.testing.assert_allclose(out, [(0.0, 2.0), (5.0, 6.0), (8.905, 9.105)])
    assert tl.merge_intervals([], 1.0, 1.0).shape == (0, 2)
    # Nothing merges when the gaps are wider than a pixel.
    np.testing.assert_allclose(tl.merge_intervals(spans, 0.1, 0.0)[:, 0], [0.0, 1.2, 5.0, 9.0])


def test_pitch_band_gives_median_and_percentiles_per_bin_and_nan_where_unvoiced():
    f0 = np.full(250, np.nan)
    f0[:100] = np.linspace(100, 199, 100)  # bin 0 (1 s of 10 ms frames)
    f0[200:210] = 300.0  # bin 2, partly voiced
    t, med, lo, hi = tl.pitch_band(f0, 0.01, 1.0)
    np.testing.assert_allclose(t, [0.5, 1.5, 2.5])
    assert med[0] == pytest.approx(149.5) and lo[0] == pytest.approx(np.percentile(f0[:100], 10))
    assert hi[0] == pytest.approx(np.percentile(f0[:100], 90))
    assert np.isnan(med[1]) and np.isnan(lo[1])
    assert med[2] == lo[2] == hi[2] == 300.0


def test_span_and_quarters_come_from_the_speech_events():
    events = [
        {"kind": "dead_air", "party": None, "start_s": 0.0, "end_s": 50.0},
        {"kind": "speech", "party": "agent", "start_s": 2.0, "end_s": 5.0},
        {"kind": "speech", "party": "customer", "start_s": 4.0, "end_s": 42.0},
    ]
    assert tl.span_bounds(events) == (2.0, 42.0)
    np.testing.assert_allclose(tl.quarters((2.0, 42.0)), [(2, 12), (12, 22), (22, 32), (32, 42)])
    assert tl.span_bounds(events[:1]) is None


def test_clock_and_tick_steps():
    assert tl.clock(75.4) == "1:15" and tl.clock(3725) == "1:02:05" and tl.clock(59, long=True) == "0:00:59"
    assert tick_step_s(40) == 5 and tick_step_s(180) == 15 and tick_step_s(3600) == 300
    assert 3 * 3600 / tick_step_s(3 * 3600) <= 12


def test_gaps_are_the_stretches_no_interval_covers():
    spans = [(5.0, 6.0), (1.0, 2.0), (1.5, 3.0), (9.5, 12.0)]
    np.testing.assert_allclose(tl.gaps(spans, 0.0, 10.0), [(0, 1), (3, 5), (6, 9.5)])
    np.testing.assert_allclose(tl.gaps(spans, 0.0, 10.0, min_s=1.5), [(3, 5), (6, 9.5)])
    np.testing.assert_allclose(tl.gaps([], 2.0, 4.0), [(2, 4)])
    assert tl.gaps([(0.0, 10.0)], 0.0, 10.0).shape == (0, 2)


def test_covered_seconds_count_overlapping_intervals_once():
    spans = [(1.0, 3.0), (2.0, 4.0), (8.0, 20.0)]
    assert tl.covered_s(spans, 0.0, 10.0) == pytest.approx(3.0 + 2.0)
    assert tl.covered_s(spans, 3.5, 8.5) == pytest.approx(1.0)
    assert tl.covered_s([], 0.0, 10.0) == 0.0
