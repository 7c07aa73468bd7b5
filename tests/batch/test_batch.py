"""Batch runs: input order, determinism, crash isolation, timeouts, resume."""

import json
import os
import pathlib
import signal
import time

import pyarrow.parquet as pq
import pytest

from callscan.analyze import analyze_call
from callscan.batch.checkpoint import CHECKPOINT, Checkpoint
from callscan.batch.inputs import expand_inputs
from callscan.batch.run import BatchFatalError, BatchUsageError, run_batch
from callscan.errors import DecodeError
from callscan.params import Params
from tests.support import FIXTURES, good_calls, write_call


def rows_of(path):
    return pq.read_table(path).to_pylist()


# Analysis functions for injection: module level, so workers import them by name.

def crashing_analysis(path, params=None, events=False):
    """Kills its own process (as a segmentation fault would) on 'poison' files."""
    if "poison" in os.path.basename(path):
        os.kill(os.getpid(), signal.SIGSEGV)
    return analyze_call(path, params=params, events=events)


def troubled_analysis(path, params=None, events=False):
    """Hangs on 'slow' files, raises a plain exception on 'boom' files."""
    name = os.path.basename(path)
    if "slow" in name:
        time.sleep(120)
    if "boom" in name:
        raise RuntimeError("boom: a bug in a measure")
    if "refused" in name:
        raise DecodeError("bad channel layout", path, "bad_channels")
    return analyze_call(path, params=params, events=events)


@pytest.fixture
def mixed(tmp_path):
    """A folder of good calls, a fixture call and files that must fail, by kind."""
    folder = tmp_path / "in"
    good_calls(folder / "good", 3)
    write_call(folder / "good" / "mono.wav", mono=True)
    os.symlink(FIXTURES / "demo_call.wav", folder / "demo_call.wav")
    (folder / "bad").mkdir()
    (folder / "bad" / "empty.wav").write_bytes(b"")
    (folder / "bad" / "text.wav").write_text("not audio at all")
    write_call(folder / "bad" / "short.wav", seconds=0.5)
    return folder


def test_rows_follow_inputs_and_any_worker_count_gives_identical_bytes(mixed, tmp_path):
    r1 = run_batch([mixed], tmp_path / "j1", jobs=1, events=True)
    r2 = run_batch([mixed], tmp_path / "j2", jobs=2, events=True)
    for name in ("calls.parquet", "events.parquet"):
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes()
    rows = rows_of(tmp_path / "j1" / "calls.parquet")
    paths = expand_inputs([mixed]).paths
    assert [r["path"] for r in rows] == paths and r1.inputs == r2.inputs == len(paths) == 8
    kinds = {pathlib.Path(r["path"]).name: r["error_kind"] for r in rows}
    assert kinds == {"empty.wav": "empty", "short.wav": "too_short", "text.wav": "unreadable",
                     "demo_call.wav": None, "call_00.wav": None, "call_01.wav": None,
                     "call_02.wav": None, "mono.wav": None}
    assert r1.ok == 5 and r1.failed == {"empty": 1, "too_short": 1, "unreadable": 1}
    # A batch row is the single-file record; a failed row has the same columns, null measures.
    events = pq.read_table(tmp_path / "j1" / "events.parquet").to_pylist()
    for row in rows:
        if row["status"] == "ok":
            want = analyze_call(row["path"], events=True)
            assert [e for e in events if e["path"] == row["path"]] == [
                {"path": row["path"], "call_id": want["call_id"], **e} for e in want.pop("events")
            ]
            assert row == want
        else:
            assert row["error"].startswith(row["path"] + ": ")
            assert row["duration_s"] is None and row["overlap_s"] is None and row["warnings"] is None
    mono = next(r for r in rows if r["path"].endswith("mono.wav"))
    assert mono["mode"] == "mono" and mono["agent_talk_s"] is None


