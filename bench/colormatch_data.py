"""Material for the colour-match benchmark: real photographs, known grades, and the metrics.

Photographs are scikit-image's bundled ones (no downloads), sRGB-encoded. Every grade maps sRGB code values
(0..1) to graded sRGB code values, as a colorist's display shows them:

- ``colour_correct`` and ``logc_video``: colour-science's sample ``.cube`` LUTs (a colour correction; an
  ARRI LogC → Rec.709 show LUT with a 1D shaper), read with answerprint's parser and applied to code values;
- ``aces_sdr``: OpenColorIO's ACES 2.0 SDR (Rec.709) output transform, the photo read as scene-referred sRGB;
- ``teal_orange``, ``bleach_bypass``, ``fade``: synthetic global grades;
- ``vignette_window``: spatially varying — teal-orange plus a 0.7-stop vignette and a soft +0.5-stop window
  at a fixed place in frame, as a power window would sit.

Metrics: CIEDE2000 (scikit-image) on CIELAB from the graded sRGB images, mean and 95th percentile; PSNR on
sRGB code values.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from skimage import color as skcolor
from skimage import data
from skimage import io as skio

from answerprint.core.color import PREVIEW_DISPLAY, ColorProcessor, preview_processor
from answerprint.core.color.cube import read_cube
from answerprint.core.color.lut import apply_lut

DISPLAY_SPACE = "sRGB Encoded Rec.709 (sRGB)"
TRAIN_PHOTOS = ("astronaut", "coffee", "chelsea")
TEST_PHOTOS = ("rocket", "motorcycle_left", "motorcycle_right")

Grade = Callable[[np.ndarray], np.ndarray]


def photo(name: str, width: int) -> np.ndarray:
    """A bundled photograph as float32 sRGB code values 0..1, resized (area) to ``width`` pixels wide."""
    file = next(Path(data.data_dir).glob(f"{name}.*"))
    pixels = skio.imread(file)[..., :3].astype(np.float32) / 255.0
    height = int(round(pixels.shape[0] * width / pixels.shape[1]))
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def _smoothstep(low: float, high: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - low) / (high - low), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _saturate(rgb: np.ndarray, amount: float) -> np.ndarray:
    luma = _luma(rgb)[..., None]
    return luma + (rgb - luma) * amount


def teal_orange(rgb: np.ndarray) -> np.ndarray:
    """Teal shadows, orange highlights and skin, a little more saturation and contrast."""
    weight = _smoothstep(0.15, 0.75, _luma(rgb))[..., None]
    shadows, highlights = np.array([-0.05, 0.01, 0.06], np.float32), np.array([0.06, 0.0, -0.07], np.float32)
    tinted = rgb + (1 - weight) * shadows + weight * highlights
    contrast = 0.5 + (tinted - 0.5) * 1.1
    return np.clip(_saturate(contrast, 1.2), 0.0, 1.0).astype(np.float32)


def bleach_bypass(rgb: np.ndarray) -> np.ndarray:
    """A silver-retention look: the picture overlaid with its own luminance, 70% mix, desaturated."""
    luma = _luma(rgb)[..., None]
    overlay = np.where(luma < 0.5, 2 * rgb * luma, 1 - 2 * (1 - rgb) * (1 - luma))
    mixed = rgb * 0.3 + overlay * 0.7
    return np.clip(_saturate(mixed, 0.55), 0.0, 1.0).astype(np.float32)


def fade(rgb: np.ndarray) -> np.ndarray:
    """A warm faded print: lifted blacks, softened whites, gentle gamma, warm cast, less saturation."""
    lifted = 0.07 + 0.86 * np.power(np.clip(rgb, 0, 1), 1.08)
    warm = lifted * np.array([1.03, 1.0, 0.93], np.float32) + np.array([0.0, 0.005, 0.02], np.float32)
    return np.clip(_saturate(warm, 0.85), 0.0, 1.0).astype(np.float32)


def sample_luts() -> Path:
    """colour-science's folder of sample Resolve ``.cube`` files."""
    with warnings.catch_warnings():  # colour-science warns that matplotlib is absent
        warnings.simplefilter("ignore")
        import colour
    return Path(colour.__file__).parent / "io" / "luts" / "tests" / "resources" / "resolve_cube"


