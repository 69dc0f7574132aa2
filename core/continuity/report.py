"""The continuity reports a person reads: ``report.html`` (every scene at a glance, the thresholds and where they
come from) and one ``scene_<name>.html`` per scene.

Per compared pair: both key frames (display-referred through the ACES SDR view, baked: ``DisplayLut``), the regions
at fault outlined on the first (colour per measure), a wipe between the first and the second registered onto it
(drag the slider), the difference image (stops, brighter = more different) with the changed regions outlined, every
measure's figure with its unit, threshold and score, the source timecodes of both frames and the record timecodes of
both shots, and the colour fix written for the scene. Images are JPEG files beside the pages in ``images/``; the
pages need no server and no script beyond the wipe's one line."""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import cv2
import numpy as np

from ..atomic import write_atomically
from ..render.display_lut import DisplayLut
from .colorimetry import LINEAR_SPACE
from .measures import MEASURES, spec_of

if TYPE_CHECKING:
    from .check import ContinuityResult, PairResult, SceneResult
    from .shot_frames import ShotFrames
    from .thresholds import Thresholds

#: Outline colours (RGB) per measure.
OUTLINE = {"exposure": (255, 200, 0), "white_balance": (0, 200, 255), "black_level": (160, 160, 160),
           "white_level": (230, 230, 230), "noise": (180, 120, 255), "focus": (255, 120, 200),
           "practical": (255, 255, 80), "content": (255, 60, 60), "wardrobe": (60, 255, 120)}
