"""GPU set-up of sessions, checked where it can be without a GPU: options, the memory cap, fixed device tensors.

The fixed-tensor path (``DeviceBuffers``) is the one a CUDA session runs; on the CPU provider the same code
binds host tensors, so its bookkeeping (one set of tensors per input shape, outputs copied out, never
aliased) is tested here. What needs a card (CUDA graphs, TensorRT engines, timings) is measured by
``bench/gpu_check.sh`` on a GPU machine.
"""
from __future__ import annotations

import numpy as np
import pytest
from test_runtime import cobalt, conv_stack, make_pack, photo_batch  # noqa: F401  (fixture)

from answerprint.core.errors import RuntimeBackendError, UsageError
from answerprint.core.runtime import ModelSession, open_session
from answerprint.core.runtime.gpu import GpuOptions, provider_entries
from answerprint.core.runtime.session import tensorrt_cache_folder

CPU, CUDA, TRT = "CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"


def test_the_gpu_memory_cap_and_cuda_graphs_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_GPU_MEMORY_GB", "2.5")
    monkeypatch.setenv("ANSWERPRINT_CUDA_GRAPH", "1")
    options = GpuOptions.from_environment()
    assert options == GpuOptions(int(2.5 * 1024 ** 3), True)
    monkeypatch.delenv("ANSWERPRINT_GPU_MEMORY_GB")
    monkeypatch.delenv("ANSWERPRINT_CUDA_GRAPH")
    assert GpuOptions.from_environment() == GpuOptions(None, False)


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_bad_gpu_memory_cap_is_refused_in_one_line(monkeypatch, value):
    monkeypatch.setenv("ANSWERPRINT_GPU_MEMORY_GB", value)
    with pytest.raises(UsageError, match="ANSWERPRINT_GPU_MEMORY_GB is a positive number of GiB"):
        GpuOptions.from_environment()


def test_cuda_gets_exhaustive_conv_search_the_cap_and_graphs_when_asked():
    (name, settings), cpu = provider_entries([CUDA, CPU], GpuOptions(3 * 1024 ** 3, True))
    assert name == CUDA and cpu == CPU
    assert settings["cudnn_conv_algo_search"] == "EXHAUSTIVE"
    assert settings["gpu_mem_limit"] == str(3 * 1024 ** 3) and settings["enable_cuda_graph"] == "1"
    (_, plain), _ = provider_entries([CUDA, CPU], GpuOptions())
    assert "gpu_mem_limit" not in plain and plain["enable_cuda_graph"] == "0"


def test_tensorrt_keeps_its_engines_per_production_and_pack_and_builds_fp16_for_fp16(cobalt, tmp_path):
    pack = make_pack(cobalt, tmp_path, conv_stack(2))
    folder = tensorrt_cache_folder(pack)
    assert folder.parts[-2:] == ("cobalt", pack.sha256[:16]) and "tensorrt" in folder.parts
    (_, settings), _, _ = provider_entries([TRT, CUDA, CPU], GpuOptions(), precision="fp16", cache_folder=folder)
    assert folder.is_dir()
    assert settings["trt_fp16_enable"] == "True" and settings["trt_engine_cache_enable"] == "True"
    assert settings["trt_engine_cache_path"] == str(folder)
    (_, fp32), _ = provider_entries([TRT, CPU], GpuOptions(), precision="fp32", cache_folder=folder)
    assert fp32["trt_fp16_enable"] == "False"


def test_the_tiling_budget_follows_the_gpu_cap_on_a_gpu_and_the_host_budget_on_the_cpu():
    """Without a cap a GPU gets a budget that fits a 24 GB card."""
    options = GpuOptions(4 * 1024 ** 3)
    assert options.activation_budget(3 * 1024 ** 3, CUDA) == int(4 * 1024 ** 3 * 0.6)
    assert options.activation_budget(3 * 1024 ** 3, CPU) == 3 * 1024 ** 3
    assert GpuOptions().activation_budget(3 * 1024 ** 3, CUDA) == 12 * 1024 ** 3


def test_bound_runs_reuse_one_set_of_tensors_per_shape_and_return_copies():
    session = ModelSession(conv_stack(3))
    first, second = photo_batch(96, 64), photo_batch(96, 64)[:, ::-1].copy()
    out_first = session.run({"image": first}, io_binding=True)["output"]
    out_second = session.run({"image": second}, io_binding=True)["output"]
    assert len(session._buffers) == 1
    buffers = next(iter(session._buffers.values()))
    assert buffers.outputs_fixed and buffers.nbytes == 2 * first.nbytes
    assert np.array_equal(out_first, session.run({"image": first}, io_binding=False)["output"])
    assert np.array_equal(out_second, session.run({"image": second}, io_binding=False)["output"])
    session.run({"image": photo_batch(64, 48)}, io_binding=True)
    assert len(session._buffers) == 2


def test_outputs_can_stay_where_the_provider_keeps_them_for_a_next_stage():
    session = ModelSession(conv_stack(2))
    feeds = {"image": photo_batch(64, 48)}
    kept = session.run_on_device(feeds)["output"]
    assert kept.device_name().lower() == "cpu" and kept.shape() == [1, 3, 48, 64]
    assert np.array_equal(kept.numpy(), session.run(feeds)["output"])


def test_sessions_with_another_gpu_cap_are_not_shared(cobalt, tmp_path, monkeypatch):
    pack = make_pack(cobalt, tmp_path, conv_stack(2))
    plain = open_session(pack, threads=1)
    monkeypatch.setenv("ANSWERPRINT_GPU_MEMORY_GB", "1")
    capped = open_session(pack, threads=1)
    assert capped is not plain and capped.gpu.memory_limit_bytes == 1024 ** 3


def test_a_previous_stages_output_is_bound_without_a_copy_and_gives_the_same_result():
    first, second = ModelSession(conv_stack(2, seed=3)), ModelSession(conv_stack(2, seed=4))
    feeds = {"image": photo_batch(64, 48)}
    handed_over = first.run_on_device(feeds)["output"]
    chained = second.run_on_device({"image": handed_over})["output"].numpy()
    buffers = next(iter(second._buffers.values()))
    assert buffers.inputs == {} and not buffers.inputs_fixed  # nothing was copied into a tensor of its own
    assert np.array_equal(chained, second.run({"image": first.run(feeds)["output"]})["output"])


def test_a_run_that_fails_under_cuda_graphs_retries_without_them_and_says_why():
    """The fallback a CUDA session takes when a captured graph cannot run, driven on the CPU provider: the
    session is marked as capturing (what a CUDA session with ``ANSWERPRINT_CUDA_GRAPH=1`` is), a run fails
    (here: a wrong input name), and the session is rebuilt without graphs, notes why, and runs the feeds again —
    which fail again here, now as the one-line backend error."""
    said: list[str] = []
    session = ModelSession(conv_stack(2), label="cobalt/cleanup", on_warning=said.append)
    session.cuda_graph = True
    with pytest.raises(RuntimeBackendError, match="inference failed on CPUExecutionProvider"):
        session.run_on_device({"not_an_input": photo_batch(64, 48)})
    assert session.cuda_graph is False and session.fallback.startswith("CUDA graphs cannot be used (")
    assert said == [f"cobalt/cleanup: {session.fallback}"]
    feeds = {"image": photo_batch(64, 48)}
    assert np.array_equal(session.run_on_device(feeds)["output"].numpy(), session.run(feeds)["output"])
