"""The record schema: every record the fixtures give validates; the version is pinned."""

import hashlib
import json

import jsonschema
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from callscan.analyze import analyze_call
from callscan.batch.run import run_batch
from callscan.batch.work import Work, failed_entry
from callscan.cli import main
from callscan.record.schema import SCHEMA_VERSION, record_schema
from tests.support import FIXTURES, cut

# One fingerprint per schema version. A change of the schema (a field added, removed,
# renamed, or its type, unit or definition changed) must come with a new SCHEMA_VERSION
# (engine/record/schema.py: MAJOR for changes that can break a consumer, MINOR for additions)
# and its fingerprint here.
FINGERPRINTS = {
    "1.0": "4ce900f61d5a21fe",
    "1.1": "2127997321d06568",
}

CALLS = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".wav", ".flac"))


def fingerprint(schema):
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def validator():
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def records():
    return {p.name: analyze_call(str(p), events=True) for p in CALLS}


def errors_of(validator, record):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)]


def test_schema_version_is_pinned():
    assert SCHEMA_VERSION in FINGERPRINTS, f"add the fingerprint of schema {SCHEMA_VERSION} to FINGERPRINTS"
    assert fingerprint(record_schema()) == FINGERPRINTS[SCHEMA_VERSION], (
        "the record schema changed: bump SCHEMA_VERSION in engine/record/schema.py (MAJOR when a field's "
        "meaning, type or unit changes or a field goes, MINOR when one is added) and add "
        f"{fingerprint(record_schema())!r} for it here"
    )


def test_fixtures_give_at_least_the_known_calls():
    assert len(CALLS) >= 8


@pytest.mark.parametrize("name", [p.name for p in CALLS])
def test_every_fixture_record_validates_with_and_without_events(validator, records, name):
    record = records[name]
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["events"], "the fixture calls all have speech events"
    assert errors_of(validator, record) == []
    plain = {k: v for k, v in record.items() if k != "events"}
    assert errors_of(validator, plain) == []


def test_a_record_analysed_without_events_validates(validator):
    record = analyze_call(str(FIXTURES / "demo_call.wav"))
    assert "events" not in record and errors_of(validator, record) == []


def test_the_schema_rejects_what_it_should(validator, records):
    good = records["demo_call.wav"]
    assert errors_of(validator, {**good, "unexpected_field": 1})
    assert errors_of(validator, {**good, "overlap_s": "3.1"})
    assert errors_of(validator, {**good, "mode": "quad"})
    missing = dict(good)
    del missing["dead_air_s"]
    assert errors_of(validator, missing), "an ok record must hold every measure"
    bad_event = {**good, "events": [{**good["events"][0], "kind": "sneeze"}]}
    assert errors_of(validator, bad_event)


@pytest.mark.parametrize("events", [False, True])
def test_failed_rows_validate(validator, events):
    entry = failed_entry("/x/a.wav", Work(events=events), "empty", "/x/a.wav: empty file (0 bytes)")
    row = entry["record"]
    assert row["status"] == "failed" and row["schema_version"] == SCHEMA_VERSION
    assert errors_of(validator, row) == []
    with_events = {**row, "events": entry["events"]} if events else row
    assert errors_of(validator, with_events) == []


def test_batch_rows_and_parquet_metadata(validator, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    cut(folder / "a.wav")
    (folder / "b.wav").write_bytes(b"not audio at all")
    out = tmp_path / "out"
    result = run_batch([str(folder)], str(out), jobs=1, events=True, warmup=False)
    assert (result.ok, result.n_failed) == (1, 1)
    meta = json.loads(pq.read_schema(out / "calls.parquet").metadata[b"callscan"])
    assert meta["schema_version"] == SCHEMA_VERSION
    rows = pq.read_table(out / "calls.parquet").to_pylist()
    assert [r["status"] for r in rows] == ["ok", "failed"]
    for row in rows:
        assert row["schema_version"] == SCHEMA_VERSION
        assert errors_of(validator, row) == []


def test_cli_prints_the_schema():
    r = CliRunner().invoke(main, ["schema"])
    assert r.exit_code == 0
    assert json.loads(r.output) == record_schema()
