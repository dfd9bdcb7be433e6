"""One graphics item for all data points, rasterised with numpy at device resolution.

Why not ``pg.ScatterPlotItem``: recolouring it with a per-point brush list took about 400 ms at
10,000 points (and crashed in its symbol cache at 100,000 distinct colours); even a 256-colour
palette took 31 ms at 10,000 points, twice a frame. Here the colours are one ``uint32`` array
(``0xAARRGGBB``, exact, from :func:`gmm_gui.ui.colors.blend_argb32`) and the points are
splatted into a numpy image the size of the plot, in device pixels (by
:class:`~gmm_gui.ui.views.raster.Rasterizer`), whenever the colours, the data, the view range or
the widget size change; a plain repaint just draws the cached image.

Up to :data:`~gmm_gui.ui.views.raster.LARGE_DATA_THRESHOLD` points are antialiased discs (or
marker shapes) with a thin dark rim, above it opaque device-pixel squares (see
:mod:`gmm_gui.ui.views.raster`). When the painter is an SVG generator (export), up to
:data:`SVG_VECTOR_MAX_POINTS` points are written as vector shapes instead of an image.

:class:`PointLocator` finds the point under the mouse.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPaintEngine, QPainter, QPainterPath, QPen, QTransform
from scipy.spatial import cKDTree

from gmm_gui.ui.views.items import report_exceptions
from gmm_gui.ui.views.raster import (
    LARGE_DATA_THRESHOLD,
    RIM_RGB,
    SYMBOL_SCALE,
    SYMBOLS,
    PointStyle,
    Rasterizer,
    style_for,
)

__all__ = [
    "LARGE_DATA_THRESHOLD",
    "SVG_VECTOR_MAX_POINTS",
    "SYMBOLS",
    "PointCloudItem",
    "PointLocator",
    "PointStyle",
    "style_for",
    "symbol_path",
]

#: An SVG export draws at most this many points as vector shapes (an image beyond).
SVG_VECTOR_MAX_POINTS = 20_000


class PointCloudItem(pg.GraphicsObject):
    """All data points of a view as one item, coloured per point.

    Positions are in the coordinates of the item's parent (a ViewBox's data coordinates).
    """

    def __init__(self, parent: pg.GraphicsObject | None = None) -> None:
        super().__init__(parent)
        self._xy = np.empty((0, 2), dtype=np.float64)
        self._x = self._y = np.empty(0, dtype=np.float64)
        self._argb = np.empty(0, dtype=np.uint32)
        self._fade_from: np.ndarray | None = None
        self._fade = 1.0
        self._size_scale = 1.0
        self._style = style_for(0)
        self._codes: np.ndarray | None = None
        self._data_bounds: tuple[float, float, float, float] | None = None
        self._versions = [0, 0]  # colours: current, fade_from
        self._rasterizer = Rasterizer()
        self._cache: dict[str, tuple[tuple, QImage, np.ndarray]] = {}
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption, False)

    # ------------------------------------------------------------------ data
    def set_positions(self, xy: np.ndarray) -> None:
        """Set the point positions.

        Parameters
        ----------
        xy : array of shape (n_samples, 2)
            Positions in the parent's (data) coordinates.
        """
        xy = np.ascontiguousarray(xy, dtype=np.float64)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f"positions must have shape (n_samples, 2), got {xy.shape}")
        self.prepareGeometryChange()
        self._xy = xy
        self._x = np.ascontiguousarray(xy[:, 0])
        self._y = np.ascontiguousarray(xy[:, 1])
        self._style = _scaled(style_for(len(xy)), self._size_scale)
        if len(xy):
            lo = np.nanmin(xy, axis=0)
            hi = np.nanmax(xy, axis=0)
            self._data_bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        else:
            self._data_bounds = None
        if len(self._argb) != len(xy):
            self._argb = np.zeros(len(xy), dtype=np.uint32)
        self._fade_from = None
        if self._codes is not None and len(self._codes) != len(xy):
            self._codes = None
        self._cache.clear()
        self._rasterizer.forget_positions()
        self._versions[0] += 1
        self.update()

    def set_symbols(self, codes: np.ndarray | None) -> None:
        """Draw each point as a marker shape chosen by an integer code (e.g. a known label).

        Code ``i`` draws :data:`SYMBOLS` ``[i % len(SYMBOLS)]`` (disc, square, triangle,
        diamond, ...), :data:`SYMBOL_SCALE` times the usual size; the colours are unchanged.
        Large data drawn as squares (above :data:`LARGE_DATA_THRESHOLD` points) keeps its squares.

        Parameters
        ----------
        codes : int array of shape (n_samples,), or None for discs again
        """
        if codes is not None:
            codes = np.asarray(codes).reshape(-1).astype(np.intp)
            if codes.shape != (len(self._xy),):
                raise ValueError(f"codes must have shape ({len(self._xy)},), got {codes.shape}")
        self.prepareGeometryChange()
        self._codes = codes
        self._cache.clear()
        self.update()

    @property
    def symbol_codes(self) -> np.ndarray | None:
        """The marker code of each point as given (drawn as ``SYMBOLS[code % 6]``), or None."""
        return self._codes

    def set_colors(self, argb: np.ndarray) -> None:
        """Set every point's colour and stop any cross-fade.

        Parameters
        ----------
        argb : uint32 array of shape (n_samples,)
            ``0xAARRGGBB`` words (see :func:`gmm_gui.ui.colors.blend_argb32`).
        """
        self._set_argb(argb)
        self._fade_from = None
        self._fade = 1.0
        self.update()

    def _set_argb(self, argb: np.ndarray) -> None:
        argb = np.asarray(argb, dtype=np.uint32)
        if argb.shape != (len(self._xy),):
            raise ValueError(f"colours must have shape ({len(self._xy)},), got {argb.shape}")
        self._argb = argb
        self._versions[0] += 1

    def set_crossfade(self, argb_from: np.ndarray, argb_to: np.ndarray, t: float) -> None:
        """Show the points fading from one set of colours to another.

        Used for colour animations of very many points, where re-blending every frame would
        cost more than a frame: both images are rasterised once and blended by ``QPainter``.

        Parameters
        ----------
        argb_from, argb_to : uint32 arrays of shape (n_samples,)
        t : float
            0 shows ``argb_from``, 1 shows ``argb_to``.
        """
        if argb_to is not self._argb:
            self._set_argb(argb_to)
        if argb_from is not self._fade_from:
            self._fade_from = np.asarray(argb_from, dtype=np.uint32)
            self._versions[1] += 1
        self._fade = float(np.clip(t, 0.0, 1.0))
        self.update()

    def set_fade(self, t: float) -> None:
        """Move a running cross-fade to ``t`` (0 old colours, 1 new colours)."""
        self._fade = float(np.clip(t, 0.0, 1.0))
        self.update()

    def set_size_scale(self, scale: float) -> None:
        """Draw the discs ``scale`` times their usual radius and rim (presentation mode);
        squares of large data keep their size."""
        self.prepareGeometryChange()
        self._size_scale = float(scale)
        self._style = _scaled(style_for(len(self._xy)), self._size_scale)
        self._cache.clear()
        self.update()

    @property
    def size_scale(self) -> float:
        """The factor of :meth:`set_size_scale`."""
        return self._size_scale

    @property
    def style(self) -> PointStyle:
        """The drawing style in use."""
        return self._style

    @property
    def positions(self) -> np.ndarray:
        """Point positions, array of shape (n_samples, 2)."""
        return self._xy

    @property
    def colors(self) -> np.ndarray:
        """Point colours (the target of a cross-fade), uint32 array of shape (n_samples,)."""
        return self._argb

    # ------------------------------------------------------------------ geometry
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: tuple | None = None) -> tuple:
        """Range of the points along axis ``ax`` (used by the ViewBox's auto-range)."""
        if self._data_bounds is None:
            return (None, None)
        if frac >= 1.0 and orthoRange is None:
            return self._data_bounds[2 * ax : 2 * ax + 2]
        d = self._xy[:, ax]
        if orthoRange is not None:
            o = self._xy[:, 1 - ax]
            d = d[(o >= orthoRange[0]) & (o <= orthoRange[1])]
        if d.size == 0:
            return (None, None)
        if frac >= 1.0:
            return (float(np.nanmin(d)), float(np.nanmax(d)))
        q = 50 * (1 - frac)
        return tuple(float(v) for v in np.nanpercentile(d, [q, 100 - q]))

    def pixelPadding(self) -> float:
        """Marks reach this many pixels beyond the points' positions."""
        scale = 1.1 * SYMBOL_SCALE if self._codes is not None else 1.0
        return self.style.radius * scale + 1.0

    def boundingRect(self) -> QRectF:
        """The points' extent plus the marks' radius (converted from pixels)."""
        if self._data_bounds is None:
            return QRectF()
        x0, x1, y0, y1 = self._data_bounds
        px, py = self.pixelVectors()
        pad = self.pixelPadding()
        padx = 0.0 if px is None else px.length() * pad
        pady = 0.0 if py is None else py.length() * pad
        return QRectF(x0 - padx, y0 - pady, (x1 - x0) + 2 * padx, (y1 - y0) + 2 * pady)

    def viewTransformChanged(self) -> None:
        """Zoom or pan: the pixel padding of the bounding rect changes."""
        self.prepareGeometryChange()
        super().viewTransformChanged()

    # ------------------------------------------------------------------ painting
    @report_exceptions
    def paint(self, p: QPainter, *args) -> None:
        """Draw the cached raster of the points (re-rasterised when anything changed)."""
        if not len(self._xy):
            return
        engine = p.paintEngine()
        if (
            engine is not None
            and engine.type() == QPaintEngine.Type.SVG
            and len(self._xy) <= SVG_VECTOR_MAX_POINTS
        ):
            self._paint_vector(p)
            return
        vb = self.getViewBox()
        view_rect = vb.viewRect() if vb is not None else self.boundingRect()
        tr = p.transform()
        target = tr.mapRect(view_rect)
        x0, y0 = math.floor(target.left()), math.floor(target.top())
        x1, y1 = math.ceil(target.right()), math.ceil(target.bottom())
        if x1 <= x0 or y1 <= y0:
            return
        device = p.device()
        dpr = float(device.devicePixelRatioF()) if device is not None else 1.0
        frame = (x0, y0, x1, y1, dpr)
        image = self._raster("to", self._argb, self._versions[0], tr, frame)
        p.save()
        p.resetTransform()
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if self._fade_from is not None and self._fade < 1.0:
            old = self._raster("from", self._fade_from, self._versions[1], tr, frame)
            p.drawImage(rect, old)
            p.setOpacity(self._fade)
        p.drawImage(rect, image)
        p.restore()

    def _raster(
        self, slot: str, argb: np.ndarray, version: int, tr: QTransform, frame: tuple
    ) -> QImage:
        key = (
            version,
            tr.m11(),
            tr.m12(),
            tr.m21(),
            tr.m22(),
            tr.dx(),
            tr.dy(),
            frame,
            self.style,
            len(self._xy),
            id(self._codes),
        )
        cached = self._cache.get(slot)
        if cached is not None and cached[0] == key:
            return cached[1]
        x0, y0, x1, y1, dpr = frame
        buf = self.rasterize(argb, tr, frame)
        h, w = buf.shape
        image = QImage(buf.data, w, h, 4 * w, QImage.Format.Format_ARGB32)
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        self._cache[slot] = (key, image, buf)
        return image

    def rasterize(self, argb: np.ndarray, tr: QTransform, frame: tuple) -> np.ndarray:
        """Splat the points in colours ``argb`` (uint32, shape (n_samples,)) into an image.

        See :meth:`gmm_gui.ui.views.raster.Rasterizer.rasterize`: ``tr`` maps data to logical
        device coordinates, ``frame`` is (x0, y0, x1, y1, dpr); returns a uint32 array of
        shape (height, width), non-premultiplied ``0xAARRGGBB``.
        """
        return self._rasterizer.rasterize(
            self._x, self._y, argb, self._codes, self.style, tr, frame
        )

    def _paint_vector(self, p: QPainter) -> None:
        """Vector discs, or the marker shapes of :meth:`set_symbols` (SVG export)."""
        vb = self.getViewBox()
        xy = self._xy
        argb = self._argb
        codes = self._codes
        if vb is not None:
            r = vb.viewRect()
            m = (
                (xy[:, 0] >= r.left())
                & (xy[:, 0] <= r.right())
                & (xy[:, 1] >= r.top())
                & (xy[:, 1] <= r.bottom())
            )
            xy, argb = xy[m], argb[m]
            codes = None if codes is None else codes[m]
        tr = p.transform()
        radius = self.style.radius
        rim = self.style.rim
        paths: dict[int, QPainterPath] = {}
        if codes is not None:  # as the raster draws them: larger, always with a rim
            radius *= SYMBOL_SCALE
            rim = max(rim, 0.9)
            codes = codes % len(SYMBOLS)
            paths = {c: symbol_path(SYMBOLS[c], radius) for c in range(1, len(SYMBOLS))}
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(QColor(RIM_RGB | 0xFF000000), rim) if rim > 0 else QPen(Qt.PenStyle.NoPen)
        p.setPen(pen)
        code_list = [0] * len(xy) if codes is None else codes.tolist()
        for (x, y), c, code in zip(xy, argb.tolist(), code_list, strict=True):
            p.setBrush(QColor.fromRgba(int(c) | 0xFF000000))
            centre = tr.map(QPointF(float(x), float(y)))
            if code == 0:
                p.drawEllipse(centre, radius, radius)
            else:
                p.drawPath(paths[code].translated(centre))
        p.restore()


def _scaled(style: PointStyle, scale: float) -> PointStyle:
    if scale == 1.0 or style.square:
        return style
    return PointStyle(radius=style.radius * scale, rim=style.rim * scale)


def symbol_path(symbol: str, r: float) -> QPainterPath:
    """The outline of marker ``symbol`` of size ``r`` around (0, 0), in pixels, y down.

    The same shapes as the raster's (:mod:`gmm_gui.ui.views.raster`). The outline ends
    on its first vertex instead of ``closeSubpath()``, whose "Z" pyqtgraph's SVG exporter does
    not parse.

    Parameters
    ----------
    symbol : str
        One of :data:`~gmm_gui.ui.views.raster.SYMBOLS` other than the disc ``"o"``.
    r : float
        The marker's size (a disc's radius).
    """
    if symbol == "s":
        h = 0.8 * r
        corners = [(-h, -h), (h, -h), (h, h), (-h, h)]
    elif symbol == "d":
        h = 1.1 * r
        corners = [(0.0, -h), (h, 0.0), (0.0, h), (-h, 0.0)]
    elif symbol in ("t1", "t"):
        sign = 1.0 if symbol == "t1" else -1.0  # "t1" points up (y grows downwards)
        half = 0.577 * (0.62 + 1.05) * r
        corners = [(0.0, -1.05 * r * sign), (half, 0.62 * r * sign), (-half, 0.62 * r * sign)]
    elif symbol == "+":
        a, b = 0.36 * r, r
        corners = [
            (-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a),
            (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a),
        ]  # fmt: skip
    else:
        raise ValueError(f"no outline for symbol {symbol!r}")
    path = QPainterPath(QPointF(*corners[0]))
    for corner in corners[1:] + corners[:1]:
        path.lineTo(QPointF(*corner))
    return path


class PointLocator:
    """Find the data point nearest to the mouse, in screen pixels.

    A k-d tree is built once per data set on the positions scaled to unit spread per axis, at
    the first query (so that opening a large file does not wait for it: about 0.3 s at a million
    points); a query converts a pixel radius into a ball in that space that contains every
    candidate and then picks the nearest in pixels (the view's x and y scales may differ).

    Parameters
    ----------
    xy : array of shape (n_samples, 2)
        Point positions in data coordinates.
    """

    def __init__(self, xy: np.ndarray) -> None:
        xy = np.asarray(xy, dtype=np.float64)
        spread = np.nanstd(xy, axis=0) if len(xy) else np.ones(2)
        spread[~np.isfinite(spread) | (spread <= 0)] = 1.0
        self._scale = spread
        self._xy = xy
        self._tree: cKDTree | None = None

    def _get_tree(self) -> cKDTree | None:
        if self._tree is None and len(self._xy):
            self._tree = cKDTree(self._xy / self._scale, balanced_tree=False, compact_nodes=False)
        return self._tree

    def nearest(
        self, pos: tuple[float, float], pixel_size: tuple[float, float], radius_px: float
    ) -> int | None:
        """Index of the point nearest to ``pos`` within ``radius_px`` pixels, or ``None``.

        Parameters
        ----------
        pos : (x, y)
            Mouse position in data coordinates.
        pixel_size : (width, height)
            Size of one screen pixel in data units.
        radius_px : float
            Search radius in pixels.
        """
        tree = self._get_tree()
        if tree is None:
            return None
        psx, psy = abs(pixel_size[0]), abs(pixel_size[1])
        if not (psx > 0 and psy > 0):
            return None
        ball = radius_px * max(psx / self._scale[0], psy / self._scale[1])
        q = np.asarray(pos, dtype=np.float64) / self._scale
        cand = tree.query_ball_point(q, ball, return_sorted=False)
        if not cand:
            return None
        cand = np.asarray(cand)
        d = self._xy[cand] - np.asarray(pos)
        d2 = (d[:, 0] / psx) ** 2 + (d[:, 1] / psy) ** 2
        best = int(np.argmin(d2))
        if d2[best] > radius_px * radius_px:
            return None
        return int(cand[best])
