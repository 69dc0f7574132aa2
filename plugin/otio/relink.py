"""Find the media a timeline clip names: as written, through path maps, or under media roots.

Timelines name media as the editor's machine saw it: ``S:\\show\\A001C003.mov`` or ``\\\\server\\show\\...`` (Avid on Windows),
``file://localhost/D%3a/show/A001C003.mov`` (Premiere), ``/Volumes/RAID/...`` (a Mac), or only by reel and
clip name (most EDLs). ``Relinker.locate`` tries, in order:

1. the path as written, after the longest matching **path map** (``S:\\`` → ``/mnt/show/``; drive letters and
   Windows paths compare case-insensitively, backslashes count as slashes);
2. under the **media roots** (``--media-root``), files whose name is the written path's file name, then
   whose name starts with the clip's **reel** name (EDL reels are cut to 8 characters), then whose name is the
   **clip name**; a candidate counts only if it holds every frame the clip needs (its source timecode
   overlaps the clip's source range), which also tells apart two takes of the same name;
3. when no name matches, every media file under the roots whose timecode holds the clip's range.

One candidate: found. Several: ambiguous, listed, and the clip is not rendered (never a guess). None:
offline. Media under the roots are probed once per run (their timecode and length), so searching by
timecode alone reads every file's header once.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import unquote, urlparse

from answerprint.core.errors import AnswerprintError, UsageError
from answerprint.core.frames import IMAGE_EXTENSIONS, MediaInfo, probe
from answerprint.core.frames.patterns import existing_frames

#: Movie containers answerprint decodes (through FFmpeg).
MOVIE_EXTENSIONS = (".mov", ".mxf", ".mp4", ".m4v", ".mkv", ".avi")
_WINDOWS_DRIVE = re.compile(r"^/?([A-Za-z]):[\\/]")
_FRAME_FILE = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\.[^.]+)$")
_STEM_END = re.compile(r"[._\- ]+$")


def written_path(url: str) -> str:
    """The path a media URL or path names, as written: ``file://`` URLs decoded (``localhost`` too),
    Windows drive paths with forward slashes (``D:/show/a.mov``); relative paths stay relative."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
    elif len(parsed.scheme) > 1:  # http:, s3: ... not a file; a one-letter "scheme" is a drive letter
        return url
    else:
        path = url
    match = _WINDOWS_DRIVE.match(path)
    if match:
        return f"{match.group(1).upper()}:/" + path[match.end():].replace("\\", "/")
    if path.startswith("\\\\"):  # a UNC path, \\server\share\...
        return path.replace("\\", "/")
    return path


def is_windows_path(path: str) -> bool:
    """True for ``C:/...`` and ``//server/share/...`` paths (which never exist as such on macOS or Linux)."""
    return bool(_WINDOWS_DRIVE.match(path)) or path.startswith("//")


def file_name(path: str) -> str:
    """The last component of a path written with slashes or backslashes."""
    return re.split(r"[\\/]", path)[-1]


def media_stem(name: str) -> str:
    """A media file's base name: extension, frame number or ``%04d``/``####`` token and trailing separators
    removed (``A001C003.mov`` → ``A001C003``, ``R1_010.%04d.exr`` → ``R1_010``)."""
    base = re.sub(r"(%0?\d*d|#+|@+)(?=\.[^.]+$)", "", file_name(name))
    frame = _FRAME_FILE.match(base)
    if frame and os.path.splitext(base)[1].lower() in IMAGE_EXTENSIONS:
        base = frame.group("prefix") + frame.group("suffix")
    stem = os.path.splitext(base)[0] if os.path.splitext(base)[1].lower() in MOVIE_EXTENSIONS + IMAGE_EXTENSIONS \
        else base
    return _STEM_END.sub("", stem)


def name_key(path: str) -> str:
    """What a file name must equal to be the same media: the name itself for a movie, the name without its
    frame number (or ``%04d``/``####`` token) for a frame of an image sequence; case-insensitive."""
    name = file_name(path).lower()
    if os.path.splitext(name)[1] in IMAGE_EXTENSIONS:
        name = re.sub(r"(%0?\d*d|#+|@+|\d+)(?=\.[^.]+$)", "", name)
    return name


