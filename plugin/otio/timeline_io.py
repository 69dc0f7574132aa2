"""Read and write edit decisions through OpenTimelineIO's adapters, keeping the format they came in.

``.otio`` and ``.otioz`` are OTIO's own; EDL (CMX 3600), FCP 7 XML and FCPX XML come from the adapter
plug-ins (``pip install 'answerprint[timeline]'``). An ``.otioz`` bundle is unpacked into a folder beside the
renders, since its media must exist as files to be decoded.
"""
from __future__ import annotations

import os
import zipfile
from fractions import Fraction
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from answerprint.core.errors import MediaError, OutputError, UsageError

#: Timeline file extensions and the OTIO adapter that reads and writes each.
ADAPTERS = {".otio": "otio_json", ".otioz": "otioz", ".edl": "cmx_3600", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml"}


def adapter_for(path: str) -> str:
    """The OTIO adapter name for ``path``'s extension.

    Raises
    ------
    UsageError
        When the extension is not a timeline format answerprint reads.
    """
    extension = os.path.splitext(path)[1].lower()
    if extension not in ADAPTERS:
        raise UsageError(f"not a timeline answerprint reads (use {', '.join(ADAPTERS)})", path)
    return ADAPTERS[extension]


def read_timeline(path: str, unpack_dir: str, edl_rate: Fraction) -> tuple[otio.schema.Timeline, str]:
    """Read a timeline; returns it and the folder relative media paths are resolved against.

    Parameters
    ----------
    path : str
        ``.otio``, ``.otioz``, ``.edl``, ``.xml`` (FCP 7) or ``.fcpxml``. Never modified.
    unpack_dir : str
        Folder an ``.otioz`` bundle's media are unpacked into (created), or were by an earlier run.
    edl_rate : Fraction
        Frame rate of an EDL's timecodes (EDLs do not state it).

    Raises
    ------
    MediaError
        When the file is missing or the adapter cannot parse it.
    """
    adapter = adapter_for(path)
    if not os.path.isfile(path):
        raise MediaError("no such timeline", path)
    options: dict[str, object] = {}
    base_dir = os.path.dirname(os.path.abspath(path))
    if adapter == "cmx_3600":
        options["rate"] = float(edl_rate)
    if adapter == "otioz":
        if os.path.isdir(os.path.join(unpack_dir, "media")):
            _check_unpacked(path, unpack_dir)  # a resumed render: reuse what the first run unpacked
        else:
            os.makedirs(unpack_dir, exist_ok=True)
            options["extract_to_directory"] = unpack_dir
        base_dir = unpack_dir
    try:
        timeline = otio.adapters.read_from_file(path, adapter_name=adapter, **options)
    except Exception as error:  # adapters raise anything from OTIOError to ValueError on bad input
        raise MediaError(f"the {adapter} adapter cannot read it ({type(error).__name__}: {error})", path) from None
    if not isinstance(timeline, otio.schema.Timeline):
        raise MediaError(f"holds a {type(timeline).__name__}, not one timeline", path)
    return timeline, base_dir


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
    """Write ``timeline`` in the format of ``path``'s extension, atomically (temporary name, then rename).

    The file is read back with the same adapter before it takes its final name, so a timeline an NLE could
    not open is never left there (otio-fcpx-xml-adapter 1.0 writes an empty ``frameDuration`` at 23.976).

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
