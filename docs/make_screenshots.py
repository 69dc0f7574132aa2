"""Render the panel's screenshots in ``docs/screenshots/`` offscreen, from the bundled sample dailies.

Run by hand (needs the ``ui`` and ``train`` extras; about three minutes on two cores)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

Everything happens in a throwaway ``ANSWERPRINT_HOME``: the sample dailies (``core.demo.dailies``: LogC3
ProRes made from the bundled photographs), a production ``demo`` with its key, a quick cleanup pack trained on
two of the dailies and installed in its library, and a colorist's graded still of the third as the colour-match
reference. The panel is then driven as a user would and each view grabbed:

* ``colormatch_wipe.png``: colour match with a before/after wipe;
* ``colormatch_reference.png``: the reference frame beside the matched shot;
* ``cleanup_split.png``: cleanup before and after side by side at 1:1;
* ``cleanup_difference.png``: what cleanup removed, amplified;
* ``relight.png``: a warm light placed on the shot, its position and radius handles on the viewer;
* ``library.png``: the model library with the trained pack's signature and provenance;
* ``queue.png``: the render queue with a finished render and its log.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parent / "screenshots"
SIZE = (1480, 900)
TIMEOUT_S = 120.0


def graded_reference(daily: Path, folder: Path) -> Path:
    """A colorist's warm grade of the daily's middle frame, as a 16-bit sRGB PNG (the colour-match reference)."""
    from answerprint.core.color import ColorProcessor
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.frames import open_media

    with open_media(str(daily)) as reader:
        (_, log), = reader.read([(reader.info.first_frame + reader.info.last_frame) // 2])
    display = np.clip(ColorProcessor(CAMERA_SPACE, "sRGB Encoded Rec.709 (sRGB)")(log), 0, 1)
    graded = np.clip(display * np.float32([1.10, 1.0, 0.82]) + np.float32([0.02, 0.0, 0.0]), 0, 1) ** 0.92
    path = folder / f"{daily.stem}_graded.png"
    cv2.imwrite(str(path), np.round(graded[..., ::-1] * 65535).astype(np.uint16))
    return path


def wait_for(app, condition, what: str) -> None:
    """Let the event loop run until ``condition()`` holds."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()


def refreshed(app, window, what: str) -> None:
    """Ask for a preview and wait until it (or a newer one) is on screen."""
    request = window.request_preview()
    wait_for(app, lambda: window._shown_serial >= request.serial, what)
    if window.viewer_panel.status.text().startswith("preview:"):
        raise RuntimeError(window.viewer_panel.status.text())


def save(window, name: str) -> None:
    window.grab().save(str(OUT / name), "PNG")
    print(f"wrote {OUT / name}")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="answerprint-screenshots-"))
    os.environ["ANSWERPRINT_HOME"] = str(work / "home")
    from PySide6.QtCore import QSettings

    from answerprint.core.demo.dailies import CAMERA_SPACE, make_sample_dailies
    from answerprint.core.packs import create_production_key, init_production
    from answerprint.models.cleanup.train import train_cleanup
    from answerprint.models.relight.train import train_relight
    from answerprint.ui.app import application
    from answerprint.ui.main_window import MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    dailies = make_sample_dailies(work / "dailies")
    create_production_key(init_production("demo", "answerprint demo", (str(work / "dailies"),)))
    print("training a quick cleanup pack on the sample dailies (about a minute)...")
    trained = train_cleanup([str(p) for p in dailies[:2]], "demo", "quick", name="grain", input_space=CAMERA_SPACE,
                            seconds=60)
    print("training a tiny relight pack (about half a minute)...")
    relight = train_relight([str(p) for p in dailies[:2]], "demo", "tiny", name="key", input_space=CAMERA_SPACE,
                            steps=80, seconds=30)
    reference = graded_reference(dailies[1], work)

    app = application()
    window = MainWindow("demo", "colormatch", settings=QSettings(str(work / "panel.ini"), QSettings.IniFormat))
    window.resize(*SIZE)
    window.show()
    window.open_media([str(work / "dailies")])
    window.effect_panel.input_space.setCurrentText(CAMERA_SPACE)
    window.effect_panel.clips.setCurrentRow(1)
    window.effect_panel.form.set_values({"reference": str(reference), "strength": 1.0})
    window.viewer.set_mode("wipe")
    window.viewer.wipe = 0.45
    refreshed(app, window, "the colour match preview")
    save(window, "colormatch_wipe.png")
    window.viewer.set_mode("reference")
    wait_for(app, lambda: window.viewer._reference is not None, "the reference frame")
    save(window, "colormatch_reference.png")

    window.effect_panel.set_effect("cleanup")
    window.effect_panel.set_pack(str(trained.pack_path))
    window.effect_panel.clips.setCurrentRow(2)
    window.viewer.set_mode("split")
    refreshed(app, window, "the cleanup preview")
    window.viewer.set_zoom(1.0)
    save(window, "cleanup_split.png")
    window.viewer.set_mode("difference")
    window.viewer.set_zoom(None)
    save(window, "cleanup_difference.png")

    window.effect_panel.set_effect("relight")
    window.effect_panel.set_pack(str(relight.pack_path))
    window.effect_panel.clips.setCurrentRow(0)
    window.effect_panel.form.set_values({"light_x": 0.3, "light_y": 0.35, "light_radius": 0.35, "light_stops": 1.5,
                                         "light_kelvin": 3200.0, "temporal_radius": 0})
    window.viewer.set_mode("wipe")
    window.viewer.wipe = 0.15
    refreshed(app, window, "the relight preview")
    save(window, "relight.png")

    window.tabs.setCurrentIndex(1)
    window.library.refresh()
    window.library.select_pack(str(trained.pack_path))
    save(window, "library.png")

    window.tabs.setCurrentIndex(2)
    window.render_current()
    wait_for(app, lambda: window.render_queue.jobs[-1].state in ("done", "failed", "cancelled"), "the render")
    window.queue_view.table.selectRow(0)
    save(window, "queue.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
