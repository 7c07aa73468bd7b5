"""The leak stage (``callscan.frames.leak``): a leak is found at its bulk delay, its level and
delay are reported per direction, it is taken out, and the blocks do not change the result."""

import numpy as np
import pytest

import callscan.audio.blocks as stream
from benchmarks import scoring
from callscan.analyze import analyze_call, open_call
from callscan.frames.leak import LeakPath, Past
from callscan.frames.passes import frame_features
from callscan.params import Params
from fixtures import leak_calls
from tests.frames.test_blocks import assert_same_frames


def leaky_call(tmp_path, level_db, delay_ms, direction="both", path="plain"):
    cell = leak_calls.LeakCell("interruptions", level_db, delay_ms, direction, path)
    x, truth = leak_calls.leak_call(cell)
    wav = tmp_path / f"{cell.name}.wav"
    leak_calls.write_wav(wav, x)
    return str(wav), truth


def speech_f1(frames, truth):
    n = frames.n_frames
    out = []
    for ch in (0, 1):
        want = scoring.truth_mask(truth["channels"][str(ch)]["speech"], n, frames.hop_s)
        out.append(scoring.f1(frames.speech[ch], want))
    return out


@pytest.mark.parametrize("level_db, delay_ms, path", [(-15, 2, "plain"), (-26, 60, "bandpass"),
                                                       (-20, 300, "mulaw"), (-15, 150, "bandpass")])
def test_two_way_leak_is_found_at_its_delay(tmp_path, level_db, delay_ms, path):
    wav, truth = leaky_call(tmp_path, level_db, delay_ms, "both", path)
    frames = frame_features(open_call(wav), Params())
    for p in frames.leak:
        assert isinstance(p, LeakPath)
        assert abs(p.delay_s * 1000 - delay_ms) <= 1.0  # a band-pass path adds well under 1 ms
        assert abs(p.level_db - level_db) <= 1.5
    assert frames.leak_db == [p.level_db for p in frames.leak]
    # Each channel keeps its own party's speech, the backchannels under the other's included.
    assert min(speech_f1(frames, truth)) >= 0.97


@pytest.mark.parametrize("delay_ms, path", [(150, "plain"), (300, "bandpass")])
def test_two_way_leaks_crosstalk_and_echo_loop_leave_no_false_speech(tmp_path, delay_ms, path):
    # Both ways at -10 dB, as crosstalk (each channel hears the other talker) and as an echo loop
    # (each channel's leak is the other channel as recorded): the talker's round trip through both
    # paths is measured and taken out as far as the leak did not carry it, so neither the other
    # party's talker (three paths down) nor the channel's own (two) comes back as speech.
    truth_overlap = scoring.total_s(leak_calls.base_call("interruptions")[1]["overlap"])
    for direction in ("both", "echo_loop"):
        wav, truth = leaky_call(tmp_path, -10, delay_ms, direction, path)
        rec = analyze_call(wav)
        frames = frame_features(open_call(wav), Params())
        assert rec["channel_layout"] == "leak"
        assert min(speech_f1(frames, truth)) >= 0.97, direction
        assert abs(rec["overlap_s"] - truth_overlap) <= max(0.3, 0.1 * truth_overlap), direction


