"""Unit tests of the F0 tracker (``callscan.kernels.pitch``) and of the pitch benchmark scorers.

Signals are short (well under a second) so that the file also runs quickly with
``NUMBA_DISABLE_JIT=1``. Tolerances are in cents (1200 × log2 of the frequency ratio).
"""

import dataclasses
import math
import types

import numpy as np
import pytest
from scipy import signal

from callscan.kernels import pitch
from callscan.kernels.pitch import track_f0
from callscan.params import PitchParams
from tests import reference_pitch as ref

RATES = (8000, 16000)


def hop_of(sr):
    return sr // 100


def cents(f, truth):
    return 1200.0 * np.log2(np.asarray(f, dtype=np.float64) / truth)


def tone(freq, sr, seconds, amp=0.5, phase=0.3):
    t = np.arange(int(round(sr * seconds))) / sr
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def harmonics(f0, amps, sr, seconds):
    """Sum of sines at ``k * f0`` with amplitudes ``amps[k]`` (below Nyquist only)."""
    t = np.arange(int(round(sr * seconds))) / sr
    x = sum(a * np.sin(2 * np.pi * k * f0 * t + 0.3 * k) for k, a in amps.items()
            if k * f0 < sr / 2)
    return (0.3 * x / max(amps.values())).astype(np.float32)


def glide(f_start, f_end, sr, seconds, amp=0.5):
    """Exponential sweep and its instantaneous frequency at every sample."""
    t = np.arange(int(round(sr * seconds))) / sr
    k = math.log(f_end / f_start) / seconds
    phase = 2 * np.pi * f_start * np.expm1(k * t) / k
    return (amp * np.sin(phase)).astype(np.float32), f_start * np.exp(k * t)


def same(a, b):
    """Equal arrays, NaN equal to NaN."""
    return np.array_equal(a, b, equal_nan=True)


# ------------------------------------------------------------------ accuracy on known signals


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("freq", [62.0, 110.0, 205.0, 333.0, 480.0])
def test_pure_tone_within_10_cents(sr, freq):
    f0, voiced = track_f0(tone(freq, sr, 0.3), sr, hop_of(sr))
    inner = slice(3, -3)
    assert voiced[inner].all()
    assert np.max(np.abs(cents(f0[inner], freq))) < 10.0


@pytest.mark.parametrize("sr", RATES)
def test_glide_within_10_cents(sr):
    hop = hop_of(sr)
    x, inst = glide(100.0, 300.0, sr, 0.8)  # 1.6 octaves a second, both directions below
    for sig, truth in ((x, inst), (x[::-1].copy(), inst[::-1].copy())):
        f0, voiced = track_f0(sig, sr, hop)
        centres = np.arange(len(f0)) * hop + hop // 2
        inner = slice(4, -4)
        assert voiced[inner].all()
        err = cents(f0[inner], truth[centres[inner]])
        assert np.max(np.abs(err)) < 10.0


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("f0_true", [75.0, 120.0, 190.0])
def test_missing_fundamental_no_octave_error(sr, f0_true):
    # harmonics 2..15 only: the period is still 1 / f0_true
    x = harmonics(f0_true, {k: 1.0 / k for k in range(2, 16)}, sr, 0.4)
    f0, voiced = track_f0(x, sr, hop_of(sr))
    inner = slice(3, -3)
    assert voiced[inner].all()
    assert np.max(np.abs(cents(f0[inner], f0_true))) < 10.0


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("f0_true", [70.0, 110.0, 150.0])
def test_dominant_second_harmonic_no_octave_error(sr, f0_true):
    # no fundamental and a second harmonic twice as strong as any other: half the period
    # correlates well too, the tracker must still report f0_true
    amps = {2: 1.0, 3: 0.3, 4: 0.5, 5: 0.2, 6: 0.2, 7: 0.1, 8: 0.1}
    f0, voiced = track_f0(harmonics(f0_true, amps, sr, 0.4), sr, hop_of(sr))
    inner = slice(3, -3)
    assert voiced[inner].all()
    assert np.max(np.abs(cents(f0[inner], f0_true))) < 10.0


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("f0_true", [80.0, 105.0, 140.0])
def test_telephone_band_no_octave_error(sr, f0_true):
    # a full harmonic complex through a 300-3400 Hz band-pass: fundamental (and for low
    # voices the second harmonic) attenuated by 10-30 dB
    x = harmonics(f0_true, {k: 1.0 / k for k in range(1, 40)}, sr, 0.45)
    sos = signal.butter(4, [300, 3400], btype="bandpass", fs=sr, output="sos")
    y = signal.sosfilt(sos, x).astype(np.float32)
    f0, voiced = track_f0(y, sr, hop_of(sr))
    inner = slice(5, -3)  # skip the filter's start-up
    assert voiced[inner].all()
    assert np.max(np.abs(cents(f0[inner], f0_true))) < 10.0


