"""Hold music, tones and low noise against truth: callscan, call-ai-metrics and webrtcvad on the same calls.

    python -m benchmarks.hold_accuracy [--levels -30 -18] [--codecs pcm ulaw] [--quick] [--no-peers]
        [--skip hold noise corpus]

The music comes from the cache that ``python -m benchmarks.music`` fills (``$CALLSCAN_MUSIC_CACHE``).

Calls come from ``fixtures.hold_calls``: committed fixture calls with a 30 s stretch of
real music (``benchmarks.music``; skipped when no track can be had) or a tone cadence
on one channel, the channel alternating between calls; and the same calls with noise
under 100 Hz at 10, 20 and 30 dB SNR.

Songs with singing (``benchmarks.music.SUNG``) go into calls the same way and are reported
on their own, never in the music figures: measured, not claimed.

The music score's weights (``callscan.params.HoldParams.long_weights``) were fitted on the
tracks at even places of ``benchmarks.music.tracks()`` and on every other real speech
recording; the tracks at odd places are reported on their own as held out. A hold sound
goes on the channel ``k % 2`` unless the base call's noise there lies less than 10 dB under
it (``audible_channel``; then on the other channel).

Per hold call: *recall*, the share of the true hold stretch covered by callscan's
``hold`` events; *speech*, the share of it inside ``speech`` events of the channel
carrying the sound (call-ai-metrics: its segments of that speaker; webrtcvad, mode 2,
30 ms frames, on that channel); *dead air*, the share inside ``dead_air`` events; and
over all calls the share of true speech frames (either party) inside ``hold`` events.
Per noise call: backchannel precision and recall (onsets within 0.3 s, same party),
speech-frame F1 per channel, overlap found against truth.

Speech is not hold (``--skip`` leaves it out as the other parts): every WAV of the shared
corpus (``../shared/corpus/manifest.tsv``, real speech only: laughter, fillers, creaky,
whispered and falsetto clips included) and every committed fixture call, analysed as they
are; the share of the frames callscan calls speech or hold that are inside ``hold`` events
(the corpus has no frame truth: all of its sound is speech), per corpus folder, and the
share of the fixtures' true speech frames inside ``hold`` events.
"""

import argparse
import csv
import dataclasses
import pathlib
import time

import numpy as np

from benchmarks import music, scoring
from callscan.analyze import analyze_call
from callscan.params import Params
from fixtures import hold_calls

HOP_S = 0.01
CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
BASES = ("demo_call", "interruptions", "busy_call", "swapped_voices", "mains_hum", "noisy_ulaw")
HOLD_S = 30.0
PARTIES = ("customer", "agent")
PARAMS = Params()


def mask_of(intervals, n):
    return scoring.truth_mask(intervals, n, HOP_S)


def events_mask(rec, kind, n, party=None):
    return mask_of([(e["start_s"], e["end_s"]) for e in rec["events"]
                    if e["kind"] == kind and (party is None or e["party"] == party)], n)


def channel_party(truth, ch):
    return truth["channels"][str(ch)]["party"]


def cam_speech(x, party, n):
    try:
        from call_ai_metrics import analyze
    except ImportError:
        return None
    report = analyze(x.T, sample_rate=hold_calls.SR, speakers=list(PARTIES))
    return mask_of([(s.start_s, s.end_s) for s in report.segments if s.speaker == party], n)


def vad_speech(ch, n):
    try:
        import webrtcvad
    except ImportError:
        return None
    vad = webrtcvad.Vad(2)
    sr = hold_calls.SR
    step = int(0.03 * sr)
    pcm = (np.clip(ch, -1, 1) * 32767).astype("<i2").tobytes()
    spans = [(i / sr, (i + step) / sr) for i in range(0, len(ch) - step, step)
             if vad.is_speech(pcm[2 * i : 2 * (i + step)], sr)]
    return mask_of(spans, n)