def test_loop_gain_tells_crosstalk_from_an_echo_loop():
    from callscan.frames.leak import loop_gain, loop_sums

    rng = np.random.default_rng(3)
    hop, n = 80, 80 * 2000
    talker = rng.normal(size=n) * np.repeat(rng.uniform(0.0, 1.0, n // hop) > 0.5, hop)
    v = 0.1 * np.roll(talker, 2400)  # the talker's round trip, 300 ms late, -20 dB
    noise = 1e-3 * rng.normal(size=n)
    floor = np.full(n // hop, -60.0)  # dBFS
    crosstalk = talker - v + noise  # cancelling with the other channel as recorded took the round trip out
    assert abs(loop_gain(*loop_sums(crosstalk, v, hop, floor, 10.0), 100) - 1.0) < 0.05
    echo = talker + noise  # an echo loop: the talker alone
    assert loop_gain(*loop_sums(echo, v, hop, floor, 10.0), 100) < 0.05
    assert loop_gain(0.0, 0.0, 0, 100) == 1.0  # not measurable: crosstalk


@pytest.mark.corpus
def test_two_way_leak_on_a_real_call_is_found(corpus, tmp_path):
    # Each party's source frames at -10 dB both ways hold the other talker come back within loud_db
    # of the party's own level: found only once the reverse leak's frames are left out.
    import soundfile as sf

    x, sr = sf.read(corpus / "spokenwoz_mul1011/MUL1011_8k_stereo.wav", dtype="float64", always_2d=True)
    x = x.T.copy()
    clean = analyze_call(corpus / "spokenwoz_mul1011/MUL1011_8k_stereo.wav")
    cell = leak_calls.LeakCell("mul1011", -10, 150, "both", "bandpass")
    out = x + np.stack([leak_calls.echo_path(x[1], cell, None), leak_calls.echo_path(x[0], cell, None)])
    wav = tmp_path / "mul1011_leak.wav"
    leak_calls.write_wav(wav, out)
    rec = analyze_call(wav)
    assert rec["channel_layout"] == "leak"
    assert abs(rec["leak_into_agent_delay_ms"] - 150) <= 1 and abs(rec["leak_into_customer_delay_ms"] - 150) <= 1
    assert abs(rec["overlap_s"] - clean["overlap_s"]) <= 0.5


def test_one_way_echo_is_found_in_its_direction_only(tmp_path):
    wav, truth = leaky_call(tmp_path, -20, 150, "agent_to_customer", "bandpass")
    frames = frame_features(open_call(wav), Params())
    customer, agent = frames.leak
    assert agent is None
    assert abs(customer.delay_s - 0.150) <= 0.001 and abs(customer.level_db + 20) <= 1.5
    assert min(speech_f1(frames, truth)) >= 0.97


def test_leak_free_call_has_no_leak():
    x, truth = leak_calls.base_call("interruptions")
    frames = frame_features(open_call(str(leak_calls.CALLS / truth["file"])), Params())
    assert frames.leak == [None, None]


def test_delayed_leak_does_not_depend_on_the_block_length(tmp_path, monkeypatch):
    wav, _ = leaky_call(tmp_path, -15, 300, "both", "bandpass")
    monkeypatch.setattr(stream, "BLOCK_FRAMES", 1 << 40)
    whole = frame_features(open_call(wav), Params())
    for block in (37, 700):  # blocks shorter and longer than the delay
        monkeypatch.setattr(stream, "BLOCK_FRAMES", block)
        part = frame_features(open_call(wav), Params())
        assert_same_frames(part, whole)
        assert part.leak == whole.leak


def test_past_gives_the_samples_before_each_block():
    x = np.arange(1.0, 101.0)
    past = Past(7)
    for s0, s1 in ((0, 30), (20, 60), (25, 61), (61, 70), (65, 100)):  # overlapping, abutting blocks
        out = past.extend(s0, x[s0:s1])
        want = np.concatenate((np.zeros(max(0, 7 - s0)), x[max(0, s0 - 7) : s1]))
        np.testing.assert_array_equal(out, want)


def test_drifting_leak_gain_is_tracked(tmp_path):
    # +-3 dB of drift over the call: the fitted path alone leaves up to -8 dB of the leak.
    wav, truth = leaky_call(tmp_path, -20, 300, "agent_to_customer", "drift")
    frames = frame_features(open_call(wav), Params())
    assert abs(frames.leak[0].delay_s - 0.300) <= 0.001 and frames.leak[1] is None
    assert min(speech_f1(frames, truth)) >= 0.97


def test_tracked_levels_follow_the_gain():
    from callscan.frames.leak import tracked_levels

    n = 400
    rng = np.random.default_rng(10)
    pe = 10 ** rng.uniform(-5, -3, n)  # the filtered leak's power per frame
    g = 10 ** (np.linspace(-3, 3, n) / 20)  # the path's gain drifting by 6 dB
    pa = g**2 * pe  # the channel: the leak alone, at the drifting gain
    pr = (g - 1) ** 2 * pe  # what the fixed filter leaves
    p = {"a": (pa, np.repeat(pa, 2)), "e": (pe, np.repeat(pe, 2)), "r": (pr, np.repeat(pr, 2))}
    energy, half = tracked_levels(p, np.ones(n, bool), 1)
    assert np.all(energy < 10 * np.log10(pa) - 60)  # the tracked gain takes it all out
    assert half.shape == (2 * n,) and np.all(half < 10 * np.log10(np.repeat(pa, 2)) - 60)
    assert 10 * np.log10(pa[0] / pr[0]) < 10  # where the fixed filter alone leaves the leak -8 dB down


def test_moving_sum_is_centred_and_keeps_the_length():
    from callscan.frames.leak import moving_sum

    x = np.arange(1.0, 6.0)
    np.testing.assert_allclose(moving_sum(x, 3), [3, 6, 9, 12, 9])
    assert moving_sum(x, 400).shape == (5,) and np.all(moving_sum(x, 400) == 15)


@pytest.mark.corpus
def test_the_echo_of_the_other_party_is_not_hold_on_a_quiet_line(corpus):
    """MUL1011's customer line is all but digitally silent; the agent's echo in it (-26 dB, 150 ms,
    µ-law) is the agent's sound, never the customer's hold (it made 0.33 s of it)."""
    from callscan.analyze import analyze_call

    x, _ = leak_calls.base_call_from(corpus / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav")
    cell = leak_calls.LeakCell("mul1011", -26, 150, "agent_to_customer", "mulaw")
    clean = analyze_call(x.astype(np.float32), sample_rate=leak_calls.SR)
    rec = analyze_call(leak_calls.with_leak(x, cell).astype(np.float32), sample_rate=leak_calls.SR)
    assert rec["leak_into_customer_delay_ms"] == pytest.approx(150, abs=2)
    assert rec["hold_s"] == clean["hold_s"] == 0.0
    assert abs(rec["customer_talk_s"] - clean["customer_talk_s"]) <= 0.5
