"""The 2-D view: points coloured by responsibility, each Gaussian as its mean and sigma ellipses.

Every component is drawn as its 1-sigma (solid) and 2-sigma (dashed) ellipse, lightly filled in
its colour, with a disc at the mean and its weight ("π₁ = 0.36") next to it. The ellipses are the
true contours of the Gaussian (:func:`gmm_gui.model.ellipse`, ``mean + k L [cos t, sin t]`` with
``L = cholesky(cov)``). Two small squares sit on the 1-sigma ellipse at the ends of its principal
axes: dragging one stretches that axis and turns the ellipse, keeping the other axis' length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from gmm_gui.model import ellipse
from gmm_gui.ui import colors
from gmm_gui.ui.views.axes import AXIS_NAMES, grid_axes
from gmm_gui.ui.views.base import PlotViewBase, label_style, make_weight_label, style_plot
from gmm_gui.ui.views.density import DENSITY_BAR_LABEL, DensityColorBar, density_colormap
from gmm_gui.ui.views.export import escape_markup
from gmm_gui.ui.views.items import EditViewBox, EllipseSetItem, EllipseShape, HandleItem
from gmm_gui.ui.views.points import PointCloudItem, PointLocator
from gmm_gui.ui.views.transition import Params

__all__ = [
    "DENSITY_BAR_LABEL",
    "DENSITY_LEVEL_FRACTIONS",
    "PlotView2D",
    "density_colormap",
    "density_contours",
    "principal_axes",
]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
N_SIGMAS = (1.0, 2.0)
_LABEL_GAP_PX = 6.0  # between a weight label and the ellipse it names
#: Contour levels of the density heat map, as fractions of its highest value.
DENSITY_LEVEL_FRACTIONS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.55, 0.8)
_CONTOUR_PEN = QColor(70, 60, 110, 170)


def density_contours(
    xs: np.ndarray, ys: np.ndarray, density: np.ndarray, levels: Sequence[float]
) -> np.ndarray:
    """Contour lines of a density on a grid, as one NaN-separated polyline.

    Parameters
    ----------
    xs : array of shape (n_x,)
        Evenly spaced grid positions along x (columns of ``density``).
    ys : array of shape (n_y,)
        Evenly spaced grid positions along y (rows of ``density``).
    density : array of shape (n_y, n_x)
    levels : sequence of float

    Returns
    -------
    array of shape (n_vertices, 2)
        Every contour line of every level in data coordinates, separated by rows of NaN.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    pieces = []
    for level in levels:
        for line in pg.functions.isocurve(density, float(level), connected=True):
            rc = np.asarray(line, dtype=np.float64)
            if len(rc) < 2:
                continue
            # isocurve puts sample (i, j) at (i + 0.5, j + 0.5)
            xy = np.column_stack([xs[0] + (rc[:, 1] - 0.5) * dx, ys[0] + (rc[:, 0] - 0.5) * dy])
            pieces.append(xy)
            pieces.append(np.full((1, 2), np.nan))
    if not pieces:
        return np.empty((0, 2))
    return np.concatenate(pieces[:-1])


def weight_label(k: int, weight: float) -> str:
    """``"π₁ = 0.36"`` for component ``k = 0``."""
    return f"π{str(k + 1).translate(_SUBSCRIPTS)} = {weight:.2f}"


