"""Read edit decisions into OpenTimelineIO timelines, and write the same edit back pointing at renders.

``.otio`` and ``.otioz`` are OTIO's own, read and written by OpenTimelineIO. The formats NLEs exchange are
read into OTIO timelines — EDL (CMX 3600) and FCP 7 XML through the adapter plug-ins with answerprint's
corrections (``edl``, ``fcp7``), FCPX XML by answerprint (``fcpx``) — and written back **in place**: the
document the editor's NLE wrote, with only the rendered clips' media references changed, so reels, ``FCM``,
speed changes, transitions, effects, audio, markers and (FCPX) libraries and events survive byte for byte
where nothing was rendered. An ``.otioz`` bundle is unpacked into a folder beside the renders, since its
media must exist as files to be decoded.

Every written timeline is read back with the same reader before it takes its final name, and must hold the
same edit: the same clips at the same record frames, with the same source ranges and speeds, the rendered
ones pointing at their renders. A timeline that would not conform is never left behind.
"""
from __future__ import annotations

import os
import shutil
import zipfile
from fractions import Fraction
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from answerprint.core.atomic import write_atomically
from answerprint.core.errors import MediaError, OutputError, UsageError

#: Timeline file extensions and the OTIO adapter that reads each (FCPX is read by answerprint's own reader).
ADAPTERS = {".otio": "otio_json", ".otioz": "otioz", ".edl": "cmx_3600", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml",
            ".fcpxmld": "fcpx_xml"}


def adapter_for(path: str) -> str:
    """The OTIO adapter name for ``path``'s extension.

    Raises
    ------
    UsageError
        When the extension is not a timeline format answerprint reads.
    """
    extension = os.path.splitext(path.rstrip("/\\"))[1].lower()
    if extension not in ADAPTERS:
        raise UsageError(f"not a timeline answerprint reads (use {', '.join(ADAPTERS)})", path)
    return ADAPTERS[extension]


class EditFile:
    """A timeline file read: its timelines (an FCPX library or an XML with several sequences holds more than
    one), the folder relative media paths resolve against, and how to write it back with renders."""

    def __init__(self, path: str, adapter: str, timelines: list[otio.schema.Timeline], base_dir: str,
                 document: object = None, options: dict | None = None):
        self.path, self.adapter, self.timelines, self.base_dir = path, adapter, timelines, base_dir
        self.document = document
        self.options = options or {}

    def grid(self, clip: otio.schema.Clip, speed: Fraction) -> int:
        """Frames a clip's render must start on a multiple of (FCP 7 XML retimes; 1 elsewhere)."""
        grid = getattr(self.document, "grid", None)
        return grid(clip, speed) if grid else 1

    def write(self, target: str, rendered: list, overwrite: bool) -> None:
        """Write the timeline with every clip of ``rendered`` (``conform.Rendered``) pointing at its render.

        Raises
        ------
        OutputError
            When ``target`` exists and ``overwrite`` is False, or the written file does not read back as the
            same edit (nothing is left under ``target`` then).
        """
        if os.path.exists(target) and not overwrite:
            raise OutputError("the timeline exists; pass --overwrite to replace it", target)
        before = _edit_summary(self.timelines)
        folder, name = os.path.split(os.path.abspath(target))
        partial = os.path.join(folder, f".{os.path.splitext(name)[0]}.{os.getpid()}.partial"
                                       f"{os.path.splitext(name)[1]}")
        try:
            self._write_partial(partial, rendered)
            if self.adapter != "otioz":  # a bundle is written by OTIO itself; reading it back would copy the renders
                written = open_edit(partial, os.path.join(folder, f".{name}.check"), **self.options)
                _check_same_edit(before, _edit_summary(written.timelines), rendered, target)
            _replace(partial, target)
        except OutputError:
            raise
        except Exception as error:  # adapter errors are not typed
            raise OutputError(f"the {self.adapter} writer cannot write it ({type(error).__name__}: {error})",
                              target) from None
        finally:
            _remove(partial)
            _remove(os.path.join(folder, f".{name}.check"))

    def _write_partial(self, partial: str, rendered: list) -> None:
        if self.adapter in ("otio_json", "otioz"):
            from .conform import anchor_relative_media, point_to_renders

            if self.adapter == "otio_json":  # a bundle's relative paths name files inside it
                anchor_relative_media(self.timelines, self.base_dir)
            point_to_renders(rendered)
            options: dict[str, object] = {}
            if self.adapter == "otioz":
                from opentimelineio.adapters.file_bundle_utils import MediaReferencePolicy

                options["media_policy"] = MediaReferencePolicy.MissingIfNotFile
            otio.adapters.write_to_file(self.timelines[0], partial, adapter_name=self.adapter, **options)
            return
        data = self.document.write(rendered)
        if partial.endswith(".fcpxmld"):
            os.makedirs(partial)
            write_atomically(os.path.join(partial, "Info.fcpxml"), data)
        else:
            write_atomically(partial, data)


