"""The 2-D view: points coloured by responsibility, each Gaussian as its mean and sigma ellipses.

Every component is drawn as its 1-sigma (solid) and 2-sigma (dashed) ellipse, lightly filled in
its colour, with a disc at the mean and its weight ("π₁ = 0.36") next to it. The ellipses are the
true contours of the Gaussian (:func:`gmm_gui.model.ellipse`, ``mean + k L [cos t, sin t]`` with
``L = cholesky(cov)``). Two small squares sit on the 1-sigma ellipse at the ends of its principal
axes *as drawn on screen* (:func:`screen_axes`): dragging one stretches that axis and turns the
ellipse, keeping the other axis' length on screen. The reshape rule works in the view's pixel
metric mapped back to data units (:func:`reshaped_covariance`), so a drag of a few pixels changes
the Gaussian by a few pixels' worth along the handle's axis, however different the scales of the
two axes (Old Faithful: eruptions 1.5-5 minutes, waiting 45-95 minutes).
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
from gmm_gui.ui.views.reshape import principal_axes, reshaped_covariance, screen_axes
from gmm_gui.ui.views.transition import Params

__all__ = [
    "DENSITY_BAR_LABEL",
    "DENSITY_LEVEL_FRACTIONS",
    "PlotView2D",
    "density_colormap",
    "density_contours",
    "principal_axes",
    "reshaped_covariance",
    "screen_axes",
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
        self.set_axis_labels(("x", "y"))
        # the handles sit where the ellipses' axes are on screen, the labels clear of them and
        # inside the plot: a zoom or a resize moves both
        self._vb.sigRangeChanged.connect(self._on_view_changed)
        self._vb.sigResized.connect(self._on_view_changed)

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
            mean_h = self._handles[k][0]
            mean_h.setPos(float(mean[0]), float(mean[1]))
            mean_h.set_selected(k == self._selected)
            for h in self._handles[k]:
                h.set_draggable(self._editable)
            label = self._labels[k]
            text = weight_label(k, float(params.weights[k]))
            if label.toPlainText() != text:
                label.setText(text)
        self._place_handles(params)
        self._fills.set_shapes(shapes)
        self._outlines.set_shapes(shapes)
        self._layout_labels()

    def _place_handles(self, params: Params | None) -> None:
        """Put the reshape handles at the ends of each ellipse's axes as drawn on screen (again
        after a zoom or a resize: they depend on it); the labels follow them."""
        if params is None or len(self._handles) != params.n_components:
            return
        scale = self._px_per_unit()
        for k in range(params.n_components):
            mean = params.means[k]
            axes, _ = screen_axes(params.covariances[k], scale, self._axis_dirs[k])
            self._axis_dirs[k] = axes
            _, ax0, ax1 = self._handles[k]
            ax0.setPos(float(mean[0] + axes[0, 0]), float(mean[1] + axes[0, 1]))
            ax1.setPos(float(mean[0] + axes[1, 0]), float(mean[1] + axes[1, 1]))
            ax0.setVisible(self._editable)
            ax1.setVisible(self._editable)

    def _on_view_changed(self, *_args: object) -> None:
        self._place_handles(self._shown)
        self._layout_labels()

    def _pixel_size(self) -> tuple[float, float] | None:
        """Data units per screen pixel along x and y (``viewPixelSize``, which costs 0.2 ms:
        kept while the view's range and size stay), or None before the view has a size."""
        vb = self._vb
        if not (vb.width() > 0 and vb.height() > 0):
            return None
        r = vb.viewRect()
        key = (r.left(), r.top(), r.width(), r.height(), vb.width(), vb.height())
        cached = self.__dict__.get("_pixel_size_cache")
        if cached is None or cached[0] != key:
            sx, sy = vb.viewPixelSize()
            cached = (key, (abs(float(sx)), abs(float(sy))))
            self._pixel_size_cache = cached
        return cached[1]

    def _px_per_unit(self) -> np.ndarray:
        """Screen pixels per data unit along x and y, shape (2,) (before the view has a size:
        as if the data's range filled 500 pixels each way)."""
        size = self._pixel_size()
        if size is not None:
            size_a = np.asarray(size, dtype=np.float64)
            if np.all(np.isfinite(size_a)) and np.all(size_a > 0):
                return 1.0 / size_a
        if self._X is not None and len(self._X):
            spread = np.ptp(np.asarray(self._X, dtype=np.float64), axis=0)
            return 500.0 / np.where(spread > 0, spread, 1.0)
        return np.ones(2)

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
        size = self._pixel_size()
        if size is not None and size[0] > 0 and size[1] > 0:
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
        obstacles = self._label_obstacles(self._vb, params.means)
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
        n = np.vstack([up, -up, np.array(compass, dtype=np.float64)])  # (10, 2), unit rows
        # the ellipse's support point in each direction (cov_px is symmetric)
        cn = n @ cov_px
        reach = np.einsum("ij,ij->i", cn, n)
        scale = np.where(reach > 0, 1.0 / np.sqrt(np.where(reach > 0, reach, 1.0)), 0.0)
        support = m + cn * scale[:, None]
        q = support + _LABEL_GAP_PX * n
        top = np.max(np.abs(n), axis=1)
        tl = q - np.column_stack([(0.5 - 0.5 * n[:, 0] / top) * w, (0.5 - 0.5 * n[:, 1] / top) * h])
        # the whole box beyond the tangent at the support point (the ellipse is convex, so it is
        # then outside it): along a slanted direction the anchor alone leaves a corner reaching
        # back over the outline
        offsets = np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]])
        corners = tl[:, None, :] + offsets[None, :, :] - support[:, None, :]
        reach_back = np.min(np.einsum("ijk,ik->ij", corners, n), axis=1)
        tl += np.maximum(_LABEL_GAP_PX - reach_back, 0.0)[:, None] * n
        return [(float(x), float(y)) for x, y in tl]

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
            scale = self._px_per_unit()
            axes, _lengths = screen_axes(params.covariances[k], scale, self._axis_dirs[k])
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
                # the pixel metric and the handles' axes when the drag began
                "px_per_unit": scale,
                "axes": axes,
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
                state["px_per_unit"],
                state["axes"],
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
