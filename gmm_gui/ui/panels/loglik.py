"""The mean log-likelihood per point after each EM iteration, as a small plot.

The current iteration is ringed, the iteration where EM converged gets a dashed line, and any
decrease (which EM should never show) is drawn in red. A click goes to the nearest iteration.

A start far below the rest (-5e7, then -3000) would flatten the curve to a line along the top
and leave the axis only huge numbers: the range then leaves the start out, and an arrow at the
bottom with its value says where it is. The axis' labels are written as
:class:`~gmm_gui.ui.views.axes.GridAxisItem` writes them (one format, thousands separated), and
the "converged" note sits on the side of its line where it fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QGraphicsItem, QWidget

from gmm_gui.ui.numbers import format_number
from gmm_gui.ui.views.axes import AXIS_NAMES, grid_axes

__all__ = ["LogLikelihoodPanel", "decreases"]

_LINE = (60, 60, 60)
_RED = (213, 0, 0)
_GREEN_TEXT = (0, 120, 50)
#: The title's size in points (times the text scale: presentation mode).
TITLE_PT = 10.0
#: The "converged" note's foot, as a fraction of the plot's height above its bottom.
CONVERGED_NOTE_HEIGHT = 0.15
#: A start more than this many times the later values' size below them is left off the scale
#: when only one later value says what the scale is.
FAR_BELOW_FACTOR = 10.0


def decreases(values: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Iterations whose value is lower than the one before (beyond round-off).

    Parameters
    ----------
    values : array of shape (n_iterations + 1,)
        Mean log-likelihood per point, start first.
    rtol : float
        Relative tolerance: drops smaller than ``rtol * |value|`` are round-off.

    Returns
    -------
    iterations : int array
        Each ``t`` with ``values[t] < values[t - 1]``.
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return np.zeros(0, dtype=int)
    drop = v[1:] < v[:-1] - rtol * np.maximum(1.0, np.abs(v[:-1]))
    return np.flatnonzero(drop) + 1


class LogLikelihoodPanel(pg.PlotWidget):
    """Mean log-likelihood per point against iteration.

    Signals
    -------
    iteration_clicked(int)
        The user clicked on the plot; the nearest iteration that has a value.
    """

    iteration_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w", axisItems=grid_axes())
        self.setObjectName("loglik_panel")
        item = self.getPlotItem()
        self._text_scale = 1.0
        self._title_words = ("Log-likelihood per point", "(higher is better)")
        self._set_title()
        item.setLabel("bottom", "iteration")
        item.setLabel("left", "mean log-likelihood")
        item.getAxis("left").enableAutoSIPrefix(False)
        # The tick labels' width may grow but not shrink back: a narrower label on the next
        # half-step would re-lay the plot out and repaint all of it.
        item.getAxis("left").setStyle(autoReduceTextSpace=False)
        # the title's room is what the value axis leaves: fitted again when the axis widens
        item.getAxis("left").geometryChanged.connect(self._set_title)
        item.showGrid(x=True, y=True, alpha=0.15)
        for name in AXIS_NAMES:
            # kept as a pixmap between frames: it changes only when the axes' range does
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.setMinimumHeight(140)
        self._curve = pg.PlotDataItem(
            pen=pg.mkPen(_LINE, width=1.5),
            symbol="o",
            symbolSize=5,
            symbolPen=None,
            symbolBrush=pg.mkBrush(_LINE),
        )
        self._bad_segments = pg.PlotCurveItem(pen=pg.mkPen(_RED, width=3), connect="pairs")
        self._bad_points = pg.ScatterPlotItem(
            size=9, pen=pg.mkPen(_RED), brush=pg.mkBrush(_RED), symbol="x"
        )
        self._current = pg.ScatterPlotItem(
            size=13, pen=pg.mkPen((0, 0, 0), width=2), brush=pg.mkBrush(255, 214, 0), symbol="o"
        )
        self._converged = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen((0, 140, 60), width=1.5, style=Qt.PenStyle.DashLine),
        )
        self._converged.setVisible(False)
        # the note beside the line: a TextItem of its own, put on the side where it fits (an
        # InfiniteLine's label stays right of the line and was cut at the plot's right edge)
        self._converged_note = pg.TextItem("converged", color=_GREEN_TEXT, anchor=(0.0, 1.0))
        self._converged_note.setVisible(False)
        self.addItem(self._converged_note, ignoreBounds=True)
        self._below = pg.ScatterPlotItem(size=11, pen=None, brush=pg.mkBrush(_LINE), symbol="t")
        self._below.setToolTip("The start's log-likelihood is far below this scale.")
        self.addItem(self._below, ignoreBounds=True)
        self._start_note = pg.TextItem("", color=(90, 90, 90), anchor=(-0.1, 0.5))
        self._start_note.setVisible(False)
        self.addItem(self._start_note, ignoreBounds=True)
        for it in (self._curve, self._bad_segments, self._bad_points, self._current):
            self.addItem(it)
        self.addItem(self._converged, ignoreBounds=True)
        self._values = np.zeros(0)
        self._start_value: float | None = None  # the start off the scale, said by the note
        self._shown_key: tuple[int, int | None] | None = None
        self._current_iteration = 0
        self._decreases = np.zeros(0, dtype=int)
        self.scene().sigMouseClicked.connect(self._on_click)
        # the plot's box may change without the panel (a title on two lines, a wider axis)
        self.getViewBox().sigResized.connect(self._place_notes)
        self.setToolTip(
            "Mean log-likelihood per point after each iteration. EM never makes it go down;\n"
            "a drop would be flagged in red. Click a point to go back to that iteration."
        )

    # ---------------------------------------------------------------- state
    def set_log_posterior(self, on: bool) -> None:
        """Name the curve: the mean log-posterior per point (MAP-EM, the prior on) or the
        mean log-likelihood."""
        on = bool(on)
        if on == getattr(self, "_log_posterior", False):
            return
        self._log_posterior = on
        name = "log-posterior" if on else "log-likelihood"
        item = self.getPlotItem()
        self._title_words = (f"{name.capitalize()} per point", "(higher is better)")
        self._set_title()
        item.setLabel("left", f"mean {name}")

    def set_text_scale(self, scale: float) -> None:
        """Draw the title ``scale`` times its usual size (presentation mode) and fit the notes,
        whose fonts may have changed, inside the plot again."""
        self._text_scale = float(scale)
        self._set_title()
        self._place_notes()

    @property
    def start_note(self) -> pg.TextItem:
        """The note beside the arrow for a start far below the scale."""
        return self._start_note

    @property
    def values(self) -> np.ndarray:
        """The values shown, start first."""
        return self._values

    @property
    def current_iteration(self) -> int:
        """The ringed iteration."""
        return self._current_iteration

    @property
    def flagged(self) -> np.ndarray:
        """Iterations drawn in red (a decrease)."""
        return self._decreases

    @property
    def converged_visible(self) -> bool:
        """True when the convergence line is shown."""
        return self._converged.isVisible()

    @property
    def converged_note(self) -> pg.TextItem:
        """The "converged" text beside the convergence line."""
        return self._converged_note

    def set_values(
        self,
        values: Sequence[float] | np.ndarray,
        current_iteration: int,
        converged_at: int | None = None,
    ) -> None:
        """Show ``values[t]`` (the mean log-likelihood after iteration ``t``; ``t = 0``: start).

        Parameters
        ----------
        values : array of shape (n_iterations + 1,)
            NaN where unknown.
        current_iteration : int
            Ringed.
        converged_at : int, optional
            Iteration where EM converged, marked by a dashed line.
        """
        v = np.asarray(values, dtype=float).reshape(-1)
        key = (int(current_iteration), converged_at)
        if key == self._shown_key and np.array_equal(v, self._values, equal_nan=True):
            return  # nothing changed (an E-step): no redraw
        self._shown_key = key
        self._values = v
        self._current_iteration = int(current_iteration)
        x = np.arange(v.size, dtype=float)
        finite = np.isfinite(v)
        lo, hi = self._y_range(v) if finite.any() else (0.0, 1.0)
        on_scale = finite & (v >= lo)
        if on_scale.any():
            self._curve.setData(x[on_scale], v[on_scale])
        else:
            self._curve.setData([], [])
        self._decreases = decreases(v)
        if self._decreases.size:
            t = self._decreases
            seg_x = np.column_stack([t - 1, t]).ravel().astype(float)
            seg_y = np.column_stack([v[t - 1], v[t]]).ravel()
            self._bad_segments.setData(seg_x, seg_y)
            self._bad_points.setData(t.astype(float), v[t])
        else:
            self._bad_segments.setData([], [])
            self._bad_points.setData([], [])
        cur = self._current_iteration
        if 0 <= cur < v.size and np.isfinite(v[cur]):
            self._current.setData([float(cur)], [v[cur]])
        else:
            self._current.setData([], [])
        converged = converged_at is not None and 0 <= converged_at < v.size
        if converged:
            self._converged.setPos(float(converged_at))
        self._converged.setVisible(converged)
        self._converged_note.setVisible(converged)
        if finite.any():
            shown = v[on_scale] if on_scale.any() else np.array([lo, hi])
            self._fit_ranges(v.size - 1, lo, hi, float(shown.min()), float(shown.max()))
            self._off_scale(v, lo, hi)
        else:
            self._start_note.setVisible(False)
            self._below.setData([], [])
        if converged:
            self._place_converged_note(float(converged_at))

    def _place_converged_note(self, x: float) -> None:
        """Put "converged" at the foot of its line, right of it, or left where the plot ends."""
        vb = self.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        px, _ = vb.viewPixelSize() if vb.width() > 0 else (0.0, 0.0)
        width_px = self._converged_note.boundingRect().width()
        right_room_px = (x1 - x) / px if px > 0 else float("inf")
        anchor = (0.0, 1.0) if right_room_px >= width_px + 4 else (1.0, 1.0)
        if tuple(self._converged_note.anchor) != anchor:
            self._converged_note.setAnchor(anchor)
        self._converged_note.setPos(x, y0 + CONVERGED_NOTE_HEIGHT * (y1 - y0))

    def _set_title(self) -> None:
        """The title on one line, or on two when the panel is too narrow for one (a narrow
        side panel, large type) instead of cut at the edge; ``TITLE_PT`` times the text scale
        large, or less (not below ``TITLE_PT``) when even two lines would not fit."""
        words = self.__dict__.get("_title_words")
        if words is None:
            return
        item = self.getPlotItem()
        one = " ".join(words)
        size = TITLE_PT * self.__dict__.get("_text_scale", 1.0)

        margins = 2.0 * item.titleLabel.item.document().documentMargin()

        def width(text: str, points: float) -> float:
            font = QFont(self.font())
            font.setPointSizeF(points)
            return QFontMetricsF(font).horizontalAdvance(text) + margins

        # the title is centred over the plot, right of the value axis
        room = self.width() - item.getAxis("left").width() - 16
        if width(one, size) <= room:
            text = one
        else:
            text = "<br>".join(words)
            widest = max(width(w, size) for w in words)
            if widest > room > 0:  # the title's width would hold the plot wider than the panel
                size = max(TITLE_PT, math.floor(10.0 * size * room / widest) / 10.0)
        if getattr(self, "_title_text", None) != (text, size):
            self._title_text = (text, size)
            item.setTitle(text, size=f"{size:g}pt")
            # pyqtgraph gives the title a row 30 pixels high: two lines in large type need more
            height = max(30, math.ceil(item.titleLabel.itemRect().height()))
            item.titleLabel.setMaximumHeight(height)
            item.layout.setRowFixedHeight(0, height)

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        """Keep the "converged" note inside the plot and the title whole at the new size."""
        super().resizeEvent(event)
        self._set_title()
        if "_start_value" in self.__dict__:  # not while pyqtgraph builds the widget
            self._place_notes()

    def _place_notes(self, *_args: object) -> None:
        """Fit the notes inside the plot (again: it has a new size, or they a new font)."""
        if self._converged.isVisible():
            self._place_converged_note(float(self._converged.value()))
        if self._start_value is not None:
            self._place_start_note(self._start_value)

    def _fit_ranges(self, last: int, lo: float, hi: float, v_min: float, v_max: float) -> None:
        """Show iterations 0..last and values lo..hi, moving the axes only when they must.

        ``v_min`` and ``v_max`` are the extremes of the values drawn, ``lo`` and ``hi`` the
        range wanted around them. Re-ranging repaints both axes with all their tick labels,
        which costs more than the rest of a half-step at 10,000 points; so the x axis grows in
        steps of 10 iterations, and the y range changes only when a value leaves it or the
        values fill less than a third of it. When the values climb out of the top, as they do
        while EM runs, the new range leaves half the span as headroom for the next iterations.
        """
        x_max = float(max(10, -(-last // 10) * 10))
        (x0, x1), (y0, y1) = self.getViewBox().viewRange()
        if x1 != x_max + 0.05 * x_max or x0 != -0.05 * x_max:
            self.setXRange(0, x_max, padding=0.05)
        span = hi - lo
        fits = y0 <= v_min and v_max <= y1 and (y1 - y0) <= 3.0 * span
        if not fits or span <= 0:
            climbing = y0 <= v_min and v_max > y1
            margin = (0.5 if climbing else 0.08) * span if span > 0 else 1.0
            self.setYRange(lo, hi + margin, padding=0)

    @staticmethod
    def _y_range(v: np.ndarray) -> tuple[float, float]:
        """The y range: all values, unless the start is so low it would flatten the rest."""
        finite = v[np.isfinite(v)]
        lo, hi = float(finite.min()), float(finite.max())
        later = v[1:][np.isfinite(v[1:])]
        if later.size >= 2 and np.isfinite(v[0]):
            later_span = float(later.max() - later.min())
            if v[0] < later.min() - 4.0 * max(later_span, 1e-3):
                lo = float(later.min()) - 0.5 * max(later_span, 1e-3)
        elif later.size == 1 and np.isfinite(v[0]):
            # one later value gives no span to compare with: the start is off the scale when
            # it is far below by the size of the value itself (-5e7, then -3000)
            size = max(abs(float(later[0])), 1.0)
            if v[0] < later[0] - FAR_BELOW_FACTOR * size:
                lo = float(later[0]) - 0.5 * size
        span = hi - lo
        if span <= 0:
            span = max(1e-3, abs(hi) * 1e-3)
        return lo - 0.08 * span, hi + 0.08 * span

    def _off_scale(self, v: np.ndarray, lo: float, hi: float) -> None:
        """Mark a start too low to draw with an arrow at the bottom and its value."""
        if np.isfinite(v[0]) and v[0] < lo:
            self._start_value = float(v[0])
            self._place_start_note(self._start_value)
            self._start_note.setVisible(True)
        else:
            self._start_value = None
            self._below.setData([], [])
            self._start_note.setVisible(False)

    def _place_start_note(self, start: float) -> None:
        """The arrow and its note at the bottom of the range shown (which may reach lower than
        the range wanted: it moves only when it must, see _fit_ranges), the note on two lines
        when one would run past the plot's right edge, and raised to stay above its bottom."""
        vb = self.getViewBox()
        (_, x1), (y0, y1) = vb.viewRange()
        px, py = vb.viewPixelSize() if vb.width() > 0 else (0.0, 0.0)
        note = self._start_note
        value = format_number(start, 4)
        one = f"start {value}, far below"
        margins = 2.0 * note.textItem.document().documentMargin()
        width = QFontMetricsF(note.textItem.font()).horizontalAdvance(one) + margins
        # anchored at (-0.1, 0.5): the text begins a tenth of its width right of x = 0
        text = one if px <= 0 or 1.1 * width + 2 <= x1 / px else f"start {value},\nfar below"
        if note.toPlainText() != text:
            note.setText(text)
        rect = note.boundingRect()
        y = y0 + max(0.04 * (y1 - y0), (0.5 * rect.height() + 2) * py)
        self._below.setData([0.0], [y])
        note.setPos(0.0, y)

    # ---------------------------------------------------------------- mouse
    def data_to_viewport(self, iteration: float, value: float) -> QPoint:
        """Pixel in the viewport of a point of the plot (for tests)."""
        scene = self.getPlotItem().vb.mapViewToScene(QPointF(iteration, value))
        return self.mapFromScene(scene)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Take every press: a click anywhere on the plot picks an iteration."""
        super().mousePressEvent(event)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """See :meth:`mousePressEvent`."""
        super().mouseReleaseEvent(event)
        event.accept()

    def _on_click(self, event: object) -> None:
        if self._values.size == 0:
            return
        vb = self.getPlotItem().vb
        pos = event.scenePos()  # type: ignore[attr-defined]
        if not vb.sceneBoundingRect().contains(pos):
            return
        x = vb.mapSceneToView(pos).x()
        valid = np.flatnonzero(np.isfinite(self._values))
        if valid.size == 0:
            return
        nearest = int(valid[np.argmin(np.abs(valid - x))])
        self.iteration_clicked.emit(nearest)
