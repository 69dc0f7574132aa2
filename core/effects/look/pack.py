"""What a ``look`` pack carries besides its graph, in the manifest's signed ``effect_data``.

::

    {"look": 1,                                  format version of this section
     "model": "global_lut" | "adaptive",         which fitted model the pack's graph holds
     "working_space": "ACEScct",
     "input_space": "ARRI LogC3 (EI800)",        what the ungraded pairs were (a look suits such sources)
     "graded_space": "Gamma 2.4 Encoded Rec.709",  what the graded pairs were: render with --output-space this
     "lut": {"size": 17, "domain_min": [...], "domain_max": [...], "dtype": "float32-le", "base64": "..."},
     "variants": {"gather": {"file": "...", "sha256": "..."}},   the exact Gather-based graph, for providers
                                                 without 5-D GridSample (TensorRT, CoreML, OpenVINO)
     "evaluation": {...}}                        held-out errors of both candidates, as measured at training

``lut`` is the global look (ACEScct → ACEScct, ``[r, g, b]`` order, red slowest): the core applies it without
onnxruntime when ``model`` is ``global_lut``.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ...color.lut import Lut3D
from ...errors import PackError

LOOK_DATA_VERSION = 1
MODELS = ("global_lut", "adaptive")


def lut_to_json(lut: Lut3D) -> dict[str, Any]:
    """A shaper-less ``Lut3D`` as the JSON object stored in ``effect_data["lut"]``."""
    if lut.shaper is not None:
        raise PackError("a look pack stores its LUT without a shaper")
    return {"size": lut.size, "domain_min": lut.domain_min.tolist(), "domain_max": lut.domain_max.tolist(),
            "dtype": "float32-le", "base64": base64.b64encode(lut.table.astype("<f4").tobytes()).decode("ascii")}


def lut_from_json(data: Mapping[str, Any], where: str | None = None) -> Lut3D:
    """The ``Lut3D`` stored by ``lut_to_json``.

    Raises
    ------
    PackError
        When the object is malformed (wrong size, dtype or byte count).
    """
    try:
        size = int(data["size"])
        if data["dtype"] != "float32-le":
            raise ValueError(f"dtype {data['dtype']!r}")
        raw = base64.b64decode(data["base64"], validate=True)
        if len(raw) != size ** 3 * 12:
            raise ValueError(f"{len(raw)} bytes for a {size}³ LUT")
        table = np.frombuffer(raw, dtype="<f4").reshape(size, size, size, 3)
        return Lut3D(table, np.asarray(data["domain_min"], float), np.asarray(data["domain_max"], float),
                     interpolation="trilinear")  # the fit's own reading (``look_fit``), as the pack's graph does
    except (KeyError, TypeError, ValueError) as error:
        raise PackError(f"the look pack's LUT is malformed: {error}", where) from None
    except PackError:
        raise
    except Exception as error:  # UsageError from Lut3D (NaN, sizes): the pack, not the user, is at fault
        raise PackError(f"the look pack's LUT is unusable: {error}", where) from None


@dataclass(frozen=True)
class LookData:
    """The parsed ``effect_data`` of a look pack (see the module docstring)."""

    model: str
    working_space: str
    input_space: str
    graded_space: str
    lut: Lut3D
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"look": LOOK_DATA_VERSION, "model": self.model, "working_space": self.working_space,
                "input_space": self.input_space, "graded_space": self.graded_space, "lut": lut_to_json(self.lut),
                "variants": self.variants, "evaluation": self.evaluation}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str | None = None) -> "LookData":
        """Parse ``effect_data``.

        Raises
        ------
        PackError
            When it is not a look pack's data, of another version, or malformed.
        """
        if data.get("look") != LOOK_DATA_VERSION:
            raise PackError(f"not a look pack of format {LOOK_DATA_VERSION} (effect_data look={data.get('look')!r})",
                            where)
        if data.get("model") not in MODELS:
            raise PackError(f"unknown look model {data.get('model')!r}; expected one of {', '.join(MODELS)}", where)
        try:
            return cls(model=data["model"], working_space=str(data["working_space"]),
                       input_space=str(data["input_space"]), graded_space=str(data["graded_space"]),
                       lut=lut_from_json(data["lut"], where), variants=dict(data.get("variants", {})),
                       evaluation=dict(data.get("evaluation", {})))
        except KeyError as error:
            raise PackError(f"the look pack's effect_data lacks {error}", where) from None
