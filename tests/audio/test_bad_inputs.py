"""Every bad or unusual input gets one clear row, in one batch that goes on.

The cases come from ``fixtures/bad/make_bad.py``, written into a temporary
folder at test time; each case states its outcome (ok with a check of the
measures, or a failed row of a given ``error_kind``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pyarrow.parquet as pq
import pytest
import soundfile as sf

from callscan import analyze_call
from callscan.batch.run import run_batch
from callscan.errors import CallscanError
from fixtures.bad import make_bad
from tests.support import ROOT


@pytest.fixture(scope="module")
def bad_set(tmp_path_factory):
    """The cases, written once for this module: list of (Case, path)."""
    return make_bad.make_bad(tmp_path_factory.mktemp("bad") / "in")


@pytest.fixture(scope="module")
def batch_rows(bad_set, tmp_path_factory):
    """The rows of one batch over every case, through a manifest, two workers."""
    folder = os.path.dirname(bad_set[0][1])
    out = tmp_path_factory.mktemp("bad_out")
    result = run_batch([os.path.join(folder, make_bad.MANIFEST)], out, jobs=2, timeout=60)
    return result, pq.read_table(out / "calls.parquet").to_pylist()


def _shown(path):
    """A path as the tables store it (non-UTF-8 bytes replaced)."""
    return os.fsencode(path).decode("utf-8", "replace")


def test_one_batch_gives_one_row_per_input_in_order(bad_set, batch_rows):
    result, rows = batch_rows
    assert len(rows) == len(bad_set) == result.inputs == len(make_bad.CASES)
    assert [r["path"] for r in rows] == [_shown(p) for _, p in bad_set]
    paths = {c.name: p for c, p in bad_set}
    failing = [c for c in make_bad.CASES if c.kind is not None]
    locked = 0 if os.access(paths["mode_000.wav"], os.R_OK) else 1  # root reads it
    assert result.n_failed == len(failing) + locked
    assert sum(r["status"] == "failed" for r in rows) == result.n_failed
    for row in rows:
        if row["status"] == "failed":
            assert row["error"].startswith(row["path"] + ": "), row["error"]
            assert row["duration_s"] is None


@pytest.mark.parametrize("case", make_bad.CASES, ids=lambda c: c.name.encode("utf-8", "replace").decode())
def test_each_case_gets_its_outcome(case, bad_set, batch_rows):
    _, rows = batch_rows
    by_case = {c.name: row for (c, _), row in zip(bad_set, rows)}
    base = by_case["base.wav"]
    assert base["status"] == "ok" and base["mode"] == "stereo"
    row = by_case[case.name]
    problems = make_bad.check(case, row, base)
    if case.known:
        assert row["status"] == "ok"
        assert problems, "the known defect is gone: drop `known` from this case"
        pytest.xfail(f"known defect: {case.known}; the check says {problems}")
    assert not problems, problems


def test_mp3_at_8khz_measures_like_the_base_call(bad_set):
    # MPEG 2.5 at 8 kHz empties one 10 ms frame of line noise in every granule; the noise
    # floor is taken from a 5-frame running median of the level, so those dips cannot pull it down.
    paths = {c.name: p for c, p in bad_set}
    base = analyze_call(paths["base.wav"])
    case = next(c for c in make_bad.CASES if c.name == "call.mp3")
    assert make_bad.check(case, analyze_call(paths["call.mp3"]), base) == []


def test_the_single_file_api_raises_the_row_kind(bad_set, batch_rows):
    """analyze_call refuses a failing case with the same kind and message as its row."""
    _, rows = batch_rows
    for (case, path), row in zip(bad_set, rows):
        if row["status"] != "failed":
            continue
        with pytest.raises(CallscanError) as info:
            analyze_call(path)
        assert info.value.error_kind == row["error_kind"], case.name
        assert _shown(str(info.value)) == row["error"]


def test_the_fixtures_readme_carries_the_table_of_the_cases():
    readme = (ROOT / "fixtures" / "README.md").read_text(encoding="utf-8")
    assert make_bad.table() in readme, "fixtures/README.md table is stale: python -m fixtures.bad.make_bad --table"


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="needs POSIX users")
def test_a_file_this_user_may_not_read_is_unreadable():
    """A mode-000 file. Root reads any file whatever its mode, so as root the
    decode runs in a child process that has dropped to the user ``nobody``."""
    folder = tempfile.mkdtemp(prefix="callscan_mode000_")
    try:
        os.chmod(folder, 0o755)
        path = os.path.join(folder, "locked.wav")
        sf.write(path, make_bad.base_call(), make_bad.SR, subtype="PCM_16")
        os.chmod(path, 0)
        code = textwrap.dedent(f"""
            import os, sys
            from callscan.audio.decoding import decode
            from callscan.errors import DecodeError
            if os.geteuid() == 0:  # imported as root; the file is opened as nobody
                os.setgid(65534)
                os.setuid(65534)
            try:
                decode({path!r})
            except DecodeError as exc:
                print(exc.error_kind, "|", exc)
                sys.exit(0)
            print("ok")
        """)
        env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=folder, HOME=folder)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                             cwd=folder, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == f"unreadable | {path}: cannot open: Permission denied"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
