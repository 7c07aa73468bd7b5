"""callscan: measures of how a recorded two-party call went.

>>> from engine import analyze_call
>>> record = analyze_call("fixtures/calls/demo_call.wav")
"""

__version__ = "0.1.0"

from engine.analyze import analyze_call  # noqa: E402
from engine.errors import CallscanError, DecodeError, ParameterError  # noqa: E402
from engine.heap import keep_freed_memory  # noqa: E402
from engine.params import Params  # noqa: E402

__all__ = ["analyze_call", "CallscanError", "DecodeError", "ParameterError", "Params", "keep_freed_memory", "__version__"]
