"""The final outputs of a batch, written from its checkpoint.

``write_outputs`` writes, in input order, the per-call table, the events
table, one segment file per ok call and ``run.json`` (counts, versions,
timings), each to a temporary file renamed into place (``callscan.writers``
does the formats). It also fills in the counts of the ``BatchResult``.

``run.json`` keeps two scopes apart. Its top level describes the tables:
``complete`` (a row for every input; false after an interrupted run),
``inputs``, ``rows``, ``counts`` and ``audio_hours`` over those rows, whichever
run analysed them. ``this_run`` describes the run that wrote it, over the files
it analysed itself: ``analyzed``, ``from_checkpoint``, ``audio_hours``,
``wall_s`` = ``startup_s`` (inputs, checkpoint, workers' start and warm-up,
with ``compiled`` true when that included compiling the kernels) +
``analysis_s`` + ``finishing_s`` (stopping the workers, writing the tables), and ``x_real_time`` = ``audio_hours`` x 3600 /
``analysis_s``; ``interrupted`` names the signal that stopped it, ``cwd`` the
folder that relative paths in the tables start from.
"""

import contextlib
import os
import time
from datetime import datetime, timezone

from callscan._version import __version__
from callscan.batch.warmup import warm_up
from callscan.batch.ids import stem as call_id_of
from callscan.errors import BatchFatalError
from callscan.params import Params
from callscan.record.schema import SCHEMA_VERSION
from callscan.writers import (
    FORMATS,
    SEGMENT_FORMATS,
    write_json,
    write_segments,
    write_table,
)

RUN_JSON = "run.json"
EVENT_BASE = ("path", "call_id", "kind", "party", "start_s", "end_s")


