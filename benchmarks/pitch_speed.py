"""Throughput of callscan's F0 tracker against Praat and librosa on a real 8 kHz phone call.

Run ``python -m benchmarks.pitch_speed`` (``--repeats N`` sets the timing repeats).

Audio: ``shared/corpus/spokenwoz_mul1011/MUL1011_8k_stereo.wav``. It is a 183 s two-party
call with one party per channel. Every method runs in this process on the same float32 channel
with a 10 ms hop. Compile and first-call costs are paid in a warm-up. The methods then take
turns for ``--repeats`` rounds (pYIN runs in the first only, it is slow). Everything is
single-threaded.

``callscan gated``
    :func:`callscan.kernels.pitch.track_f0` with ``gate`` = the channel's speech activity. The mask
    comes from ``callscan.frames.passes.frame_features`` when the engine is importable; otherwise
    frames whose level is more than 15 dB above the channel's 10th-percentile frame level and
    above -45 dBFS. Computing the mask is timed separately and not included.
``callscan all``
    the same with every frame analysed.
``praat``
    ``parselmouth.Sound.to_pitch_ac`` with Praat's defaults (floor 75 Hz, ceiling 600 Hz),
    time step 10 ms (the reference for the ratios). The Sound object is built outside the
    timed region.
``praat60``
    the same with floor 60 Hz and ceiling 500 Hz (callscan's range).
``pyin``, ``yin``
    ``librosa.pyin`` and ``librosa.yin``, fmin 60, fmax 500, frame 512 samples (64 ms).

Reported per channel: the best time, seconds of audio per second of compute at that time
("x real time"), the speed ratio to ``praat`` from the two best times ("vs praat", > 1 =
faster than Praat), and the median over rounds of Praat's time divided by the method's time
in the same round ("per round"). On a machine whose load changes, the first is the
conservative figure. Praat slows down more than callscan when other processes compete for the
CPU, which inflates the second.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import soundfile as sf

from benchmarks.pitch_truth import corpus_root
from callscan.kernels.pitch import track_f0

HOP_S = 0.01
FMIN, FMAX = 60.0, 500.0


def call_path():
    """The benchmark call, located next to the repository."""
    return corpus_root() / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav"


def energy_gate(x, hop, above_floor_db=15.0, min_dbfs=-45.0):
    """Frames louder than the 10th-percentile frame level + ``above_floor_db`` and ``min_dbfs``."""
    n = -(-len(x) // hop)
    frames = np.zeros(n * hop, np.float32)
    frames[:len(x)] = x
    level = 10 * np.log10(np.mean(frames.reshape(n, hop) ** 2, axis=1) + 1e-12)
    return level > max(np.percentile(level, 10) + above_floor_db, min_dbfs)


def speech_gates(path, channels, hop):
    """Per-channel speech masks, the source's name, and the seconds spent computing them."""
    t0 = time.perf_counter()
    try:
        from callscan.audio.decoding import decode
        from callscan.frames.passes import frame_features
        from callscan.params import Params

        audio = decode(str(path))
        frames = frame_features(audio, Params())
        n = -(-channels.shape[1] // hop)
        if frames.speech.shape == (channels.shape[0], n):
            return frames.speech, "callscan.frames.passes speech activity", time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - the engine is optional for this benchmark
        print(f"(engine speech activity unavailable: {exc!r}; using the energy gate)",
              file=sys.stderr)
    t0 = time.perf_counter()
    gates = np.stack([energy_gate(ch, hop) for ch in channels])
    return gates, "energy gate (p10 + 15 dB, > -45 dBFS)", time.perf_counter() - t0


def timed_rounds(runs, repeats, once=()):
    """Wall times of each callable in ``runs`` over ``repeats`` rounds, and its last result.

    The methods take turns within every round, so each round sees them under the same machine
    load. Methods in ``once`` run in the first round only.
    """
    secs = {m: [] for m in runs}
    results = {}
    for r in range(repeats):
        for m, fn in runs.items():
            if r and m in once:
                continue
            t0 = time.perf_counter()
            results[m] = fn()
            secs[m].append(time.perf_counter() - t0)
    return secs, results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="timing repeats (best kept)")
    ap.add_argument("--no-pyin", action="store_true", help="skip librosa.pyin (slow)")
    args = ap.parse_args(argv)
    path = call_path()
    if not path.exists():
        print(f"benchmark call not found: {path}", file=sys.stderr)
        return 1
    import librosa
    import parselmouth

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    channels = np.ascontiguousarray(data.T)  # channels first, once
    hop = int(round(HOP_S * sr))
    dur = channels.shape[1] / sr
    gates, gate_name, gate_s = speech_gates(path, channels, hop)

    # warm-up: JIT compile and first-call costs of every method
    warm = channels[0, : int(sr)]
    track_f0(warm, sr, hop)
    track_f0(warm, sr, hop, gate=np.ones(-(-len(warm) // hop), bool))
    parselmouth.Sound(warm.astype(np.float64), sampling_frequency=sr).to_pitch_ac(time_step=HOP_S)
    librosa.yin(warm, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=512, hop_length=hop)
    if not args.no_pyin:
        librosa.pyin(warm, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=512, hop_length=hop)

    print(f"{path.name}: {dur:.1f} s, {sr} Hz, {channels.shape[0]} channels, hop {hop}")
    print(f"gate: {gate_name}; computed in {gate_s * 1000:.0f} ms for both channels")
    methods = ["callscan gated", "callscan all", "praat", "praat60", "yin"]
    if not args.no_pyin:
        methods.append("pyin")
    print(f"{'channel':8} {'method':15} {'best s':>9} {'x real time':>12} {'vs praat':>9} "
          f"{'per round':>9}")
    for c, x in enumerate(channels):
        gate = gates[c]
        snd = parselmouth.Sound(x.astype(np.float64), sampling_frequency=sr)
        runs = {
            "callscan gated": lambda x=x, gate=gate: track_f0(x, sr, hop, gate=gate),
            "callscan all": lambda x=x: track_f0(x, sr, hop),
            "praat": lambda snd=snd: snd.to_pitch_ac(time_step=HOP_S),
            "praat60": lambda snd=snd: snd.to_pitch_ac(time_step=HOP_S, pitch_floor=FMIN,
                                                       pitch_ceiling=FMAX),
            "yin": lambda x=x: librosa.yin(x, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=512,
                                           hop_length=hop),
            "pyin": lambda x=x: librosa.pyin(x, fmin=FMIN, fmax=FMAX, sr=sr,
                                             frame_length=512, hop_length=hop),
        }
        secs, results = timed_rounds({m: runs[m] for m in methods}, args.repeats,
                                     once=("pyin",))
        praat_best = min(secs["praat"])
        for m in methods:
            best = min(secs[m])
            n = len(secs[m])
            rounds = np.array(secs["praat"][:n]) / np.array(secs[m])
            print(f"{c:<8d} {m:15} {best:9.4f} {dur / best:12.0f} {praat_best / best:9.2f} "
                  f"{np.median(rounds):9.2f}")
        f_gate, v_gate = results["callscan gated"]
        f_all, v_all = results["callscan all"]
        same = (f_gate[gate] == f_all[gate]) | (np.isnan(f_gate[gate]) & np.isnan(f_all[gate]))
        print(f"{'':8} gate share {gate.mean():.1%}; voiced share: gated {v_gate.mean():.1%}, "
              f"all frames {v_all.mean():.1%}; gated frames with the same F0 both ways: "
              f"{same.mean():.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
