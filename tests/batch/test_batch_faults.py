"""Fault drills: a worker killed from outside, an output folder that cannot be
written (a file in its place, a read-only file system, a full one), a decoder
that never returns. After each, every input appears exactly once in the
outputs and in the checkpoint.

The drills that crash inside the analysed file itself (``os.kill`` of its own
worker), time out on an injected sleep and ``kill -9`` the batch process and
resume it are in ``tests/batch/test_batch.py`` and ``tests/batch/test_batch_cli.py``.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pyarrow.parquet as pq
import pytest

from callscan.analyze import analyze_call
from callscan.batch.checkpoint import CHECKPOINT
from callscan.batch.run import BatchFatalError, run_batch
from tests.support import ROOT, good_calls, write_call


def assert_each_input_once(out, paths, table="calls.parquet"):
    """The table has one row per input, in order; the checkpoint one entry per input."""
    if table.endswith(".parquet"):
        rows = pq.read_table(os.path.join(out, table)).to_pylist()
    else:
        with open(os.path.join(out, table), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
    assert [r["path"] for r in rows] == [str(p) for p in paths]
    with open(os.path.join(out, CHECKPOINT), encoding="utf-8") as f:
        lines = f.read().splitlines()
    entries = [json.loads(line)["path"] for line in lines[1:]]
    assert sorted(entries) == sorted(str(p) for p in paths), "the checkpoint holds an input twice or misses one"
    return rows


def victim_analysis(path, params=None, events=False):
    """On 'victim' files, the first time: leave the worker's pid beside the file and wait."""
    marker = path + ".pid"
    if "victim" in os.path.basename(path) and not os.path.exists(marker):
        with open(marker + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.replace(marker + ".tmp", marker)
        time.sleep(30)
    return analyze_call(path, params=params, events=events)


def hanging_analysis(path, params=None, events=False):
    """A decoder that never returns on 'hang' files (it sleeps far past any timeout)."""
    if "hang" in os.path.basename(path):
        time.sleep(3600)
    return analyze_call(path, params=params, events=events)


def test_a_worker_killed_from_outside_mid_file_is_replaced_and_its_file_retried(tmp_path):
    calls = good_calls(tmp_path / "in", 4)
    victim = write_call(tmp_path / "in" / "call_01_victim.wav", seed=5)
    marker = victim + ".pid"
    killed = []

    def killer():
        deadline = time.monotonic() + 60
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        if os.path.exists(marker):
            with open(marker) as f:
                pid = int(f.read())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    t0 = time.monotonic()
    result = run_batch([tmp_path / "in"], tmp_path / "out", jobs=2, analysis=victim_analysis, warmup=False)
    thread.join(5)
    assert killed and killed[0] != os.getpid()
    assert time.monotonic() - t0 < 30, "the batch waited for the killed worker's file"
    paths = sorted(calls + [victim])
    rows = assert_each_input_once(tmp_path / "out", paths)
    assert result.ok == len(paths) and all(r["status"] == "ok" for r in rows)  # the retry succeeded
    row = next(r for r in rows if r["path"] == victim)
    assert row["duration_s"] == analyze_call(victim)["duration_s"]


def test_a_decoder_that_never_returns_gets_a_timeout_row_and_the_batch_goes_on(tmp_path):
    calls = good_calls(tmp_path / "in", 3)
    hung = [write_call(tmp_path / "in" / f"call_{i:02d}_hang.wav", seed=7 + i) for i in (0, 2)]
    t0 = time.monotonic()
    result = run_batch([tmp_path / "in"], tmp_path / "out", jobs=2, timeout=1.5, analysis=hanging_analysis,
                       warmup=False, fmt="jsonl")
    assert time.monotonic() - t0 < 30
    rows = assert_each_input_once(tmp_path / "out", sorted(calls + hung), table="calls.jsonl")
    for row in rows:
        if row["path"] in hung:
            assert row["error_kind"] == "timeout" and "no result after 1.5 s" in row["error"]
        else:
            assert row["status"] == "ok"
    assert result.failed == {"timeout": 2}


def _cli(args, **kw):
    return subprocess.run([sys.executable, "-m", "callscan", "batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False, **kw)


def test_a_file_where_the_output_folder_should_be_stops_the_batch_and_touches_nothing(tmp_path):
    good_calls(tmp_path / "in", 2)
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(BatchFatalError, match="cannot write to the output folder") as info:
        run_batch([tmp_path / "in"], tmp_path / "out", jobs=1)
    assert info.value.exit_code == 3
    r = _cli([tmp_path / "in", "-o", tmp_path / "out", "-j", "1"])  # the command line refuses it up front
    assert r.returncode == 2 and "is a file" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = _cli([tmp_path / "in", "-o", tmp_path / "out" / "sub", "-j", "1"])  # a folder below a file
    assert r.returncode == 2 and "cannot be made" in r.stderr and "is a file" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "out").read_text() == "not a folder"


def _can_mount_tmpfs():
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                               capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(
    not _can_mount_tmpfs(),
    reason="needs `unshare -m` and tmpfs mounts (root or CAP_SYS_ADMIN): a read-only or full file "
           "system cannot be simulated honestly otherwise (root writes through mode bits)",
)


def _in_private_mount(tmp_path, script):
    """Run a shell script in a private mount namespace where $MNT is a fresh tmpfs.

    The tmpfs vanishes with the namespace, so the script copies what the test
    inspects to $KEEP (a normal folder).
    """
    keep = tmp_path / "keep"
    mnt = tmp_path / "mnt"
    keep.mkdir()
    mnt.mkdir()
    env = dict(os.environ, MNT=str(mnt), KEEP=str(keep), PY=sys.executable, IN=str(tmp_path / "in"),
               PYTHONPATH=str(ROOT))
    r = subprocess.run(["unshare", "-m", "sh", "-c", "set -u\n" + script], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300, check=False)
    return r, keep


@needs_tmpfs
def test_a_read_only_output_folder_exits_2_before_any_work_and_keeps_the_checkpoint(tmp_path):
    calls = good_calls(tmp_path / "in", 3)
    script = """
    mount -t tmpfs -o size=8m tmpfs "$MNT"
    batch() { "$PY" -m callscan batch "$IN" -o "$MNT/out" -j 1 --format jsonl "$@"; }
    batch > /dev/null 2>&1; echo "first=$?"
    cp "$MNT/out/checkpoint.jsonl" "$KEEP/before.jsonl"
    rm "$MNT/out/calls.jsonl"
    mount -o remount,ro "$MNT"
    batch > /dev/null 2> "$KEEP/ro.err"; echo "read_only=$?"
    cp "$MNT/out/checkpoint.jsonl" "$KEEP/after.jsonl"
    mount -o remount,rw "$MNT"
    batch > /dev/null 2>&1; echo "again=$?"
    cp -r "$MNT/out" "$KEEP/out"
    """
    r, keep = _in_private_mount(tmp_path, script)
    assert r.stdout.split() == ["first=0", "read_only=2", "again=0"], (r.stdout, r.stderr)
    err = (keep / "ro.err").read_text()
    assert "Read-only file system" in err and "not writable" in err and "Traceback" not in err, err
    assert (keep / "after.jsonl").read_bytes() == (keep / "before.jsonl").read_bytes()
    assert_each_input_once(keep / "out", calls, table="calls.jsonl")


@needs_tmpfs
def test_a_full_output_folder_exits_3_and_a_rerun_with_room_finishes_every_input_once(tmp_path):
    calls = good_calls(tmp_path / "in", 12)
    script = """
    mount -t tmpfs -o size=20k tmpfs "$MNT"
    batch() { "$PY" -m callscan batch "$IN" -o "$MNT/out" -j 1 --format jsonl "$@"; }
    batch > /dev/null 2> "$KEEP/full.err"; echo "full=$?"
    cp "$MNT/out/checkpoint.jsonl" "$KEEP/full.jsonl"
    mount -o remount,size=16m "$MNT"
    batch > /dev/null 2> "$KEEP/again.err"; echo "again=$?"
    cp -r "$MNT/out" "$KEEP/out"
    """
    r, keep = _in_private_mount(tmp_path, script)
    assert r.stdout.split() == ["full=3", "again=0"], (r.stdout, r.stderr, (keep / "full.err").read_text())
    err = (keep / "full.err").read_text()
    assert "No space left on device" in err and "Traceback" not in err, err
    assert "checkpoint" in err
    # What the full disk left: whole lines for finished files, at most one cut line at the end.
    lines = (keep / "full.jsonl").read_bytes().split(b"\n")
    whole = [json.loads(line) for line in lines[1:-1]]
    assert 0 < len(whole) < len(calls), "the disk did not fill mid-run"
    assert all(entry["record"]["status"] == "ok" for entry in whole)
    rows = assert_each_input_once(keep / "out", calls, table="calls.jsonl")
    assert all(row["status"] == "ok" for row in rows)
    assert f"{len(calls) - len(whole)} analysed now" in (keep / "again.err").read_text()
