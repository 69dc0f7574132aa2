"""A self-contained HTML report: sections of tables, stills and before/after comparisons, written beside the outputs.

``comparison`` is how cleanup and relight are judged: the whole frame as an interactive wipe (drag the slider:
before left of the line, after right), at its own resolution, and 1:1 crops of the part of the frame with the
most detail (``render.detail.busiest_region``): before, after and their difference amplified. Pictures go
through the source's display and view (``color.display.preview_processor``).
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import OpenImageIO as oiio

from ..color import preview_processor
from ..frames import open_media
from ..render.detail import busiest_region

#: Side of the 1:1 crops, in pixels of the frame.
CROP_PX = 256
#: Gain applied to |after − before| in the difference crop (display code values), as the panel's viewer does.
DIFFERENCE_GAIN = 8.0

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:4px 8px;
text-align:left}th{background:#2a2a2a}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
img{max-width:480px;border:1px solid #444}figcaption{color:#aaa}.ok{color:#7c7}.bad{color:#e77}
img.crop{max-width:none;image-rendering:pixelated}.wipe{position:relative;display:inline-block;max-width:100%}
.wipe img{display:block;max-width:100%;border:0}.wipe .after{position:absolute;top:0;left:0;clip-path:inset(0 0 0 50%)}
.wipe input{width:100%}"""
_WIPE_SCRIPT = """<script>for(const w of document.querySelectorAll('.wipe')){const a=w.querySelector('.after');
w.querySelector('input').addEventListener('input',e=>{a.style.clipPath='inset(0 0 0 '+e.target.value+'%)'});}</script>"""


def _frame(media: str, frame: int) -> np.ndarray:
    with open_media(media) as reader:
        _, pixels = next(iter(reader.read([frame])))
    return pixels


class Report:
    """Collects sections and writes ``report.html`` plus its stills under ``folder``."""

    def __init__(self, folder: str | os.PathLike, title: str):
        self.folder = Path(folder)
        self.title = title
        self._parts: list[str] = []
        self._has_wipe = False
        (self.folder / "stills").mkdir(parents=True, exist_ok=True)

    def section(self, title: str, text: str = "") -> None:
        self._parts.append(f"<h2>{html.escape(title)}</h2>" + (f"<p>{html.escape(text)}</p>" if text else ""))

    def paragraph(self, text: str) -> None:
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        self._parts.append(f"<table><tr>{head}</tr>{body}</table>")

    def _save(self, display: np.ndarray, label: str) -> str:
        """Display code values 0..1 as an 8-bit PNG under ``stills/``; its path relative to the report."""
        name = f"stills/{len(self._parts):03d}_{label}.png"
        out = oiio.ImageBuf(np.ascontiguousarray((np.clip(display, 0, 1) * 255 + 0.5).astype(np.uint8)))
        out.write(str(self.folder / name))
        return name

    def still(self, media: str, frame: int, space: str, caption: str, config: str | None = None) -> str:
        """Add one frame of ``media`` (in colour space ``space``) as a still through its display and view."""
        display = preview_processor(space, config)(_frame(media, frame))
        name = self._save(display, f"{Path(media).stem.replace('%', '')}_{frame}")
        self._parts.append(f'<figure><img src="{name}" alt=""><figcaption>{html.escape(caption)}</figcaption></figure>')
        return str(self.folder / name)

    def comparison(self, before: str, after: str, frame: int, space: str, caption: str,
                   config: str | None = None, crop_px: int = CROP_PX) -> dict[str, str]:
        """Add frame ``frame`` of ``before`` and ``after`` (both in ``space``) as a wipe and 1:1 crops.

        Returns
        -------
        dict
            Paths of the written images: ``before``, ``after`` (whole frames) and ``before_crop``,
            ``after_crop``, ``difference_crop``.
        """
        display = preview_processor(space, config)
        shown = {"before": display(_frame(before, frame)), "after": display(_frame(after, frame))}
        height, width = shown["before"].shape[:2]
        side = min(crop_px, height, width)
        x, y = busiest_region(shown["before"], side)
        left = min(max(round(x * width) - side // 2, 0), width - side)
        top = min(max(round(y * height) - side // 2, 0), height - side)
        crops = {f"{k}_crop": v[top:top + side, left:left + side] for k, v in shown.items()}
        crops["difference_crop"] = np.abs(crops["after_crop"] - crops["before_crop"]) * DIFFERENCE_GAIN
        stem = Path(after).stem.replace("%", "")
        names = {key: self._save(pixels, f"{stem}_{frame}_{key}") for key, pixels in {**shown, **crops}.items()}
        self._has_wipe = True
        text = html.escape(caption)
        self._parts.append(
            f'<figure><div class="wipe"><img src="{names["before"]}" alt="before">'
            f'<img class="after" src="{names["after"]}" alt="after"><input type="range" min="0" max="100" value="50" '
            f'aria-label="wipe"></div><figcaption>{text}: drag the slider (before left of the line, after right), '
            f'{width}x{height}</figcaption></figure><br>')
        for key, label in (("before_crop", "before"), ("after_crop", "after"),
                           ("difference_crop", f"difference ×{DIFFERENCE_GAIN:g}")):
            self._parts.append(f'<figure><img class="crop" src="{names[key]}" alt="" width="{side}" height="{side}">'
                               f'<figcaption>1:1 {label}, x {left}..{left + side}, y {top}..{top + side}'
                               f'</figcaption></figure>')
        return {key: str(self.folder / name) for key, name in names.items()}

    def image(self, path: str | os.PathLike, caption: str) -> None:
        """Add an image already written under the report's folder (shown by its relative path)."""
        relative = Path(os.path.relpath(path, self.folder)).as_posix()
        self._parts.append(f'<figure><img src="{html.escape(relative)}" alt=""><figcaption>{html.escape(caption)}'
                           "</figcaption></figure>")

    def link(self, path: str | os.PathLike, text: str) -> None:
        """Add a paragraph linking to a page under the report's folder."""
        relative = Path(os.path.relpath(path, self.folder)).as_posix()
        self._parts.append(f'<p><a href="{html.escape(relative)}">{html.escape(text)}</a></p>')

    def write(self) -> Path:
        path = self.folder / "report.html"
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{_STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self._parts)}"
                f"{_WIPE_SCRIPT if self._has_wipe else ''}</body></html>")
        path.write_text(page, encoding="utf-8")
        return path
