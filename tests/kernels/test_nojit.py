"""The kernel tests also pass as plain Python (``NUMBA_DISABLE_JIT=1``)."""

import os
import subprocess
import sys

from tests.support import ROOT


def test_kernel_tests_pass_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/kernels/test_kernels.py", "tests/kernels/test_dynamics_kernels.py", "tests/kernels/test_pitch.py",
         "tests/frames/test_blocks.py", "-k", "not frames and not path and not run_without and not dc_offset and not sources"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout
