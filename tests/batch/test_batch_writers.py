"""Batch output files: tables in three formats, segment files, atomic writes."""

import csv
import json
import math
import os

import pyarrow.parquet as pq
import pytest

from callscan.writers import atomic_path, audacity_lines, rttm_lines, write_table

COLUMNS = ["path", "status", "error", "talk_s", "count", "warnings", "crosstalk", "quarters"]
ROWS = [
    {"path": "/a.wav", "status": "ok", "error": None, "talk_s": 1.5, "count": 2,
     "warnings": ["mono; saved as stereo", "clipped"], "crosstalk": None, "quarters": [0.1, 0.2]},
    {"path": "/b.wav", "status": "failed", "error": "/b.wav: empty file (0 bytes)"},
    {"path": "/c.wav", "status": "ok", "error": None, "talk_s": 3, "count": 0, "warnings": [],
     "crosstalk": None, "quarters": [1, None]},
]


def test_parquet_keeps_order_types_lists_and_metadata(tmp_path):
    out = tmp_path / "calls.parquet"
    assert write_table(str(out), "parquet", COLUMNS, lambda: ROWS, {"params_hash": "abc"}) == 3
    t = pq.read_table(out)
    assert t.column_names == COLUMNS
    types = {f.name: str(f.type) for f in t.schema}
    assert types["talk_s"] == "double" and types["count"] == "int64"  # 1.5 and 3 together: double
    assert types["error"] == "string" and types["crosstalk"] == "double"  # all null, typed by name
    assert types["warnings"] == "list<element: string>" and types["quarters"] == "list<element: double>"
    assert t.column("warnings").to_pylist() == [["mono; saved as stereo", "clipped"], None, []]
    assert t.column("quarters").to_pylist() == [[0.1, 0.2], None, [1.0, None]]
    assert json.loads(t.schema.metadata[b"callscan"]) == {"params_hash": "abc"}


def test_jsonl_and_csv_rows(tmp_path):
    rows = ROWS + [{"path": "/d.wav", "status": "ok", "talk_s": math.nan, "warnings": []}]
    write_table(str(tmp_path / "c.jsonl"), "jsonl", COLUMNS, lambda: rows)
    lines = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert [list(r) for r in lines] == [COLUMNS] * 4
    assert lines[0]["warnings"] == ["mono; saved as stereo", "clipped"]
    assert lines[1]["talk_s"] is None and lines[3]["talk_s"] is None  # missing and NaN
    write_table(str(tmp_path / "c.csv"), "csv", COLUMNS, lambda: rows)
    with open(tmp_path / "c.csv", newline="") as f:
        got = list(csv.DictReader(f))
    assert list(got[0]) == COLUMNS
    assert got[0]["warnings"] == "mono; saved as stereo; clipped"
    assert got[1]["talk_s"] == "" and got[3]["talk_s"] == "" and got[2]["talk_s"] == "3"


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "calls.csv"
    out.write_text("old\n")

    def broken():
        yield ROWS[0]
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_table(str(out), "csv", COLUMNS, broken)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv"]
    with atomic_path(str(out)) as tmp:
        with open(tmp, "w") as f:
            f.write("new\n")
    assert out.read_text() == "new\n"


EVENTS = [
    {"kind": "speech", "party": "customer", "start_s": 5.03, "end_s": 11.86},
    {"kind": "overlap", "party": None, "start_s": 5.03, "end_s": 5.45},
    {"kind": "speech", "party": "agent", "start_s": 2.02, "end_s": 5.45},
    {"kind": "dead_air", "party": None, "start_s": 11.86, "end_s": 23.23},
]


def test_rttm_has_one_speaker_line_per_speech_event():
    assert rttm_lines("demo call", EVENTS) == [
        "SPEAKER demo_call 1 2.020 3.430 <NA> <NA> agent <NA> <NA>",
        "SPEAKER demo_call 1 5.030 6.830 <NA> <NA> customer <NA> <NA>",
    ]
    mono = [{"kind": "speech", "party": None, "start_s": 1.0, "end_s": 2.5}]
    assert rttm_lines("m", mono) == ["SPEAKER m 1 1.000 1.500 <NA> <NA> speaker <NA> <NA>"]


def test_audacity_labels_list_every_event_in_time_order():
    assert audacity_lines(EVENTS) == [
        "2.020000\t5.450000\tagent speech",
        "5.030000\t5.450000\toverlap",
        "5.030000\t11.860000\tcustomer speech",
        "11.860000\t23.230000\tdead_air",
    ]


def test_file_names_that_are_not_utf8_are_written_with_a_replacement_character(tmp_path):
    name = os.fsdecode(b"/archive/caf\xe9.wav")  # a Latin-1 name on a UTF-8 system
    rows = [{"path": name, "status": "ok", "warnings": [name]}]
    for fmt in ("parquet", "jsonl", "csv"):
        out = tmp_path / f"calls.{fmt}"
        write_table(str(out), fmt, ["path", "status", "warnings"], lambda: rows)
        text = str(pq.read_table(out).to_pylist()) if fmt == "parquet" else out.read_text(encoding="utf-8")
        assert "/archive/caf\ufffd.wav" in text


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    from callscan.writers import remove_stale_temporaries

    for name in (".calls.parquet.tmp-4242", ".run.json.tmp-17", "calls.parquet", ".keep.tmp-x", "notes.tmp-12"):
        (tmp_path / name).write_text("x")
    assert remove_stale_temporaries(str(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep.tmp-x", "calls.parquet", "notes.tmp-12"]
