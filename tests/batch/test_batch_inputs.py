"""Expanding batch INPUT arguments: folders, manifests, files."""

import os

import pytest

from callscan.batch.inputs import InputError, expand_inputs


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return str(path)


def test_folder_is_walked_recursively_in_sorted_order_by_audio_extension(tmp_path):
    root = tmp_path / "archive"
    b = touch(root / "b.wav")
    a = touch(root / "a.FLAC")
    deep = touch(root / "2024" / "01" / "c.opus")
    mp3 = touch(root / "z.mp3")
    broken = root / "y.wav"
    os.symlink(root / "gone.wav", broken)  # listed, to be reported as a failed row
    for skipped in ("notes.txt", "call.json", ".hidden.wav", "._b.wav", ".cache/d.wav"):
        touch(root / skipped)
    got = expand_inputs([root]).paths
    assert got == [deep, a, b, str(broken), mp3]  # "2024" < "a.FLAC" < "b.wav" < "y.wav" < "z.mp3"
    assert all(os.path.isabs(p) for p in got)


def test_txt_manifest_paths_are_relative_to_the_manifest(tmp_path, monkeypatch):
    data = tmp_path / "data"
    one = touch(data / "one.wav")
    two = touch(tmp_path / "elsewhere" / "two.weird")
    manifest = data / "list.txt"
    manifest.write_text(f"# calls of Monday\n\none.wav\n  ../elsewhere/two.weird  \n{data / 'missing.wav'}\n")
    monkeypatch.chdir(tmp_path / "elsewhere")
    got = expand_inputs([str(manifest)]).paths
    assert got == [one, two, str(data / "missing.wav")]  # entries are not checked here


def test_csv_manifest_uses_the_path_column(tmp_path):
    one = touch(tmp_path / "calls" / "one.wav")
    two = touch(tmp_path / "calls" / "two.wav")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("call,path,agent\n1,calls/one.wav,ann\n2,,bob\n3,calls/two.wav,cid\n")
    assert expand_inputs([manifest]).paths == [one, two]


def test_csv_manifest_without_path_column_is_refused_by_name(tmp_path):
    manifest = tmp_path / "bad.csv"
    manifest.write_text("file,agent\none.wav,ann\n")
    with pytest.raises(InputError, match="no 'path' column") as err:
        expand_inputs([manifest])
    assert str(manifest) in str(err.value)


def test_files_duplicates_and_missing_arguments(tmp_path):
    root = tmp_path / "in"
    a = touch(root / "a.wav")
    other = touch(tmp_path / "other.dat")  # a named file is taken whatever its extension
    link = tmp_path / "link.wav"
    os.symlink(a, link)
    got = expand_inputs([a, root, other, str(link)])
    assert got.paths == [a, other, str(link)]  # a link is its own input
    assert got.duplicates == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert expand_inputs([empty, a]).empty == [str(empty)]
    with pytest.raises(InputError, match="no such file or folder"):
        expand_inputs([tmp_path / "nope.wav"])


def test_each_path_as_given_relative_stays_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    walked = touch(tmp_path / "in" / "day" / "a.wav")
    listed = touch(tmp_path / "other" / "b.wav")
    absolute = touch(tmp_path / "far" / "c.wav")
    single = touch(tmp_path / "d.wav")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "m.txt").write_text(f"../other/b.wav\n{absolute}\n")
    got = expand_inputs(["in", os.path.join("lists", "m.txt"), "d.wav", absolute])
    assert got.paths == [walked, listed, absolute, single]  # absolute inside; the third `absolute` is a duplicate
    assert [got.given[p] for p in got.paths] == [
        os.path.join("in", "day", "a.wav"), os.path.join("lists", "..", "other", "b.wav"), absolute, "d.wav",
    ]
