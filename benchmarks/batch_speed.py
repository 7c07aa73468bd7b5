"""Batch throughput with one and with two worker processes.

    python -m benchmarks.batch_speed [--calls 200] [--jobs 1 2]

Links the fixture calls (``fixtures/calls/*.wav|flac``) into a temporary folder
until there are ``--calls`` inputs, runs ``callscan.batch.run.run_batch`` on them once
per worker count (fresh output folder each time, Parquet, default parameters)
and prints, per run: wall time of the whole run (worker start-up and Numba
warm-up, analysis, checkpoint, tables), the analysis stage alone (first file
sent to a worker to last result), calls per second over that stage, and audio
seconds per wall second, with the load average before the run (other work
on the machine takes cores from the workers). Each worker count runs ``--repeat`` times,
interleaved, and the ratio line compares the best analysis-stage throughput of
the largest worker count with that of the smallest; worker start-up is a fixed
cost per run (about a second), not part of throughput. The CPU time of the
batch process itself (dispatch, checkpoint, tables) is printed too.
"""

import argparse
import os
import pathlib
import resource
import tempfile

from callscan.batch.run import run_batch

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "calls"


def link_calls(folder, n):
    """Make ``n`` symbolic links to the fixture calls in ``folder``."""
    sources = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".wav", ".flac"))
    for i in range(n):
        src = sources[i % len(sources)]
        os.symlink(src, folder / f"call_{i:05d}{src.suffix}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2, help="runs per worker count, interleaved; the best counts")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        inputs = tmp / "calls"
        inputs.mkdir()
        link_calls(inputs, args.calls)
        rates = {}
        print(f"{args.calls} calls linked from {FIXTURES}, {os.cpu_count()} cores")
        print("| jobs | run | load avg before | wall s | analysis s | calls/s | audio s per s "
              "| parent CPU s | failed |")
        print("|---|---|---|---|---|---|---|---|---|")
        for run in range(args.repeat):
            for jobs in args.jobs:
                load = os.getloadavg()[0]
                cpu = resource.getrusage(resource.RUSAGE_SELF)
                r = run_batch([str(inputs)], str(tmp / f"out_j{jobs}_{run}"), jobs=jobs)
                after = resource.getrusage(resource.RUSAGE_SELF)
                parent = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
                rate = r.inputs / r.analysis_s
                rates[jobs] = max(rates.get(jobs, 0.0), rate)
                print(
                    f"| {jobs} | {run + 1} | {load:.2f} | {r.wall_s:.2f} | {r.analysis_s:.2f} | {rate:.1f} | "
                    f"{r.analyzed_audio_s / r.analysis_s:.0f} | {parent:.2f} | {r.n_failed} |"
                )
        lo, hi = min(rates), max(rates)
        if hi != lo:
            print(f"best calls/s: -j {lo} {rates[lo]:.1f}, -j {hi} {rates[hi]:.1f}; "
                  f"throughput ratio -j {hi} / -j {lo}: {rates[hi] / rates[lo]:.2f}")


if __name__ == "__main__":
    main()
