"""Check a conform the way an online editor would: play both timelines and compare what every frame shows.

``assert_conforms(original, conformed)`` reads both timelines with answerprint's reader, and for every video
clip and every frame of it finds the source frame the original shows and the render frame the conformed
one shows, decodes both and checks the render frame is that source frame (through the identity effect and
a ProRes round trip: nearly equal, and nearer to it than to its neighbours, which differ by a one-pixel pan).
"""
from __future__ import annotations

import os

import numpy as np

from answerprint.core.errors import MediaError
from answerprint.core.frames import open_media
from answerprint.plugin.otio.relink import Relinker, RelinkOptions
from answerprint.plugin.otio.shots import frames_shown, video_clips
from answerprint.plugin.otio.timeline_io import open_edit

_cache: dict[tuple[str, int], np.ndarray] = {}


def frame(path: str, number: int) -> np.ndarray:
    """Decoded frame ``number`` of ``path`` (cached)."""
    key = (path, number)
    if key not in _cache:
        with open_media(path) as reader:
            for index, pixels in reader.read([number]):
                _cache[(path, index)] = pixels
    return _cache[key]


def assert_conforms(original: str, conformed: str, renders_dir: str, relink: RelinkOptions | None = None,
                    expect_rendered: int | None = None, expected: list[list[int]] | None = None, **read) -> int:
    """Assert every clip of ``conformed`` shows, frame for frame, what the same clip of ``original`` shows.

    ``expected`` lists, clip by clip, the source frames the original must show (worked out by the test from
    what it wrote, independently of answerprint's reading). Clips of ``original`` whose media ``relink``
    cannot find are skipped (they are offline in both). Returns how many clips were compared on renders
    under ``renders_dir``.
    """
    before = open_edit(original, os.path.join(renders_dir, ".check-before"), **read)
    after = open_edit(conformed, os.path.join(renders_dir, ".check-after"), **read)
    relinker = Relinker(relink or RelinkOptions())
    old_clips = [c for t in before.timelines for c in video_clips(t)]
    new_clips = [c for t in after.timelines for c in video_clips(t)]
    assert len(old_clips) == len(new_clips), "the conformed timeline has the same clips"
    compared = 0
    for index, (old, new) in enumerate(zip(old_clips, new_clips)):
        assert old.range_in_parent() == new.range_in_parent(), f"{old.name}: same record frames"
        try:
            source, shown = frames_shown(old, before.base_dir, relinker)
        except ValueError:
            continue
        if expected is not None:
            assert shown == expected[index], f"{old.name}: the original shows source frames {shown}"
        render, render_shown = frames_shown(new, after.base_dir)
        if os.path.dirname(os.path.abspath(render)).startswith(os.path.abspath(renders_dir)):
            compared += 1
            assert os.path.basename(render) != os.path.basename(source), "on its render"
            assert len(shown) == len(render_shown)
            for k, (s, r) in enumerate(zip(shown, render_shown)):
                got = frame(render, r)
                error = np.abs(got - frame(source, s)).mean()
                assert error < 0.01, f"{old.name} frame {k}: render frame {r} is not source frame {s} ({error:.4f})"
                for neighbour in (s - 1, s + 1):
                    try:
                        other = np.abs(got - frame(source, neighbour)).mean()
                    except (KeyError, MediaError):  # past either end of the source
                        continue
                    assert error < other, f"{old.name} frame {k}: render frame {r} looks like source {neighbour}"
    if expect_rendered is not None:
        assert compared == expect_rendered, f"{compared} clips on renders, expected {expect_rendered}"
    return compared
