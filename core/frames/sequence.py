"""Image sequences (EXR, DPX, TIFF, PNG, JPEG) read and written through OpenImageIO at full bit depth.

Pixels follow ``media``: float32 ``(height, width, 3)`` RGB code values. Integer files are normalised so
that 0 is code 0 and 1 is the largest code (10-bit DPX code 512 reads as exactly 512/1023); EXR values
pass through as stored (scene-linear, may exceed 1 or be negative). Alpha is dropped, one grey channel
is copied to R, G and B. An EXR whose data window differs from its display window (Nuke's bounding box)
is placed on a black canvas of the display window, which is the frame size reported.

Every frame is opened, read and closed on its own, so frames can be decoded from worker threads.
Written frames appear under their final name only once complete (temporary name, then ``os.replace``).
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Iterable, Iterator

import numpy as np
import OpenImageIO as oiio

from ..errors import MediaError, OutputError
from .colour_headers import dpx_color_tags, dpx_colour_attributes, exr_colour_attributes
from .media import (CAMERA_SERIAL_KEYS, REEL_KEYS, SEQUENCE_CODECS, ColorTags, MediaInfo, OutputSpec,
                    camera_from_metadata, check_dimensions)
from .patterns import (STILL_FRAME, SequencePattern, existing_frames, parse_sequence_path, scan_frames,
                       sequence_frame_path)
from .timecode import offset_timecode

#: Frame rate assumed when a file does not state one (TIFF, PNG, JPEG, most DPX from scanners).
DEFAULT_FRAME_RATE = Fraction(24)
#: EXR compressions a writer accepts (OIIO silently turns unknown names into zip, so they are refused).
EXR_COMPRESSIONS = ("piz", "zip", "dwaa")
#: Inserted before the extension of a frame being written: ``.shot.1001.answerprint-partial.exr``.
PARTIAL_TAG = ".answerprint-partial"

# codec -> (OIIO format name, stored data type, bits per sample, accepted extensions)
_WRITE_FORMATS = {
    "exr": ("openexr", None, None, (".exr",)),
    "dpx10": ("dpx", "uint16", 10, (".dpx",)),
    "dpx16": ("dpx", "uint16", 16, (".dpx",)),
    "tiff16": ("tiff", "uint16", 16, (".tif", ".tiff")),
    "png16": ("png", "uint16", 16, (".png",)),
    "jpeg": ("jpeg", "uint8", 8, (".jpg", ".jpeg")),
}
# OIIO colour interop ID parts (``lin_rec709_scene``) -> ITU-T H.273 names as FFmpeg spells them.
_INTEROP_TRANSFER = {"lin": "linear", "srgb": "iec61966-2-1", "g22": "gamma22", "g28": "gamma28"}
_INTEROP_PRIMARIES = {"rec709": "bt709", "rec2020": "bt2020", "p3d65": "smpte432"}


def _one_line(text: str) -> str:
    """OIIO's (possibly multi-line) error text as one line."""
    return "; ".join(part.strip() for part in text.splitlines() if part.strip()) or "unknown OpenImageIO error"


def _open_input(path: str, frame_number: int) -> oiio.ImageInput:
    """Open one frame file read-only; MediaError naming it (with OIIO's reason) when it cannot be opened.

    PNG/TIFF colour is kept as stored next to unassociated alpha (OIIO would otherwise premultiply it).
    """
    if not os.path.isfile(path):
        raise MediaError(f"frame {frame_number} is missing from the sequence", path)
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)
    image = oiio.ImageInput.open(path, config)
    if image is None:
        raise MediaError(f"frame {frame_number} cannot be opened: {_one_line(oiio.geterror())}", path)
    return image


def _checked_size(spec: oiio.ImageSpec, path: str) -> tuple[int, int]:
    """Display-window size of a frame, after refusing absurd data or display windows (nothing allocated yet)."""
    check_dimensions(spec.width, spec.height, path)
    check_dimensions(spec.full_width, spec.full_height, path)
    return spec.full_width, spec.full_height


