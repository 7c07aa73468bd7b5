"""Running a batch on an existing Dask ``distributed`` cluster.

``DaskExecutor`` sends the same unit of work as the local pool
(``callscan.batch.work.run_one``, wrapped by ``dask_task``) to the cluster's workers;
results come back to this process, which writes the checkpoint and the outputs
exactly as for local workers. ``distributed`` is imported only when a run asks
for it.
"""

import threading
import time
import uuid

from callscan.batch.warmup import check_identity, warm_up, worker_identity
from callscan.batch.work import encode_entry, failed_entry, run_one
from callscan.errors import BatchFatalError, BatchUsageError

_warm_lock = threading.Lock()
_warm_done = set()


def _warm_once(work):
    """Warm this process once per parameter set (Dask workers keep running)."""
    if not work.warmup:
        return
    key = work.params.hash()
    with _warm_lock:
        if key not in _warm_done:
            warm_up(work.params)
            _warm_done.add(key)


def dask_task(work, path, timeout):
    """The unit of work as run on a Dask worker.

    A file that runs past ``timeout`` gets a ``timeout`` row; its computation
    cannot be stopped inside a Dask worker and finishes in the background.

    Returns
    -------
    (str, str)
        Status and checkpoint line, as ``run_one``.
    """
    _warm_once(work)
    if not timeout:
        return run_one(work, path)
    box = []
    t = threading.Thread(target=lambda: box.append(run_one(work, path)), daemon=True)
    t.start()
    t.join(timeout)
    if box:
        return box[0]
    message = f"{path}: no result after {timeout:g} s (the analysis goes on in the Dask worker)"
    return "failed", encode_entry(failed_entry(path, work, "timeout", message))


class DaskExecutor:
    """Run the batch on an existing Dask ``distributed`` cluster.

    Parameters
    ----------
    work : Work
    address : str, optional
        Scheduler address: ``dask://HOST:PORT`` (read as ``tcp://``), or any
        address ``distributed.Client`` takes (``tcp://``, ``tls://``).
    scheduler_file : str, optional
        A scheduler file written by ``dask scheduler --scheduler-file``.
    timeout : float, optional
        Per-file timeout, seconds.

    Notes
    -----
    Every worker must have callscan installed (the same version as here: this
    is checked before the first file) and read the input files at the same
    absolute paths. The outputs and the
    checkpoint are written here, by this process. A file whose task kills
    workers repeatedly (Dask's ``distributed.scheduler.allowed-failures``)
    gets a ``worker_crash`` row.
    """

    def __init__(self, work, address=None, scheduler_file=None, timeout=None):
        if address and address.startswith("dask://"):
            address = "tcp://" + address[len("dask://"):]
        self.work = work
        self.address = address
        self.scheduler_file = scheduler_file
        self.timeout = timeout
        self.first_task_at = None
        self.last_result_at = None

    def _client(self):
        try:
            from distributed import Client
        except ImportError:
            raise BatchUsageError(
                "running on Dask needs the 'distributed' package: pip install 'callscan[dask]'"
            ) from None
        where = self.address or self.scheduler_file
        try:
            if self.address:
                return Client(self.address, timeout="20s")
            return Client(scheduler_file=self.scheduler_file, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchFatalError(f"cannot reach the Dask scheduler at {where}: {exc}") from None

    def run(self, tasks, on_result, on_sync=None):
        """Analyse every task on the cluster (``callscan.batch.executor.Executor.run``)."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        with self._client() as client:
            check_identity(client.run(worker_identity, self.work.params), self.work.params)
            window = max(2, 2 * sum(client.nthreads().values()))
            token = uuid.uuid4().hex[:12]
            pending = iter(tasks)
            owner = {}
            running = as_completed()

            def submit(task, attempt=""):
                fut = client.submit(
                    dask_task, self.work, task[1], self.timeout,
                    key=f"callscan-{token}-{task[0]}{attempt}", pure=False,
                )
                owner[fut.key] = task
                running.add(fut)

            def submit_next():
                task = next(pending, None)
                if task is not None:
                    submit(task)

            # Warm each worker before the first file, so that start-up (loading or compiling
            # the kernels) is not counted as analysis time; a worker that joins later warms
            # up in its first task.
            if self.work.warmup:
                warming = [client.submit(_warm_once, self.work, key=f"callscan-{token}-warm-{i}", workers=[w],
                                         allow_other_workers=True, pure=False)
                           for i, w in enumerate(client.nthreads())]
                try:
                    client.gather(warming)
                except Exception as exc:  # noqa: BLE001 - the batch cannot go on
                    raise BatchFatalError(f"a Dask worker could not warm up: {type(exc).__name__}: {exc}") from None

            # Dask blames every task a dying worker held, queued or running, so a file that
            # kills workers can take a sound file queued beside it past allowed-failures with
            # it: a file killed so is tried once more, on its own key, before its row says so.
            again = set()
            self.first_task_at = time.monotonic()
            for _ in range(window):
                submit_next()
            for fut in running:
                index, path = owner.pop(fut.key)
                try:
                    status, line = fut.result()
                except KilledWorker:
                    if index not in again:
                        again.add(index)
                        fut.release()
                        submit((index, path), "-again")
                        continue
                    message = (
                        f"{path}: every Dask worker that ran this file died "
                        "(as often as distributed.scheduler.allowed-failures allows, twice)"
                    )
                    status, line = "failed", encode_entry(failed_entry(path, self.work, "worker_crash", message))
                except Exception as exc:  # noqa: BLE001 - becomes the file's row
                    message = f"{path}: {type(exc).__name__}: {exc}"
                    status, line = "failed", encode_entry(failed_entry(path, self.work, "internal", message))
                fut.release()
                self.last_result_at = time.monotonic()
                submit_next()
                on_result(index, status, line)
                if on_sync is not None:
                    on_sync()