def score_hold(x, truth, peers=True):
    rec = analyze_call(x, sample_rate=hold_calls.SR, params=PARAMS, events=True)
    n = int(np.ceil(x.shape[1] / (hold_calls.SR * HOP_S)))
    want = mask_of([truth["hold"]], n)
    ch = truth["hold_channel"]
    party = channel_party(truth, ch)
    total = max(1, np.count_nonzero(want))
    speech_true = np.zeros(n, bool)
    for c in truth["channels"].values():
        speech_true |= mask_of(c["speech"], n)
    row = {
        "recall": np.count_nonzero(events_mask(rec, "hold", n) & want) / total,
        "speech": np.count_nonzero(events_mask(rec, "speech", n, party) & want) / total,
        "dead_air": np.count_nonzero(events_mask(rec, "dead_air", n) & want) / total,
        "speech_frames": int(np.count_nonzero(speech_true)),
        "speech_as_hold": int(np.count_nonzero(speech_true & events_mask(rec, "hold", n))),
    }
    if peers:
        cam = cam_speech(x, party, n)
        vad = vad_speech(x[ch], n)
        row["cam"] = np.count_nonzero(cam & want) / total if cam is not None else np.nan
        row["vad"] = np.count_nonzero(vad & want) / total if vad is not None else np.nan
    return row


def score_noise(x, truth):
    rec = analyze_call(x, sample_rate=hold_calls.SR, params=PARAMS, events=True)
    n = int(np.ceil(x.shape[1] / (hold_calls.SR * HOP_S)))
    f1 = []
    for ch in (0, 1):
        party = channel_party(truth, ch)
        f1.append(scoring.f1(events_mask(rec, "speech", n, party), mask_of(truth["channels"][str(ch)]["speech"], n)))
    backs = [e for e in rec["events"] if e["kind"] == "backchannel"]
    want = truth.get("backchannels", [])
    pairs = scoring.match_events(backs, want, 0.3, same=lambda p, t: p["party"] == t["party"])
    return {"f1": f1, "bm": len(pairs), "bp": len(backs), "bt": len(want),
            "overlap": rec["overlap_s"], "overlap_true": scoring.total_s(truth["overlap"])}


def audible_channel(base, ch, level_dbfs, margin_db=10.0):
    """``ch``, or the other channel when the base call's noise on ``ch`` lies less than
    ``margin_db`` under the hold sound's level (``noisy_ulaw``'s agent line carries noise at
    -26 dBFS: music at -30 dBFS would lie under it)."""
    x, truth = hold_calls.load_base(base)
    noise_db = 20 * np.log10(max(hold_calls.noise_rms(x, truth, ch), 1e-9))
    return ch if level_dbfs - noise_db >= margin_db else 1 - ch


def track_rows(track, k, half, args):
    """The rows of one track's calls: each level and codec, on the base call and channel of place ``k``."""
    sound = music.excerpt(track, HOLD_S, seed=k)
    base = BASES[k % len(BASES)]
    rows = []
    for level in args.levels:
        for codec in args.codecs:
            ch = audible_channel(base, k % 2, level)
            x, truth = hold_calls.hold_call(base, sound, level, ch, seed=k)
            row = score_hold(hold_calls.through_codec(x, codec), truth, peers=not args.no_peers)
            rows.append(dict(row, name=track["name"], style=track["style"], level=level, codec=codec, ch=ch,
                             half=half))
    return rows


def hold_rows(args):
    rows = []
    tracks = music.tracks()
    if not tracks:
        print("no music tracks (no cache and no apt-get): music calls skipped")
    for k, track in enumerate(tracks[: 4 if args.quick else None]):
        rows += track_rows(track, k, "fit" if k % 2 == 0 else "held out", args)
    sung = music.tracks(sung=True)
    for j, track in enumerate(sung[: 0 if args.quick else None]):
        rows += track_rows(track, len(music.PACKAGES_TRACKS) + j, "sung", args)
    rng = np.random.default_rng(18)
    for k, kind in enumerate([*hold_calls.TONES, "dtmf", "sit"]):
        sound, bursts = hold_calls.tone_sound(kind, 20.0, rng)
        ch = audible_channel(BASES[k % len(BASES)], k % 2, -20.0)
        x, truth = hold_calls.hold_call(BASES[k % len(BASES)], sound, -20.0, ch, seed=100 + k, bursts=bursts)
        row = score_hold(hold_calls.through_codec(x, "ulaw"), truth, peers=not args.no_peers)
        rows.append(dict(row, name=kind, style="tone", level=-20.0, codec="ulaw", ch=ch, half="tone"))
    return rows


