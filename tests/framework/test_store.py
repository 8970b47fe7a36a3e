"""Atomic writes: the target is either the old file or the new one, never a part, never a stray."""

from __future__ import annotations

import json
import os
import stat

import pytest

from framework import store


def test_writes_create_folders_and_round_trip(tmp_path):
    store.write_json_atomic(tmp_path / "a" / "b.json", {"z": 1, "a": [1.5, None]})
    assert (tmp_path / "a" / "b.json").read_text() == '{\n  "a": [\n    1.5,\n    null\n  ],\n  "z": 1\n}\n'
    store.write_jsonl_atomic(tmp_path / "rows.jsonl", [{"b": 2, "a": 1}, [3]])
    assert (tmp_path / "rows.jsonl").read_text() == '{"a": 1, "b": 2}\n[3]\n'
    assert store.read_jsonl(tmp_path / "rows.jsonl") == [{"a": 1, "b": 2}, [3]]
    store.write_text_atomic(tmp_path / "t.txt", "é\n")
    assert (tmp_path / "t.txt").read_bytes() == "é\n".encode()


def test_a_rewrite_replaces_the_whole_file(tmp_path):
    path = tmp_path / "f.json"
    store.write_json_atomic(path, list(range(1000)))
    store.write_json_atomic(path, [1])
    assert json.loads(path.read_text()) == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    store.write_text_atomic(path, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.write_text_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_unserialisable_data_writes_nothing(tmp_path):
    with pytest.raises(TypeError):
        store.write_json_atomic(tmp_path / "x.json", {"a": object()})
    assert not (tmp_path / "x.json").exists()


def test_read_jsonl_skips_blank_lines(tmp_path):
    (tmp_path / "r.jsonl").write_text('{"a": 1}\n\n  \n[2]\n')
    assert store.read_jsonl(tmp_path / "r.jsonl") == [{"a": 1}, [2]]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_get_the_users_umask_not_mkstemps_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        store.write_text_atomic(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o666 & ~umask
