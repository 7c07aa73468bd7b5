"""Every kernel against its plain-NumPy reference, on random and edge input."""

import numba
import numpy as np
import pytest

from callscan.kernels import activity, energy, framing, runs
from callscan.kernels._jit import FASTMATH
from tests import reference as ref

EDGE_LENGTHS = [0, 1, 2, 7, 79, 80, 81, 199, 200, 201, 1001]


def _signals():
    rng = np.random.default_rng(1234)
    for n in EDGE_LENGTHS:
        yield f"zeros-{n}", np.zeros(n, np.float32)
        yield f"noise-{n}", (rng.standard_normal(n) * 0.1).astype(np.float32)
    burst = np.zeros(3001, np.float32)
    burst[1000:1500] = 0.5
    yield "burst", burst


@pytest.mark.parametrize("hop,win", [(80, 200), (160, 400), (80, 80), (3, 11)])
def test_energy_matches_reference(hop, win):
    for name, x in _signals():
        got = energy.frame_energy_db(x, hop, win)
        want = ref.frame_energy_db(x, hop, win)
        assert got.shape == want.shape == (framing.n_frames(len(x), hop),), name
        assert np.array_equal(np.isneginf(got), np.isneginf(want)), name
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], atol=1e-3, err_msg=name)


def test_energy_full_scale_sine_is_minus_3_dbfs():
    sr = 8000
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * 400 * t).astype(np.float32)
    e = energy.frame_energy_db(x, 80, 200)
    assert abs(np.median(e) - (-3.0103)) < 0.05


def test_energy_rejects_bad_input():
    with pytest.raises(ValueError):
        energy.frame_energy_db(np.zeros((2, 10), np.float32), 80, 200)
    with pytest.raises(ValueError):
        energy.frame_energy_db(np.zeros(10, np.float32), 0, 200)


def _masks():
    rng = np.random.default_rng(99)
    yield np.zeros(0, bool)
    yield np.zeros(1, bool)
    yield np.ones(1, bool)
    yield np.ones(17, bool)
    yield np.zeros(17, bool)
    for n in (5, 33, 500):
        for p in (0.2, 0.5, 0.9):
            yield rng.random(n) < p
        # long runs, as speech has
        yield np.repeat(rng.random(n // 5 + 1) < 0.5, 5)[:n]


def test_runs_match_reference():
    for m in _masks():
        s, e = runs.mask_to_runs(m)
        rs, re_ = ref.mask_to_runs(m)
        assert np.array_equal(s, rs) and np.array_equal(e, re_)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 25])
def test_bridge_drop_extend_match_reference(k):
    for m in _masks():
        assert np.array_equal(runs.bridge_gaps(m, k), ref.bridge_gaps(m, k))
        assert np.array_equal(runs.drop_short(m, k), ref.drop_short(m, k))
        assert np.array_equal(runs.extend_ends(m, k), ref.extend_ends(m, k))


def test_bridge_keeps_leading_and_trailing_gaps():
    m = np.array([0, 0, 1, 0, 1, 0, 0], bool)
    assert runs.bridge_gaps(m, 5).tolist() == [0, 0, 1, 1, 1, 0, 0]


def test_hysteresis_matches_reference():
    rng = np.random.default_rng(5)
    for n in (0, 1, 2, 50, 1000):
        e = rng.normal(-50, 15, n).astype(np.float32)
        on = np.full(n, -40, np.float32)
        off = np.full(n, -50, np.float32)
        got = np.empty(n, bool)
        activity._hysteresis(e, on, off, got)
        assert np.array_equal(got, ref.hysteresis(e, on, off))


