"""Metadata of the inputs: manifest columns and parts of paths, typed, for every row.

A batch's rows carry, besides the record, the columns the user gave for each
call: every column of a ``.csv`` or ``.parquet`` manifest other than ``path``
(a ``call_id`` column names the call instead of its file name), and the parts
of each path that a ``--path-fields`` template names.

Types
-----
A column read as text (a CSV manifest, a path part) is typed over all of its
non-blank cells, first rule that fits every cell:

* ``int``: optional ``-``, digits, no leading zero (``007`` and ``+44...`` stay
  text: they are codes, not amounts);
* ``float``: a decimal number, again without a leading zero or ``+``
  (``1.5``, ``0.25``, ``-2e3``);
* ``timestamp``: ISO-8601 (``2024-03-01``, ``2024-03-01T09:30:00``,
  ``2024-03-01 09:30:00+01:00``, ``...Z``); written as a Parquet timestamp in
  microseconds, in UTC when every cell has an offset, local (no zone) when none
  has; a column that mixes both stays text;
* ``string``: anything else.

Blank cells are null. A Parquet manifest's columns keep their own types
(dates become timestamps at midnight, decimals floats).

Path templates
--------------
``--path-fields '{date}/{agent_id}/'`` reads each path below the INPUT it came
from (the folder given, or the manifest's folder; a single file counts from
its own folder): the first folder gives ``date``, the second ``agent_id``. A
template without the closing ``/`` describes the whole relative path, file name
included (``'{agent_id}/{call}.wav'``); a part may mix text and fields
(``'{agent_id}_{date}.wav'``), and ``*`` matches any one part. A path that does
not fit (too shallow, other text, outside its INPUT) gets nulls in those
columns, and the batch says how many.
"""

import math
import os
import re
from datetime import date, datetime, timezone
from decimal import Decimal

from callscan.errors import CallscanError

_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?"
                  r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MetadataError(CallscanError):
    """Metadata that cannot be used: a clashing name, a bad template, an unreadable manifest."""

    error_kind = "internal"


def _timestamp(text):
    if not _ISO.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value


def type_text_column(cells):
    """Type a column of text cells (see the module's rules).

    Parameters
    ----------
    cells : list of str or None

    Returns
    -------
    list
        The cells as int, float, datetime or str (None for blank), one type a column.
    """
    texts = [None if c is None or not str(c).strip() else str(c).strip() for c in cells]
    present = [t for t in texts if t is not None]
    if not present:
        return texts
    if all(_INT.fullmatch(t) for t in present):
        return [None if t is None else int(t) for t in texts]
    if all(_FLOAT.fullmatch(t) for t in present):
        values = [None if t is None else float(t) for t in texts]
        if all(v is None or math.isfinite(v) for v in values):
            return values
    stamps = [None if t is None else _timestamp(t) for t in texts]
    if all(s is not None for s, t in zip(stamps, texts) if t is not None):
        zones = {s.tzinfo is not None for s in stamps if s is not None}
        if len(zones) == 1:
            return stamps
    return texts


def arrow_values(values):
    """Values of a Parquet column as Python values of the types the tables write."""
    out = []
    for v in values:
        if isinstance(v, datetime):
            out.append(v.astimezone(timezone.utc) if v.tzinfo is not None else v)
        elif isinstance(v, date):
            out.append(datetime(v.year, v.month, v.day))
        elif v is None or isinstance(v, (bool, int, float, str)):
            out.append(v)
        elif isinstance(v, Decimal):
            out.append(float(v))
        else:
            out.append(str(v))
    return out


def uniform(values):
    """A column whose cells came from several sources, made one type.

    int and float together become float; any other mix becomes text.
    """
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1:
        return values
    if kinds <= {int, float}:
        return [None if v is None else float(v) for v in values]
    return [None if v is None else (v.isoformat() if isinstance(v, datetime) else str(v)) for v in values]


class PathTemplate:
    """A ``--path-fields`` template (see the module docstring).

    Parameters
    ----------
    template : str
        Parts separated by ``/``; ``{name}`` is a field, ``*`` any one part.

    Raises
    ------
    MetadataError
        When the template names no field, or a field twice.
    """

    def __init__(self, template):
        self.template = template
        text = template.strip()
        self.folders_only = text.endswith("/")
        parts = [p for p in text.strip("/").split("/") if p]
        self.names = []
        self.parts = []
        for part in parts:
            if part == "*":
                self.parts.append(None)
                continue
            pattern, pos = "", 0
            for m in _FIELD.finditer(part):
                pattern += re.escape(part[pos:m.start()]) + f"(?P<{m.group(1)}>.+?)"
                if m.group(1) in self.names:
                    raise MetadataError(f"--path-fields names {m.group(1)!r} twice", template)
                self.names.append(m.group(1))
                pos = m.end()
            pattern += re.escape(part[pos:])
            self.parts.append(re.compile(pattern))
        if not self.names:
            raise MetadataError("--path-fields names no field; write fields as {name}, e.g. '{date}/{agent_id}/'",
                                template)

    def match(self, relative):
        """The fields of one path as text, or None when the path does not fit.

        Parameters
        ----------
        relative : str
            The path below its INPUT folder (``2024-03-01/A07/call.wav``).
        """
        pieces = [p for p in relative.replace(os.sep, "/").split("/") if p and p != "."]
        if ".." in pieces:
            return None
        if self.folders_only:
            pieces = pieces[:-1]
            if len(pieces) < len(self.parts):
                return None
        elif len(pieces) != len(self.parts):
            return None
        found = {}
        for piece, pattern in zip(pieces, self.parts):
            if pattern is None:
                continue
            m = pattern.fullmatch(piece)
            if m is None:
                return None
            found.update(m.groupdict())
        return found


def path_fields(template, paths):
    """Typed columns from the parts of each path.

    Parameters
    ----------
    template : str
    paths : list of str
        Each path below its INPUT folder.

    Returns
    -------
    columns : dict of str -> list
        One typed list per field, aligned with ``paths``.
    unmatched : int
        Paths that did not fit the template (nulls in every field).
    """
    tpl = PathTemplate(template)
    matches = [tpl.match(p) for p in paths]
    columns = {name: type_text_column([m.get(name) if m else None for m in matches]) for name in tpl.names}
    return columns, sum(m is None for m in matches)


def record_field_names():
    """Every field name of a record (and ``events``, ``flags``)."""
    from callscan.record.glossary import field_names

    return set(field_names()) | {"events", "flags"}


def event_field_names():
    """Every column of the events table besides ``path`` and ``call_id``."""
    from callscan.record.schema import EVENT_SCHEMA

    return set(EVENT_SCHEMA["properties"])


def check_names(columns, sources):
    """Refuse metadata columns named like a record field or an event column.

    Parameters
    ----------
    columns : iterable of str
    sources : dict of str -> str
        Column -> where it came from (a manifest, ``--path-fields``), for the message.

    Raises
    ------
    MetadataError
    """
    records, events = record_field_names(), event_field_names()
    for name in columns:
        if name in records or re.fullmatch(r"dead_air_count_[0-9]+(\.[0-9]+)?s", name):
            what = "record field"
        elif name in events:
            what = "events column"
        else:
            continue
        raise MetadataError(
            f"metadata column {name!r} of {sources.get(name, 'the inputs')} has the name of the {what} "
            f"{name!r}; rename the column",
        )