def _replace(partial: str, target: str) -> None:
    if os.path.isdir(partial):
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(partial, target)
    else:
        os.replace(partial, target)


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def open_edit(path: str, unpack_dir: str, edl_rate: Fraction = Fraction(24), project: str | None = None) -> EditFile:
    """Read a timeline file.

    Parameters
    ----------
    path : str
        ``.otio``, ``.otioz``, ``.edl``, ``.xml`` (FCP 7), ``.fcpxml`` or an ``.fcpxmld`` bundle. Never modified.
    unpack_dir : str
        Folder an ``.otioz`` bundle's media are unpacked into (created), or were by an earlier run.
    edl_rate : Fraction
        Frame rate of an EDL's timecodes (EDLs do not state it; 23.976 and 29.97 are taken as NTSC rates).
    project : str, optional
        Only this project of an FCPX library or event (``Project`` or ``Event/Project``), or this sequence of
        an FCP 7 XML; default all of them.

    Raises
    ------
    MediaError
        When the file is missing or cannot be parsed.
    UsageError
        When ``project`` names none of the file's projects or sequences.
    """
    adapter = adapter_for(path)
    if not (os.path.isfile(path) or (path.rstrip("/\\").endswith(".fcpxmld") and os.path.isdir(path))):
        raise MediaError("no such timeline", path)
    options = {"edl_rate": edl_rate, "project": project}
    base_dir = os.path.dirname(os.path.abspath(path.rstrip("/\\")))
    if adapter == "cmx_3600":
        from .edl import EdlFile

        edl = EdlFile.read(path, edl_rate)
        return EditFile(path, adapter, [edl.timeline], base_dir, _EdlDocument(edl), options)
    if adapter == "fcpx_xml":
        from .fcpx import FcpxFile

        fcpx = FcpxFile.read(path, project)
        return EditFile(path, adapter, fcpx.timelines, base_dir, fcpx, options)
    read_options: dict[str, object] = {}
    if adapter == "otioz":
        if os.path.isdir(os.path.join(unpack_dir, "media")):
            _check_unpacked(path, unpack_dir)  # a resumed render: reuse what the first run unpacked
        else:
            os.makedirs(unpack_dir, exist_ok=True)
            read_options["extract_to_directory"] = unpack_dir
        base_dir = unpack_dir
    try:
        result = otio.adapters.read_from_file(path, adapter_name=adapter, **read_options)
    except Exception as error:  # adapters raise anything from OTIOError to ValueError on bad input
        raise MediaError(f"the {adapter} adapter cannot read it ({type(error).__name__}: {error})", path) from None
    timelines = _timelines_of(result, path, project)
    if adapter == "fcp_xml":
        from .fcp7 import Fcp7File

        return EditFile(path, adapter, timelines, base_dir, Fcp7File.read(path, timelines), options)
    return EditFile(path, adapter, timelines, base_dir, None, options)


