"""Manifest columns and path fields carried into every row of the calls and events tables."""

import csv
import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from callscan.batch.checkpoint import CHECKPOINT
from callscan.batch.inputs import InputError, expand_inputs
from callscan.batch.metadata import PathTemplate, type_text_column
from callscan.batch.read import read_table
from callscan.batch.run import BatchUsageError, run_batch
from callscan.cli import main
from tests.support import good_calls


def test_text_cells_are_typed_by_the_rule_every_cell_fits():
    assert type_text_column(["3", "", "-12"]) == [3, None, -12]
    assert type_text_column(["3", "2.5", " 1e3 "]) == [3.0, 2.5, 1000.0]
    assert type_text_column(["007", "12"]) == ["007", "12"]  # a code with a leading zero is text
    assert type_text_column(["+4412345", "12"]) == ["+4412345", "12"]
    assert type_text_column(["nan", "1"]) == ["nan", "1"]
    assert type_text_column(["2024-03-01", "2024-03-02T09:30:00"]) == [
        datetime(2024, 3, 1), datetime(2024, 3, 2, 9, 30)]
    aware = type_text_column(["2024-03-01T09:30:00Z", "2024-03-01T10:30:00+01:00"])
    assert aware == [datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)] * 2
    assert type_text_column(["2024-03-01T09:30:00Z", "2024-03-01T09:30:00"]) == [
        "2024-03-01T09:30:00Z", "2024-03-01T09:30:00"]  # zoned and not: text
    assert type_text_column(["A07", "2024-03-01"]) == ["A07", "2024-03-01"]
    assert type_text_column(["", None]) == [None, None]


def test_path_templates_match_the_path_below_its_input():
    tpl = PathTemplate("{date}/{agent_id}/")
    assert tpl.match("2024-03-01/A07/call1.wav") == {"date": "2024-03-01", "agent_id": "A07"}
    assert tpl.match("2024-03-01/A07/more/call1.wav") == {"date": "2024-03-01", "agent_id": "A07"}
    assert tpl.match("A07/call1.wav") is None and tpl.match("call1.wav") is None
    assert tpl.match("../x/A07/call1.wav") is None
    tpl = PathTemplate("{team}/*/{agent_id}_{n}.wav")
    assert tpl.match("blue/2024/A07_12.wav") == {"team": "blue", "agent_id": "A07", "n": "12"}
    assert tpl.match("blue/2024/A07_12.flac") is None and tpl.match("x/blue/2024/A07_12.wav") is None
    with pytest.raises(Exception, match="names no field"):
        PathTemplate("a/b/")
    with pytest.raises(Exception, match="twice"):
        PathTemplate("{a}/{a}/")


def write_manifest(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def archive(tmp_path):
    calls = good_calls(tmp_path / "in", 3)
    (tmp_path / "in" / "empty.wav").write_bytes(b"")
    rows = [
        ("call_00.wav", "A07", "blue", "2024-03-01T09:30:00Z", "1.5", "c-1"),
        ("call_01.wav", "A02", "", "2024-03-01T10:00:00+01:00", "2", "c-2"),
        ("empty.wav", "A07", "blue", "", "", "c-3"),
        ("call_02.wav", "007", "red", "2024-03-02T08:00:00Z", "", ""),
    ]
    manifest = write_manifest(tmp_path / "in" / "calls.csv",
                              ["path", "agent_id", "team", "started_at", "score", "call_id"], rows)
    return tmp_path, manifest, calls


def test_manifest_columns_go_into_every_row_of_every_format_typed(archive):
    tmp, manifest, calls = archive
    expected = {
        "call_00": ("A07", "blue", datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc), 1.5),
        "call_01": ("A02", None, datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc), 2.0),
        "empty": ("A07", "blue", None, None),
        "call_02": ("007", "red", datetime(2024, 3, 2, 8, 0, tzinfo=timezone.utc), None),
    }
    ids = {"call_00": "c-1", "call_01": "c-2", "empty": "c-3", "call_02": "call_02"}
    out = tmp / "out"
    result = run_batch([manifest], out, jobs=2, events=True)
    assert result.inputs == 4 and result.n_failed == 1
    table = pq.read_table(out / "calls.parquet")
    names = table.schema.names
    assert names[:6] == ["path", "call_id", "agent_id", "team", "started_at", "score"]
    assert table.schema.field("agent_id").type == pa.string()
    assert table.schema.field("started_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("score").type == pa.float64()
    rows = table.to_pylist()
    for row in rows:
        stem = row["path"].rsplit("/", 1)[1].split(".")[0]
        assert (row["agent_id"], row["team"], row["started_at"], row["score"]) == expected[stem]
        assert row["call_id"] == ids[stem]
    events = pq.read_table(out / "events.parquet")
    assert events.schema.names[:6] == ["path", "call_id", "agent_id", "team", "started_at", "score"]
    assert events.schema.field("started_at").type == pa.timestamp("us", tz="UTC")
    ev = events.to_pylist()
    assert ev and {e["path"] for e in ev} == set(calls)
    for e in ev:
        stem = e["path"].rsplit("/", 1)[1].split(".")[0]
        assert (e["agent_id"], e["team"], e["started_at"], e["score"]) == expected[stem]
        assert e["call_id"] == ids[stem]
    for fmt in ("jsonl", "csv"):
        run_batch([manifest], tmp / fmt, jobs=1, events=True, fmt=fmt)
        for name in ("calls", "events"):
            back = read_table(str(tmp / fmt / f"{name}.{fmt}"))
            assert len(back) == (4 if name == "calls" else len(ev))
            for row in back:
                stem = row["path"].rsplit("/", 1)[1].split(".")[0]
                agent, team, started, score = expected[stem]
                assert row["agent_id"] == agent and row["team"] == team and row["score"] == score
                # CSV reads the text back as the manifest was typed; JSON has no timestamps
                assert row["started_at"] == (started if fmt == "csv" or started is None else started.isoformat())
                assert row["call_id"] == ids[stem]


def test_metadata_survives_a_resume_and_follows_the_manifest(archive):
    tmp, manifest, _ = archive
    out = tmp / "out"
    run_batch([manifest], out, jobs=1)
    first = pq.read_table(out / "calls.parquet")
    # Cut the checkpoint to its first line, as a killed run leaves it; resume.
    ckpt = out / CHECKPOINT
    lines = ckpt.read_text().splitlines(keepends=True)
    ckpt.write_text("".join(lines[:2]))
    again = run_batch([manifest], out, jobs=1)
    assert 0 < again.analyzed < 4
    assert pq.read_table(out / "calls.parquet").equals(first)


def test_path_fields_become_typed_columns(tmp_path):
    for day, agent in (("2024-03-01", "A07"), ("2024-03-02", "A02")):
        good_calls(tmp_path / "in" / day / agent, 1)
    (tmp_path / "in" / "stray.wav").write_text("not audio")
    r = CliRunner().invoke(main, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-j", "1",
                                  "--path-fields", "{date}/{agent_id}/"])
    assert r.exit_code == 1, r.output  # the stray file is not audio
    assert "1 paths do not fit --path-fields" in r.stderr
    table = pq.read_table(tmp_path / "out" / "calls.parquet")
    assert table.schema.field("date").type == pa.timestamp("us")
    rows = {row["path"].split("/in/")[1]: (row["date"], row["agent_id"]) for row in table.to_pylist()}
    assert rows == {"2024-03-01/A07/call_00.wav": (datetime(2024, 3, 1), "A07"),
                    "2024-03-02/A02/call_00.wav": (datetime(2024, 3, 2), "A02"),
                    "stray.wav": (None, None)}