def test_a_file_that_kills_its_worker_costs_only_that_file(tmp_path):
    calls = good_calls(tmp_path / "in", 6)
    poison = write_call(tmp_path / "in" / "call_03_poison.wav", seed=9)
    r = run_batch([tmp_path / "in"], tmp_path / "out", jobs=2, analysis=crashing_analysis)
    rows = rows_of(tmp_path / "out" / "calls.parquet")
    assert [x["path"] for x in rows] == sorted(calls + [poison])
    crashed = [x for x in rows if x["status"] != "ok"]
    assert len(crashed) == 1 and crashed[0]["path"] == poison
    assert crashed[0]["error_kind"] == "worker_crash"
    assert "SIGSEGV" in crashed[0]["error"] and "tried 2 times" in crashed[0]["error"]
    assert r.ok == 6 and r.failed == {"worker_crash": 1}
    for x in rows:
        if x["status"] == "ok":
            assert x["duration_s"] == analyze_call(x["path"])["duration_s"]


def test_timeout_internal_and_kinded_errors_each_get_their_row(tmp_path):
    good = good_calls(tmp_path / "in", 3)
    slow = write_call(tmp_path / "in" / "slow.wav")
    boom = write_call(tmp_path / "in" / "boom.wav")
    refused = write_call(tmp_path / "in" / "refused.wav")
    t0 = time.monotonic()
    r = run_batch([tmp_path / "in"], tmp_path / "out", jobs=2, timeout=2.0, analysis=troubled_analysis,
                  warmup=False)
    assert time.monotonic() - t0 < 100  # the slow file sleeps 120 s: it was cut, not waited for
    rows = {x["path"]: x for x in rows_of(tmp_path / "out" / "calls.parquet")}
    assert rows[slow]["error_kind"] == "timeout" and "no result after 2 s" in rows[slow]["error"]
    assert rows[boom]["error_kind"] == "internal"
    assert rows[boom]["error"] == f"{boom}: RuntimeError: boom: a bug in a measure"
    assert rows[refused]["error_kind"] == "bad_channels"
    assert all(rows[p]["status"] == "ok" for p in good)
    assert r.failed == {"timeout": 1, "internal": 1, "bad_channels": 1}


def test_resume_analyses_only_missing_files_and_refuses_other_parameters(tmp_path):
    calls = good_calls(tmp_path / "in", 4)
    subset = tmp_path / "first.txt"
    subset.write_text("\n".join(calls[:2]))
    out = tmp_path / "out"
    assert run_batch([subset], out, jobs=1).analyzed == 2
    again = run_batch([tmp_path / "in"], out, jobs=1)
    assert again.analyzed == 2 and again.inputs == 4
    rows = rows_of(out / "calls.parquet")
    assert [r["path"] for r in rows] == calls
    lines = (out / CHECKPOINT).read_text().splitlines()
    assert len(lines) == 1 + 4  # header + each file once
    with pytest.raises(BatchUsageError, match="--overwrite"):
        run_batch([tmp_path / "in"], out, params=Params(agent_channel=0))
    assert (out / CHECKPOINT).read_text().splitlines() == lines  # untouched
    fresh = run_batch([tmp_path / "in"], out, params=Params(agent_channel=0), resume=False, jobs=1)
    assert fresh.analyzed == 4
    assert {r["params_hash"] for r in rows_of(out / "calls.parquet")} == {Params(agent_channel=0).hash()}


def test_a_partial_last_line_is_dropped_and_events_are_computed_when_first_needed(tmp_path):
    calls = good_calls(tmp_path / "in", 2)
    out = tmp_path / "out"
    run_batch([tmp_path / "in"], out, jobs=1)
    with open(out / CHECKPOINT, "a") as f:
        f.write('{"path": "' + calls[0] + '", "params_ha')  # a run killed mid-write
    again = run_batch([tmp_path / "in"], out, jobs=1)
    assert again.analyzed == 0
    text = (out / CHECKPOINT).read_text()
    assert text.endswith("}\n") and len(text.splitlines()) == 3
    with_events = run_batch([tmp_path / "in"], out, jobs=1, events=True, segments="rttm")
    assert with_events.analyzed == 2  # the stored entries had no events
    assert len(pq.read_table(out / "events.parquet")) > 0
    rttm = (out / "segments" / "call_00.wav.rttm").read_text().splitlines()
    assert rttm and all(line.startswith("SPEAKER call_00 1 ") for line in rttm)
    assert run_batch([tmp_path / "in"], out, events=True).analyzed == 0


