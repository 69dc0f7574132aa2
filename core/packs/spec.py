"""What a pack promises about its graph: tensors, I/O, parameter bindings, and the trainer's pack spec.

These plain dataclasses are filled in by the exporter (``PackSpec``) and read back from a validated manifest
(``Manifest.io``, ``Manifest.bindings``); their ``to_json`` forms are the manifest's ``io`` and
``parameters.bindings`` sections.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..params import ParamSchema


@dataclass(frozen=True)
class TensorSpec:
    """One graph input or output as the pack promises it.

    Attributes
    ----------
    name : str
        Tensor name in the ONNX graph.
    role : str
        ``image`` (frames in or out), ``param`` (a parameter value per batch item), ``mask``, or ``features``
        (numbers the effect measures itself, one vector per batch item: a continuity check's measures).
    layout : str
        Axis letters: ``NCHW`` (batch, channels, height, width; a temporal window stacked along channels),
        ``NTCHW`` (window as its own axis), ``NC`` or ``N`` (per-batch vectors and scalars).
    channels : int, optional
        Channel count (for ``NTCHW``, per frame); None when not fixed.
    dtype : str
        ``float32``, ``float16``, ``int64``, ``int32``, ``bool`` or ``uint8``.
    value_range : (float, float), optional
        Values the tensor holds, e.g. (0, 1) for display-referred code values; None when unbounded.
    color_space : str, optional
        OCIO colour space (or role) of image tensors.
    """

    name: str
    role: str = "image"
    layout: str = "NCHW"
    channels: int | None = 3
    dtype: str = "float32"
    value_range: tuple[float, float] | None = (0.0, 1.0)
    color_space: str | None = None

    @property
    def rank(self) -> int:
        return len(self.layout)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "layout": self.layout, "channels": self.channels,
                "dtype": self.dtype, "value_range": None if self.value_range is None else list(self.value_range),
                "color_space": self.color_space}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TensorSpec":
        value_range = data.get("value_range")
        return cls(name=data["name"], role=data["role"], layout=data["layout"], channels=data.get("channels"),
                   dtype=data["dtype"], value_range=None if value_range is None else tuple(value_range),
                   color_space=data.get("color_space"))


@dataclass(frozen=True)
class ParamBinding:
    """How one effect parameter reaches the result: through a graph input, baked into the graph, or applied by
    the effect outside the graph.

    Attributes
    ----------
    param : str
        Parameter name in the effect's ``ParamSchema``.
    via : str
        ``input`` (fed each run through ``tensor``), ``baked`` (fixed at ``value`` inside the graph) or
        ``effect`` (the graph does not depend on it: the effect applies it around the graph).
    tensor : str, optional
        Input tensor name when ``via == "input"``.
    value : Any
        The baked value when ``via == "baked"``.
    """

    param: str
    via: str
    tensor: str | None = None
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        if self.via == "input":
            return {"param": self.param, "via": "input", "tensor": self.tensor}
        if self.via == "effect":
            return {"param": self.param, "via": "effect"}
        return {"param": self.param, "via": "baked", "value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ParamBinding":
        return cls(param=data["param"], via=data["via"], tensor=data.get("tensor"), value=data.get("value"))

    def describe(self) -> str:
        """How the parameter acts, in words (``packs inspect``)."""
        if self.via == "input":
            return f"input tensor {self.tensor}"
        if self.via == "effect":
            return "applied by the effect outside the graph"
        return f"baked into the graph at {self.value!r}"


@dataclass(frozen=True)
class IOSpec:
    """The graph's interface.

    Attributes
    ----------
    inputs, outputs : tuple of TensorSpec
        Every graph input and output.
    working_space : str
        OCIO space (or role) the model works in, e.g. ``ACEScct``.
    size_multiple : int
        Height and width must be multiples of this (frames are reflect-padded to it and cropped back).
    temporal_window : int
        Frames in per output frame (1 for a single-frame model; odd, centred on the current frame).
    bytes_per_pixel : float, optional
        Estimated peak working memory per input pixel (bytes), for planning tiles within a memory budget.
    """

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    working_space: str
    size_multiple: int = 1
    temporal_window: int = 1
    bytes_per_pixel: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "inputs": [t.to_json() for t in self.inputs], "outputs": [t.to_json() for t in self.outputs],
            "working_space": self.working_space, "size_multiple": self.size_multiple,
            "temporal_window": self.temporal_window,
        }
        if self.bytes_per_pixel is not None:
            data["bytes_per_pixel"] = self.bytes_per_pixel
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "IOSpec":
        return cls(inputs=tuple(TensorSpec.from_json(t) for t in data["inputs"]),
                   outputs=tuple(TensorSpec.from_json(t) for t in data["outputs"]),
                   working_space=data["working_space"], size_multiple=data["size_multiple"],
                   temporal_window=data["temporal_window"], bytes_per_pixel=data.get("bytes_per_pixel"))


@dataclass(frozen=True)
class PackSpec:
    """What the trainer decides about a pack before export: which effect, name, version, I/O and parameters.

    Attributes
    ----------
    effect : str
        The effect the pack serves (``cleanup``, ``colormatch``...).
    name : str
        Pack name within the production and effect (letters, digits, ``_``, ``-``).
    version : str
        Dotted integers, e.g. ``"3"`` or ``"1.2.0"``; versions of one name sit side by side in the library.
    io : IOSpec
        The graph's interface.
    params : ParamSchema
        The effect's parameters.
    bindings : tuple of ParamBinding
        How each parameter acts (exactly one per parameter).
    description : str
        One sentence for people browsing the library.
    effect_data : mapping
        What the effect needs besides the graph, as JSON (a fitted noise model, a defect map, LUT facts);
        signed with the rest of the manifest.
    """

    effect: str
    name: str
    version: str
    io: IOSpec
    params: ParamSchema = ParamSchema()
    bindings: tuple[ParamBinding, ...] = ()
    description: str = ""
    effect_data: Mapping[str, Any] = field(default_factory=dict)
