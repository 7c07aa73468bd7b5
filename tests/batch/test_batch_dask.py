"""The same batch on a Dask cluster (two local worker processes, loopback only)."""

import importlib.util
import json
import logging
import os
import signal

import pyarrow.parquet as pq
import pytest
import soundfile as sf
from click.testing import CliRunner

from callscan.analyze import analyze_call
from callscan.batch.run import run_batch
from callscan.cli import main
from tests.batch.test_ids import _ids, colliding  # noqa: F401 - a fixture
from tests.support import FIXTURES

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="needs the optional 'distributed' package"
)


def crashing_analysis(path, params=None, events=False):
    """Kills its own process on 'poison' files (sent to Dask workers by name)."""
    if "poison" in os.path.basename(path):
        os.kill(os.getpid(), signal.SIGSEGV)
    return analyze_call(path, params=params, events=events)


def two_workers():
    """A local Dask cluster of two single-threaded worker processes."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, silence_logs=logging.ERROR)


@pytest.fixture(scope="module")
def cluster():
    with two_workers() as c:
        yield c


def calls(folder, n):
    folder.mkdir()
    x, sr = sf.read(FIXTURES / "demo_call.wav", dtype="int16")
    for i in range(n):
        start = int((2 + 3 * i) * sr)
        sf.write(folder / f"call_{i}.wav", x[start:start + 3 * sr], sr, subtype="PCM_16")


def test_dask_gives_the_rows_of_local_workers(cluster, tmp_path):
    folder = tmp_path / "in"
    calls(folder, 5)
    (folder / "empty.wav").write_bytes(b"")
    local = run_batch([folder], tmp_path / "local", jobs=2, events=True)
    remote = run_batch([folder], tmp_path / "dask", executor=cluster.scheduler_address, events=True)
    assert remote.analyzed == local.analyzed == 6 and remote.failed == local.failed == {"empty": 1}
    for name in ("calls.parquet", "events.parquet"):
        a = pq.read_table(tmp_path / "local" / name)
        b = pq.read_table(tmp_path / "dask" / name)
        assert b.to_pylist() == a.to_pylist() and b.schema.equals(a.schema, check_metadata=True)
    assert (tmp_path / "dask" / "calls.parquet").read_bytes() == (tmp_path / "local" / "calls.parquet").read_bytes()
    host_port = cluster.scheduler_address.split("://")[1]
    r = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "cli"), "--executor",
                                  f"dask://{host_port}", "--events"])
    assert r.exit_code == 1 and "6 calls, 5 ok, 1 failed (1 empty)" in r.stderr, r.output
    assert (tmp_path / "cli" / "calls.parquet").read_bytes() == (tmp_path / "local" / "calls.parquet").read_bytes()


def test_dask_rows_carry_the_manifest_columns(cluster, tmp_path):
    folder = tmp_path / "in"
    calls(folder, 3)
    lines = ["path,agent_id,started_at"] + [f"call_{i}.wav,A{i % 2},2024-03-0{i + 1}T09:00:00Z" for i in range(3)]
    (folder / "m.csv").write_text("\n".join(lines) + "\n")
    local = run_batch([folder / "m.csv"], tmp_path / "local", jobs=1, events=True)
    remote = run_batch([folder / "m.csv"], tmp_path / "dask", executor=cluster.scheduler_address, events=True)
    assert remote.analyzed == local.analyzed == 3
    for name in ("calls.parquet", "events.parquet"):
        a = pq.read_table(tmp_path / "local" / name)
        b = pq.read_table(tmp_path / "dask" / name)
        assert b.to_pylist() == a.to_pylist() and b.schema.equals(a.schema, check_metadata=True)
        assert {(r["path"].rsplit("_", 1)[1], r["agent_id"]) for r in b.to_pylist()} == {
            ("0.wav", "A0"), ("1.wav", "A1"), ("2.wav", "A0")}
        assert str(b.schema.field("started_at").type) == "timestamp[us, tz=UTC]"


def test_a_file_that_kills_dask_workers_gets_one_worker_crash_row(cluster, tmp_path):

    folder = tmp_path / "in"
    calls(folder, 4)
    poison = folder / "call_2_poison.wav"
    (folder / "call_2.wav").rename(poison)
    # A scheduler file as dask-scheduler writes it; only "address" is read back.
    (tmp_path / "scheduler.json").write_text(json.dumps({"type": "Scheduler", "address": cluster.scheduler_address}))
    r = run_batch([folder], tmp_path / "out", scheduler_file=str(tmp_path / "scheduler.json"),
                  analysis=crashing_analysis)
    rows = pq.read_table(tmp_path / "out" / "calls.parquet").to_pylist()
    assert [row["status"] for row in rows] == ["ok", "ok", "failed", "ok"]
    assert rows[2]["path"] == str(poison) and rows[2]["error_kind"] == "worker_crash"
    assert r.failed == {"worker_crash": 1}


def crashing_once_analysis(path, params=None, events=False):
    """Kills its own process the first time it meets a 'flaky' file (a marker file beside it
    records the visit), then analyses it as usual."""
    marker = str(path) + ".visited"
    if "flaky" in os.path.basename(path) and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGSEGV)
    return analyze_call(path, params=params, events=events)


def test_a_file_refused_with_a_dying_worker_is_tried_once_more(tmp_path):
    """With allowed-failures 0, Dask refuses every task of a worker that dies: the file that was
    there is submitted again and gets its own row (here: it is sound the second time)."""
    import dask
    from distributed import LocalCluster

    folder = tmp_path / "in"
    calls(folder, 3)
    (folder / "call_1.wav").rename(folder / "call_1_flaky.wav")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.ERROR,  # the module's cluster holds 8787
    ) as c:
        r = run_batch([folder], tmp_path / "out", executor=c.scheduler_address, analysis=crashing_once_analysis)
    rows = pq.read_table(tmp_path / "out" / "calls.parquet").to_pylist()
    assert [row["status"] for row in rows] == ["ok", "ok", "ok"]
    assert os.path.exists(folder / "call_1_flaky.wav.visited")  # it did kill a worker once
    assert r.failed == {}


@pytest.fixture(scope="module")
def whole_cluster():
    """A cluster of its own: the module's cluster may be left without workers by the tests that kill them."""
    with two_workers() as c:
        yield c


