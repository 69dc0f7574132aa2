"""GPU execution for onnxruntime sessions: provider options, the memory cap, CUDA libraries, device buffers.

What a session on a GPU provider is set up with (``provider_entries``):

- CUDA: cuDNN's exhaustive convolution-algorithm search (once per shape, then cached by cuDNN for the
  session), the largest cuDNN workspace, an arena that grows only by what is asked for, the memory cap
  (``GpuOptions.memory_limit_bytes``) and, when asked for, CUDA graphs (``GpuOptions.cuda_graph``);
- TensorRT: fp16 kernels for an fp16 run, engines and timing caches kept on disk per production and pack
  (``cache_dir()/tensorrt/<production>/<pack hash>``; TensorRT itself keys its engines by input shape), so a
  shape is built once per workstation, not per render.

``DeviceBuffers`` keeps one fixed device tensor per graph input and output and per input shape: a frame is
copied into it in place (``OrtValue.update_inplace``) and the graph writes into the same output tensor every
time, which is what CUDA graphs need (the captured kernels read and write fixed addresses) and saves an
allocation per frame otherwise. Outputs can stay on the device for a next GPU stage (``ModelSession.
run_on_device``) or come back to the host once.

Settings come from the environment so that every surface (CLI, panel, farm workers, hosts) shares them:
``ANSWERPRINT_GPU_MEMORY_GB`` (cap, GiB, default none) and ``ANSWERPRINT_CUDA_GRAPH`` (``1`` to capture).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import onnxruntime as ort

from ..errors import UsageError

GPU_MEMORY_ENV = "ANSWERPRINT_GPU_MEMORY_GB"
CUDA_GRAPH_ENV = "ANSWERPRINT_CUDA_GRAPH"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
#: Share of the memory cap that one inference call's activations may take before the frame is tiled (the
#: rest is onnxruntime's weights, workspace and the bound inputs/outputs).
ACTIVATION_SHARE = 0.6
#: Activation memory one call may use on a GPU when no cap is set: fits a 24 GB workstation card.
DEFAULT_GPU_ACTIVATION_BYTES = 12 * 1024 ** 3

_ELEMENT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
                  "tensor(int32)": np.int32, "tensor(bool)": np.bool_}


@dataclass(frozen=True)
class GpuOptions:
    """How sessions use the GPU.

    Attributes
    ----------
    memory_limit_bytes : int or None
        Cap on what onnxruntime's GPU arena may hold (bytes); frames whose working memory would exceed
        ``ACTIVATION_SHARE`` of it are tiled. None: no cap (onnxruntime's default, the whole card).
    cuda_graph : bool
        Capture each input shape's kernels once as a CUDA graph and replay it (CUDA provider only; needs
        every node of the graph on the GPU, else the session falls back to plain launches and says so).
    """

    memory_limit_bytes: int | None = None
    cuda_graph: bool = False

    @classmethod
    def from_environment(cls) -> "GpuOptions":
        """The options ``ANSWERPRINT_GPU_MEMORY_GB`` and ``ANSWERPRINT_CUDA_GRAPH`` set.

        Raises
        ------
        UsageError
            When the memory cap is not a positive number of GiB.
        """
        text = os.environ.get(GPU_MEMORY_ENV, "").strip()
        limit = None
        if text:
            try:
                gigabytes = float(text)
            except ValueError:
                gigabytes = -1.0
            if not gigabytes > 0:
                raise UsageError(f"{GPU_MEMORY_ENV} is a positive number of GiB, not {text!r}")
            limit = int(gigabytes * 1024 ** 3)
        return cls(limit, os.environ.get(CUDA_GRAPH_ENV, "").strip() in ("1", "true", "yes", "on"))

    def activation_budget(self, host_budget_bytes: int, provider: str) -> int:
        """Working memory one call may use before the frame is tiled (bytes).

        The host budget on the CPU; on a GPU ``ACTIVATION_SHARE`` of the cap, or
        ``DEFAULT_GPU_ACTIVATION_BYTES`` without one.
        """
        if provider not in (CUDA, TENSORRT):
            return host_budget_bytes
        if self.memory_limit_bytes is None:
            return DEFAULT_GPU_ACTIVATION_BYTES
        return int(self.memory_limit_bytes * ACTIVATION_SHARE)


def load_cuda_libraries() -> None:
    """Make the CUDA and cuDNN libraries of pip's ``nvidia-*`` packages visible to onnxruntime.

    onnxruntime-gpu links against the CUDA runtime, cuBLAS, cuFFT, cuRAND and cuDNN but does not bring them;
    on a machine where they come from pip wheels (as with PyTorch) they are not on the loader's path until
    ``onnxruntime.preload_dlls`` loads them. Nothing is done without those packages (the system's libraries
    are then the loader's business); what fails shows as the session's one-line fallback, not as the loader's
    messages.
    """
    preload = getattr(ort, "preload_dlls", None)
    if preload is None or CUDA not in ort.get_available_providers() or importlib.util.find_spec("nvidia") is None:
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            preload(cuda=True, cudnn=True, msvc=False)
        except Exception:  # preload_dlls raises whatever the loader raised; the session then says what runs
            pass


@contextlib.contextmanager
def quiet_provider_failures() -> Iterator[None]:
    """Keep onnxruntime's own reports of a GPU provider that fails to start (a dozen lines on stderr) from the
    user: the session reports the fallback in one line instead."""
    ort.set_default_logger_severity(4)
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        yield


#: Why a GPU provider usually does not start, for the one-line fallback message.
GPU_START_HINT = "no NVIDIA GPU, or its CUDA 13 / cuDNN 9 libraries are not installed"


def provider_entries(providers: Sequence[str], options: GpuOptions, *, precision: str = "fp32",
                     cache_folder: Path | None = None) -> list[str | tuple[str, dict[str, str]]]:
    """The ``providers`` argument of ``onnxruntime.InferenceSession`` (names with their options).

    Parameters
    ----------
    providers : sequence of str
        onnxruntime provider names, best first.
    options : GpuOptions
        Memory cap and CUDA graphs.
    precision : str
        ``fp32`` or ``fp16``: TensorRT builds fp16 kernels for an fp16 run.
    cache_folder : Path, optional
        Where TensorRT keeps its engines and timing cache (created when TensorRT is among ``providers``).
    """
    entries: list[str | tuple[str, dict[str, str]]] = []
    limit = options.memory_limit_bytes
    for name in providers:
        if name == CUDA:
            settings = {"device_id": "0", "cudnn_conv_algo_search": "EXHAUSTIVE",
                        "cudnn_conv_use_max_workspace": "1", "arena_extend_strategy": "kSameAsRequested",
                        "do_copy_in_default_stream": "1",
                        "enable_cuda_graph": "1" if options.cuda_graph else "0"}
            if limit is not None:
                settings["gpu_mem_limit"] = str(limit)
            entries.append((name, settings))
        elif name == TENSORRT:
            settings = {"device_id": "0", "trt_fp16_enable": "True" if precision == "fp16" else "False",
                        "trt_engine_cache_enable": "True", "trt_timing_cache_enable": "True"}
            if cache_folder is not None:
                cache_folder.mkdir(parents=True, exist_ok=True)
                settings["trt_engine_cache_path"] = str(cache_folder)
                settings["trt_timing_cache_path"] = str(cache_folder)
            if limit is not None:
                settings["trt_max_workspace_size"] = str(limit)
            entries.append((name, settings))
        else:
            entries.append(name)
    return entries


def _static_shape(declared: Sequence[Any], inputs: Mapping[str, tuple[int, ...]],
                  declared_inputs: Mapping[str, Sequence[Any]]) -> tuple[int, ...] | None:
    """An output's shape from its declared dims: numbers as they are, named dims from an input of that name."""
    sizes: dict[str, int] = {}
    for name, dims in declared_inputs.items():
        for dim, size in zip(dims, inputs[name]):
            if isinstance(dim, str):
                sizes.setdefault(dim, size)
    shape = []
    for dim in declared:
        if isinstance(dim, int) and dim > 0:
            shape.append(dim)
        elif isinstance(dim, str) and dim in sizes:
            shape.append(sizes[dim])
        else:
            return None
    return tuple(shape)


class DeviceBuffers:
    """Fixed device tensors for one session and one set of input shapes (see the module docstring).

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        The session the tensors are bound to.
    shapes : mapping of str to tuple of int
        Each graph input's shape.
    device : str
        ``cuda`` or ``cpu`` (onnxruntime's device name).

    Attributes
    ----------
    outputs_fixed : bool
        True when every output's shape could be worked out from the graph's declared dims, so outputs are
        written into fixed tensors too (needed for CUDA graphs); else onnxruntime allocates them per run.
    """

    def __init__(self, session: ort.InferenceSession, shapes: Mapping[str, tuple[int, ...]], device: str):
        self.device = device
        self._shapes = dict(shapes)
        declared = {i.name: i.shape for i in session.get_inputs()}
        self._kinds = {i.name: _ELEMENT_TYPES.get(i.type, np.float32) for i in session.get_inputs()}
        self.inputs: dict[str, ort.OrtValue] = {}
        self._bound: dict[str, ort.OrtValue] = {}
        self.outputs: dict[str, ort.OrtValue] = {}
        for output in session.get_outputs():
            shape = _static_shape(output.shape, shapes, declared)
            if shape is None:
                self.outputs = {}
                break
            kind = _ELEMENT_TYPES.get(output.type, np.float32)
            self.outputs[output.name] = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), kind, device, 0)
        self.outputs_fixed = bool(self.outputs)
        self.binding = session.io_binding()
        for output in session.get_outputs():
            if self.outputs_fixed:
                self.binding.bind_ortvalue_output(output.name, self.outputs[output.name])
            else:
                self.binding.bind_output(output.name, device)

    @property
    def nbytes(self) -> int:
        """Device bytes held by the fixed tensors."""
        values = list(self.inputs.values()) + list(self.outputs.values())
        return sum(int(np.prod(v.shape())) * np.dtype(_ELEMENT_TYPES.get(v.data_type(), np.float32)).itemsize
                   for v in values)

    @property
    def inputs_fixed(self) -> bool:
        """True when every input is read from this object's own tensors (none bound from another stage)."""
        return all(self.inputs.get(name) is value for name, value in self._bound.items())

    def fill(self, feeds: Mapping[str, np.ndarray | ort.OrtValue]) -> None:
        """Bind the inputs: a host array is copied into its fixed tensor (one host-to-device copy); a value
        already on the device (a previous GPU stage's output) is bound as it is, with no copy."""
        for name, value in feeds.items():
            if isinstance(value, ort.OrtValue):
                target = value
            else:
                target = self.inputs.get(name)
                if target is None:
                    target = ort.OrtValue.ortvalue_from_shape_and_type(list(self._shapes[name]), self._kinds[name],
                                                                       self.device, 0)
                    self.inputs[name] = target
                target.update_inplace(np.ascontiguousarray(value, dtype=self._kinds[name]))
            if self._bound.get(name) is not target:
                self.binding.bind_ortvalue_input(name, target)
                self._bound[name] = target

    def results(self, names: Sequence[str]) -> dict[str, ort.OrtValue]:
        """The outputs of the last run, still on the device (valid until the next run of these buffers)."""
        if self.outputs_fixed:
            return {name: self.outputs[name] for name in names}
        return dict(zip(names, self.binding.get_outputs()))
