"""The HTML report over a batch (callscan.view.report, ``callscan report``)."""

import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from callscan.batch.outputs import call_columns
from callscan.batch.read import read_batch, read_table
from callscan.batch.run import run_batch
from callscan.cli import main
from callscan.view.report import MEASURES, measure_value, write_report
from callscan.writers import write_table
from tests.support import FIXTURES

CALLS = ("interruptions.flac", "hold_mute.flac", "demo_call.wav")


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    """A finished batch: three fixture calls, one unreadable file, one call whose audio is gone."""
    pytest.importorskip("matplotlib")
    root = tmp_path_factory.mktemp("report")
    inputs = root / "in"
    inputs.mkdir()
    for name in CALLS:
        shutil.copy(FIXTURES / name, inputs / name)
    shutil.copy(FIXTURES / "busy_call.flac", inputs / "gone.flac")
    (inputs / "broken.wav").write_text("not audio")
    out = root / "out"
    run_batch([str(inputs)], str(out), jobs=2, events=True)
    (inputs / "gone.flac").unlink()
    result = write_report(str(out))
    return out, result


def test_report_draws_a_picture_per_reachable_call_and_links_it(batch_dir):
    out, result = batch_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    assert result.plots == 3 and sorted(os.listdir(out / "plots")) == sorted(
        n.rsplit(".", 1)[0] + ".png" for n in CALLS
    )
    assert any("1 calls whose audio is not at its recorded path" in n for n in result.notes)
    links = re.findall(r'<a href="([^"]+)"', page)
    assert sorted(links) == sorted(f"plots/{n.rsplit('.', 1)[0]}.png" for n in CALLS)
    assert all((out / link).is_file() for link in links)
    assert page.count("<tr>") == 1 + 5  # heading + one row per input, the failed one too
    assert "failed: unreadable" in page
    assert page.count('<svg class="hist"') == len(MEASURES)


def test_report_is_self_contained(batch_dir):
    out, _ = batch_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<(link|img|iframe)\b", page)
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"(https?:)?//[a-z]", page.replace("</", ""))
    assert "@import" not in page and "url(" not in page


def test_report_values_match_the_calls_table(batch_dir):
    out, _ = batch_dir
    rows = read_batch(str(out)).rows
    ok = [r for r in rows if r["status"] == "ok"]
    worst = max(ok, key=lambda r: r["dead_air_s"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"worst {worst['dead_air_s']:.1f} ({worst['call_id']})" in page
    r = ok[0]
    assert measure_value(r, "interruptions") == r["interruptions_by_agent"] + r["interruptions_by_customer"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed")


def dump_dom(page, tmp_path, fragment=""):
    """The DOM of a page after its scripts ran, from headless Chromium."""
    cmd = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri() + fragment,
    ]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_report_renders_in_chromium_without_script_errors(batch_dir, tmp_path):
    out, _ = batch_dir
    dom = dump_dom(out / "report.html", tmp_path)
    assert 'data-status="ready"' in dom
    assert re.search(r'<pre id="script-errors" hidden=""></pre>', dom)
    # The script sorted the table worst first on dead air.
    assert 'data-sorted-by="dead_air_s"' in dom and 'data-order="worst-first"' in dom
    rows = read_batch(str(out)).rows
    ok = sorted((r for r in rows if r["status"] == "ok"), key=lambda r: -r["dead_air_s"])
    order = row_order(dom)
    assert order[: len(ok)] == [r["call_id"] for r in ok]
    assert order[-1] == "broken"  # a failed call has no values: last


def row_order(dom):
    return re.findall(r'<tr><td data-v="([^"]+)"', dom.split("<tbody>", 1)[1])


def test_clicking_a_heading_sorts_worst_first_then_best_first(batch_dir, tmp_path):
    out, _ = batch_dir
    ok = [r for r in read_batch(str(out)).rows if r["status"] == "ok"]
    # The page clicks the heading named in the URL fragment (once, or twice for ",best").
    dom = dump_dom(out / "report.html", tmp_path, "#sort=agent_talk_share")
    assert 'data-sorted-by="agent_talk_share"' in dom and 'data-order="worst-first"' in dom
    far = sorted(ok, key=lambda r: -abs(r["agent_talk_share"] - 0.5))
    assert row_order(dom)[: len(ok)] == [r["call_id"] for r in far]
    dom = dump_dom(out / "report.html", tmp_path, "#sort=overlap_share,best")
    assert 'data-order="best-first"' in dom and 'data-status="ready"' in dom
    assert row_order(dom)[: len(ok)] == [r["call_id"] for r in sorted(ok, key=lambda r: r["overlap_share"])]


def test_a_script_error_is_caught(batch_dir, tmp_path):
    out, _ = batch_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("var body = table.tBodies[0];", "var body = table.noSuchThing[0];"))
    dom = dump_dom(broken, tmp_path)
    assert 'data-status="error"' in dom and "TypeError" in dom


def test_cli_report_without_plots(batch_dir, tmp_path):
    out, _ = batch_dir
    target = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(out), "-o", str(target), "--no-plots"])
    assert r.exit_code == 0, r.output
    page = target.read_text(encoding="utf-8")
    # The pictures already in OUTDIR/plots are linked, relative to the page.
    assert os.path.relpath(out / "plots" / "demo_call.png", tmp_path) in page
    r = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert r.exit_code == 1 and "not the output folder of a finished batch" in r.output


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_read_table_gives_back_what_was_written(tmp_path, fmt):
    rows = [
        {"path": "/a/001.wav", "call_id": "001", "status": "ok", "dead_air_s": 3.5, "turns": 4,
         "warnings": ["w1", "w2"], "error": None},
        {"path": "/a/002.wav", "call_id": "002", "status": "failed", "dead_air_s": None, "turns": None,
         "warnings": [], "error": "bad"},
    ]
    path = str(tmp_path / f"calls.{fmt}")
    write_table(path, fmt, call_columns(rows), lambda: rows)
    back = read_table(path)
    assert [b["call_id"] for b in back] == ["001", "002"]
    assert back[0]["dead_air_s"] == 3.5 and back[0]["turns"] == 4 and back[1]["dead_air_s"] is None


def test_report_has_a_per_agent_table_when_rows_have_agent_id(tmp_path):
    from callscan.view.report import group_table

    rows = [{"status": "ok", "agent_id": a, "duration_s": 3600.0, "interruptions_by_agent": n}
            for a, n in (("A1", 2), ("A1", 4), ("A2", 9))]
    page = group_table(rows, "agent_id")
    assert page.count("<tr>") == 3 and "<td>A1</td><td>2</td>" in page and "<td>A2</td><td>1</td>" in page
    assert group_table([{"status": "ok"}], "agent_id") == ""
