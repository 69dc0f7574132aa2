"""Which colour space a source is in when the user does not say, from its format and tags (no OpenColorIO needed).

``probe`` reports it and every render starts from it, so it lives apart from the OCIO machinery and costs
nothing to import.
"""
from __future__ import annotations

from ..frames.media import MediaInfo

#: How a source is read when the user names no space: by what its tags and format say.
_BY_TRANSFER = {
    "bt709": "Gamma 2.4 Encoded Rec.709",
    "bt1886": "Gamma 2.4 Encoded Rec.709",
    "smpte170m": "Gamma 2.4 Encoded Rec.709",
    "bt2020-10": "Gamma 2.4 Encoded Rec.709",
    "iec61966-2-1": "sRGB Encoded Rec.709 (sRGB)",
    "linear": "Linear Rec.709 (sRGB)",
}


def default_source_space(info: MediaInfo) -> str:
    """The colour space a source is assumed to be in when the user does not say.

    OpenEXR is ACES2065-1 (the ACES interchange rule); integer stills (PNG, TIFF, JPEG) are sRGB-encoded;
    video follows its transfer tag and otherwise is read as Rec.709 video (inverse BT.1886, gamma 2.4).
    Camera log footage carries no reliable tag: a colorist names it with ``--input-space`` (e.g.
    ``arri_logc3_ei800``, ``slog3_sgamut3cine``).
    """
    if info.codec == "openexr":
        return "ACES2065-1"
    if info.codec in ("png", "tiff", "jpeg"):
        return "sRGB Encoded Rec.709 (sRGB)"
    return _BY_TRANSFER.get(info.color_tags.transfer, "Gamma 2.4 Encoded Rec.709")
