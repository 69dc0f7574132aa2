"""The panel's parameter editors and viewer, offscreen: built from each effect's schema, values round-trip,
and what the viewer draws is the before and after pixels where they belong."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from answerprint.core.effects import available_effects, get_effect  # noqa: E402
from answerprint.core.errors import ParamError  # noqa: E402
from answerprint.core.params import Param, ParamSchema  # noqa: E402
from answerprint.ui.images import to_qimage  # noqa: E402
from answerprint.ui.param_widgets import NumberEditor, ParamForm  # noqa: E402
from answerprint.ui.queue_view import format_eta  # noqa: E402
from answerprint.ui.viewer import ScreenHandle, Viewer  # noqa: E402


def other_value(param: Param):
    """A valid value different from the default, of the parameter's kind."""
    if param.kind == "enum":
        return next(c for c in param.choices if c != param.default)
    if param.kind == "bool":
        return not param.default
    if param.kind in ("path", "string"):
        return "/shots/hero_ref.exr" if param.kind == "path" else "0.1,0.1,0.9,0.1,0.9,0.9,0.1,0.9"
    low = param.minimum if param.minimum is not None else param.default - 10
    high = param.maximum if param.maximum is not None else param.default + 10
    value = low + (high - low) * 0.3
    value = int(round(value)) if param.kind == "int" else round(value, 2)   # on the editor's precision
    return value if value != param.default else high


@pytest.mark.parametrize("effect_name", sorted(available_effects()))
def test_every_parameter_editor_round_trips_to_the_effects_parameters(qtbot, effect_name):
    schema = get_effect(effect_name).params
    form = ParamForm(schema)
    qtbot.addWidget(form)
    assert list(form.editors) == schema.names                        # one editor per parameter, schema order
    assert form.values() == schema.defaults()
    for param in schema:
        wanted = param.coerce(other_value(param))
        with qtbot.waitSignal(form.editors[param.name].changed) as blocker:
            form.editors[param.name].set_value(wanted)
        assert blocker.args == [param.name, wanted]
        assert form.values()[param.name] == wanted
    assert schema.resolve(form.values()) == form.values()           # what the CLI, packs and hosts accept
    form.reset()
    assert form.values() == schema.defaults()


