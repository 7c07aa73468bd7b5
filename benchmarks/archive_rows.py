"""Metadata in every row at archive size: ``python -m benchmarks.archive_rows [--rows N]``.

Builds an archive of N inputs (default 10,000): symbolic links, cycled, to the eight fixture
calls of ``fixtures/calls`` (36-46 s, 8 kHz stereo) and, one in 200, to a text file named
``.wav`` (a failed row, which must carry its metadata too), listed in a CSV manifest
``path,agent_id,team,started_at`` (40 agents, 4 teams, ISO-8601 start times a few minutes
apart). Then, as a user would, with the ``callscan`` command:

1. ``callscan batch manifest.csv -o OUT --events -j 2`` (Parquet), killed with SIGKILL once
   a third of the files are in the checkpoint, and run again to resume;
2. CSV and JSON Lines tables from the resumed run's checkpoint (its folder copied, then
   ``callscan batch ... --format csv`` and ``--format jsonl``: a resume that analyses nothing);
3. the same batch on a real Dask cluster: ``dask scheduler`` and ``dask worker`` (two worker
   processes, one thread each) started as subprocesses on 127.0.0.1, ``--executor dask://``,
   JSON Lines out.

Every row of every calls and events table is checked against the manifest (the metadata of
its path, typed: ``started_at`` a timestamp, the rest strings); the rows of each run must be
those of the resumed local run. Last, ``callscan summary OUT --by agent_id -o s.parquet`` is
compared with DuckDB's GROUP BY over ``calls.parquet`` (the SQL of
``tests/record/test_summary.py``, written from the glossary, not from callscan's code).

Prints one line per step with its wall time and the load average.
"""

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_CALLS = sorted(p for p in (ROOT / "fixtures" / "calls").iterdir() if p.suffix in (".wav", ".flac"))
META = ("agent_id", "team", "started_at")
BROKEN_EVERY = 200


