"""Numba kernels: arrays in, arrays out.

No I/O, no click, no pandas. Every public kernel has a plain-NumPy reference in
``tests/reference.py``. Parameters are arguments, never module globals.
"""