def test_colliding_stems_get_the_ids_of_local_workers_on_dask_and_after_a_resume(whole_cluster, colliding):
    cluster = whole_cluster
    from callscan.batch.checkpoint import CHECKPOINT

    run_batch([colliding / "in"], colliding / "local", jobs=1)
    ids = _ids(colliding / "local")
    assert len(ids) == 11 and len(set(ids.values())) == 11
    out = colliding / "dask"
    run_batch([colliding / "in"], out, executor=cluster.scheduler_address)
    assert _ids(out) == ids
    ckpt = out / CHECKPOINT
    ckpt.write_text("".join(ckpt.read_text().splitlines(keepends=True)[:5]))  # as a killed run leaves it
    again = run_batch([colliding / "in"], out, executor=cluster.scheduler_address)
    assert again.analyzed == 7 and _ids(out) == ids


def test_dask_workers_warm_up_before_the_analysis_is_timed(whole_cluster, tmp_path):
    cluster = whole_cluster
    from tests.batch import slow_start  # 2 s to import in each worker: when the warm-up unpickles the work

    folder = tmp_path / "in"
    calls(folder, 2)
    r = run_batch([folder], tmp_path / "out", executor=cluster.scheduler_address, analysis=slow_start.analysis)
    assert r.startup_s >= slow_start.START_S and r.analysis_s < slow_start.START_S
    run = json.loads((tmp_path / "out" / "run.json").read_text())["this_run"]
    assert run["x_real_time"] == round(r.x_real_time, 2)
    assert abs(run["startup_s"] + run["analysis_s"] + run["finishing_s"] - run["wall_s"]) < 0.01