@pytest.mark.parametrize("step,width", [(1, 1), (1, 5), (3, 10), (25, 800), (7, 4)])
def test_windowed_percentile_matches_reference(step, width):
    rng = np.random.default_rng(11)
    for n in (1, 2, 9, 100, 2000):
        e = rng.normal(-60, 10, n).astype(np.float32)
        e[rng.random(n) < 0.2] = -100.0  # digital silence takes no part
        n_points = (n - 1) // step + 2
        got = np.empty(n_points, np.float32)
        activity._windowed_percentile(e, step, width, 5.0, np.float32(-99.9), 2, got)
        want = ref.windowed_percentile(e, step, width, 5.0, -99.9, 2)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], atol=1e-3)



@numba.njit(fastmath=set(FASTMATH))
def _sorting_windowed_percentile(e, step, width, q, valid_above, min_count, out):
    """The first implementation of ``activity._windowed_percentile``: sort every window."""
    n = e.shape[0]
    buf = np.empty(width, dtype=np.float32)
    half = width // 2
    for k in range(out.shape[0]):
        c = k * step
        lo = max(0, c - half)
        hi = min(n, c - half + width)
        m = 0
        for i in range(lo, hi):
            if e[i] > valid_above:
                buf[m] = e[i]
                m += 1
        if m < min_count or m == 0:
            out[k] = np.nan
            continue
        vals = np.sort(buf[:m])
        pos = q / 100.0 * (m - 1)
        j = int(np.floor(pos))
        frac = pos - j
        if j + 1 < m:
            out[k] = vals[j] + frac * (vals[j + 1] - vals[j])
        else:
            out[k] = vals[j]


def test_windowed_percentile_is_exactly_that_of_sorted_windows():
    """The sliding histogram gives bit for bit the order statistics of a sort of each window."""
    rng = np.random.default_rng(21)
    for trial in range(150):
        n = int(rng.integers(1, 300))
        step, width = int(rng.integers(1, 40)), int(rng.integers(1, 120))
        q = float(rng.choice([0.0, 5.0, 50.0, 100.0, rng.uniform(0, 100)]))
        e = np.round(rng.normal(-60, 15, n), int(rng.integers(0, 3))).astype(np.float32)  # ties too
        e[rng.random(n) < rng.random()] = -100.0
        if trial % 5 == 0:
            e[rng.random(n) < 0.1] = rng.choice([np.nan, np.inf, -np.inf, 1e30, 500.0])
        n_points = (n - 1) // step + 2
        got, want = np.empty(n_points, np.float32), np.empty(n_points, np.float32)
        min_count = int(rng.integers(0, 5))
        activity._windowed_percentile(e, step, width, q, np.float32(-99.9), min_count, got)
        _sorting_windowed_percentile(e, step, width, q, np.float32(-99.9), min_count, want)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (trial, n, step, width, q)


def _activity(e, **kw):
    import dataclasses

    from callscan.params import ActivityParams

    args = dataclasses.asdict(ActivityParams())
    args.update(kw)
    return activity.speech_activity(np.asarray(e, np.float32), 0.01, **args)


def test_activity_edges():
    speech, floor, _ = _activity(np.zeros(0))
    assert speech.shape == floor.shape == (0,)
    speech, _, _ = _activity(np.full(1, -np.inf))
    assert not speech.any()
    speech, _, _ = _activity(np.full(500, -np.inf))
    assert not speech.any()
    speech, _, _ = _activity(np.full(501, -60.0))  # steady noise is never speech
    assert not speech.any()


def test_activity_finds_a_burst_with_exact_edges():
    e = np.full(1000, -60.0)
    e[300:500] = -20.0
    speech, floor, level = _activity(e, hangover_s=0.0)
    assert abs(level + 20.0) < 0.01
    assert np.flatnonzero(speech).tolist() == list(range(300, 500))
    assert abs(np.median(floor) + 60.0) < 0.5


def test_activity_drops_clicks_and_bridges_short_gaps():
    e = np.full(1000, -60.0)
    e[100:105] = -20.0  # 50 ms click
    e[300:400] = -20.0
    e[420:500] = -20.0  # 200 ms gap: bridged
    e[800:850] = -20.0
    speech, _, _ = _activity(e, hangover_s=0.0)
    s, t = runs.mask_to_runs(speech)
    assert list(zip(s.tolist(), t.tolist())) == [(300, 500), (800, 850)]


