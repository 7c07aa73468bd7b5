"""Kernels of speech rate and spectral tilt against their plain-NumPy references and known signals.

These also run with ``NUMBA_DISABLE_JIT=1`` (``test_rate_nojit`` in tests/measures/test_rate.py).
"""

import numpy as np
import pytest

from callscan.kernels.nuclei import intensity_contour, syllable_nuclei
from callscan.kernels.spectral import band_bins, fft_size, spectral_features
from tests import reference as ref

BANDS = dict(nuclei_band_hz=(300.0, 3400.0), alpha_bands_hz=(300.0, 1000.0, 3400.0),
             hammarberg_bands_hz=(300.0, 2000.0, 3400.0))


def _spectral(x, sr, hop, gate, win_s=0.032):
    return spectral_features(x, sr, hop, gate, win_s=win_s, **BANDS)


@pytest.mark.parametrize("sr,n", [(8000, 8000), (8000, 1237), (16000, 4001), (8000, 80), (8000, 1)])
def test_spectral_matches_reference(sr, n):
    rng = np.random.default_rng(n)
    x = (0.1 * rng.standard_normal(n)).astype(np.float32)
    hop = sr // 100
    nf = (n + hop - 1) // hop
    gate = rng.random(nf) < 0.6
    gate[0] = True
    got = _spectral(x, sr, hop, gate)
    want = ref.spectral_features(x, sr, hop, gate, 0.032, **BANDS)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-9)
    for g, w in zip(got[1:], want[1:]):
        assert np.array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_allclose(g[~np.isnan(g)], w[~np.isnan(w)], atol=1e-3)
    assert np.all(got[0][~gate] == 0) and np.all(np.isnan(got[1][~gate]))


def test_spectral_silence_and_empty_gate():
    x = np.zeros(4000, dtype=np.float32)
    gate = np.ones(50, dtype=bool)
    band, alpha, hamm = _spectral(x, 8000, 80, gate)
    assert np.all(band == 0) and np.all(np.isnan(alpha)) and np.all(np.isnan(hamm))
    band, alpha, hamm = _spectral(x, 8000, 80, np.zeros(50, dtype=bool))
    assert band.shape == (50,) and np.all(np.isnan(alpha))


def test_spectral_known_values():
    sr = 8000
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(sr * 2).astype(np.float32)
    gate = np.ones(200, dtype=bool)
    _, alpha, _ = _spectral(noise, sr, 80, gate)
    # white noise: power in proportion to bandwidth, 2400 Hz over 700 Hz
    assert abs(np.median(alpha[5:-5]) - 10 * np.log10(2400 / 700)) < 0.5
    t = np.arange(sr * 2) / sr
    for f, sign in ((500.0, 1), (2500.0, -1)):
        tone = np.sin(2 * np.pi * f * t).astype(np.float32) + 1e-3 * noise
        _, _, hamm = _spectral(tone, sr, 80, gate)
        assert sign * np.median(hamm[5:-5]) > 20  # the tone's side of 2 kHz dominates


def test_spectral_scale_invariant_ratios():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(8000).astype(np.float32)
    gate = np.ones(100, dtype=bool)
    a = _spectral(x, 8000, 80, gate)
    b = _spectral(x * np.float32(0.01), 8000, 80, gate)
    np.testing.assert_allclose(a[1], b[1], atol=1e-3)
    np.testing.assert_allclose(a[2], b[2], atol=1e-3)
    np.testing.assert_allclose(b[0], a[0] * 1e-4, rtol=1e-3)


def test_spectral_rejects_bad_input():
    with pytest.raises(ValueError):
        spectral_features(np.zeros((2, 100), np.float32), 8000, 80, np.ones(2, bool))
    with pytest.raises(ValueError):
        spectral_features(np.zeros(800, np.float32), 8000, 80, np.ones(3, bool))
    with pytest.raises(ValueError):
        spectral_features(np.zeros(800, np.float32), 8000, 80, np.ones(10, bool), nuclei_band_hz=(300.0, 5000.0))


def test_band_bins():
    nfft = fft_size(256)
    assert nfft == 256 and fft_size(200) == 256 and fft_size(257) == 512
    lo, hi = band_bins((300.0, 1000.0), 8000, 256)
    freqs = np.arange(129) * 8000 / 256
    assert np.array_equal(np.flatnonzero((freqs >= 300) & (freqs < 1000)), np.arange(lo, hi))


