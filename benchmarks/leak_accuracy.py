"""Leak between the channels: callscan next to call-ai-metrics on the same leaky calls.

    python -m benchmarks.leak_accuracy [--set sweep|extra|loop|all] [--quick] [--only REGEX] [--json OUT]

Each call of ``fixtures.leak_calls`` (a leak-free fixture call with the other party's
channel leaked in at a level, a bulk delay and through a path) is written as 16-bit WAV
and run through both tools with their defaults (call-ai-metrics gets the samples,
channel 0 = customer, channel 1 = agent). Per call:

* speech-frame F1 per channel at 10 ms against the truth of the base call;
* overlap total minus the truth's (s); the cell meets it within max(0.3 s, 10 %);
* interruptions and backchannels against what the same tool finds on the leak-free
  call (onsets within 0.3 s, backchannels of the same party): F1.

A cell is met when both channels' F1 >= 0.97, the overlap is within tolerance and both
event F1s >= 0.95. The tables show, per direction and path, one row per leak level and
one column per delay: the smaller channel F1 and the overlap error, ``*`` where the cell
fails. ``--quick`` runs the delays 0, 25 and 150 ms and the levels -15 and -32 dB only;
``--only`` the cells whose name matches a regular expression (for example
``--only 'both_plain_10dB_(60|150)ms'``).
"""

import argparse
import json
import pathlib
import re
import tempfile
import time

import numpy as np

from benchmarks import scoring
from benchmarks.peer_dynamics import MATCH_S, peer_report
from fixtures import leak_calls

F1_MIN = 0.97
EVENT_F1_MIN = 0.95


def overlap_tolerance(truth_s):
    return max(0.3, 0.1 * truth_s)


