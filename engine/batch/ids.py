"""One ``call_id`` per file of a batch, unique within it.

A call's id is its file name without the extension (``a/0001.wav`` -> ``0001``). Where two
files of one batch share that stem, each of them is named by its shortest distinguishing
tail of the path instead: the fewest trailing folders that tell the files apart
(``a/0001.wav`` and ``b/0001.flac`` -> ``a/0001`` and ``b/0001``), and the extension too
where only it differs (``a/0001.wav``, ``a/0001.flac`` -> ``0001.wav``, ``0001.flac``).
The ids depend on the set of paths only, not on their order nor on how the work is spread,
so a resumed, a ``-j 8`` and a Dask run name the files alike. Ids a manifest gives in its
``call_id`` column are kept as given and must be unique themselves.
"""

import os
from collections import Counter, defaultdict

from callscan.errors import CallscanError


class CallIdError(CallscanError):
    """A manifest gives one ``call_id`` to two files."""

    error_kind = "internal"


def stem(path):
    """The default call id: the file name without its extension."""
    return os.path.splitext(os.path.basename(path))[0]


def _tail(parts, k, keep_extension):
    last = parts[-1] if keep_extension else os.path.splitext(parts[-1])[0]
    return "/".join(parts[-k:-1] + [last])


def _distinguish(paths, taken=()):
    """Path -> its shortest tail that no other of ``paths`` ends with and that is not ``taken``.

    Tails of each length are counted once for the whole group, so a group of n files that
    share a name (an archive foldered by day, every file ``call.wav``) costs n x depth.
    """
    split = {p: os.path.normpath(os.path.abspath(p)).split(os.sep)[1:] for p in paths}
    depth = max(len(s) for s in split.values())
    out = {}
    for keep_extension in (False, True):
        for k in range(1, depth + 1):
            left = [p for p in split if p not in out]
            if not left:
                return out
            tails = {p: _tail(s, min(k, len(s)), keep_extension) for p, s in split.items()}
            count = Counter(tails.values())
            for p in left:
                if count[tails[p]] == 1 and tails[p] not in taken:
                    out[p] = tails[p]
    return out


def unique_call_ids(paths, given=None):
    """Call ids for the files of a batch that need more than their stem.

    Parameters
    ----------
    paths : list of str
        The batch's files, each once.
    given : dict of str -> str, optional
        Path -> the id a manifest gives it.

    Returns
    -------
    dict of str -> str
        Path -> call id, for the given ids and for every file whose stem is not unique
        in the batch (other files keep their stem, which the record already holds).

    Raises
    ------
    CallIdError
        When the manifest gives one id to two files.
    """
    given = dict(given or {})
    owner = {}
    for path, cid in given.items():
        if cid in owner:
            raise CallIdError(f"call_id {cid!r} is given to two files: {owner[cid]} and {path}")
        owner[cid] = path
    by_stem = defaultdict(list)
    for path in paths:
        if path not in given:
            by_stem[stem(path)].append(path)
    out = dict(given)
    for name, group in by_stem.items():
        if len(group) > 1 or name in owner:
            out.update(_distinguish(group, taken=owner))
    clash = defaultdict(list)
    for path, cid in out.items():
        clash[cid].append(path)
    for cid, holders in clash.items():
        if len(holders) > 1:
            raise CallIdError(f"call_id {cid!r} would name two files: {holders[0]} and {holders[1]}")
    return out
