"""Cached kernels load without Numba's compiler registries, and compute the same."""

import json
import subprocess
import sys

from callscan import analyze_call
from tests.support import FIXTURES, ROOT

CALL = FIXTURES / "demo_call.wav"

# Imported only by Numba's compiler refresh, never by the environment of a kernel.
REFRESH_ONLY = "numba.np.polynomial.polynomial_core"

# Named by the environments of cached kernels (np.percentile, np.sort), imported by Numba's own
# loading only (kernels._jit._stand_in_environment); numba.np.arraymath imports scipy.linalg.
UNIMPORTED = ("numba.np.arraymath", "scipy.linalg")

SCRIPT = """
import json, sys
import callscan.kernels as kernels
from callscan.analyze import analyze_call
if sys.argv[2] == "numba":
    # Numba's own loading: drop the per-dispatcher override before any kernel runs.
    import importlib, pkgutil
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module("callscan.kernels." + info.name)
        for obj in vars(module).values():
            cache = getattr(obj, "_cache", None)
            if cache is not None and "load_overload" in vars(cache):
                del cache.load_overload
record = analyze_call(sys.argv[1], events=True)
record.pop("path")
print(json.dumps({"record": record, "refreshed": %r in sys.modules,
                  "unimported": [m for m in %r if m in sys.modules]}, sort_keys=True))
""" % (REFRESH_ONLY, UNIMPORTED)


def _run(mode):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(CALL), mode], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_cached_kernels_skip_the_compiler_refresh_and_give_the_same_record():
    analyze_call(str(CALL))  # every kernel this call needs is in the cache from here on
    fast, numba_own = _run("fast"), _run("numba")
    assert not fast["refreshed"]
    assert fast["unimported"] == []
    assert numba_own["unimported"] == list(UNIMPORTED)
    assert numba_own["refreshed"]  # the check above can fail: Numba's path does import it
    assert fast["record"] == numba_own["record"]


LINK_SCRIPT = """
import json
import numba
import numpy as np
from callscan.kernels import activity

three = (np.float32(1), np.float32(3), np.float32(2))
loaded = float(activity._median3(*three))  # from the cache: the machine code, no bitcode parsed
library = activity._median3.overloads[activity._median3.signatures[0]].library
lazy = library._shared_module is None
mod = library._get_module_for_linking()  # the bitcode, parsed on demand
names = [gv.name for gvs in (mod.functions, mod.global_variables) for gv in gvs if not gv.is_declaration]
engine = library.codegen._engine

@numba.njit  # compiled here, so it links the cached library's module
def caller(a, b, c):
    return activity._median3(a, b, c) + np.float32(1)

print(json.dumps({"loaded": loaded, "lazy": lazy, "linked": float(caller(*three)),
                  "names_known": bool(names) and all(engine.is_symbol_defined(n) for n in names)}))
"""


def test_a_cached_kernel_loads_without_its_bitcode_and_still_links_into_new_code():
    analyze_call(str(CALL))
    out = subprocess.run([sys.executable, "-c", LINK_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got == {"loaded": 2.0, "lazy": True, "linked": 3.0, "names_known": True}