def test_a_second_batch_on_the_same_folder_is_refused(tmp_path):
    first = Checkpoint(str(tmp_path), Params(), "0")
    first.open()
    try:
        with pytest.raises(BatchFatalError, match="another callscan batch"):
            Checkpoint(str(tmp_path), Params(), "0").open()
    finally:
        first.close()
    second = Checkpoint(str(tmp_path), Params(), "0")
    second.open()
    second.close()


def test_a_batch_that_failed_everywhere_still_has_every_column(tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("a.wav", "b.wav"):
        (tmp_path / "in" / name).write_bytes(b"")
    r = run_batch([tmp_path / "in"], tmp_path / "out", jobs=1, fmt="jsonl", warmup=False)
    assert r.failed == {"empty": 2} and r.exit_code == 1
    rows = [json.loads(line) for line in (tmp_path / "out" / "calls.jsonl").read_text().splitlines()]
    ok_columns = list(analyze_call(write_call(tmp_path / "ok.wav")))
    assert list(rows[0]) == ok_columns


def test_workers_with_other_code_stop_the_batch():
    from callscan.batch.warmup import check_identity, worker_identity

    check_identity({"w1": worker_identity(Params())}, Params())
    with pytest.raises(BatchFatalError, match="installed code differs"):
        check_identity({"w1": worker_identity(Params(agent_channel=0))}, Params())


def test_an_analysis_function_workers_cannot_import_is_refused_up_front(tmp_path):
    good_calls(tmp_path / "in", 1)
    with pytest.raises(BatchUsageError, match="module level"):
        run_batch([tmp_path / "in"], tmp_path / "out", analysis=lambda path, **kw: {})
    assert not (tmp_path / "out").exists()


def test_the_summary_names_the_first_ten_failed_files(tmp_path):
    good = good_calls(tmp_path / "in", 1)
    bad = []
    for i in range(12):
        p = tmp_path / "in" / f"bad_{i:02d}.wav"
        p.write_text("not audio")
        bad.append(str(p))
    result = run_batch([tmp_path / "in"], tmp_path / "out", jobs=1)
    text = result.summary()
    assert result.ok == len(good) and result.n_failed == 12
    named = [line.strip() for line in text.splitlines() if line.startswith("  ") and not line.startswith("  ...")]
    assert len(named) == 10 and all(any(n.endswith(os.path.basename(b)) for b in bad) for n in named)
    assert "and 2 more" in text


def test_throughput_counts_analysis_time_with_start_up_reported_apart(tmp_path):
    from tests.batch import slow_start

    good_calls(tmp_path / "in", 3)
    result = run_batch([tmp_path / "in"], tmp_path / "out", jobs=1, analysis=slow_start.analysis)
    assert result.startup_s >= slow_start.START_S
    assert result.wall_s == pytest.approx(result.startup_s + result.analysis_s + result.finishing_s, abs=1e-6)
    assert result.x_real_time == pytest.approx(result.analyzed_audio_s / result.analysis_s)
    assert result.x_real_time > result.analyzed_audio_s / result.wall_s * 1.5  # the slow start left out
    line = result.totals()
    assert f"analysed in {result.analysis_s:.1f} s ({result.x_real_time:.0f}x real time)" in line
    assert f"start-up {result.startup_s:.1f} s" in line
    run = json.loads((tmp_path / "out" / "run.json").read_text())["this_run"]
    assert run["startup_s"] >= slow_start.START_S and run["x_real_time"] == round(result.x_real_time, 2)
