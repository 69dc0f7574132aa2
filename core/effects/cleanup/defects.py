"""Dead, hot and stuck photosites: a per-camera defect map learned across a production's dailies, and its repair.

A defective photosite sits at the same place on the sensor in every clip, while the picture moves. So each
sampled frame is scored pixel by pixel against its surroundings, and a pixel (per channel) is kept only when it
stands out *persistently*, in several clips:

1. **Score.** ``r = x − e`` per channel, where ``e`` is the mean of the pair of opposite neighbours
   (horizontal, vertical or diagonal) that agree best: predicted along edges and thin lines, and a pair
   holding a second pixel of a small defect cluster disagrees and is passed over. ``r`` is divided by a
   local noise-and-texture scale ``s = 1.2533 · mean|r|`` over the 15×15 window less its central 3×3 (the
   mean absolute residual turned into a Gaussian σ, blind to the pixel's own cluster), never below
   ``min_scale``: ``z = r / s``.
2. **Vote, per frame.** For the *bright* hypothesis a frame votes *for* when ``z > z_threshold`` and
   *against* when ``z < agree_threshold`` while the neighbourhood is more than ``z_threshold · s`` below the
   frame's white (that channel's maximum), so that a bright defect could have shown; otherwise it abstains.
   Busy texture cannot testify: where ``s`` exceeds both ``busy_factor`` times the frame's median ``s``
   (per channel) and :data:`BUSY_SCALE_FLOOR`, the frame abstains. The *dark* hypothesis mirrors this
   against the frame's black. A dead pixel reading black, or a stuck one reading full code, therefore never
   votes against itself: it is either seen or hidden.
3. **Per clip.** A clip with at least ``min_votes`` votes is *evidence* when at least ``persistence`` of
   its votes are *for*, and *against* otherwise; other clips abstain.
4. **Per camera.** A pixel is bright (dark) when at least ``min_clips`` clips are evidence and none is
   against. Independently, a pixel whose value stays within ``constant_tolerance`` over every sampled frame of
   every clip and is an outlier (``|z| > z_threshold``, either sign) in at least ``persistence`` of the frames
   of every clip is stuck at that value. Either way the clips that show the defect must show *different
   pictures* around it: in one of them at least the picture moves over the photosite (the 5×5 average
   around it changes by ``min_content_change`` during the clip), or their clip means of that average differ
   by ``min_content_change`` (takes of different locked-off framings).

Kinds: ``"dead"`` reads darker than its neighbourhood (black, or under-reading); ``"stuck"`` reads one fixed
value and is not darker; ``"hot"`` reads brighter by a varying amount (its value still follows the picture).

Texture that moves with the camera falls on a given photosite in a few frames at most, so it never persists.
The hard case is a locked-off plate, where texture is as persistent as a defect: **a single locked-off clip
cannot prove a defect**, which is why ``min_clips`` (default 2) clips must agree and no clip may disagree.
Pass clips with different framings and content (several set-ups from the same camera body).

Frames are float32 H×W×3 code values in the source encoding (0 = black code, 1 = full code; float sources may
exceed 1). Coordinates are pixels from the top-left corner; channels 0, 1, 2 are R, G, B.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import cv2
import numpy as np

from ...errors import PackError, ParamError
from ...frames import open_media
from ...progress import CancelToken, ProgressCallback, ProgressEvent, no_progress

#: Versioned label of the JSON form (goes into the pack manifest).
SCHEMA = "answerprint.defects/1"
#: Defect kinds, see the module docstring.
KINDS = ("hot", "dead", "stuck")
#: Local scale (code values) that never counts as busy texture, so that clean footage with a tiny median
#: scale still votes on moderate texture.
BUSY_SCALE_FLOOR = 8 / 1023
#: Mean absolute deviation → σ for Gaussian noise.
_MAD_TO_SIGMA = math.sqrt(math.pi / 2)
#: Opposite-neighbour pairs (dy, dx) for the directional estimate: horizontal, vertical, two diagonals.
_PAIRS = (((0, -1), (0, 1)), ((-1, 0), (1, 0)), ((-1, -1), (1, 1)), ((-1, 1), (1, -1)))
#: Neighbour offsets for repair, nearest ring first: ring 1 (3×3) then ring 2 (5×5).
_RINGS = tuple(
    tuple((dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if max(abs(dy), abs(dx)) == r)
    for r in (1, 2))


def camera_label(camera: str | None, width: int, height: int) -> str:
    """Which defect map serves a clip: its camera (``MediaInfo.camera``) or, when the file does not say, its
    frame size (``"3840x2160"``): one map per camera body, or per sensor size when nothing names the body."""
    return camera or f"{width}x{height}"


@dataclass(frozen=True)
class Defect:
    """One defective photosite channel: column ``x`` and row ``y`` in pixels from the top-left corner,
    ``channel`` 0, 1, 2 for R, G, B, and ``kind`` one of :data:`KINDS`."""

    x: int
    y: int
    channel: int
    kind: str


@dataclass(frozen=True)
class DefectMap:
    """The defective photosites of one camera (``camera``: body serial or the production's camera letter) at
    frame size ``width`` × ``height`` pixels: ``defects`` sorted by (y, x, channel), learned from ``clips``
    clips and ``frames`` sampled frames (0 when built by hand)."""

    camera: str
    width: int
    height: int
    defects: tuple[Defect, ...]
    clips: int = 0
    frames: int = 0

    def mask(self) -> np.ndarray:
        """Boolean H×W×3 array, True at every defective photosite channel."""
        mask = np.zeros((self.height, self.width, 3), bool)
        for defect in self.defects:
            mask[defect.y, defect.x, defect.channel] = True
        return mask

    def repair(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3 code values) with every defect replaced by the median of its valid
        neighbours, as a new array.

        Neighbours come from the 3×3 ring, or the 5×5 ring when all eight are defects; other defects of the
        same channel are never used. A defect with no valid neighbour in either ring keeps its value.

        Raises
        ------
        ParamError
            When the frame is not H×W×3 or not the map's size.
        """
        frame = _checked_frame(frame, "frame to repair")
        if frame.shape[:2] != (self.height, self.width):
            raise ParamError(f"frame is {frame.shape[1]}x{frame.shape[0]} but the defect map of camera "
                             f"{self.camera!r} is {self.width}x{self.height}", "frame to repair")
        out = frame.copy()
        mask = self.mask()
        for channel in range(3):
            ys, xs = np.nonzero(mask[..., channel])
            if len(ys):
                out[ys, xs, channel] = _neighbour_median(frame[..., channel], mask[..., channel], ys, xs)
        return out

    def scaled(self, width: int, height: int) -> "DefectMap":
        """The map for frames scaled to ``width`` × ``height`` (a preview proxy): each defect moves to the pixel
        its photosite lands in; defects landing in one pixel and channel become one (of the first one's kind)."""
        if (width, height) == (self.width, self.height):
            return self
        moved: dict[tuple[int, int, int], str] = {}
        for d in self.defects:
            moved.setdefault((d.y * height // self.height, d.x * width // self.width, d.channel), d.kind)
        return DefectMap(self.camera, width, height,
                         tuple(Defect(x, y, c, kind) for (y, x, c), kind in sorted(moved.items())),
                         self.clips, self.frames)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict with ``schema`` :data:`SCHEMA`; defects as ``[x, y, channel, kind]`` rows."""
        return {"schema": SCHEMA, "camera": self.camera, "width": self.width, "height": self.height,
                "clips": self.clips, "frames": self.frames,
                "defects": [[d.x, d.y, d.channel, d.kind] for d in self.defects]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DefectMap":
        """The map that :meth:`to_json` wrote.

        Raises
        ------
        PackError
            When the schema label is not :data:`SCHEMA` or a field is missing or out of range.
        """
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise PackError(f"defect map has schema {found!r}; this answerprint reads {SCHEMA!r}", "defect map")
        try:
            width, height = int(data["width"]), int(data["height"])
            defects = tuple(Defect(int(x), int(y), int(c), str(k)) for x, y, c, k in data["defects"])
            result = cls(str(data["camera"]), width, height, defects, int(data.get("clips", 0)),
                         int(data.get("frames", 0)))
        except (KeyError, TypeError, ValueError) as error:
            raise PackError(f"defect map is malformed: {error}", "defect map") from None
        for d in defects:
            if not (0 <= d.x < width and 0 <= d.y < height and 0 <= d.channel < 3 and d.kind in KINDS):
                raise PackError(f"defect {[d.x, d.y, d.channel, d.kind]} is outside a {width}x{height} "
                                "frame or of unknown kind", "defect map")
        return result


def _neighbour_median(plane: np.ndarray, bad: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Median of the non-defective neighbours of each (y, x) in ``plane``, nearest ring first."""
    height, width = plane.shape
    result = plane[ys, xs].copy()
    pending = np.ones(len(ys), bool)
    for ring in _RINGS:
        samples = np.full((len(ys), len(ring)), np.nan, np.float32)
        for column, (dy, dx) in enumerate(ring):
            ny, nx = ys + dy, xs + dx
            inside = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
            ny, nx = np.clip(ny, 0, height - 1), np.clip(nx, 0, width - 1)
            usable = inside & ~bad[ny, nx]
            samples[usable, column] = plane[ny[usable], nx[usable]]
        found = pending & np.isfinite(samples).any(axis=1)
        if found.any():
            result[found] = np.nanmedian(samples[found], axis=1)
        pending &= ~found
    return result


def _checked_frame(frame: Any, where: str) -> np.ndarray:
    array = np.asarray(frame)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 5:
        raise ParamError(f"expected an H×W×3 RGB frame of at least 5×5 pixels, got shape {array.shape}", where)
    return array.astype(np.float32, copy=False)


def _clip_frames(clip: Any, frames_per_clip: int) -> Iterator[np.ndarray]:
    """Up to ``frames_per_clip`` frames of one clip: a media path (sampled evenly over its length) or an
    iterable of frames (its first ones), as arrays or ``(frame_number, array)`` pairs."""
    if isinstance(clip, (str, os.PathLike)):
        with open_media(clip) as reader:
            missing = set(reader.info.missing_frames)
            present = [n for n in reader.info.frame_numbers if n not in missing]
            picks = np.linspace(0, len(present) - 1, min(frames_per_clip, len(present))).round().astype(int)
            yield from (pixels for _, pixels in reader.read(sorted({present[i] for i in picks})))
        return
    for count, item in enumerate(clip):
        if count >= frames_per_clip:
            return
        yield item[1] if isinstance(item, tuple) else item


@dataclass(frozen=True)
class DefectRules:
    """The thresholds of the detection rules (module docstring, steps 1 to 4).

    Attributes
    ----------
    z_threshold, agree_threshold : float
        ``z`` beyond which a frame sees an outlier; ``|z|`` below which it sees the pixel agree (a vote against).
    busy_factor : float
        A frame abstains where the local scale exceeds this multiple of the frame's median scale.
    persistence : float
        Fraction (0.5..1) of a clip's votes that must be *for* the defect.
    min_clips, min_votes : int
        Clips (≥ 2) that must show the defect; votes (≥ 1) a clip needs to count either way.
    constant_tolerance : float
        Code-value spread under which a pixel reads "one fixed value" (default two 10-bit codes).
    min_content_change : float
        Change (code values) of the 5×5 average around a pixel that shows the picture moved over it, within a
        clip or between the clips showing a defect: repeated takes of one locked-off framing prove nothing.
    min_scale : float
        Floor of the local noise scale in code values (default one 10-bit code).

    Raises
    ------
    ParamError
        When a value is out of range.
    """

    z_threshold: float = 6.0
    agree_threshold: float = 2.0
    busy_factor: float = 4.0
    persistence: float = 0.8
    min_clips: int = 2
    min_votes: int = 3
    constant_tolerance: float = 2 / 1023
    min_content_change: float = 0.02
    min_scale: float = 1 / 1023

    def __post_init__(self) -> None:
        if self.min_clips < 2:
            raise ParamError(f"min_clips must be at least 2 (one clip cannot prove a defect), got {self.min_clips}",
                             "min_clips")
        if not (0.5 <= self.persistence <= 1 and self.min_votes >= 1 and 0 <= self.agree_threshold < self.z_threshold):
            raise ParamError("need 0.5 ≤ persistence ≤ 1, min_votes ≥ 1 and 0 ≤ agree_threshold < z_threshold",
                             "defect rules")


def _directional_estimate(frame: np.ndarray) -> np.ndarray:
    """Per channel, the mean of the opposite-neighbour pair (H, V or a diagonal) that agree best.

    Edge-directed like a camera's own defect correction: a pixel on a thin line is predicted along the line,
    and a pair holding a neighbouring defect disagrees and is passed over.
    """
    padded = cv2.copyMakeBorder(frame, 1, 1, 1, 1, cv2.BORDER_REFLECT_101)
    height, width = frame.shape[:2]
    best_gap = total = None
    for pair in _PAIRS:  # 2-D (H, W·3) views: OpenCV is much faster on single-channel float rows
        first, second = (np.ascontiguousarray(padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width])
                         .reshape(height, -1) for dy, dx in pair)
        gap, pair_total = cv2.absdiff(first, second), cv2.add(first, second)
        if best_gap is None:
            best_gap, total = gap, pair_total
            continue
        cv2.copyTo(pair_total, cv2.compare(gap, best_gap, cv2.CMP_LT), total)
        best_gap = cv2.min(best_gap, gap)
    return (total * 0.5).reshape(frame.shape)


def _ring_mean_abs(residual: np.ndarray) -> np.ndarray:
    """Mean ``|residual|`` over the 15×15 window less its central 3×3, so a small cluster does not mask itself."""
    magnitude = np.abs(residual)
    outer = cv2.boxFilter(magnitude, -1, (15, 15), normalize=False, borderType=cv2.BORDER_REFLECT_101)
    inner = cv2.boxFilter(magnitude, -1, (3, 3), normalize=False, borderType=cv2.BORDER_REFLECT_101)
    return (outer - inner) / (15 * 15 - 3 * 3)


def _frame_votes(frame: np.ndarray, rules: DefectRules) -> dict[str, np.ndarray]:
    """Score every pixel channel of ``frame`` against its neighbourhood (module docstring, steps 1 and 2).

    Returns ``for`` and ``against`` (bool 2×H×W×3: bright hypothesis, dark hypothesis), ``outlier``
    (bool H×W×3, ``|z| > z_threshold``) and ``surroundings`` (the 5×5 average around each pixel).
    """
    local = _directional_estimate(frame)
    residual = frame - local
    scale = np.maximum(_ring_mean_abs(residual) * _MAD_TO_SIGMA, rules.min_scale)
    z = residual / scale
    margin = rules.z_threshold * scale
    calm = scale <= np.maximum(rules.busy_factor * np.median(scale[::4, ::4], axis=(0, 1)), BUSY_SCALE_FLOOR)
    visible = (local < frame.max(axis=(0, 1)) - margin, local > frame.min(axis=(0, 1)) + margin)
    return {"for": np.stack([calm & (z > rules.z_threshold), calm & (z < -rules.z_threshold)]),
            "against": np.stack([calm & visible[0] & (z < rules.agree_threshold),
                                 calm & visible[1] & (z > -rules.agree_threshold)]),
            "outlier": np.abs(z) > rules.z_threshold, "surroundings": cv2.blur(frame, (5, 5))}


class _Evidence:
    """Votes accumulated over frames and clips (module docstring, steps 3 and 4); axis 0 of the 2×H×W×3
    arrays is the hypothesis (bright, dark)."""

    def __init__(self, shape: tuple[int, ...], rules: DefectRules):
        self.shape, self.rules = shape, rules
        self.clips_shown = np.zeros((2,) + shape, np.uint8)
        self.vetoed = np.zeros((2,) + shape, bool)
        self.outlier_every_clip = np.ones(shape, bool)
        self.darker_frames = np.zeros(shape, np.int32)
        self.low = np.full(shape, np.inf, np.float32)
        self.high = np.full(shape, -np.inf, np.float32)
        self.shown_low = np.full(shape, np.inf, np.float32)
        self.shown_high = np.full(shape, -np.inf, np.float32)
        self.shown_moving = np.zeros(shape, bool)
        self.clips = self.frames = 0
        self._start_clip()

    def _start_clip(self) -> None:
        self.clip = {"for": np.zeros((2,) + self.shape, np.int16), "against": np.zeros((2,) + self.shape, np.int16),
                     "outlier": np.zeros(self.shape, np.int16), "surroundings": np.zeros(self.shape, np.float32)}
        self.clip_low = np.full(self.shape, np.inf, np.float32)
        self.clip_high = np.full(self.shape, -np.inf, np.float32)
        self.clip_frames = 0

    def add_frame(self, frame: np.ndarray) -> None:
        votes = _frame_votes(frame, self.rules)
        for name, value in votes.items():
            self.clip[name] += value
        np.minimum(self.clip_low, votes["surroundings"], out=self.clip_low)
        np.maximum(self.clip_high, votes["surroundings"], out=self.clip_high)
        np.minimum(self.low, frame, out=self.low)
        np.maximum(self.high, frame, out=self.high)
        self.clip_frames += 1
        self.frames += 1

    def end_clip(self) -> None:
        if self.clip_frames:
            hits = self.clip["for"]
            votes = hits + self.clip["against"]
            counted = votes >= self.rules.min_votes
            evidence = counted & (hits >= self.rules.persistence * votes)
            self.clips_shown += evidence
            self.vetoed |= counted & ~evidence
            self.darker_frames += hits[1] - hits[0]
            outlier = self.clip["outlier"] >= self.rules.persistence * self.clip_frames
            self.outlier_every_clip &= outlier
            shown = outlier | evidence.any(axis=0)
            self.shown_moving |= shown & (self.clip_high - self.clip_low >= self.rules.min_content_change)
            surroundings = self.clip["surroundings"] / self.clip_frames
            np.minimum(self.shown_low, np.where(shown, surroundings, np.inf), out=self.shown_low)
            np.maximum(self.shown_high, np.where(shown, surroundings, -np.inf), out=self.shown_high)
            self.clips += 1
        self._start_clip()

    def defects(self) -> tuple[Defect, ...]:
        """The defects the accumulated evidence proves, sorted by (y, x, channel)."""
        rules = self.rules
        diverse = self.shown_moving | (self.shown_high - self.shown_low >= rules.min_content_change)
        bright, dark = (self.clips_shown >= rules.min_clips) & ~self.vetoed & diverse
        constant = self.high - self.low <= rules.constant_tolerance
        found = bright | dark | (constant & self.outlier_every_clip & diverse)
        darker = self.darker_frames > 0
        kinds = np.full(self.shape, -1, np.int8)
        kinds[found & ~darker] = KINDS.index("hot")
        kinds[found & constant & ~darker] = KINDS.index("stuck")
        kinds[found & darker] = KINDS.index("dead")
        ys, xs, channels = np.nonzero(kinds >= 0)
        return tuple(Defect(int(x), int(y), int(c), KINDS[kinds[y, x, c]]) for y, x, c in zip(ys, xs, channels))


def learn_defect_map(clips: Iterable[Any], camera: str, frames_per_clip: int = 12, *,
                     rules: DefectRules = DefectRules(), progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None) -> DefectMap:
    """Learn the defective photosites of one camera from several of its clips.

    Parameters
    ----------
    clips : iterable
        Clips from this camera, each a media path (movie or sequence, sampled evenly) or an iterable of
        frames (the first ``frames_per_clip`` are used): float32 H×W×3 code values, or ``(frame_number,
        frame)`` pairs as ``FrameReader.read`` yields them. Give clips of different framings: at least
        ``rules.min_clips`` must show a defect.
    camera : str
        Camera identifier stored in the map.
    frames_per_clip : int
        Frames sampled per clip, ≥ ``rules.min_votes``.
    rules : DefectRules
        Detection thresholds.
    progress, cancel
        Per-frame progress callback and cooperative cancellation.

    Returns
    -------
    DefectMap
        Defects sorted by (y, x, channel).

    Raises
    ------
    ParamError
        Fewer than ``rules.min_clips`` clips, frames of different sizes or not H×W×3, too few frames per clip.
    MediaError
        A media path that cannot be read.
    Cancelled
        When ``cancel`` is set.
    """
    if frames_per_clip < rules.min_votes:
        raise ParamError(f"frames_per_clip ({frames_per_clip}) must be at least min_votes ({rules.min_votes})",
                         "frames_per_clip")
    expected = len(clips) * frames_per_clip if hasattr(clips, "__len__") else 0
    evidence: _Evidence | None = None
    for clip_index, clip in enumerate(clips):
        for frame in _clip_frames(clip, frames_per_clip):
            where = f"clip {clip_index}, frame {evidence.clip_frames if evidence else 0}"
            frame = _checked_frame(frame, where)
            if evidence is None:
                evidence = _Evidence(frame.shape, rules)
            elif frame.shape != evidence.shape:
                raise ParamError(f"frame is {frame.shape[1]}x{frame.shape[0]}, earlier frames of camera "
                                 f"{camera!r} are {evidence.shape[1]}x{evidence.shape[0]}", where)
            if cancel is not None:
                cancel.raise_if_cancelled("learning the defect map")
            evidence.add_frame(frame)
            progress(ProgressEvent(evidence.frames, max(expected, evidence.frames), "learn defect map", where))
        if evidence is not None:
            evidence.end_clip()
    if evidence is None or evidence.clips < rules.min_clips:
        raise ParamError(f"{evidence.clips if evidence else 0} clip(s) of camera {camera!r} given; a defect is "
                         f"only proven by {rules.min_clips} or more clips with different framings (one "
                         "locked-off clip cannot tell a defect from texture)", "defect map clips")
    height, width = evidence.shape[:2]
    return DefectMap(camera, width, height, evidence.defects(), evidence.clips, evidence.frames)
