"""The speech-band high-pass: its gain at and around the cutoff, measured on sines."""

import numpy as np
import pytest

from callscan.kernels.highpass import highpass


def gain_db(freq, sr, cutoff):
    t = np.arange(2 * sr) / sr
    x = np.sin(2 * np.pi * freq * t).astype(np.float32)
    y = highpass(x, sr, cutoff)[sr:]  # the second second: past the start-up
    return 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2)) / np.sqrt(0.5))


@pytest.mark.parametrize("sr", [8000, 16000])
def test_butterworth_gains(sr):
    assert gain_db(100.0, sr, 100.0) == pytest.approx(-3.01, abs=0.05)
    assert gain_db(50.0, sr, 100.0) == pytest.approx(-24.1, abs=0.3)  # 4th order: 24 dB an octave
    assert gain_db(25.0, sr, 100.0) < -47.0
    for f in (200.0, 300.0, 1000.0, 3000.0):
        assert abs(gain_db(f, sr, 100.0)) < 0.1


def test_start_up_dies_within_40_ms():
    sr = 8000
    x = np.ones(sr, dtype=np.float32)  # a step: DC the filter must take away
    y = highpass(x, sr, 100.0)
    assert np.max(np.abs(y[int(0.04 * sr) :])) < 1e-4


def test_bad_cutoff_is_refused():
    with pytest.raises(ValueError, match="cutoff"):
        highpass(np.zeros(10, np.float32), 8000, 5000.0)


def test_channels_filter_as_one_pass_each():
    import scipy.signal

    from callscan.kernels.highpass import highpass_sections

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 20000)).astype(np.float32)
    y = highpass(x, 8000, 100.0)
    c = highpass_sections(8000, 100.0)
    want = scipy.signal.sosfilt(np.c_[c[:, :3], np.ones(2), c[:, 3:]], x.astype(np.float64), axis=1)
    assert np.max(np.abs(y - want)) < 1e-5
    assert np.array_equal(highpass(x[1], 8000, 100.0), y[1])


def test_bandpass_is_the_butterworth_high_pass_then_low_pass():
    """``bandpass`` equals scipy's 4th-order Butterworth high-pass and low-pass in series, and is
    -3 dB at both edges, flat between them, at 8 and 16 kHz."""
    import scipy.signal

    from callscan.kernels.highpass import bandpass

    rng = np.random.default_rng(7)
    for sr in (8000, 16000):
        x = rng.standard_normal((2, sr)).astype(np.float32)
        sos = np.vstack([scipy.signal.butter(4, 300, "highpass", fs=sr, output="sos"),
                         scipy.signal.butter(4, 1200, "lowpass", fs=sr, output="sos")])
        ref = scipy.signal.sosfilt(sos, x.astype(np.float64), axis=1)
        assert np.max(np.abs(bandpass(x, sr, 300.0, 1200.0) - ref)) < 1e-5
        t = np.arange(sr) / sr
        for f, want_db in ((300.0, -3.0), (1200.0, -3.0), (600.0, 0.0)):
            tone = np.sin(2 * np.pi * f * t).astype(np.float32)[None, :]
            y = bandpass(tone, sr, 300.0, 1200.0)[0, sr // 2 :]
            got = 10 * np.log10(np.mean(y.astype(np.float64) ** 2) / 0.5)
            assert abs(got - want_db) < 0.2, (sr, f, got)
