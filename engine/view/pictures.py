"""The report's timeline pictures: drawn in parallel, kept in ``OUTDIR/plots/``, reused.

A picture (``callscan.view.plot``) costs a fraction of a second to draw and, where the
batch wrote no events table, the call's analysis again; a report shows only the calls
worth a look, so only those are drawn, in a pool of worker processes (``spawn``, as the
batch's workers). Each picture is a palette PNG (``COLORS`` colours, fast octree: the
pictures are flat colours, so a palette keeps them sharp at about a fifth of the size)
that carries its key in a text chunk. The key is what the picture depends on: the audio
file (path, size, modification time), the call's id, the batch's parameters hash, the
engine version and the resolution. A picture already in ``OUTDIR/plots/`` with the same key
is reused as it is; any other is drawn again.
"""

import base64
import io
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from callscan.errors import CallscanError

PLOTS = "plots"
KEY_CHUNK = "callscan-picture-key"
COLORS = 128
DPI = 72


@dataclass(frozen=True)
class Task:
    """One picture to draw.

    Attributes
    ----------
    audio : str
        The call's audio file.
    target : str
        The PNG to write.
    key : str
        The picture's key (``picture_key``).
    record : dict or None
        The call's row, drawn as given when ``events`` is given.
    events : list of dict or None
        The call's events from the batch's events table; None analyses the call again.
    params : callscan.params.Params
    dpi : int
    """

    audio: str
    target: str
    key: str
    record: dict | None
    events: list | None
    params: object
    dpi: int


def picture_name(call_id, used):
    """A file name under ``plots/`` from a call id, unique among ``used`` (updated)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(call_id or "call")).strip("._") or "call"
    name, k = f"{stem}.png", 1
    while name in used:
        k += 1
        name = f"{stem}-{k}.png"
    used.add(name)
    return name


def picture_key(audio, call_id, params_hash, engine_version, dpi):
    """The key of a call's picture, or None when the audio is not a readable file.

    Returns
    -------
    str or None
        JSON of what the picture depends on.
    """
    try:
        st = os.stat(audio)
    except OSError:
        return None
    return json.dumps({"path": os.path.abspath(audio), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                       "call_id": call_id, "params_hash": params_hash, "engine": engine_version, "dpi": dpi},
                      sort_keys=True)


def stored_key(target):
    """The key written into a PNG under ``plots/``, or None (no file, not ours, unreadable)."""
    try:
        from PIL import Image

        with Image.open(target) as im:
            return im.text.get(KEY_CHUNK) if hasattr(im, "text") else None
    except (OSError, ValueError, ImportError):
        return None


def palette_png(fig, key):
    """A drawn figure as a PNG of ``COLORS`` colours, with ``key`` in a text chunk.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        With an Agg canvas.
    key : str

    Returns
    -------
    bytes
    """
    from PIL import Image, PngImagePlugin

    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    im = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    small = im.convert("RGB").quantize(colors=COLORS, method=Image.Quantize.FASTOCTREE)
    info = PngImagePlugin.PngInfo()
    info.add_text(KEY_CHUNK, key)
    out = io.BytesIO()
    small.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def draw(task):
    """Draw one picture (in a worker process); returns ``(target, error or None)``."""
    from callscan.view.plot import plot_call

    try:
        events = task.events
        fig = plot_call(task.audio, None, params=task.params, record=task.record if events else None,
                        events=events or None, dpi=task.dpi)
        data = palette_png(fig, task.key)
        tmp = f"{task.target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, task.target)
        return task.target, None
    except CallscanError as exc:
        return task.target, str(exc)
    except Exception as exc:  # noqa: BLE001 - one picture's failure is a note, not the report's end
        return task.target, f"{type(exc).__name__}: {exc}"


def draw_all(tasks, jobs=None, progress=None):
    """Draw pictures in ``jobs`` worker processes.

    Parameters
    ----------
    tasks : list of Task
    jobs : int, optional
        Worker processes (default: all cores, never more than there are tasks).
    progress : callable, optional
        Called with ``(done, total)`` after each picture.

    Returns
    -------
    dict of str -> (str or None)
        Target -> error message (None when drawn).
    """
    from callscan.batch.pool import available_cores

    results = {}
    if not tasks:
        return results
    jobs = max(1, min(jobs or available_cores(), len(tasks)))
    if jobs == 1:
        for i, task in enumerate(tasks, 1):
            target, error = draw(task)
            results[target] = error
            if progress is not None:
                progress(i, len(tasks))
        return results
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(draw, task) for task in tasks]
        for i, future in enumerate(as_completed(futures), 1):
            target, error = future.result()
            results[target] = error
            if progress is not None:
                progress(i, len(tasks))
    return results


def data_uri(path):
    """A PNG file as a ``data:`` URI."""
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")
