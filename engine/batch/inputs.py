"""The INPUT arguments of a batch, expanded into one ordered list of files.

An INPUT is one of

* a **folder**: every audio file below it, recursively, in sorted order
  (by the extensions in ``AUDIO_EXTENSIONS``, any letter case). Hidden files and
  folders (names starting with ``.``, such as the ``._call.wav`` resource forks
  that macOS leaves on shared drives) are skipped;
* a **manifest**: a ``.txt`` file with one path per line (blank lines and lines
  starting with ``#`` are skipped), or a ``.csv`` or ``.parquet`` file with a
  ``path`` column, whose other columns are the calls' metadata (typed and
  carried into every row, ``callscan.batch.metadata``; a ``call_id`` column
  names each call). Relative paths in a manifest are relative to the manifest's folder. Entries
  are taken as they are: one that does not exist becomes a failed row of the
  batch (``unreadable``), not a refusal of the whole run;
* any other **file**: taken as it is, whatever its extension.

Every path is made absolute without resolving symbolic links, so two links to
one recording are two inputs, and a batch resumed from another working
directory finds its earlier results. The tables show each path *as given*
(``Inputs.given``): a file argument as typed, a file found in a folder as the
folder argument joined with the file's place below it, a manifest's relative
entry joined with the manifest's folder as typed; relative stays relative (to
the folder the command ran in, ``run.json``'s ``this_run.cwd``). A file named
twice is kept once, at its first place, with the metadata of that place.
"""

import csv
import os
from dataclasses import dataclass, field

from callscan.batch.ids import CallIdError, unique_call_ids
from callscan.batch.metadata import MetadataError, arrow_values, check_names, path_fields, type_text_column, uniform
from callscan.errors import CallscanError

AUDIO_EXTENSIONS = frozenset(
    {
        ".wav", ".wave", ".bwf", ".rf64", ".w64", ".flac", ".ogg", ".oga", ".opus",
        ".mp3", ".au", ".snd", ".aif", ".aiff", ".aifc", ".caf", ".sph", ".nist", ".voc",
    }
)
"""File extensions a folder walk picks up (lower case, with the dot)."""

MANIFEST_EXTENSIONS = (".txt", ".csv", ".parquet")


class InputError(CallscanError):
    """An INPUT argument cannot be used (missing, or a manifest without paths)."""

    error_kind = "internal"


@dataclass
class Inputs:
    """The expanded inputs of a batch.

    Attributes
    ----------
    paths : list of str
        Absolute paths, in input order, each once.
    given : dict of str -> str
        Absolute path -> the path as given (see the module's docstring).
    duplicates : int
        How many further mentions of an already listed file were dropped.
    empty : list of str
        Folders and manifests that contributed no file.
    columns : list of str
        Metadata columns, in the order first seen (manifests, then path fields).
    meta : dict of str -> dict
        Path -> its metadata (column -> typed value); paths without any are absent.
    call_ids : dict of str -> str
        Path -> its call id where it is not the file's stem: the id a manifest's ``call_id``
        column gives, or a longer id where stems collide (``callscan.batch.ids``).
    unmatched : int
        Paths that did not fit the ``path_fields`` template.
    """

    paths: list = field(default_factory=list)
    given: dict = field(default_factory=dict)
    duplicates: int = 0
    empty: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    call_ids: dict = field(default_factory=dict)
    unmatched: int = 0


def expand_inputs(args, path_template=None):
    """Expand INPUT arguments (files, folders, manifests) into a list of files.

    Parameters
    ----------
    args : iterable of str or os.PathLike
        The INPUT arguments, in order.
    path_template : str, optional
        A ``--path-fields`` template: parts of each path become metadata columns.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        When an argument does not exist, or a manifest cannot be read or has
        no ``path`` column; when a metadata column has the name of a record
        field, or two sources give one column.
    """
    out = Inputs()
    seen = set()
    sources = {}
    below = []  # each path below its INPUT folder, for path_template
    for arg in args:
        arg = os.fspath(arg)
        meta = None
        if os.path.isdir(arg):
            found = list(walk_audio(arg))
            root = os.path.abspath(arg)
            given = [os.path.join(arg, os.path.relpath(p, root)) for p in found]
        elif os.path.splitext(arg)[1].lower() in MANIFEST_EXTENSIONS and os.path.isfile(arg):
            found, meta, entries = _manifest_entries(arg)
            given = [os.path.join(os.path.dirname(arg), e) for e in entries]  # relative: from the manifest
            root = os.path.dirname(os.path.abspath(arg))
            for name in meta:
                sources.setdefault(name, arg)
        elif os.path.lexists(arg):
            root = os.path.dirname(os.path.abspath(arg))
            found = [os.path.abspath(arg)]
            given = [arg]
        else:
            raise InputError("no such file or folder", arg)
        if not found:
            out.empty.append(arg)
        for i, path in enumerate(found):
            if path in seen:
                out.duplicates += 1
                continue
            seen.add(path)
            out.paths.append(path)
            out.given[path] = given[i]
            below.append(os.path.relpath(path, root))
            if meta:
                cells = {name: values[i] for name, values in meta.items()}
                call_id = cells.pop("call_id", None)
                if call_id is not None:
                    out.call_ids[path] = str(call_id)
                if cells:
                    out.meta[path] = cells
    if path_template:
        try:
            columns, out.unmatched = path_fields(path_template, below)
        except MetadataError as exc:
            raise InputError(exc.reason, exc.path) from None
        for name, values in columns.items():
            if name in sources:
                raise InputError(f"--path-fields field {name!r} is also a column of the manifest {sources[name]}")
            sources[name] = f"--path-fields {path_template!r}"
            for path, value in zip(out.paths, values):
                out.meta.setdefault(path, {})[name] = value
    out.columns = [name for name in sources if name != "call_id"]
    try:
        check_names(out.columns, sources)
    except MetadataError as exc:
        raise InputError(exc.reason) from None
    for name in out.columns:  # several manifests may type one column differently
        rows = [m for m in out.meta.values() if name in m]
        for m, value in zip(rows, uniform([m[name] for m in rows])):
            m[name] = value
    try:
        out.call_ids = unique_call_ids(out.paths, out.call_ids)
    except CallIdError as exc:
        raise InputError(exc.reason) from None
    return out