def test_parquet_manifest_keeps_its_types(tmp_path):
    calls = good_calls(tmp_path / "in", 2)
    table = pa.table({
        "path": calls,
        "agent_id": ["A1", None],
        "n": pa.array([3, 4], type=pa.int32()),
        "day": pa.array([datetime(2024, 1, 2).date(), None], type=pa.date32()),
        "at": pa.array([datetime(2024, 1, 2, 3, 4), datetime(2024, 1, 3)], type=pa.timestamp("ms")),
    })
    pq.write_table(table, tmp_path / "list.parquet")
    run_batch([str(tmp_path / "list.parquet")], tmp_path / "out", jobs=1)
    out = pq.read_table(tmp_path / "out" / "calls.parquet")
    assert out.schema.field("n").type == pa.int64()
    assert out.schema.field("day").type == pa.timestamp("us")
    assert out.schema.field("at").type == pa.timestamp("us")
    assert [(r["agent_id"], r["n"], r["day"], r["at"]) for r in out.to_pylist()] == [
        ("A1", 3, datetime(2024, 1, 2), datetime(2024, 1, 2, 3, 4)),
        (None, 4, None, datetime(2024, 1, 3)),
    ]


def test_a_column_named_like_a_record_field_is_a_usage_error(tmp_path):
    good_calls(tmp_path / "in", 1)
    manifest = write_manifest(tmp_path / "in" / "m.csv", ["path", "dead_air_s"], [("call_00.wav", "3")])
    with pytest.raises(InputError, match="'dead_air_s' of .*m.csv has the name of the record field 'dead_air_s'"):
        expand_inputs([manifest])
    with pytest.raises(BatchUsageError, match="dead_air_s"):
        run_batch([manifest], tmp_path / "out", jobs=1)
    manifest = write_manifest(tmp_path / "in" / "k.csv", ["path", "kind"], [("call_00.wav", "x")])
    with pytest.raises(InputError, match="'kind' of .*k.csv has the name of the events column 'kind'"):
        expand_inputs([manifest])
    r = CliRunner().invoke(main, ["batch", str(tmp_path / "in" / "call_00.wav"), "-o", str(tmp_path / "o"), "--path-fields", "{status}/"])
    assert r.exit_code == 2 and "'status' of --path-fields '{status}/' has the name of the record field" in r.output
    manifest = write_manifest(tmp_path / "in" / "a.csv", ["path", "agent_id"], [("call_00.wav", "A1")])
    with pytest.raises(InputError, match="also a column of the manifest"):
        expand_inputs([manifest], path_template="{agent_id}/")


def test_a_folder_walk_adds_no_column(tmp_path):
    good_calls(tmp_path / "in", 1)
    run_batch([tmp_path / "in"], tmp_path / "out", jobs=1)
    names = pq.read_table(tmp_path / "out" / "calls.parquet").schema.names
    assert names[:3] == ["path", "call_id", "status"]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["counts"]["ok"] == 1
