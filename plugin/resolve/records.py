"""What an answerprint take remembers inside Resolve, so it can be told apart and rendered again.

Every rendered clip carries its record twice on its media-pool item:

- a marker at the first frame the timeline item shows, whose ``customData`` is the record as compact JSON
  (schema ``answerprint.resolve-take/1``): effect, parameters, pack (reference and id), production, source
  file and frames, handles, input colour space, version, output file. This is what ``rerender`` reads;
- the clip's ``Comments`` and ``Keywords`` metadata: one human line (``answerprint cleanup v002: strength=0.7;
  pack cleanup/grain@3``), searchable in the media pool.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .connect import ResolveError

TAKE_SCHEMA = "answerprint.resolve-take/1"
MARKER_COLOR = "Blue"


@dataclass(frozen=True)
class TakeRecord:
    """One rendered take's provenance.

    Attributes
    ----------
    effect : str
        The effect rendered (``cleanup``, ``exposure``...).
    params : dict
        Parameter values as resolved by the effect's schema.
    pack : str, optional
        The pack reference the job named (library reference or path), to render again with.
    pack_id : str, optional
        The verified pack's id, as the render sidecar records it.
    production : str, optional
        The production the job belonged to.
    source : str
        The source movie or sequence pattern (as answerprint reads it).
    first, last : int
        Source frames the timeline item shows, inclusive, in the source's own numbering.
    handles : int
        Extra frames rendered each side where the source has them.
    input_space : str, optional
        The source's colour space when it was named explicitly.
    version : int
        1 for the first render of this effect on this source, then 2, 3...
    output : str
        The rendered movie.
    """

    effect: str
    params: dict[str, Any]
    pack: str | None
    pack_id: str | None
    production: str | None
    source: str
    first: int
    last: int
    handles: int
    input_space: str | None
    version: int
    output: str
    schema: str = field(default=TAKE_SCHEMA)

    def to_custom_data(self) -> str:
        """The record as a marker's ``customData``: compact JSON."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_custom_data(cls, text: str) -> "TakeRecord | None":
        """The record in a marker's ``customData``, or None when the marker is not answerprint's."""
        try:
            data = json.loads(text)
            if data.get("schema") != TAKE_SCHEMA:
                return None
            return cls(**data)
        except (ValueError, TypeError, AttributeError):
            return None

    def summary(self) -> str:
        """One line for the clip's metadata and the marker's note."""
        params = ", ".join(f"{name}={value}" for name, value in self.params.items()) or "defaults"
        pack = f"; pack {self.pack_id or self.pack}" if (self.pack_id or self.pack) else ""
        return f"answerprint {self.effect} v{self.version:03d}: {params}{pack}"


def read_record(media_pool_item: Any) -> TakeRecord | None:
    """The answerprint record on a media-pool item's markers, or None for a clip answerprint did not render."""
    if not media_pool_item:
        return None
    for frame in sorted(media_pool_item.GetMarkers() or {}):
        record = TakeRecord.from_custom_data(media_pool_item.GetMarkerCustomData(frame) or "")
        if record is not None:
            return record
    return None


def write_record(media_pool_item: Any, record: TakeRecord, frame: int) -> None:
    """Store ``record`` on a rendered clip: metadata, and a marker at ``frame`` (the item's first frame).

    Raises
    ------
    ResolveError
        When Resolve refuses the metadata or the marker.
    """
    summary = record.summary()
    if not media_pool_item.SetMetadata({"Comments": summary, "Keywords": f"answerprint, {record.effect}"}):
        raise ResolveError("Resolve refused the clip metadata", record.output)
    if not media_pool_item.AddMarker(frame, MARKER_COLOR, f"answerprint {record.effect} v{record.version:03d}",
                                     summary, 1, record.to_custom_data()):
        raise ResolveError(f"Resolve refused the marker at frame {frame}", record.output)
