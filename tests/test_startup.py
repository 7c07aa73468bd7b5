"""What the command line does before it analyses anything: no NumPy before BLAS is told to
use one thread, and the commands that need no NumPy do not import it."""

import json
import os
import subprocess
import sys

from callscan.cli import BLAS_THREAD_VARS, one_blas_thread
from tests.support import ROOT

PROBE = """
import json, os, sys
import callscan.cli
before = "numpy" in sys.modules
acted = callscan.cli.one_blas_thread()
print(json.dumps({"numpy_at_import": before, "acted": acted,
                  "env": {k: os.environ.get(k) for k in callscan.cli.BLAS_THREAD_VARS}}))
"""


def _probe(**env):
    base = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARS}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_command_line_imports_no_numpy_and_sets_one_blas_thread():
    got = _probe()
    assert not got["numpy_at_import"]
    assert got["acted"]
    assert got["env"] == {k: "1" for k in BLAS_THREAD_VARS}


def test_a_thread_count_the_user_chose_is_kept():
    got = _probe(OPENBLAS_NUM_THREADS="2")
    assert got["env"]["OPENBLAS_NUM_THREADS"] == "2"
    assert got["env"]["OMP_NUM_THREADS"] == "1"


def test_a_process_that_has_numpy_keeps_its_environment(monkeypatch):
    import numpy  # noqa: F401 - the point of the test

    for name in BLAS_THREAD_VARS:
        monkeypatch.delenv(name, raising=False)
    assert not one_blas_thread()
    assert not any(name in os.environ for name in BLAS_THREAD_VARS)
