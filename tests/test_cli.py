"""The command line: one JSON record, tables, one clear line for errors."""

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from callscan.cli import main
from tests.support import speechlike


@pytest.fixture
def call(tmp_path):
    x = np.stack([speechlike(8000, 4.0, 210, 3), np.zeros(32000, np.float32) + 1e-4])
    x[1, 16000:24000] = speechlike(8000, 1.0, 100, 4)
    p = tmp_path / "call.wav"
    sf.write(p, x.T, 8000, subtype="PCM_16")
    return p


def test_analyze_prints_one_json_record(call):
    r = CliRunner().invoke(main, ["analyze", str(call), "--events"])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    assert rec["status"] == "ok" and rec["mode"] == "stereo"
    assert rec["customer_talk_s"] > 3.0 and 0.8 < rec["agent_talk_s"] < 1.2
    assert {e["kind"] for e in rec["events"]} >= {"speech", "overlap"}


def test_agent_channel_option_swaps_parties(call):
    a = json.loads(CliRunner().invoke(main, ["analyze", str(call)]).output)
    b = json.loads(CliRunner().invoke(main, ["analyze", str(call), "--agent-channel", "0"]).output)
    assert a["agent_talk_s"] == b["customer_talk_s"] and a["params_hash"] != b["params_hash"]


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_features_table(call, tmp_path, ext):
    out = tmp_path / f"frames.{ext}"
    r = CliRunner().invoke(main, ["features", str(call), "-o", str(out)])
    assert r.exit_code == 0, r.output
    if ext == "parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(out).to_pydict()
    else:
        import csv

        with open(out) as f:
            rows = list(csv.DictReader(f))
        t = {k: [row[k] for row in rows] for k in rows[0]}
    assert {"channel", "time_s", "energy_db", "speech"} <= set(t)
    assert len(t["channel"]) == 2 * 400


def test_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / "notaudio.wav"
    bad.write_text("hello")
    r = CliRunner().invoke(main, ["analyze", str(bad)])
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(bad) in lines[0] and "not a readable audio file" in lines[0]


def test_every_command_has_help():
    for name, cmd in main.commands.items():
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0 and cmd.help and "Usage" in r.output


def test_negative_indent_is_a_usage_error(call):
    r = CliRunner().invoke(main, ["analyze", str(call), "--indent", "-3"])
    assert r.exit_code == 2 and "--indent" in r.output


def test_maintainer_option_is_not_shown_to_users():
    r = CliRunner().invoke(main, ["measures", "--help"])
    assert r.exit_code == 0 and "--update" not in r.output


@pytest.mark.parametrize("command,name", [("features", "f.xlsx"), ("features", "missing/f.parquet"),
                                          ("plot", "x.bmp"), ("plot", "missing/x.png")])
def test_bad_outputs_are_usage_errors_before_any_work(call, tmp_path, command, name):
    r = CliRunner().invoke(main, [command, str(call), "-o", str(tmp_path / name)])
    assert r.exit_code == 2 and "Traceback" not in r.output and str(tmp_path / name) in r.output
    assert not (tmp_path / name).exists()
