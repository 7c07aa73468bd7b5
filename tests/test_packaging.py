"""What ``pip install callscan`` puts in site-packages: one import name, ``callscan``."""

import os
import subprocess
import sys
import zipfile

import pytest

from tests.support import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                        "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"pip wheel failed: {r.stderr[-2000:]}")
    (path,) = out.glob("callscan-*.whl")
    return path


def test_wheel_installs_only_callscan(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"callscan"}
    assert "callscan/kernels/pitch.py" in names and "callscan/record/active_listening.toml" in names
    info = next(n for n in names if n.endswith(".dist-info/top_level.txt")) if any(
        n.endswith("top_level.txt") for n in names) else None
    if info:
        assert zipfile.ZipFile(wheel).read(info).decode().split() == ["callscan"]
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "callscan = callscan.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def _run(code, cwd, path=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, path)))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_side_by_side_with_a_users_engine_and_kernels(tmp_path):
    """A project with its own ``engine`` and ``kernels`` packages imports both and callscan."""
    for name in ("engine", "kernels"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHOSE = 'theirs:{name}'\n")
    code = ("import engine, kernels, callscan, callscan.kernels.energy;"
            "print(engine.WHOSE, kernels.WHOSE, callscan.__version__, callscan.kernels.energy.__name__)")
    r = _run(code, tmp_path, [tmp_path])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["theirs:engine", "theirs:kernels", _version(), "callscan.kernels.energy"]


def test_source_folders_refuse_their_folder_names():
    """``import engine`` from a source checkout fails loudly instead of loading a second copy."""
    for name, real in (("engine", "callscan"), ("kernels", "callscan.kernels")):
        r = _run(f"import {name}", ROOT, [ROOT])
        assert r.returncode != 0
        assert f"is the package '{real}'" in r.stderr and "ImportError" in r.stderr


def test_module_and_version():
    r = subprocess.run([sys.executable, "-m", "callscan", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and _version() in r.stdout
    r = subprocess.run([sys.executable, "-m", "callscan", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "Usage: callscan" in r.stdout


def _version():
    import callscan

    return callscan.__version__
