"""Graphics items of the plot views: all ellipses as one item, handles, and an editing ViewBox.

Items never reach into the window: a handle reports drags and clicks through the callables its
view gave it, the ViewBox reports clicks on empty space the same way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent, MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen

__all__ = ["EditViewBox", "EllipseSetItem", "EllipseShape", "HandleItem", "report_exceptions"]

_F = TypeVar("_F", bound=Callable[..., object])


def report_exceptions(method: _F) -> _F:
    """Hand an exception raised in a Qt virtual (``paint``) to ``sys.excepthook``.

    An exception escaping ``paint`` can take the process down inside Qt; reported this way it
    is printed (and fails the test under pytest-qt) while the application keeps running.
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception:
            sys.excepthook(*sys.exc_info())
            return None

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class EllipseShape:
    """The outlines of one component, innermost first.

    Attributes
    ----------
    outlines : tuple of arrays of shape (n_points, 2)
        Closed outlines (e.g. the 1- and 2-sigma ellipses), in data coordinates.
    color : QColor
        The component's colour.
    selected : bool
        Drawn with a thicker outline.
    """

    outlines: tuple[np.ndarray, ...]
    color: QColor
    selected: bool = False


def _path(outline: np.ndarray) -> QPainterPath:
    # The outline repeats its first vertex last, so the path is closed without closeSubpath()
    # (whose "Z" pyqtgraph's SVG exporter cannot parse).
    outline = np.asarray(outline, dtype=np.float64)
    return pg.arrayToQPath(outline[:, 0], outline[:, 1], connect="all")


