"""callscan.heap: with the thresholds raised, repeated analyses stop paying page faults for
arrays they free and allocate again."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CALL = ROOT / "fixtures" / "calls" / "demo_call.wav"

_PROBE = """
import resource, sys
from callscan import analyze_call
from callscan import keep_freed_memory

def faults(runs):
    for _ in range(2):
        analyze_call(sys.argv[1])  # warm: JIT, file cache, the allocator's state
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        analyze_call(sys.argv[1])
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / runs

plain = faults(4)
applied = keep_freed_memory()
kept = faults(4)
print(applied, plain, kept)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_freed_memory_is_reused_by_the_next_call():
    out = subprocess.run([sys.executable, "-c", _PROBE, str(CALL)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    applied, plain, kept = out.stdout.split()
    if applied != "True":
        pytest.skip("the C library is not glibc")
    assert float(plain) > 200  # the arrays of every call were mapped afresh
    assert float(kept) < 0.25 * float(plain)

