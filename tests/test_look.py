"""The learned production look: from graded pairs to a pack, .cube files Resolve and OCIO read, and a render."""
from __future__ import annotations

import argparse
from fractions import Fraction

import cv2
import numpy as np
import PyOpenColorIO as ocio
import pytest
import torch
from conftest import photo

from answerprint.core.cli import main
from answerprint.core.color import ColorProcessor
from answerprint.core.color.cube import read_cube
from answerprint.core.color.delta_e import delta_e_acescct
from answerprint.core.color.lut import Lut3D, apply_lut
from answerprint.core.color.spaces import look_domain
from answerprint.core.effects.look.delivery import bake_cube
from answerprint.core.effects.look.fit import fit_global_look, own_axis_difference
from answerprint.core.effects.look.pack import LookData
from answerprint.core.errors import PackError, UnapprovedMediaError
from answerprint.core.frames import open_media
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.core.runtime import ModelSession
from answerprint.models.look import cli as look_cli
from answerprint.models.look.adaptive import AdaptiveLook
from answerprint.models.look.lut_ops import GlobalLutModel

SRGB = "sRGB Encoded Rec.709 (sRGB)"
to_working = ColorProcessor(SRGB, "ACEScct", threads=1)


def small(name: str, width: int = 128) -> np.ndarray:
    pixels = photo(name)
    return cv2.resize(pixels, (width, int(pixels.shape[0] * width / pixels.shape[1])), interpolation=cv2.INTER_AREA)


def teal_orange(rgb: np.ndarray) -> np.ndarray:
    """Teal shadows, warm highlights, more saturation: a show look on sRGB code values."""
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    weight = np.clip((luma - 0.15) / 0.6, 0, 1)[..., None]
    shadows, highlights = np.array([-0.05, 0.01, 0.06], np.float32), np.array([0.06, 0, -0.07], np.float32)
    tinted = rgb + (1 - weight) * shadows + weight * highlights
    luma = tinted @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return np.clip(luma[..., None] + 1.2 * (tinted - luma[..., None]), 0, 1).astype(np.float32)


def write_still(path, pixels: np.ndarray) -> None:
    cv2.imwrite(str(path), np.round(np.clip(pixels[..., ::-1], 0, 1) * 65535).astype(np.uint16))


def test_a_global_look_from_three_pairs_reaches_below_one_delta_e_on_an_unseen_photograph():
    names = ("astronaut", "coffee", "chelsea")
    ungraded = [to_working(small(n)) for n in names]
    graded = [to_working(teal_orange(small(n))) for n in names]
    low, high = look_domain(SRGB)
    fit = fit_global_look(ungraded, graded, domain_min=low, domain_max=high, samples=60_000)
    unseen = small("rocket")
    errors = delta_e_acescct(to_working(teal_orange(unseen)), apply_lut(to_working(unseen), fit.lut))
    assert errors.mean() < 1.0 < delta_e_acescct(to_working(teal_orange(unseen)), to_working(unseen)).mean()
    for channel in range(3):
        assert (own_axis_difference(17, channel) @ fit.lut.table.reshape(-1, 3)[:, channel] >= -1e-4).all()


