"""What a cleanup pack records and what apply reads: one typed contract, written by training, read by compile.

Training builds a ``CleanupContract`` and writes it into the pack (``io()``, ``bindings``, ``effect_data()``);
the effect's compile builds it back from the pack alone (``from_manifest``) and takes every setting from it.
Apply has no default of its own for any of them. Each field lives in one place of the manifest:

=====================================================  ===================================
motion estimator (DIS preset, scale, luma blur)        ``effect_data.motion``
noise model                                            ``effect_data.noise_model``
defect maps, one per camera                            ``effect_data.defect_maps``
graph tensors carrying the frames, σ and the result    ``effect_data.tensors``
code values trained on (the source encoding)           ``io.working_space``
temporal window, size multiple, bytes per pixel        ``io``
how each parameter acts (graph input or effect)        ``parameters.bindings``
=====================================================  ===================================

``effect_data.schema`` is :data:`SCHEMA`. Cleanup packs without the label are version 1 (made before this
contract) and are upgraded on read: their motion and noise model as recorded (every version-1 pack recorded
them; a missing motion is :data:`VERSION_1_MOTION`, the settings version-1 training always used), the tensor
names version 1 always used, and no defect map (version-1 training never learned one). A version-2 pack
missing a field, a newer version, parameters this answerprint does not have (``packs.compat``) or tensors the
graph does not have are refused with ``PackError`` (exit 6) in one line naming what differs.

**Working colour space.** The network and the noise model learned the dailies' code values in one encoding
(``input_space``, e.g. LogC3). The same noise reads differently in another encoding, so the strength would be
silently wrong on a whole delivery: ``check_source_space`` refuses a clip read in another space. A colorist
whose file is tagged wrongly (log ProRes tagged Rec.709) fixes it with one flag, ``--input-space``, which
the message names; one whose clip really is in another encoding needs a pack trained on that encoding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ...color import load_config, resolve_space
from ...errors import ColorError, PackError
from ...frames.media import MediaInfo
from ...packs.compat import check_parameters
from ...packs.manifest import Manifest
from ...packs.spec import IOSpec, ParamBinding, TensorSpec
from .defects import DefectMap, camera_label
from .noise import NoiseModel
from .flow import MotionEstimator
from .params import FRAMES_INPUT, OUTPUT, SIGMA_INPUT, cleanup_bindings, cleanup_params

#: Versioned label of ``effect_data``.
SCHEMA = "answerprint.cleanup/2"
#: The motion settings of every version-1 pack (``MotionEstimator()`` when version 1 was written).
VERSION_1_MOTION = {"preset": "fast", "scale": 0.5, "blur_sigma": 1.0}
#: The tensor names of every version-1 pack.
VERSION_1_TENSORS = {"frames": FRAMES_INPUT, "noise_sigma": SIGMA_INPUT, "output": OUTPUT}
_FIELDS = ("motion", "noise_model", "tensors", "defect_maps")


@dataclass(frozen=True)
class GraphTensors:
    """Names of the graph tensors that carry the frames window [N, 3T, H, W], the noise σ [N, 1, H, W] and the
    denoised frame [N, 3, H, W]."""

    frames: str
    noise_sigma: str
    output: str

    def to_json(self) -> dict[str, str]:
        return {"frames": self.frames, "noise_sigma": self.noise_sigma, "output": self.output}


def _upgraded(data: Mapping[str, Any], where: str | None) -> tuple[dict[str, Any], int]:
    """``effect_data`` in the current version, and the version it was stored in."""
    label = data.get("schema")
    if label == SCHEMA:
        return dict(data), 2
    if label is not None:
        raise PackError(f"the pack's cleanup data are {label!r}; this answerprint reads {SCHEMA!r}: use the "
                        "answerprint the pack was made with, or re-train it", where)
    old_map = data.get("defect_map")
    return {"schema": SCHEMA, "motion": data.get("motion", VERSION_1_MOTION),
            "noise_model": data.get("noise_model"), "tensors": VERSION_1_TENSORS,
            "defect_maps": [old_map] if old_map is not None else []}, 1


def _required(data: Mapping[str, Any], name: str, where: str | None) -> Any:
    if data.get(name) is None:
        raise PackError(f"the pack's cleanup data lack {name!r}; it was not made by 'answerprint train cleanup' "
                        "or was made by an incomplete version: re-train it", where)
    return data[name]


def _input(io: IOSpec, name: str, role: str, channels: int, where: str | None) -> TensorSpec:
    found = next((t for t in io.inputs if t.name == name), None)
    if found is None or found.role != role or found.channels != channels:
        raise PackError(f"the pack's cleanup data name graph input {name!r} ({role}, {channels} channel(s)) but "
                        f"the graph's inputs are {[(t.name, t.role, t.channels) for t in io.inputs]}", where)
    return found


@dataclass(frozen=True)
class CleanupContract:
    """Everything apply needs from a cleanup pack besides the graph (see the module docstring).

    Attributes
    ----------
    motion : MotionEstimator
        How neighbours were aligned in training; apply aligns the same way.
    noise_model : NoiseModel
        The production's fitted noise (code values of ``input_space``).
    input_space : str
        OCIO colour space of the code values the pack was trained on.
    temporal_window : int
        Frames the graph takes per output frame (odd).
    size_multiple : int
        Height and width the graph takes are multiples of this (frames are padded).
    bytes_per_pixel : float or None
        Working memory per input pixel for tiling; None only before export measures it.
    tensors : GraphTensors
        Which graph tensors carry the frames, σ and the result.
    bindings : tuple of ParamBinding
        How each parameter acts: fed through a graph input (by the tensor name recorded here) or applied by
        the effect outside the graph.
    defect_maps : tuple of DefectMap
        Dead, hot and stuck photosites, one map per camera (``defects.camera_label``).
    version : int
        The version of the pack's cleanup data as stored (1 is upgraded on read).
    """

    motion: MotionEstimator
    noise_model: NoiseModel
    input_space: str
    temporal_window: int
    size_multiple: int
    bytes_per_pixel: float | None
    tensors: GraphTensors
    bindings: tuple[ParamBinding, ...]
    defect_maps: tuple[DefectMap, ...] = ()
    version: int = 2

    # -- written by training ---------------------------------------------------------------------------------
    def io(self) -> IOSpec:
        """The graph's interface for the manifest: frames and σ in the source's code values, one parameter
        input per ``input`` binding (a value per batch item, within the parameter's range), the result."""
        params = cleanup_params()
        space = self.input_space
        param_inputs = tuple(TensorSpec(b.tensor, "param", "N", None, value_range=(params[b.param].minimum,
                                                                                   params[b.param].maximum))
                             for b in self.bindings if b.via == "input")
        return IOSpec(
            inputs=(TensorSpec(self.tensors.frames, "image", "NCHW", 3 * self.temporal_window, value_range=(0.0, 1.0),
                               color_space=space),
                    TensorSpec(self.tensors.noise_sigma, "image", "NCHW", 1, value_range=(0.0, 1.0)),
                    *param_inputs),
            outputs=(TensorSpec(self.tensors.output, "image", "NCHW", 3, value_range=None, color_space=space),),
            working_space=space, size_multiple=self.size_multiple, temporal_window=self.temporal_window,
            bytes_per_pixel=self.bytes_per_pixel)

    def effect_data(self) -> dict[str, Any]:
        """The manifest's ``effect_data``."""
        return {"schema": SCHEMA, "motion": self.motion.to_json(), "noise_model": self.noise_model.to_json(),
                "tensors": self.tensors.to_json(), "defect_maps": [m.to_json() for m in self.defect_maps]}

    # -- read by apply ---------------------------------------------------------------------------------------
    @classmethod
    def from_manifest(cls, manifest: Manifest, where: str | None = None) -> "CleanupContract":
        """The contract a cleanup pack records, upgraded from version 1 when needed.

        Raises
        ------
        PackError
            A pack of another effect, parameters or bindings that differ from this answerprint's
            (``packs.compat``), a missing or malformed field, or tensors the graph does not have.
        """
        if manifest.effect != "cleanup":
            raise PackError(f"this pack is for the {manifest.effect} effect, not cleanup", where)
        check_parameters(manifest, cleanup_params(), cleanup_bindings(), where)
        data, version = _upgraded(manifest.effect_data, where)
        io = manifest.io
        try:
            motion = MotionEstimator.from_json(_required(data, "motion", where))
            noise_model = NoiseModel.from_json(_required(data, "noise_model", where))
            tensors = GraphTensors(**{k: str(v) for k, v in _required(data, "tensors", where).items()})
            maps = tuple(DefectMap.from_json(m) for m in _required(data, "defect_maps", where))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise PackError(f"the pack's cleanup data are malformed: {error}", where) from None
        if set(data) - {"schema", *_FIELDS}:
            raise PackError(f"the pack's cleanup data hold fields this answerprint does not know: "
                            f"{sorted(set(data) - {'schema', *_FIELDS})}", where)
        if io.bytes_per_pixel is None:
            raise PackError("the pack does not record its working memory per pixel (io.bytes_per_pixel); "
                            "re-export it", where)
        _input(io, tensors.frames, "image", 3 * io.temporal_window, where)
        _input(io, tensors.noise_sigma, "image", 1, where)
        if tensors.output not in {t.name for t in io.outputs}:
            raise PackError(f"the pack's cleanup data name graph output {tensors.output!r}, which the graph does "
                            "not have", where)
        params = cleanup_params()
        for binding in manifest.bindings:
            if binding.via == "input" and params[binding.param].kind not in ("float", "int", "bool"):
                raise PackError(f"parameter {binding.param!r} ({params[binding.param].kind}) cannot be fed to "
                                "a graph input", where)
        return cls(motion, noise_model, io.working_space, io.temporal_window, io.size_multiple,
                   io.bytes_per_pixel, tensors, manifest.bindings, maps, version)

    def feeds(self, frames: np.ndarray, noise_sigma: np.ndarray, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The graph's inputs by the pack's tensor names.

        Parameters
        ----------
        frames, noise_sigma : ndarray
            float32 [N, 3T, H, W] and [N, 1, H, W] (``graph_inputs.graph_inputs``, padded).
        values : mapping
            Parameter values; each parameter bound to an input is fed once per batch item (float32).
        """
        batch = frames.shape[0]
        feeds = {self.tensors.frames: frames, self.tensors.noise_sigma: noise_sigma}
        for binding in self.bindings:
            if binding.via == "input":
                feeds[binding.tensor] = np.full(batch, values[binding.param], np.float32)
        return feeds

    def check_source_space(self, source_space: str, where: str | None = None) -> None:
        """Refuse a clip read in another colour space than the pack was trained on (module docstring).

        Raises
        ------
        PackError
            When ``source_space`` (canonical OCIO name) is not ``input_space`` or one of its aliases.
        """
        try:
            trained = resolve_space(load_config(), self.input_space)
        except ColorError:
            trained = self.input_space
        if trained != source_space:
            raise PackError(f"this pack was trained on code values of {trained!r} but the clip is read as "
                            f"{source_space!r}: set the source space (--input-space) to {trained!r} if that is what "
                            f"the clip holds, or use a pack trained on footage in {source_space!r}", where)

    def find_defect_map(self, camera: str | None, width: int, height: int) -> DefectMap | None:
        """The map of the clip's camera (``MediaInfo.camera``, else its size) at its stored size, or None."""
        label = camera_label(camera, width, height)
        return next((m for m in self.defect_maps if m.camera == label and (m.width, m.height) == (width, height)),
                    None)

    def why_no_defect_map(self, camera: str | None, width: int, height: int) -> str:
        """Why ``find_defect_map`` found nothing, in one sentence for a colorist."""
        if not self.defect_maps:
            return ("dead-pixel repair is off: the pack carries no defect map (training needs two or more clips "
                    "of one camera with different framings to learn one)")
        clip = f"camera {camera}" if camera else "a clip without camera metadata"
        known = "; ".join(f"{m.camera} at {m.width}x{m.height}" for m in self.defect_maps)
        return (f"dead-pixel repair is off: the pack has no defect map for {clip} at {width}x{height} "
                f"(it has: {known})")

    def unavailable_params(self, source: MediaInfo) -> dict[str, str]:
        """``dead_pixels`` with the reason when the pack has no defect map for ``source``'s camera and size."""
        if self.find_defect_map(source.camera, source.width, source.height) is not None:
            return {}
        return {"dead_pixels": self.why_no_defect_map(source.camera, source.width, source.height)}

    def lines(self) -> list[str]:
        """The contract in words, for ``packs inspect``."""
        stored = "" if self.version == 2 else f" (stored as version {self.version}, upgraded on read)"
        maps = [f"  defect map {m.camera} at {m.width}x{m.height}: "
                + ", ".join(f"{sum(d.kind == k for d in m.defects)} {k}" for k in ("dead", "hot", "stuck"))
                + f" from {m.clips} clip(s)" for m in self.defect_maps]
        return [f"  cleanup data {SCHEMA}{stored}",
                f"  trained on code values of {self.input_space}",
                f"  motion: DIS {self.motion.preset} at {self.motion.scale:g}x resolution, luma blur "
                f"{self.motion.blur_sigma:g} px",
                f"  noise: typical σ {self.noise_model.typical_sigma * 1023:.2f} 10-bit code values "
                f"({self.noise_model.method})",
                f"  graph tensors: frames {self.tensors.frames!r}, σ {self.tensors.noise_sigma!r}, result "
                f"{self.tensors.output!r}",
                *(maps or ["  defect maps: none"])]