def walk_audio(folder):
    """Yield the audio files below ``folder``, recursively, in sorted order.

    Names are sorted at each level and a sub-folder's files come at the
    sub-folder's place (``a.wav``, ``b/c.wav``, ``d.wav``). Links to files are
    followed (a broken one is yielded, to be reported as a failed row); links
    to folders are not, so a loop of links cannot trap the walk.

    Parameters
    ----------
    folder : str
        A folder.

    Yields
    ------
    str
        Absolute paths of files whose extension is in ``AUDIO_EXTENSIONS``.
    """
    with os.scandir(os.path.abspath(folder)) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from walk_audio(entry.path)
        elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
            yield entry.path


def read_manifest(manifest):
    """The paths listed in a ``.txt``, ``.csv`` or ``.parquet`` manifest, made absolute.

    Parameters
    ----------
    manifest : str
        A ``.txt`` file (one path a line; blank lines and ``#`` comments
        skipped) or a ``.csv`` or ``.parquet`` file with a ``path`` column (blank cells skipped).

    Returns
    -------
    list of str
        Absolute paths, relative entries taken from the manifest's folder.

    Raises
    ------
    InputError
        When the manifest cannot be read, or a table manifest has no ``path`` column.
    """
    return read_manifest_table(manifest)[0]


def read_manifest_table(manifest):
    """The paths of a manifest and its other columns, typed.

    Parameters
    ----------
    manifest : str
        As for ``read_manifest``.

    Returns
    -------
    paths : list of str
        Absolute paths, rows with a blank path left out.
    columns : dict of str -> list
        Every column but ``path``, aligned with ``paths``, typed by
        ``callscan.batch.metadata`` (empty for a ``.txt`` manifest).

    Raises
    ------
    InputError
    """
    return _manifest_entries(manifest)[:2]


def _manifest_entries(manifest):
    """Paths, columns and the non-blank entries as written."""
    base = os.path.dirname(os.path.abspath(manifest))
    if manifest.lower().endswith(".parquet"):
        entries, columns = _parquet_manifest(manifest)
    else:
        entries, columns = _text_manifest(manifest)
    keep = [i for i, e in enumerate(entries) if e]
    paths = [os.path.abspath(os.path.join(base, entries[i])) for i in keep]
    return paths, {name: [values[i] for i in keep] for name, values in columns.items()}, [entries[i] for i in keep]


def _parquet_manifest(manifest):
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(manifest)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise InputError(f"cannot read manifest: {exc}", manifest) from None
    names = [name.strip() for name in table.column_names]
    if "path" not in names:
        raise InputError(f"Parquet manifest has no 'path' column (columns: {', '.join(names) or 'none'})", manifest)
    columns = {}
    for name, column in zip(names, table.columns):
        columns[name] = arrow_values(column.to_pylist())
    entries = [("" if p is None else str(p)).strip() for p in columns.pop("path")]
    return entries, columns


def _text_manifest(manifest):
    columns = {}
    try:
        # File names are bytes: a name that is not UTF-8 comes back as the
        # file system gives it (surrogate escapes, as os.fsdecode does).
        with open(manifest, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
            if manifest.lower().endswith(".csv"):
                reader = csv.DictReader(f)
                fields = [name.strip() for name in reader.fieldnames or ()]
                if "path" not in fields:
                    raise InputError(
                        f"CSV manifest has no 'path' column (columns: {', '.join(fields) or 'none'})",
                        manifest,
                    )
                reader.fieldnames = fields
                rows = list(reader)
                entries = [(row.get("path") or "").strip() for row in rows]
                for name in dict.fromkeys(fields):
                    if name and name != "path":
                        cells = [row.get(name) for row in rows]
                        columns[name] = ([None if c is None or not c.strip() else c.strip() for c in cells]
                                         if name == "call_id" else type_text_column(cells))
            else:
                entries = [line.strip() for line in f]
                entries = [e for e in entries if not e.startswith("#")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read manifest: {exc}", manifest) from None
    return entries, columns
