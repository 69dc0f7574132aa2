"""A shot's depth or disparity pass as the relight's surface normals: per frame, sized to every frame relit.

Productions often have the geometry of a shot: a LiDAR scan, a depth AOV from VFX, the disparity of a stereo
rig. Directional relighting is only as good as its normals (``bench/relight``: +13 dB over a window with
gain with the scene's geometry, none with a single-image estimate), so the effect can take them from such a
pass instead of from the shading.

The pass is read through ``core.frames`` (its first channel, or R when it has R, G and B) and holds either
depth (distance along the camera axis, any unit; 0, negative, infinite or NaN where there is nothing, as for
sky) or disparity (any unit, larger = nearer; ≤ 0 where there is nothing). It is either

- one still (EXR or float TIFF; a pass of a single frame, numbered or not), used for every frame of the
  shot, as for a locked-off camera; or
- a sequence (``depth.%04d.exr``, ``depth.####.exr``, one of its frames' paths) or a movie of two frames or
  more, matched frame for frame with the same numbering as the shot, as VFX delivers AOVs: frame N of the
  shot uses frame N of the pass (a movie's frames count from 0, as a movie shot's do). A frame the shot needs
  that the pass lacks is refused when it is reached (``MediaError`` naming the frame and the pass).

Its unit never matters: normals depend only on the relative change of depth and on the focal length in pixels
of the pass (``normals.normals_from_disparity``). The normals are derived at the pass's resolution and resized
to each frame the processor sees (full size in a render, proxy size in the panel); a pass of another aspect
ratio than the shot is refused.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Hashable

import cv2
import numpy as np

from ...errors import MediaError
from ...frames import open_media
from ...frames.media import MediaInfo
from .normals import normals_from_disparity

#: Largest difference between the shot's height and the pass's height scaled to the shot's width, as a
#: fraction of the shot's height (a one-pixel difference from rounding a proxy's size is always accepted).
ASPECT_TOLERANCE = 0.01
#: Pass frames whose normals are kept at the pass's resolution (the frame being relit and the one before).
FRAMES_KEPT = 2
#: Resized normals kept, one per (pass frame, size): a frame's full and analysis sizes, a preview's proxies.
SIZES_KEPT = 4


def _aspect_mismatch(width: int, height: int, shot_width: int, shot_height: int) -> bool:
    scaled_height = height * shot_width / width
    return abs(scaled_height - shot_height) > max(1.0, ASPECT_TOLERANCE * shot_height)


def _remember(cache: OrderedDict, key: Hashable, value: np.ndarray, limit: int) -> np.ndarray:
    """Store ``value`` under ``key`` as the newest entry, dropping the oldest beyond ``limit`` entries."""
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)
    return value


class DepthPass:
    """Surface normals from a depth or disparity pass, per frame of the shot, resized to the frames relit.

    Parameters
    ----------
    path : str
        The pass: a still, an image sequence or a movie (see the module docstring).
    kind : str
        ``depth`` or ``disparity``.
    focal_px : float
        Focal length of the camera in pixels of the pass's width.
    smoothing_px : float
        Gaussian σ applied before the normals are taken, pixels of the pass (0 = none).
    shot_width, shot_height : int
        The shot's size in pixels; only its aspect ratio is compared.

    Raises
    ------
    MediaError
        When the pass cannot be opened, its aspect ratio differs from the shot's, or (a still) it has no valid
        depth (one line, naming the pass).
    """

    def __init__(self, path: str, kind: str, focal_px: float, smoothing_px: float, shot_width: int,
                 shot_height: int):
        with open_media(path) as reader:
            info = reader.info
            if _aspect_mismatch(info.width, info.height, shot_width, shot_height):
                raise MediaError(f"the depth pass is {info.width}x{info.height} (aspect "
                                 f"{info.width / info.height:.3f}) but the shot is {shot_width}x{shot_height} "
                                 f"(aspect {shot_width / shot_height:.3f}); give a pass of the shot's aspect", path)
        self.path = path
        self.info: MediaInfo = info
        self.kind = kind
        self.focal_px = focal_px
        self.smoothing_px = smoothing_px
        self._normals: OrderedDict[int | None, np.ndarray] = OrderedDict()
        self._sized: OrderedDict[tuple[int | None, int, int], np.ndarray] = OrderedDict()
        if self.is_still:
            self._normals[None] = self._derive(self._read(info.first_frame), None)

    @property
    def is_still(self) -> bool:
        """True when the pass is one frame, used for every frame of the shot."""
        return self.info.frame_count == 1

    def _pass_frame(self, frame_number: int | None) -> int | None:
        """The pass's frame for the shot's ``frame_number``: None for a still, else the same number.

        Raises
        ------
        MediaError
            When the pass is a sequence or movie and lacks that frame (or no frame number was given).
        """
        if self.is_still:
            return None
        info = self.info
        if frame_number is None:
            raise MediaError(f"the depth pass holds frames {info.first_frame}-{info.last_frame}; call the relight "
                             "as processor(window, frame_number) to use one per frame", self.path)
        if frame_number not in info.frame_numbers or frame_number in info.missing_frames:
            gaps = f", {len(info.missing_frames)} missing" if info.missing_frames else ""
            raise MediaError(f"the depth pass has no frame {frame_number}, which the shot's frame {frame_number} "
                             f"uses (the pass holds frames {info.first_frame}-{info.last_frame}{gaps})", self.path)
        return frame_number

    def _read(self, pass_frame: int) -> np.ndarray:
        """The pass's first channel at frame ``pass_frame``: H×W float32 depth or disparity."""
        with open_media(self.path, random_access=True) as reader:
            _, pixels = next(iter(reader.read([pass_frame])))
        return pixels[..., 0].astype(np.float32)

    def _derive(self, values: np.ndarray, pass_frame: int | None) -> np.ndarray:
        """Normals (H×W×3 float32, x right, y up, z out) of one frame of the pass's depth or disparity values."""
        valid = np.isfinite(values) & (values > 0)
        if not valid.any():
            where = "" if pass_frame is None else f" at frame {pass_frame}"
            raise MediaError(f"the depth pass holds no valid {self.kind}{where} (every value is ≤ 0 or not finite)",
                             self.path)
        disparity = np.zeros_like(values)
        with np.errstate(over="ignore"):
            disparity[valid] = 1.0 / values[valid] if self.kind == "depth" else values[valid]
        disparity[~np.isfinite(disparity)] = 0.0
        return normals_from_disparity(disparity, self.focal_px, self.smoothing_px)

    def _pass_normals(self, pass_frame: int | None) -> np.ndarray:
        """Normals of one pass frame at the pass's resolution, derived once while among the last ``FRAMES_KEPT``."""
        if pass_frame in self._normals:
            self._normals.move_to_end(pass_frame)
            return self._normals[pass_frame]
        normals = self._derive(self._read(pass_frame), pass_frame)
        return _remember(self._normals, pass_frame, normals, FRAMES_KEPT)

    def normals_for(self, height: int, width: int, frame_number: int | None = None) -> np.ndarray:
        """The pass's normals for the shot's frame ``frame_number`` at ``height``×``width``.

        Parameters
        ----------
        height, width : int
            Size, pixels, of the frame being relit.
        frame_number : int, optional
            The shot's frame number (sequence numbering, 0 for a movie's first frame); may be None for a still.

        Returns
        -------
        ndarray
            H×W×3 float32 unit vectors (x right, y up, z towards the camera).

        Raises
        ------
        MediaError
            When the pass lacks that frame, or that frame cannot be read or holds no valid depth.
        """
        pass_frame = self._pass_frame(frame_number)
        normals = self._pass_normals(pass_frame)
        if (height, width) == normals.shape[:2]:
            return normals
        key = (pass_frame, height, width)
        if key in self._sized:
            self._sized.move_to_end(key)
            return self._sized[key]
        shrinking = height < normals.shape[0]
        resized = cv2.resize(normals, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        resized /= np.maximum(np.linalg.norm(resized, axis=-1, keepdims=True), 1e-6)
        return _remember(self._sized, key, resized.astype(np.float32), SIZES_KEPT)
