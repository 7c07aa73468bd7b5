"""The command line: one JSON record, tables, one clear line for errors."""

import dataclasses
import json
import os

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from callscan.cli import main
from callscan.params import Params
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


@pytest.mark.parametrize("command,name", [
    ("features", "f.xlsx"), ("features", "missing/f.parquet"), ("features", "file/f.csv"),
    ("plot", "x.bmp"), ("plot", "missing/x.png"),
    ("analyze", "r.txt"), ("analyze", "missing/r.json"),
    ("batch", "file/out"), ("batch", "file"),
    ("summary", "s.xlsx"), ("summary", "missing/s.csv"),
    ("report", "r.pdf"), ("report", "missing/r.html"), ("report", "file/r.html"),
])
def test_bad_outputs_are_one_line_usage_errors_before_any_work(call, tmp_path, command, name):
    (tmp_path / "file").write_text("a file, not a folder")
    target = str(tmp_path / name)
    first = {"summary": [str(tmp_path), "--by", "call_id"], "report": [str(tmp_path)]}.get(command, [str(call)])
    r = CliRunner().invoke(main, [command, *first, "-o", target])
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.exit_code == 2 and len(lines) == 1 and target in lines[0], r.output
    assert "Traceback" not in r.output and not (tmp_path / name).exists() or name == "file"
    assert (tmp_path / "file").read_text() == "a file, not a folder"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc, a folder no one can write in")
@pytest.mark.parametrize("command", ["batch", "summary", "report", "analyze"])
def test_an_unwritable_output_folder_is_a_usage_error(call, tmp_path, command):
    """/proc refuses new files even to root (whom mode bits do not stop)."""
    target = {"batch": "/proc/callscan-out", "summary": "/proc/s.csv", "report": "/proc/r.html",
              "analyze": "/proc/r.json"}[command]
    first = {"summary": [str(tmp_path), "--by", "call_id"], "report": [str(tmp_path), "--no-plots"]}
    r = CliRunner().invoke(main, [command, *first.get(command, [str(call)]), "-o", target])
    assert r.exit_code == 2 and "not writable" in r.stderr and target in r.stderr, r.output


def _records(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_analyze_several_files_gives_json_lines_and_one_error_line_per_bad_file(call, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("hello")
    other = tmp_path / "other.wav"
    other.write_bytes(call.read_bytes())
    r = CliRunner().invoke(main, ["analyze", str(call), str(bad), str(tmp_path / "gone.wav"), str(other)])
    assert r.exit_code == 1
    assert [rec["path"] for rec in _records(r.stdout)] == [str(call), str(other)]
    errors = r.stderr.splitlines()
    assert len(errors) == 2 and str(bad) in errors[0] and "not a readable audio file" in errors[0]
    assert str(tmp_path / "gone.wav") in errors[1] and "no such file" in errors[1]
    r = CliRunner().invoke(main, ["analyze", str(call), str(other), "--format", "json"])
    assert r.exit_code == 2 and "--format jsonl" in r.output


def test_analyze_writes_a_file_in_the_format_of_its_extension_or_of_format(call, tmp_path):
    single = json.loads(CliRunner().invoke(main, ["analyze", str(call)]).stdout)
    r = CliRunner().invoke(main, ["analyze", str(call), "-o", str(tmp_path / "r.json"), "--indent", "2"])
    assert r.exit_code == 0 and r.stdout == "" and "wrote 1 record to" in r.stderr
    assert json.loads((tmp_path / "r.json").read_text()) == single
    assert (tmp_path / "r.json").read_text().startswith('{\n  "path"')
    r = CliRunner().invoke(main, ["analyze", str(call), str(call), "-o", str(tmp_path / "r.jsonl")])
    assert r.exit_code == 0 and _records((tmp_path / "r.jsonl").read_text()) == [single, single]
    r = CliRunner().invoke(main, ["analyze", str(call), "-o", str(tmp_path / "r.out"), "--format", "jsonl"])
    assert r.exit_code == 0 and _records((tmp_path / "r.out").read_text()) == [single]


def test_analyze_reads_the_call_from_standard_input(call):
    from_file = json.loads(CliRunner().invoke(main, ["analyze", str(call), "--events"]).stdout)
    r = CliRunner().invoke(main, ["analyze", "-", "--events"], input=call.read_bytes())
    assert r.exit_code == 0, r.output
    from_stdin = json.loads(r.stdout)
    assert from_stdin["path"] is None and from_stdin["status"] == "ok"
    same = {k: v for k, v in from_file.items() if k not in ("path", "call_id")}
    assert {k: v for k, v in from_stdin.items() if k not in ("path", "call_id")} == same
    r = CliRunner().invoke(main, ["analyze", "-"], input=b"not audio")
    assert r.exit_code == 1 and "standard input" in r.stderr and "Traceback" not in r.output


def test_analyze_takes_the_batch_config_file_and_the_command_line_wins(call, tmp_path):
    conf = tmp_path / "run.toml"
    conf.write_text('output = "results"\nformat = "csv"\njobs = 4\nagent-channel = 0\nevents = true\n'
                    "[params.measures]\ndead_air_min_s = 0.5\n")
    r = CliRunner().invoke(main, ["analyze", str(call), "--config", str(conf)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    want = Params(agent_channel=0, measures=dataclasses.replace(Params().measures, dead_air_min_s=0.5))
    assert rec["params_hash"] == want.hash() and rec["events"]
    r = CliRunner().invoke(main, ["analyze", str(call), "--config", str(conf), "--agent-channel", "1"])
    assert json.loads(r.stdout)["params_hash"] == want.replace(agent_channel=1).hash()
    conf.write_text("jbos = 2\n")
    r = CliRunner().invoke(main, ["analyze", str(call), "--config", str(conf)])
    assert r.exit_code == 2 and "unknown option 'jbos'" in r.output


def test_quiet_prints_only_errors_and_verbose_a_line_per_file(call, tmp_path):
    r = CliRunner().invoke(main, ["features", str(call), "-o", str(tmp_path / "f.csv"), "-q"])
    assert r.exit_code == 0 and r.stderr == ""
    r = CliRunner().invoke(main, ["analyze", str(call), str(tmp_path / "gone.wav"), "-q"])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "gone.wav" in r.stderr
    r = CliRunner().invoke(main, ["analyze", str(call), "-v"])
    assert r.exit_code == 0 and r.stderr.startswith("ok call ") and str(call) in r.stderr
    r = CliRunner().invoke(main, ["analyze", str(call), "-q", "-v"])
    assert r.exit_code == 2 and "exclude each other" in r.output
    r = CliRunner().invoke(main, ["warmup", "-q"])
    assert r.exit_code == 0 and r.stderr == ""
