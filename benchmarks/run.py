"""Throughput suite: every stage and the whole pipeline against the anchors.

    python -m benchmarks.run [--minutes 1 3 10 60] [--long-minutes 240] [--out benchmarks/results]

On the real 8 kHz stereo call of the shared corpus (SpokenWOZ MUL1011, tiled to
each length) and on the same audio at 16 kHz, after a warm-up so JIT compile
time is never timed:

* each stage of the pipeline (decode, the 100 Hz high-pass, energy, the dual-mono check,
  activity, the leak stage (search, fit, residual; the shared-room check), spectra (the short-time
  spectra the hold check and the spectral features share), hold (the music score included), pitch, spectral,
  quality, syllable nuclei, the rest of rate and agitation, other measures, and the
  passes' own bookkeeping as "other"), timed inside the real ``analyze_call`` by wrapping the functions it
  calls;
* the whole pipeline: CPU seconds and x-real-time per core (call seconds per CPU
  second, single-threaded), and peak memory (max RSS of a fresh process), also on a
  4-hour tile (``--long-minutes``, least of two runs, no anchors);
* start-up: wall time of ``callscan analyze`` on the 3-minute call in fresh processes,
  cold (empty Numba cache) and warm;
* the anchors in the same run on the same audio: call-ai-metrics (energy-only
  call metrics; timed from the WAV file like callscan, and on the samples in
  memory), Praat pitch (parselmouth ``to_pitch_ac``), librosa.yin,
  librosa.pyin (1-minute tile only: it is slow), webrtcvad (mode 2, 30 ms).

The process keeps freed memory for reuse (``callscan.heap.keep_freed_memory``), as the
``callscan`` command and its batch workers do.

Writes ``run-<stamp>.json`` and ``run-<stamp>.md`` to ``--out`` and prints the
Markdown table. The machine may be shared: ratios from the same run mean more
than absolute times.
"""

import argparse
import contextlib
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CALL = CORPUS / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav"
CALL_S = 180  # the 3-minute tile is the 183 s call less its last 3 s: the content of the long tiles

# (module[:class], attribute, stage) wrapped to time the stages inside analyze_call. A stage
# called inside another (nuclei in voice_measures in call_measures) is counted in its own
# stage only (stage_timer), so no time is counted twice; what is left ("other") is the
# passes' own bookkeeping (block assembly, whole-call figures).
STAGES = [
    ("callscan.analyze", "open_call", "decode"),
    ("callscan.audio.blocks:FileSource", "_read", "decode"),
    ("callscan.frames.passes", "highpass", "high-pass"),
    ("callscan.frames.leak", "highpass", "high-pass"),
    ("callscan.frames.passes", "frame_levels", "energy"),
    ("callscan.frames.passes", "mix_segments", "dual mono"),
    ("callscan.frames.passes", "leak_activity", "leak"),
    ("callscan.frames.passes", "room_activity", "leak"),
    ("callscan.kernels.pitch:F0Tracker", "levels", "energy"),
    ("callscan.frames.passes", "speech_activity", "activity"),
    ("callscan.frames.passes", "leak_activity", "activity"),
    ("callscan.frames.passes", "block_spectra", "spectra"),
    ("callscan.frames.passes", "hold_wanted", "hold"),
    ("callscan.frames.passes", "steadiness", "hold"),
    ("callscan.frames.passes", "steadiness_of_spectra", "hold"),
    ("callscan.frames.passes", "steady_sound", "hold"),
    ("callscan.frames.passes", "bridge_hold", "hold"),
    ("callscan.frames.passes", "music_like", "hold"),
    ("callscan.frames.passes", "pitch_candidates", "pitch"),
    ("callscan.kernels.pitch:F0Tracker", "path", "pitch"),
    ("callscan.frames.passes", "spectral_features", "spectral"),
    ("callscan.frames.passes", "band_features", "spectral"),
    ("callscan.kernels.quality:RunTracker", "add", "quality"),
    ("callscan.measures.voice", "syllable_nuclei", "nuclei"),
    ("callscan.analyze", "voice_measures", "rate+agitation"),
    ("callscan.analyze", "call_measures", "measures"),
]


@contextlib.contextmanager
def stage_timer():
    """Wrap the pipeline's functions; yields a dict stage -> CPU seconds."""
    import importlib

    spent = {}
    saved = []
    inner = []  # per timed call now running: CPU s spent in the timed calls it made

    def wrap(fn, stage):
        def timed(*args, **kwargs):
            t = time.process_time()
            inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.process_time() - t
                # a stage called inside another (nuclei inside rate+agitation inside
                # measures) counts in its own stage only
                spent[stage] = spent.get(stage, 0.0) + took - inner.pop()
                if inner:
                    inner[-1] += took

        return timed

    for target, attr, stage in STAGES:
        mod_name, _, cls = target.partition(":")
        owner = importlib.import_module(mod_name)
        if cls:
            owner = getattr(owner, cls)
        fn = owner.__dict__[attr] if cls else getattr(owner, attr)
        saved.append((owner, attr, fn))
        setattr(owner, attr, wrap(fn, stage))
    try:
        yield spent
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)


