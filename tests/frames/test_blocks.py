"""Block-wise passes (``callscan.audio.blocks``, ``callscan.frames.passes``): the frames of a call do not
depend on where its blocks are cut, and what carries state from block to block (runs of
zeros or clipped samples, the pitch path, the leak filter's sums) gives what the whole
signal gives."""

import numpy as np
import pytest
import soundfile as sf

import callscan.audio.blocks as stream
import callscan.frames.passes as features
from callscan.analyze import analyze_call, open_call
from callscan.audio.blocks import FileSource, MemorySource
from callscan.audio.decoding import decode
from callscan.kernels.pitch import track_f0
from callscan.kernels.quality import RunTracker, clipped_count, zero_runs
from callscan.params import Params
from tests.support import FIXTURES

ARRAYS = ("energy_db", "floor_db", "speech", "hold", "band_power", "alpha_db", "hammarberg_db", "f0_hz", "voiced")


def frames_with_block(monkeypatch, source_fn, block):
    monkeypatch.setattr(stream, "BLOCK_FRAMES", block)
    return features.frame_features(source_fn(), Params())


def assert_same_frames(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert a.leak_db == b.leak_db
    assert a.digital_silence == b.digital_silence
    assert a.clipped_share == b.clipped_share


# crosstalk_levels carries a leak (the filter passes), hold_mute music on hold (a second
# pitch pass), noisy_ulaw a µ-law channel.
@pytest.mark.parametrize("name", ["crosstalk_levels.wav", "hold_mute.flac", "noisy_ulaw.wav"])
def test_frames_do_not_depend_on_the_block_length(monkeypatch, name):
    path = str(FIXTURES / name)
    whole = frames_with_block(monkeypatch, lambda: open_call(path), 1 << 40)
    for block in (37, 500):
        assert_same_frames(frames_with_block(monkeypatch, lambda: open_call(path), block), whole)


def test_file_and_memory_sources_agree(monkeypatch):
    path = str(FIXTURES / "hold_mute.flac")
    assert isinstance(open_call(path), FileSource)
    by_file = frames_with_block(monkeypatch, lambda: open_call(path), 300)
    in_memory = frames_with_block(monkeypatch, lambda: MemorySource(decode(path)), 1 << 40)
    assert_same_frames(by_file, in_memory)


def test_pitch_path_matches_the_whole_signal_tracker(monkeypatch):
    path = str(FIXTURES / "demo_call.wav")
    frames = frames_with_block(monkeypatch, lambda: open_call(path), 64)
    audio = decode(path)
    hop = 80
    for ch in range(2):
        f0, voiced = track_f0(audio.samples[ch], 8000, hop, gate=frames.speech[ch])
        assert np.array_equal(voiced, frames.voiced[ch])
        assert np.array_equal(f0, frames.f0_hz[ch], equal_nan=True)


def test_a_long_run_without_a_gap_is_cut(monkeypatch):
    """With every frame gated, the path waits for no gap: it is cut after MAX_RUN_FRAMES
    and still voices the signal (a tone here)."""
    path = str(FIXTURES / "demo_call.wav")
    monkeypatch.setattr(features, "MAX_RUN_FRAMES", 50)
    monkeypatch.setattr(stream, "BLOCK_FRAMES", 64)
    params = Params(pitch=Params().pitch.__class__(gate=False))
    cut = features.frame_features(open_call(path), params)
    monkeypatch.setattr(features, "MAX_RUN_FRAMES", 1 << 40)
    whole = features.frame_features(open_call(path), params)
    # Cuts move the path only next to them: nearly every frame agrees.
    assert np.mean(cut.voiced == whole.voiced) > 0.99


@pytest.mark.parametrize("seed", range(6))
def test_runs_across_blocks_are_those_of_the_whole_signal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 3000))
    x = rng.uniform(-1, 1, n).astype(np.float32)
    for _ in range(int(rng.integers(0, 8))):  # zeros and flat tops, some long
        a = int(rng.integers(0, n))
        x[a : a + int(rng.integers(1, 400))] = rng.choice([0.0, 1.0, -1.0])
    cuts = np.sort(rng.integers(0, n, int(rng.integers(0, 12))))
    pieces = np.split(x, cuts)
    for min_len in (1, 3, 40):
        zeros = RunTracker(min_len)
        clips = RunTracker(min_len, 0.99)
        for piece in pieces:
            zeros.add(piece)
            clips.add(piece)
        zeros.finish()
        starts, ends = zero_runs(x, min_len)
        assert zeros.starts == starts.tolist() and zeros.ends == ends.tolist()
        assert clips.finish().count == clipped_count(x, 0.99, min_len)


