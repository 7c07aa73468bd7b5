import pytest

from tests.support import CORPUS


@pytest.fixture
def corpus():
    """The shared corpus folder; skips the test where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS
