import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "fixtures" / "calls"


@pytest.fixture
def corpus():
    """The shared corpus folder; skips the test where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def speechlike(sr, seconds, f0=120.0, seed=0):
    """A voiced harmonic signal in syllables, over a faint noise floor (float32, peak ~0.3)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 15) if k * f0 < sr / 2)
    env = np.sin(2 * np.pi * 2.0 * t) ** 2  # 4 syllables a second, dipping between them
    return (0.1 * x * env + 1e-4 * rng.standard_normal(t.size)).astype(np.float32)
