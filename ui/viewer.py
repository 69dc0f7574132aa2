"""The viewer: the current proxy frame before/after the effect, as a wipe, side by side, or as review images.

Modes (``Viewer.MODES``):

* ``after`` / ``before``: one picture;
* ``wipe``: before left of a vertical line, after right of it; drag the line;
* ``split``: before and after side by side, each showing the same part of the frame;
* ``reference``: the colour-match reference frame beside the shot after the effect;
* ``difference``: |after − before| amplified (``images.DIFFERENCE_GAIN``);
* ``mask``: the pixels the effect changed visibly (``images.MASK_THRESHOLD``), in red over the dimmed frame;
  cleanup's own ``review=mask`` output marks exactly the dust and dead pixels it repaired.

Zoom: fit (``zoom = None``) or a factor (1.0 = one proxy pixel per screen pixel, HiDPI aware); the wheel
zooms around the cursor, a drag pans. Screen handles (a light's position and radius) are drawn over the
picture and dragged; the viewer reports them in fractions of the frame (``handle_moved``, ``radius_moved``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .images import difference_image, mask_image, to_qimage

#: Pixels (on screen) within which a press grabs a handle, the radius ring or the wipe line.
GRAB_PX = 8.0
ZOOM_STEP = 1.25
ZOOM_RANGE = (1 / 16, 32.0)


@dataclass
class ScreenHandle:
    """A point dragged on the frame, with an optional radius.

    Attributes
    ----------
    prefix : str
        The parameter prefix (``light`` for ``light_x``/``light_y``).
    x, y : float
        Position in fractions of the frame's width and height from the top-left.
    radius : float or None
        Radius in fractions of the frame's width; None when the point has none.
    """

    prefix: str
    x: float
    y: float
    radius: float | None = None


class Viewer(QWidget):
    """Shows a ``PreviewFrame``'s before and after (see the module docstring)."""

    MODES = ("after", "before", "wipe", "split", "reference", "difference", "mask")
    handle_moved = Signal(str, float, float)
    radius_moved = Signal(str, float)
    mode_changed = Signal(str)
    zoom_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("viewer")
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mode = "wipe"
        self.wipe = 0.5
        self.zoom: float | None = None
        self.pan = QPointF(0.0, 0.0)
        self.handles: list[ScreenHandle] = []
        self._before: np.ndarray | None = None
        self._after: np.ndarray | None = None
        self._images: dict[str, QImage] = {}
        self._reference: QImage | None = None
        self._drag: tuple[str, object] | None = None
        self._last_pos = QPointF()

    # -- content ---------------------------------------------------------------------------------------------
    def set_frames(self, before: np.ndarray, after: np.ndarray) -> None:
        """New before/after pictures (float32 H×W×3 display sRGB 0..1), same size."""
        self._before, self._after = before, after
        self._images = {"before": to_qimage(before), "after": to_qimage(after)}
        self.update()

    def set_reference(self, reference: np.ndarray | None) -> None:
        """The colour-match reference frame (display sRGB 0..1), shown by the ``reference`` mode; None clears it."""
        self._reference = None if reference is None else to_qimage(reference)
        self.update()

    def image(self, name: str) -> QImage | None:
        """The picture a mode shows (``before``, ``after``, ``difference``, ``mask``), made when first asked."""
        if name not in self._images and self._before is not None:
            make = {"difference": difference_image, "mask": mask_image}[name]
            self._images[name] = to_qimage(make(self._before, self._after))
        return self._images.get(name)

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown viewer mode {mode!r}; one of {', '.join(self.MODES)}")
        if mode != self.mode:
            self.mode = mode
            self.mode_changed.emit(mode)
            self.update()

    def set_zoom(self, zoom: float | None) -> None:
        """``None`` fits the frame; a factor shows ``zoom`` screen pixels (device-independent) per proxy pixel."""
        self.zoom = None if zoom is None else min(max(zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        if zoom is None:
            self.pan = QPointF(0.0, 0.0)
        self.zoom_changed.emit(self.zoom)
        self.update()

    def show_region(self, x: float, y: float, zoom: float = 1.0) -> None:
        """Zoom to ``zoom`` (1.0: one proxy pixel per screen pixel) with the point at fractions ``x``, ``y`` of the
        frame in the middle of the viewer (first pane)."""
        self.set_zoom(zoom)
        rect = self.frame_rect(self._panes()[0])
        self.pan = QPointF((0.5 - x) * rect.width(), (0.5 - y) * rect.height())
        self.update()

    def set_handles(self, handles: list[ScreenHandle]) -> None:
        self.handles = handles
        self.update()

    # -- geometry --------------------------------------------------------------------------------------------
    def _frame_size(self) -> tuple[int, int]:
        image = self._images.get("after")
        return (image.width(), image.height()) if image is not None else (16, 9)

    def _panes(self) -> list[QRectF]:
        """The widget areas the picture(s) are drawn into: one, or two side by side."""
        full = QRectF(self.rect())
        if self.mode in ("split", "reference"):
            half = full.width() / 2
            return [QRectF(0, 0, half - 1, full.height()), QRectF(half + 1, 0, half - 1, full.height())]
        return [full]

    def scale(self) -> float:
        """Screen pixels (device-independent) per proxy pixel at the current zoom."""
        width, height = self._frame_size()
        pane = self._panes()[0]
        if self.zoom is None:
            return min(pane.width() / width, pane.height() / height)
        return self.zoom / self.devicePixelRatioF()

    def frame_rect(self, pane: QRectF) -> QRectF:
        """Where the frame lies in ``pane``: centred, scaled, panned."""
        width, height = self._frame_size()
        scale = self.scale()
        size_w, size_h = width * scale, height * scale
        return QRectF(pane.center().x() - size_w / 2 + self.pan.x(), pane.center().y() - size_h / 2 + self.pan.y(),
                      size_w, size_h)

    def to_frame(self, position: QPointF) -> tuple[float, float]:
        """A widget position as fractions of the frame (first pane)."""
        rect = self.frame_rect(self._panes()[0])
        return (position.x() - rect.left()) / rect.width(), (position.y() - rect.top()) / rect.height()

    def to_widget(self, x: float, y: float) -> QPointF:
        """Fractions of the frame as a widget position (first pane)."""
        rect = self.frame_rect(self._panes()[0])
        return QPointF(rect.left() + x * rect.width(), rect.top() + y * rect.height())

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.FIELD))
        if "after" not in self._images:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Open a clip (Ctrl+O) to see it here")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom is None or self.zoom < 1)
        panes = self._panes()
        if self.mode == "split":
            self._draw(painter, panes[0], self._images["before"], "before")
            self._draw(painter, panes[1], self._images["after"], "after")
        elif self.mode == "reference":
            self._draw(painter, panes[0], self._reference, "reference")
            self._draw(painter, panes[1], self._images["after"], "after")
        elif self.mode == "wipe":
            rect = self.frame_rect(panes[0])
            painter.drawImage(rect, self._images["after"])
            line_x = rect.left() + self.wipe * rect.width()
            painter.save()
            painter.setClipRect(QRectF(rect.left(), rect.top(), line_x - rect.left(), rect.height()))
            painter.drawImage(rect, self._images["before"])
            painter.restore()
            painter.setPen(QPen(QColor(theme.ACCENT), 2))
            painter.drawLine(QPointF(line_x, rect.top()), QPointF(line_x, rect.bottom()))
            self._label(painter, QPointF(line_x - 60, rect.top() + 18), "before")
            self._label(painter, QPointF(line_x + 10, rect.top() + 18), "after")
        else:
            self._draw(painter, panes[0], self.image(self.mode), self.mode)
        if self.mode not in ("split", "reference"):
            self._draw_handles(painter)

    def _draw(self, painter: QPainter, pane: QRectF, image: QImage | None, label: str) -> None:
        painter.save()
        painter.setClipRect(pane)
        if image is None:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(pane, Qt.AlignmentFlag.AlignCenter, f"no {label} frame")
        else:
            painter.drawImage(self.frame_rect(pane), image)
            self._label(painter, pane.topLeft() + QPointF(10, 18), label)
        painter.restore()

    @staticmethod
    def _label(painter: QPainter, where: QPointF, text: str) -> None:
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(where, text)

    def _draw_handles(self, painter: QPainter) -> None:
        rect = self.frame_rect(self._panes()[0])
        painter.setPen(QPen(QColor(theme.ACCENT), 2))
        for handle in self.handles:
            centre = self.to_widget(handle.x, handle.y)
            painter.drawEllipse(centre, 5, 5)
            if handle.radius is not None:
                ring = handle.radius * rect.width()
                painter.drawEllipse(centre, ring, ring)

    # -- interaction -----------------------------------------------------------------------------------------
    def _grab(self, position: QPointF) -> tuple[str, object] | None:
        rect = self.frame_rect(self._panes()[0])
        if self.mode not in ("split", "reference"):
            for handle in self.handles:
                centre = self.to_widget(handle.x, handle.y)
                distance = np.hypot(position.x() - centre.x(), position.y() - centre.y())
                if distance <= GRAB_PX:
                    return "handle", handle
                if handle.radius is not None and abs(distance - handle.radius * rect.width()) <= GRAB_PX:
                    return "radius", handle
        if self.mode == "wipe" and abs(position.x() - (rect.left() + self.wipe * rect.width())) <= GRAB_PX:
            return "wipe", None
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        self._drag = self._grab(position) or ("pan", None)
        self._last_pos = position

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._drag is None:
            grabbed = self._grab(position)
            self.setCursor(Qt.CursorShape.SizeHorCursor if grabbed and grabbed[0] == "wipe" else
                           Qt.CursorShape.PointingHandCursor if grabbed else Qt.CursorShape.ArrowCursor)
            return
        kind, handle = self._drag
        x, y = self.to_frame(position)
        if kind == "handle":
            handle.x, handle.y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
            self.handle_moved.emit(handle.prefix, handle.x, handle.y)
        elif kind == "radius":
            centre = self.to_widget(handle.x, handle.y)
            width = self.frame_rect(self._panes()[0]).width()
            handle.radius = float(np.hypot(position.x() - centre.x(), position.y() - centre.y()) / width)
            self.radius_moved.emit(handle.prefix, handle.radius)
        elif kind == "wipe":
            self.wipe = min(max(x, 0.0), 1.0)
        else:
            if self.zoom is None:
                self.zoom = self.scale() * self.devicePixelRatioF()
            self.pan += position - self._last_pos
        self._last_pos = position
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        anchor = self.to_frame(event.position())
        current = self.zoom if self.zoom is not None else self.scale() * self.devicePixelRatioF()
        self.set_zoom(current * ZOOM_STEP ** steps)
        moved = self.to_widget(*anchor)
        self.pan += event.position() - moved
        self.update()
