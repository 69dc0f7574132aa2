"""Chart match: find a ColorChecker in a frame (or take its four corners) and fit a neutral starting grade.

Detection uses colour-checker-detection's OpenCV detectors — ``segmentation`` first, then ``templated``
(BSD-3; the ``inference`` detector is never used: it is AGPL and downloads a model). Given corners, the chart
is rectified and each of its 24 patches sampled by the median of its central third. The measured patches are
fitted to the chart's published values in scene-linear ACEScg (AP1) with colour-science's root-polynomial
(Finlayson 2015, exposure-invariant) or polynomial (Cheung 2004) colour correction, and the correction is
baked into an ACEScct LUT like every other match.

colour-science and colour-checker-detection are imported only when a chart is matched, and a missing one is
named with the command that installs it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import ModuleType

import cv2
import numpy as np

from ...color.delta_e import ciede2000, linear_rec709_to_lab
from ...color.lut import Lut3D
from ...errors import UsageError

CHART = "ColorChecker24 - After November 2014"
FIT_METHODS = {"root_polynomial": "Finlayson 2015", "cheung": "Cheung 2004"}
ROWS, COLUMNS = 4, 6
_LUT_SIZE = 33
_AP1_TO_709 = np.array([[1.70505, -0.62179, -0.08326], [-0.13026, 1.14080, -0.01055], [-0.02400, -0.12897, 1.15297]])


@dataclass(frozen=True)
class ChartMatch:
    """A fitted chart correction.

    Attributes
    ----------
    lut : Lut3D
        ACEScct → ACEScct correction.
    measured, reference : ndarray
        ``(24, 3)`` ACEScct patches as found in the frame, and the chart's published values.
    residual_de00 : float
        Mean CIEDE2000 of the corrected patches against the published ones.
    quadrilateral : ndarray
        ``(4, 2)`` chart corners in pixels, as found or given.
    """

    lut: Lut3D
    measured: np.ndarray
    reference: np.ndarray
    residual_de00: float
    quadrilateral: np.ndarray


def _colour() -> ModuleType:
    """colour-science, or a UsageError saying how to install it."""
    try:
        with warnings.catch_warnings():  # it warns at import that matplotlib is absent
            warnings.simplefilter("ignore")
            import colour
    except ImportError:
        raise UsageError("chart match needs colour-science: pip install 'answerprint[chart]'", "chart") from None
    return colour


def _detection() -> ModuleType:
    """colour-checker-detection, or a UsageError saying how to install it (or to give the corners)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import colour_checker_detection
    except ImportError:
        raise UsageError("finding the chart needs colour-checker-detection: pip install --no-deps "
                         "colour-checker-detection (its opencv-python requirement would clash with "
                         "opencv-python-headless); or give chart_corners", "chart") from None
    return colour_checker_detection


def acescct_decode(values: np.ndarray) -> np.ndarray:
    """ACEScct code values to scene-linear AP1 (ACEScg)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(values <= 0.155251141552511, (values - 0.0729055341958355) / 10.5402377416545,
                    np.exp2(values * 17.52 - 9.72))


def acescct_encode(linear: np.ndarray) -> np.ndarray:
    """Scene-linear AP1 (ACEScg) to ACEScct code values."""
    linear = np.asarray(linear, dtype=np.float64)
    safe = np.maximum(linear, 2.0 ** -16)
    return np.where(linear <= 0.0078125, linear * 10.5402377416545 + 0.0729055341958355, (np.log2(safe) + 9.72) / 17.52)


def reference_patches() -> np.ndarray:
    """The chart's 24 published colours as ACEScct ``(24, 3)`` (CAT02 from its D50 to ACES white)."""
    colour = _colour()
    chart = colour.CCS_COLOURCHECKERS[CHART]
    xyz = colour.xyY_to_XYZ(np.array(list(chart.data.values())))
    ap1 = colour.XYZ_to_RGB(xyz, "ACEScg", illuminant=chart.illuminant, chromatic_adaptation_transform="CAT02")
    return acescct_encode(ap1)