def _header(path: str, frame_number: int) -> tuple[oiio.ImageSpec, str]:
    """The header of one frame file and its file format name, after refusing absurd sizes."""
    image = _open_input(path, frame_number)
    try:
        spec = image.spec()
        _checked_size(spec, path)
        return spec, image.format_name()
    finally:
        image.close()


def _rgb_channels(spec: oiio.ImageSpec) -> list[int]:
    """Indices of the channels read as R, G, B: named R/G/B when present, else the first three (or one, thrice)."""
    names = list(spec.channelnames)
    if all(name in names for name in "RGB"):
        return [names.index(name) for name in "RGB"]
    return [0, 1, 2] if spec.nchannels >= 3 else [0, 0, 0]


def _decode(image: oiio.ImageInput, path: str, frame_number: int) -> np.ndarray:
    """Pixels of the open frame as float32 display-window HxWx3 code values (see module docstring)."""
    spec = image.spec()
    channels = _rgb_channels(spec)
    first, last = min(channels), max(channels) + 1
    bits = spec.get_int_attribute("oiio:BitsPerSample", 0)
    packed = spec.format == "uint16" and 0 < bits < 16
    data = image.read_image(0, 0, first, last, "uint16" if packed else "float")
    if data is None:
        raise MediaError(f"frame {frame_number} cannot be decoded: {_one_line(image.geterror())}", path)
    data = data.reshape(spec.height, spec.width, last - first)[..., [c - first for c in channels]]
    if packed:
        # OIIO widens n-bit codes to 16 bits by bit replication; the top n bits are the stored code.
        data = (data >> (16 - bits)).astype(np.float32) / np.float32((1 << bits) - 1)
    if (spec.x, spec.y, spec.width, spec.height) == (spec.full_x, spec.full_y, spec.full_width, spec.full_height):
        return np.ascontiguousarray(data, dtype=np.float32)
    canvas = np.zeros((spec.full_height, spec.full_width, 3), np.float32)
    x0, y0 = max(spec.x, spec.full_x), max(spec.y, spec.full_y)
    x1 = min(spec.x + spec.width, spec.full_x + spec.full_width)
    y1 = min(spec.y + spec.height, spec.full_y + spec.full_height)
    if x1 > x0 and y1 > y0:
        canvas[y0 - spec.full_y:y1 - spec.full_y, x0 - spec.full_x:x1 - spec.full_x] = \
            data[y0 - spec.y:y1 - spec.y, x0 - spec.x:x1 - spec.x]
    return canvas


def _exact_rate(fps: float) -> Fraction | None:
    """A float frame rate as an exact fraction (23.976024 -> 24000/1001); None when not a usable rate."""
    if not fps > 0 or fps > 1000:
        return None
    nominal = round(fps)
    if abs(fps - nominal) < 1e-3:
        return Fraction(nominal)
    if abs(fps - nominal * 1000 / 1001) < 1e-3:
        return Fraction(nominal * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _frame_rate(spec: oiio.ImageSpec) -> Fraction:
    """Frames per second from ``FramesPerSecond`` (EXR rational) or ``dpx:FrameRate``; 24 when absent."""
    value = spec.getattribute("FramesPerSecond")
    if isinstance(value, tuple) and len(value) == 2 and value[0] > 0 and value[1] > 0:
        return Fraction(int(value[0]), int(value[1]))
    for candidate in (value, spec.getattribute("dpx:FrameRate")):
        if isinstance(candidate, (int, float)) and (rate := _exact_rate(float(candidate))):
            return rate
    return DEFAULT_FRAME_RATE


def decode_smpte_timecode(word: int) -> str | None:
    """``HH:MM:SS:FF`` (``;`` before frames when the drop-frame flag is set) from a SMPTE 12M BCD time word.

    Returns None when the word holds no valid BCD timecode (DPX writes all ones for "no timecode").
    """
    fields = ((word >> 24) & 0x3F, (word >> 16) & 0x7F, (word >> 8) & 0x7F, word & 0x3F)
    if any(value & 0xF > 9 for value in fields):
        return None
    hh, mm, ss, ff = (10 * (value >> 4) + (value & 0xF) for value in fields)
    if hh > 23 or mm > 59 or ss > 59:
        return None
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if word & 0x40 else ':'}{ff:02d}"


