"""EM as coordinate ascent, seen: the log-likelihood along one parameter and the E-step's bound.

Analyse > "EM as coordinate ascent…" opens a dock for 1-D data. It draws, along one parameter of
one Gaussian (its mean, its standard deviation or its weight; everything else held), the mean
log-likelihood per point ``L`` (solid) and the lower bound ``B(theta; q)`` of the current E-step
(dashed), computed by :func:`gmm_gui.model.ascent.ascent_curves` in the dock's own background
lane. After an E-step the bound touches ``L`` at the current value; after an M-step the current
value sits at the bound's peak (where that is so) and ``L`` has risen. The dock follows the
window's half-steps as they are shown (the workspace's state) and says in words what is seen;
every claim in the words is checked on the numbers drawn. For data of two columns its controls
are disabled and, where the plot would be, a centred message says what to open instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap, QShowEvent
from PySide6.QtWidgets import QComboBox, QLabel, QStackedWidget, QVBoxLayout, QWidget

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.workspace import Workspace, WorkspaceState
from gmm_gui.model.ascent import AscentCurves, Parameter, ascent_curves
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.colors import qcolor
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views.axes import AXIS_NAMES, grid_axes
from gmm_gui.ui.views.base import label_style, style_plot

__all__ = ["PARAMETER_TEXT", "AscentDock", "AscentRequest", "describe", "not_drawn_text"]

#: (parameter, text in the selector, symbol)
PARAMETER_TEXT: tuple[tuple[Parameter, str, str], ...] = (
    ("mean", "its mean μ", "μ"),
    ("sd", "its standard deviation σ", "σ"),
    ("weight", "its weight π", "π"),
)
_SYMBOL = {key: symbol for key, _, symbol in PARAMETER_TEXT}
_NAME = {"mean": "mean", "sd": "standard deviation", "weight": "weight"}
#: The bound touches L (after an E-step) when the gap per point is below this.
TOUCH_TOL = 1e-9
_LL_PEN = pg.mkPen((25, 25, 25), width=2.5)


@dataclass(frozen=True)
class AscentRequest:
    """What one computation of the curves was for (the words need it too).

    Attributes
    ----------
    snapshot : Snapshot
        The state shown (1-D, with Gaussians).
    component : int
        0-based.
    parameter : "mean", "sd" or "weight"
    before : float or None
        The objective per point before the M-step of ``snapshot`` (an M state), else None.
    covariance_type : str
    """

    snapshot: Snapshot
    component: int
    parameter: Parameter
    before: float | None = None
    covariance_type: str = "full"


def not_drawn_text(snapshot: Snapshot | None) -> str | None:
    """Why the dock cannot draw ``snapshot`` (no data, or not 1-D), or None when it can.

    Parameters
    ----------
    snapshot : Snapshot or None
        The state shown.

    Returns
    -------
    str or None
        Plain text, shown in the middle of the plot.
    """
    samples = "open Davis heights or Galton children's heights (File > Samples)"
    if snapshot is None:
        return f"EM as coordinate ascent is drawn for 1-D data: {samples}."
    n = snapshot.n_features
    if n == 1:
        return None
    return (
        f"EM as coordinate ascent is drawn for 1-D data, and the data open have {n} columns: "
        f"{samples}."
    )


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _at_peak(curves: AscentCurves) -> bool:
    """The current value is the bound's peak (to a millionth of the range drawn)."""
    if curves.peak is None:
        return False
    span = float(curves.values[-1] - curves.values[0])
    return abs(curves.current - curves.peak) <= 1e-6 * max(span, abs(curves.peak))