def parse_corners(text: str) -> np.ndarray:
    """``"x1,y1,x2,y2,x3,y3,x4,y4"`` (top-left, top-right, bottom-right, bottom-left, in pixels) as ``(4, 2)``.

    Raises
    ------
    UsageError
        When there are not eight numbers.
    """
    try:
        values = [float(v) for v in text.replace(";", ",").split(",")]
    except ValueError:
        values = []
    if len(values) != 8 or not np.isfinite(values).all():
        raise UsageError("chart corners are eight numbers x1,y1,...,x4,y4 (top-left, top-right, bottom-right, "
                         f"bottom-left, in pixels), not {text!r}", "chart_corners")
    return np.array(values, dtype=np.float64).reshape(4, 2)


def sample_patches(frame: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The median colour of the central third of each of the 24 patches between ``corners`` (``(4, 2)``)."""
    cell = 60
    target = np.float32([[0, 0], [COLUMNS * cell, 0], [COLUMNS * cell, ROWS * cell], [0, ROWS * cell]])
    warp = cv2.getPerspectiveTransform(np.float32(corners), target)
    flat = cv2.warpPerspective(np.ascontiguousarray(frame, dtype=np.float32), warp, (COLUMNS * cell, ROWS * cell),
                               flags=cv2.INTER_LINEAR)
    patches = []
    for row in range(ROWS):
        for column in range(COLUMNS):
            inner = flat[row * cell + cell // 3: (row + 1) * cell - cell // 3,
                         column * cell + cell // 3: (column + 1) * cell - cell // 3]
            patches.append(np.median(inner.reshape(-1, 3), axis=0))
    return np.array(patches, dtype=np.float64)


def detect_chart(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Find a ColorChecker 24 in ``frame`` (ACEScct ``(H, W, 3)``): (``(24, 3)`` patches in chart order,
    ``(4, 2)`` corners in the frame's pixels) from colour-checker-detection's segmentation detector, else its
    templated one; None when neither finds it."""
    detection = _detection()
    image = np.clip(np.asarray(frame, dtype=np.float32), 0.0, 1.0)
    working_width = detection.detection.common.SETTINGS_DETECTION_COLORCHECKER_CLASSIC["working_width"]
    for detector in (detection.detect_colour_checkers_segmentation, detection.detect_colour_checkers_templated):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = detector(image, additional_data=True)
        except Exception:  # the detectors raise assorted numpy/OpenCV errors on pictures without a chart
            continue
        if found:
            swatches = np.asarray(found[0].swatch_colours, dtype=np.float64).reshape(-1, 3)
            quad = np.asarray(found[0].quadrilateral, dtype=np.float64).reshape(4, 2)
            if swatches.shape == (ROWS * COLUMNS, 3):
                return swatches, quad * (frame.shape[1] / working_width)
    return None


def _acescct_lab(values: np.ndarray) -> np.ndarray:
    return linear_rec709_to_lab(acescct_decode(values) @ _AP1_TO_709.T)


def fit_chart(measured: np.ndarray, quadrilateral: np.ndarray, method: str = "root_polynomial") -> ChartMatch:
    """Fit the correction taking ``measured`` patches (ACEScct ``(24, 3)``) to the chart's published values.

    Raises
    ------
    UsageError
        When ``method`` is not ``root_polynomial`` or ``cheung``.
    """
    if method not in FIT_METHODS:
        raise UsageError(f"unknown chart fit {method!r}; use {' or '.join(FIT_METHODS)}", "chart fit")
    colour = _colour()
    reference = reference_patches()
    measured_linear, reference_linear = acescct_decode(measured), acescct_decode(reference)
    name = FIT_METHODS[method]

    def correct(points: np.ndarray) -> np.ndarray:
        linear = acescct_decode(points)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fixed = colour.colour_correction(linear, measured_linear, reference_linear, method=name)
        return acescct_encode(fixed)

    corrected = correct(measured)
    residual = float(ciede2000(_acescct_lab(reference), _acescct_lab(corrected)).mean())
    return ChartMatch(Lut3D.from_function(correct, _LUT_SIZE), measured, reference, residual, quadrilateral)
