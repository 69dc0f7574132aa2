"""The Resolve adapter end to end against the fake ``DaVinciResolveScript`` (tests/fake_resolve).

The cleanup route is exercised with the deterministic ``exposure`` and ``identity`` effects: the adapter is the
same for every effect name, and the cleanup effect needs a trained pack. Every test ends by checking that the
adapter made no call the reference does not document.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import file_digest
from fake_resolve import API_CLASSES, UndocumentedCall, World, scene
from media_makers import write_clip, write_long_clip

from answerprint.core.frames import open_media, probe
from answerprint.core.packs import init_production
from answerprint.plugin.resolve import cli, connect, takes
from answerprint.plugin.resolve.connect import ResolveError
from answerprint.plugin.resolve.records import TakeRecord
from answerprint.plugin.resolve.status import HANDSHAKE_SECONDS, JobStatus
from answerprint.plugin.resolve.train import collect_dailies

REFERENCE = Path("/work/shared/reference/resolve_api.md")
FOOTAGE = {"A001C003": "astronaut", "A001C004": "coffee"}


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    """Two 20-frame 10-bit ProRes camera clips."""
    folder = tmp_path_factory.mktemp("footage")
    return {name: write_clip(folder / f"{name}.mov", count=20, width=192, height=108, name=photo)
            for name, photo in FOOTAGE.items()}


@dataclass
class Edit:
    """A project with the footage imported and cut: item 1 shows A001C003 frames 6-17, item 2 A001C004 0-11."""

    project: Any
    media_pool: Any
    timeline: Any
    items: list[Any]


def cut(world: World, footage: dict[str, Path]) -> Edit:
    """Build the edit through documented calls only (AppendToTimeline's endFrame is exclusive)."""
    project = world.resolve.GetProjectManager().CreateProject("EP104")
    media_pool = project.GetMediaPool()
    first, second = media_pool.ImportMedia([str(footage["A001C003"]), str(footage["A001C004"])])
    timeline = media_pool.CreateEmptyTimeline("reel 2")
    items = media_pool.AppendToTimeline([{"mediaPoolItem": first, "startFrame": 6, "endFrame": 18},
                                         {"mediaPoolItem": second, "startFrame": 0, "endFrame": 12}])
    scene.park_playhead(timeline, items[0])
    return Edit(project, media_pool, timeline, items)


def run(tmp_path: Path, *arguments: str) -> int:
    return cli.main(["--settings", str(tmp_path / "resolve.json"), *arguments])


def subfolder(folder: Any, name: str) -> Any:
    return next(sub for sub in folder.GetSubFolderList() if sub.GetName() == name)


def take_record(item: Any, index: int) -> TakeRecord:
    clip = item.GetTakeByIndex(index)["mediaPoolItem"]
    marker_frame, = clip.GetMarkers()
    return TakeRecord.from_custom_data(clip.GetMarkerCustomData(marker_frame))


def test_cleanup_route_renders_the_clip_back_as_the_selected_take(world, footage, tmp_path):
    edit = cut(world, footage)
    source_digest = file_digest(footage["A001C003"])
    assert run(tmp_path, "apply", "exposure", "--param", "stops=1", "--handles", "2") == 0

    item = edit.items[0]
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    original, take = item.GetTakeByIndex(1), item.GetTakeByIndex(2)
    assert original["mediaPoolItem"].GetClipProperty("File Path") == str(footage["A001C003"])
    assert (take["startFrame"], take["endFrame"]) == (2, 14)          # frames 6-17 inside the rendered 4-19
    rendered = take["mediaPoolItem"]
    assert rendered.GetClipProperty("Frames") == "16"
    assert subfolder(subfolder(edit.media_pool.GetRootFolder(), "answerprint"), "exposure").GetClipList() == [rendered]
    assert edit.media_pool.GetCurrentFolder() is edit.media_pool.GetRootFolder()
    assert rendered.GetMetadata("Comments") == "answerprint exposure v001: stops=1.0"
    assert rendered.GetMetadata("Keywords") == "answerprint, exposure"
    record = take_record(item, 2)
    assert (record.effect, record.params, record.version) == ("exposure", {"stops": 1.0}, 1)
    assert (record.source, record.first, record.last, record.handles) == (str(footage["A001C003"]), 6, 17, 2)
    assert list(rendered.GetMarkers()) == [2]
    assert edit.items[1].GetTakesCount() == 0                         # only the clip under the playhead
    assert file_digest(footage["A001C003"]) == source_digest
    assert world.undocumented == []


def test_the_take_shows_the_same_frames_as_the_original(world, footage, tmp_path):
    edit = cut(world, footage)
    assert run(tmp_path, "apply", "identity", "--handles", "3") == 0
    take = edit.items[0].GetTakeByIndex(2)
    with open_media(take["mediaPoolItem"].GetClipProperty("File Path")) as rendered, \
            open_media(str(footage["A001C003"])) as source:
        shown = dict(rendered.read([take["startFrame"], take["endFrame"] - 1]))
        original = dict(source.read(range(5, 19)))
    for take_frame, source_frame in ((take["startFrame"], 6), (take["endFrame"] - 1, 17)):
        errors = {shift: float(np.abs(shown[take_frame] - original[source_frame + shift]).mean())
                  for shift in (-1, 0, 1)}
        assert errors[0] < 5e-3 and errors[0] < min(errors[-1], errors[1]) / 10, errors      # ProRes re-encode
    assert world.undocumented == []


def test_rerender_makes_a_new_version_from_the_recorded_parameters(world, footage, tmp_path):
    edit = cut(world, footage)
    assert run(tmp_path, "apply", "exposure", "--param", "stops=1", "--handles", "0") == 0
    assert run(tmp_path, "rerender") == 0
    assert run(tmp_path, "rerender", "--param", "stops=-1") == 0
    item = edit.items[0]
    assert item.GetTakesCount() == 4 and item.GetSelectedTakeIndex() == 4
    second, third = take_record(item, 3), take_record(item, 4)
    assert (second.version, second.params, second.source) == (2, {"stops": 1.0}, str(footage["A001C003"]))
    assert (third.version, third.params) == (3, {"stops": -1.0})
    assert Path(third.output).name == "A001C003.exposure.v003.mov"
    with open_media(take_record(item, 2).output) as v1, open_media(second.output) as v2:
        assert np.array_equal(next(iter(v1.read(range(0, 1))))[1], next(iter(v2.read(range(0, 1))))[1])
    assert world.undocumented == []


def test_an_item_with_answerprint_takes_renders_from_its_original_source(world, footage, tmp_path):
    edit = cut(world, footage)
    assert run(tmp_path, "apply", "exposure", "--param", "stops=1", "--handles", "0") == 0
    assert run(tmp_path, "apply", "exposure", "--param", "stops=0.5", "--handles", "0") == 0
    record = take_record(edit.items[0], 3)
    assert (record.source, record.first, record.last, record.version) == (str(footage["A001C003"]), 6, 17, 2)


def test_selected_clips_on_resolve_21_each_get_a_take(world, footage, tmp_path):
    world.version = (21, 0, 4, 5, "")
    edit = cut(world, footage)
    scene.select(edit.timeline, *edit.items)
    assert run(tmp_path, "apply", "identity", "--handles", "0") == 0
    assert [item.GetSelectedTakeIndex() for item in edit.items] == [2, 2]
    assert world.undocumented == []


def test_clips_that_cannot_render_in_place_are_skipped_with_a_reason(world, footage, tmp_path, capsys):
    edit = cut(world, footage)
    offline = tmp_path / "A001C009.mov"
    offline.write_bytes(footage["A001C004"].read_bytes())
    gone, = edit.media_pool.ImportMedia([str(offline)])
    offline.unlink()
    edit.media_pool.AppendToTimeline([{"mediaPoolItem": gone, "startFrame": 0, "endFrame": 5}])
    scene.add_generator(edit.timeline, 24)
    scene.add_compound_clip(edit.timeline, "Compound Clip 1", 24)
    scene.retime(edit.items[1], 0.5)
    capsys.readouterr()
    assert run(tmp_path, "apply", "identity", "--handles", "0", "--whole-timeline") == 1
    printed = capsys.readouterr().out
    assert "A001C004.mov at frame 86412: the clip has a speed change" in printed
    assert "A001C009.mov at frame 86424: media offline" in printed
    assert "generator at frame 86429: a generator, title or effect clip" in printed
    assert "Compound Clip 1 at frame 86453: a compound clip" in printed
    assert [item.GetTakesCount() for item in edit.timeline.GetItemListInTrack("video", 1)] == [2, 0, 0, 0, 0]
    assert world.undocumented == []


def test_a_clip_at_another_rate_than_its_timeline_renders_frame_for_frame_at_its_own_rate(world, tmp_path, capsys):
    """A 25 fps camera clip on a 24 fps timeline at 100 %: Resolve plays its frames one per timeline frame."""
    pal = write_long_clip(tmp_path / "D001C001.mov", 40, Fraction(25), "10:00:00:00")
    project = world.resolve.GetProjectManager().CreateProject("EP105")
    media_pool = project.GetMediaPool()
    clip, = media_pool.ImportMedia([str(pal)])
    assert (clip.GetClipProperty("FPS"), project.GetSetting("timelineFrameRate")) == ("25", "24")
    timeline = media_pool.CreateEmptyTimeline("reel 3")
    item, = media_pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 4, "endFrame": 34}])
    scene.park_playhead(timeline, item)
    assert run(tmp_path, "apply", "identity", "--handles", "0") == 0, capsys.readouterr().out
    assert "on source frames 4-33 of" in capsys.readouterr().out, "not taken for a speed change"
    render = probe(item.GetTakeByIndex(2)["mediaPoolItem"].GetClipProperty("File Path"))
    assert (render.frame_rate, render.frame_count, render.timecode) == (25, 30, "10:00:00:04")
    assert world.undocumented == []


