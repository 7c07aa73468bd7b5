"""Numba kernels: arrays in, arrays out.

No I/O, no click, no pandas. Every public kernel has a plain-NumPy reference in
``tests/reference.py``. Parameters are arguments, never module globals.
"""

if __name__ != "callscan.kernels":  # the source folder kernels/ imported by its folder name
    raise ImportError(
        f"the folder {__path__[0]!r} is the package 'callscan.kernels', not {__name__!r}: "
        "install callscan (pip install -e .) and write 'import callscan.kernels'"
    )
