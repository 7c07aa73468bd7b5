"""The archive's view at size: ``python -m benchmarks.archive_view [--part summary|report|all]``.

``summary`` (``--rows N``, default 100,000): synthesises a calls table of N ok rows (40
agents; measures drawn uniformly from a seeded generator, counts as integers: rows stand
for size, not for real calls), writes it with callscan's own writer, then times reading it
back, ``callscan.record.summary.summarize(--by agent_id)`` and DuckDB's GROUP BY of the same
figures, and checks that the two agree on calls, medians and p90s.

``report`` (``--calls N``, default 3,000; ``--big-rows M``, default 100,000):

1. a batch of N inputs: symbolic links cycled over the eight fixture calls of
   ``fixtures/calls`` (36-46 s) and the 3-minute SpokenWOZ call MUL1011 of the shared corpus
   (one in nine), one in 200 to a text file (a failed row), with a manifest
   ``path,agent_id,team,started_at`` (``benchmarks.archive_rows.make_archive``);
   ``callscan batch manifest.csv -o OUT`` with default settings, timed;
2. ``callscan report OUT`` with default settings (pictures drawn), timed, then again
   (pictures reused), timed; the page opened in headless Chromium (errors, pictures);
3. a calls table of M rows synthesised from that batch's rows: each real row copied
   M / N times, each copy with its own ``call_id``, another of 40 agents, its start shifted by
   a day per copy and its measures scaled by a seeded factor in [0.8, 1.2] (shares kept in
   0-1, counts moved by -1, 0 or +1), its path kept (so pictures are drawn from the real
   audio), with the batch's ``run.json`` (counts updated); ``callscan report`` on it twice
   (pictures drawn, then reused), its size, and the page in headless Chromium.

Prints one line per step with its wall time and the load average; writes nothing into the
repository.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from callscan.batch.read import read_table
from callscan.record import summary as sm
from callscan.writers import write_table

ROOT = Path(__file__).resolve().parents[1]
MUL1011 = ROOT.parent / "shared" / "corpus" / "spokenwoz_mul1011" / "MUL1011_8k_stereo.wav"


def synthetic_rows(n, seed=1):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"path": f"/archive/{i:06d}.wav", "call_id": f"{i:06d}", "agent_id": f"A{rng.randrange(40):02d}",
               "status": "ok", "duration_s": rng.uniform(60, 900), "customer_talk_s": rng.uniform(10, 300),
               "interruptions_by_agent": rng.randrange(10), "backchannels_by_agent": rng.randrange(30),
               "dead_air_count_5s": rng.randrange(4)}
        for name, _, _ in sm.HEADLINE:
            row[name] = rng.random()
        rows.append(row)
    return rows


def summary_part(n):
    rows = synthetic_rows(n)
    path = os.path.join(tempfile.mkdtemp(), "calls.parquet")
    write_table(path, "parquet", list(rows[0]), lambda: rows)
    t0 = time.perf_counter()
    back = read_table(path)
    t1 = time.perf_counter()
    groups = sm.summarize(back, ["agent_id"])
    t2 = time.perf_counter()
    say(f"{n} rows, {os.path.getsize(path) / 1e6:.1f} MB Parquet: read {t1 - t0:.2f} s, "
        f"summarize --by agent_id {t2 - t1:.2f} s ({len(groups)} groups)")
    try:
        import duckdb
    except ImportError:
        print("duckdb not installed: no comparison")
        return
    t3 = time.perf_counter()
    theirs = duckdb.connect().execute(
        "SELECT agent_id, count(*), median(dead_air_s), quantile_cont(dead_air_s, 0.9) "
        "FROM read_parquet(?) WHERE status = 'ok' GROUP BY agent_id ORDER BY agent_id", [path]).fetchall()
    t4 = time.perf_counter()
    same = all(g["calls"] == n and abs(g["dead_air_s_median"] - m) < 1e-12 and abs(g["dead_air_s_p90"] - p) < 1e-12
               for g, (_, n, m, p) in zip(groups, theirs)) and len(groups) == len(theirs)
    say(f"DuckDB GROUP BY {t4 - t3:.2f} s; calls, medians and p90s {'equal' if same else 'DIFFER'}")


def say(text):
    print(f"{text}  [load {os.getloadavg()[0]:.1f}]", flush=True)


def timed(*args):
    """Run ``callscan ARGS``; returns (wall s, stderr)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "callscan", *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"callscan {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-3000:]}")
    lines = done.stderr.strip().splitlines()
    return wall, next((x for x in lines if x.startswith(("callscan batch:", "wrote "))), lines[-1])


