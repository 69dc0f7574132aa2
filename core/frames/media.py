"""What a piece of media is, and the reader/writer contract every format module implements.

Pixels travel as ``float32`` arrays of shape ``(height, width, 3)``, RGB, holding the *code values of the
source encoding*: integer formats are normalised so that 0 is black code and 1 is full code (10-bit video
decoded with its own matrix and range, so legal-range 64..940 maps to 0..1); float formats (EXR) pass
through unchanged, which may exceed 1. Colour-space meaning is added by ``answerprint.core.color``.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Protocol

if TYPE_CHECKING:  # annotations only: describing media needs no numpy
    import numpy as np

#: Largest frame side answerprint will allocate for (a 16K scan); anything above is refused as absurd.
MAX_SIDE = 16384
#: Largest pixel count answerprint will allocate for.
MAX_PIXELS = 16384 * 16384


@dataclass(frozen=True)
class ColorTags:
    """Colour metadata as containers carry it (ITU-T H.273 names as FFmpeg spells them).

    Attributes
    ----------
    primaries, transfer, matrix : str
        e.g. ``"bt709"``; ``"unknown"`` when the file does not say.
    range : str
        ``"tv"`` (legal/limited), ``"pc"`` (full) or ``"unknown"``.
    """

    primaries: str = "unknown"
    transfer: str = "unknown"
    matrix: str = "unknown"
    range: str = "unknown"


BT709 = ColorTags("bt709", "bt709", "bt709", "tv")

#: Metadata keys naming the camera body, first found wins: OpenEXR's standard attribute, DPX's input device.
CAMERA_SERIAL_KEYS = ("cameraSerialNumber", "dpx:InputDeviceSerialNumber")
#: Metadata keys naming the reel: OpenEXR's standard attribute, QuickTime's timecode track (as FFmpeg reads it).
REEL_KEYS = ("reelName", "reel_name")
_REEL_CAMERA = re.compile(r"^([A-Za-z])[0-9]")


def camera_from_metadata(metadata: Mapping[str, Any]) -> str | None:
    """The camera a file says it was shot on: the body's serial number, else the camera letter of its reel name.

    Reel names follow the camera index convention of ARRI, RED, Sony and Blackmagic (``A004R1AB``,
    ``B012_C003``: letter, then the roll number), so ``A004R1AB`` gives ``A``. None when the file says neither.
    """
    for key in CAMERA_SERIAL_KEYS:
        value = str(metadata.get(key) or "").strip()
        if value:
            return value
    for key in REEL_KEYS:
        match = _REEL_CAMERA.match(str(metadata.get(key) or "").strip())
        if match:
            return match.group(1).upper()
    return None


@dataclass(frozen=True)
class SpaceTags:
    """How an image file describes the colour space of its pixels (``color.describe.describe_space`` makes it).

    Attributes
    ----------
    name : str
        The OCIO colour space's canonical name (``"ACEScg"``).
    interop_id : str or None
        Its Color Interop Forum ID (``"lin_ap1_scene"``, ``"ocio:arrilogc3_awg3_scene"``).
    chromaticities : tuple of 8 float or None
        CIE xy of the red, green and blue primaries and the white; None for data.
    encoding : str
        OCIO encoding: ``scene-linear``, ``log``, ``sdr-video``, ``hdr-video``, ``data`` (empty when unknown).
    transfer, primaries : str
        The interop ID's transfer and primaries tokens (``"g24"``, ``"rec709"``); empty without an ID.
    """

    name: str
    interop_id: str | None = None
    chromaticities: tuple[float, ...] | None = None
    encoding: str = ""
    transfer: str = ""
    primaries: str = ""


@dataclass(frozen=True)
class MediaInfo:
    """Everything a render needs to know about a source, and what it carries to the output.

    Attributes
    ----------
    path : str
        Movie path, or sequence pattern in printf form (``shot.%04d.exr``).
    kind : str
        ``"movie"`` or ``"sequence"``.
    width, height : int
        Stored pixel dimensions.
    frame_rate : Fraction
        Frames per second, exact (``24000/1001`` for 23.976).
    first_frame : int
        Frame number of the first frame (sequence numbering; 0 for movies).
    frame_count : int
        Frames from ``first_frame`` to the last one present, gaps included.
    timecode : str or None
        Start timecode ``HH:MM:SS:FF`` (``;`` before frames when drop-frame).
    pixel_aspect : Fraction
        Pixel aspect ratio (2 for 2x anamorphic).
    bit_depth : int
        Bits per component as stored (10 for ProRes 422 HQ, 16 for half EXR, 32 for float EXR).
    codec : str
        FFmpeg codec name or image format (``prores``, ``dnxhd``, ``h264``, ``openexr``, ``dpx``...).
    profile : str or None
        Codec profile as FFmpeg names it (``HQ``, ``XQ``, ``DNXHR HQX``) or, for EXR, the compression.
    pixel_format : str
        FFmpeg pixel format or OIIO data type (``yuv422p10le``, ``half``, ``uint16``).
    color_tags : ColorTags
        Colour metadata found in the file.
    missing_frames : tuple of int
        Frame numbers absent from a sequence.
    camera : str or None
        The camera the file says it was shot on (``camera_from_metadata``): serial number or camera letter;
        None when it does not say.
    """

    path: str
    kind: str
    width: int
    height: int
    frame_rate: Fraction
    first_frame: int
    frame_count: int
    timecode: str | None = None
    pixel_aspect: Fraction = Fraction(1)
    bit_depth: int = 8
    codec: str = ""
    profile: str | None = None
    pixel_format: str = ""
    color_tags: ColorTags = field(default_factory=ColorTags)
    missing_frames: tuple[int, ...] = ()
    camera: str | None = None

    @property
    def last_frame(self) -> int:
        return self.first_frame + self.frame_count - 1

    @property
    def frame_numbers(self) -> range:
        return range(self.first_frame, self.first_frame + self.frame_count)

    @property
    def drop_frame(self) -> bool:
        return bool(self.timecode and ";" in self.timecode)

    def with_(self, **changes: Any) -> "MediaInfo":
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["frame_rate"] = f"{self.frame_rate.numerator}/{self.frame_rate.denominator}"
        data["frame_rate_fps"] = round(float(self.frame_rate), 6)
        data["pixel_aspect"] = f"{self.pixel_aspect.numerator}/{self.pixel_aspect.denominator}"
        data["missing_frames"] = list(self.missing_frames)
        return data


@dataclass(frozen=True)
class OutputSpec:
    """What to write.

    Attributes
    ----------
    path : str
        Movie path, or sequence pattern in printf form (``out.%04d.exr``).
    codec : str
        One of ``WRITE_CODECS``.
    width, height, frame_rate, first_frame, timecode, pixel_aspect, color_tags
        Carried from the source unless the render changes them.
    exr_compression : str
        ``piz`` (default, lossless), ``zip`` or ``dwaa``.
    exr_half : bool
        Write half float (True) or full float (False).
    colour_space : SpaceTags, optional
        The OCIO space of the pixels, written into EXR and DPX headers (chromaticities, interop ID, name).
    """

    path: str
    codec: str
    width: int
    height: int
    frame_rate: Fraction
    first_frame: int = 0
    timecode: str | None = None
    pixel_aspect: Fraction = Fraction(1)
    color_tags: ColorTags = BT709
    exr_compression: str = "piz"
    exr_half: bool = True
    colour_space: SpaceTags | None = None

    @property
    def is_sequence(self) -> bool:
        return self.codec in SEQUENCE_CODECS


MOVIE_CODECS = ("prores_422hq", "prores_4444xq", "dnxhr_hqx", "dnxhr_444")
SEQUENCE_CODECS = ("exr", "dpx10", "dpx16", "tiff16", "png16", "jpeg")
WRITE_CODECS = MOVIE_CODECS + SEQUENCE_CODECS


class FrameReader(Protocol):
    """Reads frames of one source. Opened read-only; never modifies the source."""

    info: MediaInfo

    def read(self, frame_numbers: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame_number, pixels)`` in ascending order; all frames when ``frame_numbers`` is None.

        Raises ``MediaError`` naming the file and frame when a frame cannot be decoded or is missing.
        """

    def close(self) -> None: ...

    def __enter__(self) -> "FrameReader": ...

    def __exit__(self, *exc: object) -> None: ...


class FrameWriter(Protocol):
    """Writes frames atomically: nothing appears under a final name until it is complete."""

    spec: OutputSpec

    def write(self, frame_number: int, pixels: np.ndarray) -> None:
        """Write one frame (float32 HxWx3 code values, 0..1 for integer formats)."""

    def finish(self) -> list[str]:
        """Complete the output (rename the movie into place); returns the final paths written."""

    def abort(self) -> None:
        """Remove whatever partial file this writer created; completed sequence frames stay (resume)."""


def check_dimensions(width: int, height: int, where: str) -> None:
    """Refuse absurd frame sizes before anything is allocated.

    Raises
    ------
    MediaError
        When a side is not positive, exceeds ``MAX_SIDE`` or the frame exceeds ``MAX_PIXELS``.
    """
    from ..errors import MediaError

    if width <= 0 or height <= 0 or width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise MediaError(f"absurd frame size {width}x{height} (answerprint reads up to {MAX_SIDE} per side)", where)
