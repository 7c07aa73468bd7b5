"""Local worker processes for a batch, with crash isolation and timeouts.

``LocalPool`` keeps ``jobs`` long-lived worker processes, started with the
``spawn`` method (never ``fork`` from a parent that may hold threads). Each
worker runs the analysis once on a short synthetic call at start-up, so Numba
kernels are loaded before the first file, and then takes one file at a time.
Because a worker never holds more than one file, the parent always knows which
file a worker was analysing when it died:

* a worker that dies (segmentation fault, out-of-memory kill, ``os._exit``) is
  replaced; its file is tried once more in another worker process (a death
  that was not the file's doing, such as an out-of-memory kill under load,
  then costs nothing), and if that worker dies too, the file gets a
  ``worker_crash`` row. Files in the other workers are not touched;
* a file still running after ``timeout`` seconds gets a ``timeout`` row; its
  worker is killed and replaced.
"""

import contextlib
import gc
import multiprocessing
import os
import signal
import time
from collections import Counter, deque
from multiprocessing import connection

from callscan.batch.warmup import check_identity, warm_up, worker_identity
from callscan.batch.work import encode_entry, failed_entry, run_one
from callscan.errors import BatchFatalError
from callscan.heap import keep_freed_memory

_THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores():
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _worker_main(conn, work):
    """Body of a worker process: warm up, then analyse one file per message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    keep_freed_memory()
    gc.disable()  # start-up only makes objects that live as long as the worker
    try:
        if work.warmup:
            warm_up(work.params)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the batch
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    finally:
        # Those objects (modules, Numba's types, the loaded kernels) go to the collector's
        # permanent generation: its later passes, and those of the worker's exit, skip them.
        gc.freeze()
        gc.enable()
    conn.send(("ready", worker_identity(work.params)))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        index, path = task
        status, line = run_one(work, path)
        try:
            conn.send(("done", index, status, line))
        except OSError:
            return


@contextlib.contextmanager
def _single_threaded_children():
    """Environment for new workers: one thread each for Numba and BLAS,
    unless the user chose otherwise (workers already fill the cores)."""
    added = [name for name in _THREAD_VARS if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def describe_exit(code):
    """Words for a process exit code (negative: killed by a signal)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Worker:
    """One worker process and the file it holds."""

    def __init__(self, ctx, work):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, work), name="callscan-worker", daemon=True)
        with _single_threaded_children():
            self.proc.start()
        child.close()
        self.ready = False
        self.task = None
        self.sent_at = None

    def assign(self, task):
        """Send a file; False when the worker is already gone (it did not start it)."""
        try:
            self.conn.send(task)
        except OSError:
            return False
        self.task = task
        self.sent_at = time.monotonic()
        return True

    def reap(self):
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        return self.proc.exitcode

    def kill(self):
        self.proc.kill()
        return self.reap()