@pytest.mark.parametrize("sr", RATES)
def test_silence_is_unvoiced(sr):
    f0, voiced = track_f0(np.zeros(sr // 2, np.float32), sr, hop_of(sr))
    assert not voiced.any()
    assert np.isnan(f0).all()


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_white_noise_is_unvoiced(sr, seed):
    x = (0.1 * np.random.default_rng(seed).standard_normal(sr // 2)).astype(np.float32)
    f0, voiced = track_f0(x, sr, hop_of(sr))
    assert not voiced.any()
    assert np.isnan(f0).all()


def test_voiced_flag_matches_f0():
    sr = 8000
    gap = np.zeros(2000, np.float32)
    x = np.concatenate([gap, tone(150.0, sr, 0.3), gap])
    f0, voiced = track_f0(x, sr, 80)
    assert voiced.any() and not voiced.all()
    assert np.array_equal(voiced, np.isfinite(f0))
    assert f0.dtype == np.float32 and voiced.dtype == np.bool_


def test_tone_between_silences_is_located():
    sr, hop = 8000, 80
    gap = np.zeros(2400, np.float32)
    x = np.concatenate([gap, tone(180.0, sr, 0.4), gap])
    f0, voiced = track_f0(x, sr, hop)
    assert np.isfinite(f0[voiced]).all()
    on = np.flatnonzero(voiced)
    # the tone occupies frames 30 .. 69; allow one frame of smear at each edge
    assert 29 <= on[0] <= 31 and 68 <= on[-1] <= 70
    assert voiced[31:69].all()


# ------------------------------------------------------------------ invariances


def test_scale_invariance():
    sr = 8000
    x, _ = glide(120.0, 240.0, sr, 0.5)
    f_a, v_a = track_f0(x, sr, 80)
    f_b, v_b = track_f0(x * np.float32(0.01), sr, 80)
    assert np.array_equal(v_a, v_b)
    assert np.max(np.abs(cents(f_b[v_b], f_a[v_a]))) < 0.1


def test_int16_input_is_accepted():
    sr = 8000
    x = tone(150.0, sr, 0.3)
    as_int = np.round(x * 32767).astype(np.int16)
    f_a, v_a = track_f0(x, sr, 80)
    f_b, v_b = track_f0(as_int, sr, 80)
    assert np.array_equal(v_a, v_b)
    assert np.max(np.abs(cents(f_b[v_b], f_a[v_a]))) < 0.1


def test_stereo_is_per_channel():
    sr = 8000
    a, _ = glide(110.0, 220.0, sr, 0.5)
    b = harmonics(230.0, {k: 1.0 / k for k in range(1, 12)}, sr, 0.5)
    stereo = np.stack([a, b])  # channels first
    first = [track_f0(stereo[c], sr, 80) for c in range(2)]
    again = [track_f0(stereo[c].copy(), sr, 80) for c in range(2)]
    alone = [track_f0(a, sr, 80), track_f0(b, sr, 80)]
    for (f1, v1), (f2, v2), (f3, v3) in zip(first, again, alone):
        assert same(f1, f2) and same(f1, f3)
        assert np.array_equal(v1, v2) and np.array_equal(v1, v3)
    # the two channels really differ, so the comparison above means something
    assert not same(first[0][0], first[1][0])
    with pytest.raises(ValueError, match="once per channel"):
        track_f0(stereo, sr, 80)


@pytest.mark.parametrize("sr", RATES)
def test_gate_gives_identical_results_in_gated_frames(sr):
    hop = hop_of(sr)
    gap = np.zeros(int(0.2 * sr), np.float32)
    burst_a = tone(140.0, sr, 0.3)
    burst_b, _ = glide(260.0, 180.0, sr, 0.3)
    x = np.concatenate([gap, burst_a, gap, burst_b, gap[: len(gap) // 2]])
    n = -(-len(x) // hop)
    active = np.zeros(n, bool)
    a0 = len(gap) // hop
    a1 = a0 + len(burst_a) // hop
    b0 = a1 + len(gap) // hop
    b1 = b0 + len(burst_b) // hop
    active[a0 - 2:a1 + 2] = True
    active[b0 - 2:b1 + 2] = True
    f_full, v_full = track_f0(x, sr, hop)
    f_gate, v_gate = track_f0(x, sr, hop, gate=active)
    assert v_full[active].sum() > 40  # there is something to compare
    assert same(f_gate[active], f_full[active])
    assert np.array_equal(v_gate[active], v_full[active])
    assert not v_gate[~active].any() and np.isnan(f_gate[~active]).all()


@pytest.mark.parametrize("sr", [8000, 16000])
def test_candidates_never_read_uncomputed_samples(sr):
    """The signal buffers are reused between blocks without clearing: poisoning them with
    NaN (and with the leftovers of another signal) leaves the candidates bit for bit as
    with fresh zeroed buffers."""
    hop = hop_of(sr)
    rng = np.random.default_rng(11)
    x = np.concatenate([np.zeros(int(0.3 * sr)), tone(140.0, sr, 0.4), np.zeros(int(0.5 * sr)),
                        glide(260.0, 180.0, sr, 0.3)[0], 0.05 * rng.standard_normal(int(0.2 * sr))])
    x = x.astype(np.float32)
    n = -(-len(x) // hop)
    gate = np.repeat(rng.random(n // 5 + 1) < 0.4, 5)[:n]
    want = pitch.F0Tracker(sr, hop)
    want._scratch = {k: np.zeros(4 * len(x) + 100000, np.float32) for k in ("xp", "xc", "mean", "xl", "xw", "xh")}
    ref_c = want.candidates(x, gate)
    poisoned = pitch.F0Tracker(sr, hop)
    poisoned._scratch = {k: np.full(4 * len(x) + 100000, np.nan, np.float32) for k in ("xp", "xc", "mean", "xl", "xw", "xh")}
    got = poisoned.candidates(x, gate)
    poisoned.candidates(rng.standard_normal(len(x)).astype(np.float32), ~gate)  # leaves its own samples
    again = poisoned.candidates(x, gate)
    assert ref_c.n[gate].sum() > 20
    for a, b, c in zip(ref_c, got, again):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_gate_inside_a_voiced_region_still_tracks():
    sr, hop = 8000, 80
    x = tone(200.0, sr, 0.6)
    gate = np.zeros(60, bool)
    gate[20:40] = True
    f0, voiced = track_f0(x, sr, hop, gate=gate)
    assert not voiced[~gate].any()
    assert voiced[22:38].all()
    assert np.max(np.abs(cents(f0[22:38], 200.0))) < 10.0


def test_deterministic():
    sr = 16000
    x = (0.2 * np.random.default_rng(7).standard_normal(sr // 2)).astype(np.float32)
    x += harmonics(150.0, {k: 1.0 / k for k in range(1, 10)}, sr, 0.5)
    a = track_f0(x, sr, 160)
    b = track_f0(x, sr, 160)
    assert same(a[0], b[0]) and np.array_equal(a[1], b[1])


# ------------------------------------------------------------------ edge input


@pytest.mark.parametrize("n", [0, 1, 7, 50, 79, 80, 81, 257])
def test_short_input_shapes(n):
    x = tone(150.0, 8000, n / 8000.0) if n else np.zeros(0, np.float32)
    f0, voiced = track_f0(x, 8000, 80)
    assert f0.shape == voiced.shape == (-(-n // 80),)
    assert np.array_equal(voiced, np.isfinite(f0))


@pytest.mark.parametrize("n", [7999, 8001, 12345])
def test_odd_lengths(n):
    x = tone(210.0, 16000, n / 16000.0)
    f0, voiced = track_f0(x, 16000, 160)
    assert f0.shape == (-(-n // 160),)
    assert voiced[3:-3].all()
    assert np.max(np.abs(cents(f0[3:-3], 210.0))) < 10.0


def test_other_sample_rates():
    for sr in (11025, 22050, 44100):
        hop = int(round(0.01 * sr))
        f0, voiced = track_f0(tone(165.0, sr, 0.3), sr, hop)
        assert voiced[3:-3].all()
        assert np.max(np.abs(cents(f0[3:-3], 165.0))) < 10.0


def test_tiny_but_nonzero_signal():
    f0, voiced = track_f0(tone(150.0, 8000, 0.3, amp=1e-6), 8000, 80)
    assert voiced[3:-3].all()
    assert np.max(np.abs(cents(f0[3:-3], 150.0))) < 10.0


def unchecked(**changes):
    """Pitch parameters that skip PitchParams' own checks, to reach the tracker's (its wrapper
    takes any object with these fields)."""
    return types.SimpleNamespace(**{**dataclasses.asdict(PitchParams()), **changes})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": np.zeros((2, 800), np.float32)}, "once per channel"),
        ({"x": np.array([0.0, np.nan] * 400, np.float32)}, "NaN"),
        ({"x": np.zeros(800, np.complex64)}, "real"),
        ({"hop": 0}, "hop"),
        ({"hop": 80.5}, "hop"),
        ({"sample_rate": 0}, "sample_rate"),
        ({"params": unchecked(fmin_hz=300.0, fmax_hz=200.0)}, "fmin < fmax"),
        ({"params": unchecked(fmax_hz=4000.0)}, "sample_rate / 2"),
        ({"sample_rate": 800}, "sample_rate / 2"),
        ({"gate": np.ones(9, bool)}, "one entry per frame"),
        ({"params": unchecked(n_cands=0)}, "n_cands"),
    ],
)
def test_invalid_input_raises(kwargs, match):
    args = {"x": np.zeros(800, np.float32), "sample_rate": 8000, "hop": 80}
    args.update(kwargs)
    x, sr, hop = args.pop("x"), args.pop("sample_rate"), args.pop("hop")
    with pytest.raises(ValueError, match=match):
        track_f0(x, sr, hop, **args)


# ------------------------------------------------------------------ kernels vs references


def _prepared(x, sr, hop, gate=None):
    """Geometry and signals exactly as track_f0 prepares them."""
    n = -(-len(x) // hop)
    g = np.ones(n, bool) if gate is None else gate
    geo = pitch._geometry(float(sr), hop, 60.0, 500.0, 0.016, 2000.0, 0.45, 30.0, 4, 0.025, 0.01)
    return geo, g, pitch._signals(np.ascontiguousarray(x, np.float32), g, geo)


def _test_signal(sr, seconds, seed):
    """Noise plus a wandering pulse train: several correlation peaks per frame."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    f = 140 + 60 * np.sin(2 * np.pi * 1.5 * t)
    pulses = np.sin(2 * np.pi * np.cumsum(f) / sr)
    x = 0.3 * np.sign(pulses) * np.abs(pulses) ** 3 + 0.1 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def test_nccf_matches_reference():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(2000).astype(np.float32)
    x[1200:1400] = 0.0  # silent stretch: NCCF 0
    cases = [(500, 32, 5), (700, 128, 133), (1000, 48, 61), (1300, 64, 20)]
    for centre, win, lag in cases:
        got = pitch._nccf_direct(x, centre, win, lag)
        assert got == pytest.approx(ref.nccf(x, centre, win, lag), abs=1e-5)
        for frac in (0.0, 0.25, 0.5, 0.9):
            got = pitch._nccf_frac(x, centre, win, lag + frac)
            assert got == pytest.approx(ref.nccf(x, centre, win, lag + frac), abs=1e-5)
            got = pitch._nccf_cubic(x, centre, win, lag + frac)
            want = ref.nccf(x, centre, win, lag + frac, cubic=True)
            assert got == pytest.approx(want, abs=1e-5)
    p = np.empty(1001)
    pitch._prefix_sq(x, 200, 1000, p)
    for centre, win, lag in cases[:3]:
        s, e1, e2 = pitch._segment_products(x, p, 200, centre, win, lag)
        assert s / np.sqrt(e1 * e2) == pytest.approx(ref.nccf(x, centre, win, lag), abs=1e-5)


@pytest.mark.parametrize("sr", RATES)
def test_decimate_matches_reference(sr):
    x = np.random.default_rng(1).standard_normal(3000).astype(np.float32)
    geo, _, _ = _prepared(np.zeros(100, np.float32), sr, hop_of(sr))
    xp = np.zeros(3000 + 2 * geo.taps.shape[0], np.float32)
    xp[geo.taps.shape[0]:geo.taps.shape[0] + 3000] = x
    hop = hop_of(sr)
    n_blocks = (xp.shape[0] - geo.taps.shape[0] - geo.factor) // hop
    need = np.zeros(n_blocks, bool)
    need[3:n_blocks - 3] = True
    out = np.zeros(xp.shape[0] // geo.factor + 1, np.float32)
    pitch._decimate(xp, geo.taps, geo.half_taps, geo.factor, hop, need, out)
    want = ref.decimate(xp, geo.taps, geo.half_taps, geo.factor, out.shape[0])
    k0 = 3 * hop // geo.factor
    k1 = (n_blocks - 3) * hop // geo.factor
    np.testing.assert_allclose(out[k0:k1], want[k0:k1], atol=2e-5)
    assert not out[: k0 - 1].any()  # blocks not needed are left alone


@pytest.mark.parametrize("sr", RATES)
def test_lowcut_matches_reference(sr):
    hop = hop_of(sr)
    x = _test_signal(sr, 0.3, 6) + np.float32(0.2)  # DC offset to remove
    geo, _, _ = _prepared(x, sr, hop)
    factor, half = geo.factor, geo.half_box
    xc = np.random.default_rng(9).standard_normal(4000).astype(np.float32) + np.float32(0.3)
    n_blocks = 4000 * factor // hop
    need = np.zeros(n_blocks, bool)
    need[5:n_blocks - 5] = True
    mean = np.zeros(4000, np.float32)
    out = np.zeros(4000, np.float32)
    pitch._lowcut(xc, factor, hop, half, need, mean, out)
    box = np.convolve(xc.astype(np.float64), np.ones(2 * half + 1) / (2 * half + 1), "same")
    k0, k1 = 5 * hop // factor, (n_blocks - 5) * hop // factor
    np.testing.assert_allclose(mean[k0:k1], box[k0:k1], atol=1e-5)
    np.testing.assert_allclose(out[k0:k1], (xc - box)[k0:k1], atol=1e-5)
    # full rate: the running mean interpolated linearly between coarse samples
    xp = np.random.default_rng(10).standard_normal(4000 * factor).astype(np.float32)
    full = np.zeros_like(xp)
    pitch._lowcut_full(xp, mean, factor, hop, need, full)
    n = np.arange(5 * hop, (n_blocks - 5) * hop)
    want = xp[n] - np.interp(n / factor, np.arange(4000), mean.astype(np.float64))
    np.testing.assert_allclose(full[n], want, atol=1e-5)


@pytest.mark.parametrize("sr", RATES)
def test_whitening_matches_reference(sr):
    hop = hop_of(sr)
    geo, _, (_, xc, xw, _) = _prepared(_test_signal(sr, 0.3, 5), sr, hop)
    blocks = range(geo.r_pad, geo.r_pad + 25)
    for b in blocks:
        ks, vals = ref.whiten_block(xc, geo.factor, hop, geo.lpc_win, geo.lpc_order,
                                    geo.lpc_noise_floor, b)
        scale = np.max(np.abs(vals)) + 1e-12
        np.testing.assert_allclose(xw[ks] / scale, vals / scale, atol=1e-4)


@pytest.mark.parametrize("sr", RATES)
def test_candidates_match_reference(sr):
    hop = hop_of(sr)
    x = _test_signal(sr, 0.25, 11)
    n = -(-len(x) // hop)
    gate = np.ones(n, bool)
    gate[::4] = False  # gated-out frames get no candidates
    geo, g, (xp, xc, xw, centres) = _prepared(x, sr, hop, gate)
    k = 6
    lag = np.zeros((n, k))
    corr = np.zeros((n, k))
    white = np.zeros((n, k))
    count = np.zeros(n, np.int64)
    pitch._candidates(xp, xc, xw, centres, g, geo.factor, geo.win_f, geo.win_c, geo.lag_min,
                      geo.lag_max, geo.lag_lo_c, geo.lag_hi_c, 0.3, 0.3, lag, corr, white,
                      count)
    assert (count[~gate] == 0).all()
    assert count[gate].mean() > 2  # several candidates per frame to compare
    for i in np.flatnonzero(gate):
        want = ref.candidates(xp, xc, xw, int(centres[i]), geo.factor, geo.win_f, geo.win_c,
                              geo.lag_min, geo.lag_max, geo.lag_lo_c, geo.lag_hi_c, 0.3, 0.3,
                              k)
        assert count[i] == len(want), i
        for j, (w_lag, w_corr, w_white) in enumerate(want):
            assert lag[i, j] == pytest.approx(w_lag, abs=1e-3)
            assert corr[i, j] == pytest.approx(w_corr, abs=1e-4)
            assert white[i, j] == pytest.approx(w_white, abs=1e-4)


def test_viterbi_finds_the_least_cost_path():
    rng = np.random.default_rng(4)
    # in the order of _viterbi's arguments
    p = {"lag_weight": 0.3, "octave_weight": 0.5, "jump_cost": 1.0, "voicing_cost": 0.005,
         "amp_cost": 0.5, "voiced_bias": 0.0, "quiet_db": 25.0, "silence_db": 40.0,
         "floor_quiet_db": 15.0, "floor_silence_db": 5.0, "silence_weight": 1.0,
         "noise_snr_min_db": 6.0}
    lag_max = 133.0
    for trial in range(12):
        n, k = 6, 2
        n_cand = rng.integers(0, k + 1, n)
        cand_lag = rng.uniform(16, 133, (n, k))
        cand_lag[:, 1] = cand_lag[:, 0] * rng.choice([0.5, 2.0, 1.03], n)  # octaves, near
        cand_lag = np.clip(cand_lag, 16, 133)
        cand_corr = rng.uniform(0.2, 1.0, (n, k))
        cand_white = rng.uniform(0.0, 1.0, (n, k))
        level = rng.uniform(-70, -10, n)
        rr = np.exp(rng.normal(0, 1, n))
        speech, floor = -12.0, -60.0 + 10 * rng.random()
        back = np.empty((n, k + 1), np.int32)
        lag_out = np.zeros(n)
        pitch._viterbi(cand_lag, cand_corr, cand_white, n_cand, level, rr, speech, floor,
                       lag_max, *p.values(), back, lag_out)
        local, trans = ref.path_costs(cand_lag, cand_corr, cand_white, n_cand, level, rr,
                                      speech, floor, lag_max, p)
        path = []
        for i in range(n):
            if lag_out[i] == 0.0:
                path.append(None)
            else:
                path.append(int(np.flatnonzero(cand_lag[i, :n_cand[i]] == lag_out[i])[0]))
        got = local(0, path[0]) + sum(trans(i, path[i - 1], path[i]) + local(i, path[i])
                                      for i in range(1, n))
        best, _ = ref.best_path(n_cand, local, trans)
        assert got == pytest.approx(best, abs=1e-9), trial


def test_dilate_matches_reference():
    rng = np.random.default_rng(2)
    for radius in (0, 1, 3, 7):
        mask = rng.random(60) < 0.08
        out = np.empty(60, bool)
        pitch._dilate(mask, radius, out)
        want = np.convolve(mask.astype(int), np.ones(2 * radius + 1, int), mode="same") > 0
        assert np.array_equal(out, want)


def test_frame_levels_match_reference():
    x = np.random.default_rng(8).standard_normal(1003).astype(np.float32) + 0.5
    out = np.empty(-(-1003 // 80))
    pitch._frame_levels(x, 80, out)
    for i, v in enumerate(out):
        seg = x[i * 80:(i + 1) * 80].astype(np.float64)
        assert v == pytest.approx(10 * np.log10(np.var(seg) + 1e-20), abs=1e-3)


# ------------------------------------------------------------------ benchmark scorers


def test_scores_count_what_they_say():
    from benchmarks.pitch_truth import score_f0

    truth = np.array([0, 0, 100, 100, 100, 100, 200, 200, 0, 0, np.nan, 0], float)
    est = np.array([np.nan, 150, 100, 210, 50, 101, np.nan, 200, np.nan, np.nan, 90, np.nan])
    s = score_f0(est, truth, max_shift=0)
    assert s.n_frames == 11  # the NaN reference frame is left out
    assert s.n_voiced_both == 5  # frames 2, 3, 4, 5, 7
    assert s.n_gross == 2  # 210 vs 100, 50 vs 100
    assert s.n_voicing_errors == 2  # frame 1 (false voiced), frame 6 (missed)
    assert s.gpe == pytest.approx(2 / 5) and s.vde == pytest.approx(2 / 11)
    assert s.ffe == pytest.approx(4 / 11)


def test_scores_find_the_alignment():
    from benchmarks.pitch_truth import score_f0

    rng = np.random.default_rng(0)
    truth = np.where(rng.random(300) < 0.5, 0.0, rng.uniform(80, 300, 300))
    est = np.full(300, np.nan)
    est[2:] = np.where(truth[:-2] > 0, truth[:-2], np.nan)  # estimate late by 2 frames
    s = score_f0(est, truth, max_shift=3)
    assert s.shift == 2 and s.ffe == 0.0
    assert score_f0(est, truth, max_shift=1).ffe > 0.1


def test_keele_reader(tmp_path):
    from benchmarks.pitch_truth import read_keele_pev

    path = tmp_path / "x.pev"
    path.write_text("LHD : V1\nSAM : 100\nLBD : \n0 \n200 \n-1 \n100 \nELF:\n")
    f0 = read_keele_pev(path)
    assert f0[0] == 0 and f0[1] == 100.0 and np.isnan(f0[2]) and f0[3] == 200.0
    assert f0.shape == (4,)


def test_degradations_are_deterministic_and_do_what_they_say():
    from benchmarks.pitch_truth import add_white_noise, telephone

    sr = 8000
    x = harmonics(100.0, {k: 1.0 / k for k in range(1, 30)}, sr, 1.0)
    y1, y2 = telephone(x, sr), telephone(x, sr)
    assert np.array_equal(y1, y2)
    freqs = np.fft.rfftfreq(len(x) - 2000, 1 / sr)
    low = (freqs > 90) & (freqs < 110)
    mid = (freqs > 900) & (freqs < 1100)

    def low_to_mid_db(sig):
        spec = np.abs(np.fft.rfft(sig[2000:])) ** 2
        return 10 * np.log10(spec[low].sum() / spec[mid].sum())

    # 100 Hz loses at least 30 dB relative to 1 kHz (4th-order band edge at 300 Hz)
    assert low_to_mid_db(y1) < low_to_mid_db(x) - 30.0
    assert np.max(np.abs(y1)) == pytest.approx(10 ** (-6 / 20), rel=0.05)
    n1, n2 = add_white_noise(x, 10.0, seed=3), add_white_noise(x, 10.0, seed=3)
    assert np.array_equal(n1, n2)
    noise = n1.astype(np.float64) - x
    snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(noise ** 2))
    assert snr == pytest.approx(10.0, abs=0.2)
