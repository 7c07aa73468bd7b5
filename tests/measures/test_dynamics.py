"""Conversation dynamics against truth: interruptions, backchannels, turns, hold, checks.

Acceptance: over the fixture calls (the committed ones, plus further seeded calls
generated into a temporary folder where the shared corpus is present),
interruption F1 >= 0.9 with ``by`` right on every matched one, backchannel
F1 >= 0.85, hold recall >= 0.9 with no hold counted as speech or dead air, and
overlap within 5 % of truth on the calls with crosstalk. Events match when
their onsets are within 0.3 s.
"""

import json

import numpy as np
import pytest

from benchmarks import scoring
from callscan.analyze import analyze_call, call_measures
from callscan.frames.passes import Frames
from callscan.params import DynamicsParams, Params
from fixtures.truth import conversation_events
from tests.support import CORPUS, FIXTURES

HOP = 0.01
MATCH_S = 0.3


# ----------------------------------------------------------------- known masks
def frames_from(customer, agent, n=4000, hold=()):
    speech = np.zeros((2, n), bool)
    for c, intervals in enumerate((customer, agent)):
        for s, e in intervals:
            speech[c, int(round(s / HOP)) : int(round(e / HOP))] = True
    held = np.zeros((2, n), bool)
    for ch, s, e in hold:
        held[ch, int(round(s / HOP)) : int(round(e / HOP))] = True
    z = np.full((2, n), -60.0, np.float32)
    return Frames(hop_s=HOP, energy_db=z, floor_db=z, speech=speech, hold=held)


def measure(customer, agent, params=None, mode="stereo", **kw):
    events = []
    rec = call_measures(frames_from(customer, agent, **kw), mode, params or Params(), events)
    return rec, events


# customer (ch 0) and agent (ch 1):
#  0-5 agent talks; customer "mm" 2.0-2.4 inside it (backchannel)
#  4.2 customer takes over (0.8 s overlap: interruption of the agent) and talks to 9
#  9.3 agent replies (gap 0.3 s) and talks to 14; customer talks over it 10-12 (2 s, inside: interruption)
#  14.1 customer "yes" 14.1-14.5 in the agent's pause, agent resumes 14.7-18 (backchannel)
#  18.2-19 customer starts 0.3 s before... no: 17.7 customer starts, 0.3 s overlap (no interruption)
CUSTOMER = [(2.0, 2.4), (4.2, 9.0), (10.0, 12.0), (14.1, 14.5), (17.7, 22.0)]
AGENT = [(0.0, 5.0), (9.3, 14.0), (14.7, 18.0)]


def test_known_dynamics():
    rec, events = measure(CUSTOMER, AGENT)
    assert rec["backchannels_by_customer"] == 2 and rec["backchannels_by_agent"] == 0
    assert rec["interruptions_by_customer"] == 2 and rec["interruptions_by_agent"] == 0
    cuts = [(e["by"], e["of"], e["start_s"], e["end_s"]) for e in events if e["kind"] == "interruption"]
    assert cuts == [("customer", "agent", 4.2, 5.0), ("customer", "agent", 10.0, 12.0)]
    backs = [(e["party"], e["start_s"], e["end_s"]) for e in events if e["kind"] == "backchannel"]
    assert backs == [("customer", 2.0, 2.4), ("customer", 14.1, 14.5)]
    # turns: agent 0-5, customer 4.2-9, agent 9.3-18, customer 17.7-22: three floor changes
    turns = [(e["party"], e["start_s"], e["end_s"]) for e in events if e["kind"] == "turn"]
    assert turns == [("agent", 0.0, 5.0), ("customer", 4.2, 9.0), ("agent", 9.3, 18.0), ("customer", 17.7, 22.0)]
    assert rec["turns"] == 3
    assert rec["agent_response_latency_median_s"] == pytest.approx(0.3)
    assert rec["customer_response_latency_median_s"] == pytest.approx(-0.55)  # median of -0.8 and -0.3
    assert rec["agent_longest_monologue_s"] == pytest.approx(8.7)
    assert rec["customer_longest_monologue_s"] == pytest.approx(4.8)
    # per minute of the agent's talk (5 + 4.7 + 3.3 = 13 s)
    assert rec["customer_backchannels_per_min"] == pytest.approx(2 / (13.0 / 60), abs=1e-3)
    assert rec["agent_backchannels_per_min"] == 0.0


def test_backchannel_is_never_an_interruption():
    # A 0.9 s "yes, right" fully inside the other's speech overlaps it by 0.9 s > grace.
    rec, events = measure([(3.0, 3.9)], [(1.0, 6.0)])
    assert rec["backchannels_by_customer"] == 1 and rec["interruptions_by_customer"] == 0
    # At 1.2 s it is too long to be a backchannel: an interruption that takes no floor.
    rec, events = measure([(3.0, 4.2)], [(1.0, 6.0)])
    assert rec["backchannels_by_customer"] == 0 and rec["interruptions_by_customer"] == 1
    assert rec["turns"] == 0