def test_a_slider_writes_its_value_and_reset_brings_back_the_default(qtbot):
    param = Param("strength", "float", 1.0, minimum=0.0, maximum=2.0, step=0.05, widget="slider")
    editor = NumberEditor(param)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.changed) as blocker:
        editor.slider.setValue(editor.slider.maximum() // 4)
    assert blocker.args == ["strength", pytest.approx(0.5)]
    editor.spin.setValue(1.55)
    assert editor.slider.value() == 31
    editor.reset()
    assert editor.value() == 1.0 and editor.slider.value() == 20


def test_an_out_of_range_value_is_refused_like_on_the_command_line(qtbot):
    form = ParamForm(get_effect("exposure").params)
    qtbot.addWidget(form)
    with pytest.raises(ParamError, match="outside"):
        form.set_values({"stops": 99})
    with pytest.raises(ParamError, match="unknown parameter"):
        form.set_values({"stop": 1})


def test_colour_temperature_and_tint_get_colour_sliders(qtbot):
    schema = ParamSchema([Param("light_kelvin", "float", 5600, minimum=2000, maximum=12000, widget="kelvin"),
                          Param("light_tint", "float", 0, minimum=-1, maximum=1, widget="tint")])
    form = ParamForm(schema)
    qtbot.addWidget(form)
    assert "#ff8a2a" in form.editors["light_kelvin"].slider.styleSheet()
    assert "#4fc45a" in form.editors["light_tint"].slider.styleSheet()


def test_a_parameter_that_does_nothing_here_is_disabled_saying_why(qtbot):
    form = ParamForm(get_effect("cleanup").params)
    qtbot.addWidget(form)
    form.set_unavailable({"dead_pixels": "the pack has no defect map for camera B"})
    dead_pixels = form.editors["dead_pixels"]
    assert not dead_pixels.isEnabled() and dead_pixels.toolTip() == "the pack has no defect map for camera B"
    assert all(editor.isEnabled() for name, editor in form.editors.items() if name != "dead_pixels")
    form.set_unavailable({})
    assert dead_pixels.isEnabled() and dead_pixels.toolTip() == dead_pixels.param.doc


def test_screen_handles_pair_x_and_y_by_prefix_with_their_radius():
    form = ParamForm(get_effect("relight").params)
    assert form.screen_points() == [("light", "light_x", "light_y")]
    assert form.screen_radii() == {"light": "light_radius"}


def flat(value: tuple[float, float, float], width: int = 160, height: int = 90) -> np.ndarray:
    return np.broadcast_to(np.array(value, np.float32), (height, width, 3)).copy()


@pytest.fixture
def viewer(qtbot):
    view = Viewer()
    qtbot.addWidget(view)
    view.resize(320, 180)
    view.set_frames(flat((0.2, 0.2, 0.2)), flat((0.8, 0.4, 0.2)))
    return view


def colour_at(view: Viewer, x: int, y: int) -> tuple[int, int, int]:
    colour = view.grab().toImage().pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def test_the_wipe_shows_before_left_of_the_line_and_after_right_of_it(viewer):
    viewer.set_mode("wipe")
    viewer.wipe = 0.5
    assert colour_at(viewer, 40, 120) == (51, 51, 51)
    assert colour_at(viewer, 280, 120) == (204, 102, 51)


def test_side_by_side_shows_before_and_after_in_two_panes(viewer):
    viewer.set_mode("split")
    assert colour_at(viewer, 80, 120) == (51, 51, 51)
    assert colour_at(viewer, 240, 120) == (204, 102, 51)


def test_the_difference_view_shows_what_changed_amplified(viewer):
    viewer.set_mode("difference")
    assert colour_at(viewer, 160, 120) == (255, 255, 0)             # |0.6, 0.2, 0| x 8, clipped


def test_the_mask_view_paints_the_changed_pixels_red_over_the_dimmed_frame(viewer):
    before = flat((0.5, 0.5, 0.5))
    after = before.copy()
    after[:, 80:] += 0.1                                              # the right half changed
    viewer.set_frames(before, after)
    viewer.set_mode("mask")
    assert colour_at(viewer, 80, 90) == (76, 76, 76)                  # unchanged: 0.5 x 0.6 x 255, rounded
    assert colour_at(viewer, 240, 90) == (255, 38, 26)                # changed: images.MASK_COLOUR


def test_the_screen_image_holds_the_frame_rounded_to_8_bits_and_clipped():
    frame = np.stack(np.meshgrid(np.linspace(-0.2, 1.2, 70), np.linspace(0, 1, 9), indexing="xy"), -1)
    frame = np.concatenate([frame, frame[..., :1] * 0.5], -1).astype(np.float32)
    image = to_qimage(frame)
    shown = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(70)] for y in range(9)])
    assert np.array_equal(shown, np.round(np.clip(frame, 0, 1) * 255))


def test_eta_reads_like_a_clock():
    assert [format_eta(s) for s in (None, 5, 65, 3723)] == ["–", "0:05", "1:05", "1:02:03"]


def test_one_to_one_zoom_shows_one_proxy_pixel_per_screen_pixel_and_the_wheel_zooms(viewer, qtbot):
    viewer.set_zoom(1.0)
    assert viewer.frame_rect(viewer.rect()).width() == pytest.approx(160 / viewer.devicePixelRatioF())
    viewer.set_zoom(None)
    assert viewer.frame_rect(viewer.rect()).width() == pytest.approx(320)


def test_dragging_the_light_on_the_viewer_moves_it_in_frame_fractions(viewer, qtbot):
    viewer.set_mode("after")
    viewer.set_handles([ScreenHandle("light", 0.5, 0.5, 0.1)])
    moves = []
    viewer.handle_moved.connect(lambda *args: moves.append(args))
    radii = []
    viewer.radius_moved.connect(lambda *args: radii.append(args))
    qtbot.mousePress(viewer, Qt.MouseButton.LeftButton, pos=QPoint(160, 90))
    qtbot.mouseMove(viewer, QPoint(240, 45))
    qtbot.mouseRelease(viewer, Qt.MouseButton.LeftButton, pos=QPoint(240, 45))
    assert moves[-1] == ("light", pytest.approx(0.75), pytest.approx(0.25))
    qtbot.mousePress(viewer, Qt.MouseButton.LeftButton, pos=QPoint(240 + 32, 45))   # on the ring: 0.1 x 320 px
    qtbot.mouseMove(viewer, QPoint(240 + 64, 45))
    qtbot.mouseRelease(viewer, Qt.MouseButton.LeftButton, pos=QPoint(240 + 64, 45))
    assert radii[-1] == ("light", pytest.approx(0.2))
