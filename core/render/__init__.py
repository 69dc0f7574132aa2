"""The render engine: a clip range through an effect, streamed, atomic, reproducible from its sidecar."""
from .engine import RenderResult, render
from .job import RenderJob, parse_frame_range

__all__ = ["RenderJob", "RenderResult", "parse_frame_range", "render"]
