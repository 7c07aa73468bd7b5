"""One exception tree for everything callscan refuses to do.

Every error raised for a file names the file and the reason, and carries the
``error_kind`` that a batch writes into the file's failed row.
"""


class CallscanError(Exception):
    """Base of every callscan error.

    Parameters
    ----------
    reason : str
        What is wrong, in words a user can act on.
    path : str or None
        The file concerned, if any.
    error_kind : str
        One of ``ERROR_KINDS``: what a batch writes into the failed row's ``error_kind``.
    """

    error_kind = "internal"

    def __init__(self, reason, path=None, error_kind=None):
        self.reason = str(reason)
        self.path = None if path is None else str(path)
        if error_kind is not None:
            self.error_kind = error_kind
        super().__init__(self.__str__())

    @property
    def kind(self):
        """Former name of ``error_kind``; kept until 0.3."""
        import warnings

        warnings.warn("CallscanError.kind is now error_kind; kind goes in 0.3", DeprecationWarning, stacklevel=2)
        return self.error_kind

    def __str__(self):
        return f"{self.path}: {self.reason}" if self.path else self.reason


class DecodeError(CallscanError):
    """The file cannot be turned into samples we trust.

    ``error_kind`` is one of ``unreadable``, ``unsupported_codec``, ``empty``,
    ``too_short``, ``bad_channels``, ``bad_samples``.
    """

    error_kind = "unreadable"


class ParameterError(CallscanError, ValueError):
    """A parameter value is out of its range or of the wrong type."""

    error_kind = "internal"


class RuleError(ParameterError):
    """A QA rules file cannot be used: unreadable, unknown field, bad operator or value."""


class BatchUsageError(CallscanError):
    """A batch cannot start as asked (bad option, parameters that do not match
    the output folder's earlier results). ``callscan batch`` exits with 2."""

    exit_code = 2


class BatchFatalError(CallscanError):
    """A batch cannot go on (output folder not writable, workers that cannot
    start, cluster unreachable). The checkpoint keeps what was finished;
    ``callscan batch`` exits with 3."""

    exit_code = 3


ERROR_KINDS = (
    "unreadable",
    "unsupported_codec",
    "empty",
    "too_short",
    "bad_channels",
    "bad_samples",
    "worker_crash",
    "timeout",
    "internal",
)