@pytest.mark.parametrize("setup, message, code", [
    ({"edition": "Free"}, "External scripting using = Local. The Free edition", 8),
    ({"edition": "Free", "free_accepts_external": True}, "is the Free edition; answerprint needs", 8),
    ({"external_scripting": "None"}, "refuses the connection", 8),
])
def test_connection_refusals_say_what_to_do(world, footage, tmp_path, capsys, setup, message, code):
    for name, value in setup.items():
        setattr(world, name, value)
    assert run(tmp_path, "apply", "identity") == code
    assert message in capsys.readouterr().err


def test_an_effect_that_is_not_installed_or_lacks_its_pack_is_refused_before_rendering(world, footage, tmp_path,
                                                                                        capsys):
    cut(world, footage)
    assert run(tmp_path, "apply", "grain_wizard") == 2
    assert "grain_wizard: unknown effect; available:" in capsys.readouterr().err
    assert run(tmp_path, "apply", "cleanup") == 2
    assert "the cleanup effect needs a model pack" in capsys.readouterr().err


def test_resolve_not_running_is_said_so(world, tmp_path, monkeypatch, capsys):
    world.running = False
    monkeypatch.setattr(connect, "resolve_is_running", lambda os_name=None: False)
    assert run(tmp_path, "apply", "identity") == 8
    assert "DaVinci Resolve is not running" in capsys.readouterr().err


