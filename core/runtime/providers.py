"""Which onnxruntime execution providers to use, in which order.

Default preference: TensorRT → CUDA → CoreML → DirectML → CPU, keeping those this onnxruntime build has
(``onnxruntime.get_available_providers()``). The user overrides it per job (``--providers cuda,cpu``) or per
machine (``ANSWERPRINT_PROVIDERS=cuda,cpu``). CPU is always appended last as the fallback. A requested
provider this build lacks is dropped and reported, never silently ignored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import onnxruntime as ort

from ..errors import UsageError

PROVIDERS_ENV = "ANSWERPRINT_PROVIDERS"
CPU = "CPUExecutionProvider"
PREFERENCE = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CoreMLExecutionProvider",
              "DmlExecutionProvider", CPU)
#: Providers on which an fp16 pack variant is faster than fp32.
FP16_PROVIDERS = frozenset({"TensorrtExecutionProvider", "CUDAExecutionProvider", "DmlExecutionProvider"})
#: Providers whose tensors live in GPU memory, where IO binding saves copies.
DEVICE_MEMORY = {"TensorrtExecutionProvider": "cuda", "CUDAExecutionProvider": "cuda", "DmlExecutionProvider": "dml"}
ALIASES = {
    "tensorrt": "TensorrtExecutionProvider", "trt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider", "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider", "dml": "DmlExecutionProvider", "cpu": CPU,
}


@dataclass(frozen=True)
class ProviderChoice:
    """The providers to hand onnxruntime, and what was asked for but is missing.

    Attributes
    ----------
    providers : tuple of str
        Provider names in order of preference, CPU last.
    unavailable : tuple of str
        Requested providers this onnxruntime build does not have.
    """

    providers: tuple[str, ...]
    unavailable: tuple[str, ...] = ()

    @property
    def primary(self) -> str:
        """The provider onnxruntime will try first."""
        return self.providers[0]

    def describe_unavailable(self) -> str | None:
        """A one-line note about requested providers that are missing, or None."""
        if not self.unavailable:
            return None
        return (f"requested {', '.join(self.unavailable)} not available in this onnxruntime build "
                f"(it has {', '.join(ort.get_available_providers())}); using {self.primary}")


def provider_name(name: str) -> str:
    """The onnxruntime name for a provider given by alias (``cuda``) or full name (any case).

    Raises
    ------
    UsageError
        When the name is neither an alias nor an onnxruntime provider.
    """
    text = name.strip()
    if text.lower() in ALIASES:
        return ALIASES[text.lower()]
    for known in ort.get_all_providers():
        if known.lower() == text.lower():
            return known
    raise UsageError(f"unknown execution provider; use one of {', '.join(ALIASES)} or an onnxruntime provider "
                     "name", name)


def choose_providers(preferred: Sequence[str] | str | None = None,
                     available: Sequence[str] | None = None) -> ProviderChoice:
    """Order the providers to try.

    Parameters
    ----------
    preferred : sequence of str or str, optional
        Providers wanted, best first (aliases allowed; a string is split on commas). None reads
        ``ANSWERPRINT_PROVIDERS``, and without it uses ``PREFERENCE``.
    available : sequence of str, optional
        The providers this onnxruntime build has; default ``onnxruntime.get_available_providers()``.

    Returns
    -------
    ProviderChoice
        Available requested providers in order, CPU appended when absent, and the requested-but-missing.

    Raises
    ------
    UsageError
        When a requested name is not a provider at all.
    """
    have = set(ort.get_available_providers() if available is None else available)
    if preferred is None:
        preferred = os.environ.get(PROVIDERS_ENV) or None
    if isinstance(preferred, str):
        preferred = [part for part in preferred.split(",") if part.strip()]
    if not preferred:
        return ProviderChoice(tuple(p for p in PREFERENCE if p in have or p == CPU))
    wanted = list(dict.fromkeys(provider_name(p) for p in preferred))
    usable = [p for p in wanted if p in have or p == CPU]
    if CPU not in usable:
        usable.append(CPU)
    return ProviderChoice(tuple(usable), tuple(p for p in wanted if p not in have and p != CPU))
