"""A self-contained HTML report: sections of tables and before/after stills, written beside the outputs."""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import OpenImageIO as oiio

from ..color import preview_processor
from ..frames import open_media

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:4px 8px;
text-align:left}th{background:#2a2a2a}figure{display:inline-block;margin:0 1em 1em 0}img{max-width:480px;
border:1px solid #444}figcaption{color:#aaa}.ok{color:#7c7}.bad{color:#e77}"""


class Report:
    """Collects sections and writes ``report.html`` plus its stills under ``folder``."""

    def __init__(self, folder: str | os.PathLike, title: str):
        self.folder = Path(folder)
        self.title = title
        self._parts: list[str] = []
        (self.folder / "stills").mkdir(parents=True, exist_ok=True)

    def section(self, title: str, text: str = "") -> None:
        self._parts.append(f"<h2>{html.escape(title)}</h2>" + (f"<p>{html.escape(text)}</p>" if text else ""))

    def paragraph(self, text: str) -> None:
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        self._parts.append(f"<table><tr>{head}</tr>{body}</table>")

    def still(self, media: str, frame: int, space: str, caption: str, config: str | None = None) -> str:
        """Add one frame of ``media`` (in colour space ``space``) as a still viewed through the ACES SDR view."""
        with open_media(media) as reader:
            _, pixels = next(iter(reader.read([frame])))
        display = np.clip(preview_processor(space, config)(pixels), 0, 1)
        name = f"stills/{len(self._parts):03d}_{Path(media).stem.replace('%', '')}_{frame}.png"
        out = oiio.ImageBuf(np.ascontiguousarray((display * 255 + 0.5).astype(np.uint8)))
        out.write(str(self.folder / name))
        self._parts.append(f'<figure><img src="{name}" alt=""><figcaption>{html.escape(caption)}</figcaption></figure>')
        return str(self.folder / name)

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
                "</body></html>")
        path.write_text(page, encoding="utf-8")
        return path
