"""Content changes between registered frames (an object that appears, disappears or moves) and practical lights.

Content: the second frame, warped onto the first and with its colour drift taken out, is compared in log2
luminance and chroma (stops) after a light blur. A pixel differs only when it lies outside the other frame's
5×5 min–max envelope *both ways* (first against second's envelope, second against first's): an edge that
misregistration shifts by a pixel or two never does, an object that is there in one frame and gone in the other
does. Pixels under 2⁻⁶ linear (about 3.5 stops under mid grey, where proxy noise dominates) are floored there.
Differing regions are connected components, by hysteresis: seeded by pixels ``DIFFERENCE_STOPS`` out, grown
over the connected pixels ``GROW_STOPS`` out; each is split into its part on people (either shot's moving
regions) and the rest, which is what is measured; a region a quarter of which is on people is acting and not
counted at all. A region holding a lamp that switched is attributed to the light. Two regions whose first-frame
and second-frame pictures match (``_classify``) are one object that moved; otherwise the region reads as an
object that appeared or disappeared, whichever frame shows more structure there.

Practicals: compact bright sources (8× the frame's median luminance and in its top 0.5 %, under 1 % of the
frame, filling at least a third of their box, clear of the frame's edge) found in either frame, compared at the same place as the 98th
percentile luminance of a box three times their size around them (registration slack), once the colour drift
(exposure included) is taken out.

Frames: scene-linear ACEScg proxies ``(h, w, 3)`` float32, the second registered onto the first.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .drift import luminance
from .measures import Measurement

#: A pixel differs when it is this many stops outside the other frame's envelope; a differing region then
#: takes in the connected pixels ``GROW_STOPS`` outside it (hysteresis: a subtle object is measured whole).
DIFFERENCE_STOPS = 0.4
GROW_STOPS = 0.15
#: Differing regions smaller than this share of the frame are ignored.
MIN_REGION = 0.0004
#: A lamp change of this many stops or more takes the content region around it with it.
LAMP_ATTRIBUTION_EV = 1.0
#: An object has moved when its picture correlates this well elsewhere, and this much better than where it was.
MOVE_NCC, MOVE_MARGIN = 0.35, 0.1
#: Bright sources within this share of the width from the frame's edge are left out (re-framing moves them in
#: and out of view).
EDGE = 0.02
#: The lamp's brightness is this percentile of luminance in a box three times its size (registration slack).
PEAK_PERCENTILE = 98
#: A differing region this much of which lies on people is acting.
PEOPLE_SHARE = 0.25
_FLOOR = 2.0 ** -6
_ENVELOPE = 5


@dataclass(frozen=True)
class Region:
    """One differing region of a registered pair, in the first frame's proxy pixels.

    Attributes
    ----------
    box : (int, int, int, int)
        x, y, width, height.
    area : float
        Share of the frame.
    outside_people : float
        Share of the frame that is not on people.
    kind : str
        ``moved``, ``appeared``, ``disappeared``, ``light`` (a lamp switched) or ``people``.
    stops : float
        Mean difference inside it (stops).
    """

    box: tuple[int, int, int, int]
    area: float
    outside_people: float
    kind: str
    stops: float


def _log_channels(frame_linear: np.ndarray) -> np.ndarray:
    """log2 luminance and two log2 chroma ratios (floored at 2⁻⁶), lightly blurred: stops per channel."""
    blurred = cv2.GaussianBlur(frame_linear, (0, 0), 1.0)
    y = np.maximum(luminance(blurred), _FLOOR)
    log_y = np.log2(y)
    chroma = np.log2(np.maximum(blurred[..., [0, 2]], _FLOOR)) - log_y[..., None]
    return np.dstack([log_y, 0.5 * chroma]).astype(np.float32)


def difference_map(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per-pixel difference (stops) outside both envelopes (see module docstring); 0 where they agree."""
    a, b = _log_channels(first), _log_channels(second)
    kernel = np.ones((_ENVELOPE, _ENVELOPE), np.uint8)

    def outside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.maximum(np.maximum(x - cv2.dilate(y, kernel), cv2.erode(y, kernel) - x), 0).max(axis=2)

    return np.minimum(outside(a, b), outside(b, a))


