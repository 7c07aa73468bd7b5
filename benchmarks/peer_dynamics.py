"""Interruptions and backchannels: callscan next to call-ai-metrics, on the same calls.

    python -m benchmarks.peer_dynamics [--extra DIR]

Runs both tools on every fixture call (``fixtures/calls``, plus the further
calls of ``python -m fixtures.make_fixtures --set extra --out DIR`` with
``--extra``) and scores their events against the truth the generator wrote
(``fixtures.truth.conversation_events``). An event matches a true one when
their onsets are within 0.3 s (and, for backchannels, the party is the same);
F1 is over all calls. For interruptions, ``by right`` counts the matched ones
whose interrupter is right.

call-ai-metrics 0.1.0 (PyPI ``call-ai-metrics``) lists its interruptions
(``report.interruption_events``: time, by, of) but only counts backchannels per
party. Its backchannels are rebuilt here from its own segment timeline with
the rule its ``_metrics`` module documents and applies (a segment that starts
while the other party is speaking, ends within 0.1 s of that party's stretch
of speech, and overlaps it by no more than the 0.5 s grace); the rebuilt count
is checked against its per-party count, so what is scored is its own decision.
Both tools run with their defaults; call-ai-metrics gets the decoded samples
(it reads only WAV files itself), channel 0 = customer, channel 1 = agent.
"""

import argparse
import bisect
import json
import pathlib
import time

import soundfile as sf

from benchmarks import scoring
from callscan.analyze import analyze_call
from fixtures.truth import conversation_events

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "calls"
MATCH_S = 0.3
PEER_JOIN_S = 0.25  # call-ai-metrics: pauses shorter than this do not stop "still speaking"
PEER_EDGE_S = 0.1  # call-ai-metrics: speech ending this soon after the other stops is "inside"
PEER_GRACE_S = 0.5


def _bridge(spans, gap):
    out = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] < gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def peer_backchannels(segments, parties=("customer", "agent")):
    """call-ai-metrics' backchannels, rebuilt from its timeline by its documented rule."""
    spans = {p: [(s.start_s, s.end_s) for s in segments if s.speaker == p] for p in parties}
    found = []
    for x in parties:
        y = parties[1] if x == parties[0] else parties[0]
        other = _bridge(spans[y], PEER_JOIN_S)
        starts = [s for s, _ in other]
        for s, e in spans[x]:
            i = bisect.bisect_right(starts, s) - 1
            if i < 0 or not (other[i][0] < s - 1e-9 and s < other[i][1] - 1e-9):
                continue
            overlap = min(e, other[i][1]) - s
            if overlap <= PEER_GRACE_S + 1e-9 and e <= other[i][1] + PEER_EDGE_S:
                found.append({"party": x, "start_s": s, "end_s": e})
    return found


def peer_report(path):
    """call-ai-metrics on a stereo file (channel 0 customer, 1 agent), as its users call it:
    its report, interruptions and rebuilt backchannels as event dicts, and the seconds it took."""
    from call_ai_metrics import analyze

    x, sr = sf.read(path, dtype="float32", always_2d=True)
    t0 = time.perf_counter()
    report = analyze(x, sample_rate=sr, speakers=["customer", "agent"])
    elapsed = time.perf_counter() - t0
    cuts = [{"by": i.by, "of": i.of, "start_s": i.time_s} for i in report.interruption_events]
    return report, cuts, peer_backchannels(report.segments), elapsed


def run_peer(path):
    report, cuts, backs, elapsed = peer_report(path)
    for p in ("customer", "agent"):
        mine = sum(b["party"] == p for b in backs)
        if mine != report[p].backchannels:
            raise RuntimeError(f"{path.name}: rebuilt {mine} backchannels of {p}, call-ai-metrics counts "
                               f"{report[p].backchannels}")
    return cuts, backs, elapsed


def run_ours(path):
    t0 = time.perf_counter()
    rec = analyze_call(path, events=True)
    elapsed = time.perf_counter() - t0
    cuts = [e for e in rec["events"] if e["kind"] == "interruption"]
    backs = [e for e in rec["events"] if e["kind"] == "backchannel"]
    return cuts, backs, elapsed


def score(cuts, backs, truth):
    want_cuts, want_backs = conversation_events(truth)
    pairs = scoring.match_events(cuts, want_cuts, MATCH_S)
    by_right = sum(cuts[i]["by"] == want_cuts[j]["by"] for i, j in pairs)
    bpairs = scoring.match_events(backs, want_backs, MATCH_S, same=lambda p, t: p["party"] == t["party"])
    return {"im": len(pairs), "ip": len(cuts), "it": len(want_cuts), "by": by_right,
            "bm": len(bpairs), "bp": len(backs), "bt": len(want_backs)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", type=pathlib.Path, help="folder of further calls (make_fixtures --set extra)")
    args = parser.parse_args(argv)
    folders = [FIXTURES] + ([args.extra] if args.extra else [])
    truths = [(json.loads(p.read_text()), f) for f in folders for p in sorted(f.glob("*.truth.json"))]
    run_ours(truths[0][1] / truths[0][0]["file"])  # warm the kernels: no compile time in the timings
    totals = {"callscan": {}, "call-ai-metrics": {}}
    seconds = {"callscan": 0.0, "call-ai-metrics": 0.0}
    print("| call | tool | interruptions matched/found/true (by right) | backchannels matched/found/true |")
    print("|---|---|---|---|")
    for truth, folder in truths:
        path = folder / truth["file"]
        for tool, run in (("callscan", run_ours), ("call-ai-metrics", run_peer)):
            cuts, backs, elapsed = run(path)
            seconds[tool] += elapsed
            s = score(cuts, backs, truth)
            for k, v in s.items():
                totals[tool][k] = totals[tool].get(k, 0) + v
            print(f"| {truth['name']} | {tool} | {s['im']}/{s['ip']}/{s['it']} ({s['by']}) | {s['bm']}/{s['bp']}/{s['bt']} |")
    print()
    print("| tool | interruption F1 | by right | backchannel F1 | time for all calls |")
    print("|---|---|---|---|---|")
    for tool, t in totals.items():
        print(f"| {tool} | {scoring.event_f1(t['im'], t['ip'], t['it']):.3f} | {t['by']}/{t['im']} | "
              f"{scoring.event_f1(t['bm'], t['bp'], t['bt']):.3f} | {seconds[tool]:.2f} s |")


if __name__ == "__main__":
    main()