def ours(path):
    from callscan.analyze import analyze_call

    t0 = time.perf_counter()
    rec = analyze_call(path, events=True)
    elapsed = time.perf_counter() - t0
    speech = [[(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "speech" and e["party"] == p]
              for p in ("customer", "agent")]
    cuts = [e for e in rec["events"] if e["kind"] == "interruption"]
    backs = [e for e in rec["events"] if e["kind"] == "backchannel"]
    return {"speech": speech, "overlap_s": rec["overlap_s"] or 0.0, "cuts": cuts, "backs": backs,
            "seconds": elapsed, "mode": rec["mode"], "warnings": rec["warnings"]}


def peer(path):
    report, cuts, backs, elapsed = peer_report(path)
    speech = [[(s.start_s, s.end_s) for s in report.segments if s.speaker == p] for p in ("customer", "agent")]
    overlap = report.overlap_share * max(report.speech_end_s - report.speech_start_s, 0.0)
    return {"speech": speech, "overlap_s": overlap, "cuts": cuts, "backs": backs, "seconds": elapsed,
            "mode": "stereo", "warnings": list(report.flags)}


TOOLS = {"callscan": ours, "call-ai-metrics": peer}


def event_f1(got, ref, same_party=False):
    same = (lambda p, t: p["party"] == t["party"]) if same_party else None
    pairs = scoring.match_events(got, ref, MATCH_S, same=same)
    if not got and not ref:
        return 1.0
    return scoring.event_f1(len(pairs), len(got), len(ref))


def score(result, reference, truth):
    n = int(np.ceil(truth["duration_s"] / 0.01))
    f1 = []
    for ch in (0, 1):
        want = scoring.truth_mask(truth["channels"][str(ch)]["speech"], n, 0.01)
        got = scoring.truth_mask(result["speech"][ch], n, 0.01)
        f1.append(scoring.f1(got, want))
    truth_overlap = scoring.total_s(truth["overlap"])
    err = result["overlap_s"] - truth_overlap
    cut_f1 = event_f1(result["cuts"], reference["cuts"])
    back_f1 = event_f1(result["backs"], reference["backs"], same_party=True)
    met = (min(f1) >= F1_MIN and abs(err) <= overlap_tolerance(truth_overlap)
           and cut_f1 >= EVENT_F1_MIN and back_f1 >= EVENT_F1_MIN)
    return {"f1": [float(v) for v in f1], "overlap_err_s": float(err), "interruption_f1": float(cut_f1),
            "backchannel_f1": float(back_f1), "met": bool(met)}


def at_least_as_good(a, b, truth_overlap):
    """Cell of tool ``a`` no worse than ``b`` on every figure (F1 to 0.005, overlap to 0.05 s)."""
    tol = overlap_tolerance(truth_overlap)
    return bool(min(a["f1"]) >= min(b["f1"]) - 0.005
            and abs(a["overlap_err_s"]) <= max(abs(b["overlap_err_s"]) + 0.05, tol)
            and a["interruption_f1"] >= min(b["interruption_f1"], EVENT_F1_MIN)
            and a["backchannel_f1"] >= min(b["backchannel_f1"], EVENT_F1_MIN))


def run(cells, tmp):
    refs = {}
    rows = []
    for cell in cells:
        if cell.base not in refs:
            x, truth = leak_calls.base_call(cell.base)
            path = tmp / f"{cell.base}_clean.wav"
            leak_calls.write_wav(path, x)
            refs[cell.base] = (truth, {name: tool(path) for name, tool in TOOLS.items()})
            for name in TOOLS:
                refs[cell.base][1][name]["score"] = score(refs[cell.base][1][name], refs[cell.base][1][name], truth)
        truth, ref = refs[cell.base]
        x, _ = leak_calls.leak_call(cell)
        path = tmp / f"{cell.name}.wav"
        leak_calls.write_wav(path, x)
        row = {"cell": cell.name, "base": cell.base, "level_db": cell.level_db, "delay_ms": cell.delay_ms,
               "direction": cell.direction, "path": cell.path}
        for name, tool in TOOLS.items():
            result = tool(path)
            row[name] = score(result, ref[name], truth) | {"seconds": result["seconds"]}
        row["callscan"]["as_good"] = at_least_as_good(row["callscan"], row["call-ai-metrics"],
                                                      scoring.total_s(truth["overlap"]))
        path.unlink()
        rows.append(row)
    return refs, rows


def print_tables(refs, rows):
    for base, (truth, ref) in refs.items():
        for name in TOOLS:
            s = ref[name]["score"]
            print(f"leak-free {base}: {name} speech F1 {s['f1'][0]:.3f}/{s['f1'][1]:.3f}, overlap error "
                  f"{s['overlap_err_s']:+.2f} s (truth {scoring.total_s(truth['overlap']):.2f} s)")
    print()
    groups = sorted({(r["direction"], r["path"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for direction, path in groups:
        part = [r for r in rows if r["direction"] == direction and r["path"] == path]
        delays = sorted({r["delay_ms"] for r in part})
        levels = sorted({r["level_db"] for r in part}, reverse=True)
        for name in TOOLS:
            print(f"**{name}**, leak {direction.replace('_', ' ')}, path {path}: min channel F1 / overlap error s "
                  "(`*` cell not met)")
            print()
            print("| level | " + " | ".join(f"{d:g} ms" for d in delays) + " |")
            print("|---|" + "---|" * len(delays))
            for lv in levels:
                cells = []
                for d in delays:
                    r = next((r for r in part if r["level_db"] == lv and r["delay_ms"] == d), None)
                    if r is None:
                        cells.append("")
                        continue
                    s = r[name]
                    mark = "" if s["met"] else "*"
                    cells.append(f"{min(s['f1']):.3f} / {s['overlap_err_s']:+.2f}{mark}")
                print(f"| {lv:g} dB | " + " | ".join(cells) + " |")
            print()
    print("| tool | cells met | worst channel F1 | worst overlap error s | worst interruption F1 | "
          "worst backchannel F1 | at least as good as call-ai-metrics | s per call |")
    print("|---|---|---|---|---|---|---|---|")
    for name in TOOLS:
        ss = [r[name] for r in rows]
        good = f"{sum(s['as_good'] for s in ss)}/{len(ss)}" if name == "callscan" else ""
        print(f"| {name} | {sum(s['met'] for s in ss)}/{len(ss)} | {min(min(s['f1']) for s in ss):.3f} | "
              f"{max((s['overlap_err_s'] for s in ss), key=abs):+.2f} | {min(s['interruption_f1'] for s in ss):.2f} | "
              f"{min(s['backchannel_f1'] for s in ss):.2f} | {good} | {np.mean([s['seconds'] for s in ss]):.3f} |")
    failed = [r["cell"] for r in rows if not (r["callscan"]["met"] and r["callscan"]["as_good"])]
    print()
    print(f"callscan cells not met or worse than call-ai-metrics: {len(failed)}")
    for c in failed:
        print(f"  {c}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("sweep", "extra", "loop", "all"), default="sweep")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", metavar="REGEX", help="cells whose name matches (re.search)")
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args(argv)
    cells = []
    if args.set in ("sweep", "all"):
        cells += leak_calls.sweep_cells()
    if args.set in ("extra", "all"):
        cells += leak_calls.extra_cells()
    if args.set in ("loop", "all"):
        cells += leak_calls.loop_cells()
    if args.quick:
        cells = [c for c in cells if c.delay_ms in (0, 25, 150) and c.level_db in (-15, -32)]
    if args.only:
        cells = [c for c in cells if re.search(args.only, c.name)]
    with tempfile.TemporaryDirectory() as tmp:
        refs, rows = run(cells, pathlib.Path(tmp))
    print_tables(refs, rows)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
