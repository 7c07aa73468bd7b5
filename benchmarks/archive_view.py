"""The archive's view at size: ``python -m benchmarks.archive_view [--rows N]``.

Synthesises a calls table of N ok rows (default 100,000; 40 agents; measures drawn
uniformly from a seeded generator, counts as integers: rows stand for size, not for
real calls), writes it with callscan's own writer, then times reading it back,
``callscan.record.summary.summarize(--by agent_id)`` and DuckDB's GROUP BY of the
same figures, and checks that the two agree on calls, medians and p90s.
"""

import argparse
import os
import random
import tempfile
import time

from callscan.batch.read import read_table
from callscan.record import summary as sm
from callscan.writers import write_table


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    rows = synthetic_rows(args.rows)
    path = os.path.join(tempfile.mkdtemp(), "calls.parquet")
    write_table(path, "parquet", list(rows[0]), lambda: rows)
    t0 = time.perf_counter()
    back = read_table(path)
    t1 = time.perf_counter()
    groups = sm.summarize(back, ["agent_id"])
    t2 = time.perf_counter()
    print(f"{args.rows} rows, {os.path.getsize(path) / 1e6:.1f} MB Parquet: read {t1 - t0:.2f} s, "
          f"summarize --by agent_id {t2 - t1:.2f} s ({len(groups)} groups); load {os.getloadavg()[0]:.1f}")
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
    print(f"DuckDB GROUP BY {t4 - t3:.2f} s; calls, medians and p90s {'equal' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
