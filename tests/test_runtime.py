"""The ONNX inference core: providers, sessions, the cache, IO binding, tiling, temporal windows, fp16.

Graphs are built with ``onnx.helper`` (no torch): plain conv stacks with a known receptive radius, a model
that needs frames padded to a multiple of 8, and two temporal-window models.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from conftest import photo_frames
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.transformers.float16 import convert_float_to_float16

from answerprint.core.errors import PackError, RuntimeBackendError, TamperedPackError, UsageError
from answerprint.core.packs import (IOSpec, Manifest, PackSpec, TensorSpec, build_provenance, create_production_key,
                                    embed_manifest, init_production, load_pack, load_private_key, sign_model,
                                    write_pack)
from answerprint.core.runtime import (PREFERENCE, LazyImage, ModelSession, choose_providers, clear_session_cache,
                                      frames_to_tensor, open_session, plan_tiles, run_frame, run_tiled,
                                      tensor_to_frame, window_indices)
from answerprint.core.runtime.tiling import pad_to_multiple

CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"
EVERY_PROVIDER = ["AzureExecutionProvider", CPU, "DmlExecutionProvider", CUDA, "CoreMLExecutionProvider",
                  "TensorrtExecutionProvider"]


def _model(nodes, inputs, outputs, initializers) -> bytes:
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 10
    return model.SerializeToString()


def _image_info(name: str, channels: int | str = 3, layout: str = "NCHW") -> onnx.ValueInfoProto:
    dims = {"NCHW": ["N", channels, "H", "W"], "NTCHW": ["N", 3, channels, "H", "W"]}[layout]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def conv_stack(layers: int, width: int = 8, seed: int = 0) -> bytes:
    """3 → width → ... → 3 channels of 3x3 convs with ReLU between: receptive radius ``layers`` pixels."""
    rng = np.random.default_rng(seed)
    nodes, initializers, current = [], [], "image"
    for i in range(layers):
        c_in, c_out = (3 if i == 0 else width), (3 if i == layers - 1 else width)
        initializers += [numpy_helper.from_array(rng.normal(0, 0.3, (c_out, c_in, 3, 3)).astype(np.float32), f"w{i}"),
                         numpy_helper.from_array(rng.normal(0, 0.1, c_out).astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Conv", [current, f"w{i}", f"b{i}"], [f"c{i}"], pads=[1, 1, 1, 1]))
        current = f"c{i}"
        if i < layers - 1:
            nodes.append(helper.make_node("Relu", [current], [f"r{i}"]))
            current = f"r{i}"
    nodes[-1].output[0] = "output"
    return _model(nodes, [_image_info("image")], [_image_info("output")], initializers)


def pooled_model(seed: int = 1) -> bytes:
    """conv → 3× 2x2 average pool → 8x nearest upsample, joined with the conv: needs H, W multiples of 8."""
    rng = np.random.default_rng(seed)
    initializers = [numpy_helper.from_array(rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), "w0"),
                    numpy_helper.from_array(rng.normal(0, 0.3, (3, 8, 1, 1)).astype(np.float32), "w1"),
                    numpy_helper.from_array(np.array([1, 1, 8, 8], np.float32), "scales")]
    pool = {"kernel_shape": [2, 2], "strides": [2, 2]}
    nodes = [helper.make_node("Conv", ["image", "w0"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("AveragePool", ["c"], ["p1"], **pool),
             helper.make_node("AveragePool", ["p1"], ["p2"], **pool),
             helper.make_node("AveragePool", ["p2"], ["p3"], **pool),
             helper.make_node("Resize", ["p3", "", "scales"], ["up"], mode="nearest"),
             helper.make_node("Concat", ["c", "up"], ["joined"], axis=1),
             helper.make_node("Conv", ["joined", "w1"], ["output"])]
    return _model(nodes, [_image_info("image")], [_image_info("output")], initializers)


def fn_of(model: bytes):
    return ModelSession(model, threads=2).image_function("image", "output")


@pytest.fixture
def cobalt(tmp_path, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANSWERPRINT_PROVIDERS", raising=False)
    monkeypatch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
    production = init_production("cobalt", "Cobalt Feature")
    create_production_key(production)
    clear_session_cache()
    yield production
    clear_session_cache()


def make_pack(production, folder, model: bytes, fp16: bool = False):
    """A signed pack of ``model`` (optionally with a signed fp16 variant beside it), loaded and verified."""
    spec = PackSpec("cleanup", "tiny", "1", IOSpec((TensorSpec("image"),), (TensorSpec("output"),), "ACEScct"))
    manifest = Manifest.create(
        spec, production_id=production.id, production_name=production.name,
        provenance=build_provenance(production, [], training_config={}, validation_metrics={}),
        parity={"max_abs_diff": 0.0, "tolerance": 1e-4, "reference": "onnx graph", "runtime": "none",
                "inputs": ["none"]},
        software={"answerprint": "test", "torch": "none", "onnx": onnx.__version__, "onnxruntime": "test"}, opset=20)
    key = load_private_key(production.id)
    if fp16:
        half = convert_float_to_float16(onnx.load_from_string(model), keep_io_types=True).SerializeToString()
        half_pack = sign_model(embed_manifest(half, manifest.updated({"identity.precision": "fp16"})), key)
        write_pack(half_pack, folder / "tiny.fp16.onnx")
        manifest = manifest.updated({"variants": {"fp16": {"file": "tiny.fp16.onnx",
                                                           "sha256": hashlib.sha256(half_pack).hexdigest()}}})
    return load_pack(write_pack(sign_model(embed_manifest(model, manifest), key), folder / "tiny.onnx"), "cobalt")


def photo_batch(width: int, height: int) -> np.ndarray:
    return frames_to_tensor(photo_frames(width, height, 1))


# --- providers ------------------------------------------------------------------------------------------

def test_providers_are_tried_tensorrt_cuda_coreml_directml_then_cpu():
    assert choose_providers(available=EVERY_PROVIDER).providers == PREFERENCE
    assert choose_providers(available=[CUDA, CPU, "AzureExecutionProvider"]).providers == (CUDA, CPU)
    assert choose_providers(available=[CPU]).providers == (CPU,)


def test_providers_can_be_chosen_by_the_user_or_the_machine(monkeypatch):
    assert choose_providers("dml, cuda", available=EVERY_PROVIDER).providers == ("DmlExecutionProvider", CUDA, CPU)
    monkeypatch.setenv("ANSWERPRINT_PROVIDERS", "tensorrt,cpu")
    assert choose_providers(available=EVERY_PROVIDER).providers == ("TensorrtExecutionProvider", CPU)
    with pytest.raises(UsageError, match="unknown execution provider"):
        choose_providers("quantum")


def test_an_unavailable_provider_falls_back_to_cpu_and_says_so(cobalt, tmp_path):
    choice = choose_providers(["cuda"], available=[CPU])
    assert choice.providers == (CPU,) and choice.unavailable == (CUDA,)
    notes = []
    session = open_session(make_pack(cobalt, tmp_path, conv_stack(2)), providers=["cuda"], on_warning=notes.append)
    assert session.provider == CPU
    assert notes and "requested CUDAExecutionProvider not available" in notes[0]


def test_a_provider_that_fails_to_load_falls_back_to_cpu_and_says_so(cobalt, tmp_path, monkeypatch):
    real = onnxruntime.InferenceSession

    def cuda_without_its_libraries(model, options=None, providers=None):
        if any((p if isinstance(p, str) else p[0]) == CUDA for p in providers):
            raise RuntimeError("libcudart.so.13: cannot open shared object file")
        return real(model, options, providers=providers)

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(onnxruntime, "InferenceSession", cuda_without_its_libraries)
    notes = []
    session = open_session(make_pack(cobalt, tmp_path, conv_stack(2)), providers="cuda", on_warning=notes.append)
    assert session.requested == (CUDA, CPU) and session.provider == CPU
    assert "CUDAExecutionProvider failed to load (libcudart.so.13" in session.fallback
    assert notes == [f"cobalt/cleanup/tiny@1: {session.fallback}"]


def test_a_model_onnxruntime_cannot_load_is_a_backend_error():
    with pytest.raises(RuntimeBackendError, match="cannot load the model"):
        ModelSession(b"\x08\x07not a model")


# --- sessions -------------------------------------------------------------------------------------------

def test_the_session_cache_returns_the_same_session(cobalt, tmp_path):
    pack = make_pack(cobalt, tmp_path, conv_stack(2))
    first = open_session(pack, threads=1)
    assert open_session(pack, threads=1) is first
    assert open_session(pack, threads=2) is not first
    clear_session_cache()
    assert open_session(pack, threads=1) is not first


def test_session_threads_are_set_and_spinning_is_off():
    session = ModelSession(conv_stack(2), threads=1)
    assert session.threads == 1 and session._session.get_session_options().intra_op_num_threads == 1
    assert session._session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_io_binding_gives_the_same_output_on_cpu():
    session = ModelSession(conv_stack(3))
    feeds = {"image": photo_batch(96, 64)}
    bound = session.run(feeds, io_binding=True)["output"]
    assert np.array_equal(bound, session.run(feeds, io_binding=False)["output"])


def test_height_and_width_are_dynamic():
    session = ModelSession(conv_stack(2))
    for width, height in ((64, 64), (130, 97), (33, 250)):
        assert session.run({"image": photo_batch(width, height)})["output"].shape == (1, 3, height, width)


def test_bad_inputs_are_a_backend_error():
    with pytest.raises(RuntimeBackendError, match="inference failed on CPUExecutionProvider"):
        ModelSession(conv_stack(2)).run({"image": np.zeros((1, 4, 8, 8), np.float32)})


# --- tiling ---------------------------------------------------------------------------------------------

def test_tiles_cover_the_frame_on_the_model_grid():
    plan = plan_tiles(1088, 1920, max_tile=512, overlap=32, multiple=8)
    assert plan.tile_height <= 512 and plan.tile_width <= 512 and plan.count == 12
    for origins, size, length in ((plan.ys, plan.tile_height, 1088), (plan.xs, plan.tile_width, 1920)):
        assert origins[0] == 0 and origins[-1] + size == length
        assert all(o % 8 == 0 for o in origins) and size % 8 == 0
        assert all(a + size - b >= 32 for a, b in zip(origins, origins[1:]))
    with pytest.raises(UsageError, match="too small"):
        plan_tiles(1088, 1920, max_tile=60, overlap=32)


def test_blend_weights_sum_to_one():
    image = photo_batch(301, 203)
    tiled = run_tiled(lambda x: x, image, tile=96, overlap=24)
    assert np.max(np.abs(tiled - image)) < 1e-6


def test_tiled_output_matches_the_whole_frame():
    fn = fn_of(conv_stack(4))
    image = photo_batch(517, 333)
    whole = fn(image)
    tiled = run_tiled(fn, image, tile=160, overlap=32, tiles_per_batch=3)
    assert np.max(np.abs(tiled - whole)) <= 1e-3


def test_tiled_output_matches_with_the_required_size_multiple():
    fn = fn_of(pooled_model())
    image = photo_batch(517, 333)
    whole = fn(pad_to_multiple(image, 8))[..., :333, :517]
    with pytest.raises(RuntimeBackendError):
        fn(image)
    tiled = run_frame(fn, image, multiple=8, memory_budget_bytes=200 * 200 * 64, bytes_per_pixel=64, overlap=64)
    assert tiled.shape == (1, 3, 333, 517)
    assert np.max(np.abs(tiled - whole)) <= 1e-3


def test_tiles_are_batched_and_a_frame_that_fits_runs_whole():
    calls = []
    session_fn = fn_of(conv_stack(2))

    def counted(x):
        calls.append(x.shape[0])
        return session_fn(x)

    image = photo_batch(300, 200)
    batched = run_tiled(counted, image, tile=96, overlap=32, tiles_per_batch=4)
    assert max(calls) == 4 and len(calls) < plan_tiles(200, 300, max_tile=96, overlap=32).count
    assert np.max(np.abs(batched - run_tiled(session_fn, image, tile=96, overlap=32))) < 1e-6
    calls.clear()
    run_frame(counted, image, memory_budget_bytes=300 * 200 * 256)
    assert calls == [1]


def test_a_lazy_input_made_tile_by_tile_gives_the_arrays_result_exactly():
    fn = fn_of(pooled_model())
    image = photo_batch(517, 333)
    made = []

    def crop(y0, y1, x0, x1):
        made.append((y1 - y0) * (x1 - x0))
        return image[..., y0:y1, x0:x1].copy()

    lazy = LazyImage(image.shape, crop)
    options = dict(multiple=8, memory_budget_bytes=200 * 200 * 64, bytes_per_pixel=64, overlap=64)
    assert np.array_equal(run_frame(fn, lazy, **options), run_frame(fn, image, **options))
    assert len(made) > 1 and max(made) < 333 * 517 / 2, "never made whole when tiled"
    made.clear()
    assert np.array_equal(run_frame(fn, lazy, multiple=8), run_frame(fn, image, multiple=8))
    assert made == [333 * 517], "made once, whole, when the frame fits"


# --- temporal windows -----------------------------------------------------------------------------------

def test_a_temporal_window_model_runs_with_frames_stacked_along_channels():
    average = numpy_helper.from_array(np.tile(np.eye(3, dtype=np.float32) / 3, (1, 3))[..., None, None], "w")
    model = _model([helper.make_node("Conv", ["image", "w"], ["output"])], [_image_info("image", 9)],
                   [_image_info("output")], [average])
    frames = photo_frames(160, 90, 5)
    window = [frames[i] for i in window_indices(0, len(frames), 3)]
    out = tensor_to_frame(run_frame(fn_of(model), frames_to_tensor(window)))
    assert np.max(np.abs(out - np.mean(window, axis=0))) < 1e-5


def test_a_temporal_window_model_runs_with_the_window_as_its_own_axis():
    model = _model([helper.make_node("ReduceMean", ["image", "axis"], ["output"], keepdims=0)],
                   [_image_info("image", 3, "NTCHW")], [_image_info("output")],
                   [numpy_helper.from_array(np.array([1], np.int64), "axis")])
    frames = photo_frames(200, 120, 3)
    tiled = run_tiled(fn_of(model), frames_to_tensor(frames, "NTCHW"), tile=96, overlap=32)
    assert np.max(np.abs(tensor_to_frame(tiled) - np.mean(frames, axis=0))) < 1e-5


def test_temporal_windows_repeat_the_edge_frames():
    assert window_indices(0, 10, 5) == [0, 0, 0, 1, 2]
    assert window_indices(9, 10, 3) == [8, 9, 9]
    with pytest.raises(UsageError, match="odd"):
        window_indices(3, 10, 4)


# --- fp16 -----------------------------------------------------------------------------------------------

def test_the_fp16_variant_runs_on_cpu_and_stays_close(cobalt, tmp_path):
    pack = make_pack(cobalt, tmp_path, conv_stack(4), fp16=True)
    image = photo_batch(256, 144)
    full = open_session(pack, precision="auto")
    assert full.precision == "fp32"
    half = open_session(pack, precision="fp16")
    assert half.precision == "fp16" and half.provider == CPU
    difference = np.max(np.abs(half.run({"image": image})["output"] - full.run({"image": image})["output"]))
    assert 0 < difference <= 1e-2


def test_the_fp16_variant_is_chosen_on_a_gpu_provider(cobalt, tmp_path, monkeypatch):
    real = onnxruntime.InferenceSession

    class PretendCuda(real):
        def __init__(self, model, options=None, providers=None):
            super().__init__(model, options, providers=[CPU])

        def get_providers(self):
            return [CUDA, CPU]

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(onnxruntime, "InferenceSession", PretendCuda)
    assert open_session(make_pack(cobalt, tmp_path, conv_stack(2), fp16=True)).precision == "fp16"
    assert open_session(make_pack(cobalt, tmp_path / "plain", conv_stack(2))).precision == "fp32"


def test_a_swapped_fp16_variant_is_refused(cobalt, tmp_path):
    pack = make_pack(cobalt, tmp_path, conv_stack(2), fp16=True)
    (tmp_path / "tiny.fp16.onnx").write_bytes((tmp_path / "tiny.onnx").read_bytes())
    with pytest.raises(TamperedPackError, match="fp16 variant does not match"):
        open_session(pack, precision="fp16")
    with pytest.raises(PackError, match="no fp16 variant"):
        open_session(make_pack(cobalt, tmp_path / "plain", conv_stack(2)), precision="fp16")


def test_core_runs_packs_without_torch_or_the_onnx_package():
    code = ("import sys, answerprint.core.runtime, answerprint.core.packs, answerprint.core.cli.packs_cmd, "
            "answerprint.core.cli.keys_cmd; "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'onnx', 'PySide6'}); "
            "sys.exit(str(bad) if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
