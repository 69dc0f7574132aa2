"""The dead, hot and stuck photosites of each camera in the training dailies, for the pack's contract.

Clips are grouped by camera (``core.effects.cleanup.defects.camera_label``: the camera the file names, its serial
number or reel camera letter, else its frame size); each camera with two or more clips gets a map
(``learn_defect_map``) from at most ``CLIPS_PER_CAMERA`` of its clips, spread over them, ``FRAMES_PER_CLIP``
frames each, sampled evenly. A camera with a single clip gets no map, with a notice: one clip cannot tell a
defect from texture.

Why 4 frames of up to 8 clips: clips of different framings prove a defect, frames within a clip add little.
On 960×540 pans with 60 planted defects of each kind, 4 clips of 4 frames find all 180 with no false pixel,
as 4 clips of 8 frames do, in 2.1 s against 3.5 s; 2 clips find 125 (4 frames) or 136 (8 frames). Learning
costs about 2 s per 3840×2160 frame on two cores, so a camera costs at most about a minute of the training
budget at 4K.
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np

from answerprint.core.effects.cleanup.defects import DefectMap, DefectRules, camera_label, learn_defect_map
from answerprint.core.progress import CancelToken, ProgressCallback

from .clips import Clip

#: Frames sampled from each clip, evenly over its length.
FRAMES_PER_CLIP = 4
#: Clips of one camera the map is learned from at most, spread over the camera's clips.
CLIPS_PER_CAMERA = 8


def _sampled_frames(clip: Clip) -> Iterator[np.ndarray]:
    """``FRAMES_PER_CLIP`` frames of ``clip``, spread evenly, read one at a time."""
    count = min(FRAMES_PER_CLIP, clip.frame_count)
    for index in sorted({round(i) for i in np.linspace(0, clip.frame_count - 1, count)}):
        yield clip.read([index])[0]


def learn_defect_maps(clips: Sequence[Clip], notify: Callable[[str], None], progress: ProgressCallback,
                      cancel: CancelToken) -> tuple[DefectMap, ...]:
    """One defect map per camera of ``clips`` that has two or more clips (see the module docstring).

    Raises
    ------
    Cancelled
        When ``cancel`` is set.
    """
    cameras: dict[str, list[Clip]] = {}
    for clip in clips:
        cameras.setdefault(camera_label(clip.camera, clip.width, clip.height), []).append(clip)
    needed = DefectRules().min_clips
    maps = []
    for label, members in cameras.items():
        if len(members) < needed:
            notify(f"camera {label}: {len(members)} clip, no dead-pixel map (it takes {needed} or more clips of "
                   "one camera with different framings to tell a defect from texture)")
            continue
        picks = sorted({round(i) for i in np.linspace(0, len(members) - 1, min(CLIPS_PER_CAMERA, len(members)))})
        learned = learn_defect_map([_sampled_frames(members[i]) for i in picks], label, FRAMES_PER_CLIP,
                                   progress=progress, cancel=cancel)
        notify(f"camera {label}: {len(learned.defects)} defective photosite channel(s) found in "
               f"{learned.clips} clips")
        maps.append(learned)
    return tuple(maps)
