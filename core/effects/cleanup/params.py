"""The cleanup effect's parameters, and how the frames and each parameter reach the trained graph.

One place for the contract between training (``answerprint.models.cleanup``) and the apply effect:

- ``cleanup_params()``: the parameter schema every surface (CLI, panel, manifest) shows;
- ``cleanup_bindings()``: how each parameter acts, for the manifest. ``strength`` is fed through the graph's
  ``strength`` input; all the others act outside the graph (the effect applies them around it);
- the names of the graph's inputs and output, which ``graph_inputs`` fills and ``contract`` records.

How neighbours are motion-compensated is ``flow.MotionEstimator``; the input tensors themselves are built by
``graph_inputs`` (the same way when training validates and when the effect renders).

Strength inside the graph: from 1 to 2 it scales ``noise_sigma`` (the network was trained on footage with
extra grain and the matching larger σ, FFDNet-style, so a larger σ removes more). Below 1 the σ stays at
the measured level and the graph blends its result back towards the source frame, exactly, down to 0
(untouched).
"""
from __future__ import annotations

from ...packs.spec import ParamBinding
from ...params import Param, ParamSchema

FRAMES_INPUT = "frames"
SIGMA_INPUT = "noise_sigma"
STRENGTH_INPUT = "strength"
OUTPUT = "denoised"
GRAIN_MODES = ("remove", "keep", "synthesize")
REVIEW_MODES = ("off", "difference", "mask")


def cleanup_params() -> ParamSchema:
    """The cleanup effect's parameters (code values and σ are those of the source encoding)."""
    return ParamSchema([
        Param("strength", "float", 1.0, minimum=0.0, maximum=2.0, unit="× measured noise", label="Strength",
              doc="How much noise to remove, as a multiple of the production's measured noise: 0 leaves the "
                  "frame untouched, 1 removes the measured noise, up to 2 removes more.",
              widget="slider", step=0.05),
        Param("detail", "float", 0.25, minimum=0.0, maximum=1.0, label="Detail preservation",
              doc="Share of the finest detail in the removed residual that is given back (0 = none).",
              widget="slider", step=0.05),
        Param("temporal_radius", "int", 2, minimum=0, maximum=2, unit="frames", label="Temporal radius",
              doc="Neighbouring frames on each side that help denoise a frame (0 = the frame alone); limited "
                  "by the pack's temporal window (5 frames for quick and full packs)."),
        Param("grain", "enum", "remove", choices=GRAIN_MODES, label="Grain",
              doc="remove: clean result; keep: put the original grain back at the chosen amount; synthesize: "
                  "add fresh grain with the production's measured structure at the chosen amount."),
        Param("grain_amount", "float", 1.0, minimum=0.0, maximum=2.0, unit="× measured grain",
              label="Grain amount", doc="Amount of kept or synthesised grain, 1 = as measured in the dailies.",
              widget="slider", step=0.05),
        Param("dust_sensitivity", "float", 0.5, minimum=0.0, maximum=1.0, label="Dust sensitivity",
              doc="How readily one-frame specks are detected and repaired from neighbours (0 = off).",
              widget="slider", step=0.05),
        Param("dead_pixels", "bool", True, label="Dead pixels",
              doc="Repair pixels stuck at one value through the clip."),
        Param("review", "enum", "off", choices=REVIEW_MODES, label="Review output",
              doc="off: the cleaned frame; difference: what was removed, amplified; mask: the repaired pixels."),
    ])


def cleanup_bindings() -> tuple[ParamBinding, ...]:
    """How each parameter acts: ``strength`` through the graph's ``strength`` input; every other one is applied
    by the effect around the graph (``effect``: the graph does not depend on it)."""
    outside = [p.name for p in cleanup_params() if p.name != "strength"]
    return (ParamBinding("strength", "input", tensor=STRENGTH_INPUT),
            *(ParamBinding(name, "effect") for name in outside))
