"""What the 1-D and 2-D plot views share: signals, snapshot handling, selection, tooltips.

A view draws only from the :class:`~gmm_gui.controller.snapshot.Snapshot` it is handed and
reports the user's intent through signals; it never calls the controller or the window.

``set_snapshot(s, animate=True)`` glides from what is on screen to ``s`` (see
:mod:`gmm_gui.ui.views.transition` for the easing, the frame clock and the colour tween);
:meth:`PlotViewBase.export_image` is :func:`gmm_gui.ui.views.export.export_image`.
"""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QColor, QFont, QHideEvent, QKeyEvent
from PySide6.QtWidgets import QGraphicsItem, QToolTip, QWidget

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.ui import colors
from gmm_gui.ui.views import export, hover, labels
from gmm_gui.ui.views.axes import range_showing
from gmm_gui.ui.views.export import escape_markup
from gmm_gui.ui.views.items import HandleItem
from gmm_gui.ui.views.labels import WEIGHT_LABEL_FILL_ALPHA
from gmm_gui.ui.views.points import PointCloudItem, PointLocator
from gmm_gui.ui.views.raster import SYMBOLS
from gmm_gui.ui.views.transition import (
    COLOR_TWEEN_MAX_POINTS,
    DEFAULT_ANIMATION_MS,
    ColorTween,
    FrameClock,
    Params,
)

__all__ = ["COLOR_TWEEN_MAX_POINTS", "DEFAULT_ANIMATION_MS", "Params", "PlotViewBase"]

_HOVER_RADIUS_PX = 6.0

TEXT_COLOR = QColor(34, 34, 34)
AXIS_COLOR = QColor(110, 110, 110)


def style_plot(plot: pg.PlotItem) -> None:
    """White-background look: dark-grey axes and ticks, a light grid, a frame around the plot."""
    tick_font = QFont()
    tick_font.setPointSizeF(9.5)
    plot.showAxes(True, showValues=(True, False, False, True), size=False)
    for name in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_COLOR, width=1))
        axis.setTextPen(pg.mkPen(TEXT_COLOR))
        axis.setTickFont(tick_font)
        axis.setStyle(maxTickLevel=1)  # major and minor ticks only: a calmer grid, drawn faster
        axis.enableAutoSIPrefix(False)
        axis.setZValue(-1)  # grid lines behind the data (pyqtgraph puts axes above the plot)
    plot.showGrid(x=True, y=True, alpha=0.12)
    for name in ("top", "right"):  # the frame's other two sides: no second copy of the grid
        plot.getAxis(name).setGrid(False)
    for name in ("left", "bottom", "top", "right"):
        # Drawing an axis with its grid costs several milliseconds; it changes only when the
        # view range does, so keep it as a pixmap between frames.
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.setMenuEnabled(False)


def make_weight_label(
    color: QColor,
    anchor: tuple[float, float] = (0.0, 0.0),
    fill_alpha: int = WEIGHT_LABEL_FILL_ALPHA,
) -> pg.TextItem:
    """The "π₂ = 0.64" label of a component: bold, in a darker shade of its colour, on a
    translucent white box (the points under it stay seen)."""
    label = pg.TextItem(
        "", color=color.darker(135), anchor=anchor, fill=pg.mkBrush(255, 255, 255, fill_alpha)
    )
    font = QFont()
    font.setPointSizeF(10.5)
    font.setBold(True)
    label.setFont(font)
    label.setZValue(labels.WEIGHT_LABEL_Z)
    return label


def label_style() -> dict[str, str]:
    """Keyword style for ``PlotItem.setLabel``."""
    return {"color": TEXT_COLOR.name(), "font-size": "11pt"}


