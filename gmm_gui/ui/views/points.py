"""One graphics item for all data points, rasterised with numpy at device resolution.

Why not ``pg.ScatterPlotItem``: recolouring it with a per-point brush list took about 400 ms at
10,000 points (and crashed in its symbol cache at 100,000 distinct colours); even a 256-colour
palette took 31 ms at 10,000 points, twice a frame. Here the colours are one ``uint32`` array
(``0xAARRGGBB``, exact, from :func:`gmm_gui.ui.colors.blend_argb32`) and the points are
splatted into a numpy image the size of the plot, in device pixels, whenever the colours, the
data, the view range or the widget size change; a plain repaint just draws the cached image.

Two drawing styles, chosen by the number of points:

- up to :data:`LARGE_DATA_THRESHOLD` points: antialiased discs with a thin dark rim, from
  precomputed coverage stamps (16 sub-pixel phases), so students see round markers;
- above it (100,000 to 1,000,000 points): opaque 2x2 (above 300,000 points 1x1) device-pixel
  squares, each in its exact blended colour; at that density markers overlap anyway.

Either way the cost is a handful of numpy passes over the points, never one Python call or one
``QGraphicsItem`` per point. When the painter is an SVG generator (export), up to
:data:`SVG_VECTOR_MAX_POINTS` points are written as vector circles instead of an image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPaintEngine, QPainter, QPen, QTransform
from scipy.spatial import cKDTree

from gmm_gui.ui.views.items import report_exceptions

__all__ = [
    "LARGE_DATA_THRESHOLD",
    "SVG_VECTOR_MAX_POINTS",
    "SYMBOLS",
    "PointCloudItem",
    "PointLocator",
    "PointStyle",
    "style_for",
]

#: Above this many points the opaque-square raster style takes over from antialiased discs.
LARGE_DATA_THRESHOLD = 30_000
#: An SVG export draws at most this many points as vector circles (an image beyond).
SVG_VECTOR_MAX_POINTS = 20_000

_PHASES = 4  # sub-pixel positions per axis for the disc stamps
_SUPERSAMPLE = 8  # samples per pixel side when computing stamp coverage
_RIM_RGB = 0x303030  # colour of the discs' rim

#: Marker shapes of :meth:`PointCloudItem.set_symbols`, in order of use (code ``i`` draws
#: ``SYMBOLS[i % len(SYMBOLS)]``); the names are pyqtgraph's symbol names for the same shapes
#: (for legends): disc, square, triangle up, diamond, triangle down, plus.
SYMBOLS = ("o", "s", "t1", "d", "t", "+")
#: How much larger than a disc a marker with a shape is drawn (a shape needs room to read).
SYMBOL_SCALE = 1.45


def _inside(symbol: str, sx: np.ndarray, sy: np.ndarray, r: float) -> np.ndarray:
    """Whether sample offsets ``(sx, sy)`` (device pixels, y down) lie in a marker of size ``r``."""
    if symbol == "o":
        return sx * sx + sy * sy <= r * r
    if symbol == "s":
        return np.maximum(np.abs(sx), np.abs(sy)) <= 0.8 * r
    if symbol == "d":
        return np.abs(sx) + np.abs(sy) <= 1.1 * r
    if symbol in ("t1", "t"):
        y = sy if symbol == "t1" else -sy  # "t1" points up (y grows downwards)
        return (y <= 0.62 * r) & (np.abs(sx) <= 0.577 * (y + 1.05 * r))
    if symbol == "+":
        ax, ay = np.abs(sx), np.abs(sy)
        return ((ax <= 0.36 * r) & (ay <= r)) | ((ay <= 0.36 * r) & (ax <= r))
    raise ValueError(f"unknown symbol {symbol!r}")


@dataclass(frozen=True)
class PointStyle:
    """How points are drawn, in logical (device-independent) pixels.

    Attributes
    ----------
    radius : float
        Disc radius; for squares, half the side.
    rim : float
        Width of the dark rim of a disc (0 for none).
    square : int
        0 for antialiased discs, else the side of an opaque square in device pixels.
    """

    radius: float
    rim: float = 0.0
    square: int = 0


def style_for(n_points: int) -> PointStyle:
    """The point style for a data set of ``n_points`` points (denser data, smaller marks)."""
    if n_points <= 1_000:
        return PointStyle(radius=4.0, rim=1.0)
    if n_points <= 5_000:
        return PointStyle(radius=3.2, rim=0.9)
    if n_points <= LARGE_DATA_THRESHOLD:
        return PointStyle(radius=2.4, rim=0.0)
    if n_points <= 300_000:
        return PointStyle(radius=1.0, square=2)
    return PointStyle(radius=0.5, square=1)


class _Stamps:
    """Coverage stamps of a disc for each sub-pixel phase, grouped by full and partial cover.

    For phase ``q`` (``qy * _PHASES + qx``) ``full_off[q]`` are flat offsets (relative to the
    point's pixel on a canvas of row length ``width``) of pixels the disc covers completely,
    ``full_rim[q]`` whether each is rim; ``part_off[q]``, ``part_alpha[q]`` (alpha << 24) and
    ``part_rim[q]`` the same for partly covered pixels.
    """

    def __init__(self, radius: float, rim: float, dpr: float, symbol: str = "o") -> None:
        r = radius * dpr
        r_in = max(r - rim * dpr, 0.0) if rim > 0 else None
        self.reach = int(math.ceil((r if symbol == "o" else 1.1 * r) + 1.0))
        span = np.arange(-self.reach, self.reach + 1)
        oy, ox = np.meshgrid(span, span, indexing="ij")
        sub = (np.arange(_SUPERSAMPLE) + 0.5) / _SUPERSAMPLE
        self.offsets_xy = np.stack([ox.ravel(), oy.ravel()], axis=1)
        self.entries = []
        for q in range(_PHASES * _PHASES):
            qy, qx = divmod(q, _PHASES)
            cx = (qx + 0.5) / _PHASES
            cy = (qy + 0.5) / _PHASES
            # sample positions inside each offset pixel, relative to the point centre
            sx = ox.ravel()[:, None, None] + sub[None, None, :] - cx
            sy = oy.ravel()[:, None, None] + sub[None, :, None] - cy
            d2 = sx * sx + sy * sy if symbol == "o" else None
            if symbol == "o":
                cover = (d2 <= r * r).mean(axis=(1, 2))
                inner = (d2 <= r_in * r_in).mean(axis=(1, 2)) if r_in is not None else cover
            else:
                sx, sy = np.broadcast_arrays(sx, sy)
                cover = _inside(symbol, sx, sy, r).mean(axis=(1, 2))
                inner = _inside(symbol, sx, sy, r_in).mean(axis=(1, 2)) if r_in else cover
            rim_px = (cover - inner) > 0.5 * cover
            alpha = np.round(cover * 255).astype(np.uint32)
            self.entries.append((alpha, rim_px))
        self._width = None

    def for_width(self, width: int) -> list[tuple[np.ndarray, ...]]:
        """Per phase: (full_off, full_rim, part_off, part_alpha, part_rim) for a row length."""
        if self._width != width:
            flat = self.offsets_xy[:, 1] * width + self.offsets_xy[:, 0]
            out = []
            for alpha, rim_px in self.entries:
                full = alpha == 255
                part = (alpha > 0) & ~full
                out.append(
                    (
                        flat[full],
                        rim_px[full],
                        flat[part],
                        alpha[part] << np.uint32(24),
                        rim_px[part],
                    )
                )
            self._by_phase = out
            self._width = width
        return self._by_phase


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
        self._style = style_for(0)
        self._style_override: PointStyle | None = None
        self._codes: np.ndarray | None = None
        self._data_bounds: tuple[float, float, float, float] | None = None
        self._stamps: dict[tuple, _Stamps] = {}
        self._versions = [0, 0]  # colours: current, fade_from
        # (view geometry, (covered pixels, the point shown in each)) of the square markers;
        # reset with the positions
        self._square_base: tuple[tuple, tuple[np.ndarray, np.ndarray]] | None = None
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
        self._style = style_for(len(xy))
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
        self._square_base = None
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

    def set_style(self, style: PointStyle | None) -> None:
        """Force a drawing style (``None``: chosen from the number of points)."""
        self.prepareGeometryChange()
        self._style_override = style
        self._cache.clear()
        self.update()

    @property
    def style(self) -> PointStyle:
        """The drawing style in use."""
        return self._style_override or self._style

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

    def device_positions(
        self, tr: QTransform, frame: tuple, shift: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point positions in device pixels of the raster ``frame`` (x0, y0, x1, y1, dpr).

        Parameters
        ----------
        tr : QTransform
            Item (data) coordinates to logical device coordinates.
        frame : tuple (x0, y0, x1, y1, dpr)
        shift : float
            Added to both results (device pixels).

        Returns
        -------
        fx, fy : arrays of shape (n_samples,)
            Column and row (continuous; the pixel is their floor).
        """
        x0, y0, _, _, dpr = frame
        x, y = self._x, self._y
        fx = x * (tr.m11() * dpr)
        fx += (tr.dx() - x0) * dpr + shift
        fy = y * (tr.m22() * dpr)
        fy += (tr.dy() - y0) * dpr + shift
        if tr.m21() != 0.0 or tr.m12() != 0.0:  # rotated or sheared view (not used by pyqtgraph)
            fx += y * (tr.m21() * dpr)
            fy += x * (tr.m12() * dpr)
        return fx, fy

    def rasterize(self, argb: np.ndarray, tr: QTransform, frame: tuple) -> np.ndarray:
        """Splat the points into an ARGB32 image.

        Parameters
        ----------
        argb : uint32 array of shape (n_samples,)
            Point colours.
        tr : QTransform
            Item (data) coordinates to logical device coordinates.
        frame : tuple (x0, y0, x1, y1, dpr)
            The logical device rectangle covered by the image and the device pixel ratio.

        Returns
        -------
        uint32 array of shape (height, width)
            Non-premultiplied ``0xAARRGGBB`` pixels, transparent where there is no point.
        """
        x0, y0, x1, y1, dpr = frame
        w = max(1, int(round((x1 - x0) * dpr)))
        h = max(1, int(round((y1 - y0) * dpr)))
        style = self.style
        codes = self._codes
        if style.square:
            side = style.square
            reach = side
        elif codes is not None:
            codes = codes % len(SYMBOLS)
            used = np.flatnonzero(np.bincount(codes, minlength=len(SYMBOLS)))
            stamp_sets = {int(c): self._stamp_set(style, dpr, SYMBOLS[c]) for c in used}
            reach = max((st.reach for st in stamp_sets.values()), default=1)
        else:
            stamps = self._stamp_set(style, dpr)
            reach = stamps.reach
        # Work on a canvas padded by 2 * reach + 1 on every side, so that no stamp needs
        # clipping: a point can touch the image when its pixel column is in [-reach, w + reach).
        # Points that cannot touch it are sent to a trash pixel in the corner of the padding
        # (cheaper than compacting the arrays).
        pad = 2 * reach + 1
        wp = w + 2 * pad
        hp = h + 2 * pad
        if style.square:
            # While EM steps only the colours change. For the view geometry, each pixel of the
            # image that some square covers is given the point drawn last over it (its owner);
            # a recolour is then one gather and one scatter over the covered pixels, however
            # many points there are, instead of ``side**2`` scatters of every point.
            geometry = (tr.m11(), tr.m12(), tr.m21(), tr.m22(), tr.dx(), tr.dy(), frame, style)
            if self._square_base is None or self._square_base[0] != geometry:
                owners = self._square_owners(tr, frame, w, h, pad, reach, side)
                self._square_base = (geometry, owners)
            pixels, owner = self._square_base[1]
            canvas = np.zeros(h * w, dtype=np.uint32)
            colors = argb.take(owner)
            colors |= np.uint32(0xFF000000)
            canvas[pixels] = colors
            return canvas.reshape(h, w)
        shift = pad + 1.0  # truncation equals flooring wherever it matters
        fx, fy = self.device_positions(tr, frame, shift=shift)
        ix = fx.astype(np.int32)
        iy = fy.astype(np.int32)
        ix -= 1 + (pad - reach)  # now floor(device column) + reach
        iy -= 1 + (pad - reach)
        keep = ix.view(np.uint32) < w + 2 * reach
        keep &= iy.view(np.uint32) < h + 2 * reach
        canvas = np.zeros(hp * wp, dtype=np.uint32)
        base = iy * np.int32(wp)
        base += ix
        base += (pad - reach) * (wp + 1)
        if not keep.all():
            np.copyto(base, np.int32(reach * (wp + 1)), where=~keep)
        fx -= ix + (1 + pad - reach)
        fy -= iy + (1 + pad - reach)
        if codes is None:
            self._splat_discs(canvas, base, fx, fy, argb, stamps.for_width(wp))
        else:
            for c, st in stamp_sets.items():
                m = codes == c
                self._splat_discs(canvas, base[m], fx[m], fy[m], argb[m], st.for_width(wp))
        canvas = canvas.reshape(hp, wp)
        return np.ascontiguousarray(canvas[pad : pad + h, pad : pad + w])

    def _square_indices(
        self, tr: QTransform, frame: tuple, w: int, h: int, pad: int, reach: int
    ) -> np.ndarray:
        """Flat index in the padded canvas of every point's pixel (off-image points go to a
        trash pixel in the padding), for the square markers of large data."""
        wp = w + 2 * pad
        fx, fy = self.device_positions(tr, frame, shift=pad + 1.0)
        ix = fx.astype(np.int32)
        iy = fy.astype(np.int32)
        ix -= 1 + (pad - reach)
        iy -= 1 + (pad - reach)
        keep = ix.view(np.uint32) < w + 2 * reach
        keep &= iy.view(np.uint32) < h + 2 * reach
        base = iy * np.int32(wp)
        base += ix
        base += (pad - reach) * (wp + 1)
        if not keep.all():
            np.copyto(base, np.int32(reach * (wp + 1)), where=~keep)
        return base

    def _square_owners(
        self, tr: QTransform, frame: tuple, w: int, h: int, pad: int, reach: int, side: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The covered pixels of the ``w`` x ``h`` image and the point that shows in each.

        Squares are laid in the order of the points, the later on top, as painting them one by
        one would. Returns the flat pixel indices and, for each, the index of its point.
        """
        wp = w + 2 * pad
        hp = h + 2 * pad
        base = self._square_indices(tr, frame, w, h, pad, reach)
        owner = np.full(hp * wp, -1, dtype=np.int32)
        index = np.arange(len(base), dtype=np.int32)
        lo = -(side // 2)
        offsets = np.array(
            [dy * wp + dx for dy in range(lo, lo + side) for dx in range(lo, lo + side)],
            dtype=np.int32,
        )
        if side == 1:
            owner[base] = index  # numpy assigns in order: the last point over a pixel wins
        else:  # point by point, each square whole: a later point covers an earlier one
            owner[(base[:, None] + offsets[None, :]).ravel()] = np.repeat(index, side * side)
        owner = owner.reshape(hp, wp)[pad : pad + h, pad : pad + w].ravel()
        pixels = np.flatnonzero(owner >= 0)
        return pixels, owner[pixels]

    def _stamp_set(self, style: PointStyle, dpr: float, symbol: str | None = None) -> _Stamps:
        key = (style.radius, style.rim, dpr, symbol)
        stamps = self._stamps.get(key)
        if stamps is None:
            if symbol is None:
                stamps = _Stamps(style.radius, style.rim, dpr)
            else:
                rim = max(style.rim, 0.9)  # a shape needs its outline to read
                stamps = _Stamps(style.radius * SYMBOL_SCALE, rim, dpr, symbol)
            self._stamps[key] = stamps
        return stamps

    @staticmethod
    def _splat_discs(
        canvas: np.ndarray,
        base: np.ndarray,
        frac_x: np.ndarray,
        frac_y: np.ndarray,
        argb: np.ndarray,
        by_phase: list[tuple[np.ndarray, ...]],
    ) -> None:
        # (points sent to the trash pixel have meaningless fractions: clip them too)
        qx = np.clip((frac_x * _PHASES).astype(np.intp), 0, _PHASES - 1)
        qy = np.clip((frac_y * _PHASES).astype(np.intp), 0, _PHASES - 1)
        phase = qy * _PHASES + qx
        order = np.argsort(phase, kind="stable")
        counts = np.bincount(phase, minlength=_PHASES * _PHASES)
        starts = np.concatenate([[0], np.cumsum(counts)])
        rgb = argb & np.uint32(0x00FFFFFF)
        rim_rgb = np.uint32(_RIM_RGB)
        opaque = np.uint32(0xFF000000)
        groups = []
        for q in range(_PHASES * _PHASES):
            if counts[q]:
                sel = order[starts[q] : starts[q + 1]]
                groups.append((q, base[sel], rgb[sel]))
        # partly covered pixels first, so that fully covered ones are never overwritten by them
        for q, b, c in groups:
            _, _, part_off, part_alpha, part_rim = by_phase[q]
            if len(part_off):
                vals = np.where(part_rim[None, :], rim_rgb, c[:, None]) | part_alpha[None, :]
                canvas[b[:, None] + part_off[None, :]] = vals
        for q, b, c in groups:
            full_off, full_rim, _, _, _ = by_phase[q]
            if len(full_off):
                vals = np.where(full_rim[None, :], rim_rgb, c[:, None]) | opaque
                canvas[b[:, None] + full_off[None, :]] = vals

    def _paint_vector(self, p: QPainter) -> None:
        """Vector circles (for SVG export of moderate data sets)."""
        vb = self.getViewBox()
        xy = self._xy
        argb = self._argb
        if vb is not None:
            r = vb.viewRect()
            m = (
                (xy[:, 0] >= r.left())
                & (xy[:, 0] <= r.right())
                & (xy[:, 1] >= r.top())
                & (xy[:, 1] <= r.bottom())
            )
            xy, argb = xy[m], argb[m]
        tr = p.transform()
        radius = self.style.radius
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rim = self.style.rim
        pen = QPen(QColor(_RIM_RGB | 0xFF000000), rim) if rim > 0 else QPen(Qt.PenStyle.NoPen)
        p.setPen(pen)
        for (x, y), c in zip(xy, argb.tolist(), strict=True):
            p.setBrush(QColor.fromRgba(int(c) | 0xFF000000))
            p.drawEllipse(tr.map(QPointF(float(x), float(y))), radius, radius)
        p.restore()


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
