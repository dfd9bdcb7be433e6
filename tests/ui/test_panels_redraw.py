"""Panels skip work when a new state changes nothing they show (an E-step keeps the Gaussians)."""

from __future__ import annotations

import numpy as np

from gmm_gui.model import Mixture
from gmm_gui.ui.panels import ComponentTable, LogLikelihoodPanel


def mixture(shift: float = 0.0) -> Mixture:
    return Mixture([0.4, 0.6], [[0.0 + shift, 1.0], [3.0, 2.0]], [np.eye(2), 2 * np.eye(2)])


def test_component_table_refills_only_for_a_new_mixture_or_columns(qtbot):
    table = ComponentTable()
    qtbot.addWidget(table)
    table.set_columns(["x", "y"])
    first = mixture()
    table.set_mixture(first, True)
    cell = table.item(0, 1)
    table.set_mixture(first, True)  # the same Gaussians (an E-step): nothing redone
    assert table.item(0, 1) is cell
    table.set_mixture(first, False)  # editability changed: the cells are made again
    assert table.item(0, 1) is not cell
    assert not table.item(0, 1).flags() & table.item(0, 1).flags().ItemIsEditable
    moved = mixture(shift=1.5)
    table.set_mixture(moved, False)
    assert table.value(0, "mean0") == 1.5
    table.set_columns(["a", "b"])  # new columns: the same mixture is shown again in full
    table.set_mixture(moved, False)
    assert table.rowCount() == 2 and table.value(0, "mean0") == 1.5


def test_loglik_panel_skips_an_unchanged_curve(qtbot, monkeypatch):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    values = np.array([-3.0, -2.5, -2.2])
    panel.set_values(values, 2)
    calls = []
    original = panel._curve.setData

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(panel._curve, "setData", spy)
    panel.set_values(values.copy(), 2)  # equal values, same iteration: no redraw
    assert calls == []
    panel.set_values(values, 1)  # another iteration ringed
    assert panel.current_iteration == 1 and len(calls) == 1
    panel.set_values(np.append(values, -2.1), 3, converged_at=3)
    assert len(calls) == 2 and panel.converged_visible


def test_loglik_panel_moves_its_axes_rarely_while_em_climbs(qtbot):
    """A typical EM curve (fast rise, then slower) re-ranges the y axis on few of its steps."""
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    values = -2.0 - 1.5 * 0.7 ** np.arange(30)  # climbs from -3.5 towards -2.0
    ranges = []
    for t in range(1, values.size + 1):
        panel.set_values(values[:t], t - 1)
        (_, _), (y0, y1) = panel.getViewBox().viewRange()
        ranges.append((y0, y1))
        assert y0 <= values[:t].min() and values[:t].max() <= y1  # every value on the plot
    changes = sum(a != b for a, b in zip(ranges[:-1], ranges[1:], strict=True))
    assert changes <= 5, ranges


def test_a_start_far_below_stays_marked_inside_the_plot(qtbot):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    values = np.r_[-60.0, -2.0 - 1.5 * 0.7 ** np.arange(30)]  # the start far below the rest
    for t in range(3, values.size + 1):
        panel.set_values(values[:t], t - 1)
        (_, _), (y0, y1) = panel.getViewBox().viewRange()
        _, ys = panel._below.getData()
        assert len(ys) == 1 and y0 <= ys[0] <= y1, t
        assert panel._start_note.isVisible() and "-60" in panel._start_note.toPlainText()


def test_loglik_axis_labels_do_not_narrow_between_half_steps(qtbot):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    qtbot.waitExposed(panel)
    axis = panel.getPlotItem().getAxis("left")

    def width_after_paint(values: np.ndarray) -> float:
        panel.set_values(values, 1)
        panel.grab()  # painting the tick labels is what sizes the axis
        panel.getPlotItem().layout.activate()
        return axis.width()

    wide = width_after_paint(np.array([-1234.5678, -1000.25]))
    narrow = width_after_paint(np.array([-1.5, -1.25]))  # short labels
    assert narrow >= wide
