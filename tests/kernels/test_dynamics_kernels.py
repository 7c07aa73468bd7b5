"""Kernels of the dynamics stage against plain-NumPy references, and their physics.

Steadiness (hold music and tones), sample checks (digital silence, clipping) and
the leak-cancelling filter.
"""

import numpy as np
import pytest

from callscan.kernels import quality, steadiness
from callscan.kernels.crosstalk import lagged_products, leak_filter, leak_residual, leak_window
from tests import reference as ref
from tests.support import speechlike

SR = 8000


def _spectra():
    rng = np.random.default_rng(7)
    yield np.zeros((0, 5), np.float32)
    yield np.zeros((1, 5), np.float32)
    yield np.zeros((4, 9), np.float32)
    for n, m in ((1, 1), (2, 3), (17, 8), (200, 101)):
        s = np.abs(rng.standard_normal((n, m))).astype(np.float32)
        s[rng.random(n) < 0.2] = 0.0  # silent frames
        yield s


@pytest.mark.parametrize("lag", [1, 3])
def test_stability_matches_reference(lag):
    for spec in _spectra():
        got = np.empty(len(spec))
        steadiness._stability(spec, lag, got)
        np.testing.assert_allclose(got, ref.stability(spec, lag), atol=1e-6)


@pytest.mark.parametrize("width", [0, 1, 2])
def test_purity_matches_reference(width):
    for spec in _spectra():
        got = np.empty(len(spec))
        steadiness._purity(spec, np.arange(len(spec)), width, got)
        np.testing.assert_allclose(got, ref.purity(spec, width), atol=1e-6)


