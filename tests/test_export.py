"""torch → signed pack: export, parity, fp16, library round trip, checkpoints, Flame sidecar.

One tiny torch model (two convs and a strength parameter fed as an input tensor) is exported once per module;
the dynamo exporter takes a few seconds.
"""
from __future__ import annotations

import json
import pickle

import numpy as np
import onnx
import pytest
import torch
from conftest import photo_frames

from answerprint.core.errors import PackError, UnsafePackError, UnsignedPackError, UsageError
from answerprint.core.packs import (IOSpec, Manifest, PackSpec, ParamBinding, TensorSpec, build_provenance,
                                    create_production_key, init_production, install_pack, list_packs, load_pack,
                                    load_private_key, record_source)
from answerprint.core.params import Param, ParamSchema
from answerprint.core.runtime import clear_session_cache, frames_to_tensor, open_session, run_frame
from answerprint.models.export import (MIN_OPSET, estimate_bytes_per_pixel, export_onnx, export_pack,
                                       load_checkpoint)
from answerprint.models.flame_sidecar import flame_sidecar, write_flame_sidecar


class TinyCleanup(torch.nn.Module):
    """image + strength × conv(relu(conv(image))): receptive radius 2 px."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.mix = torch.nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, image, strength):
        return image + strength.view(-1, 1, 1, 1) * self.mix(torch.relu(self.features(image)))


class NoisyCleanup(TinyCleanup):
    """Adds fresh noise every run, so onnxruntime can never agree with torch."""

    def forward(self, image, strength):
        return super().forward(image, strength) + torch.rand_like(image)


SPEC = PackSpec(
    effect="cleanup", name="grain", version="3",
    io=IOSpec(inputs=(TensorSpec("image", color_space="ACEScct"),
                      TensorSpec("strength", role="param", layout="N", channels=None, value_range=(0.0, 2.0))),
              outputs=(TensorSpec("output", color_space="ACEScct"),), working_space="ACEScct"),
    params=ParamSchema([Param("strength", "float", 1.0, minimum=0.0, maximum=2.0, label="Strength")]),
    bindings=(ParamBinding("strength", "input", tensor="strength"),),
    description="grain cleanup trained on reels 1-3")
EXAMPLE = {"image": torch.rand(1, 3, 64, 64), "strength": torch.tensor([1.0])}


def photo_input(width: int = 256, height: int = 144, strength: float = 0.7) -> dict[str, np.ndarray]:
    return {"image": frames_to_tensor(photo_frames(width, height, 1)),
            "strength": np.array([strength], np.float32)}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        patch.delenv("ANSWERPRINT_PROVIDERS", raising=False)
        dailies = root / "dailies"
        dailies.mkdir()
        clip = dailies / "A003C011.mov"
        clip.write_bytes(b"camera original stand-in")
        production = init_production("cobalt", "Cobalt Feature", (str(dailies),))
        create_production_key(production)
        other = init_production("ember", "Ember Series")
        create_production_key(other)
        provenance = build_provenance(production, [record_source(production, clip, [(10, 90)])],
                                      training_config={"epochs": 2, "lr": 1e-3, "patch": 96},
                                      validation_metrics={"psnr_db": 38.2, "ssim": 0.97})
        model = TinyCleanup()
        result = export_pack(model, EXAMPLE, SPEC, provenance, root / "out" / "grain.onnx", production="cobalt",
                             parity_inputs=[photo_input()], fp16=True)
        yield {"root": root, "model": model, "result": result, "provenance": provenance}
        clear_session_cache()


def test_export_sign_install_verify_run_round_trip(studio):
    result, model = studio["result"], studio["model"]
    installed = install_pack(result.path, "cobalt")
    assert [e.manifest.pack_id for e in list_packs("cobalt")] == ["cobalt/cleanup/grain@3"]
    assert (installed.path.endswith("cleanup/grain/3/grain.onnx") and installed.verified
            and installed.signed_by == result.manifest.signing_key_id)
    feeds = photo_input(width=517, height=333, strength=0.4)
    session = open_session(load_pack(installed.path, "cobalt"))
    fn = session.image_function("image", "output", {"strength": feeds["strength"]})
    produced = run_frame(fn, feeds["image"], memory_budget_bytes=200 * 200 * 256, bytes_per_pixel=256)
    with torch.inference_mode():
        expected = model(torch.from_numpy(feeds["image"]), torch.from_numpy(feeds["strength"])).numpy()
    assert np.max(np.abs(produced - expected)) <= 1e-4


def test_export_records_parity_versions_and_the_graph_is_one_dynamic_file(studio):
    result = studio["result"]
    manifest = result.manifest
    assert result.max_abs_diff <= 1e-4 and manifest.parity["max_abs_diff"] == result.max_abs_diff
    assert manifest.parity["inputs"][0].startswith("provided image 1x3x144x256")
    assert manifest.parity["inputs"][-1].startswith("random image")
    assert manifest.opset >= MIN_OPSET and manifest.software["torch"] == torch.__version__
    assert manifest.io.bytes_per_pixel > 0 and manifest.provenance == studio["provenance"]
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["grain.fp16.onnx", "grain.onnx"]
    graph = onnx.load(result.path)
    dims = [(d.dim_param or d.dim_value) for d in graph.graph.input[0].type.tensor_type.shape.dim]
    assert dims[1] == 3 and all(isinstance(d, str) for d in (dims[0], dims[2], dims[3]))


def test_the_fp16_variant_is_signed_recorded_and_close_to_torch(studio):
    result, model = studio["result"], studio["model"]
    fp16 = load_pack(result.fp16_path, "cobalt")
    assert fp16.manifest.precision == "fp16" and fp16.verified
    assert result.manifest.variants["fp16"]["sha256"] == fp16.sha256
    assert 0 < result.fp16_max_abs_diff <= 1e-2 and fp16.manifest.parity["max_abs_diff"] == result.fp16_max_abs_diff
    feeds = photo_input()
    session = open_session(load_pack(result.path, "cobalt"), precision="fp16")
    with torch.inference_mode():
        expected = model(*(torch.from_numpy(feeds[name]) for name in ("image", "strength"))).numpy()
    assert np.max(np.abs(session.run(feeds)["output"] - expected)) <= 1e-2


def test_an_export_that_disagrees_with_torch_is_refused(studio):
    with pytest.raises(PackError, match="onnxruntime differs from torch by .*; not exported"):
        export_pack(NoisyCleanup(), EXAMPLE, SPEC, studio["provenance"], studio["root"] / "noisy.onnx",
                    production="cobalt")
    assert not (studio["root"] / "noisy.onnx").exists()


def test_export_refuses_old_opsets_and_foreign_keys(studio):
    with pytest.raises(UsageError, match="opset 20 or later"):
        export_onnx(TinyCleanup(), EXAMPLE, SPEC, opset=17)
    with pytest.raises(PackError, match="not a key of production cobalt"):
        export_pack(TinyCleanup(), EXAMPLE, SPEC, studio["provenance"], studio["root"] / "x.onnx",
                    production="cobalt", private_key=load_private_key("ember"))


def test_an_unsigned_export_is_refused_at_load(studio):
    result = export_pack(TinyCleanup(), EXAMPLE, SPEC, studio["provenance"], studio["root"] / "plain" / "g.onnx",
                         production="cobalt", sign=False)
    assert result.manifest.signing_key_id is None
    with pytest.raises(UnsignedPackError):
        load_pack(result.path, "cobalt")


def test_the_memory_estimate_counts_every_activation():
    per_pixel = estimate_bytes_per_pixel(TinyCleanup(), EXAMPLE)
    # float32 channels: image 3, conv 8, relu 8, conv 3, strength × 3, image + 3 (the strength view is free)
    assert per_pixel == pytest.approx(4 * (3 + 8 + 8 + 3 + 3 + 3), rel=0.01)


def test_checkpoints_load_weights_only(tmp_path):
    good = tmp_path / "good.pt"
    torch.save(TinyCleanup().state_dict(), good)
    assert set(load_checkpoint(good)) == set(TinyCleanup().state_dict())

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"weights": Payload()}))
    with pytest.raises(UnsafePackError, match="refused: the checkpoint holds more than weights"):
        load_checkpoint(evil)
    assert not marker.exists()


def test_a_flame_sidecar_describes_a_pack_flames_inference_node_can_run(tmp_path):
    baked = PackSpec("cleanup", "grain", "1",
                     IOSpec((TensorSpec("image", color_space="ACEScct"),), (TensorSpec("output"),), "ACEScct"),
                     ParamSchema([Param("strength", "float", 1.0)]), (ParamBinding("strength", "baked", value=0.8),))
    common = {"production_id": "cobalt", "production_name": "Cobalt Feature", "opset": 20,
              "provenance": {"sources": [], "approved_media_roots": [], "approved_media_override": None,
                             "trained_by": {"user": "a", "host": "b"}, "trained_at": "2026-11-21T10:00:00Z",
                             "training_config": {}, "validation_metrics": {}},
              "parity": {"max_abs_diff": 0.0, "tolerance": 1e-4, "reference": "t", "runtime": "o", "inputs": ["x"]},
              "software": {"answerprint": "t", "torch": "t", "onnx": "t", "onnxruntime": "t"}}
    path = write_flame_sidecar(tmp_path / "grain.onnx", Manifest.create(baked, **common))
    description = json.loads(path.read_text())["ModelDescription"]
    assert path.name == "grain.json" and description["MinimumVersion"] == "2025.2"
    assert description["Inputs"] == [{"Name": "image", "Description": "source in ACEScct", "Type": "Front",
                                      "Gain": 1.0, "Channels": "RGB"}]
    assert description["Outputs"][0]["Type"] == "Result" and description["Outputs"][0]["Channels"] == "RGB"
    assert description["SupportsSceneLinear"] is False
    with pytest.raises(PackError, match="every parameter baked"):
        flame_sidecar(Manifest.create(SPEC, **common))
