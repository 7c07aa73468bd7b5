"""callscan: measures of how a recorded two-party call went.

>>> from callscan import analyze_call
>>> record = analyze_call("fixtures/calls/demo_call.wav")

The package reads a call (``callscan.audio``), computes per-frame features over
block passes (``callscan.frames``), turns them into measures (``callscan.measures``)
and a record whose contract is ``callscan.record``; ``callscan.batch`` runs many
calls and ``callscan.view`` draws them. ``callscan.kernels`` holds the Numba kernels.
"""

if __name__ != "callscan":  # the source folder engine/ imported by its folder name
    raise ImportError(
        f"the folder {__path__[0]!r} is the package 'callscan', not {__name__!r}: "
        "install it (pip install -e .) and write 'import callscan'"
    )

from callscan._version import __version__  # noqa: E402
from callscan.errors import CallscanError, DecodeError, ParameterError  # noqa: E402
from callscan.heap import keep_freed_memory  # noqa: E402
from callscan.params import Params  # noqa: E402


def __getattr__(name):
    # analyze_call pulls in Numba and the kernels (about 0.4 s); importing it on first use keeps
    # `import callscan.cli` (and so `callscan --help`) free of that cost.
    if name == "analyze_call":
        from callscan.analyze import analyze_call

        return analyze_call
    raise AttributeError(f"module 'callscan' has no attribute {name!r}")

__all__ = ["analyze_call", "CallscanError", "DecodeError", "ParameterError", "Params", "keep_freed_memory", "__version__"]
