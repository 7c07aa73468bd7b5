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
"""

import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from callscan._version import __version__
from callscan.analyze import analyze_call
from callscan.batch.checkpoint import Checkpoint
from callscan.batch.executor import make_executor
from callscan.batch.inputs import InputError, expand_inputs
from callscan.batch.outputs import write_outputs
from callscan.batch.work import Work
from callscan.errors import BatchFatalError, BatchUsageError
from callscan.params import Params
from callscan.writers import FORMATS, SEGMENT_FORMATS, remove_stale_temporaries

__all__ = ["BatchFatalError", "BatchResult", "BatchUsageError", "run_batch"]


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
    analyzed : int
        Files analysed by this run (the rest came from the checkpoint).
    audio_s : float
        Length of every ok call, seconds.
    analyzed_audio_s : float
        Length of the ok calls analysed by this run, seconds.
    wall_s : float
        Wall time of this run, seconds.
    analysis_s : float
        From the first file sent to a worker to the last result, seconds
        (excludes start-up and writing).
    failed_paths : list of str
        The failed files, in input order.
    duplicates : int
        Inputs named more than once (kept once).
    path_fields_unmatched : int
        Inputs whose path did not fit the ``path_fields`` template.
    outputs : list of str
        Files written.
    """

    outdir: str
    inputs: int = 0
    ok: int = 0
    failed: dict = field(default_factory=dict)
    failed_paths: list = field(default_factory=list)
    analyzed: int = 0
    audio_s: float = 0.0
    analyzed_audio_s: float = 0.0
    wall_s: float = 0.0
    analysis_s: float = 0.0
    duplicates: int = 0
    path_fields_unmatched: int = 0
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
        return self.analyzed_audio_s / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self, named=10):
        """The lines for the end of a run: the totals, then the first ``named`` failed files."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.failed.items()))
        failed = f"{self.n_failed} failed ({kinds})" if self.n_failed else "0 failed"
        line = (
            f"callscan batch: {self.inputs} calls, {self.ok} ok, {failed}; "
            f"{self.analyzed} analysed now, {self.inputs - self.analyzed} from the checkpoint; "
            f"{self.analyzed_audio_s / 3600:.2f} h of audio in {self.wall_s:.1f} s "
            f"({self.x_real_time:.0f}x real time); outputs in {self.outdir}"
        )
        if not self.failed_paths:
            return line
        shown = self.failed_paths[:named]
        more = len(self.failed_paths) - len(shown)
        tail = f"\n  ... and {more} more: the rows with status 'failed' in the calls table" if more else ""
        return line + "\nfailed:\n" + "\n".join(f"  {p}" for p in shown) + tail


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
    analysis=analyze_call,
    executor="local",
    scheduler_file=None,
    progress=False,
    warmup=True,
    crash_retries=1,
    rules=None,
    path_fields=None,
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

    ckpt = Checkpoint(outdir, params, __version__)
    ckpt.open(overwrite=not resume)
    try:
        remove_stale_temporaries(outdir)  # safe: the checkpoint's lock keeps other batches out
        todo = [(i, p) for i, p in enumerate(paths) if not ckpt.done(p, work.events)]
        analyzed = set()
        bar = _progress(len(paths), len(paths) - len(todo), progress)

        def on_result(index, status, line):
            ckpt.add(line)
            analyzed.add(paths[index])
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
        result = BatchResult(outdir=outdir, inputs=len(paths), analyzed=len(analyzed),
                             duplicates=expanded.duplicates, path_fields_unmatched=expanded.unmatched)
        if runner.first_task_at is not None and runner.last_result_at is not None:
            result.analysis_s = runner.last_result_at - runner.first_task_at
        write_outputs(ckpt, paths, analyzed, result, work, fmt, events, segments,
                      {"started_utc": started, "t0": t0, "executor": executor if not scheduler_file
                       else f"scheduler-file:{scheduler_file}",
                       "jobs": getattr(runner, "jobs", None)}, rules=rules, inputs=expanded)
    finally:
        ckpt.close()
    return result