@pytest.mark.parametrize("model", ["global", "adaptive"])
def test_gridsample_and_gather_lookups_agree_with_each_other_and_the_core(model):
    grade = Lut3D.from_function(lambda p: np.stack([p[:, 0] ** 2, p[:, 1] * 0.8 + 0.1 * p[:, 2], np.sqrt(p[:, 2])], -1),
                                17, 0.05, 0.6)
    if model == "global":
        grid, gather = (GlobalLutModel(grade.table, grade.domain_min, grade.domain_max, g) for g in (False, True))
    else:
        grid = AdaptiveLook(grade.table, grade.domain_min, grade.domain_max)
        gather = AdaptiveLook(grade.table, grade.domain_min, grade.domain_max, gather=True)
        gather.load_state_dict(grid.state_dict())
    image = torch.rand(2, 3, 37, 53) * 0.7
    with torch.no_grad():
        a, b = grid(image), gather(image)
    core = apply_lut(image.numpy().transpose(0, 2, 3, 1), grade).transpose(0, 3, 1, 2)
    assert (a - b).abs().max() < 1e-6
    assert np.abs(a.numpy() - core).max() < 1e-5


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``answerprint train look`` on three graded stills of a production, as a new user would run it."""
    root = tmp_path_factory.mktemp("look")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        patch.delenv("ANSWERPRINT_DEVELOPER_SKIP_VERIFY", raising=False)
        dailies = root / "dailies"
        for folder in ("ungraded", "graded"):
            (dailies / folder).mkdir(parents=True)
        for name in ("astronaut", "coffee", "chelsea"):
            write_still(dailies / "ungraded" / f"{name}.png", small(name, 160))
            write_still(dailies / "graded" / f"{name}.png", teal_orange(small(name, 160)))
        create_production_key(init_production("cobalt", "Cobalt Feature", (str(dailies),)))
        parser = argparse.ArgumentParser()
        look_cli.add_arguments(parser)
        args = parser.parse_args(["--production", "cobalt", "--pairs", str(dailies / "ungraded"),
                                  str(dailies / "graded"), "--name", "show", "--out", str(root / "out"),
                                  "--steps", "8"])
        assert look_cli.run(args) == 0
        yield root
        patch.undo()


def test_one_command_turns_graded_pairs_into_a_pack_cubes_and_a_report(trained):
    out = trained / "out"
    assert {p.name for p in out.iterdir()} >= {"show.onnx", "show.gather.onnx", "show_33.cube", "show_65.cube",
                                                "report.html"}
    assert "held-out" in (out / "report.html").read_text()


def test_the_cubes_load_in_opencolorio_and_give_the_core_result(trained):
    pixels = np.random.default_rng(0).uniform(0, 1, (4000, 3)).astype(np.float32)
    for size in (33, 65):
        path = trained / "out" / f"show_{size}.cube"
        transform = ocio.FileTransform(str(path))
        transform.setInterpolation(ocio.INTERP_LINEAR)
        through_ocio = pixels.copy()
        ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(through_ocio)
        cube = read_cube(path).interpolated("trilinear")
        assert cube.size == size
        assert np.abs(through_ocio - apply_lut(pixels, cube)).max() <= 1e-5


def test_the_pack_graphs_apply_the_look_as_the_core_does(trained, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(trained / "home"))
    pack = load_pack(trained / "out" / "show.onnx", "cobalt")
    data = LookData.from_json(pack.manifest.effect_data)
    assert data.model == "global_lut" and data.input_space == SRGB and pack.verified
    assert pack.manifest.opset >= 20
    frame = to_working(small("rocket", 96))
    core = apply_lut(frame, data.lut)
    tensor = np.ascontiguousarray(frame.transpose(2, 0, 1)[None])
    for name in ("show.onnx", "show.gather.onnx"):
        graph = load_pack(trained / "out" / name, "cobalt")
        out = ModelSession(graph.model_bytes).run({"image": tensor})["graded"][0].transpose(1, 2, 0)
        assert np.abs(out - core).max() < 1e-5
    cube = read_cube(trained / "out" / "show_65.cube")
    assert np.abs(apply_lut(small("rocket", 96), cube) - apply_lut(small("rocket", 96),
                                                                    bake_cube(data.lut, SRGB, SRGB, 65))).max() < 1e-5


def test_the_look_effect_renders_the_pack_like_the_core_lut(trained, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(trained / "home"))
    folder = trained / "render"
    folder.mkdir()
    source, output = folder / "clip.png", folder / "graded.png"
    write_still(source, small("rocket", 96))
    with open_media(source) as reader:
        (_, pixels), = reader.read()
    assert main(["apply", "look", str(source), str(output), "--pack", str(trained / "out" / "show.onnx"),
                 "--production", "cobalt"]) == 0
    with open_media(output) as reader:
        (_, rendered), = reader.read()
    data = LookData.from_json(load_pack(trained / "out" / "show.onnx", "cobalt").manifest.effect_data)
    expected = ColorProcessor("ACEScct", SRGB, threads=1)(apply_lut(to_working(pixels), data.lut))
    assert np.abs(rendered - np.clip(expected, 0, 1)).max() < 2e-4  # a PNG holds 0..1


def test_pairs_outside_the_approved_media_roots_are_refused(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(trained / "home"))
    for folder in ("u", "g"):
        (tmp_path / folder).mkdir()
        write_still(tmp_path / folder / "x.png", small("coffee", 64))
    from answerprint.models.look.train_look import train_look

    with pytest.raises(UnapprovedMediaError, match="not under an approved media root"):
        train_look(tmp_path / "u", tmp_path / "g", "cobalt", tmp_path / "out")


def test_a_look_pack_with_a_damaged_lut_is_refused():
    good = LookData("global_lut", "ACEScct", SRGB, SRGB, Lut3D.identity(5)).to_json()
    assert LookData.from_json(good).lut.size == 5
    for damage in ({"base64": good["lut"]["base64"][:-8]}, {"size": 6}, {"dtype": "float16"}):
        with pytest.raises(PackError, match="LUT is malformed"):
            LookData.from_json({**good, "lut": {**good["lut"], **damage}})
    with pytest.raises(PackError, match="unknown look model"):
        LookData.from_json({**good, "model": "neural_magic"})


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_the_look_exported_for_every_host_matches_answerprints_render_and_its_cube(trained, monkeypatch, tmp_path):
    """fp32 graphs and TorchScript within 1e-5 of answerprint's look on the same ACEScct frame, fp16 within 2e-3;
    the .cube holds the pack's LUT."""
    from answerprint.core.effects import EffectContext, get_effect
    from answerprint.core.frames.media import MediaInfo
    from answerprint.models.hosts.export import run_graph, run_module

    monkeypatch.setenv("ANSWERPRINT_HOME", str(trained / "home"))
    pack = load_pack(trained / "out" / "show.onnx", "cobalt")
    frame = to_working(small("rocket", 101))
    info = MediaInfo("rocket", "image", frame.shape[1], frame.shape[0], Fraction(24), 0, 1)
    render = get_effect("look").compile({}, pack, EffectContext(info, SRGB, providers=["CPUExecutionProvider"]))
    expected = render([frame])
    for host in ("onnx", "flame", "houdini", "nuke"):
        assert main(["packs", "export", str(trained / "out" / "show.onnx"), "--for", host, "--out",
                     str(tmp_path / host), "--production", "cobalt"]) == 0
        cube = read_cube(next((tmp_path / host).glob("*.cube")))
        assert np.abs(cube.table - LookData.from_json(pack.manifest.effect_data).lut.table).max() <= 1e-7  # 7 decimals
    for graph in [*tmp_path.glob("[ofh]*/*.onnx")]:
        tolerance = 2e-3 if graph.name.endswith(".fp16.onnx") else 1e-5
        assert np.abs(run_graph(graph.read_bytes(), frame) - expected).max() <= tolerance, graph
    module = torch.jit.load(str(next((tmp_path / "nuke").glob("*.pt"))))
    assert np.abs(run_module(module, frame) - expected).max() <= 1e-5
    assert f"from {SRGB} to ACEScct before the node" in (tmp_path / "nuke" / "README.txt").read_text()
