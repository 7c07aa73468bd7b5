"""The HTML report over a batch (callscan.view.report, page, pictures; ``callscan report``)."""

import base64
import os
import re
import shutil

import pytest
from click.testing import CliRunner

from callscan.batch.outputs import call_columns
from callscan.batch.read import BatchOutput, read_batch, read_table
from callscan.batch.run import run_batch
from callscan.cli import main
from callscan.view import pictures
from callscan.view.page import render
from callscan.view.report import MAX_FAILED, MAX_GROUPS, MEASURES, measure_value, report_content, worth_a_look, write_report
from callscan.writers import write_table
from tests.support import FIXTURES
from tests.view.browser import Visit, why_not

CALLS = ("interruptions.flac", "hold_mute.flac", "demo_call.wav")


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    """A finished batch: three fixture calls, one unreadable file, one call whose audio is gone; agents."""
    pytest.importorskip("matplotlib")
    root = tmp_path_factory.mktemp("report")
    inputs = root / "in"
    inputs.mkdir()
    for name in CALLS:
        shutil.copy(FIXTURES / name, inputs / name)
    shutil.copy(FIXTURES / "busy_call.flac", inputs / "gone.flac")
    (inputs / "broken.wav").write_text("not audio")
    names = [*CALLS, "gone.flac", "broken.wav"]
    (inputs / "m.csv").write_text("path,agent_id\n" + "".join(f"{n},A{i % 2}\n" for i, n in enumerate(names)))
    out = root / "out"
    run_batch([str(inputs / "m.csv")], str(out), jobs=2, events=True)
    (inputs / "gone.flac").unlink()
    result = write_report(str(out), jobs=2)
    return out, result


def page_of(out):
    return (out / "report.html").read_text(encoding="utf-8")


def embedded(page):
    """The PNGs in the page, decoded: {figure id: bytes}."""
    found = re.findall(r'<figure class="pic" id="(pic-\d+)">.*?<img src="data:image/png;base64,([^"]+)"', page)
    return {fid: base64.b64decode(data) for fid, data in found}


def test_report_embeds_a_picture_per_reachable_call(batch_dir):
    out, result = batch_dir
    page = page_of(out)
    assert result.plots == 3 and result.reused == 0
    assert sorted(os.listdir(out / "plots")) == sorted(n.rsplit(".", 1)[0] + ".png" for n in CALLS)
    assert any("1 calls whose audio is not at its recorded path" in n for n in result.notes)
    pngs = embedded(page)
    assert len(pngs) == 3 and all(png.startswith(b"\x89PNG") for png in pngs.values())
    # The embedded pictures are the files in plots/, which carry their key.
    files = {(out / "plots" / n).read_bytes() for n in os.listdir(out / "plots")}
    assert set(pngs.values()) == files
    links = re.findall(r'<a href="#(pic-\d+)"', page)
    assert sorted(links) == sorted(pngs)
    assert page.count('<svg class="hist"') == len(MEASURES)


def test_pictures_are_small_palette_pngs_with_their_key(batch_dir):
    from PIL import Image

    out, _ = batch_dir
    for name in os.listdir(out / "plots"):
        with Image.open(out / "plots" / name) as im:
            assert im.mode == "P" and len(im.getpalette()) // 3 <= pictures.COLORS
            key = im.text[pictures.KEY_CHUNK]
        assert '"params_hash"' in key and '"mtime_ns"' in key
        assert os.path.getsize(out / "plots" / name) < 40_000


def test_failed_calls_have_their_section(batch_dir):
    out, _ = batch_dir
    page = page_of(out)
    section = page.split("<h2>Failed calls</h2>", 1)[1].split("</table>", 1)[0]
    assert "broken.wav" in section and "<td>unreadable</td>" in section
    assert section.count("<tr>") == 2  # heading + the one failed call


def test_report_is_self_contained(batch_dir):
    out, _ = batch_dir
    page = page_of(out)
    assert not re.search(r"<(link|iframe)\b", page)
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'<img src="([^"]+)"', page))
    assert not re.search(r"<script[^>]*\bsrc=", page)
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", page).replace("</", "")
    assert not re.search(r"(https?:)?//[a-z]", text)
    assert "@import" not in page and "url(" not in page