_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em}h1,h2,h3{font-weight:500}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #444;padding:3px 7px;text-align:left;
vertical-align:top}th{background:#2a2a2a}.flag{color:#f77;font-weight:600}.ok{color:#7c7}.muted{color:#888}
figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}figcaption{color:#aaa}img{border:1px solid #444}
.wipe{position:relative;display:inline-block;line-height:0}.wipe .top{position:absolute;top:0;left:0;height:100%;
overflow:hidden;border-right:2px solid #fc0}.wipe .top img{max-width:none}.wipe input{width:100%}
a{color:#8cf}section{border-top:1px solid #333;padding-top:1em;margin-top:1em}"""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<table><tr>{head}</tr>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                              for row in rows) + "</table>"


def safe_name(text: str) -> str:
    """A file-name-safe version of a scene or shot name."""
    return _UNSAFE.sub("_", text).strip("_")[:60] or "scene"


class Images:
    """Writes display-referred JPEGs of scene-linear proxies under ``folder/images``."""

    def __init__(self, folder: Path):
        self.pages = folder
        self.folder = folder / "images"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._display = DisplayLut(LINEAR_SPACE, threads=1)

    def display(self, frame_linear: np.ndarray) -> np.ndarray:
        return (self._display(np.ascontiguousarray(frame_linear, np.float32)) * 255 + 0.5).astype(np.uint8)

    def write(self, name: str, rgb8: np.ndarray) -> str:
        cv2.imwrite(str(self.folder / name), np.ascontiguousarray(rgb8[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 88])
        return f"images/{name}"


def _outline(image: np.ndarray, box: tuple[float, float, float, float], colour: tuple[int, int, int],
             label: str) -> None:
    height, width = image.shape[:2]
    x, y, w, h = box
    top_left = (int(x * width), int(y * height))
    bottom_right = (int((x + w) * width), int((y + h) * height))
    cv2.rectangle(image, top_left, bottom_right, colour, 2)
    cv2.putText(image, label, (top_left[0] + 3, max(12, top_left[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1,
                cv2.LINE_AA)


def _difference_image(result: "PairResult") -> np.ndarray | None:
    analysis = result.analysis
    if analysis.difference is None:
        return None
    heat = cv2.applyColorMap((np.clip(analysis.difference / 2.0, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
    heat = np.ascontiguousarray(heat[..., ::-1])
    if analysis.people is not None:
        heat[analysis.people] = (heat[analysis.people] * 0.5 + np.array([0, 60, 90]) * 0.5).astype(np.uint8)
    height, width = heat.shape[:2]
    for region in analysis.regions:
        x, y, w, h = region.box
        colour = OUTLINE["content"] if region.kind in ("moved", "appeared", "disappeared") else (120, 120, 120)
        _outline(heat, (x / width, y / height, w / width, h / height), colour, region.kind)
    return heat


def _pair_section(result: "PairResult", index: int, frames: Mapping[int, "ShotFrames"], thresholds: "Thresholds",
                  images: Images, stem: str) -> str:
    pair = result.pair
    first_frames, second_frames = frames[pair.first.index], frames[pair.second.index]
    first_key, second_key = pair.keys
    first = images.display(first_frames.frames[first_key])
    for name in result.flags:
        measurement = result.analysis.measurements[name]
        if measurement.box is not None:
            _outline(first, measurement.box, OUTLINE[name], spec_of(name).label)
    second = images.display(second_frames.frames[second_key])
    figures = [f'<figure><img src="{images.write(f"{stem}_{index}_first.jpg", first)}" width="427">'
               f"<figcaption>{html.escape(pair.first.label)}, frame {first_frames.numbers[first_key]}"
               "</figcaption></figure>",
               f'<figure><img src="{images.write(f"{stem}_{index}_second.jpg", second)}" '
               f'width="427"><figcaption>{html.escape(pair.second.label)}, frame {second_frames.numbers[second_key]}'
               "</figcaption></figure>"]
    registered = result.analysis.registered
    if registered is not None:
        under = images.write(f"{stem}_{index}_wipe_a.jpg", images.display(first_frames.frames[first_key]))
        over = images.write(f"{stem}_{index}_wipe_b.jpg", images.display(registered.warped))
        width = first.shape[1]
        figures.append(f'<figure><div class="wipe"><img src="{under}" width="{width}">'
                       f'<div class="top" style="width:50%"><img src="{over}" width="{width}"></div></div><br>'
                       '<input type="range" min="0" max="100" value="50" '
                       "oninput=\"this.parentNode.querySelector('.top').style.width=this.value+'%'\">"
                       "<figcaption>wipe: left of the line the second shot, registered onto the first</figcaption>"
                       "</figure>")
    difference = _difference_image(result)
    if difference is not None:
        figures.append(f'<figure><img src="{images.write(f"{stem}_{index}_difference.jpg", difference)}" width="427">'
                       "<figcaption>difference (stops, 2 stops = white); people tinted, not counted"
                       "</figcaption></figure>")
    rows = []
    for spec in MEASURES:
        measurement = result.analysis.measurements[spec.name]
        score = result.scores[spec.name]
        flagged = spec.name in result.flags
        value = "—" if measurement.value is None else f"{measurement.value:+.3f} {html.escape(spec.unit)}"
        rows.append([f'<span class="{"flag" if flagged else ""}">{html.escape(spec.label)}</span>', value,
                     f"{thresholds.thresholds[spec.name]:.3g} {html.escape(spec.unit)}",
                     "—" if not np.isfinite(score) else f"{score:.2f}",
                     '<span class="flag">flag</span>' if flagged else ('<span class="ok">ok</span>'
                                                                       if np.isfinite(score) else ""),
                     html.escape(measurement.detail or measurement.why_not)])
    timecodes = _table(["", "shot", "source frame", "source timecode", "record timecode"], [
        [label, html.escape(shot.label), str(frames.numbers[key]), html.escape(frames.timecode_of(key) or "—"),
         html.escape(shot.record_timecode or "—")]
        for label, shot, frames, key in (("first", pair.first, first_frames, first_key),
                                         ("second", pair.second, second_frames, second_key))])
    verdict = (f'<span class="flag">{html.escape(", ".join(spec_of(n).label for n in result.flags))}</span>'
               if result.flags else '<span class="ok">no continuity flag</span>')
    return (f"<section><h3>{html.escape(pair.first.name)} → {html.escape(pair.second.name)} "
            f"<span class='muted'>({'cut' if pair.kind == 'cut' else 'same set-up'})</span>: {verdict}</h3>"
            f"{timecodes}{''.join(figures)}"
            + _table(["measure", "value", "threshold", "score", "", "detail"], rows) + "</section>")


def _fixes_table(scene: "SceneResult") -> str:
    if not scene.fixes:
        return ""
    rows = [[html.escape(f.plan.shot.name), html.escape(f.plan.reference.name), html.escape(", ".join(f.plan.measures)),
             f"{f.before_de00:.2f}", f"{f.after_de00:.2f}", html.escape(str(f.cube)), html.escape(f.space)]
            for f in scene.fixes]
    return ("<h2>Colour fixes</h2><p>One global colour transform per shot at fault, matching it to the shot named; "
            "content is not touched. Apply the <code>.cube</code> on the clip (in Resolve: answerprint › Continuity "
            "fix colour).</p>" + _table(["shot", "matched to", "removes", "mean ΔE00 before", "after", ".cube",
                                         "colour space"], rows))


def write_scene_report(scene: "SceneResult", frames: Mapping[int, "ShotFrames"], thresholds: "Thresholds",
                       images: Images) -> Path:
    """Write ``scene_<name>.html`` and its images beside ``images``; returns its path."""
    stem = f"scene_{safe_name(scene.scene.name)}"
    notes = []
    if scene.scene.note:
        notes.append(scene.scene.note)
    notes += [f"offline: {shot.name}: {shot.offline}" for shot in scene.scene.offline]
    notes += [f"unreadable: {name}: {why}" for name, why in scene.unreadable.items()]
    body = ("".join(f"<p class='muted'>{html.escape(n)}</p>" for n in notes)
            + f"<p>Thresholds: {html.escape(thresholds.source)}.</p>" + _fixes_table(scene)
            + "".join(_pair_section(p, i, frames, thresholds, images, stem) for i, p in enumerate(scene.pairs)))
    path = images.pages / f"{stem}.html"
    write_atomically(path, _page(f"Continuity — scene {scene.scene.name}", body))
    return path


def _thresholds_table(continuity: "ContinuityResult") -> str:
    thresholds = continuity.thresholds
    rows = []
    for spec in MEASURES:
        observed = thresholds.observed.get(spec.name, {})
        seen = (f"{observed['p95']:.3g} (p95 over {observed['pairs']} pairs)" if observed.get("pairs")
                else "—")
        rows.append([html.escape(spec.label), f"{thresholds.thresholds[spec.name]:.3g} {html.escape(spec.unit)}",
                     seen, f"{spec.floor:g}", html.escape(spec.description)])
    return (f"<h2>Thresholds</h2><p>{html.escape(thresholds.source)}. A pair is flagged for a measure when the "
            "difference exceeds its threshold (the production's normal take-to-take variation × "
            f"{thresholds.calibration.get('margin', '—')}, never under the floor).</p>"
            + _table(["measure", "threshold", "take-to-take variation", "floor", "how it is measured"], rows))


def write_index(continuity: "ContinuityResult", title: str = "continuity") -> Path:
    """Write ``report.html`` (every scene, the thresholds) into ``continuity.out_dir``; returns its path."""
    rows = []
    for scene in continuity.scenes:
        flagged = [p for p in scene.pairs if p.flags]
        name = html.escape(scene.scene.name)
        rows.append([f'<a href="{scene.report.name}">{name}</a>' if scene.report else name,
                     str(len(scene.scene.shots)), str(len(scene.pairs)),
                     f'<span class="{"flag" if flagged else "ok"}">{len(flagged)}</span>',
                     html.escape(", ".join(sorted({f for p in flagged for f in p.flags}))),
                     str(len(scene.fixes)), html.escape(scene.scene.note)])
    body = (_table(["scene", "shots", "pairs compared", "pairs flagged", "flags", "colour fixes", "note"], rows)
            + _thresholds_table(continuity))
    if continuity.loose:
        body += ("<h2>Shots in no scene</h2><p>" + ", ".join(html.escape(s.name) for s in continuity.loose) + "</p>")
    return write_atomically(continuity.out_dir / "report.html", _page(f"Continuity report — {title}", body))
