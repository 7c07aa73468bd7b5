"""Decorator presets for every kernel.

One place decides how kernels are compiled:

* ``nopython`` and ``nogil`` always, so kernels can run in threads;
* ``cache=True`` so a warm worker does not recompile (set ``NUMBA_CACHE_DIR`` for
  read-only installs);
* one named fast-math set that leaves out ``nnan`` and ``ninf``: silence gives
  ``-inf`` dB and unvoiced frames give NaN pitch, and both must survive.
"""

import os

import numba

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(fn=None, *, parallel=False, inline=False):
    """Compile ``fn`` with the project's preset (usable bare or with arguments).

    ``inline=True`` inlines a small helper into the kernels that call it (at Numba's IR
    level; LLVM does not inline calls between kernels by itself).
    """

    def wrap(f):
        return numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH), parallel=parallel,
                          inline="always" if inline else "never")(f)

    return wrap if fn is None else wrap(fn)



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
