"""The hold check's grid (``callscan.frames.passes.hold_grid``): every lag-th frame of the call."""

import numpy as np

from callscan.frames.passes import hold_grid


def test_each_wanted_frame_takes_the_grid_frame_at_or_before_it():
    want = np.zeros(20, dtype=bool)
    want[[4, 5, 6, 7, 15]] = True
    for b0 in (0, 1, 2, 3, 100):  # the block's first frame in the call
        wanted_at, grid_at = hold_grid(want, b0, 3)
        np.testing.assert_array_equal(wanted_at, [4, 5, 6, 7, 15])
        assert np.all((b0 + grid_at) % 3 == 0)  # on the call's grid, wherever the block starts
        assert np.all((grid_at <= wanted_at) & (wanted_at - grid_at < 3))


def test_the_same_frame_gets_the_same_grid_frame_in_any_block():
    rng = np.random.default_rng(5)
    want = rng.random(300) < 0.6
    _, whole = hold_grid(want, 0, 3)
    for start in (7, 8, 9, 150):
        at, grid = hold_grid(want[start:], start, 3)
        np.testing.assert_array_equal(start + grid, whole[np.searchsorted(np.flatnonzero(want), start):])
        np.testing.assert_array_equal(start + at, np.flatnonzero(want)[np.flatnonzero(want) >= start])