def describe(request: AscentRequest, curves: AscentCurves) -> str:
    """What the dock shows, in words that the numbers of ``curves`` bear out.

    Parameters
    ----------
    request : AscentRequest
    curves : AscentCurves
        Computed for ``request``.

    Returns
    -------
    str
        Plain text.
    """
    snap = request.snapshot
    k = request.component + 1
    par = request.parameter
    name = f"{_SYMBOL[par]}{k}"
    held = "everything else held"
    lines = []
    if curves.bound is None:
        return (
            f"The start, before any E-step: the solid curve is the log-likelihood per point as "
            f"{name} (the {_NAME[par]} of Gaussian {k}) alone moves, {held}; the line marks "
            f"{name} = {_fmt(curves.current)}. There is no bound yet: press E, and the E-step "
            f"draws a lower bound that touches the curve there."
        )
    gap = curves.gap
    assert gap is not None
    prior = snap.log_posterior
    ll = np.asarray(curves.log_likelihood)
    under = np.asarray(curves.bound) <= ll + 1e-12 * (1.0 + np.abs(ll))
    below = "below" if np.all(under) else f"not everywhere below ({int(np.sum(~under))} values)"
    if snap.phase == "E":
        if abs(gap) <= TOUCH_TOL:
            lines.append(
                f"After the E-step of iteration {snap.iteration + 1}: the dashed curve, this "
                f"E-step's lower bound, lies {below} the log-likelihood and touches it at "
                f"{name} = {_fmt(curves.current)}: the E-step made the bound tight."
            )
        else:  # not seen in practice: said as it is
            lines.append(
                f"After the E-step of iteration {snap.iteration + 1}: the bound lies "
                f"{gap:.2g} per point below the log-likelihood at {name} = "
                f"{_fmt(curves.current)}."
            )
        if curves.peak is None:
            lines.append(f"Gaussian {k} is responsible for no point: the bound has no peak.")
        else:
            lines.append(
                f"Along {name} alone ({held}) the bound peaks at {name} = {_fmt(curves.peak)}."
            )
            exact = par == "weight" or (par == "mean" and not prior)
            if exact:
                lines.append(
                    f"That is where the M-step will put {name}: its update does not depend on "
                    f"the other parameters."
                )
            else:
                why = "the prior pulls the mean" if par == "mean" else f"it moves μ{k} too"
                lines.append(
                    f"The M-step climbs every parameter at once ({why}), so {name} lands near "
                    f"there, not exactly on it."
                )
    else:  # "M"
        lines.append(
            f"After the M-step of iteration {snap.iteration}: the dashed curve is still the "
            f"bound of the E-step before it, now drawn with the other parameters at their new "
            f"values."
        )
        if _at_peak(curves):
            lines.append(f"The M-step put {name} = {_fmt(curves.current)} at the bound's peak.")
        elif curves.peak is not None:
            reasons = []
            if par == "sd" and request.covariance_type == "tied":
                reasons.append("the standard deviations are tied: the M-step set one shared value")
            if prior and par != "weight":
                reasons.append("the prior pulls it")
            reason = "; ".join(reasons) or "the M-step maximised all the parameters together"
            lines.append(
                f"{name} is now {_fmt(curves.current)}; along {name} alone the bound peaks at "
                f"{_fmt(curves.peak)} ({reason})."
            )
        objective = "log-posterior" if prior else "log-likelihood"
        if request.before is not None and snap.mean_log_likelihood is not None:
            after = snap.mean_log_likelihood
            change = after - request.before
            verb = "rose" if change > 0 else "did not rise"
            lines.append(
                f"The {objective} per point {verb} ({_fmt(request.before)} to {_fmt(after)})."
            )
        if gap > TOUCH_TOL:
            lines.append(
                f"At {name} the bound is now {gap:.2g} below the log-likelihood: the next "
                f"E-step will make it touch again."
            )
        if request.component in snap.degenerate:
            lines.append(f"Gaussian {k} has collapsed: a degenerate solution, not a maximum.")
    return " ".join(lines)


