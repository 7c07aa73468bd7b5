"""Keep freed memory in the process for the next block and the next call.

The passes over a call allocate the same few arrays of 0.1-3 MB for every block (the
windowed frames and their spectra, the pitch tracker's candidates, the read buffers) and
again for every call. glibc's allocator maps arrays that large afresh from the kernel and
gives them back when they are freed (``mmap``/``munmap``, or trimming the heap's top), so
each one is paid for again in page faults: about 2,400 per 1-minute stereo call, a sixth of
its CPU time on a 2-core virtual machine. With a higher mapping threshold and trim
threshold the allocator serves them from memory the process already holds.

:func:`keep_freed_memory` sets those thresholds. ``callscan`` calls it when it starts and so
does every batch worker; a program that imports the engine decides for itself (it applies to
the whole process: memory freed after a call stays with the process, up to the trim
threshold, for the next one).
"""

import ctypes
import sys

MMAP_THRESHOLD = 4 << 20
"""Arrays below this many bytes come from the heap: every per-block array. Larger ones (the
whole-call tracks of long calls) are still mapped, so their zeros cost nothing until used."""

TRIM_THRESHOLD = 64 << 20
"""Free memory at the top of the heap up to this many bytes stays with the process."""

_M_TRIM_THRESHOLD = -1  # mallopt parameters, <malloc.h>
_M_MMAP_THRESHOLD = -3
_applied = False


def keep_freed_memory():
    """Raise glibc's mapping and trim thresholds for this process (once).

    Returns
    -------
    bool
        True when the thresholds are set (now or before); False where the C library is not
        glibc (macOS, Windows, musl), which is left as it is.
    """
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        # the C library is already in the process: its symbols, without ctypes.util.find_library
        # (which runs /sbin/ldconfig -p in a child process at every start)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Both together: setting either one stops glibc from adjusting the mapping threshold.
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied
