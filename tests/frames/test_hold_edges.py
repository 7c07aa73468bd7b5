"""A hold stretch meets the silence around it where its sound meets the floor
(``callscan.frames.passes.hold_edges``)."""

import numpy as np

from callscan.frames.passes import hold_edges


def level_track():
    """-60 dBFS floor (+-1 dB), a fade-in at 100-110 (+4..+8 dB, one frame at +2), sound at 110-200,
    a tail at 200-203 (+6 dB), floor again."""
    rng = np.random.default_rng(1)
    e = -60 + rng.uniform(-1, 1, 400)
    e[100:110] = -60 + np.linspace(4, 8, 10)
    e[104] = -58.0  # a dip under the edge threshold, one frame long
    e[110:200] = -30.0
    e[200:203] = -54.0
    return e[None, :]


def test_grows_over_the_quiet_onset_and_tail_only():
    e = level_track()
    hold = np.zeros((1, 400), bool)
    hold[0, 110:200] = True
    got = hold_edges(hold, e, np.zeros_like(hold), 3.0, 3, 350)[0]
    assert np.flatnonzero(got)[[0, -1]].tolist() == [99, 203]  # and the frame straddling each edge


def test_stops_at_a_long_dip_own_speech_and_the_limit():
    e = level_track()
    hold = np.zeros((1, 400), bool)
    hold[0, 110:200] = True
    assert np.flatnonzero(hold_edges(hold, e, np.zeros_like(hold), 3.0, 1, 350)[0])[0] == 104  # dip not bridged
    speech = np.zeros_like(hold)
    speech[0, 201:210] = True
    assert np.flatnonzero(hold_edges(hold, e, speech, 3.0, 3, 350)[0])[-1] == 200  # not into speech
    assert np.flatnonzero(hold_edges(hold, e, np.zeros_like(hold), 3.0, 3, 4)[0])[[0, -1]].tolist() == [105, 203]


def test_no_hold_no_growth():
    e = level_track()
    hold = np.zeros((1, 400), bool)
    assert not hold_edges(hold, e, np.zeros_like(hold), 3.0, 3, 350).any()
