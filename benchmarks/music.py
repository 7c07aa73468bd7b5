"""Real recorded music for hold tests: fetched from Debian game soundtracks, cached outside the repo.

The tracks come from Debian packages (``apt-get download`` then ``dpkg -x``); each
track's licence is that of the ``Files: *`` stanza of its package's
``debian/copyright``, read when the package is unpacked. Nothing is committed: the
cache directory is ``$CALLSCAN_MUSIC_CACHE`` or ``../cache/music`` next to the
repository. Where the cache is empty and ``apt-get`` is missing, :func:`tracks`
returns an empty list and callers skip.

    python -m benchmarks.music          # fetch what is missing, list the tracks

Music with singing is kept apart (:data:`SUNG`, ``tracks(sung=True)``): it is measured and
reported, not claimed. Two songs of the Danish metal band Muldjord from Debian's Frets on
Fire song pack (CC BY-SA 3.0; each song is a backing stem and a guitar stem, mixed here);
their backing stems carry a growled voice: formant bands that glide over the band's
noise, syllable by syllable (seen in the spectrogram, 70-82 s of Chaos God), where the
instrumental tracks above hold flat partials.
"""

import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

# package: (folder inside the package, [(file, style)]); style as the title or package says
PACKAGES = {
    "xmoto-data": ("usr/share/games/xmoto/Textures/Musics", [
        ("ridealong.ogg", "rock"), ("batcave.ogg", "electronic"), ("legolodio.ogg", "electronic"),
        ("foxrun.ogg", "rock"), ("MadeiraStew.ogg", "folk"), ("speeditup.ogg", "electronic"),
    ]),
    "frozen-bubble-data": ("usr/share/games/frozen-bubble/snd", [
        ("frozen-mainzik-1p.ogg", "synth pop"), ("introzik.ogg", "synth pop"), ("frozen-mainzik-2p.ogg", "synth pop"),
    ]),
    "extremetuxracer-data": ("usr/share/games/etr/music", [
        ("start1-jt.ogg", "game"), ("race1-jt.ogg", "game"), ("credits1-cp.ogg", "game"),
        ("spunkyrace-ks.ogg", "game"), ("freezingpoint.ogg", "game"), ("calmrace-ks.ogg", "ambient"),
    ]),
    "lincity-ng-data": ("usr/share/games/lincity-ng/music/default", [
        ("01 - pronobozo - lincity.ogg", "electronic"), ("02 - Robert van Herk - City Blues.ogg", "blues"),
        ("03 - Robert van Herk - Architectural Contemplations.ogg", "ambient"),
    ]),
    "funnyboat": ("usr/share/games/funnyboat/data", [("JDruid-Trip_on_the_Funny_Boat.ogg", "rock")]),
    "warzone2100-music": ("usr/share/games/warzone2100/music/albums", [
        ("original_soundtrack/track1.opus", "orchestral/electronic"),
        ("original_soundtrack/track2.opus", "orchestral/electronic"),
        ("legacy_soundtrack/track5.opus", "electronic"), ("legacy_soundtrack/track9.opus", "electronic"),
        ("aftermath_soundtrack/track17.opus", "ambient"), ("aftermath_soundtrack/track22.opus", "rock"),
    ]),
}


PACKAGES_TRACKS = [name for _, files in PACKAGES.values() for name, _ in files]
"""Every instrumental track listed (the places of :func:`tracks` when all are there)."""

# package: (folder, [(song folder, stems, style)], licence as the package's copyright says)
SUNG = {
    "fretsonfire-songs-muldjord": ("usr/share/games/fretsonfire/data/songs/muldjord", [
        ("chaos_god", ("song.ogg", "guitar.ogg"), "metal, growled vocals"),
        ("armygeddon", ("song.ogg", "guitar.ogg"), "metal, growled vocals"),
    ], "CC-BY-SA-3.0"),
}


def cache_dir():
    """The music cache: ``$CALLSCAN_MUSIC_CACHE`` or ``../cache/music`` next to the repository."""
    env = os.environ.get("CALLSCAN_MUSIC_CACHE")
    return pathlib.Path(env) if env else ROOT.parent / "cache" / "music"


