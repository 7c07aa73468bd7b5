"""The tables show each path as given (relative stays relative); resume matches files by
their absolute path, so a rerun from another folder reuses every row."""

import json
import os

import pyarrow.parquet as pq

from callscan.batch.run import run_batch
from tests.support import cut


def test_rows_keep_relative_paths_and_a_resume_from_elsewhere_reuses_them(tmp_path, monkeypatch):
    (tmp_path / "in" / "day").mkdir(parents=True)
    cut(tmp_path / "in" / "day" / "a.wav")
    cut(tmp_path / "in" / "b.wav", offset_s=6.0)
    (tmp_path / "in" / "empty.wav").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    result = run_batch(["in"], "out", jobs=1, events=True)
    rows = pq.read_table(tmp_path / "out" / "calls.parquet").to_pylist()
    given = [os.path.join("in", "b.wav"), os.path.join("in", "day", "a.wav"), os.path.join("in", "empty.wav")]
    assert [r["path"] for r in rows] == given
    assert result.failed_paths == [given[2]] and str(tmp_path) in rows[2]["error"]  # the reason names the file
    events = pq.read_table(tmp_path / "out" / "events.parquet").to_pylist()
    assert {e["path"] for e in events} == set(given[:2])
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["this_run"]["cwd"] == str(tmp_path)

    monkeypatch.chdir(tmp_path / "in")
    again = run_batch(["."], tmp_path / "out", jobs=1, events=True)
    assert again.analyzed == 0 and again.rows == 3
    rows = pq.read_table(tmp_path / "out" / "calls.parquet").to_pylist()
    assert [r["path"] for r in rows] == [os.path.join(".", "b.wav"), os.path.join(".", "day", "a.wav"),
                                         os.path.join(".", "empty.wav")]
