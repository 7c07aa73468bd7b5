"""Read a batch's output folder back: ``run.json``, the calls table, the events table.

The inverse of ``callscan.batch.outputs`` for the formats of ``callscan.writers``
(Parquet, JSON Lines, CSV), so reports and pictures can be made from a
finished batch without analysing its calls again.
"""

import csv
import json
import os
from dataclasses import dataclass, field

from callscan.batch.metadata import record_field_names, type_text_column
from callscan.batch.outputs import RUN_JSON
from callscan.errors import CallscanError

TEXT_COLUMNS = frozenset((
    "path", "call_id", "status", "error_kind", "error", "mode", "codec", "warnings",
    "engine_version", "params_hash", "kind", "party", "by", "of",
))


@dataclass
class BatchOutput:
    """What a batch wrote.

    Attributes
    ----------
    outdir : str
    run : dict
        The contents of ``run.json``.
    rows : list of dict
        The calls table, one row per input, in input order.
    events : dict of str -> list of dict, or None
        Events per call path, when the batch wrote an events table.
    """

    outdir: str
    run: dict
    rows: list
    events: dict | None = field(default=None)


def read_batch(outdir):
    """Read a batch output folder.

    Parameters
    ----------
    outdir : str

    Returns
    -------
    BatchOutput

    Raises
    ------
    callscan.errors.CallscanError
        When the folder holds no finished batch (no ``run.json`` or no calls table).
    """
    run_path = os.path.join(outdir, RUN_JSON)
    try:
        with open(run_path, encoding="utf-8") as f:
            run = json.load(f)
    except FileNotFoundError:
        raise CallscanError(f"no {RUN_JSON}: not the output folder of a finished batch", outdir) from None
    except (OSError, ValueError) as exc:
        raise CallscanError(f"cannot read {RUN_JSON}: {exc}", outdir) from None
    names = run.get("outputs") or {}
    calls = os.path.join(outdir, names.get("calls", "calls.parquet"))
    if not os.path.isfile(calls):
        raise CallscanError(f"the calls table {os.path.basename(calls)} is missing", outdir)
    rows = _read(calls, outdir)
    events = None
    if names.get("events") and os.path.isfile(os.path.join(outdir, names["events"])):
        events = {}
        for ev in _read(os.path.join(outdir, names["events"]), outdir):
            events.setdefault(ev.get("path"), []).append(ev)
    return BatchOutput(outdir=outdir, run=run, rows=rows, events=events)


def _read(path, outdir):
    """``read_table``, with a table that cannot be read as a one-line error naming it."""
    try:
        return read_table(path)
    except (OSError, ValueError, csv.Error) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise CallscanError(f"cannot read {os.path.basename(path)}: {exc}", outdir) from None


def read_table(path):
    """Rows of a table written by ``callscan.writers.write_table``, as dicts.

    Parameters
    ----------
    path : str
        ``.parquet``, ``.jsonl`` or ``.csv``.

    Returns
    -------
    list of dict
    """
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if path.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            raw = list(reader)
        known = record_field_names() | TEXT_COLUMNS
        rows = [{k: _csv_value(v, k in TEXT_COLUMNS) if k in known else v for k, v in row.items()} for row in raw]
        for name in reader.fieldnames or ():
            if name not in known:  # metadata: typed as the manifest was
                for row, value in zip(rows, type_text_column([row[name] for row in rows])):
                    row[name] = value
        return rows
    raise CallscanError("unknown table format (expected .parquet, .jsonl or .csv)", path)


def _csv_value(text, is_text=False):
    """A CSV cell back to None, int, float or str (``is_text``: never a number)."""
    if text is None or text == "":
        return None
    if is_text:
        return text
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
