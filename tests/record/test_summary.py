"""`callscan summary`: one row per group, checked against DuckDB's GROUP BY over calls.parquet."""

import json
import math
import random

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from callscan.batch.read import read_table
from callscan.batch.run import run_batch
from callscan.cli import main
from callscan.record import summary as sm
from callscan.record.glossary import to_markdown
from callscan.record.rules import load_rules
from callscan.writers import write_json, write_table
from tests.support import ROOT, good_calls

duckdb = pytest.importorskip("duckdb", reason="the DuckDB comparison needs `pip install duckdb` (in [test])")

OK = "status = 'ok'"


def duckdb_summary(calls, by="agent_id", rules=()):
    """The summary by plain SQL, written from the glossary's definitions, not from callscan's code."""
    parts = [
        f"count(*) FILTER (WHERE {OK}) AS calls",
        f"count(*) FILTER (WHERE status <> 'ok') AS failed",
        f"coalesce(sum(duration_s) FILTER (WHERE {OK}), 0) / 3600 AS audio_h",
    ]
    for name, _, _ in sm.HEADLINE:
        parts.append(f"median({name}) FILTER (WHERE {OK} AND isfinite({name})) AS {name}_median")
        parts.append(f"quantile_cont({name}, 0.9) FILTER (WHERE {OK} AND isfinite({name})) AS {name}_p90")
    for column, count, exposure, per, _, _ in sm.RATES:
        known = f"{OK} AND {count} IS NOT NULL AND {exposure} IS NOT NULL"
        parts.append(f"sum({count}) FILTER (WHERE {known}) / "
                     f"nullif(sum({exposure}) FILTER (WHERE {known}) / {per}, 0) AS {column}")
    if rules:
        parts.append(f"avg(CASE WHEN len(flags) > 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE {OK}) AS flagged_share")
        for rule in rules:
            parts.append(f"avg(CASE WHEN list_contains(flags, '{rule}') THEN 1.0 ELSE 0.0 END) "
                         f"FILTER (WHERE {OK}) AS flagged_{rule}_share")
    sql = f"SELECT {by}, {', '.join(parts)} FROM read_parquet(?) GROUP BY {by} ORDER BY {by} NULLS LAST"
    con = duckdb.connect()
    cur = con.execute(sql, [str(calls)])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        for key, expected in b.items():
            got = a.get(key)
            if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                assert got is None, (key, a, b)
            elif isinstance(expected, float):
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), (key, got, expected)
            else:
                assert got == expected, (key, got, expected)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Twelve real calls of three agents (one call without an agent), two unreadable files (one of them
    the only call of agent A9), QA rules."""
    root = tmp_path_factory.mktemp("summary")
    good_calls(root / "in", 12)
    (root / "in" / "broken.wav").write_text("not audio")
    (root / "in" / "broken_a9.wav").write_text("not audio")
    lines = ["path,agent_id,team"]
    for i in range(12):
        lines.append(f"call_{i:02d}.wav,{'' if i == 11 else 'A%d' % (i % 3)},{'blue' if i % 2 else 'red'}")
    lines.append("broken.wav,A1,red")
    lines.append("broken_a9.wav,A9,red")
    (root / "in" / "m.csv").write_text("\n".join(lines) + "\n")
    rules = load_rules("active-listening")
    run_batch([str(root / "in" / "m.csv")], root / "out", jobs=2, rules=rules)
    return root / "out", [r.name for r in rules.rules]


def test_summary_equals_duckdb_group_by_on_a_real_batch(batch):
    out, rules = batch
    target = out / "by_agent.parquet"
    r = CliRunner().invoke(main, ["summary", str(out), "--by", "agent_id", "-o", str(target)])
    assert r.exit_code == 0, r.output
    ours = pq.read_table(target).to_pylist()
    theirs = duckdb_summary(out / "calls.parquet", rules=rules)
    assert [g["agent_id"] for g in ours] == ["A0", "A1", "A2", "A9", None]
    assert [g["calls"] for g in ours] == [4, 4, 3, 0, 1] and [g["failed"] for g in ours] == [0, 1, 0, 1, 0]
    assert_same(ours, theirs)


def test_summary_equals_duckdb_on_a_table_with_nulls_outliers_and_many_groups(tmp_path):
    """Synthetic rows: every kind of null, ties, one-call groups, an all-failed group."""
    rng = random.Random(7)
    rows = []
    for i in range(600):
        agent = f"A{rng.randrange(25):02d}"
        if i % 97 == 0:
            rows.append({"path": f"/a/{i}.wav", "call_id": str(i), "agent_id": agent, "status": "failed",
                         "error_kind": "unreadable", "flags": []})
            continue
        row = {"path": f"/a/{i}.wav", "call_id": str(i), "agent_id": agent, "status": "ok",
               "duration_s": rng.uniform(30, 1800), "customer_talk_s": rng.choice([None, rng.uniform(0, 600)]),
               "interruptions_by_agent": rng.choice([None, rng.randrange(12)]),
               "backchannels_by_agent": rng.randrange(40), "dead_air_count_5s": rng.randrange(5),
               "flags": rng.sample(["long_silence", "agent_interrupts"], rng.randrange(3))}
        for name, _, _ in sm.HEADLINE:
            row[name] = rng.choice([None, round(rng.gauss(1, 2), 2), 0.5])
        rows.append(row)
    rows.append({"path": "/a/x.wav", "call_id": "x", "agent_id": "Z9", "status": "failed", "flags": []})
    columns = list(dict.fromkeys(k for r in rows for k in r))
    write_table(str(tmp_path / "calls.parquet"), "parquet", columns, lambda: rows)
    ours = sm.summarize(read_table(str(tmp_path / "calls.parquet")), ["agent_id"],
                        rules=["long_silence", "agent_interrupts"])
    theirs = duckdb_summary(tmp_path / "calls.parquet", rules=["long_silence", "agent_interrupts"])
    assert_same(ours, theirs)
    assert ours[-1]["agent_id"] == "Z9" and ours[-1]["calls"] == 0 and ours[-1]["dead_air_s_median"] is None


def test_ratio_to_the_median_group():
    rows = [{"status": "ok", "agent_id": a, "duration_s": 3600.0, "interruptions_by_agent": n, "dead_air_s": d}
            for a, n, d in (("A", 1, 10.0), ("B", 2, 20.0), ("C", 6, 40.0))]
    out = {g["agent_id"]: g for g in sm.summarize(rows, ["agent_id"])}
    assert [out[a]["agent_interruptions_per_h_ratio"] for a in "ABC"] == [0.5, 1.0, 3.0]
    assert [out[a]["dead_air_s_median_ratio"] for a in "ABC"] == [0.5, 1.0, 2.0]
    assert out["A"]["overlap_share_median"] is None and out["A"]["overlap_share_median_ratio"] is None


def test_quantiles_interpolate_linearly_as_numpy_and_duckdb():
    values = [1.0, 2.0, 4.0, 10.0]
    assert sm.quantile(values, 0.9) == pytest.approx(np.quantile(values, 0.9)) == pytest.approx(8.2)
    assert sm.quantile(values, 0.5) == 3.0 and sm.quantile([math.nan, None], 0.5) is None


def test_summary_on_stdout_shows_n_and_marks_small_groups(batch):
    out, _ = batch
    r = CliRunner().invoke(main, ["summary", str(out), "--by", "team", "--by", "agent_id"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split()[:4] == ["team", "agent_id", "calls", "failed"]
    assert any(line.startswith("blue") and "(none)" in line for line in lines)
    assert "fewer than 10 calls" in lines[-1]
    r = CliRunner().invoke(main, ["summary", str(out), "--by", "agent"])
    assert r.exit_code == 2 and "no column 'agent'" in r.output and "agent_id" in r.output
    for ext in ("csv", "jsonl"):
        target = out / f"s.{ext}"
        r = CliRunner().invoke(main, ["summary", str(out), "--by", "agent_id", "-o", str(target)])
        assert r.exit_code == 0 and [g["calls"] for g in read_table(str(target))] == [4, 4, 3, 0, 1]


def test_duckdb_reads_the_tables_with_their_types(batch):
    out, _ = batch
    types = dict(duckdb.connect().execute(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
        [str(out / "calls.parquet")]).fetchall())
    assert types["duration_s"] == "DOUBLE" and types["dead_air_s"] == "DOUBLE"
    assert types["interruptions_by_agent"] == "BIGINT" and types["turns"] == "BIGINT"
    assert types["agent_id"] == "VARCHAR" and types["path"] == "VARCHAR"
    assert types["flags"] == "VARCHAR[]"


def test_summary_columns_are_in_the_glossary_and_the_readme():
    names = {f.name for f in sm.FIELDS}
    rows = [{"status": "ok", "agent_id": "A", "duration_s": 60.0, "flags": ["x"]}]
    got = sm.summarize(rows, ["agent_id"])[0]
    for column in got:
        assert column == "agent_id" or column in names or column == "flagged_x_share"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert to_markdown(fields=sm.FIELDS) in text, "README summary glossary is stale: callscan measures --update README.md"


def test_run_json_is_enough_for_a_summary_of_a_hand_written_table(tmp_path):
    rows = [{"path": "/a.wav", "call_id": "a", "status": "ok", "agent_id": "A", "duration_s": 7200.0,
             "interruptions_by_agent": 4}]
    write_table(str(tmp_path / "calls.parquet"), "parquet", list(rows[0]), lambda: rows)
    write_json(str(tmp_path / "run.json"), {"outputs": {"calls": "calls.parquet"}})
    r = CliRunner().invoke(main, ["summary", str(tmp_path), "--by", "agent_id", "-o", str(tmp_path / "s.jsonl")])
    assert r.exit_code == 0, r.output
    (got,) = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert got["agent_interruptions_per_h"] == 2.0 and got["audio_h"] == 2.0


def readme_block(lang):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Summaries per agent, team or day", 1)[1]
    return section.split(f"```{lang}\n", 1)[1].split("```", 1)[0]


def test_the_readme_queries_in_duckdb_and_pandas_give_the_summary(batch):
    pd = pytest.importorskip("pandas")
    out, _ = batch
    ours = sm.summarize(read_table(str(out / "calls.parquet")), ["agent_id"])
    assert any(g["calls"] == 0 and g["failed"] for g in ours)  # a group whose every call failed is kept
    sql = readme_block("sql").replace("'results/calls.parquet'", f"'{out / 'calls.parquet'}'")
    cur = duckdb.connect().execute(sql)
    names = [d[0] for d in cur.description]
    assert_same(ours, [dict(zip(names, row)) for row in cur.fetchall()])
    scope = {}
    exec(readme_block("python").replace('"results/calls.parquet"', repr(str(out / "calls.parquet"))), scope)
    frame = scope["by_agent"].reset_index()
    got = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]
    got.sort(key=lambda g: (g["agent_id"] is None, g["agent_id"] or ""))
    assert_same(ours, got)
