"""Pipeline cost against another checkout, alternated in one run, on calls with and without a leak.

    python -m benchmarks.against --other-python OTHER/.venv/bin/python --other-root OTHER [--rounds 3]

OTHER is another checkout of callscan (an earlier commit, installed in its own virtual
environment: ``python3 -m venv OTHER/.venv && OTHER/.venv/bin/pip install -e OTHER``; before
0.2 the package was called ``engine``, which this benchmark also runs). On the same files,
each interpreter in turn analyses each call in a fresh process: three warm-up runs (JIT
and file cache), then ``--runs`` timed ones (CPU seconds of ``analyze_call`` in process,
least and median); the two alternate ``--rounds`` times so the machine's load falls on
both alike. The ratio is this checkout's least time over the other's (the least of all
rounds each).

The calls (8 kHz stereo, the 3-minute tile of the real SpokenWOZ MUL1011 call, as in
``benchmarks.run``):

* ``clean``: the call as it is (no leak: each channel its own party);
* ``clean 16 kHz``: the same resampled to 16 kHz;
* ``leak both ways -20 dB 60 ms band-pass`` and ``leak agent->customer -26 dB 150 ms mu-law``:
  the other party's channel added to one or both channels through the echo paths of
  ``fixtures.leak_calls`` (seeded), as line or network echo puts it there.

BLAS runs one thread, as in ``callscan batch``'s workers (``OPENBLAS_NUM_THREADS=1``);
``--threads`` leaves BLAS's own default. Prints a Markdown table and writes it with the
raw figures as JSON to ``--out``.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

from benchmarks.run import CALL, CALL_S, ROOT, tiled
from fixtures.leak_calls import LeakCell, with_leak

CHILD = """
import sys, time
try:
    from callscan import analyze_call
    from callscan.heap import keep_freed_memory
except ImportError:
    from engine import analyze_call
    from engine.heap import keep_freed_memory
keep_freed_memory()
path, runs = sys.argv[1], int(sys.argv[2])
for _ in range(3):
    analyze_call(path)
times = []
for _ in range(runs):
    t = time.process_time()
    analyze_call(path)
    times.append(time.process_time() - t)
print(" ".join(f"{t:.6f}" for t in times))
"""

LEAKS = {
    "leak both ways -20 dB 60 ms band-pass": LeakCell("mul1011", -20, 60, "both", "bandpass"),
    "leak agent->customer -26 dB 150 ms mu-law": LeakCell("mul1011", -26, 150, "agent_to_customer", "mulaw"),
}


def calls(folder):
    """``{name: path}`` of the calls, written to ``folder``."""
    x, sr = sf.read(CALL, dtype="float64", always_2d=True)
    x = tiled(np.ascontiguousarray(x.T), sr, CALL_S)
    out = {}

    def write(name, y, rate=sr):
        path = pathlib.Path(folder) / f"{len(out)}.wav"
        sf.write(path, np.clip(y, -1.0, 32767 / 32768).T, rate, subtype="PCM_16")
        out[name] = path

    write("clean", x)
    import soxr

    write("clean 16 kHz", np.ascontiguousarray(soxr.resample(x.T, sr, 16000).T), 16000)
    for name, cell in LEAKS.items():
        write(name, with_leak(x, cell))
    return out


def timed(python, root, path, runs, env):
    """CPU seconds of each timed run of ``analyze_call(path)`` in a fresh ``python`` process."""
    proc = subprocess.run([python, "-c", CHILD, str(path), str(runs)], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{python} on {path}: {proc.stderr.strip()[-600:]}")
    return [float(v) for v in proc.stdout.split()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other-python", required=True, help="the other checkout's interpreter")
    ap.add_argument("--other-root", required=True, type=pathlib.Path, help="the other checkout")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", action="store_true", help="leave BLAS its own thread count")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    env = dict(os.environ)
    if not args.threads:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
    sides = {"this": (sys.executable, ROOT), "other": (args.other_python, args.other_root.resolve())}
    got = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = calls(tmp)
        for k in range(args.rounds):
            for side in (("this", "other") if k % 2 == 0 else ("other", "this")):
                python, root = sides[side]
                for name, path in files.items():
                    got.setdefault(name, {}).setdefault(side, []).extend(timed(python, root, path, args.runs, env))
                    print(f"round {k + 1} {side} {name}: least {min(got[name][side]):.4f} s", file=sys.stderr)
    lines = [f"this: {ROOT} ({_commit(ROOT)}), other: {args.other_root} ({_commit(args.other_root)}); "
             f"BLAS threads: {'default' if args.threads else 1}; {args.rounds} alternated rounds of {args.runs} runs",
             "", "| call (3 min) | this CPU s (least / median) | other CPU s (least / median) | this / other |",
             "|---|---|---|---|"]
    for name, by in got.items():
        t, o = np.array(by["this"]), np.array(by["other"])
        lines.append(f"| {name} | {t.min():.4f} / {np.median(t):.4f} | {o.min():.4f} / {np.median(o):.4f} | "
                     f"{t.min() / o.min():.2f}x |")
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"against-{stamp}.json").write_text(json.dumps({"this": str(ROOT), "other": str(args.other_root),
                                                                 "cpu_s": got}, indent=1))
    (args.out / f"against-{stamp}.md").write_text(text + "\n")
    print(text)


def _commit(root):
    proc = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


if __name__ == "__main__":
    main()
