"""Agitation accuracy: EMO-DB anger against neutral, and synthetic calls that calm down.

    python -m benchmarks.agitation_accuracy [--list]

Matched pairs (``../shared/corpus/emodb_anger_neutral``)
--------------------------------------------------------
Every utterance is scored on its own, as one party of a call, in the telephone case
(resampled to 8 kHz, band-limited to 300-3400 Hz; ``benchmarks.voice_common``): the
score of the whole span (``{party}_agitation``). Nothing of the other utterance of a
pair is used, so the comparison tests the cross-call scale. A pair is an anger and a
neutral utterance of the same actor and sentence (every such combination of versions).
Reported: the share of pairs whose anger utterance scores higher, per actor the mean
score of the anger and of the neutral utterances, and across actors the probability that
an anger utterance outscores a neutral one (AUC; every anger against every neutral). The copy is cut or padded to 2 s at
22.05 kHz; the first 2 s of each utterance are scored (all 103 files).

Synthetic calls
---------------
One call per actor, built deterministically (files in name order): the customer (left
channel) says four anger utterances and then four neutral ones of that actor; the agent
(right channel) answers each with a neutral utterance of the next actor. Turns are
separated by 0.6 s of -70 dBFS white noise (seeded), which also fills the other channel
while one party speaks. The call goes through ``callscan.analyze.call_measures`` in the
telephone case; ``customer_agitation_shift`` (q4 - q1) should be negative.
"""

import argparse
import csv
import sys

import numpy as np
import soundfile as sf

from benchmarks.voice_common import CORPUS, analyze_call_array, analyze_channel, telephone
from callscan.measures.agitation import stretch_scores
from callscan.measures.spans import span_frames
from callscan.params import Params

GAP_S = 0.6
NOISE_DBFS = -70.0


