"""Decorator presets for every kernel.

One place decides how kernels are compiled:

* ``nopython`` and ``nogil`` always, so kernels can run in threads;
* ``cache=True`` so a warm worker does not recompile (set ``NUMBA_CACHE_DIR`` for
  read-only installs);
* one named fast-math set that leaves out ``nnan`` and ``ninf``: silence gives
  ``-inf`` dB and unvoiced frames give NaN pitch, and both must survive;
* a cached kernel loads without Numba's compiler registries (``load_cached``).
"""

import os

import numba
from numba.core.runtime import rtsys

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(fn=None, *, parallel=False, inline=False):
    """Compile ``fn`` with the project's preset (usable bare or with arguments).

    ``inline=True`` inlines a small helper into the kernels that call it (at Numba's IR
    level; LLVM does not inline calls between kernels by itself).
    """

    def wrap(f):
        return load_cached(numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH), parallel=parallel,
                                      inline="always" if inline else "never")(f))

    return wrap if fn is None else wrap(fn)


def load_cached(dispatcher):
    """Let ``dispatcher`` load its cached machine code without a compiler refresh.

    Before reading a cache file, Numba refreshes its target context: it imports and
    installs every typing and lowering registry (NumPy, typed containers, random,
    jitclass, ...), about 0.3 CPU s once per process, though the code on disk is
    already compiled and needs only the runtime (NRT) and the C helpers, which are in
    place once the target exists. This loads the file with the runtime initialised and
    nothing else; a kernel that has to be compiled still gets the full refresh, since
    Numba's compiler runs it itself. Where Numba's cache object does not have the
    expected parts (another Numba version), the dispatcher is left as it is.

    Parameters
    ----------
    dispatcher : numba.core.registry.CPUDispatcher

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The same dispatcher.
    """
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    if load is None or guard is None:
        return dispatcher

    def load_overload(sig, target_context):
        rtsys.initialize(target_context)
        with guard():
            return load(sig, target_context)

    cache.load_overload = load_overload
    return dispatcher



def cache_indexes(module):
    """Paths of the cache index files of the kernels in ``module`` (existing or not).

    A kernel compiled once on this installation leaves an index file in its cache folder
    (``NUMBA_CACHE_DIR`` or ``__pycache__``); a fresh install has none.
    """
    paths = [getattr(getattr(getattr(obj, "_cache", None), "_cache_file", None), "_index_path", None)
             for obj in vars(module).values()]
    return [path for path in paths if path is not None]


def never_compiled(module):
    """True when no kernel of ``module`` has anything in Numba's cache yet (file lookups only)."""
    indexes = cache_indexes(module)
    return bool(indexes) and not any(os.path.exists(path) for path in indexes)
