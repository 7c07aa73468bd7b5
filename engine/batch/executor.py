"""What runs a batch's files: the one protocol that ``LocalPool`` and ``DaskExecutor`` share.

``callscan.batch.run`` hands an executor the files still to do and gets one result back
per file; how and where the work happens (worker processes on this machine, or a Dask
cluster) is the executor's business. :func:`make_executor` picks one from the options of
``callscan batch``.
"""

from typing import Callable, Iterable, Optional, Protocol

from callscan.errors import BatchUsageError


class Executor(Protocol):
    """Runs ``callscan.batch.work.run_one`` for each task and reports each result.

    Attributes
    ----------
    first_task_at, last_result_at : float or None
        ``time.monotonic()`` when the first file was handed out and when the last result
        came back (None before): the batch's analysis time, without start-up.
    """

    first_task_at: Optional[float]
    last_result_at: Optional[float]

    def run(self, tasks: Iterable, on_result: Callable, on_sync: Optional[Callable] = None) -> None:
        """Analyse every task; call ``on_result(index, status, line)`` once for each.

        Parameters
        ----------
        tasks : iterable of (int, str)
            Input index and path.
        on_result : callable
            Called in this process, once per task, in completion order, with the task's
            index, ``"ok"`` or ``"failed"`` and the checkpoint line
            (``callscan.batch.work.encode_entry``).
        on_sync : callable, optional
            Called after each group of results that arrived together (to make them
            durable with one fsync).

        Raises
        ------
        callscan.errors.BatchFatalError
            When the batch cannot go on (no worker starts, the cluster is gone).
        """


def make_executor(work, executor="local", scheduler_file=None, jobs=None, timeout=None, crash_retries=1):
    """The executor named by ``executor`` (``local`` or a Dask address), as an :class:`Executor`."""
    if scheduler_file or (executor and executor != "local"):
        if scheduler_file and executor and executor != "local":
            raise BatchUsageError("give either --executor dask://HOST:PORT or --scheduler-file, not both")
        if executor and executor != "local" and "://" not in executor:
            raise BatchUsageError(f"unknown executor {executor!r}; use 'local' or dask://HOST:PORT")
        from callscan.batch.dask_executor import DaskExecutor

        return DaskExecutor(work, address=None if scheduler_file else executor,
                            scheduler_file=scheduler_file, timeout=timeout)
    from callscan.batch.pool import LocalPool, available_cores

    return LocalPool(work, jobs or available_cores(), timeout=timeout, crash_retries=crash_retries)
