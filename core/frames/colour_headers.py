"""Colour in image-file headers: what EXR and DPX outputs say about their space, and what a DPX says on read.

EXR: the standard ``chromaticities`` attribute (CIE xy of the primaries and white), ``colorInteropID`` (the
Color Interop Forum ID, as the ASWF recommendation for OpenEXR files has it; OpenImageIO reads it back as
``oiio:ColorSpace``) and ``answerprint/colorSpace``, the exact OCIO colour-space name.
DPX: the header's transfer and colorimetric codes where the space has one (BT.709, linear, logarithmic; else
"User defined") and the OCIO name in the image element description.
"""
from __future__ import annotations

from typing import Any

from .media import ColorTags, SpaceTags

#: EXR attribute holding the exact OCIO colour-space name of the pixels.
EXR_SPACE_ATTRIBUTE = "answerprint/colorSpace"
#: Interop transfer tokens written as the DPX BT.709 transfer characteristic.
_DPX_709_TRANSFERS = ("g24", "itu709")


def exr_colour_attributes(tags: SpaceTags) -> list[tuple[str, str, Any]]:
    """``(name, OIIO type, value)`` of the colour attributes of an EXR header for pixels in ``tags``."""
    attributes: list[tuple[str, str, Any]] = [(EXR_SPACE_ATTRIBUTE, "string", tags.name)]
    if tags.interop_id:
        attributes.append(("colorInteropID", "string", tags.interop_id))
    if tags.chromaticities:
        attributes.append(("chromaticities", "float[8]", tuple(tags.chromaticities)))
    return attributes


def dpx_colour_attributes(tags: SpaceTags) -> list[tuple[str, str, Any]]:
    """``(name, OIIO type, value)`` of the colour fields of a DPX header for pixels in ``tags``."""
    if tags.transfer == "lin":
        transfer = "Linear"
    elif tags.transfer in _DPX_709_TRANSFERS:
        transfer = "ITU-R 709-4"
    elif tags.encoding == "log":
        transfer = "Logarithmic"
    else:
        transfer = "User defined"
    colorimetric = "ITU-R 709-4" if tags.primaries == "rec709" else "User defined"
    return [("dpx:Transfer", "string", transfer), ("dpx:Colorimetric", "string", colorimetric),
            ("ImageDescription", "string", tags.name)]


def dpx_color_tags(transfer: str, colorimetric: str) -> ColorTags | None:
    """H.273 tags from a DPX header's transfer and colorimetric codes; None when they say nothing H.273 names.

    (OpenImageIO reads the BT.709 transfer code as sRGB; the header means BT.709.)
    """
    by_transfer = {"ITU-R 709-4": "bt709", "Linear": "linear"}
    if transfer not in by_transfer:
        return None
    return ColorTags("bt709" if colorimetric == "ITU-R 709-4" else "unknown", by_transfer[transfer], "gbr", "pc")
