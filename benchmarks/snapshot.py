"""Fingerprints of everything callscan writes for a fixed set of calls, to compare commits.

For each call: the record with events (JSON, keys sorted), the frame table (Parquet and
CSV, from ``callscan features``' writer) and the timeline picture (PNG). Each is written
under ``OUT/<call>/`` and hashed into ``OUT/hashes.json``; two snapshots taken before and
after a change are compared with ``--compare``.

``engine_version`` and ``params_hash`` are left out of the records' hashes when
``--ignore-identity`` is given (a version bump or a new hashed parameter changes them,
not the measures); everything else is compared byte for byte.

Calls: every fixture call, and where ``../shared/corpus`` exists SpokenWOZ MUL1011 (8 kHz
stereo), stereo_diarization (16 kHz stereo), audio_whisper_stereo_es (two microphones in
one room), the pyannote sample (16 kHz mono), Keele f1 (20 kHz mono, resampled).

Usage::

    python -m benchmarks.snapshot OUT
    python -m benchmarks.snapshot --compare OLD NEW [--ignore-identity]
"""

import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
CORPUS_CALLS = (
    "spokenwoz_mul1011/MUL1011_8k_stereo.wav",
    "faster_whisper_testdata/stereo_diarization.wav",
    "audio_whisper_stereo_es/stereo.wav",
    "pyannote_sample/sample.wav",
    "keele_pitch/f1nw0000.wav",
)
IDENTITY = ("engine_version", "params_hash")


def calls():
    """(name, path) of every call snapshotted here."""
    folder = os.path.join(ROOT, "fixtures", "calls")
    out = [(os.path.splitext(f)[0], os.path.join(folder, f)) for f in sorted(os.listdir(folder))
           if f.endswith((".wav", ".flac"))]
    for rel in CORPUS_CALLS:
        path = os.path.join(CORPUS, rel)
        if os.path.exists(path):
            out.append((rel.split("/")[0], path))
    return out


def _api():
    try:
        from callscan.analyze import analyze_call, open_call
        from callscan.frames import frame_features
        from callscan.params import Params
        from callscan.view.plot import plot_call
        from callscan.writers import write_frames
    except ImportError:  # the layout before the package was named callscan
        from engine.features import frame_features
        from engine.plot import plot_call
        from engine.tables import write_frames

        from engine.analyze import analyze_call, open_call
        from engine.params import Params
    return analyze_call, open_call, frame_features, Params, plot_call, write_frames


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def take(out):
    """Write every output of every call under ``out`` and their hashes in ``out/hashes.json``."""
    analyze_call, open_call, frame_features, Params, plot_call, write_frames = _api()
    params = Params()
    hashes = {}
    for name, path in calls():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        record = analyze_call(path, params=params, events=True)
        for key in IDENTITY:
            hashes[f"{name}/{key}"] = record.get(key)
        # The path names the checkout the snapshot was taken in; two checkouts compare without it.
        bare = {k: v for k, v in record.items() if k not in IDENTITY + ("path",)}
        files = {
            "record.json": json.dumps(record, sort_keys=True, ensure_ascii=False),
            "record_bare.json": json.dumps(bare, sort_keys=True, ensure_ascii=False),
        }
        for fname, text in files.items():
            with open(os.path.join(folder, fname), "w", encoding="utf-8") as f:
                f.write(text)
        frames = frame_features(open_call(path, params=params), params)
        write_frames(frames, os.path.join(folder, "frames.parquet"))
        write_frames(frames, os.path.join(folder, "frames.csv"))
        plot_call(path, os.path.join(folder, "timeline.png"), params=params)
        for fname in ("record.json", "record_bare.json", "frames.parquet", "frames.csv", "timeline.png"):
            hashes[f"{name}/{fname}"] = _digest(os.path.join(folder, fname))
        print(f"{name}: {record.get('status')} {record.get('mode')}", file=sys.stderr)
    with open(os.path.join(out, "hashes.json"), "w") as f:
        json.dump(hashes, f, indent=1, sort_keys=True)
    return hashes


def compare(old, new, ignore_identity=False):
    """Names whose hashes differ between two snapshots (missing on either side included)."""
    with open(os.path.join(old, "hashes.json")) as f:
        a = json.load(f)
    with open(os.path.join(new, "hashes.json")) as f:
        b = json.load(f)
    skip = ("record.json",) + IDENTITY if ignore_identity else ()
    return sorted(k for k in set(a) | set(b) if not k.endswith(skip) and a.get(k) != b.get(k))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    ap.add_argument("--ignore-identity", action="store_true")
    args = ap.parse_args(argv)
    if args.compare:
        diff = compare(*args.compare, ignore_identity=args.ignore_identity)
        for k in diff:
            print("differs:", k)
        print(f"{len(diff)} differences")
        return 1 if diff else 0
    if not args.out:
        ap.error("OUT or --compare OLD NEW")
    hashes = take(args.out)
    print(f"{len(hashes)} entries in {os.path.join(args.out, 'hashes.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
