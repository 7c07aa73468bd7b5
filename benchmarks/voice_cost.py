"""What speech rate and agitation add to the time of analysing a real call.

    python -m benchmarks.voice_cost [PATH] [--repeat N]

The call (default: the SpokenWOZ dialogue MUL1011, 3 min, 8 kHz stereo) is analysed
``N`` times after one warm-up run, so JIT compilation is not timed. Each run times
decoding, the frame features (with F0), and the call measures; within them, the parts
that rate and agitation add: the band power and tilt of the speech frames
(``callscan.kernels.spectral.band_features``, or ``spectral_features`` where the hold check's
spectra cannot be shared) and the nuclei, rates and scores
(``callscan.measures.voice.voice_measures``); and the short-time spectra of the speech frames
that the hold check does not read. The hold check reads every third frame
(``callscan.frames.passes.hold_grid``) and the spectral features every speech frame, so most speech
frames' spectra are there for rate and agitation: each block's spectra time counts in the
share of its spectra that only the speech frames need (the FFT's cost is the same for every
frame). Reported: medians over the runs, and the added time as a share of the pipeline
without it.
"""

import argparse
import statistics
import sys
import time

from benchmarks.voice_common import CORPUS, features_with_pitch
from callscan.analyze import call_measures, open_call
from callscan.frames import passes as features_mod
from callscan.measures import voice as voice_mod
from callscan.params import Params

DEFAULT = CORPUS / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav"


def time_call(path, repeat=7, params=None):
    """Median seconds of the pipeline and of the rate and agitation parts in it.

    Returns
    -------
    dict
        ``total_s``, ``voice_s`` (the added parts), ``share`` (voice / (total - voice)).
    """
    params = params or Params()
    spent = {"voice": 0.0, "hold_rows": 0}
    tilt, bands, measures = features_mod.spectral_features, features_mod.band_features, voice_mod.voice_measures
    need, spectra = features_mod.steadiness_need, features_mod.block_spectra

    def hold_need(*args, **kwargs):
        out = need(*args, **kwargs)
        spent["hold_rows"] = int(out.sum())  # the frames of this block and channel the hold check reads
        return out

    def block_spectra(x, hop, frames, *args, **kwargs):
        t = time.perf_counter()
        try:
            return spectra(x, hop, frames, *args, **kwargs)
        finally:
            if frames.size:
                spent["voice"] += (time.perf_counter() - t) * (frames.size - spent["hold_rows"]) / frames.size

    def timed(fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent["voice"] += time.perf_counter() - t
        return wrapper

    import callscan.analyze as analyze_mod

    features_mod.spectral_features = timed(tilt)
    features_mod.band_features = timed(bands)
    features_mod.steadiness_need, features_mod.block_spectra = hold_need, block_spectra
    analyze_mod.voice_measures = timed(measures)
    totals, voices = [], []
    try:
        for k in range(repeat + 1):
            spent["voice"] = 0.0
            t = time.perf_counter()
            audio = open_call(str(path), params=params)
            frames = features_with_pitch(audio, params)
            call_measures(frames, audio.mode, params, [])
            if k:
                totals.append(time.perf_counter() - t)
                voices.append(spent["voice"])
    finally:
        features_mod.spectral_features, features_mod.band_features, analyze_mod.voice_measures = tilt, bands, measures
        features_mod.steadiness_need, features_mod.block_spectra = need, spectra
    total, voice = statistics.median(totals), statistics.median(voices)
    return {"total_s": total, "voice_s": voice, "share": voice / (total - voice)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    r = time_call(args.path, args.repeat)
    print(f"{args.path}\npipeline {r['total_s'] * 1000:.1f} ms, of which rate + agitation {r['voice_s'] * 1000:.1f} ms: "
          f"+{100 * r['share']:.1f} % over the pipeline without them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
