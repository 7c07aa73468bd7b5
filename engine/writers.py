"""Output files of a batch: tables, segment files and ``run.json``.

* **Tables**: one row per call, or one row per event, as Parquet,
  JSON Lines or CSV. Columns keep the order given by the caller; a column's
  type comes from its values (integers and floats together make float64;
  lists of numbers make ``list<double>``, other lists ``list<string>``; a
  column with no value at all is ``string`` for the identity and error fields,
  ``list<string>`` for ``warnings`` and ``flags`` and float64 otherwise, as measures are, so
  that tables of different batches share a schema; ``types`` can name it). Datetimes are
  timestamps in microseconds (UTC when they carry a zone), ISO-8601 text in
  JSON Lines and CSV. Lists such as
  ``warnings`` stay lists in Parquet and JSON Lines; in CSV their items are
  joined with ``"; "``. Non-finite floats are ``null`` in JSON Lines
  (JSON has no NaN) and empty in CSV.
* **Segment files** per call: RTTM (one ``SPEAKER`` line per speech event) or
  an Audacity label track (every event, tab-separated start, end, label).
* **run.json**: any JSON-serialisable mapping.
* **Frame tables** (``callscan features``): one row per channel and frame, Parquet or CSV.

Every file is first written beside its target under a temporary name, flushed
to disk, then renamed over the target: a reader sees the old file or the new
one, never half of one.
"""

import contextlib
import csv
import json
import math
import os
from datetime import datetime

import numpy as np

from callscan.formats import FORMATS, SEGMENT_FORMATS

STRING_COLUMNS = frozenset(
    {"path", "call_id", "status", "error_kind", "error", "mode", "codec", "engine_version",
     "params_hash", "schema_version", "kind", "party", "by", "of"}
)
LIST_COLUMNS = frozenset({"warnings", "flags"})
ROW_GROUP = 100_000


@contextlib.contextmanager
def atomic_path(path, durable=True):
    """Write to a temporary file that replaces ``path`` only on success.

    Parameters
    ----------
    path : str
        The target file.
    durable : bool
        Flush the file and its folder to disk (fsync) around the rename; leave
        it off for many small files that can be written again.

    Yields
    ------
    str
        A temporary path in the target's folder; write the whole file there.
    """
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}")
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_folder(folder)


def remove_stale_temporaries(folder):
    """Delete temporary files that ``atomic_path`` left in ``folder`` when its
    process was killed mid-write. Call it only while no other writer runs.

    Returns
    -------
    int
        Number of files removed.
    """
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as it:
        for entry in it:
            stem, sep, pid = entry.name.rpartition(".tmp-")
            if entry.name.startswith(".") and sep and stem and pid.isdigit() and entry.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _fsync_folder(folder):
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _text(value):
    """``value`` as writable UTF-8 text: bytes of a file name that were not
    UTF-8 (surrogate escapes) become U+FFFD."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _value_kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is None else "datetime:utc"
    if isinstance(value, (list, tuple)):
        items = {_value_kind(v) for v in value if v is not None}
        if not items:
            return "list"
        return "list:num" if items <= {"int", "float"} else "list:str"
    return "other"


def column_types(columns, rows, empty=None):
    """The Arrow type of every column, from the values in ``rows``.

    Parameters
    ----------
    columns : list of str
    rows : iterable of dict
        Missing keys count as null.
    empty : dict of str -> str, optional
        The type of a column without any value: ``"string"`` or ``"float"``
        (by default, the rules in the module docstring).

    Returns
    -------
    dict of str -> pyarrow.DataType
    """
    import pyarrow as pa

    kinds = {c: set() for c in columns}
    for row in rows:
        for c in columns:
            value = row.get(c)
            if value is not None:
                kinds[c].add(_value_kind(value))
    types = {}
    for c, seen in kinds.items():
        if not seen and empty and c in empty:
            types[c] = pa.string() if empty[c] == "string" else pa.float64()
        elif not seen:
            types[c] = (
                pa.string() if c in STRING_COLUMNS
                else pa.list_(pa.string()) if c in LIST_COLUMNS
                else pa.float64()
            )
        elif seen == {"bool"}:
            types[c] = pa.bool_()
        elif seen == {"int"}:
            types[c] = pa.int64()
        elif seen <= {"int", "float"}:
            types[c] = pa.float64()
        elif seen == {"datetime"}:
            types[c] = pa.timestamp("us")
        elif seen == {"datetime:utc"}:
            types[c] = pa.timestamp("us", tz="UTC")
        elif seen <= {"list", "list:num"} and "list:num" in seen:
            types[c] = pa.list_(pa.float64())
        elif seen <= {"list", "list:str"}:
            types[c] = pa.list_(pa.string())
        else:
            types[c] = pa.string()
    return types


def _arrow_value(value, type_):
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_list(type_):
        if pa.types.is_string(type_.value_type):
            return [None if v is None else _text(str(v)) for v in value]
        return list(value)
    if pa.types.is_string(type_):
        if isinstance(value, datetime):
            return value.isoformat()
        return _text(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return value


def write_table(path, fmt, columns, rows, metadata=None, types=None):
    """Write rows as a table, atomically.

    Parameters
    ----------
    path : str
        Target file.
    fmt : {"parquet", "jsonl", "csv"}
    columns : list of str
        Column names, in order.
    rows : callable
        Returns a fresh iterable of dict rows each time it is called (a Parquet
        table is read twice: once for the column types, once to write).
    metadata : dict, optional
        Parquet only: stored as JSON under the key ``callscan`` of the file's
        key/value metadata.
    types : dict of str -> str, optional
        Parquet only: the type of a column that holds no value at all
        (``"string"`` or ``"float"``).

    Returns
    -------
    int
        Number of rows written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            return _write_parquet(tmp, columns, rows, metadata, types)
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            if fmt == "jsonl":
                return _write_jsonl(f, columns, rows())
            return _write_csv(f, columns, rows())


