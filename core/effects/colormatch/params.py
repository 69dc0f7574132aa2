"""The colormatch effect's parameter schema: one definition for the CLI, the panel, the manifest and the hosts."""
from __future__ import annotations

from ...params import Param, ParamSchema


def colormatch_params() -> ParamSchema:
    """Reference (a frame of a clip or a still, optionally masked), strength, method, hold-back, chart corners."""
    return ParamSchema([
        Param("reference", "path", None, label="Reference", widget="reference",
              doc="Still or clip to match to (any format answerprint reads)."),
        Param("reference_frame", "int", -1, minimum=-1, label="Reference frame",
              doc="Frame number of the reference clip to match to; -1 for its middle frame."),
        Param("reference_space", "string", None, label="Reference colour space",
              doc="OCIO colour space of the reference; default from its file type, like a source."),
        Param("strength", "float", 1.0, minimum=0.0, maximum=1.0, label="Strength", widget="slider", step=0.05,
              doc="Blend from the shot (0) to the full match (1), in ACEScct."),
        Param("method", "enum", "mkl", choices=("mkl", "mkl_hist", "chart"), label="Method",
              doc="Statistics used without a common view (mkl, mkl_hist), or a ColorChecker in the shot (chart)."),
        Param("mask", "path", None, label="Reference mask",
              doc="Image the size of the reference: black regions are left out of the match."),
        Param("hold_back", "bool", True, label="Hold back",
              doc="Leave the shot unchanged when the match is not confident enough to improve it."),
        Param("chart_corners", "string", None, label="Chart corners", widget="screen_xy",
              doc="x1,y1,...,x4,y4 of the chart (top-left first, clockwise) when it is not found by itself."),
    ])