def _lut_grade(file_name: str) -> Grade:
    lut = read_cube(sample_luts() / file_name)
    return lambda rgb: np.clip(apply_lut(rgb, lut), 0.0, 1.0)


def aces_sdr(rgb: np.ndarray) -> np.ndarray:
    """OpenColorIO's ACES 2.0 SDR 100-nit Rec.709 output transform on the photo read as scene-referred sRGB."""
    return np.clip(preview_processor(DISPLAY_SPACE, display_view=PREVIEW_DISPLAY)(rgb), 0.0, 1.0)


def _frame_position(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    height, width = shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return (x + 0.5) / width, (y + 0.5) / height


def vignette_window(rgb: np.ndarray) -> np.ndarray:
    """Teal-orange, then a vignette (−0.7 stop in the corners) and a soft window (+0.5 stop) in linear light."""
    graded = teal_orange(rgb)
    u, v = _frame_position(rgb.shape)
    radius = np.sqrt((u - 0.5) ** 2 + (v - 0.5) ** 2) / np.sqrt(0.5)
    stops = -0.7 * radius ** 2
    window = np.exp(-(((u - 0.35) / 0.18) ** 2 + ((v - 0.4) / 0.22) ** 2))
    stops = stops + 0.5 * window
    to_linear = ColorProcessor(DISPLAY_SPACE, "Linear Rec.709 (sRGB)")
    to_display = ColorProcessor("Linear Rec.709 (sRGB)", DISPLAY_SPACE)
    linear = to_linear(graded) * np.exp2(stops)[..., None].astype(np.float32)
    return np.clip(to_display(linear), 0.0, 1.0)


GLOBAL_GRADES: dict[str, Grade] = {
    "colour_correct": _lut_grade("Colour_Correct.cube"),
    "logc_video": _lut_grade("LogC_Video.cube"),
    "aces_sdr": aces_sdr,
    "teal_orange": teal_orange,
    "bleach_bypass": bleach_bypass,
    "fade": fade,
}
SPATIAL_GRADES: dict[str, Grade] = {"vignette_window": vignette_window}


def delta_e_2000(predicted_srgb: np.ndarray, true_srgb: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 between two sRGB-encoded images (clipped to 0..1, D65)."""
    lab_predicted = skcolor.rgb2lab(np.clip(predicted_srgb, 0, 1).astype(np.float64))
    lab_true = skcolor.rgb2lab(np.clip(true_srgb, 0, 1).astype(np.float64))
    return skcolor.deltaE_ciede2000(lab_true, lab_predicted)


def scores(predicted_srgb: list[np.ndarray], true_srgb: list[np.ndarray]) -> dict[str, float]:
    """Mean and 95th-percentile ΔE00 over all pixels of all images, and PSNR (dB) on sRGB code values."""
    errors = np.concatenate([delta_e_2000(p, t).ravel() for p, t in zip(predicted_srgb, true_srgb)])
    squared = np.concatenate([((np.clip(p, 0, 1) - t) ** 2).ravel() for p, t in zip(predicted_srgb, true_srgb)])
    return {"mean_de00": float(errors.mean()), "p95_de00": float(np.percentile(errors, 95)),
            "psnr_db": float(10 * np.log10(1.0 / max(squared.mean(), 1e-12)))}


def bench_threads() -> int:
    """Threads the benchmark may use (``ANSWERPRINT_BENCH_THREADS``, default 2: the machine is shared)."""
    return int(os.environ.get("ANSWERPRINT_BENCH_THREADS", "2"))
