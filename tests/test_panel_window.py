"""The panel end to end, offscreen: open a clip, see the effect live, pick a pack from the library, render it
from the queue (progress, cancel), send it back to Resolve as a take, and find the layout again next time."""
from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import file_digest
from fake_resolve import World, scene
from media_makers import write_clip
from onnx import TensorProto, helper, numpy_helper

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from answerprint.core.color.display import DisplayView  # noqa: E402
from answerprint.core.color.lut import Lut3D  # noqa: E402
from answerprint.core.effects.look.pack import LookData  # noqa: E402
from answerprint.core.frames import OutputSpec, open_media, open_writer  # noqa: E402
from answerprint.core.packs import (  # noqa: E402
    IOSpec,
    Manifest,
    PackSpec,
    TensorSpec,
    build_provenance,
    create_production_key,
    embed_manifest,
    init_production,
    load_private_key,
    load_production,
    record_source,
    sign_model,
    write_pack,
)
from answerprint.core.render import RenderJob  # noqa: E402
from answerprint.plugin.resolve import cli as resolve_cli  # noqa: E402
from answerprint.plugin.resolve import connect  # noqa: E402
from answerprint.ui.app import build_panel  # noqa: E402
from answerprint.ui.main_window import MainWindow  # noqa: E402

WAIT_MS = 30_000


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """answerprint's library, keys and the panel's settings under tmp: the user's own are never touched."""
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
    monkeypatch.delenv("ANSWERPRINT_DEVELOPER_SKIP_VERIFY", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    return {"A001C003": write_clip(folder / "A001C003.mov", width=192, height=108, count=12),
            "long": write_clip(folder / "long.mov", width=192, height=108, count=24, name="coffee")}


def open_panel(qtbot, **options) -> MainWindow:
    window = MainWindow(**options)
    qtbot.addWidget(window)
    window.show()
    return window


def wait_for_preview(qtbot, window: MainWindow):
    with qtbot.waitSignal(window.worker.ready, timeout=WAIT_MS):
        request = window.request_preview()
    qtbot.waitUntil(lambda: window._shown_serial >= request.serial, timeout=WAIT_MS)
    return window.last_frame


def look_pack(folder: Path, dailies: Path, production: str = "cobalt") -> Path:
    """A signed global-LUT look pack (the look lives in the signed manifest; the graph is a tiny stand-in)."""
    warm = Lut3D.from_function(lambda p: np.stack([p[:, 0] * 1.1 + 0.02, p[:, 1], p[:, 2] * 0.85], -1), 17)
    data = LookData("global_lut", "ACEScct", "Gamma 2.4 Encoded Rec.709", "Gamma 2.4 Encoded Rec.709", warm)
    spec = PackSpec(effect="look", name="warm", version="1",
                    io=IOSpec(inputs=(TensorSpec("image", value_range=None, color_space="ACEScct"),),
                              outputs=(TensorSpec("graded", value_range=None, color_space="ACEScct"),),
                              working_space="ACEScct"),
                    description="warm show look", effect_data=data.to_json())
    prod = load_production(production)
    provenance = build_provenance(prod, [record_source(prod, dailies, [(0, 11)])],
                                  training_config={"steps": 8}, validation_metrics={"delta_e00_mean": 0.42})
    manifest = Manifest.create(spec, production_id=prod.id, production_name=prod.name, provenance=provenance,
                               parity={"max_abs_diff": 0.0, "tolerance": 1e-4, "reference": "numpy",
                                       "runtime": "onnxruntime CPU", "inputs": ["1x3x8x8"]},
                               software={"answerprint": "test", "torch": "none", "onnx": onnx.__version__,
                                                 "onnxruntime": "test"}, opset=20)
    weights = numpy_helper.from_array(np.zeros((3, 3, 1, 1), np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["image", "w"], ["conv"]),
                               helper.make_node("Add", ["image", "conv"], ["graded"])], "look",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              [helper.make_tensor_value_info("graded", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 10
    signed = sign_model(embed_manifest(model.SerializeToString(), manifest), load_private_key(production))
    return write_pack(signed, folder / "warm.onnx")


def test_a_new_user_opens_a_clip_and_sees_the_effect_live(qtbot, home, footage):
    window = open_panel(qtbot, effect="exposure", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.open_media([str(footage["A001C003"])])
    assert window.viewer_panel.frame.value() == 5                   # the middle of frames 0..11
    window.effect_panel.form.editors["stops"].set_value(1.0)
    brighter = wait_for_preview(qtbot, window)
    assert brighter.params == {"stops": 1.0} and brighter.frame_number == 5
    assert brighter.after.mean() > brighter.before.mean() + 0.05
    window.effect_panel.form.editors["stops"].set_value(-1.0)
    darker = wait_for_preview(qtbot, window)
    assert darker.after.mean() < darker.before.mean() - 0.03
    window.viewer_panel.frame.setValue(9)
    assert wait_for_preview(qtbot, window).frame_number == 9
    assert "proxy" in window.viewer_panel.status.text()


def test_a_refused_parameter_or_missing_pack_is_said_in_one_line_not_a_traceback(qtbot, home, footage):
    window = open_panel(qtbot, effect="cleanup", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.open_media([str(footage["A001C003"])])
    with qtbot.waitSignal(window.worker.failed, timeout=WAIT_MS):
        window.request_preview()
    qtbot.waitUntil(lambda: "needs a model pack" in window.viewer_panel.status.text(), timeout=WAIT_MS)
    window.open_media([str(home / "missing.mov")])
    assert window.last_error.endswith("missing.mov: no such file")
    dialog = window.findChild(QMessageBox, "error_dialog")
    assert dialog.isVisible() and "Traceback" not in dialog.text()


def test_the_library_imports_verifies_and_hands_a_pack_to_the_preview(qtbot, home, footage, tmp_path):
    create_production_key(init_production("cobalt", "Cobalt Feature", (str(footage["A001C003"].parent),)))
    exported = look_pack(tmp_path / "exports", footage["A001C003"])
    window = open_panel(qtbot, production="cobalt", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.library.import_pack(str(exported))
    [entry] = window.library.entries
    assert entry.verified and entry.manifest.pack_id == "cobalt/look/warm@1"
    details = window.library.details.toPlainText()
    assert "VALID" in details and "delta_e00_mean 0.42" in details and str(footage["A001C003"]) in details
    tampered = bytearray(exported.read_bytes())
    tampered[-40] ^= 0x01
    (tmp_path / "tampered").mkdir()
    (tmp_path / "tampered" / "warm.onnx").write_bytes(bytes(tampered))
    window.library.import_pack(str(tmp_path / "tampered" / "warm.onnx"))
    assert "warm.onnx" in window.last_error and len(window.library.entries) == 1

    window.open_media([str(footage["A001C003"])])
    window.library.use_selected()
    assert window.effect_panel.effect_name() == "look" and window.effect_panel.pack_path() == str(entry.path)
    frame = wait_for_preview(qtbot, window)
    red_gain = frame.after[..., 0].mean() / frame.before[..., 0].mean()
    blue_gain = frame.after[..., 2].mean() / frame.before[..., 2].mean()
    assert red_gain > 1.02 and blue_gain < 0.98                      # the warm look, from the signed pack


def test_the_queue_renders_with_progress_and_a_cancelled_job_leaves_nothing(qtbot, home, footage, tmp_path):
    window = open_panel(qtbot, effect="exposure", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.open_media([str(footage["A001C003"])])
    window.effect_panel.form.editors["stops"].set_value(1.0)
    digest = file_digest(footage["A001C003"])
    with qtbot.waitSignal(window.render_queue.finished, timeout=WAIT_MS) as finished:
        window.render_current()
    entry = finished.args[0]
    assert entry.state == "done" and entry.done == entry.total == 12 and "done: 12 frames" in entry.log[-1]
    output = entry.job.output
    assert output.endswith("answerprint_renders/A001C003.exposure.v001.mov")
    with open_media(output) as rendered, open_media(str(footage["A001C003"])) as source:
        (_, after), = rendered.read([5])
        (_, before), = source.read([5])
    assert after.mean() > before.mean() + 0.05
    assert file_digest(footage["A001C003"]) == digest
    assert window.render_job().output.endswith("A001C003.exposure.v002.mov")   # never overwrites
    assert window.queue_view.table.cellWidget(0, 1).value() == 1000

    job = RenderJob(str(footage["long"]), str(tmp_path / "cancelled.mov"), "exposure", {"stops": 1})
    waiting = RenderJob(str(footage["long"]), str(tmp_path / "never.mov"), "exposure", {"stops": 1})

    def cancel_at_first_frame(queued):
        if queued.state == "running" and queued.done >= 1:
            window.render_queue.cancel(queued)

    window.render_queue.changed.connect(cancel_at_first_frame)
    running = window.render_queue.add(job)
    second = window.render_queue.add(waiting)
    window.render_queue.cancel(second)
    assert second.state == "cancelled"
    qtbot.waitUntil(lambda: running.state == "cancelled", timeout=WAIT_MS)
    assert running.done < running.total and "cancelled" in running.log[-1]
    assert not (tmp_path / "cancelled.mov").exists() and not (tmp_path / "never.mov").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(("cancelled", "never"))]


def test_the_panel_remembers_production_effect_and_layout(qtbot, home):
    init_production("cobalt", "Cobalt Feature")
    settings_file = str(home / "panel.ini")
    first = open_panel(qtbot, production="cobalt", effect="colormatch",
                       settings=QSettings(settings_file, QSettings.IniFormat))
    first.viewer.set_mode("split")
    first.tabs.setCurrentIndex(2)
    first.resize(first.minimumSizeHint().width() + 40, 520)
    size = first.size()
    first.close()
    again = open_panel(qtbot, settings=QSettings(settings_file, QSettings.IniFormat))
    assert again.library.current_production() == "cobalt"
    assert again.effect_panel.effect_name() == "colormatch"
    assert (again.viewer.mode, again.tabs.currentIndex()) == ("split", 2)
    assert again.height() == size.height()       # (the 800x600 offscreen screen clamps the width)


def test_hosted_in_resolve_the_render_comes_back_as_the_selected_take(qtbot, home, footage, tmp_path, monkeypatch):
    world = World(tmp_path / "LUT")
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", world.module())
    monkeypatch.setattr(connect, "resolve_is_running", lambda os_name=None: True)
    project = world.resolve.GetProjectManager().CreateProject("EP104")
    media_pool = project.GetMediaPool()
    clip, = media_pool.ImportMedia([str(footage["A001C003"])])
    timeline = media_pool.CreateEmptyTimeline("reel 2")
    item, = media_pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 2, "endFrame": 10}])
    scene.park_playhead(timeline, item)

    window = build_panel([], effect="exposure", host="resolve")
    qtbot.addWidget(window)
    assert window.windowTitle() == "answerprint — in DaVinci Resolve"
    assert [(c.path, c.first, c.last) for c in window.clips] == [(str(footage["A001C003"]), 2, 9)]
    window.effect_panel.form.editors["stops"].set_value(0.5)
    with qtbot.waitSignal(window.render_queue.finished, timeout=WAIT_MS) as finished:
        window.render_current()
    entry = finished.args[0]
    assert entry.state == "done", entry.log
    assert "take 2 selected" in entry.log[-1]
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    take = item.GetTakeByIndex(2)
    assert take["mediaPoolItem"].GetClipProperty("File Path") == entry.job.output
    assert world.undocumented == []


def test_the_resolve_menu_item_opens_the_panel_hosted(monkeypatch, tmp_path):
    launched = []
    monkeypatch.setattr(resolve_cli, "core_main", lambda argv: launched.append(argv) or 0)
    settings = tmp_path / "resolve.json"
    settings.write_text('{"production": "cobalt"}')
    assert resolve_cli.main(["--settings", str(settings), "panel"]) == 0
    assert launched == [["panel", "--host", "resolve", "--production", "cobalt"]]


def test_the_light_dragged_on_the_viewer_writes_the_relight_parameters(qtbot, home):
    window = open_panel(qtbot, effect="relight", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    [handle] = window.viewer.handles
    assert (handle.prefix, handle.x, handle.y, handle.radius) == ("light", 0.5, 0.5, 0.3)
    window.viewer.handle_moved.emit("light", 0.25, 0.75)
    window.viewer.radius_moved.emit("light", 5.0)                      # beyond the parameter's 2.0: clamped
    values = window.effect_panel.values()
    assert (values["light_x"], values["light_y"], values["light_radius"]) == (0.25, 0.75, 2.0)
    window.effect_panel.form.editors["light_x"].set_value(0.6)
    assert window.viewer.handles[0].x == 0.6                          # and the other way round


def test_hosted_mode_without_resolve_says_so_in_one_line_and_exits_8(home, monkeypatch, capsys):
    from answerprint.ui.app import run_panel

    monkeypatch.setattr(connect, "resolve_is_running", lambda os_name=None: False)
    assert run_panel([], host="resolve") == 8
    error = capsys.readouterr().err.strip()
    assert error.startswith("answerprint panel: error: ") and "\n" not in error and "Resolve" in error


# -- the viewer a colorist can trust: the display chosen from the config, video at its own brightness ------------

def qimage_pixels(image) -> np.ndarray:
    """An RGB888 ``QImage`` as a uint8 H×W×3 array."""
    image = image.convertToFormat(image.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3)


def test_a_rec709_clip_shows_at_its_own_code_values_and_the_display_is_chosen_per_production(qtbot, home, footage):
    init_production("cobalt", "Cobalt Feature")
    settings = str(home / "panel.ini")
    window = open_panel(qtbot, production="cobalt", effect="identity",
                        settings=QSettings(settings, QSettings.IniFormat))
    window.open_media([str(footage["A001C003"])])
    shown = wait_for_preview(qtbot, window)
    with open_media(str(footage["A001C003"])) as reader:
        (_, pixels), = reader.read([shown.frame_number])
    on_screen = qimage_pixels(window.viewer.image("before")).astype(np.float32) / 255
    assert np.abs(on_screen - pixels).max() <= 2 / 255, "what the screen gets is the file's own code values"
    assert window.display_status.text() == "Display: Rec.1886 Rec.709 - Display · Un-tone-mapped (automatic)"
    srgb = next(a for a in window.display_menu.actions() if a.text() == "sRGB - Display")
    srgb.trigger()
    aces = next(a for a in window.view_menu.actions() if a.text() == "ACES 2.0 - SDR 100 nits (Rec.709)")
    aces.trigger()
    darker = wait_for_preview(qtbot, window)
    assert darker.display == DisplayView("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")
    assert np.median(qimage_pixels(window.viewer.image("before"))) / 255 < np.median(pixels) - 0.05
    assert "sRGB - Display · ACES 2.0 - SDR 100 nits (Rec.709) (chosen)" in window.display_status.text()
    window.close()
    again = open_panel(qtbot, settings=QSettings(settings, QSettings.IniFormat))
    assert again.display_choice == darker.display, "remembered for the production"


def test_a_shot_match_shows_the_clip_until_a_reference_is_chosen_in_panel_words(qtbot, home, footage):
    window = open_panel(qtbot, effect="colormatch", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.open_media([str(footage["A001C003"])])
    qtbot.waitUntil(lambda: window.last_frame is not None and "reference" in window.viewer_panel.status.text(),
                    timeout=WAIT_MS)
    assert window.viewer.image("before") is not None, "the clip is on screen, not 'Open a clip'"
    message = window.viewer_panel.status.text()
    assert message == "preview: Reference: a shot match needs a reference frame or clip to match"
    assert "--param" not in message


def test_cleanup_opens_at_one_to_one_on_the_busiest_part_of_the_frame(qtbot, home, tmp_path):
    textured = np.zeros((216, 384, 3), np.float32)
    textured[:] = 0.4
    textured[120:200, 250:370] = np.random.default_rng(3).uniform(0.1, 0.9, (80, 120, 3))   # detail low right
    path = tmp_path / "A001C009.mov"
    writer = open_writer(OutputSpec(str(path), "prores_422hq", 384, 216, Fraction(24), 0, "01:00:00:00"))
    for number in range(3):
        writer.write(number, textured)
    writer.finish()
    window = open_panel(qtbot, effect="cleanup", settings=QSettings(str(home / "panel.ini"), QSettings.IniFormat))
    window.open_media([str(path)])
    qtbot.waitUntil(lambda: window.viewer.zoom == 1.0, timeout=WAIT_MS)
    centre = window.viewer.to_frame(QPointF(window.viewer.width() / 2, window.viewer.height() / 2))
    assert 250 / 384 < centre[0] < 370 / 384 and 120 / 216 < centre[1] < 200 / 216
