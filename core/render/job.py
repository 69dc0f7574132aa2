"""What a render is asked to do, and the choices derived from it (frame range, output codec).

A ``RenderJob`` is plain data: the CLI, the panel, the hosts and the farm all build one and hand it to
``engine.render``; the sidecar records it so the render can be reproduced.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import UsageError
from ..frames import SEQUENCE_CODECS, MediaInfo
from ..frames.timecode import timecode_to_frames

_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:[-:]\s*(-?\d+))?\s*$")
_BY_EXTENSION = {".exr": "exr", ".dpx": "dpx10", ".tif": "tiff16", ".tiff": "tiff16", ".png": "png16",
                 ".jpg": "jpeg", ".jpeg": "jpeg"}


@dataclass
class RenderJob:
    """One render: a source through one effect into one output.

    Attributes
    ----------
    source, output : str
        Movie paths or sequence patterns (``shot.%04d.exr`` / ``shot.####.exr``).
    effect : str
        Effect name (``exposure``, ``cleanup``...).
    params : dict
        Parameter values as given (strings from the CLI are fine); resolved by the effect's schema.
    pack : str, optional
        Model pack path or library reference.
    frames : tuple of int, optional
        First and last source frame number to render (inclusive); None for the whole source.
    handles : int
        Extra frames rendered before and after ``frames`` where the source has them.
    input_space, output_space : str, optional
        OCIO colour spaces; default from the source's format and tags, output = input.
    codec : str, optional
        Output codec (``prores_422hq``...); default from the output extension and the source.
    exr_compression : str
        EXR compression for EXR outputs (``piz``, ``zip``, ``dwaa``).
    overwrite, resume : bool
        Replace an existing output / continue an interrupted sequence render of the same job.
    fix_nonfinite : bool
        Replace NaN/Inf source pixels by 0 (recorded in the sidecar) instead of refusing the frame.
    production : str, optional
        Production the job belongs to; packs of other productions are refused.
    ocio_config : str, optional
        OCIO config path/URI; default ``$OCIO`` or the pinned built-in config.
    providers : list of str, optional
        onnxruntime execution providers to use.
    start_frame : int, optional
        Number of the first output frame of an image-sequence output (1001 for a VFX pull); default the
        source's own numbering (``output_frame_offset``).
    """

    source: str
    output: str
    effect: str
    params: dict[str, Any] = field(default_factory=dict)
    pack: str | None = None
    frames: tuple[int, int] | None = None
    handles: int = 0
    input_space: str | None = None
    output_space: str | None = None
    codec: str | None = None
    exr_compression: str = "piz"
    overwrite: bool = False
    resume: bool = False
    fix_nonfinite: bool = False
    production: str | None = None
    ocio_config: str | None = None
    providers: list[str] | None = None
    start_frame: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["frames"] = list(self.frames) if self.frames else None
        return data


def parse_frame_range(text: str | None) -> tuple[int, int] | None:
    """``"1001-1100"`` (or ``"1001:1100"``, or one number) as ``(first, last)``; None stays None.

    Raises
    ------
    UsageError
        When the text is not a range or last < first.
    """
    if text is None:
        return None
    match = _RANGE.match(text)
    if not match:
        raise UsageError(f"expected a frame range like 1001-1100, got {text!r}", "--frames")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise UsageError(f"the range {text!r} ends before it starts", "--frames")
    return first, last


def frames_to_render(info: MediaInfo, requested: tuple[int, int] | None, handles: int) -> tuple[int, int]:
    """The inclusive source frame range to render: ``requested`` widened by ``handles`` within the source.

    Raises
    ------
    UsageError
        When the requested range lies outside the source.
    """
    if requested is None:
        return info.first_frame, info.last_frame
    first, last = requested
    if first < info.first_frame or last > info.last_frame:
        raise UsageError(f"frames {first}-{last} are outside the source's {info.first_frame}-{info.last_frame}",
                         info.path)
    return max(info.first_frame, first - handles), min(info.last_frame, last + handles)


def output_frame_offset(info: MediaInfo, first: int, start_frame: int | None) -> int:
    """How far an image-sequence output's frame numbers lie from the source's: output number = source + offset.

    ``start_frame`` numbers the first rendered frame ``first`` (1001 for a VFX pull, handles included).
    Otherwise a sequence keeps its own numbers, and a movie's frames are numbered by their timecode, as a
    conform and Resolve's own image-sequence renders expect (a movie starting at 01:00:00:00 at 24 fps gives
    frames from 86400); a movie without timecode from 0.

    Raises
    ------
    UsageError
        When ``start_frame`` is negative (frame numbers are written in file names).
    """
    if start_frame is not None:
        if start_frame < 0:
            raise UsageError(f"frame numbers are not negative, got {start_frame}", "--start-frame")
        return start_frame - first
    if info.kind == "movie" and info.timecode:
        return timecode_to_frames(info.timecode, info.frame_rate)
    return 0


def choose_codec(output: str, source: MediaInfo, requested: str | None) -> str:
    """The output codec: ``requested``, else from the output extension, else the source's movie family.

    A ProRes 4444 source gives ProRes 4444 XQ, a DNxHR 444 source DNxHR 444, other DNx DNxHR HQX, anything
    else ProRes 422 HQ — 10-bit in every case.
    """
    if requested:
        return requested
    extension = os.path.splitext(output)[1].lower()
    if extension in _BY_EXTENSION:
        codec = _BY_EXTENSION[extension]
        if codec == "dpx10" and source.bit_depth > 10 and source.codec != "openexr":
            codec = "dpx16"
        return codec
    profile = (source.profile or "").upper()
    if source.codec == "dnxhd":
        return "dnxhr_444" if "444" in profile else "dnxhr_hqx"
    if "4444" in profile or "XQ" in profile or source.codec == "openexr":
        return "prores_4444xq"
    return "prores_422hq"


def is_sequence_codec(codec: str) -> bool:
    return codec in SEQUENCE_CODECS
