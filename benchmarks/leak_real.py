"""Leaks added to a real stereo call, scored against callscan's own result on the clean call.

    python -m benchmarks.leak_real [CALL] [--levels ...] [--delays ...]

The fixture sweep (``benchmarks.leak_accuracy``) has truth but short, even-levelled calls; a
real call has parties 4 dB apart, digital silence, a line floor near -86 dBFS. Here the
leaks of ``fixtures.leak_calls.echo_path`` (plain, 300-3400 Hz, mu-law paths; both ways,
agent into customer, customer into agent) are added to a real call (default: SpokenWOZ
MUL1011 of the shared corpus, 3 minutes, 8 kHz), and each leaky call is scored against
what callscan finds on the clean one: speech-frame F1 per channel (10 ms) and the overlap
total's difference. A cell is met when both F1 >= 0.97 and the overlap is within
max(0.3 s, 10 %), as in the sweep. This measures consistency under leaks, not accuracy:
the clean call's own errors are not counted.
"""

import argparse
import os
import tempfile

import numpy as np
import soundfile as sf

from benchmarks import scoring
from fixtures import leak_calls

DEFAULT = leak_calls.CORPUS / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav"
DIRECTIONS = ("both", "agent_to_customer", "customer_to_agent")


def speech_masks(rec, n):
    out = []
    for party in ("customer", "agent"):
        m = np.zeros(n, bool)
        for e in rec["events"]:
            if e["kind"] == "speech" and e["party"] == party:
                m |= scoring.truth_mask([(e["start_s"], e["end_s"])], n, 0.01)
        out.append(m)
    return out


def main(argv=None):
    from callscan.analyze import analyze_call

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("call", nargs="?", default=str(DEFAULT))
    parser.add_argument("--levels", type=float, nargs="+", default=[-6, -10, -15, -20, -26, -32])
    parser.add_argument("--delays", type=float, nargs="+", default=[10, 60, 150, 300])
    args = parser.parse_args(argv)
    x, sr = sf.read(args.call, dtype="float64", always_2d=True)
    if sr != leak_calls.SR:
        import soxr

        x = soxr.resample(x, sr, leak_calls.SR)
    x = x.T.copy()
    n = int(np.ceil(x.shape[1] / leak_calls.SR / 0.01))
    met = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "call.wav")
        leak_calls.write_wav(path, x)
        ref = analyze_call(path, events=True)
        want = speech_masks(ref, n)
        tol = max(0.3, 0.1 * ref["overlap_s"])
        print(f"clean call: overlap {ref['overlap_s']:.2f} s, layout {ref['channel_layout']}")
        print("| cell | F1 customer / agent | overlap error s | layout |")
        print("|---|---|---|---|")
        for direction in DIRECTIONS:
            for kind in leak_calls.SWEEP_PATHS:
                for level in args.levels:
                    for delay in args.delays:
                        cell = leak_calls.LeakCell("real", level, delay, direction, kind)
                        leak_calls.write_wav(path, leak_calls.with_leak(x, cell))
                        rec = analyze_call(path, events=True)
                        got = speech_masks(rec, n)
                        f1 = [scoring.f1(got[c], want[c]) for c in (0, 1)]
                        err = rec["overlap_s"] - ref["overlap_s"]
                        ok = min(f1) >= 0.97 and abs(err) <= tol
                        met, total = met + ok, total + 1
                        print(f"| {cell.name} | {f1[0]:.3f} / {f1[1]:.3f} | {err:+.2f}{'' if ok else ' *'} | "
                              f"{rec['channel_layout']} |", flush=True)
    print(f"\ncells met: {met}/{total}")


if __name__ == "__main__":
    main()