@dataclass(frozen=True)
class PathMap:
    """Replace a path prefix (``S:\\`` → ``/mnt/show/``)."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str, where: str = "--map-path") -> "PathMap":
        """``'FROM=TO'`` as given to ``--map-path``.

        Raises
        ------
        UsageError
            When there is no ``=`` or a side is empty.
        """
        source, equals, target = text.partition("=")
        if not equals or not source.strip() or not target.strip():
            raise UsageError(f"a path map is FROM=TO (e.g. 'S:\\=/mnt/show/'), got {text!r}", where)
        return cls(written_path(source.strip()), target.strip())

    def apply(self, path: str) -> str | None:
        """``path`` with the prefix replaced, or None when it does not start with it."""
        windows = is_windows_path(self.source)
        head, probe_path = (self.source.lower(), path.lower()) if windows else (self.source, path)
        if not probe_path.startswith(head):
            return None
        rest = path[len(self.source):].lstrip("/")
        return os.path.join(self.target, rest) if rest else self.target


@dataclass(frozen=True)
class RelinkOptions:
    """Where to look for media: folders to search and path prefixes to replace."""

    media_roots: tuple[str, ...] = ()
    path_maps: tuple[PathMap, ...] = ()

    @classmethod
    def from_arguments(cls, media_roots: Iterable[str] = (), path_maps: Iterable[str] = (),
                       config: str | None = None) -> "RelinkOptions":
        """From ``--media-root``/``--map-path`` values and a TOML config (its ``[relink]`` table).

        The config holds ``media_roots = ["/mnt/show"]`` and a ``[relink.path_map]`` table of
        ``"S:\\\\" = "/mnt/show/"`` entries; command-line values come first.

        Raises
        ------
        UsageError
            When the config cannot be read, a map is malformed or a media root is not a folder.
        """
        roots, maps = list(media_roots), [PathMap.parse(text) for text in path_maps]
        if config:
            try:
                with open(config, "rb") as handle:
                    table = tomllib.load(handle).get("relink", {})
                roots += [str(root) for root in table.get("media_roots", [])]
                maps += [PathMap.parse(f"{source}={target}", config)
                         for source, target in dict(table.get("path_map", {})).items()]
            except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError) as error:
                raise UsageError(f"not a readable relink config ({error})", config) from None
        for root in roots:
            if not os.path.isdir(root):
                raise UsageError("the media root is not a folder", root)
        return cls(tuple(os.path.abspath(root) for root in roots), tuple(maps))


class Ambiguous(Exception):
    """Several files could be a clip's media."""

    def __init__(self, how: str, candidates: list[str]):
        super().__init__(f"ambiguous by {how}: {', '.join(candidates)}")
        self.candidates = candidates


class NotFound(Exception):
    """No file could be a clip's media."""


@dataclass(frozen=True)
class Found:
    """A clip's media and how it was found (``as written``, ``path map``, ``file name``, ``reel``...)."""

    path: str
    how: str


@dataclass
class _Candidate:
    path: str          # movie path, or printf pattern of a sequence
    name: str          # file name (a sequence: its first frame's)
    stem: str