def test_simultaneous_start_and_grace():
    rec, _ = measure([(1.05, 4.0)], [(1.0, 3.0)])  # both start after a silence
    assert rec["interruptions_by_customer"] == 0 and rec["interruptions_by_agent"] == 0
    rec, _ = measure([(2.6, 5.0)], [(1.0, 3.0)])  # 0.4 s overlap: under the 0.5 s grace
    assert rec["interruptions_by_customer"] == 0
    p = Params(dynamics=DynamicsParams(interrupt_grace_s=0.3))
    rec, _ = measure([(2.6, 5.0)], [(1.0, 3.0)], params=p)
    assert rec["interruptions_by_customer"] == 1


def test_swapping_channels_swaps_parties():
    a, _ = measure(CUSTOMER, AGENT)
    b, _ = measure(AGENT, CUSTOMER, params=Params(agent_channel=0))
    assert a == b
    c, _ = measure(AGENT, CUSTOMER)
    for field in ("interruptions_by_{}", "backchannels_by_{}", "{}_longest_monologue_s",
                  "{}_response_latency_median_s"):
        assert c[field.format("agent")] == a[field.format("customer")], field
    assert c["turns"] == a["turns"]


def test_hold_is_neither_speech_nor_dead_air_and_cuts_no_latency():
    # customer 0-3, 10 s of music on the agent line 4-14, agent back at 15
    rec, events = measure([(0.0, 3.0)], [(15.0, 18.0)], hold=[(1, 4.0, 14.0)])
    assert rec["hold_s"] == pytest.approx(10.0) and rec["dead_air_count"] == 0
    assert [(e["party"], e["start_s"], e["end_s"]) for e in events if e["kind"] == "hold"] == [("agent", 4.0, 14.0)]
    assert rec["turns"] == 1 and rec["agent_response_latency_median_s"] is None
    rec, _ = measure([(0.0, 3.0)], [(15.0, 18.0)])
    assert rec["hold_s"] == 0.0 and rec["dead_air_count"] == 1 and rec["agent_response_latency_median_s"] == 12.0


def test_mono_leaves_party_measures_null():
    rec, events = measure(CUSTOMER, [], mode="mono")
    for key in ("interruptions_by_agent", "backchannels_by_customer", "customer_backchannels_per_min", "turns",
                "agent_response_latency_median_s", "customer_longest_monologue_s", "agent_snr_db"):
        assert rec[key] is None, key
    assert not [e for e in events if e["kind"] in ("interruption", "backchannel", "turn")]


# ----------------------------------------------------------------- fixture calls
def _calls(folder):
    return [(json.loads(p.read_text()), folder) for p in sorted(folder.glob("*.truth.json"))]


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    """Committed fixtures, plus the generator's further calls where the corpus is present."""
    found = _calls(FIXTURES)
    if CORPUS.is_dir():
        from fixtures import make_fixtures

        out = tmp_path_factory.mktemp("extra_calls")
        make_fixtures.main(["--corpus", str(CORPUS), "--out", str(out), "--set", "extra"])
        found += _calls(out)
    return [(truth, analyze_call(folder / truth["file"], events=True)) for truth, folder in found]


def _overlap_s(a, b):
    return sum(max(0.0, min(e, te) - max(s, ts)) for s, e in a for ts, te in b)


def test_interruptions_and_backchannels_against_truth(calls):
    n = {"ip": 0, "it": 0, "im": 0, "bp": 0, "bt": 0, "bm": 0}
    for truth, rec in calls:
        cuts, backs = conversation_events(truth)
        got_cuts = [e for e in rec["events"] if e["kind"] == "interruption"]
        got_backs = [e for e in rec["events"] if e["kind"] == "backchannel"]
        pairs = scoring.match_events(got_cuts, cuts, MATCH_S)
        for i, j in pairs:
            assert got_cuts[i]["by"] == cuts[j]["by"] and got_cuts[i]["of"] == cuts[j]["of"], (truth["name"], cuts[j])
        bpairs = scoring.match_events(got_backs, backs, MATCH_S, same=lambda p, t: p["party"] == t["party"])
        n["ip"] += len(got_cuts)
        n["it"] += len(cuts)
        n["im"] += len(pairs)
        n["bp"] += len(got_backs)
        n["bt"] += len(backs)
        n["bm"] += len(bpairs)
        assert rec["interruptions_by_agent"] + rec["interruptions_by_customer"] == len(got_cuts)
    assert n["it"] >= 14 and n["bt"] >= 20, n  # enough events for the figures to mean something
    f1_cuts = scoring.event_f1(n["im"], n["ip"], n["it"])
    f1_backs = scoring.event_f1(n["bm"], n["bp"], n["bt"])
    assert f1_cuts >= 0.9, f"interruption F1 {f1_cuts:.3f} ({n})"
    assert f1_backs >= 0.85, f"backchannel F1 {f1_backs:.3f} ({n})"