def _timelines_of(result: object, path: str, project: str | None) -> list[otio.schema.Timeline]:
    """The timelines an adapter returned (one, or a collection of sequences), filtered by ``project``."""
    if isinstance(result, otio.schema.Timeline):
        timelines = [result]
    elif isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline, shallow_search=True))
    else:
        raise MediaError(f"holds a {type(result).__name__}, not a timeline", path)
    if not timelines:
        raise MediaError("holds no timeline", path)
    if project is not None:
        names = [t.name for t in timelines]
        timelines = [t for t in timelines if t.name == project]
        if not timelines:
            raise UsageError(f"no sequence {project!r} in it; it holds: {', '.join(names)}", path)
    return timelines


def read_timeline(path: str, unpack_dir: str, edl_rate: Fraction = Fraction(24),
                  project: str | None = None) -> tuple[otio.schema.Timeline, str]:
    """Read a file holding one timeline; returns it and the folder relative media paths are resolved against.

    Raises
    ------
    MediaError, UsageError
        As ``open_edit``; UsageError also when the file holds several timelines and ``project`` picks none.
    """
    edit = open_edit(path, unpack_dir, edl_rate, project)
    if len(edit.timelines) > 1:
        names = ", ".join(t.name for t in edit.timelines)
        raise UsageError(f"holds {len(edit.timelines)} timelines ({names}); pick one with --project", path)
    return edit.timelines[0], edit.base_dir


class _EdlDocument:
    """Writes an EDL back in place (see ``edl``)."""

    def __init__(self, edl):
        self.edl = edl

    def write(self, rendered: list) -> bytes:
        from .edl import EDL_METADATA, sequence_path_for_edl
        from answerprint.core.frames.patterns import parse_sequence_path

        paths = {}
        for item in rendered:
            if item.sequence:
                pattern = parse_sequence_path(item.path)
                first = item.first_frame + round(float(item.clip.trimmed_range().start_time.value - item.start))
                count = round(item.clip.trimmed_range().duration.value)
                paths[item.clip.metadata[EDL_METADATA]["event"]] = sequence_path_for_edl(
                    pattern.directory, pattern.prefix, pattern.suffix, pattern.padding or 1, first, first + count - 1)
            else:
                paths[item.clip.metadata[EDL_METADATA]["event"]] = os.path.abspath(item.path)
        return self.edl.write(paths).encode(self.edl.encoding)


def _edit_summary(timelines: list[otio.schema.Timeline]) -> list[tuple]:
    """Per video clip: track, record frame, length, source start, speed, transitions either side, media."""
    from .retime import UnsupportedRetime, time_scalar
    from .shots import video_clips, written_media

    summary = []
    for number, timeline in enumerate(timelines):
        for clip in video_clips(timeline):
            track = clip.parent()
            record = clip.range_in_parent()
            try:
                speed = float(time_scalar(clip))
            except UnsupportedRetime:
                speed = None
            neighbours = track.neighbors_of(clip) if isinstance(track, otio.schema.Track) else (None, None)
            transitions = tuple(round(n.in_offset.value + n.out_offset.value) if isinstance(n, otio.schema.Transition)
                                else 0 for n in neighbours)
            media = written_media(clip.media_reference)
            summary.append((number, getattr(track, "name", ""), round(record.start_time.value),
                            round(record.duration.value), round(clip.trimmed_range().start_time.value, 3),
                            speed, transitions, clip, media))
    return summary


