"""One resolved input clip: what the files said a path is, which frames of it are used, and one line saying so."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from fractions import Fraction

from ..frames import FrameReader, MediaInfo, open_media

#: The kinds of clip an input path can be.
KINDS = ("movie", "sequence", "still")
_SEPARATORS = "._- "
_TOKEN = re.compile(r"%0?\d*d|#+|@+")


@dataclass(frozen=True)
class ResolvedClip:
    """A movie, an image sequence or a still, as the resolver decided from the files, with the frames to use.

    Attributes
    ----------
    kind : str
        ``"movie"``, ``"sequence"`` (frames of one size and file format, one naming pattern, contiguous
        numbers or reported gaps) or ``"still"`` (one image file).
    path : str
        The movie file, the sequence pattern in printf form (``A001.%04d.exr``) or the still's own file.
    info : MediaInfo
        The source as probed (its own size, rate, codec, bit depth, colour tags, timecode).
    first_frame, last_frame : int
        The frames to use, inclusive, in the source's numbering: the whole clip, or the range a timeline or
        a bin's marks use. A still's frame is the number in its name (``aero3.tif`` is frame 3), else 0.
    origin : str
        Where the clip came from when not given directly: ``"cut.edl: A001C003, A001C003 (2)"``, ``"bin
        Dailies"``; empty for a path or a folder's contents.
    note : str
        Why the files were read so, when it is not obvious (a numbered still that is not a sequence frame).
    """

    kind: str
    path: str
    info: MediaInfo
    first_frame: int
    last_frame: int
    origin: str = ""
    note: str = ""

    @property
    def width(self) -> int:
        return self.info.width

    @property
    def height(self) -> int:
        return self.info.height

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.info.width, self.info.height

    @property
    def frame_rate(self) -> Fraction | None:
        """Frames per second; None for a still, which has no rate."""
        return None if self.kind == "still" else self.info.frame_rate

    @property
    def frame_count(self) -> int:
        """Frames from ``first_frame`` to ``last_frame``, gaps included."""
        return self.last_frame - self.first_frame + 1

    @property
    def missing_frames(self) -> tuple[int, ...]:
        """Frame numbers absent from a sequence inside the range used."""
        return tuple(n for n in self.info.missing_frames if self.first_frame <= n <= self.last_frame)

    @property
    def whole(self) -> bool:
        """True when every frame of the source is used."""
        return (self.first_frame, self.last_frame) == (self.info.first_frame, self.info.last_frame)

    @property
    def name(self) -> str:
        """The clip's name, as graded pairs are matched by: the file stem of a movie or still, a sequence's
        prefix without its trailing separator (``A001C003.%04d.exr`` is ``A001C003``), else its folder's name."""
        base = os.path.basename(self.path)
        if self.kind != "sequence":
            return os.path.splitext(base)[0]
        match = list(_TOKEN.finditer(base))
        prefix = base[:match[-1].start()] if match else os.path.splitext(base)[0]
        return prefix.rstrip(_SEPARATORS) or os.path.basename(os.path.dirname(self.path)) or base

    @property
    def encoding(self) -> tuple[str, int, str, str, str, str]:
        """What the code values mean and how they were stored: file format or codec, bits per component and
        the colour tags (primaries, transfer, matrix, range). Two clips whose encodings differ have different
        noise in code values."""
        tags = self.info.color_tags
        return self.info.codec, self.info.bit_depth, tags.primaries, tags.transfer, tags.matrix, tags.range

    @property
    def encoding_text(self) -> str:
        """``prores HQ, 10-bit, bt709`` — the encoding in words (transfer only when tagged)."""
        info = self.info
        codec = f"{info.codec} {info.profile}" if info.profile and self.kind == "movie" else info.codec
        transfer = info.color_tags.transfer
        return f"{codec}, {info.bit_depth}-bit" + (f", {transfer}" if transfer != "unknown" else "")

    @property
    def description(self) -> str:
        """What was decided, in one line: ``plates/A001.%04d.exr: sequence, 100 frames 1001-1100, 3840x2160,
        24 fps (openexr, 16-bit), 2 missing (1050, 1051)``."""
        parts = [self.kind]
        if self.kind == "still":
            parts.append(f"{self.width}x{self.height}")
        else:
            parts += [f"{self.frame_count} frame{'s' * (self.frame_count != 1)} "
                      f"{self.first_frame}-{self.last_frame}" + ("" if self.whole else
                                                                  f" of {self.info.first_frame}-"
                                                                  f"{self.info.last_frame}"),
                      f"{self.width}x{self.height}", f"{float(self.info.frame_rate):.3f}".rstrip("0").rstrip(".")
                      + " fps"]
        line = f"{self.path}: {', '.join(parts)} ({self.encoding_text})"
        missing = self.missing_frames
        if missing:
            shown = ", ".join(map(str, missing[:4])) + (" ..." if len(missing) > 4 else "")
            line += f", {len(missing)} missing ({shown})"
        if self.origin:
            line += f"; used by {self.origin}"
        return line + (f"; {self.note}" if self.note else "")

    def used(self, first_frame: int, last_frame: int, origin: str = "") -> "ResolvedClip":
        """The same source restricted to ``first_frame``..``last_frame`` (clipped to the source)."""
        first = max(first_frame, self.info.first_frame)
        last = min(last_frame, self.info.last_frame)
        return replace(self, first_frame=first, last_frame=max(first, last), origin=origin or self.origin)

    def open(self, random_access: bool = False) -> FrameReader:
        """A reader of the source (a still reads its one file, whatever its siblings are)."""
        if self.kind == "still":
            from ..frames.sequence import SequenceReader

            return SequenceReader(self.path, still=True)
        return open_media(self.path, random_access)

    def frame_path(self, frame_number: int) -> str:
        """The file holding ``frame_number`` (the movie itself, the still itself, or the sequence's frame file)."""
        if self.kind != "sequence":
            return self.path
        from ..frames.patterns import sequence_frame_path

        return sequence_frame_path(self.path, frame_number)