def write_outputs(ckpt, paths, analyzed, result, work, fmt, events, segments, run, rules=None, inputs=None):
    """Write the tables, segment files and run.json from the checkpoint.

    Parameters
    ----------
    ckpt : callscan.batch.checkpoint.Checkpoint
        Open, reloaded after the run; holds an entry for every path.
    paths : list of str
        The inputs with a row, in order (every input, or the finished ones of
        an interrupted run): one row each.
    analyzed : set of str
        The paths analysed by this run (the rest came from the checkpoint).
    result : callscan.batch.run.BatchResult
        With ``inputs``, ``rows``, ``analyzed``, ``startup_s`` and ``analysis_s`` set;
        filled in here: counts, audio seconds, wall and writing time, outputs.
    work : callscan.batch.work.Work
    fmt : {"parquet", "jsonl", "csv"}
    events : bool
        Also write the events table.
    segments : {"rttm", "audacity"} or None
        Also write one segment file per ok call.
    run : dict
        ``started_utc``, ``t0`` (``time.monotonic()`` at the start),
        ``executor`` and ``jobs``, for ``run.json``.
    rules : callscan.record.rules.RuleSet, optional
        Adds ``flags`` to every row of the calls table.
    inputs : callscan.batch.inputs.Inputs, optional
        Its metadata columns go into every row of the calls and events tables,
        after ``call_id``; its ``call_ids`` replace the ids taken from file names.

    Raises
    ------
    callscan.errors.BatchFatalError
        When an input has no entry, or an output cannot be written.
    """
    missing = [p for p in paths if p not in ckpt.entries]
    if missing:  # every input has a row by now; anything else is a bug worth stopping for
        raise BatchFatalError(f"{len(missing)} inputs have no result, e.g. {missing[0]}", ckpt.outdir)
    rows = [ckpt.entries[p].record for p in paths]
    if rules is not None:
        rows = [rules.apply(dict(row)) for row in rows]
    meta = Metadata.of(inputs)
    for path, row in zip(paths, rows):
        if row.get("status") == "ok":
            result.ok += 1
            seconds = row.get("duration_s") or 0.0
            result.audio_s += seconds
            if path in analyzed:
                result.analyzed_audio_s += seconds
        else:
            kind = row.get("error_kind") or "internal"
            result.failed[kind] = result.failed.get(kind, 0) + 1
            result.failed_paths.append(meta.given.get(path, path))
    rows = [meta.row(row) for row in rows]
    ext = FORMATS[fmt]
    names = {"calls": "calls" + ext}
    if events:
        names["events"] = "events" + ext
    if segments:
        names["segments"] = "segments/"
    info = {
        "engine_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "params_hash": work.params.hash(),
        "params": work.params.to_dict(),
        "libraries": library_versions(),
        "complete": result.complete,
        "inputs": result.inputs,
        "rows": result.rows,
        "counts": {"ok": result.ok, "failed": result.n_failed, "failed_by_kind": dict(sorted(result.failed.items()))},
        "audio_hours": round(result.audio_s / 3600, 6),
        "outputs": names,
    }
    if rules is not None:
        info["rules"] = {r.name: r.when for r in rules.rules}
    try:
        target = os.path.join(ckpt.outdir, names["calls"])
        write_table(target, fmt, meta.columns_of(call_columns(rows)), lambda: rows, info, types=meta.types)
        result.outputs.append(target)
        if events:
            target = os.path.join(ckpt.outdir, names["events"])
            write_table(target, fmt, meta.columns_of(_event_columns(ckpt, paths)),
                        lambda: _event_rows(ckpt, paths, meta), info, types=meta.types)
            result.outputs.append(target)
        if segments:
            result.outputs.extend(_write_segment_files(ckpt, paths, segments, meta))
        result.wall_s = time.monotonic() - run["t0"]
        result.finishing_s = max(0.0, result.wall_s - result.startup_s - result.analysis_s)
        report = dict(info)
        report["this_run"] = {
            "interrupted": result.interrupted,
            "analyzed": result.analyzed,
            "from_checkpoint": result.rows - result.analyzed,
            "audio_hours": round(result.analyzed_audio_s / 3600, 6),
            "wall_s": round(result.wall_s, 3),
            "startup_s": round(result.startup_s, 3),
            "compiled": result.compiled,
            "analysis_s": round(result.analysis_s, 3),
            "finishing_s": round(result.finishing_s, 3),
            "x_real_time": round(result.x_real_time, 2),
            "executor": run["executor"],
            "jobs": run["jobs"],
            "duplicate_inputs": result.duplicates,
            "cwd": os.getcwd(),
            "started_utc": run["started_utc"],
            "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
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


class Metadata:
    """The metadata of the inputs, as the tables write it.

    Attributes
    ----------
    columns : list of str
    meta : dict of str -> dict
        Path -> column -> value.
    call_ids : dict of str -> str
    given : dict of str -> str
        Absolute path -> the path as given, which the tables show.
    types : dict of str -> str
        Column -> ``"string"`` for the columns without any value (so that they
        are text, not numbers, in Parquet).
    """

    def __init__(self, columns=(), meta=None, call_ids=None, given=None):
        self.columns = list(columns)
        self.meta = meta or {}
        self.call_ids = call_ids or {}
        self.given = given or {}
        present = {name for m in self.meta.values() for name, v in m.items() if v is not None}
        self.types = {name: "string" for name in self.columns if name not in present}

    @classmethod
    def of(cls, inputs):
        """From a ``callscan.batch.inputs.Inputs`` (or None: no metadata)."""
        if inputs is None:
            return cls()
        return cls(inputs.columns, inputs.meta, inputs.call_ids, inputs.given)

    def row(self, row):
        """``row`` with its call's metadata and its path as given (the row itself when
        there is nothing to change)."""
        path = row.get("path")
        if not self.columns and path not in self.call_ids and self.given.get(path, path) == path:
            return row
        out = dict(row)
        out["path"] = self.given.get(path, path)
        if path in self.call_ids:
            out["call_id"] = self.call_ids[path]
        cells = self.meta.get(path, {})
        for name in self.columns:
            out[name] = cells.get(name)
        return out

    def columns_of(self, columns):
        """Table columns with the metadata columns after ``call_id``."""
        if not self.columns:
            return columns
        rest = [c for c in columns if c not in self.columns]
        at = rest.index("call_id") + 1 if "call_id" in rest else len(rest)
        return rest[:at] + self.columns + rest[at:]


def _event_rows(ckpt, paths, meta=None):
    meta = meta or Metadata()
    for p in paths:
        call_id = meta.call_ids.get(p) or ckpt.entries[p].record.get("call_id")
        cells = meta.meta.get(p, {})
        extra = {name: cells.get(name) for name in meta.columns}
        for event in ckpt.events(p):
            row = {"path": meta.given.get(p, p), "call_id": call_id}
            row.update(extra)
            row.update(event)
            yield row


def _event_columns(ckpt, paths):
    columns = dict.fromkeys(EVENT_BASE)
    for row in _event_rows(ckpt, paths):
        for key in row:
            columns.setdefault(key, None)
    return list(columns)


def _write_segment_files(ckpt, paths, fmt, meta):
    """One segment file per ok call, under ``segments/`` at the path of the
    input relative to the inputs' common folder (``a/b.wav`` -> ``a/b.wav.rttm``)."""
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    written = []
    for p in paths:
        record = ckpt.entries[p].record
        if record.get("status") != "ok":
            continue
        target = os.path.join(ckpt.outdir, "segments", os.path.relpath(p, root) + SEGMENT_FORMATS[fmt])
        call_id = meta.call_ids.get(p) or record.get("call_id") or call_id_of(p)
        write_segments(target, fmt, call_id, ckpt.events(p))
        written.append(target)
    return written
