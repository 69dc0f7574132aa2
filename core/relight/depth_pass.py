"""A shot's depth or disparity pass as the relight's surface normals: read once, sized to every frame.

Productions often have the geometry of a shot: a LiDAR scan, a depth AOV from VFX, the disparity of a stereo
rig. Directional relighting is only as good as its normals (``bench/relight``: +13 dB over a window with
gain with the scene's geometry, none with a single-image estimate), so the effect can take them from such a
pass instead of from the shading.

The pass is one still image (EXR or float TIFF, read through ``core.frames``; its first channel, or R when it
has R, G and B) holding either depth (distance along the camera axis, any unit; 0, negative, infinite or NaN
where there is nothing, as for sky) or disparity (any unit, larger = nearer; ≤ 0 where there is nothing). Its
unit never matters: normals depend only on the relative change of depth and on the focal length in pixels of
the pass (``normals.normals_from_disparity``). The normals are derived at the pass's resolution and resized to
each frame the processor sees (full size in a render, proxy size in the panel); a pass of another aspect
ratio than the shot is refused.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..errors import MediaError
from ..frames import is_sequence_path, open_media
from .normals import normals_from_disparity

#: Largest difference between the shot's height and the pass's height scaled to the shot's width, as a
#: fraction of the shot's height (a one-pixel difference from rounding a proxy's size is always accepted).
ASPECT_TOLERANCE = 0.01
#: Frame sizes whose resized normals are kept (full size, analysis size, a preview's proxy sizes).
SIZES_KEPT = 4


def _aspect_mismatch(width: int, height: int, shot_width: int, shot_height: int) -> bool:
    scaled_height = height * shot_width / width
    return abs(scaled_height - shot_height) > max(1.0, ASPECT_TOLERANCE * shot_height)


class DepthPass:
    """Surface normals from a depth or disparity pass, resized on demand to the size of the frames relit.

    Parameters
    ----------
    path : str
        The pass: one still image (see the module docstring).
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
        When the pass cannot be read, is a movie or holds more than one frame, has no valid depth, or its
        aspect ratio differs from the shot's (one line, naming the pass).
    """

    def __init__(self, path: str, kind: str, focal_px: float, smoothing_px: float, shot_width: int,
                 shot_height: int):
        if not is_sequence_path(path):
            raise MediaError("a depth pass must be an image (EXR or TIFF), not a movie", path)
        with open_media(path) as reader:
            info = reader.info
            if info.frame_count != 1:
                raise MediaError(f"the depth pass has {info.frame_count} frames; give one still for the shot", path)
            if _aspect_mismatch(info.width, info.height, shot_width, shot_height):
                raise MediaError(f"the depth pass is {info.width}x{info.height} (aspect "
                                 f"{info.width / info.height:.3f}) but the shot is {shot_width}x{shot_height} "
                                 f"(aspect {shot_width / shot_height:.3f}); give a pass of the shot's aspect", path)
            _, pixels = next(iter(reader.read()))
        values = pixels[..., 0].astype(np.float32)
        valid = np.isfinite(values) & (values > 0)
        if not valid.any():
            raise MediaError(f"the depth pass holds no valid {kind} (every value is ≤ 0 or not finite)", path)
        disparity = np.zeros_like(values)
        with np.errstate(over="ignore"):
            disparity[valid] = 1.0 / values[valid] if kind == "depth" else values[valid]
        disparity[~np.isfinite(disparity)] = 0.0
        self.normals = normals_from_disparity(disparity, focal_px, smoothing_px)
        self._sized: dict[tuple[int, int], np.ndarray] = {}

    def normals_for(self, height: int, width: int) -> np.ndarray:
        """The pass's normals at ``height``×``width``: H×W×3 float32 unit vectors (x right, y up, z out)."""
        if (height, width) == self.normals.shape[:2]:
            return self.normals
        if (height, width) not in self._sized:
            shrinking = height < self.normals.shape[0]
            resized = cv2.resize(self.normals, (width, height),
                                 interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
            resized /= np.maximum(np.linalg.norm(resized, axis=-1, keepdims=True), 1e-6)
            if len(self._sized) >= SIZES_KEPT:
                self._sized.pop(next(iter(self._sized)))
            self._sized[(height, width)] = resized.astype(np.float32)
        return self._sized[(height, width)]