class LocalPool:
    """Long-lived worker processes on this machine, one file in flight each.

    Parameters
    ----------
    work : Work
    jobs : int
        Number of worker processes.
    timeout : float, optional
        Seconds a file may take before its worker is killed (``timeout`` row).
    crash_retries : int
        How often a file whose worker died is tried again (in another worker
        process) before it gets a ``worker_crash`` row.
    start_method : str
        ``"spawn"`` or ``"forkserver"``.
    """

    MAX_FAILED_STARTS = 3

    def __init__(self, work, jobs, timeout=None, crash_retries=1, start_method="spawn"):
        self.work = work
        self.jobs = max(1, int(jobs))
        self.timeout = timeout
        self.crash_retries = crash_retries
        self.ctx = multiprocessing.get_context(start_method)
        self.first_task_at = None
        self.last_result_at = None

    def run(self, tasks, on_result, on_sync=None):
        """Analyse every task (``callscan.batch.executor.Executor.run``)."""
        self._queue = deque(tasks)
        self._crashes = Counter()
        self._failed_starts = 0
        self._on_result = on_result
        workers = []
        try:
            while self._queue or any(w.task is not None for w in workers):
                busy = sum(w.task is not None for w in workers)
                while len(workers) < min(self.jobs, busy + len(self._queue)):
                    workers.append(_Worker(self.ctx, self.work))
                for w in workers:
                    if w.ready and w.task is None and self._queue:
                        if self.first_task_at is None:
                            self.first_task_at = time.monotonic()
                        self._dispatch(w)
                handles = {}
                for w in workers:
                    handles[w.conn] = w
                    handles[w.proc.sentinel] = w
                for h in connection.wait(list(handles), timeout=self._wait_s(workers)):
                    w = handles[h]
                    if w in workers:
                        self._service(w, workers)
                self._expire(workers)
                if on_sync is not None:
                    on_sync()
        except BaseException:
            for w in workers:
                w.kill()
            raise
        for w in workers:  # all told first, so that they wind down together
            with contextlib.suppress(OSError):
                w.conn.send(None)
        for w in workers:
            w.reap()

    def _dispatch(self, w):
        task = self._queue.popleft()
        if not w.assign(task):
            self._queue.appendleft(task)  # the worker died; its death is handled when seen

    def _wait_s(self, workers):
        if not self.timeout:
            return 1.0
        now = time.monotonic()
        left = [w.sent_at + self.timeout - now for w in workers if w.task is not None]
        return max(0.0, min(left + [1.0]))

    def _service(self, w, workers):
        """Take every message a worker sent; handle its death."""
        dead = False
        while True:
            try:
                if not w.conn.poll():
                    break
                msg = w.conn.recv()
            except (EOFError, OSError):
                dead = True
                break
            if msg[0] == "ready":
                check_identity({w.proc.pid: msg[1]}, self.work.params)
                w.ready = True
                self._failed_starts = 0
            elif msg[0] == "done":
                _, index, status, line = msg
                w.task = None
                if self._queue:  # the next file first, so the worker does not wait for the disk
                    self._dispatch(w)
                self.last_result_at = time.monotonic()
                self._on_result(index, status, line)
            elif msg[0] == "fatal":
                raise BatchFatalError(f"a worker process could not start: {msg[1]}")
        if dead or not w.proc.is_alive():
            workers.remove(w)
            self._buried(w, w.kill())

    def _buried(self, w, code):
        """Account for a worker that died on its own."""
        if w.task is None:
            if not w.ready:
                self._failed_starts += 1
                if self._failed_starts >= self.MAX_FAILED_STARTS:
                    raise BatchFatalError(
                        f"worker processes die while starting ({describe_exit(code)}); "
                        "check that callscan and its libraries import in a fresh Python"
                    )
            return
        index, path = w.task
        self._crashes[index] += 1
        if self._crashes[index] <= self.crash_retries:
            self._queue.appendleft(w.task)
            return
        tries = self._crashes[index]
        message = (
            f"{path}: the worker process died while analysing this file "
            f"({describe_exit(code)}; tried {tries} {'time' if tries == 1 else 'times'})"
        )
        self.last_result_at = time.monotonic()
        self._on_result(index, "failed", encode_entry(failed_entry(path, self.work, "worker_crash", message)))

    def _expire(self, workers):
        """Kill workers whose file has run past the timeout."""
        if not self.timeout:
            return
        now = time.monotonic()
        for w in list(workers):
            if w.task is None or now - w.sent_at < self.timeout:
                continue
            self._service(w, workers)  # a result may have arrived meanwhile
            if w not in workers or w.task is None:
                continue
            index, path = w.task
            workers.remove(w)
            w.kill()
            message = f"{path}: no result after {self.timeout:g} s; the worker was stopped"
            self.last_result_at = time.monotonic()
            self._on_result(index, "failed", encode_entry(failed_entry(path, self.work, "timeout", message)))
