"""The checkpoint of a batch: the append-only record of finished files (resume).

Each finished file is appended to ``OUTDIR/checkpoint.jsonl`` as one JSON line
and flushed at once (a killed batch cannot lose it); an fsync follows each
group of results that arrive together, so a power loss costs at most that
group, and a many-core box is not held to one disk sync per file. The first
line holds the engine version and parameters; a later run with other ones is
refused unless it overwrites. A run that is killed leaves at worst one partial
last line, which the next run drops. Entries are keyed by absolute path and
parameter hash; the last entry of a path wins. A lock keeps a second batch out
of the folder.
"""

import json
import os
from dataclasses import dataclass

from callscan.errors import BatchFatalError, BatchUsageError

CHECKPOINT = "checkpoint.jsonl"


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
            f, self._file = self._file, None
            try:
                f.close()
            except OSError:
                # The bytes of a line whose write failed (disk full) are lost
                # with the buffer; the next run drops the partial line they cut.
                pass