def _random_case(seed, n=400):
    rng = np.random.default_rng(seed)
    bp = np.exp(rng.normal(0, 2, n)) * (rng.random(n) < 0.95)
    speech = rng.random(n) < 0.85
    speech[rng.integers(0, n, 6)] = False
    voiced = rng.random(n) < 0.6
    return bp, speech, voiced


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("smooth,dip,reach", [(0.0, 2.0, 0), (1.0, 3.0, 2), (2.5, 1.0, 1)])
def test_nuclei_match_reference(seed, smooth, dip, reach):
    bp, speech, voiced = _random_case(seed)
    got, _, _ = syllable_nuclei(bp, speech, voiced, smooth=smooth, silence_db=35.0, min_dip_db=dip, reach=reach)
    want = ref.syllable_nuclei(bp, speech, voiced, smooth, 35.0, dip, reach)
    assert np.array_equal(got, want)


def test_nuclei_edge_input():
    for n in (0, 1, 2, 7):
        got, c, thr = syllable_nuclei(np.ones(n), np.ones(n, bool), np.ones(n, bool),
                                      smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=0)
        assert got.shape == (n,) and got.sum() == (1 if n else 0)
    got, c, thr = syllable_nuclei(np.zeros(10), np.ones(10, bool), np.ones(10, bool),
                                  smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=0)
    assert not got.any() and np.isnan(thr)
    got, _, _ = syllable_nuclei(np.ones(10), np.zeros(10, bool), np.ones(10, bool),
                                smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=0)
    assert not got.any()
    with pytest.raises(ValueError):
        syllable_nuclei(np.ones(10), np.ones(9, bool), np.ones(10, bool), smooth=1.0, silence_db=35.0,
                        min_dip_db=2.0, reach=0)


def test_nuclei_stand_out_from_both_dips():
    bp, speech, voiced = _random_case(11, 2000)
    got, c, _ = syllable_nuclei(bp, speech, np.ones_like(voiced), smooth=1.5, silence_db=35.0, min_dip_db=2.5, reach=0)
    peaks = np.flatnonzero(got)
    assert peaks.size > 10
    for a, b in zip(peaks[:-1], peaks[1:]):
        if speech[a:b + 1].all():
            assert min(c[a], c[b]) - c[a:b + 1].min() >= 2.5 - 1e-9


def test_nuclei_count_syllable_train():
    # 4 Hz loudness modulation with 12 dB dips: one nucleus per cycle; no dips: one per run
    hop_s = 0.01
    t = np.arange(500) * hop_s
    bp = 10 ** ((-6 - 6 * np.cos(2 * np.pi * 4 * t)) / 10)  # troughs at both ends
    speech = np.ones(500, bool)
    got, _, _ = syllable_nuclei(bp, speech, speech, smooth=1.0, silence_db=35.0, min_dip_db=3.0, reach=0)
    assert got.sum() == 20
    shallow = 10 ** ((1.0 * np.cos(2 * np.pi * 4 * t)) / 10)
    got, _, _ = syllable_nuclei(shallow, speech, speech, smooth=1.0, silence_db=35.0, min_dip_db=3.0, reach=0)
    assert got.sum() == 1
    # unvoiced peaks do not count
    voiced = np.cos(2 * np.pi * 2 * (t - 0.125)) > 0.5  # every other peak voiced
    got, _, _ = syllable_nuclei(bp, speech, voiced, smooth=1.0, silence_db=35.0, min_dip_db=3.0, reach=0)
    assert got.sum() == 10


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("vowel_alpha_db", [0.0, -4.0])
def test_nuclei_vowel_cue_matches_reference(seed, vowel_alpha_db):
    # the vowel-like cue widens step 5: voiced = tracker voiced, or alpha ratio below the limit
    bp, speech, voiced = _random_case(seed)
    rng = np.random.default_rng(100 + seed)
    alpha = rng.normal(0.0, 6.0, bp.size)
    alpha[rng.random(bp.size) < 0.1] = np.nan  # frames without a spectrum
    got, _, _ = syllable_nuclei(bp, speech, voiced, smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=1,
                                alpha_db=alpha, vowel_alpha_db=vowel_alpha_db)
    with np.errstate(invalid="ignore"):
        widened = voiced | (alpha < vowel_alpha_db)
    want = ref.syllable_nuclei(bp, speech, widened, 1.0, 35.0, 2.0, 1)
    assert np.array_equal(got, want)
    alone, _, _ = syllable_nuclei(bp, speech, voiced, smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=1)
    assert np.array_equal(alone, ref.syllable_nuclei(bp, speech, voiced, 1.0, 35.0, 2.0, 1))
    # the cue only adds candidates; a newly voiced peak can take the place of a lower voiced
    # neighbour in the dip test (step 5), so positions may move, but the count does not fall
    assert got.sum() >= alone.sum()