def test_no_timeline_is_said_so(world, tmp_path, capsys):
    world.resolve.GetProjectManager().CreateProject("EP104")
    assert run(tmp_path, "apply", "identity") == 8
    assert "no timeline is open" in capsys.readouterr().err


def test_missing_scripting_module_names_the_install_paths(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    monkeypatch.setenv("RESOLVE_SCRIPT_API", str(tmp_path / "Scripting"))
    monkeypatch.setenv("RESOLVE_SCRIPT_LIB", str(tmp_path / "fusionscript.so"))
    with pytest.raises(connect.ResolveError, match="scripting module is not installed"):
        connect.import_script_module()


def test_the_scripting_module_is_looked_for_where_the_readme_says(monkeypatch):
    monkeypatch.delenv("RESOLVE_SCRIPT_API", raising=False)
    monkeypatch.delenv("RESOLVE_SCRIPT_LIB", raising=False)
    assert connect.script_paths("macos") == connect.SCRIPT_PATHS["macos"]
    monkeypatch.setenv("RESOLVE_SCRIPT_API", "/studio/Developer/Scripting")
    assert connect.script_paths("linux")[0] == "/studio/Developer/Scripting"
    if REFERENCE.is_file():
        text = REFERENCE.read_text(encoding="utf-8")
        assert all(path in text for paths in connect.SCRIPT_PATHS.values() for path in paths)


def write_gain_cube(path: Path, gain: float = 0.9, size: int = 5) -> Path:
    """A valid Resolve .cube: a gain on a size³ lattice, red fastest."""
    steps = np.linspace(0.0, 1.0, size)
    rows = [f"{r * gain:.6f} {g * gain:.6f} {b * gain:.6f}" for b in steps for g in steps for r in steps]
    path.write_text(f"# shot match A001C004 -> A001C003\nLUT_3D_SIZE {size}\n" + "\n".join(rows) + "\n")
    return path


CDL = """<ColorCorrection id="A001C004"><SOPNode><Slope>1.1 1.0 0.9</Slope><Offset>0.01 0 -0.01</Offset>
<Power>1 1 1</Power></SOPNode><SatNode><Saturation>0.95</Saturation></SatNode></ColorCorrection>"""


@pytest.mark.parametrize("version, graph", [((19, 1, 3, 7, ""), True), ((18, 6, 6, 7, ""), False)])
def test_color_match_goes_in_as_a_native_lut_and_cdl(world, footage, tmp_path, version, graph):
    world.version = version
    edit = cut(world, footage)
    cube = write_gain_cube(tmp_path / "A001C004_match.cube")
    (tmp_path / "match.cc").write_text(CDL)
    arguments = ("colormatch", "--cube", str(cube), "--cdl", str(tmp_path / "match.cc"), "--production", "ep104")
    assert run(tmp_path, *arguments) == 0
    installed = list((tmp_path / "LUT" / "answerprint" / "ep104").glob("*.cube"))
    assert [path.read_bytes() for path in installed] == [cube.read_bytes()]
    relative = scene.graded_lut(edit.items[0])
    assert relative == f"answerprint/ep104/{installed[0].name}" and not Path(relative).is_absolute()
    assert scene.graded_cdl(edit.items[0]) == {"NodeIndex": "1", "Slope": "1.1 1 0.9", "Offset": "0.01 0 -0.01",
                                               "Power": "1 1 1", "Saturation": "0.95"}
    assert ("Graph.SetLUT" in world.calls) == graph and ("TimelineItem.SetLUT" in world.calls) != graph
    assert run(tmp_path, *arguments) == 0                                 # the same LUT again: no second file
    assert len(list(installed[0].parent.iterdir())) == 1
    assert world.undocumented == []


def test_a_lut_outside_resolves_lut_folder_is_refused(world, footage, tmp_path):
    edit = cut(world, footage)
    cube = write_gain_cube(tmp_path / "match.cube")
    edit.project.RefreshLUTList()
    assert edit.items[0].GetNodeGraph(1).SetLUT(1, str(cube)) is False


def test_train_from_bin_hands_the_approved_clips_to_answerprint_train(world, footage, tmp_path, monkeypatch):
    edit = cut(world, footage)
    dailies = edit.media_pool.AddSubFolder(edit.media_pool.GetRootFolder(), "Dailies")
    edit.media_pool.SetCurrentFolder(dailies)
    edit.media_pool.ImportMedia([str(footage["A001C003"]), str(footage["A001C004"])])
    init_production("ep104", approved_media_roots=(str(footage["A001C003"].parent),))
    launched = []
    monkeypatch.setattr(cli, "core_main", lambda argv: launched.append(argv) or 0)
    assert run(tmp_path, "train", "--production", "ep104", "--bin", "Dailies") == 0
    assert launched == [["train", "cleanup", "--production", "ep104", "--profile", "quick", "--dailies",
                         str(footage["A001C003"]), str(footage["A001C004"])]]
    assert world.undocumented == []


def test_train_from_bin_refuses_clips_outside_the_approved_roots(world, footage, tmp_path, monkeypatch, capsys):
    cut(world, footage)
    init_production("ep104", approved_media_roots=(str(tmp_path / "elsewhere"),))
    monkeypatch.setattr(cli, "core_main", lambda argv: pytest.fail("training must not start"))
    assert run(tmp_path, "train", "--production", "ep104") == 6
    assert "2 clip(s) lie outside production ep104's approved media roots" in capsys.readouterr().err
    monkeypatch.setattr(cli, "core_main", lambda argv: 0 if argv[-2:] == ["--allow-unapproved-media",
                                                                          "producer ok 11/20"] else 1)
    assert run(tmp_path, "train", "--production", "ep104", "--allow-unapproved-media", "producer ok 11/20") == 0


def fake_notify_send(folder: Path, monkeypatch) -> Path:
    """A ``notify-send`` first on PATH that records its arguments (the desktop's notification daemon)."""
    tools = folder / "bin"
    tools.mkdir()
    (tools / "notify-send").write_text("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.partial\" && mv \"$0.partial\" \"$0.args\"\n")
    (tools / "notify-send").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(sys, "platform", "linux")
    return tools / "notify-send.args"


def wait_for(path: Path, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.read_text()


def test_a_job_from_the_menu_says_working_then_done_and_notifies_the_colorist(world, footage, tmp_path,
                                                                              monkeypatch):
    cut(world, footage)
    notified = fake_notify_send(tmp_path, monkeypatch)
    status, log = tmp_path / "status.json", tmp_path / "resolve.log"
    assert run(tmp_path, "--status", str(status), "--log", str(log), "apply", "exposure", "--param", "stops=1",
               "--handles", "0") == 0
    final = json.loads(status.read_text())
    assert (final["state"], final["message"], final["progress"], final["exit_code"]) == \
        ("done", "1 take(s) added", 1.0, 0)
    assert final["step"] == "A001C003.mov at frame 86400: 100 %" and final["log"] == str(log)
    assert wait_for(notified).splitlines() == ["--app-name=answerprint", "answerprint apply exposure finished",
                                               f"1 take(s) added. Details: {log}"]


@pytest.mark.parametrize("setup, arguments, message, code", [
    ({"edition": "Free"}, ("apply", "identity"), "The Free edition does not accept outside scripts", 8),
    ({}, ("apply", "cleanup", "--pack", "cleanup/grain", "--production", "ep104"), "no pack", 6),
])
def test_a_job_that_cannot_start_fails_in_its_status_before_rendering(world, footage, tmp_path, setup, arguments,
                                                                      message, code):
    for name, value in setup.items():
        setattr(world, name, value)
    edit = cut(world, footage) if not setup else None
    init_production("ep104")
    status = tmp_path / "status.json"
    assert run(tmp_path, "--status", str(status), *arguments) == code
    final = json.loads(status.read_text())
    assert final["state"] == "failed" and message in final["message"] and final["exit_code"] == code
    assert edit is None or edit.items[0].GetTakesCount() == 0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("said_working, seconds, notified", [
    (False, 1.0, False),                     # failed while the menu script waited: it showed the failure itself
    (False, HANDSHAKE_SECONDS + 1, True),    # the menu script had stopped waiting
    (True, 1.0, True),                       # the menu script said "working" and handed back to Resolve
])
def test_the_end_of_a_job_is_notified_only_once_the_menu_script_has_gone(tmp_path, said_working, seconds, notified):
    clock, shown = Clock(), []
    status = JobStatus(str(tmp_path / "status.json"), "/logs/resolve.log", "Cleanup", clock,
                       lambda title, text: shown.append((title, text)))
    if said_working:
        status.working("rendering 2 clip(s) through cleanup")
    clock.now = seconds
    status.finished(6, "no pack cleanup/grain")
    expected = [("answerprint Cleanup failed", "no pack cleanup/grain. Details: /logs/resolve.log")]
    assert shown == (expected if notified else [])
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "failed"


def test_a_job_not_launched_by_a_menu_script_writes_and_notifies_nothing(tmp_path):
    shown = []
    status = JobStatus(None, None, "Cleanup", notifier=lambda title, text: shown.append(title))
    status.working("rendering")
    status.finished(0, "done")
    assert shown == [] and list(tmp_path.iterdir()) == []


def test_menu_defaults_come_from_the_configuration(world, footage, tmp_path):
    edit = cut(world, footage)
    assert run(tmp_path, "configure", "--job", "exposure", "--param", "stops=0.5", "--handles", "1") == 0
    assert run(tmp_path, "apply", "exposure") == 0
    record = take_record(edit.items[0], 2)
    assert (record.params, record.handles) == ({"stops": 0.5}, 1)
    saved = json.loads((tmp_path / "resolve.json").read_text())
    assert saved["jobs"]["exposure"] == {"params": {"stops": "0.5"}, "handles": 1}


def documented_methods() -> dict[str, dict[str, list[list[str]]]]:
    """Per API class of the reference (its ``**Class**`` sections): method → the argument lists it shows."""
    text = REFERENCE.read_text(encoding="utf-8")
    sections = re.split(r"^\*\*([A-Za-z /]+)\*\*", text, flags=re.MULTILINE)
    methods: dict[str, dict[str, list[list[str]]]] = {}
    for title, body in zip(sections[1::2], sections[2::2]):
        for name, arguments in re.findall(r"\b([A-Z][A-Za-z]+)\(([^()]*)\)", body):
            names = [argument.split("=")[0].strip() for argument in arguments.split(",") if argument.strip()]
            forms = methods.setdefault(title, {}).setdefault(name, [])
            if all(re.fullmatch(r"[A-Za-z_]\w*", n) for n in names):
                forms.append(names)
    return methods


def test_the_fake_offers_only_documented_methods_with_their_documented_arguments():
    if not REFERENCE.is_file():
        pytest.skip("the Resolve API reference is not on this machine")
    documented = documented_methods()
    for cls in API_CLASSES:
        for name, method in vars(cls).items():
            if not name[:1].isupper():
                continue
            assert name in documented[cls.__name__], f"{cls.__name__}.{name} is not in the reference"
            arguments = [p for p in inspect.signature(method).parameters if p != "self"]
            forms = documented[cls.__name__][name]
            assert not forms or arguments in forms or any(arguments[:len(f)] == f for f in forms), \
                f"{cls.__name__}.{name}{tuple(arguments)} is documented as {forms}"


def test_the_fake_behaves_like_resolve_where_the_reference_says_so(world, footage):
    edit = cut(world, footage)
    assert edit.items[0].GetDuration() == 12                              # endFrame 18 exclusive: frames 6-17
    assert edit.items[0].GetSourceStartFrame() == 7                       # the measured one-frame-off read
    assert world.resolve.OpenPage("color") and edit.timeline.DeleteClips([edit.items[1]]) is False
    assert world.resolve.OpenPage("edit") and edit.timeline.DeleteClips([edit.items[1]]) is True


def test_the_fake_is_stricter_than_resolve_about_undocumented_calls_and_arity(world, footage):
    edit = cut(world, footage)
    assert hasattr(edit.timeline, "GetItemsInTrack")                      # as on a real Resolve object
    with pytest.raises(UndocumentedCall, match="Timeline.GetItemsInTrack"):
        edit.timeline.GetItemsInTrack("video", 1)                         # deprecated: undocumented here
    world.version = (18, 6, 6, 7, "")
    with pytest.raises(UndocumentedCall, match=r"GetNodeGraph \(not in Resolve 18.6.6\)"):
        edit.items[0].GetNodeGraph(1)
    assert world.undocumented == ["Timeline.GetItemsInTrack", "TimelineItem.GetNodeGraph (not in Resolve 18.6.6)"]
    with pytest.raises(TypeError):
        edit.media_pool.AddSubFolder("Day 03")                            # documented as (folder, name)
    with pytest.raises(TypeError):
        edit.media_pool.GetCurrentFolder(edit.media_pool.GetRootFolder())


def test_add_subfolder_makes_the_new_bin_current_in_the_strict_reading(world, footage):
    edit = cut(world, footage)
    day = edit.media_pool.AddSubFolder(edit.media_pool.GetRootFolder(), "Day 03")
    assert edit.media_pool.GetCurrentFolder() is day
    world.add_subfolder_selects = False
    edit.media_pool.AddSubFolder(edit.media_pool.GetRootFolder(), "Day 04")
    assert edit.media_pool.GetCurrentFolder() is day


@pytest.mark.parametrize("selects", [True, False], ids=["AddSubFolder selects", "AddSubFolder leaves"])
def test_the_colorist_stays_in_their_bin_and_train_from_bin_reads_their_clips(world, footage, tmp_path, selects):
    world.add_subfolder_selects = selects
    edit = cut(world, footage)
    day = edit.media_pool.AddSubFolder(edit.media_pool.GetRootFolder(), "Day 03")
    edit.media_pool.SetCurrentFolder(day)
    edit.media_pool.ImportMedia([str(footage["A001C003"]), str(footage["A001C004"])])
    for stops in ("1", "0.5"):                                            # creates the bins, then finds them
        assert run(tmp_path, "apply", "exposure", "--param", f"stops={stops}", "--handles", "0") == 0
        assert edit.media_pool.GetCurrentFolder() is day
    renders = subfolder(subfolder(edit.media_pool.GetRootFolder(), "answerprint"), "exposure")
    assert len(renders.GetClipList()) == 2 and len(day.GetClipList()) == 2

    init_production("ep104", approved_media_roots=(str(footage["A001C003"].parent), str(tmp_path)))
    session = connect.open_session()
    assert collect_dailies(session, "ep104").paths == [str(footage["A001C003"]), str(footage["A001C004"])]
    with pytest.raises(ResolveError, match="holds no clip with source media"):
        collect_dailies(session, "ep104", "answerprint/exposure")         # renders are never dailies
    assert world.undocumented == []


def test_a_refused_import_still_puts_the_colorist_back_in_their_bin(world, footage, tmp_path):
    edit = cut(world, footage)
    day = edit.media_pool.AddSubFolder(edit.media_pool.GetRootFolder(), "Day 03")
    with pytest.raises(ResolveError, match="refused to import the render"):
        takes.import_into_bin(edit.media_pool, str(tmp_path / "gone.mov"), "exposure")
    assert edit.media_pool.GetCurrentFolder() is day
    assert world.undocumented == []


def test_the_adapter_imports_neither_torch_nor_qt():
    code = ("import pkgutil, importlib, sys, answerprint.plugin.resolve as plugin\n"
            "for m in pkgutil.walk_packages(plugin.__path__, 'answerprint.plugin.resolve.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('torch', 'PySide6', 'onnx')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
