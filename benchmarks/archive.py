"""The archive scene: many files, whole processes, callscan next to call-ai-metrics.

What a user pays to run an archive is the CPU of every process the run starts, start-up and
compilation caches included, not the pipeline inside a warm process (``benchmarks.run``).
This benchmark makes ``--n`` symbolic links (default 500) to each of two calls:

* the real 3-minute call of the shared corpus (SpokenWOZ MUL1011, 8 kHz stereo), and
* the 46-second fixture call ``fixtures/calls/demo_call.wav``,

and on each set runs, as their users would:

* ``callscan batch DIR -o OUT -j 1`` and ``-j 2`` (Parquet out, a fresh OUTDIR each run);
* call-ai-metrics 0.1.0 as a Python loop over its ``analyze`` (one process, its import
  included);
* per file, one process each: ``callscan analyze FILE`` and ``call-ai-metrics FILE --json``,
  on the first ``--per-file`` files (default 50), reported per file and scaled to the set.

For each it reports the CPU seconds of the whole process tree (user + system of every
child process waited for, from ``resource.getrusage(RUSAGE_CHILDREN)``), the wall time,
the audio hours, callscan's × real time per core, and each run's CPU against
call-ai-metrics' loop on the same files. Runs alternate between the tools, ``--repeat``
rounds (default 2), and the least CPU of the rounds is reported. Numba's cache is warmed
once before the first timed run, as an installed callscan's would be.

Usage::

    python -m benchmarks.archive [--n 500] [--repeat 2] [--per-file 50] [--work DIR]

Writes ``benchmarks/results/archive-<time>.json`` and ``.md`` and prints the table.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CALLS = {
    "3-minute real call": CORPUS / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav",
    "46 s fixture call": ROOT / "fixtures" / "calls" / "demo_call.wav",
}


def machine():
    """One line naming the machine: CPU model, cores, Python."""
    model = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def timed(cmd, **kw):
    """(CPU s of the process tree, wall s) of one command run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def links(folder, target, n):
    """``n`` symbolic links to ``target`` in ``folder``, sorted names."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"call_{i:05d}{target.suffix}"
        if not p.exists():
            p.symlink_to(target)
        paths.append(p)
    return paths


def tools(folder, paths, work, per_file):
    """name -> (function returning (cpu, wall), files it covers)."""
    exe = shutil.which("callscan") or [sys.executable, "-m", "callscan"]
    callscan = [exe] if isinstance(exe, str) else exe
    cam_cli = shutil.which("call-ai-metrics")
    loop = ("import sys, glob\nfrom call_ai_metrics import analyze\n"
            "for p in sorted(glob.glob(sys.argv[1] + '/*.wav')):\n    analyze(p)\n")
    out = {}
    for jobs in (1, 2):
        def batch(jobs=jobs):
            outdir = work / f"out-j{jobs}"
            shutil.rmtree(outdir, ignore_errors=True)
            return timed([*callscan, "batch", str(folder), "-o", str(outdir), "-j", str(jobs), "--overwrite"])
        out[f"callscan batch -j {jobs}"] = (batch, len(paths))
    out["call-ai-metrics, Python loop over analyze"] = (lambda: timed([sys.executable, "-c", loop, str(folder)]),
                                                       len(paths))
    some = paths[:per_file]

    def each(cmd):
        cpu = wall = 0.0
        for p in some:
            c, w = timed([*cmd, str(p)])
            cpu, wall = cpu + c, wall + w
        return cpu, wall

    out["callscan analyze, one process per file"] = (lambda: each([*callscan, "analyze"]), len(some))
    if cam_cli:
        out["call-ai-metrics CLI, one process per file"] = (lambda: each([cam_cli, "--json", "--quiet"]), len(some))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=500, help="links per call")
    ap.add_argument("--repeat", type=int, default=2, help="alternating rounds")
    ap.add_argument("--per-file", type=int, default=50, help="files for the one-process-per-file rows")
    ap.add_argument("--work", type=Path, default=None, help="folder for the links and outputs")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="callscan-archive-"))
    missing = [str(p) for p in CALLS.values() if not p.exists()]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (the shared corpus sits at ../shared/corpus)")
    # warm Numba's cache once, as an installed callscan's would be
    subprocess.run([sys.executable, "-m", "callscan", "analyze", str(CALLS["46 s fixture call"])],
                   stdout=subprocess.DEVNULL, check=True)
    results = {"machine": machine(), "n": args.n, "repeat": args.repeat, "per_file": args.per_file, "sets": {}}
    for label, target in CALLS.items():
        folder = work / target.stem
        paths = links(folder, target, args.n)
        seconds = sf.info(str(target)).duration
        runs = tools(folder, paths, work, args.per_file)
        names = list(runs)
        best = {}
        for r in range(args.repeat):
            order = names[r % len(names):] + names[:r % len(names)]  # alternate who goes first
            for name in order:
                fn, files = runs[name]
                cpu, wall = fn()
                print(f"  {label} | {name}: {cpu:.2f} CPU s, {wall:.2f} s wall ({files} files)", file=sys.stderr)
                prev = best.get(name)
                if prev is None or cpu < prev["cpu_s"]:
                    best[name] = {"cpu_s": cpu, "wall_s": wall, "files": files, "audio_s": files * seconds}
        results["sets"][label] = {"call_s": seconds, "rows": best}
    text = table(results)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"archive-{stamp}.json").write_text(json.dumps(results, indent=1))
    (out / f"archive-{stamp}.md").write_text(text + "\n")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def table(results):
    """The Markdown table of a run."""
    lines = [f"Machine: {results['machine']}. {results['n']} links per call; least CPU of {results['repeat']} "
             f"alternating rounds; per-file rows on the first {results['per_file']} files.", "",
             "| files | run | CPU s (process tree) | wall s | CPU ms per file | x real time per core | CPU vs call-ai-metrics loop |",
             "|---|---|---|---|---|---|---|"]
    for label, s in results["sets"].items():
        rows = s["rows"]
        ref = rows.get("call-ai-metrics, Python loop over analyze")
        ref_per_file = ref["cpu_s"] / ref["files"] if ref else None
        for name, r in rows.items():
            per_file = r["cpu_s"] / r["files"]
            ratio = f"{per_file / ref_per_file:.2f}x" if ref_per_file else ""
            lines.append(f"| {r['files']} x {label} | {name} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | "
                         f"{1000 * per_file:.0f} | {r['audio_s'] / r['cpu_s']:.0f} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
