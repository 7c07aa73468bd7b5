"""Many calls in, one table out: workers, crash isolation, resume (SPEC §5).

``run_batch`` analyses every input file once and writes one row per input, in
input order, whatever the number of workers. The pieces, top to bottom:

**The unit of work.** ``analyse_one`` runs the analysis function on one path
and turns any refusal into a failed row: a ``CallscanError`` keeps its
``kind``; any other exception is ``internal`` with the exception's text. The
result is one *entry*: ``{"path", "params_hash", "record", "events"}``.

**Workers.** ``LocalPool`` keeps ``jobs`` long-lived worker processes, started
with the ``spawn`` method (never ``fork`` from a parent that may hold threads).
Each worker runs the analysis once on a short synthetic call at start-up, so
Numba kernels are loaded before the first file, and then takes one file at a
time. Because a worker never holds more than one file, the parent always knows
which file a worker was analysing when it died:

* a worker that dies (segmentation fault, out-of-memory kill, ``os._exit``) is
  replaced; its file is tried once more in another worker process (a death
  that was not the file's doing, such as an out-of-memory kill under load,
  then costs nothing), and if that worker dies too, the file gets a
  ``worker_crash`` row. Files in the other workers are not touched;
* a file still running after ``timeout`` seconds gets a ``timeout`` row; its
  worker is killed and replaced.

**Resume.** Each finished file is appended to ``OUTDIR/checkpoint.jsonl`` as one
JSON line and flushed at once (a killed batch cannot lose it); an fsync follows
each group of results that arrive together, so a power loss costs at most that
group, and a many-core box is not held to one disk sync per file. The first line
holds the engine version and parameters; a later run with other ones is refused
unless it overwrites. A run that is killed leaves at worst one partial last
line, which the next run drops. A rerun of the same command analyses only the
inputs without an entry, then writes the final tables from the checkpoint
(the last entry of a path wins), each to a temporary file renamed into place.
Entries are keyed by absolute path and parameter hash.

**Dask.** ``DaskExecutor`` sends the same unit of work to an existing Dask
``distributed`` cluster; results come back to this process, which writes the
checkpoint and the outputs exactly as for local workers.
"""

import contextlib
import dataclasses
import json
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing import connection

from engine.analyze import analyze_call
from engine.errors import ERROR_KINDS, CallscanError, ParameterError
from engine.inputs import InputError, expand_inputs
from engine.params import Params
from engine.writers import (
    FORMATS,
    SEGMENT_FORMATS,
    remove_stale_temporaries,
    write_json,
    write_segments,
    write_table,
)

CHECKPOINT = "checkpoint.jsonl"
RUN_JSON = "run.json"
_THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class BatchUsageError(CallscanError):
    """The batch cannot start as asked (bad option, parameters that do not
    match the output folder's earlier results). The CLI exits with 2."""

    exit_code = 2


class BatchFatalError(CallscanError):
    """The batch cannot go on (output folder not writable, workers that cannot
    start, cluster unreachable). The checkpoint keeps what was finished; the
    CLI exits with 3."""

    exit_code = 3


# --------------------------------------------------------------------------
# Configuration files

def read_config(path):
    """Read a batch configuration file (TOML).

    Parameters
    ----------
    path : str
        A TOML file. Top-level keys are command-line options, spelled as on the
        command line without the dashes (``jobs``, ``format``, ``agent-channel``
        or ``agent_channel``, ``overwrite = true``); an optional ``[params]``
        table sets analysis parameters by their ``engine.params.Params`` names
        (nested tables for the groups: ``[params.measures]``).

    Returns
    -------
    options : dict
        The top-level keys with dashes turned into underscores.
    params : dict
        The ``[params]`` table (empty when absent).

    Raises
    ------
    BatchUsageError
        When the file cannot be read or is not valid TOML.
    """
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BatchUsageError(f"cannot read the configuration: {exc}", path) from None
    params = data.pop("params", {})
    if not isinstance(params, dict):
        raise BatchUsageError("'params' must be a table ([params])", path)
    return {key.replace("-", "_"): value for key, value in data.items()}, params