def test_hold_against_truth(calls):
    held = [(t, r) for t, r in calls if t.get("hold")]
    assert held, "no fixture call with hold"
    want = got = 0.0
    for truth, rec in held:
        hold = truth["hold"]
        found = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "hold"]
        speech = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "speech"]
        dead = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "dead_air"]
        want += scoring.total_s(hold)
        got += _overlap_s(found, hold)
        # Edges may be a frame or two off; nothing more of a hold is speech or dead air.
        assert _overlap_s(speech, hold) <= 0.05 * len(hold), (truth["name"], "hold counted as speech")
        assert _overlap_s(dead, hold) == 0.0, (truth["name"], "hold counted as dead air")
        assert abs(rec["hold_s"] - scoring.total_s(hold)) <= 0.1 * len(hold) + 0.02 * scoring.total_s(hold)
    assert got / want >= 0.9, f"hold recall {got / want:.3f}"
    for truth, rec in calls:
        if not truth.get("hold"):
            assert rec["hold_s"] <= 0.2, (truth["name"], rec["hold_s"])  # speech is not hold


def test_crosstalk_makes_no_overlap(calls):
    leaky = [(t, r) for t, r in calls if t.get("crosstalk")]
    assert leaky
    for truth, rec in leaky:
        want = scoring.total_s(truth["overlap"])
        assert rec["crosstalk"] is not None, truth["name"]
        assert abs(rec["overlap_s"] - want) <= 0.05 * want, f"{truth['name']}: overlap {rec['overlap_s']} vs {want}"


def band_shift_db(truth, path, ch, cutoff_hz):
    """How far the SNR above ``cutoff_hz`` lies from the full-band SNR of the truth, dB: the
    speech and the noise-only samples (from the script's timing, 0.1 s guard) through a
    4th-order Butterworth high-pass (scipy's, not the engine's)."""
    import scipy.signal
    import soundfile as sf

    x, sr = sf.read(str(path), always_2d=True)
    x = x[:, int(ch)]
    speech = np.zeros(x.size, bool)
    near = np.zeros(x.size, bool)
    for c in truth["channels"].values():
        for s, e in c["speech"]:
            near[max(0, int((s - 0.1) * sr)) : int((e + 0.1) * sr)] = True
    for s, e in truth["channels"][ch]["speech"]:
        speech[int(s * sr) : int(e * sr)] = True
    y = scipy.signal.sosfilt(scipy.signal.butter(4, cutoff_hz, "highpass", fs=sr, output="sos"), x)
    noise = ~near & (np.arange(x.size) > sr // 10)

    def db(v, m):
        return 10 * np.log10(np.mean(v[m] ** 2))

    return (db(y, speech) - db(x, speech)) - (db(y, noise) - db(x, noise))


def test_digital_silence_snr_and_clipping(calls):
    cutoff = Params().frame.highpass_hz
    for truth, rec in calls:
        muted = [iv for runs in truth.get("digital_silence", {}).values() for iv in runs]
        assert abs(rec["digital_silence_s"] - scoring.total_s(muted)) <= 0.01, truth["name"]
        assert any("digital silence" in w for w in rec["warnings"]) == bool(muted), truth["name"]
        for ch in ("0", "1"):
            party = truth["channels"][ch]["party"]
            want = truth["snr_db"][ch] + (band_shift_db(truth, rec["path"], ch, cutoff) if cutoff > 0 else 0.0)
            assert abs(rec[f"{party}_snr_db"] - want) <= 1.0, (truth["name"], party, want)
        assert rec["clipped_share"] == 0.0, truth["name"]


def test_clipping_is_measured():
    from tests.support import speechlike

    x = np.stack([speechlike(8000, 3.0, 200, 1), speechlike(8000, 3.0, 120, 2)]) * 15.0
    clipped = np.clip(x, -0.9, 0.9)  # flat tops
    rec = analyze_call(clipped, sample_rate=8000)
    share = max(float(np.mean(np.abs(ch) >= 0.9 * 0.999)) for ch in clipped)
    assert share > 0.05 and rec["clipped_share"] == pytest.approx(share, rel=0.05)
    assert any("clipped" in w for w in rec["warnings"])
    assert analyze_call(x / 15.0, sample_rate=8000)["clipped_share"] == 0.0
