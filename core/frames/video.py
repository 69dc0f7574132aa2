"""Movies through PyAV at full bit depth: many codecs in, ProRes and DNxHR out.

Decoding converts each frame to RGB with an explicit Y'CbCr matrix and range (the frame's own tags; BT.709
for untagged pictures 720 lines and taller, BT.601 below) through 16-bit RGB, then to float32 code values
0..1, so 10-bit legal range 64..940 becomes 0..1. Encoding goes the other way with the matrix and range of
``OutputSpec.color_tags``: PyAV's implicit conversion inside ``encode()`` would use BT.601 whatever the
stream is tagged, so every frame is converted and tagged here before it reaches the encoder.
"""
from __future__ import annotations

import contextlib
import os
from collections import deque
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple

import av

from ..bands import for_each_band
from ..errors import MediaError, OutputError
from .media import ColorTags, MediaInfo, OutputSpec, camera_from_metadata, check_dimensions
from .timecode import is_drop_frame_rate, timecode_to_frames

if TYPE_CHECKING:  # numpy is imported by the first frame converted: ``probe`` needs none of it
    import numpy as np

#: Decoders answerprint accepts (FFmpeg codec names); anything else is refused before decoding.
READ_CODECS = ("prores", "dnxhd", "h264", "hevc", "av1", "ffv1", "cfhd", "vp9", "mjpeg", "rawvideo")
_READ_CODECS_TEXT = ("ProRes, DNxHD/DNxHR, H.264, H.265, AV1, FFV1, CineForm, VP9, Motion JPEG "
                     "and uncompressed video")

#: H.273 code points to FFmpeg's names (``av_color_*_name``); codes not listed read as ``unknown``.
_PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020",
              10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
_TRANSFERS = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
              9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
              14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
_MATRICES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
             9: "bt2020nc", 10: "bt2020c", 14: "ictcp"}
_RANGES = {1: "tv", 2: "pc"}
_UNSPECIFIED = 2
#: Matrix names to the swscale matrices that implement them (decode and encode).
_SWS_MATRICES = {"bt709": "ITU709", "bt470bg": "ITU601", "smpte170m": "ITU601", "smpte240m": "SMPTE240M",
                 "fcc": "FCC", "bt2020nc": "BT2020"}
#: Full code value of the 16-bit RGB the conversions go through.
_FULL_CODE_16 = 65535.0
#: Rows quantised at a time within a band: 64 UHD rows of float32 RGB are 2.9 MB, a cache's worth.
_QUANTISE_ROWS = 64
#: Frames a long-GOP read decodes through before it seeks instead (about two seconds of footage).
_LONG_GOP_SEEK_GAP = 48


class _Encoding(NamedTuple):
    encoder: str
    pixel_format: str
    profile: str
    #: Whether the format can carry full-range Y'CbCr (ProRes is legal range by definition: decoders
    #: read it as legal whatever the container says).
    full_range: bool


_ENCODINGS = {
    "prores_422hq": _Encoding("prores_ks", "yuv422p10le", "hq", False),
    "prores_4444xq": _Encoding("prores_ks", "yuv444p10le", "4444xq", False),
    "dnxhr_hqx": _Encoding("dnxhd", "yuv422p10le", "dnxhr_hqx", True),
    "dnxhr_444": _Encoding("dnxhd", "yuv444p10le", "dnxhr_444", True),
}