def in_browser(page):
    """Open a report in headless Chromium (``tests.view.browser``); a line saying what it found."""
    from tests.view.browser import Visit, why_not

    reason = why_not()
    if reason:
        return f"not opened in a browser: {reason}"
    with Visit(page, timeout_s=300) as v:
        status = v.page.get_attribute("html", "data-status")
        n_img = v.page.locator(".pic img").count()
        broken = v.broken_images(".pic img")
        groups = v.page.locator("#groups tbody tr").count()
        problems = v.console_errors + v.page_errors + v.requests
    verdict = "without errors" if status == "ready" and not problems and not broken else f"PROBLEMS {problems}"
    return (f"Chromium: loaded in {v.load_s:.1f} s, {verdict}; {n_img - len(broken)}/{n_img} pictures decode; "
            f"{groups} rows in the per-agent table")


def synthesise_big(batch_out, big_out, n_rows, seed=3):
    """A calls table of ``n_rows`` rows made from a real batch's rows (see the module docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    real = pq.read_table(batch_out / "calls.parquet")
    rows = real.to_pylist()
    rng = np.random.default_rng(seed)
    share = {c for c in real.column_names if c.endswith("_share") or c.endswith("_agitation")}
    floats = [c for c in real.column_names if pa.types.is_floating(real.schema.field(c).type)]
    ints = [c for c in real.column_names if pa.types.is_integer(real.schema.field(c).type)]
    out = []
    copies = -(-n_rows // len(rows))
    for k in range(copies):
        for j, row in enumerate(rows):
            if len(out) == n_rows:
                break
            r = dict(row)
            r["call_id"] = f"{row['call_id']}~{k}"
            r["agent_id"] = f"A{(j + 7 * k) % 40:02d}"
            if r.get("started_at") is not None:
                r["started_at"] = row["started_at"] + timedelta(days=k)
            if r["status"] == "ok":
                for c in floats:
                    if r.get(c) is not None and c != "duration_s":
                        v = r[c] * rng.uniform(0.8, 1.2)
                        r[c] = min(max(v, 0.0), 1.0) if c in share else v
                for c in ints:
                    if r.get(c) is not None and not c.startswith("sample_rate") and c != "channels":
                        r[c] = max(0, int(r[c]) + int(rng.integers(-1, 2)))
            out.append(r)
    big_out.mkdir()
    pq.write_table(pa.Table.from_pylist(out, schema=real.schema), big_out / "calls.parquet")
    run = json.loads((batch_out / "run.json").read_text())
    ok = sum(r["status"] == "ok" for r in out)
    run.update(inputs=len(out), counts={"ok": ok, "failed": len(out) - ok}, outputs={"calls": "calls.parquet"},
               audio_hours=sum(r.get("duration_s") or 0 for r in out if r["status"] == "ok") / 3600)
    run.pop("wall_s", None)
    (big_out / "run.json").write_text(json.dumps(run, indent=1, default=str))
    return len(out)


def report_part(n_calls, big_rows, work):
    from benchmarks.archive_rows import FIXTURE_CALLS, make_archive

    sources = list(FIXTURE_CALLS) + ([MUL1011] if MUL1011.is_file() else [])
    if len(sources) == len(FIXTURE_CALLS):
        say("the shared corpus is not here: the batch has the fixture calls only")
    manifest, _ = make_archive(work / "in", n_calls, sources=sources)
    subprocess.run([sys.executable, "-m", "callscan", "warmup"], capture_output=True, check=True)
    out = work / "out"
    batch_s, line = timed("batch", manifest, "-o", out)
    say(f"callscan batch ({n_calls} calls, default settings): {batch_s:.0f} s wall; {line}")
    first_s, line = timed("report", out)
    page = out / "report.html"
    say(f"callscan report (default settings, pictures drawn): {first_s:.0f} s wall = "
        f"{first_s / batch_s:.2f} x the batch; {line}; page {page.stat().st_size / 1e6:.2f} MB")
    again_s, line = timed("report", out)
    say(f"callscan report again (pictures reused): {again_s:.0f} s wall; {line}")
    say(in_browser(page))

    big = work / "big"
    n = synthesise_big(out, big, big_rows)
    for label in ("pictures drawn", "pictures reused"):
        wall, line = timed("report", big)
        page = big / "report.html"
        say(f"callscan report on {n} rows ({label}): {wall:.0f} s wall; {line}; page {page.stat().st_size / 1e6:.2f} MB")
    say(in_browser(page))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("summary", "report", "all"), default="all")
    ap.add_argument("--rows", type=int, default=100_000, help="Rows of the summary part.")
    ap.add_argument("--calls", type=int, default=3000, help="Calls of the report part's batch.")
    ap.add_argument("--big-rows", type=int, default=100_000, help="Rows of the report part's big table.")
    ap.add_argument("--work", default=None, help="Folder for the archive and outputs (default: a temporary one).")
    args = ap.parse_args()
    if args.part in ("summary", "all"):
        summary_part(args.rows)
    if args.part in ("report", "all"):
        work = Path(args.work or tempfile.mkdtemp(prefix="archive_view-"))
        if work.exists() and any(work.iterdir()):
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        report_part(args.calls, args.big_rows, work)


if __name__ == "__main__":
    main()