def _write_parquet(tmp, columns, rows, metadata, empty=None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = column_types(columns, rows(), empty)
    schema = pa.schema([pa.field(c, types[c]) for c in columns])
    if metadata is not None:
        schema = schema.with_metadata({"callscan": json.dumps(metadata, sort_keys=True)})
    n = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        chunk = []
        for row in rows():
            chunk.append(row)
            if len(chunk) == ROW_GROUP:
                writer.write_table(_arrow_chunk(chunk, schema))
                n += len(chunk)
                chunk = []
        if chunk or n == 0:
            writer.write_table(_arrow_chunk(chunk, schema))
            n += len(chunk)
    return n


def _arrow_chunk(rows, schema):
    import pyarrow as pa

    arrays = [
        pa.array([_arrow_value(row.get(f.name), f.type) for row in rows], type=f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _write_jsonl(f, columns, rows):
    n = 0
    for row in rows:
        line = {c: _finite(row.get(c)) for c in columns}
        f.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
        n += 1
    return n


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, (list, tuple)):
        return _text("; ".join("" if v is None else str(v) for v in value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return _text(value) if isinstance(value, str) else value


def _write_csv(f, columns, rows):
    w = csv.writer(f)
    w.writerow(columns)
    n = 0
    for row in rows:
        w.writerow([_csv_cell(row.get(c)) for c in columns])
        n += 1
    return n


def write_json(path, obj):
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")


def rttm_lines(call_id, events):
    """RTTM ``SPEAKER`` lines for the speech events of one call.

    Parameters
    ----------
    call_id : str
        The RTTM file id (white space becomes ``_``).
    events : list of dict
        Events (``callscan.record.schema.EVENT_SCHEMA``); only ``kind == "speech"`` ones are written, the party
        (``agent``, ``customer``; ``speaker`` in mono) as the speaker name.

    Returns
    -------
    list of str
        ``SPEAKER <id> 1 <onset> <duration> <NA> <NA> <party> <NA> <NA>``,
        times in seconds with millisecond precision, sorted by onset.
    """
    file_id = "_".join(str(call_id).split()) or "call"
    speech = sorted((e for e in events if e.get("kind") == "speech"), key=lambda e: e["start_s"])
    return [
        f"SPEAKER {file_id} 1 {e['start_s']:.3f} {e['end_s'] - e['start_s']:.3f} "
        f"<NA> <NA> {e.get('party') or 'speaker'} <NA> <NA>"
        for e in speech
    ]


def audacity_lines(events):
    """Audacity label-track lines for every event of one call.

    Parameters
    ----------
    events : list of dict
        Events (``callscan.record.schema.EVENT_SCHEMA``).

    Returns
    -------
    list of str
        ``start<TAB>end<TAB>label`` in seconds; the label is the kind, preceded
        by the party when there is one (``agent speech``, ``overlap``,
        ``dead_air``), sorted by start.
    """
    lines = []
    for e in sorted(events, key=lambda e: (e["start_s"], e["end_s"])):
        label = e["kind"] if not e.get("party") else f"{e['party']} {e['kind']}"
        lines.append(f"{e['start_s']:.6f}\t{e['end_s']:.6f}\t{label}")
    return lines


def write_segments(path, fmt, call_id, events):
    """Write one call's segment file (``rttm`` or ``audacity``), atomically."""
    if fmt not in SEGMENT_FORMATS:
        raise ValueError(f"unknown segment format {fmt!r}; use one of {', '.join(SEGMENT_FORMATS)}")
    lines = rttm_lines(call_id, events) if fmt == "rttm" else audacity_lines(events)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path, durable=False) as tmp:
        with open(tmp, "w", encoding="utf-8", errors="replace") as f:
            f.writelines(line + "\n" for line in lines)


# --- per-frame tables (``callscan features``) ---


def frame_columns(frames):
    """Columns of the frame table: one row per channel and frame.

    Returns
    -------
    dict of str -> ndarray
        ``channel`` (int8), ``time_s`` (frame centre, float64), ``energy_db``
        (float32), ``speech`` (bool), and any further per-frame features the
        ``Frames`` object carries (``f0_hz``, ``voiced``).
    """
    n_ch, n = frames.energy_db.shape
    cols = {
        "channel": np.repeat(np.arange(n_ch, dtype=np.int8), n),
        "time_s": np.tile(np.round(frames.times_s(), 6), n_ch),
        "energy_db": frames.energy_db.reshape(-1),
        "speech": frames.speech.reshape(-1),
    }
    for name in ("f0_hz", "voiced"):
        value = getattr(frames, name, None)
        if value is not None:
            cols[name] = value.reshape(-1)
    return cols


def write_frames(frames, path):
    """Write the frame table to ``.parquet`` or ``.csv``; returns the row count."""
    ext = os.path.splitext(path)[1].lower()
    cols = frame_columns(frames)
    if ext == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(cols), path)
    elif ext == ".csv":
        names = list(cols)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            for row in zip(*(cols[k].tolist() for k in names)):
                w.writerow(row)
    else:
        raise ValueError(f"{path}: unknown table format {ext!r}; use .parquet or .csv")
    return len(cols["channel"])