def tiled(samples, sr, seconds):
    """The call repeated (whole copies, then a cut) to ``seconds``, shape (2, n)."""
    n = int(seconds * sr)
    reps = -(-n // samples.shape[1])
    return np.tile(samples, (1, reps))[:, :n]


def best_cpu(fn, repeat):
    """Least CPU seconds of ``repeat`` runs of ``fn()``."""
    best = None
    for _ in range(repeat):
        t = time.process_time()
        fn()
        d = time.process_time() - t
        best = d if best is None else min(best, d)
    return best


def peak_rss_mb(path):
    """Max RSS (MB) of a fresh process that analyses ``path``."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child
    # of this (large) benchmark process would report the parent's peak.
    code = (
        "import sys; from callscan import analyze_call, keep_freed_memory; keep_freed_memory(); analyze_call(sys.argv[1]);"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024.0


def anchors(path, x, sr, with_pyin):
    """CPU seconds of each anchor on the call: its file ``path``, or its samples ``x``
    ((2, n), float32) for the anchors that take no file."""
    out = {}
    with contextlib.suppress(ImportError):
        from call_ai_metrics import analyze as cam

        # From the file, as callscan is timed: both decode and measure.
        out["call-ai-metrics"] = best_cpu(lambda: cam(str(path), speakers=["customer", "agent"]), 3)
        # Its metrics alone, on samples already in memory.
        out["call-ai-metrics (samples in memory)"] = best_cpu(
            lambda: cam(x.T, sample_rate=sr, speakers=["customer", "agent"]), 2
        )
    with contextlib.suppress(ImportError):
        import parselmouth

        def praat():
            for ch in x:
                parselmouth.Sound(ch.astype(np.float64), sampling_frequency=sr).to_pitch_ac(time_step=0.01)

        out["praat pitch"] = best_cpu(praat, 2)
    import librosa

    out["librosa.yin"] = best_cpu(
        lambda: [librosa.yin(ch, fmin=60, fmax=500, sr=sr, frame_length=int(0.05 * sr), hop_length=sr // 100) for ch in x], 1
    )
    if with_pyin:
        out["librosa.pyin"] = best_cpu(
            lambda: [librosa.pyin(ch, fmin=60, fmax=500, sr=sr, frame_length=int(0.064 * sr), hop_length=sr // 100) for ch in x],
            1,
        )
    with contextlib.suppress(ImportError):
        import webrtcvad

        vad = webrtcvad.Vad(2)
        step = int(0.03 * sr)

        def run_vad():
            for ch in x:
                pcm = (np.clip(ch, -1, 1) * 32767).astype("<i2").tobytes()
                for i in range(0, len(pcm) // 2 - step, step):
                    vad.is_speech(pcm[2 * i : 2 * (i + step)], sr)

        out["webrtcvad"] = best_cpu(run_vad, 1)
    return out


def startup(path, runs=5):
    """Wall seconds of ``callscan analyze PATH`` in fresh processes: the first on an empty
    Numba cache (cold: every kernel compiles), then ``runs`` on the cache it filled (warm)."""
    exe = pathlib.Path(sys.executable).with_name("callscan")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "callscan"]), "analyze", str(path)]
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)

        def wall():
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
            return time.perf_counter() - t

        cold = wall()
        warm = sorted(wall() for _ in range(runs))
    return {"call": str(path), "cold_s": round(cold, 3), "warm_median_s": round(warm[len(warm) // 2], 3),
            "warm_min_s": round(warm[0], 3), "warm_max_s": round(warm[-1], 3)}


def bench(path, seconds, sr, with_pyin, with_anchors, repeat=2):
    from callscan.analyze import analyze_call

    analyze_call(path)  # warm: JIT and file cache
    with stage_timer() as spent:
        timed_total = best_cpu(lambda: analyze_call(path), 1)
    stages = {k: round(v, 4) for k, v in spent.items()}
    stages["other"] = round(max(timed_total - sum(spent.values()), 0.0), 4)
    total = best_cpu(lambda: analyze_call(path), repeat)
    row = {
        "audio": f"{seconds / 60:g} min, {sr // 1000} kHz stereo",
        "seconds": seconds,
        "sample_rate": sr,
        "pipeline_cpu_s": round(total, 4),
        "x_realtime_per_core": round(seconds / total, 1),
        "cpu_s_per_call_hour": round(total * 3600 / seconds, 3),
        "stages_cpu_s": stages,
        # A fresh process on a warm Numba cache (the first run may compile and cache).
        "peak_rss_mb": round(min(peak_rss_mb(path), peak_rss_mb(path)), 1),
    }
    if with_anchors:
        x, _ = sf.read(path, dtype="float32", always_2d=True)
        row["anchors_cpu_s"] = {k: round(v, 4) for k, v in anchors(path, np.ascontiguousarray(x.T), sr, with_pyin).items()}
    return row


def markdown(rows, machine, start=None):
    lines = [f"Machine: {machine}", ""]
    lines.append("| audio | pipeline CPU s | x real time per core | CPU s per call-hour | peak RSS MB | slowest stages (CPU s) |")
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        top = sorted(r["stages_cpu_s"].items(), key=lambda kv: -kv[1])[:4]
        lines.append(
            f"| {r['audio']} | {r['pipeline_cpu_s']:.3f} | {r['x_realtime_per_core']:.0f} | {r['cpu_s_per_call_hour']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {', '.join(f'{k} {v:.3f}' for k, v in top)} |"
        )
    lines += ["", "| audio | anchor | anchor CPU s | callscan pipeline / anchor throughput |", "|---|---|---|---|"]
    for r in rows:
        for name, cpu in r.get("anchors_cpu_s", {}).items():
            lines.append(f"| {r['audio']} | {name} | {cpu:.3f} | {cpu / r['pipeline_cpu_s']:.2f}× |")
    lines += ["", "Targets:", ""] + [f"- {t}" for t in targets(rows, start)]
    if start:
        lines += ["", f"Start-up, `callscan analyze` on {pathlib.Path(start['call']).name} (wall s): cold "
                  f"{start['cold_s']:.2f}, warm median {start['warm_median_s']:.2f} "
                  f"(range {start['warm_min_s']:.2f}-{start['warm_max_s']:.2f})"]
    return "\n".join(lines)


def targets(rows, start):
    """The throughput targets with what this run measured, met or not."""
    eight = [r for r in rows if r["sample_rate"] == 8000]
    hour = max(eight, key=lambda r: r["seconds"] if r["seconds"] <= 3600 else 0)
    first = min(eight, key=lambda r: r["seconds"])
    out = []

    def line(ok, text):
        out.append(f"{'met' if ok else 'NOT met'}: {text}")

    line(hour["cpu_s_per_call_hour"] <= 1.2,
         f"≥ 3000× real time per core (≤ 1.2 CPU s per call-hour): {hour['audio']} {hour['x_realtime_per_core']:.0f}× "
         f"({hour['cpu_s_per_call_hour']:.2f} s per call-hour)")
    cam = hour.get("anchors_cpu_s", {}).get("call-ai-metrics")
    if cam:
        ratio = cam / hour["pipeline_cpu_s"]
        line(ratio >= 2.0, f"≥ 2× call-ai-metrics' throughput on {hour['audio']} (both from the file): {ratio:.2f}×")
    for short in sorted({first["seconds"], *(r["seconds"] for r in eight if r["seconds"] == CALL_S)}):
        base = next(r for r in eight if r["seconds"] == short)
        per_s = hour["pipeline_cpu_s"] / hour["seconds"] / (base["pipeline_cpu_s"] / base["seconds"])
        note = " (the call itself: the same content)" if short == CALL_S else ""
        line(abs(per_s - 1.0) <= 0.10,
             f"linear cost: per-second cost of {hour['audio']} is {per_s:.2f}× that of {base['audio']}{note}")
    longest = max(eight, key=lambda r: r["seconds"])
    if longest["seconds"] >= 4 * 3600:
        line(longest["peak_rss_mb"] <= 300, f"{longest['audio']} within 300 MB peak RSS: {longest['peak_rss_mb']:.0f} MB")
    if start:
        line(start["warm_median_s"] <= 1.5, f"start-up ≤ 1.5 s wall on a warm Numba cache: median {start['warm_median_s']:.2f} s")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 3, 10, 60])
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--long-minutes", type=float, nargs="*", default=[240],
                    help="longer calls (least of two runs), for memory and linearity, without anchors")
    ap.add_argument("--no-anchors", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    args = ap.parse_args(argv)
    from callscan.heap import keep_freed_memory

    keep_freed_memory()  # as `callscan` and its batch workers run (callscan.heap)
    if not CALL.exists():
        sys.exit(f"the real call is missing: {CALL}")
    x, sr = sf.read(CALL, dtype="float32", always_2d=True)
    x = np.ascontiguousarray(x.T)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(m, 8000) for m in args.minutes] + [(m, 8000) for m in args.long_minutes]
        cases += [(min(args.minutes), 16000)]
        for minutes, rate in cases:
            seconds = minutes * 60
            y = tiled(x, sr, seconds)
            if rate != sr:
                import soxr

                y = np.ascontiguousarray(soxr.resample(y.T, sr, rate).T)
            path = pathlib.Path(tmp) / f"call_{minutes:g}min_{rate}.wav"
            sf.write(path, y.T, rate, subtype="PCM_16")
            long = minutes in args.long_minutes and minutes not in args.minutes
            # best of several runs: the machine may be shared, and the least time is the
            # one least disturbed (about 20 s of pipeline time per row, at least 5 runs; the
            # long ones twice)
            repeat = 2 if long else max(5, min(30, int(1200 / seconds)))
            row = bench(path, seconds, rate, with_pyin=minutes == min(args.minutes),
                        with_anchors=not (args.no_anchors or long), repeat=repeat)
            path.unlink()
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    start = None if args.no_startup else startup(CALL)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = markdown(rows, machine, start)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"run-{stamp}.json").write_text(json.dumps({"machine": machine, "rows": rows, "startup": start}, indent=1))
    (args.out / f"run-{stamp}.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