@dataclass
class Relinker:
    """Locates clips' media for one run, probing each file under the media roots at most once."""

    options: RelinkOptions = field(default_factory=RelinkOptions)
    _index: list[_Candidate] | None = None
    _probed: dict[str, MediaInfo | AnswerprintError] = field(default_factory=dict)

    def locate(self, url: str, base_dir: str, reel: str | None, clip_name: str | None,
               fits: Callable[[MediaInfo], bool]) -> Found:
        """The media of a clip written as ``url`` (or a sequence pattern), named ``reel``/``clip_name``.

        ``fits`` says whether a probed candidate holds every frame the clip needs.

        Raises
        ------
        Ambiguous, NotFound
        """
        path = written_path(url) if url else ""
        tried = []
        if path:
            local = path if os.path.isabs(path) or is_windows_path(path) else os.path.join(base_dir, path)
            if self._exists(local):
                return Found(os.path.normpath(local), "as written")
            tried.append(local)
            for mapping in sorted(self.options.path_maps, key=lambda m: -len(m.source)):
                mapped = mapping.apply(path)
                if mapped and self._exists(mapped):
                    return Found(os.path.normpath(mapped), "path map")
                if mapped:
                    tried.append(mapped)
        if not self.options.media_roots:
            raise NotFound(f"media offline: {tried[-1] if tried else 'no media path'} is not there"
                           + ("" if tried and not is_windows_path(path) else "; give --media-root or --map-path"))
        for how, match in self._name_rules(path, reel, clip_name):
            hits = [c.path for c in self._candidates() if match(c)]
            fitting = [hit for hit in hits if self._fits(hit, fits)]
            if len(fitting) == 1:
                return Found(fitting[0], how)
            if len(fitting) > 1:
                raise Ambiguous(how, fitting)
        if not any(match(c) for _, match in self._name_rules(path, reel, clip_name) for c in self._candidates()):
            fitting = [c.path for c in self._candidates() if self._fits(c.path, fits)]
            if len(fitting) == 1:
                return Found(fitting[0], "timecode")
            if len(fitting) > 1:
                raise Ambiguous("timecode", fitting)
        names = ", ".join(n for n in (file_name(path) if path else "", reel, clip_name) if n)
        raise NotFound(f"media offline: nothing under the media roots matches {names or 'the clip'} "
                       "and holds its frames")

    @staticmethod
    def _name_rules(path: str, reel: str | None, clip_name: str | None):
        """(how, predicate) pairs in the order they are tried."""
        rules = []
        if path:
            rules.append(("file name", lambda c, key=name_key(path): name_key(c.name) == key))
        if reel:
            rules.append(("reel", lambda c, r=reel.strip().lower(): c.stem.lower().startswith(r)))
        if clip_name:
            rules.append(("clip name", lambda c, n=media_stem(clip_name).lower(): c.stem.lower() == n))
        return rules

    @staticmethod
    def _exists(path: str) -> bool:
        if "%0" in path or "%d" in path:
            return bool(existing_frames(path))
        return os.path.isfile(path)

    def probe(self, path: str) -> MediaInfo:
        """``path`` described (probed once per run).

        Raises
        ------
        AnswerprintError
            When it is not media answerprint can read.
        """
        if path not in self._probed:
            try:
                self._probed[path] = probe(path)
            except AnswerprintError as error:
                self._probed[path] = error
        found = self._probed[path]
        if isinstance(found, AnswerprintError):
            raise found
        return found

    def _fits(self, path: str, fits: Callable[[MediaInfo], bool]) -> bool:
        try:
            return fits(self.probe(path))
        except AnswerprintError:
            return False

    def _candidates(self) -> list[_Candidate]:
        if self._index is None:
            self._index = [candidate for root in self.options.media_roots for candidate in _scan(root)]
        return self._index


def _scan(root: str) -> list[_Candidate]:
    """Movies and image sequences under ``root`` (hidden files and folders skipped)."""
    found: list[_Candidate] = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        sequences: dict[tuple[str, int, str], str] = {}
        for name in sorted(names):
            if name.startswith("."):
                continue
            extension = os.path.splitext(name)[1].lower()
            if extension in MOVIE_EXTENSIONS:
                found.append(_Candidate(os.path.join(folder, name), name, media_stem(name)))
            elif extension in IMAGE_EXTENSIONS:
                frame = _FRAME_FILE.match(name)
                if frame:
                    key = (frame.group("prefix"), len(frame.group("digits")), frame.group("suffix"))
                    sequences.setdefault(key, name)
        for (prefix, padding, suffix), first in sequences.items():
            pattern = os.path.join(folder, f"{prefix}%0{padding}d{suffix}")
            found.append(_Candidate(pattern, first, media_stem(first)))
    return found