@pytest.mark.parametrize("half", [0, 1, 25])
def test_dips_and_windowed_shares_match_reference(half):
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 50, 700):
        level = rng.normal(-40, 8, n).astype(np.float32)
        level[rng.random(n) < 0.05] = -np.inf
        assert np.array_equal(steadiness.dips(level, half, 10.0), ref.dips(level, half, 10.0))
        flag, active = rng.random(n) < 0.5, np.repeat(rng.random(n // 7 + 1) < 0.6, 7)[:n]
        shares = ref.windowed_share(flag, active, half)
        for share in (0.0, 0.1, 0.2, 0.5, 0.8, 1.0):
            assert np.array_equal(steadiness.share_reaches(flag, active, half, share), shares >= share)
            assert np.array_equal(steadiness.share_reaches(flag, active, half, share, at_most=True), shares <= share)



def test_steadiness_of_wanted_frames_only_is_exact():
    """With ``frames``, the wanted frames get bit for bit the values of a full run, the rest 0."""
    rng = np.random.default_rng(5)
    t = np.arange(2 * SR) / SR
    tone = 0.3 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t))
    for x in (tone, rng.standard_normal(1201) * 0.1, np.zeros(400), np.r_[np.zeros(500), tone[:900]]):
        x = x.astype(np.float32)
        full = steadiness.steadiness(x, 80, 256, 3, 8, 110, 1, block=7)
        n = len(full[0])
        for share in (0.0, 0.1, 0.5, 1.0):
            want = np.repeat(rng.random(n // 4 + 1) < share, 4)[:n]
            for block in (7, 4096):
                got = steadiness.steadiness(x, 80, 256, 3, 8, 110, 1, block=block, frames=want)
                for a, b in zip(full, got):
                    assert np.array_equal(a[want].view(np.uint32), b[want].view(np.uint32))
                    assert not b[~want].any()


def test_stability_at_matches_reference():
    rng = np.random.default_rng(9)
    for spec in _spectra():
        n = len(spec)
        targets = np.flatnonzero(rng.random(n) < 0.5)
        got = np.empty(targets.size)
        steadiness._stability_at(spec, np.arange(n), targets, 2, n, got)
        np.testing.assert_allclose(got, ref.stability(spec, 2)[targets], atol=1e-6)



def test_short_active_runs_need_no_spectra():
    """``callscan.frames.passes.hold_wanted`` leaves out the spectra of active runs shorter than both minimum
    durations: ``steady_sound`` gives the same hold without them."""
    from callscan.kernels.runs import drop_short

    hop_s = 0.01
    kw = dict(stable_min=0.9, pure_min=0.99, window_s=2.0, steady_share=0.8, tone_share=0.2,
              dip_window_s=0.5, dip_db=10.0, max_dip_share=0.1, music_min_s=1.0, tone_min_s=0.3)
    t = np.arange(SR) / SR
    tone = 0.3 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t))
    pieces = [np.zeros(800)]
    for seconds in (0.12, 0.29, 0.31, 0.5, 0.2, 1.0):  # bursts either side of tone_min_s
        pieces += [tone[: int(seconds * SR)], np.zeros(1200)]
    x = np.concatenate(pieces).astype(np.float32)
    level = np.array([20 * np.log10(np.sqrt(np.mean(x[i * 80 : i * 80 + 80] ** 2)) + 1e-9) for i in range(len(x) // 80)])
    active = level > -40
    full = steadiness.steadiness(x, 80, 256, 3, 8, 110, 1)
    wanted = drop_short(active, min(round(kw["music_min_s"] / hop_s), round(kw["tone_min_s"] / hop_s)))
    assert wanted.sum() < active.sum()
    part = steadiness.steadiness(x, 80, 256, 3, 8, 110, 1, frames=wanted)
    n = len(active)
    want = steadiness.steady_sound(full[0][:n], full[1][:n], level, active, hop_s, **kw)
    got = steadiness.steady_sound(part[0][:n], part[1][:n], level, active, hop_s, **kw)
    assert want.any() and np.array_equal(got, want)


def test_sample_checks_match_reference():
    rng = np.random.default_rng(11)
    for n in (0, 1, 5, 1000):
        x = np.where(rng.random(n) < 0.3, 0.0, rng.uniform(-1, 1, n)).astype(np.float32)
        x[rng.random(n) < 0.1] = 1.0
        for k in (1, 2, 3):
            s, e = quality.zero_runs(x, k)
            rs, re_ = ref.zero_runs(x, k)
            assert np.array_equal(s, rs) and np.array_equal(e, re_)
            assert quality.clipped_count(x, 0.999, k) == ref.clipped_count(x, 0.999, k)


def _frames(x):
    return steadiness.steadiness(x, 80, 256, 3, 8, 110, 1)


def test_tones_and_music_are_steady_speech_is_not():
    t = np.arange(3 * SR) / SR
    ringback = 0.3 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t))
    stab, pure = _frames(ringback.astype(np.float32))
    assert np.median(stab[5:-5]) > 0.99 and np.median(pure[5:-5]) > 0.99
    chord = sum(np.sin(2 * np.pi * f * k * t) / k for f in (262, 330, 392) for k in range(1, 6))
    stab, pure = _frames((0.05 * chord).astype(np.float32))
    assert np.median(stab[5:-5]) > 0.95 and np.median(pure[5:-5]) < 0.9  # steady, but no pure tone
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(3 * SR).astype(np.float32)
    stab, _ = _frames(noise)
    assert np.median(stab) < 0.9  # random spectra do not repeat


def test_steady_sound_takes_held_tune_not_syllables():
    hop_s = 0.01
    kw = dict(stable_min=0.9, pure_min=0.99, window_s=2.0, steady_share=0.8, tone_share=0.2,
              dip_window_s=0.5, dip_db=10.0, max_dip_share=0.1, music_min_s=1.0, tone_min_s=0.3)
    n = 500
    active = np.zeros(n, bool)
    active[50:450] = True
    level = np.full(n, -30.0)
    steady = np.full(n, 0.97)
    got = steadiness.steady_sound(steady, np.zeros(n), level, active, hop_s, **kw)
    assert got[50:450].all() and not got[:50].any()
    # The same spectra with syllabic dips (4 per second, 12 dB deep) are speech.
    syllabic = level - 12.0 * (np.arange(n) % 25 < 8)
    assert not steadiness.steady_sound(steady, np.zeros(n), syllabic, active, hop_s, **kw).any()
    # A steady stretch under music_min_s is a held vowel, not hold.
    short = np.zeros(n, bool)
    short[100:170] = True
    assert not steadiness.steady_sound(steady, np.zeros(n), level, short, hop_s, **kw).any()


def test_speechlike_signal_is_not_hold():
    x = speechlike(SR, 4.0, 180, 1)
    from callscan.kernels.energy import frame_energy_db

    stab, pure = _frames(x)
    level = frame_energy_db(x, 80, 200)
    active = level > -60
    kw = dict(stable_min=0.9, pure_min=0.99, window_s=2.0, steady_share=0.8, tone_share=0.2,
              dip_window_s=0.5, dip_db=10.0, max_dip_share=0.1, music_min_s=1.0, tone_min_s=0.3)
    assert not steadiness.steady_sound(stab, pure, level, active, 0.01, **kw).any()


def test_leak_filter_finds_the_path_of_a_broadband_source():
    rng = np.random.default_rng(4)
    b = rng.standard_normal(4 * SR) * np.repeat(rng.random(40) < 0.6, SR // 10)
    a = np.zeros_like(b)
    a[20:] = 0.1 * b[:-20] - 0.05 * b[1:-19]  # 2.5 ms, two taps
    h, erle = leak_filter(a, b, np.ones_like(a), 64)
    np.testing.assert_allclose(h[[19, 20]], [-0.05, 0.1], atol=1e-3)
    assert np.abs(np.delete(h, [19, 20])).max() < 1e-3 and erle > 40.0
    h, erle = leak_filter(a, b, np.zeros_like(a), 64)  # nothing to fit on
    assert not h.any() and erle == 0.0


def test_leak_filter_cancels_a_delayed_attenuated_copy():
    rng = np.random.default_rng(5)
    b = speechlike(SR, 6.0, 120, 2).astype(np.float64)
    own = np.zeros_like(b)
    own[SR : 2 * SR] = 0.05 * rng.standard_normal(SR)  # the destination's own talk
    delay, gain = 32, 10 ** (-25 / 20)  # 4 ms, -25 dB
    a = own + 1e-5 * rng.standard_normal(b.size)
    a[delay:] += gain * b[:-delay]
    weight = np.ones_like(a)
    weight[SR : 2 * SR] = 0.0  # fit where only the leak is there
    h, erle = leak_filter(a, b, weight, 128)
    # A harmonic source leaves the taps ambiguous (any filter matching at the
    # harmonics will do); what counts is that the leak cancels.
    assert erle > 25.0
    resid = leak_residual(a, b, h)
    leak_rms = np.sqrt(np.mean((gain * b[3 * SR :]) ** 2))
    assert np.sqrt(np.mean(resid[3 * SR :] ** 2)) < 0.05 * leak_rms  # >= 26 dB down
    # The destination's own talk is untouched (to within the leak's remnant).
    own_rms = np.sqrt(np.mean(own[SR : 2 * SR] ** 2))
    err = resid[SR : 2 * SR] - own[SR : 2 * SR]
    assert np.sqrt(np.mean(err**2)) < 0.02 * own_rms


def test_input_checks():
    with pytest.raises(ValueError):
        steadiness.steadiness(np.zeros(100, np.float32), 80, 256, 0, 8, 110, 1)
    with pytest.raises(ValueError):
        steadiness.share_reaches(np.zeros(3, bool), np.zeros(4, bool), 1, 0.5)


def test_leak_residual_with_a_delay_matches_the_direct_sum():
    rng = np.random.default_rng(6)
    for m, pre, delay, taps in ((3000, 0, 0, 16), (3000, 500, 300, 64), (3000, 100, 300, 64), (2000, 4000, 100, 20)):
        a, b, h = rng.standard_normal(m), rng.standard_normal(m + pre), rng.standard_normal(taps)
        want = a.copy()
        for k in range(taps):  # b before its first sample is zero
            idx = np.arange(m) + pre - delay - k
            ok = (idx >= 0) & (idx < b.size)
            want[ok] -= h[k] * b[idx[ok]]
        np.testing.assert_allclose(leak_residual(a, b, h, delay), want, atol=1e-10)


def test_lagged_products_match_the_direct_sum():
    rng = np.random.default_rng(7)
    for m, taps in ((1000, 5), (9000, 300), (5, 3)):
        x = rng.standard_normal(m)
        x[m // 10 : m // 2] = 0.0  # chunks of zeros are skipped
        y_ext = rng.standard_normal(m + taps - 1)
        want = [np.dot(x, y_ext[taps - 1 - k : taps - 1 - k + m]) for k in range(taps)]
        np.testing.assert_allclose(lagged_products(x, y_ext, taps), want, atol=1e-9)


def test_leak_window_finds_the_delay_of_a_broadband_path():
    rng = np.random.default_rng(8)
    b = rng.standard_normal(4 * SR)
    a = np.zeros_like(b)
    a[250:] = 0.1 * b[:-250] + 0.03 * b[3:-247]  # taps at 250 and 247 samples
    lo, span, taps = 200, 160, 32
    w = np.ones_like(a)
    r = lagged_products(a * w, np.concatenate((np.zeros(lo + span - 1), b))[: a.size + span - 1], span)
    acf = lagged_products(b * w, np.concatenate((np.zeros(taps - 1), b * w)), taps)
    start, h = leak_window(r, acf, taps, 1)
    assert lo + start <= 247 and lo + start + taps > 250
    assert lo + start + int(np.argmax(np.abs(h))) == 250


def test_sliding_gram_is_the_normal_matrix_of_the_sliding_windows():
    from callscan.kernels.crosstalk import sliding_gram

    rng = np.random.default_rng(5)
    for m, taps in ((400, 1), (400, 17), (130, 128), (128, 128)):
        s = rng.standard_normal(m)
        x = np.lib.stride_tricks.sliding_window_view(s, taps)[:, ::-1]  # x[i, j] = s[i + taps - 1 - j]
        g = sliding_gram(s, taps)
        assert g.shape == (taps, taps)
        assert np.allclose(g, x.T @ x, rtol=1e-12, atol=1e-12 * m)


def test_spd_solve_solves_and_refuses_what_is_not_positive_definite():
    from callscan.kernels.crosstalk import spd_solve

    rng = np.random.default_rng(6)
    q = rng.standard_normal((40, 40))
    a = q @ q.T + 1e-3 * np.eye(40)
    b = rng.standard_normal(40)
    assert np.allclose(a @ spd_solve(a, b), b, atol=1e-9)
    assert np.array_equal(a, a.T)  # the input is left as it was
    with pytest.raises(np.linalg.LinAlgError):
        spd_solve(-a, b)