class PlotViewBase(pg.GraphicsLayoutWidget):
    """Common base of :class:`PlotView1D` and :class:`PlotView2D`.

    Subclasses create ``self._points`` (a :class:`PointCloudItem`) and implement
    :meth:`_set_data`, :meth:`_show_params`, :meth:`_hover_index`, :meth:`data_to_viewport`
    and :meth:`set_axis_labels`.
    """

    #: Left click on empty plot space: the data coordinate, array of shape (n_features,).
    add_requested = Signal(object)
    #: Right click on a component's mean (or Delete with it selected): the component index.
    remove_requested = Signal(int)
    #: A drag moves or reshapes component k (every mouse move): (k, mean (d,), covariance (d, d)).
    component_dragged = Signal(int, object, object)
    #: The drag of component k ended (the mouse let go): (k, mean (d,), covariance (d, d)).
    component_drag_finished = Signal(int, object, object)
    #: A click on a component's mean selects it; -1 clears the selection.
    component_selected = Signal(int)
    #: A transition started by ``set_snapshot(..., animate=True)`` reached its end.
    animation_finished = Signal()
    #: A frame of a transition was drawn at eased progress s (1.0: its end), for what follows it.
    frame_shown = Signal(float)
    #: :meth:`set_color_override` set or cleared the points' colours (or new data dropped them).
    color_override_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, border=None)
        self.setBackground("w")
        self.ci.setContentsMargins(6, 8, 14, 6)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumSize(QSize(240, 200))
        self._snapshot: Snapshot | None = None
        self._X: np.ndarray | None = None
        self._names: tuple[str, ...] = ()
        self._clock = FrameClock(self, self._on_frame)
        # parameters: shown now, and the two ends of a running transition
        self._shown: Params | None = None
        self._from: Params | None = None
        self._to: Params | None = None
        # colours (OKLab per point) shown now / at the ends of a running transition
        self._colors = ColorTween()
        self._s = 1.0
        self._editable = True
        self._selected = -1
        # the drag in progress: {"k": k} and, once moved, the "mean" and "cov" shown
        self._dragging: dict | None = None
        self._drag_state: dict = {}  # what a subclass needs to follow the mouse
        self._tip_index: int | None = None
        self._points: PointCloudItem | None = None
        self._locator: PointLocator | None = None
        self._color_override: np.ndarray | None = None
        self._symbol_legend: pg.LegendItem | None = None
        self._caption: pg.LabelItem | None = None
        self._symbol_names: tuple[str, str] | None = None  # (title, names) for the tooltip
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # ------------------------------------------------------------------ public API
    def set_snapshot(self, snapshot: Snapshot, animate: bool = True) -> None:
        """Draw ``snapshot``, gliding from what is on screen when ``animate`` is true.

        Parameters
        ----------
        snapshot : Snapshot
        animate : bool
            Tween parameters and colours over the duration of :meth:`set_animation_ms`. A new
            data set, a hidden view or a duration of 0 jumps.
        """
        X = np.asarray(snapshot.X)
        new_data = self._X is None or not (
            X is self._X or (X.shape == self._X.shape and np.array_equal(X, self._X))
        )
        shown_params = self._shown
        shown_mix = self._current_mix()
        self._clock.stop()
        dropped_override = new_data and self._color_override is not None
        if new_data:
            self._X = X
            self._tip_index = None
            self._color_override = None
            self._set_data(X)
            self.set_point_symbols(None)
            shown_params, shown_mix = None, None
            self._colors.shown = None
        previous = self._snapshot
        self._snapshot = snapshot
        editable_changed = self._editable != bool(snapshot.editable)
        self._editable = bool(snapshot.editable)
        target = Params.of(snapshot.mixture)
        drag = self._dragging
        if drag is not None and (
            new_data
            or not snapshot.editable
            or target is None
            or drag["k"] >= target.n_components
        ):
            # What the mouse holds is gone (undone, new data) or may no longer be edited (a
            # step came mid-drag): the drag ends here, and the rest of it changes nothing.
            self._drop_drag()
        elif drag is not None and "mean" in drag:
            # A drag preview computed for an earlier mouse position must not pull the dragged
            # component back: keep it where the mouse is.
            target = target.with_component(drag["k"], drag["mean"], drag["cov"])
        if new_data and target is not None:
            self._frame_gaussians(target)
        if target is None or (self._selected >= target.n_components):
            self._set_selected(-1, emit=True)
        mix_target = self._colors.mix_for(snapshot, previous, shown_mix)

        # a hidden view (its window closed or not shown yet) has nothing to glide for, and a
        # timer left ticking there would outlive the window's close
        animate = (
            bool(animate) and self._clock.duration_ms > 0 and not new_data and self.isVisible()
        )
        self._to = target
        self._from = shown_params if (animate and target is not None) else None
        if self._from is not None and not target.same_shape(self._from):
            self._from = None
        self._colors.begin(
            self._points, mix_target, shown_mix, animate, self._color_override is not None
        )
        if animate:
            self._s = 0.0
            self._clock.start()
            if editable_changed:
                # the handles must show or hide now even when the Gaussians do not move (the
                # first E-step from the start): the first frame redraws them
                self._shown = None
            self._apply_frame(0.0)
        else:
            self._s = 1.0
            # An E-step keeps the Gaussians: nothing of them to redraw (ellipses, curves,
            # handles and labels are a few milliseconds a frame)
            unchanged = (
                not new_data
                and not editable_changed
                and target is not None
                and target.equals(self._shown)
            )
            self._shown = target
            if not unchanged:
                self._show_params(target)
        if dropped_override:
            self.color_override_changed.emit()

    def set_animation_ms(self, ms: int) -> None:
        """Duration of a transition in milliseconds (0: jump)."""
        self._clock.duration_ms = max(0, int(ms))

    def is_animating(self) -> bool:
        """Whether a transition is running."""
        return self._clock.is_active()

    def snapshot(self) -> Snapshot | None:
        """The snapshot drawn (or being glided to)."""
        return self._snapshot

    def shown_params(self) -> Params | None:
        """The component parameters on screen right now (between snapshots while animating)."""
        return self._shown

    def selected_component(self) -> int:
        """Index of the selected component, -1 for none."""
        return self._selected

    def set_selected_component(self, k: int) -> None:
        """Select component ``k`` (-1: none) without emitting ``component_selected``."""
        self._set_selected(k, emit=False)

    def point_colors(self) -> np.ndarray:
        """Colours the points are drawn in, uint8 array of shape (n_samples, 3) (sRGB)."""
        argb = self._points.colors
        return np.stack([(argb >> 16) & 255, (argb >> 8) & 255, argb & 255], axis=1).astype(
            np.uint8
        )

    def set_color_override(self, argb: np.ndarray | None) -> None:
        """Colour the points with given colours instead of their responsibilities' blend.

        Used by the analysis tools (k-means' hard assignment, uncertainty). The override stays
        through new snapshots of the same data (the tool updates it) and is dropped with new data.

        Parameters
        ----------
        argb : uint32 array of shape (n_samples,), or None
            ``0xAARRGGBB`` per point (see :func:`gmm_gui.ui.colors.pack_argb32`); ``None``
            returns to the blend of the responsibilities.
        """
        if self._clock.is_active() and self._colors.running:
            # stop the colour part of a running transition at its end
            self._colors.stop(self._points)
        if argb is None:
            if self._color_override is not None and self._colors.shown is not None:
                self._points.set_colors(self._colors.argb(self._colors.shown))
            changed = self._color_override is not None
            self._color_override = None
            if changed:
                self.color_override_changed.emit()
            return
        argb = np.asarray(argb, dtype=np.uint32).reshape(-1)
        n = 0 if self._X is None else len(self._X)
        if argb.shape != (n,):
            raise ValueError(f"colours must have shape ({n},), got {argb.shape}")
        self._color_override = argb
        self._points.set_colors(argb)
        self.color_override_changed.emit()

    def color_override(self) -> np.ndarray | None:
        """The colours set by :meth:`set_color_override`, or None."""
        return self._color_override

    def set_point_symbols(
        self, codes: np.ndarray | None, names: object = None, title: str = ""
    ) -> None:
        """Draw the points as marker shapes by an integer code, e.g. a known label column.

        The colours stay those of the fit; a legend lists the shapes.

        Parameters
        ----------
        codes : int array of shape (n_samples,), or None for plain discs
            Code ``i`` is shape ``SYMBOLS[i % 6]`` (disc, square, triangle, diamond, ...).
        names : sequence of str, optional
            The legend's text for code 0, 1, ...
        title : str
            The legend's heading (e.g. the column name).
        """
        old = self._symbol_legend
        if old is not None:
            if old.scene() is not None:
                old.scene().removeItem(old)
            self._symbol_legend = None
        self._symbol_names = None
        if self._points is None:
            return
        self._points.set_symbols(codes)
        if codes is None or names is None:
            return
        self._symbol_names = (str(title), tuple(str(n) for n in names))
        legend = pg.LegendItem(
            offset=self._symbol_legend_offset(),
            labelTextColor=TEXT_COLOR,
            brush=pg.mkBrush(255, 255, 255, 215),
            pen=pg.mkPen(200, 200, 200),
            verSpacing=-4,
        )
        legend.setParentItem(self._symbol_legend_parent())
        legend.setZValue(40)
        if title:  # a heading row: an entry whose sample draws nothing
            legend.addItem(pg.PlotDataItem(pen=None, symbol=None), f"<b>{escape_markup(title)}</b>")
        for i, name in enumerate(names):
            sample = pg.ScatterPlotItem(
                symbol=SYMBOLS[i % len(SYMBOLS)],
                size=11,
                pen=pg.mkPen(48, 48, 48, width=1.2),
                brush=pg.mkBrush(175, 175, 175),
            )
            legend.addItem(sample, escape_markup(name))
        self._symbol_legend = legend

    def point_symbols(self) -> tuple[np.ndarray, tuple[str, ...] | None, str] | None:
        """What :meth:`set_point_symbols` was given, ``(codes, names, title)``, or None."""
        codes = None if self._points is None else self._points.symbol_codes
        if codes is None:
            return None
        if self._symbol_names is None:
            return codes, None, ""
        title, names = self._symbol_names
        return codes, names, title

    def set_caption(self, text: str) -> None:
        """Show a short note in a line below the plot (rich text; "" removes it).

        Used by the analysis tools to say what the colours and shapes mean right now (e.g.
        "ARI = 0.87 (sex vs clusters)"); it is part of an exported image.
        """
        text = str(text)
        if not text:
            if self._caption is not None:
                self.ci.removeItem(self._caption)
                self._caption = None
            return
        if self._caption is None:
            self._caption = pg.LabelItem("", color=TEXT_COLOR, size="9.5pt", justify="left")
            self.ci.addItem(self._caption, row=self.ci.layout.rowCount(), col=0)
        self._caption.setText(text)

    def caption(self) -> str:
        """The text of :meth:`set_caption`."""
        return "" if self._caption is None else str(self._caption.text)

    def symbol_legend(self) -> pg.LegendItem | None:
        """The legend of :meth:`set_point_symbols`, or None."""
        return self._symbol_legend

    def _symbol_legend_parent(self) -> pg.ViewBox:
        return self._points.getViewBox()

    def _symbol_legend_offset(self) -> tuple[int, int]:
        return (8, 8)  # top left: away from the log-likelihood-style corner most data leaves

    def export_image(self, path: str | os.PathLike) -> None:
        """Save the plot as PNG (twice the screen resolution) or SVG, chosen by the suffix.

        The file is written under a temporary name in the same folder and then renamed, so an
        existing file is never left half-written.

        Parameters
        ----------
        path : str or Path
            Ends in ``.png`` or ``.svg``.
        """
        self.finish_animation()
        export.export_image(self, path)

    def finish_animation(self) -> None:
        """Jump to the end of a running transition (emits ``animation_finished``)."""
        if self._clock.is_active():
            self._clock.stop()
            self._on_frame(1.0)

    def data_to_viewport(self, pos: object) -> QPoint:
        """Pixel in ``viewport()`` of a data coordinate (for clicking like a person in tests)."""
        raise NotImplementedError

    def set_axis_labels(self, names: object) -> None:
        """Label the axes with the data's column names."""
        raise NotImplementedError

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the animation timer with the widget."""
        self._clock.stop()
        super().closeEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden (its window closed, or another view shown): end a running transition now.

        A window's close reaches its child views only as a hide; without this the animation
        timer of a closed window ticked on until the window was deleted.
        """
        self.finish_animation()
        super().hideEvent(event)

    # ------------------------------------------------------------------ weight labels
    _place_weight_labels = staticmethod(labels.place_weight_labels)

    def _label_obstacles(self, vb: pg.ViewBox, centres: np.ndarray) -> list[QRectF]:
        """What the weight labels keep clear of (see :func:`labels.label_obstacles`)."""
        legends = (getattr(self, "_legend", None), self._symbol_legend)
        return labels.label_obstacles(vb, centres, legends)

    # ------------------------------------------------------------------ subclass hooks
    def _set_data(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _show_params(self, params: Params | None) -> None:
        raise NotImplementedError

    def _frame_gaussians(self, params: Params) -> None:
        """New data: widen the view set by :meth:`_set_data` to show a start placed off the
        data (see :func:`~gmm_gui.ui.views.axes.range_showing`)."""
        if self._X is None or not len(self._X) or not params.n_components:
            return
        box = self._points_box()  # the 1-D strip shares its x range with the density plot
        (x0, x1), (y0, y1) = box.viewRange()
        sd = np.sqrt(np.maximum(np.diagonal(params.covariances, axis1=1, axis2=2), 0.0))
        new_x = range_showing((x0, x1), params.means[:, 0], sd[:, 0])
        if new_x != (x0, x1):
            box.setXRange(*new_x, padding=0)
        if params.means.shape[1] == 2:
            new_y = range_showing((y0, y1), params.means[:, 1], sd[:, 1])
            if new_y != (y0, y1):
                box.setYRange(*new_y, padding=0)

    def _points_box(self) -> pg.ViewBox:
        """The view box that holds the data points (where hovering looks for them)."""
        raise NotImplementedError

    def _hover_index(self, scene_pos: QPointF) -> int | None:
        """Index of the point under the mouse (within a few pixels), or ``None``."""
        vb = self._points_box()
        if self._locator is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        view = vb.mapSceneToView(scene_pos)
        radius = max(_HOVER_RADIUS_PX, self._points.style.radius + 2.0)
        return self._locator.nearest((view.x(), view.y()), vb.viewPixelSize(), radius)

    # ------------------------------------------------------------------ animation
    def _current_mix(self) -> np.ndarray | None:
        return self._colors.current(self._clock.is_active(), self._s)

    def _on_frame(self, s: float) -> None:
        """A tick of the transition's clock at eased progress ``s`` (1.0: its end)."""
        self._apply_frame(s)
        if s >= 1.0:
            self._end_transition()
            self.animation_finished.emit()

    def _apply_frame(self, s: float) -> None:
        self._s = s
        if self._from is not None and self._to is not None:
            params = self._to if s >= 1.0 else self._from.lerp(self._to, s)
        else:
            params = self._to
        if not (params is self._shown or (params is not None and params.equals(self._shown))):
            self._shown = params
            self._show_params(params)
        elif params is None and self._shown is None:
            self._show_params(None)
        self._colors.apply(self._points, s)
        self.frame_shown.emit(s)

    def _end_transition(self) -> None:
        self._colors.end(self._points)
        self._from = None
        self._s = 1.0

    # ------------------------------------------------------------------ editing
    def _set_selected(self, k: int, emit: bool) -> None:
        if k == self._selected:
            return
        self._selected = k
        self._show_params(self._shown)
        if emit:
            self.component_selected.emit(k)

    def _on_empty_click(self, view_pos: np.ndarray) -> None:
        """A left click on empty plot space at data coordinate ``view_pos`` (shape (d,))."""
        self._set_selected(-1, emit=True)
        if self._snapshot is not None and self._editable:
            self.add_requested.emit(np.asarray(view_pos, dtype=np.float64))

    def _on_handle_click(self, handle: HandleItem, button: Qt.MouseButton) -> None:
        if handle.role != "mean":
            return
        if button == Qt.MouseButton.RightButton:
            if self._editable:
                self.remove_requested.emit(handle.k)
        else:
            self._set_selected(handle.k, emit=True)

    def _begin_edit(self, k: int) -> bool:
        """Start dragging component ``k``; False (and no drag) if it cannot be edited."""
        self._drop_drag()
        if not self._editable or self._shown is None or not 0 <= k < self._shown.n_components:
            return False
        self.finish_animation()
        self._dragging = {"k": k}
        QToolTip.hideText()
        self._tip_index = None
        return True

    def _drop_drag(self) -> None:
        """Forget the drag in progress: later moves and the release change nothing."""
        self._dragging = None
        self._drag_state = {}

    def _edit(self, k: int, mean: np.ndarray, cov: np.ndarray, finished: bool) -> None:
        """Show component ``k`` with a new mean and covariance at once, and report it.

        What is shown is only a proposal: the session answers with a snapshot, the edited start
        or, if it refuses the edit, the start as it was.
        """
        if self._dragging is None or self._dragging["k"] != k:
            return
        self._shown = self._shown.with_component(k, mean, cov)
        self._show_params(self._shown)
        if finished:
            self._drop_drag()
        else:
            self._dragging.update(mean=np.array(mean), cov=np.array(cov))
        edited = self.component_drag_finished if finished else self.component_dragged
        edited.emit(k, np.array(mean, dtype=np.float64), np.array(cov))

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        """Delete or Backspace removes the selected component (when editable)."""
        if ev.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected >= 0:
            if self._editable:
                self.remove_requested.emit(self._selected)
            ev.accept()
            return
        super().keyPressEvent(ev)

    # ------------------------------------------------------------------ hover
    def tooltip_text(self, index: int) -> str:
        """The hover text of data point ``index``: its coordinates and responsibilities, then
        the E-step's arithmetic there (:func:`gmm_gui.ui.views.hover.breakdown_html`): each
        Gaussian's density, weighted density and posterior, and the mixture density."""
        snap = self._snapshot
        if snap is None:
            return ""
        x = np.asarray(snap.X[index], dtype=np.float64)
        names = (
            self._names
            if len(self._names) == len(x)
            else tuple(("x", "y")[i] if len(x) == 2 else "x" for i in range(len(x)))
        )
        lines = [f"<b>point {index + 1}</b>"]
        lines += [f"{escape_markup(n)} = {v:.6g}" for n, v in zip(names, x, strict=True)]
        codes = self._points.symbol_codes if self._points is not None else None
        if self._symbol_names is not None and codes is not None:
            title, values = self._symbol_names
            value = values[int(codes[index])] if int(codes[index]) < len(values) else "?"
            lines.append(f"{escape_markup(title or 'label')}: {escape_markup(value)}")
        if snap.resp is not None:
            resp = np.asarray(snap.resp[index], dtype=np.float64)
            lines.append("responsibility (the point's colour):")
            for k, r in enumerate(resp):
                c = colors.qcolor(k).name()
                lines.append(
                    f"<span style='color:{c}; font-size:large'>&#9632;</span> "
                    f"component {k + 1}: {r:.3f}"
                )
        text = "<br>".join(lines)
        mixture = snap.mixture
        if mixture is not None and mixture.n_components and mixture.n_features == len(x):
            swatches = [colors.qcolor(k).name() for k in range(mixture.n_components)]
            text += "<br>" + hover.breakdown_html(x, mixture, swatches, snap.phase == "E")
        return text

    @Slot(object)
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self._dragging is not None or self._snapshot is None:
            return
        index = self._hover_index(scene_pos)
        if index is None:
            if self._tip_index is not None:
                QToolTip.hideText()
                self._tip_index = None
            return
        if index != self._tip_index:
            self._tip_index = index
            global_pos = self.viewport().mapToGlobal(self.mapFromScene(scene_pos))
            QToolTip.showText(global_pos, self.tooltip_text(index), self.viewport())
