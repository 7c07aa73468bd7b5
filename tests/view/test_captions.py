"""The words of a timeline picture (callscan.view.captions; no matplotlib needed)."""

import math

from callscan.audio.checks import MONO_WARNING, SAME_SIGNAL_WARNING, dc_warning
from callscan.view import captions

STEREO = {
    "call_id": "c1", "mode": "stereo", "codec": "FLAC/PCM_16", "duration_s": 75.4,
    "agent_talk_s": 30.0, "customer_talk_s": 20.0, "agent_talk_share": 0.6, "customer_talk_share": 0.4,
    "overlap_share": 0.031, "interruptions_by_agent": 2, "interruptions_by_customer": 0,
    "backchannels_by_agent": 1, "backchannels_by_customer": 4, "dead_air_count": 0, "dead_air_s": 0.0,
    "dead_air_longest_s": 0.0, "hold_s": 12.25, "turns": 17, "agent_agitation": 0.31,
    "customer_agitation": 0.42, "customer_agitation_q1": 0.3, "customer_agitation_q4": 0.5,
    "customer_agitation_shift": 0.2,
}


def test_phrases_of_a_stereo_call():
    assert captions.title(STEREO) == "c1   1:15   stereo   FLAC/PCM_16"
    assert captions.measure_phrases(STEREO) == [
        "talk share agent 60% / customer 40%", "overlap 3.1% of span", "interruptions by agent 2 / customer 0",
        "backchannels by agent 1 / customer 4", "no dead air", "hold 12.2 s", "turns 17",
        "agitation agent 0.31 / customer 0.42", "customer shift q4−q1 +0.20",
    ]


def test_absent_values_say_why_and_nan_counts_as_absent():
    row = dict(STEREO, customer_talk_s=0.0, customer_agitation=float("nan"), customer_agitation_q1=None,
               customer_agitation_shift=math.nan, agent_agitation=None, agent_talk_s=40.0,
               dead_air_count=2, dead_air_s=7.5, dead_air_longest_s=5.0, turns=float("nan"))
    phrases = captions.measure_phrases(row)
    assert "agitation: none (too little agent speech, no customer speech)" in phrases
    assert "dead air 2 × = 7.5 s (longest 5.0 s)" in phrases
    assert not any("turns" in p or "shift" in p or "–" in p for p in phrases)
    only_agent = dict(STEREO, customer_agitation=None, customer_talk_s=0.0, customer_agitation_shift=None)
    assert "agitation agent 0.31 (no customer speech)" in captions.measure_phrases(only_agent)
    no_q4 = dict(STEREO, customer_agitation_q4=None, customer_agitation_shift=None)
    assert "customer shift q4−q1: none (no customer agitation in q4)" in captions.measure_phrases(no_q4)


def test_a_mono_call_says_its_per_party_measures_are_not_measured():
    mono = {"call_id": "m", "mode": "mono", "duration_s": 40.0, "dead_air_count": 1, "dead_air_s": 6.0,
            "dead_air_longest_s": 6.0, "hold_s": 0.0, **{k: None for k in STEREO if k.startswith(("agent", "cust"))}}
    phrases = captions.measure_phrases(mono)
    assert phrases[0].startswith("not measured on a mono call: talk share")
    assert phrases[1:] == ["dead air 1 × = 6.0 s (longest 6.0 s)", "no hold"]


def test_warnings_shorten_to_their_first_clauses():
    assert captions.short_warnings(MONO_WARNING) == [MONO_WARNING, "mono recording"]
    assert captions.short_warnings(SAME_SIGNAL_WARNING) == [
        SAME_SIGNAL_WARNING,
        "the two channels carry the same signal (mono saved as stereo): analysed as mono",
        "the two channels carry the same signal (mono saved as stereo)",
        "the two channels carry the same signal",
    ]
    # A colon inside parentheses is not the end of what was found.
    room = ("both channels hear both talkers (two microphones in one room: channel 1's talker at -4.6 dB "
            "in channel 0): each stretch is attributed to the channel whose talker stands above the other's leak")
    assert captions.short_warnings(room) == [
        room,
        "both channels hear both talkers (two microphones in one room: channel 1's talker at -4.6 dB in channel 0)",
        "both channels hear both talkers",
    ]
    assert captions.short_warnings(dc_warning(1, 0.02)) == [
        dc_warning(1, 0.02), "channel 1 had a DC offset of +0.0200 full scale"]
    assert captions.short_warnings("clipped  flat\ntops") == ["clipped flat tops"]


def test_quarter_notes_name_what_fills_an_empty_quarter():
    events = [
        {"kind": "speech", "party": "agent", "start_s": 0.0, "end_s": 2.0},
        {"kind": "hold", "party": None, "start_s": 10.0, "end_s": 19.0},
        {"kind": "dead_air", "party": None, "start_s": 20.0, "end_s": 28.0},
    ]
    assert captions.quarter_note(events, "agent", (0.0, 10.0)) == "too little agent speech"
    assert captions.quarter_note(events, "customer", (0.0, 10.0)) == "no customer speech"
    assert captions.quarter_note(events, "agent", (10.0, 20.0)) == "no agent speech (hold)"
    assert captions.quarter_note(events, None, (20.0, 30.0)) == "no speech (dead air)"
    assert captions.quarter_note(events, None, (28.0, 40.0)) == "no speech"


def test_the_channel_layout_and_leaks_are_written_where_the_record_has_them():
    assert "stereo   " in captions.title(STEREO) and "(" not in captions.title(STEREO)
    room = dict(STEREO, channel_layout="shared_room", leak_into_agent_db=-18.04, leak_into_agent_delay_ms=None,
                leak_into_customer_db=-26.0, leak_into_customer_delay_ms=12.4)
    assert captions.title(room) == "c1   1:15   stereo (shared room)   FLAC/PCM_16"
    assert captions.measure_phrases(room)[-2:] == ["leak into agent -18.0 dB", "leak into customer -26.0 dB at 12 ms"]
    separate = dict(STEREO, channel_layout="separate", leak_into_agent_db=None, leak_into_customer_db=float("nan"))
    assert captions.title(separate) == captions.title(STEREO)
    assert captions.measure_phrases(separate) == captions.measure_phrases(STEREO)
