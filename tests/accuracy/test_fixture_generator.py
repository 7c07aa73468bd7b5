"""The committed fixtures are what the seeded generator makes."""

import json

import numpy as np
import pytest
import soundfile as sf

from fixtures.truth import load_truth
from tests.support import FIXTURES

pytestmark = pytest.mark.corpus


def test_generator_reproduces_committed_fixtures(corpus, tmp_path):
    from fixtures import make_fixtures

    make_fixtures.main(["--corpus", str(corpus), "--out", str(tmp_path)])
    committed = sorted(FIXTURES.glob("*.truth.json"))
    assert committed and sorted(p.name for p in tmp_path.glob("*.truth.json")) == [p.name for p in committed]
    for truth_path in committed:
        # The truth is exact; audio bytes may differ by rounding across library versions.
        assert (tmp_path / truth_path.name).read_bytes() == truth_path.read_bytes(), truth_path.name
        audio = json.loads(truth_path.read_text())["file"]
        a, _ = sf.read(FIXTURES / audio, dtype="int16")
        b, _ = sf.read(tmp_path / audio, dtype="int16")
        assert a.shape == b.shape and np.max(np.abs(a.astype(int) - b)) <= 2, audio


def test_committed_truth_is_self_consistent():
    for truth_path in sorted(FIXTURES.glob("*.truth.json")):
        load_truth(truth_path)  # raises on any inconsistency