def principal_axes(
    cov: np.ndarray, previous: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The two principal semi-axes of a 2-D Gaussian's 1-sigma ellipse.

    ``mean + axes[i]`` lies on the 1-sigma ellipse (Mahalanobis distance exactly 1).

    Parameters
    ----------
    cov : array of shape (2, 2)
    previous : pair of arrays of shape (2,), optional
        The axes drawn before; each new axis is matched to the previous one it is most
        parallel to and points the same way, so handles do not jump when the lengths cross.

    Returns
    -------
    axes : array of shape (2, 2)
        Row ``i`` is semi-axis ``i`` (direction times length).
    lengths : array of shape (2,)
    """
    evals, evecs = np.linalg.eigh(0.5 * (cov + cov.T))
    evals = np.maximum(evals, 0.0)
    vecs = [evecs[:, 1], evecs[:, 0]]  # major first
    lens = [np.sqrt(evals[1]), np.sqrt(evals[0])]
    if previous is not None:
        p0 = previous[0] / (np.linalg.norm(previous[0]) or 1.0)
        if abs(vecs[1] @ p0) > abs(vecs[0] @ p0):
            vecs.reverse()
            lens.reverse()
        for i in range(2):
            if vecs[i] @ previous[i] < 0:
                vecs[i] = -vecs[i]
    else:
        for i in range(2):
            v = vecs[i]
            if v[0] < -1e-12 or (abs(v[0]) <= 1e-12 and v[1] < 0):
                vecs[i] = -v
    axes = np.stack([vecs[0] * lens[0], vecs[1] * lens[1]])
    return axes, np.array(lens)


def reshaped_covariance(
    cov: np.ndarray,
    mean: np.ndarray,
    target: np.ndarray,
    axis: int,
    covariance_type: str,
    min_sd: np.ndarray,
) -> np.ndarray:
    """The covariance a drag of a reshape handle to ``target`` gives (issue #11).

    * ``diag``: the handle lies on coordinate axis ``axis``; the drag is read along that
      axis only, in its own data units: its variance becomes ``(target[axis] -
      mean[axis])**2``, the other is kept, off-diagonals stay 0 (no turning). A drift of the
      mouse along the other axis changes nothing, however different the axes' scales.
    * ``spherical``: the same distance along ``axis`` is the one sd of both axes (round in
      data units).
    * ``full``, ``tied``: the dragged principal semi-axis goes to the mouse (it stretches and
      turns), the other keeps its length, perpendicular (a tied mixture then takes it as the
      shared covariance, see :meth:`~gmm_gui.model.Mixture.with_component`).

    Parameters
    ----------
    cov : array of shape (2, 2)
        The covariance when the drag began.
    mean, target : arrays of shape (2,)
        The Gaussian's mean and where the handle is dragged to, in data units.
    axis : int
        ``diag``/``spherical``: the coordinate axis (0 or 1) the handle lies on; ``full``/
        ``tied``: the principal semi-axis dragged (0 major, 1 minor).
    covariance_type : {"full", "diag", "spherical", "tied"}
    min_sd : array of shape (2,)
        The smallest sd a drag sets along each axis, in that axis' data units.

    Returns
    -------
    covariance : array of shape (2, 2)
    """
    cov = np.array(cov, dtype=np.float64)
    delta = np.asarray(target, dtype=np.float64) - np.asarray(mean, dtype=np.float64)
    floor = np.asarray(min_sd, dtype=np.float64)
    if covariance_type in ("diag", "spherical"):
        sd = max(abs(float(delta[axis])), float(floor[axis]))
        if covariance_type == "spherical":
            return sd**2 * np.eye(2)
        out = np.diag(np.diag(cov))
        out[axis, axis] = sd**2
        return out
    _, lengths = principal_axes(cov)
    other = float(lengths[1] if axis == 0 else lengths[0])
    length = float(np.hypot(*delta))
    u = delta / length if length >= 1e-300 else np.array([1.0, 0.0])
    length = max(length, float(np.max(floor)))
    w = np.array([-u[1], u[0]])
    return length**2 * np.outer(u, u) + other**2 * np.outer(w, w)


class PlotView2D(PlotViewBase):
    """A plot of 2-D data and a Gaussian mixture, driven by snapshots (see the UI contract).

    Parameters
    ----------
    parent : QWidget, optional
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vb = EditViewBox(on_click=self._empty_click)
        self.plot = self.addPlot(viewBox=self._vb, axisItems=grid_axes(AXIS_NAMES))
        style_plot(self.plot)
        self._fills = EllipseSetItem("fill")
        self._fills.setZValue(-10)
        self._outlines = EllipseSetItem("outline")
        self._outlines.setZValue(10)
        self._points = PointCloudItem()
        self._points.setZValue(0)
        self._vb.addItem(self._fills, ignoreBounds=True)
        self._vb.addItem(self._points)
        self._vb.addItem(self._outlines, ignoreBounds=True)
        self._handles: list[list[HandleItem]] = []
        self._labels: list[pg.TextItem] = []
        self._axis_dirs: list[np.ndarray | None] = []
        self._overlay = pg.ScatterPlotItem(
            size=7, symbol="x", pen=pg.mkPen(25, 25, 25, 200, width=1.4), brush=None
        )
        self._overlay.setZValue(15)
        self._markers = pg.ScatterPlotItem(
            size=18, symbol="star", pen=pg.mkPen(15, 15, 15, width=1.6), brush=None
        )
        self._markers.setZValue(32)
        self._vb.addItem(self._markers, ignoreBounds=True)
        self._vb.addItem(self._overlay, ignoreBounds=True)
        self._density_image = pg.ImageItem(axisOrder="row-major")
        self._density_image.setZValue(-30)
        self._density_image.setVisible(False)
        self._vb.addItem(self._density_image, ignoreBounds=True)
        self._contours = pg.PlotCurveItem(pen=pg.mkPen(_CONTOUR_PEN, width=1), connect="finite")
        self._contours.setZValue(-5)
        self._contours.setVisible(False)
        self._vb.addItem(self._contours, ignoreBounds=True)
        self._density: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._density_bar: DensityColorBar | None = None
        self._vb.sigRangeChanged.connect(self._layout_labels)
        self._vb.sigResized.connect(self._layout_labels)
        self.set_axis_labels(("x", "y"))

    # ------------------------------------------------------------------ public
    def set_axis_labels(self, names: Sequence[str]) -> None:
        """Label the axes with the two column names (x first)."""
        names = tuple(str(n) for n in names)
        if len(names) != 2:
            raise ValueError(f"a 2-D view needs two axis names, got {len(names)}")
        self._names = names
        self.plot.setLabel("bottom", escape_markup(names[0]), **label_style())
        self.plot.setLabel("left", escape_markup(names[1]), **label_style())

    def set_overlay_points(self, points: np.ndarray | None) -> None:
        """Show extra points (e.g. samples drawn from the mixture) as dark crosses.

        Parameters
        ----------
        points : array of shape (n_points, 2), or None to remove them
        """
        if points is None or len(points) == 0:
            self._overlay.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self._overlay.setData(points[:, 0], points[:, 1])

    def set_density_map(
        self, xs: np.ndarray | None, ys: np.ndarray | None = None, density: np.ndarray | None = None
    ) -> None:
        """Show a density as a heat map with contour lines behind everything else.

        Parameters
        ----------
        xs : array of shape (n_x,), or None to remove the map
            Evenly spaced grid positions along x.
        ys : array of shape (n_y,)
            Evenly spaced grid positions along y.
        density : array of shape (n_y, n_x)
            ``density[i, j]`` at ``(xs[j], ys[i])`` (as :func:`gmm_gui.model.density_grid`).
            Contours are drawn at :data:`DENSITY_LEVEL_FRACTIONS` of its highest value.
        """
        if xs is None or ys is None or density is None:
            self._density = None
            self._show_density_bar(None)
            self._density_image.setVisible(False)
            self._contours.setData([], [])
            self._contours.setVisible(False)
            return
        xs = np.asarray(xs, dtype=np.float64)
        ys = np.asarray(ys, dtype=np.float64)
        density = np.asarray(density, dtype=np.float64)
        if density.shape != (len(ys), len(xs)) or len(xs) < 2 or len(ys) < 2:
            raise ValueError(
                f"density must have shape (len(ys), len(xs)) = ({len(ys)}, {len(xs)}), "
                f"got {density.shape}"
            )
        self._density = (xs, ys, density)
        top = float(np.nanmax(density)) if density.size else 0.0
        top = top if np.isfinite(top) and top > 0 else 1.0
        # the colours follow a square-root stretch (see density_colormap), on the density's
        # own scale, so that the colour bar can say what a colour means
        self._density_image.setImage(np.clip(density, 0.0, top), levels=(0.0, top))
        self._density_image.setColorMap(density_colormap())
        self._show_density_bar(top)
        dx = (xs[-1] - xs[0]) / (len(xs) - 1)
        dy = (ys[-1] - ys[0]) / (len(ys) - 1)
        self._density_image.setRect(
            QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))
        )
        self._density_image.setVisible(True)
        lines = density_contours(xs, ys, density, [f * top for f in DENSITY_LEVEL_FRACTIONS])
        if len(lines):
            self._contours.setData(lines[:, 0], lines[:, 1])
        else:
            self._contours.setData([], [])
        self._contours.setVisible(True)

    def _show_density_bar(self, top: float | None) -> None:
        """The colour bar beside the plot for densities 0..``top``; None removes it."""
        bar = self._density_bar
        if top is None:
            if bar is not None:
                self.ci.removeItem(bar)
                self._density_bar = None
            return
        if bar is None:
            bar = DensityColorBar()
            self.ci.addItem(bar, row=0, col=1)
            self._density_bar = bar
        bar.setLevels((0.0, float(top)))

    def density_bar(self) -> pg.ColorBarItem | None:
        """The density map's colour bar, or None without a map."""
        return self._density_bar

    def density_map(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``(xs, ys, density)`` of :meth:`set_density_map`, or None."""
        return self._density

    @property
    def contour_item(self) -> pg.PlotCurveItem:
        """The item drawing the density's contour lines."""
        return self._contours

    def set_marker_points(self, points: np.ndarray | None, rgb: np.ndarray | None = None) -> None:
        """Mark a few special positions (e.g. k-means' centres) as large stars.

        Parameters
        ----------
        points : array of shape (n_points, n_features), or None to remove them
        rgb : uint8 array of shape (n_points, 3), optional
            Fill colour of each star (white when not given).
        """
        if points is None or len(points) == 0:
            self._markers.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        x, y = points[:, 0], points[:, 1]
        fill = np.full((len(x), 3), 255) if rgb is None else np.asarray(rgb).reshape(-1, 3)
        self._markers.setData(x, y, brush=[pg.mkBrush(*(int(v) for v in c)) for c in fill])

    def marker_points(self) -> np.ndarray:
        """Positions of the stars of :meth:`set_marker_points`, array of shape (n_points, 2)."""
        x, y = self._markers.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def data_to_viewport(self, pos: Sequence[float]) -> QPoint:
        """Pixel in ``viewport()`` of data coordinate ``pos = (x, y)``."""
        x, y = (float(v) for v in np.asarray(pos, dtype=np.float64).reshape(2))
        scene = self._vb.mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    @property
    def view_box(self) -> pg.ViewBox:
        """The ViewBox the data is drawn in (for zooming in tests and tools)."""
        return self._vb

    @property
    def points_item(self) -> PointCloudItem:
        """The item drawing the data points."""
        return self._points

    @property
    def ellipse_item(self) -> EllipseSetItem:
        """The item drawing all ellipse outlines."""
        return self._outlines

    def weight_labels(self) -> list[pg.TextItem]:
        """Per component: its weight label ("π₁ = 0.36")."""
        return list(self._labels)

    def handles(self) -> list[list[HandleItem]]:
        """Per component: the mean handle, then the two axis handles."""
        return [list(h) for h in self._handles]

    # ------------------------------------------------------------------ hooks
    def _set_data(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"PlotView2D draws 2-D data, got shape {X.shape}")
        self._points.set_positions(X)
        self._locator = PointLocator(X)
        self._axis_dirs = [None] * len(self._handles)  # new data: forget the handles' turns
        if len(X):
            lo, hi = X.min(axis=0), X.max(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            self._vb.setRange(
                xRange=(lo[0] - 0.06 * span[0], hi[0] + 0.06 * span[0]),
                yRange=(lo[1] - 0.06 * span[1], hi[1] + 0.06 * span[1]),
                padding=0,
            )

    def _show_params(self, params: Params | None) -> None:
        k_new = 0 if params is None else params.n_components
        self._sync_items(k_new)
        if params is None or k_new == 0:
            self._fills.set_shapes([])
            self._outlines.set_shapes([])
            return
        shapes = []
        for k in range(k_new):
            mean, cov = params.means[k], params.covariances[k]
            color = colors.qcolor(k)
            try:
                outlines = tuple(ellipse(mean, cov, n) for n in N_SIGMAS)
            except ValueError:  # not positive definite (cannot happen for engine output)
                outlines = ()
            shapes.append(EllipseShape(outlines, color, selected=(k == self._selected)))
            previous = self._axis_dirs[k]
            axes, _ = principal_axes(cov, previous)
            self._axis_dirs[k] = axes
            mean_h, ax0, ax1 = self._handles[k]
            mean_h.setPos(float(mean[0]), float(mean[1]))
            mean_h.set_selected(k == self._selected)
            ax0.setPos(float(mean[0] + axes[0, 0]), float(mean[1] + axes[0, 1]))
            ax1.setPos(float(mean[0] + axes[1, 0]), float(mean[1] + axes[1, 1]))
            for h in (mean_h, ax0, ax1):
                h.set_draggable(self._editable)
            ax0.setVisible(self._editable)
            ax1.setVisible(self._editable)
            label = self._labels[k]
            text = weight_label(k, float(params.weights[k]))
            if label.toPlainText() != text:
                label.setText(text)
        self._fills.set_shapes(shapes)
        self._outlines.set_shapes(shapes)
        self._layout_labels()

    def _layout_labels(self, *args) -> None:
        """Weight labels just outside their 1-sigma ellipses, inside the plot, clear of each
        other and of the mean handles (see :mod:`gmm_gui.ui.views.labels`).

        A label's first wish is beyond the end of the ellipse's minor semi-axis that points up
        on screen (away from the densest points around the mean), then beyond the other end,
        then beyond the ellipse in eight compass directions. Each box touches, from outside,
        the ellipse's tangent in its direction, so it never covers the ellipse it names.
        """
        params = self._shown
        labels = self._labels
        if params is None or not labels or len(labels) != params.n_components:
            return
        psx, psy = (1.0, 1.0)
        if self._vb.width() > 0 and self._vb.height() > 0:
            size = self._vb.viewPixelSize()
            if size[0] > 0 and size[1] > 0:
                psx, psy = size
        to_screen = np.diag([1.0 / psx, -1.0 / psy])  # data -> scene pixels (y down)
        wishes = []
        for k, label in enumerate(labels):
            br = label.boundingRect()
            axes = self._axis_dirs[k] if k < len(self._axis_dirs) else None
            if axes is None:
                axes, _ = principal_axes(params.covariances[k])
            wishes.append(
                self._label_wishes(
                    params.means[k],
                    to_screen @ params.covariances[k] @ to_screen,
                    to_screen @ axes[1],
                    (br.width(), br.height()),
                )
            )
        obstacles = self._handle_rects(self._vb, params.means)
        legend = self._symbol_legend
        if legend is not None and legend.scene() is not None:
            obstacles.append(legend.sceneBoundingRect())
        order = np.argsort(-params.weights, kind="stable")
        self._place_weight_labels(self._vb, labels, wishes, order, obstacles, params.means)

    def _label_wishes(
        self,
        mean: np.ndarray,
        cov_px: np.ndarray,
        minor_px: np.ndarray,
        size_px: tuple[float, float],
    ) -> list[tuple[float, float]]:
        """Top-left corners (scene pixels) of a label outside an ellipse, best first.

        ``cov_px`` (shape (2, 2)) is the covariance in screen pixels, ``minor_px`` (shape (2,))
        the minor semi-axis on screen.
        """
        centre = self._vb.mapViewToScene(QPointF(float(mean[0]), float(mean[1])))
        m = np.array([centre.x(), centre.y()])
        w, h = size_px
        minor = np.asarray(minor_px, dtype=np.float64)
        norm = float(np.hypot(*minor))
        up = minor / norm if norm > 0 else np.array([0.0, -1.0])
        if up[1] > 0 or (up[1] == 0 and up[0] < 0):
            up = -up
        d = np.sqrt(0.5)
        compass = ((0, -1), (0, 1), (1, 0), (-1, 0), (d, -d), (-d, -d), (d, d), (-d, d))
        directions = [up, -up] + [np.array(v, dtype=np.float64) for v in compass]
        out = []
        for n in directions:
            reach = float(n @ cov_px @ n)
            support = m + (cov_px @ n) / np.sqrt(reach) if reach > 0 else m
            q = support + _LABEL_GAP_PX * n
            top = max(abs(n[0]), abs(n[1]))
            ax, ay = 0.5 - 0.5 * n[0] / top, 0.5 - 0.5 * n[1] / top
            out.append((float(q[0] - ax * w), float(q[1] - ay * h)))
        return out

    def _sync_items(self, n_components: int) -> None:
        """Create or remove handles and labels so there are ``n_components`` of each."""
        while len(self._handles) > n_components:
            for h in self._handles.pop():
                self._vb.removeItem(h)
            self._vb.removeItem(self._labels.pop())
            self._axis_dirs.pop()
        while len(self._axis_dirs) < len(self._handles):
            self._axis_dirs.append(None)
        while len(self._handles) < n_components:
            k = len(self._handles)
            color = colors.qcolor(k)
            group = [
                HandleItem(k, role, color, self._on_handle_drag, self._on_handle_click)
                for role in ("mean", "axis0", "axis1")
            ]
            group[0].setToolTip(
                f"Component {k + 1}: drag to move its mean, right-click to remove it"
            )
            for h in group[1:]:
                h.setToolTip(f"Component {k + 1}: drag to stretch and turn its ellipse")
            for h in group:
                self._vb.addItem(h, ignoreBounds=True)
            label = make_weight_label(colors.qcolor(k))
            self._vb.addItem(label, ignoreBounds=True)
            self._handles.append(group)
            self._labels.append(label)
            self._axis_dirs.append(None)

    def _points_box(self) -> pg.ViewBox:
        return self._vb

    # ------------------------------------------------------------------ editing
    def _empty_click(self, view_pos: QPointF) -> None:
        self._on_empty_click(np.array([view_pos.x(), view_pos.y()]))

    def _on_handle_drag(self, handle: HandleItem, scene_pos: QPointF, stage: str) -> None:
        k = handle.k
        view = self._vb.mapSceneToView(scene_pos)
        p = np.array([view.x(), view.y()])
        if stage == "start":
            if not self._begin_edit(k):
                return
            params = self._shown
            axes, _lengths = principal_axes(params.covariances[k], self._axis_dirs[k])
            handle_pos = np.array([handle.pos().x(), handle.pos().y()])
            semi = 0 if handle.role == "axis0" else 1
            kind = self._covariance_type()
            self._drag_state = {
                "offset": handle_pos - p,
                "cov": np.array(params.covariances[k], dtype=np.float64),
                # diag/spherical: the coordinate axis the handle lies on
                "axis": int(np.argmax(np.abs(axes[semi])))
                if kind in ("diag", "spherical")
                else semi,
                "kind": kind,
                "min_sd": self._min_sd(),
            }
            return
        if not self._drag_state:
            return  # no drag, or it was dropped (see PlotViewBase.set_snapshot)
        finished = stage == "finish"
        target = p + self._drag_state["offset"]
        mean = self._shown.means[k].copy()
        cov = self._shown.covariances[k].copy()
        if handle.role == "mean":
            mean = target
        else:
            state = self._drag_state
            cov = reshaped_covariance(
                state["cov"],
                mean,
                target,
                state["axis"],
                state["kind"],
                state["min_sd"],
            )
        self._edit(k, mean, cov, finished)

    def _covariance_type(self) -> str:
        """The covariance type of the mixture shown (``"full"`` when unknown)."""
        snap = self._snapshot
        mixture = None if snap is None else snap.mixture
        return "full" if mixture is None else str(mixture.covariance_type)

    def _min_sd(self) -> np.ndarray:
        """Smallest sd a drag may set along each axis: a thousandth of that axis' spread,
        shape (2,)."""
        if self._X is None or not len(self._X):
            return np.full(2, 1e-6)
        spread = np.ptp(np.asarray(self._X, dtype=np.float64), axis=0)
        return np.maximum(spread, 1e-12) * 1e-3
