"""`callscan batch`: exit codes, summary, configuration, resume after kill -9."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from callscan.cli import main
from callscan.params import Params
from tests.support import ROOT, cut


def inputs(tmp_path, bad=True):
    folder = tmp_path / "in"
    (folder / "day1").mkdir(parents=True)
    paths = [cut(folder / "day1" / "a.wav"), cut(folder / "day1" / "b.wav", offset_s=6.0)]
    if bad:
        (folder / "empty.wav").write_bytes(b"")
        paths.append(str(folder / "empty.wav"))
    return folder, paths


def batch(*args):
    return CliRunner().invoke(main, ["batch", *map(str, args)])


def test_exit_1_with_a_summary_when_some_files_fail(tmp_path):
    folder, paths = inputs(tmp_path)
    out = tmp_path / "out"
    r = batch(folder, "-o", out, "-j", "1", "--format", "csv", "--segments", "audacity")
    assert r.exit_code == 1, r.output
    assert "3 calls, 2 ok, 1 failed (1 empty); 3 analysed now" in r.stderr
    assert r.stdout == ""
    with open(out / "calls.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["path"] for row in rows] == paths
    assert rows[2]["error_kind"] == "empty" and rows[2]["duration_s"] == ""
    run = json.loads((out / "run.json").read_text())
    assert run["counts"] == {"ok": 2, "failed": 1, "failed_by_kind": {"empty": 1}}
    assert run["params_hash"] == Params().hash() and run["params"] == json.loads(json.dumps(Params().to_dict()))
    assert {"python", "numpy", "numba", "soundfile", "libsndfile", "pyarrow"} <= set(run["libraries"])
    assert run["complete"] is True and run["inputs"] == run["rows"] == 3 and run["audio_hours"] > 0
    now = run["this_run"]
    assert now["analyzed"] == 3 and now["audio_hours"] == run["audio_hours"] and now["interrupted"] is None
    assert abs(now["startup_s"] + now["analysis_s"] + now["finishing_s"] - now["wall_s"]) < 0.01
    # analysis_s is kept to the millisecond: on a fast machine it is a few tens of them
    rounding = 0.0005 / now["analysis_s"]
    assert now["x_real_time"] == pytest.approx(now["audio_hours"] * 3600 / now["analysis_s"], rel=0.01 + rounding)
    labels = (out / "segments" / "day1" / "a.wav.txt").read_text().splitlines()
    assert labels and all(len(line.split("\t")) == 3 for line in labels)
    assert not (out / "segments" / "empty.wav.txt").exists()


def test_config_file_sets_options_and_params_and_the_command_line_wins(tmp_path):
    folder, paths = inputs(tmp_path, bad=False)
    out = tmp_path / "out"
    conf = tmp_path / "run.toml"
    conf.write_text(
        f'output = "{out}"\nformat = "csv"\nevents = true\njobs = 1\nagent-channel = 0\n'
        "[params.measures]\ndead_air_min_s = 2\n"
    )
    r = batch(folder, "--config", conf, "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert (out / "calls.jsonl").exists() and (out / "events.jsonl").exists()
    assert not (out / "calls.csv").exists()
    run = json.loads((out / "run.json").read_text())
    assert run["params"]["measures"]["dead_air_min_s"] == 2.0 and run["params"]["agent_channel"] == 0
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert [row["path"] for row in rows] == paths and {row["params_hash"] for row in rows} == {run["params_hash"]}
    conf.write_text("jbos = 2\n")
    r = batch(folder, "-o", out, "--config", conf)
    assert r.exit_code == 2 and "unknown option 'jbos'" in r.output
    conf.write_text("[params]\ndead_air_min = 2\n")
    r = batch(folder, "-o", out, "--config", conf)
    assert r.exit_code == 2 and "unknown parameter params.dead_air_min" in r.output


def test_other_parameters_exit_2_overwrite_starts_over_and_bad_output_exits_3(tmp_path):
    folder, _ = inputs(tmp_path, bad=False)
    out = tmp_path / "out"
    assert batch(folder, "-o", out, "-j", "1").exit_code == 0
    r = batch(folder, "-o", out, "--agent-channel", "0")
    assert r.exit_code == 2 and "--overwrite" in r.output and "Traceback" not in r.output
    r = batch(folder, "-o", out, "--agent-channel", "0", "--overwrite", "-j", "1")
    assert r.exit_code == 0 and "2 analysed now" in r.stderr
    (out / "calls.parquet").unlink()
    (out / "calls.parquet").mkdir()  # the table cannot be replaced
    r = batch(folder, "-o", out, "--agent-channel", "0")
    assert r.exit_code == 3 and "calls.parquet" in r.output and "checkpoint" in r.output
    (out / "calls.parquet").rmdir()
    r = batch(folder, "-o", out, "--agent-channel", "0")
    assert r.exit_code == 0 and "0 analysed now, 2 from the checkpoint" in r.stderr
    assert len(pq.read_table(out / "calls.parquet")) == 2
    assert batch(tmp_path / "nothing", "-o", out).exit_code == 2
    (tmp_path / "empty_folder").mkdir()
    r = batch(tmp_path / "empty_folder", "-o", out)
    assert r.exit_code == 2 and "no audio files" in r.output


def _children(pid):
    """Process ids of the children of ``pid`` (empty where /proc does not list them)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_resume_after_kill_9_gives_every_input_exactly_once(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    sources = [cut(tmp_path / f"source_{k}.wav", offset_s=2.0 + 4 * k) for k in range(4)]
    for i in range(80):
        os.symlink(sources[i % len(sources)], folder / f"call_{i:03d}.wav")
    out = tmp_path / "out"
    ckpt = out / "checkpoint.jsonl"
    cmd = [sys.executable, "-m", "callscan", "batch", str(folder), "-o", str(out), "-j", "1", "--format", "jsonl"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ckpt.exists() and ckpt.read_bytes().count(b"\n") >= 11:
            break
        time.sleep(0.01)
    workers = _children(proc.pid)
    if os.path.exists(f"/proc/{proc.pid}/task/{proc.pid}/children"):
        assert workers, "no worker process found"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = ckpt.read_bytes().count(b"\n") - 1
    assert 10 <= done_before < 80, "the batch was not stopped mid-run"
    assert not (out / "calls.jsonl").exists()
    t0 = time.monotonic()
    while any(_running(pid) for pid in workers) and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers), "workers outlived their batch"

    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    run = json.loads((out / "run.json").read_text())
    assert run["this_run"]["from_checkpoint"] >= done_before
    assert run["this_run"]["analyzed"] + run["this_run"]["from_checkpoint"] == 80
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert [row["path"] for row in rows] == sorted(str(p) for p in folder.iterdir())
    assert all(row["status"] == "ok" for row in rows)
    entries = [json.loads(line)["path"] for line in ckpt.read_text().splitlines()[1:]]
    assert sorted(entries) == sorted(set(entries)) and len(entries) == 80


def test_verbose_prints_a_line_per_file_without_a_terminal_and_quiet_only_the_failed(tmp_path):
    folder, paths = inputs(tmp_path)
    r = batch(folder, "-o", tmp_path / "v", "-j", "1", "-v")
    assert r.exit_code == 1, r.output
    lines = r.stderr.splitlines()
    per_file = [line for line in lines if line.startswith(("ok ", "failed "))]
    assert sorted(per_file) == sorted([f"ok a {3.0:.1f} s {paths[0]}", f"ok b {3.0:.1f} s {paths[1]}",
                                       f"failed empty empty: {paths[2]}: empty file (0 bytes)"])
    assert any(line.startswith("callscan batch: 3 calls") for line in lines)
    r = batch(folder, "-o", tmp_path / "q", "-j", "1", "-q")
    assert r.exit_code == 1 and r.stderr.splitlines() == ["failed:", f"  {paths[2]}"], r.stderr
    r = batch(folder, "-o", tmp_path / "d", "-j", "1")
    assert r.exit_code == 1 and not any(line.startswith(("ok ", "failed ")) for line in r.stderr.splitlines())