def _structure(frame: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    grey = np.log2(np.maximum(luminance(frame[y:y + h, x:x + w]), _FLOOR))
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def _ncc(patch: np.ndarray, image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Best normalised cross-correlation of ``patch`` within ``box`` of ``image`` (both smoothed log luminance)
    plus a margin of half the patch."""
    x, y, w, h = box
    ph, pw = patch.shape
    margin = max(ph, pw) // 2
    x0, y0 = max(0, x - margin), max(0, y - margin)
    search = np.ascontiguousarray(image[y0:y + h + margin, x0:x + w + margin])
    if search.shape[0] < ph or search.shape[1] < pw or patch.std() < 1e-3:
        return 0.0
    return float(cv2.matchTemplate(search, np.ascontiguousarray(patch), cv2.TM_CCOEFF_NORMED).max())


def _smoothed_log(frame: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(np.log2(np.maximum(luminance(frame), _FLOOR)).astype(np.float32), (0, 0), 1.5)


def _classify(regions: list[dict], first: np.ndarray, second: np.ndarray) -> None:
    """Name each region ``moved`` (the first frame's picture there is found at another region of the second
    frame — correlation at least ``MOVE_NCC``, and better than at its own place by ``MOVE_MARGIN`` — where it
    was and where it went are both ``moved``), else ``disappeared`` or ``appeared`` (whichever frame shows more
    structure there)."""
    first_log, second_log = _smoothed_log(first), _smoothed_log(second)
    for region in regions:
        x, y, w, h = region["box"]
        patch = first_log[y:y + h, x:x + w]
        at_home = _ncc(patch, second_log, region["box"])
        for other in regions:
            if other is not region and _ncc(patch, second_log, other["box"]) >= max(MOVE_NCC, at_home + MOVE_MARGIN):
                region["kind"] = other["kind"] = "moved"
    for region in regions:
        if region["kind"] == "":
            region["kind"] = "disappeared" if _structure(first, region["box"]) >= _structure(second, region["box"]) \
                else "appeared"


def find_regions(first: np.ndarray, second: np.ndarray, valid: np.ndarray,
                 people: np.ndarray) -> tuple[list[Region], np.ndarray]:
    """Differing regions of a registered pair (largest part off people first) and the difference map (stops, 0
    outside ``valid``). A region a quarter or more of which lies on people is theirs: an actor who moves between
    takes but not within one shot is found only where the other shot's actor stands."""
    difference = np.where(valid, difference_map(first, second), 0.0).astype(np.float32)
    strong = cv2.morphologyEx((difference > DIFFERENCE_STOPS).astype(np.uint8), cv2.MORPH_OPEN,
                              np.ones((3, 3), np.uint8))
    weak = cv2.morphologyEx((difference > GROW_STOPS).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    count, labels = cv2.connectedComponents(weak | strong)
    seeded = np.zeros(count, bool)
    seeded[np.unique(labels[strong > 0])] = True
    seeded[0] = False
    changed = seeded[labels].astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(changed)
    total = float(changed.size)
    found: list[dict] = []
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if area < MIN_REGION * total:
            continue
        inside = labels == index
        on_people = float((inside & people).sum())
        found.append({"box": (x, y, w, h), "area": area / total, "outside": (area - on_people) / total,
                      "stops": float(difference[inside].mean()),
                      "kind": "people" if on_people >= PEOPLE_SHARE * area else ""})
    _classify([r for r in found if r["kind"] == ""], first, second)
    regions = [Region(r["box"], r["area"], r["outside"], r["kind"], r["stops"]) for r in found]
    return sorted(regions, key=lambda r: -r.outside_people), difference


def region_mask(regions: list[Region], shape: tuple[int, int], kinds: tuple[str, ...]) -> np.ndarray:
    """bool mask of the boxes of ``regions`` of the given kinds."""
    mask = np.zeros(shape, bool)
    for region in regions:
        if region.kind in kinds:
            x, y, w, h = region.box
            mask[y:y + h, x:x + w] = True
    return mask


def attribute_lights(regions: list[Region], lamps: list[tuple[tuple[int, int, int, int], float]]) -> list[Region]:
    """``regions`` with those holding a lamp that changed by ``LAMP_ATTRIBUTION_EV`` or more called ``light``."""
    attributed = []
    for region in regions:
        x, y, w, h = region.box
        for (lx, ly, lw, lh), change in lamps:
            overlaps = lx < x + w and x < lx + lw and ly < y + h and y < ly + lh
            if region.kind != "people" and abs(change) >= LAMP_ATTRIBUTION_EV and overlaps:
                region = Region(region.box, region.area, region.outside_people, "light", region.stops)
        attributed.append(region)
    return attributed


def content_measure(regions: list[Region], size: tuple[int, int]) -> Measurement:
    """The largest region not on people nor explained by a lamp, as a share of the frame (%)."""
    width, height = size
    counted = [r for r in regions if r.kind not in ("light", "people")]
    people = sum(1 for r in regions if r.kind == "people")
    note = f"; {people} region(s) on people not counted" if people else ""
    if not counted:
        return Measurement("content", 0.0, "no object appears, disappears or moves" + note,
                           figures={"regions": 0, "people_regions": people})
    worst = counted[0]
    x, y, w, h = worst.box
    return Measurement("content", 100 * worst.outside_people,
                       f"an object {worst.kind} ({100 * worst.outside_people:.2f} % of the frame, "
                       f"{worst.stops:.1f} stops){note}",
                       box=(x / width, y / height, w / width, h / height),
                       figures={"regions": len(counted), "people_regions": people, "kind": worst.kind,
                                "all": [{"kind": r.kind, "box": [r.box[0] / width, r.box[1] / height,
                                                                 r.box[2] / width, r.box[3] / height],
                                         "percent": round(100 * r.outside_people, 3)} for r in counted]})


def _bright_sources(frame: np.ndarray, usable: np.ndarray) -> list[tuple[int, int, int, int]]:
    y = luminance(frame)
    level = max(8 * float(np.median(y[usable])) if usable.any() else 0.0, float(np.percentile(y, 99.5)))
    bright = ((y > level) & usable).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright)
    boxes = []
    height, width = y.shape
    margin = int(EDGE * width)
    for x, yy, w, h, area in stats[1:]:
        at_edge = x <= margin or yy <= margin or x + w >= width - margin or yy + h >= height - margin
        if 3 <= area <= 0.01 * y.size and area >= w * h / 3 and not at_edge:
            boxes.append((int(x), int(yy), int(w), int(h)))
    return boxes


def practicals(first: np.ndarray, second: np.ndarray, valid: np.ndarray,
               people: np.ndarray) -> tuple[Measurement, list[tuple[tuple[int, int, int, int], float]]]:
    """The largest brightness change of a practical light and every lamp's box and change (EV); ``second`` is
    registered onto ``first`` with its colour drift (exposure included) taken out."""
    usable = valid & ~people
    height, width = valid.shape
    found: list[tuple[tuple[int, int, int, int], float]] = []
    seen: list[tuple[int, int, int, int]] = []
    for x, y, w, h in _bright_sources(first, usable) + _bright_sources(second, usable):
        pad = max(3, w, h)
        box = (max(0, x - pad), max(0, y - pad), min(width, x + w + pad) - max(0, x - pad),
               min(height, y + h + pad) - max(0, y - pad))
        if any(abs(box[0] - s[0]) < pad and abs(box[1] - s[1]) < pad for s in seen):
            continue
        seen.append(box)
        bx, by, bw, bh = box
        inside = valid[by:by + bh, bx:bx + bw]
        if inside.mean() < 0.9:                  # a lamp at the edge of what both frames show: not comparable
            continue
        peak_first = np.percentile(luminance(first[by:by + bh, bx:bx + bw])[inside], PEAK_PERCENTILE)
        peak_second = np.percentile(luminance(second[by:by + bh, bx:bx + bw])[inside], PEAK_PERCENTILE)
        found.append((box, float(np.log2(max(peak_second, 1e-6) / max(peak_first, 1e-6)))))
    if not found:
        return Measurement("practical", 0.0, "no practical light in view", figures={"lamps": 0}), found
    box, change = max(found, key=lambda item: abs(item[1]))
    state = "brighter (switched on?)" if change > 0 else "darker (switched off?)"
    x, y, w, h = box
    return (Measurement("practical", change, f"a light source {abs(change):.1f} EV {state} in the second shot",
                        box=(x / width, y / height, w / width, h / height), figures={"lamps": len(found)}), found)