def params_from_mapping(mapping, base=None):
    """Parameters with the values of a nested mapping applied.

    Parameters
    ----------
    mapping : dict
        Field names of ``Params`` and its groups, nested like the dataclasses
        (``{"measures": {"dead_air_min_s": 5.0}}``). Lists become tuples.
    base : Params, optional
        The parameters to start from (default ``Params()``).

    Returns
    -------
    Params

    Raises
    ------
    engine.errors.ParameterError
        When a name is unknown or a value has the wrong type.
    """
    return _replace_fields(base or Params(), mapping, "params")


def _replace_fields(obj, mapping, where):
    fields = {f.name for f in dataclasses.fields(obj)}
    changes = {}
    for key, value in mapping.items():
        name = f"{where}.{key}"
        if key not in fields:
            raise ParameterError(f"unknown parameter {name}; known: {', '.join(sorted(fields))}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ParameterError(f"{name} is a group of parameters: give a table")
            changes[key] = _replace_fields(current, value, name)
            continue
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if current is not None and type(value) is not type(current):
            raise ParameterError(
                f"{name} must be of type {type(current).__name__}, not {type(value).__name__}"
            )
        changes[key] = value
    return dataclasses.replace(obj, **changes)


# --------------------------------------------------------------------------
# The unit of work

@dataclass(frozen=True)
class Work:
    """What every worker needs to analyse a file.

    Attributes
    ----------
    analysis : callable
        ``analysis(path, params=..., events=...) -> dict``; a module-level
        function, since it is sent to workers by reference.
    params : Params
    events : bool
        Ask the analysis for events and keep them.
    warmup : bool
        Analyse a short synthetic call when a worker starts.
    """

    analysis: object = analyze_call
    params: Params = field(default_factory=Params)
    events: bool = False
    warmup: bool = True


def call_id_of(path):
    """The default call id: the file name without its extension."""
    return os.path.splitext(os.path.basename(path))[0]


def failed_entry(path, work, kind, message):
    """A checkpoint entry for a file that gave no record.

    Parameters
    ----------
    path : str
    work : Work
    kind : str
        One of ``engine.errors.ERROR_KINDS``.
    message : str
        Names the file and the reason.

    Returns
    -------
    dict
    """
    from engine import __version__

    record = {
        "path": path,
        "call_id": call_id_of(path),
        "status": "failed",
        "error_kind": kind if kind in ERROR_KINDS else "internal",
        "error": message,
        "engine_version": __version__,
        "params_hash": work.params.hash(),
    }
    return {"path": path, "params_hash": work.params.hash(), "record": record,
            "events": [] if work.events else None}


def analyse_one(work, path):
    """Analyse one file; never raises for a bad file.

    Parameters
    ----------
    work : Work
    path : str

    Returns
    -------
    dict
        The checkpoint entry: ``path``, ``params_hash``, ``record`` (the
        per-call record without events) and ``events`` (a list, or None when
        events were not asked for).
    """
    try:
        record = dict(work.analysis(path, params=work.params, events=work.events))
    except CallscanError as exc:
        message = str(exc) if exc.path else f"{path}: {exc}"
        return failed_entry(path, work, exc.kind, message)
    except Exception as exc:  # noqa: BLE001 - any other failure is an internal error row
        return failed_entry(path, work, "internal", f"{path}: {type(exc).__name__}: {exc}")
    found = record.pop("events", None)
    record["path"] = path
    return {"path": path, "params_hash": work.params.hash(), "record": record,
            "events": list(found or []) if work.events else None}


def _plain(value):
    """JSON fallback for NumPy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_entry(entry):
    """One checkpoint line (without the newline) for an entry.

    The line is ASCII: file names that are not valid UTF-8 (decoded by Python
    with surrogate escapes) come back unchanged when the line is read.
    """
    return json.dumps(entry, ensure_ascii=True, default=_plain, separators=(",", ":"))


def run_one(work, path):
    """Analyse one file and encode its entry.

    Returns
    -------
    status : str
        ``"ok"`` or ``"failed"``.
    line : str
        The checkpoint line.
    """
    entry = analyse_one(work, path)
    try:
        line = encode_entry(entry)
    except (TypeError, ValueError) as exc:
        entry = failed_entry(path, work, "internal", f"{path}: the record cannot be stored: {exc}")
        line = encode_entry(entry)
    return entry["record"]["status"], line


def _voice(t, f0):
    """A voiced, syllabic signal: harmonics of a wavering F0 under a 4 Hz envelope."""
    import numpy as np

    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))) / 8000
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 12))
    return 0.1 * harmonics * np.sin(2 * np.pi * 2.0 * t) ** 2


def synthetic_call(seconds=9.0):
    """A short two-party call at 8 kHz that exercises every stage of the analysis.

    Agent and customer voices take turns with an overlap, a mutual silence
    longer than the dead-air threshold and a short reply inside the other
    party's speech, over a faint noise floor.

    Returns
    -------
    ndarray, shape (2, n), float32
    """
    import numpy as np

    sr = 8000
    t = np.arange(int(sr * seconds)) / sr
    x = 1e-4 * np.random.default_rng(0).standard_normal((2, t.size))
    for ch, f0, start, end in ((0, 210, 0.5, 2.0), (1, 110, 1.6, 3.0), (0, 200, 6.5, 8.5), (1, 120, 7.2, 7.6)):
        i, j = int(start * sr), int(end * sr)
        x[ch, i:j] += _voice(t[i:j], f0)
    return x.astype(np.float32)


def warm_up(params):
    """Run the whole analysis once on a synthetic call, in stereo and in mono,
    so that every kernel is compiled or loaded from Numba's cache.

    Returns
    -------
    dict
        The record of the stereo call.
    """
    x = synthetic_call()
    analyze_call(x[:1], sample_rate=8000, params=params, events=True)
    return analyze_call(x, sample_rate=8000, params=params, events=True)


# --------------------------------------------------------------------------
# The checkpoint

@dataclass
class Entry:
    """What the checkpoint holds for one path.

    Attributes
    ----------
    record : dict
        The per-call record (without events).
    offset : int
        Byte offset of the entry's line in the checkpoint.
    has_events : bool
        Whether events were asked for and stored.
    """

    record: dict
    offset: int
    has_events: bool


class Checkpoint:
    """The append-only record of finished files in an output folder.

    Parameters
    ----------
    outdir : str
        The output folder (created if missing).
    params : Params
    engine_version : str

    Attributes
    ----------
    path : str
        ``OUTDIR/checkpoint.jsonl``.
    entries : dict of str -> Entry
        The latest entry of each path (filled by ``open`` and ``reload``).
    """

    def __init__(self, outdir, params, engine_version):
        self.outdir = outdir
        self.path = os.path.join(outdir, CHECKPOINT)
        self.params_hash = params.hash()
        self.header = {
            "callscan_checkpoint": 1,
            "engine_version": engine_version,
            "params_hash": self.params_hash,
            "params": params.to_dict(),
        }
        self.entries = {}
        self.skipped = 0
        self._file = None
        self._unsynced = False

    def open(self, overwrite=False):
        """Open (or start) the checkpoint; lock it against a second batch.

        Parameters
        ----------
        overwrite : bool
            Discard earlier results instead of resuming them.

        Raises
        ------
        BatchFatalError
            When the folder or the file cannot be created or written, or
            another batch holds the lock.
        BatchUsageError
            When earlier results were made with other parameters or another
            engine version (and ``overwrite`` is off).
        """
        try:
            os.makedirs(self.outdir, exist_ok=True)
            self._file = open(self.path, "a+b")
        except OSError as exc:
            raise BatchFatalError(
                f"cannot write to the output folder: {exc.strerror or exc}", self.outdir
            ) from None
        self._lock()
        try:
            if overwrite:
                self._file.truncate(0)
            self._load(check=True)
            if self._file.tell() == 0:
                self._append(json.dumps(self.header, separators=(",", ":")))
        except BaseException:
            self.close()
            raise

    def _lock(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no advisory locks on this platform
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise BatchFatalError(
                "another callscan batch is writing to this output folder; wait for it or "
                "choose another folder",
                self.outdir,
            ) from None

    def _load(self, check):
        f = self._file
        f.seek(0)
        self.entries = {}
        self.skipped = 0
        header = None
        offset = 0
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # the partial last line of a killed run
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if header is None:
                if not isinstance(obj, dict) or "callscan_checkpoint" not in obj:
                    raise BatchFatalError(
                        "checkpoint.jsonl is not a callscan checkpoint; move it away or use --overwrite",
                        self.outdir,
                    )
                header = obj
                if check:
                    self._check_header(header)
            elif isinstance(obj, dict) and obj.get("params_hash") == self.params_hash and "record" in obj:
                events = obj.get("events")
                self.entries[obj["path"]] = Entry(obj["record"], offset, events is not None)
            else:
                self.skipped += 1
            offset += len(raw)
        f.seek(0, os.SEEK_END)
        if f.tell() > offset:
            f.truncate(offset)
        f.seek(0, os.SEEK_END)

    def _check_header(self, header):
        old = (header.get("params_hash"), header.get("engine_version"))
        new = (self.params_hash, self.header["engine_version"])
        if old != new:
            raise BatchUsageError(
                f"holds results made with other parameters or another engine version "
                f"(params_hash {old[0]}, engine {old[1]}; this run: params_hash {new[0]}, "
                f"engine {new[1]}); rerun with --overwrite to discard them, or choose another "
                "output folder",
                self.outdir,
            )

    def _append(self, line, sync=True):
        try:
            self._file.write(line.encode("utf-8") + b"\n")
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())
        except OSError as exc:
            raise BatchFatalError(f"cannot write the checkpoint: {exc.strerror or exc}", self.path) from None

    def add(self, line):
        """Append one encoded entry and flush it to the operating system.

        A line is whole in the file once this returns: killing the batch
        process cannot lose it. ``sync`` then makes it survive a power loss.
        """
        self._append(line, sync=False)
        self._unsynced = True

    def sync(self):
        """fsync the lines added since the last call."""
        if self._unsynced:
            try:
                os.fsync(self._file.fileno())
            except OSError as exc:
                raise BatchFatalError(f"cannot write the checkpoint: {exc.strerror or exc}", self.path) from None
            self._unsynced = False

    def done(self, path, need_events):
        """Whether ``path`` has a reusable entry."""
        entry = self.entries.get(path)
        return entry is not None and (entry.has_events or not need_events)

    def reload(self):
        """Read the entries again (after a run added lines)."""
        self._load(check=False)

    def events(self, path):
        """The stored events of ``path`` (an empty list when none)."""
        entry = self.entries[path]
        self._file.seek(entry.offset)
        obj = json.loads(self._file.readline())
        self._file.seek(0, os.SEEK_END)
        return obj.get("events") or []

    def close(self):
        """Release the lock and close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


# --------------------------------------------------------------------------
# Local worker processes

def _worker_main(conn, work):
    """Body of a worker process: warm up, then analyse one file per message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    try:
        if work.warmup:
            warm_up(work.params)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the batch
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
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

    def stop(self):
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.reap()


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
        """Analyse every task; call ``on_result(index, status, line)`` for each.

        Parameters
        ----------
        tasks : iterable of (int, str)
            Input index and path.
        on_result : callable
            Called in this process, once per task, in completion order.
        on_sync : callable, optional
            Called after each group of results that arrived together (to make
            them durable with one fsync).
        """
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
        for w in workers:
            w.stop()

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


# --------------------------------------------------------------------------
# Dask

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


def worker_identity(params):
    """(engine version, parameter hash) as computed in this process.

    A worker whose code differs from the parent's (callscan upgraded during a
    run, another version on a Dask worker) computes another hash for the same
    parameters; its results would not match the checkpoint.
    """
    from engine import __version__

    return __version__, params.hash()


def check_identity(identities, params):
    """Stop the batch when a worker's engine or parameter hash differs.

    Parameters
    ----------
    identities : dict
        Worker name -> ``worker_identity`` computed there.
    params : Params

    Raises
    ------
    BatchFatalError
    """
    mine = worker_identity(params)
    for worker, theirs in identities.items():
        if tuple(theirs) != mine:
            raise BatchFatalError(
                f"worker {worker} runs callscan {theirs[0]} with parameter hash {theirs[1]}, "
                f"this process callscan {mine[0]} with {mine[1]}: the installed code differs "
                "(changed during the run, or another version on that machine); install one "
                "version everywhere and run again"
            )


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
        """Analyse every task on the cluster; arguments as ``LocalPool.run``."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        with self._client() as client:
            check_identity(client.run(worker_identity, self.work.params), self.work.params)
            window = max(2, 2 * sum(client.nthreads().values()))
            token = uuid.uuid4().hex[:12]
            pending = iter(tasks)
            owner = {}
            running = as_completed()

            def submit_next():
                task = next(pending, None)
                if task is None:
                    return
                fut = client.submit(
                    dask_task, self.work, task[1], self.timeout,
                    key=f"callscan-{token}-{task[0]}", pure=False,
                )
                owner[fut.key] = task
                running.add(fut)

            self.first_task_at = time.monotonic()
            for _ in range(window):
                submit_next()
            for fut in running:
                index, path = owner.pop(fut.key)
                try:
                    status, line = fut.result()
                except KilledWorker:
                    message = (
                        f"{path}: every Dask worker that ran this file died "
                        "(as often as distributed.scheduler.allowed-failures allows)"
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


# --------------------------------------------------------------------------
# Orchestration

def available_cores():
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def library_versions():
    """Versions of Python and the libraries that decide the numbers."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("numpy", "numba", "llvmlite", "soundfile", "soxr", "librosa", "pyarrow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        import soundfile

        out["libsndfile"] = soundfile.__libsndfile_version__
    except (ImportError, AttributeError):
        pass
    return out


def call_columns(rows):
    """Column order of the per-call table: that of ok records, then the rest.

    When no row is ok, the columns of a record of the synthetic call come
    first, so a batch that failed everywhere still has every column.
    """
    ordered = [r for r in rows if r.get("status") == "ok"]
    if not ordered:
        with contextlib.suppress(Exception):
            ordered = [warm_up(Params())]
    columns = {}
    for row in ordered + [r for r in rows if r.get("status") != "ok"]:
        for key in row:
            if key != "events":
                columns.setdefault(key, None)
    return list(columns)


EVENT_BASE = ("path", "call_id", "kind", "party", "start_s", "end_s")


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    outdir : str
    inputs : int
        Rows in the outputs (one per input file).
    ok : int
    failed : dict of str -> int
        Failed rows by ``error_kind``.
    analysed : int
        Files analysed by this run (the rest came from the checkpoint).
    audio_s : float
        Length of every ok call, seconds.
    analysed_audio_s : float
        Length of the ok calls analysed by this run, seconds.
    wall_s : float
        Wall time of this run, seconds.
    analysis_s : float
        From the first file sent to a worker to the last result, seconds
        (excludes start-up and writing).
    duplicates : int
        Inputs named more than once (kept once).
    outputs : list of str
        Files written.
    """

    outdir: str
    inputs: int = 0
    ok: int = 0
    failed: dict = field(default_factory=dict)
    analysed: int = 0
    audio_s: float = 0.0
    analysed_audio_s: float = 0.0
    wall_s: float = 0.0
    analysis_s: float = 0.0
    duplicates: int = 0
    outputs: list = field(default_factory=list)

    @property
    def n_failed(self):
        """Number of failed rows."""
        return sum(self.failed.values())

    @property
    def exit_code(self):
        """0 when every file is ok, 1 when some failed."""
        return 1 if self.n_failed else 0

    @property
    def x_real_time(self):
        """Audio analysed by this run per second of wall time."""
        return self.analysed_audio_s / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self):
        """One line for the end of a run."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.failed.items()))
        failed = f"{self.n_failed} failed ({kinds})" if self.n_failed else "0 failed"
        return (
            f"callscan batch: {self.inputs} calls, {self.ok} ok, {failed}; "
            f"{self.analysed} analysed now, {self.inputs - self.analysed} from the checkpoint; "
            f"{self.analysed_audio_s / 3600:.2f} h of audio in {self.wall_s:.1f} s "
            f"({self.x_real_time:.0f}x real time); outputs in {self.outdir}"
        )


def _progress(total, initial, enabled):
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, file=sys.stderr, unit="call", desc="callscan", dynamic_ncols=True)


def make_executor(work, executor="local", scheduler_file=None, jobs=None, timeout=None, crash_retries=1):
    """The executor named by ``executor`` (``local`` or a Dask address)."""
    if scheduler_file or (executor and executor != "local"):
        if scheduler_file and executor and executor != "local":
            raise BatchUsageError("give either --executor dask://HOST:PORT or --scheduler-file, not both")
        if executor and executor != "local" and "://" not in executor:
            raise BatchUsageError(f"unknown executor {executor!r}; use 'local' or dask://HOST:PORT")
        return DaskExecutor(work, address=None if scheduler_file else executor,
                            scheduler_file=scheduler_file, timeout=timeout)
    return LocalPool(work, jobs or available_cores(), timeout=timeout, crash_retries=crash_retries)


def run_batch(
    inputs,
    outdir,
    *,
    params=None,
    jobs=None,
    fmt="parquet",
    events=False,
    segments=None,
    timeout=None,
    resume=True,
    analysis=analyze_call,
    executor="local",
    scheduler_file=None,
    progress=False,
    warmup=True,
    crash_retries=1,
):
    """Analyse many files and write one row per input.

    Parameters
    ----------
    inputs : iterable of str
        Files, folders and manifests (see ``engine.inputs``).
    outdir : str
        Output folder: ``calls.<ext>``, ``events.<ext>``, ``segments/``,
        ``run.json`` and ``checkpoint.jsonl``.
    params : Params, optional
    jobs : int, optional
        Local worker processes (default: every core this process may use).
    fmt : {"parquet", "jsonl", "csv"}
    events : bool
        Also write the events table.
    segments : {"rttm", "audacity"}, optional
        Also write one segment file per call under ``segments/``.
    timeout : float, optional
        Seconds one file may take.
    resume : bool
        Reuse the checkpoint's results (True) or discard them (False).
    analysis : callable
        ``analysis(path, params=..., events=...) -> dict``, module level.
    executor : str
        ``"local"`` or a Dask scheduler address (``dask://HOST:PORT``).
    scheduler_file : str, optional
        A Dask scheduler file (instead of ``executor``).
    progress : bool
        Show a progress bar on stderr when it is a terminal.
    warmup : bool
        Warm each worker on a synthetic call before its first file.
    crash_retries : int
        Fresh-worker retries of a file whose worker died.

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchUsageError
        Bad options or inputs; earlier results made with other parameters.
    BatchFatalError
        The output folder cannot be written, workers cannot start, the
        cluster cannot be reached. Finished files stay in the checkpoint.
    """
    from engine import __version__

    t0 = time.monotonic()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    params = params or Params()
    if fmt not in FORMATS:
        raise BatchUsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if segments is not None and segments not in SEGMENT_FORMATS:
        raise BatchUsageError(f"unknown segment format {segments!r}; use one of {', '.join(SEGMENT_FORMATS)}")
    if timeout is not None and timeout <= 0:
        raise BatchUsageError("timeout must be positive")
    try:
        expanded = expand_inputs(inputs)
    except InputError as exc:
        raise BatchUsageError(exc.reason, exc.path) from None
    paths = expanded.paths
    if not paths:
        raise BatchUsageError(f"no audio files found in {', '.join(map(str, inputs)) or 'the inputs'}")
    try:
        pickle.dumps(analysis)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise BatchUsageError(
            f"the analysis function must be defined at module level (workers import it by name): {exc}"
        ) from None
    outdir = os.path.abspath(outdir)
    work = Work(analysis=analysis, params=params, events=bool(events or segments), warmup=warmup)
    runner = make_executor(work, executor, scheduler_file, jobs, timeout, crash_retries)

    ckpt = Checkpoint(outdir, params, __version__)
    ckpt.open(overwrite=not resume)
    try:
        remove_stale_temporaries(outdir)  # safe: the checkpoint's lock keeps other batches out
        todo = [(i, p) for i, p in enumerate(paths) if not ckpt.done(p, work.events)]
        analysed = set()
        bar = _progress(len(paths), len(paths) - len(todo), progress)

        def on_result(index, status, line):
            ckpt.add(line)
            analysed.add(paths[index])
            if bar is not None:
                bar.update(1)

        try:
            if todo:
                runner.run(todo, on_result, ckpt.sync)
        finally:
            if bar is not None:
                bar.close()
            ckpt.sync()
        ckpt.reload()
        result = BatchResult(outdir=outdir, inputs=len(paths), analysed=len(analysed),
                             duplicates=expanded.duplicates)
        if runner.first_task_at is not None and runner.last_result_at is not None:
            result.analysis_s = runner.last_result_at - runner.first_task_at
        _write_outputs(ckpt, paths, analysed, result, work, fmt, events, segments,
                       {"started_utc": started, "t0": t0, "executor": executor if not scheduler_file
                        else f"scheduler-file:{scheduler_file}",
                        "jobs": getattr(runner, "jobs", None)})
    finally:
        ckpt.close()
    return result


def _write_outputs(ckpt, paths, analysed, result, work, fmt, events, segments, run):
    """Write the tables, segment files and run.json from the checkpoint."""
    from engine import __version__

    missing = [p for p in paths if p not in ckpt.entries]
    if missing:  # every input has a row by now; anything else is a bug worth stopping for
        raise BatchFatalError(f"{len(missing)} inputs have no result, e.g. {missing[0]}", ckpt.outdir)
    rows = [ckpt.entries[p].record for p in paths]
    for row in rows:
        if row.get("status") == "ok":
            result.ok += 1
            seconds = row.get("duration_s") or 0.0
            result.audio_s += seconds
            if row["path"] in analysed:
                result.analysed_audio_s += seconds
        else:
            kind = row.get("error_kind") or "internal"
            result.failed[kind] = result.failed.get(kind, 0) + 1
    ext = FORMATS[fmt]
    names = {"calls": "calls" + ext}
    if events:
        names["events"] = "events" + ext
    if segments:
        names["segments"] = "segments/"
    info = {
        "engine_version": __version__,
        "params_hash": work.params.hash(),
        "params": work.params.to_dict(),
        "libraries": library_versions(),
        "inputs": result.inputs,
        "counts": {"ok": result.ok, "failed": result.n_failed, "failed_by_kind": dict(sorted(result.failed.items()))},
        "audio_hours": round(result.audio_s / 3600, 6),
        "outputs": names,
    }
    try:
        target = os.path.join(ckpt.outdir, names["calls"])
        write_table(target, fmt, call_columns(rows), lambda: rows, info)
        result.outputs.append(target)
        if events:
            target = os.path.join(ckpt.outdir, names["events"])
            write_table(target, fmt, _event_columns(ckpt, paths), lambda: _event_rows(ckpt, paths), info)
            result.outputs.append(target)
        if segments:
            result.outputs.extend(_write_segment_files(ckpt, paths, segments))
        result.wall_s = time.monotonic() - run["t0"]
        report = dict(info)
        report.update(
            wall_s=round(result.wall_s, 3),
            x_real_time=round(result.x_real_time, 2),
            this_run={
                "analysed": result.analysed,
                "from_checkpoint": result.inputs - result.analysed,
                "analysed_audio_hours": round(result.analysed_audio_s / 3600, 6),
                "analysis_s": round(result.analysis_s, 3),
                "executor": run["executor"],
                "jobs": run["jobs"],
                "duplicate_inputs": result.duplicates,
            },
            started_utc=run["started_utc"],
            finished_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        target = os.path.join(ckpt.outdir, RUN_JSON)
        write_json(target, report)
        result.outputs.append(target)
    except OSError as exc:
        name = exc.filename2 or exc.filename or "the outputs"
        raise BatchFatalError(
            f"cannot write {name}: {exc.strerror or exc}; "
            "the checkpoint keeps every result: rerun the same command to write the outputs",
            ckpt.outdir,
        ) from None


def _event_rows(ckpt, paths):
    for p in paths:
        call_id = ckpt.entries[p].record.get("call_id")
        for event in ckpt.events(p):
            row = {"path": p, "call_id": call_id}
            row.update(event)
            yield row


def _event_columns(ckpt, paths):
    columns = dict.fromkeys(EVENT_BASE)
    for row in _event_rows(ckpt, paths):
        for key in row:
            columns.setdefault(key, None)
    return list(columns)


def _write_segment_files(ckpt, paths, fmt):
    """One segment file per ok call, under ``segments/`` at the path of the
    input relative to the inputs' common folder (``a/b.wav`` -> ``a/b.wav.rttm``)."""
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    written = []
    for p in paths:
        record = ckpt.entries[p].record
        if record.get("status") != "ok":
            continue
        target = os.path.join(ckpt.outdir, "segments", os.path.relpath(p, root) + SEGMENT_FORMATS[fmt])
        write_segments(target, fmt, record.get("call_id") or call_id_of(p), ckpt.events(p))
        written.append(target)
    return written
