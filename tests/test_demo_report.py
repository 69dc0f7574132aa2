"""The demo report lets a colorist judge cleanup and relight: a full-size wipe and 1:1 crops where the detail is."""
from __future__ import annotations

import re
from fractions import Fraction

import cv2
import numpy as np

from answerprint.core.color import preview_processor
from answerprint.core.demo.report import DIFFERENCE_GAIN, Report
from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer

from conftest import photo

VIDEO = "Gamma 2.4 Encoded Rec.709"


def clip(path, picture: np.ndarray) -> str:
    height, width = picture.shape[:2]
    writer = open_writer(OutputSpec(str(path), "prores_422hq", width, height, Fraction(24), 0, "01:00:00:00",
                                    color_tags=BT709))
    for number in range(2):
        writer.write(number, picture)
    writer.finish()
    return str(path)


def png(path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1].astype(np.float32) / 255


def test_a_comparison_is_a_full_size_wipe_and_1to1_crops_of_the_busiest_part(tmp_path):
    picture = np.full((360, 640, 3), 0.45, np.float32)
    picture[200:340, 420:620] = cv2.resize(photo("astronaut"), (200, 140), interpolation=cv2.INTER_AREA)
    noisy = np.clip(picture + np.random.default_rng(0).normal(0, 0.03, picture.shape).astype(np.float32), 0, 1)
    before, after = clip(tmp_path / "noisy.mov", noisy), clip(tmp_path / "clean.mov", picture)
    report = Report(tmp_path / "report", "demo")
    written = report.comparison(before, after, 1, VIDEO, "cleanup", crop_px=128)
    page = report.write().read_text()

    assert png(written["before"]).shape == (360, 640, 3), "the wipe shows the whole frame at its own size"
    assert page.count('type="range"') == 1 and "clipPath" in page and 'class="after"' in page
    left, right, top, bottom = map(int, re.search(r"x (\d+)\.\.(\d+), y (\d+)\.\.(\d+)", page).groups())
    assert (right - left, bottom - top) == (128, 128)
    assert 420 - 64 <= left and right <= 620 + 64 and 200 - 64 <= top and bottom <= 340 + 64, "on the detail"
    with open_media(before) as reader:
        (_, pixels), = reader.read([1])
    one_to_one = np.clip(preview_processor(VIDEO)(pixels), 0, 1)[top:bottom, left:right]
    assert np.abs(png(written["before_crop"]) - one_to_one).max() <= 1 / 255 + 1e-6, "1:1, not resampled"
    difference = np.clip(np.abs(png(written["after_crop"]) - png(written["before_crop"])) * DIFFERENCE_GAIN, 0, 1)
    assert np.abs(png(written["difference_crop"]) - difference).mean() < 0.02
    assert png(written["difference_crop"]).mean() > 0.05, "the removed noise is visible"
