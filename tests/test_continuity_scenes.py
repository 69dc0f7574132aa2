"""Shots grouped into scenes and set-ups from names, metadata, markers or a grouping file; the pairs compared;
and the clear message when an edit carries no scene information."""
from __future__ import annotations

import json

import pytest

from answerprint.core.continuity.scenes import (Shot, assign_scenes, plan_pairs, read_grouping_file, scene_from_marker,
                                                slate_from_metadata, slate_from_name)
from answerprint.core.errors import UsageError


@pytest.mark.parametrize("name, scene, setup, take", [
    ("12A-3.mov", "12", "12A", "3"), ("12A_T3", "12", "12A", "3"), ("SC12A_TK3_v2.mov", "12", "12A", "3"),
    ("S012A-T03", "12", "12A", "3"), ("Scene 12A Take 3", "12", "12A", "3"), ("14B-11.mov", "14", "14B", "11"),
])
def test_slates_are_read_from_the_usual_clip_names(name, scene, setup, take):
    slate = slate_from_name(name)
    assert (slate.scene, slate.setup, slate.take) == (scene, setup, take)


@pytest.mark.parametrize("name", ["A001C003_220101_R1AB.mov", "A001C003", "take3", "B001C001.mov"])
def test_camera_roll_names_carry_no_slate(name):
    assert slate_from_name(name) is None


def test_slates_are_read_from_fcp_logging_info_and_resolve_metadata():
    fcp = slate_from_metadata({"fcp_xml": {"logginginfo": {"scene": "12A", "shottake": "3"}}})
    assert (fcp.scene, fcp.setup, fcp.take) == ("12", "12A", "3")
    resolve = slate_from_metadata({"Scene": "12", "Shot": "B", "Take": "2"})
    assert (resolve.scene, resolve.setup, resolve.take) == ("12", "12B", "2")
    assert slate_from_metadata({"Comments": "hero take"}) is None


def shots(*names: str, records: tuple[int, ...] = ()) -> list[Shot]:
    return [Shot(name, f"/media/{name}.mov", 0, 23, index, records[index] if records else 24 * index)
            for index, name in enumerate(names)]


def test_cuts_and_takes_of_one_set_up_are_paired_within_a_scene():
    edit = assign_scenes(shots("12A-1", "12B-1", "12A-2", "13A-1", "12A-3"), "names")
    scenes, loose = plan_pairs(edit)
    assert [s.name for s in scenes] == ["12", "13"] and not loose
    pairs = {(p.first.name, p.second.name): p.kind for p in scenes[0].pairs}
    assert pairs == {("12A-1", "12B-1"): "cut", ("12B-1", "12A-2"): "cut", ("12A-2", "12A-3"): "cut",
                     ("12A-1", "12A-2"): "setup", ("12A-1", "12A-3"): "setup"}
    assert scenes[1].note == "scene 13 has 1 shot(s) online: nothing to compare"


def test_scenes_come_from_markers_when_names_carry_none():
    edit = shots("A001C001", "A001C002", "A002C001", records=(0, 48, 96))
    grouped = assign_scenes(edit, "timeline", markers=[(0, "Scene 4"), (90, "SC 5")])
    assert [s.scene for s in grouped] == ["4", "4", "5"]
    assert scene_from_marker("VFX note") is None


def test_a_timeline_without_scene_information_is_refused_with_the_ways_to_give_it():
    with pytest.raises(UsageError) as refused:
        assign_scenes(shots("A001C001", "A001C002"), "timeline")
    assert "no scene information" in refused.value.what and "--scenes" in refused.value.what


def test_a_grouping_file_overrides_the_names(tmp_path):
    csv_file = tmp_path / "scenes.csv"
    csv_file.write_text("name,scene,setup,take\nA001C001,7,7A,1\nA001C002,7,7A,2\n")
    json_file = tmp_path / "scenes.json"
    json_file.write_text(json.dumps({"A001C001": {"scene": "8"}, "A001C002.mov": {"scene": "8", "setup": "8B"}}))
    from_csv = assign_scenes(shots("A001C001", "A001C002"), grouping=read_grouping_file(str(csv_file)))
    assert [(s.scene, s.setup, s.take) for s in from_csv] == [("7", "7A", "1"), ("7", "7A", "2")]
    from_json = assign_scenes(shots("A001C001", "A001C002"), grouping=read_grouping_file(str(json_file)))
    assert [(s.scene, s.setup) for s in from_json] == [("8", None), ("8", "8B")]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,scene\nA001C001,\n")
    with pytest.raises(UsageError, match="row 1 needs a name and a scene"):
        read_grouping_file(str(bad))


def test_offline_shots_are_left_out_of_the_pairs_and_reported():
    edit = shots("12A-1", "12A-2", "12A-3")
    edit[1] = Shot("12A-2", None, 0, 0, 1, 24, offline="media offline: no such file")
    scenes, _ = plan_pairs(assign_scenes(edit, "names"))
    assert [s.name for s in scenes[0].offline] == ["12A-2"]
    assert {(p.first.name, p.second.name) for p in scenes[0].pairs} == {("12A-1", "12A-3")}
