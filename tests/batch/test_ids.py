"""Call ids unique within a batch, whatever the order, the workers or a resume."""

import os
import shutil

import pyarrow.parquet as pq
import pytest

from callscan.batch.checkpoint import CHECKPOINT
from callscan.batch.ids import CallIdError, unique_call_ids
from callscan.batch.inputs import InputError, expand_inputs
from callscan.batch.run import run_batch
from tests.support import good_calls


def test_stems_that_collide_get_their_shortest_distinguishing_parent():
    paths = ["/x/a/0001.wav", "/x/b/0001.flac", "/x/b/0002.wav", "/y/a/0001.wav"]
    ids = unique_call_ids(paths)
    assert ids == {"/x/a/0001.wav": "x/a/0001", "/x/b/0001.flac": "b/0001", "/y/a/0001.wav": "y/a/0001"}
    assert unique_call_ids(list(reversed(paths))) == ids


def test_only_the_extension_differs():
    ids = unique_call_ids(["/x/a/0001.wav", "/x/a/0001.flac"])
    assert ids == {"/x/a/0001.wav": "0001.wav", "/x/a/0001.flac": "0001.flac"}


def test_manifest_ids_are_kept_and_must_be_unique():
    paths = ["/x/a/1.wav", "/x/b/2.wav", "/x/c/call9.wav"]
    assert unique_call_ids(paths, {"/x/a/1.wav": "call9"}) == {"/x/a/1.wav": "call9", "/x/c/call9.wav": "c/call9"}
    with pytest.raises(CallIdError, match="'k' is given to two files"):
        unique_call_ids(paths, {"/x/a/1.wav": "k", "/x/b/2.wav": "k"})


def test_duplicate_manifest_ids_are_a_usage_error(tmp_path):
    calls = good_calls(tmp_path / "in", 2)
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,call_id\n" + "".join(f"{c},same\n" for c in calls))
    with pytest.raises(InputError, match="'same' is given to two files"):
        expand_inputs([manifest])


@pytest.fixture
def colliding(tmp_path):
    """Ten files in ten folders, all named 0001, and one unique name."""
    src = good_calls(tmp_path / "src", 2)
    for i in range(10):
        folder = tmp_path / "in" / f"agent{i:02d}"
        folder.mkdir(parents=True)
        shutil.copy(src[i % 2], folder / ("0001.wav" if i % 3 else "0001.flac"))
    shutil.copy(src[0], tmp_path / "in" / "solo.wav")
    return tmp_path


def _ids(out):
    table = pq.read_table(out / "calls.parquet").to_pylist()
    return {os.path.relpath(r["path"], out.parent / "in") if os.path.isabs(r["path"]) else r["path"]: r["call_id"]
            for r in table}


def test_ten_colliding_stems_give_ten_ids_alike_with_any_workers_and_after_a_resume(colliding):
    one = colliding / "one"
    run_batch([colliding / "in"], one, jobs=1)
    ids = _ids(one)
    assert len(ids) == 11 and len(set(ids.values())) == 11
    assert ids[os.path.join("agent03", "0001.flac")] == "agent03/0001" and ids["solo.wav"] == "solo"
    two = colliding / "two"
    run_batch([colliding / "in"], two, jobs=2)
    assert _ids(two) == ids
    ckpt = one / CHECKPOINT
    lines = ckpt.read_text().splitlines(keepends=True)
    ckpt.write_text("".join(lines[:4]))  # as a killed run leaves it
    run_batch([colliding / "in"], one, jobs=1)
    assert _ids(one) == ids