def _reason(error: BaseException) -> str:
    """The short cause of a PyAV / OS error (its strerror when it has one)."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _code_for(names: dict[int, str], name: str) -> int:
    """The H.273 code point of an FFmpeg colour name; unspecified for ``unknown`` or an unknown name."""
    return next((code for code, known in names.items() if known == name), _UNSPECIFIED)


class MovieReader:
    """Reads a movie read-only, frame by frame, as float32 RGB code values 0..1.

    Parameters
    ----------
    path : str or os.PathLike
        The movie.
    random_access : bool
        Frames will be read one at a time, out of order (a preview scrubbing): an intra-only codec (ProRes,
        DNxHR) then decodes with slice threads, which return the frame about three times sooner than frame
        threads refilling their pipeline after every seek. Renders read in order and keep frame threads.

    Raises
    ------
    MediaError
        When the file is missing, unreadable, truncated or corrupt, has no video stream, uses a codec
        outside ``READ_CODECS``, or declares an absurd frame size.
    """

    def __init__(self, path: str | os.PathLike, random_access: bool = False):
        self.path = os.fspath(path)
        try:
            self._container = av.open(self.path, "r")
        except (av.error.FFmpegError, OSError) as error:
            raise MediaError(self._open_problem(error), self.path) from error
        try:
            self._stream = self._video_stream()
            self.info = self._describe()
        except BaseException:
            self._container.close()
            raise
        intra_only = self._stream.codec_context.codec.intra_only
        self._stream.thread_type = "SLICE" if random_access and intra_only else "AUTO"

    @staticmethod
    def _open_problem(error: BaseException) -> str:
        if isinstance(error, FileNotFoundError):
            return "no such file"
        if isinstance(error, av.error.InvalidDataError):
            return f"cannot read this movie ({_reason(error)}): it is truncated (e.g. no moov atom) or corrupt"
        return f"cannot open this movie: {_reason(error)}"

    def _video_stream(self) -> av.video.stream.VideoStream:
        if not self._container.streams.video:
            raise MediaError("no video stream in this file", self.path)
        stream = self._container.streams.video[0]
        codec = stream.codec_context.codec.canonical_name if stream.codec_context else "unknown"
        if codec not in READ_CODECS:
            raise MediaError(f"unsupported codec {codec!r}: answerprint reads {_READ_CODECS_TEXT}", self.path)
        check_dimensions(stream.codec_context.width, stream.codec_context.height, self.path)
        if not stream.codec_context.pix_fmt:
            raise MediaError("the video stream does not say its pixel format", self.path)
        return stream

    def _describe(self) -> MediaInfo:
        stream, context = self._stream, self._stream.codec_context
        frame_rate = stream.guessed_rate or stream.average_rate
        if not frame_rate:
            raise MediaError("the video stream does not say its frame rate", self.path)
        frame_rate = Fraction(frame_rate)
        self._exact_count = stream.frames > 0
        return MediaInfo(
            path=self.path, kind="movie", width=context.width, height=context.height, frame_rate=frame_rate,
            first_frame=0, frame_count=stream.frames if self._exact_count else self._estimated_count(frame_rate),
            timecode=self._timecode(), pixel_aspect=Fraction(stream.sample_aspect_ratio or 1),
            bit_depth=av.VideoFormat(context.pix_fmt).components[0].bits, codec=context.codec.canonical_name,
            profile=context.profile, pixel_format=context.pix_fmt,
            color_tags=ColorTags(_PRIMARIES.get(context.color_primaries, "unknown"),
                                 _TRANSFERS.get(context.color_trc, "unknown"),
                                 _MATRICES.get(context.colorspace, "unknown"),
                                 _RANGES.get(context.color_range, "unknown")),
            camera=camera_from_metadata(self._metadata()))

    def _estimated_count(self, frame_rate: Fraction) -> int:
        """Frame count from the stream duration, or the container duration (microseconds), times the rate."""
        if self._stream.duration:
            seconds = self._stream.duration * self._stream.time_base
        else:
            seconds = Fraction(self._container.duration or 0, av.time_base)
        return round(seconds * frame_rate)

    def _metadata(self) -> dict[str, str]:
        """Metadata of the video stream, the container, then the other (tmcd, data) streams; first one wins."""
        sources = [self._stream.metadata, self._container.metadata]
        sources += [stream.metadata for stream in self._container.streams if stream is not self._stream]
        merged: dict[str, str] = {}
        for source in sources:
            merged.update({key: value for key, value in source.items() if value and key not in merged})
        return merged

    def _timecode(self) -> str | None:
        """Start timecode from the video stream, the container, or a tmcd / data stream."""
        return self._metadata().get("timecode")

    def read(self, frame_numbers: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame_number, pixels)`` in ascending order, pixels float32 HxWx3 RGB code values 0..1.

        Seeks to the keyframe before each wanted run of frames instead of decoding from the start.

        Raises
        ------
        MediaError
            Naming the file and frame when a frame cannot be decoded or is corrupt, or when a frame asked
            for (or counted by the file's index, when ``frame_numbers`` is None) is not in the file.
        """
        pending = deque(sorted(set(frame_numbers)) if frame_numbers is not None else self.info.frame_numbers)
        strict = frame_numbers is not None or self._exact_count
        seek_gap = 1 if self._stream.codec_context.codec.intra_only else _LONG_GOP_SEEK_GAP
        while pending:
            for number, frame in self._decode_from(pending[0]):
                if number > pending[0]:
                    raise MediaError(f"frame {pending[0]} is missing (the stream jumps to frame {number})",
                                     self.path)
                if number == pending[0]:
                    pending.popleft()
                    yield number, self._to_rgb(frame)
                    if not pending or pending[0] > number + seek_gap:
                        break
            else:
                if pending and strict:
                    raise MediaError(f"frame {pending[0]} is missing: the movie ends before it "
                                     f"(expected {self.info.frame_count} frames)", self.path)
                return

    def _decode_from(self, target: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Seek to the keyframe at or before frame ``target`` and yield ``(frame_number, frame)`` from there."""
        stream = self._stream
        start_pts = stream.start_time or 0
        target_pts = start_pts + int(target / (self.info.frame_rate * stream.time_base))
        try:
            self._container.seek(target_pts, stream=stream, backward=True)
        except av.error.FFmpegError as error:
            raise MediaError(f"cannot seek to frame {target}: {_reason(error)}", self.path) from error
        frames = self._container.decode(stream)
        expected = target
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                return
            except av.error.FFmpegError as error:
                raise MediaError(f"frame {expected} cannot be decoded: {_reason(error)}", self.path) from error
            number = expected if frame.pts is None else round(
                (frame.pts - start_pts) * stream.time_base * self.info.frame_rate)
            if frame.is_corrupt:
                raise MediaError(f"frame {number} is corrupt", self.path)
            yield number, frame
            expected = number + 1

    def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """Float32 HxWx3 RGB code values 0..1, converted with the frame's matrix and range (swscale in slices on
        every core, ``threads=0``: the same codes as one thread, half the time on two cores)."""
        import numpy as np

        if frame.format.is_rgb:
            rgb16 = frame.reformat(format="rgb48le", threads=0)
        else:
            default = "bt709" if frame.height >= 720 else "smpte170m"
            matrix = _SWS_MATRICES.get(_MATRICES.get(frame.colorspace, default), _SWS_MATRICES[default])
            color_range = "JPEG" if frame.color_range == 2 else "MPEG"
            rgb16 = frame.reformat(format="rgb48le", src_colorspace=matrix, src_color_range=color_range, threads=0)
        codes = rgb16.to_ndarray()
        pixels = np.empty(codes.shape, np.float32)
        scale = np.float32(_FULL_CODE_16)
        for_each_band(codes.shape[0], lambda rows: np.divide(codes[rows], scale, out=pixels[rows], dtype=np.float32))
        return pixels

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._container.close()

    def __enter__(self) -> "MovieReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quantise_16(pixels: np.ndarray, codes: np.ndarray, frame_number: int, path: str) -> None:
    """float32 HxWx3 code values → ``codes``, uint16 HxWx3 (× 65535 in float32, clipped, rounded half to even).

    Row bands run on every core; each band goes through ``_QUANTISE_ROWS`` rows at a time so that its float32
    scratch stays in cache: about one pass over memory instead of four (20 ms instead of 37 ms per UHD frame on
    one core, identical codes).

    Raises
    ------
    OutputError
        When the frame holds NaN pixels.
    """
    import numpy as np

    found_nan: list[bool] = []

    def band(rows: slice) -> None:
        scratch = np.empty((min(_QUANTISE_ROWS, rows.stop - rows.start), *pixels.shape[1:]), np.float32)
        for start in range(rows.start, rows.stop, _QUANTISE_ROWS):
            part = pixels[start:min(start + _QUANTISE_ROWS, rows.stop)]
            if np.isnan(part).any():
                found_nan.append(True)
                return
            scaled = scratch[:part.shape[0]]
            np.multiply(part, np.float32(_FULL_CODE_16), out=scaled, dtype=np.float32)
            np.rint(np.clip(scaled, 0.0, _FULL_CODE_16, out=scaled), out=scaled)
            codes[start:start + part.shape[0]] = scaled

    for_each_band(pixels.shape[0], band)
    if found_nan:
        raise OutputError(f"frame {frame_number} holds NaN pixels", path)


def check_movie_output(spec: OutputSpec) -> "_Encoding":
    """Refuse, before anything is written, a movie output ``MovieWriter`` could not complete; its encoding.

    Raises
    ------
    OutputError
        When the codec is not a movie codec, the extension is not .mov, the path is a folder, or the rate, size,
        timecode or matrix cannot be written.
    """
    if spec.codec not in _ENCODINGS:
        raise OutputError(f"{spec.codec!r} is not a movie codec; choose one of {', '.join(_ENCODINGS)}",
                          spec.path)
    extension = os.path.splitext(spec.path)[1].lower()
    if extension == ".mxf":
        raise OutputError("MXF output is refused: FFmpeg's MXF muxer drops the pixel aspect of DNxHR and the "
                          "range tag of DNxHR 444; write a .mov", spec.path)
    if extension not in (".mov", ""):
        raise OutputError(f"movies are written as QuickTime .mov, not {extension!r}", spec.path)
    if os.path.isdir(spec.path):
        raise OutputError("the output path is a directory", spec.path)
    if spec.frame_rate <= 0:
        raise OutputError(f"frame rate {spec.frame_rate} is not positive", spec.path)
    try:
        check_dimensions(spec.width, spec.height, spec.path)
        if spec.timecode:
            timecode_to_frames(spec.timecode, spec.frame_rate)
    except MediaError as error:
        raise OutputError(error.what, spec.path) from error
    if spec.timecode and ";" in spec.timecode and not is_drop_frame_rate(spec.frame_rate):
        raise OutputError(f"drop-frame timecode {spec.timecode} needs 29.97 or 59.94 fps, not "
                          f"{float(spec.frame_rate):.3f}", spec.path)
    if spec.color_tags.matrix not in (*_SWS_MATRICES, "unknown"):
        raise OutputError(f"cannot encode with matrix {spec.color_tags.matrix!r}; use one of "
                          f"{', '.join(_SWS_MATRICES)}", spec.path)
    return _ENCODINGS[spec.codec]


class MovieWriter:
    """Writes a ProRes / DNxHR QuickTime movie atomically, from float32 RGB code values 0..1.

    Frames go into ``.{stem}.answerprint-partial-{pid}{ext}`` beside the final path; only ``finish()``
    renames it onto ``spec.path`` (replacing an existing file there), ``abort()`` deletes it.

    Parameters
    ----------
    spec : OutputSpec
        ``codec`` one of ``prores_422hq``, ``prores_4444xq``, ``dnxhr_hqx``, ``dnxhr_444``; ``path`` ending in
        ``.mov`` (or no extension). Size, exact rate, pixel aspect, start timecode and colour tags are written;
        ProRes is always written legal range (``tv``), DNxHR honours a ``pc`` range request.

    Raises
    ------
    OutputError
        When the codec, extension, size, timecode or colour matrix cannot be written, or the temporary file
        cannot be created (missing directory, a file where the directory should be, no permission).
    """

    def __init__(self, spec: OutputSpec):
        self.spec = spec
        self._encoding = check_movie_output(spec)
        folder, name = os.path.split(os.path.abspath(spec.path))
        stem, extension = os.path.splitext(name)
        self.temp_path = os.path.join(folder, f".{stem}.answerprint-partial-{os.getpid()}{extension}")
        self._matrix = "bt709" if spec.color_tags.matrix == "unknown" else spec.color_tags.matrix
        self._range = "pc" if spec.color_tags.range == "pc" and self._encoding.full_range else "tv"
        self._frames_written = 0
        self._last_frame_number: int | None = None
        #: The 16-bit RGB codes of the frame being written, reused frame after frame (no page faults per frame).
        self._codes: np.ndarray | None = None
        self._container = None
        try:
            self._container = av.open(self.temp_path, "w", format="mov")
            self._stream = self._add_stream()
            self._container.start_encoding()
        except (av.error.FFmpegError, OSError, ValueError) as error:
            self.abort()
            raise OutputError(f"cannot create the movie: {_reason(error)}", spec.path) from error

    def _add_stream(self) -> av.video.stream.VideoStream:
        """The video stream: encoder, profile, size, exact rate, pixel aspect, colour tags, start timecode."""
        spec, tags = self.spec, self.spec.color_tags
        stream = self._container.add_stream(self._encoding.encoder, rate=spec.frame_rate,
                                            options={"profile": self._encoding.profile})
        context = stream.codec_context
        context.width, context.height, context.pix_fmt = spec.width, spec.height, self._encoding.pixel_format
        context.time_base = 1 / Fraction(spec.frame_rate)
        context.thread_type = "AUTO"
        context.sample_aspect_ratio = Fraction(spec.pixel_aspect)
        context.color_primaries = _code_for(_PRIMARIES, tags.primaries)
        context.color_trc = _code_for(_TRANSFERS, tags.transfer)
        context.colorspace = _code_for(_MATRICES, self._matrix)
        context.color_range = _code_for(_RANGES, self._range)
        if spec.timecode:
            stream.metadata["timecode"] = spec.timecode
        return stream

    def write(self, frame_number: int, pixels: np.ndarray) -> None:
        """Encode one frame of float32 HxWx3 RGB code values 0..1 (clipped; rounded to 16 bits first).

        Frames must arrive in order without gaps: the movie's timing comes from their count.

        Raises
        ------
        OutputError
            Naming the output when the frame has the wrong size, holds NaN, comes out of order, or the
            encoder or the disk fails (disk full, file too large: the OS error is quoted).
        """
        import numpy as np

        self._check_frame(frame_number, pixels)
        if self._codes is None:
            self._codes = np.empty((self.spec.height, self.spec.width, 3), np.uint16)
        _quantise_16(pixels, self._codes, frame_number, self.spec.path)
        context = self._stream.codec_context
        # from_numpy_buffer wraps the codes without copying them (from_ndarray copies them twice: about 60 ms
        # of one core per UHD frame); swscale reads them during reformat, whose result is a new picture.
        # One swscale thread: FFmpeg 8's sliced RGB → 4:2:2 conversion writes wrong chroma (up to ~220 of 1023
        # codes) into the first 16 pixels of a slice's first row, at random, when given more than one thread.
        picture = av.VideoFrame.from_numpy_buffer(self._codes, format="rgb48le").reformat(
            format=self._encoding.pixel_format, dst_colorspace=_SWS_MATRICES[self._matrix],
            dst_color_range="JPEG" if self._range == "pc" else "MPEG",
            dst_color_trc=context.color_trc, dst_color_primaries=context.color_primaries, threads=1)
        picture.pts = self._frames_written
        try:
            self._container.mux(self._stream.encode(picture))
        except (av.error.FFmpegError, OSError) as error:
            raise OutputError(f"cannot write frame {frame_number}: {_reason(error)}", self.spec.path) from error
        self._frames_written += 1
        self._last_frame_number = frame_number

    def _check_frame(self, frame_number: int, pixels: np.ndarray) -> None:
        spec = self.spec
        if self._container is None:
            raise OutputError("the movie is already finished or aborted", spec.path)
        if pixels.shape != (spec.height, spec.width, 3):
            raise OutputError(f"frame {frame_number} has shape {pixels.shape}, the movie is "
                              f"{spec.width}x{spec.height} RGB", spec.path)
        if self._last_frame_number is not None and frame_number != self._last_frame_number + 1:
            raise OutputError(f"frame {frame_number} follows frame {self._last_frame_number}: movie frames "
                              "must come in order without gaps", spec.path)

    def finish(self) -> list[str]:
        """Flush the encoder, close the movie and rename it onto ``spec.path``; returns ``[spec.path]``.

        Raises
        ------
        OutputError
            When no frame was written, or flushing, closing or renaming fails; nothing is then under the
            final name that was not there before (``abort()`` removes the temporary file).
        """
        if self._container is None:
            raise OutputError("the movie is already finished or aborted", self.spec.path)
        if not self._frames_written:
            raise OutputError("no frames were written", self.spec.path)
        try:
            self._container.mux(self._stream.encode(None))
            self._container.close()
            self._container = None
            os.replace(self.temp_path, self.spec.path)
        except (av.error.FFmpegError, OSError) as error:
            raise OutputError(f"cannot complete the movie: {_reason(error)}", self.spec.path) from error
        return [self.spec.path]

    def abort(self) -> None:
        """Close and delete the temporary file (idempotent); the final path is left as it was."""
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                container.close()
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.remove(self.temp_path)
