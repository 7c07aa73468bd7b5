"""Many calls in, one table out: ``run_batch``.

``run_batch`` analyses every input file once and writes one row per input, in
input order, whatever the number of workers. It checks the options, expands
the inputs, opens the checkpoint, sends the files it does not yet hold to an
executor and writes the outputs from the checkpoint. The pieces, top to bottom:

* ``callscan.batch.config``: options and parameters from a TOML file;
* ``callscan.batch.work``: the unit of work, one file -> one checkpoint entry;
* ``callscan.batch.warmup``: a worker's warm-up and identity check;
* ``callscan.batch.executor``: the protocol every executor follows, and the choice of one;
* ``callscan.batch.pool``: local worker processes, crash isolation, timeouts;
* ``callscan.batch.dask_executor``: the same work on a Dask cluster;
* ``callscan.batch.checkpoint``: the append-only record of finished files (resume);
* ``callscan.batch.outputs``: the tables, segment files and ``run.json``;

A rerun of the same command analyses only the inputs without an entry, then
writes the final tables from the checkpoint.

On SIGINT (Ctrl-C) or SIGTERM the workers are stopped, the tables are written
with the rows of the files finished so far (``run.json`` says ``"complete":
false``) and ``BatchInterrupted`` is raised; the rerun completes the tables.
"""

import contextlib
import json
import os
import pickle
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from callscan._version import __version__
from callscan.batch.checkpoint import Checkpoint
from callscan.batch.executor import make_executor
from callscan.batch.inputs import InputError, expand_inputs
from callscan.batch.outputs import write_outputs
from callscan.batch.warmup import compile_pending
from callscan.batch.work import Work, analyze_file
from callscan.errors import BatchFatalError, BatchUsageError
from callscan.params import Params
from callscan.writers import FORMATS, SEGMENT_FORMATS, remove_stale_temporaries

__all__ = ["BatchFatalError", "BatchInterrupted", "BatchResult", "BatchUsageError", "run_batch"]


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by SIGINT or SIGTERM, after writing the tables of its finished files.

    Attributes
    ----------
    result : BatchResult
        What the tables hold (``result.rows`` of ``result.inputs``).
    signal_name : str
        ``"SIGINT"`` or ``"SIGTERM"``.
    exit_code : int
        128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports it.
    """

    def __init__(self, result, signal_name):
        super().__init__(signal_name)
        self.result = result
        self.signal_name = signal_name
        self.exit_code = 128 + int(getattr(signal, signal_name))

    def resume_line(self):
        """One line for the terminal: what was kept, and how to go on."""
        r = self.result
        return (
            f"callscan batch: interrupted ({self.signal_name}); the tables in {r.outdir} hold the "
            f"{r.rows} finished calls of {r.inputs} (run.json: \"complete\": false); "
            f"rerun the same command to analyse the other {r.inputs - r.rows}"
        )


class _Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the batch is, as SIGINT raises KeyboardInterrupt."""


@contextlib.contextmanager
def _stop_on_sigterm():
    """Turn SIGTERM into ``_Stopped`` while the batch runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Stopped("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class BatchResult:
    """What a batch did.

    The counts and ``audio_s`` cover the rows of the tables (every input, or the
    finished ones of an interrupted run); ``analyzed``, ``analyzed_audio_s`` and the
    times cover this run only, so a resumed run's throughput is that of its own files.

    Attributes
    ----------
    outdir : str
    inputs : int
        Input files (one row each once the batch is complete).
    rows : int
        Rows in the tables: ``inputs``, or fewer when the run was interrupted.
    ok : int
    failed : dict of str -> int
        Failed rows by ``error_kind``.
    failed_paths : list of str
        The failed files, as given, in input order.
    analyzed : int
        Files analysed by this run (the other rows came from the checkpoint).
    audio_s : float
        Length of every ok call in the tables, seconds.
    analyzed_audio_s : float
        Length of the ok calls analysed by this run, seconds.
    wall_s : float
        Wall time of this run, seconds: ``startup_s + analysis_s + finishing_s``.
    startup_s : float
        From the start to the first file handed to a worker, seconds: reading
        the inputs and the checkpoint, starting and warming the workers
        (compiling the kernels on a first run).
    analysis_s : float
        From the first file handed to a worker to the last result, seconds.
    finishing_s : float
        From the last result to the end: stopping the workers and writing the
        tables, seconds.
    compiled : bool
        Whether the kernels had never been compiled when the run started (its
        start-up then includes compiling them).
    interrupted : str or None
        ``"SIGINT"`` or ``"SIGTERM"`` when the run was stopped by that signal.
    duplicates : int
        Inputs named more than once (kept once).
    path_fields_unmatched : int
        Inputs whose path did not fit the ``path_fields`` template.
    outputs : list of str
        Files written.
    """

    outdir: str
    inputs: int = 0
    rows: int = 0
    ok: int = 0
    failed: dict = field(default_factory=dict)
    failed_paths: list = field(default_factory=list)
    analyzed: int = 0
    audio_s: float = 0.0
    analyzed_audio_s: float = 0.0
    wall_s: float = 0.0
    startup_s: float = 0.0
    analysis_s: float = 0.0
    finishing_s: float = 0.0
    compiled: bool = False
    interrupted: str | None = None
    duplicates: int = 0
    path_fields_unmatched: int = 0
    outputs: list = field(default_factory=list)

    @property
    def complete(self):
        """Whether the tables hold a row for every input."""
        return self.rows == self.inputs

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
        """Audio analysed by this run per second of analysis (start-up and writing apart)."""
        return self.analyzed_audio_s / self.analysis_s if self.analysis_s > 0 else 0.0

    def totals(self):
        """The closing line: the table's counts, then this run's audio, times and throughput."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.failed.items()))
        failed = f"{self.n_failed} failed ({kinds})" if self.n_failed else "0 failed"
        start = f"start-up {self.startup_s:.1f} s{' (compiling the kernels)' if self.compiled else ''}"
        speed = (f"{self.analyzed_audio_s / 3600:.2f} h of audio analysed in {self.analysis_s:.1f} s "
                 f"({self.x_real_time:.0f}x real time); {start}, " if self.analyzed else "")
        return (
            f"callscan batch: {self.inputs} calls, {self.ok} ok, {failed}; "
            f"{self.analyzed} analysed now, {self.rows - self.analyzed} from the checkpoint; "
            f"{speed}finishing {self.finishing_s:.1f} s; outputs in {self.outdir}"
        )

    def failed_lines(self, named=10):
        """The first ``named`` failed files, then where the rest are (empty when none failed)."""
        if not self.failed_paths:
            return ""
        shown = self.failed_paths[:named]
        more = len(self.failed_paths) - len(shown)
        tail = f"\n  ... and {more} more: the rows with status 'failed' in the calls table" if more else ""
        return "failed:\n" + "\n".join(f"  {p}" for p in shown) + tail

    def summary(self, named=10):
        """The lines for the end of a run: the totals, then the first ``named`` failed files."""
        failed = self.failed_lines(named)
        return self.totals() + ("\n" + failed if failed else "")


