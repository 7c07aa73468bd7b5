"""Helpers shared by the tests: where things are, and small calls made on the fly."""

import pathlib

import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "fixtures" / "calls"


def speechlike(sr, seconds, f0=120.0, seed=0):
    """A voiced harmonic signal in syllables, over a faint noise floor (float32, peak ~0.3)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 15) if k * f0 < sr / 2)
    env = np.sin(2 * np.pi * 2.0 * t) ** 2  # 4 syllables a second, dipping between them
    return (0.1 * x * env + 1e-4 * rng.standard_normal(t.size)).astype(np.float32)


def write_call(path, seconds=3.0, seed=0, mono=False):
    """A short call cut from the demo fixture (real speech, both parties)."""
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="int16")
    start = int((2.0 + 1.3 * (seed % 20)) * sr)
    part = x[start:start + int(seconds * sr)]
    sf.write(path, part[:, :1] if mono else part, sr, subtype="PCM_16")
    return str(path)


def good_calls(folder, n):
    """``n`` short calls of different lengths in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_call(folder / f"call_{i:02d}.wav", seconds=3.0 + 0.25 * i, seed=i) for i in range(n)]


def cut(path, seconds=3.0, offset_s=2.0):
    """A short call cut from the demo fixture."""
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="int16")
    sf.write(path, x[int(offset_s * sr):int((offset_s + seconds) * sr)], sr, subtype="PCM_16")
    return str(path)
