"""The first run says that it compiles; `callscan warmup` does that work up front."""

import subprocess
import sys
import types

from click.testing import CliRunner

from callscan.batch.warmup import _index_seen
from callscan.cli import main
from callscan.kernels import energy
from callscan.kernels._jit import cache_indexes, never_compiled
from tests.support import ROOT


def test_every_kernel_module_has_cache_indexes_where_numba_keeps_them():
    paths = cache_indexes(energy)
    assert len(paths) >= 3 and all(p.endswith(".nbi") for p in paths)


def test_never_compiled_until_one_index_exists(tmp_path):
    def kernel(name):
        return types.SimpleNamespace(_cache=types.SimpleNamespace(
            _cache_file=types.SimpleNamespace(_index_path=str(tmp_path / f"{name}.nbi"))))

    module = types.SimpleNamespace(a=kernel("a"), b=kernel("b"), helper=len)
    assert never_compiled(module)
    (tmp_path / "b.nbi").write_bytes(b"")
    assert not never_compiled(module)
    assert not never_compiled(types.SimpleNamespace(helper=len))  # no kernels: nothing to compile


def test_warmup_command_readies_the_kernels():
    r = CliRunner().invoke(main, ["warmup"])
    assert r.exit_code == 0 and "kernels ready" in r.output
    assert not never_compiled(energy)


def test_the_check_finds_numba_s_index_without_importing_numba():
    CliRunner().invoke(main, ["warmup"])
    assert _index_seen() and not never_compiled(energy)
    probe = ("import sys\nfrom callscan.batch.warmup import compile_pending\n"
             "print(compile_pending(), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