def print_hold(rows):
    print("| sound | style | dBFS | codec | ch | hold recall | called speech | dead air | call-ai-metrics talk | webrtcvad speech |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['style']} | {r['level']:.0f} | {r['codec']} | {r['ch']} | {r['recall']:.2f} | "
              f"{r['speech']:.2f} | {r['dead_air']:.2f} | {r.get('cam', np.nan):.2f} | {r.get('vad', np.nan):.2f} |")
    music_rows = [r for r in rows if r["style"] != "tone" and r["half"] != "sung"]
    for label, sel in (("music", music_rows),
                       ("music, tracks the music score was fitted on (even places)", [r for r in music_rows if r["half"] == "fit"]),
                       ("music, held-out tracks (odd places)", [r for r in music_rows if r["half"] == "held out"]),
                       ("music with singing (measured, not claimed)", [r for r in rows if r.get("half") == "sung"]),
                       ("tones", [r for r in rows if r["style"] == "tone"])):
        if not sel:
            continue
        rec = np.array([r["recall"] for r in sel])
        worst = {}
        for r in sel:
            worst[r["name"]] = min(worst.get(r["name"], 1.0), r["recall"])
        print(f"\n{label}: {len(sel)} calls, {len(worst)} sounds; mean hold recall {rec.mean():.3f}, "
              f"worst sound {min(worst.values()):.2f}, sounds with every call >= 0.7: "
              f"{sum(v >= 0.7 for v in worst.values())}/{len(worst)}; hold called speech "
              f"{100 * np.mean([r['speech'] for r in sel]):.1f} %; hold called dead air "
              f"{100 * np.mean([r['dead_air'] for r in sel]):.1f} % (calls with any: {sum(r['dead_air'] > 0 for r in sel)}); "
              f"call-ai-metrics talk {100 * np.nanmean([r.get('cam', np.nan) for r in sel]):.1f} %, "
              f"webrtcvad {100 * np.nanmean([r.get('vad', np.nan) for r in sel]):.1f} %")
    sf = sum(r["speech_frames"] for r in rows)
    sh = sum(r["speech_as_hold"] for r in rows)
    print(f"true speech frames called hold on these calls: {sh}/{sf} = {100 * sh / max(sf, 1):.2f} %")


def noise_rows(args):
    rows = []
    for k, base in enumerate(BASES[: 2 if args.quick else None]):
        for kind in ("pink", "brown", "rumble"):
            for snr in (10, 20, 30):
                x, truth = hold_calls.noise_call(base, kind, snr, seed=1000 + k)
                rows.append(dict(score_noise(x, truth), base=base, kind=kind, snr=snr))
        x, truth = hold_calls.load_base(base)
        rows.append(dict(score_noise(x, truth), base=base, kind="none", snr=np.inf))
    return rows


