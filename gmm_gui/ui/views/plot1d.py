"""The 1-D view, as in the lecture: a strip of points, a histogram and the density curves.

The upper plot holds a muted grey histogram of the data (as a density, so it is on the same
scale as the curves), each component's weighted density ``weight * pdf`` lightly filled in its
colour (so the component curves add up to the mixture) and the mixture density in dark grey. The
lower strip, x-linked and clearly separate, shows every data point, jittered vertically, in its
responsibility-blended colour. A component's mean is a disc on its curve's peak (drag it
sideways to move the mean); the squares at mean ± one standard deviation widen or narrow it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.ui import colors
from gmm_gui.ui.views.axes import AXIS_NAMES, grid_axes
from gmm_gui.ui.views.base import PlotViewBase, label_style, make_weight_label, style_plot
from gmm_gui.ui.views.export import escape_markup
from gmm_gui.ui.views.items import EditViewBox, HandleItem
from gmm_gui.ui.views.plot2d import weight_label
from gmm_gui.ui.views.points import PointCloudItem, PointLocator
from gmm_gui.ui.views.transition import Params

__all__ = ["PlotView1D", "component_densities"]

_GRID_POINTS = 600
_STRIP_BAND = (0.14, 0.86)
_AXIS_WIDTH = 58
_LABEL_LIFT_PX = 12.0  # a weight label's gap above its peak's handle
HIST_BRUSH = QColor(190, 190, 190, 150)
HIST_PEN = QColor(160, 160, 160)
MIXTURE_PEN = QColor(40, 40, 40)


def component_densities(x: np.ndarray, params: Params) -> np.ndarray:
    """Each component's weighted density ``weight_k * N(x | mean_k, var_k)``.

    Parameters
    ----------
    x : array of shape (n_points,)
    params : Params
        One feature.

    Returns
    -------
    array of shape (n_components, n_points)
        Summing over the first axis gives the mixture density.
    """
    mu = params.means[:, 0][:, None]
    sd = np.sqrt(params.covariances[:, 0, 0])[:, None]
    z = (np.asarray(x, dtype=np.float64)[None, :] - mu) / sd
    return params.weights[:, None] * np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * sd)


class PlotView1D(PlotViewBase):
    """A plot of 1-D data and a Gaussian mixture, driven by snapshots (see the UI contract).

    Parameters
    ----------
    parent : QWidget, optional
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vb = EditViewBox(on_click=self._empty_click)
        self.plot = self.addPlot(row=0, col=0, viewBox=self._vb, axisItems=grid_axes(AXIS_NAMES))
        self._strip_vb = EditViewBox(on_click=self._empty_click)
        self.strip = self.addPlot(
            row=1, col=0, viewBox=self._strip_vb, axisItems=grid_axes(AXIS_NAMES)
        )
        style_plot(self.plot)
        style_plot(self.strip)
        self.plot.getAxis("bottom").setStyle(showValues=True)
        self.strip.showGrid(x=False, y=False)
        self.strip.setXLink(self.plot)
        self.strip.setMouseEnabled(x=True, y=False)
        self._strip_vb.setYRange(0.0, 1.0, padding=0)
        self._strip_vb.setLimits(yMin=0.0, yMax=1.0)
        self._strip_vb.setBackgroundColor(QColor(246, 246, 246))
        for name in ("left", "right"):
            self.strip.getAxis(name).setStyle(showValues=False, tickLength=0)
            self.strip.getAxis(name).setTicks([[]])
        for plot in (self.plot, self.strip):
            plot.getAxis("left").setWidth(_AXIS_WIDTH)
        self.strip.setMinimumHeight(78)
        self.strip.setMaximumHeight(96)
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.ci.layout.setVerticalSpacing(4)
        self.plot.setLabel("left", "density", **label_style())
        self.strip.setLabel("left", "data", **label_style())

        self._hist = pg.PlotCurveItem(
            x=np.array([0.0, 1.0]),
            y=np.array([0.0]),
            stepMode="center",
            fillLevel=0,
            brush=pg.mkBrush(HIST_BRUSH),
            pen=pg.mkPen(HIST_PEN, width=1),
        )
        self._hist.setZValue(-20)
        self._vb.addItem(self._hist)
        self._mixture_curve = pg.PlotCurveItem(pen=pg.mkPen(MIXTURE_PEN, width=2.6))
        self._mixture_curve.setZValue(10)
        self._vb.addItem(self._mixture_curve, ignoreBounds=True)
        self._curves: list[pg.PlotCurveItem] = []
        self._handles: list[list[HandleItem]] = []
        self._labels: list[pg.TextItem] = []
        self._legend = self.plot.addLegend(offset=(-8, 8), labelTextColor=(40, 40, 40))
        self._legend.setBrush(pg.mkBrush(255, 255, 255, 210))
        self._legend.setPen(pg.mkPen(200, 200, 200))
        self._legend.addItem(self._hist, "histogram of the data")
        self._legend.addItem(self._mixture_curve, "mixture density")

        self._points = PointCloudItem()
        self._strip_vb.addItem(self._points, ignoreBounds=True)
        self._hist_top = 1.0
        self._overlay = pg.ScatterPlotItem(
            size=6, symbol="x", pen=pg.mkPen(25, 25, 25, 170, width=1.2), brush=None
        )
        self._overlay.setZValue(15)
        self._hist_edges: np.ndarray | None = None
        self._overlay_hist = pg.PlotCurveItem(
            x=np.array([0.0, 1.0]),
            y=np.array([0.0]),
            stepMode="center",
            pen=pg.mkPen(25, 25, 25, 220, width=1.6, style=Qt.PenStyle.DashLine),
        )
        self._overlay_hist.setZValue(12)
        self._overlay_hist.setVisible(False)
        self._vb.addItem(self._overlay_hist, ignoreBounds=True)
        self._markers = pg.ScatterPlotItem(
            size=18, symbol="star", pen=pg.mkPen(15, 15, 15, width=1.6), brush=None
        )
        self._markers.setZValue(28)
        self._strip_vb.addItem(self._markers, ignoreBounds=True)
        self._strip_vb.addItem(self._overlay, ignoreBounds=True)
        self._vb.sigXRangeChanged.connect(self._update_curves)
        self._vb.sigRangeChanged.connect(self._layout_labels)
        self._vb.sigResized.connect(self._layout_labels)
        self.set_axis_labels(("x",))

    # ------------------------------------------------------------------ public
    def set_axis_labels(self, names: Sequence[str]) -> None:
        """Label the x axis with the column name (a sequence of one name, or a string)."""
        if isinstance(names, str):
            names = (names,)
        names = tuple(str(n) for n in names)
        if len(names) != 1:
            raise ValueError(f"a 1-D view needs one axis name, got {len(names)}")
        self._names = names
        self.strip.setLabel("bottom", escape_markup(names[0]), **label_style())

    def set_overlay_points(self, points: np.ndarray | None) -> None:
        """Show extra values (e.g. samples drawn from the mixture) as dark crosses in the strip.

        Parameters
        ----------
        points : array of shape (n_points,) or (n_points, 1), or None to remove them
        """
        if points is None or len(points) == 0:
            self._overlay.setData([], [])
            self._set_overlay_hist(None)
            return
        x = np.asarray(points, dtype=np.float64).reshape(-1)
        y = np.random.default_rng(1).uniform(_STRIP_BAND[0], _STRIP_BAND[1], size=len(x))
        self._overlay.setData(x, y)
        self._set_overlay_hist(x)

    def _set_overlay_hist(self, x: np.ndarray | None) -> None:
        """The extra values' histogram (dashed outline, same bins as the data's, as a density)."""
        legend_has = any(item is self._overlay_hist for item, _ in self._legend.items)
        if x is None or self._hist_edges is None:
            self._overlay_hist.setData(np.array([0.0, 1.0]), np.array([0.0]))
            self._overlay_hist.setVisible(False)
            if legend_has:
                self._legend.removeItem(self._overlay_hist)
            return
        edges = self._hist_edges
        counts, _ = np.histogram(x, bins=edges)
        # a density over all the values, also those beyond the data's bins
        dens = counts / (len(x) * np.diff(edges))
        self._overlay_hist.setData(edges, dens)
        self._overlay_hist.setVisible(True)
        if not legend_has:
            self._legend.addItem(self._overlay_hist, "histogram of the samples (×)")

    def overlay_histogram(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Bin edges and densities of the extra values' histogram, or None."""
        if not self._overlay_hist.isVisible():
            return None
        x, y = self._overlay_hist.getData()
        return np.asarray(x), np.asarray(y)

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
        x = np.asarray(points, dtype=np.float64).reshape(-1)
        y = np.full(len(x), 0.5)
        fill = np.full((len(x), 3), 255) if rgb is None else np.asarray(rgb).reshape(-1, 3)
        self._markers.setData(x, y, brush=[pg.mkBrush(*(int(v) for v in c)) for c in fill])

    def marker_points(self) -> np.ndarray:
        """Positions of the stars of :meth:`set_marker_points`, array of shape (n_points, 2)."""
        x, y = self._markers.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def data_to_viewport(self, pos: float | Sequence[float]) -> QPoint:
        """Pixel in ``viewport()`` of a data coordinate.

        ``(x, y)`` is a point of the density plot (``y`` in density units); a single ``x`` is
        the middle of the data strip at ``x`` (empty space: clicking there adds a component).
        """
        arr = np.atleast_1d(np.asarray(pos, dtype=np.float64)).ravel()
        if arr.size == 2:
            scene = self._vb.mapViewToScene(QPointF(arr[0], arr[1]))
        elif arr.size == 1:
            scene = self._strip_vb.mapViewToScene(QPointF(arr[0], 0.5))
        else:
            raise ValueError(f"expected (x,) or (x, y), got {arr.size} numbers")
        return self.mapFromScene(scene)

    def set_snapshot(self, snapshot: Snapshot, animate: bool = True) -> None:
        """Draw ``snapshot`` (see :meth:`PlotViewBase.set_snapshot`); rescale y if needed."""
        super().set_snapshot(snapshot, animate)
        self._fit_y(Params.of(snapshot.mixture))

    @property
    def view_box(self) -> pg.ViewBox:
        """The ViewBox of the density plot."""
        return self._vb

    @property
    def strip_view_box(self) -> pg.ViewBox:
        """The ViewBox of the data strip."""
        return self._strip_vb

    @property
    def points_item(self) -> PointCloudItem:
        """The item drawing the data points in the strip."""
        return self._points

    def curve_items(self) -> list[pg.PlotCurveItem]:
        """The component curves (one per component)."""
        return list(self._curves)

    @property
    def mixture_item(self) -> pg.PlotCurveItem:
        """The mixture density curve."""
        return self._mixture_curve

    def handles(self) -> list[list[HandleItem]]:
        """Per component: the mean handle, then the width handles at mean - sd and mean + sd."""
        return [list(h) for h in self._handles]

    # ------------------------------------------------------------------ hooks
    def _symbol_legend_parent(self) -> pg.ViewBox:
        return self._vb  # the strip is too low for a legend; the density plot's left corner

    def _symbol_legend_offset(self) -> tuple[int, int]:
        return (8, 8)

    def _set_data(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 1:
            raise ValueError(f"PlotView1D draws 1-D data, got shape {X.shape}")
        x = X[:, 0]
        rng = np.random.default_rng(0)
        jitter = rng.uniform(_STRIP_BAND[0], _STRIP_BAND[1], size=len(x))
        xy = np.column_stack([x, jitter])
        self._points.set_positions(xy)
        self._locator = PointLocator(xy)
        if not len(x):
            self._hist.setData(np.array([0.0, 1.0]), np.array([0.0]))
            return
        lo, hi = float(x.min()), float(x.max())
        edges = np.histogram_bin_edges(x, bins="auto")
        if len(edges) - 1 > 80 or len(edges) - 1 < 8:
            edges = np.histogram_bin_edges(x, bins=int(np.clip(len(edges) - 1, 8, 80)))
        counts, edges = np.histogram(x, bins=edges, density=True)
        self._hist.setData(edges, counts)
        self._hist_edges = edges
        self._hist_top = float(counts.max()) if len(counts) else 1.0
        span = hi - lo if hi > lo else 1.0
        self._vb.setRange(
            xRange=(lo - 0.06 * span, hi + 0.06 * span),
            yRange=(0.0, 1.18 * self._hist_top),
            padding=0,
        )

    def _fit_y(self, target: Params | None) -> None:
        """Keep every curve visible: raise (or lower back) the top of the y range if needed."""
        if self._X is None or not len(self._X):
            return
        top = 1.18 * self._hist_top
        if target is not None and target.n_components:
            grid = np.concatenate([target.means[:, 0], np.linspace(*self._x_span(), 400)])
            peak = float(component_densities(grid, target).sum(axis=0).max())
            top = max(top, 1.3 * peak)
        y0, y1 = self._vb.viewRange()[1]
        if abs(y1 - top) > 0.1 * top or y0 != 0.0:
            self._vb.setYRange(0.0, top, padding=0)

    def _x_span(self) -> tuple[float, float]:
        x = self._X[:, 0]
        return float(x.min()), float(x.max())

    def _show_params(self, params: Params | None) -> None:
        k_new = 0 if params is None else params.n_components
        self._sync_items(k_new)
        self._update_curves()
        if params is None:
            return
        for k in range(k_new):
            mu = float(params.means[k, 0])
            sd = float(np.sqrt(params.covariances[k, 0, 0]))
            peak = float(params.weights[k]) / (np.sqrt(2 * np.pi) * sd)
            mean_h, lo_h, hi_h = self._handles[k]
            mean_h.setPos(mu, peak)
            mean_h.set_selected(k == self._selected)
            lo_h.setPos(mu - sd, peak * np.exp(-0.5))
            hi_h.setPos(mu + sd, peak * np.exp(-0.5))
            for h in (mean_h, lo_h, hi_h):
                h.set_draggable(self._editable)
            lo_h.setVisible(self._editable)
            hi_h.setVisible(self._editable)
            label = self._labels[k]
            text = weight_label(k, float(params.weights[k]))
            if label.toPlainText() != text:
                label.setText(text)
            pen = pg.mkPen(colors.qcolor(k), width=3.4 if k == self._selected else 2.2)
            self._curves[k].setPen(pen)
        self._layout_labels()

    def _peaks(self, params: Params) -> np.ndarray:
        """Each component's peak ``(mean, weight * pdf(mean))``, shape (n_components, 2)."""
        sd = np.sqrt(params.covariances[:, 0, 0])
        return np.column_stack([params.means[:, 0], params.weights / (np.sqrt(2 * np.pi) * sd)])

    def _layout_labels(self, *args) -> None:
        """Weight labels above their peaks, inside the plot, clear of each other, the mean
        handles and the legend (see :mod:`gmm_gui.ui.views.labels`)."""
        params = self._shown
        if params is None or not self._labels or len(self._labels) != params.n_components:
            return
        peaks = self._peaks(params)
        wishes = []
        for k, label in enumerate(self._labels):
            br = label.boundingRect()
            w, h = br.width(), br.height()
            c = self._vb.mapViewToScene(QPointF(*peaks[k]))
            x, y = c.x(), c.y()
            above = y - _LABEL_LIFT_PX - h
            wishes.append(
                [
                    (x - w / 2, above),  # centred above the peak
                    (x - w + 8, above),  # above, to the left
                    (x - 8, above),  # above, to the right
                    (x + _LABEL_LIFT_PX, y - h / 2),  # beside the handle
                    (x - _LABEL_LIFT_PX - w, y - h / 2),
                ]
            )
        obstacles = self._label_obstacles(self._vb, peaks)
        order = np.argsort(-params.weights, kind="stable")
        self._place_weight_labels(self._vb, self._labels, wishes, order, obstacles, peaks)

    def weight_labels(self) -> list[pg.TextItem]:
        """Per component: its weight label ("π₁ = 0.36")."""
        return list(self._labels)

    def _update_curves(self, *args) -> None:
        params = self._shown
        if params is None or params.n_components == 0 or self._X is None:
            for c in self._curves:
                c.setData([], [])
            self._mixture_curve.setData([], [])
            return
        x0, x1 = self._vb.viewRange()[0]
        xs = np.linspace(x0, x1, _GRID_POINTS)
        # make sure each narrow peak is sampled at its top
        mus = params.means[:, 0]
        xs = np.union1d(xs, mus[(mus > x0) & (mus < x1)])
        dens = component_densities(xs, params)
        for k, curve in enumerate(self._curves):
            curve.setData(xs, dens[k])
        self._mixture_curve.setData(xs, dens.sum(axis=0))

    def _sync_items(self, n_components: int) -> None:
        while len(self._handles) > n_components:
            for h in self._handles.pop():
                self._vb.removeItem(h)
            self._vb.removeItem(self._labels.pop())
            self._vb.removeItem(self._curves.pop())
        while len(self._handles) < n_components:
            k = len(self._handles)
            color = colors.qcolor(k)
            curve = pg.PlotCurveItem(
                pen=pg.mkPen(color, width=2.2), fillLevel=0, brush=pg.mkBrush(colors.qcolor(k, 40))
            )
            curve.setZValue(0)
            self._vb.addItem(curve, ignoreBounds=True)
            group = [
                HandleItem(k, role, color, self._on_handle_drag, self._on_handle_click)
                for role in ("mean", "width-", "width+")
            ]
            group[0].setToolTip(
                f"Component {k + 1}: drag sideways to move its mean, right-click to remove it"
            )
            for h in group[1:]:
                h.setToolTip(f"Component {k + 1}: drag to make it wider or narrower")
            for h in group:
                self._vb.addItem(h, ignoreBounds=True)
            label = make_weight_label(color)
            self._vb.addItem(label, ignoreBounds=True)
            self._curves.append(curve)
            self._handles.append(group)
            self._labels.append(label)

    def _points_box(self) -> pg.ViewBox:
        return self._strip_vb

    # ------------------------------------------------------------------ editing
    def _empty_click(self, view_pos: QPointF) -> None:
        self._on_empty_click(np.array([view_pos.x()]))

    def _on_handle_drag(self, handle: HandleItem, scene_pos: QPointF, stage: str) -> None:
        k = handle.k
        x = float(self._vb.mapSceneToView(scene_pos).x())
        if stage == "start":
            if not self._begin_edit(k):
                return
            spread = float(np.ptp(self._X[:, 0])) if self._X is not None and len(self._X) else 1.0
            self._drag_state = {
                "offset": float(handle.pos().x()) - x,
                "min_sd": max(spread, 1e-12) * 1e-3,
            }
            return
        if not self._drag_state:
            return  # no drag, or it was dropped (see PlotViewBase.set_snapshot)
        finished = stage == "finish"
        target = x + self._drag_state["offset"]
        mean = self._shown.means[k].copy()
        cov = self._shown.covariances[k].copy()
        if handle.role == "mean":
            mean[0] = target
        else:
            sd = max(abs(target - mean[0]), self._drag_state["min_sd"])
            cov[0, 0] = sd * sd
        self._edit(k, mean, cov, finished)
