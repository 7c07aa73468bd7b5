"""The unit of work of a batch: one file in, one checkpoint entry out.

``analyze_one`` runs the analysis function on one path and turns any refusal
into a failed row: a ``CallscanError`` keeps its ``kind``; any other exception
is ``internal`` with the exception's text. The result is one *entry*:
``{"path", "params_hash", "record", "events"}``; ``run_one`` encodes it as the
checkpoint line that workers send back. Everything here is module level, since
workers (local processes and Dask) import it by reference.
"""

import json
import os
from dataclasses import dataclass, field

from callscan._version import __version__
from callscan.batch.ids import stem
from callscan.errors import ERROR_KINDS, CallscanError
from callscan.params import Params
from callscan.record.schema import SCHEMA_VERSION


def analyze_file(path, *, params, events):
    """The batch's analysis: :func:`callscan.analyze.analyze_call` of ``path``.

    Imported where a file is analysed (a worker), not where the batch is run from: the parent
    of a local batch then never loads SciPy and the analysis modules (about 0.15 CPU s of its
    start, before it starts a worker).
    """
    from callscan.analyze import analyze_call

    return analyze_call(path, params=params, events=events)


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

    analysis: object = analyze_file
    params: Params = field(default_factory=Params)
    events: bool = False
    warmup: bool = True


def failed_entry(path, work, kind, message):
    """A checkpoint entry for a file that gave no record.

    Parameters
    ----------
    path : str
    work : Work
    kind : str
        One of ``callscan.errors.ERROR_KINDS``.
    message : str
        Names the file and the reason.

    Returns
    -------
    dict
    """
    record = {
        "path": path,
        "call_id": stem(path),
        "status": "failed",
        "error_kind": kind if kind in ERROR_KINDS else "internal",
        "error": message,
        "engine_version": __version__,
        "params_hash": work.params.hash(),
        "schema_version": SCHEMA_VERSION,
    }
    return {"path": path, "params_hash": work.params.hash(), "record": record,
            "events": [] if work.events else None}


def analyze_one(work, path):
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
        return failed_entry(path, work, exc.error_kind, message)
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
    entry = analyze_one(work, path)
    try:
        line = encode_entry(entry)
    except (TypeError, ValueError) as exc:
        entry = failed_entry(path, work, "internal", f"{path}: the record cannot be stored: {exc}")
        line = encode_entry(entry)
    return entry["record"]["status"], line
