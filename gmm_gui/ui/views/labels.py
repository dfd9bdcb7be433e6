"""Where the weight labels ("π₂ = 0.64") go: inside the plot, never on one another.

Each label has a few places it would like, best first (above its curve's peak in 1-D, just
outside its 1-sigma ellipse in 2-D). :func:`place_labels` takes the labels one by one and gives
each the first of its places that is free of the labels already placed and of the obstacles (the
Gaussians' mean handles), places that lie inside the plot as they are before those that must be
pushed inside; when none is free, the nearest free spot on
a grid around its first place, and only when the plot is too full for that, the place that
covers the least. Everything is in pixels (scene coordinates), so a label keeps its size under
zoom.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

__all__ = [
    "HANDLE_CLEARANCE_PX",
    "MARKER_OBSTACLES_MAX",
    "WEIGHT_LABEL_FILL_ALPHA",
    "WEIGHT_LABEL_Z",
    "handle_rects",
    "label_obstacles",
    "marker_rects",
    "place_labels",
    "place_weight_labels",
    "rects_overlap",
]

#: Half the side of the square around a mean handle that weight labels keep clear of (px).
HANDLE_CLEARANCE_PX = 10.0

#: Opacity (0-255) of the white box behind a weight label: light enough that the points under
#: it stay seen in their colours, enough to keep the bold text readable over an ellipse's line.
WEIGHT_LABEL_FILL_ALPHA = 110

#: Weight labels are drawn above the points, the samples and the view's own markers (their box
#: is translucent), below the legends and the markers analysis tools add (start crosses).
WEIGHT_LABEL_Z = 35.0

#: Scatter items with at most this many markers (start crosses, picked points) are kept clear
#: of by the weight labels; larger ones (samples drawn over the data) are not.
MARKER_OBSTACLES_MAX = 64

_GRID_STEPS = 6  # the fallback grid reaches this many label sizes each way


def rects_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap area of every rectangle of ``a`` with every rectangle of ``b``.

    Parameters
    ----------
    a : array of shape (n, 4)
        ``left, top, right, bottom`` per rectangle.
    b : array of shape (m, 4)

    Returns
    -------
    array of shape (n, m)
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0.0, None) * np.clip(h, 0.0, None)


def _clamp(tl: np.ndarray, size: np.ndarray, bounds: np.ndarray | None) -> np.ndarray:
    """Top-left corners (shape (n, 2)) moved so their boxes lie inside ``bounds``."""
    if bounds is None:
        return tl
    x0, y0, x1, y1 = bounds
    x = np.clip(tl[:, 0], x0, max(x0, x1 - size[0]))
    y = np.clip(tl[:, 1], y0, max(y0, y1 - size[1]))
    return np.column_stack([x, y])


def place_labels(
    candidates: Sequence[Sequence[tuple[float, float]]],
    sizes: np.ndarray,
    bounds: tuple[float, float, float, float] | None,
    obstacles: np.ndarray | None = None,
    gap: float = 2.0,
) -> np.ndarray:
    """Top-left corners for labels, inside ``bounds`` and clear of each other.

    Parameters
    ----------
    candidates : sequence of n sequences of (x, y)
        For each label, the top-left corners it would like, best first (at least one).
    sizes : array of shape (n, 2)
        Width and height of each label.
    bounds : (left, top, right, bottom), or None
        The plot's rectangle; None places every label at its first wish.
    obstacles : array of shape (m, 4), optional
        Rectangles (``left, top, right, bottom``) labels should not cover, e.g. handles.
    gap : float
        Space kept between two labels.

    Returns
    -------
    array of shape (n, 2)
        The top-left corner of each label, in the order given.
    """
    sizes = np.asarray(sizes, dtype=np.float64).reshape(-1, 2)
    n = len(sizes)
    out = np.zeros((n, 2))
    if bounds is None:
        for i in range(n):
            out[i] = candidates[i][0]
        return out
    box = np.asarray(bounds, dtype=np.float64)
    blocked = (
        np.zeros((0, 4))
        if obstacles is None
        else np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
    )
    placed = np.zeros((0, 4))
    for i in range(n):
        size = sizes[i]
        asked = np.asarray(candidates[i], dtype=np.float64).reshape(-1, 2)
        wish = _clamp(asked, size, box)
        # the wishes that fit as they are come first; those pushed inside the plot after them
        moved = np.any(np.abs(wish - asked) > 1e-9, axis=1)
        wish = np.concatenate([wish[~moved], wish[moved]])
        tl = _first_free(wish, size, placed, blocked, gap)
        if tl is None:
            tl = _first_free(_grid_around(wish[0], size, box, gap), size, placed, blocked, gap)
        if tl is None:  # too full to keep clear of everything: the least covering wish
            tl = _least_covering(wish, size, placed, gap)
        out[i] = tl
        rect = np.array([[tl[0], tl[1], tl[0] + size[0], tl[1] + size[1]]])
        placed = np.vstack([placed, rect])
    return out


def _rects(tl: np.ndarray, size: np.ndarray, pad: float = 0.0) -> np.ndarray:
    return np.column_stack(
        [tl[:, 0] - pad, tl[:, 1] - pad, tl[:, 0] + size[0] + pad, tl[:, 1] + size[1] + pad]
    )


def _first_free(
    tl: np.ndarray, size: np.ndarray, placed: np.ndarray, blocked: np.ndarray, gap: float
) -> np.ndarray | None:
    """The first corner whose box is clear of ``placed`` (with the gap) and ``blocked``."""
    if not len(tl):
        return None
    free = np.ones(len(tl), dtype=bool)
    if len(placed):
        free &= ~(rects_overlap(_rects(tl, size, gap), placed) > 0).any(axis=1)
    if len(blocked):
        free &= ~(rects_overlap(_rects(tl, size), blocked) > 0).any(axis=1)
    hits = np.flatnonzero(free)
    return tl[hits[0]] if hits.size else None


def _grid_around(
    first: np.ndarray, size: np.ndarray, box: np.ndarray, gap: float
) -> np.ndarray:
    """Corners on a grid of label-sized steps around ``first``, nearest first, inside ``box``."""
    steps = np.arange(-_GRID_STEPS, _GRID_STEPS + 1)
    dx = 0.5 * (size[0] + gap) * steps
    dy = (size[1] + gap) * steps
    gx, gy = np.meshgrid(dx, dy)
    offsets = np.column_stack([gx.ravel(), gy.ravel()])
    # upwards a little preferred: below a label is its own Gaussian's peak or ellipse
    order = np.argsort(np.hypot(offsets[:, 0], offsets[:, 1]) + 0.1 * offsets[:, 1], kind="stable")
    tl = first + offsets[order]
    inside = (
        (tl[:, 0] >= box[0] - 1e-9)
        & (tl[:, 1] >= box[1] - 1e-9)
        & (tl[:, 0] + size[0] <= box[2] + 1e-9)
        & (tl[:, 1] + size[1] <= box[3] + 1e-9)
    )
    return tl[inside]


def _least_covering(
    tl: np.ndarray, size: np.ndarray, placed: np.ndarray, gap: float
) -> np.ndarray:
    if not len(placed):
        return tl[0]
    cover = rects_overlap(_rects(tl, size, gap), placed).sum(axis=1)
    return tl[int(np.argmin(cover))]


def place_weight_labels(
    vb: pg.ViewBox,
    items: list[pg.TextItem],
    wishes: list[list[tuple[float, float]]],
    order: np.ndarray,
    obstacles: list[QRectF],
    fallback: np.ndarray,
) -> None:
    """Put the labels ``items`` of a view box ``vb`` where :func:`place_labels` finds room.

    ``wishes[k]`` are label k's top-left corners, best first, in scene pixels; ``order``
    says which label chooses first; ``obstacles`` (scene rectangles) are kept clear. A
    view not laid out yet has no pixels: each label then sits above its ``fallback[k]``
    (data coordinates, shape (k, 2): the mean or the peak it names) until the view is shown
    and asks again. A label whose ``fallback`` point is off the plot is hidden.
    """
    if not items:
        return
    if not (vb.width() > 0 and vb.height() > 0 and vb.scene() is not None):
        for label, (x, y) in zip(items, np.asarray(fallback).reshape(-1, 2), strict=True):
            label.setVisible(True)
            label.setAnchor((0.5, 1.0))
            label.setPos(float(x), float(y))
        return
    r = vb.sceneBoundingRect()
    bounds = (r.left(), r.top(), r.right(), r.bottom())
    # a Gaussian whose centre is off the plot has nothing on screen to name: no label
    # (pulled in to the plot's edge it would name nothing there)
    on_plot = []
    for k, (x, y) in enumerate(np.asarray(fallback, dtype=np.float64).reshape(-1, 2)):
        inside = r.contains(vb.mapViewToScene(QPointF(float(x), float(y))))
        items[k].setVisible(inside)
        if inside:
            on_plot.append(k)
    sizes = np.array([[lb.boundingRect().width(), lb.boundingRect().height()] for lb in items])
    blocks = np.array(
        [[o.left(), o.top(), o.right(), o.bottom()] for o in obstacles], dtype=np.float64
    ).reshape(-1, 4)
    order = [int(k) for k in order if int(k) in on_plot]
    if not order:
        return
    corners = place_labels([wishes[k] for k in order], sizes[order], bounds, blocks)
    for k, (x, y) in zip(order, corners, strict=True):
        label = items[k]
        if tuple(label.anchor) != (0.0, 0.0):
            label.setAnchor((0.0, 0.0))
        label.setPos(vb.mapSceneToView(QPointF(float(x), float(y))))


def handle_rects(vb: pg.ViewBox, centres: np.ndarray) -> list[QRectF]:
    """Scene squares around the mean handles at data positions ``centres`` (shape (k, 2))."""
    r = HANDLE_CLEARANCE_PX
    rects = []
    for x, y in np.asarray(centres, dtype=np.float64).reshape(-1, 2):
        c = vb.mapViewToScene(QPointF(float(x), float(y)))
        rects.append(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))
    return rects


def marker_rects(vb: pg.ViewBox, limit: int = MARKER_OBSTACLES_MAX) -> list[QRectF]:
    """Scene squares around the markers of the small scatter items shown in ``vb``.

    The start crosses of Restarts and the like: a weight label must not sit on them. Items with
    more than ``limit`` markers, hidden ones and the view's points are left out.
    """
    rects: list[QRectF] = []
    for item in vb.childGroup.childItems():
        if not isinstance(item, pg.ScatterPlotItem) or not item.isVisible():
            continue
        points = item.data
        if not 0 < len(points) <= limit:
            continue
        for x, y, size in zip(points["x"], points["y"], points["size"], strict=True):
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            half = 0.5 * (float(size) if size > 0 else float(item.opts["size"])) + 2.0
            c = vb.mapViewToScene(QPointF(float(x), float(y)))
            rects.append(QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half))
    return rects


def label_obstacles(
    vb: pg.ViewBox, centres: np.ndarray, legends: Sequence[pg.GraphicsObject | None] = ()
) -> list[QRectF]:
    """What weight labels keep clear of: the mean handles at ``centres`` (data coordinates,
    shape (k, 2)), the ``legends`` shown and the small marker sets (start crosses) of ``vb``."""
    obstacles = handle_rects(vb, centres)
    for legend in legends:
        if legend is not None and legend.isVisible() and legend.scene() is not None:
            obstacles.append(legend.sceneBoundingRect())
    obstacles.extend(marker_rects(vb))
    return obstacles
