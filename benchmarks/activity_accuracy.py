"""Speech activity, overlap and dead air against the fixtures' truth.

    python -m benchmarks.activity_accuracy

Prints one row per call and channel: speech-frame F1 at 10 ms, median onset and
offset error (ms), overlap total against truth (%), dead-air stretches found and
their largest length error (s).
"""

import json
import pathlib

import numpy as np

from benchmarks import scoring
from callscan.analyze import analyze_call, load
from callscan.frames.passes import frame_features
from callscan.measures.spans import intervals_s
from callscan.params import Params

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "calls"


def main():
    params = Params()
    print("| call | ch | SNR dB | F1 | onset err ms | offset err ms | overlap got/truth s | dead air found | worst length err s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for truth_path in sorted(FIXTURES.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text())
        path = FIXTURES / truth["file"]
        frames = frame_features(load(path, params=params), params)
        rec = analyze_call(path, params=params, events=True)
        got = [(e["start_s"], e["end_s"]) for e in rec["events"] if e["kind"] == "dead_air"]
        pairs = scoring.match_stretches(got, truth["dead_air"])
        worst = max(
            (abs((got[i][1] - got[i][0]) - (truth["dead_air"][j][1] - truth["dead_air"][j][0])) for i, j in pairs),
            default=float("nan"),
        )
        for ch in (0, 1):
            want = truth["channels"][str(ch)]["speech"]
            mask = scoring.truth_mask(want, frames.n_frames, frames.hop_s)
            on, off = scoring.boundary_errors(intervals_s(frames.speech[ch], frames.hop_s), want)
            tail = (
                f"{rec['overlap_s']:.2f}/{scoring.total_s(truth['overlap']):.2f} | "
                f"{len(pairs)}/{len(truth['dead_air'])} (+{len(got) - len(pairs)} false) | {worst:.2f}"
                if ch == 0
                else " | | "
            )
            print(
                f"| {truth['name']} | {ch} | {truth['snr_db'][str(ch)]:.0f} | "
                f"{scoring.f1(frames.speech[ch], mask):.3f} | {1000 * np.median(on):.0f} | "
                f"{1000 * np.median(off):.0f} | {tail} |"
            )


if __name__ == "__main__":
    main()
