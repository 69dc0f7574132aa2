"""onnxruntime sessions for packs: provider fallback, threads, fp16 variants, IO binding, and a cache.

``open_session(pack)`` is what an effect's ``compile`` calls: it picks the providers, picks the pack's fp16
variant when the provider is a GPU one and the pack has it, creates the session from the verified bytes (the
file is not read again), falls back to CPU when a GPU provider fails to load, reports the provider that
really runs, and caches the session process-wide keyed by (pack file's SHA-256, providers, threads, GPU
options). On a GPU provider inputs and outputs go through fixed device tensors (``gpu.DeviceBuffers``), set
up with the options of ``gpu.GpuOptions`` (memory cap, CUDA graphs, TensorRT engine cache).
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import onnxruntime as ort

from ..errors import PackError, RuntimeBackendError, TamperedPackError
from ..packs.pack import Pack, load_pack
from ..paths import cache_dir
from .gpu import (GPU_START_HINT, DeviceBuffers, GpuOptions, load_cuda_libraries, provider_entries,
                  quiet_provider_failures)
from .providers import CPU, DEVICE_MEMORY, FP16_PROVIDERS, choose_providers

_log = logging.getLogger("answerprint.runtime")
WarningCallback = Callable[[str], None]
#: Sessions kept alive by ``open_session`` (least recently used ones are dropped beyond this).
CACHE_SIZE = 8
#: Sets of fixed device tensors a GPU session keeps (one per input shape; least recently used dropped).
DEVICE_SHAPES = 4


def _log_warning(message: str) -> None:
    _log.warning(message)


def default_threads() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _session_options(threads: int) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Frames and tiles come in many sizes; a memory pattern per size kept beside the arena's own chunks doubled
    # the arena (a 1080p cleanup frame: 857 MB with patterns, 382 MB without, at the same speed).
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


class ModelSession:
    """One onnxruntime session and what it really runs on.

    Attributes
    ----------
    label : str
        What the session runs (a pack id), for messages.
    requested : tuple of str
        Providers asked for, best first.
    provider : str
        The provider that really runs the graph (``session.get_providers()[0]``).
    fallback : str or None
        Why ``provider`` is not the first requested one; None when it is.
    threads : int
        Intra-op CPU threads.
    precision : str
        ``fp32`` or ``fp16``: which variant of the pack the session runs.
    gpu : GpuOptions
        Memory cap and CUDA graphs (used on a GPU provider).
    cuda_graph : bool
        True when kernels are captured and replayed as CUDA graphs (asked for, and the graph allows it).
    input_names, output_names : tuple of str
        The graph's inputs and outputs.
    """

    def __init__(self, model_bytes: bytes, providers: Sequence[str] = (CPU,), *, threads: int | None = None,
                 label: str = "model", precision: str = "fp32", on_warning: WarningCallback = _log_warning,
                 gpu: GpuOptions | None = None, cache_folder: Path | None = None):
        """Create the session, falling back to CPU when the requested providers fail to load.

        Raises
        ------
        RuntimeBackendError
            When even the CPU provider cannot create a session for the model.
        """
        self.label = label
        self.precision = precision
        self.requested = tuple(providers) or (CPU,)
        self.threads = threads or default_threads()
        self.gpu = gpu or GpuOptions()
        self.fallback: str | None = None
        self._model_bytes = model_bytes
        self._cache_folder = cache_folder
        self._on_warning = on_warning
        self._buffers: OrderedDict[tuple, DeviceBuffers] = OrderedDict()
        self._session = self._create(self.requested, self.gpu)
        self.provider = self._session.get_providers()[0]
        if self.fallback is None and self.provider != self.requested[0]:
            hint = f" ({GPU_START_HINT})" if self.requested[0] in DEVICE_MEMORY else ""
            self.fallback = f"{self.requested[0]} could not start{hint}; running on {self.provider}"
            on_warning(f"{label}: {self.fallback}")
        self.cuda_graph = self.gpu.cuda_graph and self.provider == "CUDAExecutionProvider"
        self.input_names = tuple(i.name for i in self._session.get_inputs())
        self.output_names = tuple(o.name for o in self._session.get_outputs())

    def _create(self, providers: tuple[str, ...], gpu: GpuOptions) -> ort.InferenceSession:
        """A session on ``providers``, or on the CPU (with ``fallback`` saying why) when they fail to load."""
        entries = provider_entries(providers, gpu, precision=self.precision, cache_folder=self._cache_folder)
        try:
            if providers == (CPU,):
                return ort.InferenceSession(self._model_bytes, _session_options(self.threads), providers=entries)
            load_cuda_libraries()
            with quiet_provider_failures():
                return ort.InferenceSession(self._model_bytes, _session_options(self.threads), providers=entries)
        except Exception as error:  # onnxruntime's exception classes derive from Exception directly
            if providers == (CPU,):
                raise RuntimeBackendError(f"onnxruntime cannot load the model: {error}", self.label) from None
            self.fallback = f"{providers[0]} failed to load ({str(error).splitlines()[0][:200]}); using CPU"
            self._on_warning(f"{self.label}: {self.fallback}")
        try:
            return ort.InferenceSession(self._model_bytes, _session_options(self.threads), providers=[CPU])
        except Exception as cpu_error:  # onnxruntime's exception classes derive from Exception directly
            raise RuntimeBackendError(f"onnxruntime cannot load the model: {cpu_error}", self.label) from None

    def __repr__(self) -> str:
        return f"ModelSession({self.label!r}, {self.precision}, provider={self.provider}, threads={self.threads})"

    @property
    def uses_device_memory(self) -> bool:
        """True when the provider keeps tensors in GPU memory (IO binding then saves host/device copies)."""
        return self.provider in DEVICE_MEMORY

    def activation_budget(self, host_budget_bytes: int) -> int:
        """Working memory one call may use before tiling: the host budget, or the GPU cap's share on a GPU."""
        return self.gpu.activation_budget(host_budget_bytes, self.provider)

    def run(self, feeds: Mapping[str, np.ndarray], *, io_binding: bool | None = None) -> dict[str, np.ndarray]:
        """Run the graph once.

        Parameters
        ----------
        feeds : mapping of str to ndarray
            One array per graph input.
        io_binding : bool, optional
            Bind inputs and outputs explicitly (fixed device tensors on a GPU provider, see
            ``gpu.DeviceBuffers``); default: when the provider uses device memory.

        Returns
        -------
        dict of str to ndarray
            Every output, on the host.

        Raises
        ------
        RuntimeBackendError
            When onnxruntime refuses the inputs or fails while running.
        """
        bind = self.uses_device_memory if io_binding is None else io_binding
        if bind:
            # A device tensor's .numpy() is a fresh host copy; a host tensor's is a view of the fixed buffer
            # that the next run overwrites, so it is copied.
            host = not self.uses_device_memory
            return {name: np.array(value.numpy(), copy=True) if host else value.numpy()
                    for name, value in self.run_on_device(feeds).items()}
        try:
            return dict(zip(self.output_names, self._session.run(list(self.output_names), dict(feeds))))
        except Exception as error:  # onnxruntime's exception classes derive from Exception directly
            raise RuntimeBackendError(f"inference failed on {self.provider}: {str(error)[:300]}", self.label) from None

    def run_on_device(self, feeds: Mapping[str, np.ndarray | ort.OrtValue]) -> dict[str, ort.OrtValue]:
        """Run the graph and leave the outputs where the provider keeps them (GPU memory on a GPU provider).

        Each host input is copied once into a fixed device tensor for its shape, and an input that is already
        an onnxruntime value on the device (another stage's output) is bound with no copy; the outputs returned are
        onnxruntime values on the device, valid until the next run with the same input shapes (copy them to
        the host with ``.numpy()``, or bind them as a next GPU stage's inputs). On the CPU provider they live
        in host memory.

        Raises
        ------
        RuntimeBackendError
            When onnxruntime refuses the inputs or fails while running.
        """
        try:
            return self._run_bound(feeds)
        except Exception as error:  # onnxruntime's exception classes derive from Exception directly
            if not self.cuda_graph:
                raise RuntimeBackendError(f"inference failed on {self.provider}: {str(error)[:300]}",
                                          self.label) from None
            reason = (str(error).splitlines() or [type(error).__name__])[0][:200]  # ``error`` ends with the block
        note = f"CUDA graphs cannot be used ({reason}); running without them"
        self._on_warning(f"{self.label}: {note}")
        self.fallback = note
        self.cuda_graph = False
        self._buffers.clear()
        self._session = self._create(self.requested, GpuOptions(self.gpu.memory_limit_bytes, False))
        return self.run_on_device(feeds)

    def _device_buffers(self, feeds: Mapping[str, np.ndarray]) -> tuple[DeviceBuffers, int]:
        """The fixed tensors for these input shapes (made on first use) and their CUDA graph id."""
        key = tuple(sorted((name, tuple(value.shape() if isinstance(value, ort.OrtValue) else np.shape(value)))
                           for name, value in feeds.items()))
        buffers = self._buffers.get(key)
        if buffers is None:
            device = DEVICE_MEMORY.get(self.provider, "cpu")
            buffers = DeviceBuffers(self._session, dict(key), device)
            self._buffers[key] = buffers
            while len(self._buffers) > DEVICE_SHAPES:
                self._buffers.popitem(last=False)
        self._buffers.move_to_end(key)
        return buffers, list(self._buffers).index(key)

    def _run_bound(self, feeds: Mapping[str, np.ndarray]) -> dict[str, ort.OrtValue]:
        buffers, graph_id = self._device_buffers(feeds)
        buffers.fill(feeds)
        options = None
        if self.cuda_graph:
            if not (buffers.outputs_fixed and buffers.inputs_fixed):
                raise ValueError("CUDA graphs need fixed input and output tensors: declared output shapes, and "
                                 "inputs copied in rather than bound from another stage")
            options = ort.RunOptions()
            options.add_run_config_entry("gpu_graph_id", str(graph_id + 1))
        self._session.run_with_iobinding(buffers.binding, options)
        return buffers.results(self.output_names)

    def image_function(self, image_input: str, output: str,
                       per_item: Mapping[str, np.ndarray] | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A function ``images -> output`` for tiling: other inputs are repeated along the batch axis.

        Parameters
        ----------
        image_input, output : str
            The image input and the output to return.
        per_item : mapping of str to ndarray, optional
            Other inputs with a leading axis of 1 (parameter tensors), broadcast to each call's batch size.
        """
        constants = {name: np.asarray(value) for name, value in (per_item or {}).items()}

        def run_images(images: np.ndarray) -> np.ndarray:
            feeds = {name: np.ascontiguousarray(np.broadcast_to(value, (images.shape[0],) + value.shape[1:]))
                     for name, value in constants.items()}
            feeds[image_input] = images
            return self.run(feeds)[output]

        return run_images


_cache: OrderedDict[tuple, ModelSession] = OrderedDict()
_cache_lock = threading.Lock()


def clear_session_cache() -> None:
    """Drop every cached session (their memory is freed when no processor holds them)."""
    with _cache_lock:
        _cache.clear()


def _fp16_variant(pack: Pack) -> Pack:
    variant = pack.manifest.variants.get("fp16")
    if variant is None:
        raise PackError("this pack has no fp16 variant", pack.path)
    path = os.path.join(os.path.dirname(pack.path), variant["file"])
    fp16 = load_pack(path, pack.manifest.production_id, allow_unsigned=bool(pack.skipped_checks))
    if fp16.sha256 != variant["sha256"]:
        raise TamperedPackError(f"the fp16 variant does not match the hash {pack.pack_id} records for it", path)
    return fp16


def tensorrt_cache_folder(pack: Pack) -> Path:
    """Where TensorRT keeps this pack's engines: per production and pack file (TensorRT adds the shape)."""
    return cache_dir() / "tensorrt" / pack.manifest.production_id / pack.sha256[:16]


def _cached_session(pack: Pack, providers: tuple[str, ...], threads: int, on_warning: WarningCallback,
                    label: str) -> ModelSession:
    gpu = GpuOptions.from_environment()
    key = (pack.sha256, providers, threads, gpu)
    with _cache_lock:
        session = _cache.get(key)
        if session is not None:
            _cache.move_to_end(key)
            return session
    session = ModelSession(pack.model_bytes, providers, threads=threads, label=label,
                           precision=pack.manifest.precision, on_warning=on_warning, gpu=gpu,
                           cache_folder=tensorrt_cache_folder(pack) if "TensorrtExecutionProvider" in providers
                           else None)
    with _cache_lock:
        session = _cache.setdefault(key, session)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return session


def open_session(pack: Pack, *, providers: Sequence[str] | str | None = None, threads: int | None = None,
                 precision: str = "auto", on_warning: WarningCallback = _log_warning) -> ModelSession:
    """A (cached) session for a verified pack.

    Parameters
    ----------
    pack : Pack
        From ``load_pack`` / ``open_pack_for_job``.
    providers : sequence of str or str, optional
        Providers wanted (see ``choose_providers``); None for the default order.
    threads : int, optional
        Intra-op CPU threads; default all cores this process may use.
    precision : str
        ``auto`` (the fp16 variant on CUDA/TensorRT/DirectML when the pack has one, else fp32), ``fp32``
        or ``fp16`` (refused when the pack has no fp16 variant).
    on_warning : callable
        Receives one-line notes about missing or failed providers (default: the ``answerprint.runtime`` log).

    Raises
    ------
    PackError
        When ``fp16`` is asked of a pack without a variant, or the variant fails verification.
    RuntimeBackendError
        When no provider can run the model.
    """
    if precision not in ("auto", "fp32", "fp16"):
        raise PackError(f"unknown precision {precision!r}; use auto, fp32 or fp16", pack.path)
    choice = choose_providers(providers)
    note = choice.describe_unavailable()
    if note:
        on_warning(f"{pack.pack_id}: {note}")
    threads = threads or default_threads()
    auto_fp16 = precision == "auto" and choice.primary in FP16_PROVIDERS and "fp16" in pack.manifest.variants
    if precision == "fp16" or auto_fp16:
        session = _cached_session(_fp16_variant(pack), choice.providers, threads, on_warning, pack.pack_id)
        if not (auto_fp16 and session.provider not in FP16_PROVIDERS):
            return session
    return _cached_session(pack, choice.providers, threads, on_warning, pack.pack_id)
