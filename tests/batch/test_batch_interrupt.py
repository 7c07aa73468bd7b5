"""Ctrl-C (SIGINT) and SIGTERM halfway through a batch: the tables of the finished files,
run.json marked incomplete, one line on how to go on, exit 128 + the signal; the rerun
completes the tables to one row per input."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pyarrow.parquet as pq
import pytest

from callscan.batch.checkpoint import CHECKPOINT
from callscan.batch.run import BatchInterrupted, run_batch
from tests.support import ROOT, cut


def _links(tmp_path, n, sources=4):
    folder = tmp_path / "in"
    folder.mkdir()
    src = [cut(tmp_path / f"source_{k}.wav", seconds=1.5, offset_s=2.0 + 4 * k) for k in range(sources)]
    for i in range(n):
        os.symlink(src[i % sources], folder / f"call_{i:03d}.wav")
    return folder, sorted(str(p) for p in folder.iterdir())


def _checkpoint_paths(out):
    lines = (out / CHECKPOINT).read_text().splitlines()[1:]
    return [json.loads(line)["path"] for line in lines]


def _wait_for_rows(ckpt, rows, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ckpt.exists() and ckpt.read_bytes().count(b"\n") > rows:
            return
        time.sleep(0.01)
    raise AssertionError(f"the checkpoint did not reach {rows} rows")


def test_sigint_halfway_writes_the_finished_rows_and_the_rerun_completes_them(tmp_path):
    folder, paths = _links(tmp_path, 200)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "callscan", "batch", str(folder), "-o", str(out), "-j", "2", "--events"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(out / CHECKPOINT, 20)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted (SIGINT)" in err and "rerun the same command" in err, err
    assert len([line for line in err.splitlines() if "interrupted" in line]) == 1, err

    done = _checkpoint_paths(out)
    assert 20 <= len(done) < 200 and len(set(done)) == len(done), "the batch was not stopped halfway"
    rows = pq.read_table(out / "calls.parquet").to_pylist()
    assert [r["path"] for r in rows] == [p for p in paths if p in set(done)]  # the finished rows, in input order
    events = pq.read_table(out / "events.parquet").to_pylist()
    assert events and {e["path"] for e in events} <= set(done)
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is False and run["inputs"] == 200 and run["rows"] == len(done)
    assert run["this_run"]["interrupted"] == "SIGINT" and run["this_run"]["analyzed"] == len(done)
    assert f"hold the {len(done)} finished calls of 200" in err

    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    rows = pq.read_table(out / "calls.parquet").to_pylist()
    assert [r["path"] for r in rows] == paths and all(r["status"] == "ok" for r in rows)
    assert len({r["call_id"] for r in rows}) == 200
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is True and run["rows"] == 200
    assert run["this_run"]["from_checkpoint"] == len(done) and run["this_run"]["analyzed"] == 200 - len(done)
    assert sorted(_checkpoint_paths(out)) == paths


def test_sigterm_raises_batch_interrupted_after_writing_the_finished_rows(tmp_path):
    folder, paths = _links(tmp_path, 40)
    out = tmp_path / "out"
    ckpt = out / CHECKPOINT

    def terminate():
        _wait_for_rows(ckpt, 5)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    with pytest.raises(BatchInterrupted) as info:
        run_batch([folder], out, jobs=1, fmt="jsonl")
    killer.join()
    assert info.value.signal_name == "SIGTERM" and info.value.exit_code == 143
    result = info.value.result
    done = _checkpoint_paths(out)
    assert result.rows == len(done) < 40 and not result.complete and result.interrupted == "SIGTERM"
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert [r["path"] for r in rows] == [p for p in paths if p in set(done)]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the caller's again
    again = run_batch([folder], out, jobs=1, fmt="jsonl")
    assert again.complete and again.rows == 40 and again.analyzed == 40 - len(done)
