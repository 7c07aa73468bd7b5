"""Fuzzing the decode boundary: random and mutated WAV/FLAC bytes through a batch.

Each round writes a few hundred files (random bytes, and valid WAV and FLAC
calls with their headers and bodies mutated), runs them through one batch with
a per-file timeout and checks that every file got exactly one row, that no
file hung (no ``timeout`` row) and that every refusal is a decode refusal with
a reason (no ``internal`` or ``worker_crash`` row). The default suite runs
about 10 s of it; ``pytest -m slow`` runs two minutes.
"""

import io
import os
import struct
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from callscan.batch.run import run_batch
from tests.support import speechlike

SR = 8000
DECODE_KINDS = {"unreadable", "unsupported_codec", "empty", "too_short", "bad_channels", "bad_samples"}


def seeds():
    """Valid files to mutate: name -> bytes (WAV PCM 16, µ-law, float, FLAC; mono and stereo)."""
    x = np.stack([speechlike(SR, 1.3, 180, 1), speechlike(SR, 1.3, 110, 2)[::-1]]).T
    out = {}
    for name, kw, data in [
        ("pcm16.wav", {"format": "WAV", "subtype": "PCM_16"}, x),
        ("mono.wav", {"format": "WAV", "subtype": "PCM_16"}, x[:, :1]),
        ("ulaw.wav", {"format": "WAV", "subtype": "ULAW"}, x),
        ("float.wav", {"format": "WAV", "subtype": "FLOAT"}, x),
        ("call.flac", {"format": "FLAC", "subtype": "PCM_16"}, x),
    ]:
        buf = io.BytesIO()
        sf.write(buf, data, SR, **kw)
        out[name] = buf.getvalue()
    return out


def mutate(data, rng):
    """One mutation of ``data``; returns (bytes, description)."""
    b = bytearray(data)
    op = rng.integers(9)
    if op == 0:  # flip bits anywhere
        for _ in range(rng.integers(1, 9)):
            i = rng.integers(len(b))
            b[i] ^= 1 << rng.integers(8)
        return bytes(b), "bit flips"
    if op == 1:  # overwrite bytes in the header
        for _ in range(rng.integers(1, 5)):
            i = rng.integers(min(64, len(b)))
            b[i] = rng.integers(256)
        return bytes(b), "header bytes"
    if op == 2:  # a 16- or 32-bit header field set to an edge value
        i = int(rng.integers(4, min(60, len(b) - 4)))
        width = 2 if rng.random() < 0.5 else 4
        value = int(rng.choice([0, 1, 2, 3, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
        value &= (1 << (8 * width)) - 1
        b[i:i + width] = value.to_bytes(width, "little")
        return bytes(b), f"field at {i} = {value:#x}"
    if op == 3:  # truncate
        return bytes(b[: rng.integers(0, len(b))]), "truncated"
    if op == 4:  # delete a slice
        i = rng.integers(len(b))
        n = rng.integers(1, 200)
        return bytes(b[:i] + b[i + n:]), "slice deleted"
    if op == 5:  # insert random bytes
        i = rng.integers(len(b))
        return bytes(b[:i] + rng.bytes(int(rng.integers(1, 200))) + b[i:]), "bytes inserted"
    if op == 6:  # repeat a slice (a chunk header twice, say)
        i = rng.integers(len(b))
        return bytes(b[:i] + b[i:i + int(rng.integers(8, 400))] + b[i:]), "slice repeated"
    if op == 7:  # random garbage after a valid magic
        return bytes(b[: rng.integers(4, 16)]) + rng.bytes(int(rng.integers(0, 4000))), "magic + garbage"
    return rng.bytes(int(rng.integers(0, 3000))), "random bytes"


def fuzz_round(folder, rng, n):
    """Write ``n`` fuzzed files into ``folder``; returns {path: description}."""
    os.makedirs(folder, exist_ok=True)
    base = seeds()
    names = sorted(base)
    made = {}
    for i in range(n):
        seed_name = names[i % len(names)]
        data, what = mutate(base[seed_name], rng)
        if rng.random() < 0.2:  # a second mutation now and then
            data, more = mutate(data, rng)
            what += " + " + more
        ext = os.path.splitext(seed_name)[1]
        path = os.path.join(folder, f"f{i:04d}{ext}")
        with open(path, "wb") as f:
            f.write(data)
        made[path] = f"{seed_name}: {what}"
    return made


def run_fuzz(tmp_path, budget_s, per_round, seed):
    """Rounds of fuzzed batches until ``budget_s`` is spent; returns files tried."""
    rng = np.random.default_rng(seed)
    t0 = time.monotonic()
    tried = 0
    round_no = 0
    while round_no == 0 or time.monotonic() - t0 < budget_s:
        folder = tmp_path / f"round{round_no}"
        made = fuzz_round(folder / "in", rng, per_round)
        result = run_batch([folder / "in"], folder / "out", jobs=2, timeout=20, warmup=False)
        rows = pq.read_table(folder / "out" / "calls.parquet").to_pylist()
        assert [r["path"] for r in rows] == sorted(made), "not exactly one row per file"
        assert result.inputs == len(made)
        for row in rows:
            what = made[row["path"]]
            if row["status"] == "ok":
                assert row["duration_s"] >= 1.0, (what, row)
                continue
            assert row["error_kind"] in DECODE_KINDS, (what, row["error_kind"], row["error"])
            assert row["error"].startswith(row["path"] + ": ") and len(row["error"]) > len(row["path"]) + 8
        tried += len(made)
        round_no += 1
    return tried


def test_fuzzed_files_each_get_one_clear_row(tmp_path):
    """About 10 s of fuzzing (rounds of 200 files for 6 s), seeded."""
    assert run_fuzz(tmp_path, budget_s=6, per_round=200, seed=20261123) >= 200


@pytest.mark.slow
def test_fuzzed_files_each_get_one_clear_row_for_two_minutes(tmp_path):
    """Two minutes of fuzzing with a fresh seed each run (printed on failure)."""
    seed = int.from_bytes(os.urandom(4), "little")
    print(f"fuzz seed {seed}")
    assert run_fuzz(tmp_path, budget_s=120, per_round=300, seed=seed) >= 300


def test_the_mutations_reach_the_header_fields():
    """The mutator is not a no-op: most mutants differ from their seed."""
    rng = np.random.default_rng(1)
    base = seeds()["pcm16.wav"]
    mutants = [mutate(base, rng)[0] for _ in range(200)]
    assert sum(m != base for m in mutants) >= 190
    assert any(m[:4] == b"RIFF" and struct.unpack("<I", m[4:8])[0] != len(m) - 8 for m in mutants)
