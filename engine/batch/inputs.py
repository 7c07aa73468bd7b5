"""The INPUT arguments of a batch, expanded into one ordered list of files.

An INPUT is one of

* a **folder**: every audio file below it, recursively, in sorted order
  (by the extensions in ``AUDIO_EXTENSIONS``, any letter case). Hidden files and
  folders (names starting with ``.``, such as the ``._call.wav`` resource forks
  that macOS leaves on shared drives) are skipped;
* a **manifest**: a ``.txt`` file with one path per line (blank lines and lines
  starting with ``#`` are skipped), or a ``.csv`` file with a ``path`` column.
  Relative paths in a manifest are relative to the manifest's folder. Entries
  are taken as they are: one that does not exist becomes a failed row of the
  batch (``unreadable``), not a refusal of the whole run;
* any other **file**: taken as it is, whatever its extension.

Every path is made absolute without resolving symbolic links, so two links to
one recording are two inputs, and a batch resumed from another working
directory finds its earlier results. A file named twice is kept once, at its
first place.
"""

import csv
import os
from dataclasses import dataclass, field

from callscan.errors import CallscanError

AUDIO_EXTENSIONS = frozenset(
    {
        ".wav", ".wave", ".bwf", ".rf64", ".w64", ".flac", ".ogg", ".oga", ".opus",
        ".mp3", ".au", ".snd", ".aif", ".aiff", ".aifc", ".caf", ".sph", ".nist", ".voc",
    }
)
"""File extensions a folder walk picks up (lower case, with the dot)."""

MANIFEST_EXTENSIONS = (".txt", ".csv")


class InputError(CallscanError):
    """An INPUT argument cannot be used (missing, or a manifest without paths)."""

    kind = "internal"


@dataclass
class Inputs:
    """The expanded inputs of a batch.

    Attributes
    ----------
    paths : list of str
        Absolute paths, in input order, each once.
    duplicates : int
        How many further mentions of an already listed file were dropped.
    empty : list of str
        Folders and manifests that contributed no file.
    """

    paths: list = field(default_factory=list)
    duplicates: int = 0
    empty: list = field(default_factory=list)


def expand_inputs(args):
    """Expand INPUT arguments (files, folders, manifests) into a list of files.

    Parameters
    ----------
    args : iterable of str or os.PathLike
        The INPUT arguments, in order.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        When an argument does not exist, or a manifest cannot be read or has
        no ``path`` column.
    """
    out = Inputs()
    seen = set()
    for arg in args:
        arg = os.fspath(arg)
        if os.path.isdir(arg):
            found = list(walk_audio(arg))
        elif os.path.splitext(arg)[1].lower() in MANIFEST_EXTENSIONS and os.path.isfile(arg):
            found = read_manifest(arg)
        elif os.path.lexists(arg):
            found = [os.path.abspath(arg)]
        else:
            raise InputError("no such file or folder", arg)
        if not found:
            out.empty.append(arg)
        for path in found:
            if path in seen:
                out.duplicates += 1
            else:
                seen.add(path)
                out.paths.append(path)
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
    """The paths listed in a ``.txt`` or ``.csv`` manifest, made absolute.

    Parameters
    ----------
    manifest : str
        A ``.txt`` file (one path a line; blank lines and ``#`` comments
        skipped) or a ``.csv`` file with a ``path`` column (blank cells skipped).

    Returns
    -------
    list of str
        Absolute paths, relative entries taken from the manifest's folder.

    Raises
    ------
    InputError
        When the manifest cannot be read, or a CSV manifest has no ``path`` column.
    """
    base = os.path.dirname(os.path.abspath(manifest))
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
                entries = [(row.get("path") or "").strip() for row in reader]
            else:
                entries = [line.strip() for line in f]
                entries = [e for e in entries if not e.startswith("#")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read manifest: {exc}", manifest) from None
    return [
        os.path.abspath(os.path.join(base, entry))
        for entry in entries
        if entry
    ]