def _check_same_edit(before: list[tuple], after: list[tuple], rendered: list, target: str) -> None:
    """Raise OutputError unless ``after`` is ``before`` with the rendered clips on their renders."""
    from .relink import written_path

    renders = {id(item.clip): item for item in rendered}
    if len(before) != len(after):
        raise OutputError(f"the written timeline reads back with {len(after)} video clips instead of "
                          f"{len(before)}; not written", target)
    for old, new in zip(before, after):
        if old[:7] != new[:7]:
            raise OutputError(f"the written timeline reads back differently at clip {old[7].name!r} "
                              f"({old[:7]} became {new[:7]}); not written", target)
        item = renders.get(id(old[7]))
        if item is not None:
            media = written_path(new[8] or "")
            expected = {os.path.abspath(item.path), os.path.abspath(item.frame_path(item.first_frame))}
            if os.path.abspath(media) not in expected and not _same_sequence(media, item):
                raise OutputError(f"clip {old[7].name!r} reads back on {media!r}, not on its render "
                                  f"{item.path}; not written", target)


def _same_sequence(media: str, item) -> bool:
    """True when ``media`` (a pattern or ``name.[a-b].ext``) names the frames of ``item``'s sequence render."""
    from answerprint.core.frames.patterns import parse_sequence_path

    if not item.sequence:
        return False
    pattern = parse_sequence_path(item.path)
    folder, name = os.path.split(media)
    return os.path.abspath(folder) == os.path.abspath(pattern.directory) and name.startswith(pattern.prefix) \
        and name.endswith(pattern.suffix)


def _check_unpacked(bundle: str, unpack_dir: str) -> None:
    """Check that ``unpack_dir`` holds the bundle's media files as unpacked before (same names and sizes).

    Raises
    ------
    MediaError
        When a file is missing or differs, naming the folder to remove.
    """
    with zipfile.ZipFile(bundle) as archive:
        for item in archive.infolist():
            unpacked = os.path.join(unpack_dir, item.filename)
            if item.filename.startswith("media/") and not item.is_dir() and \
                    (not os.path.isfile(unpacked) or os.path.getsize(unpacked) != item.file_size):
                raise MediaError(f"the media unpacked in {unpack_dir} differ from the bundle's; remove that "
                                 "folder to unpack again", bundle)


def write_timeline(timeline: otio.schema.Timeline, path: str, overwrite: bool) -> None:
    """Write an OTIO ``timeline`` in the format of ``path``'s extension through its OTIO adapter, atomically.

    For timelines made from scratch (the in-place writers of ``EditFile`` conform a file that was read). The
    file is read back with the same adapter before it takes its final name, so a timeline an NLE could not
    open is never left there (otio-fcpx-xml-adapter 1.0 writes an empty ``frameDuration`` at 23.976).

    Raises
    ------
    OutputError
        When ``path`` exists and ``overwrite`` is False, or the adapter cannot write it or read it back.
    """
    adapter = adapter_for(path)
    if os.path.exists(path) and not overwrite:
        raise OutputError("the timeline exists; pass --overwrite to replace it", path)
    folder, name = os.path.split(path)
    partial = os.path.join(folder, f".{name}.{os.getpid()}.partial{os.path.splitext(name)[1]}")
    options: dict[str, object] = {}
    if adapter == "otioz":
        from opentimelineio.adapters.file_bundle_utils import MediaReferencePolicy

        options["media_policy"] = MediaReferencePolicy.MissingIfNotFile
    try:
        otio.adapters.write_to_file(timeline, partial, adapter_name=adapter, **options)
        if adapter != "otioz":  # an adapter may write what it cannot read (fcpx_xml at 23.976 fps)
            otio.adapters.read_from_file(partial, adapter_name=adapter)
        os.replace(partial, path)
    except Exception as error:  # adapter errors are not typed; the partial file must not stay
        if os.path.exists(partial):
            os.remove(partial)
        raise OutputError(f"the {adapter} adapter cannot write it ({type(error).__name__}: {error})", path) from None


def path_from_url(url: str, base_dir: str) -> str:
    """A local file path from a media URL (``file:///…``, a plain path, or a path relative to ``base_dir``)."""
    parsed = urlparse(url)
    path = unquote(parsed.path) if parsed.scheme == "file" else url
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))


def url_from_path(path: str) -> str:
    """The ``file://`` URL of a local path, as NLEs write it."""
    return otio.url_utils.url_from_filepath(os.path.abspath(path))