def encode_smpte_timecode(timecode: str) -> int:
    """The SMPTE 12M BCD time word for ``HH:MM:SS:FF`` / ``HH:MM:SS;FF`` (drop-frame flag from the ``;``)."""
    digits = timecode.replace(";", ":").replace(",", ":").replace(".", ":").split(":")
    word = 0
    for shift, value in zip((24, 16, 8, 0), (int(part) for part in digits)):
        word |= ((value // 10) << 4 | value % 10) << shift
    return word | (0x40 if ";" in timecode or "," in timecode else 0)


def _timecode(spec: oiio.ImageSpec) -> str | None:
    """Timecode of a frame from ``smpte:TimeCode`` (EXR, DPX) or the ``dpx:TimeCode`` string."""
    word = spec.getattribute("smpte:TimeCode")
    if isinstance(word, tuple) and word:
        return decode_smpte_timecode(int(word[0]))
    text = spec.get_string_attribute("dpx:TimeCode")
    return text if len(text) == 11 and text[:2].isdigit() else None


def _pixel_aspect(spec: oiio.ImageSpec) -> Fraction:
    """``PixelAspectRatio`` as a fraction (2 for 2x anamorphic, 10/11 for NTSC DV); 1 when absent or absurd."""
    aspect = spec.get_float_attribute("PixelAspectRatio", 1.0)
    return Fraction(aspect).limit_denominator(1000) if 0.01 < aspect < 100 else Fraction(1)


def _color_tags(spec: oiio.ImageSpec) -> ColorTags:
    """H.273 tags from OIIO's ``oiio:ColorSpace`` interop ID; unknown when absent or not expressible.

    ACES (``lin_ap0``/``lin_ap1``) keep unknown primaries: H.273 has no code for them.
    """
    if spec.get_string_attribute("dpx:Transfer"):
        from_dpx = dpx_color_tags(spec.get_string_attribute("dpx:Transfer"),
                                  spec.get_string_attribute("dpx:Colorimetric"))
        if from_dpx is not None:
            return from_dpx
    parts = spec.get_string_attribute("oiio:ColorSpace").lower().split("_")
    transfer = _INTEROP_TRANSFER.get(parts[0], "unknown")
    primaries = _INTEROP_PRIMARIES.get(parts[1], "unknown") if len(parts) > 1 else "unknown"
    if transfer == primaries == "unknown":
        return ColorTags()
    return ColorTags(primaries, transfer, "gbr", "pc")


def _bit_depth(spec: oiio.ImageSpec) -> int:
    """Bits per component as stored: 16 half, 32 float, 8, or ``oiio:BitsPerSample`` for uint16 (10, 12, 16)."""
    depth = spec.format.size() * 8
    return spec.get_int_attribute("oiio:BitsPerSample", depth) if spec.format == "uint16" else depth


class SequenceReader:
    """Reads an image sequence (or a single still) read-only, one frame file at a time.

    Parameters
    ----------
    path : str or os.PathLike
        ``shot.%04d.exr``, ``shot.####.exr``, one frame's path (``shot.1001.exr``: its whole sequence is
        read) or a still without frame number (a one-frame sequence numbered 0). A frame's path whose file
        differs in size or file format from the first frame of that sequence is not one of its frames: it is
        read as a still (``shot3.png`` among stills ``shot0.png`` ... of other sizes).
    still : bool
        Read only the file ``path`` names, as a still numbered as its name says (``aero3.tif`` is frame 3);
        ``info.path`` is then that file, not a pattern.

    Raises
    ------
    MediaError
        When no file matches, or the first frame is absurdly large, unreadable or corrupt.
    """

    def __init__(self, path: str | os.PathLike, still: bool = False):
        text = os.fspath(path)
        self.pattern: SequencePattern = parse_sequence_path(text)
        named = self.pattern.frame_number(os.path.basename(text)) if os.path.isfile(text) else None
        if still and named is None:
            raise MediaError("no such still (a still is one existing image file)", text)
        frames = [named] if still else scan_frames(self.pattern)
        if not frames:
            raise MediaError(f"no frames match {os.path.basename(self.pattern.printf)}", self.pattern.directory or ".")
        spec, codec = _header(self.pattern.frame_path(frames[0]), frames[0])
        if named is not None and named != frames[0]:
            own_spec, own_codec = _header(text, named)
            if (own_spec.full_width, own_spec.full_height, own_codec) != (spec.full_width, spec.full_height, codec):
                frames, spec, codec, still = [named], own_spec, own_codec, True
        first, last = frames[0], frames[-1]
        present = set(frames)
        width, height = spec.full_width, spec.full_height
        compression = spec.get_string_attribute("compression") if codec == "openexr" else ""
        self.info = MediaInfo(
            path=text if still else self.pattern.printf, kind="sequence", width=width, height=height,
            frame_rate=_frame_rate(spec), first_frame=first, frame_count=last - first + 1,
            timecode=_timecode(spec), pixel_aspect=_pixel_aspect(spec), bit_depth=_bit_depth(spec),
            codec=codec, profile=compression or None,
            pixel_format=str(spec.format), color_tags=_color_tags(spec),
            missing_frames=tuple(n for n in range(first, last + 1) if n not in present),
            camera=camera_from_metadata({key: spec.get_string_attribute(key)
                                         for key in CAMERA_SERIAL_KEYS + REEL_KEYS}))

    def frame_path(self, frame_number: int) -> str:
        """The file holding ``frame_number``."""
        return self.pattern.frame_path(frame_number)

    def read_frame(self, frame_number: int) -> np.ndarray:
        """Decode one frame: float32 ``(height, width, 3)`` code values (see module docstring).

        Raises
        ------
        MediaError
            Naming the file and frame when the frame is outside the sequence, missing, corrupt,
            truncated or of a different size than the first frame.
        """
        path = self.frame_path(frame_number)
        info = self.info
        if frame_number not in info.frame_numbers:
            raise MediaError(f"frame {frame_number} is outside the sequence {info.first_frame}-{info.last_frame}",
                             path)
        image = _open_input(path, frame_number)
        try:
            width, height = _checked_size(image.spec(), path)
            if (width, height) != (info.width, info.height):
                raise MediaError(f"frame {frame_number} is {width}x{height} but the sequence is "
                                 f"{info.width}x{info.height}", path)
            return _decode(image, path, frame_number)
        finally:
            image.close()

    def read(self, frame_numbers: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame_number, pixels)`` in ascending order; every frame first..last when None.

        Raises
        ------
        MediaError
            As ``read_frame``, when the iteration reaches a frame that cannot be read.
        """
        numbers = self.info.frame_numbers if frame_numbers is None else sorted(set(frame_numbers))
        for number in numbers:
            yield number, self.read_frame(number)

    def close(self) -> None:
        """Nothing stays open between frames; present for the ``FrameReader`` contract."""

    def __enter__(self) -> "SequenceReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_sequence_output(spec: OutputSpec, frame_count: int = 1) -> None:
    """Refuse, before anything is written, a sequence output its writer could not complete.

    Raises
    ------
    OutputError
        When the codec is not a sequence codec, the extension is not the codec's, the EXR compression is not
        one of ``EXR_COMPRESSIONS``, the start timecode is not one at ``spec.frame_rate``, or ``frame_count``
        frames would go to a still (a name with no frame number holds one frame).
    """
    if spec.codec not in SEQUENCE_CODECS:
        raise OutputError(f"{spec.codec!r} is not an image-sequence codec ({', '.join(SEQUENCE_CODECS)})",
                          spec.path)
    pattern = parse_sequence_path(spec.path)
    extensions = _WRITE_FORMATS[spec.codec][3]
    if not pattern.frame_path(0).lower().endswith(extensions):
        raise OutputError(f"codec {spec.codec} writes {' or '.join(extensions)} files", spec.path)
    if spec.codec == "exr" and spec.exr_compression not in EXR_COMPRESSIONS:
        raise OutputError(f"EXR compression {spec.exr_compression!r} is not one of "
                          f"{', '.join(EXR_COMPRESSIONS)}", spec.path)
    if pattern.padding is None and frame_count > 1:
        raise OutputError(f"{frame_count} frames cannot go to a still (no frame number in its name); "
                          "name the output like name.%04d.ext", spec.path)
    if spec.timecode:
        try:
            offset_timecode(spec.timecode, 0, spec.frame_rate)
        except MediaError as error:
            raise OutputError(error.what, spec.path) from error


class SequenceWriter:
    """Writes an image sequence frame by frame; each frame appears under its final name only when complete.

    Frames are independent files: ``write`` may be called from several threads at once for different frames.

    Parameters
    ----------
    spec : OutputSpec
        ``spec.path`` is a pattern (``out.%04d.exr`` or ``out.####.exr``); ``spec.codec`` one of
        ``SEQUENCE_CODECS``. EXR: half or float per ``spec.exr_half``, ``spec.exr_compression``, and
        ``FramesPerSecond``, per-frame ``smpte:TimeCode`` and ``PixelAspectRatio``. DPX: frame rate,
        timecode and pixel aspect in the header. JPEG: 8-bit, quality 95, 4:4:4.

    Raises
    ------
    OutputError
        When the codec, the EXR compression or the extension is not one this writer produces, or the
        start timecode is not a timecode at ``spec.frame_rate``.
    """

    def __init__(self, spec: OutputSpec):
        check_sequence_output(spec)
        self.spec = spec
        self.pattern = parse_sequence_path(spec.path)
        self._format, self._dtype, self._bits, _ = _WRITE_FORMATS[spec.codec]
        self._written: list[str] = []
        self._partials: set[str] = set()

    def _image_spec(self, frame_number: int) -> oiio.ImageSpec:
        """The OIIO header for one frame (format, bit depth, compression, rate, timecode, pixel aspect)."""
        spec = self.spec
        dtype = self._dtype or ("half" if spec.exr_half else "float")
        header = oiio.ImageSpec(spec.width, spec.height, 3, dtype)
        header.attribute("PixelAspectRatio", float(spec.pixel_aspect))
        if self._format == "openexr":
            header.attribute("compression", spec.exr_compression)
            header.attribute("FramesPerSecond", oiio.TypeRational,
                             (spec.frame_rate.numerator, spec.frame_rate.denominator))
        elif self._format == "dpx":
            header.attribute("oiio:BitsPerSample", self._bits)
            header.attribute("dpx:FrameRate", float(spec.frame_rate))
        elif self._format == "jpeg":
            header.attribute("Compression", "jpeg:95")
            header.attribute("jpeg:subsampling", "4:4:4")
        if spec.colour_space is not None and self._format in ("openexr", "dpx"):
            attributes = (exr_colour_attributes if self._format == "openexr" else dpx_colour_attributes)
            for name, kind, value in attributes(spec.colour_space):
                header.attribute(name, oiio.TypeDesc(kind), value)
        if spec.timecode and self._format in ("openexr", "dpx"):
            timecode = offset_timecode(spec.timecode, frame_number - spec.first_frame, spec.frame_rate)
            header.attribute("smpte:TimeCode", oiio.TypeTimeCode, (encode_smpte_timecode(timecode), 0))
        return header

    def _encode(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels as handed to OIIO: float32 for EXR, clipped and rounded integer codes otherwise.

        n-bit codes are widened to 16 bits by bit replication, which OIIO narrows back exactly.
        """
        if self._dtype is None:
            return pixels
        levels = (1 << self._bits) - 1
        codes = np.rint(np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0) * levels).astype(np.uint16)
        if self._dtype == "uint8":
            return codes.astype(np.uint8)
        return codes if self._bits == 16 else codes << (16 - self._bits) | codes >> (2 * self._bits - 16)

    def write(self, frame_number: int, pixels: np.ndarray) -> None:
        """Write frame ``frame_number`` completely: to a hidden temporary file, then renamed into place.

        ``pixels`` is float32 ``(height, width, 3)``: code values 0..1 for integer codecs (clipped, NaN as 0),
        any value for EXR.

        Raises
        ------
        OutputError
            When the pixels have the wrong shape, a second frame goes to a still output (no frame number
            in its name), or the file cannot be written (folder missing or not a
            folder, no permission, disk full); nothing is left under the final name or the temporary one.
        """
        final = self.pattern.frame_path(frame_number)
        if self.pattern.padding is None and self._written:
            raise OutputError("a still output (no frame number in its name) holds one frame; "
                              "name the output like name.%04d.ext", final)
        expected = (self.spec.height, self.spec.width, 3)
        if getattr(pixels, "shape", None) != expected:
            raise OutputError(f"frame {frame_number} has shape {getattr(pixels, 'shape', None)}, "
                              f"expected {expected}", final)
        data = np.ascontiguousarray(self._encode(np.asarray(pixels, dtype=np.float32)))
        root, extension = os.path.splitext(final)
        folder, name = os.path.split(root)
        partial = os.path.join(folder, f".{name}{PARTIAL_TAG}{extension}")
        self._partials.add(partial)
        try:
            self._write_file(partial, final, data, self._image_spec(frame_number))
            os.replace(partial, final)
        except OSError as error:
            raise OutputError(f"frame {frame_number} cannot be written: {error.strerror or error}", final) from error
        finally:
            self._remove_partial(partial)
        if final not in self._written:
            self._written.append(final)

    def _write_file(self, path: str, final: str, data: np.ndarray, header: oiio.ImageSpec) -> None:
        """Write one complete image file at ``path``; OutputError naming ``final``, with OIIO's reason."""
        output = oiio.ImageOutput.create(self._format)
        if output is None:
            raise OutputError(f"OpenImageIO has no {self._format} writer: {_one_line(oiio.geterror())}", final)
        if not output.open(path, header):
            raise OutputError(f"cannot create file: {_one_line(output.geterror())}", final)
        written = output.write_image(data)
        closed = output.close()
        if not (written and closed):
            raise OutputError(f"cannot write file: {_one_line(output.geterror())}", final)

    def finish(self) -> list[str]:
        """The final paths of the frames this writer wrote, in writing order (frames are already in place)."""
        return list(self._written)

    def abort(self) -> None:
        """Remove the temporary files of frames being written, if any; completed frames stay (resume).

        Safe to call from another thread while ``write`` runs: that write then fails with OutputError.
        """
        for partial in list(self._partials):
            self._remove_partial(partial)

    def _remove_partial(self, partial: str) -> None:
        """Forget ``partial`` and delete it if it is still on disk."""
        self._partials.discard(partial)
        if os.path.lexists(partial):
            os.remove(partial)


__all__ = [
    "DEFAULT_FRAME_RATE", "EXR_COMPRESSIONS", "PARTIAL_TAG", "SequencePattern", "SequenceReader",
    "SequenceWriter", "STILL_FRAME", "check_sequence_output", "decode_smpte_timecode", "encode_smpte_timecode", "existing_frames",
    "parse_sequence_path", "sequence_frame_path",
]
