"""Open the panel on a real X display (Xvfb) on a Rec.709 clip and grab the whole screen, as a user would see it.

Not offscreen rendering: the ``answerprint panel`` command runs as its own process on an X server through Qt's
xcb platform plugin (the path that aborted on Debian without ``libxcb-cursor0``), and the screen is read back
from the X server with ImageMagick's ``import -window root``. Needs ``xvfb`` and ``imagemagick``
(``apt-get install xvfb imagemagick``) and the ``ui`` extra::

    .venv/bin/python docs/screenshot_on_x.py

Writes ``docs/screenshots/rec709_own_display.png`` and prints the median code value of the clip's middle frame in
the file and on the screen, which the Automatic display keeps equal (Rec.1886 Rec.709, un-tone-mapped).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from skimage import data

OUT = Path(__file__).resolve().parent / "screenshots" / "rec709_own_display.png"
DISPLAY = ":97"
SCREEN = (1480, 900)
SETTLE_S = 25.0


def rec709_clip(folder: Path) -> tuple[Path, np.ndarray]:
    """Twelve frames of 10-bit Rec.709 ProRes 422 HQ from a photograph (1280x720), and its middle frame's codes."""
    from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer

    photo = cv2.resize(data.coffee().astype(np.float32) / 255.0, (1280, 720), interpolation=cv2.INTER_AREA)
    path = folder / "B002C004.mov"
    writer = open_writer(OutputSpec(str(path), "prores_422hq", 1280, 720, Fraction(24000, 1001), 0, "14:03:12:00",
                                    color_tags=BT709))
    for number in range(12):
        writer.write(number, photo)
    writer.finish()
    with open_media(str(path)) as reader:
        (_, middle), = reader.read([5])
    return path, middle


def main() -> int:
    for tool in ("Xvfb", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install xvfb imagemagick)")
    folder = Path(tempfile.mkdtemp(prefix="answerprint_x_"))
    clip, middle = rec709_clip(folder)
    environment = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    environment.update(DISPLAY=DISPLAY, ANSWERPRINT_HOME=str(folder / "home"))
    server = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"])
    panel = None
    try:
        time.sleep(2.0)
        panel = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "answerprint"), "panel", str(clip),
                                  "--effect", "identity"], env=environment)
        time.sleep(SETTLE_S)
        if panel.poll() is not None:
            raise SystemExit(f"the panel exited with status {panel.returncode}")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-display", DISPLAY, "-window", "root", str(OUT)], check=True)
    finally:
        if panel is not None and panel.poll() is None:
            panel.terminate()
            panel.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    shown, file_codes = viewer_picture(cv2.imread(str(OUT))[..., ::-1].astype(np.float32) / 255.0, middle)
    difference = np.abs(shown - file_codes)
    print(f"wrote {OUT}; the clip's middle frame, file vs screen: median code value {np.median(file_codes):.3f} vs "
          f"{np.median(shown):.3f}, mean |difference| {difference.mean():.4f} (8-bit step 0.0039)")
    return 0


def viewer_picture(screen: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The picture the viewer shows (found where the screen holds the frame scaled to fit), and the file's frame
    scaled the same way; the wipe line and its labels (a band in the middle, the top rows) are left out."""
    width, height = frame.shape[1], frame.shape[0]
    best = None
    for shown_width in range(400, screen.shape[1], 4):
        scaled = cv2.resize(frame, (shown_width, round(height * shown_width / width)), interpolation=cv2.INTER_AREA)
        if scaled.shape[0] >= screen.shape[0]:
            break
        score = cv2.matchTemplate(screen, scaled, cv2.TM_SQDIFF)
        value, _, location, _ = cv2.minMaxLoc(score)
        if best is None or value / scaled.size < best[0]:
            best = (value / scaled.size, location, scaled)
    _, (x, y), scaled = best
    shown = screen[y:y + scaled.shape[0], x:x + scaled.shape[1]]
    keep = np.ones(scaled.shape[:2], bool)
    middle = scaled.shape[1] // 2
    keep[:, middle - 6:middle + 6] = False
    keep[:30] = False
    return shown[keep], scaled[keep]


if __name__ == "__main__":
    sys.exit(main())