def test_nuclei_vowel_cue_counts_unvoiced_vowels_not_fricatives():
    # 4 Hz syllable train that the pitch tracker calls unvoiced throughout (hoarse voice):
    # peaks with F1-heavy spectra (alpha -10 dB) count, peaks with noise spectra (+6 dB) do not
    hop_s = 0.01
    t = np.arange(500) * hop_s
    bp = 10 ** ((-6 - 6 * np.cos(2 * np.pi * 4 * t)) / 10)
    speech = np.ones(500, bool)
    unvoiced = np.zeros(500, bool)
    vowel = np.cos(2 * np.pi * 2 * (t - 0.125)) > 0.5  # around every other peak
    alpha = np.where(vowel, -10.0, 6.0)
    kw = dict(smooth=1.0, silence_db=35.0, min_dip_db=3.0, reach=2)
    assert syllable_nuclei(bp, speech, unvoiced, **kw)[0].sum() == 0
    assert syllable_nuclei(bp, speech, unvoiced, alpha_db=alpha, vowel_alpha_db=0.0, **kw)[0].sum() == 10
    assert syllable_nuclei(bp, speech, unvoiced, alpha_db=np.full(500, np.nan), **kw)[0].sum() == 0
    assert syllable_nuclei(bp, speech, speech, alpha_db=np.full(500, 6.0), **kw)[0].sum() == 20
    with pytest.raises(ValueError):
        syllable_nuclei(bp, speech, unvoiced, alpha_db=alpha[:-1], **kw)


def test_nuclei_loud_fricative_does_not_take_the_vowel():
    # /zi/ /zi/ ...: a loud unvoiced fricative peak, a dip 2 dB under the vowel, then the
    # quieter voiced vowel peak, then a deep dip to the next syllable. Voicing is tested
    # before the dips (step 4 before 5), so the fricative never competes and every vowel
    # counts; tested after, the vowel would lose the dip test to the fricative and the
    # fricative the voicing test, leaving no nucleus.
    frames = []
    voiced = []
    for _ in range(8):
        frames += [-30, -20, -10, 0, -3, -5, -6, -5, -4.5, -4, -4.5, -9, -20, -30]  # dB
        voiced += [False] * 7 + [True] * 5 + [False] * 2
    bp = 10 ** (np.array(frames, float) / 10)
    speech = np.ones(bp.size, bool)
    voiced = np.array(voiced)
    got, c, _ = syllable_nuclei(bp, speech, voiced, smooth=0.0, silence_db=35.0, min_dip_db=4.0, reach=0)
    assert got.sum() == 8
    assert np.all(voiced[got])
    assert np.array_equal(got, ref.syllable_nuclei(bp, speech, voiced, 0.0, 35.0, 4.0, 0))


def test_nuclei_gain_invariant():
    bp, speech, voiced = _random_case(5)
    a, _, _ = syllable_nuclei(bp, speech, voiced, smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=1)
    b, _, _ = syllable_nuclei(bp * 1e-5, speech, voiced, smooth=1.0, silence_db=35.0, min_dip_db=2.0, reach=1)
    assert np.array_equal(a, b)


def test_contour_matches_reference_smoothing():
    bp, speech, _ = _random_case(3)
    c = intensity_contour(bp, speech, 2.0)
    s = ref.gauss_smooth(bp, 2.0)
    want = np.where(speech & (s > 0), 10 * np.log10(np.maximum(s, 1e-300)), -np.inf)
    np.testing.assert_allclose(c[speech], want[speech], rtol=1e-9)
    assert np.all(np.isneginf(c[~speech]))


def test_window_percentiles_match_reference():
    from callscan.kernels.windows import window_percentiles

    rng = np.random.default_rng(4)
    values = rng.normal(size=500)
    valid = rng.random(500) < 0.7
    starts = [0, 10, 100, 499, 300, 450, -5]
    ends = [500, 11, 100, 500, 460, 520, 3]
    qs = (10.0, 50.0, 90.0)
    got = window_percentiles(values, valid, starts, ends, qs)
    want = ref.window_percentiles(values, valid, starts, ends, qs)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-12)
    assert np.isnan(got[2]).all()  # empty window
