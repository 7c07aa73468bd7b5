"""The two errors that stop a batch: a usage error (exit 2) and a fatal one (exit 3).

Both are ``engine.errors.CallscanError``; ``exit_code`` is the status the
``callscan batch`` command exits with.
"""

from engine.errors import CallscanError


class BatchUsageError(CallscanError):
    """The batch cannot start as asked (bad option, parameters that do not
    match the output folder's earlier results). The CLI exits with 2."""

    exit_code = 2


class BatchFatalError(CallscanError):
    """The batch cannot go on (output folder not writable, workers that cannot
    start, cluster unreachable). The checkpoint keeps what was finished; the
    CLI exits with 3."""

    exit_code = 3