def test_report_values_match_the_calls_table(batch_dir):
    out, _ = batch_dir
    rows = read_batch(str(out)).rows
    ok = [r for r in rows if r["status"] == "ok"]
    worst = max(ok, key=lambda r: r["dead_air_s"])
    page = page_of(out)
    assert f"worst {worst['dead_air_s']:.1f} ({worst['call_id']})" in page
    r = ok[0]
    assert measure_value(r, "interruptions") == r["interruptions_by_agent"] + r["interruptions_by_customer"]
    groups = page.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    assert groups.count("<tr>") == 3 and ">A0</td><td>2</td><td>1</td>" in groups  # A0: 2 ok, broken failed


def test_a_second_report_reuses_the_pictures_and_redraws_a_changed_call(batch_dir, tmp_path):
    out, _ = batch_dir
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    again = write_report(str(copy), jobs=1)
    assert again.plots == 0 and again.reused == 3
    assert embedded(page_of(copy)) == embedded(page_of(out))
    # A call whose file changed (its mtime) is drawn again, in one process: the same picture as the pool drew.
    audio = next(r["path"] for r in read_batch(str(copy)).rows if r["path"].endswith("demo_call.wav"))
    st = os.stat(audio)
    before = (copy / "plots" / "demo_call.png").read_bytes()
    os.utime(audio, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    try:
        third = write_report(str(copy), jobs=1)
    finally:
        os.utime(audio, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert third.plots == 1 and third.reused == 2
    after = (copy / "plots" / "demo_call.png").read_bytes()
    assert after != before and pixels(after) == pixels(before)  # a new key, the same image


def pixels(png):
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return im.convert("RGB").tobytes()


def rows_for_selection(n=60):
    rows = []
    for i in range(n):
        rows.append({"path": f"/a/{i}.wav", "call_id": f"c{i:02d}", "status": "ok" if i % 10 else "failed",
                     "agent_talk_share": (i * 7 % 11) / 10, "overlap_share": (i * 13 % 17) / 100,
                     "dead_air_s": float(i % 23), "interruptions_by_agent": i % 5, "interruptions_by_customer": 1,
                     "customer_agitation_shift": ((i * 5) % 9 - 4) / 10,
                     "flags": ["long_silence"] if i % 3 == 0 else [], "dead_air_longest_s": 12.5})
    return rows


def test_worth_a_look_is_the_flagged_and_the_worst_each_once():
    rows = rows_for_selection()
    top = 4
    picks, left = worth_a_look(rows, {"long_silence": "dead_air_longest_s > 10"}, top)
    ok = [i for i, r in enumerate(rows) if r["status"] == "ok"]
    expected = set()
    for m in MEASURES:
        def bad(i, m=m):
            v = measure_value(rows[i], m.key)
            return abs(v - 0.5) if m.worse == "far" else v

        expected |= set(sorted(ok, key=lambda i: (-bad(i), i))[:top])
    flagged = [i for i in ok if rows[i]["flags"]]
    expected |= set(flagged[:top])
    assert [p.index for p in picks] == sorted(expected)
    assert left == {"long_silence": len(flagged) - top}
    first = next(p for p in picks if p.index == flagged[0])
    assert first.reasons[0] == "flagged long_silence: dead_air_longest_s > 10 (dead_air_longest_s = 12.5)"
    worst_dead_air = max(ok, key=lambda i: (rows[i]["dead_air_s"], -i))
    pick = next(p for p in picks if p.index == worst_dead_air)
    assert f"dead air (s) #1 of {len(ok)}" in pick.reasons[-1]


def test_measure_arrays_are_measure_value_for_every_row():
    import math

    from callscan.view.columns import measure_arrays

    rows = rows_for_selection(30)
    rows[3]["dead_air_s"] = None
    rows[4]["overlap_share"] = float("nan")
    rows[5]["interruptions_by_agent"] = None
    rows[6]["interruptions_by_agent"] = rows[6]["interruptions_by_customer"] = None
    rows[7]["agent_talk_share"] = "n/a"
    arrays = measure_arrays(rows)
    for m in MEASURES:
        for i, r in enumerate(rows):
            want = measure_value(r, m.key)
            got = arrays[m.key][i]
            assert (math.isnan(got) and want is None) or got == want, (m.key, i, got, want)


def batch_of(rows, run=None):
    return BatchOutput(outdir="/nowhere", run=run or {"inputs": len(rows)}, rows=rows)


def test_groups_and_failed_calls_are_capped_and_say_how_many_are_left_out():
    rows = [{"path": f"/a/{i}.wav", "call_id": str(i), "agent_id": f"A{i % 150:03d}",
             "status": "failed" if i % 2 else "ok", "error_kind": "unreadable", "error": "bad",
             "duration_s": 60.0, "dead_air_s": 1.0} for i in range(150 + 50 * 3)]
    content = report_content(batch_of(rows))
    assert content.by == "agent_id" and len(content.groups) == MAX_GROUPS and content.groups_left_out == 50
    # The groups with the most rows are kept: A000-A049 have 3 rows, the others 2.
    kept = {g["agent_id"] for g in content.groups}
    assert {f"A{i:03d}" for i in range(50)} <= kept
    page = render(content)
    assert "50 more are left out" in page
    assert len(content.failed) == MAX_FAILED and content.failed_left_out == 150 - MAX_FAILED
    assert f"and {150 - MAX_FAILED} more" in page


def test_all_calls_lists_every_row():
    rows = rows_for_selection(40)
    page = render(report_content(batch_of(rows), all_calls=True))
    table = page.split('<table id="calls" class="sortable">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 40
    assert '<table id="calls"' not in render(report_content(batch_of(rows)))


def test_report_has_a_per_agent_table_only_when_rows_have_agent_id_or_by():
    rows = [{"status": "ok", "agent_id": a, "team": "t", "duration_s": 3600.0, "interruptions_by_agent": n}
            for a, n in (("A1", 2), ("A1", 4), ("A2", 9))]
    page = render(report_content(batch_of(rows)))
    groups = page.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    assert groups.count("<tr>") == 3 and ">A1</td><td>2</td>" in groups
    assert "<td>3.00</td><td>0.50</td>" in groups  # 3 interruptions per hour, half the median group's 6/h
    assert "Per team" in render(report_content(batch_of(rows), by="team"))
    assert 'id="groups"' not in render(report_content(batch_of([{"status": "ok"}])))


def test_cli_report_without_plots_embeds_the_pictures_already_there(batch_dir, tmp_path):
    out, _ = batch_dir
    target = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(out), "-o", str(target), "--no-plots", "--top", "2"])
    assert r.exit_code == 0, r.output
    assert "0 pictures drawn, 3 reused" in r.stderr
    assert len(embedded(target.read_text(encoding="utf-8"))) == 3  # 2 worst on each measure: all three calls


@pytest.mark.parametrize("case", ["missing", "not a batch", "file", "corrupt table", "unwritable -o", "no column"])
def test_cli_report_errors_are_one_line_exit_2(batch_dir, tmp_path, case):
    out, _ = batch_dir
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    shutil.copy(out / "run.json", corrupt / "run.json")
    (corrupt / "calls.parquet").write_text("not parquet")
    args = {
        "corrupt table": [str(corrupt)],
        "missing": [str(tmp_path / "nope")],
        "not a batch": [str(tmp_path)],
        "file": [str(out / "run.json")],
        "unwritable -o": [str(out), "-o", str(tmp_path / "no" / "such" / "r.html")],
        "no column": [str(out), "--by", "shoe_size", "--no-plots"],
    }[case]
    r = CliRunner().invoke(main, ["report", *args])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    assert {"missing": "no such folder", "not a batch": "not the output folder of a finished batch",
            "file": "not a folder", "corrupt table": "cannot read calls.parquet", "unwritable -o": "does not exist", "no column": "shoe_size"}[case] in lines[0]


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


# --- In a real browser: Debian's chromium driven by Playwright ------------------------------------------

browser = pytest.mark.skipif(why_not() is not None, reason=f"browser test: {why_not()}")


def row_order(visit, table="look"):
    return visit.page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.map(r => r.cells[0].dataset.v)")


@browser
def test_the_report_opens_in_chromium_without_errors_and_its_pictures_decode(batch_dir):
    out, _ = batch_dir
    rows = read_batch(str(out)).rows
    with Visit(out / "report.html") as v:
        assert v.page.get_attribute("html", "data-status") == "ready"
        assert v.console_errors == [] and v.page_errors == [] and v.requests == []
        assert v.page.locator("#script-errors").is_hidden()
        assert v.page.locator("#look img").count() == 0
        assert v.page.locator(".pic img").count() == 3 and v.broken_images(".pic img") == []
        assert v.page.locator("#groups tbody tr").count() == 2
        # The calls worth a look open sorted worst first on dead air.
        ok = sorted((r for r in rows if r["status"] == "ok"), key=lambda r: -r["dead_air_s"])
        assert v.page.get_attribute("#look", "data-sorted-by") == "dead_air_s"
        assert row_order(v) == [r["call_id"] for r in ok]
        # Clicking a heading sorts worst first, again best first.
        v.page.click('#look th[data-key="overlap_share"]')
        assert row_order(v) == [r["call_id"] for r in sorted(ok, key=lambda r: -r["overlap_share"])]
        v.page.click('#look th[data-key="overlap_share"]')
        assert v.page.get_attribute("#look", "data-order") == "best-first"
        assert row_order(v) == [r["call_id"] for r in sorted(ok, key=lambda r: r["overlap_share"])]
        # A call's name opens its picture.
        v.page.click('#look a[href^="#pic-"] >> nth=0')
        target = v.page.evaluate("location.hash")
        assert re.fullmatch(r"#pic-\d+", target)
        assert v.page.locator(f"{target} img").is_visible()
        assert v.page.evaluate(f"document.querySelector('{target}').getBoundingClientRect().top") < 50
        assert v.console_errors == [] and v.page_errors == [] and v.requests == []


@browser
def test_the_url_fragment_sorts_the_calls_worth_a_look(batch_dir):
    out, _ = batch_dir
    ok = [r for r in read_batch(str(out)).rows if r["status"] == "ok"]
    with Visit(out / "report.html", "#sort=agent_talk_share") as v:
        assert v.page.get_attribute("#look", "data-order") == "worst-first"
        far = sorted(ok, key=lambda r: -abs(r["agent_talk_share"] - 0.5))
        assert row_order(v) == [r["call_id"] for r in far]


@browser
def test_a_script_error_is_caught(batch_dir, tmp_path):
    out, _ = batch_dir
    broken = tmp_path / "broken.html"
    broken.write_text(page_of(out).replace("var body = table.tBodies[0];", "var body = table.noSuchThing[0];"))
    with Visit(broken) as v:
        assert v.page.get_attribute("html", "data-status") == "error"
        assert "TypeError" in v.page.inner_text("#script-errors") and v.page_errors


def test_pictures_of_a_batch_given_relative_paths_are_drawn_from_anywhere(tmp_path, monkeypatch):
    """Rows keep the path as given; the report finds the audio from the folder the batch ran in."""
    pytest.importorskip("matplotlib")
    (tmp_path / "calls").mkdir()
    shutil.copy(FIXTURES / "demo_call.wav", tmp_path / "calls" / "demo_call.wav")
    monkeypatch.chdir(tmp_path)
    run_batch(["calls"], str(tmp_path / "out"), jobs=1, events=True)
    assert read_table(str(tmp_path / "out" / "calls.parquet"))[0]["path"] == os.path.join("calls", "demo_call.wav")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = write_report(str(tmp_path / "out"), jobs=1)
    assert result.plots == 1
    assert not any("not at its recorded path" in n for n in result.notes)
