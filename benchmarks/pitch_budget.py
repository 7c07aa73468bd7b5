"""What halving the F0 tracker's cost would take: its tuning against its time and its accuracy.

Run ``python -m benchmarks.pitch_budget [--repeats 3]``.

The tracker (:mod:`callscan.kernels.pitch`) is the largest stage of the pipeline. Its cost
follows from a few terms of :class:`callscan.params.PitchParams`: the coarse rate fixes how many
lags the coarse NCCF visits per frame, the window how many products each lag costs, and
``n_cands`` / ``cand_ratio`` how many coarse peaks are refined at the full rate. Each variant
below changes one or two of them. For each it reports:

* the time of :func:`callscan.kernels.pitch.track_f0` on both channels of the real 3-minute
  call (SpokenWOZ MUL1011, 8 kHz), gated by callscan's own speech activity as in the
  pipeline, the least of ``--repeats`` rounds in which the variants take turns, and its ratio
  to the defaults' time in the same rounds;
* gross pitch error (GPE), voicing decision error (VDE) and F0 frame error (FFE), pooled over
  the Keele speakers and the PTDB-TUG sample at 8 kHz, clean and through the telephone band
  (300-3400 Hz, µ-law), scored as in :mod:`benchmarks.pitch_accuracy`.

A variant halves the tracker when its ratio is near 0.5; it keeps the accuracy when its FFE is
within a few tenths of a percentage point of the defaults' in every condition.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import soundfile as sf

from benchmarks.pitch_accuracy import keele_items, load, ptdb_items
from benchmarks.pitch_speed import call_path, speech_gates
from benchmarks.pitch_truth import PitchScore, score_f0
from callscan.kernels.pitch import track_f0
from callscan.params import PitchParams

HOP_S = 0.01
RATE = 8000
CONDITIONS = ("clean", "tel")

VARIANTS = {
    "defaults": {},
    "coarse 1500 Hz": {"coarse_rate_hz": 1500.0},
    "coarse 1000 Hz": {"coarse_rate_hz": 1000.0},
    "window 12 ms": {"window_s": 0.012},
    "window 10 ms": {"window_s": 0.010},
    "4 candidates": {"n_cands": 4},
    "cand_ratio 0.5": {"cand_ratio": 0.5},
    "coarse 1500 + window 12 ms": {"coarse_rate_hz": 1500.0, "window_s": 0.012},
    "coarse 1000 + window 12 ms + 4 cands": {"coarse_rate_hz": 1000.0, "window_s": 0.012,
                                            "n_cands": 4},
}


def accuracy(params):
    """Pooled :class:`PitchScore` per condition over Keele and PTDB-TUG at 8 kHz."""
    items = keele_items() + ptdb_items()
    hop = int(round(HOP_S * RATE))
    out = {}
    for cond in CONDITIONS:
        total = PitchScore()
        for name, path, ref in items:
            x = load(path, RATE, cond, name)
            f0, _ = track_f0(x, RATE, hop, params=params)
            total = total + score_f0(f0.astype(np.float64), ref)
        out[cond] = total
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="timing rounds (least kept)")
    args = ap.parse_args(argv)
    path = call_path()
    if not path.exists() or not keele_items():
        print(f"corpus not found next to the repository ({path.parent.parent})", file=sys.stderr)
        return 1
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    channels = np.ascontiguousarray(data.T)
    hop = int(round(HOP_S * sr))
    gates, _, _ = speech_gates(path, channels, hop)
    params = {k: dataclasses.replace(PitchParams(), **v) for k, v in VARIANTS.items()}
    for p in params.values():  # compile and first-call costs
        track_f0(channels[0, :sr], sr, hop, gate=gates[0, : -(-sr // hop)], params=p)

    secs = {k: [] for k in params}
    for _ in range(args.repeats):
        for k, p in params.items():
            t0 = time.perf_counter()
            for c in range(channels.shape[0]):
                track_f0(channels[c], sr, hop, gate=gates[c], params=p)
            secs[k].append(time.perf_counter() - t0)
    base = np.array(secs["defaults"])

    dur_h = channels.shape[1] / sr / 3600
    print(f"F0 tracker on {path.name} ({channels.shape[1] / sr:.0f} s, both channels, gated); "
          f"accuracy at {RATE} Hz on {len(keele_items())} Keele + {len(ptdb_items())} PTDB-TUG files")
    head = f"| variant | ms per call | CPU s per call-hour | vs defaults |"
    for cond in CONDITIONS:
        head += f" GPE {cond} | VDE {cond} | FFE {cond} |"
    print(head)
    print("|" + "---|" * (4 + 3 * len(CONDITIONS)))
    for k, p in params.items():
        t = np.array(secs[k])
        ratio = float(np.median(t / base))
        row = f"| {k} | {t.min() * 1000:.1f} | {t.min() / dur_h:.3f} | {ratio:.2f} |"
        for cond, s in accuracy(p).items():
            row += f" {100 * s.gpe:.2f} % | {100 * s.vde:.2f} % | {100 * s.ffe:.2f} % |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
