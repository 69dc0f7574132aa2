"""``resolve_inputs``: the paths a user gives (files, folders, patterns, timelines) as the clips they hold.

Every trainer, the continuity report and the panel's media browser call this, so a path means the same
everywhere:

- a movie file is a movie;
- a pattern (``A001.%04d.exr``, ``A001.####.exr``) is that sequence;
- an image file is the sequence it is a frame of, or a still, as the files decide (``files``): ``aero3.tif``
  beside ``aero1.tif`` of another size is a still, ``shot.1001.exr`` among 99 like it is their sequence;
- a folder is every clip inside it, sub-folders included unless ``recursive`` is False;
- a timeline (``.otio``, ``.edl``, ``.xml``, ``.fcpxml``) is the media its video clips show, each with the
  source frames used (``edits``); clips whose media are offline are left out with a line saying why.

What was decided is said in one line per clip through ``notify`` (``ResolvedClip.description``).
"""
from __future__ import annotations

import os
import re
from fractions import Fraction
from typing import Callable, Iterable, Sequence

from ..errors import AnswerprintError, MediaError, UsageError
from .clip import ResolvedClip
from .edits import UsedMedia, bin_media, is_timeline, timeline_media
from .files import FoundClip, clip_of_image, found_in, is_image, media_files, probe_found

Notify = Callable[[str], None]
OnError = Callable[[AnswerprintError], None]
_TOKEN = re.compile(r"%0?\d*d|#+|@+")
#: Clip names an origin lists before "and N more".
_NAMES_SHOWN = 3


def _no_notice(line: str) -> None:
    """Discard a notice."""


def _resolved(found: FoundClip) -> ResolvedClip:
    info = probe_found(found)
    path = info.path if found.kind == "sequence" else found.path
    return ResolvedClip(found.kind, path, info, info.first_frame, info.last_frame, note=found.note)


def _found_for(path: str) -> FoundClip:
    """What one given file or pattern is (module docstring); MediaError when it does not exist."""
    if _TOKEN.search(os.path.basename(path)):
        return FoundClip("sequence", path)
    if not os.path.exists(path):
        raise MediaError("no such file", path)
    return clip_of_image(path) if is_image(path) else FoundClip("movie", path)


def _origin(source: str, clips: Sequence[str]) -> str:
    names = ", ".join(clips[:_NAMES_SHOWN]) + (f" and {len(clips) - _NAMES_SHOWN} more" if len(clips) > _NAMES_SHOWN
                                                else "")
    return f"{source} ({names})" if names else source


def used_clips(used: Iterable[UsedMedia], source: str) -> list[ResolvedClip]:
    """Media an edit or bin uses as clips restricted to the frames used, ``source`` naming the edit or bin."""
    clips = []
    for item in used:
        if _TOKEN.search(os.path.basename(item.path)):
            found = FoundClip("sequence", item.path)
        else:
            found = clip_of_image(item.path) if is_image(item.path) else FoundClip("movie", item.path)
        clips.append(_resolved(found).used(item.first_frame, item.last_frame, _origin(source, item.clips)))
    return clips


def _timeline(path: str, notify: Notify, options: dict) -> list[ResolvedClip]:
    used, left_out = timeline_media(path, **options)
    name = os.path.basename(path.rstrip("/\\"))
    for line in left_out:
        notify(f"{name}: left out {line}")
    if not used:
        raise MediaError("the timeline shows no clip whose media is on disk" +
                         (f" ({len(left_out)} left out)" if left_out else ""), path)
    return used_clips(used, name)


def _folder(path: str, recursive: bool, on_error: OnError | None) -> list[ResolvedClip]:
    found = found_in(media_files(path, recursive), on_error)
    if not found:
        raise MediaError("no movies, image sequences or stills in this folder", path)
    clips = []
    for item in found:
        try:
            clips.append(_resolved(item))
        except AnswerprintError as error:
            if on_error is None:
                raise
            on_error(error)
    return clips


def resolve_inputs(paths: Iterable[str | os.PathLike | ResolvedClip], notify: Notify = _no_notice, *,
                   recursive: bool = True, on_error: OnError | None = None, edl_rate: Fraction = Fraction(24),
                   project: str | None = None, media_roots: Iterable[str] = (),
                   path_maps: Iterable[str] = ()) -> list[ResolvedClip]:
    """The clips ``paths`` hold (see the module docstring), each said in one line through ``notify``.

    Parameters
    ----------
    paths : iterable of path or ResolvedClip
        Movies, patterns, image files, folders and timelines; clips already resolved pass through unsaid.
    notify : callable
        Receives one line per clip resolved here, and one per timeline clip left out.
    recursive : bool
        Enter the sub-folders of a folder.
    on_error : callable, optional
        Receives the error of a path or file that cannot be read, which is then left out (a browser listing a
        folder goes on); None raises it (training stops on the first).
    edl_rate, project, media_roots, path_maps
        How timelines are read: an EDL's frame rate, the one project or sequence of a file holding several,
        and where media named by other paths are looked for (as ``answerprint render TIMELINE`` takes them).

    Returns
    -------
    list of ResolvedClip
        In the order given (a folder's clips by name), each source range once.

    Raises
    ------
    MediaError
        A path that does not exist or cannot be read, an empty folder, a timeline showing no media on disk.
    UsageError
        A timeline that cannot be read, or no clip at all.
    """
    options = {"edl_rate": edl_rate, "project": project, "media_roots": tuple(media_roots),
               "path_maps": tuple(path_maps)}
    clips: list[ResolvedClip] = []
    seen: set[tuple[str, int, int]] = set()
    for item in paths:
        if isinstance(item, ResolvedClip):
            found, fresh = [item], False
        else:
            text, fresh = os.fspath(item), True
            try:
                if is_timeline(text):
                    found = _timeline(text, notify, options)
                elif os.path.isdir(text):
                    found = _folder(text, recursive, on_error)
                else:
                    found = [_resolved(_found_for(text))]
            except AnswerprintError as error:
                if on_error is None:
                    raise
                on_error(error)
                continue
        for clip in found:
            key = (os.path.abspath(clip.path), clip.first_frame, clip.last_frame)
            if key not in seen:
                seen.add(key)
                clips.append(clip)
                if fresh:
                    notify(clip.description)
    return clips


def resolve_bin(bin_path: str | None, notify: Notify = _no_notice, host: str = "resolve") -> list[ResolvedClip]:
    """The clips of an NLE bin (``None``: the current one), each restricted to its marked range when it has one,
    said in one line each; clips without media on disk are left out with a line saying why.

    Raises
    ------
    UsageError
        When the bin holds no clip with media on disk, or no such host is installed.
    AnswerprintError
        What the host raises (not running, no such bin).
    """
    used, left_out = bin_media(bin_path, host)
    label = f"bin {bin_path}" if bin_path else "the current bin"
    for line in left_out:
        notify(f"{label}: left out {line}")
    if not used:
        raise UsageError(f"{label} holds no clip with media on disk to use", bin_path or host)
    clips = used_clips(used, label)
    for clip in clips:
        notify(clip.description)
    return clips


__all__ = ["Notify", "OnError", "resolve_bin", "resolve_inputs", "used_clips"]