def emodb_rows(corpus=CORPUS):
    """Rows of ``files.tsv`` (all files)."""
    with open(corpus / "emodb_anger_neutral" / "files.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def utterance_scores(corpus=CORPUS, params=None):
    """Agitation of every EMO-DB utterance scored alone in the telephone case.

    Returns
    -------
    list of dict
        ``file``, ``speaker``, ``sentence``, ``emotion``, ``score`` (None when unscored).
    """
    params = params or Params()
    out = []
    for row in emodb_rows(corpus):
        x, sr = sf.read(corpus / "emodb_anger_neutral" / "wav" / row["file"], dtype="float32")
        y, r = telephone(x, sr)
        frames, track = analyze_channel(y, r, params)
        bounds = span_frames(track.speech)
        whole = None
        if bounds is not None:
            whole = stretch_scores(track, bounds, frames.hop_s, params.agitation, params.rate.min_talk_s)[0]
        out.append({"file": row["file"], "speaker": row["speaker"], "sentence": row["sentence"],
                    "emotion": row["emotion"], "score": whole})
    return out


def pair_summary(scores):
    """Pair accuracy overall and per actor.

    Returns
    -------
    dict
        ``pairs``, ``anger_higher`` (count), ``accuracy``, ``unscored`` (files), and
        ``actors``: speaker -> {``anger_mean``, ``neutral_mean``, ``pairs``, ``accuracy``}.
    """
    unscored = [s["file"] for s in scores if s["score"] is None]
    ok = [s for s in scores if s["score"] is not None]
    pairs = []
    for a in ok:
        if a["emotion"] != "anger":
            continue
        for n in ok:
            if n["emotion"] == "neutral" and n["speaker"] == a["speaker"] and n["sentence"] == a["sentence"]:
                pairs.append((a["speaker"], a["score"] > n["score"]))
    actors = {}
    for spk in sorted({s["speaker"] for s in ok}, key=int):
        mine = [p for p in pairs if p[0] == spk]
        actors[spk] = {
            "anger_mean": float(np.mean([s["score"] for s in ok if s["speaker"] == spk and s["emotion"] == "anger"])),
            "neutral_mean": float(np.mean([s["score"] for s in ok if s["speaker"] == spk and s["emotion"] == "neutral"])),
            "pairs": len(mine),
            "accuracy": float(np.mean([p[1] for p in mine])) if mine else float("nan"),
        }
    higher = sum(p[1] for p in pairs)
    anger = [s["score"] for s in ok if s["emotion"] == "anger"]
    neutral = [s["score"] for s in ok if s["emotion"] == "neutral"]
    auc = float(np.mean([a > n for a in anger for n in neutral])) if anger and neutral else float("nan")
    return {"pairs": len(pairs), "anger_higher": int(higher), "accuracy": higher / len(pairs) if pairs else float("nan"),
            "auc_across_actors": auc, "unscored": unscored, "actors": actors}


def synthetic_call(speaker, next_speaker, rows, corpus=CORPUS, per_half=4, seed=0):
    """Stereo call (customer left, agent right) at 22.05 kHz, as described in the module docstring.

    Returns
    -------
    samples : ndarray, shape (2, n), float32
    sample_rate : int
    """
    wav = corpus / "emodb_anger_neutral" / "wav"
    mine = sorted(r["file"] for r in rows if r["speaker"] == speaker)
    anger = [f for f in mine if f[5] == "W"][:per_half]
    neutral = [f for f in mine if f[5] == "N"][:per_half]
    replies = sorted(r["file"] for r in rows if r["speaker"] == next_speaker and r["emotion"] == "neutral")
    rng = np.random.default_rng(seed)
    left, right = [], []
    sr = None
    for k, f in enumerate(anger + neutral):
        x, sr = sf.read(wav / f, dtype="float32")
        y, _ = sf.read(wav / replies[k % len(replies)], dtype="float32")
        gap = int(GAP_S * sr)
        left += [x, np.zeros(gap + len(y), np.float32), np.zeros(gap, np.float32)]
        right += [np.zeros(len(x) + gap, np.float32), y, np.zeros(gap, np.float32)]
    left, right = np.concatenate(left), np.concatenate(right)
    noise = 10 ** (NOISE_DBFS / 20) * rng.standard_normal((2, left.size))
    return (np.stack([left, right]) + noise).astype(np.float32), sr


def synthetic_shifts(corpus=CORPUS, params=None):
    """``customer_agitation_shift`` (and the quarters) of one synthetic call per actor.

    Returns
    -------
    list of dict
        ``speaker``, ``shift``, ``q1`` ... ``q4``, ``mirroring``.
    """
    params = (params or Params()).replace(agent_channel=1)
    rows = emodb_rows(corpus)
    speakers = sorted({r["speaker"] for r in rows}, key=int)
    out = []
    for k, spk in enumerate(speakers):
        samples, sr = synthetic_call(spk, speakers[(k + 1) % len(speakers)], rows, corpus)
        tel = np.stack([telephone(ch, sr)[0] for ch in samples])
        rec = analyze_call_array(tel, 8000, params)
        out.append({"speaker": spk, "shift": rec["customer_agitation_shift"],
                    **{f"q{q}": rec[f"customer_agitation_q{q}"] for q in range(1, 5)},
                    "mirroring": rec["agent_mirroring"]})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print every utterance's score")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    scores = utterance_scores()
    if args.list:
        for s in scores:
            print(f"  {s['file']:14s} {s['emotion']:8s} {s['score'] if s['score'] is None else round(s['score'], 3)}")
    summary = pair_summary(scores)
    print("== EMO-DB, each utterance scored alone, 8 kHz telephone band")
    print(f"matched pairs: {summary['anger_higher']}/{summary['pairs']} anger above neutral "
          f"({100 * summary['accuracy']:.1f} %); unscored files: {summary['unscored'] or 'none'}")
    print(f"any anger utterance above any neutral one, across actors (AUC): {summary['auc_across_actors']:.3f}")
    print(f"{'actor':>5s} {'pairs':>5s} {'pair acc':>8s} {'anger':>6s} {'neutral':>7s}")
    for spk, a in summary["actors"].items():
        print(f"{spk:>5s} {a['pairs']:5d} {100 * a['accuracy']:7.1f}% {a['anger_mean']:6.3f} {a['neutral_mean']:7.3f}")
    print("\n== Synthetic calls: customer angry first, neutral last (8 kHz telephone band)")
    print(f"{'actor':>5s} {'q1':>6s} {'q2':>6s} {'q3':>6s} {'q4':>6s} {'shift':>7s} {'mirroring':>9s}")
    for s in synthetic_shifts():
        f = lambda v, w=6: f"{v:{w}.3f}" if v is not None else f"{'null':>{w}s}"  # noqa: E731
        print(f"{s['speaker']:>5s} {f(s['q1'])} {f(s['q2'])} {f(s['q3'])} {f(s['q4'])} {f(s['shift'], 7)} {f(s['mirroring'], 9)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