def callscan(*args, check=True, **kw):
    cmd = [sys.executable, "-m", "callscan", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


def make_archive(folder, n, sources=FIXTURE_CALLS, broken_every=BROKEN_EVERY):
    """N links, cycled over ``sources`` (one in ``broken_every`` to a text file), and a manifest.

    Returns
    -------
    (Path, dict)
        The manifest, and absolute link path -> metadata (as written).
    """
    folder.mkdir(parents=True)
    broken = folder / "not_audio.txt"
    broken.write_text("not audio\n")
    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    meta = {}
    with open(folder / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", *META])
        for i in range(n):
            day, agent = i // 500, i % 40
            name = f"d{day:02d}/call_{i:05d}"
            src = broken if i % broken_every == broken_every - 1 else sources[i % len(sources)]
            link = folder / (name + (".wav" if src is broken else src.suffix))
            link.parent.mkdir(exist_ok=True)
            os.symlink(src, link)
            started = (t0 + timedelta(days=day, minutes=7 * (i % 500))).isoformat().replace("+00:00", "Z")
            row = {"agent_id": f"A{agent:02d}", "team": f"T{agent % 4}", "started_at": started}
            w.writerow([os.path.relpath(link, folder), *row.values()])
            meta[str(link.absolute())] = row
    return folder / "manifest.csv", meta


def as_utc(value):
    """A started_at cell (datetime from Parquet, ISO text from CSV/JSONL) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def check_rows(outdir, fmt, meta):
    """Every calls and events row carries its path's metadata; returns (calls rows, n events, failed)."""
    from callscan.batch.read import read_table

    calls = read_table(os.path.join(outdir, f"calls.{fmt}"))
    events = read_table(os.path.join(outdir, f"events.{fmt}"))
    assert len(calls) == len(meta), (fmt, len(calls), len(meta))
    by_path = {os.path.abspath(p): m for p, m in meta.items()}
    for table, rows in (("calls", calls), ("events", events)):
        for row in rows:
            want = by_path[os.path.abspath(row["path"])]
            got = {k: row.get(k) for k in META}
            assert got["agent_id"] == want["agent_id"] and got["team"] == want["team"], (fmt, table, row)
            assert as_utc(got["started_at"]) == as_utc(want["started_at"]), (fmt, table, row)
            if fmt == "parquet":
                assert isinstance(row["started_at"], datetime), (table, type(row["started_at"]))
    failed = sum(r["status"] != "ok" for r in calls)
    return calls, len(events), failed


def comparable(rows):
    """Rows without what may differ between runs of the same batch (the wall time per file)."""
    return [{k: (as_utc(v) if k == "started_at" else v) for k, v in r.items() if k not in ("wall_s",)}
            for r in rows]


def killed_and_resumed(manifest, out, total, jobs):
    """Run the batch, SIGKILL it when a third is checkpointed, resume; returns timings."""
    cmd = [sys.executable, "-m", "callscan", "batch", str(manifest), "-o", str(out), "--events", "-j", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ckpt = out / "checkpoint.jsonl"
    done = 0
    while proc.poll() is None:
        time.sleep(0.5)
        if ckpt.is_file():
            with open(ckpt, "rb") as f:
                done = sum(1 for _ in f) - 1
            if done >= total // 3:
                os.kill(proc.pid, signal.SIGKILL)
                break
    proc.wait()
    killed_s = time.perf_counter() - t0
    if proc.returncode != -signal.SIGKILL:
        raise SystemExit(f"the batch ended before the kill (exit {proc.returncode}): {proc.stderr.read()[-2000:]}")
    time.sleep(2)  # its workers see the parent gone and exit
    t1 = time.perf_counter()
    r = callscan("batch", manifest, "-o", out, "--events", "-j", jobs)
    resumed_s = time.perf_counter() - t1
    m = re.search(r"(\d+) analysed now, (\d+) from the checkpoint", r.stderr)
    return killed_s, done, resumed_s, m.groups() if m else r.stderr[-500:]


def start_cluster(workers):
    """``dask scheduler`` and ``dask worker`` subprocesses on 127.0.0.1; returns (address, procs)."""
    dask = shutil.which("dask", path=os.path.dirname(sys.executable)) or "dask"
    sched = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    address, seen = None, []
    deadline = time.monotonic() + 120
    while address is None and time.monotonic() < deadline:
        line = sched.stderr.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(r"Scheduler at:\s+(tcp://\S+)", line)
        if m:
            address = m.group(1)
    if address is None:
        sched.kill()
        raise SystemExit("dask scheduler did not start:\n" + "".join(seen[-20:]))
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                               "--no-dashboard", "--host", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=180)
    return address, [worker, sched]


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def summary_vs_duckdb(out):
    """``callscan summary --by agent_id`` against DuckDB's GROUP BY; returns (groups, s, s)."""
    import pyarrow.parquet as pq

    from tests.record.test_summary import assert_same, duckdb_summary

    target = out / "by_agent.parquet"
    t0 = time.perf_counter()
    callscan("summary", out, "--by", "agent_id", "-o", target, check=True)
    t1 = time.perf_counter()
    ours = pq.read_table(target).to_pylist()
    theirs = duckdb_summary(out / "calls.parquet")
    t2 = time.perf_counter()
    assert_same(ours, theirs)
    return len(ours), t1 - t0, t2 - t1


def say(text):
    print(f"{text}  [load {os.getloadavg()[0]:.1f}]", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--work", default=None, help="Folder for the archive and outputs (default: a temporary one).")
    ap.add_argument("--no-dask", action="store_true", help="Skip the Dask cluster run.")
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="archive_rows-"))
    manifest, meta = make_archive(work / "in", args.rows)
    say(f"{args.rows} inputs ({args.rows // BROKEN_EVERY} not audio) in {work}")
    callscan("warmup")

    out = work / "local"
    killed_s, at, resumed_s, counts = killed_and_resumed(manifest, out, args.rows, args.jobs)
    say(f"batch -j {args.jobs} --events: SIGKILL after {killed_s:.0f} s with {at} files checkpointed; "
        f"resume {resumed_s:.0f} s (analysed now, from the checkpoint: {counts})")
    local, n_events, failed = check_rows(out, "parquet", meta)
    say(f"parquet: {len(local)} calls rows ({failed} failed), {n_events} events rows: every row carries "
        "agent_id, team, started_at (a Parquet timestamp)")
    for fmt in ("csv", "jsonl"):
        copy = work / f"local_{fmt}"
        shutil.copytree(out, copy)
        t0 = time.perf_counter()
        callscan("batch", manifest, "-o", copy, "--events", "--format", fmt)
        rows, n_ev, _ = check_rows(copy, fmt, meta)
        assert n_ev == n_events
        say(f"{fmt}: written from the checkpoint in {time.perf_counter() - t0:.1f} s; {len(rows)} calls rows, "
            f"{n_ev} events rows, every row carries its metadata")

    if not args.no_dask:
        address, procs = start_cluster(workers=args.jobs)
        try:
            t0 = time.perf_counter()
            r = callscan("batch", manifest, "-o", work / "dask", "--events", "--format", "jsonl",
                         "--executor", address.replace("tcp://", "dask://"))
            dask_s = time.perf_counter() - t0
        finally:
            stop(procs)
        remote, n_ev, _ = check_rows(work / "dask", "jsonl", meta)
        from callscan.batch.read import read_table

        same = comparable(remote) == comparable(read_table(str(work / "local_jsonl" / "calls.jsonl")))
        say(f"dask scheduler + {args.jobs} dask workers: batch {dask_s:.0f} s (exit {r.returncode}); "
            f"{len(remote)} calls rows, {n_ev} events rows, every row carries its metadata; "
            f"rows {'equal' if same else 'DIFFER from'} the local run's (wall_s aside)")
        assert same and n_ev == n_events

    groups, ours_s, theirs_s = summary_vs_duckdb(out)
    say(f"callscan summary --by agent_id: {groups} groups in {ours_s:.1f} s (whole command); DuckDB GROUP BY "
        f"{theirs_s:.2f} s; calls, failed, audio_h, medians, p90s, rates equal")
    run = json.loads((out / "run.json").read_text())
    say(f"run.json: {run.get('audio_hours', 0):.1f} h of audio")


if __name__ == "__main__":
    main()
