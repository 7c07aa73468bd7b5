"""Getting a worker ready for its first file: warm the kernels, prove its code.

``warm_up`` runs the whole analysis once on a short synthetic call, so Numba
kernels are compiled or loaded from the cache before the first file is timed.
``worker_identity`` and ``check_identity`` stop a batch whose workers run other
code than the parent (their results would not match the checkpoint).
"""

from callscan._version import __version__
from callscan.errors import BatchFatalError


def _voice(t, f0):
    """A voiced, syllabic signal: harmonics of a wavering F0 under a 4 Hz envelope."""
    import numpy as np

    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))) / 8000
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 12))
    return 0.1 * harmonics * np.sin(2 * np.pi * 2.0 * t) ** 2


def synthetic_call(seconds=9.0):
    """A short two-party call at 8 kHz that exercises every stage of the analysis.

    Agent and customer voices take turns with an overlap, a mutual silence
    longer than the dead-air threshold and a short reply inside the other
    party's speech, over a faint noise floor.

    Returns
    -------
    ndarray, shape (2, n), float32
    """
    import numpy as np

    sr = 8000
    t = np.arange(int(sr * seconds)) / sr
    x = 1e-4 * np.random.default_rng(0).standard_normal((2, t.size))
    for ch, f0, start, end in ((0, 210, 0.5, 2.0), (1, 110, 1.6, 3.0), (0, 200, 6.5, 8.5), (1, 120, 7.2, 7.6)):
        i, j = int(start * sr), int(end * sr)
        x[ch, i:j] += _voice(t[i:j], f0)
    return x.astype(np.float32)


def warm_up(params):
    """Run the whole analysis once on a synthetic call, in stereo and in mono,
    so that every kernel is compiled or loaded from Numba's cache.

    Returns
    -------
    dict
        The record of the stereo call.
    """
    import numpy as np

    from callscan.analyze import analyze_call
    from callscan.kernels.music import music_score

    x = synthetic_call()
    analyze_call(x[:1], sample_rate=8000, params=params, events=True)
    # the music score only runs on 10 s of sound the other party never answers: warm it directly
    hp, bits = params.hold, np.zeros(64, dtype=bool)
    music_score(np.full(64, -30.0, np.float32), bits, bits, bits, ~bits, 0.01, window_s=0.2, step_s=0.1,
                band_hz=hp.long_band_hz, beat_s=(0.02, 0.05), low_ratio=hp.long_low_ratio, weights=hp.long_weights,
                bias=hp.long_bias)
    return analyze_call(x, sample_rate=8000, params=params, events=True)


COMPILE_NOTICE = "compiling callscan's kernels, once per installation: about 25 s on two cores"


def _index_seen():
    """Whether an index file of the frame-level kernels is where Numba looks for it first,
    found without importing Numba (about 0.2 CPU s of a batch's parent, which has no other
    use for it).

    The places are those of Numba's first two cache locators: ``NUMBA_CACHE_DIR`` when set
    (a folder named after the source folder and the SHA-1 of its path), else the source
    folder's ``__pycache__``. False when nothing is there or the layout is not as expected
    (another Numba version), and :func:`compile_pending` then asks Numba itself.
    """
    import glob
    import hashlib
    import importlib.util
    import os

    spec = importlib.util.find_spec("callscan.kernels")  # found, not imported
    if spec is None or not spec.origin:
        return False
    folder = os.path.dirname(os.path.abspath(spec.origin))
    root = os.environ.get("NUMBA_CACHE_DIR")
    if root:
        cache = os.path.join(root, f"{os.path.basename(folder)}_{hashlib.sha1(folder.encode()).hexdigest()}")
    else:
        cache = os.path.join(folder, "__pycache__")
    return bool(glob.glob(os.path.join(glob.escape(cache), "energy.*.nbi")))


def compile_pending():
    """True when callscan's kernels have never been compiled on this installation (judged by
    the frame-level kernels, which every analysis runs first)."""
    if _index_seen():
        return False
    from callscan.kernels import energy
    from callscan.kernels._jit import never_compiled

    return never_compiled(energy)


def worker_identity(params):
    """(engine version, parameter hash) as computed in this process.

    A worker whose code differs from the parent's (callscan upgraded during a
    run, another version on a Dask worker) computes another hash for the same
    parameters; its results would not match the checkpoint.
    """
    return __version__, params.hash()


def check_identity(identities, params):
    """Stop the batch when a worker's engine or parameter hash differs.

    Parameters
    ----------
    identities : dict
        Worker name -> ``worker_identity`` computed there.
    params : Params

    Raises
    ------
    BatchFatalError
    """
    mine = worker_identity(params)
    for worker, theirs in identities.items():
        if tuple(theirs) != mine:
            raise BatchFatalError(
                f"worker {worker} runs callscan {theirs[0]} with parameter hash {theirs[1]}, "
                f"this process callscan {mine[0]} with {mine[1]}: the installed code differs "
                "(changed during the run, or another version on that machine); install one "
                "version everywhere and run again"
            )
