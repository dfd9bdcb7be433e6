"""The rasteriser of the data points: numpy splatting at device resolution.

The points are splatted into a numpy image the size of the plot, in device pixels. Two drawing
styles, chosen by the number of points (:func:`style_for`):

- up to :data:`LARGE_DATA_THRESHOLD` points: antialiased discs (or marker shapes) with a thin
  dark rim, from precomputed coverage stamps (16 sub-pixel phases);
- above it: opaque 2x2 (above 300,000 points 1x1) device-pixel squares, each in its exact
  colour; the pixels each square covers, and the point shown in each, are kept for the view
  geometry, so a recolour is one gather and one scatter.

Either way the cost is a handful of numpy passes over the points, never one Python call per
point. No Qt object is drawn here: :class:`Rasterizer` returns a ``uint32`` array that
:class:`~gmm_gui.ui.views.points.PointCloudItem` wraps in a ``QImage``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QTransform

__all__ = [
    "LARGE_DATA_THRESHOLD",
    "RIM_RGB",
    "SYMBOLS",
    "SYMBOL_SCALE",
    "PointStyle",
    "Rasterizer",
    "device_positions",
    "style_for",
]

#: Above this many points the opaque-square raster style takes over from antialiased discs.
LARGE_DATA_THRESHOLD = 30_000

_PHASES = 4  # sub-pixel positions per axis for the disc stamps
_SUPERSAMPLE = 8  # samples per pixel side when computing stamp coverage
#: Colour of the discs' rim (``0xRRGGBB``).
RIM_RGB = 0x303030

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


def device_positions(
    x: np.ndarray, y: np.ndarray, tr: QTransform, frame: tuple, shift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Point positions in device pixels of the raster ``frame`` (x0, y0, x1, y1, dpr).

    Parameters
    ----------
    x, y : arrays of shape (n_samples,)
        Positions in item (data) coordinates.
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
    fx = x * (tr.m11() * dpr)
    fx += (tr.dx() - x0) * dpr + shift
    fy = y * (tr.m22() * dpr)
    fy += (tr.dy() - y0) * dpr + shift
    if tr.m21() != 0.0 or tr.m12() != 0.0:  # rotated or sheared view (not used by pyqtgraph)
        fx += y * (tr.m21() * dpr)
        fy += x * (tr.m12() * dpr)
    return fx, fy


class Rasterizer:
    """Splats points into ARGB32 images, keeping what it can reuse between two calls.

    It keeps the coverage stamps per style and, for the square markers of large data, the
    covered pixels and the point shown in each for the last view geometry (a recolour then
    costs one gather and one scatter). Call :meth:`forget_positions` when the points move.
    """

    def __init__(self) -> None:
        self._stamps: dict[tuple, _Stamps] = {}
        # (view geometry, (covered pixels, the point shown in each)) of the square markers
        self._square_base: tuple[tuple, tuple[np.ndarray, np.ndarray]] | None = None

    def forget_positions(self) -> None:
        """The points moved (or are others): the square markers' pixel owners are stale."""
        self._square_base = None

    def rasterize(
        self,
        x: np.ndarray,
        y: np.ndarray,
        argb: np.ndarray,
        codes: np.ndarray | None,
        style: PointStyle,
        tr: QTransform,
        frame: tuple,
    ) -> np.ndarray:
        """Splat the points into an ARGB32 image.

        Parameters
        ----------
        x, y : float64 arrays of shape (n_samples,)
            Positions in item (data) coordinates (contiguous).
        argb : uint32 array of shape (n_samples,)
            Point colours.
        codes : int array of shape (n_samples,), or None
            Marker shape per point (``SYMBOLS[code % 6]``); None for discs. Ignored by squares.
        style : PointStyle
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
                owners = _square_owners(x, y, tr, frame, w, h, pad, reach, side)
                self._square_base = (geometry, owners)
            pixels, owner = self._square_base[1]
            canvas = np.zeros(h * w, dtype=np.uint32)
            colors = argb.take(owner)
            colors |= np.uint32(0xFF000000)
            canvas[pixels] = colors
            return canvas.reshape(h, w)
        shift = pad + 1.0  # truncation equals flooring wherever it matters
        fx, fy = device_positions(x, y, tr, frame, shift=shift)
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
            _splat_discs(canvas, base, fx, fy, argb, stamps.for_width(wp))
        else:
            for c, st in stamp_sets.items():
                m = codes == c
                _splat_discs(canvas, base[m], fx[m], fy[m], argb[m], st.for_width(wp))
        canvas = canvas.reshape(hp, wp)
        return np.ascontiguousarray(canvas[pad : pad + h, pad : pad + w])

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


def _square_indices(
    x: np.ndarray, y: np.ndarray, tr: QTransform, frame: tuple, w: int, h: int, pad: int, reach: int
) -> np.ndarray:
    """Flat index in the padded canvas of every point's pixel (off-image points go to a
    trash pixel in the padding), for the square markers of large data."""
    wp = w + 2 * pad
    fx, fy = device_positions(x, y, tr, frame, shift=pad + 1.0)
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
    x: np.ndarray,
    y: np.ndarray,
    tr: QTransform,
    frame: tuple,
    w: int,
    h: int,
    pad: int,
    reach: int,
    side: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The covered pixels of the ``w`` x ``h`` image and the point that shows in each.

    Squares are laid in the order of the points, the later on top, as painting them one by
    one would. Returns the flat pixel indices and, for each, the index of its point.
    """
    wp = w + 2 * pad
    hp = h + 2 * pad
    base = _square_indices(x, y, tr, frame, w, h, pad, reach)
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
    rim_rgb = np.uint32(RIM_RGB)
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