def test_dc_offset_and_same_signal_are_decided_after_the_first_pass(tmp_path):
    x, sr = sf.read(str(FIXTURES / "demo_call.wav"), dtype="float32")
    offset = x.copy()
    offset[:, 0] += 0.01
    sf.write(str(tmp_path / "dc.wav"), offset, sr, subtype="PCM_16")
    same = np.stack([x[:, 1] + 0.02, x[:, 1] + 0.02], axis=1)
    sf.write(str(tmp_path / "same.wav"), same, sr, subtype="PCM_16")
    for name in ("dc.wav", "same.wav"):
        path = str(tmp_path / name)
        by_file = analyze_call(path)
        in_memory = analyze_call(sf.read(path, dtype="int16", always_2d=True)[0].T, sample_rate=sr)
        assert {k: v for k, v in by_file.items() if k not in ("path", "call_id", "codec")} == {
            k: v for k, v in in_memory.items() if k not in ("path", "call_id", "codec")
        }
    dc = analyze_call(str(tmp_path / "dc.wav"))
    assert any("DC offset" in w for w in dc["warnings"])
    same = analyze_call(str(tmp_path / "same.wav"))
    assert same["mode"] == "mono" and same["channels"] == 1
    assert any("same signal" in w for w in same["warnings"])


@pytest.mark.parametrize("hop, win", [(80, 200), (160, 400), (80, 256), (10, 25), (81, 200)])
def test_frame_levels_match_the_separate_kernels(hop, win):
    from callscan.kernels.energy import frame_energy_db, frame_levels

    rng = np.random.default_rng(hop + win)
    x = (rng.standard_normal(5003) * 0.1).astype(np.float32)
    x[1000:1700] = 0.0
    nf = -(-x.size // hop)
    energy = frame_energy_db(x, hop, win)
    half = np.full(2 * nf, -np.inf, dtype=np.float32)
    levels = frame_energy_db(x, hop // 2, hop // 2)[: 2 * nf]
    half[: levels.size] = levels
    for first, last in ((0, nf), (3, 17), (nf - 5, nf)):
        e, h = frame_levels(x, hop, win, first, last)
        np.testing.assert_allclose(e, energy[first:last], rtol=0, atol=1e-4)
        np.testing.assert_allclose(h, half[2 * first : 2 * last], rtol=0, atol=1e-4)
        assert np.array_equal(np.isinf(e), np.isinf(energy[first:last]))


def test_block_stats():
    from callscan.kernels.quality import block_stats

    rng = np.random.default_rng(5)
    x = np.where(rng.random((2, 1000)) < 0.2, 0.0, rng.uniform(-1, 1, (2, 1000))).astype(np.float32)
    peak, count, total = np.zeros(2, np.float32), np.zeros(2, np.int64), np.zeros(2)
    diff = block_stats(x, 100, 900, peak, count, total)
    part = x[:, 100:900]
    assert np.array_equal(peak, np.max(np.abs(part), axis=1)) and np.array_equal(count, np.count_nonzero(part, axis=1))
    np.testing.assert_allclose(total, np.sum(part, axis=1, dtype=np.float64), rtol=0, atol=1e-9)
    assert diff == np.max(np.abs(part[0] - part[1]))
    assert block_stats(x[:1], 0, 1000, peak[:1], count[:1], total[:1]) == 0.0
    assert block_stats(x, 5, 5, peak, count, total) == 0.0


def test_deinterleave_int16():
    from callscan.kernels.energy import deinterleave_int16

    rng = np.random.default_rng(2)
    data = rng.integers(-32768, 32768, (1001, 2)).astype(np.int16)
    for frames, keep in ((data, [0, 1]), (data, [1]), (data, [0]), (data, [1, 0]), (data[:, :1].copy(), [0])):
        out = np.empty((len(keep), frames.shape[0] + 3), dtype=np.float32)[:, 2:-1]  # rows of a buffer
        deinterleave_int16(frames, np.array(keep, dtype=np.int64), out)
        assert np.array_equal(out, frames[:, keep].T.astype(np.float32) * np.float32(1 / 32768))


def test_subtract_offset_leaves_zeros():
    from callscan.kernels.energy import subtract_offset

    rng = np.random.default_rng(3)
    x = np.where(rng.random(1000) < 0.3, 0.0, rng.uniform(-1, 1, 1000)).astype(np.float32)
    expected = x.copy()
    expected[expected != 0] -= np.float32(0.01)
    subtract_offset(x, 0.01)
    assert np.array_equal(x, expected)


def test_frame_counts_from_runs_match_a_running_sum():
    from callscan.measures.rate import FrameCounts

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 200))
        mask = rng.random(n) < rng.random()
        counts, running = FrameCounts(mask), np.concatenate(([0], np.cumsum(mask)))
        for _ in range(10):
            a = int(rng.integers(0, n + 1))
            b = int(rng.integers(a, n + 1))
            assert counts.between(a, b) == running[b] - running[a]