def grouped(rows, key):
    """``{key(row): [rows]}`` in the order the keys first come."""
    out = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def print_noise(rows):
    print("\n| noise | SNR dB | calls | backchannels matched/found/true | precision | recall | speech F1 (worst ch) | overlap got/true s |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, snr), sel in grouped(rows, lambda r: (r["kind"], r["snr"])).items():
        bm, bp, bt = (sum(r[k] for r in sel) for k in ("bm", "bp", "bt"))
        f1 = [min(r["f1"]) for r in sel]
        ov, ot = sum(r["overlap"] for r in sel), sum(r["overlap_true"] for r in sel)
        print(f"| {kind} | {snr:g} | {len(sel)} | {bm}/{bp}/{bt} | {bm / max(bp, 1):.2f} | {bm / max(bt, 1):.2f} | "
              f"{np.mean(f1):.3f} ({min(f1):.3f}) | {ov:.1f}/{ot:.1f} |")
    noisy = [r for r in rows if r["kind"] != "none"]
    bm, bp, bt = (sum(r[k] for r in noisy) for k in ("bm", "bp", "bt"))
    ov, ot = sum(r["overlap"] for r in noisy), sum(r["overlap_true"] for r in noisy)
    print(f"\nnoise calls: backchannel precision {bm / max(bp, 1):.3f}, recall {bm / max(bt, 1):.3f}; "
          f"speech F1 mean {np.mean([f for r in noisy for f in r['f1']]):.3f}, worst {min(f for r in noisy for f in r['f1']):.3f}; "
          f"overlap {ov:.1f} s vs {ot:.1f} s true ({100 * (ov - ot) / max(ot, 1e-9):+.1f} %)")


def corpus_rows(args):
    """Frames called speech or hold, and hold, per corpus WAV and per fixture call (module docstring)."""
    rows = []
    manifest = CORPUS / "manifest.tsv"
    if not manifest.exists():
        print(f"no corpus at {CORPUS}: corpus part skipped")
    else:
        with open(manifest, newline="") as f:
            paths = sorted(r["path"] for r in csv.DictReader(f, delimiter="\t"))
        for path in paths[:: 8 if args.quick else 1]:
            rec = analyze_call(str(CORPUS / path), params=PARAMS, events=True)
            n = int(np.ceil(rec["duration_s"] / HOP_S)) + 1
            held = events_mask(rec, "hold", n)
            sound = events_mask(rec, "speech", n) | held
            rows.append({"source": path.split("/")[0], "path": path, "sound": int(np.count_nonzero(sound)),
                         "hold": int(np.count_nonzero(held))})
    for name in hold_calls.base_calls():
        x, truth = hold_calls.load_base(name)
        rec = analyze_call(x, sample_rate=hold_calls.SR, params=PARAMS, events=True)
        n = int(np.ceil(x.shape[1] / (hold_calls.SR * HOP_S)))
        speech = np.zeros(n, bool)
        for c in truth["channels"].values():
            speech |= mask_of(c["speech"], n)
        rows.append({"source": "fixtures (true speech)", "path": name, "sound": int(np.count_nonzero(speech)),
                     "hold": int(np.count_nonzero(speech & events_mask(rec, "hold", n)))})
    return rows


def print_corpus(rows):
    print("\n| speech recordings | files | frames (speech or hold; fixtures: true speech) | called hold | share |")
    print("|---|---|---|---|---|")
    for source, sel in grouped(rows, lambda r: r["source"]).items():
        sound, held = sum(r["sound"] for r in sel), sum(r["hold"] for r in sel)
        print(f"| {source} | {len(sel)} | {sound} | {held} | {100 * held / max(sound, 1):.2f} % |")
    corpus = [r for r in rows if not r["source"].startswith("fixtures")]
    sound, held = sum(r["sound"] for r in corpus), sum(r["hold"] for r in corpus)
    print(f"\ncorpus: {len(corpus)} files, {held}/{sound} frames of speech or hold are hold "
          f"({100 * held / max(sound, 1):.2f} %); files with any: "
          + (", ".join(f"{r['path']} {r['hold'] / 100:.2f} s" for r in corpus if r["hold"]) or "none"))
    fx = [r for r in rows if r["source"].startswith("fixtures")]
    sound, held = sum(r["sound"] for r in fx), sum(r["hold"] for r in fx)
    print(f"fixture calls: {held}/{sound} true speech frames called hold ({100 * held / max(sound, 1):.2f} %)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[-30.0, -18.0])
    parser.add_argument("--codecs", nargs="+", default=["pcm", "ulaw"], choices=list(hold_calls.CODECS))
    parser.add_argument("--quick", action="store_true", help="4 tracks and 2 noise bases")
    parser.add_argument("--no-peers", action="store_true", help="callscan only")
    parser.add_argument("--skip", choices=("hold", "noise", "corpus"), nargs="+", default=[],
                        help="leave parts out")
    parser.add_argument("--highpass", type=float, help="frame.highpass_hz for callscan (default: Params())")
    args = parser.parse_args(argv)
    global PARAMS
    if args.highpass is not None:
        PARAMS = dataclasses.replace(PARAMS, frame=dataclasses.replace(PARAMS.frame, highpass_hz=args.highpass))
    x, _ = hold_calls.load_base(BASES[0])
    analyze_call(x, sample_rate=hold_calls.SR)  # warm the kernels
    t0 = time.perf_counter()
    if "hold" not in args.skip:
        print_hold(hold_rows(args))
    if "noise" not in args.skip:
        print_noise(noise_rows(args))
    if "corpus" not in args.skip:
        print_corpus(corpus_rows(args))
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