class AscentDock(AnalysisDock):
    """The coordinate-ascent dock (1-D data; for other data its controls are disabled and the
    plot's place says why, :func:`not_drawn_text`).

    Parameters
    ----------
    workspace : Workspace
        Its state (the half-step shown) is followed.
    overlay : ViewOverlay
        Not drawn on (every dock is given one).
    parent : QWidget, optional

    Attributes
    ----------
    curves : AscentCurves or None
        What is drawn (None: nothing).
    request : AscentRequest or None
        What :attr:`curves` were computed for.
    """

    CANCEL_ON_CLOSE = True

    def __init__(
        self, workspace: Workspace, overlay: ViewOverlay, parent: QWidget | None = None
    ) -> None:
        super().__init__("EM as coordinate ascent", workspace, overlay, parent)
        self.setObjectName("ascent_dock")
        self.curves: AscentCurves | None = None
        self.request: AscentRequest | None = None
        self._pending: AscentRequest | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        self.component_combo = QComboBox()
        self.component_combo.setToolTip("The Gaussian whose parameter moves")
        self.component_combo.setPlaceholderText("Gaussian")  # no Gaussians to list yet
        self.parameter_combo = QComboBox()
        for key, text, _ in PARAMETER_TEXT:
            self.parameter_combo.addItem(text, key)
        self.parameter_combo.setToolTip("The parameter that moves; everything else is held")
        self.cancel_button.setToolTip("Stop drawing the curves (large data)")
        layout.addLayout(self.run_row(QLabel("Move"), self.component_combo, self.parameter_combo))

        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground("w")
        self.plot_widget.setMinimumSize(300, 240)
        self.plot = self.plot_widget.addPlot(row=0, col=0, axisItems=grid_axes(AXIS_NAMES))
        style_plot(self.plot)
        self.plot.setMouseEnabled(x=True, y=True)  # zoom with the wheel; a step resets
        self.plot.hideButtons()
        self.plot.setLabel("left", "log-likelihood per point", **label_style())
        self.ll_curve = pg.PlotDataItem(pen=_LL_PEN)
        self.bound_curve = pg.PlotDataItem()
        self.current_line = pg.InfiniteLine(angle=90, movable=False)
        self.current_dot = pg.ScatterPlotItem(size=9, pen=pg.mkPen(25, 25, 25), brush="w")
        self.peak_dot = pg.ScatterPlotItem(size=10)
        for item in (self.current_line, self.ll_curve, self.bound_curve):
            self.plot.addItem(item)
        self.plot.addItem(self.current_dot)
        self.plot.addItem(self.peak_dot)
        self.legend = pg.LegendItem(colCount=2, labelTextColor=(40, 40, 40), frame=False)
        self.plot_widget.addItem(self.legend, row=1, col=0)
        self.legend.addItem(self.ll_curve, "log-likelihood L")
        self.legend.addItem(self.bound_curve, "lower bound B of the E-step")
        # where the plot is: the plot, or (for data it cannot draw) why not, in the middle
        self.message = QLabel()
        self.message.setObjectName("ascent_message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setStyleSheet("QLabel { background: white; color: #333; font-size: 11pt; }")
        self.plot_stack = QStackedWidget()
        self.plot_stack.addWidget(self.plot_widget)
        self.plot_stack.addWidget(self.message)
        layout.addWidget(self.plot_stack, 1)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("ascent_summary")
        layout.addWidget(self.summary)
        body.setMaximumWidth(480)
        self.setWidget(body)

        self.component_combo.currentIndexChanged.connect(self.refresh)
        self.parameter_combo.currentIndexChanged.connect(self.refresh)
        workspace.state_changed.connect(self._on_state)
        self.sync_running()
        self._clear("")
        self._show_drawable(self.workspace.state.snapshot)

    # ------------------------------------------------------------------ choices
    def component(self) -> int:
        """The Gaussian whose parameter moves (0-based)."""
        return max(0, self.component_combo.currentIndex())

    def parameter(self) -> Parameter:
        """The parameter that moves."""
        data = self.parameter_combo.currentData()
        return data if data in _SYMBOL else "mean"  # type: ignore[return-value]

    def _sync_components(self, n_components: int) -> None:
        combo = self.component_combo
        if combo.count() == n_components:
            return
        keep = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        for k in range(n_components):
            swatch = QPixmap(12, 12)
            swatch.fill(qcolor(k))
            combo.addItem(swatch, f"Gaussian {k + 1}")
        combo.setCurrentIndex(min(max(keep, 0), n_components - 1))
        combo.blockSignals(False)
        # a single Gaussian's weight is 1: it cannot move
        weight = self.parameter_combo.findData("weight")
        item = self.parameter_combo.model().item(weight)  # type: ignore[attr-defined]
        item.setEnabled(n_components > 1)
        if n_components < 2 and self.parameter() == "weight":
            self.parameter_combo.setCurrentIndex(0)

    # ------------------------------------------------------------------ following
    @Slot(object)
    def _on_state(self, _state: WorkspaceState) -> None:
        if self.isVisible():
            self.refresh()

    def about_to_show(self) -> None:
        """Bring the curves up to the state shown."""
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Shown (also when its tab is raised): bring the curves up to date."""
        super().showEvent(event)
        self.refresh()

    def drawable(self) -> bool:
        """Whether the data open can be drawn (1-D); else the controls are off and the plot
        says why."""
        return self.plot_stack.currentWidget() is self.plot_widget

    def _show_drawable(self, snap: Snapshot | None) -> str | None:
        """Enable the controls and show the plot for 1-D data; else disable them and show why
        (returned) in the middle of the plot."""
        why = not_drawn_text(snap)
        if why is not None and snap is not None and snap.mixture is not None:
            self._sync_components(snap.mixture.n_components)  # listed, though not to choose
        for widget in (self.component_combo, self.parameter_combo):
            widget.setEnabled(why is None)
        self.message.setText(why or "")
        self.plot_stack.setCurrentWidget(self.plot_widget if why is None else self.message)
        self.summary.setVisible(why is None)
        return why

    def _make_request(self, state: WorkspaceState) -> AscentRequest | str:
        snap = state.snapshot
        why = self._show_drawable(snap)
        if why is not None:
            return why
        assert snap is not None
        if snap.mixture is None:
            return "Place a Gaussian first (click the plot)."
        self._sync_components(snap.mixture.n_components)
        before = None
        if snap.phase == "M":
            lls = state.log_likelihoods
            if 1 <= snap.iteration < len(lls):
                before = float(lls[snap.iteration - 1])
        return AscentRequest(
            snap, self.component(), self.parameter(), before, state.settings.covariance_type
        )

    @Slot()
    def refresh(self) -> None:
        """Compute the curves of the state shown, if they are not those drawn already."""
        request = self._make_request(self.workspace.state)
        if isinstance(request, str):
            self._pending = None
            self.workspace.jobs.drop(self.lane)  # nothing it would report is for this state
            self._clear(request if self.drawable() else "")
            if not self.drawable():
                self.summary.clear()  # the plot says it; no stale words for 1-D data later
            return
        if self._same(request, self._pending) or (
            self._pending is None and self._same(request, self.request)
        ):
            return
        self._pending = request
        snap = request.snapshot
        mixture = snap.mixture
        assert mixture is not None
        X, resp = snap.X, snap.resp
        k, par = request.component, request.parameter

        def work(
            progress: Callable[[int, int], None], should_cancel: Callable[[], bool]
        ) -> tuple[AscentRequest, AscentCurves | None]:
            curves = ascent_curves(
                X, mixture, resp, k, par, progress=progress, should_cancel=should_cancel
            )
            # cancelled part-way: values are missing, and nothing half-drawn is shown
            return request, None if np.isnan(curves.log_likelihood).any() else curves

        self.start_work(work)

    @staticmethod
    def _same(a: AscentRequest | None, b: AscentRequest | None) -> bool:
        return (
            a is not None
            and b is not None
            and a.snapshot is b.snapshot
            and (a.component, a.parameter, a.before) == (b.component, b.parameter, b.before)
        )

    # ------------------------------------------------------------------ results
    def on_result(self, result: object) -> None:
        """Draw the curves computed (a cancelled computation draws nothing)."""
        request, curves = result  # type: ignore[misc]
        if self._same(request, self._pending):
            self._pending = None
        if curves is None:
            self._clear("Cancelled: take a step or choose a parameter to draw the curves again.")
            return
        self.request, self.curves = request, curves
        self._draw(request, curves)

    def on_failure(self, message: str) -> None:
        """Say why the curves could not be drawn."""
        self._pending = None
        self._clear(f"Could not draw the curves: {message}")

    def on_data_changed(self) -> None:
        """The old data's curves are not shown."""
        self._pending = None
        self._clear("")

    def _clear(self, text: str) -> None:
        self.curves = None
        self.request = None
        for item in (self.ll_curve, self.bound_curve):
            item.setData([], [])
        self.current_dot.setData([], [])
        self.peak_dot.setData([], [])
        self.current_line.hide()
        if text:
            self.summary.setText(text)

    def _draw(self, request: AscentRequest, curves: AscentCurves) -> None:
        k = request.component
        color = qcolor(k)
        x = np.asarray(curves.values)
        ll = np.asarray(curves.log_likelihood)
        self.ll_curve.setData(x, ll)
        self.current_line.setPen(pg.mkPen(color, width=1.5))
        self.current_line.setPos(curves.current)
        self.current_line.show()
        self.current_dot.setData([curves.current], [curves.log_likelihood_at_current])
        low, high = float(ll.min()), float(ll.max())
        if curves.bound is None:
            self.bound_curve.setData([], [])
            self.peak_dot.setData([], [])
        else:
            bound = np.asarray(curves.bound)
            self.bound_curve.setData(
                x, bound, pen=pg.mkPen(color, width=2.5, style=Qt.PenStyle.DashLine)
            )
            high = max(high, float(bound.max()))
            low = min(low, float(curves.bound_at_current or low))
            if curves.peak is not None and curves.peak_bound is not None:
                self.peak_dot.setData(
                    [curves.peak],
                    [curves.peak_bound],
                    pen=pg.mkPen(color, width=2),
                    brush=pg.mkBrush(255, 255, 255),
                )
                low = min(low, curves.peak_bound)
            else:
                self.peak_dot.setData([], [])
        pad = 0.08 * (high - low) if high > low else max(1e-3, abs(high) * 1e-3)
        self.plot.setYRange(low - pad, high + pad, padding=0)
        self.plot.setXRange(float(x[0]), float(x[-1]), padding=0)
        name = f"{_SYMBOL[request.parameter]}{k + 1}"
        self.plot.setLabel(
            "bottom", f"{name}, the {_NAME[request.parameter]} of Gaussian {k + 1}", **label_style()
        )
        self.summary.setText(describe(request, curves))