def test_leak_is_found_and_explained():
    from callscan.kernels.crosstalk import leak_coupling_db, leak_explained

    rng = np.random.default_rng(3)
    n = 3000
    talk_b = np.repeat(rng.random(n // 50) < 0.5, 50)
    e_b = np.where(talk_b, rng.normal(-20, 5, n), -70).astype(np.float32)
    floor_a = np.full(n, -65, np.float32)
    e_a = np.maximum(e_b - 25, -65 + rng.normal(0, 1, n)).astype(np.float32)  # leak at -25 dB
    loud = talk_b & (e_b > -30)
    g = leak_coupling_db(e_a, floor_a, e_b, loud, min_rise_db=6, min_corr=0.8, min_frames=100)
    assert g is not None and abs(g + 25) < 1.0
    assert leak_explained(e_a, e_b, g, 4.0)[loud].all()
    # An independent talker on a does not follow b: no leak.
    e_a2 = np.where(rng.random(n) < 0.5, rng.normal(-25, 6, n), -65).astype(np.float32)
    assert leak_coupling_db(e_a2, floor_a, e_b, loud, min_rise_db=6, min_corr=0.8, min_frames=100) is None


def test_running_median5_matches_reference():
    rng = np.random.default_rng(8)
    for n in (0, 1, 2, 3, 4, 5, 6, 97):
        e = rng.normal(-50, 10, n).astype(np.float32)
        got = np.empty(n, np.float32)
        activity._running_median5(e, got)
        np.testing.assert_allclose(got, ref.running_median5(e), atol=1e-4)


def test_floor_ignores_short_codec_dropouts():
    # Line noise at -50 dB with a 25 dB drop-out in one frame of every seven (an MP3 granule).
    e = np.full(3000, -50.0)
    e[::7] = -75.0
    e[1000:1200] = -20.0
    speech, floor, _ = _activity(e)
    assert abs(np.median(floor) + 50.0) < 1.0
    assert not speech[:900].any() and speech[1000:1200].all()


def test_leak_lag_finds_the_delay_of_a_level_envelope():
    from callscan.kernels.crosstalk import leak_lag

    rng = np.random.default_rng(9)
    n, lag = 4000, 23
    talk_b = np.repeat(rng.random(n // 40) < 0.5, 40)
    e_b = np.where(talk_b, rng.normal(-20, 5, n), -70)
    e_b = np.convolve(e_b, np.ones(3) / 3, "same").astype(np.float32)  # frames overlap as 25 ms windows do
    floor_a = np.full(n, -65, np.float32)
    e_a = np.full(n, -65, np.float32)
    e_a[lag:] = np.maximum(e_b[:-lag] - 22, -65 + rng.normal(0, 1, n - lag))  # leak at -22 dB, 230 ms
    own = np.repeat(rng.random(n // 40) < 0.25, 40)
    e_a = np.where(own, np.maximum(e_a, rng.normal(-18, 4, n)), e_a).astype(np.float32)  # double talk
    loud = talk_b & (e_b > -30)
    kw = dict(max_lag=50, min_rise_db=6, min_corr=0.8, min_gain=0.03, min_frames=100, edge_corr=0.6, edge_db=2.5)
    for step in (1, 2):  # every lag, or every other one and then the ones next to the best
        found = leak_lag(e_a, floor_a, e_b, loud, step=step, **kw)
        assert found is not None and found[0] == lag and abs(found[1] + 22) < 1.0
    # An independent talker on a follows b at no lag.
    e_a2 = np.where(rng.random(n) < 0.5, rng.normal(-25, 6, n), -65).astype(np.float32)
    assert leak_lag(e_a2, floor_a, e_b, loud, step=2, **kw) is None
