"""Writers for per-frame tables (Parquet, CSV)."""

import csv
import os

import numpy as np


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
