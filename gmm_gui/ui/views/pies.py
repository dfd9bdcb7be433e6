"""Points drawn as small pies of their responsibilities, as the lecture notes draw them.

Each point becomes a disc cut into one slice per Gaussian, the slice of Gaussian ``k`` a
fraction ``resp[i, k]`` of the turn, in that Gaussian's colour, clockwise from twelve o'clock in
the order of the Gaussians. The fractions are rounded to :data:`PIE_STEPS` steps of the turn
(5 degrees; largest remainders, so they still add up to one turn): points whose rounded mix is
the same share one pixmap, drawn once (:class:`PieMarkersItem` keeps them), so a repaint is one
``drawPixmap`` per point. Pies are drawn for up to :data:`PIE_MAX_POINTS` points; beyond, a
pie would be too small to read and too many to draw smoothly.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap

from gmm_gui.ui.views.items import report_exceptions
from gmm_gui.ui.views.raster import RIM_RGB

__all__ = ["PIE_MAX_POINTS", "PIE_STEPS", "PieMarkersItem", "pie_counts", "pie_spans"]

#: A pie's slices are whole multiples of one turn / PIE_STEPS (5 degrees).
PIE_STEPS = 72
#: Pies are drawn for data sets of at most this many points.
PIE_MAX_POINTS = 5_000
#: Pixmaps kept (distinct rounded mixes, sizes and palettes).
_CACHE_SIZE = 4_096


def pie_counts(resp: np.ndarray, steps: int = PIE_STEPS) -> np.ndarray:
    """Each point's responsibilities in whole steps of the turn, adding up to ``steps``.

    Largest-remainder rounding: every count is ``floor(resp * steps)`` or one more, so a slice
    differs from its responsibility by less than one step.

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
        Rows add up to one.
    steps : int

    Returns
    -------
    counts : int array of shape (n_samples, n_components)
        Rows add up to ``steps``.
    """
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 2:
        raise ValueError(f"responsibilities must have shape (n, K), got {resp.shape}")
    scaled = np.clip(np.nan_to_num(resp, nan=0.0), 0.0, None)
    total = scaled.sum(axis=1, keepdims=True)
    even = np.full_like(scaled, 1.0 / max(1, resp.shape[1]))
    scaled = np.divide(scaled, total, out=even, where=total > 0) * steps
    counts = np.floor(scaled).astype(np.int64)
    short = steps - counts.sum(axis=1)
    if np.any(short > 0):
        remainder = scaled - counts
        order = np.argsort(-remainder, axis=1, kind="stable")
        ranks = np.empty_like(order)
        rows = np.arange(len(order))[:, None]
        ranks[rows, order] = np.arange(order.shape[1])[None, :]
        counts += ranks < short[:, None]
    return counts


def pie_spans(counts: np.ndarray, steps: int = PIE_STEPS) -> list[tuple[int, int, int]]:
    """The slices of one pie as ``(component, start, span)`` in Qt's 1/16 degree.

    Clockwise from twelve o'clock (Qt's angles run anticlockwise from three o'clock, so the
    spans are negative); components with no step are left out.

    Parameters
    ----------
    counts : int array of shape (n_components,)
        One row of :func:`pie_counts`.
    """
    out = []
    at = 0
    full = 360 * 16
    for k, c in enumerate(np.asarray(counts, dtype=np.int64)):
        if c <= 0:
            continue
        start = 90 * 16 - round(full * at / steps)
        end = 90 * 16 - round(full * (at + c) / steps)
        out.append((k, start, end - start))
        at += int(c)
    return out


class PieMarkersItem(pg.GraphicsObject):
    """One pie per point, over the point cloud (positions in the parent's data coordinates).

    Parameters
    ----------
    radius : float
        A pie's radius in logical pixels.
    """

    def __init__(self, radius: float = 6.0, parent: pg.GraphicsObject | None = None) -> None:
        super().__init__(parent)
        self._xy = np.empty((0, 2))
        self._counts = np.empty((0, 0), dtype=np.int64)
        self._colors = np.empty((0, 3), dtype=np.uint8)
        self._radius = float(radius)
        self._rim = 1.0
        self._keys: np.ndarray = np.empty(0, dtype=np.int64)
        self._unique: np.ndarray = np.empty((0, 0), dtype=np.int64)
        self._pixmaps: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._bounds: tuple[float, float, float, float] | None = None

    # ------------------------------------------------------------------ data
    def set_pies(self, xy: np.ndarray, resp: np.ndarray | None, colors: np.ndarray) -> None:
        """Show a pie of ``resp`` at each of ``xy``; ``resp=None`` shows none.

        Parameters
        ----------
        xy : array of shape (n_samples, 2)
        resp : array of shape (n_samples, n_components) or None
        colors : uint8 array of shape (n_components, 3)
            The components' colours (sRGB).
        """
        self.prepareGeometryChange()
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if resp is None or len(xy) == 0:
            self._xy = np.empty((0, 2))
            self._counts = np.empty((0, 0), dtype=np.int64)
            self._bounds = None
        else:
            resp = np.asarray(resp, dtype=float)
            if resp.shape[0] != len(xy):
                raise ValueError(f"{resp.shape[0]} responsibilities for {len(xy)} positions")
            self._xy = xy
            self._counts = pie_counts(resp)
            self._unique, self._keys = np.unique(self._counts, axis=0, return_inverse=True)
            self._keys = self._keys.reshape(-1)
            lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
            self._bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        self._colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        self.update()

    def set_radius(self, radius: float, rim: float | None = None) -> None:
        """A pie's radius (and rim width) in logical pixels."""
        self.prepareGeometryChange()
        self._radius = float(radius)
        if rim is not None:
            self._rim = float(rim)
        self.update()

    @property
    def radius(self) -> float:
        """A pie's radius in logical pixels."""
        return self._radius

    @property
    def count(self) -> int:
        """Number of pies shown."""
        return len(self._xy)

    def portions(self, index: int) -> np.ndarray:
        """The fraction of the turn each Gaussian's slice of pie ``index`` takes, shape
        (n_components,)."""
        return self._counts[index] / PIE_STEPS

    def pixmap_count(self) -> int:
        """Distinct pies drawn so far (pixmaps kept)."""
        return len(self._pixmaps)

    # ------------------------------------------------------------------ drawing
    def pie_pixmap(self, counts: np.ndarray, dpr: float = 1.0) -> QPixmap:
        """The pixmap of one pie (kept for the next point with the same rounded mix)."""
        key = (
            tuple(int(c) for c in counts),
            self._colors.tobytes(),
            self._radius,
            self._rim,
            dpr,
        )
        pix = self._pixmaps.get(key)
        if pix is not None:
            self._pixmaps.move_to_end(key)
            return pix
        side = 2 * math.ceil(self._radius + self._rim)
        pix = QPixmap(max(1, round(side * dpr)), max(1, round(side * dpr)))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        c = side / 2
        rect = QRectF(c - self._radius, c - self._radius, 2 * self._radius, 2 * self._radius)
        p.setPen(Qt.PenStyle.NoPen)
        for k, start, span in pie_spans(counts):
            rgb = self._colors[k % len(self._colors)]
            p.setBrush(QBrush(QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]))))
            if span <= -360 * 16:
                p.drawEllipse(rect)
            else:
                p.drawPie(rect, start, span)
        if self._rim > 0:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(RIM_RGB | 0xFF000000), self._rim))
            p.drawEllipse(rect)
        p.end()
        self._pixmaps[key] = pix
        while len(self._pixmaps) > max(_CACHE_SIZE, 2 * len(self._unique)):
            self._pixmaps.popitem(last=False)
        return pix

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """The pies' centres plus their radius (converted from pixels)."""
        if self._bounds is None:
            return QRectF()
        x0, x1, y0, y1 = self._bounds
        px, py = self.pixelVectors()
        pad = self._radius + self._rim + 1
        padx = 0.0 if px is None else px.length() * pad
        pady = 0.0 if py is None else py.length() * pad
        return QRectF(x0 - padx, y0 - pady, (x1 - x0) + 2 * padx, (y1 - y0) + 2 * pady)

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph override
        """Zoom or pan: the pixel padding of the bounding rect changes."""
        self.prepareGeometryChange()
        super().viewTransformChanged()

    @report_exceptions
    def paint(self, p: QPainter, *args) -> None:
        """One cached pixmap per point, at the point's device position."""
        if not len(self._xy):
            return
        tr = p.transform()
        x, y = self._xy[:, 0], self._xy[:, 1]
        dx = tr.m11() * x + tr.m21() * y + tr.dx()
        dy = tr.m12() * x + tr.m22() * y + tr.dy()
        device = p.device()
        dpr = float(device.devicePixelRatioF()) if device is not None else 1.0
        half = math.ceil(self._radius + self._rim)
        vb = self.getViewBox()
        if vb is not None:
            clip = tr.mapRect(vb.viewRect()).adjusted(-half, -half, half, half)
            inside = (
                (dx >= clip.left()) & (dx <= clip.right())
                & (dy >= clip.top()) & (dy <= clip.bottom())
                & np.isfinite(dx) & np.isfinite(dy)
            )
        else:
            inside = np.isfinite(dx) & np.isfinite(dy)
        keys = self._keys
        shown = np.flatnonzero(inside)
        # only the mixes of points on screen, each once: the cache then holds a frame's worth
        # (a sequential pass over more distinct mixes than it holds would miss every time)
        needed = np.unique(keys[shown]) if len(shown) else np.empty(0, dtype=int)
        pixmaps = {int(u): self.pie_pixmap(self._unique[u], dpr) for u in needed}
        p.save()
        p.resetTransform()
        for i in shown:
            p.drawPixmap(QPointF(dx[i] - half, dy[i] - half), pixmaps[int(keys[i])])
        p.restore()