def package_licence(unpacked, package):
    """Licence of the ``Files: *`` stanza of the package's ``debian/copyright``."""
    path = unpacked / "usr" / "share" / "doc" / package / "copyright"
    if not path.exists():
        return "unknown"
    text = path.read_text(errors="replace")
    m = re.search(r"^Files:\s*\*\s*$.*?^License:\s*(\S+)", text, re.M | re.S)
    return m.group(1) if m else "unknown"


def fetch(package, cache=None, download=True):
    """Unpacked folder of ``package`` in the cache, downloading it when missing (and ``download``);
    None when it cannot be."""
    cache = cache or cache_dir()
    unpacked = cache / "x" / package
    if unpacked.exists():
        return unpacked
    if not download or shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        return None
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True, timeout=600)
        deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
        unpacked.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            subprocess.run(["dpkg", "-x", str(deb), tmp], check=True, capture_output=True, timeout=600)
            os.replace(tmp, unpacked)
            os.mkdir(tmp)  # the context manager removes it again
    except (subprocess.SubprocessError, OSError, IndexError):
        return None
    return unpacked


def tracks(cache=None, download=True, sung=False):
    """The available tracks: list of dict(name, path, package, licence, style); with
    ``download=False`` only those already in the cache; with ``sung`` the songs of :data:`SUNG`
    instead (their ``stems`` are mixed by :func:`excerpt`)."""
    out = []
    if sung:
        for package, (folder, songs, licence) in SUNG.items():
            unpacked = fetch(package, cache, download)
            if unpacked is None:
                continue
            for song, stems, style in songs:
                paths = [unpacked / folder / song / stem for stem in stems]
                if all(p.exists() for p in paths):
                    out.append({"name": f"{package.split('-')[-1]}:{song}", "path": paths[0], "stems": paths,
                                "package": package, "licence": licence, "style": style})
        return out
    for package, (folder, files) in PACKAGES.items():
        unpacked = fetch(package, cache, download)
        if unpacked is None:
            continue
        licence = package_licence(unpacked, package)
        for name, style in files:
            path = unpacked / folder / name
            if path.exists():
                out.append({"name": f"{package.split('-')[0]}:{pathlib.Path(name).stem}", "path": path,
                            "package": package, "licence": licence, "style": style})
    return out


def excerpt(track, length_s, sr=8000, seed=0):
    """A mono excerpt of ``length_s`` seconds at ``sr`` Hz, unit peak level untouched, from a seeded start
    between 10 % and 60 % of the track (past intros), cached as .npy."""
    import soundfile as sf
    import soxr

    cuts = cache_dir() / "cuts"
    cuts.mkdir(parents=True, exist_ok=True)
    key = re.sub(r"[^A-Za-z0-9]+", "_", track["name"])
    out = cuts / f"{key}_{sr}_{length_s:g}_{seed}.npy"
    if out.exists():
        return np.load(out)
    x = None
    for path in track.get("stems", [track["path"]]):
        y, rate = sf.read(str(path), dtype="float32", always_2d=True)
        x = y.mean(axis=1) if x is None else x[: len(y)] + y[: len(x), :].mean(axis=1)
    rng = np.random.default_rng(seed)
    n = int(round(length_s * rate))
    lo, hi = int(0.1 * len(x)), max(int(0.1 * len(x)) + 1, min(int(0.6 * len(x)), len(x) - n))
    start = int(rng.integers(lo, hi)) if len(x) > n else 0
    y = soxr.resample(x[start : start + n], rate, sr).astype(np.float32)
    np.save(out, y)
    return y


def main():
    found = tracks()
    sung = tracks(sung=True)
    print(f"{len(found)} tracks and {len(sung)} songs in {cache_dir()}")
    for t in found + sung:
        print(f"  {t['name']:<55} {t['style']:<22} {t['licence']:<8} {t['package']}")


if __name__ == "__main__":
    main()
