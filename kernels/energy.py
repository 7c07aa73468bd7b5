"""Per-frame level.

``frame_energy_db`` gives the RMS level of each frame in dBFS: 20·log10 of the
root-mean-square sample value over a ``win``-sample window centred on the frame
(see ``kernels.framing``), where full scale is amplitude 1.0. A full-scale sine
reads −3.01 dBFS. Samples outside the signal count as zeros; an all-zero window
reads ``-inf``.
"""

import numpy as np

from kernels._jit import kernel


@kernel
def _frame_energy_db(x, hop, win, out):
    n = x.shape[0]
    half = hop // 2 - win // 2
    for i in range(out.shape[0]):
        start = i * hop + half
        lo = max(start, 0)
        hi = min(start + win, n)
        acc = 0.0
        for j in range(lo, hi):
            v = np.float64(x[j])
            acc += v * v
        if acc > 0.0:
            out[i] = 10.0 * np.log10(acc / win)
        else:
            out[i] = -np.inf


def frame_energy_db(x, hop, win):
    """Frame RMS level in dBFS.

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float32
        One channel, full scale ±1.
    hop, win : int
        Hop and window length in samples.

    Returns
    -------
    ndarray, shape (ceil(n_samples / hop),), float32
        Level per frame, dBFS; ``-inf`` where the window is all zeros.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"frame_energy_db takes one channel (1-D), got shape {x.shape}")
    if hop < 1 or win < 1:
        raise ValueError("hop and win must be at least one sample")
    out = np.empty((x.shape[0] + hop - 1) // hop, dtype=np.float32)
    _frame_energy_db(x, int(hop), int(win), out)
    return out