class EllipseSetItem(pg.GraphicsObject):
    """Every component's sigma ellipses as one item, either filled or outlined.

    Two instances are used: the fills below the points, the outlines above them.

    Parameters
    ----------
    mode : {"fill", "outline"}
    fill_alpha : sequence of int
        Fill opacity (0-255) per outline, innermost first (mode "fill").
    """

    def __init__(self, mode: str = "outline", fill_alpha: Sequence[int] = (46, 22)) -> None:
        super().__init__()
        if mode not in ("fill", "outline"):
            raise ValueError(f"mode must be 'fill' or 'outline', got {mode!r}")
        self._mode = mode
        self._fill_alpha = tuple(fill_alpha)
        #: The outlines' widths are multiplied by this (presentation mode: thicker).
        self.line_scale = 1.0
        self._shapes: list[EllipseShape] = []
        self._paths: list[list[QPainterPath]] = []
        self._rect = QRectF()

    def set_shapes(self, shapes: Sequence[EllipseShape]) -> None:
        """Replace all components' outlines."""
        self.prepareGeometryChange()
        self._shapes = list(shapes)
        self._paths = [[_path(o) for o in s.outlines] for s in self._shapes]
        rect = QRectF()
        for paths in self._paths:
            for path in paths:
                rect = rect.united(path.boundingRect())
        self._rect = rect
        self.update()

    @property
    def shapes(self) -> list[EllipseShape]:
        """The components' outlines as last set."""
        return list(self._shapes)

    def boundingRect(self) -> QRectF:
        """All outlines, padded by a few pixels for the pen."""
        if self._rect.isNull():
            return QRectF()
        px, py = self.pixelVectors()
        padx = 0.0 if px is None else 4 * px.length()
        pady = 0.0 if py is None else 4 * py.length()
        return self._rect.adjusted(-padx, -pady, padx, pady)

    def viewTransformChanged(self) -> None:
        """The pixel padding of the bounding rect changes with the zoom."""
        self.prepareGeometryChange()
        super().viewTransformChanged()

    @report_exceptions
    def paint(self, p: QPainter, *args) -> None:
        """Fill or outline every component's ellipses."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # cosmetic widths are device pixels: keep the lines as bold on HiDPI screens and in
        # the 2x PNG export
        device = p.device()
        dpr = float(device.devicePixelRatioF()) if device is not None else 1.0
        for shape, paths in zip(self._shapes, self._paths, strict=True):
            if self._mode == "fill":
                # No antialiasing for the fills: the outlines drawn over them hide the edge,
                # and filling large translucent areas is several times faster without it.
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                p.setPen(Qt.PenStyle.NoPen)
                for i, path in enumerate(paths):
                    c = QColor(shape.color)
                    c.setAlpha(self._fill_alpha[min(i, len(self._fill_alpha) - 1)])
                    p.setBrush(QBrush(c))
                    p.drawPath(path)
            else:
                p.setBrush(Qt.BrushStyle.NoBrush)
                scale = dpr * self.line_scale
                for i, path in enumerate(paths):
                    pen = QPen(shape.color)
                    pen.setCosmetic(True)
                    if i == 0:
                        pen.setWidthF(scale * (3.2 if shape.selected else 2.0))
                    else:
                        pen.setWidthF(scale * (1.6 if shape.selected else 1.3))
                        pen.setStyle(Qt.PenStyle.DashLine)
                    p.setPen(pen)
                    p.drawPath(path)


DragCallback = Callable[["HandleItem", QPointF, str], None]
ClickCallback = Callable[["HandleItem", Qt.MouseButton], None]


class HandleItem(pg.GraphicsObject):
    """A small marker the user drags: a component's mean (disc) or a shape handle (square).

    The handle keeps its size in pixels under zoom. Its position is in the parent's (data)
    coordinates.

    Parameters
    ----------
    k : int
        Component index.
    role : str
        What dragging does, e.g. ``"mean"``, ``"axis0"``, ``"axis1"``, ``"width-"``.
    color : QColor
        The component's colour.
    on_drag : callable (handle, scene_pos, stage)
        Called with stage ``"start"``, ``"move"`` or ``"finish"``.
    on_click : callable (handle, button)
    size : float
        Diameter or side in pixels.
    """

    def __init__(
        self,
        k: int,
        role: str,
        color: QColor,
        on_drag: DragCallback,
        on_click: ClickCallback,
        size: float | None = None,
    ) -> None:
        super().__init__()
        self.k = k
        self.role = role
        self._color = QColor(color)
        self._disc = role == "mean"
        self._size = size if size is not None else (14.0 if self._disc else 9.0)
        self._on_drag = on_drag
        self._on_click = on_click
        self._hover = False
        self._draggable = True
        self._selected = False
        self.setFlag(self.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptHoverEvents(True)
        self.setZValue(30 if self._disc else 25)
        self._update_cursor()

    def set_draggable(self, draggable: bool) -> None:
        """Allow or forbid dragging (a mean stays clickable to select its component)."""
        if bool(draggable) != self._draggable:
            self._draggable = bool(draggable)
            self._update_cursor()

    def set_selected(self, selected: bool) -> None:
        """Draw the handle highlighted."""
        if selected != self._selected:
            self._selected = selected
            self.update()

    def _update_cursor(self) -> None:
        if not self._draggable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        elif self._disc:
            self.setCursor(Qt.CursorShape.SizeAllCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    def _radius(self) -> float:
        r = self._size / 2
        return r + 1.5 if (self._hover or self._selected) else r

    def boundingRect(self) -> QRectF:
        """In pixels around the handle's position."""
        r = self._size / 2 + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        """The grab area: a little larger than the drawn marker."""
        path = QPainterPath()
        r = self._size / 2 + 3
        path.addEllipse(QPointF(0, 0), r, r)
        return path

    @report_exceptions
    def paint(self, p: QPainter, *args) -> None:
        """A disc with a white ring (mean) or a white square with a coloured rim."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = self._radius()
        if self._disc:
            p.setPen(QPen(QColor(30, 30, 30), 1.2))
            p.setBrush(QBrush(QColor(255, 255, 255)))
            p.drawEllipse(QPointF(0, 0), r + 1.5, r + 1.5)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QBrush(self._color))
            p.drawEllipse(QPointF(0, 0), r - 1.0, r - 1.0)
        else:
            pen = QPen(self._color.darker(130), 2.0)
            p.setPen(pen)
            p.setBrush(QBrush(QColor(255, 255, 255)))
            p.drawRect(QRectF(-r, -r, 2 * r, 2 * r))

    # ------------------------------------------------------------------ events
    def hoverEvent(self, ev: HoverEvent) -> None:
        """Claim drags and clicks under the mouse, so the ViewBox does not pan instead."""
        if ev.isExit():
            hover = False
        else:
            hover = True
            if self._draggable:
                ev.acceptDrags(Qt.MouseButton.LeftButton)
            ev.acceptClicks(Qt.MouseButton.LeftButton)
            ev.acceptClicks(Qt.MouseButton.RightButton)
        if hover != self._hover:
            self.prepareGeometryChange()
            self._hover = hover
            self.update()

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:
        """Report the drag to the view (start, every move, finish)."""
        if ev.button() != Qt.MouseButton.LeftButton or not self._draggable:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self._on_drag(self, ev.buttonDownScenePos(), "start")
        self._on_drag(self, ev.scenePos(), "finish" if ev.isFinish() else "move")

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        """Report left and right clicks to the view."""
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            ev.accept()
            self._on_click(self, ev.button())
        else:
            ev.ignore()


class EditViewBox(pg.ViewBox):
    """A ViewBox that reports left clicks on empty space (to add a component there).

    Its context menu is off: right-clicks belong to the handles. Panning and zooming with the
    mouse work as usual.

    Parameters
    ----------
    on_click : callable (view_pos: QPointF) -> None
        Called with the clicked position in data coordinates.
    """

    def __init__(self, on_click: Callable[[QPointF], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_empty_click = on_click
        self.setMenuEnabled(False)
        # No border path: there is nothing to draw (the frame is the axes), and pyqtgraph's
        # SVG exporter cannot parse the closing "Z" Qt writes for it.
        self.border = None

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        """Left single click: report it; anything else: the ViewBox's default."""
        if ev.button() == Qt.MouseButton.LeftButton and not ev.double():
            ev.accept()
            self._on_empty_click(self.mapSceneToView(ev.scenePos()))
        elif ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
        else:
            super().mouseClickEvent(ev)
