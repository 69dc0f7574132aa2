"""Small files appear complete or not at all: a failed write keeps the old file and leaves no temporary."""
from __future__ import annotations

import os

import pytest

from answerprint.core.atomic import write_atomically


def test_a_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "shot.answerprint.json"
    target.write_text("old")
    assert write_atomically(target, '{"status": "complete"}\n') == target
    assert target.read_text() == '{"status": "complete"}\n'
    assert write_atomically(target, b"\x00\x01").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.answerprint.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "look.cube"
    target.write_text("the colorist's LUT")

    def disk_full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "LUT_3D_SIZE 33\n")
    assert target.read_text() == "the colorist's LUT"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["look.cube"]
