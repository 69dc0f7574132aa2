"""The ONNX inference core: provider choice, sessions (fp16 variants, IO binding, cache), tiling, windows.

Only numpy and onnxruntime are needed: a colorist's machine runs packs without torch or the onnx package.
"""
from .providers import FP16_PROVIDERS, PREFERENCE, ProviderChoice, choose_providers, provider_name
from .session import ModelSession, clear_session_cache, default_threads, open_session
from .tiling import (DEFAULT_BYTES_PER_PIXEL, DEFAULT_OVERLAP, LazyImage, TilePlan, max_tile_for_budget,
                     pad_to_multiple, plan_tiles, run_frame, run_tiled)
from .windows import frames_to_tensor, tensor_to_frame, window_indices

__all__ = [
    "DEFAULT_BYTES_PER_PIXEL", "DEFAULT_OVERLAP", "FP16_PROVIDERS", "LazyImage", "ModelSession", "PREFERENCE",
    "ProviderChoice",
    "TilePlan", "choose_providers", "clear_session_cache", "default_threads", "frames_to_tensor",
    "max_tile_for_budget", "open_session", "pad_to_multiple", "plan_tiles", "provider_name", "run_frame",
    "run_tiled", "tensor_to_frame", "window_indices",
]