def _progress(total, initial, enabled):
    """A progress bar on stderr, or None (not asked for, not a terminal, no tqdm)."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, file=sys.stderr, unit="call", desc="callscan", dynamic_ncols=True)


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
    analysis=analyze_file,
    executor="local",
    scheduler_file=None,
    progress=False,
    warmup=True,
    crash_retries=1,
    rules=None,
    path_fields=None,
    on_file=None,
):
    """Analyse many files and write one row per input.

    Parameters
    ----------
    inputs : iterable of str
        Files, folders and manifests (see ``callscan.batch.inputs``).
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
    rules : callscan.record.rules.RuleSet, optional
        QA rules: every row of the calls table gets ``flags`` (checked when the
        tables are written, so a rerun with other rules needs no new analysis).
    path_fields : str, optional
        A template such as ``"{date}/{agent_id}/"``: parts of each path become
        columns of every row (``callscan.batch.metadata``), as a manifest's
        columns do.

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchInterrupted
        On SIGINT or SIGTERM, once the workers are stopped and the tables of the
        finished files are written (``run.json`` marks them incomplete).
    BatchUsageError
        Bad options or inputs; earlier results made with other parameters.
    BatchFatalError
        The output folder cannot be written, workers cannot start, the
        cluster cannot be reached. Finished files stay in the checkpoint.
    """
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
        expanded = expand_inputs(inputs, path_template=path_fields)
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
    compiled = warmup and compile_pending()

    ckpt = Checkpoint(outdir, params, __version__)
    ckpt.open(overwrite=not resume)
    try:
        remove_stale_temporaries(outdir)  # safe: the checkpoint's lock keeps other batches out
        todo = [(i, p) for i, p in enumerate(paths) if not ckpt.done(p, work.events)]
        analyzed = set()
        bar = _progress(len(paths), len(paths) - len(todo), progress and on_file is None)

        def on_result(index, status, line):
            analyzed.add(paths[index])
            ckpt.add(line)
            if bar is not None:
                bar.update(1)
            if on_file is not None:
                on_file(_finished(line, expanded))

        stopped = None
        with _stop_on_sigterm():
            try:
                if todo:
                    runner.run(todo, on_result, ckpt.sync)
            except KeyboardInterrupt as exc:
                stopped = "SIGTERM" if isinstance(exc, _Stopped) else "SIGINT"
            finally:
                ended = time.monotonic()
                if bar is not None:
                    bar.close()
                ckpt.sync()
            ckpt.reload()
            rows = [p for p in paths if p in ckpt.entries] if stopped else paths
            result = BatchResult(outdir=outdir, inputs=len(paths), rows=len(rows),
                                 analyzed=len(analyzed & set(rows)), compiled=compiled, interrupted=stopped,
                                 duplicates=expanded.duplicates, path_fields_unmatched=expanded.unmatched)
            first = runner.first_task_at if runner.first_task_at is not None else ended
            last = runner.last_result_at if runner.last_result_at is not None else first
            result.startup_s = first - t0
            result.analysis_s = last - first
            write_outputs(ckpt, rows, analyzed, result, work, fmt, events, segments,
                          {"started_utc": started, "t0": t0, "executor": executor if not scheduler_file
                           else f"scheduler-file:{scheduler_file}",
                           "jobs": getattr(runner, "jobs", None)}, rules=rules, inputs=expanded)
    finally:
        ckpt.close()
    if stopped:
        raise BatchInterrupted(result, stopped)
    return result


def _finished(line, inputs):
    """The record of a checkpoint line as the tables will show it (path as given, final call id)."""
    record = json.loads(line)["record"]
    path = record.get("path")
    record["call_id"] = inputs.call_ids.get(path, record.get("call_id"))
    record["path"] = inputs.given.get(path, path)
    return record
